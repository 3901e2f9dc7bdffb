import TestKit
import Testing

/// What the node and the pod look like after a successful ADD
/// (REFERENCE.md §2.1, §2.2).
@Suite("ADD kernel state", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct AddKernelStateTests {
    /// ADDs one pod with `overrides` and returns (pod, host veth name).
    private func addOne(_ net: TestNetwork, _ overrides: JSON = [:], cniArgs: String? = nil,
                        version: String = "1.0.0") throws -> (pod: Pod, hostVeth: String, result: JSON) {
        let attachment = try net.attachment()
        let result = try net.add(attachment, config: net.config(version, overrides), cniArgs: cniArgs)
        let hostVeth = try #require(result["interfaces"]?[1]?["name"]?.string, "\(result)")
        return (attachment.pod, hostVeth, result)
    }

    @Test("the container interface has the address and is up")
    func containerAddressAndUp() throws {
        try withTestNetwork { net in
            let (pod, _, _) = try addOne(net)
            #expect(try Kernel.addresses(of: "eth0", in: pod) == [net.address(2) + "/24"])
            let link = try #require(try Kernel.link("eth0", in: pod))
            #expect(link["flags"]?.array?.contains("UP") == true)
            #expect(link["operstate"]?.string == "UP")
        }
    }

    @Test("the pod's default route goes via the gateway with isDefaultGateway")
    func podDefaultRoute() throws {
        try withTestNetwork { net in
            let (pod, _, _) = try addOne(net, ["isDefaultGateway": true])
            let routes = try Kernel.routes(in: pod)
            #expect(routes.contains(Kernel.Route(destination: "default", gateway: net.gateway, device: "eth0")),
                    "\(routes)")
        }
    }

    @Test("the host veth is a port of the bridge and is up")
    func hostVethOnBridge() throws {
        try withTestNetwork { net in
            let (_, hostVeth, _) = try addOne(net)
            let link = try #require(try Kernel.link(hostVeth))
            #expect(link["master"]?.string == net.bridgeName)
            #expect(link["linkinfo"]?["info_kind"]?.string == "veth")
            #expect(link["operstate"]?.string == "UP")
            #expect(try Kernel.ports(of: net.bridgeName) == [hostVeth])
        }
    }

    @Test("a new bridge is a bridge and is up")
    func bridgeCreated() throws {
        try withTestNetwork { net in
            _ = try addOne(net)
            let bridge = try #require(try Kernel.link(net.bridgeName))
            #expect(bridge["linkinfo"]?["info_kind"]?.string == "bridge")
            #expect(bridge["flags"]?.array?.contains("UP") == true)
        }
    }

    @Test("isGateway puts the gateway address on the bridge")
    func gatewayOnBridge() throws {
        try withTestNetwork { net in
            _ = try addOne(net, ["isGateway": true])
            #expect(try Kernel.addresses(of: net.bridgeName) == [net.gateway + "/24"])
        }
    }

    @Test("without isGateway the bridge gets no address")
    func noGatewayWithoutIsGateway() throws {
        try withTestNetwork { net in
            _ = try addOne(net)
            #expect(try Kernel.addresses(of: net.bridgeName).isEmpty)
        }
    }

    @Test("isGateway turns on IPv4 forwarding")
    func forwarding() throws {
        try withTestNetwork { net in
            _ = try addOne(net, ["isGateway": true])
            #expect(Kernel.sysctl("net/ipv4/ip_forward") == "1")
        }
    }

    @Test("the pod's interface has DAD off and arp_notify on")
    func podSysctls() throws {
        try withTestNetwork { net in
            let (pod, _, _) = try addOne(net)
            #expect(try pod.sysctl("net/ipv6/conf/eth0/accept_dad") == "0")
            #expect(try pod.sysctl("net/ipv4/conf/eth0/arp_notify") == "1")
        }
    }

    @Test("the bridge and the host veth ignore router advertisements")
    func hostAcceptRA() throws {
        try withTestNetwork { net in
            let (_, hostVeth, _) = try addOne(net)
            #expect(Kernel.sysctl("net/ipv6/conf/\(net.bridgeName)/accept_ra") == "0")
            #expect(Kernel.sysctl("net/ipv6/conf/\(hostVeth)/accept_ra") == "0")
        }
    }

    @Test("hairpinMode sets the port's hairpin_mode", arguments: [false, true])
    func hairpin(enabled: Bool) throws {
        try withTestNetwork { net in
            let (_, hostVeth, _) = try addOne(net, ["hairpinMode": .bool(enabled)])
            #expect(Kernel.sysfs("\(hostVeth)/brport/hairpin_mode") == (enabled ? "1" : "0"))
        }
    }

    @Test("portIsolation sets the port's isolated flag", arguments: [false, true])
    func isolation(enabled: Bool) throws {
        try withTestNetwork { net in
            let (_, hostVeth, _) = try addOne(net, ["portIsolation": .bool(enabled)])
            #expect(Kernel.sysfs("\(hostVeth)/brport/isolated") == (enabled ? "1" : "0"))
        }
    }

    @Test("mtu applies to both veth ends and to a new bridge")
    func mtu() throws {
        try withTestNetwork { net in
            let (pod, hostVeth, _) = try addOne(net, ["mtu": 1400])
            #expect(try Kernel.link("eth0", in: pod)?["mtu"]?.int == 1400)
            #expect(try Kernel.link(hostVeth)?["mtu"]?.int == 1400)
            #expect(try Kernel.link(net.bridgeName)?["mtu"]?.int == 1400)
        }
    }

    @Test("promiscMode turns promiscuous mode on for the bridge")
    func promiscuous() throws {
        try withTestNetwork { net in
            _ = try addOne(net, ["promiscMode": true])
            let bridge = try #require(try Kernel.link(net.bridgeName))
            #expect((bridge["promiscuity"]?.int ?? 0) > 0)
            #expect(bridge["flags"]?.array?.contains("PROMISC") == true)
        }
    }

    struct MACCase: CustomTestStringConvertible, Sendable {
        let name: String
        let runtimeConfig: String?
        let argsCNI: String?
        let cniArgs: String?
        let expected: String
        var testDescription: String { name }
    }

    static let macCases = [
        MACCase(name: "CNI_ARGS MAC alone", runtimeConfig: nil, argsCNI: nil,
                cniArgs: "0a:58:0a:00:00:03", expected: "0a:58:0a:00:00:03"),
        MACCase(name: "args.cni.mac beats CNI_ARGS", runtimeConfig: nil, argsCNI: "0a:58:0a:00:00:02",
                cniArgs: "0a:58:0a:00:00:03", expected: "0a:58:0a:00:00:02"),
        MACCase(name: "runtimeConfig.mac beats both", runtimeConfig: "0a:58:0a:00:00:01",
                argsCNI: "0a:58:0a:00:00:02", cniArgs: "0a:58:0a:00:00:03", expected: "0a:58:0a:00:00:01"),
        MACCase(name: "runtimeConfig.mac beats CNI_ARGS", runtimeConfig: "0a:58:0a:00:00:01", argsCNI: nil,
                cniArgs: "0a:58:0a:00:00:03", expected: "0a:58:0a:00:00:01"),
        MACCase(name: "upper case is accepted and reported in lower case", runtimeConfig: "0A:58:0A:00:00:0B",
                argsCNI: nil, cniArgs: nil, expected: "0a:58:0a:00:00:0b"),
    ]

    @Test("the container MAC comes from runtimeConfig.mac, else args.cni.mac, else CNI_ARGS MAC",
          arguments: macCases)
    func macPrecedence(_ testCase: MACCase) throws {
        try withTestNetwork { net in
            var overrides: JSON = [:]
            if let mac = testCase.runtimeConfig { overrides["runtimeConfig"] = ["mac": .string(mac)] }
            if let mac = testCase.argsCNI { overrides["args"] = ["cni": ["mac": .string(mac)]] }
            // host-local reads the same CNI_ARGS, so IgnoreUnknown is needed.
            let cniArgs = testCase.cniArgs.map { "IgnoreUnknown=1;MAC=\($0)" }
            let (pod, _, result) = try addOne(net, overrides, cniArgs: cniArgs)
            #expect(try Kernel.link("eth0", in: pod)?["address"]?.string == testCase.expected)
            #expect(result["interfaces"]?[2]?["mac"]?.string == testCase.expected)
        }
    }

    @Test("an existing bridge is reused as it is: same link, its MTU unchanged")
    func existingBridgeReused() throws {
        try withTestNetwork { net in
            try Tool.run("ip", "link", "add", net.bridgeName, "type", "bridge")
            // Set after creation, the MTU counts as the administrator's: the
            // kernel then no longer lowers it to the smallest port's.
            try Tool.run("ip", "link", "set", net.bridgeName, "mtu", "1450")
            let before = try #require(try Kernel.link(net.bridgeName))
            let (pod, hostVeth, _) = try addOne(net, ["mtu": 1400])
            let after = try #require(try Kernel.link(net.bridgeName))
            #expect(after["ifindex"] == before["ifindex"])
            #expect(after["mtu"]?.int == 1450)
            #expect(try Kernel.link("eth0", in: pod)?["mtu"]?.int == 1400)
            #expect(try Kernel.link(hostVeth)?["mtu"]?.int == 1400)
        }
    }

    @Test("ADD for a second interface of the same pod gives it its own address")
    func secondInterface() throws {
        try withTestNetwork { net in
            let first = try net.attachment()
            var second = first
            second.ifname = "eth1"
            try net.add(first, config: net.config())
            let result = try net.add(second, config: net.config())
            #expect(result["interfaces"]?[2]?["name"]?.string == "eth1")
            #expect(try Kernel.addresses(of: "eth1", in: first.pod) == [net.address(3) + "/24"])
            #expect(try Kernel.addresses(of: "eth0", in: first.pod) == [net.address(2) + "/24"])
        }
    }

    /// IPAM routes of two interfaces of one pod: each interface gets its own
    /// route to the shared destination (the reference adds routes with
    /// NLM_F_CREATE alone, REFERENCE.md §2.1), unlike `ip route add`.
    static let sharedRoute: JSON = ["ipam": ["routes": [["dst": "10.200.0.0/16"]]]]

    @Test("ADD for a second interface of the same pod adds its IPAM route beside the first interface's")
    func secondInterfaceSharedRoute() throws {
        try withTestNetwork { net in
            let first = try net.attachment()
            var second = first
            second.ifname = "eth1"
            try net.add(first, config: net.config("1.0.0", Self.sharedRoute))
            try net.add(second, config: net.config("1.0.0", Self.sharedRoute))
            let shared = try Kernel.routes(in: first.pod).filter { $0.destination == "10.200.0.0/16" }
            #expect(Set(shared) == [Kernel.Route(destination: "10.200.0.0/16", gateway: net.gateway, device: "eth0"),
                                    Kernel.Route(destination: "10.200.0.0/16", gateway: net.gateway, device: "eth1")])
        }
    }

    @Test("the reference also adds the second interface's IPAM route",
          .enabled(if: Plugins.referenceIsInstalled, "needs /usr/lib/cni/bridge"))
    func referenceSecondInterfaceSharedRoute() throws {
        try withTestNetwork { net in
            let first = try net.attachment()
            var second = first
            second.ifname = "eth1"
            try net.add(first, config: net.config("1.0.0", Self.sharedRoute), plugin: Plugins.referenceBridge)
            try net.add(second, config: net.config("1.0.0", Self.sharedRoute), plugin: Plugins.referenceBridge)
            let shared = try Kernel.routes(in: first.pod).filter { $0.destination == "10.200.0.0/16" }
            #expect(shared.map(\.device).sorted() == ["eth0", "eth1"])
        }
    }

    @Test("an IPv4 route without gw on an IPv6-only range goes on each interface of the pod")
    func secondInterfaceRouteWithoutGateway() throws {
        try withTestNetwork { net in
            let ipam: JSON = ["ipam": ["ranges": [[["subnet": .string(net.subnet6)]]], "routes": [["dst": "0.0.0.0/0"]]]]
            let first = try net.attachment()
            var second = first
            second.ifname = "eth1"
            try net.add(first, config: net.config("1.0.0", ipam))
            try net.add(second, config: net.config("1.0.0", ipam))
            let defaults = try Kernel.routes(in: first.pod).filter { $0.destination == "default" }
            #expect(Set(defaults.map(\.device)) == ["eth0", "eth1"], "\(defaults)")
        }
    }
}
