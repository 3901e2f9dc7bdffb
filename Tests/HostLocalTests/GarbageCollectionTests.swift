import TestKit
import Testing

/// GC (spec 1.1.0): release every reservation not in the valid list; the
/// reference has none (REFERENCE §3.6).
@Suite("GC")
struct GarbageCollectionTests {
    static let dualStack = #""ranges": [[{"subnet": "10.1.2.0/24"}], [{"subnet": "2001:db8:1::/64"}]]"#

    /// A store with c1/eth0, c2/eth0 and c3/net1, each dual stack.
    static func populated() -> TestNetwork {
        let net = TestNetwork(ipam: dualStack, version: "1.1.0")
        for (id, ifname) in [("c1", "eth0"), ("c2", "eth0"), ("c3", "net1")] {
            #expect(net.add(id, ifname: ifname).succeeded)
        }
        return net
    }

    @Test("GC releases only the attachments missing from the list", arguments: ["cni.dev/valid-attachments", "cni.dev/attachments"])
    func releasesInvalidOnly(key: String) {
        let net = Self.populated()
        let lastReserved = [net.lastReserved(0), net.lastReserved(1)]
        // c3 is valid with net1 only; c2 is gone.
        let gc = net.gc(valid: [("c1", "eth0"), ("c3", "net1"), ("c3", "eth0")], key: key)
        #expect(gc.succeeded, "\(gc)")
        #expect(gc.process.stdout.isEmpty)
        #expect(net.ipFiles == [
            "10.1.2.2": reservation("c1"), "2001:db8:1::2": reservation("c1"),
            "10.1.2.4": reservation("c3", "net1"), "2001:db8:1::4": reservation("c3", "net1"),
        ])
        #expect([net.lastReserved(0), net.lastReserved(1)] == lastReserved)
        #expect(exists(net.store + "/lock"))
    }

    @Test("GC keeps a legacy file when some valid attachment has its container ID")
    func legacyFiles() {
        let net = Self.populated()
        writeFile(net.store + "/10.1.2.100", "old1")
        writeFile(net.store + "/10.1.2.101", "old2")
        #expect(net.gc(valid: [("old1", "eth0")]).succeeded)
        #expect(net.ipFiles == ["10.1.2.100": "old1"])
    }

    @Test("GC matches a reservation rewritten in place as a legacy file by its container ID; a later DEL of any interface releases it")
    func legacyRewrittenInPlace() {
        let net = Self.populated()
        writeFile(net.store + "/10.1.2.2", "c1")
        #expect(net.gc(valid: [("c1", "net9"), ("c2", "eth0"), ("c3", "net1")]).succeeded)
        #expect(net.ipFiles["10.1.2.2"] == "c1")
        // c1/eth0's other file holds the exact key: it goes by GC (eth0 is not valid).
        #expect(net.ipFiles["2001:db8:1::2"] == nil)
        #expect(net.del("c1", ifname: "net9").succeeded)
        #expect(net.ipFiles["10.1.2.2"] == nil)
        #expect(net.ipFiles.count == 4)
    }

    @Test("GC matches as DEL does, on trimmed content: a file whose container ID part carries spaces is nobody's")
    func spacedContainerID() {
        let net = Self.populated()
        writeFile(net.store + "/10.1.2.100", " c1 \r\neth0\n")
        writeFile(net.store + "/10.1.2.101", " c2 \n")
        // " c3 " is the ID c3 once trimmed, as CNI_CONTAINERID would be.
        let gc = net.gc(valid: [("c1", "eth0"), ("c2", "eth0"), (" c3 ", "net1")])
        #expect(gc.succeeded, "\(gc)")
        #expect(net.ipFiles["10.1.2.100"] == nil)
        #expect(net.ipFiles["10.1.2.101"] == " c2 \n")
        #expect(net.ipFiles["10.1.2.4"] == reservation("c3", "net1"))
        #expect(net.ipFiles.count == 7)
    }

    @Test("GC with an empty or null list releases everything, and leaves other files alone",
          arguments: ["[]", "null"], ["cni.dev/valid-attachments", "cni.dev/attachments"])
    func emptyList(list: String, key: String) {
        let net = Self.populated()
        writeFile(net.store + "/notes.txt", reservation("c2"))
        let gc = net.gc(listJSON: list, key: key)
        #expect(gc.succeeded, "\(gc)")
        #expect(net.ipFiles == ["notes.txt": reservation("c2")])
        #expect(net.add("c4").succeeded)
    }

    @Test("GC without an attachment list releases nothing")
    func noList() {
        let net = Self.populated()
        let before = net.ipFiles
        let gc = net.gc(valid: nil)
        #expect(gc.succeeded, "\(gc)")
        #expect(gc.process.stdout.isEmpty)
        #expect(net.ipFiles == before)
        #expect(before.count == 6)
        // And the store's own state agrees: the next ADD gets a new address.
        #expect(net.add("c4").succeeded)
        #expect(net.ipFiles.count == 8)
    }

    @Test("GC with a list that is not a list of objects is code 7 and releases nothing",
          arguments: ["{}", "\"c1\"", "[\"c1\"]", "7"])
    func malformedList(list: String) {
        let net = Self.populated()
        let gc = net.gc(listJSON: list)
        #expect(gc.error?.code == 7, "\(gc)")
        #expect(net.ipFiles.count == 6)
    }

    @Test("GC is refused for configs older than 1.1.0")
    func oldVersion() {
        let net = Self.populated()
        var call = net.request("GC", version: "1.0.0", extra: #""cni.dev/valid-attachments": []"#)
        call.containerID = ""
        call.ifname = ""
        let gc = call.run(.ours)
        #expect(gc.error == PluginError(code: 1, message: "config version does not allow GC", details: nil), "\(gc)")
        #expect(net.ipFiles.count == 6)
    }
}
