import CNISpec
import SystemSupport
import Testing
@testable import Firewall

@Suite("Firewall: names, tags and comments")
struct FirewallNamingTests {
    @Test("iptables chain name is CNI- plus 24 hex digits of sha512(network + containerID)", arguments: [
        ("mynet", "ctr1id", "CNI-3bad8336b4879a950a9a2ee9"),
    ])
    func iptablesChainName(network: String, containerID: String, expected: String) {
        let name = IPTablesMasqueradePlan.chainName(network: network, containerID: containerID)
        #expect(name == expected)
        #expect(name.count == 28)
        #expect(IPTablesMasqueradePlan.isMasqueradeChainName(name))
    }

    @Test("only CNI- plus 24 lowercase hex digits looks like a masquerade chain", arguments: [
        ("CNI-3bad8336b4879a950a9a2ee9", true),
        ("CNI-DN-3bad8336b4879a950a9a2", false),
        ("CNI-3BAD8336B4879A950A9A2EE9", false),
        ("CNI-3bad8336b4879a950a9a2ee", false),
        ("POSTROUTING", false),
    ])
    func chainShape(name: String, expected: Bool) {
        #expect(IPTablesMasqueradePlan.isMasqueradeChainName(name) == expected)
    }

    @Test("iptables comment uses Go %q quoting", arguments: [
        ("mynet", "ctr1id", #"name: "mynet" id: "ctr1id""#),
        (#"we"ird"#, #"a\b"#, #"name: "we\"ird" id: "a\\b""#),
    ])
    func iptablesComment(network: String, containerID: String, expected: String) {
        #expect(IPTablesMasqueradePlan.comment(network: network, containerID: containerID) == expected)
    }

    @Test("iptables comment parses back to network and container ID")
    func iptablesCommentRoundTrip() throws {
        let parsed = try #require(IPTablesMasqueradePlan.parseComment(#"name: "net-1.x" id: "0123abc""#))
        #expect(parsed.network == "net-1.x")
        #expect(parsed.containerID == "0123abc")
        #expect(IPTablesMasqueradePlan.parseComment(#"dnat name: "n" id: "c""#) == nil)
        #expect(IPTablesMasqueradePlan.parseComment(#"name: "a\"b" id: "c""#) == nil)
    }

    @Test("Go %q escapes", arguments: [
        ("plain", #""plain""#),
        ("tab\there", #""tab\there""#),
        ("nl\n", #""nl\n""#),
        ("bell\u{07}", #""bell\a""#),
        ("nul\u{00}", #""nul\x00""#),
        ("del\u{7f}", #""del\x7f""#),
        ("café", "\"café\""),
    ])
    func goQuoting(input: String, expected: String) {
        #expect(GoQuote.quoted(input) == expected)
    }

    @Test("nftables comment: network hash, instance hash, readable tail (REFERENCE example)")
    func nftablesComment() {
        #expect(NFTablesMasqueradePlan.networkHash("n12") == "d00e59ce22b26331")
        #expect(NFTablesMasqueradePlan.instanceHash(network: "n12", attachment: Attachment(containerID: "c1", ifname: "eth0"))
            == "d00e59ce22b26331-f4d01f2ef4b92245")
        #expect(NFTablesMasqueradePlan.comment(network: "n12", attachment: Attachment(containerID: "c1", ifname: "eth0"))
            == "d00e59ce22b26331-f4d01f2ef4b92245, net: n12, if: eth0, id: c1")
    }

    @Test("nftables comment drops double quotes and is cut to 128 bytes")
    func nftablesCommentLimits() {
        let quoted = NFTablesMasqueradePlan.comment(network: #"a"b"#, attachment: Attachment(containerID: "c1", ifname: "eth0"))
        #expect(quoted.hasSuffix("net: ab, if: eth0, id: c1"))
        let long = NFTablesMasqueradePlan.comment(network: "n", attachment: Attachment(containerID: String(repeating: "f", count: 200), ifname: "eth0"))
        #expect(long.utf8.count == 128)
        #expect(long.hasPrefix(NFTablesMasqueradePlan.instanceHash(network: "n", attachment: Attachment(containerID: String(repeating: "f", count: 200), ifname: "eth0"))))
    }

    @Test("macspoofchk names follow <containerID>-<ifname>")
    func spoofCheckNames() {
        #expect(MACSpoofCheckPlan.interfaceChain(attachment: Attachment(containerID: "c1", ifname: "eth0")) == "cni-br-iface-c1-eth0")
        #expect(MACSpoofCheckPlan.macChain(attachment: Attachment(containerID: "c1", ifname: "eth0")) == "cni-br-iface-c1-eth0-mac")
        #expect(MACSpoofCheckPlan.ruleComment(attachment: Attachment(containerID: "c1", ifname: "eth0")) == "macspoofchk-c1-eth0")
        #expect(MACSpoofCheckPlan.networkTag("n12") == "d00e59ce22b26331, net: n12")
    }
}
