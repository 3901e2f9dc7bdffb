import CNISpec
import Glibc
import Netlink

/// The nftables masquerade backend (`ipMasqBackend: "nftables"`), spoken
/// to nf_tables over netlink in process: no `nft` process on any path.
/// Table, chains, rules and comments are the reference's (see
/// `NFTablesMasqueradePlan`, `NFTablesMasqueradeRules`), so rules made by
/// `nft` (the reference, or our earlier versions) are found and removed
/// here, and ours by them.
///
/// Requests per operation:
/// - setUp: one rule dump of the table, then one batch: the rules alone
///   when the table is in place; otherwise the table and chains declared
///   (NLM_F_CREATE, no EXCL: concurrent writers may all do it) and
///   `postrouting` rewritten. The attachment's older rules are deleted in
///   the same batch only when they differ from the wanted ones.
/// - tearDown, GC: one rule dump of `masq_checks`, and a batch only when
///   something is to be deleted.
/// - CHECK: one GETCHAIN of `postrouting`, one rule dump of the table.
/// A batch that fails because a concurrent writer changed what was read (a
/// rule already deleted: ENOENT; EBUSY; ERESTART) changes nothing and is
/// re-read and retried (`RetryOnConflict`).
///
/// Needs CAP_NET_ADMIN in the network namespace it runs in (the host's).
public struct NFTablesMasquerade: MasqueradeBackend {
    public var kind: MasqueradeBackendKind { .nftables }

    /// The plugin call's nf_tables session, shared with the call's other
    /// nf_tables steps; every operation of this backend uses its socket.
    /// The caller owns it (see `NFTSession`).
    let session: NFTSession

    public init(session: NFTSession) {
        self.session = session
    }

    private typealias Plan = NFTablesMasqueradePlan
    private typealias Rules = NFTablesMasqueradeRules

    /// Whether nf_tables answers over netlink here (the kernel has it and
    /// we may ask): a GETTABLE of our table, which exists or not.
    public static func isUsable() -> Bool {
        guard let socket = try? NFTSocket() else { return false }
        return (try? socket.tableExists(family: Rules.family, name: Plan.table)) != nil
    }

    public func setUp(network: String, attachment: Attachment, addresses: [CIDR], nonMasqueradeCIDRs: [CIDR]) throws(FirewallError) {
        let socket = try session.openSocket()
        let wanted = Rules.wanted(network: network, attachment: attachment,
                                  addresses: addresses, nonMasquerade: nonMasqueradeCIDRs).map(\.rule)
        let instance = Plan.instanceHash(network: network, attachment: attachment)
        try RetryOnConflict.run(
            plan: { () throws(FirewallError) -> [NetlinkMessageBuilder]? in
                let rules = try socket.rules(family: Rules.family, table: Plan.table) { chain, comment in
                    chain == Plan.postroutingChain || (chain == Plan.checksChain && (comment?.hasPrefix(instance) ?? false))
                }
                let ready = Rules.postroutingReady(rules.filter { $0.chain == Plan.postroutingChain })
                let existing = rules.filter { $0.chain == Plan.checksChain }
                let inPlace = existing.count == wanted.count && zip(existing, wanted).allSatisfy(Rules.sameRule)
                if ready && inPlace { return nil }
                var changes: [NetlinkMessageBuilder] = []
                if !ready {
                    changes.append(socket.addTable(family: Rules.family, name: Plan.table, comment: Plan.tableComment))
                    changes.append(socket.addChain(family: Rules.family, table: Plan.table, name: Plan.checksChain,
                                                   comment: Plan.checksChainComment))
                    changes.append(socket.addChain(family: Rules.family, table: Plan.table, name: Plan.postroutingChain,
                                                   hook: Rules.postroutingHook))
                    changes.append(socket.flushChain(family: Rules.family, table: Plan.table, name: Plan.postroutingChain))
                    changes += Rules.postroutingRules.map { socket.addRule(family: Rules.family, table: Plan.table, $0) }
                }
                if !inPlace {
                    changes += existing.compactMap(\.handle).map {
                        socket.deleteRule(family: Rules.family, table: Plan.table, chain: Plan.checksChain, handle: $0)
                    }
                    changes += wanted.map { socket.addRule(family: Rules.family, table: Plan.table, $0) }
                }
                return changes
            },
            apply: { (changes: [NetlinkMessageBuilder]) throws(FirewallError) in
                try socket.commit(changes, what: "add masquerade rules to \(Plan.family) \(Plan.table)")
            })
    }

    public func tearDown(network: String, attachment: Attachment) throws(FirewallError) {
        let instance = Plan.instanceHash(network: network, attachment: attachment)
        try deleteRules(what: "delete masquerade rules from \(Plan.family) \(Plan.table)") { comment in
            comment?.hasPrefix(instance) ?? false
        }
    }

    public func garbageCollect(network: String, validAttachments: Set<Attachment>) throws(FirewallError) {
        let valid = Set(validAttachments.map { Plan.comment(network: network, attachment: $0) })
        let prefix = Plan.networkHash(network)
        try deleteRules(what: "garbage-collect masquerade rules in \(Plan.family) \(Plan.table)") { comment in
            guard let comment, comment.hasPrefix(prefix) else { return false }
            return !valid.contains(comment)
        }
    }

    public func check(network: String, attachment: Attachment, addresses: [CIDR], nonMasqueradeCIDRs: [CIDR]) throws(FirewallError) {
        let socket = try session.openSocket()
        let postrouting = try socket.chain(family: Rules.family, table: Plan.table, name: Plan.postroutingChain)
        guard let postrouting else {
            throw .ruleMissing("nftables chain \(Plan.family) \(Plan.table) \(Plan.postroutingChain) not found")
        }
        let comment = Plan.comment(network: network, attachment: attachment)
        let rules = try socket.rules(family: Rules.family, table: Plan.table) { chain, ruleComment in
            chain == Plan.postroutingChain || ruleComment == comment
        }
        guard postrouting.hook == Rules.postroutingHook.number, postrouting.type == Rules.postroutingHook.type,
              Rules.postroutingReady(rules.filter { $0.chain == Plan.postroutingChain }) else {
            throw .ruleMissing("nftables chain \(Plan.family) \(Plan.table) \(Plan.postroutingChain) is missing or does not end in goto \(Plan.checksChain)")
        }
        let present = rules.filter { $0.chain == Plan.checksChain }
        for wanted in Rules.wanted(network: network, attachment: attachment,
                                   addresses: addresses, nonMasquerade: nonMasqueradeCIDRs)
        where !present.contains(where: { Rules.sameRule($0, wanted.rule) }) {
            let kind = wanted.rule.expressions.last == .masquerade ? "masquerade rule" : "masquerade exemption"
            throw .ruleMissing("nftables \(kind) missing in \(Plan.family) \(Plan.table) \(Plan.checksChain): \(wanted.text)")
        }
    }

    /// Deletes the rules of `masq_checks` whose comment `matches` selects,
    /// in one batch; nothing is sent when none does (or the table is absent).
    private func deleteRules(what: String, _ matches: @escaping (String?) -> Bool) throws(FirewallError) {
        let socket = try session.openSocket()
        try RetryOnConflict.run(
            plan: { () throws(FirewallError) -> [NetlinkMessageBuilder]? in
                let handles = try socket.rules(family: Rules.family, table: Plan.table, chain: Plan.checksChain) { _, comment in
                    matches(comment)
                }.compactMap(\.handle)
                guard !handles.isEmpty else { return nil }
                return handles.map { socket.deleteRule(family: Rules.family, table: Plan.table, chain: Plan.checksChain, handle: $0) }
            },
            apply: { (changes: [NetlinkMessageBuilder]) throws(FirewallError) in try socket.commit(changes, what: what) })
    }
}
