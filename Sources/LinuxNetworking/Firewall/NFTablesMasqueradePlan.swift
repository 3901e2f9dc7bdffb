import CNISpec

/// Names, comments and `nft -f` scripts of the nftables masquerade backend.
/// Pure: no process is run here.
///
/// Compatible with the reference (`pkg/ip/ipmasq_nftables_linux.go`):
/// table `inet cni_plugins_masquerade`, regular chain `masq_checks` holding
/// one rule per container address,
/// `ip saddr <ip> ip daddr != <subnet> masquerade comment "<tag>"`, and base
/// chain `postrouting` (nat hook, priority srcnat = 100) that returns for
/// multicast and otherwise `goto masq_checks`. The tag is
/// `<sha512(network)[:16]>-<sha512(ifname:containerID)[:16]>, net: N, if: I, id: C`
/// with `"` removed and cut to 128 bytes; rules are found by its prefixes.
/// Addition: per container address and `nonMasqueradeCIDRs` entry of its
/// family, `ip saddr <ip> ip daddr <cidr> return comment "<tag>"` before
/// that address's masquerade rule; it carries the tag, so either
/// implementation's teardown removes it.
enum NFTablesMasqueradePlan {
    static let family = "inet"
    static let table = "cni_plugins_masquerade"
    static let checksChain = "masq_checks"
    static let postroutingChain = "postrouting"
    /// nft's limit on comment length (NFT_USERDATA_MAXLEN), in bytes.
    static let commentLimit = 128

    static let tableComment = "Masquerading for plugins from github.com/containernetworking/plugins"
    static let checksChainComment = "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet"

    /// Identifies the network: the prefix shared by all its rules' comments.
    static func networkHash(_ network: String) -> String {
        String(SHA512.hexDigest(network).prefix(16))
    }

    /// Identifies the attachment: the prefix of its rules' comments.
    static func instanceHash(network: String, ifname: String, containerID: String) -> String {
        networkHash(network) + "-" + SHA512.hexDigest(ifname + ":" + containerID).prefix(16)
    }

    static func comment(network: String, ifname: String, containerID: String) -> String {
        let text = "\(instanceHash(network: network, ifname: ifname, containerID: containerID)), "
            + "net: \(withoutQuotes(network)), if: \(withoutQuotes(ifname)), id: \(withoutQuotes(containerID))"
        return truncatedUTF8(text, to: commentLimit)
    }

    /// `ip saddr 10.1.0.2 ip daddr != 10.1.0.0/16 masquerade` (ip6 for IPv6),
    /// as nft prints it back.
    static func ruleBody(_ address: CIDR) -> String {
        let keyword = address.family == .v4 ? "ip" : "ip6"
        return "\(keyword) saddr \(address.address) \(keyword) daddr != \(address.network) masquerade"
    }

    /// Handles of the rules in `masq_checks` whose comment starts with `prefix`.
    static func handles(in listing: NFTListing?, commentPrefix prefix: String) -> [Int] {
        guard let listing else { return [] }
        return listing.rules(in: checksChain).filter { $0.comment?.hasPrefix(prefix) ?? false }.map(\.handle)
    }

    /// The rules of `postrouting`, in order, as nft prints them.
    static let postroutingRules = ["ip daddr 224.0.0.0/4 return", "ip6 daddr ff00::/8 return", "goto \(checksChain)"]

    /// `ip saddr 10.1.0.2 ip daddr 10.0.0.0/8 return`: the exemption of one
    /// destination prefix, as nft prints it back.
    static func exemptionBody(_ address: CIDR, _ destination: CIDR) -> String {
        let keyword = address.family == .v4 ? "ip" : "ip6"
        return "\(keyword) saddr \(address.address) \(keyword) daddr \(destination.network) return"
    }

    /// The rule bodies for `address`: its exemptions (the `nonMasquerade`
    /// prefixes of its family, without duplicates), then its masquerade.
    static func ruleBodies(_ address: CIDR, nonMasquerade: [CIDR]) -> [String] {
        var seen = Set<CIDR>()
        let exemptions = nonMasquerade.filter { $0.family == address.family && seen.insert($0.network).inserted }
        return exemptions.map { exemptionBody(address, $0) } + [ruleBody(address)]
    }

    /// The attachment's rules as nft prints them: per address, its
    /// exemptions and its masquerade.
    static func wantedRules(network: String, containerID: String, ifname: String, addresses: [CIDR], nonMasquerade: [CIDR] = []) -> [String] {
        let comment = comment(network: network, ifname: ifname, containerID: containerID)
        return addresses.flatMap { ruleBodies($0, nonMasquerade: nonMasquerade) }.map { "\($0) comment \"\(comment)\"" }
    }

    /// Whether the listed table already has both chains and the exact
    /// `postrouting` body, so that setUp need not rewrite them.
    static func chainsReady(_ listing: NFTListing?) -> Bool {
        guard let listing, listing.chain(named: checksChain) != nil,
              let hook = listing.chain(named: postroutingChain)?.hook, hook.contains("hook postrouting")
        else { return false }
        return listing.rules(in: postroutingChain).map(\.text) == postroutingRules
    }

    /// The setUp transaction for a listing of the whole table (nil = no
    /// table), or nil when everything is already in place.
    ///
    /// Deleting rules makes the kernel wait for an RCU grace period (about
    /// 10 ms here), so the transaction only deletes when it must: the table
    /// and chains are declared and `postrouting` rewritten only when they are
    /// not exactly as wanted, and the attachment's older rules are replaced
    /// only when they differ from the wanted ones.
    static func setUpScript(listing: NFTListing?, network: String, containerID: String, ifname: String, addresses: [CIDR], nonMasquerade: [CIDR] = []) -> String? {
        let prefix = "\(family) \(table)"
        let instance = instanceHash(network: network, ifname: ifname, containerID: containerID)
        let existing = listing?.rules(in: checksChain).filter { $0.comment?.hasPrefix(instance) ?? false } ?? []
        let wanted = wantedRules(network: network, containerID: containerID, ifname: ifname, addresses: addresses, nonMasquerade: nonMasquerade)
        let ready = chainsReady(listing)
        if ready && existing.map(\.text) == wanted { return nil }
        var lines: [String] = []
        if !ready {
            lines += [
                "add table \(prefix) { comment \"\(tableComment)\" ; }",
                "add chain \(prefix) \(checksChain) { comment \"\(checksChainComment)\" ; }",
                "add chain \(prefix) \(postroutingChain) { type nat hook postrouting priority 100 ; }",
                "flush chain \(prefix) \(postroutingChain)",
            ]
            lines += postroutingRules.map { "add rule \(prefix) \(postroutingChain) \($0)" }
        }
        lines += existing.map { "delete rule \(prefix) \(checksChain) handle \($0.handle)" }
        lines += wanted.map { "add rule \(prefix) \(checksChain) \($0)" }
        return lines.map { $0 + "\n" }.joined()
    }

    /// A transaction deleting `handles` from `masq_checks`; nil when empty.
    static func deleteScript(_ handles: [Int]) -> String? {
        guard !handles.isEmpty else { return nil }
        return handles.map { "delete rule \(family) \(table) \(checksChain) handle \($0)\n" }.joined()
    }

    static func tearDownScript(listing: NFTListing?, network: String, containerID: String, ifname: String) -> String? {
        deleteScript(handles(in: listing, commentPrefix: instanceHash(network: network, ifname: ifname, containerID: containerID)))
    }

    /// Deletes `network`'s rules whose comment is not a valid attachment's.
    static func garbageCollectScript(listing: NFTListing?, network: String, validAttachments: Set<Attachment>) -> String? {
        guard let listing else { return nil }
        let valid = Set(validAttachments.map { comment(network: network, ifname: $0.ifname, containerID: $0.containerID) })
        let prefix = networkHash(network)
        let stale = listing.rules(in: checksChain).filter { rule in
            guard let comment = rule.comment, comment.hasPrefix(prefix) else { return false }
            return !valid.contains(comment)
        }
        return deleteScript(stale.map(\.handle))
    }

    /// What CHECK finds missing in a listing of the whole table, or nil.
    static func missing(listing: NFTListing?, network: String, containerID: String, ifname: String, addresses: [CIDR], nonMasquerade: [CIDR] = []) -> String? {
        guard let listing else { return "nftables table \(family) \(table) not found" }
        guard chainsReady(listing) else {
            return "nftables chain \(family) \(table) \(postroutingChain) is missing or does not end in goto \(checksChain)"
        }
        let comment = comment(network: network, ifname: ifname, containerID: containerID)
        let rules = listing.rules(in: checksChain).filter { $0.comment == comment }
        for body in addresses.flatMap({ ruleBodies($0, nonMasquerade: nonMasquerade).dropLast() }) {
            guard rules.contains(where: { $0.text.hasPrefix(body + " ") }) else {
                return "nftables masquerade exemption missing in \(family) \(table) \(checksChain): \(body) comment \"\(comment)\""
            }
        }
        for address in addresses {
            let keyword = address.family == .v4 ? "ip" : "ip6"
            let start = "\(keyword) saddr \(address.address) \(keyword) daddr != "
            guard rules.contains(where: { $0.text.hasPrefix(start) && $0.text.contains(" masquerade") }) else {
                return "nftables masquerade rule missing in \(family) \(table) \(checksChain): \(ruleBody(address)) comment \"\(comment)\""
            }
        }
        return nil
    }

    private static func withoutQuotes(_ text: String) -> String {
        String(text.filter { $0 != "\"" })
    }
}

extension NFTablesMasqueradePlan {
    /// `text` cut to at most `limit` UTF-8 bytes, at a character boundary.
    static func truncatedUTF8(_ text: String, to limit: Int) -> String {
    guard text.utf8.count > limit else { return text }
    var result = ""
    var used = 0
    for character in text {
        let size = character.utf8.count
        if used + size > limit { break }
        result.append(character)
        used += size
    }
    return result
}
}
