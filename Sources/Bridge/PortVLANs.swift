import SystemSupport
import CNISpec
import Netlink

/// The VLAN membership `vlan`, `vlanTrunk` and `preserveDefaultVlan` give a
/// bridge port (the pod's host veth, or the VLAN gateway's peer), in the
/// reference's order (v1.8 semantics):
///
/// 1. unless `preserveDefaultVlan`, every VLAN the port has is removed (the
///    bridge gave it its default PVID, VLAN 1, when it joined);
/// 2. `vlan` is added as PVID, egress untagged: the port's access VLAN;
/// 3. each trunk VID (single `id`s and `minID`...`maxID` ranges) is added
///    tagged;
/// 4. with a trunk but no `vlan`, VLAN 1 is added as PVID untagged: the
///    trunk's native VLAN.
///
/// Adding a VID the port already has replaces its flags, so a trunk that
/// lists `vlan` again turns it tagged, as in the reference.
struct PortVLANs: Equatable {
    let access: VLANID?
    let trunk: [ClosedRange<VLANID>]
    let preserveExisting: Bool

    /// nil when the config sets neither `vlan` nor `vlanTrunk` (an empty
    /// trunk list still asks for a VLAN-filtering bridge, and changes no
    /// port, as in the reference).
    init?(_ config: BridgeConfig) {
        guard config.usesVLANs else { return nil }
        self.init(access: VLANID(config.vlan),
                  trunk: (config.vlanTrunk ?? []).compactMap { entry in
                      guard let low = VLANID(entry.range.lowerBound), let high = VLANID(entry.range.upperBound) else {
                          return nil
                      }
                      return low...high
                  },
                  preserveExisting: config.preserveDefaultVlan)
    }

    /// The access-port membership of the VLAN gateway's bridge port.
    init(access: VLANID?, trunk: [ClosedRange<VLANID>] = [], preserveExisting: Bool) {
        self.access = access
        self.trunk = trunk
        self.preserveExisting = preserveExisting
    }

    /// Whether any step changes the port (an empty trunk without `vlan`
    /// does not).
    var changesPort: Bool { access != nil || !trunk.isEmpty }

    /// The native VLAN: untagged frames entering the port join it.
    var native: VLANID? { access ?? (trunk.isEmpty ? nil : .default) }

    /// Applies the steps to port `index` (called `name` in errors).
    func apply(toPort index: InterfaceIndex, named name: String, host: NetlinkSocket) throws(CNIError) {
        guard changesPort else { return }
        // 1.
        if !preserveExisting {
            do {
                for existing in try host.bridgePortVLANs(index: index) {
                    try host.deleteBridgePortVLANs(index: index, existing.id...existing.id)
                }
            } catch {
                throw CNIError(.internal, "failed to remove default vlan on interface \(GoQuote.quoted(name)): \(error.reason)")
            }
        }
        do {
            // 2.
            if let access {
                try host.addBridgePortVLANs(index: index, access...access, pvid: true, untagged: true)
            }
            // 3.
            for range in trunk {
                try host.addBridgePortVLANs(index: index, range)
            }
        } catch {
            throw CNIError(.internal, "failed to setup vlan tag on interface \(GoQuote.quoted(name)): \(error.reason)")
        }
        // 4.
        if access == nil && !trunk.isEmpty {
            do {
                try host.addBridgePortVLANs(index: index, VLANID.default...VLANID.default, pvid: true, untagged: true)
            } catch {
                throw CNIError(.internal,
                               "failed to setup default native vlan tag on interface \(GoQuote.quoted(name)): \(error.reason)")
            }
        }
    }

    /// The entries the steps leave on a port that started with none: with
    /// `preserveExisting` false, exactly the port's VLANs; otherwise the
    /// port may also keep what it had, minus a PVID moved elsewhere.
    var expectedEntries: [PortVLAN] {
        var entries: [VLANID: PortVLAN] = [:]
        func add(_ id: VLANID, pvid: Bool, untagged: Bool) {
            if pvid {
                for key in entries.keys { entries[key]?.isPVID = false }
            }
            // The kernel replaces both flags of a VID added again.
            entries[id] = PortVLAN(id, pvid: pvid, untagged: untagged)
        }
        if let access { add(access, pvid: true, untagged: true) }
        for range in trunk {
            var id = range.lowerBound
            while true {
                add(id, pvid: false, untagged: false)
                guard id < range.upperBound, let next = VLANID(Int(id.value) + 1) else { break }
                id = next
            }
        }
        if access == nil && !trunk.isEmpty { add(.default, pvid: true, untagged: true) }
        return entries.values.sorted { $0.id < $1.id }
    }

    /// Checks that port `index` carries the membership `apply` gave it:
    /// every expected entry with its flags, no PVID elsewhere, and (unless
    /// `preserveExisting`) nothing else.
    func verify(port index: InterfaceIndex, named name: String, host: NetlinkSocket) throws(CNIError) {
        guard changesPort else { return }
        let actual: [PortVLAN]
        do {
            actual = try host.bridgePortVLANs(index: index)
        } catch {
            throw CNIError.failed("failed to read the VLANs of \(GoQuote.quoted(name))", error)
        }
        let expected = expectedEntries
        for entry in expected where !actual.contains(entry) {
            let found = actual.first { $0.id == entry.id }.map { "\($0)" } ?? "absent"
            throw CNIError(.internal,
                           "VLAN \(entry.id) of interface \(GoQuote.quoted(name)) is \(found), expected \(entry)")
        }
        let expectedIDs = Set(expected.map(\.id))
        for entry in actual where !expectedIDs.contains(entry.id) {
            if !preserveExisting || entry.isPVID {
                throw CNIError(.internal, "interface \(GoQuote.quoted(name)) has unexpected VLAN \(entry)")
            }
        }
    }
}
