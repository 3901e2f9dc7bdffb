import Glibc
import Synchronization
import Testing
@testable import Firewall

/// Gate for the firewall integration tests: they change netfilter state, so
/// they run only as root, inside a throwaway network namespace
/// (`unshare -n -m --propagation private`, as scripts/test-in-netns.sh does),
/// with `CNI_TEST_IN_NETNS=1`. They never run in the machine's root netns:
/// our `/proc/self/ns/net` must differ from `CNI_TEST_OUTER_NETNS` (set by
/// the script) and from that of `/proc/1` or, where pid 1 is not inspectable
/// (containers, hardened /proc), from that of one of our ancestor processes
/// (the shell that ran `unshare`).
enum FirewallTestSandbox {
    static let isReady: Bool = {
        guard getuid() == 0 else { return false }
        guard let flag = getenv("CNI_TEST_IN_NETNS"), String(cString: flag) == "1" else { return false }
        guard let own = netnsIdentity("self") else { return false }
        // scripts/test-in-netns.sh passes the inode of the namespace it started in.
        if let outer = getenv("CNI_TEST_OUTER_NETNS"), UInt64(String(cString: outer)) == own[1] { return false }
        if let initial = netnsIdentity("1") { return initial != own }
        var pid = getppid()
        while pid > 1 {
            if let other = netnsIdentity(String(pid)), other != own { return true }
            guard let parent = parentPID(of: pid) else { break }
            pid = parent
        }
        return false
    }()

    /// (device, inode) of `/proc/<pid>/ns/net`, nil when unreadable.
    private static func netnsIdentity(_ pid: String) -> [UInt64]? {
        var info = stat()
        guard stat("/proc/\(pid)/ns/net", &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }

    /// Field 4 of `/proc/<pid>/stat`.
    private static func parentPID(of pid: pid_t) -> pid_t? {
        guard let file = fopen("/proc/\(pid)/stat", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 1024)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // The command name (field 2) is parenthesised and may hold spaces.
        guard let close = line.lastIndex(of: ")") else { return nil }
        let fields = line[line.index(after: close)...].split(separator: " ")
        guard fields.count > 1 else { return nil }
        return pid_t(fields[1])
    }

    static let reason: Comment = "needs root in a private netns with CNI_TEST_IN_NETNS=1 (unshare -n -m --propagation private)"

    static var benchmarkRequested: Bool {
        guard let flag = getenv("CNI_FIREWALL_BENCH") else { return false }
        return String(cString: flag) == "1"
    }

    /// Runs a tool and returns its stdout; test failure on error.
    static func run(_ tool: String, _ arguments: [String], stdin: String? = nil) throws -> String {
        try CommandRunner().checked(tool, arguments, stdin: stdin.map { Array($0.utf8) })
    }

    /// `nft -a list …` output, or "" when the object does not exist.
    static func nftList(_ object: [String]) throws -> String {
        let path = try CommandRunner.locate("nft")
        let output = try CommandRunner().run(path, ["-a", "list"] + object)
        return output.status.succeeded ? output.stdoutText : ""
    }

    /// A name unique to this process and call, so tests never share rules.
    static func uniqueID(_ prefix: String) -> String {
        counter.increment(prefix) + "-\(getpid())"
    }

    private static let counter = Counter()
}

private final class Counter: Sendable {
    private let value = Mutex(0)
    func increment(_ prefix: String) -> String {
        value.withLock { value in
            value += 1
            return "\(prefix)\(value)"
        }
    }
}
