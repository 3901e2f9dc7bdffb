import Testing

/// Dynamic allocation: round-robin from the last reserved address, the
/// gateway never handed out, wrap-around, exhaustion (REFERENCE §3.3).
@Suite("Round-robin allocation")
struct RoundRobinTests {
    /// 10.1.2.0/29: gateway .1, usable .2 through .6.
    static let smallRange = #""ranges": [[{"subnet": "10.1.2.0/29"}]]"#

    @Test("a released address is not reused by the next ADD: .2, release, then .3")
    func releasedAddressIsNotReusedAtOnce() {
        let net = TestNetwork(ipam: Self.smallRange)
        #expect(net.add("c1").addresses == ["10.1.2.2/29"])
        #expect(net.del("c1").succeeded)
        #expect(net.add("c2").addresses == ["10.1.2.3/29"])
        #expect(net.lastReserved(0) == "10.1.2.3")
    }

    @Test("the gateway is skipped, wherever it lies in the range")
    func gatewayIsSkipped() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/29", "rangeStart": "10.1.2.2", "gateway": "10.1.2.3"}]]"#)
        let addresses = ["c1", "c2", "c3", "c4"].map { net.add($0).addresses }
        #expect(addresses == [["10.1.2.2/29"], ["10.1.2.4/29"], ["10.1.2.5/29"], ["10.1.2.6/29"]])
        #expect(net.ipFiles["10.1.2.3"] == nil)
    }

    @Test("after the range end the walk wraps to the range start, skipping taken addresses")
    func wrapsAround() {
        let net = TestNetwork(ipam: Self.smallRange)
        for id in ["c2", "c3", "c4", "c5", "c6"] { #expect(net.add(id).succeeded) }
        #expect(net.del("c3").succeeded)
        #expect(net.del("c5").succeeded)
        // Last reserved is .6, the range end: the next walk starts over at .2 (taken), then .3.
        #expect(net.add("c7").addresses == ["10.1.2.3/29"])
        #expect(net.add("c8").addresses == ["10.1.2.5/29"])
    }

    @Test("several ranges in one set form one pool, walked in order")
    func rangesOfASetAreOnePool() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/30"}, {"subnet": "10.1.3.0/30"}]]"#)
        #expect(["c1", "c2", "c3"].map { net.add($0).addresses.first } == ["10.1.2.2/30", "10.1.3.2/30", nil])
    }

    @Test("exhaustion names the range set and is code 11 (try again later), leaving nothing behind")
    func exhaustion() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24", "rangeStart": "10.1.2.10", "rangeEnd": "10.1.2.11"}, {"subnet": "10.1.3.0/24", "rangeStart": "10.1.3.10", "rangeEnd": "10.1.3.10"}]]"#)
        for id in ["c1", "c2", "c3"] { #expect(net.add(id).succeeded) }
        let before = net.ipFiles
        let full = net.add("c4")
        #expect(full.error == PluginError(
            code: 11,
            message: "failed to allocate for range 0: no IP addresses available in range set: 10.1.2.10-10.1.2.11,10.1.3.10-10.1.3.10",
            details: nil), "\(full)")
        #expect(net.ipFiles == before)
    }

    @Test("exhaustion of the second range set rolls back the first one's address")
    func exhaustionRollsBackEarlierSets() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}], [{"subnet": "2001:db8::/64", "rangeStart": "2001:db8::10", "rangeEnd": "2001:db8::10"}]]"#)
        #expect(net.add("c1").addresses == ["10.1.2.2/24", "2001:db8::10/64"])
        let full = net.add("c2")
        #expect(full.error?.code == 11)
        #expect(full.error?.message == "failed to allocate for range 1: no IP addresses available in range set: 2001:db8::10-2001:db8::10")
        #expect(net.ipFiles == ["10.1.2.2": reservation("c1"), "2001:db8::10": reservation("c1")])
    }

    @Test("a second ADD for the same container and interface is refused as a duplicate")
    func duplicateAdd() {
        let net = TestNetwork(ipam: Self.smallRange)
        #expect(net.add("c1").succeeded)
        let again = net.add("c1")
        #expect(again.error?.message == "failed to allocate for range 0: 10.1.2.2 has been allocated to c1, duplicate allocation is not allowed", "\(again)")
        // Another interface of the same container is another attachment.
        #expect(net.add("c1", ifname: "net1").addresses == ["10.1.2.3/29"])
    }
}
