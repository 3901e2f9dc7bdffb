import Glibc

/// A fresh directory under /tmp (IPAM data dirs, fake plugins, stores),
/// removed with everything in it (symlinks removed, never followed) when
/// the last reference goes.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(prefix: String = "cni-tests") {
        path = TemporaryDirectory.make(prefix: prefix)
    }

    deinit { removeTree(path) }

    public func sub(_ name: String) -> String { path + "/" + name }

    /// A fresh directory whose lifetime the caller manages (with `remove`),
    /// for one that outlives a scope, such as a test network's.
    public static func make(prefix: String) -> String {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed: \(String(cString: strerror(errno)))")
        return String(cString: made!)
    }

    /// Removes a directory made by `make`; nothing outside /tmp.
    public static func remove(_ path: String) {
        guard path.hasPrefix("/tmp/") else { return }
        removeTree(path)
    }
}
