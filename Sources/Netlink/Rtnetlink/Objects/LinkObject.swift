import CNetlink

/// Owner of one `struct rtnl_link` reference, dropped in `deinit` only.
///
/// For a veth link libnl keeps the peer inside the link object; dropping
/// the last reference of the link frees the peer with it (libnl's
/// `veth_free`), so a veth needs no separate release. `vethPeer()` hands
/// out an extra reference (libnl's `rtnl_link_veth_get_peer` takes one),
/// owned by the returned object.
final class LinkObject {
    let pointer: OpaquePointer

    /// Takes over a reference the caller already holds.
    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// An empty link object (a request template).
    static func empty() throws(NetlinkError) -> LinkObject {
        guard let pointer = rtnl_link_alloc() else { throw LinkObject.outOfMemory }
        return LinkObject(owning: pointer)
    }

    /// A link object of kind "bridge".
    static func bridge() throws(NetlinkError) -> LinkObject {
        guard let pointer = rtnl_link_bridge_alloc() else { throw LinkObject.outOfMemory }
        return LinkObject(owning: pointer)
    }

    /// A link object of kind "veth", with its peer inside.
    static func veth() throws(NetlinkError) -> LinkObject {
        guard let pointer = rtnl_link_veth_alloc() else { throw LinkObject.outOfMemory }
        return LinkObject(owning: pointer)
    }

    /// The peer of a veth link object, as a separately owned reference.
    func vethPeer() throws(NetlinkError) -> LinkObject {
        guard let peer = rtnl_link_veth_get_peer(pointer) else { throw LinkObject.outOfMemory }
        return LinkObject(owning: peer)
    }

    /// Sets the hardware address (libnl takes its own reference to it).
    func setAddress(_ mac: MACAddress) throws(NetlinkError) {
        let address = try NetlinkAddress(mac)
        withExtendedLifetime(address) { rtnl_link_set_addr(pointer, address.pointer) }
    }

    deinit { rtnl_link_put(pointer) }

    private static var outOfMemory: NetlinkError {
        NetlinkError(operation: "allocate", object: "link object", code: Int32(NLE_NOMEM))
    }
}
