import CNetlink
import Glibc
import SystemSupport

/// An open network namespace file (a CNI_NETNS path such as
/// `/run/netns/<name>` or `/proc/<pid>/ns/net`).
///
/// Ownership: the namespace owns its descriptor and closes it in `deinit`,
/// exactly once. The descriptor keeps the namespace alive even if the path
/// is unmounted meanwhile.
///
/// Threads: `setns(2)` switches only the calling thread. `withEntered`
/// assumes the process is single-threaded (a CNI plugin's synchronous
/// `main`, no Dispatch, no async): any thread created while inside would
/// stay in the namespace, and an `await` could resume on another thread.
public final class NetworkNamespace {
    public let path: String
    /// The open namespace file (O_RDONLY|O_CLOEXEC).
    let descriptor: Int32
    /// Device and inode of the namespace file; equal identities mean the
    /// same namespace.
    public let identity: NamespaceIdentity

    /// Opens `path` after checking, in the reference's order, that it
    /// exists (statfs) and lies on nsfs or procfs; then, where the kernel
    /// supports NS_GET_NSTYPE (Linux 4.11+), that it is a *network*
    /// namespace. No side effects besides the open descriptor.
    public init(path: String) throws(NamespaceError) {
        // 1. statfs: existence and file system, worded as the reference.
        let magic = cnl_statfs_magic(path)
        if magic == -1 {
            let code = errno
            if code == ENOENT { throw .pathNotFound(path: path) }
            throw .statfsFailed(path: path, errno: code)
        }
        guard magic == CNL_NSFS_MAGIC || magic == CNL_PROC_SUPER_MAGIC else {
            throw .notANamespace(path: path, magic: magic)
        }
        // 2. open. Only nsfs/procfs files get here, so this cannot block on
        //    a FIFO.
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .openFailed(path: path, errno: errno) }
        // 3. the namespace type, when the kernel can tell (older kernels
        //    answer ENOTTY; the magic check is then all there is, as in the
        //    reference).
        let type = cnl_ns_get_nstype(fd)
        if type >= 0 && type != CNL_CLONE_NEWNET {
            close(fd)
            throw .notANetworkNamespace(path: path, type: type)
        }
        do {
            identity = try NamespaceIdentity(descriptor: fd, path: path)
        } catch {
            close(fd)
            throw error
        }
        self.path = path
        self.descriptor = fd
    }

    /// The calling thread's current network namespace.
    public static func current() throws(NamespaceError) -> NetworkNamespace {
        try NetworkNamespace(path: NetworkNamespace.threadSelfPath)
    }

    deinit { close(descriptor) }

    /// The calling thread's namespace file. `/proc/self/ns/net` would be the
    /// main thread's; they agree in a single-threaded plugin.
    static let threadSelfPath = "/proc/thread-self/ns/net"

    /// Whether this is the namespace the calling thread is in now: for a
    /// plugin, whether CNI_NETNS names the plugin's own namespace (which the
    /// spec's libraries refuse, error code 8).
    public func isCurrentThreadNamespace() throws(NamespaceError) -> Bool {
        try NamespaceIdentity(path: NetworkNamespace.threadSelfPath) == identity
    }

    /// Runs `body` with the calling thread switched into this namespace and
    /// switches it back afterwards, whether `body` returns or throws.
    ///
    /// The thread's namespace is saved first (`/proc/thread-self/ns/net`).
    /// If switching back fails, the process exits at once (`_exit(70)`)
    /// with a message on stderr: continuing in the wrong namespace would
    /// configure the wrong node. Nested calls work; each restores its own
    /// saved namespace. Do not create threads or `await` inside `body`.
    ///
    /// Throws `NamespaceError` when the switch in fails (nothing has changed
    /// then), or whatever `body` throws.
    public func withEntered<Result, Failure: Error>(
        _ body: () throws(Failure) -> Result
    ) throws -> Result {
        let saved = open(NetworkNamespace.threadSelfPath, O_RDONLY | O_CLOEXEC)
        guard saved >= 0 else {
            throw NamespaceError.openFailed(path: NetworkNamespace.threadSelfPath, errno: errno)
        }
        guard cnl_setns_net(descriptor) == 0 else {
            let code = errno
            close(saved)
            throw NamespaceError.enterFailed(path: path, errno: code)
        }
        defer {
            if cnl_setns_net(saved) != 0 {
                NetworkNamespace.abortInWrongNamespace(path: path, errno: errno)
            }
            close(saved)
        }
        return try body()
    }

    private static func abortInWrongNamespace(path: String, errno code: Int32) -> Never {
        let message = "fatal: cannot switch back from netns \(path): \(StandardIO.errorText(code))\n"
        var bytes = Array(message.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
        _exit(70)
    }
}

/// Device and inode of a namespace file: the kernel's identity of a
/// namespace (what `ip netns identify` compares).
public struct NamespaceIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    init(descriptor: Int32, path: String) throws(NamespaceError) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .statFailed(path: path, errno: errno) }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    init(path: String) throws(NamespaceError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .statFailed(path: path, errno: errno) }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
