import CNISpec
import CNetlink

/// A unicast route with at most one next hop, as added or as listed.
///
/// Defaults follow what Go's netlink library (used by the reference
/// plugins) sends for a plain `RouteAdd`: table main, scope universe,
/// protocol boot, type unicast. Note that scope universe is sent even for a
/// route without gateway (iproute2 would pick scope link).
public struct RouteInfo: Hashable, Sendable {
    public var destination: CIDR
    public var gateway: IPAddress?
    /// RTA_OIF.
    public var outputInterface: InterfaceIndex?
    public var scope: NetlinkScope
    /// RT_TABLE_MAIN is 254.
    public var table: UInt32
    /// RTA_PRIORITY (the metric). nil leaves the kernel default (0 for
    /// IPv4, 1024 for IPv6); listed routes always carry the kernel's value.
    public var priority: UInt32?
    /// rtm_protocol; RTPROT_BOOT is 3.
    public var protocolID: UInt8
    /// rtm_type; RTN_UNICAST is 1.
    public var type: UInt8
    /// RTAX_MTU.
    public var mtu: UInt32?
    /// RTAX_ADVMSS.
    public var advmss: UInt32?
    /// Next hops beyond the first (ECMP routes) are not represented; this
    /// counts them all, and is 1 for routes built here.
    public var nexthopCount: Int

    public static let mainTable: UInt32 = 254
    public static let protocolBoot: UInt8 = 3
    public static let typeUnicast: UInt8 = 1

    public init(destination: CIDR, gateway: IPAddress? = nil, outputInterface: InterfaceIndex? = nil,
                scope: NetlinkScope = .universe, table: UInt32 = RouteInfo.mainTable,
                priority: UInt32? = nil, protocolID: UInt8 = RouteInfo.protocolBoot,
                type: UInt8 = RouteInfo.typeUnicast, mtu: UInt32? = nil, advmss: UInt32? = nil) {
        self.destination = destination
        self.gateway = gateway
        self.outputInterface = outputInterface
        self.scope = scope
        self.table = table
        self.priority = priority
        self.protocolID = protocolID
        self.type = type
        self.mtu = mtu
        self.advmss = advmss
        self.nexthopCount = 1
    }

    public var family: IPFamily { destination.family }

    /// Whether `destination` is 0.0.0.0/0 or ::/0.
    public var isDefault: Bool { destination.prefixLength == 0 }
}

extension RouteInfo: CustomStringConvertible {
    /// `dst via gw dev ifindex N table T metric M scope S`, for messages.
    public var description: String {
        var text = destination.description
        if let gateway { text += " via \(gateway)" }
        if let outputInterface { text += " dev ifindex \(outputInterface)" }
        if table != RouteInfo.mainTable { text += " table \(table)" }
        if let priority { text += " metric \(priority)" }
        text += " scope \(scope)"
        return text
    }
}

extension RouteInfo {
    /// Reads a borrowed `struct rtnl_route`; nil for non-IP families.
    init?(route: OpaquePointer) {
        guard let destination = NetlinkAddress.cidr(of: rtnl_route_get_dst(route)) else { return nil }
        self.init(destination: destination,
                  scope: NetlinkScope(rawValue: rtnl_route_get_scope(route)),
                  table: rtnl_route_get_table(route),
                  priority: rtnl_route_get_priority(route),
                  protocolID: rtnl_route_get_protocol(route),
                  type: rtnl_route_get_type(route))
        nexthopCount = Int(rtnl_route_get_nnexthops(route))
        if nexthopCount > 0, let nexthop = rtnl_route_nexthop_n(route, 0) {
            gateway = NetlinkAddress.ipAddress(of: rtnl_route_nh_get_gateway(nexthop))
            let index = rtnl_route_nh_get_ifindex(nexthop)
            outputInterface = InterfaceIndex(index)
        }
        var value: UInt32 = 0
        if rtnl_route_get_metric(route, Int32(RTAX_MTU), &value) == 0 { mtu = value }
        if rtnl_route_get_metric(route, Int32(RTAX_ADVMSS), &value) == 0 { advmss = value }
    }
}
