import CNISpec
import Glibc
import TestKit
import Testing
@testable import IPAM

/// Reservations made in an earlier boot are released by the first ADD of a
/// new boot; nothing else ever is (REFERENCE §3.8 #1: the reference leaks
/// them all).
@Suite("Disk store: reclaiming reservations of an earlier boot")
struct DiskStoreRebootTests {
    let temp = TemporaryDirectory()
    let sets = [rangeSet("10.0.0.0/24")]
    static let bootA = BootID("aaaaaaaa-0000-4000-8000-000000000001")!
    static let bootB = BootID("bbbbbbbb-0000-4000-8000-000000000002")!
    static let bootC = BootID("cccccccc-0000-4000-8000-000000000003")!

    private func allocator(_ store: DiskStore) -> Allocator<DiskStore> { Allocator(rangeSets: sets, store: store) }

    /// An ADD as host-local makes it, in `boot` (nil: boots not tracked).
    @discardableResult
    private func add(_ store: DiskStore, _ id: String, boot: BootID?) throws(CNIError) -> (address: IPAddress?, reclaimed: [String]) {
        try store.withLock { () throws(CNIError) in
            let reclaimed = boot.map { store.reclaimEarlierBoots(current: $0) } ?? []
            let address = try allocator(store).allocate(for: Attachment(containerID: id, ifname: "eth0")).first?.address.address
            return (address, reclaimed.map(\.name).sorted())
        }
    }

    private func del(_ store: DiskStore, _ id: String) throws(CNIError) {
        try store.withLock { () throws(CNIError) in _ = try allocator(store).release(Attachment(containerID: id, ifname: "eth0")) }
    }

    private func reservationNames(_ store: DiskStore) -> [String] {
        directoryEntries(store.path).filter { IPAddress($0) != nil }
    }

    @Test("the first ADD of a new boot releases what we reserved in the earlier one, as DEL would; round-robin continues")
    func reclaimed() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        for id in ["a", "b", "c"] { try add(store, id, boot: Self.bootA) }
        try del(store, "b")
        let first = try add(store, "d", boot: Self.bootB)
        #expect(first.reclaimed == ["10.0.0.2", "10.0.0.4"])
        #expect(first.address == ip("10.0.0.5"))
        #expect(reservationNames(store) == ["10.0.0.5"])
        #expect(readText(store.path + "/last_reserved_ip.0") == "10.0.0.5")
        // Gone from the index too: nothing found, nothing to release, no duplicate.
        #expect(try store.withLock { () throws(CNIError) in try allocator(store).find(Attachment(containerID: "a", ifname: "eth0")) } == [])
        #expect(try add(store, "a", boot: Self.bootB).address == ip("10.0.0.6"))
        // Later calls of the same boot release nothing; the earlier boot's journal is gone.
        #expect(try add(store, "e", boot: Self.bootB).reclaimed == [])
        #expect(directoryEntries(store.path + "/.index/boots") == [Self.bootB.text])
    }

    @Test("never a reservation of the current boot, nor one whose boot is unknown")
    func keptReservations() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        try add(store, "a", boot: Self.bootA)
        try add(store, "untracked", boot: nil)                  // reclaiming turned off, or an older version
        writeText(store.path + "/10.0.0.77", "ref\r\neth0")      // the reference
        writeText(store.path + "/10.0.0.78", "old")              // an old reference (legacy)
        // More calls in boot A: its own reservations stay, whatever their age.
        setMtime(store.path + "/10.0.0.2", timespec(tv_sec: 1, tv_nsec: 0))
        #expect(try add(store, "b", boot: Self.bootA).reclaimed == [])
        #expect(reservationNames(store) == ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.77", "10.0.0.78"])
        // Boot B: b goes; a's file changed since it was recorded (its mtime), so a is of unknown boot now.
        #expect(try add(store, "c", boot: Self.bootB).reclaimed == ["10.0.0.4"])
        #expect(reservationNames(store) == ["10.0.0.2", "10.0.0.3", "10.0.0.5", "10.0.0.77", "10.0.0.78"])
    }

    @Test("a file released and made again by someone else is another file: an old journal line never releases it")
    func remadeFile() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        try add(store, "a", boot: Self.bootA)
        try add(store, "b", boot: Self.bootA)
        let path = store.path + "/10.0.0.2"
        let original = mtime(path)
        // a's file is released, then made again for the same key by the
        // reference: the same name and content, the same mtime, another inode.
        link(path, temp.sub("keep"))
        unlink(path)
        writeText(path, "a\r\neth0")
        setMtime(path, original)
        // b's file made again in place... with the same inode but another mtime.
        let pathB = store.path + "/10.0.0.3"
        let originalB = mtime(pathB)
        writeText(pathB, "b\r\neth0")
        setMtime(pathB, timespec(tv_sec: originalB.tv_sec, tv_nsec: originalB.tv_nsec == 1 ? 2 : 1))
        #expect(try add(store, "c", boot: Self.bootB).reclaimed == [])
        #expect(reservationNames(store) == ["10.0.0.2", "10.0.0.3", "10.0.0.4"])
    }

    @Test("each new boot reclaims the one before; a failed ADD's rollback leaves no journal line")
    func severalBoots() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        try add(store, "a", boot: Self.bootA)
        #expect(try add(store, "b", boot: Self.bootB).reclaimed == ["10.0.0.2"])
        // A dual-stack ADD in boot B whose second range set fails: its first address is rolled back.
        let dual = Allocator(rangeSets: [rangeSet("10.0.0.0/24"), rangeSet("10.1.0.0/30")], store: store)
        writeText(store.path + "/10.1.0.1", "x")
        writeText(store.path + "/10.1.0.2", "x")
        let failed = caught { () throws(CNIError) in
            try store.withLock { () throws(CNIError) in
                store.reclaimEarlierBoots(current: Self.bootB)
                return try dual.allocate(for: Attachment(containerID: "z", ifname: "eth0"))
            }
        }
        #expect(failed != nil)
        #expect(try add(store, "c", boot: Self.bootC).reclaimed == ["10.0.0.3"])
        #expect(reservationNames(store) == ["10.0.0.5", "10.1.0.1", "10.1.0.2"])
        #expect(directoryEntries(store.path + "/.index/boots") == [Self.bootC.text])
    }

    @Test("the journal never looks like a reservation to the reference's walk, and reservation files stay byte-compatible")
    func journalFormat() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        try add(store, "a", boot: Self.bootA)
        let journal = try #require(readText(store.path + "/.index/boots/" + Self.bootA.text))
        #expect(journal.hasPrefix("# swift-cni host-local boot journal v1\n10.0.0.2 a%0D%0Aeth0 "))
        #expect(!journal.utf8.contains(0x0d))
        #expect(readText(store.path + "/10.0.0.2") == "a\r\neth0")
    }

    @Test("an index rebuilt from scratch keeps the journals")
    func rebuildKeepsJournals() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        try add(store, "a", boot: Self.bootA)
        writeText(store.path + "/10.0.0.99", "ref\r\neth0")   // untrusted: the next session rebuilds
        try add(store, "b", boot: Self.bootA)
        #expect(try add(store, "c", boot: Self.bootB).reclaimed == ["10.0.0.2", "10.0.0.3"])
    }

    @Test("what a new boot would reclaim is known without writing (for STATUS)")
    func reclaimable() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        try add(store, "a", boot: Self.bootA)
        try add(store, "b", boot: Self.bootA)
        #expect(store.reclaimableAddresses(current: Self.bootA) == [])
        #expect(store.reclaimableAddresses(current: Self.bootB) == [ip("10.0.0.2"), ip("10.0.0.3")])
        #expect(directoryEntries(store.path + "/.index/boots") == [Self.bootA.text])
    }

    @Test("compacting a journal keeps exactly the reservations still held (a boot with many pods come and gone)")
    func compaction() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        for number in 0..<200 {
            try add(store, "c\(number)", boot: Self.bootA)
            if number % 50 != 0 { try del(store, "c\(number)") }
        }
        let path = store.path + "/.index/boots/" + Self.bootA.text
        #expect(try #require(readText(path)).split(separator: "\n").count == 201)
        let boots = try #require(BootJournal.directory(in: open(store.path, O_RDONLY | O_DIRECTORY), create: false))
        BootJournal.compact(Self.bootA, in: boots.raw, store: open(store.path, O_RDONLY | O_DIRECTORY))
        let lines = try #require(readText(path)).split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines.dropFirst().map { $0.split(separator: " ")[1] } == ["c0%0D%0Aeth0", "c50%0D%0Aeth0", "c100%0D%0Aeth0", "c150%0D%0Aeth0"])
        #expect(directoryEntries(store.path + "/.index/boots") == [Self.bootA.text])
        #expect(try add(store, "new", boot: Self.bootB).reclaimed.count == 4)
    }

    @Test("appends compact the journal each time it crosses a multiple of the threshold, not on every append")
    func compactionTrigger() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        try add(store, "live", boot: Self.bootA)
        let storeFD = open(store.path, O_RDONLY | O_DIRECTORY)
        defer { close(storeFD) }
        let boots = try #require(BootJournal.directory(in: storeFD, create: false))
        let path = store.path + "/.index/boots/" + Self.bootA.text
        // Lines of reservations long gone, 100 per append.
        let gone = (0..<100).map { BootJournal.Entry(name: "10.9.0.\($0)", key: .attachment(Attachment(containerID: "gone\($0)", ifname: "eth0")), inode: 1, modified: FileTime(seconds: 1, nanoseconds: 1)) }
        var sizes: [Int] = []
        for _ in 0..<120 {
            BootJournal.append(gone, to: Self.bootA, in: boots.raw, store: storeFD)
            sizes.append(Int(fileSize(path)))
        }
        // Grew, dropped back once past 256 KiB, grew again.
        let drops = zip(sizes, sizes.dropFirst()).filter { $0.1 < $0.0 }.count
        #expect(drops == 1, "\(sizes)")
        #expect(sizes.max()! < 2 * BootJournal.compactionThreshold)
        #expect(try #require(readText(path)).contains("live%0D%0Aeth0"))
    }

    @Test("boot IDs are the kernel's UUID text; anything else is no boot ID")
    func bootIDs() {
        #expect(BootID("1ce9370f-cf8b-453b-b7c3-b5fe32094f51\n")?.text == "1ce9370f-cf8b-453b-b7c3-b5fe32094f51")
        #expect(BootID("../../etc/passwd-xxxxxxxxxxxxxxxxxxxx") == nil)
        #expect(BootID("1CE9370F-CF8B-453B-B7C3-B5FE32094F51") == nil)
        #expect(BootID("") == nil)
        #expect(BootID.current() != nil)
    }
}

private func fileSize(_ path: String) -> off_t {
    var info = stat()
    _ = stat(path, &info)
    return info.st_size
}
