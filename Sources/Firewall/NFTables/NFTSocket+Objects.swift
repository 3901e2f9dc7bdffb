import CNetlink

/// A chain as the kernel reports it.
struct NFTChainInfo: Hashable, Sendable {
    var name: String
    var comment: String?
    /// For a base chain: its hook number (NF_INET_*), priority and type.
    var hook: UInt32?
    var priority: Int32?
    var type: String?
}

/// The nf_tables objects this module reads and writes, as requests on an
/// `NFTSocket`. Reads are scoped to one table (and chain); writes are
/// messages for `commit`, which applies them as one batch.
///
/// Tables and chains are added with NLM_F_CREATE and without NLM_F_EXCL,
/// as `nft add` does: adding what exists is not an error, so concurrent
/// writers may all declare them.
extension NFTSocket {
    // MARK: Reads

    /// The rules of `table` (and of `chain` only, when given), in chain
    /// order, that `keeping` accepts by chain and comment; only those have
    /// their expressions decoded (a table holds a rule per pod address).
    func rules(family: UInt8, table: String, chain: String? = nil,
               keeping: (_ chain: String, _ comment: String?) -> Bool = { _, _ in true }) throws(FirewallError) -> [NFTRule] {
        let scope = chain.map { "\(table) \($0)" } ?? table
        let replies = try dump(NFT_MSG_GETRULE, family: family, what: "list rules of \(scope)") { message in
            message.put(NFTA_RULE_TABLE.rawValue, string: table)
            if let chain { message.put(NFTA_RULE_CHAIN.rawValue, string: chain) }
        }
        return replies.compactMap { reply in
            let attributes = reply.attributes
            guard reply.type == Self.messageType(NFT_MSG_NEWRULE),
                  attributes.string(NFTA_RULE_TABLE.rawValue) == table,
                  let ruleChain = attributes.string(NFTA_RULE_CHAIN.rawValue),
                  chain == nil || ruleChain == chain
            else { return nil }
            let comment = attributes[NFTA_RULE_USERDATA.rawValue].flatMap(NFTRule.comment(inUserdata:))
            guard keeping(ruleChain, comment) else { return nil }
            let expressions = attributes.nested(NFTA_RULE_EXPRESSIONS.rawValue)?.all(NFTA_LIST_ELEM.rawValue)
                .map { NFTExpression(parsing: NetlinkAttributes(parsing: $0)) } ?? []
            return NFTRule(chain: ruleChain, handle: attributes.bigEndian64(NFTA_RULE_HANDLE.rawValue),
                           expressions: expressions, comment: comment)
        }
    }

    /// The chain `name` of `table`, or nil when the table or chain does not exist.
    func chain(family: UInt8, table: String, name: String) throws(FirewallError) -> NFTChainInfo? {
        let reply = try get(NFT_MSG_GETCHAIN, family: family, what: "get chain \(table) \(name)") { message in
            message.put(NFTA_CHAIN_TABLE.rawValue, string: table)
            message.put(NFTA_CHAIN_NAME.rawValue, string: name)
        }
        return reply.flatMap(Self.chainInfo)
    }

    /// The chains of `table` (a dump of that table's chains only).
    func chains(family: UInt8, table: String) throws(FirewallError) -> [NFTChainInfo] {
        try dump(NFT_MSG_GETCHAIN, family: family, what: "list chains of \(table)") { message in
            message.put(NFTA_CHAIN_TABLE.rawValue, string: table)
        }
        .filter { $0.attributes.string(NFTA_CHAIN_TABLE.rawValue) == table }
        .compactMap(Self.chainInfo)
    }

    private static func chainInfo(_ reply: NFTMessage) -> NFTChainInfo? {
        let attributes = reply.attributes
        guard let name = attributes.string(NFTA_CHAIN_NAME.rawValue) else { return nil }
        let hook = attributes.nested(NFTA_CHAIN_HOOK.rawValue)
        return NFTChainInfo(
            name: name,
            comment: attributes[NFTA_CHAIN_USERDATA.rawValue].flatMap(NFTRule.comment(inUserdata:)),
            hook: hook?.bigEndian32(NFTA_HOOK_HOOKNUM.rawValue),
            priority: hook?.bigEndian32(NFTA_HOOK_PRIORITY.rawValue).map { Int32(bitPattern: $0) },
            type: attributes.string(NFTA_CHAIN_TYPE.rawValue))
    }

    /// Whether `table` exists.
    func tableExists(family: UInt8, name: String) throws(FirewallError) -> Bool {
        try get(NFT_MSG_GETTABLE, family: family, what: "get table \(name)") { message in
            message.put(NFTA_TABLE_NAME.rawValue, string: name)
        } != nil
    }

    // MARK: Changes (for `commit`)

    /// `add table` (no error if it exists; an existing table keeps its comment).
    func addTable(family: UInt8, name: String, comment: String? = nil) -> NetlinkMessageBuilder {
        let message = request(NFT_MSG_NEWTABLE, family: family, flags: NLM_F_CREATE)
        message.put(NFTA_TABLE_NAME.rawValue, string: name)
        message.putBigEndian(NFTA_TABLE_FLAGS.rawValue, UInt32(0))
        if let comment { message.put(NFTA_TABLE_USERDATA.rawValue, bytes: NFTRule.userdata(comment: comment)) }
        return message
    }

    /// `add chain`; a base chain when `hook` is given (hook number,
    /// priority, type such as "nat" or "filter"), with `policy` (NF_ACCEPT…)
    /// only when given.
    func addChain(family: UInt8, table: String, name: String, comment: String? = nil,
                  hook: (number: UInt32, priority: Int32, type: String)? = nil, policy: UInt32? = nil) -> NetlinkMessageBuilder {
        let message = request(NFT_MSG_NEWCHAIN, family: family, flags: NLM_F_CREATE)
        message.put(NFTA_CHAIN_TABLE.rawValue, string: table)
        message.put(NFTA_CHAIN_NAME.rawValue, string: name)
        if let hook {
            message.nest(NFTA_CHAIN_HOOK.rawValue) { nest in
                nest.putBigEndian(NFTA_HOOK_HOOKNUM.rawValue, hook.number)
                nest.putBigEndian(NFTA_HOOK_PRIORITY.rawValue, UInt32(bitPattern: hook.priority))
            }
            if let policy { message.putBigEndian(NFTA_CHAIN_POLICY.rawValue, policy) }
            message.put(NFTA_CHAIN_TYPE.rawValue, string: hook.type)
        }
        if let comment { message.put(NFTA_CHAIN_USERDATA.rawValue, bytes: NFTRule.userdata(comment: comment)) }
        return message
    }

    /// `delete chain` (it must be empty and unreferenced by then).
    func deleteChain(family: UInt8, table: String, name: String) -> NetlinkMessageBuilder {
        let message = request(NFT_MSG_DELCHAIN, family: family)
        message.put(NFTA_CHAIN_TABLE.rawValue, string: table)
        message.put(NFTA_CHAIN_NAME.rawValue, string: name)
        return message
    }

    /// `flush chain`: deletes every rule of the chain.
    func flushChain(family: UInt8, table: String, name: String) -> NetlinkMessageBuilder {
        let message = request(NFT_MSG_DELRULE, family: family)
        message.put(NFTA_RULE_TABLE.rawValue, string: table)
        message.put(NFTA_RULE_CHAIN.rawValue, string: name)
        return message
    }

    /// `delete rule … handle N`.
    func deleteRule(family: UInt8, table: String, chain: String, handle: UInt64) -> NetlinkMessageBuilder {
        let message = request(NFT_MSG_DELRULE, family: family)
        message.put(NFTA_RULE_TABLE.rawValue, string: table)
        message.put(NFTA_RULE_CHAIN.rawValue, string: chain)
        message.putBigEndian(NFTA_RULE_HANDLE.rawValue, handle)
        return message
    }

    /// `add rule` (appended at the end of its chain).
    func addRule(family: UInt8, table: String, _ rule: NFTRule) -> NetlinkMessageBuilder {
        let message = request(NFT_MSG_NEWRULE, family: family, flags: NLM_F_CREATE | NLM_F_APPEND)
        message.put(NFTA_RULE_TABLE.rawValue, string: table)
        message.put(NFTA_RULE_CHAIN.rawValue, string: rule.chain)
        message.nest(NFTA_RULE_EXPRESSIONS.rawValue) { list in
            for expression in rule.expressions { expression.encode(into: list) }
        }
        if let comment = rule.comment { message.put(NFTA_RULE_USERDATA.rawValue, bytes: NFTRule.userdata(comment: comment)) }
        return message
    }
}
