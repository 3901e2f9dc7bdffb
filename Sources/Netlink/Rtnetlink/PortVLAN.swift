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
