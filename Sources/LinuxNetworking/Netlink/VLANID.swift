/// An 802.1Q VLAN ID a bridge port can carry: 1...4094 (0 and 4095 are
/// reserved by the standard and refused by the kernel).
public struct VLANID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: UInt16

    public static let range: ClosedRange<Int> = 1...4094
    /// VLAN 1: a VLAN-filtering bridge's default PVID, and the native VLAN of
    /// a trunk port without `vlan`.
    public static let `default` = VLANID(1)!

    public init?(_ value: Int) {
        guard VLANID.range.contains(value) else { return nil }
        self.value = UInt16(value)
    }

    public static func < (lhs: VLANID, rhs: VLANID) -> Bool { lhs.value < rhs.value }
    public var description: String { String(value) }
}

/// One VLAN entry of a bridge port, as `bridge vlan show` lists it.
public struct PortVLAN: Hashable, Sendable, CustomStringConvertible {
    public var id: VLANID
    /// Untagged frames entering the port belong to this VLAN.
    public var isPVID: Bool
    /// Frames of this VLAN leave the port without a tag.
    public var isUntagged: Bool

    public init(_ id: VLANID, pvid: Bool = false, untagged: Bool = false) {
        self.id = id
        self.isPVID = pvid
        self.isUntagged = untagged
    }

    public var description: String {
        "\(id)" + (isPVID ? " PVID" : "") + (isUntagged ? " Egress Untagged" : "")
    }
}

/// What a bridge's link attributes say about VLAN filtering.
public enum BridgeVLANFiltering: Sendable, Equatable {
    /// The kernel lacks CONFIG_BRIDGE_VLAN_FILTERING: no VLAN can be set on
    /// any port (`vlan_filtering 1` is EOPNOTSUPP).
    case unsupported
    case off
    case on
}
