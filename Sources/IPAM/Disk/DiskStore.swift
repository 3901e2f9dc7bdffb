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
/// **Crash safety** (against SIGKILL at any instant). A reservation file is
/// complete or absent: its content is written to
/// `.index/tmp/.tmp-reservation` and then hard-linked to the address's
/// name, `linkat` failing with EEXIST when the address is taken (the same
/// atomic test as the reference's `O_EXCL`), so no duplicate either.
/// `last_reserved_ip.N` is rewritten in place (it only steers round-robin;
/// see `recordLastReserved`). The lock dies with the process. A crash
/// leaves at most a temp file under `.index/tmp` and an untrusted index,
/// both dealt with by the next session. Durability across power loss is not
/// attempted (no fsync), as with the reference.
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
    /// The reference's default `dataDir`.
    public static let defaultDataDirectory = "/var/lib/cni/networks"
    /// How long `withLock` waits by default.
    public static let defaultLockTimeout: Duration = .seconds(60)

    /// `<dataDir>/<network>`, cleaned as Go's `filepath.Join` would.
    public let path: String
    private let directory: Int32
    private let lockDescriptor: Int32
    private var isLocked = false
    private var index: StoreIndex? = nil
    /// Keys of reservation files read or written in this lock session.
    /// Valid while the lock is held: only we change files then.
    private var knownKeys: [String: ReservationKey] = [:]

    private static let lastReservedPrefix = "last_reserved_ip."

    private init(path: String, directory: Int32, lockDescriptor: Int32) {
        self.path = path
        self.directory = directory
        self.lockDescriptor = lockDescriptor
    }

    deinit {
        index = nil
        close(lockDescriptor)
        close(directory)
    }

    /// Opens (creating if needed) the store of `network` under `dataDir`
    /// (`defaultDataDirectory` when nil or empty). Does not lock.
    ///
    /// - Throws: code 7 for a network name that is empty, `.`, `..` or holds
    ///   `/` or NUL (it would escape `dataDir`); code 999 for I/O errors,
    ///   worded as the reference's (`mkdir <path>: not a directory`). A store
    ///   directory that is a symlink is refused.
    public static func open(dataDir: String?, network: String) throws(CNIError) -> DiskStore {
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
        let lock = openFile(in: fd, "lock", O_RDONLY | O_CREAT | O_NOFOLLOW, mode: 0o600)
        guard lock >= 0 else {
            let code = errno
            close(fd)
            throw ioError("open", path + "/lock", code)
        }
        return DiskStore(path: path, directory: fd, lockDescriptor: lock)
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
        try FileLock.lock(lockDescriptor, path: path + "/lock", timeout: timeout)
        isLocked = true
        defer {
            index?.finish()
            index = nil
            knownKeys = [:]
            isLocked = false
            FileLock.unlock(lockDescriptor)
        }
        return try body()
    }

    // MARK: AllocationStore

    public func reserve(_ address: IPAddress, for key: ReservationKey, rangeSetIndex: Int) throws(CNIError) -> Bool {
        let index = try trustedIndex()
        try index.beginChange()
        let name = address.description
        // 1-2. The content, complete, linked to the address's name, which
        //      fails with EEXIST when the address is taken.
        guard try index.linkReservation(key.bytes, as: name, into: directory) else { return false }
        let recorded = ReservationKey(fileContent: key.bytes)
        knownKeys[name] = recorded
        do {
            try index.add(key: recorded.bytes, name: name)
            // 3. Remember it for round-robin.
            try recordLastReserved(name, rangeSetIndex: rangeSetIndex)
        } catch {
            _ = unlinkat(directory, name, 0)
            knownKeys[name] = nil
            index.distrust()
            throw error
        }
        return true
    }

    public func lastReservedAddress(rangeSetIndex: Int) -> IPAddress? {
        guard case .content(let bytes) = readSmallFile(in: directory, Self.lastReservedPrefix + String(rangeSetIndex), limit: 256)
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
        let index = try trustedIndex()
        var found: [String: Reservation] = [:]
        for record in try index.records(sharingContainerIDWith: key.bytes) {
            let actual = recordedKey(of: record.name)
            if let actual, IndexBucket.encode(actual.bytes) == record.encodedKey {
                if actual == key, let address = IPAddress(record.name) {
                    found[record.name] = Reservation(address: address.unmapped, key: key, name: record.name)
                }
                continue
            }
            // Stale: the file is gone, or holds another key now.
            try index.beginChange()
            try index.remove(encodedKey: record.encodedKey, name: record.name, inBucketOf: key.bytes)
            if let actual {
                try index.add(key: actual.bytes, name: record.name)
                if actual == key, let address = IPAddress(record.name) {
                    found[record.name] = Reservation(address: address.unmapped, key: key, name: record.name)
                }
            }
        }
        return found.values.sorted { $0.name < $1.name }
    }

    /// Removes the reservation's file if it still holds the reservation's
    /// key: an address released and then taken by someone else is never
    /// removed.
    @discardableResult
    public func release(_ reservation: Reservation) throws(CNIError) -> Bool {
        let index = try trustedIndex()
        try index.beginChange()
        var removed = false
        if recordedKey(of: reservation.name) == reservation.key {
            guard unlinkat(directory, reservation.name, 0) == 0 || errno == ENOENT else {
                throw ioError("remove", filePath(reservation.name), errno)
            }
            knownKeys[reservation.name] = nil
            removed = true
        }
        try index.remove(key: reservation.key.bytes, name: reservation.name)
        return removed
    }

    /// Scans the store (and rebuilds the index from what it read).
    public func allReservations() throws(CNIError) -> [Reservation] {
        let index = try openIndex()
        let reservations = try scan()
        try index.replaceAll(with: reservations)
        for reservation in reservations { knownKeys[reservation.name] = reservation.key }
        return reservations
    }

    public func isTaken(_ address: IPAddress) throws(CNIError) -> Bool {
        var info = stat()
        if fstatat(directory, address.description, &info, AT_SYMLINK_NOFOLLOW) == 0 { return true }
        guard errno == ENOENT else { throw ioError("stat", filePath(address.description), errno) }
        return false
    }

    public func takenAddresses() throws(CNIError) -> Set<IPAddress> {
        switch listDirectory(directory) {
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

    // MARK: Internals

    /// Files bigger than this are not reservations we can match.
    private static let reservationSizeLimit = 1 << 16

    private func filePath(_ name: String) -> String { path + "/" + name }

    /// The key a reservation file records, or nil when it is not a regular
    /// file that can be read. Remembered for the session.
    private func recordedKey(of name: String) -> ReservationKey? {
        if let known = knownKeys[name] { return known }
        guard case .content(let bytes) = readSmallFile(in: directory, name, limit: Self.reservationSizeLimit) else { return nil }
        let key = ReservationKey(fileContent: bytes)
        knownKeys[name] = key
        return key
    }

    /// The session's index, opened on first use.
    private func openIndex() throws(CNIError) -> StoreIndex {
        precondition(isLocked, "DiskStore: this operation needs withLock")
        if let index { return index }
        let opened = try StoreIndex(storeDescriptor: directory, storePath: path)
        index = opened
        return opened
    }

    /// The session's index, rebuilt first if it cannot be trusted.
    private func trustedIndex() throws(CNIError) -> StoreIndex {
        let index = try openIndex()
        if !index.isTrusted {
            try index.replaceAll(with: try scan())
        }
        return index
    }

    /// Reads every reservation file: regular files at the top whose names
    /// parse as addresses. Unreadable files are skipped, as the reference
    /// skips them.
    private func scan() throws(CNIError) -> [Reservation] {
        let entries: [DirectoryEntry]
        switch listDirectory(directory) {
        case .failure(let failure): throw failure.error(at: path)
        case .success(let list): entries = list
        }
        var reservations: [Reservation] = []
        reservations.reserveCapacity(entries.count)
        for entry in entries where entry.type == DT_REG || entry.type == DT_UNKNOWN {
            guard let address = IPAddress(entry.name),
                  case .content(let bytes) = readSmallFile(in: directory, entry.name, limit: Self.reservationSizeLimit)
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
        var status = overwriteFile(in: directory, target, Array(name.utf8))
        if status == ELOOP || status == ENXIO || status == EINVAL {
            _ = unlinkat(directory, target, 0)
            status = overwriteFile(in: directory, target, Array(name.utf8))
        }
        guard status == 0 else { throw ioError("open", filePath(target), status) }
    }
}
