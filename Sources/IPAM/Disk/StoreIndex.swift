import CNISpec
import Glibc

/// The disk store's private index, `<store>/.index/`: which reservation
/// files each key holds, so that ADD, DEL and CHECK never scan the store.
///
/// Layout: `IndexBucket.count` bucket files (`b000`...`bfff`, created when
/// first needed; a rebuild removes empty ones), the stamp file `stamp-v2`,
/// and `tmp/`, where a new reservation file is written before it is linked
/// into place: unnamed (O_TMPFILE), or as `.tmp-reservation` on a filesystem
/// without unnamed files.
///
/// **When the index is trusted.** Every change to the store's top directory
/// (a reservation file created or removed by the reference, by a human, or
/// by us before a crash) sets that directory's mtime to the kernel's clock.
/// After each of our own sessions that changed anything, we set the mtimes
/// of the top directory, of `.index` and of `stamp-v2` to one stamp of our
/// choosing: the previous second plus a random nanosecond count in
/// 1...999,999,999. A session trusts the index only if the three mtimes are
/// equal and their nanoseconds are not zero. A foreign change therefore goes
/// unnoticed only if the kernel stamps the directory with exactly our value,
/// second and nanosecond: a chance of about 1 in 10^9 per foreign change
/// even if it happened in that very second, and practically none for a
/// change made after our restamp (its kernel time is later), unless the
/// clock is stepped back. Filesystems that keep whole seconds only give
/// nanoseconds 0, so the index is never trusted there and every session
/// rebuilds it: slower, still correct.
///
/// **Crash safety.** Before its first change a session sets the stamp's
/// mtime to 0 ("in progress") and only restamps once everything is written.
/// A process killed in between leaves the index untrusted, and the next
/// session rebuilds it from the reservation files, which are the truth.
///
/// **Rebuild.** One scan reads every reservation file; the buckets are
/// rewritten and stale files under `.index` removed.
///
/// **Limits.** A change that renames nothing (rewriting the content of an
/// existing reservation file in place) does not touch the directory's
/// mtime. It is caught when the file's old or new container ID is looked
/// up (every record of a container is checked against its file, see
/// `DiskStore.reservations(for:)`), which covers turning a reservation into
/// a legacy one and back (upstream's own test does the former); a file
/// rewritten for an unrelated container stays filed under the old one until
/// the next rescan. The reference never rewrites a reservation. A foreign change made without the lock *while* one of our
/// sessions runs may be covered by our restamp; the reference's own walk
/// has the same race with such changes.
///
/// Owned by one lock session: every method must run with the store locked.
final class StoreIndex {
    static let directoryName = ".index"
    static let stampName = "stamp-v2"
    /// A private subdirectory of `.index` for temp files, so that creating
    /// and removing them never searches the (large) bucket directory.
    static let tempDirectoryName = "tmp"
    static let reservationTempName = ".tmp-reservation"
    private static let stampContent = Array("# swift-cni host-local index stamp v2\n".utf8)

    /// The descriptor of `.index`, owned.
    let descriptor: Int32
    private let storeDescriptor: Int32
    private let storePath: String

    /// Whether the buckets on disk plus `buckets` describe the store exactly.
    private(set) var isTrusted: Bool
    private var buckets: [Int: IndexBucket] = [:]
    private var dirtyBuckets: Set<Int> = []
    private var invalidated = false
    private var changed = false
    /// The content of `.tmp-reservation`, when it exists.
    private var reservationTempContent: [UInt8]? = nil
    /// An unnamed reservation file ready to be linked, and what it holds.
    private var anonymousReservation: (descriptor: Int32, content: [UInt8])? = nil
    /// Set once this filesystem (or a missing /proc) refused unnamed files.
    private var anonymousUnavailable = false
    /// The descriptor of `.index/tmp`, once opened.
    private var tempDescriptor: Int32? = nil

    /// Opens `.index` (creating it, 0700, if needed; replacing a planted
    /// non-directory) and checks whether it can be trusted.
    init(storeDescriptor: Int32, storePath: String) throws(CNIError) {
        self.storeDescriptor = storeDescriptor
        self.storePath = storePath
        let path = storePath + "/" + StoreIndex.directoryName
        var fd = StoreIndex.openDirectory(in: storeDescriptor)
        if fd < 0 && (errno == ELOOP || errno == ENOTDIR) {
            // Not ours: a symlink or file in its place. Remove it.
            guard unlinkat(storeDescriptor, StoreIndex.directoryName, 0) == 0 else { throw ioError("remove", path, errno) }
            fd = StoreIndex.openDirectory(in: storeDescriptor)
        }
        guard fd >= 0 else { throw ioError("open", path, errno) }
        descriptor = fd
        let stamps = [
            modificationTime(in: storeDescriptor, nil, kind: S_IFDIR),
            modificationTime(in: fd, nil, kind: S_IFDIR),
            modificationTime(in: fd, StoreIndex.stampName, kind: S_IFREG),
        ]
        isTrusted = stamps[0] != nil && stamps[0]!.nanoseconds != 0 && stamps.allSatisfy { $0 == stamps[0] }
    }

    deinit {
        if let anonymousReservation { close(anonymousReservation.descriptor) }
        if let tempDescriptor { close(tempDescriptor) }
        close(descriptor)
    }

    private static func openDirectory(in store: Int32) -> Int32 {
        let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW
        let fd = openFile(in: store, directoryName, flags)
        guard fd < 0 && errno == ENOENT else { return fd }
        if mkdirat(store, directoryName, 0o700) != 0 && errno != EEXIST { return -1 }
        return openFile(in: store, directoryName, flags)
    }

    // MARK: Reading

    /// The records of every key with the container ID of `key` (see
    /// `IndexBucket.records(sharingContainerIDWith:)`).
    func records(sharingContainerIDWith key: [UInt8]) throws(CNIError) -> [(name: String, encodedKey: [UInt8])] {
        try bucket(IndexBucket.number(for: key)).records(sharingContainerIDWith: key)
    }

    private func bucket(_ number: Int) throws(CNIError) -> IndexBucket {
        if let cached = buckets[number] { return cached }
        let name = IndexBucket.fileName(number)
        let bucket: IndexBucket
        switch readSmallFile(in: descriptor, name, limit: 1 << 24) {
        case .content(let bytes): bucket = IndexBucket(fileContent: bytes)
        case .absent: bucket = IndexBucket()
        case .failed(let code): throw ioError("open", path(name), code)
        }
        buckets[number] = bucket
        return bucket
    }

    // MARK: Changing

    /// Marks the index "in progress" before the session's first change.
    func beginChange() throws(CNIError) {
        changed = true
        guard !invalidated else { return }
        let status = setModificationTime(in: descriptor, StoreIndex.stampName, to: FileTime(seconds: 0, nanoseconds: 0))
        if status != 0 && status != ENOENT {
            // Cannot mark it: remove the stamp instead.
            guard unlinkat(descriptor, StoreIndex.stampName, 0) == 0 || errno == ENOENT else {
                throw ioError("remove", path(StoreIndex.stampName), errno)
            }
        }
        invalidated = true
    }

    func add(key: [UInt8], name: String) throws(CNIError) {
        let number = IndexBucket.number(for: key)
        var bucket = try bucket(number)
        guard bucket.add(name: name, key: key) else { return }
        buckets[number] = bucket
        dirtyBuckets.insert(number)
    }

    func remove(key: [UInt8], name: String) throws(CNIError) {
        let number = IndexBucket.number(for: key)
        var bucket = try bucket(number)
        guard bucket.remove(name: name, key: key) else { return }
        buckets[number] = bucket
        dirtyBuckets.insert(number)
    }

    /// Forgets the record of `name` under `encodedKey`, a key of the
    /// container ID of `key`.
    func remove(encodedKey: [UInt8], name: String, inBucketOf key: [UInt8]) throws(CNIError) {
        let number = IndexBucket.number(for: key)
        var bucket = try bucket(number)
        guard bucket.remove(name: name, encodedKey: encodedKey) else { return }
        buckets[number] = bucket
        dirtyBuckets.insert(number)
    }

    /// Replaces the whole index with `reservations` (fresh from a scan) and
    /// removes every other file under `.index` except the stamp. Buckets
    /// whose files already hold the right bytes are not rewritten, so
    /// catching up with a few foreign changes writes a few files.
    func replaceAll(with reservations: [Reservation]) throws(CNIError) {
        try beginChange()
        var fresh: [Int: IndexBucket] = [:]
        for reservation in reservations {
            let number = IndexBucket.number(for: reservation.key.bytes)
            fresh[number, default: IndexBucket()].add(name: reservation.name, key: reservation.key.bytes)
        }
        var unchanged: Set<Int> = []
        switch listDirectory(descriptor) {
        case .failure(let failure): throw failure.error(at: path(""))
        case .success(let entries):
            for entry in entries where entry.name != StoreIndex.stampName {
                if entry.name == StoreIndex.tempDirectoryName {
                    try removeTempFiles()
                    continue
                }
                if let number = IndexBucket.number(fileName: entry.name), let bucket = fresh[number] {
                    if case .content(let bytes) = readSmallFile(in: descriptor, entry.name, limit: 1 << 24), bytes == bucket.bytes {
                        unchanged.insert(number)
                    }
                    continue
                }
                _ = unlinkat(descriptor, entry.name, 0)
            }
        }
        reservationTempContent = nil
        buckets = fresh
        dirtyBuckets = Set(fresh.keys).subtracting(unchanged)
        isTrusted = true
    }

    /// Marks the index as not describing the store (after a failure half-way
    /// through a change); the next session rebuilds it.
    func distrust() { isTrusted = false }

    // MARK: Temp files

    /// `.index/tmp`, created and opened on first use; a symlink or file in
    /// its place is replaced.
    func tempDirectory() throws(CNIError) -> Int32 {
        if let tempDescriptor { return tempDescriptor }
        let name = StoreIndex.tempDirectoryName
        let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW
        var fd = openFile(in: descriptor, name, flags)
        if fd < 0 && errno == ENOENT {
            _ = mkdirat(descriptor, name, 0o700)
            fd = openFile(in: descriptor, name, flags)
        } else if fd < 0 && (errno == ELOOP || errno == ENOTDIR) {
            _ = unlinkat(descriptor, name, 0)
            _ = mkdirat(descriptor, name, 0o700)
            fd = openFile(in: descriptor, name, flags)
        }
        guard fd >= 0 else { throw ioError("open", path(name), errno) }
        tempDescriptor = fd
        return fd
    }

    /// Creates the reservation file `name` in `store` holding `content`,
    /// complete or not at all: false when `name` exists (the address is
    /// taken). The file is first written unnamed (O_TMPFILE, so a crash
    /// leaves nothing behind) and linked through `/proc/self/fd`; where
    /// that is not possible, through `tmp/.tmp-reservation`.
    func linkReservation(_ content: [UInt8], as name: String, into store: Int32) throws(CNIError) -> Bool {
        if let descriptor = try unnamedFile(holding: content) {
            if linkat(AT_FDCWD, "/proc/self/fd/\(descriptor)", store, name, StoreIndex.atSymlinkFollow) == 0 {
                close(descriptor)
                anonymousReservation = nil
                return true
            }
            let code = errno
            if code == EEXIST { return false }
            // No /proc, or linking unnamed files is refused here: fall back.
            close(descriptor)
            anonymousReservation = nil
            anonymousUnavailable = true
        }
        let directory = try prepareReservationTemp(content)
        if linkat(directory, StoreIndex.reservationTempName, store, name, 0) != 0 {
            let code = errno
            if code == EEXIST { return false }
            throw ioError("link", storePath + "/" + name, code)
        }
        reservationTempUsed()
        return true
    }

    /// `O_TMPFILE` (`__O_TMPFILE | O_DIRECTORY`) and `AT_SYMLINK_FOLLOW`,
    /// which Swift's Glibc module does not import (they need _GNU_SOURCE).
    private static let openTemporaryFile: Int32 = 0o20000000 | O_DIRECTORY
    private static let atSymlinkFollow: Int32 = 0x400

    /// An unnamed file in `tmp` holding `content` (reused while it has not
    /// been linked), or nil where the filesystem cannot make one.
    private func unnamedFile(holding content: [UInt8]) throws(CNIError) -> Int32? {
        if anonymousUnavailable { return nil }
        if let anonymousReservation {
            if anonymousReservation.content == content { return anonymousReservation.descriptor }
            close(anonymousReservation.descriptor)
            self.anonymousReservation = nil
        }
        let fd = openFile(in: try tempDirectory(), ".", O_WRONLY | StoreIndex.openTemporaryFile, mode: 0o600)
        guard fd >= 0 else {
            anonymousUnavailable = true
            return nil
        }
        guard writeAll(fd, content) == 0 else {
            close(fd)
            anonymousUnavailable = true
            return nil
        }
        anonymousReservation = (fd, content)
        return fd
    }

    /// Makes `tmp/.tmp-reservation` hold exactly `content` (reusing it when
    /// it already does), ready to be linked as a reservation file. Returns
    /// the descriptor of the directory holding it.
    private func prepareReservationTemp(_ content: [UInt8]) throws(CNIError) -> Int32 {
        let directory = try tempDirectory()
        if reservationTempContent == content { return directory }
        reservationTempContent = nil
        let status = createFile(in: directory, StoreIndex.reservationTempName, content)
        guard status == 0 else {
            throw ioError("open", path(StoreIndex.tempDirectoryName + "/" + StoreIndex.reservationTempName), status)
        }
        reservationTempContent = content
        return directory
    }

    /// Forgets `.tmp-reservation` after it was linked into place.
    private func reservationTempUsed() {
        if let tempDescriptor { _ = unlinkat(tempDescriptor, StoreIndex.reservationTempName, 0) }
        reservationTempContent = nil
    }

    /// Removes whatever a crashed session left in `tmp`.
    private func removeTempFiles() throws(CNIError) {
        let directory = try tempDirectory()
        if case .success(let entries) = listDirectory(directory) {
            for entry in entries { _ = unlinkat(directory, entry.name, 0) }
        }
    }

    // MARK: Ending the session

    /// Writes the changed buckets, removes temp files and, if the index is
    /// trusted, restamps the store. Failures leave the index untrusted
    /// (never wrong): the next session rebuilds it.
    func finish() {
        if reservationTempContent != nil { reservationTempUsed() }
        if let anonymousReservation {
            close(anonymousReservation.descriptor)
            self.anonymousReservation = nil
        }
        guard changed, isTrusted else { return }
        for number in dirtyBuckets.sorted() {
            // An empty bucket keeps its (header-only) file: deleting and
            // recreating inodes is what costs most on ext4 under churn.
            // Rebuilds remove empty buckets.
            let bucket = buckets[number] ?? IndexBucket()
            guard writeInPlace(IndexBucket.fileName(number), bucket.bytes) == 0 else { return }
        }
        if modificationTime(in: descriptor, StoreIndex.stampName, kind: S_IFREG) == nil {
            _ = unlinkat(descriptor, StoreIndex.stampName, 0)
            guard createFile(in: descriptor, StoreIndex.stampName, StoreIndex.stampContent) == 0 else { return }
        }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        // The previous second: any later change gets a later kernel time.
        let stamp = FileTime(seconds: now.tv_sec - 1, nanoseconds: Int.random(in: 1...999_999_999))
        // The stamp file last: it is the commit point.
        guard setModificationTime(in: storeDescriptor, nil, to: stamp) == 0,
              setModificationTime(in: descriptor, nil, to: stamp) == 0
        else { return }
        _ = setModificationTime(in: descriptor, StoreIndex.stampName, to: stamp)
    }

    /// Overwrites a bucket file in place. Not atomic, and need not be: the
    /// stamp is "in progress" until `finish` completes.
    private func writeInPlace(_ name: String, _ bytes: [UInt8]) -> Int32 {
        overwriteFile(in: descriptor, name, bytes)
    }

    private func path(_ name: String) -> String {
        storePath + "/" + StoreIndex.directoryName + (name.isEmpty ? "" : "/" + name)
    }
}
