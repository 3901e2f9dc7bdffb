import CNISpec
import LinuxNetworking

/// The node's bridge (`cni0`): created on first use, shared by every pod,
/// never deleted (as in the reference: removing it on the last DEL would race
/// with concurrent ADDs).
///
/// Concurrency: every step tolerates another ADD doing the same thing at the
/// same moment — creating the bridge, adding the gateway address — so
/// parallel ADDs on a new node never fail with "file exists".
struct NodeBridge {
    let host: NetlinkSocket
    let config: BridgeConfig

    /// Creates the bridge if missing, checks it is one, applies `promiscMode`
    /// and brings it up. Returns its current state.
    func ensure() throws(CNIError) -> LinkInfo {
        let name = config.bridgeName
        var bridge: LinkInfo
        do {
            if let existing = try host.linkIfPresent(named: name) {
                bridge = existing
            } else {
                bridge = try createPinnedBridge()
                // A new bridge must not accept router advertisements.
                ignoreFailure { () throws(SysctlError) in
                    _ = try Sysctl.ensure(.interface(.v6, name, "accept_ra"), "0")
                }
            }
        } catch where error.kind == .notSupported && config.usesVLANs {
            throw Self.kernelLacksVLANFiltering(name, error)
        } catch {
            throw CNIError.failed("failed to create bridge \"\(name)\"", error)
        }
        guard bridge.isBridge else {
            throw CNIError(.internal, "failed to create bridge \"\(name)\": \"\(name)\" already exists but is not a bridge")
        }
        do {
            if config.promiscMode && !bridge.isPromiscuous {
                try host.setPromiscuous(index: bridge.index, true)
            }
            if !bridge.isUp {
                try host.setUp(index: bridge.index)
            }
        } catch {
            throw CNIError.failed("failed to set up bridge \"\(name)\"", error)
        }
        return bridge
    }

    /// Creates the bridge with its MAC pinned from birth (a random, locally
    /// administered one, as the kernel would pick), so no pod ever sees it
    /// change: an unpinned bridge takes its lowest port's MAC, which shifts as
    /// pods come and go, and results already handed out (and the CHECKs that
    /// compare against them) would go stale. If a concurrent ADD created it
    /// first, that bridge is used.
    private func createPinnedBridge() throws(NetlinkError) -> LinkInfo {
        if config.usesVLANs {
            try host.createVLANFilteringBridge(name: config.bridgeName, mtu: config.mtu > 0 ? config.mtu : nil,
                                               mac: .randomLocallyAdministered(), up: true, ifExists: .tolerate)
            return try host.link(named: config.bridgeName)
        }
        try host.createBridge(name: config.bridgeName, mtu: config.mtu > 0 ? config.mtu : nil,
                              mac: .randomLocallyAdministered(), up: true, ifExists: .tolerate)
        return try host.link(named: config.bridgeName)
    }

    /// Puts each gateway address on the bridge (`isGateway`), then pins the
    /// bridge's MAC so it no longer follows its lowest port (once, when the
    /// first address goes on).
    ///
    /// `bridge` must be the state read before this ADD's veth joined: the
    /// MAC pinned is the one the bridge had then (a new bridge's own random
    /// MAC), as in the reference, not the new port's MAC it has since taken.
    ///
    /// An address already there is left alone. A conflicting one (for IPv4
    /// any other global address; for IPv6 one whose subnet overlaps) is
    /// replaced with `forceAddress`, and is an error otherwise.
    func ensureGatewayAddresses(_ gateways: [CIDR], bridge: LinkInfo) throws(CNIError) {
        guard !gateways.isEmpty else { return }
        let name = config.bridgeName
        do {
            // 1. The common case costs one request per gateway: the address
            //    is already there (EEXIST means exactly this address).
            var added: [CIDR] = []
            for gateway in gateways {
                let outcome: AddOutcome
                do {
                    outcome = try host.addAddress(gateway, interfaceIndex: bridge.index, ifExists: .tolerate)
                } catch {
                    throw CNIError.failed("failed to set bridge addr: could not add IP address \(gateway) to \"\(name)\"", error)
                }
                if outcome == .added { added.append(gateway) }
            }
            guard !added.isEmpty else { return }

            // 2. A new address must not sit next to a conflicting one.
            let present = try host.addresses(interfaceIndex: bridge.index).filter { $0.scope == .universe }
            for gateway in added {
                let conflicting = present.filter { existing in
                    guard existing.family == gateway.family, existing.cidr != gateway,
                          !gateways.contains(existing.cidr) else { return false }
                    return gateway.family == .v4 || existing.cidr.overlaps(gateway)
                }
                guard !conflicting.isEmpty else { continue }
                guard config.forceAddress else {
                    for address in added {
                        _ = try? host.deleteAddress(address, interfaceIndex: bridge.index, ifMissing: .tolerate)
                    }
                    throw CNIError(.internal,
                                   "failed to set bridge addr: \"\(name)\" already has an IP address different from \(gateway)")
                }
                for address in conflicting {
                    try host.deleteAddress(address.cidr, interfaceIndex: bridge.index, ifMissing: .tolerate)
                }
            }

            // 3. Pin the MAC the bridge had before this ADD's port joined.
            if let mac = bridge.mac {
                try host.setMAC(index: bridge.index, mac)
            }
        } catch let error as CNIError {
            throw error
        } catch {
            throw CNIError.failed("failed to set bridge addr", error)
        }
    }

    /// Turns on forwarding for each family that got a gateway, writing only
    /// when it is not on already.
    func enableForwarding(for families: Set<IPFamily>) throws(CNIError) {
        do {
            if families.contains(.v4) { _ = try Sysctl.ensure("net.ipv4.ip_forward", "1") }
            if families.contains(.v6) { _ = try Sysctl.ensure("net.ipv6.conf.all.forwarding", "1") }
        } catch {
            throw CNIError.failed("failed to enable forwarding", error)
        }
    }
}

/// Runs `body` and reports a failure on stderr instead of throwing: for
/// best-effort steps the reference also ignores.
func ignoreFailure<E: Error>(_ body: () throws(E) -> Void) {
    do {
        try body()
    } catch {
        logWarning("\(error)")
    }
}
