import TestKit
import Testing

/// The test node kernel's bridge VLAN filtering, read with iproute2 (an
/// oracle independent of the plugin's own netlink code).
enum BridgeVLANs {
    /// Whether the kernel can filter VLANs on a bridge: probed once by
    /// creating (and deleting) a bridge with `vlan_filtering 1` in the test
    /// node. Debian's kernels can; the kernel of our development machines
    /// (6.18, no CONFIG_BRIDGE_VLAN_FILTERING) cannot.
    static let kernelFilters: Bool = {
        guard TestNode.isAvailable else { return false }
        let probe = TestNode.uniqueName("vprb")
        guard (try? Tool.run("ip", "link", "add", probe, "type", "bridge", "vlan_filtering", "1")) != nil else {
            return false
        }
        _ = try? Tool.run("ip", "link", "del", probe)
        return true
    }()

    static let kernelLacksFiltering: Bool = TestNode.isAvailable && !kernelFilters

    static let requirement: Comment =
        "needs a kernel with bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING), e.g. Debian 12's: run scripts/test-in-kernel.sh --filter VLAN"
    static let lackRequirement: Comment =
        "needs a kernel without bridge VLAN filtering (the host kernel of our machines)"

    /// A port's VLANs as `bridge vlan show` prints them: "10 PVID untagged",
    /// "20", … in VID order.
    /// Read again when a concurrent test interrupted the dump and `bridge`
    /// said so instead of printing JSON.
    static func of(_ port: String) throws -> [String] {
        var attempt = 0
        var text = try Tool.run("bridge", "-j", "vlan", "show", "dev", port)
        while (try? JSON.parse(text)) == nil && !text.trimmingWhitespace.isEmpty && attempt < 5 {
            attempt += 1
            text = try Tool.run("bridge", "-j", "vlan", "show", "dev", port)
        }
        let entries = text.trimmingWhitespace.isEmpty ? [] : (try JSON.parse(text).array ?? [])
        return entries.filter { $0["ifname"]?.string == port }
            .flatMap { $0["vlans"]?.array ?? [] }
            .flatMap { vlan -> [String] in
                guard let first = vlan["vlan"]?.int else { return [] }
                let last = vlan["vlanEnd"]?.int ?? first
                let flags = vlan["flags"]?.array?.compactMap(\.string) ?? []
                let suffix = (flags.contains("PVID") ? " PVID" : "") + (flags.contains("Egress Untagged") ? " untagged" : "")
                return (first...last).map { "\($0)\(suffix)" }
            }
    }

    /// The bridge's `vlan_filtering` (0 or 1), nil when it has none.
    static func filtering(of bridge: String) throws -> Int? {
        try Kernel.link(bridge)?["linkinfo"]?["info_data"]?["vlan_filtering"]?.int
    }
}
