import Glibc
import SystemSupport

/// The identity of one boot of the kernel: `/proc/sys/kernel/random/boot_id`,
/// a random UUID drawn at boot. It never repeats, so "made in another boot"
/// needs no clock at all.
public struct BootID: Hashable, Sendable, CustomStringConvertible {
    /// The UUID's 36 characters, lower-case hex and dashes.
    public let text: String

    /// A boot ID as the kernel prints it (a trailing newline is dropped),
    /// or nil when it is not one (36 characters of hex digits and dashes),
    /// so it can name a file.
    public init?(_ text: some StringProtocol) {
        var utf8 = Array(text.utf8)
        if utf8.last == UInt8(ascii: "\n") { utf8.removeLast() }
        guard utf8.count == 36, utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || $0 == 0x2d })
        else { return nil }
        self.text = String(decoding: utf8, as: UTF8.self)
    }

    public var description: String { text }

    public static let kernelPath = "/proc/sys/kernel/random/boot_id"

    /// The running kernel's boot ID, or nil where it cannot be read (no
    /// /proc): then no boot is known, and nothing is ever reclaimed.
    /// One open, one read, one close: on the path of every ADD.
    public static func current() -> BootID? {
        guard let file = FileDescriptor.open(in: AT_FDCWD, kernelPath, O_RDONLY) else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = retryingInterrupts { Int32(truncatingIfNeeded: read(file.raw, &buffer, buffer.count)) }
        guard count > 0 else { return nil }
        return BootID(String(decoding: buffer[..<Int(count)], as: UTF8.self))
    }
}

/// Which reservations we made in which boot, so that those of an earlier
/// boot can be released: no network namespace survives a reboot, so none of
/// them can belong to a live pod (the reference leaks them for good).
///
/// `.index/boots/<boot id>` holds one line per reservation made in that
/// boot: `name key inode mtime`, the key percent-encoded as in the buckets
/// (so, like them, never mistaken for a reservation by the reference's
/// walk). The inode number and mtime identify the very file we created: a
/// file released and made again, by anyone, is another file and is never
/// released on the strength of an old line. The reservation files
/// themselves stay byte-compatible.
///
/// The current boot's journal also says "this boot was dealt with": when
/// it exists, a session pays one `fstatat`. When it does not, the session
/// is the first of this boot: it releases every reservation recorded by the
/// other journals whose file is still that file, holds the same key, and
/// removes those journals, then starts this boot's. A crash half-way
/// repeats the work next time, harmlessly.
///
/// Never released: a reservation made in the current boot (its line is in
/// the current journal, whatever the clock says); one whose boot is unknown
/// (made by the reference, by an older version of ours, with reclaiming
/// turned off, or whose file changed since); those stay for DEL and GC.
struct BootJournal {
    static let header = Array("# swift-cni host-local boot journal v1\n".utf8)

    /// One reservation made in a boot, as its line records it.
    struct Entry: Equatable {
        let name: String
        let key: ReservationKey
        let inode: UInt64
        let modified: FileTime

        var line: [UInt8] {
            Array(name.utf8) + [0x20] + IndexBucket.encode(key.bytes)
                + Array(" \(inode) \(modified.seconds).\(modified.nanoseconds)\n".utf8)
        }

        /// Whether `name` in `store` is still the file this entry recorded.
        func isStill(in store: Int32) -> Bool {
            var info = stat()
            guard fstatat(store, name, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
            return UInt64(info.st_ino) == inode && FileTime(info.st_mtim) == modified
        }

        /// The entry for the file `name` of `store`, just created for `key`.
        init?(recording name: String, key: ReservationKey, in store: Int32) {
            var info = stat()
            guard fstatat(store, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
            self.init(name: name, key: key, inode: UInt64(info.st_ino), modified: FileTime(info.st_mtim))
        }

        init(name: String, key: ReservationKey, inode: UInt64, modified: FileTime) {
            self.name = name
            self.key = key
            self.inode = inode
            self.modified = modified
        }

        /// Parses a line (without its newline); nil for anything else.
        init?(line: ArraySlice<UInt8>) {
            let fields = line.split(separator: 0x20, omittingEmptySubsequences: false)
            guard fields.count == 4, let key = IndexBucket.decode(fields[1]),
                  let inode = UInt64(String(decoding: fields[2], as: UTF8.self))
            else { return nil }
            let time = fields[3].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            guard time.count == 2, let seconds = Int(String(decoding: time[0], as: UTF8.self)),
                  let nanoseconds = Int(String(decoding: time[1], as: UTF8.self))
            else { return nil }
            self.init(name: String(decoding: fields[0], as: UTF8.self), key: ReservationKey(fileContent: key),
                      inode: inode, modified: FileTime(seconds: seconds, nanoseconds: nanoseconds))
        }
    }

    /// `.index/boots`, opened without following symlinks; created when
    /// `create` is set. nil when missing (or not a directory).
    static func directory(in store: Int32, create: Bool) -> FileDescriptor? {
        let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW
        guard let index = FileDescriptor.open(in: store, StoreIndex.directoryName, flags) else { return nil }
        if let boots = FileDescriptor.open(in: index.raw, StoreIndex.bootsDirectoryName, flags) { return boots }
        guard create else { return nil }
        if errno == EACCES {
            // Ours, made unreadable: take it back (the owner may).
            _ = fchmodat(index.raw, StoreIndex.bootsDirectoryName, 0o700, 0)
            if let boots = FileDescriptor.open(in: index.raw, StoreIndex.bootsDirectoryName, flags) { return boots }
        }
        if errno == ELOOP || errno == ENOTDIR { removeEntry(in: index.raw, StoreIndex.bootsDirectoryName) }
        _ = mkdirat(index.raw, StoreIndex.bootsDirectoryName, 0o700)
        return FileDescriptor.open(in: index.raw, StoreIndex.bootsDirectoryName, flags)
    }

    /// Whether `boot`'s journal exists: this boot was dealt with.
    static func hasJournal(of boot: BootID, in store: Int32) -> Bool {
        var info = stat()
        let path = StoreIndex.directoryName + "/" + StoreIndex.bootsDirectoryName + "/" + boot.text
        return fstatat(store, path, &info, AT_SYMLINK_NOFOLLOW) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    /// The entries of every journal in `boots` but `current`'s, with the
    /// names of those journals (and of anything else found there).
    static func otherBoots(than current: BootID, in boots: Int32) -> (entries: [Entry], files: [String]) {
        guard case .success(let listing) = listDirectory(boots) else { return ([], []) }
        var entries: [Entry] = []
        var files: [String] = []
        for item in listing where item.name != current.text {
            files.append(item.name)
            guard BootID(item.name) != nil,
                  case .content(let bytes) = readSmallFile(in: boots, item.name, limit: 64 << 20),
                  bytes.starts(with: header)
            else { continue }
            for line in bytes[header.count...].split(separator: UInt8(ascii: "\n")) {
                if let entry = Entry(line: line) { entries.append(entry) }
            }
        }
        return (entries, files)
    }

    /// A journal is compacted each time an append takes it across a
    /// multiple of this size.
    static let compactionThreshold = 256 << 10

    /// Appends `entries` to `boot`'s journal (creating it with its header).
    /// Best effort: a reservation whose line is lost is one of unknown boot.
    /// An append that takes the journal across a multiple of
    /// `compactionThreshold` (a boot with many pods come and gone) rewrites
    /// it with the lines whose files are still there: the journal stays
    /// within about twice the live reservations' lines, and each compaction
    /// is paid for by the many appends before it.
    @discardableResult
    static func append(_ entries: [Entry], to boot: BootID, in boots: Int32, store: Int32) -> Bool {
        guard let (before, after) = append(entries, to: boot, in: boots) else { return false }
        if before / compactionThreshold != after / compactionThreshold { compact(boot, in: boots, store: store) }
        return true
    }

    /// Rewrites `boot`'s journal keeping the lines whose files are still
    /// the files they recorded (through a temp file renamed over it).
    static func compact(_ boot: BootID, in boots: Int32, store: Int32) {
        guard case .content(let bytes) = readSmallFile(in: boots, boot.text, limit: 64 << 20), bytes.starts(with: header) else { return }
        var kept = header
        for line in bytes[header.count...].split(separator: UInt8(ascii: "\n")) {
            if let entry = Entry(line: line), entry.isStill(in: store) { kept += entry.line }
        }
        let temporary = boot.text + ".new"
        guard createFile(in: boots, temporary, kept) == nil else { return }
        if renameat(boots, temporary, boots, boot.text) != 0 { _ = unlinkat(boots, temporary, 0) }
    }

    /// The journal's size before and after the append, or nil on failure.
    private static func append(_ entries: [Entry], to boot: BootID, in boots: Int32) -> (Int, Int)? {
        var bytes: [UInt8] = []
        var flags = O_WRONLY | O_APPEND | O_NOFOLLOW
        var file = FileDescriptor.open(in: boots, boot.text, flags)
        if file == nil && errno == ENOENT {
            flags |= O_CREAT | O_EXCL
            file = FileDescriptor.open(in: boots, boot.text, flags, mode: 0o600)
            bytes = header
        }
        guard let file else { return nil }
        var info = stat()
        guard fstat(file.raw, &info) == 0 else { return nil }
        for entry in entries { bytes += entry.line }
        guard StandardIO.writeAll(fd: file.raw, bytes) == 0, file.close() == 0 else { return nil }
        return (Int(info.st_size), Int(info.st_size) + bytes.count)
    }
}
