/// A failed nf_tables request over NETLINK_NETFILTER: what was attempted
/// (`operation`, e.g. "list rules of cni_plugins_masquerade") and the errno
/// the kernel, or libnl on the way, reported. The firewall turns it into
/// its own error, which carries the CNI code.
public struct NetfilterError: Error, Sendable, Equatable {
    public let operation: String
    /// A positive errno (ENOENT: no such table or chain).
    public let errno: Int32

    public init(operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }
}
