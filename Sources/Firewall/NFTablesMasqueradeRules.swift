import CNISpec
import Netlink

/// The nftables masquerade rules as nf_tables expressions, for the netlink
/// backend: the same table, chains, rules and comments as
/// `NFTablesMasqueradePlan` describes in nft's text, encoded the way nft
/// encodes that text (`NFTAddressMatch`). Pure.
enum NFTablesMasqueradeRules {
    static let family = NetfilterFamily.inet
    /// `type nat hook postrouting priority srcnat` (100).
    static let postroutingHook = (number: NetfilterHook.postRouting, priority: Int32(100), type: "nat")

    /// A wanted rule and its text as nft prints it (for CHECK's messages).
    struct Wanted: Hashable, Sendable {
        var rule: NFTRule
        var text: String
    }

    /// `ip daddr 224.0.0.0/4 return`, `ip6 daddr ff00::/8 return`, `goto masq_checks`.
    static let postroutingRules: [NFTRule] = {
        let chain = NFTablesMasqueradePlan.postroutingChain
        let ret = NFTExpression.verdict(code: NFTVerdict.return, chain: nil)
        return [
            NFTRule(chain: chain, expressions: NFTAddressMatch.family(.v4)
                + NFTAddressMatch.destination(CIDR("224.0.0.0/4")!, equal: true) + [ret]),
            NFTRule(chain: chain, expressions: NFTAddressMatch.family(.v6)
                + NFTAddressMatch.destination(CIDR("ff00::/8")!, equal: true) + [ret]),
            NFTRule(chain: chain, expressions: [.verdict(code: NFTVerdict.goto, chain: NFTablesMasqueradePlan.checksChain)]),
        ]
    }()

    /// `ip saddr A ip daddr != <A's subnet> masquerade comment C`.
    static func masqueradeRule(_ address: CIDR, comment: String) -> NFTRule {
        NFTRule(chain: NFTablesMasqueradePlan.checksChain,
                expressions: NFTAddressMatch.family(address.family) + NFTAddressMatch.source(address.address)
                    + NFTAddressMatch.destination(address.network, equal: false) + [.masquerade],
                comment: comment)
    }

    /// `ip saddr A ip daddr D return comment C`.
    static func exemptionRule(_ address: CIDR, destination: CIDR, comment: String) -> NFTRule {
        NFTRule(chain: NFTablesMasqueradePlan.checksChain,
                expressions: NFTAddressMatch.family(address.family) + NFTAddressMatch.source(address.address)
                    + NFTAddressMatch.destination(destination.network, equal: true)
                    + [.verdict(code: NFTVerdict.return, chain: nil)],
                comment: comment)
    }

    /// The attachment's rules in `masq_checks`, in order: per address, its
    /// exemptions (the `nonMasquerade` prefixes of its family, once each),
    /// then its masquerade.
    static func wanted(network: String, attachment: Attachment, addresses: [CIDR], nonMasquerade: [CIDR]) -> [Wanted] {
        let comment = NFTablesMasqueradePlan.comment(network: network, attachment: attachment)
        var result: [Wanted] = []
        for address in addresses {
            var seen = Set<CIDR>()
            for destination in nonMasquerade where destination.family == address.family && seen.insert(destination.network).inserted {
                result.append(Wanted(rule: exemptionRule(address, destination: destination, comment: comment),
                                     text: NFTablesMasqueradePlan.exemptionBody(address, destination) + " comment \"\(comment)\""))
            }
            result.append(Wanted(rule: masqueradeRule(address, comment: comment),
                                 text: NFTablesMasqueradePlan.ruleBody(address) + " comment \"\(comment)\""))
        }
        return result
    }

    /// Whether `rules` (of chain postrouting) are exactly the reference's three.
    static func postroutingReady(_ rules: [NFTRule]) -> Bool {
        rules.map(\.expressions) == postroutingRules.map(\.expressions)
    }

    /// The same rule, ignoring the handle.
    static func sameRule(_ a: NFTRule, _ b: NFTRule) -> Bool {
        a.chain == b.chain && a.expressions == b.expressions && a.comment == b.comment
    }
}
