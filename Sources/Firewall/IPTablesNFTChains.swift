import CNISpec
import Glibc
import Netlink

/// The iptables backend's chains seen through nf_tables. iptables-nft (what
/// Debian's `iptables` is) keeps table `nat` as the nf_tables table `ip nat`
/// (`ip6 nat`) and every iptables chain as an nf_tables chain, so the
/// masquerade chain of an attachment can be found, and removed, over
/// netlink without starting `iptables` and without listing anything but
/// that chain and POSTROUTING.
///
/// Only for nodes whose `iptables` is iptables-nft: with iptables-legacy
/// the rules live in x_tables, invisible here, and callers use the tools.
/// Removal is one batch: the POSTROUTING rules that jump to the chain, the
/// chain's rules, the chain. If anything else still references the chain,
/// or a concurrent writer changed it, the kernel refuses the whole batch
/// and the caller falls back to the tools.
struct IPTablesNFTChains {
    static let table = "nat"
    static let postrouting = "POSTROUTING"

    let socket: NFTSocket

    /// A lookup for this node on `session`'s socket, or nil when its
    /// `iptables` is not iptables-nft (resolved through its symlinks, no
    /// process) or the netlink socket cannot be made.
    static func forThisNode(session: NFTSession) -> IPTablesNFTChains? {
        guard usesIPTablesNFT, let socket = try? session.openSocket() else { return nil }
        return IPTablesNFTChains(socket: socket)
    }

    /// Whether `iptables` resolves to xtables-nft-multi (iptables-nft).
    static var usesIPTablesNFT: Bool {
        guard let path = try? CommandRunner.locate("iptables"), let resolved = realpath(path, nil) else { return false }
        defer { free(resolved) }
        return String(cString: resolved).hasSuffix("/xtables-nft-multi")
    }

    static func family(_ family: IPFamily) -> UInt8 { family == .v4 ? NetfilterFamily.ipv4 : NetfilterFamily.ipv6 }

    func exists(chain: String, family: IPFamily) throws(FirewallError) -> Bool {
        try socket.chain(family: Self.family(family), table: Self.table, name: chain) != nil
    }

    /// The names of the chains of `nat` shaped like masquerade chains
    /// (`CNI-` + 24 hex digits): a dump of that table's chains only.
    func masqueradeChains(family: IPFamily) throws(FirewallError) -> [String] {
        try socket.chains(family: Self.family(family), table: Self.table).map(\.name)
        .filter(IPTablesMasqueradePlan.isMasqueradeChainName)
    }

    /// Removes `chain` and the POSTROUTING rules that jump or go to it, in
    /// one batch.
    func remove(chain: String, family: IPFamily) throws(FirewallError) {
        let nfFamily = Self.family(family)
        let jumps = try socket.rules(family: nfFamily, table: Self.table, chain: Self.postrouting).filter { rule in
            rule.expressions.contains {
                if case .verdict(let code, let target) = $0 {
                    return target == chain && (code == NFTVerdict.jump || code == NFTVerdict.goto)
                }
                return false
            }
        }
        var changes = jumps.compactMap(\.handle).map {
            socket.deleteRule(family: nfFamily, table: Self.table, chain: Self.postrouting, handle: $0)
        }
        changes.append(socket.flushChain(family: nfFamily, table: Self.table, name: chain))
        changes.append(socket.deleteChain(family: nfFamily, table: Self.table, name: chain))
        try socket.commit(changes, what: "remove chain \(chain) from \(family == .v4 ? "ip" : "ip6") \(Self.table)")
    }
}
