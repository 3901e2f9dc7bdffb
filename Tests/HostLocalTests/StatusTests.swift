import TestKit
import Testing

/// STATUS (spec 1.1.0): code 50 when ADD could not get an address
/// (REFERENCE §1.6, §3.6).
@Suite("STATUS")
struct StatusTests {
    @Test("STATUS succeeds while every range set has a free address")
    func available() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/29"}], [{"subnet": "2001:db8::/64"}]]"#, version: "1.1.0")
        let fresh = net.status()
        #expect(fresh.succeeded, "\(fresh)")
        #expect(fresh.process.stdout.isEmpty)
        #expect(net.add("c1").succeeded)
        #expect(net.status().succeeded)
        #expect(net.del("c1").succeeded)
        #expect(net.status().succeeded)
    }

    @Test("STATUS fails with code 50 when a range set is full")
    func exhausted() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "2001:db8::/64"}], [{"subnet": "10.1.2.0/29"}]]"#, version: "1.1.0")
        for id in 1...5 { #expect(net.add("c\(id)").succeeded) }
        let status = net.status()
        #expect(status.error?.code == 50, "\(status)")
        #expect(status.error?.message.contains("10.1.2.1-10.1.2.6") == true)
        #expect(net.del("c3").succeeded)
        #expect(net.status().succeeded)
    }

    @Test("STATUS counts a large, full range exactly")
    func largeRangeFull() {
        // More addresses than the exhaustion probe tries one by one.
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.0.0/25"}]]"#, version: "1.1.0")
        let store = prepare(net)
        for address in 2...126 { writeFile(store + "/10.1.0.\(address)", reservation("x\(address)")) }
        #expect(net.status().error?.code == 50)
        removeTree(net.store + "/10.1.0.77")
        #expect(net.status().succeeded)
    }

    /// Makes the store directory (as a first call would) and returns it.
    func prepare(_ net: TestNetwork) -> String {
        makeDirectory(net.dataDir)
        makeDirectory(net.store)
        return net.store
    }

    @Test("STATUS is refused for configs older than 1.1.0")
    func oldVersion() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/30"}]]"#)
        var call = net.request("STATUS", version: "1.0.0")
        call.containerID = ""
        let status = call.run(.ours)
        #expect(status.error == PluginError(code: 1, message: "config version does not allow STATUS", details: nil), "\(status)")
    }
}
