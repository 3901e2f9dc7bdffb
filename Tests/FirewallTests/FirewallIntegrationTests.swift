import Glibc
import CNISpec
import TestKit
import Testing
@testable import Firewall
import Netlink
import SystemSupport

private func cidr(_ text: String) -> CIDR { CIDR(text)! }

/// Real iptables/nft runs. Gated by `FirewallTestSandbox` (root, private
/// netns, CNI_TEST_IN_NETNS=1) and serialized: all suites share the test
/// process's network namespace. Every test uses its own network names and
/// container IDs, so leftovers of one test cannot satisfy another.
@Suite("Firewall integration (root, private netns)", .serialized, .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct FirewallIntegrationTests {
    // MARK: - iptables

    @Suite("iptables masquerade")
    struct IPTables {
        let backend = IPTablesMasquerade(environment: ProcessEnvironment.current(), session: NFTSession())

        func natRules(_ tool: String = "iptables") throws -> [String] {
            try FirewallTestSandbox.run(tool, ["-w", "-t", "nat", "-S"]).split(separator: "\n").map(String.init)
        }

        func lines(mentioning text: String, _ tool: String = "iptables") throws -> [String] {
            try natRules(tool).filter { $0.contains(text) }
        }

        @Test("setUp installs the reference's rules, byte for byte as iptables lists them")
        func setUpInstallsReferenceRules() throws {
            let network = FirewallTestSandbox.uniqueID("ipt-net")
            let id = FirewallTestSandbox.uniqueID("ctr")
            try backend.setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.1.0.2/16"), cidr("fd00:1::2/64")])
            let chain = IPTablesMasqueradePlan.chainName(network: network, containerID: id)
            let comment = #""name: \"\#(network)\" id: \"\#(id)\"""#
            let v4 = try natRules()
            #expect(v4.contains("-N \(chain)"))
            #expect(v4.contains("-A POSTROUTING -s 10.1.0.2/32 -m comment --comment \(comment) -j \(chain)"))
            #expect(v4.contains("-A \(chain) -d 10.1.0.0/16 -m comment --comment \(comment) -j ACCEPT"))
            #expect(v4.contains("-A \(chain) ! -d 224.0.0.0/4 -m comment --comment \(comment) -j MASQUERADE"))
            let v6 = try natRules("ip6tables")
            #expect(v6.contains("-A POSTROUTING -s fd00:1::2/128 -m comment --comment \(comment) -j \(chain)"))
            #expect(v6.contains("-A \(chain) -d fd00:1::/64 -m comment --comment \(comment) -j ACCEPT"))
            #expect(v6.contains("-A \(chain) ! -d ff00::/8 -m comment --comment \(comment) -j MASQUERADE"))
            try backend.check(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.1.0.2/16"), cidr("fd00:1::2/64")])
            try backend.tearDown(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
        }

        @Test("setUp twice leaves no duplicates")
        func setUpTwice() throws {
            let network = FirewallTestSandbox.uniqueID("ipt-net")
            let id = FirewallTestSandbox.uniqueID("ctr")
            let addresses = [cidr("10.2.0.2/24")]
            try backend.setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: addresses)
            let once = try lines(mentioning: id)
            try backend.setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: addresses)
            #expect(try lines(mentioning: id) == once)
            #expect(once.count == 3)
            try backend.tearDown(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
        }

        @Test("tearDown without IPs removes the attachment's rules and chain, and only those")
        func tearDownWithoutIPs() throws {
            let network = FirewallTestSandbox.uniqueID("ipt-net")
            let gone = FirewallTestSandbox.uniqueID("ctr")
            let kept = FirewallTestSandbox.uniqueID("ctr")
            try backend.setUp(network: network, attachment: Attachment(containerID: gone, ifname: "eth0"), addresses: [cidr("10.3.0.2/24"), cidr("fd00:3::2/64")])
            try backend.setUp(network: network, attachment: Attachment(containerID: kept, ifname: "eth0"), addresses: [cidr("10.3.0.3/24")])
            try backend.tearDown(network: network, attachment: Attachment(containerID: gone, ifname: "eth0"))
            let chain = IPTablesMasqueradePlan.chainName(network: network, containerID: gone)
            #expect(try lines(mentioning: chain).isEmpty)
            #expect(try lines(mentioning: chain, "ip6tables").isEmpty)
            #expect(try lines(mentioning: "\"\(kept)\\\"").count == 3)
            try backend.check(network: network, attachment: Attachment(containerID: kept, ifname: "eth0"), addresses: [cidr("10.3.0.3/24")])
            try backend.tearDown(network: network, attachment: Attachment(containerID: kept, ifname: "eth0"))
        }

        @Test("tearDown removes a chain that another chain also jumps to (the netlink removal is refused, the tools do it)")
        func tearDownReferencedElsewhere() throws {
            let network = FirewallTestSandbox.uniqueID("ipt-net")
            let id = FirewallTestSandbox.uniqueID("ctr")
            try backend.setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.4.0.2/24")])
            let chain = IPTablesMasqueradePlan.chainName(network: network, containerID: id)
            let other = "OTHER-\(getpid())"
            _ = try FirewallTestSandbox.run("iptables", ["-w", "-t", "nat", "-N", other])
            _ = try FirewallTestSandbox.run("iptables", ["-w", "-t", "nat", "-A", other, "-j", chain])
            try backend.tearDown(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
            #expect(try lines(mentioning: chain).isEmpty)
            #expect(try natRules().contains("-N \(other)"))
            _ = try FirewallTestSandbox.run("iptables", ["-w", "-t", "nat", "-X", other])
        }

        @Test("with iptables-nft, the attachment's chain is found and removed over netlink")
        func tearDownOverNetlink() throws {
            try #require(IPTablesNFTChains.usesIPTablesNFT, "this node's iptables is not iptables-nft")
            let network = FirewallTestSandbox.uniqueID("ipt-net")
            let id = FirewallTestSandbox.uniqueID("ctr")
            try backend.setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.5.0.2/24"), cidr("fd00:5::2/64")])
            let chain = IPTablesMasqueradePlan.chainName(network: network, containerID: id)
            let lookup = try #require(IPTablesNFTChains.forThisNode(session: NFTSession()))
            #expect(try lookup.exists(chain: chain, family: .v4))
            #expect(try lookup.exists(chain: chain, family: .v6))
            #expect(try lookup.masqueradeChains(family: .v4).contains(chain))
            try lookup.remove(chain: chain, family: .v4)
            #expect(try lines(mentioning: chain).isEmpty)
            #expect(try !lines(mentioning: chain, "ip6tables").isEmpty)
            try backend.tearDown(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
            #expect(try lines(mentioning: chain, "ip6tables").isEmpty)
            #expect(try !lookup.exists(chain: chain, family: .v6))
        }

        @Test("tearDown with nothing installed succeeds, twice")
        func tearDownNothing() throws {
            let network = FirewallTestSandbox.uniqueID("ipt-net")
            try backend.tearDown(network: network, attachment: Attachment(containerID: "never-set-up", ifname: "eth0"))
            try backend.tearDown(network: network, attachment: Attachment(containerID: "never-set-up", ifname: "eth0"))
        }

        @Test("rules made the way the reference makes them are checked and torn down")
        func referenceRulesAreCompatible() throws {
            let network = FirewallTestSandbox.uniqueID("ipt-net")
            let id = FirewallTestSandbox.uniqueID("ctr")
            let chain = IPTablesMasqueradePlan.chainName(network: network, containerID: id)
            let comment = IPTablesMasqueradePlan.comment(network: network, containerID: id)
            // go-iptables argument order, as pkg/ip/ipmasq_iptables_linux.go passes them.
            _ = try FirewallTestSandbox.run("iptables", ["-w", "-t", "nat", "-N", chain])
            _ = try FirewallTestSandbox.run("iptables", ["-w", "-t", "nat", "-A", chain, "-d", "10.4.0.0/16", "-j", "ACCEPT", "-m", "comment", "--comment", comment])
            _ = try FirewallTestSandbox.run("iptables", ["-w", "-t", "nat", "-A", chain, "!", "-d", "224.0.0.0/4", "-j", "MASQUERADE", "-m", "comment", "--comment", comment])
            _ = try FirewallTestSandbox.run("iptables", ["-w", "-t", "nat", "-A", "POSTROUTING", "-s", "10.4.0.2", "-j", chain, "-m", "comment", "--comment", comment])
            // The pre-/32 form older releases added.
            _ = try FirewallTestSandbox.run("iptables", ["-w", "-t", "nat", "-A", "POSTROUTING", "-s", "10.4.0.2/16", "-j", chain, "-m", "comment", "--comment", comment])
            try backend.check(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.4.0.2/16")])
            let before = try lines(mentioning: chain)
            try backend.setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.4.0.2/16")])
            #expect(try lines(mentioning: chain) == before)
            try backend.tearDown(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
            #expect(try lines(mentioning: chain).isEmpty)
        }

        @Test("GC keeps valid containers, removes the rest, never touches other networks")
        func garbageCollect() throws {
            let network = FirewallTestSandbox.uniqueID("ipt-net")
            let other = FirewallTestSandbox.uniqueID("ipt-other")
            let valid = FirewallTestSandbox.uniqueID("ctr")
            let stale = FirewallTestSandbox.uniqueID("ctr")
            try backend.setUp(network: network, attachment: Attachment(containerID: valid, ifname: "eth0"), addresses: [cidr("10.5.0.2/24")])
            try backend.setUp(network: network, attachment: Attachment(containerID: stale, ifname: "eth0"), addresses: [cidr("10.5.0.3/24"), cidr("fd00:5::3/64")])
            try backend.setUp(network: other, attachment: Attachment(containerID: stale, ifname: "eth0"), addresses: [cidr("10.6.0.3/24")])
            try backend.garbageCollect(network: network, validAttachments: [Attachment(containerID: valid, ifname: "eth0")])
            try backend.check(network: network, attachment: Attachment(containerID: valid, ifname: "eth0"), addresses: [cidr("10.5.0.2/24")])
            try backend.check(network: other, attachment: Attachment(containerID: stale, ifname: "eth0"), addresses: [cidr("10.6.0.3/24")])
            let staleChain = IPTablesMasqueradePlan.chainName(network: network, containerID: stale)
            #expect(try lines(mentioning: staleChain).isEmpty)
            #expect(try lines(mentioning: staleChain, "ip6tables").isEmpty)
            try backend.tearDown(network: network, attachment: Attachment(containerID: valid, ifname: "eth0"))
            try backend.tearDown(network: other, attachment: Attachment(containerID: stale, ifname: "eth0"))
        }

        @Test("CHECK fails after tearDown, naming the missing rule")
        func checkAfterTearDown() throws {
            let network = FirewallTestSandbox.uniqueID("ipt-net")
            let id = FirewallTestSandbox.uniqueID("ctr")
            try backend.setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.7.0.2/24")])
            try backend.tearDown(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
            #expect {
                try backend.check(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.7.0.2/24")])
            } throws: { error in
                guard case .ruleMissing(let text) = error as? FirewallError else { return false }
                return text.contains("10.7.0.")
            }
        }
    }

    // MARK: - nftables

    @Suite("nftables masquerade")
    struct NFTables {
        let backend = NFTablesMasquerade(session: NFTSession())

        func checks() throws -> [String] {
            try FirewallTestSandbox.nftList(["chain", "inet", "cni_plugins_masquerade", "masq_checks"])
                .split(separator: "\n").map(String.init).filter { $0.contains("masquerade comment") }
        }

        @Test("setUp installs the reference's table, chains and rules")
        func setUpInstallsReferenceRules() throws {
            let network = FirewallTestSandbox.uniqueID("nft-net")
            let id = FirewallTestSandbox.uniqueID("ctr")
            try backend.setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.12.0.2/24"), cidr("fd00:12::2/64")])
            let table = try FirewallTestSandbox.nftList(["table", "inet", "cni_plugins_masquerade"])
            let comment = NFTablesMasqueradePlan.comment(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
            #expect(table.contains("comment \"Masquerading for plugins from github.com/containernetworking/plugins\""))
            #expect(table.contains("type nat hook postrouting priority srcnat; policy accept;"))
            #expect(table.contains("ip daddr 224.0.0.0/4 return"))
            #expect(table.contains("ip6 daddr ff00::/8 return"))
            #expect(table.contains("goto masq_checks"))
            #expect(table.contains("ip saddr 10.12.0.2 ip daddr != 10.12.0.0/24 masquerade comment \"\(comment)\""))
            #expect(table.contains("ip6 saddr fd00:12::2 ip6 daddr != fd00:12::/64 masquerade comment \"\(comment)\""))
            try backend.check(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.12.0.2/24"), cidr("fd00:12::2/64")])
            try backend.tearDown(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
        }

        @Test("setUp twice leaves one rule per address and one postrouting chain body")
        func setUpTwice() throws {
            let network = FirewallTestSandbox.uniqueID("nft-net")
            let id = FirewallTestSandbox.uniqueID("ctr")
            try backend.setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.13.0.2/24")])
            try backend.setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.13.0.2/24")])
            #expect(try checks().filter { $0.contains("id: \(id)") }.count == 1)
            let postrouting = try FirewallTestSandbox.nftList(["chain", "inet", "cni_plugins_masquerade", "postrouting"])
            #expect(postrouting.split(separator: "\n").filter { $0.contains("goto masq_checks") }.count == 1)
            try backend.tearDown(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
        }

        @Test("setUp with new addresses replaces the attachment's old rules")
        func setUpReplaces() throws {
            let network = FirewallTestSandbox.uniqueID("nft-net")
            let id = FirewallTestSandbox.uniqueID("ctr")
            try backend.setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.14.0.2/24")])
            try backend.setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.14.0.9/24")])
            let mine = try checks().filter { $0.contains("id: \(id)") }
            #expect(mine.count == 1)
            #expect(mine.first?.contains("10.14.0.9") == true)
            try backend.tearDown(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
        }

        @Test("tearDown without IPs removes the attachment's rules, and only those")
        func tearDownWithoutIPs() throws {
            let network = FirewallTestSandbox.uniqueID("nft-net")
            let gone = FirewallTestSandbox.uniqueID("ctr")
            let kept = FirewallTestSandbox.uniqueID("ctr")
            try backend.setUp(network: network, attachment: Attachment(containerID: gone, ifname: "eth0"), addresses: [cidr("10.15.0.2/24"), cidr("fd00:15::2/64")])
            try backend.setUp(network: network, attachment: Attachment(containerID: kept, ifname: "eth0"), addresses: [cidr("10.15.0.3/24")])
            try backend.setUp(network: network, attachment: Attachment(containerID: gone, ifname: "eth1"), addresses: [cidr("10.15.0.4/24")])
            try backend.tearDown(network: network, attachment: Attachment(containerID: gone, ifname: "eth0"))
            let rules = try checks()
            #expect(rules.filter { $0.contains("if: eth0, id: \(gone)") }.isEmpty)
            #expect(rules.filter { $0.contains("if: eth1, id: \(gone)") }.count == 1)
            #expect(rules.filter { $0.contains("id: \(kept)") }.count == 1)
            try backend.tearDown(network: network, attachment: Attachment(containerID: gone, ifname: "eth1"))
            try backend.tearDown(network: network, attachment: Attachment(containerID: kept, ifname: "eth0"))
        }

        @Test("tearDown with nothing installed succeeds, twice")
        func tearDownNothing() throws {
            let network = FirewallTestSandbox.uniqueID("nft-net")
            try backend.tearDown(network: network, attachment: Attachment(containerID: "never-set-up", ifname: "eth0"))
            try backend.tearDown(network: network, attachment: Attachment(containerID: "never-set-up", ifname: "eth0"))
        }

        @Test("rules made the way the reference makes them are checked and torn down")
        func referenceRulesAreCompatible() throws {
            let network = FirewallTestSandbox.uniqueID("nft-net")
            let id = FirewallTestSandbox.uniqueID("ctr")
            // Bootstrap the table with our own setUp of another attachment, then add
            // a rule in knftables' syntax (`==`, double spaces) as the reference does.
            let seed = FirewallTestSandbox.uniqueID("ctr")
            try backend.setUp(network: network, attachment: Attachment(containerID: seed, ifname: "eth0"), addresses: [cidr("10.16.0.9/24")])
            let comment = NFTablesMasqueradePlan.comment(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
            _ = try FirewallTestSandbox.run("nft", ["-f", "-"], stdin:
                "add rule inet cni_plugins_masquerade masq_checks ip saddr == 10.16.0.2 ip daddr != 10.16.0.0/24 masquerade comment \"\(comment)\"\n")
            try backend.check(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.16.0.2/24")])
            try backend.tearDown(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
            #expect(try checks().filter { $0.contains("id: \(id)") }.isEmpty)
            try backend.tearDown(network: network, attachment: Attachment(containerID: seed, ifname: "eth0"))
        }

        @Test("GC keeps valid attachments, removes the rest, never touches other networks")
        func garbageCollect() throws {
            let network = FirewallTestSandbox.uniqueID("nft-net")
            let other = FirewallTestSandbox.uniqueID("nft-other")
            let id = FirewallTestSandbox.uniqueID("ctr")
            let stale = FirewallTestSandbox.uniqueID("ctr")
            try backend.setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.17.0.2/24")])
            try backend.setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth1"), addresses: [cidr("10.17.0.3/24")])
            try backend.setUp(network: network, attachment: Attachment(containerID: stale, ifname: "eth0"), addresses: [cidr("10.17.0.4/24")])
            try backend.setUp(network: other, attachment: Attachment(containerID: stale, ifname: "eth0"), addresses: [cidr("10.18.0.4/24")])
            try backend.garbageCollect(network: network, validAttachments: [Attachment(containerID: id, ifname: "eth0")])
            let rules = try checks()
            #expect(rules.filter { $0.contains("if: eth0, id: \(id)") }.count == 1)
            #expect(rules.filter { $0.contains("if: eth1, id: \(id)") }.isEmpty)
            #expect(rules.filter { $0.contains("net: \(network), if: eth0, id: \(stale)") }.isEmpty)
            #expect(rules.filter { $0.contains("net: \(other), if: eth0, id: \(stale)") }.count == 1)
            try backend.tearDown(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
            try backend.tearDown(network: other, attachment: Attachment(containerID: stale, ifname: "eth0"))
        }

        @Test("CHECK fails after tearDown")
        func checkAfterTearDown() throws {
            let network = FirewallTestSandbox.uniqueID("nft-net")
            let id = FirewallTestSandbox.uniqueID("ctr")
            try backend.setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.19.0.2/24")])
            try backend.tearDown(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
            #expect(throws: FirewallError.self) {
                try backend.check(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.19.0.2/24")])
            }
        }
    }

    // MARK: - Both backends

    @Test("tearDownEverywhere removes an attachment whatever backend set it up")
    func tearDownEverywhere() throws {
        let network = FirewallTestSandbox.uniqueID("any-net")
        let id = FirewallTestSandbox.uniqueID("ctr")
        try IPTablesMasquerade(environment: ProcessEnvironment.current(), session: NFTSession()).setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.20.0.2/24")])
        try NFTablesMasquerade(session: NFTSession()).setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.20.0.2/24")])
        try Masquerade.tearDownEverywhere(network: network, attachment: Attachment(containerID: id, ifname: "eth0"),
                                          environment: ProcessEnvironment.current(), session: NFTSession())
        #expect(throws: FirewallError.self) {
            try IPTablesMasquerade(environment: ProcessEnvironment.current(), session: NFTSession()).check(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.20.0.2/24")])
        }
        #expect(throws: FirewallError.self) {
            try NFTablesMasquerade(session: NFTSession()).check(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.20.0.2/24")])
        }
    }

    @Test("tearDownEverywhere speaks nf_tables through one socket for both backends")
    func tearDownEverywhereOneSocket() throws {
        try #require(IPTablesNFTChains.usesIPTablesNFT, "this node's iptables is not iptables-nft")
        let network = FirewallTestSandbox.uniqueID("one-net")
        let id = FirewallTestSandbox.uniqueID("ctr")
        try IPTablesMasquerade(environment: ProcessEnvironment.current(), session: NFTSession()).setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.21.0.2/24")])
        try NFTablesMasquerade(session: NFTSession()).setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.21.0.2/24")])

        // Each backend speaks nf_tables on the session it is given...
        let lookups = NFTSession()
        try IPTablesMasquerade(environment: ProcessEnvironment.current(), session: lookups).tearDown(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
        #expect(lookups.socketsOpened == 1)
        let teardown = NFTSession()
        try NFTablesMasquerade(session: teardown).tearDown(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
        #expect(teardown.socketsOpened == 1)
        // ...and both are given the caller's.
        let shared = NFTSession()
        for kind in MasqueradeBackendKind.allCases {
            let backend = kind.makeBackend(environment: ProcessEnvironment.current(), session: shared)
            let session = (backend as? IPTablesMasquerade)?.session ?? (backend as? NFTablesMasquerade)?.session
            #expect(session === shared)
        }

        try IPTablesMasquerade(environment: ProcessEnvironment.current(), session: NFTSession()).setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.21.0.2/24")])
        try NFTablesMasquerade(session: NFTSession()).setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.21.0.2/24")])
        let session = NFTSession()
        try Masquerade.tearDownEverywhere(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), likelyHolder: .nftables,
                                          environment: ProcessEnvironment.current(), session: session)
        #expect(session.socketsOpened == 1)
        #expect(throws: FirewallError.self) {
            try IPTablesMasquerade(environment: ProcessEnvironment.current(), session: NFTSession()).check(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.21.0.2/24")])
        }
        #expect(throws: FirewallError.self) {
            try NFTablesMasquerade(session: NFTSession()).check(network: network, attachment: Attachment(containerID: id, ifname: "eth0"), addresses: [cidr("10.21.0.2/24")])
        }
    }

    @Test("automatic backend selection picks iptables when it works")
    func automaticSelection() {
        #expect(MasqueradeBackendKind.resolve(nil, environment: ProcessEnvironment.current()) == .iptables)
    }

    // MARK: - macspoofchk

    @Suite("macspoofchk")
    struct SpoofCheck {
        let spoofCheck = MACSpoofCheck(session: NFTSession())

        func table() throws -> String { try FirewallTestSandbox.nftList(["table", "bridge", "nat"]) }

        @Test("setUp installs the reference's chains and rules")
        func setUpInstalls() throws {
            let network = FirewallTestSandbox.uniqueID("sc-net")
            let id = FirewallTestSandbox.uniqueID("ctr")
            try spoofCheck.setUp(network: network, hostInterface: "veth0001", attachment: Attachment(containerID: id, ifname: "eth0"), mac: MACAddress("0A:58:0A:0C:00:02")!)
            let text = try table()
            #expect(text.contains("type filter hook prerouting priority dstnat; policy accept;"))
            #expect(text.contains("iifname \"veth0001\" jump cni-br-iface-\(id)-eth0 comment \"macspoofchk-\(id)-eth0\""))
            #expect(text.contains("jump cni-br-iface-\(id)-eth0-mac comment \"macspoofchk-\(id)-eth0\""))
            #expect(text.contains("ether saddr 0a:58:0a:0c:00:02 return comment \"macspoofchk-\(id)-eth0\""))
            #expect(text.contains("drop comment \"macspoofchk-\(id)-eth0\""))
            try spoofCheck.check(hostInterface: "veth0001", attachment: Attachment(containerID: id, ifname: "eth0"), mac: MACAddress("0a:58:0a:0c:00:02")!)
            try spoofCheck.tearDown(attachment: Attachment(containerID: id, ifname: "eth0"))
        }

        @Test("setUp and tearDown speak nf_tables on the session given, shared with masquerading")
        func sharedSession() throws {
            let network = FirewallTestSandbox.uniqueID("sc-net")
            let id = FirewallTestSandbox.uniqueID("ctr")
            let session = NFTSession()
            try MACSpoofCheck(session: session).setUp(network: network, hostInterface: "veth0009", attachment: Attachment(containerID: id,
                                                      ifname: "eth0"), mac: MACAddress("0a:58:0a:0c:00:09")!)
            #expect(session.socketsOpened == 1)
            try NFTablesMasquerade(session: session).setUp(network: network, attachment: Attachment(containerID: id, ifname: "eth0"),
                                                           addresses: [cidr("10.22.0.2/24")])
            try MACSpoofCheck(session: session).tearDown(attachment: Attachment(containerID: id, ifname: "eth0"))
            try NFTablesMasquerade(session: session).tearDown(network: network, attachment: Attachment(containerID: id, ifname: "eth0"))
            #expect(session.socketsOpened == 1)
            #expect(try !table().contains("\(id)-eth0"))
        }

        @Test("setUp twice leaves one PREROUTING rule")
        func setUpTwice() throws {
            let network = FirewallTestSandbox.uniqueID("sc-net")
            let id = FirewallTestSandbox.uniqueID("ctr")
            try spoofCheck.setUp(network: network, hostInterface: "veth0002", attachment: Attachment(containerID: id, ifname: "eth0"), mac: MACAddress("0a:58:0a:0c:00:03")!)
            try spoofCheck.setUp(network: network, hostInterface: "veth0002", attachment: Attachment(containerID: id, ifname: "eth0"), mac: MACAddress("0a:58:0a:0c:00:03")!)
            let text = try table()
            #expect(text.split(separator: "\n").filter { $0.contains("iifname \"veth0002\"") }.count == 1)
            #expect(text.split(separator: "\n").filter { $0.contains("drop comment \"macspoofchk-\(id)-eth0\"") }.count == 1)
            try spoofCheck.tearDown(attachment: Attachment(containerID: id, ifname: "eth0"))
        }

        @Test("tearDown removes the rule and both chains without the host interface name, and only those")
        func tearDown() throws {
            let network = FirewallTestSandbox.uniqueID("sc-net")
            let gone = FirewallTestSandbox.uniqueID("ctr")
            let kept = FirewallTestSandbox.uniqueID("ctr")
            try spoofCheck.setUp(network: network, hostInterface: "veth0003", attachment: Attachment(containerID: gone, ifname: "eth0"), mac: MACAddress("0a:58:0a:0c:00:04")!)
            try spoofCheck.setUp(network: network, hostInterface: "veth0004", attachment: Attachment(containerID: kept, ifname: "eth0"), mac: MACAddress("0a:58:0a:0c:00:05")!)
            try spoofCheck.tearDown(attachment: Attachment(containerID: gone, ifname: "eth0"))
            let text = try table()
            #expect(!text.contains("\(gone)-eth0"))
            #expect(text.contains("chain PREROUTING"))
            try spoofCheck.check(hostInterface: "veth0004", attachment: Attachment(containerID: kept, ifname: "eth0"), mac: MACAddress("0a:58:0a:0c:00:05")!)
            try spoofCheck.tearDown(attachment: Attachment(containerID: kept, ifname: "eth0"))
        }

        @Test("tearDown with nothing installed succeeds, twice")
        func tearDownNothing() throws {
            try spoofCheck.tearDown(attachment: Attachment(containerID: "never-set-up", ifname: "eth0"))
            try spoofCheck.tearDown(attachment: Attachment(containerID: "never-set-up", ifname: "eth0"))
        }

        @Test("chains made the way the reference makes them (untagged) are torn down")
        func referenceChainsAreCompatible() throws {
            let id = FirewallTestSandbox.uniqueID("ctr")
            let chain = "cni-br-iface-\(id)-eth0"
            let comment = "comment \"macspoofchk-\(id)-eth0\""
            _ = try FirewallTestSandbox.run("nft", ["-f", "-"], stdin: """
                add table bridge nat
                add chain bridge nat PREROUTING { type filter hook prerouting priority -300 ; policy accept ; }
                add chain bridge nat \(chain)
                add chain bridge nat \(chain)-mac
                add rule bridge nat PREROUTING iifname "veth0005" jump \(chain) \(comment)
                add rule bridge nat \(chain) jump \(chain)-mac \(comment)
                add rule bridge nat \(chain)-mac ether saddr 0a:58:0a:0c:00:06 return \(comment)
                add rule bridge nat \(chain)-mac drop \(comment)

                """)
            try spoofCheck.check(hostInterface: "veth0005", attachment: Attachment(containerID: id, ifname: "eth0"), mac: MACAddress("0a:58:0a:0c:00:06")!)
            try spoofCheck.tearDown(attachment: Attachment(containerID: id, ifname: "eth0"))
            #expect(!(try table()).contains(chain))
        }

        @Test("GC removes this network's stale attachments and keeps valid and other networks' ones")
        func garbageCollect() throws {
            let network = FirewallTestSandbox.uniqueID("sc-net")
            let other = FirewallTestSandbox.uniqueID("sc-other")
            let valid = FirewallTestSandbox.uniqueID("ctr")
            let stale = FirewallTestSandbox.uniqueID("ctr")
            let foreign = FirewallTestSandbox.uniqueID("ctr")
            try spoofCheck.setUp(network: network, hostInterface: "veth0006", attachment: Attachment(containerID: valid, ifname: "eth0"), mac: MACAddress("0a:58:0a:0c:00:07")!)
            try spoofCheck.setUp(network: network, hostInterface: "veth0007", attachment: Attachment(containerID: stale, ifname: "eth0"), mac: MACAddress("0a:58:0a:0c:00:08")!)
            try spoofCheck.setUp(network: other, hostInterface: "veth0008", attachment: Attachment(containerID: foreign, ifname: "eth0"), mac: MACAddress("0a:58:0a:0c:00:09")!)
            try spoofCheck.garbageCollect(network: network, validAttachments: [Attachment(containerID: valid, ifname: "eth0")])
            let text = try table()
            #expect(!text.contains("\(stale)-eth0"))
            try spoofCheck.check(hostInterface: "veth0006", attachment: Attachment(containerID: valid, ifname: "eth0"), mac: MACAddress("0a:58:0a:0c:00:07")!)
            try spoofCheck.check(hostInterface: "veth0008", attachment: Attachment(containerID: foreign, ifname: "eth0"), mac: MACAddress("0a:58:0a:0c:00:09")!)
            try spoofCheck.tearDown(attachment: Attachment(containerID: valid, ifname: "eth0"))
            try spoofCheck.tearDown(attachment: Attachment(containerID: foreign, ifname: "eth0"))
        }

        @Test("CHECK fails when the MAC differs")
        func checkWrongMAC() throws {
            let network = FirewallTestSandbox.uniqueID("sc-net")
            let id = FirewallTestSandbox.uniqueID("ctr")
            try spoofCheck.setUp(network: network, hostInterface: "veth0009", attachment: Attachment(containerID: id, ifname: "eth0"), mac: MACAddress("0a:58:0a:0c:00:0a")!)
            #expect(throws: FirewallError.self) {
                try spoofCheck.check(hostInterface: "veth0009", attachment: Attachment(containerID: id, ifname: "eth0"), mac: MACAddress("0a:58:0a:0c:00:0b")!)
            }
            try spoofCheck.tearDown(attachment: Attachment(containerID: id, ifname: "eth0"))
        }
    }
}
