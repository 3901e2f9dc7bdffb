import CNISpec
import Glibc
import SystemSupport

// Thin wrappers over the Glibc calls the disk store uses: EINTR retries,
// whole-buffer reads and writes, directory listing, and errors worded as Go
// words them (`open /x/y: no such file or directory`), so that messages
// match the reference's.

/// The errno text as Go prints it ("no such file or directory").
func errnoText(_ code: Int32) -> String { StandardIO.errorText(code) }

/// An I/O failure as a CNI error: `<operation> <path>: <errno text>`.
/// Code 11 ("try again later") for a read-only filesystem: nothing changed,
/// and the same call succeeds once the store is writable again, so the
/// runtime must retry (a DEL that gave up would leak the address). Code 999
/// for everything else, as the reference.
func ioError(_ operation: String, _ path: String, _ code: Int32) -> CNIError {
    CNIError(code == EROFS ? .tryAgainLater : .internal, "\(operation) \(path): \(errnoText(code))")
}

/// Runs a system call, repeating it while it fails with EINTR.
@inline(__always)
func retryingInterrupts(_ call: () -> Int32) -> Int32 {
    while true {
        let result = call()
        if result == -1 && errno == EINTR { continue }
        return result
    }
}

/// `openat` with EINTR retries; always `O_CLOEXEC`.
func openFile(in directory: Int32, _ name: String, _ flags: Int32, mode: mode_t = 0) -> Int32 {
    retryingInterrupts { openat(directory, name, flags | O_CLOEXEC, mode) }
}

/// Reads a whole regular file, opened without following a symlink and
/// without blocking on a FIFO.
enum SmallFileRead {
    case content([UInt8])
    /// ENOENT.
    case absent
    /// Something that is not a regular file has the name (symlink, FIFO,
    /// socket, directory).
    case notRegularFile
    case failed(Int32)
}

/// Reads the regular file `name` of `directory`, at most `limit` bytes; a
/// longer file is reported as `.failed(EFBIG)`. `modified`, if given,
/// receives the file's modification time.
func readSmallFile(in directory: Int32, _ name: String, limit: Int, modified: UnsafeMutablePointer<FileTime?>? = nil) -> SmallFileRead {
    guard let file = FileDescriptor.open(in: directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) else {
        let code = errno
        // ELOOP: a symlink; ENXIO: a socket. Neither is one of ours.
        if code == ENOENT { return .absent }
        return code == ELOOP || code == ENXIO ? .notRegularFile : .failed(code)
    }
    var info = stat()
    guard fstat(file.raw, &info) == 0 else { return .failed(errno) }
    guard info.st_mode & S_IFMT == S_IFREG else { return .notRegularFile }
    guard Int(info.st_size) <= limit else { return .failed(EFBIG) }
    modified?.pointee = FileTime(info.st_mtim)
    // One read of size + 1 bytes normally does it: a short read of a
    // regular file means its end.
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
    var filled = 0
    while true {
        let count = bytes.withUnsafeMutableBytes { buffer in
            read(file.raw, buffer.baseAddress! + filled, buffer.count - filled)
        }
        if count < 0 {
            if errno == EINTR { continue }
            return .failed(errno)
        }
        filled += count
        if filled < bytes.count { return .content(Array(bytes[..<filled])) }
        // The file grew meanwhile: read on.
        guard bytes.count <= limit else { return .failed(EFBIG) }
        bytes += [UInt8](repeating: 0, count: bytes.count)
    }
}

/// Creates `name` in `directory` afresh (removing whatever had the name),
/// writes `bytes` and closes it. Mode 0600. A file that cannot be written
/// completely is removed again. Returns nil or the failure.
func createFile(in directory: Int32, _ name: String, _ bytes: [UInt8]) -> IOFailure? {
    removeEntry(in: directory, name)
    guard let file = FileDescriptor.open(in: directory, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600) else {
        return IOFailure(operation: "open", code: errno)
    }
    var status = StandardIO.writeAll(fd: file.raw, bytes)
    if status == 0 { status = file.close() }
    guard status == 0 else {
        _ = unlinkat(directory, name, 0)
        return IOFailure(operation: "write", code: status)
    }
    return nil
}

/// Overwrites the regular file `name` of `directory` (creating it, 0600, if
/// missing) with `bytes`: one `pwrite` from offset 0, then `ftruncate` to
/// the new length. Returns nil or the failure; a file this call created
/// and could not fill is removed again (a full disk leaves nothing behind).
///
/// Reuses the inode and never truncates to zero. Both matter on ext4:
/// creating and deleting an inode per call gets slow under churn (the
/// allocator skips recently freed inodes), and a truncation to zero (or a
/// rename over an existing file) followed by a write makes ext4 allocate and
/// start writing the blocks at close (`auto_da_alloc`), a disk write per
/// call that stalls under I/O load.
///
/// A process killed between the two calls leaves the new bytes followed by
/// the tail of the old ones, if the old content was longer.
func overwriteFile(in directory: Int32, _ name: String, _ bytes: [UInt8]) -> IOFailure? {
    let flags = O_WRONLY | O_NOFOLLOW | O_NONBLOCK
    var created = false
    var opened = FileDescriptor.open(in: directory, name, flags)
    if opened == nil && errno == ENOENT {
        opened = FileDescriptor.open(in: directory, name, flags | O_CREAT | O_EXCL, mode: 0o600)
        created = opened != nil
    }
    guard let file = opened else {
        // ELOOP: a symlink; ENXIO: a socket; EISDIR: a directory.
        return IOFailure(operation: "open", code: errno)
    }
    var info = stat()
    guard fstat(file.raw, &info) == 0 else { return IOFailure(operation: "stat", code: errno) }
    guard info.st_mode & S_IFMT == S_IFREG else { return IOFailure(operation: "open", code: EINVAL) }
    var offset = 0
    while offset < bytes.count {
        let count = bytes.withUnsafeBytes { buffer in
            pwrite(file.raw, buffer.baseAddress! + offset, buffer.count - offset, off_t(offset))
        }
        if count < 0 {
            if errno == EINTR { continue }
            let code = errno
            if created { _ = unlinkat(directory, name, 0) }
            return IOFailure(operation: "write", code: code)
        }
        offset += count
    }
    if Int(info.st_size) > bytes.count {
        guard retryingInterrupts({ ftruncate(file.raw, off_t(bytes.count)) }) == 0 else {
            return IOFailure(operation: "truncate", code: errno)
        }
    }
    return nil
}

/// Removes `name` from `directory` whatever it is: a file, a symlink (not
/// followed) or a directory with everything in it (at most `depth` levels
/// deep). Best effort: failures are ignored.
func removeEntry(in directory: Int32, _ name: String, depth: Int = 16) {
    if unlinkat(directory, name, 0) == 0 || errno == ENOENT { return }
    guard errno == EISDIR || errno == EPERM, depth > 0,
          let inner = FileDescriptor.open(in: directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
    else { return }
    if case .success(let entries) = listDirectory(inner.raw) {
        for entry in entries { removeEntry(in: inner.raw, entry.name, depth: depth - 1) }
    }
    _ = unlinkat(directory, name, AT_REMOVEDIR)
}

/// One directory entry: its name and `d_type` (DT_UNKNOWN on some
/// filesystems).
struct DirectoryEntry {
    let name: String
    let type: UInt8
}

/// Lists `directory` (without "." and ".."), through a descriptor of its own
/// so that the caller's descriptor keeps its offset.
func listDirectory(_ directory: Int32) -> Result<[DirectoryEntry], IOFailure> {
    let fd = openFile(in: directory, ".", O_RDONLY | O_DIRECTORY)
    if fd < 0 { return .failure(IOFailure(operation: "open", code: errno)) }
    // The stream owns the descriptor from here on: closedir closes it.
    guard let stream = fdopendir(fd) else {
        let code = errno
        close(fd)
        return .failure(IOFailure(operation: "open", code: code))
    }
    defer { closedir(stream) }
    var entries: [DirectoryEntry] = []
    while true {
        errno = 0
        guard let entry = readdir(stream) else {
            if errno != 0 { return .failure(IOFailure(operation: "readdirent", code: errno)) }
            return .success(entries)
        }
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name == "." || name == ".." { continue }
        entries.append(DirectoryEntry(name: name, type: entry.pointee.d_type))
    }
}

/// A failed system call, before the path is known.
struct IOFailure: Error {
    let operation: String
    let code: Int32

    func error(at path: String) -> CNIError { ioError(operation, path, code) }
}

/// A modification time as `stat` reports it.
struct FileTime: Equatable, Comparable {
    let seconds: Int
    let nanoseconds: Int

    init(_ time: timespec) {
        seconds = time.tv_sec
        nanoseconds = time.tv_nsec
    }

    init(seconds: Int, nanoseconds: Int) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    var timespec: Glibc.timespec { Glibc.timespec(tv_sec: seconds, tv_nsec: nanoseconds) }

    static func < (lhs: FileTime, rhs: FileTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
}

/// `UTIME_OMIT` from <sys/stat.h>, which Swift does not import.
let utimeOmit = (1 << 30) - 2

/// Sets the modification time of `name` in `directory` (or of `directory`
/// itself when `name` is nil), leaving the access time. Returns 0 or errno.
func setModificationTime(in directory: Int32, _ name: String?, to time: FileTime) -> Int32 {
    let times = [Glibc.timespec(tv_sec: 0, tv_nsec: utimeOmit), time.timespec]
    let result: Int32
    if let name {
        result = utimensat(directory, name, times, AT_SYMLINK_NOFOLLOW)
    } else {
        result = futimens(directory, times)
    }
    return result == 0 ? 0 : errno
}

/// The modification time of `name` in `directory` (or of `directory`), or
/// nil when it is missing or not of the expected kind.
func modificationTime(in directory: Int32, _ name: String?, kind: mode_t) -> FileTime? {
    var info = stat()
    let result = name.map { fstatat(directory, $0, &info, AT_SYMLINK_NOFOLLOW) } ?? fstat(directory, &info)
    guard result == 0, info.st_mode & S_IFMT == kind else { return nil }
    return FileTime(info.st_mtim)
}

/// Go's `filepath.Clean`: the shortest lexically equal path.
func cleanPath(_ path: String) -> String {
    let rooted = path.hasPrefix("/")
    var parts: [Substring] = []
    for part in path.split(separator: "/", omittingEmptySubsequences: true) {
        if part == "." { continue }
        if part == ".." {
            if let last = parts.last, last != ".." {
                parts.removeLast()
            } else if !rooted {
                parts.append(part)
            }
            continue
        }
        parts.append(part)
    }
    let joined = parts.joined(separator: "/")
    if rooted { return "/" + joined }
    return joined.isEmpty ? "." : joined
}

/// Go's `os.MkdirAll(path, mode)`: creates every missing directory of
/// `path`; an existing non-directory gives `mkdir <it>: not a directory`.
func makeDirectories(_ path: String, mode: mode_t) throws(CNIError) {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for part in path.split(separator: "/", omittingEmptySubsequences: true) {
        prefix += (prefix.isEmpty || prefix == "/" ? "" : "/") + part
        if part == "." || part == ".." { continue }
        if retryingInterrupts({ mkdir(prefix, mode) }) == 0 { continue }
        let code = errno
        guard code == EEXIST else { throw ioError("mkdir", prefix, code) }
        var info = stat()
        guard stat(prefix, &info) == 0 else { throw ioError("mkdir", prefix, errno) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw ioError("mkdir", prefix, ENOTDIR) }
    }
}
