import Netlink

/// A chain as the kernel reports it.
struct NFTChainInfo: Hashable, Sendable {
    var name: String
    var comment: String?
    /// For a base chain: its hook number (NF_INET_*), priority and type.
    var hook: UInt32?
    var priority: Int32?
    var type: String?
}

/// An nf_tables socket for the objects this module reads and writes:
/// tables, chains and rules, as requests on Netlink's `NetfilterSocket`
/// (which knows the wire, not the objects). Reads are scoped to one table
/// (and chain); writes are messages for `commit`, which applies them as one
/// batch. Failures come back as `FirewallError.netlink`.
///
/// Tables and chains are added with NLM_F_CREATE and without NLM_F_EXCL,
/// as `nft add` does: adding what exists is not an error, so concurrent
/// writers may all declare them.
final class NFTSocket {
    private let wire: NetfilterSocket

    init() throws(FirewallError) {
        wire = try nftables { () throws(NetfilterError) in try NetfilterSocket() }
    }

    /// The netlink port id of the socket (as /proc/net/netlink lists it).
    var localPort: UInt32 { wire.localPort }

    /// Applies `changes` as one atomic batch (see `NetfilterSocket.commit`).
    func commit(_ changes: [NetlinkMessageBuilder], what: String) throws(FirewallError) {
        try nftables { () throws(NetfilterError) in try wire.commit(changes, what: what) }
    }

    // MARK: Reads

    /// The rules of `table` (and of `chain` only, when given), in chain
    /// order, that `keeping` accepts by chain and comment; only those have
    /// their expressions decoded (a table holds a rule per pod address).
    func rules(family: UInt8, table: String, chain: String? = nil,
               keeping: (_ chain: String, _ comment: String?) -> Bool = { _, _ in true }) throws(FirewallError) -> [NFTRule] {
        let scope = chain.map { "\(table) \($0)" } ?? table
        let replies = try nftables { () throws(NetfilterError) in
            try wire.dump(.getRule, family: family, what: "list rules of \(scope)") { message in
                message.put(NFTAttribute.ruleTable, string: table)
                if let chain { message.put(NFTAttribute.ruleChain, string: chain) }
            }
        }
        return replies.compactMap { reply in
            let attributes = reply.attributes
            guard reply.type == NetfilterSocket.messageType(.newRule),
                  attributes.string(NFTAttribute.ruleTable) == table,
                  let ruleChain = attributes.string(NFTAttribute.ruleChain),
                  chain == nil || ruleChain == chain
            else { return nil }
            let comment = attributes[NFTAttribute.ruleUserdata].flatMap(NFTRule.comment(inUserdata:))
            guard keeping(ruleChain, comment) else { return nil }
            let expressions = attributes.nested(NFTAttribute.ruleExpressions)?.all(NFTAttribute.listElem)
                .map { NFTExpression(parsing: NetlinkAttributes(parsing: $0)) } ?? []
            return NFTRule(chain: ruleChain, handle: attributes.bigEndian64(NFTAttribute.ruleHandle),
                           expressions: expressions, comment: comment)
        }
    }

    /// The chain `name` of `table`, or nil when the table or chain does not exist.
    func chain(family: UInt8, table: String, name: String) throws(FirewallError) -> NFTChainInfo? {
        let reply = try nftables { () throws(NetfilterError) in
            try wire.get(.getChain, family: family, what: "get chain \(table) \(name)") { message in
                message.put(NFTAttribute.chainTable, string: table)
                message.put(NFTAttribute.chainName, string: name)
            }
        }
        return reply.flatMap(Self.chainInfo)
    }

    /// The chains of `table` (a dump of that table's chains only).
    func chains(family: UInt8, table: String) throws(FirewallError) -> [NFTChainInfo] {
        try nftables { () throws(NetfilterError) in
            try wire.dump(.getChain, family: family, what: "list chains of \(table)") { message in
                message.put(NFTAttribute.chainTable, string: table)
            }
        }
        .filter { $0.attributes.string(NFTAttribute.chainTable) == table }
        .compactMap(Self.chainInfo)
    }

    private static func chainInfo(_ reply: NFTMessage) -> NFTChainInfo? {
        let attributes = reply.attributes
        guard let name = attributes.string(NFTAttribute.chainName) else { return nil }
        let hook = attributes.nested(NFTAttribute.chainHook)
        return NFTChainInfo(
            name: name,
            comment: attributes[NFTAttribute.chainUserdata].flatMap(NFTRule.comment(inUserdata:)),
            hook: hook?.bigEndian32(NFTAttribute.hookHooknum),
            priority: hook?.bigEndian32(NFTAttribute.hookPriority).map { Int32(bitPattern: $0) },
            type: attributes.string(NFTAttribute.chainType))
    }

    /// Whether `table` exists.
    func tableExists(family: UInt8, name: String) throws(FirewallError) -> Bool {
        try nftables { () throws(NetfilterError) in
            try wire.get(.getTable, family: family, what: "get table \(name)") { message in
                message.put(NFTAttribute.tableName, string: name)
            }
        } != nil
    }

    // MARK: Changes (for `commit`)

    /// `add table` (no error if it exists; an existing table keeps its comment).
    func addTable(family: UInt8, name: String, comment: String? = nil) -> NetlinkMessageBuilder {
        let message = wire.request(NFTMessageKind.newTable, family: family, flags: NetlinkRequestFlags.create)
        message.put(NFTAttribute.tableName, string: name)
        message.putBigEndian(NFTAttribute.tableFlags, UInt32(0))
        if let comment { message.put(NFTAttribute.tableUserdata, bytes: NFTRule.userdata(comment: comment)) }
        return message
    }

    /// `add chain`; a base chain when `hook` is given (hook number,
    /// priority, type such as "nat" or "filter"), with `policy` (NF_ACCEPT…)
    /// only when given.
    func addChain(family: UInt8, table: String, name: String, comment: String? = nil,
                  hook: (number: UInt32, priority: Int32, type: String)? = nil, policy: UInt32? = nil) -> NetlinkMessageBuilder {
        let message = wire.request(NFTMessageKind.newChain, family: family, flags: NetlinkRequestFlags.create)
        message.put(NFTAttribute.chainTable, string: table)
        message.put(NFTAttribute.chainName, string: name)
        if let hook {
            message.nest(NFTAttribute.chainHook) { nest in
                nest.putBigEndian(NFTAttribute.hookHooknum, hook.number)
                nest.putBigEndian(NFTAttribute.hookPriority, UInt32(bitPattern: hook.priority))
            }
            if let policy { message.putBigEndian(NFTAttribute.chainPolicy, policy) }
            message.put(NFTAttribute.chainType, string: hook.type)
        }
        if let comment { message.put(NFTAttribute.chainUserdata, bytes: NFTRule.userdata(comment: comment)) }
        return message
    }

    /// `delete chain` (it must be empty and unreferenced by then).
    func deleteChain(family: UInt8, table: String, name: String) -> NetlinkMessageBuilder {
        let message = wire.request(NFTMessageKind.deleteChain, family: family)
        message.put(NFTAttribute.chainTable, string: table)
        message.put(NFTAttribute.chainName, string: name)
        return message
    }

    /// `flush chain`: deletes every rule of the chain.
    func flushChain(family: UInt8, table: String, name: String) -> NetlinkMessageBuilder {
        let message = wire.request(NFTMessageKind.deleteRule, family: family)
        message.put(NFTAttribute.ruleTable, string: table)
        message.put(NFTAttribute.ruleChain, string: name)
        return message
    }

    /// `delete rule … handle N`.
    func deleteRule(family: UInt8, table: String, chain: String, handle: UInt64) -> NetlinkMessageBuilder {
        let message = wire.request(NFTMessageKind.deleteRule, family: family)
        message.put(NFTAttribute.ruleTable, string: table)
        message.put(NFTAttribute.ruleChain, string: chain)
        message.putBigEndian(NFTAttribute.ruleHandle, handle)
        return message
    }

    /// `add rule` (appended at the end of its chain).
    func addRule(family: UInt8, table: String, _ rule: NFTRule) -> NetlinkMessageBuilder {
        let message = wire.request(NFTMessageKind.newRule, family: family, flags: NetlinkRequestFlags.create | NetlinkRequestFlags.append)
        message.put(NFTAttribute.ruleTable, string: table)
        message.put(NFTAttribute.ruleChain, string: rule.chain)
        message.nest(NFTAttribute.ruleExpressions) { list in
            for expression in rule.expressions { expression.encode(into: list) }
        }
        if let comment = rule.comment { message.put(NFTAttribute.ruleUserdata, bytes: NFTRule.userdata(comment: comment)) }
        return message
    }
}
