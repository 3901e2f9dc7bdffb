import CNISpec
import CNetlink
import Glibc

extension NetlinkSocket {
    /// Adds `route`. With `sameDestination: .refuse` (NLM_F_CREATE|NLM_F_EXCL,
    /// like `ip route add`) a route to the same destination is EEXIST;
    /// with `.addBeside` only an identical one is. EEXIST is
    /// `.alreadyExisted` with `ifExists: .tolerate`, otherwise
    /// `.alreadyExists` thrown.
    @discardableResult
    public func addRoute(_ route: RouteInfo, sameDestination: SameDestinationPolicy = .refuse,
                         ifExists: ExistingPolicy = .fail) throws(NetlinkError) -> AddOutcome {
        let request = try routeRequest(route, forDeletion: false)
        // rtnl_route_add sets NLM_F_CREATE itself.
        let flags: Int32 = sameDestination == .refuse ? NLM_F_EXCL : 0
        do {
            try perform("add route", route.description) { socket in
                rtnl_route_add(socket, request.pointer, flags)
            }
            return .added
        } catch where error.isAlreadyExists && ifExists == .tolerate {
            return .alreadyExisted
        }
    }

    /// Adds `route`, or replaces the route with the same destination, table,
    /// TOS and priority (NLM_F_REPLACE, like `ip route replace`).
    public func replaceRoute(_ route: RouteInfo) throws(NetlinkError) {
        let request = try routeRequest(route, forDeletion: false)
        try perform("replace route", route.description) { socket in
            rtnl_route_add(socket, request.pointer, NLM_F_REPLACE)
        }
    }

    /// Deletes the route matching `route`'s destination, table, gateway,
    /// output interface and (when set) priority; scope, protocol and
    /// metrics are not matched. A missing route (ESRCH) is `.alreadyGone`
    /// with `ifMissing: .tolerate`.
    @discardableResult
    public func deleteRoute(_ route: RouteInfo, ifMissing: MissingPolicy = .fail) throws(NetlinkError) -> DeleteOutcome {
        let request = try routeRequest(route, forDeletion: true)
        do {
            try perform("delete route", route.description) { socket in
                rtnl_route_delete(socket, request.pointer, 0)
            }
            return .deleted
        } catch where ifMissing == .tolerate && (error.isNotFound || error.isNoSuchDevice) {
            return .alreadyGone
        }
    }

    /// Routes in the socket's namespace (one dump), filtered by family,
    /// table (main by default; nil for every table, including local) and
    /// output interface of the first next hop.
    public func routes(family: IPFamily? = nil, table: UInt32? = RouteInfo.mainTable,
                       outputInterface: Int32? = nil) throws(NetlinkError) -> [RouteInfo] {
        var raw: OpaquePointer? = nil
        let addressFamily = family?.addressFamily ?? AF_UNSPEC
        try perform("list", "routes") { rtnl_route_alloc_cache($0, addressFamily, 0, &raw) }
        guard let raw else { return [] }
        let cache = NetlinkCache(owning: raw)
        var result: [RouteInfo] = []
        cache.forEach { object in
            guard let info = RouteInfo(route: object) else { return }
            if let family, info.family != family { return }
            if let table, info.table != table { return }
            if let outputInterface, info.outputInterface != outputInterface { return }
            result.append(info)
        }
        return result
    }

    private func routeRequest(_ route: RouteInfo, forDeletion: Bool) throws(NetlinkError) -> RouteObject {
        let request = try RouteObject()
        let pointer = request.pointer
        _ = rtnl_route_set_family(pointer, UInt8(route.family.addressFamily))
        let destination = try NetlinkAddress(route.destination.network)
        let rc = withExtendedLifetime(destination) { rtnl_route_set_dst(pointer, destination.pointer) }
        if rc < 0 { throw NetlinkError(operation: "build route", object: route.description, code: rc) }
        rtnl_route_set_table(pointer, route.table)
        _ = rtnl_route_set_type(pointer, route.type)
        if forDeletion {
            // Match any scope and protocol, as `ip route del` does.
            rtnl_route_set_scope(pointer, NetlinkScope.nowhere.rawValue)
            rtnl_route_set_protocol(pointer, 0)
        } else {
            rtnl_route_set_scope(pointer, route.scope.rawValue)
            rtnl_route_set_protocol(pointer, route.protocolID)
            if let mtu = route.mtu { _ = rtnl_route_set_metric(pointer, Int32(RTAX_MTU), mtu) }
            if let advmss = route.advmss { _ = rtnl_route_set_metric(pointer, Int32(RTAX_ADVMSS), advmss) }
        }
        if let priority = route.priority { rtnl_route_set_priority(pointer, priority) }
        if route.gateway != nil || route.outputInterface != nil {
            let nexthop = try request.addNexthop()
            if let index = route.outputInterface { rtnl_route_nh_set_ifindex(nexthop, index) }
            if let gateway = route.gateway {
                let address = try NetlinkAddress(gateway)
                withExtendedLifetime(address) { rtnl_route_nh_set_gateway(nexthop, address.pointer) }
            }
        }
        return request
    }
}
