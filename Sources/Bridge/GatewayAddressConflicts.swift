import CNISpec

/// Which addresses already on the bridge stand in the way of a gateway
/// address: the reference's rule (`ensureAddr`), applied to what the kernel
/// lists for the bridge, whatever the scope.
///
/// - IPv4: every other IPv4 address conflicts, the same IP with another
///   prefix length included. A bridge serves one IPv4 subnet.
/// - IPv6: only an address whose prefix overlaps the gateway's (the same IP
///   with another prefix length included). Addresses of disjoint prefixes
///   coexist, link-local ones among them.
///
/// Unlike the reference, the other gateway addresses of the same ADD never
/// conflict: with two IPv4 ranges the reference fails, or with
/// `forceAddress` keeps only the last gateway and leaves the first range
/// without its gateway.
enum GatewayAddressConflicts {
    /// The addresses of `present` that conflict with `gateway`, in
    /// `present`'s order (`gateway` itself is not one of them).
    static func conflicts(with gateway: CIDR, present: [CIDR], gateways: [CIDR]) -> [CIDR] {
        present.filter { existing in
            guard existing.family == gateway.family, existing != gateway,
                  !gateways.contains(existing) else { return false }
            return gateway.family == .v4 || existing.overlaps(gateway)
        }
    }
}
