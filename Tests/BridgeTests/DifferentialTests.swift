import TestKit
import Testing

/// Our bridge against the reference (`/usr/lib/cni/bridge`, v1.1.1), run
/// side by side with the same configuration on separate bridges, pods and
/// IPAM data dirs but the same subnet. Results must match modulo what is
/// random (MACs, host veth names) or per-side (bridge name, netns path);
/// pods must end up with the same addresses and routes.
///
/// The reference speaks CNI up to 1.0.0, so 1.1.0 is not compared.
@Suite("Differential vs reference bridge",
       .enabled(if: TestNode.isAvailable, TestNode.requirement),
       .enabled(if: Plugins.referenceIsInstalled, "needs /usr/lib/cni/bridge and host-local (containernetworking-plugins)"))
struct DifferentialTests {
    struct Scenario: CustomTestStringConvertible, Sendable {
        let name: String
        let overrides: @Sendable (TestNetwork) -> JSON
        var versions = ["1.0.0", "0.4.0", "0.3.1", "0.2.0"]
        var testDescription: String { name }
    }

    static let scenarios: [Scenario] = [
        Scenario(name: "plain bridge") { _ in [:] },
        Scenario(name: "isGateway") { _ in ["isGateway": true] },
        Scenario(name: "isDefaultGateway with ipMasq") { _ in ["isDefaultGateway": true, "ipMasq": true] },
        Scenario(name: "dual stack with isDefaultGateway") { net in
            ["isDefaultGateway": true, "ipam": net.ipam(dualStack: true)]
        },
        Scenario(name: "IPAM routes and gateway") { net in
            ["isGateway": true,
             "ipam": ["routes": [["dst": "192.168.7.0/24", "gw": .string(net.address(254))]],
                      "ranges": [[["subnet": .string(net.subnet), "gateway": .string(net.address(1))]]]]]
        },
        Scenario(name: "mtu, hairpin and conf dns") { _ in
            ["mtu": 1400, "hairpinMode": true, "dns": ["nameservers": ["10.0.0.53"], "search": ["example"]]]
        },
        Scenario(name: "L2 (no IPAM)", overrides: { _ in ["ipam": nil] }, versions: ["1.0.0", "0.4.0"]),
    ]

    static var cases: [(Scenario, String)] {
        scenarios.flatMap { scenario in scenario.versions.map { (scenario, $0) } }
    }

    /// ADDs the same configuration with the reference and with ours; returns
    /// both results, normalised, and the pods.
    private func addBoth(_ scenario: Scenario, version: String,
                         _ body: (_ reference: Side, _ ours: Side) throws -> Void) throws {
        let subnet = TestNode.uniqueSubnetIndex()
        try withTestNetwork(subnetIndex: subnet) { reference in
            try withTestNetwork(subnetIndex: subnet) { ours in
                let referenceSide = try Side.add(on: reference, scenario: scenario, version: version,
                                                 plugin: Plugins.referenceBridge)
                let ourSide = try Side.add(on: ours, scenario: scenario, version: version, plugin: Plugins.bridge)
                try body(referenceSide, ourSide)
            }
        }
    }

    struct Side {
        let pod: Pod
        let result: JSON

        static func add(on net: TestNetwork, scenario: Scenario, version: String, plugin: String) throws -> Side {
            let attachment = try net.attachment()
            let result = try net.add(attachment, config: net.config(version, scenario.overrides(net)), plugin: plugin)
            return Side(pod: attachment.pod, result: normalised(result, net: net, pod: attachment.pod))
        }

        /// Random and per-side values replaced by placeholders; an empty
        /// `dns` dropped (v1.1.1 always prints `"dns": {}`).
        static func normalised(_ result: JSON, net: TestNetwork, pod: Pod) -> JSON {
            var result = result.mapStrings { text in
                if Shape.isMAC(text) { return "<mac>" }
                if Shape.isHostVethName(text) { return "<veth>" }
                if text == net.bridgeName { return "<bridge>" }
                if text == pod.path { return "<netns>" }
                return text
            }
            if result["dns"] == [:] { result["dns"] = nil }
            return result
        }
    }

    @Test("ADD gives the reference's result", arguments: cases)
    func sameResult(_ scenario: Scenario, _ version: String) throws {
        try addBoth(scenario, version: version) { reference, ours in
            #expect(ours.result == reference.result)
        }
    }

    @Test("ADD leaves the pod with the reference's addresses and routes", arguments: cases)
    func samePodState(_ scenario: Scenario, _ version: String) throws {
        try addBoth(scenario, version: version) { reference, ours in
            #expect(try Kernel.addresses(of: "eth0", in: ours.pod) == Kernel.addresses(of: "eth0", in: reference.pod))
            for family in [4, 6] {
                #expect(try Set(Kernel.routes(in: ours.pod, family: family))
                        == Set(Kernel.routes(in: reference.pod, family: family)), "IPv\(family)")
            }
            let ourLink = try Kernel.link("eth0", in: ours.pod)
            let referenceLink = try Kernel.link("eth0", in: reference.pod)
            #expect(ourLink?["mtu"] == referenceLink?["mtu"])
            #expect(ourLink?["operstate"] == referenceLink?["operstate"])
        }
    }

    struct BadConfig: CustomTestStringConvertible, Sendable {
        let name: String
        let overrides: JSON
        var cniArgs: String? = nil
        /// Our code; the reference always says 999.
        var code = 7
        var testDescription: String { name }
    }

    static let badConfigs: [BadConfig] = [
        BadConfig(name: "VLAN out of range", overrides: ["vlan": 5000]),
        BadConfig(name: "hairpin and promiscuous mode", overrides: ["hairpinMode": true, "promiscMode": true]),
        BadConfig(name: "bad MAC in args.cni.mac", overrides: ["args": ["cni": ["mac": "zz"]]]),
        BadConfig(name: "bad MAC in runtimeConfig.mac", overrides: ["runtimeConfig": ["mac": "00:11:22"]]),
        BadConfig(name: "mtu as a string", overrides: ["mtu": "1500"]),
        BadConfig(name: "isGateway as a string", overrides: ["isGateway": "true"]),
        BadConfig(name: "bridge as a number", overrides: ["bridge": 7]),
        // CNI_ARGS is an environment variable: code 4.
        BadConfig(name: "unknown CNI_ARGS key", overrides: [:], cniArgs: "FOO=bar", code: 4),
        BadConfig(name: "malformed CNI_ARGS pair", overrides: [:], cniArgs: "IgnoreUnknown=1;MAC", code: 4),
    ]

    @Test("a bad configuration fails with the reference's message and a precise code", arguments: badConfigs)
    func sameError(_ bad: BadConfig) throws {
        let subnet = TestNode.uniqueSubnetIndex()
        try withTestNetwork(subnetIndex: subnet) { reference in
            try withTestNetwork(subnetIndex: subnet) { ours in
                let referenceOutcome = try reference.call("ADD", try reference.attachment(),
                                                          config: reference.config("1.0.0", bad.overrides),
                                                          cniArgs: bad.cniArgs, plugin: Plugins.referenceBridge)
                let ourOutcome = try ours.call("ADD", try ours.attachment(), config: ours.config("1.0.0", bad.overrides),
                                               cniArgs: bad.cniArgs)
                try #require(!referenceOutcome.succeeded, "the reference accepted it: \(referenceOutcome)")
                #expect(!ourOutcome.succeeded)
                #expect(referenceOutcome.errorCode == 999)
                #expect(ourOutcome.errorCode == bad.code, "\(ourOutcome)")
                let referenceMessage = referenceOutcome.errorMessage.trimmingSuffix(".")
                let ourMessage = ourOutcome.errorMessage.trimmingSuffix(".")
                #expect(!ourMessage.isEmpty)
                #expect(referenceMessage.contains(ourMessage) || ourMessage.contains(referenceMessage),
                        "reference: \(referenceMessage)\nours: \(ourMessage)")
                // Ours refuses before touching anything.
                #expect(try !Kernel.linkExists(ours.bridgeName))
            }
        }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
