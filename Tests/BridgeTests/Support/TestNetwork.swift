import TestKit
import Testing

/// One test's private network: its own bridge name, network name, subnet,
/// IPAM data dir and pods, so that tests can run in parallel.
///
/// Use it through `withTestNetwork { net in ... }`, which tears everything
/// down afterwards: a DEL for every attachment it added, the pods'
/// namespaces, the bridge, the data dir.
final class TestNetwork: @unchecked Sendable {
    let bridgeName = TestNode.uniqueName("tbr")
    let networkName = TestNode.uniqueName("net")
    let subnetIndex: Int
    let directory = TemporaryDirectory.make(prefix: "bridge-test")
    var dataDir: String { directory + "/ipam" }
    /// `CNI_PATH`: the IPAM plugin's directory unless a test changes it.
    var cniPath = IPAMPlugin.directory

    private(set) var pods: [Pod] = []
    private var added: [(attachment: Attachment, config: JSON, plugin: String)] = []

    /// The subnet index was taken here, and goes back to the pool on
    /// tear-down (a caller that passes one keeps it).
    private let ownsSubnetIndex: Bool

    init(subnetIndex: Int? = nil) {
        self.subnetIndex = subnetIndex ?? TestNode.uniqueSubnetIndex()
        ownsSubnetIndex = subnetIndex == nil
    }

    // MARK: Addressing

    var subnet: String { "10.123.\(subnetIndex).0/24" }
    var gateway: String { "10.123.\(subnetIndex).1" }
    func address(_ host: Int) -> String { "10.123.\(subnetIndex).\(host)" }
    var subnet6: String { "fd00:123:\(subnetIndex)::/64" }
    var gateway6: String { "fd00:123:\(subnetIndex)::1" }
    func address6(_ host: Int) -> String { "fd00:123:\(subnetIndex)::\(String(host, radix: 16))" }

    // MARK: Configuration

    /// An `ipam` section for host-local with one IPv4 range (and an IPv6
    /// one with `dualStack`).
    func ipam(dualStack: Bool = false, subnet: String? = nil) -> JSON {
        var ranges: [JSON] = [[["subnet": .string(subnet ?? self.subnet)]]]
        if dualStack { ranges.append([["subnet": .string(subnet6)]]) }
        return ["type": "host-local", "dataDir": .string(dataDir), "ranges": .array(ranges)]
    }

    /// A bridge configuration on this network with host-local IPAM,
    /// `overrides` merged in (`"ipam": nil` removes IPAM).
    func config(_ version: String = "1.0.0", _ overrides: JSON = [:]) -> JSON {
        let base: JSON = [
            "cniVersion": .string(version),
            "name": .string(networkName),
            "type": "bridge",
            "bridge": .string(bridgeName),
            "ipam": ipam(),
        ]
        return base.merging(overrides)
    }

    // MARK: Pods and calls

    func makePod() throws -> Pod {
        let pod = try Pod()
        pods.append(pod)
        return pod
    }

    /// A fresh attachment of a new pod (or of `pod`).
    func attachment(in pod: Pod? = nil, ifname: String = "eth0") throws -> Attachment {
        let pod = try pod ?? makePod()
        return Attachment(pod: pod, containerID: TestNode.uniqueName("ctr-"), ifname: ifname, netns: pod.path)
    }

    /// Runs `plugin` (ours unless told) for `command`.
    func call(_ command: String, _ attachment: Attachment, config: JSON, cniArgs: String? = nil,
              plugin: String = Plugins.bridge, extraEnvironment: [String] = []) throws -> PluginOutcome {
        let environment = attachment.environment(command, cniPath: cniPath, cniArgs: cniArgs) + extraEnvironment
        let output = try ChildProcess.run(plugin, environment: environment, stdin: config.text)
        if command == "ADD" && output.succeeded { added.append((attachment, config, plugin)) }
        return PluginOutcome(output: output)
    }

    /// Runs `command` for every attachment at once (one process each) and
    /// returns the outcomes in the same order.
    func callConcurrently(_ command: String, _ attachments: [Attachment], config: JSON,
                          plugin: String = Plugins.bridge) throws -> [PluginOutcome] {
        let running = try attachments.map { attachment in
            try ChildProcess.start(plugin,
                                   environment: attachment.environment(command, cniPath: cniPath, cniArgs: nil),
                                   stdin: config.text)
        }
        let outcomes = running.map { PluginOutcome(output: $0.wait()) }
        for (attachment, outcome) in zip(attachments, outcomes) where command == "ADD" && outcome.succeeded {
            added.append((attachment, config, plugin))
        }
        return outcomes
    }

    /// GC and STATUS as libcni sends them: `CNI_CONTAINERID`, `CNI_NETNS`,
    /// `CNI_IFNAME` and `CNI_ARGS` present but empty.
    func callForNetwork(_ command: String, config: JSON) throws -> PluginOutcome {
        let environment = ChildProcess.toolEnvironment + [
            "CNI_COMMAND=\(command)", "CNI_CONTAINERID=", "CNI_NETNS=", "CNI_IFNAME=", "CNI_ARGS=",
            "CNI_PATH=\(cniPath)",
        ]
        return PluginOutcome(output: try ChildProcess.run(Plugins.bridge, environment: environment, stdin: config.text))
    }

    /// ADD that must succeed; returns the result.
    @discardableResult
    func add(_ attachment: Attachment, config: JSON, cniArgs: String? = nil,
             plugin: String = Plugins.bridge) throws -> JSON {
        let outcome = try call("ADD", attachment, config: config, cniArgs: cniArgs, plugin: plugin)
        try #require(outcome.succeeded, "ADD failed: \(outcome)")
        return try outcome.json
    }

    /// `config` with `prevResult` set, for DEL and CHECK.
    func withPrevResult(_ config: JSON, _ result: JSON) -> JSON {
        var config = config
        config["prevResult"] = result
        return config
    }

    // MARK: State

    /// Addresses host-local holds for this network.
    var reservedAddresses: [String] { IPAMStore.reservedAddresses(dataDir: dataDir, network: networkName) }

    func tearDown() {
        for (attachment, config, plugin) in added.reversed() {
            _ = try? ChildProcess.run(plugin,
                                      environment: attachment.environment("DEL", cniPath: cniPath, cniArgs: nil),
                                      stdin: config.text)
        }
        for pod in pods { pod.destroy() }
        _ = try? Tool.run("ip", "link", "del", bridgeName)
        TemporaryDirectory.remove(directory)
        if ownsSubnetIndex { TestNode.releaseSubnetIndex(subnetIndex) }
    }
}

/// Runs `body` with a fresh `TestNetwork` and tears it down afterwards.
func withTestNetwork<T>(subnetIndex: Int? = nil, _ body: (TestNetwork) throws -> T) throws -> T {
    try #require(Plugins.bridgeIsBuilt, Comment(rawValue: Plugins.missingBridge))
    let network = TestNetwork(subnetIndex: subnetIndex)
    defer { network.tearDown() }
    return try body(network)
}
