import CNISpec

/// A validated allocation range: the addresses `rangeStart...rangeEnd` of
/// `subnet`, minus `gateway`, which is never handed out.
///
/// Invariants (established by the only initialiser): `subnet` is a network
/// address with at least two host bits; `rangeStart` and `rangeEnd` lie in
/// `subnet`, share its family and `rangeStart <= rangeEnd`. `gateway` has
/// the subnet's family or not; like the reference, it is not checked against
/// the subnet.
///
/// Defaults, as the reference's `Range.Canonicalize`: gateway and rangeStart
/// are network + 1 (so the first address handed out is normally network + 2,
/// because the gateway is skipped); rangeEnd is the broadcast address − 1 for
/// IPv4 and the last address of the prefix for IPv6. IPv4-mapped IPv6
/// addresses are taken as IPv4, as Go's `To4()` does.
public struct IPRange: Hashable, Sendable, CustomStringConvertible {
    public let subnet: CIDR
    public let rangeStart: IPAddress
    public let rangeEnd: IPAddress
    public let gateway: IPAddress

    /// Validates `config` and fills in the defaults.
    ///
    /// - Throws: code 7 with the reference's message: `Network X too small to
    ///   allocate from`, `IPNet IP and Mask version mismatch`, `Network has
    ///   host bits set. For a subnet mask of length N the network address is
    ///   X`, `RangeStart X not in network Y`, `RangeEnd X not in network Y`.
    ///   A start after the end is reported as `RangeStart ... not in network`,
    ///   as the reference does.
    public init(_ config: RangeConfig) throws(CNIError) {
        let subnet = config.subnet
        let width = subnet.family.bitWidth
        if subnet.address.isIPv4Mapped {
            // Go turns the address into IPv4 but keeps the 128-bit mask.
            if subnet.prefixLength > width - 2 {
                throw IPRange.invalid("Network \(subnet.address.unmapped)/\(subnet.prefixLength - 96) too small to allocate from")
            }
            throw IPRange.invalid("IPNet IP and Mask version mismatch")
        }
        if subnet.prefixLength > width - 2 {
            throw IPRange.invalid("Network \(subnet) too small to allocate from")
        }
        guard subnet.isNetworkAddress else {
            throw IPRange.invalid("Network has host bits set. For a subnet mask of length \(subnet.prefixLength) the network address is \(subnet.networkAddress)")
        }
        // A /30 or wider has a successor to its network address.
        let firstHost = subnet.networkAddress.successor!
        self.subnet = subnet
        self.gateway = config.gateway?.unmapped ?? firstHost

        let end = config.rangeEnd?.unmapped
        if let start = config.rangeStart?.unmapped {
            // The reference checks the start against the *configured* end.
            guard IPRange.lies(start, in: subnet, from: start, to: end) else {
                throw IPRange.invalid("RangeStart \(start) not in network \(subnet)")
            }
            self.rangeStart = start
        } else {
            self.rangeStart = firstHost
        }
        if let end {
            guard IPRange.lies(end, in: subnet, from: rangeStart, to: end) else {
                throw IPRange.invalid("RangeEnd \(end) not in network \(subnet)")
            }
            self.rangeEnd = end
        } else if subnet.family == .v4 {
            self.rangeEnd = subnet.lastAddress.predecessor!
        } else {
            self.rangeEnd = subnet.lastAddress
        }
    }

    /// Shorthand for `IPRange(RangeConfig(...))`.
    public init(subnet: CIDR, rangeStart: IPAddress? = nil, rangeEnd: IPAddress? = nil, gateway: IPAddress? = nil) throws(CNIError) {
        try self.init(RangeConfig(subnet: subnet, rangeStart: rangeStart, rangeEnd: rangeEnd, gateway: gateway))
    }

    public var family: IPFamily { subnet.family }

    /// Whether `address` is in `rangeStart...rangeEnd` (the gateway counts:
    /// this is the reference's `Range.Contains`).
    public func contains(_ address: IPAddress) -> Bool {
        let address = address.unmapped
        return address.family == family && rangeStart <= address && address <= rangeEnd
    }

    /// Whether the two ranges share an address (never across families).
    public func overlaps(_ other: IPRange) -> Bool {
        guard family == other.family else { return false }
        return contains(other.rangeStart) || contains(other.rangeEnd)
            || other.contains(rangeStart) || other.contains(rangeEnd)
    }

    /// `rangeStart-rangeEnd`, the form the reference's messages use.
    public var description: String { "\(rangeStart)-\(rangeEnd)" }

    /// How many addresses can be handed out: the range minus its gateway.
    var capacity: UInt128 {
        let size = rangeEnd.integer - rangeStart.integer
        // `size + 1` overflows only for ::/0-like ranges, which are too small
        // to matter minus one address.
        let total = size == .max ? size : size + 1
        return contains(gateway) ? total - 1 : total
    }

    /// The reference's `Range.Contains` while the range is being built: the
    /// bounds are optional and not validated yet, so a configured end of
    /// another family is still compared. 1.1.1's `ip.Cmp` compares the
    /// 16-byte forms (IPv4 as `::ffff:a.b.c.d`): an end of another family
    /// is above an IPv4 start when it is an IPv6 address above
    /// `::ffff:255.255.255.255`, below an IPv6 start such as `fd00::3`.
    private static func lies(_ address: IPAddress, in subnet: CIDR, from start: IPAddress?, to end: IPAddress?) -> Bool {
        guard address.family == subnet.family, subnet.contains(address) else { return false }
        if let start, sixteenByteForm(address) < sixteenByteForm(start) { return false }
        if let end, sixteenByteForm(address) > sixteenByteForm(end) { return false }
        return true
    }

    /// An address as Go holds a parsed `net.IP`: 16 bytes, IPv4 mapped.
    private static func sixteenByteForm(_ address: IPAddress) -> UInt128 {
        address.family == .v4 ? (UInt128(0xffff) << 32) | address.integer : address.integer
    }

    private static func invalid(_ message: String) -> CNIError {
        CNIError(.invalidNetworkConfig, message)
    }
}
