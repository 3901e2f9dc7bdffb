import CNISpec
import Firewall
import Netlink

/// CHECK: verify that what ADD made (as described by `prevResult`) is still
/// in place — IPAM's reservation, the bridge, the pod's veth and its peer on
/// the bridge, addresses, routes, MTU, and the firewall rules.
struct CheckCommand {
    let request: CNIRequest
    let config: BridgeConfig
    /// The call's one nf_tables session, for every firewall step (see
    /// `NFTSession`).
    let nftables: NFTSession

    func run() throws {
        let namespace = try PodNamespace.open(request)

        // 1. IPAM's own check (skipped in L2 mode, where the reference fails).
        if config.isLayer3 {
            let ipam = try DelegatedPlugin.ipam(for: request)
            _ = try ipam.execute(.check, for: request)
        }
        // A bridge name no ADD could have used is reported after IPAM's
        // answer, which the reference gives first (it never checks the name).
        try config.validateBridgeName()

        // 2. What ADD reported.
        guard let previous = request.config.prevResult else {
            throw CNIError(.invalidNetworkConfig, "Required prevResult missing")
        }
        let result = try CNIResult(previousResult: previous, configVersion: request.version)
        // The entries the reference looks at: the last one named after the
        // bridge, and the last one named after the pod's interface in this
        // very sandbox.
        let bridgeEntry = result.interfaces.last { $0.name == config.bridgeName }
        let containerPosition = result.interfaces.lastIndex {
            $0.name != config.bridgeName && $0.name == request.ifname && $0.sandbox == request.netns
        }

        do {
            let host = try NetlinkSocket()
            let pod = try NetlinkSocket(in: namespace)

            // 3. The bridge, checked first, as in the reference.
            guard let bridgeEntry else {
                throw CNIError(.internal, "Interface name missing ")
            }
            guard let bridge = try host.linkIfPresent(named: config.bridgeInterfaceName) else {
                throw CNIError(.internal, "Interface name \(config.bridgeName) not found")
            }
            guard (bridgeEntry.sandbox ?? "").isEmpty else {
                throw CNIError(.internal, "Interface \(config.bridgeName) should not be in sandbox")
            }
            guard bridge.isBridge else {
                throw CNIError(.internal, "Interface \(config.bridgeName) does not have link type of bridge")
            }
            if let mac = bridgeEntry.mac, !mac.isEmpty, let actual = bridge.mac?.description, mac.lowercased() != actual {
                throw CNIError(.internal, "Bridge interface \(config.bridgeName) Mac doesn't match: \(mac)")
            }
            if bridge.isPromiscuous != config.promiscMode {
                throw CNIError(.internal,
                               "Bridge interface \(config.bridgeName) configured Promisc Mode \(config.promiscMode) doesn't match current state: \(bridge.isPromiscuous) ")
            }

            // 4. The pod's interface: an entry in this sandbox (the
            //    reference names none it found elsewhere), then the link.
            guard let containerPosition else {
                throw CNIError(.internal, "Sandbox in prevResult  doesn't match configured netns: \(request.netns)")
            }
            let containerEntry = result.interfaces[containerPosition]
            guard let container = try pod.linkIfPresent(named: request.interfaceName) else {
                throw CNIError(.internal, "Interface name \(request.ifname) not found")
            }
            guard container.isVeth else {
                throw CNIError(.internal, "Error: Container interface \(request.ifname) not of type veth")
            }
            if let mac = containerEntry.mac, !mac.isEmpty, let actual = container.mac?.description, mac.lowercased() != actual {
                throw CNIError(.internal, "Interface \(request.ifname) Mac \(mac) doesn't match container Mac: \(actual)")
            }
            if config.mtu > 0 && container.mtu != config.mtu {
                throw CNIError(.internal, "Interface \(request.ifname) MTU \(container.mtu) doesn't match configured MTU \(config.mtu)")
            }

            // 5. Its peer, plugged into the bridge.
            let peer = try container.peerIndex.flatMap { index throws(NetlinkError) in try host.linkIfPresent(index: index) }
            guard let peer, peer.isVeth, peer.masterIndex == bridge.index else {
                throw CNIError(.internal, "CNI veth created for bridge \(config.bridgeName) was not found")
            }

            // 5b. Its VLANs (the reference does not check them).
            if let vlans = PortVLANs(config) {
                guard try host.bridgeVLANFiltering(index: bridge.index) == .on else {
                    throw CNIError(.internal, "Bridge interface \(config.bridgeName) does not filter VLANs")
                }
                try vlans.verify(port: peer.index, named: peer.name, host: host)
            }

            // 6. Addresses and routes.
            let present = try pod.addresses(interfaceIndex: container.index)
            for ip in result.ips where ip.interface == nil || ip.interface == containerPosition {
                guard present.contains(where: { $0.cidr == ip.address }) else {
                    throw CNIError(.internal, "Failed to match addr \(ip.address) on interface \(request.ifname)")
                }
            }
            let routes = try pod.routes(table: nil)
            for route in result.routes {
                let found = routes.contains { installed in
                    installed.destination == route.destination.network
                        && (route.gateway == nil || installed.gateway == route.gateway)
                }
                guard found else {
                    let via = route.gateway.map { " via \($0)" } ?? ""
                    throw CNIError(.internal, "Expected Route \(route.destination)\(via) not found in routing table")
                }
            }

            // 7. Firewall rules.
            if config.isLayer3 && config.ipMasq {
                let backend = MasqueradeBackendKind.resolve(config.ipMasqBackend, environment: request.environment)
                    .makeBackend(environment: request.environment, session: nftables)
                try backend.check(network: request.networkName, attachment: request.attachment,
                                  addresses: result.ips.map(\.address),
                                  nonMasqueradeCIDRs: config.nonMasqueradeCIDRs)
            }
            if config.macSpoofCheck, let mac = container.mac {
                try MACSpoofCheck(session: nftables).check(hostInterface: peer.name, attachment: request.attachment, mac: mac)
            }
        } catch let error as CNIError {
            throw error
        } catch {
            throw CNIError(.internal, "\(error)")
        }
    }
}
