import SystemSupport
import CNISpec
import CNetlink

/// Bridge VLAN filtering through netlink (the requests `ip link add … type
/// bridge vlan_filtering 1` and `bridge vlan add/del/show` make), built with
/// libnl's message API in shim.h because libnl 3.7 has no helpers for them.
extension NetlinkSocket {
    /// Creates a bridge with VLAN filtering on, in one request (with `mtu`,
    /// `mac` and `up` as in `createBridge`). On a kernel without VLAN
    /// filtering the request fails with `.notSupported` and no bridge is
    /// left: the kernel unregisters the new device when its options fail.
    /// With `ifExists: .tolerate` an existing link of that name is left as
    /// it is (check it with `bridgeVLANFiltering(index:)`).
    @discardableResult
    public func createVLANFilteringBridge(name: InterfaceName, mtu: Int? = nil, mac: MACAddress? = nil, up: Bool = true,
                                          ifExists: ExistingPolicy = .fail) throws(NetlinkError) -> AddOutcome {
        let macBytes = mac?.bytes
        do {
            try perform("add bridge", GoQuote.quoted(name.text)) { socket in
                if let macBytes {
                    return macBytes.withUnsafeBufferPointer {
                        cnl_bridge_add_vlan_filtering(socket, name.text, Int32(mtu ?? 0), $0.baseAddress, up ? 1 : 0)
                    }
                }
                return cnl_bridge_add_vlan_filtering(socket, name.text, Int32(mtu ?? 0), nil, up ? 1 : 0)
            }
            return .added
        } catch where error.isAlreadyExists && ifExists == .tolerate {
            return .alreadyExisted
        }
    }

    /// Whether bridge `index` filters by VLAN, or whether the kernel cannot.
    /// Reads the bridge's IFLA_INFO_DATA: IFLA_BR_VLAN_DEFAULT_PVID is there
    /// only on kernels built with CONFIG_BRIDGE_VLAN_FILTERING. A link that is
    /// not a bridge is reported as `.off`.
    public func bridgeVLANFiltering(index: InterfaceIndex) throws(NetlinkError) -> BridgeVLANFiltering {
        let state = try perform("get link", LinkRef.describe(index: index, name: nil)) { socket in
            cnl_bridge_vlan_state(socket, index.rawValue)
        }
        guard state & CNL_BRIDGE_IS_BRIDGE != 0 else { return .off }
        guard state & CNL_BRIDGE_VLAN_SUPPORTED != 0 else { return .unsupported }
        return state & CNL_BRIDGE_VLAN_FILTERING_ON != 0 ? .on : .off
    }

    /// The VLANs of bridge port `index`, in VID order. A link that is no
    /// port of a VLAN-filtering bridge has none.
    ///
    /// The kernel answers with a dump of every bridge port; a dump that
    /// links changed under (NLE_DUMP_INTR, other pods coming and going) is
    /// read again, up to 10 times.
    public func bridgePortVLANs(index: InterfaceIndex) throws(NetlinkError) -> [PortVLAN] {
        var capacity = 64
        var interrupted = 0
        while true {
            var items = [cnl_port_vlan](repeating: cnl_port_vlan(), count: capacity)
            let count: Int32
            do {
                count = try perform("list VLANs of", LinkRef.describe(index: index, name: nil)) { socket in
                    items.withUnsafeMutableBufferPointer {
                        cnl_bridge_port_vlans(socket, index.rawValue, $0.baseAddress, Int32(capacity))
                    }
                }
            } catch where error.code == Int32(NLE_DUMP_INTR) && interrupted < 10 {
                interrupted += 1
                continue
            }
            guard Int(count) <= capacity else { capacity = Int(count); continue }
            return items.prefix(Int(count)).compactMap { item in
                VLANID(Int(item.vid)).map { id in
                    PortVLAN(id, pvid: item.flags & UInt16(BRIDGE_VLAN_INFO_PVID) != 0,
                             untagged: item.flags & UInt16(BRIDGE_VLAN_INFO_UNTAGGED) != 0)
                }
            }.sorted { $0.id < $1.id }
        }
    }

    /// Adds VLANs `ids` to bridge port `index` in one request (a range when
    /// it spans several IDs). `pvid` needs a single ID. Adding an ID the
    /// port has replaces its flags.
    public func addBridgePortVLANs(index: InterfaceIndex, _ ids: ClosedRange<VLANID>, pvid: Bool = false,
                                   untagged: Bool = false) throws(NetlinkError) {
        var flags: UInt16 = 0
        if pvid { flags |= UInt16(BRIDGE_VLAN_INFO_PVID) }
        if untagged { flags |= UInt16(BRIDGE_VLAN_INFO_UNTAGGED) }
        try perform("add VLAN \(Self.describe(ids)) to", LinkRef.describe(index: index, name: nil)) { socket in
            cnl_bridge_port_vlan_change(socket, index.rawValue, 1, ids.lowerBound.value, ids.upperBound.value, flags)
        }
    }

    /// Removes VLANs `ids` from bridge port `index` in one request.
    public func deleteBridgePortVLANs(index: InterfaceIndex, _ ids: ClosedRange<VLANID>) throws(NetlinkError) {
        try perform("delete VLAN \(Self.describe(ids)) from", LinkRef.describe(index: index, name: nil)) { socket in
            cnl_bridge_port_vlan_change(socket, index.rawValue, 0, ids.lowerBound.value, ids.upperBound.value, 0)
        }
    }

    private static func describe(_ ids: ClosedRange<VLANID>) -> String {
        ids.lowerBound == ids.upperBound ? "\(ids.lowerBound)" : "\(ids.lowerBound)-\(ids.upperBound)"
    }
}
