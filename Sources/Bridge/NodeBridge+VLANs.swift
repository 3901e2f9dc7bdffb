import SystemSupport
import CNISpec
import Netlink

extension NodeBridge {
    /// The bridge for a config with `vlan` or `vlanTrunk`: one that filters
    /// by VLAN. A new bridge is created with `vlan_filtering 1` in the same
    /// request (a kernel without bridge VLAN filtering refuses that request
    /// and no bridge is left); an existing bridge is checked, not changed.
    ///
    /// ADD calls this before anything else has happened, so a node whose
    /// kernel cannot filter VLANs fails the ADD with no side effect; and
    /// last among its checks, as it may create the bridge.
    func ensureFilteringVLANs() throws(CNIError) -> State {
        let name = config.bridgeName
        if let existing = try? host.linkIfPresent(named: config.bridgeInterfaceName), existing.isBridge {
            let filtering: BridgeVLANFiltering
            do {
                filtering = try host.bridgeVLANFiltering(index: existing.index)
            } catch {
                throw CNIError(.internal, "failed to read bridge \(GoQuote.quoted(name)): \(error.reason)")
            }
            switch filtering {
            case .unsupported:
                throw Self.kernelLacksVLANFiltering(name, nil)
            case .off:
                // The reference reuses such a bridge and sets port VLANs
                // that the bridge then ignores: pods would share one
                // segment whatever their VLAN.
                throw CNIError(.invalidNetworkConfig,
                               "bridge \(GoQuote.quoted(name)) exists without VLAN filtering, which vlan and vlanTrunk need: turn it on (ip link set \(name) type bridge vlan_filtering 1) or use another bridge")
            case .on:
                break
            }
        }
        return try ensure()
    }

    /// The error for a kernel built without CONFIG_BRIDGE_VLAN_FILTERING.
    static func kernelLacksVLANFiltering(_ bridge: String, _ cause: NetlinkError?) -> CNIError {
        CNIError(.unsupportedField,
                 "failed to create bridge \(GoQuote.quoted(bridge)): this kernel lacks bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING), which vlan and vlanTrunk need"
                     + (cause.map { ": \($0.reason)" } ?? ""))
    }
}
