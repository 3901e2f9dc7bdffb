import CNISpec
import Netlink
/// `macspoofchk`: frames entering the bridge from a container's host-side
/// veth are dropped unless their source MAC is the container interface's.
/// Rules and names are the reference's (see `MACSpoofCheckPlan`), spoken to
/// nf_tables over netlink in process (`MACSpoofCheckRules`): no `nft` process.
///
/// - setUp reads PREROUTING's rules and the attachment's two chains (scoped
///   requests, never the whole table) and, unless all is in place, sends
///   one batch that replaces the attachment's rules: idempotent.
/// - tearDown needs only the attachment: the PREROUTING rule is found
///   by its comment, not by the host interface name. Nothing to remove is
///   success. The table and the PREROUTING chain are never removed.
/// - garbageCollect removes the attachments of one network that are not
///   valid, found by the interface chain's tag (a dump of the chains of
///   `bridge nat`); attachments installed by the reference (untagged) are
///   skipped.
/// - A batch refused because a concurrent call changed what was read is
///   re-read and retried (`RetryOnConflict`).
///
/// Needs CAP_NET_ADMIN in the host network namespace.
public struct MACSpoofCheck: Sendable {
    /// The plugin call's nf_tables session, the one its masquerade backend
    /// is given too; every operation uses its socket. The caller owns it
    /// (see `NFTSession`).
    let session: NFTSession

    public init(session: NFTSession) {
        self.session = session
    }

    private typealias Plan = MACSpoofCheckPlan
    private typealias Rules = MACSpoofCheckRules

    /// Allows only `address` from `hostInterface`.
    public func setUp(network: String, hostInterface: String, attachment: Attachment,
                      mac address: MACAddress) throws(FirewallError) {
        let wanted = Rules.wanted(hostInterface: hostInterface, attachment: attachment, mac: address)
        let interfaceChain = Plan.interfaceChain(attachment: attachment)
        let macChain = Plan.macChain(attachment: attachment)
        let socket = try session.openSocket()
        try RetryOnConflict.run(
            plan: { () throws(FirewallError) -> [NetlinkMessageBuilder]? in
                let state = try read(socket, attachment: attachment)
                if Rules.isInPlace(state, network: network, wanted: wanted) { return nil }
                var changes = [socket.addTable(family: Rules.family, name: Plan.table)]
                if !state.preroutingExists {
                    changes.append(socket.addChain(family: Rules.family, table: Plan.table, name: Plan.baseChain,
                                                   hook: Rules.preroutingHook, policy: Rules.acceptPolicy))
                }
                changes += state.preroutingRules.compactMap(\.handle).map {
                    socket.deleteRule(family: Rules.family, table: Plan.table, chain: Plan.baseChain, handle: $0)
                }
                // `add chain` does not change an existing chain's comment:
                // an untagged (reference) interface chain is made anew.
                if let existing = state.interfaceChain, existing.comment != Plan.networkTag(network) {
                    changes.append(socket.flushChain(family: Rules.family, table: Plan.table, name: interfaceChain))
                    changes.append(socket.deleteChain(family: Rules.family, table: Plan.table, name: interfaceChain))
                }
                changes += [
                    socket.addChain(family: Rules.family, table: Plan.table, name: interfaceChain, comment: Plan.networkTag(network)),
                    socket.addChain(family: Rules.family, table: Plan.table, name: macChain),
                    socket.flushChain(family: Rules.family, table: Plan.table, name: interfaceChain),
                    socket.flushChain(family: Rules.family, table: Plan.table, name: macChain),
                ]
                changes += wanted.map { socket.addRule(family: Rules.family, table: Plan.table, $0) }
                return changes
            },
            apply: { (changes: [NetlinkMessageBuilder]) throws(FirewallError) in
                try socket.commit(changes, what: "add macspoofchk rules to \(Plan.family) \(Plan.table)")
            })
    }

    public func tearDown(attachment: Attachment) throws(FirewallError) {
        let socket = try session.openSocket()
        try RetryOnConflict.run(
            plan: { () throws(FirewallError) -> [NetlinkMessageBuilder]? in
                let changes = try removal(socket, reference: Plan.referenceID(attachment: attachment))
                return changes.isEmpty ? nil : changes
            },
            apply: { (changes: [NetlinkMessageBuilder]) throws(FirewallError) in
                try socket.commit(changes, what: "delete macspoofchk rules from \(Plan.family) \(Plan.table)")
            })
    }

    public func garbageCollect(network: String, validAttachments: Set<Attachment>) throws(FirewallError) {
        let tag = Plan.networkTag(network)
        let valid = Set(validAttachments.map { Plan.referenceID(attachment: $0) })
        let socket = try session.openSocket()
        try RetryOnConflict.run(
            plan: { () throws(FirewallError) -> [NetlinkMessageBuilder]? in
                let stale = try socket.chains(family: Rules.family, table: Plan.table)
                    .filter { $0.comment == tag && $0.name.hasPrefix(Plan.chainPrefix) }
                    .map { String($0.name.dropFirst(Plan.chainPrefix.count)) }
                    .filter { !valid.contains($0) }
                var changes: [NetlinkMessageBuilder] = []
                for reference in stale { changes += try removal(socket, reference: reference) }
                return changes.isEmpty ? nil : changes
            },
            apply: { (changes: [NetlinkMessageBuilder]) throws(FirewallError) in
                try socket.commit(changes, what: "garbage-collect macspoofchk rules in \(Plan.family) \(Plan.table)")
            })
    }

    /// Throws `ruleMissing` unless all four rules are present as setUp made them for `address`.
    public func check(hostInterface: String, attachment: Attachment, mac address: MACAddress) throws(FirewallError) {
        let socket = try session.openSocket()
        let state = try read(socket, attachment: attachment)
        let wanted = Rules.wanted(hostInterface: hostInterface, attachment: attachment, mac: address)
        let texts = Plan.wantedRules(hostInterface: hostInterface, attachment: attachment, mac: address)
        if let missing = Rules.firstMissing(state, wanted: wanted), let index = wanted.firstIndex(of: missing) {
            throw .ruleMissing("macspoofchk rule missing in \(Plan.family) \(Plan.table) \(texts[index].chain): \(texts[index].text)")
        }
    }

    // MARK: - Reading

    /// The attachment's state: four scoped requests (PREROUTING's rules, the
    /// two chains, their rules), each answering "absent" when so.
    private func read(_ socket: NFTSocket, attachment: Attachment) throws(FirewallError) -> Rules.State {
        try read(socket, reference: Plan.referenceID(attachment: attachment))
    }

    private func read(_ socket: NFTSocket, reference: String) throws(FirewallError) -> Rules.State {
        let comment = Plan.commentPrefix + reference
        let interfaceChain = Plan.chainPrefix + reference
        let macChain = interfaceChain + "-mac"
        let prerouting = try socket.chain(family: Rules.family, table: Plan.table, name: Plan.baseChain)
        let preroutingRules = prerouting == nil ? [] :
            try socket.rules(family: Rules.family, table: Plan.table, chain: Plan.baseChain) { _, ruleComment in ruleComment == comment }
        let interface = try socket.chain(family: Rules.family, table: Plan.table, name: interfaceChain)
        let interfaceRules = interface == nil ? [] : try socket.rules(family: Rules.family, table: Plan.table, chain: interfaceChain)
        let mac = try socket.chain(family: Rules.family, table: Plan.table, name: macChain)
        let macRules = mac == nil ? [] : try socket.rules(family: Rules.family, table: Plan.table, chain: macChain)
        return Rules.State(preroutingExists: prerouting != nil, preroutingRules: preroutingRules, interfaceChain: interface,
                           interfaceRules: interfaceRules, macChainExists: mac != nil, macRules: macRules)
    }

    /// PREROUTING rules first (they reference the interface chain), then
    /// the interface chain (it references the MAC chain), then the MAC
    /// chain; each chain flushed before it is deleted.
    private func removal(_ socket: NFTSocket, reference: String) throws(FirewallError) -> [NetlinkMessageBuilder] {
        let state = try read(socket, reference: reference)
        let interfaceChain = Plan.chainPrefix + reference
        var changes = state.preroutingRules.compactMap(\.handle).map {
            socket.deleteRule(family: Rules.family, table: Plan.table, chain: Plan.baseChain, handle: $0)
        }
        for (chain, exists) in [(interfaceChain, state.interfaceChain != nil), (interfaceChain + "-mac", state.macChainExists)] where exists {
            changes.append(socket.flushChain(family: Rules.family, table: Plan.table, name: chain))
            changes.append(socket.deleteChain(family: Rules.family, table: Plan.table, name: chain))
        }
        return changes
    }
}
