import TestKit
import Testing

/// The ADD result, version by version (REFERENCE.md §1.4, §2.3).
@Suite("ADD result", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct AddResultTests {
    /// The versions whose results list interfaces.
    static let interfaceVersions = ["1.1.0", "1.0.0", "0.4.0", "0.3.1"]

    @Test("is in the configuration's cniVersion", arguments: interfaceVersions + ["0.2.0"])
    func resultVersion(version: String) throws {
        try withTestNetwork { net in
            let result = try net.add(try net.attachment(), config: net.config(version))
            #expect(result["cniVersion"]?.string == version)
        }
    }

    @Test("lists the bridge, the host veth and the container interface, in that order",
          arguments: interfaceVersions)
    func interfacesInOrder(version: String) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let result = try net.add(attachment, config: net.config(version, ["isGateway": true]))
            let interfaces = try #require(result["interfaces"]?.array)
            try #require(interfaces.count == 3, "\(result)")
            #expect(interfaces[0]["name"]?.string == net.bridgeName)
            #expect(interfaces[0]["sandbox"] == nil)
            #expect(Shape.isHostVethName(interfaces[1]["name"]?.string), "\(interfaces[1])")
            #expect(interfaces[1]["sandbox"] == nil)
            #expect(interfaces[2]["name"]?.string == "eth0")
            #expect(interfaces[2]["sandbox"]?.string == attachment.netns)
        }
    }

    @Test("gives every interface a 17-character lowercase MAC", arguments: interfaceVersions)
    func macShape(version: String) throws {
        try withTestNetwork { net in
            let result = try net.add(try net.attachment(), config: net.config(version, ["isGateway": true]))
            for interface in result["interfaces"]?.array ?? [] {
                #expect(Shape.isMAC(interface["mac"]?.string), "\(interface)")
            }
        }
    }

    @Test("reports the MACs the links have after ADD")
    func macsMatchTheKernel() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let result = try net.add(attachment, config: net.config("1.0.0", ["isGateway": true]))
            let interfaces = try #require(result["interfaces"]?.array)
            try #require(interfaces.count == 3)
            let hostVeth = try #require(interfaces[1]["name"]?.string)
            #expect(interfaces[0]["mac"] == (try Kernel.link(net.bridgeName))?["address"])
            #expect(interfaces[1]["mac"] == (try Kernel.link(hostVeth))?["address"])
            #expect(interfaces[2]["mac"] == (try Kernel.link("eth0", in: attachment.pod))?["address"])
            // With isGateway the bridge MAC is pinned, not the port's.
            #expect(interfaces[0]["mac"] != interfaces[1]["mac"])
        }
    }

    @Test("puts each address on interface 2 with its gateway", arguments: interfaceVersions)
    func addressesOnContainerInterface(version: String) throws {
        try withTestNetwork { net in
            let result = try net.add(try net.attachment(), config: net.config(version, ["isGateway": true]))
            let ips = try #require(result["ips"]?.array)
            try #require(ips.count == 1, "\(result)")
            #expect(ips[0]["interface"]?.int == 2)
            #expect(ips[0]["address"]?.string == net.address(2) + "/24")
            #expect(ips[0]["gateway"]?.string == net.gateway)
            // `version` exists in 0.3.x/0.4.0 results only.
            #expect(ips[0]["version"]?.string == (version.hasPrefix("0.") ? "4" : nil))
        }
    }

    @Test("without isGateway, hands out a range gateway of the other family as IPAM gave it, as the reference does")
    func foreignFamilyGatewayWithoutIsGateway() throws {
        try withTestNetwork { net in
            let ipam: JSON = ["type": "host-local", "dataDir": .string(net.dataDir),
                              "ranges": [[["subnet": .string(net.subnet6), "gateway": "192.0.2.1"]]]]
            let result = try net.add(try net.attachment(), config: net.config("1.0.0", ["ipam": ipam]))
            #expect(result["ips"]?[0]?["gateway"]?.string == "192.0.2.1", "\(result)")
            #expect(try Kernel.addresses(of: net.bridgeName).isEmpty)
        }
    }

    @Test("adds a default route via the gateway with isDefaultGateway", arguments: interfaceVersions)
    func defaultRoute(version: String) throws {
        try withTestNetwork { net in
            let result = try net.add(try net.attachment(), config: net.config(version, ["isDefaultGateway": true]))
            #expect(result["routes"] == [["dst": "0.0.0.0/0", "gw": .string(net.gateway)]])
        }
    }

    @Test("has no routes when neither IPAM nor isDefaultGateway gives any")
    func noRoutes() throws {
        try withTestNetwork { net in
            let result = try net.add(try net.attachment(), config: net.config("1.0.0", ["isGateway": true]))
            let routes = result["routes"]?.array ?? []
            #expect(routes.isEmpty)
        }
    }

    @Test("0.2.0: ip4 holds the address, gateway and routes; no interfaces")
    func legacyResult() throws {
        try withTestNetwork { net in
            let result = try net.add(try net.attachment(), config: net.config("0.2.0", ["isDefaultGateway": true]))
            #expect(result["interfaces"] == nil)
            #expect(result["ips"] == nil)
            let ip4 = try #require(result["ip4"])
            #expect(ip4["ip"]?.string == net.address(2) + "/24")
            #expect(ip4["gateway"]?.string == net.gateway)
            #expect(ip4["routes"] == [["dst": "0.0.0.0/0", "gw": .string(net.gateway)]])
            #expect(result["ip6"] == nil)
        }
    }
}
