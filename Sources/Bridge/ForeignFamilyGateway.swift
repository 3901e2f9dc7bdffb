import CNISpec

/// A range whose gateway is of the other family than its subnet
/// (`"gateway": "192.0.2.1"` in `fd00:1::/120`). host-local hands such a
/// gateway out as it is (the reference's does too), but with `isGateway` it
/// cannot go on the bridge: the kernel refuses an IPv4 address with an IPv6
/// prefix length, and the other way round makes a nonsense IPv6 address with
/// an IPv4 prefix length. So ADD refuses it, code 7, naming the gateway and
/// the subnet.
///
/// Checked twice: before any side effect, in host-local's keys of the
/// config (`runtimeConfig.ipRanges`, the legacy `subnet` and `gateway`,
/// `ranges`), and in whatever IPAM plugin's result (then the failed ADD is
/// rolled back). The reference fails only after IPAM, for an IPv6 range
/// ("could not add IP address to \"cni0\": invalid argument", or "not the
/// same IP family" for the default route), and accepts an IPv4 range with
/// an IPv6 gateway.
enum ForeignFamilyGateway {
    /// Refuses a foreign-family gateway in host-local's range keys. Values
    /// that do not parse are left to host-local to report.
    static func refuse(inRangesOf config: NetworkConfig, bridge: String) throws(CNIError) {
        guard let ipam = config.ipam, config.ipamType == "host-local" else { return }
        func ranges(_ sets: JSONValue?) -> [JSONObject] {
            (sets?.arrayValue ?? []).flatMap { $0.arrayValue ?? [] }.compactMap(\.objectValue)
        }
        let all = ranges(config.runtimeConfig?["ipRanges"]) + [ipam] + ranges(ipam["ranges"])
        for range in all {
            guard let subnet = range["subnet"]?.stringValue.flatMap(CIDR.init),
                  let gateway = range["gateway"]?.stringValue.flatMap(IPAddress.init) else { continue }
            if let error = check(gateway: gateway, subnet: subnet, bridge: bridge) { throw error }
        }
    }

    /// Refuses a foreign-family gateway in an IPAM result.
    static func refuse(in ips: [CNIResult.IPConfig], bridge: String) throws(CNIError) {
        for ip in ips {
            guard let gateway = ip.gateway else { continue }
            if let error = check(gateway: gateway, subnet: ip.address.network, bridge: bridge) { throw error }
        }
    }

    private static func check(gateway: IPAddress, subnet: CIDR, bridge: String) -> CNIError? {
        guard gateway.family != subnet.family else { return nil }
        let family = subnet.family == .v4 ? "IPv4" : "IPv6"
        return CNIError(.invalidNetworkConfig,
                        "invalid gateway \(gateway) for subnet \(subnet): not an \(family) address, so isGateway cannot put it on bridge \"\(bridge)\"")
    }
}
