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
    ///
    /// Every route the kernel lists is returned, also routes that share a
    /// destination, table and metric (two interfaces of a pod, or one
    /// interface with two gateways, each with a route to 10.200.0.0/16): a
    /// libnl cache would keep only one of those, so the dump is parsed
    /// message by message instead.
    public func routes(family: IPFamily? = nil, table: UInt32? = RouteInfo.mainTable,
                       outputInterface: InterfaceIndex? = nil) throws(NetlinkError) -> [RouteInfo] {
        let addressFamily = family?.addressFamily ?? AF_UNSPEC
        let dump = RouteDump()
        try withExtendedLifetime(dump) { () throws(NetlinkError) in
            let context = Unmanaged.passUnretained(dump).toOpaque()
            try perform("list", "routes") { socket in
                var rc = nl_rtgen_request(socket, Int32(RTM_GETROUTE), addressFamily, NLM_F_DUMP)
                if rc < 0 { return rc }
                guard let callbacks = nl_cb_clone(nl_socket_get_cb(socket)) else { return -Int32(NLE_NOMEM) }
                defer { nl_cb_put(callbacks) }
                rc = nl_cb_set(callbacks, NL_CB_VALID, NL_CB_CUSTOM, { message, context in
                    let rc = nl_msg_parse(message, { object, context in
                        guard let object, let context else { return }
                        Unmanaged<RouteDump>.fromOpaque(context).takeUnretainedValue().add(object)
                    }, context)
                    return Int32(rc < 0 ? NL_STOP.rawValue : NL_OK.rawValue)
                }, context)
                if rc < 0 { return rc }
                return nl_recvmsgs(socket, callbacks)
            }
        }
        return dump.routes.filter { info in
            if let family, info.family != family { return false }
            if let table, info.table != table { return false }
            if let outputInterface, info.outputInterface != outputInterface { return false }
            return true
        }
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
            if let index = route.outputInterface { rtnl_route_nh_set_ifindex(nexthop, index.rawValue) }
            if let gateway = route.gateway {
                let address = try NetlinkAddress(gateway)
                withExtendedLifetime(address) { rtnl_route_nh_set_gateway(nexthop, address.pointer) }
            }
        }
        return request
    }
}

/// The routes a dump delivered, in the kernel's order (the context of the
/// libnl callbacks in `NetlinkSocket.routes`).
private final class RouteDump {
    var routes: [RouteInfo] = []

    /// Reads a parsed `struct rtnl_route` (borrowed for the call).
    func add(_ route: OpaquePointer) {
        if let info = RouteInfo(route: route) { routes.append(info) }
    }
}
