import Glibc

/// A fresh directory under /tmp, removed with everything in it (symlinks
/// removed, never followed) when the last reference goes.
final class ScratchDirectory: @unchecked Sendable {
    let path: String

    init() {
        var template = Array("/tmp/host-local-tests-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed: \(errno)")
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { removeTree(path) }

    func sub(_ name: String) -> String { path + "/" + name }
}

/// rm -rf without following symlinks.
func removeTree(_ path: String) {
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
func directoryEntries(_ path: String) -> [String] {
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
func treeListing(_ root: String) -> [String] {
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

/// The file's bytes, without following a symlink; nil if unreadable.
func readFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(fd, &buffer, buffer.count)
        if count <= 0 { return bytes }
        bytes += buffer[..<count]
    }
}

func readText(_ path: String) -> String? { readFile(path).map { String(decoding: $0, as: UTF8.self) } }

/// Creates or replaces a regular file.
func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    precondition(fd >= 0, "cannot create \(path): \(errno)")
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) { writeFile(path, Array(text.utf8), mode: mode) }

func makeDirectory(_ path: String) {
    precondition(mkdir(path, 0o755) == 0 || errno == EEXIST, "mkdir \(path): \(errno)")
}

func makeSymlink(_ path: String, pointingTo target: String) {
    precondition(symlink(target, path) == 0, "symlink \(path): \(errno)")
}

/// The `S_IFMT` bits of `path` (not following a symlink), or nil.
func fileType(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & S_IFMT
}

/// The permission bits of `path` (not following a symlink), or nil.
func permissions(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
}

func exists(_ path: String) -> Bool { fileType(path) != nil }
