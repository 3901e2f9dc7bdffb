import CNISpec

/// The nftables masquerade backend (`ipMasqBackend: "nftables"`). Rules,
/// names and comments are the reference's; see `NFTablesMasqueradePlan`.
///
/// Each operation is one `nft -a list` (setUp and CHECK: the table;
/// tearDown and GC: the `masq_checks` chain) and, only when something must
/// change, one atomic `nft -f -` transaction. setUp (re)declares the table
/// and chains and rewrites `postrouting` when they are not as wanted, and
/// replaces the attachment's older rules when they differ from the wanted
/// ones. A transaction that fails because a concurrent DEL or GC deleted a
/// listed rule is re-listed and retried.
///
/// Needs CAP_NET_ADMIN in the network namespace it runs in (the host's).
public struct NFTablesMasquerade: MasqueradeBackend {
    public var kind: MasqueradeBackendKind { .nftables }

    var nft: NFTCommand

    public init() { self.nft = NFTCommand(runner: CommandRunner()) }

    init(runner: CommandRunner) { self.nft = NFTCommand(runner: runner) }

    public static func isUsable() -> Bool { NFTCommand.isUsable() }

    private var checksChain: [String] {
        ["chain", NFTablesMasqueradePlan.family, NFTablesMasqueradePlan.table, NFTablesMasqueradePlan.checksChain]
    }

    private var wholeTable: [String] {
        ["table", NFTablesMasqueradePlan.family, NFTablesMasqueradePlan.table]
    }

    public func setUp(network: String, containerID: String, ifname: String, addresses: [CIDR], nonMasqueradeCIDRs: [CIDR]) throws(FirewallError) {
        try nft.listPlanApply(wholeTable) { listing in
            NFTablesMasqueradePlan.setUpScript(
                listing: listing, network: network, containerID: containerID, ifname: ifname, addresses: addresses,
                nonMasquerade: nonMasqueradeCIDRs)
        }
    }

    public func tearDown(network: String, containerID: String, ifname: String) throws(FirewallError) {
        try nft.listPlanApply(checksChain) { listing in
            NFTablesMasqueradePlan.tearDownScript(listing: listing, network: network, containerID: containerID, ifname: ifname)
        }
    }

    public func garbageCollect(network: String, validAttachments: Set<Attachment>) throws(FirewallError) {
        try nft.listPlanApply(checksChain) { listing in
            NFTablesMasqueradePlan.garbageCollectScript(listing: listing, network: network, validAttachments: validAttachments)
        }
    }

    public func check(network: String, containerID: String, ifname: String, addresses: [CIDR], nonMasqueradeCIDRs: [CIDR]) throws(FirewallError) {
        let listing = try nft.list(wholeTable)
        if let missing = NFTablesMasqueradePlan.missing(
            listing: listing, network: network, containerID: containerID, ifname: ifname, addresses: addresses,
            nonMasquerade: nonMasqueradeCIDRs) {
            throw .ruleMissing(missing)
        }
    }
}
