import CNetlink
import Glibc

/// A snapshot of one network interface, as the kernel reported it.
///
/// Values only: nothing here refers back to libnl, so a `LinkInfo` can be
/// kept, compared and printed after the socket is gone.
public struct LinkInfo: Hashable, Sendable {
    public var index: InterfaceIndex
    public var name: String
    /// IFLA_INFO_KIND: "bridge", "veth", …; nil for links without one (lo).
    public var kind: String?
    /// IFLA_INFO_SLAVE_KIND: "bridge" for a bridge port.
    public var slaveKind: String?
    public var mac: MACAddress?
    public var mtu: Int
    /// Administratively up (IFF_UP).
    public var isUp: Bool
    public var isPromiscuous: Bool
    public var operState: OperState
    /// IFLA_MASTER: the bridge a port is enslaved to.
    public var masterIndex: InterfaceIndex?
    /// IFLA_LINK: for a veth, the peer's ifindex, counted in the peer's
    /// namespace (see `linkNetnsID`).
    public var peerIndex: InterfaceIndex?
    /// IFLA_LINK_NETNSID: set when the peer lives in another namespace.
    public var linkNetnsID: Int32?

    public var isBridge: Bool { kind == "bridge" }
    public var isVeth: Bool { kind == "veth" }
}

/// RFC 2863 operational state (IFLA_OPERSTATE).
public enum OperState: UInt8, Sendable, CustomStringConvertible {
    case unknown = 0
    case notPresent = 1
    case down = 2
    case lowerLayerDown = 3
    case testing = 4
    case dormant = 5
    case up = 6

    /// The spelling the reference plugins print ("lower-layer-down").
    public var description: String {
        switch self {
        case .unknown: return "unknown"
        case .notPresent: return "not-present"
        case .down: return "down"
        case .lowerLayerDown: return "lower-layer-down"
        case .testing: return "testing"
        case .dormant: return "dormant"
        case .up: return "up"
        }
    }
}

extension LinkInfo {
    /// Reads a borrowed `struct rtnl_link`.
    init(link: OpaquePointer) {
        index = InterfaceIndex(kernelValue: rtnl_link_get_ifindex(link))
        name = rtnl_link_get_name(link).map { String(cString: $0) } ?? ""
        kind = rtnl_link_get_type(link).map { String(cString: $0) }
        slaveKind = rtnl_link_get_slave_type(link).map { String(cString: $0) }
        mac = NetlinkAddress.macAddress(of: rtnl_link_get_addr(link))
        mtu = Int(rtnl_link_get_mtu(link))
        let flags = rtnl_link_get_flags(link)
        isUp = flags & UInt32(IFF_UP) != 0
        isPromiscuous = flags & UInt32(IFF_PROMISC) != 0
        operState = OperState(rawValue: rtnl_link_get_operstate(link)) ?? .unknown
        let master = rtnl_link_get_master(link)
        masterIndex = InterfaceIndex(master)
        let peer = rtnl_link_get_link(link)
        peerIndex = InterfaceIndex(peer)
        var nsid: Int32 = 0
        linkNetnsID = rtnl_link_get_link_netnsid(link, &nsid) == 0 ? nsid : nil
    }
}
