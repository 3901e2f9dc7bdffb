import CNISpec
import Netlink

/// The MAC spoof-check rules as nf_tables expressions (see
/// `MACSpoofCheckPlan` for names, comments and their nft text), encoded as
/// nft encodes that text, and the decisions setUp and CHECK take on what
/// the kernel reports. Pure.
///
/// - `iifname "<veth>"`: `meta load iifname`, compare with the name
///   NUL-padded to IFNAMSIZ (16) bytes;
/// - `ether saddr <mac>`: 6 bytes of the link-layer header at offset 6;
/// - `jump <chain>`, `return`, `drop`: immediate verdicts.
enum MACSpoofCheckRules {
    static let family = NetfilterFamily.bridge
    /// `type filter hook prerouting priority dstnat (-300)`, policy accept.
    static let preroutingHook = (number: NetfilterHook.bridgePreRouting, priority: Int32(-300), type: "filter")
    static let acceptPolicy = UInt32(bitPattern: NFTVerdict.accept)
    static let interfaceNameSize = 16

    /// What the kernel holds of one attachment, read chain by chain.
    struct State: Sendable {
        var preroutingExists: Bool
        /// The PREROUTING rules carrying the attachment's comment.
        var preroutingRules: [NFTRule]
        var interfaceChain: NFTChainInfo?
        var interfaceRules: [NFTRule]
        var macChainExists: Bool
        var macRules: [NFTRule]
    }

    static func interfaceMatch(_ name: String) -> [NFTExpression] {
        var bytes = Array(name.utf8.prefix(interfaceNameSize - 1))
        bytes += [UInt8](repeating: 0, count: interfaceNameSize - bytes.count)
        return [.meta(key: NFTMetaKey.inputInterfaceName, register: NFTExpression.register1),
                .compare(register: NFTExpression.register1, operation: NFTAddressMatch.equal, data: bytes)]
    }

    static func sourceMACMatch(_ mac: MACAddress) -> [NFTExpression] {
        let bytes = (0..<6).map { UInt8(truncatingIfNeeded: mac.value >> UInt64(8 * (5 - $0))) }
        return [.payload(base: NFTPayloadBase.linkLayerHeader, offset: 6, length: 6, register: NFTExpression.register1),
                .compare(register: NFTExpression.register1, operation: NFTAddressMatch.equal, data: bytes)]
    }

    /// The four rules, in chain order: PREROUTING's jump, the interface
    /// chain's jump, the MAC chain's return and drop.
    static func wanted(hostInterface: String, attachment: Attachment, mac: MACAddress) -> [NFTRule] {
        let comment = MACSpoofCheckPlan.ruleComment(attachment: attachment)
        let interfaceChain = MACSpoofCheckPlan.interfaceChain(attachment: attachment)
        let macChain = MACSpoofCheckPlan.macChain(attachment: attachment)
        let jump = NFTVerdict.jump
        return [
            NFTRule(chain: MACSpoofCheckPlan.baseChain,
                    expressions: interfaceMatch(hostInterface) + [.verdict(code: jump, chain: interfaceChain)], comment: comment),
            NFTRule(chain: interfaceChain, expressions: [.verdict(code: jump, chain: macChain)], comment: comment),
            NFTRule(chain: macChain, expressions: sourceMACMatch(mac) + [.verdict(code: NFTVerdict.return, chain: nil)],
                    comment: comment),
            NFTRule(chain: macChain, expressions: [.verdict(code: NFTVerdict.drop, chain: nil)], comment: comment),
        ]
    }

    /// Rules equal but for their handles.
    static func same(_ found: [NFTRule], _ wanted: [NFTRule]) -> Bool {
        found.count == wanted.count && zip(found, wanted).allSatisfy(NFTablesMasqueradeRules.sameRule)
    }

    /// Whether the attachment's chains hold exactly the wanted rules, the
    /// interface chain carries `network`'s tag and PREROUTING jumps to it once.
    static func isInPlace(_ state: State, network: String, wanted: [NFTRule]) -> Bool {
        state.interfaceChain?.comment == MACSpoofCheckPlan.networkTag(network) && state.macChainExists
            && same(state.preroutingRules, [wanted[0]]) && same(state.interfaceRules, [wanted[1]])
            && same(state.macRules, [wanted[2], wanted[3]])
    }

    /// The first wanted rule CHECK does not find, or nil.
    static func firstMissing(_ state: State, wanted: [NFTRule]) -> NFTRule? {
        let present = state.preroutingRules + state.interfaceRules + state.macRules
        return wanted.first { rule in !present.contains { NFTablesMasqueradeRules.sameRule($0, rule) } }
    }
}
