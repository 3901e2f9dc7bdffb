import CNISpec
import Glibc
import TestKit
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

/// Creates or truncates a file with `text`, as the reference (or a human)
/// would write it.
func writeText(_ path: String, _ text: String, mode: mode_t = 0o600) { writeFile(path, text, mode: mode) }

func fileMode(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode
}

func isSymlink(_ path: String) -> Bool { (fileMode(path) ?? 0) & S_IFMT == S_IFLNK }

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
