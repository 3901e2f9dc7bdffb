import CNetlink

extension NetlinkSocket {
    /// Sets bridge-port options of link `index`, which must already be
    /// enslaved to a bridge (otherwise the kernel answers EOPNOTSUPP,
    /// `.notSupported`). Options left nil are not touched; both travel in
    /// one RTM_SETLINK (AF_BRIDGE, IFLA_PROTINFO).
    ///
    /// - `hairpin`: IFLA_BRPORT_MODE, what `/sys/class/net/<if>/brport/hairpin_mode` shows.
    /// - `isolated`: IFLA_BRPORT_ISOLATED (`bridge link set … isolated on`).
    public func setBridgePort(index: InterfaceIndex, hairpin: Bool? = nil, isolated: Bool? = nil) throws(NetlinkError) {
        guard hairpin != nil || isolated != nil else { return }
        let hairpinValue: Int32 = hairpin.map { $0 ? 1 : 0 } ?? -1
        let isolatedValue: Int32 = isolated.map { $0 ? 1 : 0 } ?? -1
        try perform("set bridge port options of", LinkRef.describe(index: index, name: nil)) { socket in
            cnl_bridge_port_set(socket, index.rawValue, hairpinValue, isolatedValue)
        }
    }
}
