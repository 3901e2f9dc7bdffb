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
