import CNISpec
import Glibc
@testable import IPAM

func ip(_ text: String) -> IPAddress { IPAddress(text)! }
func cidr(_ text: String) -> CIDR { CIDR(text)! }

/// A range with defaults, for tests that need a valid one.
func range(_ subnet: String, start: String? = nil, end: String? = nil, gateway: String? = nil) -> IPRange {
    try! IPRange(RangeConfig(subnet: subnet, rangeStart: start, rangeEnd: end, gateway: gateway))
}

func rangeSet(_ subnets: String...) -> RangeSet {
    try! RangeSet(subnets.map { range($0) })
}

/// The error a throwing call produced, or nil.
func caught<T>(_ body: () throws(CNIError) -> T) -> CNIError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// A fresh directory under /tmp, removed with its contents on deinit.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/ipam-tests-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { removeTree(path) }

    func sub(_ name: String) -> String { path + "/" + name }
}

/// rm -rf, without following symlinks.
func removeTree(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if info.st_mode & S_IFMT == S_IFDIR {
        if let stream = opendir(path) {
            var names: [String] = []
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(stream)
            for name in names { removeTree(path + "/" + name) }
        }
        rmdir(path)
    } else {
        unlink(path)
    }
}

/// The bytes of a file (following nothing), or nil.
func readBytes(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_NOFOLLOW)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = read(fd, &buffer, buffer.count)
        if count <= 0 { return bytes }
        bytes += buffer[..<count]
    }
}

func readText(_ path: String) -> String? { readBytes(path).map { String(decoding: $0, as: UTF8.self) } }

/// Creates or truncates a file with `text`, as the reference (or a human)
/// would write it.
func writeText(_ path: String, _ text: String, mode: mode_t = 0o600) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
    precondition(fd >= 0, "open \(path) failed: \(errno)")
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

func exists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}

func fileMode(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode
}

func isSymlink(_ path: String) -> Bool { (fileMode(path) ?? 0) & S_IFMT == S_IFLNK }

func listNames(_ path: String) -> [String] {
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

/// The process umask, read without changing it.
func currentUmask() -> mode_t {
    guard let status = readText("/proc/self/status"),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Umask:") }),
          let value = mode_t(line.dropFirst(6).trimmingPrefix(while: { $0 == " " || $0 == "\t" }), radix: 8)
    else { return 0o022 }
    return value
}

/// The modification time of a path (without following a symlink).
func mtime(_ path: String) -> timespec {
    var info = stat()
    _ = lstat(path, &info)
    return info.st_mtim
}

/// Sets the modification time of a path.
func setMtime(_ path: String, _ time: timespec) {
    let times = [timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2), time]
    _ = utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW)
}
