import CNISpec
import CNetlink
import Glibc

/// Owner of one `struct nl_addr` reference (an IP or hardware address as
/// libnl holds it). The reference is dropped in `deinit`, nowhere else.
/// Setters such as `rtnl_addr_set_local` take their own reference, so an
/// owner can go away right after handing its address to another object.
final class NetlinkAddress {
    let pointer: OpaquePointer

    /// An IP address, with `prefixLength` when it stands for a prefix.
    init(_ address: IPAddress, prefixLength: Int? = nil) throws(NetlinkError) {
        let bytes = address.netlinkBytes
        let built = bytes.withUnsafeBytes { raw in
            nl_addr_build(address.family.addressFamily, raw.baseAddress, raw.count)
        }
        guard let built else {
            throw NetlinkError(operation: "build address", object: address.description, code: Int32(NLE_NOMEM))
        }
        pointer = built
        if let prefixLength { nl_addr_set_prefixlen(pointer, Int32(prefixLength)) }
    }

    convenience init(_ cidr: CIDR) throws(NetlinkError) {
        try self.init(cidr.address, prefixLength: cidr.prefixLength)
    }

    /// A hardware address (family AF_LLC, as libnl's link code expects).
    init(_ mac: MACAddress) throws(NetlinkError) {
        let built = mac.bytes.withUnsafeBytes { raw in
            nl_addr_build(AF_LLC, raw.baseAddress, raw.count)
        }
        guard let built else {
            throw NetlinkError(operation: "build address", object: mac.description, code: Int32(NLE_NOMEM))
        }
        pointer = built
    }

    deinit { nl_addr_put(pointer) }

    // MARK: Reading addresses libnl objects hold (borrowed, not owned)

    /// The IP address in a borrowed `nl_addr`. An empty address of an IP
    /// family (libnl's form of a default route's destination) reads as the
    /// family's zero address.
    static func ipAddress(of borrowed: OpaquePointer?) -> IPAddress? {
        guard let borrowed else { return nil }
        let family = nl_addr_get_family(borrowed)
        let length = Int(nl_addr_get_len(borrowed))
        let data = nl_addr_get_binary_addr(borrowed)
        switch family {
        case AF_INET:
            guard length == 4, let data else { return length == 0 ? .v4(0) : nil }
            return IPAddress(netlinkBytes: UnsafeRawBufferPointer(start: data, count: 4))
        case AF_INET6:
            guard length == 16, let data else { return length == 0 ? .v6(0) : nil }
            return IPAddress(netlinkBytes: UnsafeRawBufferPointer(start: data, count: 16))
        default:
            return nil
        }
    }

    /// The IP prefix in a borrowed `nl_addr`.
    static func cidr(of borrowed: OpaquePointer?) -> CIDR? {
        guard let borrowed, let address = ipAddress(of: borrowed) else { return nil }
        return CIDR(address: address, prefixLength: Int(nl_addr_get_prefixlen(borrowed)))
    }

    /// The Ethernet address in a borrowed `nl_addr`; nil unless 6 bytes.
    static func macAddress(of borrowed: OpaquePointer?) -> MACAddress? {
        guard let borrowed, nl_addr_get_len(borrowed) == 6,
              let data = nl_addr_get_binary_addr(borrowed) else { return nil }
        return MACAddress(bytes: UnsafeRawBufferPointer(start: data, count: 6))
    }
}

extension IPFamily {
    /// AF_INET or AF_INET6.
    var addressFamily: Int32 { self == .v4 ? AF_INET : AF_INET6 }

    init?(addressFamily: Int32) {
        switch addressFamily {
        case AF_INET: self = .v4
        case AF_INET6: self = .v6
        default: return nil
        }
    }
}

extension IPAddress {
    /// Network byte order, 4 or 16 bytes.
    var netlinkBytes: [UInt8] {
        switch self {
        case .v4(let value):
            return (0..<4).map { UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * $0)) }
        case .v6(let value):
            return (0..<16).map { UInt8(truncatingIfNeeded: value >> UInt128(120 - 8 * $0)) }
        }
    }

    /// From 4 or 16 bytes in network byte order.
    init?(netlinkBytes bytes: UnsafeRawBufferPointer) {
        switch bytes.count {
        case 4:
            self = .v4(bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        case 16:
            self = .v6(bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) })
        default:
            return nil
        }
    }
}
