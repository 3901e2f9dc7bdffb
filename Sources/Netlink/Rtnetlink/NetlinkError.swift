import CNetlink
import Glibc
import SystemSupport

/// A failed netlink request, converted from libnl's negative `NLE_*` code
/// at the boundary (every libnl call goes through `NetlinkSocket.perform`).
///
/// It names what was attempted (`operation`, e.g. "add link") and on what
/// (`object`, e.g. `"cni0"`), and keeps both the libnl code and, when the
/// kernel reported one, the exact errno: libnl's own mapping is lossy
/// (EEXIST and EADDRINUSE both become `NLE_EXIST`).
public struct NetlinkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The outcomes callers branch on; everything else is `.other`.
    public enum Kind: Sendable, Equatable {
        case alreadyExists        // EEXIST
        case noSuchDevice         // ENODEV: link gone or never there
        case notFound             // ESRCH / ENOENT: route or object missing
        case addressNotAvailable  // EADDRNOTAVAIL: address not on the link
        case notSupported         // EOPNOTSUPP
        case permissionDenied     // EPERM / EACCES
        case busy                 // EBUSY
        case outOfRange           // ERANGE (e.g. an interface name over 15 bytes)
        case invalidArgument      // EINVAL
        case other
    }

    /// What was attempted, as a short verb phrase ("add link").
    public let operation: String
    /// What it was attempted on (a name, an address, a route).
    public let object: String
    /// The positive libnl `NLE_*` code.
    public let code: Int32
    /// The positive errno from the kernel's NLMSG_ERROR, when known.
    public let kernelErrno: Int32?

    public init(operation: String, object: String, code: Int32, kernelErrno: Int32? = nil) {
        self.operation = operation
        self.object = object
        self.code = abs(code)
        self.kernelErrno = kernelErrno.map { abs($0) }
    }

    /// libnl's text for `code` (`nl_geterror`), e.g. "Object exists".
    public var libnlMessage: String { String(cString: nl_geterror(code)) }

    /// The errno this failure stands for: the kernel's own when it was
    /// captured, otherwise the errno libnl most likely mapped from.
    public var errno: Int32? {
        if let kernelErrno { return kernelErrno }
        switch code {
        case Int32(NLE_EXIST): return EEXIST
        case Int32(NLE_NODEV): return ENODEV
        case Int32(NLE_NOADDR): return EADDRNOTAVAIL
        case Int32(NLE_OPNOTSUPP): return EOPNOTSUPP
        case Int32(NLE_PERM): return EPERM
        case Int32(NLE_NOACCESS): return EACCES
        case Int32(NLE_BUSY): return EBUSY
        case Int32(NLE_RANGE): return ERANGE
        case Int32(NLE_INVAL): return EINVAL
        case Int32(NLE_NOMEM): return ENOMEM
        case Int32(NLE_AF_NOSUPPORT): return EAFNOSUPPORT
        default: return nil
        }
    }

    public var kind: Kind {
        if let errno {
            switch errno {
            case EEXIST: return .alreadyExists
            case ENODEV: return .noSuchDevice
            case ESRCH, ENOENT: return .notFound
            case EADDRNOTAVAIL: return .addressNotAvailable
            case EOPNOTSUPP: return .notSupported
            case EPERM, EACCES: return .permissionDenied
            case EBUSY: return .busy
            case ERANGE: return .outOfRange
            case EINVAL: return .invalidArgument
            default: return .other
            }
        }
        return code == Int32(NLE_OBJ_NOTFOUND) ? .notFound : .other
    }

    public var isAlreadyExists: Bool { kind == .alreadyExists }
    public var isNoSuchDevice: Bool { kind == .noSuchDevice }
    public var isNotFound: Bool { kind == .notFound }

    /// The cause alone, worded as the reference plugins print it ("file
    /// exists", "numerical result out of range"); libnl's text, lowercased,
    /// when no errno is known.
    public var reason: String {
        if let errno { return StandardIO.errorText(errno) }
        let text = libnlMessage
        guard let first = text.first else { return "libnl error \(code)" }
        return first.lowercased() + text.dropFirst()
    }

    /// `<operation> <object>: <reason>`, e.g.
    /// `add link "cni0": numerical result out of range`.
    public var description: String { "\(operation) \(object): \(reason)" }
}
