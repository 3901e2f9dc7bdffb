import CNetlink

// nf_tables' kernel ABI (linux/netfilter/nf_tables.h, netfilter.h,
// netlink.h): the numbers a request is built from, read here from the C
// headers so that the firewall, which composes tables, chains and rules
// from them, needs no C import. Numbers only; what they mean in a rule is
// the firewall's business.

/// An nf_tables message kind (NFT_MSG_*), within the nf_tables subsystem.
public struct NFTMessageKind: Hashable, Sendable {
    public let rawValue: UInt16
    init(_ kind: nf_tables_msg_types) { rawValue = UInt16(kind.rawValue) }

    public static let newTable = NFTMessageKind(NFT_MSG_NEWTABLE)
    public static let getTable = NFTMessageKind(NFT_MSG_GETTABLE)
    public static let newChain = NFTMessageKind(NFT_MSG_NEWCHAIN)
    public static let getChain = NFTMessageKind(NFT_MSG_GETCHAIN)
    public static let deleteChain = NFTMessageKind(NFT_MSG_DELCHAIN)
    public static let newRule = NFTMessageKind(NFT_MSG_NEWRULE)
    public static let getRule = NFTMessageKind(NFT_MSG_GETRULE)
    public static let deleteRule = NFTMessageKind(NFT_MSG_DELRULE)
    public static let getGeneration = NFTMessageKind(NFT_MSG_GETGEN)
}

/// nf_tables attribute types (NFTA_*), as `NetlinkMessageBuilder.put` and
/// `NetlinkAttributes` take them.
public enum NFTAttribute {
    public static let bitwiseDreg = UInt32(NFTA_BITWISE_DREG.rawValue)
    public static let bitwiseLen = UInt32(NFTA_BITWISE_LEN.rawValue)
    public static let bitwiseMask = UInt32(NFTA_BITWISE_MASK.rawValue)
    public static let bitwiseOp = UInt32(NFTA_BITWISE_OP.rawValue)
    public static let bitwiseSreg = UInt32(NFTA_BITWISE_SREG.rawValue)
    public static let bitwiseXor = UInt32(NFTA_BITWISE_XOR.rawValue)
    public static let chainHook = UInt32(NFTA_CHAIN_HOOK.rawValue)
    public static let chainName = UInt32(NFTA_CHAIN_NAME.rawValue)
    public static let chainPolicy = UInt32(NFTA_CHAIN_POLICY.rawValue)
    public static let chainTable = UInt32(NFTA_CHAIN_TABLE.rawValue)
    public static let chainType = UInt32(NFTA_CHAIN_TYPE.rawValue)
    public static let chainUserdata = UInt32(NFTA_CHAIN_USERDATA.rawValue)
    public static let cmpData = UInt32(NFTA_CMP_DATA.rawValue)
    public static let cmpOp = UInt32(NFTA_CMP_OP.rawValue)
    public static let cmpSreg = UInt32(NFTA_CMP_SREG.rawValue)
    public static let dataValue = UInt32(NFTA_DATA_VALUE.rawValue)
    public static let dataVerdict = UInt32(NFTA_DATA_VERDICT.rawValue)
    public static let exprData = UInt32(NFTA_EXPR_DATA.rawValue)
    public static let exprName = UInt32(NFTA_EXPR_NAME.rawValue)
    public static let hookHooknum = UInt32(NFTA_HOOK_HOOKNUM.rawValue)
    public static let hookPriority = UInt32(NFTA_HOOK_PRIORITY.rawValue)
    public static let immediateData = UInt32(NFTA_IMMEDIATE_DATA.rawValue)
    public static let immediateDreg = UInt32(NFTA_IMMEDIATE_DREG.rawValue)
    public static let listElem = UInt32(NFTA_LIST_ELEM.rawValue)
    public static let metaDreg = UInt32(NFTA_META_DREG.rawValue)
    public static let metaKey = UInt32(NFTA_META_KEY.rawValue)
    public static let payloadBase = UInt32(NFTA_PAYLOAD_BASE.rawValue)
    public static let payloadDreg = UInt32(NFTA_PAYLOAD_DREG.rawValue)
    public static let payloadLen = UInt32(NFTA_PAYLOAD_LEN.rawValue)
    public static let payloadOffset = UInt32(NFTA_PAYLOAD_OFFSET.rawValue)
    public static let ruleChain = UInt32(NFTA_RULE_CHAIN.rawValue)
    public static let ruleExpressions = UInt32(NFTA_RULE_EXPRESSIONS.rawValue)
    public static let ruleHandle = UInt32(NFTA_RULE_HANDLE.rawValue)
    public static let ruleTable = UInt32(NFTA_RULE_TABLE.rawValue)
    public static let ruleUserdata = UInt32(NFTA_RULE_USERDATA.rawValue)
    public static let tableFlags = UInt32(NFTA_TABLE_FLAGS.rawValue)
    public static let tableName = UInt32(NFTA_TABLE_NAME.rawValue)
    public static let tableUserdata = UInt32(NFTA_TABLE_USERDATA.rawValue)
    public static let verdictChain = UInt32(NFTA_VERDICT_CHAIN.rawValue)
    public static let verdictCode = UInt32(NFTA_VERDICT_CODE.rawValue)
}

/// Protocol families of nf_tables tables (NFPROTO_*).
public enum NetfilterFamily {
    public static let ipv4 = UInt8(NFPROTO_IPV4)
    public static let ipv6 = UInt8(NFPROTO_IPV6)
    public static let inet = UInt8(NFPROTO_INET)
    public static let bridge = UInt8(NFPROTO_BRIDGE)
}

/// Hook numbers of base chains: in the ip, ip6 and inet families
/// (NF_INET_*) and in the bridge family (NF_BR_*).
public enum NetfilterHook {
    public static let postRouting = UInt32(NF_INET_POST_ROUTING.rawValue)
    public static let bridgePreRouting = UInt32(CNL_NF_BR_PRE_ROUTING)
}

/// Verdict codes: the netfilter ones (NF_ACCEPT, NF_DROP; a chain policy is
/// one of them) and nf_tables' own (NFT_JUMP, NFT_GOTO, NFT_RETURN).
public enum NFTVerdict {
    public static let accept = Int32(NF_ACCEPT)
    public static let drop = Int32(NF_DROP)
    public static let jump = Int32(NFT_JUMP.rawValue)
    public static let goto = Int32(NFT_GOTO.rawValue)
    public static let `return` = Int32(NFT_RETURN.rawValue)
}

/// nf_tables registers (NFT_REG_*).
public enum NFTRegister {
    public static let verdict = UInt32(NFT_REG_VERDICT.rawValue)
    public static let one = UInt32(NFT_REG_1.rawValue)
}

/// Where a `payload` expression loads from (NFT_PAYLOAD_*_HEADER).
public enum NFTPayloadBase {
    public static let linkLayerHeader = UInt32(NFT_PAYLOAD_LL_HEADER.rawValue)
    public static let networkHeader = UInt32(NFT_PAYLOAD_NETWORK_HEADER.rawValue)
}

/// What a `meta` expression loads (NFT_META_*).
public enum NFTMetaKey {
    public static let netfilterProtocol = UInt32(NFT_META_NFPROTO.rawValue)
    public static let inputInterfaceName = UInt32(NFT_META_IIFNAME.rawValue)
}

/// `cmp` operations (NFT_CMP_*).
public enum NFTCompareOperation {
    public static let equal = UInt32(NFT_CMP_EQ.rawValue)
    public static let notEqual = UInt32(NFT_CMP_NEQ.rawValue)
}

/// Request flags beyond NLM_F_REQUEST, for `NetfilterSocket.request`.
public enum NetlinkRequestFlags {
    /// Create the object if it does not exist.
    public static let create = NLM_F_CREATE
    /// With `create`: fail if it exists.
    public static let exclusive = NLM_F_EXCL
    /// Add a rule at the end of its chain.
    public static let append = NLM_F_APPEND
}
