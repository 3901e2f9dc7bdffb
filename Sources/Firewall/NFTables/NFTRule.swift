/// One rule of an nf_tables chain: its expressions and its comment, stored
/// where nft stores it (the rule's userdata, TLV type
/// NFTNL_UDATA_RULE_COMMENT = 0, NUL-terminated), so that nft shows it as
/// `comment "…"` and finds it, and we find nft's.
struct NFTRule: Hashable, Sendable {
    var chain: String
    /// The kernel's handle; nil for a rule not yet added.
    var handle: UInt64? = nil
    var expressions: [NFTExpression]
    var comment: String? = nil

    /// nft's userdata type for a comment (tables, chains and rules alike).
    static let commentUserdataType: UInt8 = 0

    /// The userdata TLVs for `comment`: type, length (with the NUL), bytes, NUL.
    static func userdata(comment: String) -> [UInt8] {
        let bytes = Array(comment.utf8) + [0]
        return [commentUserdataType, UInt8(truncatingIfNeeded: bytes.count)] + bytes
    }

    /// The comment in nft userdata, if any.
    static func comment(inUserdata userdata: ArraySlice<UInt8>) -> String? {
        var offset = userdata.startIndex
        while offset + 2 <= userdata.endIndex {
            let type = userdata[offset]
            let length = Int(userdata[offset + 1])
            let start = offset + 2
            guard start + length <= userdata.endIndex else { return nil }
            if type == commentUserdataType {
                return String(decoding: userdata[start..<(start + length)].prefix { $0 != 0 }, as: UTF8.self)
            }
            offset = start + length
        }
        return nil
    }
}
