import Glibc
import TestKit
import Testing

/// ADDs with ipMasq killed with SIGKILL at any instant, then the DEL a
/// kubelet sends for each (no prevResult): nothing of any attachment is
/// left, in either backend.
@Suite("kill -9 during ADD with ipMasq", .serialized, .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct MasqueradeCrashTests {
    @Test("the DELs after a storm of killed ADDs leave no rule, chain, veth or reservation", arguments: Firewall.backends)
    func killStorm(backend: String) throws {
        try withTestNetwork { net in
            let config = net.config("1.0.0", ["isGateway": true, "ipMasq": true, "ipMasqBackend": .string(backend),
                                              "ipam": net.ipam(dualStack: true), "macspoofchk": true,
                                              "nonMasqueradeCIDRs": ["10.124.0.0/16"]])
            let attachments = try (0..<12).map { _ in try net.attachment() }
            let running = try attachments.map { attachment in
                try ChildProcess.start(Plugins.bridge, environment: attachment.environment("ADD", cniPath: net.cniPath, cniArgs: nil),
                                       stdin: config.text)
            }
            // Kill each after a different delay: before, during and after its firewall work.
            for (index, child) in running.enumerated() {
                var pause = timespec(tv_sec: 0, tv_nsec: Int(index % 6) * 2_000_000)
                nanosleep(&pause, nil)
                kill(child.pid, SIGKILL)   // our own child
            }
            for child in running { _ = child.wait() }
            // A kubelet's DEL comes much later than the kill; let orphaned helpers finish.
            var settle = timespec(tv_sec: 0, tv_nsec: 300_000_000)
            nanosleep(&settle, nil)
            for attachment in attachments {
                let outcome = try net.call("DEL", attachment, config: config)
                #expect(outcome.succeeded, "\(outcome)")
            }
            for attachment in attachments {
                #expect(try Firewall.leftovers(network: net.networkName, containerID: attachment.containerID).isEmpty)
                #expect(try attachment.pod.linkNames() == ["lo"])
            }
            #expect(try Kernel.ports(of: net.bridgeName).isEmpty)
            #expect(net.reservedAddresses.isEmpty)
            // No table at all when no ADD got that far.
            let spoofChecks = (try? Tool.run("nft", "list", "table", "bridge", "nat")) ?? ""
            for attachment in attachments {
                #expect(!spoofChecks.contains(attachment.containerID), "\(spoofChecks)")
            }
        }
    }
}
