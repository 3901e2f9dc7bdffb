import Glibc
import SystemSupport

/// Why a network namespace could not be opened or entered.
///
/// Descriptions keep the reference plugins' wording (Go's
/// `ns.GetNS`/`ns.IsNSorErr`), which runtimes and users grep for.
public enum NamespaceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// statfs said ENOENT: `failed to Statfs "<path>": no such file or
    /// directory`. The bridge plugin's DEL treats this as "already gone".
    case pathNotFound(path: String)
    /// statfs failed otherwise.
    case statfsFailed(path: String, errno: Int32)
    /// The path lives on neither nsfs nor procfs (a stale bind-mount
    /// target, a regular file): `unknown FS magic on "<path>": <hex>`.
    case notANamespace(path: String, magic: Int)
    /// An nsfs file of another kind (`/proc/self/ns/mnt`): NS_GET_NSTYPE
    /// did not say CLONE_NEWNET.
    case notANetworkNamespace(path: String, type: Int32)
    case openFailed(path: String, errno: Int32)
    /// fstat/stat of a namespace file failed.
    case statFailed(path: String, errno: Int32)
    /// setns(2) into the namespace failed (EPERM without CAP_SYS_ADMIN).
    case enterFailed(path: String, errno: Int32)

    public var path: String {
        switch self {
        case .pathNotFound(let path), .statfsFailed(let path, _), .notANamespace(let path, _),
             .notANetworkNamespace(let path, _), .openFailed(let path, _), .statFailed(let path, _),
             .enterFailed(let path, _):
            return path
        }
    }

    public var description: String {
        let quoted = GoQuote.quoted(path)
        switch self {
        case .pathNotFound:
            return "failed to Statfs \(quoted): \(StandardIO.errorText(ENOENT))"
        case .statfsFailed(_, let errno):
            return "failed to Statfs \(quoted): \(StandardIO.errorText(errno))"
        case .notANamespace(_, let magic):
            return "unknown FS magic on \(quoted): \(String(magic, radix: 16))"
        case .notANetworkNamespace(_, let type):
            return "\(quoted) is not a network namespace (namespace type 0x\(String(type, radix: 16)))"
        case .openFailed(let path, let errno):
            return "open \(path): \(StandardIO.errorText(errno))"
        case .statFailed(let path, let errno):
            return "stat \(path): \(StandardIO.errorText(errno))"
        case .enterFailed(_, let errno):
            return "failed to enter netns \(quoted): \(StandardIO.errorText(errno))"
        }
    }
}
