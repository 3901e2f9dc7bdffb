import CNISpec
import CNetlink

/// One address on an interface, as the kernel reported it.
public struct AddressInfo: Hashable, Sendable {
    public var interfaceIndex: InterfaceIndex
    /// IFA_LOCAL (the interface's own address) with its prefix length.
    public var cidr: CIDR
    public var scope: NetlinkScope
    public var flags: AddressFlags
    /// IFA_LABEL (IPv4 only), e.g. "eth0".
    public var label: String?

    public var family: IPFamily { cidr.family }
}

/// rt_scope_t, shared by addresses and routes.
public struct NetlinkScope: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let universe = NetlinkScope(rawValue: 0)
    public static let site = NetlinkScope(rawValue: 200)
    public static let link = NetlinkScope(rawValue: 253)
    public static let host = NetlinkScope(rawValue: 254)
    public static let nowhere = NetlinkScope(rawValue: 255)

    public var description: String {
        switch rawValue {
        case 0: return "universe"
        case 200: return "site"
        case 253: return "link"
        case 254: return "host"
        case 255: return "nowhere"
        default: return String(rawValue)
        }
    }
}

/// IFA_F_* address flags.
public struct AddressFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let secondary = AddressFlags(rawValue: 0x01)
    public static let noDAD = AddressFlags(rawValue: 0x02)
    public static let optimistic = AddressFlags(rawValue: 0x04)
    public static let dadFailed = AddressFlags(rawValue: 0x08)
    public static let homeAddress = AddressFlags(rawValue: 0x10)
    public static let deprecated = AddressFlags(rawValue: 0x20)
    /// IPv6 duplicate address detection still running.
    public static let tentative = AddressFlags(rawValue: 0x40)
    public static let permanent = AddressFlags(rawValue: 0x80)
    public static let manageTempAddress = AddressFlags(rawValue: 0x100)
    public static let noPrefixRoute = AddressFlags(rawValue: 0x200)
}

extension AddressInfo {
    /// Reads a borrowed `struct rtnl_addr`; nil for non-IP families.
    init?(address: OpaquePointer) {
        guard let cidr = NetlinkAddress.cidr(of: rtnl_addr_get_local(address)) else { return nil }
        self.cidr = cidr
        interfaceIndex = InterfaceIndex(kernelValue: rtnl_addr_get_ifindex(address))
        scope = NetlinkScope(rawValue: UInt8(truncatingIfNeeded: rtnl_addr_get_scope(address)))
        flags = AddressFlags(rawValue: rtnl_addr_get_flags(address))
        label = rtnl_addr_get_label(address).map { String(cString: $0) }
    }
}
