import Glibc
import Netlink
import Testing

/// The throwaway node the root-only tests run in.
///
/// Those tests run only when the whole `swift test` process was started by
/// `scripts/test-in-netns.sh`: root, `CNI_TEST_IN_NETNS=1`, and (checked
/// here as a last guard) a network namespace other than the one the script
/// started in and other than PID 1's, so nothing is ever created in the
/// machine's root namespace.
enum TestNode {
    static let isAvailable: Bool = {
        guard getuid() == 0, let flag = getenv("CNI_TEST_IN_NETNS"), String(cString: flag) == "1" else {
            return false
        }
        var own = stat()
        guard stat("/proc/self/ns/net", &own) == 0 else { return false }
        // The script passes the inode of the namespace it started in.
        if let outer = getenv("CNI_TEST_OUTER_NETNS"), UInt64(String(cString: outer)) == UInt64(own.st_ino) {
            return false
        }
        // PID 1's namespace, where readable (not in every container).
        var initial = stat()
        if stat("/proc/1/ns/net", &initial) == 0, initial.st_ino == own.st_ino, initial.st_dev == own.st_dev {
            return false
        }
        return true
    }()

    static let requirement: Comment =
        "needs root inside a private network namespace: run scripts/test-in-netns.sh"

    /// `prefix` plus 6 random hex digits: unique per test, ≤ 15 bytes for
    /// prefixes up to 9 characters.
    static func uniqueName(_ prefix: String) -> String {
        let random = VethName.random()   // "veth" + 8 hex digits
        return prefix + random.dropFirst(6)
    }
}

/// A pod namespace made with `ip netns add` in the test node, deleted with
/// `ip netns del` when the value goes away.
final class PodNamespace {
    let name: String
    let path: String

    init() throws {
        name = TestNode.uniqueName("pod")
        path = "/run/netns/\(name)"
        try Command.run(["ip", "netns", "add", name])
    }

    /// Opens the namespace with the API under test.
    func open() throws -> NetworkNamespace { try NetworkNamespace(path: path) }

    deinit { _ = try? Command.run(["ip", "netns", "del", name]) }
}
