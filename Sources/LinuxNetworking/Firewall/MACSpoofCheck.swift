import CNISpec
/// `macspoofchk`: frames entering the bridge from a container's host-side
/// veth are dropped unless their source MAC is the container interface's.
/// Rules and names are the reference's; see `MACSpoofCheckPlan`.
///
/// - setUp is idempotent (it replaces the attachment's rules) and is one
///   `nft -a list table bridge nat` plus one atomic `nft -f -` transaction.
/// - tearDown needs only (containerID, ifname): the PREROUTING rule is found
///   by its comment, not by the host interface name. Nothing to remove is
///   success. The table and the PREROUTING chain are never removed.
/// - garbageCollect removes the attachments of one network that are not
///   valid; attachments installed by the reference (untagged) are skipped.
/// - A transaction that fails because a concurrent call changed the table
///   between our listing and our apply is re-listed and retried.
///
/// Needs CAP_NET_ADMIN in the host network namespace.
public struct MACSpoofCheck: Sendable {
    var nft: NFTCommand

    public init() { self.nft = NFTCommand(runner: CommandRunner()) }

    init(runner: CommandRunner) { self.nft = NFTCommand(runner: runner) }

    private var table: [String] { ["table", MACSpoofCheckPlan.family, MACSpoofCheckPlan.table] }

    /// Allows only `mac` (any case, colon-separated) from `hostInterface`.
    public func setUp(network: String, hostInterface: String, containerID: String, ifname: String, mac: String) throws(FirewallError) {
        try nft.listPlanApply(table) { listing in
            MACSpoofCheckPlan.setUpScript(
                listing: listing, network: network, hostInterface: hostInterface,
                containerID: containerID, ifname: ifname, mac: mac)
        }
    }

    public func tearDown(containerID: String, ifname: String) throws(FirewallError) {
        try nft.listPlanApply(table) { listing in
            MACSpoofCheckPlan.tearDownScript(listing: listing, containerID: containerID, ifname: ifname)
        }
    }

    public func garbageCollect(network: String, validAttachments: Set<Attachment>) throws(FirewallError) {
        try nft.listPlanApply(table) { listing in
            MACSpoofCheckPlan.garbageCollectScript(listing: listing, network: network, validAttachments: validAttachments)
        }
    }

    /// Throws `ruleMissing` unless all four rules are present as setUp made them.
    public func check(hostInterface: String, containerID: String, ifname: String, mac: String) throws(FirewallError) {
        let listing = try nft.list(table)
        if let missing = MACSpoofCheckPlan.missing(listing: listing, hostInterface: hostInterface, containerID: containerID, ifname: ifname, mac: mac) {
            throw .ruleMissing(missing)
        }
    }
}
