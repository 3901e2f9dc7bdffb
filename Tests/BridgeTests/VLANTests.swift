import TestKit
import Testing

/// `vlan`, `vlanTrunk` and `preserveDefaultVlan` (the reference's v1.8
/// semantics). They need a kernel with bridge VLAN filtering: they run on
/// the second kernel (scripts/test-in-kernel.sh) and skip on the host.
@Suite("VLANs", .enabled(if: BridgeVLANs.kernelFilters, BridgeVLANs.requirement))
struct VLANTests {
    /// The host veth ADD reported (`interfaces[1]`).
    static func hostVeth(_ result: JSON) throws -> String {
        try #require(result["interfaces"]?[1]?["name"]?.string)
    }

    static func ping(from pod: Pod, to address: String) -> Bool {
        ConnectivityTests.ping(from: pod, to: address)
    }

    // MARK: The bridge and the pod's port

    @Test("vlan: the bridge filters VLANs and the pod's port has the VLAN as PVID, untagged, and nothing else")
    func accessPort() throws {
        try withTestNetwork { net in
            let result = try net.add(try net.attachment(), config: net.config("1.0.0", ["vlan": 10]))
            #expect(try BridgeVLANs.filtering(of: net.bridgeName) == 1)
            #expect(try BridgeVLANs.of(Self.hostVeth(result)) == ["10 PVID untagged"])
            #expect(result["interfaces"]?.array?.count == 3)
        }
    }

    @Test("vlan with preserveDefaultVlan keeps the bridge's default VLAN 1 on the port (no longer its PVID)")
    func accessPortPreservingDefault() throws {
        try withTestNetwork { net in
            let config = net.config("1.0.0", ["vlan": 10, "preserveDefaultVlan": true])
            let result = try net.add(try net.attachment(), config: config)
            #expect(try BridgeVLANs.of(Self.hostVeth(result)) == ["1 untagged", "10 PVID untagged"])
        }
    }

    struct TrunkCase: CustomTestStringConvertible, Sendable {
        let name: String
        let overrides: JSON
        let expected: [String]
        var testDescription: String { name }
    }

    static let trunkCases = [
        TrunkCase(name: "single IDs, no vlan: native VLAN 1",
                  overrides: ["vlanTrunk": [["id": 101], ["id": 102]]],
                  expected: ["1 PVID untagged", "101", "102"]),
        TrunkCase(name: "a range and an ID, no vlan",
                  overrides: ["vlanTrunk": [["minID": 20, "maxID": 23], ["id": 30]]],
                  expected: ["1 PVID untagged", "20", "21", "22", "23", "30"]),
        TrunkCase(name: "a range with vlan: vlan is the native VLAN",
                  overrides: ["vlan": 10, "vlanTrunk": [["minID": 20, "maxID": 22]]],
                  expected: ["10 PVID untagged", "20", "21", "22"]),
        TrunkCase(name: "single IDs with vlan and preserveDefaultVlan",
                  overrides: ["vlan": 10, "vlanTrunk": [["id": 101]], "preserveDefaultVlan": true],
                  expected: ["1 untagged", "10 PVID untagged", "101"]),
        TrunkCase(name: "a range without vlan, with preserveDefaultVlan",
                  overrides: ["vlanTrunk": [["minID": 4090, "maxID": 4094]], "preserveDefaultVlan": true],
                  expected: ["1 PVID untagged", "4090", "4091", "4092", "4093", "4094"]),
        TrunkCase(name: "overlapping entries count once",
                  overrides: ["vlanTrunk": [["minID": 5, "maxID": 7], ["id": 6]]],
                  expected: ["1 PVID untagged", "5", "6", "7"]),
    ]

    @Test("vlanTrunk adds the listed VIDs tagged, with the native VLAN untagged", arguments: trunkCases)
    func trunkPort(_ trunk: TrunkCase) throws {
        try withTestNetwork { net in
            let result = try net.add(try net.attachment(), config: net.config("1.0.0", trunk.overrides))
            #expect(try BridgeVLANs.filtering(of: net.bridgeName) == 1)
            #expect(try BridgeVLANs.of(Self.hostVeth(result)) == trunk.expected)
        }
    }

    @Test("an empty vlanTrunk turns VLAN filtering on and leaves the port's default VLAN")
    func emptyTrunk() throws {
        try withTestNetwork { net in
            let result = try net.add(try net.attachment(), config: net.config("1.0.0", ["vlanTrunk": []]))
            #expect(try BridgeVLANs.filtering(of: net.bridgeName) == 1)
            #expect(try BridgeVLANs.of(Self.hostVeth(result)) == ["1 PVID untagged"])
        }
    }

    // MARK: The gateway

    @Test("vlan with isGateway: the gateway address sits on <bridge>.<vlan>, a VLAN member, reported as interfaces[3]")
    func vlanGateway() throws {
        try withTestNetwork { net in
            let gatewayName = net.bridgeName + ".10"
            defer { _ = try? Tool.run("ip", "link", "del", gatewayName) }
            let attachment = try net.attachment()
            let result = try net.add(attachment, config: net.config("1.0.0", ["vlan": 10, "isGateway": true]))
            let interfaces = result["interfaces"]?.array ?? []
            #expect(interfaces.count == 4)
            #expect(interfaces.last?["name"]?.string == gatewayName)
            #expect(interfaces.last?["sandbox"] == nil)
            #expect(Shape.isMAC(interfaces.last?["mac"]?.string))
            #expect(result["ips"]?[0]?["interface"]?.int == 2)
            #expect(try Kernel.addresses(of: gatewayName) == [net.gateway + "/24"])
            #expect(try Kernel.addresses(of: net.bridgeName).isEmpty)
            let gatewayLink = try #require(try Kernel.link(gatewayName))
            #expect(gatewayLink["flags"]?.array?.contains("UP") == true)
            // Its peer is the bridge port, in VLAN 10 only.
            let podPort = try Self.hostVeth(result)
            let peer = try #require(try Kernel.ports(of: net.bridgeName).first { $0 != podPort })
            #expect(try BridgeVLANs.of(peer) == ["10 PVID untagged"])
            #expect(Self.ping(from: attachment.pod, to: net.gateway))
        }
    }

    @Test("a second pod on the VLAN reuses the VLAN gateway")
    func vlanGatewayShared() throws {
        try withTestNetwork { net in
            let gatewayName = net.bridgeName + ".10"
            defer { _ = try? Tool.run("ip", "link", "del", gatewayName) }
            let config = net.config("1.0.0", ["vlan": 10, "isGateway": true])
            let first = try net.add(try net.attachment(), config: config)
            let second = try net.add(try net.attachment(), config: config)
            #expect(first["interfaces"]?[3] == second["interfaces"]?[3])
            #expect(try Kernel.ports(of: net.bridgeName).count == 3)
        }
    }

    // MARK: Traffic

    @Test("two pods on VLAN 10 reach each other; a pod on VLAN 20 in the same subnet reaches neither")
    func isolation() throws {
        try withTestNetwork { net in
            let first = try net.attachment()
            let second = try net.attachment()
            let other = try net.attachment()
            try net.add(first, config: net.config("1.0.0", ["vlan": 10]))
            try net.add(second, config: net.config("1.0.0", ["vlan": 10]))
            try net.add(other, config: net.config("1.0.0", ["vlan": 20]))
            #expect(Self.ping(from: first.pod, to: net.address(3)))
            #expect(Self.ping(from: second.pod, to: net.address(2)))
            #expect(!other.pod.succeeds("ping", "-c1", "-W1", net.address(2)))
            #expect(!other.pod.succeeds("ping", "-c1", "-W1", net.address(3)))
        }
    }

    @Test("a trunk port sees VLAN 10's frames tagged: a VLAN 10 subinterface in the trunk pod reaches a VLAN 10 pod")
    func trunkCarriesTaggedFrames() throws {
        try withTestNetwork { net in
            let access = try net.attachment()
            let trunk = try net.attachment()
            try net.add(access, config: net.config("1.0.0", ["vlan": 10]))
            try net.add(trunk, config: net.config("1.0.0", ["vlanTrunk": [["id": 10]]]))
            // The trunk pod's eth0 is in VLAN 1 (untagged); its eth0.10
            // speaks VLAN 10 (tagged) with an address of the same subnet.
            try trunk.pod.run("ip", "link", "add", "link", "eth0", "name", "eth0.10", "type", "vlan", "id", "10")
            try trunk.pod.run("ip", "addr", "add", net.address(200) + "/32", "dev", "eth0.10")
            try trunk.pod.run("ip", "link", "set", "eth0.10", "up")
            try trunk.pod.run("ip", "route", "add", net.address(2) + "/32", "dev", "eth0.10")
            #expect(Self.ping(from: trunk.pod, to: net.address(2)))
            // Untagged, through eth0 (VLAN 1), the access pod is out of reach.
            try trunk.pod.run("ip", "route", "del", net.address(2) + "/32", "dev", "eth0.10")
            #expect(!trunk.pod.succeeds("ping", "-c1", "-W1", net.address(2)))
        }
    }

    // MARK: CHECK, DEL, rollback

    @Test("CHECK passes after ADD and fails once the port has lost its VLAN")
    func checkVerifiesPortVLANs() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config("1.0.0", ["vlan": 10, "vlanTrunk": [["minID": 20, "maxID": 21]]])
            let result = try net.add(attachment, config: config)
            let withPrevious = net.withPrevResult(config, result)
            let passing = try net.call("CHECK", attachment, config: withPrevious)
            #expect(passing.succeeded, "\(passing)")
            try Tool.run("bridge", "vlan", "del", "dev", Self.hostVeth(result), "vid", "21")
            let failing = try net.call("CHECK", attachment, config: withPrevious)
            #expect(!failing.succeeded)
            #expect(failing.errorMessage.contains("VLAN 21"), "\(failing)")
        }
    }

    @Test("CHECK fails when the port carries a VLAN the config does not give it")
    func checkRefusesExtraVLANs() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config("1.0.0", ["vlan": 10])
            let result = try net.add(attachment, config: config)
            try Tool.run("bridge", "vlan", "add", "dev", Self.hostVeth(result), "vid", "30")
            let failing = try net.call("CHECK", attachment, config: net.withPrevResult(config, result))
            #expect(!failing.succeeded)
            #expect(failing.errorMessage.contains("unexpected VLAN 30"), "\(failing)")
        }
    }

    @Test("DEL with the pod's namespace gone releases the address and leaves no port")
    func deleteWithNamespaceGone() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config("1.0.0", ["vlan": 10])
            try net.add(attachment, config: config)
            attachment.pod.destroy()
            let outcome = try net.call("DEL", attachment, config: config)
            #expect(outcome.succeeded, "\(outcome)")
            #expect(net.reservedAddresses.isEmpty)
            #expect(try Kernel.ports(of: net.bridgeName).isEmpty)
        }
    }

    @Test("an ADD that fails at the VLAN gateway removes its veth and releases its address")
    func failedAddRollsBack() throws {
        try withTestNetwork { net in
            // "<bridge>.10" is over 15 bytes: the gateway cannot be made.
            let longBridge = String((net.bridgeName + "xxxxxxxxxxxxxxx").prefix(15))
            defer { _ = try? Tool.run("ip", "link", "del", longBridge) }
            let attachment = try net.attachment()
            let outcome = try net.call("ADD", attachment,
                                       config: net.config("1.0.0", ["bridge": .string(longBridge), "vlan": 10, "isGateway": true]))
            #expect(!outcome.succeeded)
            #expect(outcome.errorMessage.contains("failed to create vlan interface"), "\(outcome)")
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(try Kernel.ports(of: longBridge).isEmpty)
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    @Test("an existing bridge without VLAN filtering is refused before any side effect")
    func existingBridgeWithoutFiltering() throws {
        try withTestNetwork { net in
            try Tool.run("ip", "link", "add", net.bridgeName, "type", "bridge")
            let attachment = try net.attachment()
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0", ["vlan": 10]))
            #expect(!outcome.succeeded)
            #expect(outcome.errorCode == 7, "\(outcome)")
            #expect(outcome.errorMessage.contains("exists without VLAN filtering"), "\(outcome)")
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(net.reservedAddresses.isEmpty)
            #expect(try BridgeVLANs.filtering(of: net.bridgeName) == 0)
        }
    }

    // MARK: The reference

    @Test("a VLAN bridge made by the reference is reused by ours, and pods of both share VLAN 10",
          .enabled(if: Plugins.referenceIsInstalled, "needs the reference plugins in /usr/lib/cni"))
    func reusesReferenceBridge() throws {
        try withTestNetwork { net in
            let theirs = try net.attachment()
            let ours = try net.attachment()
            try net.add(theirs, config: net.config("1.0.0", ["vlan": 10]), plugin: Plugins.referenceBridge)
            let result = try net.add(ours, config: net.config("1.0.0", ["vlan": 10]))
            #expect(try BridgeVLANs.of(Self.hostVeth(result)) == ["10 PVID untagged"])
            #expect(Self.ping(from: ours.pod, to: net.address(2)))
        }
    }

    @Test("a VLAN bridge made by ours is reused by the reference, and pods of both share VLAN 10",
          .enabled(if: Plugins.referenceIsInstalled, "needs the reference plugins in /usr/lib/cni"))
    func referenceReusesOurBridge() throws {
        try withTestNetwork { net in
            let ours = try net.attachment()
            let theirs = try net.attachment()
            try net.add(ours, config: net.config("1.0.0", ["vlan": 10]))
            let result = try net.add(theirs, config: net.config("1.0.0", ["vlan": 10]), plugin: Plugins.referenceBridge)
            // The reference 1.1.1 keeps VLAN 1 (its preserveDefaultVlan
            // behaviour before v1.8), and puts the pod in VLAN 10.
            #expect(try BridgeVLANs.of(Self.hostVeth(result)).contains("10 PVID untagged"))
            #expect(Self.ping(from: theirs.pod, to: net.address(2)))
        }
    }
}

/// The reference's documented VLAN errors, at config load: they need no
/// VLAN-capable kernel, and nothing is created.
@Suite("VLAN config errors", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct VLANConfigErrorTests {
    struct BadVLANConfig: CustomTestStringConvertible, Sendable {
        let overrides: JSON
        let message: String
        var testDescription: String { message }
    }

    static let cases = [
        BadVLANConfig(overrides: ["vlan": 4095], message: "invalid VLAN ID 4095 (must be between 0 and 4094)"),
        BadVLANConfig(overrides: ["vlan": -1], message: "invalid VLAN ID -1 (must be between 0 and 4094)"),
        BadVLANConfig(overrides: ["vlanTrunk": [["minID": 0, "maxID": 5]]], message: "incorrect trunk minID parameter"),
        BadVLANConfig(overrides: ["vlanTrunk": [["minID": 5, "maxID": 4095]]], message: "incorrect trunk maxID parameter"),
        BadVLANConfig(overrides: ["vlanTrunk": [["minID": 6, "maxID": 5]]],
                      message: "minID is greater than maxID in trunk parameter"),
        BadVLANConfig(overrides: ["vlanTrunk": [["maxID": 5]]],
                      message: "minID and maxID should be configured simultaneously, minID is missing"),
        BadVLANConfig(overrides: ["vlanTrunk": [["minID": 5]]],
                      message: "minID and maxID should be configured simultaneously, maxID is missing"),
        BadVLANConfig(overrides: ["vlanTrunk": [["id": 0]]], message: "incorrect trunk id parameter"),
        BadVLANConfig(overrides: ["vlanTrunk": [["id": 4095]]], message: "incorrect trunk id parameter"),
        BadVLANConfig(overrides: ["vlanTrunk": [[:]]], message: "incorrect trunk id parameter"),
    ]

    @Test("a bad vlan or vlanTrunk fails ADD with the reference's message, code 7, before any side effect",
          arguments: cases)
    func refused(_ bad: BadVLANConfig) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0", bad.overrides))
            #expect(!outcome.succeeded)
            #expect(outcome.errorCode == 7, "\(outcome)")
            #expect(outcome.errorMessage == bad.message, "\(outcome)")
            #expect(try !Kernel.linkExists(net.bridgeName))
            #expect(try attachment.pod.linkNames() == ["lo"])
        }
    }
}

/// On a kernel without bridge VLAN filtering (the host kernel of our
/// machines), VLAN configs fail with a clear error before any side effect.
@Suite("VLANs on a kernel without VLAN filtering",
       .enabled(if: BridgeVLANs.kernelLacksFiltering, BridgeVLANs.lackRequirement))
struct VLANUnsupportedKernelTests {
    static let configs: [JSON] = [["vlan": 100], ["vlanTrunk": [["id": 101]]], ["vlanTrunk": []]]

    @Test("ADD with vlan or vlanTrunk says the kernel lacks bridge VLAN filtering and creates nothing",
          arguments: configs)
    func refusedWithNothingCreated(_ overrides: JSON) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0", overrides))
            #expect(!outcome.succeeded)
            #expect(outcome.errorCode == 2, "\(outcome)")
            #expect(outcome.errorMessage.contains("kernel lacks bridge VLAN filtering"), "\(outcome)")
            #expect(try !Kernel.linkExists(net.bridgeName))
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    @Test("ADD with vlan onto an existing bridge says the kernel lacks VLAN filtering and leaves the bridge portless")
    func refusedOnExistingBridge() throws {
        try withTestNetwork { net in
            try Tool.run("ip", "link", "add", net.bridgeName, "type", "bridge")
            let attachment = try net.attachment()
            let outcome = try net.call("ADD", attachment, config: net.config("1.0.0", ["vlan": 100]))
            #expect(!outcome.succeeded)
            #expect(outcome.errorCode == 2, "\(outcome)")
            #expect(outcome.errorMessage.contains("kernel lacks bridge VLAN filtering"), "\(outcome)")
            #expect(try Kernel.ports(of: net.bridgeName).isEmpty)
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(net.reservedAddresses.isEmpty)
        }
    }
}
