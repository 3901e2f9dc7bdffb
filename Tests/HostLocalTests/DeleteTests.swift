import TestKit
import Testing

/// DEL releases by (container ID, interface) and is idempotent
/// (REFERENCE §1.6, §3.6).
@Suite("DEL")
struct DeleteTests {
    static let dualStack = #""ranges": [[{"subnet": "10.1.2.0/24"}], [{"subnet": "2001:db8:1::/64"}]]"#

    @Test("DEL releases the addresses of exactly that container and interface")
    func releasesOneAttachment() {
        let net = TestNetwork(ipam: Self.dualStack)
        #expect(net.add("c1").succeeded)
        #expect(net.add("c1", ifname: "net1").succeeded)
        #expect(net.add("c2").succeeded)
        let del = net.del("c1")
        #expect(del.succeeded, "\(del)")
        #expect(del.process.stdout.isEmpty)
        #expect(net.ipFiles == [
            "10.1.2.3": reservation("c1", "net1"), "2001:db8:1::3": reservation("c1", "net1"),
            "10.1.2.4": reservation("c2"), "2001:db8:1::4": reservation("c2"),
        ])
        // DEL never moves the round-robin pointer.
        #expect(net.lastReserved(0) == "10.1.2.4")
    }

    @Test("DEL succeeds when nothing was allocated, on a store that does not exist yet")
    func nothingAllocated() {
        let net = TestNetwork(ipam: Self.dualStack)
        let del = net.del("never-added")
        #expect(del.succeeded, "\(del)")
        #expect(del.process.stdout.isEmpty)
    }

    @Test("a second DEL succeeds too")
    func deleteTwice() {
        let net = TestNetwork(ipam: Self.dualStack)
        #expect(net.add("c1").succeeded)
        #expect(net.del("c1").succeeded)
        #expect(net.del("c1").succeeded)
        #expect(net.ipFiles.isEmpty)
    }

    @Test("DEL works with an empty CNI_NETNS (the namespace is already gone)")
    func emptyNetns() {
        let net = TestNetwork(ipam: Self.dualStack)
        #expect(net.add("c1").succeeded)
        let del = net.del("c1", netns: "")
        #expect(del.succeeded, "\(del)")
        #expect(net.ipFiles.isEmpty)
    }

    @Test("DEL releases addresses outside today's ranges, and legacy files holding just the container ID")
    func releasesWhateverTheRanges() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#)
        #expect(net.add("c1").succeeded)
        writeFile(net.store + "/192.168.5.5", reservation("c1"))
        writeFile(net.store + "/10.1.2.200", "other\r\neth0")
        #expect(net.del("c1").succeeded)
        #expect(net.ipFiles == ["10.1.2.200": reservation("other")])
        // A legacy file (an old reference wrote only the ID) is released when no exact one exists.
        writeFile(net.store + "/10.1.2.201", "legacy\n")
        #expect(net.del("legacy").succeeded)
        #expect(net.ipFiles == ["10.1.2.200": reservation("other")])
    }

    @Test("a config error fails DEL, as in the reference")
    func configErrorFailsDelete() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.10.0.0/31"}]]"#)
        let del = net.del("c1")
        #expect(del.error?.message == "invalid range set 0: Network 10.10.0.0/31 too small to allocate from", "\(del)")
        #expect(del.error?.code == 7)
    }
}
