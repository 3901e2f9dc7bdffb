import TestKit
import Testing

/// `nonMasqueradeCIDRs`: with `ipMasq`, traffic from the pod to these
/// destinations keeps its source address (in addition to the pod's own
/// subnet); both backends, both families, through ADD, CHECK, DEL.
@Suite("nonMasqueradeCIDRs", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct NonMasqueradeTests {
    static let clusterCIDR = "10.124.0.0/16"
    static let clusterCIDR6 = "fd00:124::/48"

    private func config(_ net: TestNetwork, backend: String) -> JSON {
        net.config("1.0.0", ["isGateway": true, "ipMasq": true, "ipMasqBackend": .string(backend),
                             "ipam": net.ipam(dualStack: true),
                             "nonMasqueradeCIDRs": [.string(Self.clusterCIDR), .string(Self.clusterCIDR6)]])
    }

    /// The exemption rules as each backend lists them: an ACCEPT in the
    /// attachment's chain (iptables), a `return` tagged like the
    /// masquerade rule (nftables).
    private func exemptions(_ rules: [String], backend: String) -> [String] {
        if backend == "iptables" {
            return rules.filter { $0.contains("-j ACCEPT") && ($0.contains(Self.clusterCIDR) || $0.contains(Self.clusterCIDR6)) }
        }
        return rules.filter { $0.contains(" return ") && ($0.contains(Self.clusterCIDR) || $0.contains(Self.clusterCIDR6)) }
    }

    @Test("ADD exempts each listed prefix of the address's family, before the masquerade", arguments: Firewall.backends)
    func addInstallsExemptions(backend: String) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            try net.add(attachment, config: config(net, backend: backend))
            let rules = try Firewall.rules(mentioning: attachment.containerID)
            let found = exemptions(rules, backend: backend)
            #expect(found.count == 2, "\(rules)")
            #expect(found.contains { $0.contains(Self.clusterCIDR) && !$0.contains(Self.clusterCIDR6) })
            #expect(found.contains { $0.contains(Self.clusterCIDR6) })
            if backend == "nftables" {
                let v4 = try #require(rules.firstIndex { $0.contains("ip saddr \(net.address(2)) ip daddr \(Self.clusterCIDR) return") })
                let masquerade = try #require(rules.firstIndex { $0.contains("ip saddr \(net.address(2)) ") && $0.contains(" masquerade ") })
                #expect(v4 < masquerade)
            }
        }
    }

    @Test("without the key ADD installs no exemption", arguments: Firewall.backends)
    func absentKeyIsTodaysBehaviour(backend: String) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            try net.add(attachment, config: net.config("1.0.0", ["isGateway": true, "ipMasq": true,
                                                                "ipMasqBackend": .string(backend)]))
            let rules = try Firewall.rules(mentioning: attachment.containerID)
            #expect(!rules.isEmpty)
            #expect(!rules.contains { $0.contains(Self.clusterCIDR) || $0.contains(" return ") })
        }
    }

    @Test("CHECK passes after ADD and fails once an exemption is gone", arguments: Firewall.backends)
    func checkKnowsExemptions(backend: String) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = config(net, backend: backend)
            let result = try net.add(attachment, config: config)
            let withResult = net.withPrevResult(config, result)
            let passed = try net.call("CHECK", attachment, config: withResult)
            #expect(passed.succeeded, "\(passed)")
            try Firewall.deleteExemption(backend: backend, network: net.networkName,
                                         containerID: attachment.containerID, destination: Self.clusterCIDR)
            let failed = try net.call("CHECK", attachment, config: withResult)
            #expect(!failed.succeeded)
            #expect(failed.errorMessage.contains(Self.clusterCIDR), "\(failed)")
        }
    }

    @Test("DEL removes the exemptions with the rest", arguments: Firewall.backends)
    func deleteRemovesExemptions(backend: String) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = config(net, backend: backend)
            try net.add(attachment, config: config)
            #expect(try net.call("DEL", attachment, config: config).succeeded)
            #expect(try Firewall.leftovers(network: net.networkName, containerID: attachment.containerID).isEmpty)
            #expect(try net.call("DEL", attachment, config: config).succeeded)
        }
    }

    @Test("the reference's DEL, which ignores the key, removes our exemptions too (iptables)",
          .enabled(if: Plugins.referenceIsInstalled, "needs the reference plugins in /usr/lib/cni"))
    func referenceTearsDownExemptions() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = config(net, backend: "iptables")
            try net.add(attachment, config: config)
            net.cniPath = "/usr/lib/cni"
            let outcome = try net.call("DEL", attachment, config: config, plugin: Plugins.referenceBridge)
            #expect(outcome.succeeded, "\(outcome)")
            #expect(try Firewall.leftovers(network: net.networkName, containerID: attachment.containerID).isEmpty)
        }
    }

    @Test("GC of an attachment that is no longer valid removes its exemptions", arguments: Firewall.backends)
    func garbageCollectionRemovesExemptions(backend: String) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            var config = config(net, backend: backend)
            config["cniVersion"] = "1.1.0"
            try net.add(attachment, config: config)
            var gc = config
            gc["cni.dev/valid-attachments"] = []
            let outcome = try net.callForNetwork("GC", config: gc)
            #expect(outcome.succeeded, "\(outcome)")
            #expect(try Firewall.leftovers(network: net.networkName, containerID: attachment.containerID).isEmpty)
        }
    }
}
