import Testing

/// CHECK: the attachment still holds an address (REFERENCE §3.6).
@Suite("CHECK")
struct CheckTests {
    static let range = #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#

    @Test("CHECK succeeds after ADD, silently", arguments: ["0.4.0", "1.0.0", "1.1.0"])
    func afterAdd(version: String) {
        let net = TestNetwork(ipam: Self.range, version: version)
        let add = net.add("c1")
        let check = net.check("c1", prevResult: add.json, version: version)
        #expect(check.succeeded, "\(check)")
        #expect(check.process.stdout.isEmpty)
    }

    @Test("CHECK after DEL fails with the reference's message")
    func afterDelete() {
        let net = TestNetwork(ipam: Self.range)
        let add = net.add("c1")
        #expect(net.del("c1").succeeded)
        let check = net.check("c1", prevResult: add.json)
        #expect(check.error?.message == "host-local: Failed to find address added by container c1", "\(check)")
    }

    @Test("CHECK is refused for configs older than 0.4.0")
    func oldVersion() {
        let net = TestNetwork(ipam: Self.range)
        #expect(net.add("c1").succeeded)
        let check = net.check("c1", version: "0.3.1")
        #expect(check.error == PluginError(code: 1, message: "config version does not allow CHECK", details: nil), "\(check)")
    }
}
