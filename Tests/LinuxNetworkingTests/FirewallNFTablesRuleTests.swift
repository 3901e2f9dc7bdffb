import CNISpec
import Testing
@testable import LinuxNetworking

@Suite("Firewall: nftables masquerade rule text")
struct FirewallNFTablesRuleTests {
    static let c1Comment = "d00e59ce22b26331-f4d01f2ef4b92245, net: n12, if: eth0, id: c1"

    /// `nft -a list table inet cni_plugins_masquerade` after the reference set
    /// up n12/c1/eth0 with 10.12.0.2/24 and fd00:12::2/64, plus one rule of
    /// another attachment (n12/c2/eth0).
    static var listingText: String {
        let c2 = NFTablesMasqueradePlan.comment(network: "n12", ifname: "eth0", containerID: "c2")
        return """
        table inet cni_plugins_masquerade { # handle 1
        \tcomment "Masquerading for plugins from github.com/containernetworking/plugins"
        \tchain masq_checks { # handle 1
        \t\tcomment "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet"
        \t\tip saddr 10.12.0.2 ip daddr != 10.12.0.0/24 masquerade comment "\(c1Comment)" # handle 6
        \t\tip6 saddr fd00:12::2 ip6 daddr != fd00:12::/64 masquerade comment "\(c1Comment)" # handle 7
        \t\tip saddr 10.12.0.3 ip daddr != 10.12.0.0/24 masquerade comment "\(c2)" # handle 8
        \t}

        \tchain postrouting { # handle 2
        \t\ttype nat hook postrouting priority srcnat; policy accept;
        \t\tip daddr 224.0.0.0/4 return # handle 3
        \t\tip6 daddr ff00::/8 return # handle 4
        \t\tgoto masq_checks # handle 5
        \t}
        }

        """
    }

    @Test("nft listing parses chains, comments, rules and handles")
    func listingParses() throws {
        let listing = NFTListing(parsing: Self.listingText)
        #expect(listing.chains.map(\.name) == ["masq_checks", "postrouting"])
        #expect(listing.chain(named: "masq_checks")?.comment == NFTablesMasqueradePlan.checksChainComment)
        #expect(listing.chain(named: "postrouting")?.hook == "type nat hook postrouting priority srcnat; policy accept;")
        #expect(listing.rules(in: "masq_checks").map(\.handle) == [6, 7, 8])
        #expect(listing.rules(in: "postrouting").map(\.text) == ["ip daddr 224.0.0.0/4 return", "ip6 daddr ff00::/8 return", "goto masq_checks"])
        let first = try #require(listing.rules.first)
        #expect(first.text == "ip saddr 10.12.0.2 ip daddr != 10.12.0.0/24 masquerade comment \"\(Self.c1Comment)\"")
        #expect(first.comment == Self.c1Comment)
    }

    @Test("nft listing skips set blocks")
    func listingSkipsSets() {
        let text = """
        table inet t { # handle 1
        \tset s { # handle 2
        \t\ttype ipv4_addr
        \t\telements = { 10.0.0.1, 10.0.0.2,
        \t\t\t     10.0.0.3 }
        \t}

        \tchain c { # handle 3
        \t\tip saddr @s drop # handle 4
        \t}
        }
        """
        let listing = NFTListing(parsing: text)
        #expect(listing.chains.map(\.name) == ["c"])
        #expect(listing.rules.map(\.handle) == [4])
        #expect(listing.rules.first?.comment == nil)
    }

    @Test("rule bodies in the form nft prints them", arguments: [
        ("10.12.0.2/24", "ip saddr 10.12.0.2 ip daddr != 10.12.0.0/24 masquerade"),
        ("fd00:12::2/64", "ip6 saddr fd00:12::2 ip6 daddr != fd00:12::/64 masquerade"),
    ])
    func ruleBodies(address: String, expected: String) throws {
        #expect(NFTablesMasqueradePlan.ruleBody(try #require(CIDR(address))) == expected)
    }

    @Test("setUp on an empty system declares table and chains, writes postrouting, adds the rules")
    func setUpScriptFresh() throws {
        let script = NFTablesMasqueradePlan.setUpScript(
            listing: nil, network: "n12", containerID: "c1", ifname: "eth0",
            addresses: [try #require(CIDR("10.12.0.2/24"))])
        let t = "inet cni_plugins_masquerade"
        #expect(script == """
            add table \(t) { comment "Masquerading for plugins from github.com/containernetworking/plugins" ; }
            add chain \(t) masq_checks { comment "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet" ; }
            add chain \(t) postrouting { type nat hook postrouting priority 100 ; }
            flush chain \(t) postrouting
            add rule \(t) postrouting ip daddr 224.0.0.0/4 return
            add rule \(t) postrouting ip6 daddr ff00::/8 return
            add rule \(t) postrouting goto masq_checks
            add rule \(t) masq_checks ip saddr 10.12.0.2 ip daddr != 10.12.0.0/24 masquerade comment "\(Self.c1Comment)"

            """)
    }

    @Test("nonMasqueradeCIDRs of the family become tagged returns before each masquerade")
    func nonMasqueradeExemptions() throws {
        let rules = NFTablesMasqueradePlan.wantedRules(
            network: "n12", containerID: "c1", ifname: "eth0",
            addresses: [try #require(CIDR("10.12.0.2/24")), try #require(CIDR("fd00:12::2/64"))],
            nonMasquerade: [try #require(CIDR("10.0.0.0/8")), try #require(CIDR("fd00::/32")), try #require(CIDR("10.0.0.9/8"))])
        let tag = "comment \"\(Self.c1Comment)\""
        #expect(rules == [
            "ip saddr 10.12.0.2 ip daddr 10.0.0.0/8 return \(tag)",
            "ip saddr 10.12.0.2 ip daddr != 10.12.0.0/24 masquerade \(tag)",
            "ip6 saddr fd00:12::2 ip6 daddr fd00::/32 return \(tag)",
            "ip6 saddr fd00:12::2 ip6 daddr != fd00:12::/64 masquerade \(tag)",
        ])
    }

    @Test("CHECK names a missing exemption")
    func checkMissingExemption() throws {
        let listing = NFTListing(parsing: Self.listingText)
        let missing = NFTablesMasqueradePlan.missing(
            listing: listing, network: "n12", containerID: "c1", ifname: "eth0",
            addresses: [try #require(CIDR("10.12.0.2/24"))], nonMasquerade: [try #require(CIDR("10.0.0.0/8"))])
        #expect(missing?.contains("ip saddr 10.12.0.2 ip daddr 10.0.0.0/8 return") == true)
    }

    @Test("setUp with everything in place does nothing")
    func setUpScriptInPlace() throws {
        let listing = NFTListing(parsing: Self.listingText)
        #expect(NFTablesMasqueradePlan.chainsReady(listing))
        let script = NFTablesMasqueradePlan.setUpScript(
            listing: listing, network: "n12", containerID: "c1", ifname: "eth0",
            addresses: [try #require(CIDR("10.12.0.2/24")), try #require(CIDR("fd00:12::2/64"))])
        #expect(script == nil)
    }

    @Test("setUp with other addresses replaces the attachment's rules and keeps the chains")
    func setUpScriptReplaces() throws {
        let listing = NFTListing(parsing: Self.listingText)
        let script = NFTablesMasqueradePlan.setUpScript(
            listing: listing, network: "n12", containerID: "c1", ifname: "eth0",
            addresses: [try #require(CIDR("10.12.0.7/24"))])
        let t = "inet cni_plugins_masquerade"
        #expect(script == """
            delete rule \(t) masq_checks handle 6
            delete rule \(t) masq_checks handle 7
            add rule \(t) masq_checks ip saddr 10.12.0.7 ip daddr != 10.12.0.0/24 masquerade comment "\(Self.c1Comment)"

            """)
    }

    @Test("setUp rewrites a postrouting chain that is not exactly the reference's")
    func setUpScriptRepairsPostrouting() throws {
        let damaged = Self.listingText.replacingGoto()
        let listing = NFTListing(parsing: damaged)
        #expect(!NFTablesMasqueradePlan.chainsReady(listing))
        let addresses = [try #require(CIDR("10.12.0.2/24")), try #require(CIDR("fd00:12::2/64"))]
        let script = try #require(NFTablesMasqueradePlan.setUpScript(
            listing: listing, network: "n12", containerID: "c1", ifname: "eth0", addresses: addresses))
        #expect(script.contains("flush chain inet cni_plugins_masquerade postrouting\n"))
        #expect(script.contains("add rule inet cni_plugins_masquerade postrouting goto masq_checks\n"))
    }

    @Test("stale handles are the attachment's own rules only")
    func staleHandles() {
        let listing = NFTListing(parsing: Self.listingText)
        let prefix = NFTablesMasqueradePlan.instanceHash(network: "n12", ifname: "eth0", containerID: "c1")
        #expect(NFTablesMasqueradePlan.handles(in: listing, commentPrefix: prefix) == [6, 7])
        #expect(NFTablesMasqueradePlan.handles(in: nil, commentPrefix: prefix).isEmpty)
    }

    @Test("tearDown deletes by comment prefix; nothing to delete gives no script")
    func tearDownScript() {
        let listing = NFTListing(parsing: Self.listingText)
        #expect(NFTablesMasqueradePlan.tearDownScript(listing: listing, network: "n12", containerID: "c1", ifname: "eth0") == """
            delete rule inet cni_plugins_masquerade masq_checks handle 6
            delete rule inet cni_plugins_masquerade masq_checks handle 7

            """)
        #expect(NFTablesMasqueradePlan.tearDownScript(listing: listing, network: "n12", containerID: "c1", ifname: "eth1") == nil)
        #expect(NFTablesMasqueradePlan.tearDownScript(listing: nil, network: "n12", containerID: "c1", ifname: "eth0") == nil)
    }

    @Test("GC keeps valid attachments and other networks", arguments: [
        ([Attachment(containerID: "c1", ifname: "eth0")], [8]),
        ([Attachment(containerID: "c2", ifname: "eth0")], [6, 7]),
        ([Attachment(containerID: "c1", ifname: "eth0"), Attachment(containerID: "c2", ifname: "eth0")], []),
        ([], [6, 7, 8]),
    ])
    func garbageCollect(valid: [Attachment], deleted: [Int]) {
        let listing = NFTListing(parsing: Self.listingText)
        let script = NFTablesMasqueradePlan.garbageCollectScript(listing: listing, network: "n12", validAttachments: Set(valid))
        #expect(script == NFTablesMasqueradePlan.deleteScript(deleted))
        #expect(NFTablesMasqueradePlan.garbageCollectScript(listing: listing, network: "other", validAttachments: []) == nil)
    }

    @Test("CHECK finds present rules and names a missing one")
    func check() throws {
        let listing = NFTListing(parsing: Self.listingText)
        let both = [try #require(CIDR("10.12.0.2/24")), try #require(CIDR("fd00:12::2/64"))]
        #expect(NFTablesMasqueradePlan.missing(listing: listing, network: "n12", containerID: "c1", ifname: "eth0", addresses: both) == nil)
        let other = [try #require(CIDR("10.12.0.9/24"))]
        let message = NFTablesMasqueradePlan.missing(listing: listing, network: "n12", containerID: "c1", ifname: "eth0", addresses: other)
        #expect(message?.contains("ip saddr 10.12.0.9") == true)
        #expect(NFTablesMasqueradePlan.missing(listing: nil, network: "n12", containerID: "c1", ifname: "eth0", addresses: other) != nil)
    }
}

private extension String {
    /// The listing with postrouting's `goto masq_checks` rule removed.
    func replacingGoto() -> String {
        split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("goto masq_checks") }
            .joined(separator: "\n")
    }
}
