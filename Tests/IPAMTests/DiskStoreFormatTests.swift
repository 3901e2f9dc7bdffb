import CNISpec
import Glibc
import TestKit
import Testing
@testable import IPAM

/// The on-disk format, byte for byte as the reference writes it (REFERENCE §3.4).
@Suite("Disk store: reference-compatible format")
struct DiskStoreFormatTests {
    let temp = TemporaryDirectory()

    private func allocate(_ store: DiskStore, _ sets: [RangeSet], _ id: String, _ ifname: String = "eth0") throws(CNIError) -> [AllocatedIP] {
        try store.withLock { () throws(CNIError) in
            try Allocator(rangeSets: sets, store: store).allocate(for: Attachment(containerID: id, ifname: ifname))
        }
    }

    @Test("an allocation writes <ip> = id\\r\\nifname and last_reserved_ip.N, mode 0600, plus a lock file")
    func files() throws {
        let store = try DiskStore.open(dataDir: temp.sub("networks"), network: "net1")
        #expect(store.path == temp.sub("networks/net1"))
        let sets = [rangeSet("10.1.2.0/24"), rangeSet("2001:db8:1::/64")]
        let result = try allocate(store, sets, "dummy")
        #expect(result.map(\.address.description) == ["10.1.2.2/24", "2001:db8:1::2/64"])

        let dir = store.path
        #expect(readText(dir + "/10.1.2.2") == "dummy\r\neth0")
        #expect(readText(dir + "/2001:db8:1::2") == "dummy\r\neth0")
        #expect(readText(dir + "/last_reserved_ip.0") == "10.1.2.2")
        #expect(readText(dir + "/last_reserved_ip.1") == "2001:db8:1::2")
        for name in ["10.1.2.2", "2001:db8:1::2", "last_reserved_ip.0", "last_reserved_ip.1"] {
            #expect(fileMode(dir + "/" + name) == S_IFREG | 0o600, "\(name)")
        }
        #expect(fileMode(dir + "/lock").map { $0 & S_IFMT } == S_IFREG)
        #expect(fileMode(dir + "/lock").map { $0 & 0o007 } == 0)
        #expect(fileMode(dir) == S_IFDIR | (0o755 & ~currentUmask()))
        #expect(fileMode(dir + "/.index").map { $0 & 0o777 } == 0o700)
        // Nothing else at the top; no temp files left behind.
        #expect(directoryEntries(dir) == [".index", "10.1.2.2", "2001:db8:1::2", "last_reserved_ip.0", "last_reserved_ip.1", "lock"])
        #expect(directoryEntries(dir + "/.index/tmp").isEmpty)
    }

    @Test("the data directory and its parents are created; the path is cleaned")
    func creation() throws {
        let store = try DiskStore.open(dataDir: temp.sub("a/b/../c//d/"), network: "n")
        #expect(store.path == temp.sub("a/c/d/n"))
        #expect(fileMode(temp.sub("a/c/d/n")).map { $0 & S_IFMT } == S_IFDIR)
        #expect(exists(temp.sub("a/c/d/n/lock")))
    }

    @Test("a data directory that is a file gives Go's mkdir error")
    func notADirectory() {
        writeText(temp.sub("file"), "")
        let error = caught { () throws(CNIError) in try DiskStore.open(dataDir: temp.sub("file"), network: "n") }
        #expect(error?.message == "mkdir \(temp.sub("file")): not a directory")
        #expect(error?.code == .internal)
    }

    @Test("network names that would leave the data directory are refused", arguments: ["", ".", "..", "a/b", "../etc"])
    func badNetworkNames(name: String) {
        let error = caught { () throws(CNIError) in try DiskStore.open(dataDir: temp.path, network: name) }
        #expect(error?.code == .invalidNetworkConfig)
        #expect(directoryEntries(temp.path).isEmpty)
    }

    @Test("round-robin continues across calls and processes, from last_reserved_ip")
    func roundRobinAcrossCalls() throws {
        let sets = [rangeSet("10.0.0.0/29")]
        let first = try DiskStore.open(dataDir: temp.path, network: "n")
        #expect(try allocate(first, sets, "a").first?.address == cidr("10.0.0.2/29"))
        try first.withLock { () throws(CNIError) in
            try Allocator(rangeSets: sets, store: first).release(Attachment(containerID: "a", ifname: "eth0"))
        }
        #expect(!exists(first.path + "/10.0.0.2"))
        let second = try DiskStore.open(dataDir: temp.path, network: "n")
        #expect(try allocate(second, sets, "b").first?.address == cidr("10.0.0.3/29"))
        #expect(readText(second.path + "/last_reserved_ip.0") == "10.0.0.3")
    }

    @Test("exhaustion, duplicates and release work on disk as in memory")
    func lifecycle() throws {
        let sets = [rangeSet("10.0.0.0/30")]
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        _ = try allocate(store, sets, "a")
        let duplicate = caught { () throws(CNIError) in try allocate(store, sets, "a") }
        #expect(duplicate?.message == "failed to allocate for range 0: 10.0.0.2 has been allocated to a, duplicate allocation is not allowed")
        let full = caught { () throws(CNIError) in try allocate(store, sets, "b") }
        #expect(full?.message == "failed to allocate for range 0: no IP addresses available in range set: 10.0.0.1-10.0.0.2")
        #expect(full?.code == .tryAgainLater)
        let exhausted = try Allocator(rangeSets: sets, store: store).exhaustedRangeSets()
        #expect(exhausted == [0])
        let found = try store.withLock { () throws(CNIError) in
            try Allocator(rangeSets: sets, store: store).find(Attachment(containerID: "a", ifname: "eth0"))
        }
        #expect(found == [ip("10.0.0.2")])
        try store.withLock { () throws(CNIError) in
            try Allocator(rangeSets: sets, store: store).release(Attachment(containerID: "a", ifname: "eth0"))
        }
        #expect(try Allocator(rangeSets: sets, store: store).exhaustedRangeSets() == [])
        #expect(try allocate(store, sets, "b").first?.address == cidr("10.0.0.2/30"))
    }

    @Test("a store written by the reference is read, extended and released correctly")
    func referenceWrittenStore() throws {
        // Exactly what the reference leaves: files by hand, no .index.
        let dir = temp.sub("cni")
        _ = mkdir(dir, 0o755)
        writeText(dir + "/lock", "", mode: 0o750)
        writeText(dir + "/10.1.2.2", "c1\r\neth0")
        writeText(dir + "/10.1.2.3", "c2")                     // legacy: id only
        writeText(dir + "/10.1.2.4", "c3\r\neth0", mode: 0o644) // v1.1.1 mode
        writeText(dir + "/2001:db8:1::2", "c1\r\neth0")
        writeText(dir + "/last_reserved_ip.0", "10.1.2.4")
        writeText(dir + "/last_reserved_ip.1", "2001:db8:1::2")
        let sets = [rangeSet("10.1.2.0/24"), rangeSet("2001:db8:1::/64")]
        let store = try DiskStore.open(dataDir: temp.path, network: "cni")

        let duplicate = caught { () throws(CNIError) in try allocate(store, sets, "c1") }
        #expect(duplicate?.message == "failed to allocate for range 0: 10.1.2.2 has been allocated to c1, duplicate allocation is not allowed")
        #expect(try allocate(store, sets, "c4").map(\.address.address) == [ip("10.1.2.5"), ip("2001:db8:1::3")])

        let allocator = Allocator(rangeSets: sets, store: store)
        let released = try store.withLock { () throws(CNIError) in try allocator.release(Attachment(containerID: "c1", ifname: "eth0")) }
        #expect(Set(released.map(\.name)) == ["10.1.2.2", "2001:db8:1::2"])
        // The legacy file of c2 goes with a DEL of any interface of c2.
        try store.withLock { () throws(CNIError) in try allocator.release(Attachment(containerID: "c2", ifname: "eth0")) }
        #expect(directoryEntries(dir).filter { $0.first != "." && $0 != "lock" }
            == ["10.1.2.4", "10.1.2.5", "2001:db8:1::3", "last_reserved_ip.0", "last_reserved_ip.1"])
        #expect(readText(dir + "/10.1.2.4") == "c3\r\neth0")
    }

    @Test("last_reserved_ip is rewritten exactly, also when the new text is shorter")
    func lastReservedShrinks() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        writeText(store.path + "/last_reserved_ip.0", "10.0.0.254")
        #expect(try allocate(store, [rangeSet("10.0.0.0/24")], "a").first?.address == cidr("10.0.0.2/24"))
        #expect(readText(store.path + "/last_reserved_ip.0") == "10.0.0.2")
        #expect(fileMode(store.path + "/last_reserved_ip.0") == S_IFREG | 0o600)
    }

    @Test("a failed dual-stack ADD leaves no reservation behind, on disk and in the index")
    func failedAddRollsBack() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        writeText(store.path + "/fd00::2", "x\r\neth0")
        writeText(store.path + "/fd00::3", "y\r\neth0")
        let sets = [rangeSet("10.0.0.0/30"), rangeSet("fd00::/126")]
        let error = caught { () throws(CNIError) in try allocate(store, sets, "a") }
        #expect(error?.message == "failed to allocate for range 1: no IP addresses available in range set: fd00::1-fd00::3")
        #expect(!exists(store.path + "/10.0.0.2"))
        let found = try store.withLock { () throws(CNIError) in
            try Allocator(rangeSets: sets, store: store).find(Attachment(containerID: "a", ifname: "eth0"))
        }
        #expect(found == [])
        writeText(store.path + "/fd00::3", "")
        unlink(store.path + "/fd00::3")
        #expect(try allocate(store, sets, "a").map(\.address.description) == ["10.0.0.2/30", "fd00::3/126"])
    }

    @Test("index files never look like reservations to the reference's walk")
    func indexFilesAreInert() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        let sets = [rangeSet("10.0.0.0/24")]
        for id in ["a", "b", "c"] { _ = try allocate(store, sets, id) }
        let indexDir = store.path + "/.index"
        let names = directoryEntries(indexDir)
        #expect(names.contains("stamp-v2"))
        for name in names where fileMode(indexDir + "/" + name).map({ $0 & S_IFMT }) == S_IFREG {
            let bytes = readFile(indexDir + "/" + name) ?? []
            #expect(!bytes.contains(0x0d), "\(name) holds a carriage return")
            #expect(bytes.first == UInt8(ascii: "#"), "\(name) does not start with #")
        }
    }
}
