import TestKit
import Testing

/// A failed ADD takes back the addresses it reserved, and only those
/// (README "A failed ADD leaves nothing behind"). The reference releases
/// every reservation of the (container ID, interface) instead
/// (`ReleaseByID`), also those the attachment held before this ADD.
@Suite("Failed host-local ADD")
struct FailedAddTests {
    static let dualStack = #""ranges": [[{"subnet": "10.1.2.0/24"}], [{"subnet": "2001:db8:1::/64"}]]"#

    /// Ways an ADD for c2/eth1 fails after it has reserved an address.
    enum Failure: String, CaseIterable, Sendable {
        case staticAddressOutsideTheRanges = "a requested address outside every range"
        case duplicateInTheSecondRangeSet = "a duplicate in the second range set"

        var args: String { self == .staticAddressOutsideTheRanges ? "IP=10.200.0.1" : "" }

        /// What c2/eth1 holds from before: an address of a range no longer
        /// configured, or one in the second range set.
        var held: String { self == .staticAddressOutsideTheRanges ? "10.9.0.9" : "2001:db8:1::9" }

        var message: String {
            switch self {
            case .staticAddressOutsideTheRanges:
                return "failed to allocate all requested IPs: 10.200.0.1"
            case .duplicateInTheSecondRangeSet:
                return "failed to allocate for range 1: 2001:db8:1::9 has been allocated to c2, duplicate allocation is not allowed"
            }
        }
    }

    /// A network where c1/eth0 holds 10.1.2.2 and 2001:db8:1::2, and
    /// c2/eth1 holds `failure.held`.
    private static func network(_ failure: Failure) -> TestNetwork {
        let net = TestNetwork(ipam: dualStack)
        #expect(net.add("c1").succeeded)
        writeFile(net.store + "/" + failure.held, reservation("c2", "eth1"))
        return net
    }

    @Test("a failed ADD keeps the reservations its attachment held before", arguments: Failure.allCases)
    func keepsEarlierReservations(failure: Failure) {
        let net = Self.network(failure)
        let add = net.add("c2", ifname: "eth1", args: failure.args)
        #expect(add.error?.message == failure.message, "\(add)")
        #expect(Set(net.ipFiles.keys) == ["10.1.2.2", "2001:db8:1::2", failure.held], "\(net.ipFiles)")
    }

    @Test("the reference's failed ADD releases them", arguments: Failure.allCases)
    func referenceReleasesEarlierReservations(failure: Failure) throws {
        try #require(Plugin.referenceIsInstalled, "reference /usr/lib/cni/host-local is not installed")
        let net = Self.network(failure)
        let add = net.add("c2", ifname: "eth1", args: failure.args, using: .reference)
        #expect(add.error?.message == failure.message, "\(add)")
        #expect(Set(net.ipFiles.keys) == ["10.1.2.2", "2001:db8:1::2"], "\(net.ipFiles)")
    }
}
