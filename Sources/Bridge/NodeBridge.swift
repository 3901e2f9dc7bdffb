import CNISpec
import Netlink

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

    /// The bridge as `ensure` found or made it, before this ADD's port
    /// joined.
    struct State {
        let link: LinkInfo
        /// This ADD gave the bridge the MAC it has (at birth, or because it
        /// had none): it is pinned already, and setting it again could undo
        /// the MAC a concurrent ADD gave it since.
        let macPinnedHere: Bool
    }

    /// Fails when a link of the bridge's name exists and is no bridge:
    /// checked before IPAM is asked, so that such an ADD leaves the store
    /// as it was (no reservation made and taken back, no moved
    /// `last_reserved_ip`), as the reference's, which sets up the bridge
    /// first. `ensure()` checks again (the link may change meanwhile).
    func refuseNonBridge() throws(CNIError) {
        let name = try config.bridgeInterfaceName
        let existing: LinkInfo?
        do {
            existing = try host.linkIfPresent(named: name)
        } catch {
            throw CNIError.failed("failed to create bridge \"\(config.bridgeName)\"", error)
        }
        if let existing, !existing.isBridge { throw notABridge }
    }

    private var notABridge: CNIError {
        CNIError(.internal,
                 "failed to create bridge \"\(config.bridgeName)\": \"\(config.bridgeName)\" already exists but is not a bridge")
    }

    /// Creates the bridge if missing, checks it is one, gives it a MAC if it
    /// has none and will get a gateway address, applies `promiscMode` and
    /// brings it up.
    func ensure() throws(CNIError) -> State {
        let name = config.bridgeName
        let kernelName = try config.bridgeInterfaceName
        var bridge: LinkInfo
        var macPinnedHere = false
        do {
            if let existing = try host.linkIfPresent(named: kernelName) {
                bridge = existing
            } else {
                (bridge, macPinnedHere) = try createPinnedBridge(kernelName)
            }
        } catch where error.kind == .notSupported && config.usesVLANs {
            throw Self.kernelLacksVLANFiltering(name, error)
        } catch {
            // The reference's words: it adds the bridge first, and so any
            // failure here is its "could not add".
            throw CNIError.failed("failed to create bridge \"\(name)\": could not add \"\(name)\"", causeOf: error)
        }
        guard bridge.isBridge else { throw notABridge }
        // The bridge's routes are ours: it must not accept router
        // advertisements, whoever made it (the reference sets this on every
        // ADD too; a read when it is 0 already).
        ignoreFailure { () throws(SysctlError) in
            _ = try Sysctl.ensure(.interface(.v6, name, "accept_ra"), "0")
        }
        do {
            if config.isGateway && config.isLayer3 && !(bridge.mac?.isValidUnicast ?? false) {
                bridge = try pinNewMAC(bridge)
                macPinnedHere = true
            }
            if config.promiscMode && !bridge.isPromiscuous {
                try host.setPromiscuous(index: bridge.index, true)
            }
            if !bridge.isUp {
                try host.setUp(index: bridge.index)
            }
        } catch {
            throw CNIError.failed("failed to set up bridge \"\(name)\"", error)
        }
        return State(link: bridge, macPinnedHere: macPinnedHere)
    }

    /// Creates the bridge with its MAC pinned from birth (a random, locally
    /// administered one, as the kernel would pick), so no pod ever sees it
    /// change: an unpinned bridge takes its lowest port's MAC, which shifts as
    /// pods come and go, and results already handed out (and the CHECKs that
    /// compare against them) would go stale. If a concurrent ADD created it
    /// first, that bridge is used (its MAC not pinned here). A VLAN config
    /// creates it with VLAN filtering in the same request, so a kernel
    /// without it leaves no bridge behind.
    private func createPinnedBridge(_ name: InterfaceName) throws(NetlinkError) -> (LinkInfo, macPinnedHere: Bool) {
        let mtu = config.mtu > 0 ? config.mtu : nil
        let outcome = config.usesVLANs
            ? try host.createVLANFilteringBridge(name: name, mtu: mtu,
                                                 mac: .randomLocallyAdministered(), up: true, ifExists: .tolerate)
            : try host.createBridge(name: name, mtu: mtu,
                                    mac: .randomLocallyAdministered(), up: true, ifExists: .tolerate)
        return (try host.link(named: name), outcome == .added)
    }

    /// Pins a new random MAC on a bridge that has none: one whose MAC was
    /// never set (an administrator's, or one the reference made) reports all
    /// zeros once its last port has left, and the kernel refuses to set that
    /// back (EADDRNOTAVAIL). Done before this ADD's port joins, as for a new
    /// bridge, so every pod on it sees one MAC. Returns the bridge read again:
    /// a concurrent ADD may have pinned its own since.
    private func pinNewMAC(_ bridge: LinkInfo) throws(NetlinkError) -> LinkInfo {
        try host.setMAC(index: bridge.index, .randomLocallyAdministered())
        return try host.link(index: bridge.index)
    }

    /// Puts each gateway address on the bridge (`isGateway`), then pins the
    /// bridge's MAC so it no longer follows its lowest port (whenever an
    /// address went on, as the reference does).
    ///
    /// `bridge` must be the state read before this ADD's veth joined: the
    /// MAC pinned is the one the bridge had then, as in the reference, not
    /// the new port's MAC it has since taken. A MAC this ADD gave the bridge
    /// is not set again.
    ///
    /// A gateway that has to be added next to a conflicting address (see
    /// `GatewayAddressConflicts`) replaces it with `forceAddress`, and is an
    /// error otherwise, with nothing this call added left behind. A gateway
    /// already there is enough without `forceAddress`, whatever else the
    /// bridge carries (the reference then fails every ADD, or succeeds
    /// only if the kernel happens to list the gateway first); with
    /// `forceAddress` the conflicting addresses next to it are removed (the
    /// reference removes the gateway with them when it is their secondary).
    ///
    /// Without `forceAddress` the common case (every gateway already there)
    /// costs one request per IPv4 gateway and two per IPv6 gateway, whatever
    /// the number of pods: the add is tried first. For IPv4 the kernel
    /// answers EEXIST only for the same address with the same prefix length;
    /// for IPv6, for the same address with any prefix length, so its prefix
    /// length is then read. Only when something was added or is not as
    /// wanted, or with `forceAddress`, are all the bridge's addresses read
    /// (one dump of every address of the node).
    func ensureGatewayAddresses(_ gateways: [CIDR], bridge state: State) throws(CNIError) {
        guard !gateways.isEmpty else { return }
        let bridge = state.link
        let name = config.bridgeName
        func add(_ gateway: CIDR) throws(CNIError) -> AddOutcome {
            do {
                return try host.addAddress(gateway, interfaceIndex: bridge.index, ifExists: .tolerate)
            } catch {
                throw CNIError.failed("failed to set bridge addr: could not add IP address \(gateway) to \"\(name)\"",
                                      causeOf: error)
            }
        }
        func hasExactly(_ gateway: CIDR) throws(CNIError) -> Bool {
            do {
                return try host.ipv6Address(gateway.address, interfaceIndex: bridge.index)?.cidr == gateway
            } catch {
                throw CNIError.failed("failed to set bridge addr: could not get list of IP addresses", error)
            }
        }
        do {
            // 1. Try to add each gateway.
            var added: [CIDR] = []
            var settled = !config.forceAddress
            for (position, gateway) in gateways.enumerated() {
                let outcome: AddOutcome
                do {
                    outcome = try add(gateway)
                } catch {
                    try takeBack(added, refusedAt: position, of: gateways, on: bridge)
                    throw error
                }
                switch outcome {
                case .added:
                    added.append(gateway)
                    settled = false
                case .alreadyExisted where gateway.family == .v6:
                    if try !hasExactly(gateway) { settled = false }
                case .alreadyExisted:
                    break
                }
            }
            if settled { return }

            // 2. Find what stands in the way, in the gateways' order, among
            //    the addresses that were there before this call.
            let present = try host.addresses(interfaceIndex: bridge.index).map(\.cidr)
                .filter { !added.contains($0) }
            var conflicts: [CIDR] = []
            for gateway in gateways {
                if present.contains(gateway) && !config.forceAddress { continue }
                let found = GatewayAddressConflicts.conflicts(with: gateway, present: present, gateways: gateways)
                guard !found.isEmpty else { continue }
                guard config.forceAddress else {
                    for address in added {
                        _ = try? host.deleteAddress(address, interfaceIndex: bridge.index, ifMissing: .tolerate)
                    }
                    throw CNIError(.internal,
                                   "failed to set bridge addr: \"\(name)\" already has an IP address different from \(gateway)")
                }
                conflicts += found.filter { !conflicts.contains($0) }
            }

            // 3. forceAddress: remove the conflicting addresses, then add the
            //    gateways again. Removing an IPv4 primary address removes its
            //    secondaries with it, and a gateway in the subnet of a
            //    conflicting primary is one of those, whether step 1 added it
            //    or it was there; an IPv6 gateway whose IP was there with
            //    another prefix length is added only now.
            if !conflicts.isEmpty {
                for address in conflicts {
                    try host.deleteAddress(address, interfaceIndex: bridge.index, ifMissing: .tolerate)
                }
                for gateway in gateways {
                    if try add(gateway) == .added && !added.contains(gateway) { added.append(gateway) }
                }
            }

            // 4. Pin the MAC the bridge had before this ADD's port joined,
            //    unless this ADD gave it that MAC.
            if !added.isEmpty && !state.macPinnedHere, let mac = bridge.mac, mac.isValidUnicast {
                try host.setMAC(index: bridge.index, mac)
            }
        } catch let error as CNIError {
            throw error
        } catch {
            throw CNIError.failed("failed to set bridge addr", error)
        }
    }

    /// After the kernel refused `gateways[position]`: removes what this call
    /// added, then, without `forceAddress`, reports a conflict of an earlier
    /// gateway first, as the reference (which checks each gateway before it
    /// adds the next) meets it first. Otherwise the caller reports the refusal.
    private func takeBack(_ added: [CIDR], refusedAt position: Int, of gateways: [CIDR],
                          on bridge: LinkInfo) throws(CNIError) {
        for address in added {
            _ = try? host.deleteAddress(address, interfaceIndex: bridge.index, ifMissing: .tolerate)
        }
        guard !config.forceAddress, position > 0 else { return }
        let present: [CIDR]
        do {
            present = try host.addresses(interfaceIndex: bridge.index).map(\.cidr)
        } catch {
            return
        }
        for earlier in gateways[..<position] where !present.contains(earlier) {
            if !GatewayAddressConflicts.conflicts(with: earlier, present: present, gateways: gateways).isEmpty {
                throw CNIError(.internal, "failed to set bridge addr: \"\(config.bridgeName)\" already has an IP address different from \(earlier)")
            }
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
