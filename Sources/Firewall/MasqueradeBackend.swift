import CNISpec

/// Source NAT ("ipMasq") for the addresses of one attachment: traffic from
/// each container address to anything outside that address's subnet
/// (multicast excepted) is masqueraded, except traffic to the attachment's
/// `nonMasqueradeCIDRs` (those of the address's family), which keeps its
/// source address.
///
/// Contract shared by every backend:
/// - The rules carry a tag derived only from (network, containerID, ifname)
///   (iptables: network and containerID, as in the reference), so
///   `tearDown` needs no addresses and works after the container's netns and
///   IPAM state are gone.
/// - `setUp` is idempotent: running it twice leaves one copy of each rule.
/// - `tearDown` is idempotent: nothing to remove is success.
/// - `garbageCollect` removes the rules of every attachment of `network`
///   not in `validAttachments`, and never touches other networks' rules.
/// - Rules are byte-compatible with the reference plugins', so either
///   implementation removes what the other installed (upgrade/downgrade).
/// - No locking of our own: each change is atomic (one nf_tables batch, one
///   `iptables-restore`); a change that races with a concurrent one (a rule
///   vanished between read and apply) is read again and retried.
/// - The exemptions for `nonMasqueradeCIDRs` are rules of the attachment
///   like the others (same chain, same tag, placed before its masquerade
///   rule), so a teardown that knows nothing of them, the reference's
///   included, removes them with the rest.
public protocol MasqueradeBackend: Sendable {
    var kind: MasqueradeBackendKind { get }

    /// Installs the rules for `addresses` (container address + prefix
    /// length); traffic to `nonMasqueradeCIDRs` (network prefixes, either
    /// family) is not masqueraded.
    func setUp(network: String, attachment: Attachment, addresses: [CIDR], nonMasqueradeCIDRs: [CIDR]) throws(FirewallError)

    /// Starts setUp and returns before it is done where a backend runs
    /// helper processes (iptables); `finish` the result to complete it.
    func beginSetUp(network: String, attachment: Attachment, addresses: [CIDR],
                    nonMasqueradeCIDRs: [CIDR]) -> PendingMasqueradeSetUp

    /// Removes every rule of the attachment, found by its tag.
    func tearDown(network: String, attachment: Attachment) throws(FirewallError)

    /// Removes the rules of `network`'s attachments that are not valid.
    func garbageCollect(network: String, validAttachments: Set<Attachment>) throws(FirewallError)

    /// Throws `ruleMissing` unless every rule `setUp` would install is present.
    func check(network: String, attachment: Attachment, addresses: [CIDR], nonMasqueradeCIDRs: [CIDR]) throws(FirewallError)
}

extension MasqueradeBackend {
    /// setUp, done at once (in-process backends gain nothing from waiting later).
    public func beginSetUp(network: String, attachment: Attachment, addresses: [CIDR],
                           nonMasqueradeCIDRs: [CIDR]) -> PendingMasqueradeSetUp {
        PendingMasqueradeSetUp.completed { () throws(FirewallError) in
            try setUp(network: network, attachment: attachment, addresses: addresses,
                      nonMasqueradeCIDRs: nonMasqueradeCIDRs)
        }
    }

    /// setUp with no destination exempted beyond the pod's own subnets.
    public func setUp(network: String, attachment: Attachment, addresses: [CIDR]) throws(FirewallError) {
        try setUp(network: network, attachment: attachment, addresses: addresses, nonMasqueradeCIDRs: [])
    }

    /// check with no destination exempted beyond the pod's own subnets.
    public func check(network: String, attachment: Attachment, addresses: [CIDR]) throws(FirewallError) {
        try check(network: network, attachment: attachment, addresses: addresses, nonMasqueradeCIDRs: [])
    }
}
