import Glibc

/// The netlink sockets of the calling thread's network namespace, as the
/// kernel lists them in /proc/net/netlink.
public enum NetlinkSockets {
    /// Port ids of the sockets of one netlink protocol (`NETLINK_NETFILTER`,
    /// say): a released socket leaves this set once the kernel has let go
    /// of it.
    public static func ports(ofProtocol netlinkProtocol: Int32) -> Set<UInt32> {
        guard let file = fopen("/proc/net/netlink", "r") else { return [] }
        defer { fclose(file) }
        var ports: Set<UInt32> = []
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let fields = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                .split(separator: " ", omittingEmptySubsequences: true)
            if fields.count > 2, fields[1] == "\(netlinkProtocol)", let port = UInt32(fields[2]) { ports.insert(port) }
        }
        return ports
    }
}
