import Glibc
import Synchronization
import TestKit
import Testing
@testable import Firewall
import SystemSupport

/// What the firewall integration tests share: they change netfilter state,
/// so they run only where `TestNode.isAvailable` (root, in the throwaway node
/// of scripts/test-in-netns.sh).
enum FirewallTestSandbox {
    static var benchmarkRequested: Bool {
        guard let flag = getenv("CNI_FIREWALL_BENCH") else { return false }
        return String(cString: flag) == "1"
    }

    /// Runs a tool and returns its stdout; test failure on error.
    static func run(_ tool: String, _ arguments: [String], stdin: String? = nil) throws -> String {
        try CommandRunner(environment: ProcessEnvironment.current()).checked(tool, arguments, stdin: stdin.map { Array($0.utf8) })
    }

    /// `nft -a list …` output, or "" when the object does not exist.
    static func nftList(_ object: [String]) throws -> String {
        let path = try CommandRunner.locate("nft")
        let output = try CommandRunner(environment: ProcessEnvironment.current()).run(path, ["-a", "list"] + object)
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
