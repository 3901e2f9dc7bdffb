import CNISpec
import CNetlink
import TestKit
import Testing
@testable import Firewall
import Netlink

/// The nf_tables netlink encoding, checked against the kernel and nft
/// rather than against bytes written by hand: what we send, nft lists as
/// the reference's text; what nft makes from that text, we read back as
/// the very expressions we would send. Each test works in a table of its
/// own (gated like the other firewall integration tests).
@Suite("Firewall: nf_tables over netlink (root, private netns)", .serialized,
       .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct FirewallNetlinkEncodingTests {
    static let family = UInt8(NFPROTO_INET)

    /// Destination prefixes of every encoding nft uses: whole bytes (a
    /// shorter load), other lengths and /0 (full load and a mask), a host.
    static let prefixes: [(source: String, destination: String, printed: String)] = [
        ("10.1.2.3", "10.0.0.0/8", "10.0.0.0/8"),
        ("10.1.2.3", "10.244.0.0/16", "10.244.0.0/16"),
        ("10.1.2.3", "10.1.2.0/24", "10.1.2.0/24"),
        ("10.1.2.3", "10.16.0.0/12", "10.16.0.0/12"),
        ("10.1.2.3", "192.168.0.0/20", "192.168.0.0/20"),
        ("10.1.2.3", "224.0.0.0/4", "224.0.0.0/4"),
        ("10.1.2.3", "0.0.0.0/0", "0.0.0.0/0"),
        ("10.1.2.3", "10.9.9.9/32", "10.9.9.9"),
        ("fd00::3", "fd00::/8", "fd00::/8"),
        ("fd00::3", "fd00:1::/48", "fd00:1::/48"),
        ("fd00::3", "fd00:1::/61", "fd00:1::/61"),
        ("fd00::3", "fd00:12::/64", "fd00:12::/64"),
        ("fd00::3", "::/0", "::/0"),
        ("fd00::3", "fd00::9/128", "fd00::9"),
    ]

    private func makeTable(_ socket: NFTSocket, _ table: String) throws {
        try socket.commit([socket.addTable(family: Self.family, name: table),
                           socket.addChain(family: Self.family, table: table, name: "c")], what: "test table")
    }

    private func deleteTable(_ table: String) {
        _ = try? FirewallTestSandbox.run("nft", ["delete", "table", "inet", table])
    }

    @Test("rules we send are listed by nft as the text they stand for", arguments: [true, false])
    func oursReadByNft(equal: Bool) throws {
        let table = FirewallTestSandbox.uniqueID("enc")
        let socket = try NFTSocket()
        try makeTable(socket, table)
        defer { deleteTable(table) }
        let rules = Self.prefixes.map { entry in
            let source = IPAddress(entry.source)!
            let family = source.family
            let verdict: NFTExpression = equal ? .verdict(code: Int32(NFT_RETURN.rawValue), chain: nil) : .masquerade
            return NFTRule(chain: "c", expressions: NFTAddressMatch.family(family) + NFTAddressMatch.source(source)
                               + NFTAddressMatch.destination(CIDR(entry.destination)!, equal: equal) + [verdict],
                           comment: "tag \(entry.destination)")
        }
        try socket.commit(rules.map { socket.addRule(family: Self.family, table: table, $0) }, what: "test rules")
        let listed = try FirewallTestSandbox.run("nft", ["list", "chain", "inet", table, "c"])
        for entry in Self.prefixes {
            let keyword = entry.source.contains(":") ? "ip6" : "ip"
            let operation = equal ? "" : "!= "
            let verdict = equal ? "return" : "masquerade"
            let line = "\(keyword) saddr \(entry.source) \(keyword) daddr \(operation)\(entry.printed) \(verdict) comment \"tag \(entry.destination)\""
            #expect(listed.contains(line), "missing: \(line)\n\(listed)")
        }
    }

    @Test("rules nft makes from text read back as exactly the expressions we send")
    func nftsReadByUs() throws {
        let table = FirewallTestSandbox.uniqueID("enc")
        let socket = try NFTSocket()
        try makeTable(socket, table)
        defer { deleteTable(table) }
        let script = Self.prefixes.map { entry in
            let keyword = entry.source.contains(":") ? "ip6" : "ip"
            return "add rule inet \(table) c \(keyword) saddr \(entry.source) \(keyword) daddr != \(entry.destination) masquerade comment \"n \(entry.destination)\"\n"
        }.joined()
        _ = try FirewallTestSandbox.run("nft", ["-f", "-"], stdin: script)
        let read = try socket.rules(family: Self.family, table: table, chain: "c")
        try #require(read.count == Self.prefixes.count)
        for (rule, entry) in zip(read, Self.prefixes) {
            let source = IPAddress(entry.source)!
            let expected = NFTAddressMatch.family(source.family) + NFTAddressMatch.source(source)
                + NFTAddressMatch.destination(CIDR(entry.destination)!, equal: false) + [.masquerade]
            #expect(rule.expressions == expected, "\(entry.destination)")
            #expect(rule.comment == "n \(entry.destination)")
            #expect(rule.handle != nil)
        }
    }

    @Test("the masquerade table as the reference's nft writes it is read as ready, and ours is what nft -j lists")
    func referenceTableShape() throws {
        let socket = try NFTSocket()
        let table = FirewallTestSandbox.uniqueID("ref")
        defer { deleteTable(table) }
        _ = try FirewallTestSandbox.run("nft", ["-f", "-"], stdin: """
            add table inet \(table) { comment "t" ; }
            add chain inet \(table) masq_checks { comment "m" ; }
            add chain inet \(table) postrouting { type nat hook postrouting priority 100 ; }
            add rule inet \(table) postrouting ip daddr == 224.0.0.0/4  return
            add rule inet \(table) postrouting ip6 daddr == ff00::/8  return
            add rule inet \(table) postrouting goto masq_checks

            """)
        let postrouting = try socket.rules(family: Self.family, table: table, chain: "postrouting")
        #expect(NFTablesMasqueradeRules.postroutingReady(postrouting))
        let chain = try #require(try socket.chain(family: Self.family, table: table, name: "postrouting"))
        #expect(chain.hook == NFTablesMasqueradeRules.postroutingHook.number)
        #expect(chain.priority == 100)
        #expect(chain.type == "nat")
        #expect(try socket.chain(family: Self.family, table: table, name: "masq_checks")?.comment == "m")
        #expect(try socket.chain(family: Self.family, table: table, name: "absent") == nil)
        #expect(try socket.chain(family: Self.family, table: table + "-absent", name: "postrouting") == nil)
        #expect(try socket.rules(family: Self.family, table: table + "-absent").isEmpty)

        let ours = FirewallTestSandbox.uniqueID("ours")
        defer { deleteTable(ours) }
        try socket.commit([socket.addTable(family: Self.family, name: ours, comment: "table comment"),
                           socket.addChain(family: Self.family, table: ours, name: "masq_checks", comment: "chain comment"),
                           socket.addChain(family: Self.family, table: ours, name: "postrouting",
                                           hook: NFTablesMasqueradeRules.postroutingHook)]
                          + NFTablesMasqueradeRules.postroutingRules.map { socket.addRule(family: Self.family, table: ours, $0) },
                          what: "test table")
        // nft 1.0's JSON omits table and chain comments: those are checked in the text form.
        let text = try FirewallTestSandbox.run("nft", ["list", "table", "inet", ours])
        #expect(text.contains("\tcomment \"table comment\"\n"), "\(text)")
        #expect(text.contains("\t\tcomment \"chain comment\"\n"), "\(text)")
        let json = try FirewallTestSandbox.run("nft", ["-j", "list", "table", "inet", ours])
        #expect(json.contains(#""type": "nat", "hook": "postrouting", "prio": 100"#), "\(json)")
        #expect(json.contains(#"{"goto": {"target": "masq_checks"}}"#), "\(json)")
        #expect(json.contains(#""right": {"prefix": {"addr": "224.0.0.0", "len": 4}}"#), "\(json)")
    }

    @Test("a batch fails as a whole: a rule deleted by someone else makes nothing of it happen")
    func batchIsAtomic() throws {
        let table = FirewallTestSandbox.uniqueID("atomic")
        let socket = try NFTSocket()
        try makeTable(socket, table)
        defer { deleteTable(table) }
        let rule = NFTRule(chain: "c", expressions: [.masquerade], comment: "first")
        try socket.commit([socket.addRule(family: Self.family, table: table, rule)], what: "add")
        let handle = try #require(try socket.rules(family: Self.family, table: table).first?.handle)
        try socket.commit([socket.deleteRule(family: Self.family, table: table, chain: "c", handle: handle)], what: "delete")
        let again = NFTRule(chain: "c", expressions: [.masquerade], comment: "second")
        #expect(throws: FirewallError.netlink(operation: "stale", errno: ENOENT)) {
            try socket.commit([socket.addRule(family: Self.family, table: table, again),
                               socket.deleteRule(family: Self.family, table: table, chain: "c", handle: handle)], what: "stale")
        }
        #expect(try socket.rules(family: Self.family, table: table).isEmpty)
    }
}
