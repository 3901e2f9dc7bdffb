import Glibc

// Files as the tests see them: read and written with plain syscalls, never
// following a symlink at the last component unless told to.

/// rm -rf without following symlinks.
public func removeTree(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if info.st_mode & S_IFMT == S_IFDIR {
        for name in directoryEntries(path) { removeTree(path + "/" + name) }
        rmdir(path)
    } else {
        unlink(path)
    }
}

/// The names in a directory (without `.` and `..`), sorted; empty if it
/// cannot be read.
public func directoryEntries(_ path: String) -> [String] {
    guard let stream = opendir(path) else { return [] }
    defer { closedir(stream) }
    var names: [String] = []
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// Every path under `root` (relative, sorted), without following symlinks.
public func treeListing(_ root: String) -> [String] {
    var paths: [String] = []
    func walk(_ relative: String) {
        for name in directoryEntries(relative.isEmpty ? root : root + "/" + relative) {
            let child = relative.isEmpty ? name : relative + "/" + name
            paths.append(child)
            if fileType(root + "/" + child) == S_IFDIR { walk(child) }
        }
    }
    walk("")
    return paths
}

/// The file's bytes, nil if unreadable; a symlink at `path` is not
/// followed (it is unreadable) unless `followingSymlink`.
public func readFile(_ path: String, followingSymlink: Bool = false) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC | (followingSymlink ? 0 : O_NOFOLLOW))
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(fd, &buffer, buffer.count)
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { return bytes }
        bytes += buffer[..<count]
    }
}

public func readText(_ path: String, followingSymlink: Bool = false) -> String? {
    readFile(path, followingSymlink: followingSymlink).map { String(decoding: $0, as: UTF8.self) }
}

/// Creates or replaces a regular file.
public func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    precondition(fd >= 0, "cannot create \(path): \(String(cString: strerror(errno)))")
    defer { close(fd) }
    var written = 0
    while written < bytes.count {
        let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        precondition(count > 0, "cannot write \(path): \(String(cString: strerror(errno)))")
        written += count
    }
}

public func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) {
    writeFile(path, Array(text.utf8), mode: mode)
}

public func makeDirectory(_ path: String) {
    precondition(mkdir(path, 0o755) == 0 || errno == EEXIST, "mkdir \(path): \(errno)")
}

public func makeSymlink(_ path: String, pointingTo target: String) {
    precondition(symlink(target, path) == 0, "symlink \(path): \(errno)")
}

/// The `S_IFMT` bits of `path` (not following a symlink), or nil.
public func fileType(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & S_IFMT
}

/// The permission bits of `path` (not following a symlink), or nil.
public func permissions(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
}

/// Whether anything (a dangling symlink too) is at `path`.
public func exists(_ path: String) -> Bool { fileType(path) != nil }

/// Creates or replaces an executable (a fake plugin, a wrapper script).
public func writeExecutable(_ path: String, _ text: String) { writeFile(path, text, mode: 0o755) }
