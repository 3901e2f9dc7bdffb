import Glibc
import TestKit
import Testing

/// The nftables backend speaks nf_tables over netlink: no `nft` process on
/// any path, and concurrent plugins sharing one table (created by whichever
/// comes first) lose no rule.
@Suite("firewall over netlink: nftables backend, macspoofchk, iptables-nft lookups", .serialized, .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct NFTablesNetlinkTests {
    /// A node of its own (a network namespace in which the plugin runs,
    /// through a wrapper script), so that its nftables table starts absent.
    final class Node {
        let name = TestNode.uniqueName("node")
        let directory = TemporaryDirectory.make(prefix: "nft-node")
        /// Our bridge, run in the node (traced when the node is).
        var plugin: String { directory + "/bridge-in-node" }
        /// The reference bridge, run in the node, never traced.
        var referencePlugin: String { directory + "/reference-bridge-in-node" }
        var traces: String { directory + "/traces" }

        /// `traced`: the wrapper runs our plugin under `strace -f -e execve`,
        /// one log per call under `traces`.
        init(traced: Bool = false) throws {
            try Tool.run("ip", "netns", "add", name)
            try Tool.run("ip", "-n", name, "link", "set", "lo", "up")
            mkdir(traces, 0o755)
            let tracer = traced ? "strace -f -qq -e trace=execve -o \(traces)/call.$$ " : ""
            writeExecutable(plugin, "#!/bin/sh\nexec ip netns exec \(name) \(tracer)\(Plugins.bridge)\n")
            writeExecutable(referencePlugin,
                                               "#!/bin/sh\nCNI_PATH=/usr/lib/cni exec ip netns exec \(name) \(Plugins.referenceBridge)\n")
        }

        /// Forgets the traces of earlier calls.
        func resetTraces() {
            for file in directoryEntries(traces) { unlink(traces + "/" + file) }
        }

        func nft(_ arguments: String...) throws -> String {
            try Tool.run(["ip", "netns", "exec", name, "nft"] + arguments)
        }

        /// Every program the traced calls executed.
        func executed() -> [String] {
            directoryEntries(traces).flatMap { file in
                (readText(traces + "/" + file) ?? "").split(separator: "\n").compactMap { line -> String? in
                    guard let start = line.firstRange(of: "execve(\""), let end = line[start.upperBound...].firstIndex(of: "\"") else { return nil }
                    return String(line[start.upperBound..<end])
                }
            }
        }

        deinit {
            _ = try? Tool.run("ip", "netns", "del", name)
            TemporaryDirectory.remove(directory)
        }
    }

    private func config(_ net: TestNetwork, version: String = "1.0.0") -> JSON {
        net.config(version, ["isGateway": true, "ipMasq": true, "ipMasqBackend": "nftables",
                             "nonMasqueradeCIDRs": ["10.124.0.0/16"]])
    }

    @Test("16 concurrent ADDs on a node without the table all get their rules, the table's chains once; 16 concurrent DELs leave none")
    func concurrentWriters() throws {
        let node = try Node()
        try withTestNetwork { net in
            let config = config(net)
            let attachments = try (0..<16).map { _ in try net.attachment() }
            let added = try net.callConcurrently("ADD", attachments, config: config, plugin: node.plugin)
            for outcome in added { #expect(outcome.succeeded, "\(outcome)") }
            let postrouting = try node.nft("list", "chain", "inet", "cni_plugins_masquerade", "postrouting")
            #expect(postrouting.split(separator: "\n").filter { $0.contains("return") || $0.contains("goto") }.count == 3,
                    "\(postrouting)")
            let checks = try node.nft("list", "chain", "inet", "cni_plugins_masquerade", "masq_checks")
            for attachment in attachments {
                let mine = checks.split(separator: "\n").filter { $0.contains("id: \(attachment.containerID)\"") }
                #expect(mine.count == 2, "\(attachment.containerID): \(mine)")
                #expect(mine.first?.contains("daddr 10.124.0.0/16 return") == true)
                #expect(mine.last?.contains(" masquerade ") == true)
            }
            let deleted = try net.callConcurrently("DEL", attachments, config: config, plugin: node.plugin)
            for outcome in deleted { #expect(outcome.succeeded, "\(outcome)") }
            let left = try node.nft("list", "chain", "inet", "cni_plugins_masquerade", "masq_checks")
            #expect(!left.contains(", id: "), "\(left)")
        }
    }

    @Test("ADD, CHECK, DEL and GC with ipMasqBackend nftables and macspoofchk start no nft process")
    func noNftProcess() throws {
        let node = try Node(traced: true)
        try withTestNetwork { net in
            var config = config(net, version: "1.1.0")
            config["macspoofchk"] = true
            let attachment = try net.attachment()
            let result = try net.add(attachment, config: config, plugin: node.plugin)
            #expect(try net.call("CHECK", attachment, config: net.withPrevResult(config, result), plugin: node.plugin).succeeded)
            let stale = try net.attachment()
            try net.add(stale, config: config, plugin: node.plugin)
            var gc = config
            gc["cni.dev/valid-attachments"] = [["containerID": .string(attachment.containerID), "ifname": "eth0"]]
            #expect(try net.call("GC", attachment, config: gc, plugin: node.plugin).succeeded)
            #expect(try net.call("DEL", attachment, config: config, plugin: node.plugin).succeeded)
            let left = try node.nft("list", "chain", "inet", "cni_plugins_masquerade", "masq_checks")
            #expect(!left.contains(", id: "), "GC and DEL left rules: \(left)")
            let bridgeNat = try node.nft("list", "table", "bridge", "nat")
            #expect(!bridgeNat.contains("macspoofchk-"), "GC and DEL left spoof checks: \(bridgeNat)")
            let programs = node.executed()
            #expect(programs.contains { $0.hasSuffix("/bridge") }, "the trace saw no plugin: \(programs)")
            #expect(!programs.contains { $0.hasSuffix("/nft") }, "\(programs)")
            // Nothing of the iptables backend exists here: DEL and GC looked for it over netlink.
            #expect(programs.allSatisfy { $0.hasSuffix("/bridge") || $0.hasSuffix("/host-local") }, "\(programs)")
        }
    }

    @Test("DEL removes the iptables chain an ADD with the iptables backend left, over netlink, starting no iptables")
    func iptablesLeftoversOverNetlink() throws {
        let node = try Node(traced: true)
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let iptablesConfig = net.config("1.0.0", ["isGateway": true, "ipMasq": true, "ipMasqBackend": "iptables",
                                                      "ipam": net.ipam(dualStack: true)])
            try net.add(attachment, config: iptablesConfig, plugin: node.plugin)
            let chain = try Firewall.chainName(network: net.networkName, containerID: attachment.containerID)
            let before = try Tool.run("ip", "netns", "exec", node.name, "iptables-save", "-t", "nat")
            #expect(before.contains(":\(chain)"), "\(before)")
            node.resetTraces()
            #expect(try net.call("DEL", attachment, config: config(net), plugin: node.plugin).succeeded)
            for tool in ["iptables-save", "ip6tables-save"] {
                let after = try Tool.run("ip", "netns", "exec", node.name, tool, "-t", "nat")
                #expect(!after.contains(chain) && !after.contains(attachment.containerID), "\(tool): \(after)")
            }
            let programs = node.executed()
            #expect(programs.allSatisfy { $0.hasSuffix("/bridge") || $0.hasSuffix("/host-local") }, "\(programs)")
        }
    }

    @Test("with the default backend (iptables-nft here), ADD starts one iptables-restore per family and DEL none")
    func defaultBackendProcesses() throws {
        let node = try Node(traced: true)
        try #require(Tool.run("readlink", "-f", "/usr/sbin/iptables").contains("xtables-nft-multi"), "iptables is not iptables-nft")
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config("1.0.0", ["isGateway": true, "ipMasq": true, "ipam": net.ipam(dualStack: true)])
            let result = try net.add(attachment, config: config, plugin: node.plugin)
            let tools = node.executed().filter { !$0.hasSuffix("/bridge") && !$0.hasSuffix("/host-local") }
            #expect(tools.sorted() == ["/usr/sbin/ip6tables-restore", "/usr/sbin/iptables-restore"], "\(tools)")
            node.resetTraces()
            #expect(try net.call("DEL", attachment, config: net.withPrevResult(config, result), plugin: node.plugin).succeeded)
            let programs = node.executed()
            #expect(programs.allSatisfy { $0.hasSuffix("/bridge") || $0.hasSuffix("/host-local") }, "\(programs)")
            for tool in ["iptables-save", "ip6tables-save"] {
                let left = try Tool.run("ip", "netns", "exec", node.name, tool, "-t", "nat")
                #expect(!left.contains(attachment.containerID) && !left.contains(":CNI-"), "\(tool): \(left)")
            }
        }
    }

    @Test("an ADD whose IPv6 masquerade fails after the IPv4 one was applied leaves no IPv4 rule")
    func partialMasqueradeRolledBack() throws {
        let node = try Node()
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let chain = try Firewall.chainName(network: net.networkName, containerID: attachment.containerID)
            // An ip6 nat table that iptables-nft cannot list, already holding the chain's name.
            _ = try Tool.run(["ip", "netns", "exec", node.name, "nft", "-f", "-"], stdin: """
                table ip6 nat {
                    set s { type ipv6_addr; }
                    chain POSTROUTING { type nat hook postrouting priority 100; ip6 saddr @s masquerade; }
                    chain \(chain) { }
                }

                """)
            let config = net.config("1.0.0", ["isGateway": true, "ipMasq": true, "ipMasqBackend": "iptables",
                                              "ipam": net.ipam(dualStack: true)])
            let outcome = try net.call("ADD", attachment, config: config, plugin: node.plugin)
            #expect(!outcome.succeeded, "\(outcome)")
            let v4 = try Tool.run("ip", "netns", "exec", node.name, "iptables-save", "-t", "nat")
            #expect(!v4.contains(chain), "\(v4)")
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    @Test("our DEL removes what the reference's ADD made (iptables), starting no iptables",
          .enabled(if: Plugins.referenceIsInstalled, "needs the reference plugins in /usr/lib/cni"))
    func referenceRulesRemoved() throws {
        let node = try Node(traced: true)
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config("1.0.0", ["isGateway": true, "ipMasq": true])
            let result = try net.add(attachment, config: config, plugin: node.referencePlugin)
            let chain = try Firewall.chainName(network: net.networkName, containerID: attachment.containerID)
            #expect(try Tool.run("ip", "netns", "exec", node.name, "iptables-save", "-t", "nat").contains(":\(chain)"))
            node.resetTraces()
            #expect(try net.call("DEL", attachment, config: net.withPrevResult(config, result), plugin: node.plugin).succeeded)
            let after = try Tool.run("ip", "netns", "exec", node.name, "iptables-save", "-t", "nat")
            #expect(!after.contains(chain) && !after.contains(attachment.containerID), "\(after)")
            let programs = node.executed()
            #expect(programs.allSatisfy { $0.hasSuffix("/bridge") || $0.hasSuffix("/host-local") }, "\(programs)")
        }
    }
}
