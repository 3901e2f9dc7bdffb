import CNISpec
import Testing
@testable import Firewall

@Suite("Firewall: iptables masquerade rule text")
struct FirewallIPTablesRuleTests {
    static let chain = "CNI-3bad8336b4879a950a9a2ee9"
    static let comment = #"name: "mynet" id: "ctr1id""#
    static let quotedComment = #""name: \"mynet\" id: \"ctr1id\"""#

    /// `iptables -t nat -S` after the reference set up mynet/ctr1id with 10.1.0.2/16.
    static let referenceListing = """
        -P PREROUTING ACCEPT
        -P INPUT ACCEPT
        -P OUTPUT ACCEPT
        -P POSTROUTING ACCEPT
        -N CNI-3bad8336b4879a950a9a2ee9
        -A POSTROUTING -s 10.1.0.2/32 -m comment --comment \(quotedComment) -j CNI-3bad8336b4879a950a9a2ee9
        -A CNI-3bad8336b4879a950a9a2ee9 -d 10.1.0.0/16 -m comment --comment \(quotedComment) -j ACCEPT
        -A CNI-3bad8336b4879a950a9a2ee9 ! -d 224.0.0.0/4 -m comment --comment \(quotedComment) -j MASQUERADE

        """

    static let emptyListing = "-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n"

    @Test("wanted rules per family, in reference form", arguments: [
        ("10.1.0.2/16", [
            "-A CNI-3bad8336b4879a950a9a2ee9 -d 10.1.0.0/16 -m comment --comment \(quotedComment) -j ACCEPT",
            "-A CNI-3bad8336b4879a950a9a2ee9 ! -d 224.0.0.0/4 -m comment --comment \(quotedComment) -j MASQUERADE",
            "-A POSTROUTING -s 10.1.0.2/32 -m comment --comment \(quotedComment) -j CNI-3bad8336b4879a950a9a2ee9",
        ]),
        ("fd00:12::2/64", [
            "-A CNI-3bad8336b4879a950a9a2ee9 -d fd00:12::/64 -m comment --comment \(quotedComment) -j ACCEPT",
            "-A CNI-3bad8336b4879a950a9a2ee9 ! -d ff00::/8 -m comment --comment \(quotedComment) -j MASQUERADE",
            "-A POSTROUTING -s fd00:12::2/128 -m comment --comment \(quotedComment) -j CNI-3bad8336b4879a950a9a2ee9",
        ]),
    ])
    func wantedRules(address: String, expected: [String]) throws {
        let cidr = try #require(CIDR(address))
        let rules = IPTablesMasqueradePlan.wantedRules(network: "mynet", containerID: "ctr1id", addresses: [cidr])
        #expect(rules.map(\.description) == expected)
    }

    @Test("two addresses of one family share one MASQUERADE rule, ACCEPTs first")
    func twoAddresses() throws {
        let addresses = [try #require(CIDR("10.1.0.2/16")), try #require(CIDR("10.2.0.2/24"))]
        let rules = IPTablesMasqueradePlan.wantedRules(network: "mynet", containerID: "ctr1id", addresses: addresses)
        #expect(rules.map { $0.spec.last! } == ["ACCEPT", "ACCEPT", "MASQUERADE", Self.chain, Self.chain])
    }

    @Test("listing lines parse into rules equal to the generated ones")
    func listingParses() throws {
        let listing = IPTablesListing(parsing: Self.referenceListing)
        #expect(listing.chains == ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING", Self.chain])
        #expect(listing.rules.count == 3)
        let cidr = try #require(CIDR("10.1.0.2/16"))
        for rule in IPTablesMasqueradePlan.wantedRules(network: "mynet", containerID: "ctr1id", addresses: [cidr]) {
            #expect(listing.contains(rule), "\(rule)")
        }
        #expect(listing.rules[0].comment == Self.comment)
        #expect(listing.rules[0].target == Self.chain)
    }

    @Test("tokenizer undoes iptables quoting", arguments: [
        (#"-A X -m comment --comment "a \"b\" c\\d" -j ACCEPT"#, ["-A", "X", "-m", "comment", "--comment", #"a "b" c\d"#, "-j", "ACCEPT"]),
        ("-A X ! -d 224.0.0.0/4 -j MASQUERADE", ["-A", "X", "!", "-d", "224.0.0.0/4", "-j", "MASQUERADE"]),
        (#"-A X --comment """#, ["-A", "X", "--comment", ""]),
    ])
    func tokenizer(line: String, expected: [String]) {
        #expect(IPTablesRule.tokenize(line[...]) == expected)
    }

    @Test("an unterminated quote is not a rule")
    func unterminatedQuote() {
        #expect(IPTablesRule.tokenize(#"-A X --comment "open"#[...]) == nil)
    }

    @Test("quoting round-trips through the tokenizer", arguments: ["plain", "with space", #"q"uote"#, #"back\slash"#, ""])
    func quotingRoundTrip(token: String) {
        #expect(IPTablesRule.tokenize(IPTablesRule.quoted(token)[...]) == [token])
    }

    @Test("bare addresses after -s/-d normalise to address/prefix")
    func addressNormalisation() {
        let rule = IPTablesRule(chain: "POSTROUTING", spec: ["-s", "10.1.0.2", "-d", "fd00:0:0::1/64", "-j", "X"])
        #expect(rule.spec == ["-s", "10.1.0.2/32", "-d", "fd00::1/64", "-j", "X"])
    }

    @Test("setUp on an empty table creates the chain and appends every rule")
    func setUpFresh() throws {
        let lines = IPTablesMasqueradePlan.setUpLines(
            listing: IPTablesListing(parsing: Self.emptyListing), network: "mynet", containerID: "ctr1id",
            addresses: [try #require(CIDR("10.1.0.2/16"))])
        #expect(lines == [
            "-N \(Self.chain)",
            "-A \(Self.chain) -d 10.1.0.0/16 -m comment --comment \(Self.quotedComment) -j ACCEPT",
            "-A \(Self.chain) ! -d 224.0.0.0/4 -m comment --comment \(Self.quotedComment) -j MASQUERADE",
            "-A POSTROUTING -s 10.1.0.2/32 -m comment --comment \(Self.quotedComment) -j \(Self.chain)",
        ])
    }

    @Test("setUp over the reference's rules changes nothing")
    func setUpIdempotent() throws {
        let lines = IPTablesMasqueradePlan.setUpLines(
            listing: IPTablesListing(parsing: Self.referenceListing), network: "mynet", containerID: "ctr1id",
            addresses: [try #require(CIDR("10.1.0.2/16"))])
        #expect(lines.isEmpty)
    }

    @Test("setUp of a second subnet rewrites the existing chain with every ACCEPT before the MASQUERADE")
    func setUpSecondSubnet() throws {
        let lines = IPTablesMasqueradePlan.setUpLines(
            listing: IPTablesListing(parsing: Self.referenceListing), network: "mynet", containerID: "ctr1id",
            addresses: [try #require(CIDR("10.1.0.2/16")), try #require(CIDR("10.9.0.5/24"))])
        #expect(lines == [
            "-F \(Self.chain)",
            "-A \(Self.chain) -d 10.1.0.0/16 -m comment --comment \(Self.quotedComment) -j ACCEPT",
            "-A \(Self.chain) -d 10.9.0.0/24 -m comment --comment \(Self.quotedComment) -j ACCEPT",
            "-A \(Self.chain) ! -d 224.0.0.0/4 -m comment --comment \(Self.quotedComment) -j MASQUERADE",
            "-A POSTROUTING -s 10.9.0.5/32 -m comment --comment \(Self.quotedComment) -j \(Self.chain)",
        ])
    }

    @Test("taking back a setUp that joined an existing chain restores the chain's rules and removes only its jumps")
    func restoreJoinedChain() throws {
        let before = IPTablesListing(parsing: Self.referenceListing)
        let state = IPTablesMasqueradePlan.ChainState(listing: before, chain: Self.chain)
        #expect(IPTablesMasqueradePlan.restoreLines(listing: before, to: state).isEmpty)
        // The second subnet's setUp, applied: the rewritten chain and one more jump.
        let setUp = IPTablesMasqueradePlan.setUpLines(
            listing: before, network: "mynet", containerID: "ctr1id",
            addresses: [try #require(CIDR("10.1.0.2/16")), try #require(CIDR("10.9.0.5/24"))])
        let after = IPTablesListing(parsing: Self.referenceListing + "\n" + [
            "-A \(Self.chain) -d 10.9.0.0/24 -m comment --comment \(Self.quotedComment) -j ACCEPT",
            "-A POSTROUTING -s 10.9.0.5/32 -m comment --comment \(Self.quotedComment) -j \(Self.chain)",
        ].joined(separator: "\n"))
        #expect(!setUp.isEmpty)

        #expect(IPTablesMasqueradePlan.restoreLines(listing: after, to: state) == [
            "-F \(Self.chain)",
            "-A \(Self.chain) -d 10.1.0.0/16 -m comment --comment \(Self.quotedComment) -j ACCEPT",
            "-A \(Self.chain) ! -d 224.0.0.0/4 -m comment --comment \(Self.quotedComment) -j MASQUERADE",
            "-D POSTROUTING -s 10.9.0.5/32 -m comment --comment \(Self.quotedComment) -j \(Self.chain)",
        ])
    }

    @Test("nonMasqueradeCIDRs of the family become ACCEPTs after the subnet's, before the MASQUERADE")
    func nonMasqueradeExemptions() throws {
        let rules = IPTablesMasqueradePlan.wantedRules(
            network: "mynet", containerID: "ctr1id", addresses: [try #require(CIDR("10.1.0.2/16"))],
            nonMasquerade: [try #require(CIDR("10.0.0.0/8")), try #require(CIDR("fd00::/48")), try #require(CIDR("10.1.0.0/16"))])
        #expect(rules.map(\.description) == [
            "-A \(Self.chain) -d 10.1.0.0/16 -m comment --comment \(Self.quotedComment) -j ACCEPT",
            "-A \(Self.chain) -d 10.0.0.0/8 -m comment --comment \(Self.quotedComment) -j ACCEPT",
            "-A \(Self.chain) ! -d 224.0.0.0/4 -m comment --comment \(Self.quotedComment) -j MASQUERADE",
            "-A POSTROUTING -s 10.1.0.2/32 -m comment --comment \(Self.quotedComment) -j \(Self.chain)",
        ])
    }

    @Test("setUp over the reference's chain adds the exemptions by rewriting the chain")
    func setUpAddsExemptions() throws {
        let lines = IPTablesMasqueradePlan.setUpLines(
            listing: IPTablesListing(parsing: Self.referenceListing), network: "mynet", containerID: "ctr1id",
            addresses: [try #require(CIDR("10.1.0.2/16"))], nonMasquerade: [try #require(CIDR("10.0.0.0/8"))])
        #expect(lines == [
            "-F \(Self.chain)",
            "-A \(Self.chain) -d 10.1.0.0/16 -m comment --comment \(Self.quotedComment) -j ACCEPT",
            "-A \(Self.chain) -d 10.0.0.0/8 -m comment --comment \(Self.quotedComment) -j ACCEPT",
            "-A \(Self.chain) ! -d 224.0.0.0/4 -m comment --comment \(Self.quotedComment) -j MASQUERADE",
        ])
    }

    @Test("a fresh setUp creates the chain without listing: -N first, then every wanted rule")
    func freshSetUp() throws {
        let lines = IPTablesMasqueradePlan.freshSetUpLines(
            network: "mynet", containerID: "ctr1id", addresses: [try #require(CIDR("10.1.0.2/16"))])
        let listed = IPTablesMasqueradePlan.setUpLines(
            listing: IPTablesListing(parsing: Self.emptyListing), network: "mynet", containerID: "ctr1id",
            addresses: [try #require(CIDR("10.1.0.2/16"))])
        #expect(lines == listed)
    }

    @Test("tearDown deletes every jump to the chain (any -s form), then flushes and deletes it")
    func tearDown() {
        let listing = IPTablesListing(parsing: Self.referenceListing
            + "-A POSTROUTING -s 10.1.0.0/16 -m comment --comment \(Self.quotedComment) -j \(Self.chain)\n")
        let lines = IPTablesMasqueradePlan.tearDownLines(listing: listing, network: "mynet", containerID: "ctr1id")
        #expect(lines == [
            "-D POSTROUTING -s 10.1.0.2/32 -m comment --comment \(Self.quotedComment) -j \(Self.chain)",
            "-D POSTROUTING -s 10.1.0.0/16 -m comment --comment \(Self.quotedComment) -j \(Self.chain)",
            "-F \(Self.chain)",
            "-X \(Self.chain)",
        ])
    }

    @Test("tearDown with nothing installed plans nothing")
    func tearDownNothing() {
        let lines = IPTablesMasqueradePlan.tearDownLines(
            listing: IPTablesListing(parsing: Self.emptyListing), network: "mynet", containerID: "ctr1id")
        #expect(lines.isEmpty)
    }

    @Test("GC removes chains of the network whose container is not valid, and nothing else")
    func garbageCollect() throws {
        // mynet/ctr1id (reference listing), mynet/ctr2id, othernet/ctr3id, and a portmap-style chain.
        var text = Self.referenceListing
        let address = try #require(CIDR("10.1.0.3/16"))
        for (network, id) in [("mynet", "ctr2id"), ("othernet", "ctr3id")] {
            let chain = IPTablesMasqueradePlan.chainName(network: network, containerID: id)
            text += "-N \(chain)\n"
            for rule in IPTablesMasqueradePlan.wantedRules(network: network, containerID: id, addresses: [address]) {
                text += rule.description + "\n"
            }
        }
        text += "-N CNI-DN-0123456789abcdef01234\n-A CNI-DN-0123456789abcdef01234 -m comment --comment \(Self.quotedComment) -j ACCEPT\n"
        let listing = IPTablesListing(parsing: text)

        let lines = IPTablesMasqueradePlan.garbageCollectLines(listing: listing, network: "mynet", validContainerIDs: ["ctr2id"])
        #expect(lines == [
            "-D POSTROUTING -s 10.1.0.2/32 -m comment --comment \(Self.quotedComment) -j \(Self.chain)",
            "-F \(Self.chain)",
            "-X \(Self.chain)",
        ])
        #expect(IPTablesMasqueradePlan.garbageCollectLines(listing: listing, network: "mynet", validContainerIDs: ["ctr1id", "ctr2id"]).isEmpty)
    }

    @Test("CHECK reports the first missing rule")
    func missingRules() throws {
        let listing = IPTablesListing(parsing: Self.referenceListing)
        let present = IPTablesMasqueradePlan.missingRules(listing: listing, network: "mynet", containerID: "ctr1id", addresses: [try #require(CIDR("10.1.0.2/16"))])
        #expect(present.isEmpty)
        let absent = IPTablesMasqueradePlan.missingRules(listing: listing, network: "mynet", containerID: "ctr1id", addresses: [try #require(CIDR("10.1.0.7/16"))])
        #expect(absent.map(\.chain) == ["POSTROUTING"])
    }

    @Test("restore document wraps lines in *nat ... COMMIT")
    func restoreDocument() {
        #expect(IPTablesMasqueradePlan.restoreDocument(["-N X", "-X X"]) == "*nat\n-N X\n-X X\nCOMMIT\n")
    }
}
