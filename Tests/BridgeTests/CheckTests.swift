import TestKit
import Testing

/// CHECK verifies that what ADD reported is still in place
/// (REFERENCE.md §1.6, §2.5).
@Suite("CHECK", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct CheckTests {
    /// ADDs one pod with masquerading; `body` gets the attachment, the
    /// configuration with `prevResult`, and the host veth's name.
    private func afterAdd(backend: String = "iptables", version: String = "1.0.0",
                          _ body: (TestNetwork, Attachment, JSON, String) throws -> Void) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config(version, ["isDefaultGateway": true, "ipMasq": true,
                                              "ipMasqBackend": .string(backend)])
            let result = try net.add(attachment, config: config)
            let hostVeth = try #require(result["interfaces"]?[1]?["name"]?.string)
            try body(net, attachment, net.withPrevResult(config, result), hostVeth)
        }
    }

    @Test("after ADD succeeds, with the ADD result as prevResult", arguments: ["1.1.0", "1.0.0", "0.4.0"])
    func succeedsAfterAdd(version: String) throws {
        try afterAdd(version: version) { net, attachment, config, _ in
            let outcome = try net.call("CHECK", attachment, config: config)
            #expect(outcome.succeeded, "\(outcome)")
            #expect(outcome.stdout.isEmpty)
        }
    }

    @Test("after ADD of IPAM routes to one destination via two gateways, finds both",
          arguments: [Plugins.bridge, Plugins.referenceBridge])
    func routesSharingADestination(plugin: String) throws {
        if plugin == Plugins.referenceBridge && !Plugins.referenceIsInstalled { return }
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let routes: JSON = [["dst": "10.200.0.0/16", "gw": .string(net.address(10))],
                                ["dst": "10.200.0.0/16", "gw": .string(net.address(11))]]
            let config = net.config("1.0.0", ["ipam": ["routes": routes]])
            let result = try net.add(attachment, config: config, plugin: plugin)
            let outcome = try net.call("CHECK", attachment, config: net.withPrevResult(config, result), plugin: plugin)
            #expect(outcome.succeeded, "\(outcome)")
        }
    }

    @Test("after ADD succeeds whatever MAC CNI_ARGS names (only ADD uses and validates it, as in the reference)")
    func ignoresInvalidMAC() throws {
        try afterAdd { net, attachment, config, _ in
            let outcome = try net.call("CHECK", attachment, config: config, cniArgs: "IgnoreUnknown=1;MAC=zz")
            #expect(outcome.succeeded, "\(outcome)")
        }
    }

    @Test("with hairpinMode and promiscMode checks the bridge's promiscuous mode, as the reference does")
    func hairpinWithPromiscChecksState() throws {
        try afterAdd { net, attachment, config, _ in
            var both = config
            both["hairpinMode"] = true
            both["promiscMode"] = true
            let outcome = try net.call("CHECK", attachment, config: both)
            #expect(outcome.errorMessage.hasPrefix("Bridge interface \(net.bridgeName) configured Promisc Mode true"),
                    "\(outcome)")
        }
    }

    @Test("with CNI_NETNS naming the plugin's own namespace, fails with code 8 as ADD and DEL do")
    func ownNamespaceRefused() throws {
        try afterAdd { net, attachment, config, _ in
            var own = attachment
            own.netns = "/proc/self/ns/net"
            let outcome = try net.call("CHECK", own, config: config)
            #expect(outcome.errorCode == 8, "\(outcome)")
            #expect(outcome.errorMessage == "plugin's netns and netns from CNI_NETNS should not be the same")
        }
    }

    @Test("with a bridge name the kernel refuses, reports IPAM's failure first, as the reference does")
    func invalidBridgeNameAfterIPAM() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let outcome = try net.call("CHECK", attachment, config: net.config("0.4.0", ["bridge": ""]))
            #expect(outcome.errorMessage == "host-local: Failed to find address added by container \(attachment.containerID)",
                    "\(outcome)")
        }
    }

    @Test("with a bridge name the kernel refuses, fails with code 7 once IPAM's check passes")
    func invalidBridgeName() throws {
        try afterAdd { net, attachment, config, _ in
            var renamed = config
            renamed["bridge"] = "bad name"
            let outcome = try net.call("CHECK", attachment, config: renamed)
            #expect(outcome.errorCode == 7, "\(outcome)")
            #expect(outcome.errorMessage == "failed to create bridge \"bad name\": could not add \"bad name\": invalid argument", "\(outcome)")
        }
    }

    @Test("fails once the container's address is removed")
    func addressRemoved() throws {
        try afterAdd { net, attachment, config, _ in
            try attachment.pod.run("ip", "address", "del", net.address(2) + "/24", "dev", "eth0")
            let outcome = try net.call("CHECK", attachment, config: config)
            #expect(!outcome.succeeded)
            #expect(outcome.errorMessage.contains(net.address(2)), "\(outcome)")
        }
    }

    @Test("fails once the default route is removed")
    func routeRemoved() throws {
        try afterAdd { net, attachment, config, _ in
            try attachment.pod.run("ip", "route", "del", "default")
            let outcome = try net.call("CHECK", attachment, config: config)
            #expect(!outcome.succeeded)
            #expect(outcome.errorMessage.contains("Route"), "\(outcome)")
        }
    }

    @Test("fails once the host veth is detached from the bridge")
    func vethDetached() throws {
        try afterAdd { net, attachment, config, hostVeth in
            try Tool.run("ip", "link", "set", hostVeth, "nomaster")
            let outcome = try net.call("CHECK", attachment, config: config)
            #expect(!outcome.succeeded)
            #expect(outcome.errorMessage == "CNI veth created for bridge \(net.bridgeName) was not found", "\(outcome)")
        }
    }

    @Test("fails once the masquerade rule is deleted", arguments: Firewall.backends)
    func masqueradeRuleDeleted(backend: String) throws {
        try afterAdd(backend: backend) { net, attachment, config, _ in
            try Firewall.deleteMasqueradeRules(backend: backend, network: net.networkName,
                                               containerID: attachment.containerID)
            let outcome = try net.call("CHECK", attachment, config: config)
            #expect(!outcome.succeeded, "\(outcome)")
        }
    }

    @Test("fails once the IP reservation is gone")
    func reservationGone() throws {
        try afterAdd { net, attachment, config, _ in
            for address in net.reservedAddresses {
                unlinkQuietly(net.dataDir + "/" + net.networkName + "/" + address)
            }
            let outcome = try net.call("CHECK", attachment, config: config)
            #expect(!outcome.succeeded, "\(outcome)")
        }
    }

    @Test("fails once the container interface is gone")
    func interfaceGone() throws {
        try afterAdd { net, attachment, config, _ in
            try attachment.pod.run("ip", "link", "del", "eth0")
            let outcome = try net.call("CHECK", attachment, config: config)
            #expect(!outcome.succeeded)
            #expect(outcome.errorMessage.contains("eth0"), "\(outcome)")
        }
    }

    @Test("without prevResult fails")
    func withoutPrevResult() throws {
        try afterAdd { net, attachment, config, _ in
            var config = config
            config["prevResult"] = nil
            let outcome = try net.call("CHECK", attachment, config: config)
            #expect(!outcome.succeeded)
            #expect(outcome.errorMessage == "Required prevResult missing", "\(outcome)")
        }
    }

    @Test("fails once the bridge's MAC is not the one ADD reported, as the reference's does")
    func bridgeMACMoved() throws {
        try afterAdd { net, attachment, config, _ in
            let reported = try #require(config["prevResult"]?["interfaces"]?[0]?["mac"]?.string)
            // What an unpinned bridge does when a port with a lower MAC joins.
            let moved = reported == "02:00:00:00:00:01" ? "02:00:00:00:00:02" : "02:00:00:00:00:01"
            try Tool.run("ip", "link", "set", net.bridgeName, "address", moved)
            let outcome = try net.call("CHECK", attachment, config: config)
            #expect(outcome.errorMessage == "Bridge interface \(net.bridgeName) Mac doesn't match: \(reported)",
                    "\(outcome)")
        }
    }

    @Test("with a prevResult that names no bridge fails first on the bridge, as the reference's does")
    func prevResultWithoutBridge() throws {
        try afterAdd { net, attachment, config, _ in
            var config = config
            config["prevResult"] = ["cniVersion": "1.0.0", "ips": [["address": .string(net.address(2) + "/24")]]]
            let outcome = try net.call("CHECK", attachment, config: config)
            #expect(outcome.errorMessage == "Interface name missing ", "\(outcome)")
        }
    }

    @Test("with a prevResult whose pod interface is in another sandbox names none, as the reference's does")
    func prevResultOtherSandbox() throws {
        try afterAdd { net, attachment, config, _ in
            var interfaces = try #require(config["prevResult"]?["interfaces"]?.array)
            interfaces[2] = interfaces[2].setting("sandbox", "/run/netns/elsewhere")
            var config = config
            config["prevResult"]?["interfaces"] = .array(interfaces)
            let outcome = try net.call("CHECK", attachment, config: config)
            #expect(outcome.errorMessage == "Sandbox in prevResult  doesn't match configured netns: \(attachment.pod.path)",
                    "\(outcome)")
        }
    }

    @Test("of every pod still succeeds after other pods joined the same bridge",
          arguments: ["L2", "L3 without isGateway", "L3 with isGateway"])
    func afterOthersJoined(mode: String) throws {
        try withTestNetwork { net in
            let config: JSON = switch mode {
            case "L2": net.config("1.0.0", ["ipam": nil])
            case "L3 without isGateway": net.config("1.0.0")
            default: net.config("1.0.0", ["isGateway": true])
            }
            // Enough ports that some join with a MAC lower than the first's.
            var added: [(Attachment, JSON)] = []
            for _ in 0..<8 {
                let attachment = try net.attachment()
                added.append((attachment, try net.add(attachment, config: config)))
            }
            for (attachment, result) in added {
                let outcome = try net.call("CHECK", attachment, config: net.withPrevResult(config, result))
                #expect(outcome.succeeded, "\(outcome)")
            }
        }
    }
}
