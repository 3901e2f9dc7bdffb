import CNetlink
import Glibc

/// Closes a netlink socket in a child process, so that the wait the kernel
/// attaches to its release happens there. The parent drops its own copy
/// first (not the last reference while the child holds one), then lets the
/// child go by closing a pipe; the child, whose standard descriptors are
/// /dev/null (whoever reads the plugin's output is not held up) and which
/// keeps no other descriptor of ours, then releases the socket and exits.
/// It is reaped by whoever inherits it.
///
/// The child shares our memory (`cnl_start_release_child`: CLONE_VM, a
/// stack of its own, raw system calls only), so starting it copies no page
/// tables and costs the plugin no copy-on-write faults afterwards; it
/// touches nothing of ours but its stack. Where it cannot be started (an
/// architecture other than x86_64 and arm64, or clone failing), the socket
/// is closed here and the plugin waits as below.
///
/// The wait: releasing a NETLINK_NETFILTER socket makes nf_tables finish
/// the deferred cleanup of what any batch in this network namespace
/// deleted, and it does so holding the namespace's nf_tables commit lock,
/// which every batch and every interface registered, renamed or removed in
/// the namespace also takes. That cleanup sits in an RCU grace period
/// (several ms). So the child first sits out two grace periods holding
/// nothing (`membarrier`: the cleanup's own grace period, queued by the
/// batch just committed, has then ended), and only then releases the
/// socket, when there is no cleanup left to run under the lock. Without
/// that, the next plugin's veth creation or batch in this namespace waited
/// for our cleanup. Where `membarrier` is unavailable the child releases at
/// once.
enum ReleaseInChild {
    /// Grace periods the child awaits before releasing: the first may start
    /// before the kernel's cleanup work starts its own; the second starts
    /// after that one started, so it ends after it.
    static let gracePeriods = 2

    /// Returns the child's pid (nil when no child could be started and the
    /// socket was closed here).
    @discardableResult
    static func release(_ handle: OpaquePointer) -> pid_t? {
        var gate: [Int32] = [-1, -1]
        guard pipe(&gate) == 0 else {
            nl_socket_free(handle)
            return nil
        }
        for fd in gate { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let pid = cnl_start_release_child(nl_socket_get_fd(handle), gate[0], gate[1], Int32(gracePeriods))
        nl_socket_free(handle)
        close(gate[0])
        close(gate[1])
        return pid > 0 ? pid : nil
    }
}
