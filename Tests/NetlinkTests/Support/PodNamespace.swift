import Netlink
import TestKit

/// A pod namespace made with `ip netns add` in the test node, deleted with
/// `ip netns del` when the value goes away.
final class PodNamespace {
    let name: String
    let path: String

    init() throws {
        name = TestNode.uniqueName("pod")
        path = "/run/netns/\(name)"
        try Tool.run(["ip", "netns", "add", name])
    }

    /// Opens the namespace with the API under test.
    func open() throws -> NetworkNamespace { try NetworkNamespace(path: path) }

    deinit { _ = try? Tool.run(["ip", "netns", "del", name]) }
}
