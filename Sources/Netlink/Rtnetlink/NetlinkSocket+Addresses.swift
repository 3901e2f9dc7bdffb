import CNISpec
import CNetlink
import Glibc

extension NetlinkSocket {
    /// Adds `cidr` (address and prefix length) to interface `interfaceIndex`,
    /// as Go's netlink `AddrAdd` does: an IPv4 prefix shorter than /31 gets
    /// its broadcast address. The kernel adds the prefix route.
    ///
    /// The same address already there is EEXIST: `.alreadyExisted` with
    /// `ifExists: .tolerate`, otherwise `.alreadyExists` thrown.
    @discardableResult
    public func addAddress(_ cidr: CIDR, interfaceIndex: InterfaceIndex, flags: AddressFlags = [],
                           ifExists: ExistingPolicy = .fail) throws(NetlinkError) -> AddOutcome {
        let address = try addressRequest(cidr, interfaceIndex: interfaceIndex)
        if cidr.family == .v4 && cidr.prefixLength < 31 {
            let broadcast = try NetlinkAddress(cidr.lastAddress)
            _ = withExtendedLifetime(broadcast) { rtnl_addr_set_broadcast(address.pointer, broadcast.pointer) }
        }
        if !flags.isEmpty { rtnl_addr_set_flags(address.pointer, flags.rawValue) }
        do {
            try perform("add address", "\(cidr) to ifindex \(interfaceIndex)") { socket in
                rtnl_addr_add(socket, address.pointer, NLM_F_EXCL)
            }
            return .added
        } catch where error.isAlreadyExists && ifExists == .tolerate {
            return .alreadyExisted
        }
    }

    /// Removes `cidr` from interface `interfaceIndex`. An address that is
    /// not there (EADDRNOTAVAIL) or a link that is gone (ENODEV) is
    /// `.alreadyGone` with `ifMissing: .tolerate`.
    @discardableResult
    public func deleteAddress(_ cidr: CIDR, interfaceIndex: InterfaceIndex,
                              ifMissing: MissingPolicy = .fail) throws(NetlinkError) -> DeleteOutcome {
        let address = try addressRequest(cidr, interfaceIndex: interfaceIndex)
        do {
            try perform("delete address", "\(cidr) from ifindex \(interfaceIndex)") { socket in
                rtnl_addr_delete(socket, address.pointer, 0)
            }
            return .deleted
        } catch where ifMissing == .tolerate
            && (error.kind == .addressNotAvailable || error.isNoSuchDevice) {
            return .alreadyGone
        }
    }

    /// Addresses in the socket's namespace, optionally only those of one
    /// interface and/or one family, in the kernel's order (one dump).
    public func addresses(interfaceIndex: InterfaceIndex? = nil, family: IPFamily? = nil) throws(NetlinkError) -> [AddressInfo] {
        var raw: OpaquePointer? = nil
        try perform("list", "addresses") { rtnl_addr_alloc_cache($0, &raw) }
        guard let raw else { return [] }
        let cache = NetlinkCache(owning: raw)
        var result: [AddressInfo] = []
        cache.forEach { object in
            guard let info = AddressInfo(address: object) else { return }
            if let interfaceIndex, info.interfaceIndex != interfaceIndex { return }
            if let family, info.family != family { return }
            result.append(info)
        }
        return result
    }

    /// The IPv6 address `address` of interface `interfaceIndex` as the
    /// kernel holds it (prefix length, scope, flags), or nil when that
    /// interface does not have it. One request, whatever the number of
    /// addresses in the namespace (which a dump would read in full); the
    /// kernel answers single-address requests for IPv6 only.
    public func ipv6Address(_ address: IPAddress, interfaceIndex: InterfaceIndex) throws(NetlinkError) -> AddressInfo? {
        precondition(address.family == .v6, "single-address lookups are IPv6 only")
        var found: OpaquePointer? = nil
        do {
            try perform("get address", "\(address) of ifindex \(interfaceIndex)") { socket in
                address.netlinkBytes.withUnsafeBytes { bytes in
                    cnl_addr6_get(socket, interfaceIndex.rawValue, bytes.baseAddress, &found)
                }
            }
        } catch where error.kind == .addressNotAvailable {
            return nil
        }
        guard let found else { return nil }
        let object = AddressObject(owning: found)
        guard let info = AddressInfo(address: object.pointer), info.interfaceIndex == interfaceIndex else { return nil }
        return info
    }

    private func addressRequest(_ cidr: CIDR, interfaceIndex: InterfaceIndex) throws(NetlinkError) -> AddressObject {
        let address = try AddressObject()
        let local = try NetlinkAddress(cidr)
        rtnl_addr_set_ifindex(address.pointer, interfaceIndex.rawValue)
        rtnl_addr_set_family(address.pointer, cidr.family.addressFamily)
        let rc = withExtendedLifetime(local) { rtnl_addr_set_local(address.pointer, local.pointer) }
        if rc < 0 {
            throw NetlinkError(operation: "build address", object: cidr.description, code: rc)
        }
        rtnl_addr_set_prefixlen(address.pointer, Int32(cidr.prefixLength))
        return address
    }
}
