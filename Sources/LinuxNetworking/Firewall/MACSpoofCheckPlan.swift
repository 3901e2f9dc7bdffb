import CNISpec
/// Names and `nft -f` scripts of the MAC spoof check. Pure.
///
/// Compatible with the reference (`pkg/link/spoofcheck.go`), in table
/// `bridge nat`:
/// - base chain `PREROUTING` (filter hook prerouting, priority dstnat = -300,
///   policy accept), shared with ebtables-nft and never removed;
/// - `iifname "<hostveth>" jump cni-br-iface-<ref> comment "macspoofchk-<ref>"` in it;
/// - chain `cni-br-iface-<ref>`: `jump cni-br-iface-<ref>-mac`;
/// - chain `cni-br-iface-<ref>-mac`: `ether saddr <mac> return`, then `drop`;
/// every rule commented `macspoofchk-<ref>`, where ref = `<containerID>-<ifname>`.
///
/// Addition: the `cni-br-iface-<ref>` chain carries the chain comment
/// `<sha512(network)[:16]>, net: <network>` so that GC, which works per
/// network, can tell its attachments from other networks' (the table is
/// shared by all networks). The reference never reads chain comments; chains
/// it created carry none and are therefore left alone by GC.
enum MACSpoofCheckPlan {
    static let family = "bridge"
    static let table = "nat"
    static let baseChain = "PREROUTING"
    static let chainPrefix = "cni-br-iface-"
    static let commentPrefix = "macspoofchk-"

    static func referenceID(containerID: String, ifname: String) -> String { containerID + "-" + ifname }

    static func interfaceChain(containerID: String, ifname: String) -> String {
        chainPrefix + referenceID(containerID: containerID, ifname: ifname)
    }

    static func macChain(containerID: String, ifname: String) -> String {
        interfaceChain(containerID: containerID, ifname: ifname) + "-mac"
    }

    static func ruleComment(containerID: String, ifname: String) -> String {
        commentPrefix + referenceID(containerID: containerID, ifname: ifname)
    }

    static func networkTag(_ network: String) -> String {
        NFTablesMasqueradePlan.truncatedUTF8(NFTablesMasqueradePlan.networkHash(network) + ", net: " + String(network.filter { $0 != "\"" }),
                      to: NFTablesMasqueradePlan.commentLimit)
    }

    /// The rules as nft prints them, per chain, for the attachment.
    static func wantedRules(hostInterface: String, containerID: String, ifname: String, mac: String) -> [(chain: String, text: String)] {
        let comment = "comment \"\(ruleComment(containerID: containerID, ifname: ifname))\""
        let interfaceChain = interfaceChain(containerID: containerID, ifname: ifname)
        let macChain = macChain(containerID: containerID, ifname: ifname)
        return [
            (baseChain, "iifname \"\(hostInterface)\" jump \(interfaceChain) \(comment)"),
            (interfaceChain, "jump \(macChain) \(comment)"),
            (macChain, "ether saddr \(mac.lowercased()) return \(comment)"),
            (macChain, "drop \(comment)"),
        ]
    }

    /// The whole setUp transaction given the current table (nil = absent),
    /// or nil when the attachment's rules are already exactly in place (a
    /// transaction that deletes rules costs an RCU grace period, ~10 ms).
    /// Idempotent: the attachment's old PREROUTING rules are deleted and its
    /// two chains emptied before the rules are added again. An existing
    /// interface chain without this network's tag (made by the reference) is
    /// deleted and recreated, since `add chain` does not update a comment.
    /// An existing PREROUTING chain is used as it is (its policy untouched).
    static func setUpScript(listing: NFTListing?, network: String, hostInterface: String, containerID: String, ifname: String, mac: String) -> String? {
        let prefix = "\(family) \(table)"
        let interfaceChain = interfaceChain(containerID: containerID, ifname: ifname)
        let macChain = macChain(containerID: containerID, ifname: ifname)
        let tag = networkTag(network)
        if let listing, isInPlace(listing: listing, network: network, hostInterface: hostInterface, containerID: containerID, ifname: ifname, mac: mac) {
            return nil
        }
        var lines = ["add table \(prefix)"]
        if listing?.chain(named: baseChain) == nil {
            lines.append("add chain \(prefix) \(baseChain) { type filter hook prerouting priority -300 ; policy accept ; }")
        }
        lines += preroutingHandles(listing: listing, containerID: containerID, ifname: ifname).map {
            "delete rule \(prefix) \(baseChain) handle \($0)"
        }
        if let existing = listing?.chain(named: interfaceChain), existing.comment != tag {
            lines.append("delete chain \(prefix) \(interfaceChain)")
        }
        lines += [
            "add chain \(prefix) \(interfaceChain) { comment \"\(tag)\" ; }",
            "add chain \(prefix) \(macChain)",
            "flush chain \(prefix) \(interfaceChain)",
            "flush chain \(prefix) \(macChain)",
        ]
        lines += wantedRules(hostInterface: hostInterface, containerID: containerID, ifname: ifname, mac: mac).map {
            "add rule \(prefix) \($0.chain) \($0.text)"
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// Whether the attachment's chains hold exactly the wanted rules, the
    /// interface chain carries `network`'s tag and PREROUTING jumps to it once.
    static func isInPlace(listing: NFTListing, network: String, hostInterface: String, containerID: String, ifname: String, mac: String) -> Bool {
        let interfaceChain = interfaceChain(containerID: containerID, ifname: ifname)
        let macChain = macChain(containerID: containerID, ifname: ifname)
        let comment = ruleComment(containerID: containerID, ifname: ifname)
        let wanted = wantedRules(hostInterface: hostInterface, containerID: containerID, ifname: ifname, mac: mac)
        guard listing.chain(named: interfaceChain)?.comment == networkTag(network), listing.chain(named: macChain) != nil else {
            return false
        }
        return listing.rules(in: baseChain).filter { $0.comment == comment }.map(\.text) == [wanted[0].text]
            && listing.rules(in: interfaceChain).map(\.text) == [wanted[1].text]
            && listing.rules(in: macChain).map(\.text) == [wanted[2].text, wanted[3].text]
    }

    /// Removes the attachment's PREROUTING rule(s) and both of its chains,
    /// whichever of them exist; nil when none does.
    static func tearDownScript(listing: NFTListing?, containerID: String, ifname: String) -> String? {
        guard let listing else { return nil }
        let lines = removalLines(listing: listing, containerID: containerID, ifname: ifname)
        return lines.isEmpty ? nil : lines.map { $0 + "\n" }.joined()
    }

    /// Removes the attachments of `network` (found by the interface-chain
    /// tag) that are not in `validAttachments`; nil when there are none.
    static func garbageCollectScript(listing: NFTListing?, network: String, validAttachments: Set<Attachment>) -> String? {
        guard let listing else { return nil }
        let tag = networkTag(network)
        let valid = Set(validAttachments.map { referenceID(containerID: $0.containerID, ifname: $0.ifname) })
        var lines: [String] = []
        for chain in listing.chains where chain.comment == tag && chain.name.hasPrefix(chainPrefix) {
            let reference = String(chain.name.dropFirst(chainPrefix.count))
            guard !valid.contains(reference) else { continue }
            lines += removalLines(listing: listing, reference: reference)
        }
        return lines.isEmpty ? nil : lines.map { $0 + "\n" }.joined()
    }

    /// What CHECK finds missing, or nil.
    static func missing(listing: NFTListing?, hostInterface: String, containerID: String, ifname: String, mac: String) -> String? {
        guard let listing else { return "nftables table \(family) \(table) not found" }
        for wanted in wantedRules(hostInterface: hostInterface, containerID: containerID, ifname: ifname, mac: mac) {
            guard listing.rules(in: wanted.chain).contains(where: { $0.text == wanted.text }) else {
                return "macspoofchk rule missing in \(family) \(table) \(wanted.chain): \(wanted.text)"
            }
        }
        return nil
    }

    private static func preroutingHandles(listing: NFTListing?, containerID: String, ifname: String) -> [Int] {
        preroutingHandles(listing: listing, reference: referenceID(containerID: containerID, ifname: ifname))
    }

    private static func preroutingHandles(listing: NFTListing?, reference: String) -> [Int] {
        guard let listing else { return [] }
        let comment = commentPrefix + reference
        return listing.rules(in: baseChain).filter { $0.comment == comment }.map(\.handle)
    }

    private static func removalLines(listing: NFTListing, containerID: String, ifname: String) -> [String] {
        removalLines(listing: listing, reference: referenceID(containerID: containerID, ifname: ifname))
    }

    /// PREROUTING rules first (they reference the interface chain), then the
    /// interface chain (it references the MAC chain), then the MAC chain.
    private static func removalLines(listing: NFTListing, reference: String) -> [String] {
        let prefix = "\(family) \(table)"
        let interfaceChain = chainPrefix + reference
        var lines = preroutingHandles(listing: listing, reference: reference).map {
            "delete rule \(prefix) \(baseChain) handle \($0)"
        }
        for chain in [interfaceChain, interfaceChain + "-mac"] where listing.chain(named: chain) != nil {
            lines.append("delete chain \(prefix) \(chain)")
        }
        return lines
    }
}
