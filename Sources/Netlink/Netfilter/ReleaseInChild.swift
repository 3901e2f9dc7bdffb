import CNetlink
import Glibc

/// Closes a netlink socket in a forked child, so that the wait the kernel
/// attaches to its release happens there. The parent drops its own copy
/// first (not the last reference while the child holds one), then lets the
/// child go by closing a pipe; the child, whose standard descriptors are
/// /dev/null (whoever reads the plugin's output is not held up), then exits,
/// releasing the socket. The child runs only async-signal-safe calls and is
/// reaped by whoever inherits it. If fork fails, the socket is closed here.
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
/// once, as before.
enum ReleaseInChild {
    /// Grace periods the child awaits before releasing: the first may start
    /// before the kernel's cleanup work starts its own; the second starts
    /// after that one started, so it ends after it.
    static let gracePeriods = 2

    /// Returns the child's pid (nil when fork failed and the socket was
    /// closed here).
    @discardableResult
    static func release(_ handle: OpaquePointer) -> pid_t? {
        var gate: [Int32] = [-1, -1]
        guard pipe(&gate) == 0 else {
            nl_socket_free(handle)
            return nil
        }
        for fd in gate { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // Computed before fork: the child only makes system calls.
        let kept = [nl_socket_get_fd(handle), gate[0]].filter { $0 > 2 }.sorted()
        let gracePeriods = Self.gracePeriods
        let pid = fork()
        if pid == 0 {
            let null = open("/dev/null", O_RDWR)
            if null >= 0 {
                dup2(null, 0); dup2(null, 1); dup2(null, 2)
            }
            // Keep only the socket and the gate: no copy of another pipe or
            // file of the plugin outlives the parent's own in this child.
            close(gate[1])
            var first: Int32 = 3
            for fd in kept {
                if fd > first { _ = cnl_close_range(UInt32(first), UInt32(fd - 1)) }
                first = fd + 1
            }
            _ = cnl_close_range(UInt32(first), UInt32.max)
            var byte: UInt8 = 0
            while read(gate[0], &byte, 1) < 0 && errno == EINTR {}
            for _ in 0..<gracePeriods {
                if cnl_await_rcu_grace_period() != 0 { break }
            }
            _exit(0)
        }
        nl_socket_free(handle)
        close(gate[0])
        close(gate[1])
        return pid > 0 ? pid : nil
    }
}
