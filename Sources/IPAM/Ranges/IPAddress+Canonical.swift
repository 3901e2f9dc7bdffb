import CNISpec

extension IPAddress {
    /// The address in the reference's canonical family: an IPv4-mapped IPv6
    /// address (`::ffff:a.b.c.d`) is the IPv4 address `a.b.c.d`, as Go's
    /// `net.IP.To4()` makes it; every other address is itself.
    var unmapped: IPAddress {
        if case .v6(let value) = self, value >> 32 == 0xffff {
            return .v4(UInt32(truncatingIfNeeded: value))
        }
        return self
    }

    /// Whether this is an IPv4-mapped IPv6 address.
    var isIPv4Mapped: Bool {
        if case .v6(let value) = self { return value >> 32 == 0xffff }
        return false
    }
}
