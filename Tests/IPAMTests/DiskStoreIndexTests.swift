import CNISpec
import Glibc
import TestKit
import Testing
@testable import IPAM

/// The private index: trusted only while nothing changed behind our back,
/// rebuilt otherwise, and harmless after a crash.
@Suite("Disk store: index")
struct DiskStoreIndexTests {
    let temp = TemporaryDirectory()
    let sets = [rangeSet("10.0.0.0/24")]

    private func allocator(_ store: DiskStore) -> Allocator<DiskStore> { Allocator(rangeSets: sets, store: store) }

    private func allocate(_ store: DiskStore, _ id: String) throws(CNIError) -> IPAddress? {
        try store.withLock { () throws(CNIError) in try allocator(store).allocate(for: Attachment(containerID: id, ifname: "eth0")) }.first?.address.address
    }

    private func find(_ store: DiskStore, _ id: String) throws -> [IPAddress] {
        try store.withLock { () throws(CNIError) in try allocator(store).find(Attachment(containerID: id, ifname: "eth0")) }
    }

    private func release(_ store: DiskStore, _ id: String) throws -> [Reservation] {
        try store.withLock { () throws(CNIError) in try allocator(store).release(Attachment(containerID: id, ifname: "eth0")) }
    }

    @Test("after a session the top directory, .index and the stamp share one mtime with nonzero nanoseconds")
    func stamped() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        _ = try allocate(store, "a")
        let top = mtime(store.path)
        #expect(top.tv_nsec != 0)
        #expect(mtime(store.path + "/.index").tv_sec == top.tv_sec && mtime(store.path + "/.index").tv_nsec == top.tv_nsec)
        let stamp = mtime(store.path + "/.index/stamp-v2")
        #expect(stamp.tv_sec == top.tv_sec && stamp.tv_nsec == top.tv_nsec)
    }

    @Test("a trusted index is used without scanning the store")
    func noScanWhenTrusted() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        _ = try allocate(store, "a")
        // Plant a reservation and put the stamp back, hiding the change: a
        // store that scanned would see it, the index does not.
        let stamp = mtime(store.path)
        writeText(store.path + "/10.0.0.50", "hidden\r\neth0")
        setMtime(store.path, stamp)
        #expect(try find(store, "hidden") == [])
        // Any visible change (here: touching the directory) brings it back.
        setMtime(store.path, timespec(tv_sec: stamp.tv_sec, tv_nsec: stamp.tv_nsec == 1 ? 2 : 1))
        #expect(try find(store, "hidden") == [ip("10.0.0.50")])
    }

    @Test("a reservation created behind our back is seen (duplicate check, find, release)")
    func foreignCreation() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        _ = try allocate(store, "a")
        writeText(store.path + "/10.0.0.77", "ref\r\neth0")
        #expect(try find(store, "ref") == [ip("10.0.0.77")])
        let duplicate = caught { () throws(CNIError) in try allocate(store, "ref") }
        #expect(duplicate?.message.hasSuffix("10.0.0.77 has been allocated to ref, duplicate allocation is not allowed") == true)
        #expect(try release(store, "ref").map(\.name) == ["10.0.0.77"])
        #expect(!exists(store.path + "/10.0.0.77"))
    }

    @Test("a reservation removed behind our back is forgotten; its address can be allocated again")
    func foreignRemoval() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        #expect(try allocate(store, "a") == ip("10.0.0.2"))
        unlink(store.path + "/10.0.0.2")
        #expect(try find(store, "a") == [])
        #expect(try allocate(store, "a") == ip("10.0.0.3"))
        #expect(try release(store, "a").map(\.name) == ["10.0.0.3"])
    }

    @Test("a file rewritten in place for another owner is never released for the old one")
    func releaseChecksContent() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        #expect(try allocate(store, "a") == ip("10.0.0.2"))
        // Same name, new content, directory untouched: the index still says "a".
        let stamp = mtime(store.path)
        writeText(store.path + "/10.0.0.2", "b\r\neth0")
        setMtime(store.path, stamp)
        #expect(try release(store, "a").isEmpty)
        #expect(readText(store.path + "/10.0.0.2") == "b\r\neth0")
        #expect(try find(store, "a") == [])
    }

    @Test("a reservation rewritten in place as a legacy file is found, counted as a duplicate and released")
    func rewrittenAsLegacy() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        #expect(try allocate(store, "a") == ip("10.0.0.2"))
        #expect(try allocate(store, "b") == ip("10.0.0.3"))
        // Upstream's own test does this: truncate and write, the directory untouched.
        writeText(store.path + "/10.0.0.2", "a")
        #expect(try find(store, "a") == [ip("10.0.0.2")])
        let duplicate = caught { () throws(CNIError) in try allocate(store, "a") }
        #expect(duplicate?.message == "failed to allocate for range 0: 10.0.0.2 has been allocated to a, duplicate allocation is not allowed")
        #expect(try release(store, "a").map(\.name) == ["10.0.0.2"])
        #expect(!exists(store.path + "/10.0.0.2"))
        #expect(try find(store, "b") == [ip("10.0.0.3")])
    }

    @Test("a legacy file rewritten in place in the current format is found by its exact key")
    func legacyRewrittenAsExact() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        writeText(store.path + "/10.0.0.9", "a")
        #expect(try allocate(store, "b") == ip("10.0.0.2"))
        writeText(store.path + "/10.0.0.9", "a\r\neth0")
        #expect(try store.withLock { () throws(CNIError) in try store.reservations(for: .attachment(Attachment(containerID: "a", ifname: "eth0"))) }.map(\.name) == ["10.0.0.9"])
        #expect(try store.withLock { () throws(CNIError) in try store.reservations(for: .legacy(containerID: "a")) }.isEmpty)
    }

    @Test("crash leftovers are harmless: temp files, an unfinished stamp, a torn bucket")
    func crashLeftovers() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        #expect(try allocate(store, "a") == ip("10.0.0.2"))
        #expect(try allocate(store, "b") == ip("10.0.0.3"))
        let index = store.path + "/.index"
        // What a process killed half-way through a session leaves behind:
        mkdir(index + "/tmp", 0o700)
        writeText(index + "/tmp/.tmp-reservation", "dead\r\neth0")
        writeText(index + "/.tmp-other", "dead\r\neth0")
        setMtime(index + "/stamp-v2", timespec(tv_sec: 0, tv_nsec: 0))
        for name in directoryEntries(index) where name.hasPrefix("b") { writeText(index + "/" + name, "# swift-cni host-local index v2\n10.0.0.2 a%0") }
        #expect(try find(store, "a") == [ip("10.0.0.2")])
        #expect(try find(store, "b") == [ip("10.0.0.3")])
        #expect(try find(store, "dead") == [])
        #expect(!directoryEntries(index).contains { $0.hasPrefix(".tmp") })
        #expect(directoryEntries(index + "/tmp").isEmpty)
        #expect(try allocate(store, "c") == ip("10.0.0.4"))
        #expect(readText(store.path + "/last_reserved_ip.0") == "10.0.0.4")
    }

    @Test("a missing or replaced .index is rebuilt")
    func indexRemoved() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        _ = try allocate(store, "a")
        removeTree(store.path + "/.index")
        #expect(try find(store, "a") == [ip("10.0.0.2")])
        removeTree(store.path + "/.index")
        writeText(store.path + "/.index", "not a directory")
        #expect(try find(store, "a") == [ip("10.0.0.2")])
        #expect(fileMode(store.path + "/.index").map { $0 & S_IFMT } == S_IFDIR)
    }

    @Test("GC on disk: scans, releases the invalid, keeps lock and last_reserved_ip")
    func garbageCollect() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        for id in ["a", "b", "c"] { _ = try allocate(store, id) }
        writeText(store.path + "/10.0.0.99", "old")
        let released = try store.withLock { () throws(CNIError) in
            try allocator(store).garbageCollect(valid: [Attachment(containerID: "b", ifname: "eth0")])
        }
        #expect(Set(released.map(\.name)) == ["10.0.0.2", "10.0.0.4", "10.0.0.99"])
        #expect(directoryEntries(store.path) == [".index", "10.0.0.3", "last_reserved_ip.0", "lock"])
        #expect(try find(store, "b") == [ip("10.0.0.3")])
    }

    @Test("many reservations sharing buckets stay distinct")
    func manyKeys() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        let wide = [rangeSet("10.0.0.0/16")]
        let allocator = Allocator(rangeSets: wide, store: store)
        try store.withLock { () throws(CNIError) in
            for n in 0..<600 { _ = try allocator.allocate(for: Attachment(containerID: "c\(n)", ifname: "eth0")) }
        }
        let found = try store.withLock { () throws(CNIError) in try allocator.find(Attachment(containerID: "c599", ifname: "eth0")) }
        #expect(found == [ip("10.0.2.89")])
        let released = try store.withLock { () throws(CNIError) in
            var all: [Reservation] = []
            for n in stride(from: 0, to: 600, by: 2) { all += try allocator.release(Attachment(containerID: "c\(n)", ifname: "eth0")) }
            return all
        }
        #expect(released.count == 300)
        #expect(directoryEntries(store.path).count == 300 + 3)
        // A rebuild from scratch agrees with the incrementally kept index.
        removeTree(store.path + "/.index")
        for n in [1, 2, 301, 598, 599] {
            let expected = n % 2 == 0 ? [] : [IPAddress.v4(0x0a00_0002 + UInt32(n))]
            #expect(try store.withLock { () throws(CNIError) in try allocator.find(Attachment(containerID: "c\(n)", ifname: "eth0")) } == expected)
        }
    }
}
