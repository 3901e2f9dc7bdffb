import CNISpec
import Glibc
import TestKit
import Testing
@testable import IPAM

/// A damaged `.index` is rebuilt from the reservation files, never
/// believed: whatever was done to it, lookups still find every reservation
/// and an ADD never gets an address that is held.
@Suite("Disk store: a damaged index")
struct DiskStoreDamageTests {
    let temp = TemporaryDirectory()
    let sets = [rangeSet("10.0.0.0/24")]

    /// One way of damaging the index of the store at `path`. Unless
    /// `hidden` is false, the mtimes of the store, `.index` and the stamp
    /// are put back afterwards, so the damage is not given away by them.
    /// (A bucket removed with `.index`'s mtime put back by hand is the one
    /// damage that goes unseen: a missing bucket is an empty one.)
    struct Damage: CustomTestStringConvertible, Sendable {
        let testDescription: String
        var hidden = true
        let apply: @Sendable (_ index: String) -> Void
    }

    static let damages: [Damage] = [
        Damage(testDescription: "every bucket truncated to half") { index in
            forEachBucket(index) { path in
                let bytes = readFile(path)!
                writeText(path, String(decoding: bytes[..<(bytes.count / 2)], as: UTF8.self))
            }
        },
        Damage(testDescription: "every bucket truncated to its header (whole lines, well formed)") { index in
            forEachBucket(index) { writeText($0, "# swift-cni host-local index v2\n") }
        },
        Damage(testDescription: "every bucket emptied") { index in
            forEachBucket(index) { writeText($0, "") }
        },
        Damage(testDescription: "garbage in every bucket") { index in
            forEachBucket(index) { writeText($0, "\u{1}\u{2}garbage\r\nc1\r\neth0\u{0}") }
        },
        Damage(testDescription: "a bucket 2 MiB long") { index in
            forEachBucket(index) { writeText($0, "# swift-cni host-local index v2\n" + String(repeating: "x", count: 2 << 20)) }
        },
        Damage(testDescription: "every bucket replaced by a directory") { index in
            forEachBucket(index) { path in
                unlink(path)
                mkdir(path, 0o700)
                writeText(path + "/inside", "x")
            }
        },
        Damage(testDescription: "every bucket replaced by a FIFO") { index in
            forEachBucket(index) { path in
                unlink(path)
                mkfifo(path, 0o600)
            }
        },
        Damage(testDescription: "every bucket removed", hidden: false) { index in
            forEachBucket(index) { unlink($0) }
        },
        Damage(testDescription: "the stamp removed") { index in unlink(index + "/stamp-v2") },
        Damage(testDescription: "the stamp replaced by a directory") { index in
            unlink(index + "/stamp-v2")
            mkdir(index + "/stamp-v2", 0o700)
        },
        Damage(testDescription: "the stamp with a wrong time") { index in setMtime(index + "/stamp-v2", timespec(tv_sec: 12345, tv_nsec: 678)) },
        Damage(testDescription: "tmp is a file") { index in
            removeTree(index + "/tmp")
            writeText(index + "/tmp", "not a directory")
        },
        Damage(testDescription: ".index replaced by a file") { index in
            removeTree(index)
            writeText(index, "not a directory")
        },
        Damage(testDescription: ".index unreadable (mode 000)") { index in chmod(index, 0) },
        Damage(testDescription: "foreign files and directories inside .index", hidden: false) { index in
            writeText(index + "/b zz", "x")
            mkdir(index + "/junk", 0o700)
            writeText(index + "/junk/b000", "x")
        },
    ]

    static func forEachBucket(_ index: String, _ body: (String) -> Void) {
        for name in directoryEntries(index) where name.count == 4 && name.hasPrefix("b") { body(index + "/" + name) }
    }

    private func allocator(_ store: DiskStore) -> Allocator<DiskStore> { Allocator(rangeSets: sets, store: store) }

    @Test("a damaged index is rebuilt: every reservation is found, released, and never handed out again", arguments: damages)
    func rebuilt(_ damage: Damage) throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        try store.withLock { () throws(CNIError) in
            for id in ["a", "b", "c", "d"] { _ = try allocator(store).allocate(for: Attachment(containerID: id, ifname: "eth0")) }
        }
        writeText(store.path + "/10.0.0.50", "legacy")
        try store.withLock { () throws(CNIError) in _ = try allocator(store).release(Attachment(containerID: "b", ifname: "eth0")) }
        // Trusted now: same mtimes on the store, .index and the stamp.
        let index = store.path + "/.index"
        let stamp = mtime(store.path)
        #expect(mtime(index + "/stamp-v2").tv_nsec == stamp.tv_nsec)
        damage.apply(index)
        setMtime(store.path, stamp)
        if damage.hidden, fileMode(index).map({ $0 & S_IFMT == S_IFDIR }) == true {
            setMtime(index, stamp)
            if fileMode(index + "/stamp-v2").map({ $0 & S_IFMT == S_IFREG }) == true && damage.testDescription != "the stamp with a wrong time" {
                setMtime(index + "/stamp-v2", stamp)
            }
        }

        func find(_ id: String, _ ifname: String = "eth0") throws -> [IPAddress] {
            try store.withLock { () throws(CNIError) in try allocator(store).find(Attachment(containerID: id, ifname: ifname)) }
        }
        #expect(try find("a") == [ip("10.0.0.2")])
        #expect(try find("c") == [ip("10.0.0.4")])
        #expect(try find("legacy", "net9") == [ip("10.0.0.50")])
        #expect(try find("b") == [])
        // A duplicate is still one.
        let duplicate = caught { () throws(CNIError) in try store.withLock { () throws(CNIError) in try allocator(store).allocate(for: Attachment(containerID: "d", ifname: "eth0")) } }
        #expect(duplicate?.message == "failed to allocate for range 0: 10.0.0.5 has been allocated to d, duplicate allocation is not allowed")
        // New addresses are free ones, round-robin after the last reserved.
        let next = try store.withLock { () throws(CNIError) in try allocator(store).allocate(for: Attachment(containerID: "e", ifname: "eth0")) }
        #expect(next.first?.address == cidr("10.0.0.6/24"))
        #expect(try store.withLock { () throws(CNIError) in try allocator(store).release(Attachment(containerID: "a", ifname: "eth0")) }.map(\.name) == ["10.0.0.2"])
        #expect(!exists(store.path + "/10.0.0.2"))

        // The rebuilt index is whole again: trusted, well formed, nothing foreign left in it.
        #expect(fileMode(index).map { $0 & S_IFMT } == S_IFDIR)
        let top = mtime(store.path)
        #expect(top.tv_nsec != 0 && mtime(index + "/stamp-v2").tv_nsec == top.tv_nsec && mtime(index).tv_nsec == top.tv_nsec)
        for name in directoryEntries(index) {
            #expect(name == "stamp-v2" || name == "tmp" || (name.count == 4 && name.hasPrefix("b")), "left in .index: \(name)")
            if name.count == 4 && name.hasPrefix("b") {
                #expect(fileMode(index + "/" + name).map { $0 & S_IFMT } == S_IFREG)
                #expect(readText(index + "/" + name)?.hasPrefix("# swift-cni host-local index v2\n") == true)
            }
        }
        #expect(directoryEntries(store.path).filter { !$0.hasPrefix(".") } == ["10.0.0.4", "10.0.0.5", "10.0.0.50", "10.0.0.6", "last_reserved_ip.0", "lock"])
    }

    @Test("a bucket rewritten behind our back after the stamp is not believed, even when well formed")
    func bucketNewerThanStamp() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        _ = try store.withLock { () throws(CNIError) in try allocator(store).allocate(for: Attachment(containerID: "a", ifname: "eth0")) }
        // A well-formed bucket that says nothing about "a", in place: only its own mtime changes.
        DiskStoreDamageTests.forEachBucket(store.path + "/.index") { writeText($0, "# swift-cni host-local index v2\n10.0.0.99 zz%0D%0Aeth0\n") }
        #expect(try store.withLock { () throws(CNIError) in try allocator(store).find(Attachment(containerID: "a", ifname: "eth0")) } == [ip("10.0.0.2")])
        #expect(try store.withLock { () throws(CNIError) in try allocator(store).find(Attachment(containerID: "zz", ifname: "eth0")) } == [])
    }

    @Test("the named fallback (no O_TMPFILE): reservations complete, no temp file left, the same files as the fast path")
    func namedFallback() throws {
        let store = try #require(try DiskStore.open(dataDir: temp.path, network: "n", access: .readWrite, unnamedFiles: false))
        writeText(store.path + "/10.0.0.3", "x\r\neth0")
        let allocated = try store.withLock { () throws(CNIError) in
            try ["a", "b"].map { id throws(CNIError) in try allocator(store).allocate(for: Attachment(containerID: id, ifname: "eth0")).first!.address.address }
        }
        #expect(allocated == [ip("10.0.0.2"), ip("10.0.0.4")])
        #expect(readText(store.path + "/10.0.0.2") == "a\r\neth0")
        #expect(readText(store.path + "/10.0.0.4") == "b\r\neth0")
        #expect(fileMode(store.path + "/10.0.0.4").map { $0 & 0o777 } == 0o600)
        #expect(directoryEntries(store.path + "/.index/tmp").isEmpty)
        #expect(try store.withLock { () throws(CNIError) in try allocator(store).release(Attachment(containerID: "a", ifname: "eth0")) }.count == 1)
        #expect(directoryEntries(store.path) == [".index", "10.0.0.3", "10.0.0.4", "last_reserved_ip.0", "lock"])
    }

    @Test("a read-only session writes nothing: an untrusted or damaged index is read around, not rebuilt")
    func readOnlySession() throws {
        let writer = try DiskStore.open(dataDir: temp.path, network: "n")
        _ = try writer.withLock { () throws(CNIError) in try allocator(writer).allocate(for: Attachment(containerID: "a", ifname: "eth0")) }
        writeText(writer.path + "/10.0.0.9", "r\r\neth0")
        DiskStoreDamageTests.forEachBucket(writer.path + "/.index") { writeText($0, "garbage") }
        let before = directoryEntries(writer.path + "/.index").map { ($0, readText(writer.path + "/.index/" + $0) ?? "/", mtime(writer.path + "/.index/" + $0).tv_nsec) }
        let reader = try #require(try DiskStore.openForReading(dataDir: temp.path, network: "n"))
        let found = try reader.withLock { () throws(CNIError) in
            try ["a", "r", "zz"].map { id throws(CNIError) in try allocator(reader).find(Attachment(containerID: id, ifname: "eth0")) }
        }
        #expect(found == [[ip("10.0.0.2")], [ip("10.0.0.9")], []])
        let after = directoryEntries(writer.path + "/.index").map { ($0, readText(writer.path + "/.index/" + $0) ?? "/", mtime(writer.path + "/.index/" + $0).tv_nsec) }
        #expect(after.elementsEqual(before) { $0 == $1 })
        #expect(try DiskStore.openForReading(dataDir: temp.path, network: "missing") == nil)
        #expect(!exists(temp.path + "/missing"))
    }
}
