import TestKit
import Testing

/// IPv4 and IPv6 ranges in one network.
@Suite("Dual stack", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct DualStackTests {
    private func config(_ net: TestNetwork, _ version: String = "1.0.0") -> JSON {
        net.config(version, ["isDefaultGateway": true, "ipam": net.ipam(dualStack: true)])
    }

    @Test("ADD returns one address per family on interface 2, with gateways and default routes")
    func result() throws {
        try withTestNetwork { net in
            let result = try net.add(try net.attachment(), config: config(net))
            #expect(result["ips"] == [
                ["address": .string(net.address(2) + "/24"), "gateway": .string(net.gateway), "interface": 2],
                ["address": .string(net.address6(2) + "/64"), "gateway": .string(net.gateway6), "interface": 2],
            ])
            #expect(result["routes"] == [
                ["dst": "0.0.0.0/0", "gw": .string(net.gateway)],
                ["dst": "::/0", "gw": .string(net.gateway6)],
            ])
        }
    }

    @Test("0.2.0: ADD returns ip4 and ip6")
    func legacyResult() throws {
        try withTestNetwork { net in
            let result = try net.add(try net.attachment(), config: config(net, "0.2.0"))
            #expect(result["ip4"]?["ip"]?.string == net.address(2) + "/24")
            #expect(result["ip6"]?["ip"]?.string == net.address6(2) + "/64")
            #expect(result["ip6"]?["routes"] == [["dst": "::/0", "gw": .string(net.gateway6)]])
        }
    }

    @Test("ADD configures both families in the pod and on the bridge")
    func kernelState() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            try net.add(attachment, config: config(net))
            #expect(try Kernel.addresses(of: "eth0", in: attachment.pod)
                    == [net.address(2) + "/24", net.address6(2) + "/64"].sorted())
            #expect(try Kernel.addresses(of: net.bridgeName)
                    == [net.gateway + "/24", net.gateway6 + "/64"].sorted())
            #expect(try Kernel.routes(in: attachment.pod, family: 6)
                .contains(Kernel.Route(destination: "default", gateway: net.gateway6, device: "eth0")))
            #expect(Kernel.sysctl("net/ipv6/conf/all/forwarding") == "1")
            #expect(try attachment.pod.sysctl("net/ipv6/conf/eth0/keep_addr_on_down") == "1")
        }
    }

    @Test("DEL removes the interface and releases both addresses")
    func delete() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = config(net)
            let result = try net.add(attachment, config: config)
            #expect(net.reservedAddresses.count == 2)
            let outcome = try net.call("DEL", attachment, config: net.withPrevResult(config, result))
            #expect(outcome.succeeded, "\(outcome)")
            #expect(net.reservedAddresses.isEmpty)
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(try Kernel.ports(of: net.bridgeName).isEmpty)
        }
    }

    @Test("DEL removes the IPv4 and IPv6 masquerade rules", arguments: Firewall.backends)
    func deleteMasquerade(backend: String) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config("1.0.0", ["isGateway": true, "ipMasq": true, "ipMasqBackend": .string(backend),
                                              "ipam": net.ipam(dualStack: true)])
            try net.add(attachment, config: config)
            let rules = try Firewall.rules(mentioning: attachment.containerID)
            #expect(rules.contains { $0.contains(net.address6(2)) }, "no IPv6 rule: \(rules)")
            #expect(try net.call("DEL", attachment, config: config).succeeded)
            #expect(try Firewall.leftovers(network: net.networkName, containerID: attachment.containerID).isEmpty)
        }
    }

    @Test("an IPv6-only network configures the pod and the bridge")
    func ipv6Only() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config("1.0.0", ["isDefaultGateway": true,
                                              "ipam": ["ranges": [[["subnet": .string(net.subnet6)]]]]])
            let result = try net.add(attachment, config: config)
            #expect(result["ips"] == [["address": .string(net.address6(2) + "/64"), "gateway": .string(net.gateway6),
                                       "interface": 2]])
            #expect(result["routes"] == [["dst": "::/0", "gw": .string(net.gateway6)]])
            #expect(try Kernel.addresses(of: "eth0", in: attachment.pod) == [net.address6(2) + "/64"])
            #expect(try Kernel.addresses(of: net.bridgeName) == [net.gateway6 + "/64"])
            let outcome = try net.call("CHECK", attachment, config: net.withPrevResult(config, result))
            #expect(outcome.succeeded, "\(outcome)")
        }
    }

    @Test("with enabledad the address has finished DAD when ADD returns")
    func duplicateAddressDetection() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config("1.0.0", ["isDefaultGateway": true, "enabledad": true,
                                              "ipam": net.ipam(dualStack: true)])
            try net.add(attachment, config: config)
            #expect(try attachment.pod.sysctl("net/ipv6/conf/eth0/accept_dad") == "1")
            #expect(try attachment.pod.sysctl("net/ipv6/conf/eth0/enhanced_dad") == "1")
            let text = try Tool.run("ip", "-n", attachment.pod.name, "-6", "address", "show", "dev", "eth0")
            #expect(!text.contains("tentative"), "\(text)")
            #expect(text.contains(net.address6(2)))
        }
    }
}
