import CNetlink
import Glibc
import TestKit
import Testing
@testable import Firewall
import Netlink

/// Closing an nf_tables socket (`ReleaseInChild`): the kernel's cleanup of
/// what a batch deleted must not run under the namespace's nf_tables commit
/// lock when the socket is released, or the next writer in the namespace
/// (a plugin's batch, a veth being created) waits out a grace period.
@Suite("Firewall: releasing an nf_tables socket (root, private netns)", .serialized,
       .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct FirewallSocketReleaseTests {
    static let family = UInt8(NFPROTO_INET)

    @Test("a socket whose batch deleted a rule is released without holding the commit lock over a grace period")
    func releaseDoesNotHoldTheCommitLock() throws {
        let table = FirewallTestSandbox.uniqueID("release")
        let writer = try NFTSocket()
        try writer.commit([writer.addTable(family: Self.family, name: table),
                           writer.addChain(family: Self.family, table: table, name: "c")], what: "test table")
        defer { _ = try? FirewallTestSandbox.run("nft", ["delete", "table", "inet", table]) }

        // Timing, on a shared machine: a trial counts as held when the next
        // batch waited more than 1 ms and a quarter of a grace period. Held,
        // that batch waited until the end of the cleanup's grace period
        // (most trials); released without the lock, it takes ~0.1 ms.
        var trials: [(blocked: Double, gracePeriod: Double)] = []
        for _ in 0..<5 {
            // A socket that deletes a rule (cleanup deferred to a grace
            // period), then is released.
            let port = try deleteARule(in: table)
            // The socket leaves the kernel's list when its release starts.
            let deadline = Self.now() + 3
            while NetlinkSockets.ports(ofProtocol: NETLINK_NETFILTER).contains(port) && Self.now() < deadline {}
            #expect(!NetlinkSockets.ports(ofProtocol: NETLINK_NETFILTER).contains(port), "the socket was never released")

            // A writer right then: it takes the commit lock.
            let start = Self.now()
            try writer.commit([writer.addTable(family: Self.family, name: table)], what: "declare table")
            let blocked = Self.now() - start

            let gpStart = Self.now()
            #expect(cnl_await_rcu_grace_period() == 0)
            trials.append((blocked, Self.now() - gpStart))
        }
        let held = trials.filter { $0.blocked > max(0.001, $0.gracePeriod / 4) }
        #expect(held.count <= 1, "the next batch waited for the released socket's cleanup: \(trials)")
    }

    /// Adds a rule to chain `c` of `table` and deletes it through a socket
    /// of its own, released on return; returns that socket's port id.
    private func deleteARule(in table: String) throws -> UInt32 {
        let socket = try NFTSocket()
        try socket.commit([socket.addRule(family: Self.family, table: table,
                                          NFTRule(chain: "c", expressions: [.masquerade], comment: "r"))], what: "add")
        let handle = try #require(try socket.rules(family: Self.family, table: table).first?.handle)
        try socket.commit([socket.deleteRule(family: Self.family, table: table, chain: "c", handle: handle)],
                          what: "delete")
        return socket.localPort
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
