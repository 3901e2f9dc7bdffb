import TestKit

extension JSON {
    /// A result as both implementations should agree on it: an empty `dns`
    /// is the same as none (the reference v1.1.1 always prints `"dns": {}`;
    /// 1.0.0+ results may leave it out, as the reference v1.6+ does).
    var normalizedResult: JSON {
        if let dns = self["dns"], dns.object?.isEmpty == true { return removing("dns") }
        return self
    }

    /// Every address of a result, in order, whatever its version's shape:
    /// `ips[].address`, or `ip4.ip` then `ip6.ip`.
    var addresses: [String] {
        if let ips = self["ips"]?.array { return ips.compactMap { $0["address"]?.string } }
        return ["ip4", "ip6"].compactMap { self[$0]?["ip"]?.string }
    }
}
