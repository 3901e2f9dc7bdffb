import CNISpec

/// What the bridge derives from IPAM's addresses before configuring anything
/// (the reference's `calcGateways`).
struct Gateways {
    /// Gateway addresses with the prefix length of the IP they serve, to put
    /// on the bridge when `isGateway` (one list per family, first seen first).
    var bridgeAddresses: [CIDR] = []

    /// Completes `result` in place: every IP belongs to the container
    /// interface (index 2); with `isGateway` an IP without a gateway gets the
    /// first address of its network; with `isDefaultGateway` a default route
    /// per family is added unless IPAM already gave one for that family.
    ///
    /// Unlike the reference, an IPAM default route *without* `gw` counts as
    /// present (its gateway is filled in when it is installed), so the
    /// combination no longer fails with "file exists".
    init(completing result: inout CNIResult, config: BridgeConfig, containerInterfaceIndex: Int) {
        var defaultRouteFamilies = Set(result.routes.filter(\.isDefault).map(\.destination.family))
        for index in result.ips.indices {
            result.ips[index].interface = containerInterfaceIndex
            let address = result.ips[index].address
            if result.ips[index].gateway == nil && config.isGateway {
                result.ips[index].gateway = address.networkAddress.successor
            }
            guard let gateway = result.ips[index].gateway else { continue }
            if config.isDefaultGateway && !defaultRouteFamilies.contains(address.family) {
                let everything = CIDR(address: address.family == .v4 ? .v4(0) : .v6(0), prefixLength: 0)!
                result.routes.append(CNIResult.Route(destination: everything, gateway: gateway))
                defaultRouteFamilies.insert(address.family)
            }
            if config.isGateway, let cidr = CIDR(address: gateway, prefixLength: address.prefixLength),
               !bridgeAddresses.contains(cidr) {
                bridgeAddresses.append(cidr)
            }
        }
    }
}
