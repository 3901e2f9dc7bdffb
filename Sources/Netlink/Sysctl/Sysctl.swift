import Glibc
import SystemSupport

/// Reads and writes kernel parameters through /proc/sys.
///
/// Namespaces: everything under /proc/sys/net belongs to the network
/// namespace of the thread that *opens* the file (the kernel resolves it
/// through the opening task's namespace, per thread, not per process; a
/// test in this package checks it). So to touch a pod's
/// `net.ipv6.conf.eth0.*`, call these inside `NetworkNamespace.withEntered`.
/// Other keys (`kernel.*`, `vm.*`) are global.
public enum Sysctl {
    /// The value with trailing whitespace (the kernel's newline) removed.
    public static func read(_ key: SysctlKey) throws(SysctlError) -> String {
        let path = key.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .openFailed(key: key, errno: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .readFailed(key: key, errno: errno)
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: " ")
                || last == UInt8(ascii: "\t") {
            bytes.removeLast()
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `value` (no newline needed) in one write(2).
    public static func write(_ key: SysctlKey, _ value: String) throws(SysctlError) {
        let fd = open(key.path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .openFailed(key: key, errno: errno) }
        defer { close(fd) }
        var bytes = Array(value.utf8)
        while true {
            let written = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written == bytes.count { return }
            if written < 0 && errno == EINTR { continue }
            throw .writeFailed(key: key, errno: written < 0 ? errno : EIO)
        }
    }

    /// Writes `value` only when the current value differs (compared after
    /// trimming whitespace), as the reference does for `ip_forward` ("only
    /// if not already 1"). Returns whether it wrote.
    @discardableResult
    public static func ensure(_ key: SysctlKey, _ value: String) throws(SysctlError) -> Bool {
        if try read(key) == value { return false }
        try write(key, value)
        return true
    }
}

/// A failed /proc/sys access. Descriptions read like Go's `os` errors
/// (`open /proc/sys/net/ipv6/conf/eth0/accept_dad: no such file or
/// directory`), the text the reference plugins wrap.
public enum SysctlError: Error, Sendable, Equatable, CustomStringConvertible {
    case openFailed(key: SysctlKey, errno: Int32)
    case readFailed(key: SysctlKey, errno: Int32)
    case writeFailed(key: SysctlKey, errno: Int32)

    public var key: SysctlKey {
        switch self {
        case .openFailed(let key, _), .readFailed(let key, _), .writeFailed(let key, _): return key
        }
    }

    public var errno: Int32 {
        switch self {
        case .openFailed(_, let code), .readFailed(_, let code), .writeFailed(_, let code): return code
        }
    }

    /// The key does not exist in this namespace (ENOENT), e.g. an
    /// interface that is not there or IPv6 disabled on the host.
    public var isNotFound: Bool { errno == ENOENT }

    public var description: String {
        switch self {
        case .openFailed(let key, let code): return "open \(key.path): \(StandardIO.errorText(code))"
        case .readFailed(let key, let code): return "read \(key.path): \(StandardIO.errorText(code))"
        case .writeFailed(let key, let code): return "write \(key.path): \(StandardIO.errorText(code))"
        }
    }
}
