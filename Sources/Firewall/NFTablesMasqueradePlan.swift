import CNISpec

/// Names, comments and rule texts (as nft prints them) of the nftables
/// masquerade backend; the rules themselves are `NFTablesMasqueradeRules`.
/// Pure.
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
    static func instanceHash(network: String, attachment: Attachment) -> String {
        networkHash(network) + "-" + SHA512.hexDigest(attachment.ifname + ":" + attachment.containerID).prefix(16)
    }

    static func comment(network: String, attachment: Attachment) -> String {
        let text = "\(instanceHash(network: network, attachment: attachment)), "
            + "net: \(withoutQuotes(network)), if: \(withoutQuotes(attachment.ifname)), id: \(withoutQuotes(attachment.containerID))"
        return truncatedUTF8(text, to: commentLimit)
    }

    /// `ip saddr 10.1.0.2 ip daddr != 10.1.0.0/16 masquerade` (ip6 for IPv6),
    /// as nft prints it back.
    static func ruleBody(_ address: CIDR) -> String {
        let keyword = address.family == .v4 ? "ip" : "ip6"
        return "\(keyword) saddr \(address.address) \(keyword) daddr != \(address.network) masquerade"
    }

    /// `ip saddr 10.1.0.2 ip daddr 10.0.0.0/8 return`: the exemption of one
    /// destination prefix, as nft prints it back.
    static func exemptionBody(_ address: CIDR, _ destination: CIDR) -> String {
        let keyword = address.family == .v4 ? "ip" : "ip6"
        return "\(keyword) saddr \(address.address) \(keyword) daddr \(destination.network) return"
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
