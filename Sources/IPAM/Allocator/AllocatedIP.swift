import CNISpec

/// One address handed out by `Allocator.allocate`: what becomes an entry of
/// the result's `ips`.
public struct AllocatedIP: Hashable, Sendable {
    /// The address with its range's subnet prefix length (`10.1.2.3/24`).
    public let address: CIDR
    /// The range's gateway.
    public let gateway: IPAddress?
    /// Which range set it came from (its position in the configuration).
    public let rangeSetIndex: Int

    public init(address: CIDR, gateway: IPAddress?, rangeSetIndex: Int) {
        self.address = address
        self.gateway = gateway
        self.rangeSetIndex = rangeSetIndex
    }
}
