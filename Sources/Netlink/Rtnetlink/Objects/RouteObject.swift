import CNetlink

/// Owner of one `struct rtnl_route` reference, dropped in `deinit` only.
///
/// Next hops have no owner of their own: `addNexthop()` allocates one and
/// hands it to the route at once (`rtnl_route_add_nexthop` transfers
/// ownership), so it is freed with the route.
final class RouteObject {
    let pointer: OpaquePointer

    init() throws(NetlinkError) {
        guard let pointer = rtnl_route_alloc() else {
            throw NetlinkError(operation: "allocate", object: "route object", code: Int32(NLE_NOMEM))
        }
        self.pointer = pointer
    }

    /// A new next hop, already owned by this route; the returned pointer is
    /// borrowed and valid while the route lives.
    func addNexthop() throws(NetlinkError) -> OpaquePointer {
        guard let nexthop = rtnl_route_nh_alloc() else {
            throw NetlinkError(operation: "allocate", object: "next hop", code: Int32(NLE_NOMEM))
        }
        rtnl_route_add_nexthop(pointer, nexthop)
        return nexthop
    }

    deinit { rtnl_route_put(pointer) }
}
