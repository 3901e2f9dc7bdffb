import TestKit
import Testing

/// Ours and the reference on one store, in both directions: a node can
/// migrate or roll back with live allocations (REFERENCE §3.4, §6).
@Suite("Mixed stores: ours and the reference on one dataDir", .enabled(if: Plugin.referenceIsInstalled, "reference /usr/lib/cni/host-local is not installed"))
struct MixedStoreTests {
    static let dualStack = #""ranges": [[{"subnet": "10.1.2.0/24"}], [{"subnet": "2001:db8:1::/64"}]]"#
    static let small = #""ranges": [[{"subnet": "10.1.2.0/29"}]]"#

    @Test("the reference allocates, we release: the files are gone")
    func referenceAddsWeDelete() {
        let net = TestNetwork(ipam: Self.dualStack)
        #expect(net.add("c1", using: .reference).addresses == ["10.1.2.2/24", "2001:db8:1::2/64"])
        #expect(net.add("c2", using: .reference).succeeded)
        #expect(net.check("c1", using: .ours).succeeded)
        #expect(net.del("c1", using: .ours).succeeded)
        #expect(net.ipFiles == ["10.1.2.3": reservation("c2"), "2001:db8:1::3": reservation("c2")])
        #expect(net.check("c1", using: .ours).error != nil)
        #expect(net.add("c3", using: .ours).addresses == ["10.1.2.4/24", "2001:db8:1::4/64"])
    }

    @Test("we allocate, the reference releases: the files are gone, and we notice")
    func weAddReferenceDeletes() {
        let net = TestNetwork(ipam: Self.dualStack)
        #expect(net.add("c1", using: .ours).succeeded)
        #expect(net.add("c2", using: .ours).succeeded)
        #expect(net.check("c1", using: .reference).succeeded)
        #expect(net.del("c1", using: .reference).succeeded)
        #expect(net.ipFiles == ["10.1.2.3": reservation("c2"), "2001:db8:1::3": reservation("c2")])
        // Our index must not still believe c1 holds addresses.
        let check = net.check("c1", using: .ours)
        #expect(check.error?.message == "host-local: Failed to find address added by container c1", "\(check)")
        #expect(net.del("c2", using: .reference).succeeded)
        #expect(net.ipFiles.isEmpty)
        // And the reference walked our private index without harm to it or us.
        #expect(net.add("c1", using: .ours).addresses == ["10.1.2.4/24", "2001:db8:1::4/64"])
        #expect(net.del("c1", using: .ours).succeeded)
        #expect(net.ipFiles.isEmpty)
    }

    @Test("alternating ADDs never hand out an address twice and continue round-robin")
    func alternatingAdds() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/28"}]]"#)
        var addresses: [String] = []
        for number in 0..<13 {
            let plugin: Plugin = number % 2 == 0 ? .ours : .reference
            let add = net.add("c\(number)", using: plugin)
            #expect(add.succeeded, "\(add)")
            addresses += add.addresses
            if number == 5 { #expect(net.del("c1", using: .ours).succeeded) }
            if number == 8 { #expect(net.del("c2", using: .reference).succeeded) }
        }
        let expected = (2...14).map { "10.1.2.\($0)/28" }
        #expect(addresses == expected)
        // The pool is full but for the two released addresses, which come back in order.
        #expect(net.add("x1", using: .reference).addresses == ["10.1.2.3/28"])
        #expect(net.add("x2", using: .ours).addresses == ["10.1.2.4/28"])
        #expect(net.add("x3", using: .ours).error?.code == 11)
        #expect(Set(net.ipFiles.keys).count == 13)
    }

    @Test("a duplicate ADD is detected across implementations", arguments: [(Plugin.reference, Plugin.ours), (.ours, .reference)])
    func duplicateAcrossImplementations(first: Plugin, second: Plugin) {
        let net = TestNetwork(ipam: Self.small)
        #expect(net.add("c1", using: first).succeeded)
        let again = net.add("c1", using: second)
        #expect(again.error?.message == "failed to allocate for range 0: 10.1.2.2 has been allocated to c1, duplicate allocation is not allowed", "\(again)")
        #expect(net.ipFiles == ["10.1.2.2": reservation("c1")])
    }

    @Test("an interface name that is not UTF-8 is recorded byte for byte, as the reference records it")
    func nonUTF8InterfaceName() {
        withKnownIssue("CNISpec decodes CNI_* variables with String(cString:), which turns invalid UTF-8 into U+FFFD") {
            let net = TestNetwork(ipam: Self.small)
            func call(_ command: String, _ plugin: Plugin) -> CallOutcome {
                var call = net.request(command, "c1")
                call.rawEnvironment = call.environment.map { entry in
                    entry.starts(with: Array("CNI_IFNAME=".utf8)) ? Array("CNI_IFNAME=e".utf8) + [0xff] : entry
                }
                return call.run(plugin)
            }
            #expect(call("ADD", .reference).succeeded)
            #expect(call("DEL", .ours).succeeded)
            #expect(net.ipFiles.isEmpty, "our DEL left the reference's reservation: \(net.sharedFiles.describedFiles)")
            #expect(call("ADD", .ours).succeeded)
            #expect(readFile(net.store + "/10.1.2.3") == Array("c1\r\ne".utf8) + [0xff])
        }
    }

    /// A reservation whose container ID part carries spaces, as only a
    /// person could write it. The reference compares a file's whole trimmed
    /// content with `TrimSpace(id) + "\r\n" + ifname` (or, legacy, with
    /// `TrimSpace(id)`), so this file belongs to no attachment.
    static let spacedReservation = " c1 \r\neth0\n"

    @Test("a file whose container ID part carries spaces is not c1's: CHECK fails, DEL keeps it, a static ADD is no duplicate",
          arguments: [Plugin.ours, .reference])
    func spacedContainerID(plugin: Plugin) {
        let net = TestNetwork(ipam: Self.small)
        makeDirectory(net.dataDir)
        makeDirectory(net.store)
        writeFile(net.store + "/10.1.2.2", Self.spacedReservation)
        let check = net.check("c1", using: plugin)
        #expect(check.error?.message == "host-local: Failed to find address added by container c1", "\(check)")
        #expect(net.del("c1", using: plugin).succeeded)
        #expect(net.ipFiles == ["10.1.2.2": Self.spacedReservation])
        let add = net.add("c1", args: "IP=10.1.2.3", using: plugin)
        #expect(add.addresses == ["10.1.2.3/29"], "\(add)")
        #expect(net.del("c1", using: plugin).succeeded)
        #expect(net.ipFiles == ["10.1.2.2": Self.spacedReservation])
    }

    @Test("GC after reference allocations releases them too")
    func gcAfterReference() {
        let net = TestNetwork(ipam: Self.dualStack, version: "1.0.0")
        #expect(net.add("c1", using: .reference).succeeded)
        #expect(net.add("c2", using: .reference).succeeded)
        #expect(net.gc(valid: [("c2", "eth0")]).succeeded)
        #expect(net.ipFiles == ["10.1.2.3": reservation("c2"), "2001:db8:1::3": reservation("c2")])
    }
}
