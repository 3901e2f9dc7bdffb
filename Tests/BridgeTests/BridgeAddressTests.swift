import TestKit
import Testing

/// `isGateway` on a bridge that already carries addresses: which ones
/// conflict, what `forceAddress` replaces, and what the error says without
/// it (the reference's `ensureAddr`, REFERENCE.md §2.1 and §2.2 step 9.5).
///
/// One table of pre-states. Ours must end each one as the table says, and as
/// the reference (`/usr/lib/cni/bridge`) does on the same pre-state in a twin
/// network (its own bridge, same subnet).
@Suite("Gateway address on a bridge that already has addresses",
       .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct BridgeAddressTests {
    /// The IPAM ranges: one IPv4, one IPv6, both, or two IPv4 ranges
    /// (the network's subnet and 10.124.<index>.0/24).
    enum Family: Sendable { case v4, v6, dual, twoIPv4 }

    enum Outcome: Equatable, CustomStringConvertible {
        /// ADD succeeds; the bridge's global addresses afterwards.
        case succeeds([String])
        /// ADD fails with the reference's message naming this gateway; the
        /// bridge keeps what it had, or ends with `leaving`.
        case conflictsWith(gateway: String, leaving: [String]? = nil)

        var description: String {
            switch self {
            case .succeeds(let addresses): return "succeeds with \(addresses)"
            case .conflictsWith(let gateway, _): return "refuses \(gateway)"
            }
        }
    }

    struct PreState: CustomTestStringConvertible, Sendable {
        let name: String
        let family: Family
        let forceAddress: Bool
        /// Addresses on the bridge before ADD.
        let present: @Sendable (TestNetwork) -> [String]
        let outcome: @Sendable (TestNetwork) -> Outcome
        /// How the reference ends instead, where we differ on purpose
        /// (README, "Where we differ"); nil: as ours.
        var reference: (@Sendable (TestNetwork) -> Outcome)? = nil
        var testDescription: String { "\(name)\(forceAddress ? ", forceAddress" : "")" }
    }

    static let preStates: [PreState] = [
        PreState(name: "IPv4: another address of the subnet", family: .v4, forceAddress: true,
                 present: { [$0.address(254) + "/24"] },
                 outcome: { .succeeds([$0.gateway + "/24"]) }),
        PreState(name: "IPv4: another address of the subnet", family: .v4, forceAddress: false,
                 present: { [$0.address(254) + "/24"] },
                 outcome: { .conflictsWith(gateway: $0.gateway + "/24") }),
        PreState(name: "IPv4: the gateway's IP with another prefix length", family: .v4, forceAddress: true,
                 present: { [$0.gateway + "/16"] },
                 outcome: { .succeeds([$0.gateway + "/24"]) }),
        PreState(name: "IPv4: the gateway's IP with another prefix length", family: .v4, forceAddress: false,
                 present: { [$0.gateway + "/16"] },
                 outcome: { .conflictsWith(gateway: $0.gateway + "/24") }),
        PreState(name: "IPv4: an address of another subnet", family: .v4, forceAddress: true,
                 present: { ["10.124.\($0.subnetIndex).1/24"] },
                 outcome: { .succeeds([$0.gateway + "/24"]) }),
        PreState(name: "IPv4: an address of another subnet", family: .v4, forceAddress: false,
                 present: { ["10.124.\($0.subnetIndex).1/24"] },
                 outcome: { .conflictsWith(gateway: $0.gateway + "/24") }),
        PreState(name: "IPv4: the gateway itself", family: .v4, forceAddress: false,
                 present: { [$0.gateway + "/24"] },
                 outcome: { .succeeds([$0.gateway + "/24"]) }),
        PreState(name: "IPv4: an IPv6 address never conflicts", family: .v4, forceAddress: false,
                 present: { ["fd00:124:\($0.subnetIndex)::1/64"] },
                 outcome: { .succeeds([$0.gateway + "/24", "fd00:124:\($0.subnetIndex)::1/64"].sorted()) }),
        PreState(name: "IPv6: an address of an enclosing prefix", family: .v6, forceAddress: true,
                 present: { ["fd00:123:\($0.subnetIndex)::5/48"] },
                 outcome: { .succeeds([$0.gateway6 + "/64"]) }),
        PreState(name: "IPv6: an address of an enclosing prefix", family: .v6, forceAddress: false,
                 present: { ["fd00:123:\($0.subnetIndex)::5/48"] },
                 outcome: { .conflictsWith(gateway: $0.gateway6 + "/64") }),
        PreState(name: "IPv6: the gateway's IP with another prefix length", family: .v6, forceAddress: true,
                 present: { [$0.gateway6 + "/48"] },
                 outcome: { .succeeds([$0.gateway6 + "/64"]) }),
        PreState(name: "IPv6: the gateway's IP with another prefix length", family: .v6, forceAddress: false,
                 present: { [$0.gateway6 + "/48"] },
                 outcome: { .conflictsWith(gateway: $0.gateway6 + "/64") }),
        PreState(name: "IPv6: an address of a narrower prefix inside the subnet", family: .v6, forceAddress: true,
                 present: { [$0.address6(0x105) + "/120"] },
                 outcome: { .succeeds([$0.gateway6 + "/64"]) }),
        PreState(name: "IPv6: an address of a disjoint prefix stays", family: .v6, forceAddress: false,
                 present: { ["fd00:124:\($0.subnetIndex)::1/64"] },
                 outcome: { .succeeds([$0.gateway6 + "/64", "fd00:124:\($0.subnetIndex)::1/64"].sorted()) }),
        PreState(name: "IPv6: an address of a disjoint prefix stays", family: .v6, forceAddress: true,
                 present: { ["fd00:124:\($0.subnetIndex)::1/64"] },
                 outcome: { .succeeds([$0.gateway6 + "/64", "fd00:124:\($0.subnetIndex)::1/64"].sorted()) }),
        PreState(name: "dual stack: a conflicting IPv4 address and a disjoint IPv6 one", family: .dual,
                 forceAddress: true,
                 present: { [$0.address(254) + "/24", "fd00:124:\($0.subnetIndex)::1/64"] },
                 outcome: { .succeeds([$0.gateway + "/24", $0.gateway6 + "/64",
                                       "fd00:124:\($0.subnetIndex)::1/64"].sorted()) }),
        PreState(name: "dual stack: the IPv4 gateway there, a conflicting IPv6 address", family: .dual,
                 forceAddress: false,
                 present: { [$0.gateway + "/24", $0.address6(5) + "/64"] },
                 outcome: { .conflictsWith(gateway: $0.gateway6 + "/64") }),
        // Where we differ on purpose.
        PreState(name: "IPv4: the gateway and another address of the subnet", family: .v4, forceAddress: false,
                 present: { [$0.address(254) + "/24", $0.gateway + "/24"] },
                 outcome: { .succeeds([$0.address(254) + "/24", $0.gateway + "/24"].sorted()) },
                 reference: { .conflictsWith(gateway: $0.gateway + "/24") }),
        PreState(name: "IPv4: the gateway and another address of the subnet", family: .v4, forceAddress: true,
                 present: { [$0.address(254) + "/24", $0.gateway + "/24"] },
                 outcome: { .succeeds([$0.gateway + "/24"]) },
                 reference: { _ in .succeeds([]) }),
        PreState(name: "two IPv4 ranges", family: .twoIPv4, forceAddress: false,
                 present: { _ in [] },
                 outcome: { .succeeds([$0.gateway + "/24", "10.124.\($0.subnetIndex).1/24"]) },
                 reference: { .conflictsWith(gateway: "10.124.\($0.subnetIndex).1/24", leaving: [$0.gateway + "/24"]) }),
        PreState(name: "two IPv4 ranges", family: .twoIPv4, forceAddress: true,
                 present: { _ in [] },
                 outcome: { .succeeds([$0.gateway + "/24", "10.124.\($0.subnetIndex).1/24"]) },
                 reference: { .succeeds(["10.124.\($0.subnetIndex).1/24"]) }),
        PreState(name: "two IPv4 ranges, another address of the first one's subnet", family: .twoIPv4,
                 forceAddress: true,
                 present: { [$0.address(254) + "/24"] },
                 outcome: { .succeeds([$0.gateway + "/24", "10.124.\($0.subnetIndex).1/24"]) },
                 reference: { .succeeds(["10.124.\($0.subnetIndex).1/24"]) }),
    ]

    /// Makes the bridge with the pre-state's addresses, then ADDs with
    /// `plugin`. Returns the outcome, the bridge name replaced by `<bridge>`
    /// in an error message.
    static func add(_ preState: PreState, on net: TestNetwork, plugin: String) throws -> (PluginOutcome, String) {
        try Tool.run("ip", "link", "add", net.bridgeName, "type", "bridge")
        for address in preState.present(net) {
            try Tool.run("ip", "address", "add", address, "dev", net.bridgeName)
        }
        var ipam: JSON
        switch preState.family {
        case .v4: ipam = net.ipam()
        case .v6: ipam = net.ipam(subnet: net.subnet6)
        case .dual: ipam = net.ipam(dualStack: true)
        case .twoIPv4:
            ipam = net.ipam()
            ipam["ranges"] = [[["subnet": .string(net.subnet)]], [["subnet": .string("10.124.\(net.subnetIndex).0/24")]]]
        }
        let config = net.config("1.0.0", ["isGateway": true, "forceAddress": .bool(preState.forceAddress),
                                          "ipam": ipam])
        let outcome = try net.call("ADD", try net.attachment(), config: config, plugin: plugin)
        let message = outcome.errorMessage.split(separator: net.bridgeName, omittingEmptySubsequences: false)
            .joined(separator: "<bridge>")
        return (outcome, message)
    }

    @Test("ADD ends as the table says", arguments: preStates)
    func ours(_ preState: PreState) throws {
        try withTestNetwork { net in
            let (outcome, message) = try Self.add(preState, on: net, plugin: Plugins.bridge)
            try Self.expect(preState.outcome(net), outcome, message, on: net, before: preState.present(net).sorted())
            if case .conflictsWith = preState.outcome(net) {
                #expect(try Kernel.ports(of: net.bridgeName).isEmpty)
                #expect(net.reservedAddresses.isEmpty)
            }
        }
    }

    /// Checks that an ADD on `net` ended as `expected` says.
    static func expect(_ expected: Outcome, _ outcome: PluginOutcome, _ message: String, on net: TestNetwork,
                       before: [String]) throws {
        switch expected {
        case .succeeds(let addresses):
            #expect(outcome.succeeded, "\(outcome)")
            #expect(try Kernel.addresses(of: net.bridgeName) == addresses)
        case .conflictsWith(let gateway, let leaving):
            #expect(!outcome.succeeded)
            #expect(outcome.errorCode == 999, "\(outcome)")
            #expect(message == "failed to set bridge addr: \"<bridge>\" already has an IP address different from \(gateway)")
            #expect(try Kernel.addresses(of: net.bridgeName) == leaving ?? before)
        }
    }

    @Test("ADD ends as the reference's does on the same pre-state",
          .enabled(if: Plugins.referenceIsInstalled, "needs /usr/lib/cni/bridge and host-local"),
          arguments: preStates)
    func sameAsReference(_ preState: PreState) throws {
        let subnet = TestNode.uniqueSubnetIndex()
        try withTestNetwork(subnetIndex: subnet) { reference in
            try withTestNetwork(subnetIndex: subnet) { ours in
                let (referenceOutcome, referenceMessage) = try Self.add(preState, on: reference,
                                                                       plugin: Plugins.referenceBridge)
                if let documented = preState.reference {
                    // A deliberate difference: the reference ends as documented.
                    try Self.expect(documented(reference), referenceOutcome, referenceMessage, on: reference,
                                    before: preState.present(reference).sorted())
                    return
                }
                let (ourOutcome, ourMessage) = try Self.add(preState, on: ours, plugin: Plugins.bridge)
                #expect(ourOutcome.succeeded == referenceOutcome.succeeded, "ours: \(ourOutcome)\nreference: \(referenceOutcome)")
                #expect(ourMessage == referenceMessage)
                #expect(try Kernel.addresses(of: ours.bridgeName) == Kernel.addresses(of: reference.bridgeName))
            }
        }
    }
}
