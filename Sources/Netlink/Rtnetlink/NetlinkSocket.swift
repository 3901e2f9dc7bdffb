import CNetlink
import Glibc

/// A connected NETLINK_ROUTE socket, bound for its whole life to the
/// network namespace it was created in.
///
/// Ownership: the socket owns its `nl_sock` (and the descriptor inside it)
/// and frees it in `deinit`, the only place that does. It is not thread-safe
/// and not `Sendable`: one plugin process, one thread.
///
/// A socket made with `init(in:)` is created while the calling thread is
/// switched into that namespace; the thread returns at once, and every later
/// request through the socket acts on that namespace regardless of where the
/// calling thread is. That is how the bridge plugin configures the pod side
/// without keeping its thread in the pod.
public final class NetlinkSocket {
    /// `struct nl_sock *`.
    let handle: OpaquePointer
    /// Receives the kernel's errno from NLMSG_ERROR replies (see shim.h);
    /// reset before every request.
    private let kernelErrno: UnsafeMutablePointer<Int32>

    /// Connects in the calling thread's current network namespace.
    public convenience init() throws(NetlinkError) {
        let (handle, slot) = try NetlinkSocket.connect()
        self.init(handle: handle, kernelErrno: slot)
    }

    /// Connects inside `namespace`: the calling thread enters it, creates
    /// the socket and comes back before this returns.
    ///
    /// Throws `NamespaceError` when the switch fails, `NetlinkError` when the
    /// socket cannot be made.
    public convenience init(in namespace: NetworkNamespace) throws {
        let (handle, slot) = try namespace.withEntered { () throws(NetlinkError) in
            try NetlinkSocket.connect()
        }
        self.init(handle: handle, kernelErrno: slot)
    }

    private init(handle: OpaquePointer, kernelErrno: UnsafeMutablePointer<Int32>) {
        self.handle = handle
        self.kernelErrno = kernelErrno
    }

    /// Allocates and connects a libnl socket in the calling thread's
    /// namespace (the kernel fixes a socket's namespace at `socket()` time,
    /// inside `nl_connect`), with the errno recorder installed.
    private static func connect() throws(NetlinkError) -> (OpaquePointer, UnsafeMutablePointer<Int32>) {
        guard let handle = nl_socket_alloc() else {
            throw NetlinkError(operation: "allocate", object: "netlink socket", code: Int32(NLE_NOMEM))
        }
        let rc = nl_connect(handle, NETLINK_ROUTE)
        if rc < 0 {
            nl_socket_free(handle)
            throw NetlinkError(operation: "connect", object: "netlink socket", code: rc)
        }
        let slot = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        slot.initialize(to: 0)
        _ = cnl_socket_record_errno(handle, slot)
        return (handle, slot)
    }

    deinit {
        nl_socket_free(handle)
        kernelErrno.deallocate()
    }

    /// Runs one libnl request and converts a negative result into a
    /// `NetlinkError` carrying `operation`, `object` and the kernel errno.
    @discardableResult
    func perform(_ operation: String, _ object: @autoclosure () -> String,
                 _ request: (OpaquePointer) -> Int32) throws(NetlinkError) -> Int32 {
        kernelErrno.pointee = 0
        let rc = request(handle)
        guard rc < 0 else { return rc }
        let errno = kernelErrno.pointee
        throw NetlinkError(operation: operation, object: object(), code: rc,
                           kernelErrno: errno == 0 ? nil : errno)
    }
}
