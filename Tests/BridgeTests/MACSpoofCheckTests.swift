import TestKit
import Testing

/// `macspoofchk`: nftables bridge-family rules that drop frames whose source
/// MAC is not the pod's (REFERENCE.md §2.8).
@Suite("macspoofchk", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct MACSpoofCheckTests {
    @Test("ADD installs rules for the pod's MAC on its host veth")
    func installs() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let result = try net.add(attachment, config: net.config("1.0.0", ["macspoofchk": true]))
            let mac = try #require(result["interfaces"]?[2]?["mac"]?.string)
            let hostVeth = try #require(result["interfaces"]?[1]?["name"]?.string)
            let ruleset = try Tool.run("nft", "list", "table", "bridge", "nat")
            let ours = ruleset.split(separator: "\n").filter { $0.contains(attachment.containerID) }
            #expect(ours.contains { $0.contains("ether saddr \(mac) return") }, "\(ruleset)")
            #expect(ours.contains { $0.contains("iifname \"\(hostVeth)\"") }, "\(ruleset)")
            #expect(ours.contains { $0.contains("drop") }, "\(ruleset)")
        }
    }

    @Test("CHECK after ADD succeeds")
    func check() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config("1.0.0", ["macspoofchk": true])
            let result = try net.add(attachment, config: config)
            let outcome = try net.call("CHECK", attachment, config: net.withPrevResult(config, result))
            #expect(outcome.succeeded, "\(outcome)")
        }
    }

    @Test("DEL removes the rules, even when the namespace is gone", arguments: [false, true])
    func deleteRemoves(namespaceGone: Bool) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config("1.0.0", ["macspoofchk": true])
            try net.add(attachment, config: config)
            if namespaceGone { attachment.pod.destroy() }
            let outcome = try net.call("DEL", attachment, config: config)
            #expect(outcome.succeeded, "\(outcome)")
            #expect(try Firewall.rules(mentioning: attachment.containerID).isEmpty)
        }
    }

    @Test("a failed ADD removes the rules it made")
    func rolledBack() throws {
        try withTestNetwork { net in
            try Tool.run("ip", "link", "add", net.bridgeName, "type", "bridge")
            try Tool.run("ip", "address", "add", "192.0.2.1/24", "dev", net.bridgeName)
            let attachment = try net.attachment()
            let outcome = try net.call("ADD", attachment,
                                       config: net.config("1.0.0", ["macspoofchk": true, "isGateway": true]))
            #expect(!outcome.succeeded)
            #expect(try Firewall.rules(mentioning: attachment.containerID).isEmpty)
        }
    }
}
