import CNISpec
import Glibc
import TestKit
import Testing
@testable import IPAM

/// Nothing is written outside the store; planted symlinks are never followed.
@Suite("Disk store: symlinks and odd files")
struct DiskStoreSafetyTests {
    let temp = TemporaryDirectory()
    let sets = [rangeSet("10.0.0.0/24")]

    private func allocate(_ store: DiskStore, _ id: String) throws(CNIError) -> IPAddress? {
        try store.withLock { () throws(CNIError) in
            try Allocator(rangeSets: sets, store: store).allocate(for: Attachment(containerID: id, ifname: "eth0"))
        }.first?.address.address
    }

    @Test("a store directory that is a symlink is refused, and its target untouched")
    func storeIsSymlink() {
        _ = mkdir(temp.sub("elsewhere"), 0o755)
        _ = mkdir(temp.sub("data"), 0o755)
        symlink(temp.sub("elsewhere"), temp.sub("data/net"))
        let error = caught { () throws(CNIError) in try DiskStore.open(dataDir: temp.sub("data"), network: "net") }
        #expect(error?.message == "open \(temp.sub("data/net")): is a symbolic link; refusing to follow it")
        #expect(directoryEntries(temp.sub("elsewhere")).isEmpty)
    }

    @Test("a lock file that is a symlink is refused")
    func lockIsSymlink() {
        _ = mkdir(temp.sub("net"), 0o755)
        symlink(temp.sub("target"), temp.sub("net/lock"))
        let error = caught { () throws(CNIError) in try DiskStore.open(dataDir: temp.path, network: "net") }
        #expect(error?.code == .internal)
        #expect(!exists(temp.sub("target")))
    }

    @Test("a symlink planted as an address's file takes the address and is never followed")
    func addressIsSymlink() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        writeText(temp.sub("victim"), "precious")
        symlink(temp.sub("victim"), store.path + "/10.0.0.2")
        symlink(temp.sub("nowhere"), store.path + "/10.0.0.3")
        #expect(try allocate(store, "a") == ip("10.0.0.4"))
        #expect(readText(temp.sub("victim")) == "precious")
        #expect(!exists(temp.sub("nowhere")))
        // Not a reservation of anyone: release and GC leave it alone.
        writeText(temp.sub("victim"), "a\r\neth0")
        let allocator = Allocator(rangeSets: sets, store: store)
        let released = try store.withLock { () throws(CNIError) in try allocator.release(Attachment(containerID: "a", ifname: "eth0")) }
        #expect(released.map(\.name) == ["10.0.0.4"])
        _ = try store.withLock { () throws(CNIError) in try allocator.garbageCollect(valid: []) }
        #expect(isSymlink(store.path + "/10.0.0.2"))
        #expect(readText(temp.sub("victim")) == "a\r\neth0")
    }

    @Test("last_reserved_ip planted as a symlink is replaced, not written through")
    func lastReservedIsSymlink() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        writeText(temp.sub("victim"), "10.0.0.200")
        symlink(temp.sub("victim"), store.path + "/last_reserved_ip.0")
        // Not followed for reading either: allocation starts from rangeStart.
        #expect(try allocate(store, "a") == ip("10.0.0.2"))
        #expect(readText(temp.sub("victim")) == "10.0.0.200")
        #expect(!isSymlink(store.path + "/last_reserved_ip.0"))
        #expect(readText(store.path + "/last_reserved_ip.0") == "10.0.0.2")
    }

    @Test(".index planted as a symlink to another directory is replaced")
    func indexIsSymlink() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        _ = mkdir(temp.sub("victimdir"), 0o755)
        symlink(temp.sub("victimdir"), store.path + "/.index")
        _ = try allocate(store, "a")
        #expect(directoryEntries(temp.sub("victimdir")).isEmpty)
        #expect(fileMode(store.path + "/.index").map { $0 & S_IFMT } == S_IFDIR)
    }

    @Test("FIFOs, directories and non-address names are not reservations")
    func oddFiles() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        mkfifo(store.path + "/10.0.0.2", 0o600)
        _ = mkdir(store.path + "/10.0.0.3", 0o700)
        writeText(store.path + "/notes", "a\r\neth0")
        writeText(store.path + "/10.0.0.4.bak", "a\r\neth0")
        #expect(try allocate(store, "a") == ip("10.0.0.4"))
        let reservations = try store.withLock { () throws(CNIError) in try store.allReservations() }
        #expect(reservations.map(\.name) == ["10.0.0.4"])
    }
}
