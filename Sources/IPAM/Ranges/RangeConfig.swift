import CNISpec

/// One range as a configuration states it, before validation: the
/// reference's `Range` before `Canonicalize`. Absent fields take their
/// defaults when an `IPRange` is made from it.
public struct RangeConfig: Hashable, Sendable {
    public var subnet: CIDR
    public var rangeStart: IPAddress?
    public var rangeEnd: IPAddress?
    public var gateway: IPAddress?

    public init(subnet: CIDR, rangeStart: IPAddress? = nil, rangeEnd: IPAddress? = nil, gateway: IPAddress? = nil) {
        self.subnet = subnet
        self.rangeStart = rangeStart
        self.rangeEnd = rangeEnd
        self.gateway = gateway
    }

    /// Parses the texts of a configuration's range object. An empty address
    /// text counts as absent, as it does for Go's `net.IP`.
    ///
    /// - Throws: code 7, `invalid CIDR address: <subnet>` or
    ///   `invalid IP address: <text>` (Go's parse errors, word for word).
    public init(subnet: String, rangeStart: String? = nil, rangeEnd: String? = nil, gateway: String? = nil) throws(CNIError) {
        self.subnet = try RangeConfig.parseSubnet(subnet)
        self.rangeStart = try RangeConfig.parseOptionalAddress(rangeStart)
        self.rangeEnd = try RangeConfig.parseOptionalAddress(rangeEnd)
        self.gateway = try RangeConfig.parseOptionalAddress(gateway)
    }

    /// Parses `address/length` with the reference's error text.
    public static func parseSubnet(_ text: String) throws(CNIError) -> CIDR {
        guard let cidr = CIDR(text) else {
            throw CNIError(.invalidNetworkConfig, "invalid CIDR address: \(text)")
        }
        return cidr
    }

    /// Parses an address with the reference's error text.
    public static func parseAddress(_ text: String) throws(CNIError) -> IPAddress {
        guard let address = IPAddress(text) else {
            throw CNIError(.invalidNetworkConfig, "invalid IP address: \(text)")
        }
        return address
    }

    private static func parseOptionalAddress(_ text: String?) throws(CNIError) -> IPAddress? {
        guard let text, !text.isEmpty else { return nil }
        return try parseAddress(text)
    }
}
