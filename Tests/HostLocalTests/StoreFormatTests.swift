import Glibc
import TestKit
import Testing

/// The store on disk, byte for byte the reference's (REFERENCE §3.4), so
/// both implementations can share it.
@Suite("On-disk store format")
struct StoreFormatTests {
    @Test("one file per address, named by its canonical text, holding id\\r\\nifname without a newline, mode 0600")
    func reservationFiles() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}], [{"subnet": "2001:0DB8:0000:0001::/64", "rangeStart": "2001:db8:0:1:0:0:0:00A0"}]]"#)
        let add = net.add("c1.x_y-Z")
        #expect(add.addresses == ["10.1.2.2/24", "2001:db8:0:1::a0/64"], "\(add)")
        #expect(directoryEntries(net.store) == [".index", "10.1.2.2", "2001:db8:0:1::a0", "last_reserved_ip.0", "last_reserved_ip.1", "lock"])
        for name in ["10.1.2.2", "2001:db8:0:1::a0"] {
            #expect(readFile(net.store + "/" + name) == Array("c1.x_y-Z\r\neth0".utf8))
            #expect(permissions(net.store + "/" + name) == 0o600)
        }
        #expect(readFile(net.store + "/last_reserved_ip.0") == Array("10.1.2.2".utf8))
        #expect(readFile(net.store + "/last_reserved_ip.1") == Array("2001:db8:0:1::a0".utf8))
        #expect(permissions(net.store + "/last_reserved_ip.0") == 0o600)
        #expect(fileType(net.store + "/lock") == S_IFREG)
        #expect(readFile(net.store + "/lock") == [])
        #expect(fileType(net.store) == S_IFDIR)
        #expect(permissions(net.store) == 0o755)
    }

    /// Our private index is trusted on its stamp alone, so an index written
    /// by another build must be laid out exactly as this build expects: any
    /// change of layout must rename `stamp-v2` (old indexes are then
    /// rebuilt), or a newer build misreads an older store (duplicate
    /// allocations, leaked addresses). Layout v1: a bucket per key, named
    /// `b%03x` of FNV-1a (64 bit) of the key's container ID (the bytes before
    /// its first `\r\n`) modulo 4096, holding a header line and `name key` lines
    /// with the key percent-encoded.
    @Test("the private index layout v2 is frozen (a change must rename stamp-v2)")
    func indexLayoutIsVersioned() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#)
        #expect(net.add("c1").succeeded)
        guard exists(net.store + "/.index/stamp-v2") else { return }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Array("c1".utf8) {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash % 4096, radix: 16)
        let bucket = net.store + "/.index/b" + String(repeating: "0", count: 3 - hex.count) + hex
        #expect(readText(bucket) == "# swift-cni host-local index v2\n10.1.2.2 c1%0D%0Aeth0\n",
                "index layout changed without a new stamp name: \(directoryEntries(net.store + "/.index"))")
    }

    @Test("IPv6 file names are RFC 5952 text, as Go prints them; IPv4-mapped addresses are IPv4", arguments: [
        ("2001:db8:0:1:0:0:1:0", "2001:db8:0:1::1:0"),
        ("2001:DB8:0:1:1:0:0:0", "2001:db8:0:1:1::"),
        ("2001:db8:0:1:1:0:1:1", "2001:db8:0:1:1:0:1:1"),
        ("2001:0db8:0000:0001:0000:0000:0000:abcd", "2001:db8:0:1::abcd"),
        ("::ffff:10.1.2.9", "10.1.2.9"),
    ])
    func canonicalNames(requested: String, fileName: String) {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}], [{"subnet": "2001:db8:0:1::/64"}]]"#,
                              topLevel: #""runtimeConfig": {"ips": ["\#(requested)"]}"#)
        let add = net.add("c1")
        #expect(add.succeeded, "\(add)")
        #expect(net.ipFiles[fileName] == reservation("c1"), "\(directoryEntries(net.store))")
    }

    @Test("every verb writes only under <dataDir>/<name>")
    func nothingOutsideTheStore() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}], [{"subnet": "2001:db8::/64"}]]"#, version: "1.1.0")
        makeDirectory(net.dataDir)
        makeDirectory(net.dataDir + "/other-net")
        writeFile(net.dataDir + "/other-net/10.1.2.2", reservation("c1"))
        writeFile(net.scratch.sub("sibling"), reservation("c1"))
        let before = treeListing(net.scratch.path)
        #expect(net.add("c1").succeeded)
        #expect(net.add("c2", args: "IP=10.1.2.50").succeeded)
        #expect(net.check("c1").succeeded)
        #expect(net.status().succeeded)
        #expect(net.del("c1").succeeded)
        #expect(net.gc(valid: []).succeeded)
        let after = treeListing(net.scratch.path).filter { !$0.hasPrefix("data/testnet") }
        #expect(after == before)
        #expect(readText(net.dataDir + "/other-net/10.1.2.2") == reservation("c1"))
        #expect(readText(net.scratch.sub("sibling")) == reservation("c1"))
    }

    @Test("a symlink planted as the store directory is not followed, by any verb")
    func storeDirectorySymlink() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#, version: "1.1.0")
        let elsewhere = net.scratch.sub("elsewhere")
        makeDirectory(elsewhere)
        makeDirectory(net.dataDir)
        makeSymlink(net.store, pointingTo: elsewhere)
        let add = net.add("c1")
        #expect(add.error != nil, "\(add)")
        for outcome in [net.del("c1"), net.check("c1"), net.status(), net.gc(valid: [])] {
            #expect(outcome.succeeded || outcome.error != nil, "\(outcome)")
        }
        #expect(directoryEntries(elsewhere) == [])
        #expect(fileType(net.store) == S_IFLNK)
    }

    @Test("a symlink planted with an address's name is taken, never followed, never released")
    func addressSymlink() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#, version: "1.1.0")
        makeDirectory(net.dataDir)
        makeDirectory(net.store)
        let target = net.scratch.sub("target")
        let victim = net.scratch.sub("victim")
        writeFile(victim, reservation("c9"))
        makeSymlink(net.store + "/10.1.2.2", pointingTo: target)
        makeSymlink(net.store + "/10.1.2.4", pointingTo: victim)

        #expect(net.add("c1").addresses == ["10.1.2.3/24"])
        #expect(net.add("c2").addresses == ["10.1.2.5/24"])
        #expect(!exists(target))
        #expect(net.check("c9").error != nil)
        #expect(net.del("c9").succeeded)
        #expect(net.gc(valid: []).succeeded)
        #expect(readText(victim) == reservation("c9"))
        #expect(fileType(net.store + "/10.1.2.2") == S_IFLNK)
        #expect(fileType(net.store + "/10.1.2.4") == S_IFLNK)
    }

    @Test("a FIFO or a directory planted with an address's name is taken, and blocks no verb")
    func specialFiles() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/29"}]]"#, version: "1.1.0")
        makeDirectory(net.dataDir)
        makeDirectory(net.store)
        #expect(mkfifo(net.store + "/10.1.2.2", 0o600) == 0)
        makeDirectory(net.store + "/10.1.2.3")
        #expect(net.add("c1").addresses == ["10.1.2.4/29"])
        #expect(net.check("c1").succeeded)
        #expect(net.status().succeeded)
        #expect(net.gc(valid: [("c1", "eth0")]).succeeded)
        #expect(net.del("c1").succeeded)
        #expect(net.del("c2").succeeded)
        #expect(fileType(net.store + "/10.1.2.2") == S_IFIFO)
        #expect(fileType(net.store + "/10.1.2.3") == S_IFDIR)
    }

    @Test("symlinks planted as last_reserved_ip.0, lock or .index are not written through")
    func bookkeepingSymlinks() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#)
        makeDirectory(net.dataDir)
        makeDirectory(net.store)
        let pointer = net.scratch.sub("pointer")
        writeFile(pointer, "keep")
        makeSymlink(net.store + "/last_reserved_ip.0", pointingTo: pointer)
        let index = net.scratch.sub("index")
        makeDirectory(index)
        makeSymlink(net.store + "/.index", pointingTo: index)
        #expect(net.add("c1").succeeded)
        #expect(readText(pointer) == "keep")
        #expect(directoryEntries(index) == [])
        #expect(readText(net.store + "/last_reserved_ip.0") == "10.1.2.2")

        let other = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#)
        makeDirectory(other.dataDir)
        makeDirectory(other.store)
        let lock = other.scratch.sub("lock-target")
        makeSymlink(other.store + "/lock", pointingTo: lock)
        let add = other.add("c1")
        #expect(add.succeeded || add.error != nil, "\(add)")
        #expect(!exists(lock))
    }

    @Test("names that would leave dataDir are refused (code 7 or 4) before anything is created", arguments: [
        ("name", "../escape"), ("name", "a/b"), ("name", ".."), ("name", "."), ("name", "a\\u0000b"), ("name", ""),
        ("containerID", "../x"), ("containerID", ".."), ("ifname", "../x"), ("ifname", ".."),
    ])
    func escapingNames(field: String, value: String) {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#, name: field == "name" ? value : "testnet")
        for command in ["ADD", "DEL", "CHECK"] {
            var call = net.request(command, field == "containerID" ? value : "c1", ifname: field == "ifname" ? value : "eth0")
            if field == "name" && value.isEmpty {
                call.stdin = Array(#"{"cniVersion": "1.0.0", "ipam": {"type": "host-local", "dataDir": "\#(net.dataDir)", "subnet": "10.1.2.0/24"}}"#.utf8)
            }
            let outcome = call.run(.ours)
            #expect(outcome.error?.code == (field == "name" ? 7 : 4), "\(command): \(outcome)")
        }
        #expect(treeListing(net.scratch.path) == [])
    }
}
