extension CNIResult {
    /// The result as the JSON document of `version`, following the
    /// reference's conversion rules:
    /// - 1.0.0 / 1.1.0: `ips[]` without `version`; empty `dns` left out.
    /// - 0.3.x / 0.4.0: `ips[].version` derived from the address family;
    ///   interfaces carry only name, mac and sandbox; routes only dst and gw;
    ///   `dns` always present.
    /// - 0.1.0 / 0.2.0: only the first IPv4 and first IPv6 address, as `ip4`
    ///   and `ip6`, each with the routes of its family; no interfaces; fails
    ///   with `cannot convert: no valid IP addresses` when there is no IP.
    public func json(for version: CNIVersion) throws(CNIError) -> JSONValue {
        var object = JSONObject()
        object.append("cniVersion", .string(version.rawValue))
        switch version.resultFormat {
        case .v100, .v040:
            let modern = version.resultFormat == .v100
            if !interfaces.isEmpty {
                object.append("interfaces", .array(interfaces.map { interfaceJSON($0, modern: modern) }))
            }
            if !ips.isEmpty {
                object.append("ips", .array(ips.map { ipJSON($0, withVersion: !modern) }))
            }
            if !routes.isEmpty {
                object.append("routes", .array(routes.map { routeJSON($0, modern: modern) }))
            }
            if !modern || !dns.isEmpty {
                object.append("dns", dns.json)
            }
        case .legacy020:
            let ip4 = ips.first { $0.address.family == .v4 }
            let ip6 = ips.first { $0.address.family == .v6 }
            guard ip4 != nil || ip6 != nil else {
                throw CNIError(.internal, "cannot convert: no valid IP addresses")
            }
            for (key, ip) in [("ip4", ip4), ("ip6", ip6)] {
                guard let ip else { continue }
                var ipObject = JSONObject()
                ipObject.append("ip", .string(ip.address.description))
                if let gateway = ip.gateway { ipObject.append("gateway", .string(gateway.description)) }
                let familyRoutes = routes.filter { $0.destination.family == ip.address.family }
                if !familyRoutes.isEmpty {
                    ipObject.append("routes", .array(familyRoutes.map { routeJSON($0, modern: false) }))
                }
                object.append(key, .object(ipObject))
            }
            object.append("dns", dns.json)
        }
        return .object(object)
    }

    private func interfaceJSON(_ interface: Interface, modern: Bool) -> JSONValue {
        var object = JSONObject()
        object.append("name", .string(interface.name))
        if let mac = interface.mac, !mac.isEmpty { object.append("mac", .string(mac)) }
        if modern, let mtu = interface.mtu, mtu != 0 { object.append("mtu", .integer(mtu)) }
        if let sandbox = interface.sandbox, !sandbox.isEmpty { object.append("sandbox", .string(sandbox)) }
        if modern, let socketPath = interface.socketPath, !socketPath.isEmpty {
            object.append("socketPath", .string(socketPath))
        }
        if modern, let pciID = interface.pciID, !pciID.isEmpty { object.append("pciID", .string(pciID)) }
        return .object(object)
    }

    private func ipJSON(_ ip: IPConfig, withVersion: Bool) -> JSONValue {
        var object = JSONObject()
        if withVersion { object.append("version", .string(ip.address.family.versionString)) }
        if let interface = ip.interface { object.append("interface", .integer(interface)) }
        object.append("address", .string(ip.address.description))
        if let gateway = ip.gateway { object.append("gateway", .string(gateway.description)) }
        return .object(object)
    }

    private func routeJSON(_ route: Route, modern: Bool) -> JSONValue {
        var object = JSONObject()
        object.append("dst", .string(route.destination.description))
        if let gateway = route.gateway { object.append("gw", .string(gateway.description)) }
        if modern {
            if let mtu = route.mtu, mtu != 0 { object.append("mtu", .integer(mtu)) }
            if let advmss = route.advmss, advmss != 0 { object.append("advmss", .integer(advmss)) }
            if let priority = route.priority, priority != 0 { object.append("priority", .integer(priority)) }
            if let table = route.table { object.append("table", .integer(table)) }
            if let scope = route.scope { object.append("scope", .integer(scope)) }
        }
        return .object(object)
    }
}
