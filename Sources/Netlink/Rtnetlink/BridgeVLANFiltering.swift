/// What a bridge's link attributes say about VLAN filtering.
public enum BridgeVLANFiltering: Sendable, Equatable {
    /// The kernel lacks CONFIG_BRIDGE_VLAN_FILTERING: no VLAN can be set on
    /// any port (`vlan_filtering 1` is EOPNOTSUPP).
    case unsupported
    case off
    case on
}
