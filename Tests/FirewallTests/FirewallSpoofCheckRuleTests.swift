import CNISpec
import CNetlink
import Testing
@testable import Firewall
import Netlink

@Suite("Firewall: macspoofchk rules")
struct FirewallSpoofCheckRuleTests {
    static let tag = MACSpoofCheckPlan.networkTag("n12")
    static let mac = MACAddress("0A:58:0A:0C:00:02")!
    static let wanted = MACSpoofCheckRules.wanted(hostInterface: "veth1", attachment: Attachment(containerID: "c1", ifname: "eth0"), mac: mac)

    /// What the kernel holds after our setUp of n12/c1/eth0 (handles as it numbers them).
    static var inPlace: MACSpoofCheckRules.State {
        func listed(_ rule: NFTRule, _ handle: UInt64) -> NFTRule { var rule = rule; rule.handle = handle; return rule }
        return MACSpoofCheckRules.State(
            preroutingExists: true, preroutingRules: [listed(wanted[0], 4)],
            interfaceChain: NFTChainInfo(name: "cni-br-iface-c1-eth0", comment: tag),
            interfaceRules: [listed(wanted[1], 5)], macChainExists: true,
            macRules: [listed(wanted[2], 6), listed(wanted[3], 7)])
    }

    @Test("names and comments are the reference's")
    func names() {
        #expect(MACSpoofCheckPlan.interfaceChain(attachment: Attachment(containerID: "c1", ifname: "eth0")) == "cni-br-iface-c1-eth0")
        #expect(MACSpoofCheckPlan.macChain(attachment: Attachment(containerID: "c1", ifname: "eth0")) == "cni-br-iface-c1-eth0-mac")
        #expect(MACSpoofCheckPlan.ruleComment(attachment: Attachment(containerID: "c1", ifname: "eth0")) == "macspoofchk-c1-eth0")
        #expect(Self.wanted.allSatisfy { $0.comment == "macspoofchk-c1-eth0" })
        #expect(Self.wanted.map(\.chain) == ["PREROUTING", "cni-br-iface-c1-eth0", "cni-br-iface-c1-eth0-mac", "cni-br-iface-c1-eth0-mac"])
    }

    @Test("the rules are nft's encoding of the reference's text")
    func encoding() {
        let padded = Array("veth1".utf8) + [UInt8](repeating: 0, count: 11)
        #expect(Self.wanted[0].expressions == [
            .meta(key: UInt32(NFT_META_IIFNAME.rawValue), register: 1), .compare(register: 1, operation: 0, data: padded),
            .verdict(code: Int32(NFT_JUMP.rawValue), chain: "cni-br-iface-c1-eth0")])
        #expect(Self.wanted[2].expressions == [
            .payload(base: UInt32(NFT_PAYLOAD_LL_HEADER.rawValue), offset: 6, length: 6, register: 1),
            .compare(register: 1, operation: 0, data: [0x0a, 0x58, 0x0a, 0x0c, 0x00, 0x02]),
            .verdict(code: Int32(NFT_RETURN.rawValue), chain: nil)])
        #expect(Self.wanted[3].expressions == [.verdict(code: Int32(NF_DROP), chain: nil)])
    }

    @Test("setUp finds its own rules in place and leaves them")
    func inPlace() {
        #expect(MACSpoofCheckRules.isInPlace(Self.inPlace, network: "n12", wanted: Self.wanted))
        #expect(MACSpoofCheckRules.firstMissing(Self.inPlace, wanted: Self.wanted) == nil)
    }

    @Test("setUp rewrites when the host veth differs, the chain is untagged or another network's, or a rule is gone")
    func notInPlace() {
        let otherVeth = MACSpoofCheckRules.wanted(hostInterface: "veth9", attachment: Attachment(containerID: "c1", ifname: "eth0"), mac: Self.mac)
        #expect(!MACSpoofCheckRules.isInPlace(Self.inPlace, network: "n12", wanted: otherVeth))
        var untagged = Self.inPlace
        untagged.interfaceChain?.comment = nil
        #expect(!MACSpoofCheckRules.isInPlace(untagged, network: "n12", wanted: Self.wanted))
        #expect(!MACSpoofCheckRules.isInPlace(Self.inPlace, network: "n13", wanted: Self.wanted))
        var noDrop = Self.inPlace
        noDrop.macRules.removeLast()
        #expect(!MACSpoofCheckRules.isInPlace(noDrop, network: "n12", wanted: Self.wanted))
    }

    @Test("CHECK names the first rule that differs")
    func check() {
        let otherMAC = MACSpoofCheckRules.wanted(hostInterface: "veth1", attachment: Attachment(containerID: "c1", ifname: "eth0"),
                                                 mac: MACAddress("0a:58:0a:0c:00:09")!)
        #expect(MACSpoofCheckRules.firstMissing(Self.inPlace, wanted: otherMAC) == otherMAC[2])
        #expect(MACSpoofCheckPlan.wantedRules(hostInterface: "veth1", attachment: Attachment(containerID: "c1", ifname: "eth0"), mac: MACAddress("0A:58:0A:0C:00:09")!)[2].text
                == "ether saddr 0a:58:0a:0c:00:09 return comment \"macspoofchk-c1-eth0\"")
    }
}
