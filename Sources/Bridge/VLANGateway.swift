import SystemSupport
import CNISpec
import Netlink

/// Where the gateway address lives when `vlan` and `isGateway` are set: not
/// on the bridge (which belongs to no VLAN of its own), but on a veth pair
/// in the node's namespace, as in the reference. The end called
/// `<bridge>.<vlan>` holds the address and is reported as the result's
/// fourth interface; its peer (`veth` + 8 hex digits) is a bridge port whose
/// access VLAN is `vlan`, so the gateway is a member of that VLAN only.
///
/// Node-wide like the bridge: made by the first ADD that needs it, shared by
/// every pod of that VLAN, never deleted by DEL. It is made whole or not at
/// all: if its own set-up fails midway the pair is deleted again, so no
/// later ADD reuses a gateway that is in no VLAN.
struct VLANGateway {
    let host: NetlinkSocket
    let bridge: LinkInfo
    let vlan: VLANID
    let preserveDefaultVLAN: Bool

    var name: String { "\(bridge.name).\(vlan)" }

    /// The `<bridge>.<vlan>` end, created and set up if missing.
    func ensure() throws(CNIError) -> LinkInfo {
        let kernelName: InterfaceName
        do {
            kernelName = try InterfaceName(kernelName: name, operation: "get link")
            if let existing = try host.linkIfPresent(named: kernelName) { return existing }
        } catch {
            throw CNIError(.internal, "failed to create vlan interface: failed to find interface \(GoQuote.quoted(name)): \(error.reason)")
        }
        var lastError: NetlinkError? = nil
        for _ in 0..<10 {
            let port = VethName.random()
            do {
                try host.createVethPair(name: port, peerName: kernelName, peerNamespace: nil,
                                        mtu: bridge.mtu, up: true, masterIndex: bridge.index)
            } catch where error.isAlreadyExists {
                // A concurrent ADD made the gateway first, or the random
                // port name is taken.
                if let existing = try? host.linkIfPresent(named: kernelName) { return existing }
                lastError = error
                continue
            } catch {
                throw CNIError(.internal, "failed to create vlan interface: failed to create vlan gateway \(GoQuote.quoted(name)): \(error.reason)")
            }
            do throws(CNIError) {
                return try setUp(port: port, gateway: kernelName)
            } catch {
                ignoreFailure { () throws(NetlinkError) in _ = try host.deleteLink(named: kernelName, ifMissing: .tolerate) }
                throw error.prefixed("failed to create vlan interface")
            }
        }
        throw CNIError(.internal, "failed to create vlan interface: failed to create vlan gateway \(GoQuote.quoted(name)): \(lastError!.reason)")
    }

    /// Puts the bridge port into `vlan` and brings the address end up.
    private func setUp(port: InterfaceName, gateway gatewayName: InterfaceName) throws(CNIError) -> LinkInfo {
        let portLink: LinkInfo
        do {
            portLink = try host.link(named: port)
        } catch {
            throw CNIError(.internal, "failed to lookup \(GoQuote.quoted(port.text)): \(error.reason)")
        }
        try PortVLANs(access: vlan, preserveExisting: preserveDefaultVLAN)
            .apply(toPort: portLink.index, named: port.text, host: host)
        do {
            let gateway = try host.link(named: gatewayName)
            try host.setUp(index: gateway.index)
            return try host.link(index: gateway.index)
        } catch {
            throw CNIError(.internal, "failed to up \(GoQuote.quoted(name)): \(error.reason)")
        }
    }
}

extension LinkInfo {
    /// Puts the gateway addresses on this VLAN gateway interface, with the
    /// bridge's rules (`forceAddress`, conflicts) and the reference's
    /// wording for this interface.
    func addGatewayAddresses(_ gateways: [CIDR], host: NetlinkSocket, config: BridgeConfig) throws(CNIError) {
        var gatewayConfig = config
        gatewayConfig.bridgeName = name
        do {
            // A veth's MAC does not follow ports as a bridge's does: nothing to pin.
            try NodeBridge(host: host, config: gatewayConfig)
                .ensureGatewayAddresses(gateways, bridge: NodeBridge.State(link: self, macPinnedHere: true))
        } catch {
            let bridgePrefix = "failed to set bridge addr: "
            let message = error.message.hasPrefix(bridgePrefix)
                ? String(error.message.dropFirst(bridgePrefix.count)) : error.message
            throw CNIError(error.code, "failed to set vlan interface for bridge with addr: " + message,
                           details: error.details)
        }
    }
}
