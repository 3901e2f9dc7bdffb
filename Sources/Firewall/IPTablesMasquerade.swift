import CNISpec
import Glibc
import SystemSupport

/// The iptables masquerade backend (`ipMasqBackend: "iptables"`, the
/// default). Rules and names are the reference's; see
/// `IPTablesMasqueradePlan`.
///
/// Each operation, per address family, is one `iptables -w -t nat -S`
/// listing followed, only when something must change, by one
/// `iptables-restore -w --noflush` that applies every change atomically
/// (the reference runs one iptables process per rule). setUp skips the
/// listing: it first restores the rules of a fresh chain (`-N` included),
/// which fails as a whole when the chain exists, and only then lists; the
/// restores of both families run at once, and `beginSetUp` lets the caller
/// work while they do. `-w` waits for the
/// xtables lock, so concurrent plugins serialise on it. If the restore fails
/// (a concurrent DEL or GC removed a rule between listing and applying), the
/// operation lists again and retries (`RetryOnConflict`).
///
/// Needs CAP_NET_ADMIN in the network namespace it runs in (the host's).
public struct IPTablesMasquerade: MasqueradeBackend {
    public var kind: MasqueradeBackendKind { .iptables }

    var runner: CommandRunner
    /// The plugin call's nf_tables session, shared with the call's other
    /// nf_tables steps; the iptables-nft lookups use its socket. The caller
    /// owns it (see `NFTSession`).
    let session: NFTSession

    /// Runs the iptables tools with `environment` (the plugin call's).
    public init(environment: [String], session: NFTSession) {
        self.runner = CommandRunner(environment: environment)
        self.session = session
    }

    init(runner: CommandRunner, session: NFTSession) {
        self.runner = runner
        self.session = session
    }

    /// Usable when it can list a chain, like the reference's probe (which
    /// lists filter INPUT; this lists the nat table's POSTROUTING, which we need).
    public static func isUsable(environment: [String]) -> Bool {
        guard let path = try? CommandRunner.locate("iptables") else { return false }
        guard let output = try? CommandRunner(environment: environment).run(path, ["-w", "-t", "nat", "-S", "POSTROUTING"]) else { return false }
        return output.status.succeeded
    }

    public func setUp(network: String, attachment: Attachment, addresses: [CIDR], nonMasqueradeCIDRs: [CIDR]) throws(FirewallError) {
        try beginSetUp(network: network, attachment: attachment, addresses: addresses,
                       nonMasqueradeCIDRs: nonMasqueradeCIDRs).finish()
    }

    /// Starts the fresh-chain restore of every family at once and returns;
    /// `finish` waits for them and, for a family whose restore failed (its
    /// chain existed), lists and applies what is missing.
    ///
    /// The chain is the container's, shared by all its interfaces in the
    /// network. So when a family's chain existed, the setUp remembers what
    /// it found, and taking the setUp back (a failed ADD) puts exactly that
    /// back instead of removing the chain: another interface's masquerading
    /// survives. A chain this setUp created is removed.
    public func beginSetUp(network: String, attachment: Attachment, addresses: [CIDR],
                           nonMasqueradeCIDRs: [CIDR]) -> PendingMasqueradeSetUp {
        let chain = IPTablesMasqueradePlan.chainName(network: network, containerID: attachment.containerID)
        let families = [IPFamily.v4, .v6].filter { family in addresses.contains { $0.family == family } }
        let started = families.map { family in
            let fresh = IPTablesMasqueradePlan.freshSetUpLines(
                network: network, containerID: attachment.containerID, addresses: addresses.filter { $0.family == family },
                nonMasquerade: nonMasqueradeCIDRs)
            return (family, try? startRestore(family, fresh))
        }
        let found = FoundChains()
        return PendingMasqueradeSetUp(completion: { () throws(FirewallError) in
            var firstError: FirewallError? = nil
            for (family, restore) in started {
                if let restore, (try? restore.finish()) != nil { continue }
                let own = addresses.filter { $0.family == family }
                do throws(FirewallError) {
                    try apply(family) { listing in
                        found.states[family] = IPTablesMasqueradePlan.ChainState(listing: listing, chain: chain)
                        return IPTablesMasqueradePlan.setUpLines(
                            listing: listing, network: network, containerID: attachment.containerID, addresses: own,
                            nonMasquerade: nonMasqueradeCIDRs)
                    }
                } catch {
                    if firstError == nil { firstError = error }
                }
            }
            if let firstError { throw firstError }
        }, undo: { () throws(FirewallError) -> Bool in
            guard !found.states.isEmpty else { return false }
            for family in families {
                if let state = found.states[family] {
                    try apply(family) { listing in IPTablesMasqueradePlan.restoreLines(listing: listing, to: state) }
                } else {
                    try apply(family) { listing in IPTablesMasqueradePlan.removalLines(listing: listing, chain: chain) }
                }
            }
            return true
        })
    }

    /// Removes the container's chain and every rule jumping to it, in both
    /// families. The IPv6 family is skipped when the kernel has no IPv6 (its
    /// nat table cannot exist then). With iptables-nft, the chain is looked
    /// up, and removed, over netlink (`IPTablesNFTChains`): no process at
    /// all when there is nothing to remove, and the tools only when the
    /// netlink removal is refused (the chain is referenced elsewhere).
    public func tearDown(network: String, attachment: Attachment) throws(FirewallError) {
        let chain = IPTablesMasqueradePlan.chainName(network: network, containerID: attachment.containerID)
        let overNetlink = IPTablesNFTChains.forThisNode(session: session)
        for family in IPTablesMasquerade.availableFamilies {
            if let overNetlink {
                do {
                    guard try overNetlink.exists(chain: chain, family: family) else { continue }
                    try overNetlink.remove(chain: chain, family: family)
                    continue
                } catch {
                    // Fall back to the tools, which list and retry.
                }
            }
            try apply(family) { listing in
                IPTablesMasqueradePlan.tearDownLines(listing: listing, network: network, containerID: attachment.containerID)
            }
        }
    }

    /// Removes the chains of `network` whose container ID is not among the
    /// valid attachments' (chains carry no ifname, see the plan). With
    /// iptables-nft, a family whose `nat` table holds no masquerade chain
    /// but the valid ones' is skipped without starting a process.
    public func garbageCollect(network: String, validAttachments: Set<Attachment>) throws(FirewallError) {
        let validIDs = Set(validAttachments.map(\.containerID))
        let validChains = Set(validIDs.map { IPTablesMasqueradePlan.chainName(network: network, containerID: $0) })
        let overNetlink = IPTablesNFTChains.forThisNode(session: session)
        for family in IPTablesMasquerade.availableFamilies {
            if let overNetlink, let chains = try? overNetlink.masqueradeChains(family: family),
               chains.allSatisfy(validChains.contains) {
                continue
            }
            try apply(family) { listing in
                IPTablesMasqueradePlan.garbageCollectLines(listing: listing, network: network, validContainerIDs: validIDs)
            }
        }
    }

    public func check(network: String, attachment: Attachment, addresses: [CIDR], nonMasqueradeCIDRs: [CIDR]) throws(FirewallError) {
        for family in [IPFamily.v4, .v6] {
            let own = addresses.filter { $0.family == family }
            guard !own.isEmpty else { continue }
            let listing = try list(family)
            let missing = IPTablesMasqueradePlan.missingRules(
                listing: listing, network: network, containerID: attachment.containerID, addresses: own, nonMasquerade: nonMasqueradeCIDRs)
            if let first = missing.first {
                throw .ruleMissing("\(IPTablesMasquerade.tool(family)) masquerade rule missing in table nat: \(first)")
            }
        }
    }

    // MARK: - Running the tools

    static func tool(_ family: IPFamily) -> String { family == .v4 ? "iptables" : "ip6tables" }

    static func restoreTool(_ family: IPFamily) -> String { family == .v4 ? "iptables-restore" : "ip6tables-restore" }

    /// IPv4 always; IPv6 only when the kernel has it.
    static var availableFamilies: [IPFamily] {
        access("/proc/sys/net/ipv6", F_OK) == 0 ? [.v4, .v6] : [.v4]
    }

    func list(_ family: IPFamily) throws(FirewallError) -> IPTablesListing {
        IPTablesListing(parsing: try runner.checked(IPTablesMasquerade.tool(family), ["-w", "-t", "nat", "-S"]))
    }

    /// List, plan, restore; re-listed and retried on a conflict (`RetryOnConflict`).
    private func apply(_ family: IPFamily, plan: (IPTablesListing) -> [String]) throws(FirewallError) {
        try RetryOnConflict.run(
            plan: { () throws(FirewallError) -> [String]? in
                let lines = plan(try list(family))
                return lines.isEmpty ? nil : lines
            },
            apply: { (lines: [String]) throws(FirewallError) in try restore(family, lines) })
    }

    /// One atomic `iptables-restore -w --noflush` of `lines` into table nat.
    private func restore(_ family: IPFamily, _ lines: [String]) throws(FirewallError) {
        _ = try startRestore(family, lines).finish()
    }

    private func startRestore(_ family: IPFamily, _ lines: [String]) throws(FirewallError) -> RunningCommand {
        let document = IPTablesMasqueradePlan.restoreDocument(lines)
        return try runner.start(IPTablesMasquerade.restoreTool(family), ["-w", "--noflush"], stdin: Array(document.utf8))
    }
}

/// The state of each family's chain as a setUp found it before joining it
/// (`IPTablesMasquerade.beginSetUp`).
private final class FoundChains {
    var states: [IPFamily: IPTablesMasqueradePlan.ChainState] = [:]
}
