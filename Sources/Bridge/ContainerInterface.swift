import CNISpec
import Glibc
import Netlink
import SystemSupport

/// The pod's end of the veth: its sysctls, addresses and routes, set
/// through a netlink socket bound to the pod's namespace (the plugin's thread
/// enters the namespace only for the sysctl writes, and comes back).
struct ContainerInterface {
    let pod: NetlinkSocket
    let namespace: NetworkNamespace
    let name: String
    let index: InterfaceIndex

    /// The per-interface sysctls the reference sets before addressing:
    /// DAD off (or enhanced DAD on with `enabledad`), `arp_notify=1`, and for
    /// IPv6 `disable_ipv6=0` on lo and the interface plus
    /// `keep_addr_on_down=1`. Missing keys (IPv6 disabled on the node) are
    /// not errors, as in the reference. The interface is new, so values are
    /// written without reading them first.
    func applySysctls(enableDAD: Bool, hasIPv6: Bool) throws(CNIError) {
        var settings: [(SysctlKey, String)] = []
        if enableDAD {
            settings.append((.interface(.v6, name, "enhanced_dad"), "1"))
            settings.append((.interface(.v6, name, "accept_dad"), "1"))
        } else {
            settings.append((.interface(.v6, name, "accept_dad"), "0"))
        }
        settings.append((.interface(.v4, name, "arp_notify"), "1"))
        if hasIPv6 {
            settings.append((.interface(.v6, "lo", "disable_ipv6"), "0"))
            settings.append((.interface(.v6, name, "disable_ipv6"), "0"))
            settings.append((.interface(.v6, name, "keep_addr_on_down"), "1"))
        }
        do {
            try namespace.withEntered { () throws(SysctlError) in
                for (key, value) in settings {
                    do throws(SysctlError) {
                        try Sysctl.write(key, value)
                    } catch where error.isNotFound {
                        continue
                    }
                }
            }
        } catch {
            throw CNIError.failed("failed to set sysctls of \"\(name)\"", error)
        }
    }

    /// Adds every address, then brings the link up.
    func addAddressesAndUp(_ addresses: [CIDR]) throws(CNIError) {
        for address in addresses {
            do {
                try pod.addAddress(address, interfaceIndex: index)
            } catch {
                throw CNIError.failed("failed to add IP addr \(address) to \(GoQuote.quoted(name))", causeOf: error)
            }
        }
        try setUp()
    }

    func setUp() throws(CNIError) {
        do {
            try pod.setUp(index: index)
        } catch {
            throw CNIError.failed("failed to set \(GoQuote.quoted(name)) UP", causeOf: error)
        }
    }

    /// Waits (at most 5 s) until no IPv6 address of the interface is still
    /// tentative; a failed duplicate address detection is an error.
    func settleIPv6Addresses() throws(CNIError) {
        let deadline = MonotonicClock.nowMilliseconds() + 5000
        while true {
            let addresses: [AddressInfo]
            do {
                addresses = try pod.addresses(interfaceIndex: index, family: .v6)
            } catch {
                throw CNIError.failed("failed to settle addresses for \"\(name)\"", error)
            }
            if let failed = addresses.first(where: { $0.flags.contains(.dadFailed) }) {
                throw CNIError(.internal, "failed to settle addresses for \"\(name)\": duplicate address detection failed for \(failed.cidr)")
            }
            if !addresses.contains(where: { $0.flags.contains(.tentative) }) { return }
            if MonotonicClock.nowMilliseconds() >= deadline {
                throw CNIError(.internal, "failed to settle addresses for \"\(name)\": link still has tentative addresses after 5s")
            }
            usleep(10_000)
        }
    }

    /// Installs `routes`; a route without `gw` goes via the first gateway of
    /// its family, as in the reference. Like the reference, a route is added
    /// beside routes to the same destination through other interfaces (the
    /// pod's eth0 and eth1 may both have one to 0.0.0.0/0); only a route
    /// identical to one already there fails, and the ADD with it. A `gw`
    /// of the other family than `dst` is refused before the kernel sees it,
    /// in the words of the reference's netlink library (the kernel would
    /// answer "network is unreachable").
    func addRoutes(_ routes: [CNIResult.Route], gateways: [IPFamily: IPAddress]) throws(CNIError) {
        for route in routes {
            let info = routeInfo(route, gateways: gateways)
            let context = "failed to add route '\(route.destination)\(info.gateway.map { " via \($0)" } ?? "") dev \(name)'"
            if let gateway = info.gateway, gateway.family != route.destination.family {
                throw CNIError(.internal, "\(context): gateway, source, and destination ip are not the same IP family")
            }
            do {
                try pod.addRoute(info, sameDestination: .addBeside)
            } catch {
                throw CNIError.failed(context, causeOf: error)
            }
        }
    }

    /// The kernel route a result route becomes on this interface.
    func routeInfo(_ route: CNIResult.Route, gateways: [IPFamily: IPAddress]) -> RouteInfo {
        var info = RouteInfo(destination: route.destination.network,
                             gateway: route.gateway ?? gateways[route.destination.family],
                             outputInterface: index)
        // As upstream's netlink library passes them: metrics and table only
        // when positive, each cut to the kernel's width as Go's conversions
        // cut it (uint32, and uint8 for the scope).
        if let priority = route.priority, priority > 0 { info.priority = UInt32(truncatingIfNeeded: priority) }
        if let table = route.table, table > 0 { info.table = UInt32(truncatingIfNeeded: table) }
        if let scope = route.scope { info.scope = NetlinkScope(rawValue: UInt8(truncatingIfNeeded: scope)) }
        if let mtu = route.mtu, mtu > 0 { info.mtu = UInt32(truncatingIfNeeded: mtu) }
        if let advmss = route.advmss, advmss > 0 { info.advmss = UInt32(truncatingIfNeeded: advmss) }
        return info
    }
}
