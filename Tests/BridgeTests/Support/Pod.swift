import TestKit

/// A pod's network namespace, made with `ip netns add` in the test node.
/// Deleted by `destroy()` (the namespace takes its end of any veth with it).
final class Pod: Sendable {
    let name: String
    /// What the runtime passes as `CNI_NETNS`.
    let path: String

    init() throws {
        name = TestNode.uniqueName("pod")
        path = "/run/netns/\(name)"
        try Tool.run("ip", "netns", "add", name)
    }

    /// Runs a tool inside the pod's namespace.
    @discardableResult
    func run(_ arguments: String...) throws -> String {
        try Tool.run(["ip", "netns", "exec", name] + arguments)
    }

    /// Whether the command succeeds inside the pod.
    func succeeds(_ arguments: String...) -> Bool {
        (try? ChildProcess.run("ip", ["netns", "exec", name] + arguments,
                               environment: ChildProcess.toolEnvironment).succeeded) ?? false
    }

    /// Names of the pod's links (`lo` included).
    func linkNames() throws -> [String] {
        try Kernel.links(in: self).compactMap { $0["ifname"]?.string }.sorted()
    }

    /// A sysctl as seen inside the pod, e.g. `net/ipv4/conf/eth0/arp_notify`.
    func sysctl(_ key: String) throws -> String {
        try run("cat", "/proc/sys/" + key).trimmingWhitespace
    }

    func destroy() {
        _ = try? Tool.run("ip", "netns", "del", name)
    }
}

extension String {
    var trimmingWhitespace: String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }
}
