import Glibc
import TestKit
import Testing

/// DEL is best effort and idempotent: it releases the address and removes
/// the masquerade rules even when the pod's namespace is gone
/// (REFERENCE.md §1.6, §2.4, §2.10).
@Suite("DEL", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct DeleteTests {
    enum NamespaceState: String, CaseIterable, Sendable {
        case present = "still there"
        case empty = "not given (CNI_NETNS empty)"
        case deleted = "deleted"
        case stale = "a stale regular file"
        case beneathFile = "a path beneath a regular file"
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let namespace: NamespaceState
        let backend: String
        var testDescription: String { "namespace \(namespace.rawValue), \(backend)" }
    }

    static let cases = NamespaceState.allCases.flatMap { state in
        Firewall.backends.map { Case(namespace: state, backend: $0) }
    }

    private func masqueradeConfig(_ net: TestNetwork, backend: String) -> JSON {
        net.config("1.0.0", ["isGateway": true, "ipMasq": true, "ipMasqBackend": .string(backend)])
    }

    @Test("succeeds and releases the address and the masquerade rules when the namespace is",
          arguments: cases)
    func releasesEverything(_ testCase: Case) throws {
        try withTestNetwork { net in
            var attachment = try net.attachment()
            let config = masqueradeConfig(net, backend: testCase.backend)
            let result = try net.add(attachment, config: config)
            #expect(net.reservedAddresses == [net.address(2)])
            try #require(try !Firewall.leftovers(network: net.networkName, containerID: attachment.containerID).isEmpty,
                         "ADD made no masquerade rules")
            let givenPath = attachment.netns
            switch testCase.namespace {
            case .present:
                break
            case .empty:
                attachment.netns = ""
            case .deleted:
                attachment.pod.destroy()
            case .stale:
                attachment.pod.destroy()
                writeFile(attachment.netns, "")
            case .beneathFile:
                attachment.pod.destroy()
                writeFile(attachment.netns, "")
                attachment.netns += "/"
            }
            defer { if [.stale, .beneathFile].contains(testCase.namespace) { unlinkQuietly(givenPath) } }

            let outcome = try net.call("DEL", attachment, config: net.withPrevResult(config, result))
            #expect(outcome.succeeded, "\(outcome)")
            #expect(outcome.stdout.isEmpty)
            #expect(net.reservedAddresses.isEmpty)
            #expect(try Firewall.leftovers(network: net.networkName, containerID: attachment.containerID).isEmpty)
            if testCase.namespace == .present {
                #expect(try attachment.pod.linkNames() == ["lo"])
                #expect(try Kernel.ports(of: net.bridgeName).isEmpty)
            }
        }
    }

    @Test("of an interface the kernel will not delete names it and the errno, as the reference does")
    func interfaceNotDeletable() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment(ifname: "lo")
            let outcome = try net.call("DEL", attachment, config: net.config("1.0.0", ["ipam": nil]))
            #expect(outcome.errorMessage == "failed to delete \"lo\": operation not supported", "\(outcome)")
        }
    }

    @Test("of an interface the kernel will not delete releases nothing: the interface may still hold the address")
    func interfaceNotDeletableKeepsReservation() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment(ifname: "lo")
            let store = net.dataDir + "/" + net.networkName
            try Tool.run("mkdir", "-p", store)
            let address = net.address(9)
            try Tool.run("sh", "-c", "printf '%s\\r\\nlo' \(attachment.containerID) > \(store)/\(address)")
            #expect(net.reservedAddresses == [address])
            let outcome = try net.call("DEL", attachment, config: net.config("1.0.0"))
            #expect(outcome.errorMessage == "failed to delete \"lo\": operation not supported", "\(outcome)")
            #expect(net.reservedAddresses == [address])
        }
    }

    /// Two IPv4 range sets: two addresses share the container's chain.
    private static func twoSubnets(_ net: TestNetwork) -> JSON {
        let ranges: JSON = [[["subnet": .string(net.subnet)]], [["subnet": .string("10.124.\(net.subnetIndex).0/24")]]]
        return net.config("1.0.0", ["ipMasq": true, "ipam": ["ranges": ranges]])
    }

    @Test("with two addresses of one family removes every masquerade rule")
    func twoAddressesOfOneFamily() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = Self.twoSubnets(net)
            let result = try net.add(attachment, config: config)
            #expect(result["ips"]?.array?.count == 2)
            let outcome = try net.call("DEL", attachment, config: net.withPrevResult(config, result))
            #expect(outcome.succeeded, "\(outcome)")
            #expect(try Firewall.leftovers(network: net.networkName, containerID: attachment.containerID).isEmpty)
        }
    }

    @Test("the reference's DEL with two addresses of one family fails on the chain still in use",
          .enabled(if: Plugins.referenceIsInstalled, "needs /usr/lib/cni/bridge"))
    func referenceTwoAddressesOfOneFamily() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = Self.twoSubnets(net)
            let result = try net.add(attachment, config: config, plugin: Plugins.referenceBridge)
            let outcome = try net.call("DEL", attachment, config: net.withPrevResult(config, result),
                                       plugin: Plugins.referenceBridge)
            #expect(!outcome.succeeded, "\(outcome)")
            // Ours cleans up what the reference left.
            #expect(try net.call("DEL", attachment, config: net.withPrevResult(config, result)).succeeded)
            #expect(try Firewall.leftovers(network: net.networkName, containerID: attachment.containerID).isEmpty)
        }
    }

    @Test("twice succeeds both times")
    func twice() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = masqueradeConfig(net, backend: "iptables")
            let result = try net.add(attachment, config: config)
            for round in 1...2 {
                let outcome = try net.call("DEL", attachment, config: net.withPrevResult(config, result))
                #expect(outcome.succeeded, "round \(round): \(outcome)")
            }
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    @Test("without prevResult removes the interface and releases the address")
    func withoutPrevResult() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = masqueradeConfig(net, backend: "iptables")
            try net.add(attachment, config: config)
            let outcome = try net.call("DEL", attachment, config: config)
            #expect(outcome.succeeded, "\(outcome)")
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(net.reservedAddresses.isEmpty)
            #expect(try Firewall.leftovers(network: net.networkName, containerID: attachment.containerID).isEmpty)
        }
    }

    @Test("of an attachment that was never added succeeds")
    func neverAdded() throws {
        try withTestNetwork { net in
            let outcome = try net.call("DEL", try net.attachment(), config: masqueradeConfig(net, backend: "iptables"))
            #expect(outcome.succeeded, "\(outcome)")
        }
    }

    @Test("leaves the other pods on the bridge alone")
    func onlyItsOwnPod() throws {
        try withTestNetwork { net in
            let config = masqueradeConfig(net, backend: "iptables")
            let first = try net.attachment()
            let second = try net.attachment()
            try net.add(first, config: config)
            let kept = try net.add(second, config: config)
            let outcome = try net.call("DEL", first, config: config)
            #expect(outcome.succeeded, "\(outcome)")
            #expect(net.reservedAddresses == [net.address(3)])
            #expect(try Kernel.ports(of: net.bridgeName) == [kept["interfaces"]?[1]?["name"]?.string ?? "?"])
            #expect(try !Firewall.leftovers(network: net.networkName, containerID: second.containerID).isEmpty)
            #expect(try Kernel.addresses(of: "eth0", in: second.pod) == [net.address(3) + "/24"])
        }
    }

    @Test("keeps the bridge and its gateway address (shared by every pod)")
    func bridgeStays() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config("1.0.0", ["isGateway": true])
            try net.add(attachment, config: config)
            #expect(try net.call("DEL", attachment, config: config).succeeded)
            #expect(try Kernel.addresses(of: net.bridgeName) == [net.gateway + "/24"])
        }
    }

    /// Configs that only ADD refuses (the reference checks them in ADD only).
    struct AddOnlyRefusal: CustomTestStringConvertible, Sendable {
        let name: String
        let overrides: JSON
        var cniArgs: String? = nil
        var testDescription: String { name }
    }

    static let addOnlyRefusals: [AddOnlyRefusal] = [
        AddOnlyRefusal(name: "hairpinMode with promiscMode", overrides: ["hairpinMode": true, "promiscMode": true]),
        AddOnlyRefusal(name: "an invalid MAC in CNI_ARGS", overrides: [:], cniArgs: "IgnoreUnknown=1;MAC=zz"),
        AddOnlyRefusal(name: "an invalid MAC in args.cni.mac", overrides: ["args": ["cni": ["mac": "zz"]]]),
        AddOnlyRefusal(name: "an invalid MAC in runtimeConfig.mac", overrides: ["runtimeConfig": ["mac": "00:11:22"]]),
        AddOnlyRefusal(name: "a negative mtu", overrides: ["mtu": -1]),
        AddOnlyRefusal(name: "an invalid bridge name", overrides: ["bridge": ""]),
        AddOnlyRefusal(name: "an mtu above 65535", overrides: ["mtu": 70000]),
    ]

    @Test("succeeds and cleans up with a config that only ADD refuses:", arguments: addOnlyRefusals)
    func addOnlyRefusalsDoNotStopDelete(_ refusal: AddOnlyRefusal) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            try net.add(attachment, config: net.config("1.0.0"))
            let outcome = try net.call("DEL", attachment, config: net.config("1.0.0", refusal.overrides),
                                       cniArgs: refusal.cniArgs)
            #expect(outcome.succeeded, "\(outcome)")
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    @Test("with a MAC of the wrong JSON type fails with code 7 and releases nothing, as the reference's does")
    func macOfTheWrongType() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            try net.add(attachment, config: net.config("1.0.0"))
            let outcome = try net.call("DEL", attachment, config: net.config("1.0.0", ["args": ["cni": ["mac": 5]]]))
            #expect(outcome.errorCode == 7, "\(outcome)")
            #expect(outcome.errorMessage ==
                    "failed to load netconf: json: cannot unmarshal number into Go struct field BridgeArgs.args.cni.mac of type string")
            #expect(try attachment.pod.linkNames() == ["eth0", "lo"])
            #expect(net.reservedAddresses == [net.address(2)])
        }
    }

    @Test("whose IPAM fails still removes the pod's interface, then reports the IPAM error")
    func ipamFailureAfterInterface() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            var config = net.config("1.0.0")
            try net.add(attachment, config: config)
            let scratch = TemporaryDirectory.make(prefix: "del-ipam")
            defer { TemporaryDirectory.remove(scratch) }
            writeFile(scratch + "/notadir", "")
            var ipam = try #require(config["ipam"])
            ipam["dataDir"] = .string(scratch + "/notadir")
            config["ipam"] = ipam
            let outcome = try net.call("DEL", attachment, config: config)
            #expect(!outcome.succeeded, "\(outcome)")
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(try Kernel.ports(of: net.bridgeName).isEmpty)
        }
    }

    @Test("with CNI_NETNS naming the plugin's own namespace fails with code 8 and releases nothing")
    func ownNamespace() throws {
        try withTestNetwork { net in
            var attachment = try net.attachment()
            let config = net.config("1.0.0")
            try net.add(attachment, config: config)
            attachment.netns = "/proc/self/ns/net"
            let outcome = try net.call("DEL", attachment, config: config)
            #expect(outcome.errorCode == 8, "\(outcome)")
            #expect(net.reservedAddresses == [net.address(2)])
        }
    }
}

func unlinkQuietly(_ path: String) { _ = unlink(path) }
