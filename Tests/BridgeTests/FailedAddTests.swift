import TestKit
import Testing

/// A failed ADD leaves nothing behind (REFERENCE.md §2.10: the reference
/// leaves the bridge, the veth and sometimes masquerade rules).
@Suite("Failed ADD", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct FailedAddTests {
    enum BadNamespace: String, CaseIterable, Sendable {
        case missing = "a path that does not exist"
        case regularFile = "a regular file"
        case directory = "a directory"
    }

    @Test("with a CNI_NETNS that is not a namespace, fails before any side effect",
          arguments: BadNamespace.allCases)
    func badNamespace(_ kind: BadNamespace) throws {
        try withTestNetwork { net in
            var attachment = try net.attachment()
            switch kind {
            case .missing:
                attachment.netns = net.directory + "/no-such-netns"
            case .regularFile:
                attachment.netns = net.directory + "/stale-netns"
                writeFile(attachment.netns, "")
            case .directory:
                attachment.netns = net.directory
            }
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0", ["isGateway": true, "ipMasq": true]))
            #expect(!outcome.succeeded)
            #expect(outcome.errorMessage.contains("failed to open netns"), "\(outcome)")
            #expect(try !Kernel.linkExists(net.bridgeName))
            #expect(net.reservedAddresses.isEmpty)
            #expect(try Firewall.leftovers(network: net.networkName, containerID: attachment.containerID).isEmpty)
        }
    }

    @Test("with a CNI_NETNS that is not a namespace and an invalid MAC names the namespace first, as the reference does")
    func badNamespaceBeforeBadMAC() throws {
        try withTestNetwork { net in
            var attachment = try net.attachment()
            attachment.netns = net.directory + "/stale-netns"
            writeFile(attachment.netns, "")
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0"), cniArgs: "IgnoreUnknown=1;MAC=zz")
            #expect(outcome.errorMessage.contains("failed to open netns"), "\(outcome)")
        }
    }

    @Test("with an mtu no Ethernet device takes, fails with code 7 before any side effect", arguments: [
        (65536, "invalid MTU 65536 (must be at most 65535)"),
        (67, "invalid MTU 67 (must be at least 68)"),
        (1, "invalid MTU 1 (must be at least 68)"),
    ])
    func mtuOutOfBounds(mtu: Int, message: String) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0", ["mtu": .number(Double(mtu))]))
            #expect(outcome.errorCode == 7, "\(outcome)")
            #expect(outcome.errorMessage == message)
            #expect(try !Kernel.linkExists(net.bridgeName))
            #expect(net.reservedAddresses.isEmpty)
            #expect(!exists(net.dataDir + "/" + net.networkName), "the store is not even opened")
        }
    }

    @Test("with CNI_NETNS naming the plugin's own namespace, fails with code 8 and touches nothing")
    func ownNamespace() throws {
        try withTestNetwork { net in
            var attachment = try net.attachment(ifname: TestNode.uniqueName("ce"))
            attachment.netns = "/proc/self/ns/net"
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0", ["isGateway": true]))
            #expect(!outcome.succeeded)
            #expect(outcome.errorCode == 8, "\(outcome)")
            #expect(outcome.errorMessage == "plugin's netns and netns from CNI_NETNS should not be the same")
            // Exactly one JSON document on stdout (the reference printed two).
            #expect((try? outcome.json) != nil)
            #expect(try !Kernel.linkExists(net.bridgeName))
            #expect(try !Kernel.linkExists(attachment.ifname))
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    @Test("whose IPAM range is exhausted leaves no veth behind")
    func exhaustedRange() throws {
        try withTestNetwork { net in
            // A /30 has exactly one address to give after the gateway.
            let config = net.config("1.0.0", ["isGateway": true, "ipam": net.ipam(subnet: net.address(0) + "/30")])
            let first = try net.attachment()
            let result = try net.add(first, config: config)
            let firstVeth = try #require(result["interfaces"]?[1]?["name"]?.string)
            let second = try net.attachment()
            let outcome = try net.call("ADD", second, config: config)
            #expect(!outcome.succeeded)
            #expect(try second.pod.linkNames() == ["lo"])
            #expect(try Kernel.ports(of: net.bridgeName) == [firstVeth])
            #expect(net.reservedAddresses == [net.address(2)])
        }
    }

    @Test("whose IPAM plugin is missing leaves no veth behind")
    func missingIPAMPlugin() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0", ["ipam": ["type": "no-such-ipam"]]))
            #expect(!outcome.succeeded)
            #expect(outcome.errorMessage.contains("failed to find plugin \"no-such-ipam\""), "\(outcome)")
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(try Kernel.ports(of: net.bridgeName).isEmpty)
        }
    }

    @Test("that fails after the veth exists removes the veth, the reservation and the masquerade rules",
          arguments: Firewall.backends)
    func failureAfterVeth(backend: String) throws {
        try withTestNetwork { net in
            // The bridge already has another address: without forceAddress
            // the gateway cannot be added, after the veth and IP were made.
            try Tool.run("ip", "link", "add", net.bridgeName, "type", "bridge")
            try Tool.run("ip", "address", "add", "192.0.2.1/24", "dev", net.bridgeName)
            let attachment = try net.attachment()
            let config = net.config("1.0.0", ["isGateway": true, "ipMasq": true, "ipMasqBackend": .string(backend)])
            let outcome = try net.call("ADD", attachment, config: config)
            #expect(!outcome.succeeded)
            #expect(outcome.errorMessage.contains("already has an IP address different from \(net.gateway)/24"),
                    "\(outcome)")
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(try Kernel.ports(of: net.bridgeName).isEmpty)
            #expect(net.reservedAddresses.isEmpty)
            #expect(try Firewall.leftovers(network: net.networkName, containerID: attachment.containerID).isEmpty)
            #expect(try Kernel.addresses(of: net.bridgeName) == ["192.0.2.1/24"])
        }
    }

    @Test("whose IPAM routes hold one route twice fails with file exists and leaves nothing behind")
    func duplicateRoute() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let route: JSON = ["dst": "10.200.0.0/16"]
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0", ["ipam": ["routes": [route, route]]]))
            #expect(!outcome.succeeded)
            #expect(outcome.errorMessage.contains("failed to add route '10.200.0.0/16 via \(net.gateway) dev eth0'"),
                    "\(outcome)")
            #expect(outcome.errorMessage.hasSuffix("file exists"), "\(outcome)")
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(try Kernel.ports(of: net.bridgeName).isEmpty)
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    @Test("of a container's second interface keeps the masquerading of its first",
          arguments: Firewall.backends)
    func secondInterfaceKeepsFirstMasquerade(backend: String) throws {
        try withTestNetwork { net in
            let first = try net.attachment()
            var second = first
            second.ifname = "eth1"
            let config = net.config("1.0.0", ["ipMasq": true, "ipMasqBackend": .string(backend)])
            try net.add(first, config: config)
            let before = try Firewall.rules(mentioning: first.containerID)
            // The iptables chain is the container's, shared by both interfaces.
            // An unreachable gateway fails the ADD after its masquerading was set up.
            let failing = config.merging(["ipam": ["routes": [["dst": "10.77.0.0/16", "gw": "192.0.2.1"]]]])
            let outcome = try net.call("ADD", second, config: failing)
            #expect(outcome.errorMessage.contains("failed to add route"), "\(outcome)")
            #expect(try Firewall.rules(mentioning: first.containerID) == before)
        }
    }

    @Test("with forceAddress replaces the bridge's conflicting address")
    func forceAddress() throws {
        try withTestNetwork { net in
            try Tool.run("ip", "link", "add", net.bridgeName, "type", "bridge")
            try Tool.run("ip", "address", "add", "192.0.2.1/24", "dev", net.bridgeName)
            try net.add(try net.attachment(), config: net.config("1.0.0", ["isGateway": true, "forceAddress": true]))
            #expect(try Kernel.addresses(of: net.bridgeName) == [net.gateway + "/24"])
        }
    }

    @Test("into an interface name the pod already has fails and leaves the pod's interface alone")
    func interfaceExists() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            try attachment.pod.run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "other")
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0"))
            #expect(!outcome.succeeded)
            #expect(outcome.errorMessage == "container veth name provided (eth0) already exists", "\(outcome)")
            #expect(try attachment.pod.linkNames() == ["eth0", "lo", "other"])
            #expect(try Kernel.ports(of: net.bridgeName).isEmpty)
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    @Test("into an interface name the pod already has is reported before a missing IPAM plugin, as the reference does")
    func interfaceExistsBeforeIPAMPlugin() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            try attachment.pod.run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "other")
            net.cniPath = net.directory
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0"))
            #expect(outcome.errorMessage == "container veth name provided (eth0) already exists", "\(outcome)")
        }
    }

    @Test("with a bridge name that is not a bridge fails and leaves the link alone")
    func notABridge() throws {
        try withTestNetwork { net in
            try Tool.run("ip", "link", "add", net.bridgeName, "type", "veth", "peer", "name", net.bridgeName + "p")
            defer { _ = try? Tool.run("ip", "link", "del", net.bridgeName) }
            let attachment = try net.attachment()
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0"))
            #expect(!outcome.succeeded)
            #expect(outcome.errorMessage.contains("already exists but is not a bridge"), "\(outcome)")
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(net.reservedAddresses.isEmpty)
            // IPAM was never asked (the reference sets up the bridge first):
            // no store, no moved last_reserved_ip.
            #expect(!exists(net.dataDir + "/" + net.networkName))
        }
    }

    @Test("with a bridge name that is not a bridge says so before a missing IPAM plugin or a taken pod interface, as the reference does")
    func notABridgeFirst() throws {
        try withTestNetwork { net in
            try Tool.run("ip", "link", "add", net.bridgeName, "type", "veth", "peer", "name", net.bridgeName + "p")
            defer { _ = try? Tool.run("ip", "link", "del", net.bridgeName) }
            let attachment = try net.attachment()
            try attachment.pod.run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "other")
            net.cniPath = net.directory
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0"))
            #expect(outcome.errorMessage ==
                    "failed to create bridge \"\(net.bridgeName)\": \"\(net.bridgeName)\" already exists but is not a bridge",
                    "\(outcome)")
            // Before an mtu no device takes, too: the reference meets the link first.
            let badMTU = try net.call("ADD", attachment, config: net.config("1.0.0", ["mtu": 65536]))
            #expect(badMTU.errorMessage ==
                    "failed to create bridge \"\(net.bridgeName)\": \"\(net.bridgeName)\" already exists but is not a bridge",
                    "\(badMTU)")
        }
    }

    @Test("with a bridge name that is not a bridge says so before an invalid requested MAC, which comes before a taken pod interface, as the reference does")
    func notABridgeBeforeInvalidMAC() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            try attachment.pod.run("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "other")
            let config = net.config("1.0.0", ["runtimeConfig": ["mac": "zz"]])
            let badMAC = try net.call("ADD", attachment, config: config)
            #expect(badMAC.errorMessage == "failed to make veth pair: address zz: invalid MAC address", "\(badMAC)")
            try Tool.run("ip", "link", "add", net.bridgeName, "type", "veth", "peer", "name", net.bridgeName + "p")
            defer { _ = try? Tool.run("ip", "link", "del", net.bridgeName) }
            let outcome = try net.call("ADD", attachment, config: config)
            #expect(outcome.errorMessage ==
                    "failed to create bridge \"\(net.bridgeName)\": \"\(net.bridgeName)\" already exists but is not a bridge",
                    "\(outcome)")
        }
    }

    struct RefusedConfig: CustomTestStringConvertible, Sendable {
        let name: String
        let overrides: JSON
        let code: Int
        let message: String
        var testDescription: String { name }
    }

    static let refusedConfigs = [
        // The reference (≥ 1.6) notices only after IPAM allocated and the veth exists.
        RefusedConfig(name: "unknown ipMasqBackend", overrides: ["ipMasq": true, "ipMasqBackend": "foo"],
                      code: 7, message: "unknown ipmasq backend \"foo\""),
        RefusedConfig(name: "invalid nonMasqueradeCIDRs entry",
                      overrides: ["ipMasq": true, "nonMasqueradeCIDRs": ["10.0.0.0/8", "10.0.0.0/33"]],
                      code: 7, message: "invalid nonMasqueradeCIDRs entry \"10.0.0.0/33\""),
        RefusedConfig(name: "nonMasqueradeCIDRs entry without prefix length",
                      overrides: ["ipMasq": true, "nonMasqueradeCIDRs": ["10.0.0.1"]],
                      code: 7, message: "invalid nonMasqueradeCIDRs entry \"10.0.0.1\""),
        RefusedConfig(name: "IPAM with disableContainerInterface",
                      overrides: ["disableContainerInterface": true], code: 7,
                      message: "cannot use IPAM when DisableContainerInterface flag is set"),
        RefusedConfig(name: "bridge name longer than 15 bytes", overrides: ["bridge": "a-very-long-bridge"], code: 7,
                      message: #"failed to create bridge "a-very-long-bridge": could not add "a-very-long-bridge": numerical result out of range"#),
        RefusedConfig(name: "empty bridge name", overrides: ["bridge": ""], code: 7,
                      message: #"failed to create bridge "": could not add "": LinkAttrs.Name cannot be empty"#),
        RefusedConfig(name: "bridge name with a colon", overrides: ["bridge": "a:b"], code: 7,
                      message: #"failed to create bridge "a:b": could not add "a:b": invalid argument"#),
        RefusedConfig(name: "hairpinMode with promiscMode (1.1.1's words)", overrides: ["hairpinMode": true, "promiscMode": true],
                      code: 7, message: "cannot set hairpin mode and promiscuous mode at the same time."),
    ]

    @Test("with a route the kernel refuses names the route and the errno, as the reference does")
    func routeRefused() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let ipam = net.ipam().merging(["routes": [["dst": "10.77.0.0/16", "gw": "10.99.0.1"]]])
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0", ["ipam": ipam]))
            #expect(outcome.errorMessage == "failed to add route '10.77.0.0/16 via 10.99.0.1 dev eth0': network is unreachable",
                    "\(outcome)")
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    @Test("with a route whose gw is of the other family refuses it before the kernel, in the reference's words")
    func routeGatewayOfOtherFamily() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let ipam = net.ipam().merging(["routes": [["dst": "0.0.0.0/0", "gw": "fd00:1::1"]]])
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0", ["ipam": ipam]))
            #expect(outcome.errorMessage == "failed to add route '0.0.0.0/0 via fd00:1::1 dev eth0': "
                        + "gateway, source, and destination ip are not the same IP family", "\(outcome)")
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    @Test("with a gateway address the kernel refuses names the address and the errno only")
    func gatewayAddressRefused() throws {
        try withTestNetwork { net in
            // IPv6 off on an existing bridge: adding an IPv6 address is EACCES.
            try Tool.run("ip", "link", "add", net.bridgeName, "type", "bridge")
            try Tool.run("sysctl", "-q", "-w", "net.ipv6.conf.\(net.bridgeName).disable_ipv6=1")
            let attachment = try net.attachment()
            let ipam: JSON = ["type": "host-local", "dataDir": .string(net.dataDir),
                              "ranges": [[["subnet": "fd00:1::/120"]]]]
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0", ["isGateway": true, "ipam": ipam]))
            #expect(outcome.errorMessage == "failed to set bridge addr: could not add IP address fd00:1::1/120 to "
                        + "\"\(net.bridgeName)\": permission denied", "\(outcome)")
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    @Test("with a gateway conflict and a later gateway the kernel refuses reports the conflict and adds nothing")
    func gatewayConflictBeforeRefusal() throws {
        try withTestNetwork { net in
            // An IPv4 address in the way of the IPv4 gateway; IPv6 off, so the
            // IPv6 gateway would be refused. The reference, checking each
            // gateway before adding the next, meets the conflict first.
            try Tool.run("ip", "link", "add", net.bridgeName, "type", "bridge")
            try Tool.run("ip", "address", "add", net.address(2) + "/24", "dev", net.bridgeName)
            try Tool.run("sysctl", "-q", "-w", "net.ipv6.conf.\(net.bridgeName).disable_ipv6=1")
            let attachment = try net.attachment()
            let ipam: JSON = ["type": "host-local", "dataDir": .string(net.dataDir),
                              "ranges": [[["subnet": .string(net.subnet)]], [["subnet": .string(net.subnet6)]]]]
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0", ["isGateway": true, "ipam": ipam]))
            #expect(outcome.errorMessage == "failed to set bridge addr: \"\(net.bridgeName)\" already has an IP address "
                        + "different from \(net.gateway)/24", "\(outcome)")
            #expect(try Kernel.addresses(of: net.bridgeName) == [net.address(2) + "/24"])
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    @Test("with a configuration it cannot honour fails before any side effect", arguments: refusedConfigs)
    func refusedUpFront(_ refused: RefusedConfig) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0", refused.overrides))
            #expect(!outcome.succeeded)
            #expect(outcome.errorCode == refused.code, "\(outcome)")
            #expect(outcome.errorMessage.contains(refused.message), "\(outcome)")
            #expect(try !Kernel.linkExists(net.bridgeName))
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    /// A MAC key of the wrong JSON type: decoded with the rest of the
    /// config, as the reference's NetConf decodes it, so refused before
    /// anything is touched, whichever MAC would win.
    struct WrongTypeMAC: CustomTestStringConvertible, Sendable {
        let name: String
        let overrides: JSON
        let message: String
        var testDescription: String { name }
    }

    static let wrongTypeMACs = [
        WrongTypeMAC(name: "args.cni.mac", overrides: ["args": ["cni": ["mac": 5]]],
                     message: "failed to load netconf: json: cannot unmarshal number into Go struct field BridgeArgs.args.cni.mac of type string"),
        WrongTypeMAC(name: "args.cni.mac, with a valid runtimeConfig.mac",
                     overrides: ["args": ["cni": ["mac": 5]], "runtimeConfig": ["mac": "02:00:00:00:00:05"]],
                     message: "failed to load netconf: json: cannot unmarshal number into Go struct field BridgeArgs.args.cni.mac of type string"),
        WrongTypeMAC(name: "args.cni", overrides: ["args": ["cni": 5]],
                     message: "failed to load netconf: json: cannot unmarshal number into Go struct field .args.cni of type main.BridgeArgs"),
        WrongTypeMAC(name: "runtimeConfig.mac", overrides: ["runtimeConfig": ["mac": true]],
                     message: "failed to load netconf: json: cannot unmarshal bool into Go struct field .runtimeConfig.mac of type string"),
    ]

    @Test("with a MAC of the wrong JSON type fails with code 7 and leaves an existing bridge down",
          arguments: wrongTypeMACs)
    func macOfTheWrongType(_ mac: WrongTypeMAC) throws {
        try withTestNetwork { net in
            try Tool.run("ip", "link", "add", net.bridgeName, "type", "bridge")
            let attachment = try net.attachment()
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0", mac.overrides))
            #expect(outcome.errorCode == 7, "\(outcome)")
            #expect(outcome.errorMessage == mac.message)
            #expect(try Kernel.link(net.bridgeName)?["operstate"]?.string == "DOWN")
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    /// A range gateway of the other family than its subnet cannot go on
    /// the bridge (README, "Where we differ"): refused from host-local's
    /// keys before anything is touched.
    struct ForeignGateway: CustomTestStringConvertible, Sendable {
        let name: String
        let overrides: @Sendable (TestNetwork) -> JSON
        let message: @Sendable (TestNetwork) -> String
        var testDescription: String { name }
    }

    static let foreignGateways = [
        ForeignGateway(name: "an IPv4 gateway in an IPv6 range",
                       overrides: { net in ["ipam": ["type": "host-local", "dataDir": .string(net.dataDir),
                                                     "ranges": [[["subnet": .string(net.subnet6), "gateway": "192.0.2.1"]]]]] },
                       message: { net in "invalid gateway 192.0.2.1 for subnet \(net.subnet6): not an IPv6 address, so isGateway cannot put it on bridge \"\(net.bridgeName)\"" }),
        ForeignGateway(name: "an IPv6 gateway in an IPv4 range (legacy keys)",
                       overrides: { net in ["ipam": ["type": "host-local", "dataDir": .string(net.dataDir),
                                                     "subnet": .string(net.subnet), "gateway": "fd00::1"]] },
                       message: { net in "invalid gateway fd00::1 for subnet \(net.subnet): not an IPv4 address, so isGateway cannot put it on bridge \"\(net.bridgeName)\"" }),
        ForeignGateway(name: "an IPv4 gateway in an IPv6 runtimeConfig.ipRanges range",
                       overrides: { net in ["runtimeConfig": ["ipRanges": [[["subnet": .string(net.subnet6), "gateway": "192.0.2.1"]]]]] },
                       message: { net in "invalid gateway 192.0.2.1 for subnet \(net.subnet6): not an IPv6 address, so isGateway cannot put it on bridge \"\(net.bridgeName)\"" }),
    ]

    @Test("with isGateway and a range gateway of the other family fails with code 7 before any side effect",
          arguments: foreignGateways, ["isGateway", "isDefaultGateway"])
    func foreignFamilyGateway(_ foreign: ForeignGateway, key: String) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config("1.0.0", foreign.overrides(net).merging([key: true]))
            let outcome = try net.call("ADD", attachment, config: config)
            #expect(outcome.errorCode == 7, "\(outcome)")
            #expect(outcome.errorMessage == foreign.message(net))
            #expect(try !Kernel.linkExists(net.bridgeName))
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    @Test("with isGateway and an IPAM result whose gateway is of the other family fails with code 7, leaving nothing behind")
    func foreignFamilyGatewayFromIPAM() throws {
        try withTestNetwork { net in
            // Another IPAM type (host-local under another name): only its result tells.
            let plugins = TemporaryDirectory.make(prefix: "foreign-gateway-ipam")
            defer { TemporaryDirectory.remove(plugins) }
            makeSymlink(plugins + "/other-ipam", pointingTo: IPAMPlugin.directory + "/host-local")
            net.cniPath = plugins
            let attachment = try net.attachment()
            let config = net.config("1.0.0", ["isGateway": true,
                                              "ipam": ["type": "other-ipam", "dataDir": .string(net.dataDir),
                                                       "ranges": [[["subnet": .string(net.subnet6), "gateway": "192.0.2.1"]]]]])
            let outcome = try net.call("ADD", attachment, config: config)
            #expect(outcome.errorCode == 7, "\(outcome)")
            #expect(outcome.errorMessage == "invalid gateway 192.0.2.1 for subnet \(net.subnet6): not an IPv6 address, so isGateway cannot put it on bridge \"\(net.bridgeName)\"")
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(try Kernel.ports(of: net.bridgeName).isEmpty)
            #expect(try Kernel.addresses(of: net.bridgeName).isEmpty)
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    @Test("for an attachment that already exists fails and leaves the first one intact")
    func duplicateAdd() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config("1.0.0", ["isGateway": true])
            let result = try net.add(attachment, config: config)
            let outcome = try net.call("ADD", attachment, config: config)
            #expect(!outcome.succeeded)
            #expect(net.reservedAddresses == [net.address(2)])
            #expect(try Kernel.addresses(of: "eth0", in: attachment.pod) == [net.address(2) + "/24"])
            let check = try net.call("CHECK", attachment, config: net.withPrevResult(config, result))
            #expect(check.succeeded, "\(check)")
        }
    }

    @Test("an ADD that IPAM refuses as a duplicate leaves the first ADD's reservation alone")
    func duplicateRefusedByIPAM() throws {
        try withTestNetwork { net in
            let first = try net.attachment()
            let config = net.config("1.0.0", ["isGateway": true])
            _ = try net.add(first, config: config)
            // Same container ID and interface, another namespace: the
            // interface check passes and host-local refuses the duplicate.
            let otherPod = try net.makePod()
            let second = Attachment(pod: otherPod, containerID: first.containerID, ifname: first.ifname,
                                    netns: otherPod.path)
            let outcome = try net.call("ADD", second, config: config)
            #expect(!outcome.succeeded)
            #expect(outcome.errorMessage.contains("duplicate allocation is not allowed"), "\(outcome)")
            #expect(net.reservedAddresses == [net.address(2)])
            #expect(try !Kernel.linkExists("eth0", in: otherPod))
            #expect(try Kernel.addresses(of: "eth0", in: first.pod) == [net.address(2) + "/24"])
        }
    }
}
