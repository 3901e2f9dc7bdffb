import CNISpec
import CNetlink
import Testing
@testable import Firewall
import Netlink

@Suite("Firewall: nftables masquerade rules")
struct FirewallNFTablesRuleTests {
    static let c1Comment = "d00e59ce22b26331-f4d01f2ef4b92245, net: n12, if: eth0, id: c1"
    static let returnVerdict = NFTExpression.verdict(code: Int32(NFT_RETURN.rawValue), chain: nil)

    private func cidr(_ text: String) -> CIDR { CIDR(text)! }

    @Test("rule bodies in the form nft prints them", arguments: [
        ("10.12.0.2/24", "ip saddr 10.12.0.2 ip daddr != 10.12.0.0/24 masquerade"),
        ("fd00:12::2/64", "ip6 saddr fd00:12::2 ip6 daddr != fd00:12::/64 masquerade"),
    ])
    func ruleBodies(address: String, expected: String) throws {
        #expect(NFTablesMasqueradePlan.ruleBody(try #require(CIDR(address))) == expected)
    }

    @Test("destination prefixes of whole bytes load only those bytes; others load all and mask", arguments: [
        ("10.244.0.0/16", [NFTExpression.payload(base: 1, offset: 16, length: 2, register: 1),
                           .compare(register: 1, operation: 0, data: [10, 244])]),
        ("10.16.0.0/12", [.payload(base: 1, offset: 16, length: 4, register: 1),
                          .bitwise(register: 1, mask: [255, 240, 0, 0], xor: [0, 0, 0, 0]),
                          .compare(register: 1, operation: 0, data: [10, 16, 0, 0])]),
        ("0.0.0.0/0", [.payload(base: 1, offset: 16, length: 4, register: 1),
                       .bitwise(register: 1, mask: [0, 0, 0, 0], xor: [0, 0, 0, 0]),
                       .compare(register: 1, operation: 0, data: [0, 0, 0, 0])]),
        ("fd00:1::/32", [.payload(base: 1, offset: 24, length: 4, register: 1),
                         .compare(register: 1, operation: 0, data: [0xfd, 0, 0, 1])]),
    ])
    func destinationEncoding(prefix: String, expected: [NFTExpression]) {
        #expect(NFTAddressMatch.destination(cidr(prefix), equal: true) == expected)
    }

    @Test("the attachment's rules: per address its exemptions of that family, then its masquerade, all tagged")
    func wantedRules() {
        let wanted = NFTablesMasqueradeRules.wanted(
            network: "n12", attachment: Attachment(containerID: "c1", ifname: "eth0"),
            addresses: [cidr("10.12.0.2/24"), cidr("fd00:12::2/64")],
            nonMasquerade: [cidr("10.0.0.0/8"), cidr("fd00::/32"), cidr("10.0.0.9/8")])
        let tag = "comment \"\(Self.c1Comment)\""
        #expect(wanted.map(\.text) == [
            "ip saddr 10.12.0.2 ip daddr 10.0.0.0/8 return \(tag)",
            "ip saddr 10.12.0.2 ip daddr != 10.12.0.0/24 masquerade \(tag)",
            "ip6 saddr fd00:12::2 ip6 daddr fd00::/32 return \(tag)",
            "ip6 saddr fd00:12::2 ip6 daddr != fd00:12::/64 masquerade \(tag)",
        ])
        #expect(wanted.allSatisfy { $0.rule.comment == Self.c1Comment && $0.rule.chain == "masq_checks" })
        #expect(wanted.map { $0.rule.expressions.last } == [Self.returnVerdict, .masquerade, Self.returnVerdict, .masquerade])
        #expect(wanted[1].rule.expressions == NFTAddressMatch.family(.v4) + NFTAddressMatch.source(IPAddress("10.12.0.2")!)
                + NFTAddressMatch.destination(cidr("10.12.0.0/24"), equal: false) + [.masquerade])
    }

    @Test("postrouting is ready only with exactly the reference's three rules, in order")
    func postroutingReady() {
        let rules = NFTablesMasqueradeRules.postroutingRules
        #expect(NFTablesMasqueradeRules.postroutingReady(rules))
        #expect(!NFTablesMasqueradeRules.postroutingReady(Array(rules.dropLast())))
        #expect(!NFTablesMasqueradeRules.postroutingReady(rules.reversed()))
        #expect(!NFTablesMasqueradeRules.postroutingReady([]))
        #expect(rules.last?.expressions == [.verdict(code: Int32(NFT_GOTO.rawValue), chain: "masq_checks")])
    }

    @Test("rules compare equal whatever their handles")
    func sameRuleIgnoresHandle() {
        let rule = NFTablesMasqueradeRules.masqueradeRule(cidr("10.12.0.2/24"), comment: "x")
        var listed = rule
        listed.handle = 42
        #expect(NFTablesMasqueradeRules.sameRule(listed, rule))
        listed.comment = "y"
        #expect(!NFTablesMasqueradeRules.sameRule(listed, rule))
    }

    @Test("comments are stored as nft stores them in userdata, and read back")
    func commentUserdata() {
        let bytes = NFTRule.userdata(comment: "abc")
        #expect(bytes == [0, 4, 0x61, 0x62, 0x63, 0])
        #expect(NFTRule.comment(inUserdata: bytes[...]) == "abc")
        #expect(NFTRule.comment(inUserdata: ([1, 2, 9, 9] + bytes)[...]) == "abc")
        #expect(NFTRule.comment(inUserdata: [0, 9, 0x61][...]) == nil)
    }

    @Test("a message built with libnl parses back into its attributes")
    func messageRoundTrip() throws {
        let message = NetlinkMessageBuilder(type: 0x0a06, flags: 0, family: 1, sequence: 7)
        message.put(1, string: "cni_plugins_masquerade")
        message.putBigEndian(3, UInt64(0x0102_0304_0506_0708))
        message.nest(4) { list in
            list.nest(1) { element in element.putBigEndian(2, UInt32(0xdead_beef)) }
            list.nest(1) { element in element.put(1, string: "masq") }
        }
        let bytes = try #require(message.bytes)
        #expect(bytes.count % 4 == 0)
        let attributes = NetlinkAttributes(parsing: Array(bytes.dropFirst(20)))
        #expect(attributes.string(1) == "cni_plugins_masquerade")
        #expect(attributes.bigEndian64(3) == 0x0102_0304_0506_0708)
        let elements = try #require(attributes.nested(4)).all(1).map { NetlinkAttributes(parsing: $0) }
        #expect(elements.count == 2)
        #expect(elements.first?.bigEndian32(2) == 0xdead_beef)
        #expect(elements.last?.string(1) == "masq")
        #expect(NetlinkAttributes(parsing: [8, 0, 1, 0, 1, 2]).entries.isEmpty, "a truncated attribute is not read")
    }

    @Test("expressions the kernel reports are read back as what we encode")
    func expressionRoundTrip() throws {
        let expressions = NFTAddressMatch.family(.v6) + NFTAddressMatch.source(IPAddress("fd00::2")!)
            + NFTAddressMatch.destination(cidr("fd00::/61"), equal: false)
            + [.masquerade, .verdict(code: Int32(NFT_GOTO.rawValue), chain: "masq_checks")]
        let message = NetlinkMessageBuilder(type: 0x0a06, flags: 0, family: 1, sequence: 1)
        message.nest(NFTA_RULE_EXPRESSIONS.rawValue) { list in expressions.forEach { $0.encode(into: list) } }
        let bytes = try #require(message.bytes)
        let list = try #require(NetlinkAttributes(parsing: Array(bytes.dropFirst(20))).nested(NFTA_RULE_EXPRESSIONS.rawValue))
        #expect(list.all(NFTA_LIST_ELEM.rawValue).map { NFTExpression(parsing: NetlinkAttributes(parsing: $0)) } == expressions)
    }
}
