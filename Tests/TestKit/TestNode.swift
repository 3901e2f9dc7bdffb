import Glibc
import Synchronization
import Testing

/// The throwaway node the root-only tests run in, and the one guard that
/// keeps them out of the machine's own namespaces.
///
/// Those tests create bridges, veths, addresses, firewall rules and mounts,
/// so they run only when the whole `swift test` process was started by
/// `scripts/test-in-netns.sh` (`unshare -n -m --propagation private`, a
/// fresh tmpfs on /run/netns). Every condition must hold:
/// - root, and `CNI_TEST_IN_NETNS=1` (set by the script inside the node);
/// - the network namespace is not the one the script started in: its inode
///   differs from `CNI_TEST_OUTER_NETNS`, which must be set;
/// - the network and mount namespaces are not PID 1's; where PID 1's cannot
///   be read (some containers, a hardened /proc), the network namespace
///   differs from that of an ancestor process (the shell that ran unshare).
/// Anything made in the node vanishes with it.
public enum TestNode {
    public static let isAvailable: Bool = {
        guard getuid() == 0, let flag = getenv("CNI_TEST_IN_NETNS"), String(cString: flag) == "1" else {
            return false
        }
        guard let own = namespaceIdentity("self", "net"), let ownMounts = namespaceIdentity("self", "mnt") else {
            return false
        }
        guard let outer = getenv("CNI_TEST_OUTER_NETNS"), let outerInode = UInt64(String(cString: outer)),
              outerInode != own.inode else {
            return false
        }
        if let initial = namespaceIdentity("1", "net") {
            guard initial != own else { return false }
            if let initialMounts = namespaceIdentity("1", "mnt"), initialMounts == ownMounts { return false }
            return true
        }
        var pid = getppid()
        while pid > 1 {
            if let other = namespaceIdentity(String(pid), "net"), other != own { return true }
            guard let parent = parentPID(of: pid) else { break }
            pid = parent
        }
        return false
    }()

    /// Why a root-only test was skipped.
    public static let requirement: Comment =
        "needs root inside a throwaway network and mount namespace (CNI_TEST_IN_NETNS=1, CNI_TEST_OUTER_NETNS set): run scripts/test-in-netns.sh"

    private struct Identity: Equatable { let device: UInt64; let inode: UInt64 }

    /// (device, inode) of `/proc/<pid>/ns/<kind>`, nil when unreadable.
    private static func namespaceIdentity(_ pid: String, _ kind: String) -> Identity? {
        var info = stat()
        guard stat("/proc/\(pid)/ns/\(kind)", &info) == 0 else { return nil }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Field 4 of `/proc/<pid>/stat`.
    private static func parentPID(of pid: pid_t) -> pid_t? {
        guard let text = readText("/proc/\(pid)/stat") else { return nil }
        // The command name (field 2) is parenthesised and may hold spaces.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 1 else { return nil }
        return pid_t(fields[1])
    }

    /// `prefix` + a per-process counter + 4 random hex digits: unique among
    /// parallel tests and across runs; at most 15 bytes (an interface name)
    /// for prefixes of up to 7 characters.
    public static func uniqueName(_ prefix: String) -> String {
        let serial = counter.add(1, ordering: .relaxed).newValue
        var random: UInt16 = 0
        withUnsafeMutableBytes(of: &random) { buffer in
            for index in buffer.indices { buffer[index] = UInt8.random(in: 0...255) }
        }
        return prefix + hex(serial, width: 4) + hex(Int(random), width: 4)
    }

    /// A /24 (and a /64) that no other live test network of this process
    /// uses, so that pods of different tests never route into each other's
    /// bridge. An index given back with `releaseSubnetIndex` (once its
    /// network is torn down: bridge, pods and store gone) is handed out
    /// again, so a run is limited to 249 networks alive at once, not in all.
    public static func uniqueSubnetIndex() -> Int {
        let index = subnets.withLock { pool in
            if let reused = pool.released.popLast() { return reused }
            pool.next += 1
            return pool.next
        }
        precondition(index < 250, "more than 249 test networks alive at once")
        return index
    }

    public static func releaseSubnetIndex(_ index: Int) {
        subnets.withLock { $0.released.append(index) }
    }

    public static func hex(_ value: Int, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static let counter = Atomic<Int>(0)
    private static let subnets = Mutex<(next: Int, released: [Int])>((next: 0, released: []))
}
