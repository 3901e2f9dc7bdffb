import Glibc
import SystemSupport

/// Deleting a link without waiting for the kernel to finish freeing it.
///
/// Why: the kernel removes a deleted device from its namespace (name, index,
/// addresses, routes, bridge port) within half a millisecond, but the
/// request then waits in `netdev_run_todo()` for an `rcu_barrier()` — after
/// RTNL has been released, when nothing of the device is visible any more.
/// On this kind of machine that wait is about 15 ms: most of a pod's DEL.
///
/// How: a forked child sends the request and absorbs that wait; this process
/// watches the link through its own socket and returns as soon as the kernel
/// no longer lists it. The child holds none of the caller's descriptors (its
/// stdio is /dev/null), so whoever reads the plugin's output is not held up;
/// it exits by itself when the kernel returns, and is reaped by whoever
/// inherits it. If the child cannot be forked or fails, the deletion is done
/// (or retried) here, synchronously, so the error is the kernel's own.
///
/// Single-threaded callers only (fork).
public enum EarlyReturnLinkDeletion {
    /// Deletes link `index` of `namespace` (nil: the calling thread's
    /// namespace), watching it through `observer`, a socket in that same
    /// namespace. Returns `.alreadyGone` when the link was not there.
    public static func delete(index: InterfaceIndex, in namespace: NetworkNamespace?, observer: NetlinkSocket,
                              timeoutMilliseconds: Int = 5000) throws(NetlinkError) -> DeleteOutcome {
        guard let original = try observer.linkIfPresent(index: index) else { return .alreadyGone }
        let pid = fork()
        if pid < 0 {
            return try observer.deleteLink(index: index, ifMissing: .tolerate)
        }
        if pid == 0 {
            detachStandardDescriptors()
            let succeeded: Bool
            do {
                let socket = try namespace.map { ns in try NetlinkSocket(in: ns) } ?? NetlinkSocket()
                _ = try socket.deleteLink(index: index, ifMissing: .tolerate)
                succeeded = true
            } catch {
                succeeded = false
            }
            _exit(succeeded ? 0 : 1)
        }

        let deadline = MonotonicClock.nowNanoseconds() + UInt64(timeoutMilliseconds) * 1_000_000
        while true {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                // The child is done: either it deleted the link, or it failed
                // and the synchronous attempt reports why.
                if status == 0 { return .deleted }
                return try observer.deleteLink(index: index, ifMissing: .tolerate)
            }
            let current = try observer.linkIfPresent(index: index)
            if current == nil || current?.name != original.name { return .deleted }
            if MonotonicClock.nowNanoseconds() >= deadline {
                // A child that never got its request through is ended (a
                // request already in the kernel completes regardless), and
                // the deletion is done here.
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return try observer.deleteLink(index: index, ifMissing: .tolerate)
            }
            MonotonicClock.sleep(nanoseconds: 100_000)
        }
    }

    /// Points stdin, stdout and stderr at /dev/null, so the child keeps none
    /// of the runtime's pipes open (a runtime hands a plugin no others).
    private static func detachStandardDescriptors() {
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            for fd: Int32 in 0...2 { dup2(null, fd) }
            if null > 2 { close(null) }
        }
    }
}
