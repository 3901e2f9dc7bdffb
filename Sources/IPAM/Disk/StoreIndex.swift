import CNISpec
import Glibc

/// The disk store's private index, `<store>/.index/`: which reservation
/// files each key holds, so that ADD, DEL and CHECK never scan the store.
///
/// Layout: `IndexBucket.count` bucket files (`b000`...`bfff`, created when
/// first needed; a rebuild removes empty ones), the stamp file `stamp-v2`,
/// `tmp/` for the reservation writer's named fallback (see
/// `ReservationWriter`) and `boots/` (see `BootJournal`).
///
/// **When the index is trusted.** Every change to the store's top directory
/// (a reservation file created or removed by the reference, by a human, or
/// by us before a crash) sets that directory's mtime to the kernel's clock.
/// After each of our own sessions that changed anything, we set the mtimes
/// of the top directory, of `.index`, of the buckets we wrote and of
/// `stamp-v2` to one stamp of our choosing: the previous second plus a
/// random nanosecond count in 1...999,999,999. A session trusts the index
/// only if the three mtimes of the top directory, `.index` and `stamp-v2`
/// are equal and their nanoseconds are not zero. A foreign change therefore
/// goes unnoticed only if the kernel stamps the directory with exactly our
/// value, second and nanosecond: a chance of about 1 in 10^9 per foreign
/// change even if it happened in that very second, and practically none for
/// a change made after our restamp (its kernel time is later), unless the
/// clock is stepped back. Filesystems that keep whole seconds only give
/// nanoseconds 0, so the index is never trusted there and every session
/// rebuilds it: slower, still correct.
///
/// **A damaged index is rebuilt, never believed.** A bucket is used only if
/// it is a regular file, readable, no later than the stamp (a bucket
/// rewritten behind our back, truncated or not, has a later mtime), and
/// well formed (the header, whole lines of `name key`). Anything else makes
/// every method throw, and `DiskStore` rebuilds the index from the
/// reservation files, or holds it in memory for the session when `.index`
/// cannot be written (a read-only store, a CHECK). (Buckets written by a
/// version that did not stamp them look rewritten: such an index is rebuilt
/// once.) The index only speeds up
/// lookups: an address is taken only by creating its file, which fails when
/// the file exists, so even a wrong index never hands out a held address.
///
/// **Crash safety.** Before its first change a session sets the stamp's
/// mtime to 0 ("in progress") and only restamps once everything is written.
/// A process killed in between leaves the index untrusted, and the next
/// session rebuilds it from the reservation files, which are the truth.
///
/// **Limits.** A change that renames nothing (rewriting the content of an
/// existing reservation file in place) does not touch the directory's
/// mtime. It is caught when the file's old or new container ID is looked
/// up (every record of a container is checked against its file, see
/// `DiskStore.reservations(for:)`), which covers turning a reservation into
/// a legacy one and back (upstream's own test does the former); a file
/// rewritten for an unrelated container stays filed under the old one until
/// the next rescan. The reference never rewrites a reservation. A foreign
/// change made without the lock *while* one of our sessions runs may be
/// covered by our restamp; the reference's own walk has the same race with
/// such changes.
///
/// Owned by one lock session: every method must run with the store locked.
final class StoreIndex {
    static let directoryName = ".index"
    static let stampName = "stamp-v2"
    static let temporaryDirectoryName = "tmp"
    static let bootsDirectoryName = "boots"
    private static let stampContent = Array("# swift-cni host-local index stamp v2\n".utf8)
    /// Bigger bucket files are damaged (60,000 reservations make ~500 bytes).
    private static let bucketSizeLimit = 1 << 20

    /// `.index`, or nil for an index held in memory only.
    private let directory: FileDescriptor?
    private let storeDescriptor: Int32
    private let storePath: String
    /// The stamp the index was trusted with.
    private let trustedStamp: FileTime?

    /// Whether the buckets on disk plus `buckets` describe the store exactly.
    private(set) var isTrusted: Bool
    /// Held in memory only: never read from or written to disk.
    var isDetached: Bool { directory == nil }
    private var buckets: [Int: IndexBucket] = [:]
    private var dirtyBuckets: Set<Int> = []
    /// Buckets a rebuild found right on disk, whose mtimes still need the
    /// new stamp.
    private var bucketsToRestamp: Set<Int> = []
    private var invalidated = false
    private var changed = false

    /// The error every method throws once the index turned out damaged.
    struct Damaged: Error {}

    /// Opens `.index` and checks whether it can be trusted. With `create`,
    /// a missing `.index` is made (0700) and a non-directory in its place
    /// replaced; without, nothing is written.
    init(store: Int32, storePath: String, create: Bool) throws(CNIError) {
        storeDescriptor = store
        self.storePath = storePath
        let path = storePath + "/" + StoreIndex.directoryName
        let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW
        var opened = FileDescriptor.open(in: store, StoreIndex.directoryName, flags)
        if create && opened == nil {
            switch errno {
            case ENOENT:
                if mkdirat(store, StoreIndex.directoryName, 0o700) != 0 && errno != EEXIST { throw ioError("mkdir", path, errno) }
            case ELOOP, ENOTDIR:
                // Not ours: a symlink or file in its place.
                removeEntry(in: store, StoreIndex.directoryName)
                if mkdirat(store, StoreIndex.directoryName, 0o700) != 0 { throw ioError("mkdir", path, errno) }
            case EACCES:
                // Ours, made unreadable: take it back (the owner may).
                _ = fchmodat(store, StoreIndex.directoryName, 0o700, 0)
            default:
                break
            }
            opened = FileDescriptor.open(in: store, StoreIndex.directoryName, flags)
        }
        guard let opened else { throw ioError("open", path, errno) }
        directory = opened
        let stamps = [
            modificationTime(in: store, nil, kind: S_IFDIR),
            modificationTime(in: opened.raw, nil, kind: S_IFDIR),
            modificationTime(in: opened.raw, StoreIndex.stampName, kind: S_IFREG),
        ]
        isTrusted = stamps[0] != nil && stamps[0]!.nanoseconds != 0 && stamps.allSatisfy { $0 == stamps[0] }
        trustedStamp = isTrusted ? stamps[0] : nil
    }

    /// An index held in memory only, describing `reservations`.
    init(detachedFrom reservations: [Reservation], storePath: String) {
        directory = nil
        storeDescriptor = -1
        self.storePath = storePath
        trustedStamp = nil
        isTrusted = true
        buckets = StoreIndex.buckets(of: reservations)
    }

    private static func buckets(of reservations: [Reservation]) -> [Int: IndexBucket] {
        var buckets: [Int: IndexBucket] = [:]
        for reservation in reservations {
            let number = IndexBucket.number(for: reservation.key.bytes)
            buckets[number, default: IndexBucket()].add(name: reservation.name, key: reservation.key.bytes)
        }
        return buckets
    }

    // MARK: Reading

    /// The records of every key with the container ID of `key` (see
    /// `IndexBucket.records(sharingContainerIDWith:)`).
    func records(sharingContainerIDWith key: [UInt8]) throws(Damaged) -> [(name: String, encodedKey: [UInt8])] {
        try bucket(IndexBucket.number(for: key)).records(sharingContainerIDWith: key)
    }

    private func bucket(_ number: Int) throws(Damaged) -> IndexBucket {
        if let cached = buckets[number] { return cached }
        guard let directory else { return IndexBucket() }
        var modified: FileTime? = nil
        let bucket: IndexBucket
        switch readSmallFile(in: directory.raw, IndexBucket.fileName(number), limit: StoreIndex.bucketSizeLimit, modified: &modified) {
        case .content(let bytes):
            // Written by us no later than the stamp, and whole.
            if let trustedStamp, let modified, modified > trustedStamp { throw Damaged() }
            guard let parsed = IndexBucket(validating: bytes) else { throw Damaged() }
            bucket = parsed
        case .absent:
            bucket = IndexBucket()
        case .notRegularFile, .failed:
            throw Damaged()
        }
        buckets[number] = bucket
        return bucket
    }

    // MARK: Changing

    /// Marks the index "in progress" before the session's first change.
    func beginChange() throws(CNIError) {
        changed = true
        guard !invalidated, let directory else { return }
        let status = setModificationTime(in: directory.raw, StoreIndex.stampName, to: FileTime(seconds: 0, nanoseconds: 0))
        if status != 0 && status != ENOENT {
            // Cannot mark it: remove the stamp instead.
            guard unlinkat(directory.raw, StoreIndex.stampName, 0) == 0 || errno == ENOENT else {
                throw ioError("remove", path(StoreIndex.stampName), errno)
            }
        }
        invalidated = true
    }

    func add(key: [UInt8], name: String) throws(Damaged) {
        let number = IndexBucket.number(for: key)
        var bucket = try bucket(number)
        guard bucket.add(name: name, key: key) else { return }
        buckets[number] = bucket
        dirtyBuckets.insert(number)
    }

    func remove(key: [UInt8], name: String) throws(Damaged) {
        try remove(encodedKey: IndexBucket.encode(key), name: name, inBucketOf: key)
    }

    /// Forgets the record of `name` under `encodedKey`, a key of the
    /// container ID of `key`.
    func remove(encodedKey: [UInt8], name: String, inBucketOf key: [UInt8]) throws(Damaged) {
        let number = IndexBucket.number(for: key)
        var bucket = try bucket(number)
        guard bucket.remove(name: name, encodedKey: encodedKey) else { return }
        buckets[number] = bucket
        dirtyBuckets.insert(number)
    }

    /// Replaces the whole index with `reservations` (fresh from a scan) and
    /// removes everything else under `.index` except the stamp, `tmp` and
    /// `boots` (whatever it is: a directory where a bucket should be goes
    /// too). Buckets whose files already hold the right bytes are not
    /// rewritten, so catching up with a few foreign changes writes a few
    /// files.
    func replaceAll(with reservations: [Reservation]) throws(CNIError) {
        try beginChange()
        let fresh = StoreIndex.buckets(of: reservations)
        var unchanged: Set<Int> = []
        if let directory {
            switch listDirectory(directory.raw) {
            case .failure(let failure): throw failure.error(at: path(""))
            case .success(let entries):
                for entry in entries where entry.name != StoreIndex.stampName && entry.name != StoreIndex.bootsDirectoryName {
                    if entry.name == StoreIndex.temporaryDirectoryName {
                        removeTemporaryFiles()
                        continue
                    }
                    if let number = IndexBucket.number(fileName: entry.name), let bucket = fresh[number] {
                        switch readSmallFile(in: directory.raw, entry.name, limit: StoreIndex.bucketSizeLimit) {
                        case .content(let bytes):
                            if bytes == bucket.bytes { unchanged.insert(number) }
                            continue
                        case .absent:
                            continue
                        case .notRegularFile, .failed:
                            break   // in the way of the new bucket: removed below
                        }
                    }
                    removeEntry(in: directory.raw, entry.name)
                }
            }
        }
        buckets = fresh
        dirtyBuckets = Set(fresh.keys).subtracting(unchanged)
        bucketsToRestamp = unchanged
        isTrusted = true
    }

    /// Removes whatever a crashed session left in `tmp`.
    private func removeTemporaryFiles() {
        guard let directory,
              let temporary = FileDescriptor.open(in: directory.raw, StoreIndex.temporaryDirectoryName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        else { return }
        if case .success(let entries) = listDirectory(temporary.raw) {
            for entry in entries { removeEntry(in: temporary.raw, entry.name) }
        }
    }

    // MARK: Ending the session

    /// Writes the changed buckets and, if the index is trusted, restamps the
    /// store. Failures leave the index untrusted (never wrong): the next
    /// session rebuilds it. Does nothing for an index held in memory.
    func finish() {
        guard changed, isTrusted, let directory else { return }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        // The previous second: any later change gets a later kernel time.
        let stamp = FileTime(seconds: now.tv_sec - 1, nanoseconds: Int.random(in: 1...999_999_999))
        for number in dirtyBuckets.sorted() {
            // An empty bucket keeps its (header-only) file: deleting and
            // recreating inodes is what costs most on ext4 under churn.
            // Rebuilds remove empty buckets.
            let name = IndexBucket.fileName(number)
            let bucket = buckets[number] ?? IndexBucket()
            // Not atomic, and need not be: the stamp is "in progress".
            guard overwriteFile(in: directory.raw, name, bucket.bytes) == nil,
                  setModificationTime(in: directory.raw, name, to: stamp) == 0
            else { return }
        }
        for number in bucketsToRestamp.sorted() {
            guard setModificationTime(in: directory.raw, IndexBucket.fileName(number), to: stamp) == 0 else { return }
        }
        if modificationTime(in: directory.raw, StoreIndex.stampName, kind: S_IFREG) == nil {
            guard createFile(in: directory.raw, StoreIndex.stampName, StoreIndex.stampContent) == nil else { return }
        }
        // The stamp file last: it is the commit point.
        guard setModificationTime(in: storeDescriptor, nil, to: stamp) == 0,
              setModificationTime(in: directory.raw, nil, to: stamp) == 0
        else { return }
        _ = setModificationTime(in: directory.raw, StoreIndex.stampName, to: stamp)
    }

    private func path(_ name: String) -> String {
        storePath + "/" + StoreIndex.directoryName + (name.isEmpty ? "" : "/" + name)
    }
}
