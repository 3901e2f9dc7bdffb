import CNISpec
import Netlink

/// Names, comments and rule texts (as nft prints them) of the MAC spoof
/// check; the rules themselves are `MACSpoofCheckRules`. Pure.
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

    static func referenceID(attachment: Attachment) -> String { attachment.containerID + "-" + attachment.ifname }

    static func interfaceChain(attachment: Attachment) -> String {
        chainPrefix + referenceID(attachment: attachment)
    }

    static func macChain(attachment: Attachment) -> String {
        interfaceChain(attachment: attachment) + "-mac"
    }

    static func ruleComment(attachment: Attachment) -> String {
        commentPrefix + referenceID(attachment: attachment)
    }

    static func networkTag(_ network: String) -> String {
        NFTablesMasqueradePlan.truncatedUTF8(NFTablesMasqueradePlan.networkHash(network) + ", net: " + String(network.filter { $0 != "\"" }),
                      to: NFTablesMasqueradePlan.commentLimit)
    }

    /// The rules as nft prints them, per chain, for the attachment.
    static func wantedRules(hostInterface: String, attachment: Attachment, mac: MACAddress) -> [(chain: String, text: String)] {
        let comment = "comment \"\(ruleComment(attachment: attachment))\""
        let interfaceChain = interfaceChain(attachment: attachment)
        let macChain = macChain(attachment: attachment)
        return [
            (baseChain, "iifname \"\(hostInterface)\" jump \(interfaceChain) \(comment)"),
            (interfaceChain, "jump \(macChain) \(comment)"),
            (macChain, "ether saddr \(mac) return \(comment)"),
            (macChain, "drop \(comment)"),
        ]
    }
}
