import CNISpec
import Firewall
import Netlink

/// ADD: wire one pod to the node's bridge.
///
/// Everything that can be checked is checked before the first side effect
/// (config, `CNI_NETNS`, the interface name being free in the pod). From then
/// on, every resource is registered with the rollback right after it is
/// created, so a failed ADD removes the veth, the firewall rules and the IPAM
/// reservation it made. The bridge and its gateway address are node-wide and
/// shared with other pods: like the reference, they stay.
struct AddCommand {
    let request: CNIRequest
    let config: BridgeConfig
    /// The call's one nf_tables session, for every firewall step (see
    /// `NFTSession`).
    let nftables: NFTSession

    func run() throws -> CNIResult {
        // 1. Validate what only ADD refuses, and the pod's namespace.
        try config.validateForAdd(version: request.version)
        if config.isGateway {
            try ForeignFamilyGateway.refuse(inRangesOf: request.config, bridge: config.bridgeName)
        }
        let ifname = try request.interfaceName
        let namespace = try PodNamespace.open(request)
        let host: NetlinkSocket
        let pod: NetlinkSocket
        do {
            host = try NetlinkSocket()
            pod = try NetlinkSocket(in: namespace)
        } catch {
            throw CNIError.failed("failed to open netlink sockets", error)
        }
        // 1b. Refuse what the reference refuses, with nothing changed yet,
        //     in its order (REFERENCE.md §2.2): the order of these calls is
        //     the order of the errors. Each check's doc comment says why it
        //     stands where it does; the IPAM plugin is only found here.
        try NodeBridge(host: host, config: config).refuseNonBridge()
        try config.validateMTU()
        try config.validateRequestedMAC()
        try refuseTakenInterfaceName(ifname, in: pod)
        let ipam = config.isLayer3 ? try DelegatedPlugin.ipam(for: request) : nil
        let vlanBridge = config.usesVLANs ? try NodeBridge(host: host, config: config).ensureFilteringVLANs() : nil

        return try Rollback.run { rollback in
            // 2. IPAM starts first and allocates while this process sets up
            //    the bridge and the veth (two cores, half the wait). Its
            //    reservation is released again if anything below fails —
            //    after the veth is gone, since rollback runs newest first.
            let pendingIPAM = try ipam?.start(.add, for: request)
            if let ipam, let pendingIPAM {
                rollback.register("IPAM reservation") {
                    // Only a reservation this ADD made is released: when
                    // IPAM's own ADD failed (a duplicate, say), a DEL would
                    // release what an earlier ADD of this attachment holds.
                    guard (try? pendingIPAM.finish()) != nil else { return }
                    ignoreFailure { () throws(CNIError) in _ = try ipam.execute(.del, for: request) }
                }
            }

            // 3. The node's bridge.
            let nodeBridge = NodeBridge(host: host, config: config)
            let bridgeState = try vlanBridge ?? nodeBridge.ensure()
            let bridge = bridgeState.link

            // 4. The veth pair: the pod end is born in the pod's namespace
            //    with its final name; the host end is born up and enslaved.
            let hostVethName = try createVeth(host: host, pod: pod, namespace: namespace, bridge: bridge)
            rollback.register("veth \(hostVethName)") {
                ignoreFailure { () throws(NetlinkError) in
                    _ = try host.deleteLink(named: hostVethName, ifMissing: .tolerate)
                }
            }
            let hostVeth: LinkInfo
            let containerLink: LinkInfo
            do {
                hostVeth = try host.link(named: hostVethName)
                containerLink = try pod.link(named: ifname)
                if config.hairpinMode || config.portIsolation {
                    try host.setBridgePort(index: hostVeth.index, hairpin: config.hairpinMode,
                                           isolated: config.portIsolation)
                }
            } catch {
                throw CNIError.failed("failed to connect \"\(hostVethName)\" to bridge \(config.bridgeName)", causeOf: error)
            }
            ignoreFailure { () throws(SysctlError) in
                try Sysctl.write(.interface(.v6, hostVethName.text, "accept_ra"), "0")
            }
            // 4b. The port's VLANs (they go with the veth on rollback).
            if let vlans = PortVLANs(config) {
                try vlans.apply(toPort: hostVeth.index, named: hostVethName.text, host: host)
            }

            // 5. Join IPAM: the addresses it allocated meanwhile.
            var result = CNIResult()
            if let pendingIPAM {
                result = try CNIResult(bytes: try pendingIPAM.finish(), defaultVersion: request.version)
                guard !result.ips.isEmpty else {
                    throw CNIError(.internal, "IPAM plugin returned missing IP config")
                }
                if config.isGateway {
                    try ForeignFamilyGateway.refuse(in: result.ips, bridge: config.bridgeName)
                }
            }

            // 6. MAC spoof protection for the pod's MAC. It and masquerading
            //    speak nf_tables on the call's one session.
            if config.macSpoofCheck, let mac = containerLink.mac {
                do {
                    try MACSpoofCheck(session: nftables).setUp(network: request.networkName, hostInterface: hostVethName.text,
                                              attachment: request.attachment,
                                              mac: mac)
                } catch {
                    throw CNIError.failed("failed to set up MAC spoof check", error)
                }
                rollback.register("MAC spoof check") {
                    ignoreFailure { () throws(FirewallError) in
                        try MACSpoofCheck(session: nftables).tearDown(attachment: request.attachment)
                    }
                }
            }

            // 7. Layer 3: addresses, routes, the gateway on the bridge,
            //    forwarding and masquerading.
            let container = ContainerInterface(pod: pod, namespace: namespace, name: request.ifname,
                                               index: containerLink.index)
            var vlanGateway: LinkInfo? = nil
            if config.isLayer3 {
                let gateways = Gateways(completing: &result, config: config, containerInterfaceIndex: 2)
                let addresses = result.ips.map(\.address)
                // Masquerading starts now and is finished below, so that a
                // backend's helper processes (iptables) run while the pod
                // is configured. Its rollback is registered first and waits
                // for them: the iptables backend applies one family at a
                // time, and nothing may land after the teardown.
                var pendingMasquerade: PendingMasqueradeSetUp? = nil
                if config.ipMasq {
                    let backend = MasqueradeBackendKind.resolve(config.ipMasqBackend, environment: request.environment)
                        .makeBackend(environment: request.environment, session: nftables)
                    rollback.register("IP masquerade") {
                        ignoreFailure { () throws(FirewallError) in
                            let tearDown = { () throws(FirewallError) in
                                try backend.tearDown(network: request.networkName, attachment: request.attachment)
                            }
                            if let pendingMasquerade {
                                try pendingMasquerade.takeBack(orTearDown: tearDown)
                            } else {
                                try tearDown()
                            }
                        }
                    }
                    pendingMasquerade = backend.beginSetUp(
                        network: request.networkName, attachment: request.attachment,
                        addresses: addresses, nonMasqueradeCIDRs: config.nonMasqueradeCIDRs)
                }
                let hasIPv6 = addresses.contains { $0.family == .v6 }
                try container.applySysctls(enableDAD: config.enableDAD, hasIPv6: hasIPv6)
                try container.addAddressesAndUp(addresses)
                var firstGateway: [IPFamily: IPAddress] = [:]
                for ip in result.ips {
                    if let gateway = ip.gateway, firstGateway[gateway.family] == nil {
                        firstGateway[gateway.family] = gateway
                    }
                }
                if config.enableDAD && firstGateway[.v6] != nil {
                    try container.settleIPv6Addresses()
                }
                try container.addRoutes(result.routes, gateways: firstGateway)
                if config.isGateway, let vlan = VLANID(config.vlan), !gateways.bridgeAddresses.isEmpty {
                    // With `vlan`, the gateway is a member of that VLAN.
                    let gateway = try VLANGateway(host: host, bridge: bridge, vlan: vlan,
                                                  preserveDefaultVLAN: config.preserveDefaultVlan).ensure()
                    try gateway.addGatewayAddresses(gateways.bridgeAddresses, host: host, config: config)
                    vlanGateway = gateway
                    try nodeBridge.enableForwarding(for: Set(gateways.bridgeAddresses.map(\.family)))
                } else if config.isGateway {
                    try nodeBridge.ensureGatewayAddresses(gateways.bridgeAddresses, bridge: bridgeState)
                    try nodeBridge.enableForwarding(for: Set(gateways.bridgeAddresses.map(\.family)))
                }
                if let pendingMasquerade {
                    do {
                        try pendingMasquerade.finish()
                    } catch {
                        throw CNIError.failed("failed to set up IP masquerade", error)
                    }
                }
            } else if !config.disableContainerInterface {
                try container.setUp()
            }

            // 8. The port must be forwarding before the pod starts.
            if !config.disableContainerInterface {
                let state: LinkInfo
                do {
                    state = try host.waitForOperState(index: hostVeth.index, .up, timeoutMilliseconds: 2550)
                } catch {
                    throw CNIError.failed("failed to retrieve link", error)
                }
                guard state.operState == .up else {
                    throw CNIError(.internal, "bridge port in error state: \(state.operState)")
                }
            }

            // 9. The result, interfaces in the reference's order. The bridge
            //    is read again: an unpinned bridge MAC follows its ports.
            do {
                let bridgeNow = try host.link(index: bridge.index)
                result.interfaces = [
                    CNIResult.Interface(name: bridgeNow.name, mac: bridgeNow.mac?.description),
                    CNIResult.Interface(name: hostVeth.name, mac: hostVeth.mac?.description),
                    CNIResult.Interface(name: containerLink.name, mac: containerLink.mac?.description,
                                        sandbox: request.netns),
                ]
                if let vlanGateway {
                    result.interfaces.append(CNIResult.Interface(name: vlanGateway.name,
                                                                 mac: vlanGateway.mac?.description))
                }
            } catch {
                throw CNIError.failed("failed to retrieve link", error)
            }
            if !request.config.dns.isEmpty { result.dns = request.config.dns }
            return result
        }
    }

    /// Fails when the pod already has an interface named `ifname`, in the
    /// words of the reference 1.1.1 (which finds it as it makes the veth,
    /// after the bridge and the MAC and before IPAM). `createVeth` reports
    /// one that appears meanwhile in 1.6's words.
    private func refuseTakenInterfaceName(_ ifname: InterfaceName, in pod: NetlinkSocket) throws(CNIError) {
        if Self.pod(pod, hasInterfaceNamed: ifname) {
            throw CNIError(.internal, "container veth name provided (\(request.ifname)) already exists")
        }
    }

    /// Whether the pod has a link named `ifname`; a failed lookup counts as no.
    private static func pod(_ pod: NetlinkSocket, hasInterfaceNamed ifname: InterfaceName) -> Bool {
        (try? pod.linkIfPresent(named: ifname)) ?? nil != nil
    }

    /// Creates the pair with a fresh random host name, retrying on a name
    /// collision (at most 10 times). Returns the host end's name.
    private func createVeth(host: NetlinkSocket, pod: NetlinkSocket, namespace: NetworkNamespace,
                            bridge: LinkInfo) throws(CNIError) -> InterfaceName {
        let ifname = try request.interfaceName
        let mac = config.containerMAC
        var lastError: NetlinkError? = nil
        for _ in 0..<10 {
            let name = VethName.random()
            do {
                try host.createVethPair(name: name, peerName: ifname, peerNamespace: namespace,
                                        mtu: config.mtu > 0 ? config.mtu : nil, peerMAC: mac,
                                        up: true, masterIndex: bridge.index)
                return name
            } catch where error.isAlreadyExists {
                lastError = error
                if Self.pod(pod, hasInterfaceNamed: ifname) {
                    throw CNIError(.internal,
                                   "container veth name (\"\(request.ifname)\") peer provided (\"\(name)\") already exists")
                }
            } catch {
                throw CNIError.failed("failed to make veth pair", causeOf: error)
            }
        }
        throw CNIError.failed("failed to make veth pair", causeOf: lastError!)
    }
}
