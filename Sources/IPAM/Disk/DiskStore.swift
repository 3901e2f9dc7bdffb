import CNISpec
import Glibc

/// host-local's on-disk store, byte-compatible with the reference's, so a
/// node can switch between the two implementations in either direction, or
/// run both side by side.
///
/// Layout of `<dataDir>/<network>/` (created 0755 with its parents):
///
///     lock                 flock(LOCK_EX)ed by every call of both implementations
///     10.1.2.3             "<containerID>\r\n<ifname>", no newline, 0600
///     2001:db8::3          (file names are canonical text, RFC 5952 for IPv6)
///     last_reserved_ip.0   "10.1.2.3", no newline, 0600, one per range set
///     .index/              ours, private (0700): see `StoreIndex`
///
/// **Locking.** Everything except `isTaken`, `takenAddresses` and
/// `lastReservedAddress` must run inside `withLock`, which holds the lock
/// once for the whole operation (the reference relocks per range set).
/// Waiting for the lock is bounded (60 s by default, then code 11).
///
/// **Access.** A store opened `.readOnly` (CHECK, STATUS) never writes
/// anything, not even its own index: it answers from the index when that is
/// trusted and from the reservation files otherwise, so it works on a
/// read-only filesystem and after the reference wrote last. A `.readWrite`
/// store whose index cannot be written (a read-only or full filesystem, a
/// damaged `.index`) answers the same way; its changes to reservation files
/// then fail on their own, with errors that name the operation and the file
/// (`remove <store>/10.1.2.3: read-only file system`, code 11 so that the
/// runtime retries; the reference reports success and keeps the file).
///
/// **Crash safety** (against SIGKILL at any instant). A reservation file is
/// complete or absent (see `ReservationWriter`), and never a duplicate:
/// creating it fails when the address's name exists. `last_reserved_ip.N`
/// is rewritten in place (it only steers round-robin; see
/// `recordLastReserved`). The lock dies with the process. A crash leaves an
/// untrusted index, rebuilt by the next session. Durability across power
/// loss is not attempted (no fsync), as with the reference.
///
/// **Full disk.** A call that cannot write leaves no file behind: a
/// reservation file or a new `last_reserved_ip.N` that cannot be written
/// whole is removed again, and the index is only ever rewritten in place.
///
/// **Safety.** Nothing is written outside the store directory. The store
/// directory is opened with `O_DIRECTORY|O_NOFOLLOW` (a symlink in its place
/// is refused), every file is reached with `*at()` calls relative to it, and
/// no symlink inside is followed; only regular files count as
/// reservations. Files are created 0600.
///
/// **Cost.** ADD, DEL and CHECK read the index instead of every file: a few
/// dozen system calls whatever the store's size. A store changed behind our
/// back (by the reference, say) is rescanned once.
public final class DiskStore: AllocationStore {
    /// What a session may do to the store.
    public enum Access: Sendable {
        /// ADD, DEL, GC: reservations are created and removed, the index
        /// kept up to date.
        case readWrite
        /// CHECK, STATUS: nothing is written, nothing created.
        case readOnly
    }

    /// The reference's default `dataDir`.
    public static let defaultDataDirectory = "/var/lib/cni/networks"
    /// How long `withLock` waits by default.
    public static let defaultLockTimeout: Duration = .seconds(60)

    /// `<dataDir>/<network>`, cleaned as Go's `filepath.Join` would.
    public let path: String
    public let access: Access
    private let directory: FileDescriptor
    /// nil for a read-only store that has no `lock` file yet (nobody ever
    /// wrote it, so there is nothing to wait for).
    private let lockFile: FileDescriptor?
    /// Whether reservation files may be written unnamed (`O_TMPFILE`);
    /// tests turn it off to exercise the named fallback.
    private let unnamedFiles: Bool
    private var isLocked = false
    private var index: StoreIndex? = nil
    private var writer: ReservationWriter? = nil
    /// Keys of reservation files read or written in this lock session.
    /// Valid while the lock is held: only we change files then.
    private var knownKeys: [String: ReservationKey] = [:]
    /// The boot this session's reservations are recorded for, and their
    /// journal lines (see `BootJournal`); nil when boots are not tracked.
    private var sessionBoot: BootID? = nil
    private var bootEntries: [String: BootJournal.Entry] = [:]

    private static let lastReservedPrefix = "last_reserved_ip."

    private init(path: String, access: Access, directory: FileDescriptor, lockFile: FileDescriptor?, unnamedFiles: Bool) {
        self.path = path
        self.access = access
        self.directory = directory
        self.lockFile = lockFile
        self.unnamedFiles = unnamedFiles
    }

    /// Opens (creating if needed) the store of `network` under `dataDir`
    /// (`defaultDataDirectory` when nil or empty), for ADD, DEL and GC.
    /// Does not lock.
    ///
    /// - Throws: code 7 for a network name that is empty, `.`, `..` or holds
    ///   `/` or NUL (it would escape `dataDir`); code 999 for I/O errors,
    ///   worded as the reference's (`mkdir <path>: not a directory`). A store
    ///   directory that is a symlink is refused.
    public static func open(dataDir: String?, network: String) throws(CNIError) -> DiskStore {
        try open(dataDir: dataDir, network: network, access: .readWrite)!
    }

    /// Opens the store of `network` under `dataDir` for reading only (CHECK,
    /// STATUS): nothing is created. nil when the store does not exist.
    ///
    /// - Throws: as `open(dataDir:network:)`.
    public static func openForReading(dataDir: String?, network: String) throws(CNIError) -> DiskStore? {
        try open(dataDir: dataDir, network: network, access: .readOnly)
    }

    /// `unnamedFiles: false` makes every reservation file go through the
    /// named fallback, as on a filesystem without `O_TMPFILE` (for tests).
    static func open(dataDir: String?, network: String, access: Access, unnamedFiles: Bool = true) throws(CNIError) -> DiskStore? {
        guard !network.isEmpty, network != ".", network != "..",
              !network.utf8.contains(UInt8(ascii: "/")), !network.utf8.contains(0)
        else {
            throw CNIError(.invalidNetworkConfig, "invalid network name \"\(network)\": it must be a single path component")
        }
        let base = (dataDir?.isEmpty ?? true) ? defaultDataDirectory : dataDir!
        guard !base.utf8.contains(0) else {
            throw CNIError(.invalidNetworkConfig, "invalid dataDir \"\(base)\"")
        }
        let path = cleanPath(base + "/" + network)

        let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
        var fd = retryingInterrupts { Glibc.open(path, flags) }
        if fd < 0 && (errno == ENOENT || errno == ENOTDIR) {
            if access == .readOnly && errno == ENOENT { return nil }
            try makeDirectories(path, mode: 0o755)
            fd = retryingInterrupts { Glibc.open(path, flags) }
        }
        if fd < 0 {
            let code = errno
            // O_NOFOLLOW|O_DIRECTORY on a symlink fails with ELOOP or ENOTDIR.
            var info = stat()
            if (code == ELOOP || code == ENOTDIR) && lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK {
                throw CNIError(.internal, "open \(path): is a symbolic link; refusing to follow it")
            }
            throw ioError("open", path, code)
        }
        let directory = FileDescriptor(owning: fd)
        let lockFlags = access == .readWrite ? O_RDONLY | O_CREAT | O_NOFOLLOW : O_RDONLY | O_NOFOLLOW
        let lockFile = FileDescriptor.open(in: fd, "lock", lockFlags, mode: 0o600)
        if lockFile == nil && !(access == .readOnly && errno == ENOENT) {
            throw ioError("open", path + "/lock", errno)
        }
        return DiskStore(path: path, access: access, directory: directory, lockFile: lockFile, unnamedFiles: unnamedFiles)
    }

    /// Runs `body` holding the store's exclusive lock, waiting at most
    /// `timeout` for it. Changes to the index are written and the store is
    /// restamped when `body` returns or throws. Not reentrant.
    ///
    /// - Throws: code 11 when the lock cannot be had in time; whatever
    ///   `body` throws.
    @discardableResult
    public func withLock<Value>(
        timeout: Duration = DiskStore.defaultLockTimeout,
        _ body: () throws(CNIError) -> Value
    ) throws(CNIError) -> Value {
        precondition(!isLocked, "DiskStore.withLock is not reentrant")
        if let lockFile { try FileLock.lock(lockFile.raw, path: path + "/lock", timeout: timeout) }
        isLocked = true
        defer {
            writer?.finish()
            writer = nil
            recordBootEntries()
            index?.finish()
            index = nil
            knownKeys = [:]
            isLocked = false
            if let lockFile { FileLock.unlock(lockFile.raw) }
        }
        return try body()
    }

    // MARK: AllocationStore

    public func reserve(_ address: IPAddress, for key: ReservationKey, rangeSetIndex: Int) throws(CNIError) -> Bool {
        precondition(access == .readWrite, "DiskStore: reserve needs a read-write store")
        let name = address.description
        // 1. The index is "in progress" before anything changes.
        try updateIndex { index in try index.beginChange() }
        // 2. The content, complete, linked to the address's name, which
        //    fails when the address is taken.
        if writer == nil { writer = ReservationWriter(store: directory.raw, storePath: path, unnamedFiles: unnamedFiles) }
        guard try writer!.create(name, holding: key.bytes) else { return false }
        let recorded = ReservationKey(fileContent: key.bytes)
        knownKeys[name] = recorded
        // 3. Remember it for round-robin.
        do {
            try recordLastReserved(name, rangeSetIndex: rangeSetIndex)
        } catch {
            _ = unlinkat(directory.raw, name, 0)
            knownKeys[name] = nil
            throw error
        }
        if sessionBoot != nil { bootEntries[name] = BootJournal.Entry(recording: name, key: recorded, in: directory.raw) }
        // 4. Record it.
        try updateIndex { index in try index.add(key: recorded.bytes, name: name) }
        return true
    }

    public func lastReservedAddress(rangeSetIndex: Int) -> IPAddress? {
        guard case .content(let bytes) = readSmallFile(in: directory.raw, Self.lastReservedPrefix + String(rangeSetIndex), limit: 256)
        else { return nil }
        // Parsed as is, without trimming, as the reference does.
        return IPAddress(String(decoding: bytes, as: UTF8.self))?.unmapped
    }

    /// Reservations recorded for `key`, each checked against its file.
    ///
    /// Every record of the key's container ID is checked, not only those of
    /// `key`: a file rewritten in place (which the index cannot notice, the
    /// directory's mtime does not change) is filed again under the key it
    /// now holds. So a reservation of ours that someone turned into a legacy
    /// one (`id` alone, as old reference versions wrote) is found by the
    /// legacy lookup that follows the exact one, as the reference's walk
    /// would find it; and the other way round.
    public func reservations(for key: ReservationKey) throws(CNIError) -> [Reservation] {
        let records = try queryIndex { index in try index.records(sharingContainerIDWith: key.bytes) }
        var found: [String: Reservation] = [:]
        for record in records {
            let actual = recordedKey(of: record.name)
            if let actual, actual == key, let address = IPAddress(record.name) {
                found[record.name] = Reservation(address: address.unmapped, key: key, name: record.name)
            }
            if let actual, IndexBucket.encode(actual.bytes) == record.encodedKey { continue }
            // Stale: the file is gone, or holds another key now.
            try updateIndex { index in
                try index.beginChange()
                try index.remove(encodedKey: record.encodedKey, name: record.name, inBucketOf: key.bytes)
                if let actual { try index.add(key: actual.bytes, name: record.name) }
            }
        }
        return found.values.sorted { $0.name < $1.name }
    }

    /// Removes the reservation's file if it still holds the reservation's
    /// key: an address released and then taken by someone else is never
    /// removed.
    ///
    /// - Throws: `remove <file>: <reason>`, code 11 on a read-only
    ///   filesystem (see `ioError`), else 999.
    @discardableResult
    public func release(_ reservation: Reservation) throws(CNIError) -> Bool {
        precondition(access == .readWrite, "DiskStore: release needs a read-write store")
        var removed = false
        if recordedKey(of: reservation.name) == reservation.key {
            guard unlinkat(directory.raw, reservation.name, 0) == 0 || errno == ENOENT else {
                throw ioError("remove", filePath(reservation.name), errno)
            }
            knownKeys[reservation.name] = nil
            bootEntries[reservation.name] = nil
            removed = true
        }
        // The store's mtime changed: an index not restamped is not trusted.
        try updateIndex { index in
            try index.beginChange()
            try index.remove(key: reservation.key.bytes, name: reservation.name)
        }
        return removed
    }

    /// Scans the store (and rebuilds the index from what it read).
    public func allReservations() throws(CNIError) -> [Reservation] {
        precondition(isLocked, "DiskStore: this operation needs withLock")
        let reservations = try scan()
        index = rebuiltIndex(from: reservations, replacing: index)
        for reservation in reservations { knownKeys[reservation.name] = reservation.key }
        return reservations
    }

    public func isTaken(_ address: IPAddress) throws(CNIError) -> Bool {
        var info = stat()
        if fstatat(directory.raw, address.description, &info, AT_SYMLINK_NOFOLLOW) == 0 { return true }
        guard errno == ENOENT else { throw ioError("stat", filePath(address.description), errno) }
        return false
    }

    public func takenAddresses() throws(CNIError) -> Set<IPAddress> {
        switch listDirectory(directory.raw) {
        case .failure(let failure):
            throw failure.error(at: path)
        case .success(let entries):
            var taken: Set<IPAddress> = []
            for entry in entries {
                if let address = IPAddress(entry.name), address.description == entry.name {
                    taken.insert(address)
                }
            }
            return taken
        }
    }

    // MARK: Reboots

    /// Records the reservations this session makes as made in `boot` and,
    /// in the first session of `boot`, releases every reservation we made
    /// in an earlier boot and still hold, exactly as DEL would (see
    /// `BootJournal`). Call inside `withLock`, before allocating. Best
    /// effort: a reservation that cannot be released stays, and the next
    /// session tries again.
    ///
    /// - Returns: what was released.
    @discardableResult
    public func reclaimEarlierBoots(current boot: BootID) -> [Reservation] {
        precondition(access == .readWrite && isLocked, "DiskStore: reclaimEarlierBoots needs withLock on a read-write store")
        sessionBoot = boot
        // The hot path: this boot was dealt with.
        if BootJournal.hasJournal(of: boot, in: directory.raw) { return [] }
        guard (try? sessionIndex()) != nil, let boots = BootJournal.directory(in: directory.raw, create: true) else { return [] }
        let earlier = BootJournal.otherBoots(than: boot, in: boots.raw)
        var released: [Reservation] = []
        var complete = true
        for entry in earlier.entries where entry.isStill(in: directory.raw) {
            guard let address = IPAddress(entry.name) else { continue }
            let reservation = Reservation(address: address.unmapped, key: entry.key, name: entry.name)
            do {
                if try release(reservation) { released.append(reservation) }
            } catch {
                complete = false
            }
        }
        guard complete else { return released }
        for name in earlier.files { removeEntry(in: boots.raw, name) }
        // This boot's journal, even empty, says the boot was dealt with.
        BootJournal.append([], to: boot, in: boots.raw, store: directory.raw)
        return released
    }

    /// The addresses that the first read-write session of `boot` would
    /// reclaim (see `reclaimEarlierBoots`). Reads only; no lock needed.
    public func reclaimableAddresses(current boot: BootID) -> Set<IPAddress> {
        guard !BootJournal.hasJournal(of: boot, in: directory.raw),
              let boots = BootJournal.directory(in: directory.raw, create: false)
        else { return [] }
        var addresses: Set<IPAddress> = []
        for entry in BootJournal.otherBoots(than: boot, in: boots.raw).entries where entry.isStill(in: directory.raw) {
            guard let address = IPAddress(entry.name),
                  case .content(let bytes) = readSmallFile(in: directory.raw, entry.name, limit: Self.reservationSizeLimit),
                  ReservationKey(fileContent: bytes) == entry.key
            else { continue }
            addresses.insert(address.unmapped)
        }
        return addresses
    }

    /// Appends this session's reservations to its boot's journal.
    private func recordBootEntries() {
        defer {
            sessionBoot = nil
            bootEntries = [:]
        }
        guard let boot = sessionBoot, !bootEntries.isEmpty,
              let boots = BootJournal.directory(in: directory.raw, create: true)
        else { return }
        BootJournal.append(bootEntries.keys.sorted().map { bootEntries[$0]! }, to: boot, in: boots.raw, store: directory.raw)
    }

    // MARK: Internals

    /// Files bigger than this are not reservations we can match.
    private static let reservationSizeLimit = 1 << 16

    private func filePath(_ name: String) -> String { path + "/" + name }

    /// The key a reservation file records, or nil when it is not a regular
    /// file that can be read. Remembered for the session.
    private func recordedKey(of name: String) -> ReservationKey? {
        if let known = knownKeys[name] { return known }
        guard case .content(let bytes) = readSmallFile(in: directory.raw, name, limit: Self.reservationSizeLimit) else { return nil }
        let key = ReservationKey(fileContent: bytes)
        knownKeys[name] = key
        return key
    }

    // MARK: The session's index

    /// The session's index, opened on first use: the one in `.index` if it
    /// can be trusted; else rebuilt from a scan (written back to `.index` in
    /// a read-write session when possible, held in memory otherwise).
    private func sessionIndex() throws(CNIError) -> StoreIndex {
        precondition(isLocked, "DiskStore: this operation needs withLock")
        if let index { return index }
        let opened = try? StoreIndex(store: directory.raw, storePath: path, create: access == .readWrite)
        if let opened, opened.isTrusted {
            index = opened
            return opened
        }
        let rebuilt = rebuiltIndex(from: try scan(), replacing: opened)
        index = rebuilt
        return rebuilt
    }

    /// An index describing `reservations`: `candidate` (or `.index`, opened
    /// afresh) rewritten, in a read-write session where that works; else
    /// one held in memory for the session.
    private func rebuiltIndex(from reservations: [Reservation], replacing candidate: StoreIndex?) -> StoreIndex {
        if access == .readWrite, candidate?.isDetached != true,
           let persistent = candidate ?? (try? StoreIndex(store: directory.raw, storePath: path, create: true)) {
            do {
                try persistent.replaceAll(with: reservations)
                return persistent
            } catch {}
        }
        return StoreIndex(detachedFrom: reservations, storePath: path)
    }

    /// Reads the index; a damaged index is rebuilt and read again.
    private func queryIndex<Value>(_ body: (StoreIndex) throws -> Value) throws(CNIError) -> Value {
        let current = try sessionIndex()
        do {
            return try body(current)
        } catch {
            let rebuilt = rebuiltIndex(from: try scan(), replacing: current)
            index = rebuilt
            do {
                return try body(rebuilt)
            } catch {
                // A fresh index is whole in memory: nothing left to fail.
                preconditionFailure("a rebuilt index failed: \(error)")
            }
        }
    }

    /// Changes the index. In a read-only session only a copy held in memory
    /// is changed; an index that cannot be changed (damaged, or `.index`
    /// not writable) is replaced by a fresh one, so a change never fails
    /// the call.
    private func updateIndex(_ body: (StoreIndex) throws -> Void) throws(CNIError) {
        var current = try sessionIndex()
        if access == .readOnly && !current.isDetached {
            current = StoreIndex(detachedFrom: try scan(), storePath: path)
            index = current
        }
        do {
            try body(current)
        } catch {
            let rebuilt = rebuiltIndex(from: try scan(), replacing: current)
            index = rebuilt
            do {
                try body(rebuilt)
            } catch {
                // The rebuilt index failed again (it is on a filesystem
                // that just stopped taking writes): hold it in memory.
                let detached = StoreIndex(detachedFrom: try scan(), storePath: path)
                index = detached
                try? body(detached)
            }
        }
    }

    /// Reads every reservation file: regular files at the top whose names
    /// parse as addresses. Unreadable files are skipped, as the reference
    /// skips them.
    private func scan() throws(CNIError) -> [Reservation] {
        let entries: [DirectoryEntry]
        switch listDirectory(directory.raw) {
        case .failure(let failure): throw failure.error(at: path)
        case .success(let list): entries = list
        }
        var reservations: [Reservation] = []
        reservations.reserveCapacity(entries.count)
        for entry in entries where entry.type == DT_REG || entry.type == DT_UNKNOWN {
            guard let address = IPAddress(entry.name),
                  case .content(let bytes) = readSmallFile(in: directory.raw, entry.name, limit: Self.reservationSizeLimit)
            else { continue }
            reservations.append(Reservation(address: address.unmapped, key: ReservationKey(fileContent: bytes), name: entry.name))
        }
        return reservations
    }

    /// Writes `last_reserved_ip.<rangeSetIndex>` in place, as the reference
    /// rewrites it (see `overwriteFile` for why not temp + rename). The
    /// pointer only steers round-robin: a process killed half-way leaves the
    /// old text, the new one, or the new one followed by the old one's tail,
    /// which at worst moves where the next walk starts (an unparseable text
    /// makes it start at `rangeStart`). It never affects which addresses are
    /// reserved. A symlink, FIFO or socket planted under the name is
    /// replaced, never written through.
    private func recordLastReserved(_ name: String, rangeSetIndex: Int) throws(CNIError) {
        let target = Self.lastReservedPrefix + String(rangeSetIndex)
        var failure = overwriteFile(in: directory.raw, target, Array(name.utf8))
        if let planted = failure, planted.operation == "open", [ELOOP, ENXIO, EINVAL, EISDIR].contains(planted.code) {
            removeEntry(in: directory.raw, target)
            failure = overwriteFile(in: directory.raw, target, Array(name.utf8))
        }
        if let failure { throw failure.error(at: filePath(target)) }
    }
}
