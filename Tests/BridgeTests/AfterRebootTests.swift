import TestKit
import Testing

/// A DEL or GC that reaches the node after a reboot, for an attachment made
/// before it (issue 9 §1). The kernel has lost the pod's namespace, the veth
/// pair, the masquerade and MAC spoof-check rules; the IPAM store on disk
/// still holds the reservation. The call must succeed and release it.
///
/// The rebooted node is a fresh network namespace the plugin runs in (no
/// bridge, no netfilter table, no veth), with the same store directory and
/// the pod's namespace path gone. The attachment's state on the test node
/// itself stays until the network's teardown removes it.
@Suite("After a reboot", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct AfterRebootTests {
    /// ADDs one attachment with masquerading (`backend`) and the MAC spoof
    /// check, then "reboots": removes the pod's namespace and returns a new,
    /// empty one standing for the node.
    private func attachmentFromBeforeReboot(_ net: TestNetwork, backend: String)
        throws -> (attachment: Attachment, config: JSON, node: Pod) {
        let attachment = try net.attachment()
        let config = net.config("1.1.0", ["ipMasq": true, "ipMasqBackend": .string(backend), "macspoofchk": true])
        try net.add(attachment, config: config)
        try #require(net.reservedAddresses == [net.address(2)])
        attachment.pod.destroy()
        return (attachment, config, try net.makePod())
    }

    /// Runs our bridge inside `node` with the CNI environment of `command`.
    private func call(_ command: String, on node: Pod, environment: [String], config: JSON) throws -> PluginOutcome {
        PluginOutcome(output: try ChildProcess.run("ip", ["netns", "exec", node.name, Plugins.bridge],
                                                   environment: environment, stdin: config.text))
    }

    /// Whatever netfilter state on `node` names the container.
    private func rules(on node: Pod, mentioning containerID: String) throws -> [String] {
        try node.run("nft", "list", "ruleset").split(separator: "\n").map(String.init)
            .filter { $0.contains(containerID) }
    }

    @Test("DEL succeeds, releases the address and creates nothing", arguments: Firewall.backends)
    func delete(backend: String) throws {
        try withTestNetwork { net in
            let (attachment, config, node) = try attachmentFromBeforeReboot(net, backend: backend)
            let environment = attachment.environment("DEL", cniPath: net.cniPath, cniArgs: nil)
            for round in 1...2 {
                let outcome = try call("DEL", on: node, environment: environment, config: config)
                #expect(outcome.succeeded, "DEL \(round): \(outcome)")
                #expect(net.reservedAddresses.isEmpty)
            }
            #expect(try rules(on: node, mentioning: attachment.containerID).isEmpty)
            #expect(try Kernel.links(in: node).compactMap { $0["ifname"]?.string } == ["lo"])
        }
    }

    @Test("GC that no longer lists the attachment succeeds and releases the address",
          .enabled(if: IPAMPlugin.implementsGC, Comment(rawValue: IPAMPlugin.noGC)),
          arguments: Firewall.backends)
    func garbageCollect(backend: String) throws {
        try withTestNetwork { net in
            let (attachment, config, node) = try attachmentFromBeforeReboot(net, backend: backend)
            var gcConfig = config
            gcConfig["cni.dev/valid-attachments"] = [["containerID": "other", "ifname": "eth0"]]
            let environment = ChildProcess.toolEnvironment + [
                "CNI_COMMAND=GC", "CNI_CONTAINERID=", "CNI_NETNS=", "CNI_IFNAME=", "CNI_ARGS=",
                "CNI_PATH=\(net.cniPath)",
            ]
            let outcome = try call("GC", on: node, environment: environment, config: gcConfig)
            #expect(outcome.succeeded, "\(outcome)")
            #expect(net.reservedAddresses.isEmpty)
            #expect(try rules(on: node, mentioning: attachment.containerID).isEmpty)
        }
    }
}
