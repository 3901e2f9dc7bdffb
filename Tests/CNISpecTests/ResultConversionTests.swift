import Testing
@testable import CNISpec

@Suite("Result conversion between versions")
struct ResultConversionTests {
    static let dualStack = CNIResult(
        interfaces: [
            .init(name: "cni0", mac: "62:72:f3:d2:60:3a"),
            .init(name: "veth37075f93", mac: "f2:24:d0:a9:bd:cf"),
            .init(name: "eth0", mac: "4e:ef:97:2c:53:45", sandbox: "/run/netns/c1"),
        ],
        ips: [
            .init(interface: 2, address: CIDR("10.11.0.2/24")!, gateway: IPAddress("10.11.0.1")),
            .init(interface: 2, address: CIDR("10.12.0.2/24")!, gateway: IPAddress("10.12.0.1")),
            .init(interface: 2, address: CIDR("fd00:11::2/64")!, gateway: IPAddress("fd00:11::1")),
        ],
        routes: [
            .init(destination: CIDR("0.0.0.0/0")!, gateway: IPAddress("10.11.0.1")),
            .init(destination: CIDR("::/0")!, gateway: IPAddress("fd00:11::1")),
        ])

    @Test("each version's document", arguments: [
        (CNIVersion.v1_1_0, #"{"cniVersion":"1.1.0","interfaces":[{"name":"cni0","mac":"62:72:f3:d2:60:3a"},{"name":"veth37075f93","mac":"f2:24:d0:a9:bd:cf"},{"name":"eth0","mac":"4e:ef:97:2c:53:45","sandbox":"/run/netns/c1"}],"ips":[{"interface":2,"address":"10.11.0.2/24","gateway":"10.11.0.1"},{"interface":2,"address":"10.12.0.2/24","gateway":"10.12.0.1"},{"interface":2,"address":"fd00:11::2/64","gateway":"fd00:11::1"}],"routes":[{"dst":"0.0.0.0/0","gw":"10.11.0.1"},{"dst":"::/0","gw":"fd00:11::1"}]}"#),
        (CNIVersion.v1_0_0, #"{"cniVersion":"1.0.0","interfaces":[{"name":"cni0","mac":"62:72:f3:d2:60:3a"},{"name":"veth37075f93","mac":"f2:24:d0:a9:bd:cf"},{"name":"eth0","mac":"4e:ef:97:2c:53:45","sandbox":"/run/netns/c1"}],"ips":[{"interface":2,"address":"10.11.0.2/24","gateway":"10.11.0.1"},{"interface":2,"address":"10.12.0.2/24","gateway":"10.12.0.1"},{"interface":2,"address":"fd00:11::2/64","gateway":"fd00:11::1"}],"routes":[{"dst":"0.0.0.0/0","gw":"10.11.0.1"},{"dst":"::/0","gw":"fd00:11::1"}]}"#),
        (CNIVersion.v0_4_0, #"{"cniVersion":"0.4.0","interfaces":[{"name":"cni0","mac":"62:72:f3:d2:60:3a"},{"name":"veth37075f93","mac":"f2:24:d0:a9:bd:cf"},{"name":"eth0","mac":"4e:ef:97:2c:53:45","sandbox":"/run/netns/c1"}],"ips":[{"version":"4","interface":2,"address":"10.11.0.2/24","gateway":"10.11.0.1"},{"version":"4","interface":2,"address":"10.12.0.2/24","gateway":"10.12.0.1"},{"version":"6","interface":2,"address":"fd00:11::2/64","gateway":"fd00:11::1"}],"routes":[{"dst":"0.0.0.0/0","gw":"10.11.0.1"},{"dst":"::/0","gw":"fd00:11::1"}],"dns":{}}"#),
        (CNIVersion.v0_3_1, #"{"cniVersion":"0.3.1","interfaces":[{"name":"cni0","mac":"62:72:f3:d2:60:3a"},{"name":"veth37075f93","mac":"f2:24:d0:a9:bd:cf"},{"name":"eth0","mac":"4e:ef:97:2c:53:45","sandbox":"/run/netns/c1"}],"ips":[{"version":"4","interface":2,"address":"10.11.0.2/24","gateway":"10.11.0.1"},{"version":"4","interface":2,"address":"10.12.0.2/24","gateway":"10.12.0.1"},{"version":"6","interface":2,"address":"fd00:11::2/64","gateway":"fd00:11::1"}],"routes":[{"dst":"0.0.0.0/0","gw":"10.11.0.1"},{"dst":"::/0","gw":"fd00:11::1"}],"dns":{}}"#),
        (CNIVersion.v0_2_0, #"{"cniVersion":"0.2.0","ip4":{"ip":"10.11.0.2/24","gateway":"10.11.0.1","routes":[{"dst":"0.0.0.0/0","gw":"10.11.0.1"}]},"ip6":{"ip":"fd00:11::2/64","gateway":"fd00:11::1","routes":[{"dst":"::/0","gw":"fd00:11::1"}]},"dns":{}}"#),
        (CNIVersion.v0_1_0, #"{"cniVersion":"0.1.0","ip4":{"ip":"10.11.0.2/24","gateway":"10.11.0.1","routes":[{"dst":"0.0.0.0/0","gw":"10.11.0.1"}]},"ip6":{"ip":"fd00:11::2/64","gateway":"fd00:11::1","routes":[{"dst":"::/0","gw":"fd00:11::1"}]},"dns":{}}"#),
    ])
    func document(version: CNIVersion, expected: String) throws {
        #expect(JSONWriter.serialize(try Self.dualStack.json(for: version)) == expected)
    }

    @Test("0.2.0 needs at least one IP")
    func legacyNeedsAnIP() {
        let l2 = CNIResult(interfaces: [.init(name: "eth0")])
        #expect(throws: CNIError(.internal, "cannot convert: no valid IP addresses")) {
            try l2.json(for: .v0_2_0)
        }
    }

    @Test("1.1.0 keeps route extras and interface MTU; 0.4.0 drops them")
    func extras() throws {
        let result = CNIResult(
            interfaces: [.init(name: "eth0", mtu: 1400)],
            routes: [.init(destination: CIDR("10.0.0.0/8")!, mtu: 1300, priority: 10, table: 100, scope: 0)],
            dns: DNS(nameservers: ["10.0.0.53"]))
        #expect(JSONWriter.serialize(try result.json(for: .v1_1_0))
                == #"{"cniVersion":"1.1.0","interfaces":[{"name":"eth0","mtu":1400}],"routes":[{"dst":"10.0.0.0/8","mtu":1300,"priority":10,"table":100,"scope":0}],"dns":{"nameservers":["10.0.0.53"]}}"#)
        #expect(JSONWriter.serialize(try result.json(for: .v0_4_0))
                == #"{"cniVersion":"0.4.0","interfaces":[{"name":"eth0"}],"routes":[{"dst":"10.0.0.0/8"}],"dns":{"nameservers":["10.0.0.53"]}}"#)
    }

    @Test("every version's document parses back to the same addresses and routes",
          arguments: CNIVersion.allCases)
    func parsesBack(version: CNIVersion) throws {
        let document = try Self.dualStack.json(for: version)
        let parsed = try CNIResult(json: document, defaultVersion: .v0_1_0)
        if version.resultFormat == .legacy020 {
            #expect(parsed.ips.map(\.address) == [CIDR("10.11.0.2/24")!, CIDR("fd00:11::2/64")!])
        } else {
            #expect(parsed.ips.map(\.address) == Self.dualStack.ips.map(\.address))
            #expect(parsed.interfaces.map(\.name) == ["cni0", "veth37075f93", "eth0"])
        }
        #expect(parsed.routes == Self.dualStack.routes)
    }

    @Test("route destinations keep their host bits, as the reference's types.ParseCIDR does")
    func routeDestinationKeepsHostBits() throws {
        let route = try CNIResult.parseRoute(try JSONParser.parse(#"{"dst":"10.1.2.3/24","gw":"10.1.2.1"}"#))
        #expect(route.destination.description == "10.1.2.3/24")
        #expect(route.destination.network.description == "10.1.2.0/24")
    }
}

@Suite("Routes from configs and results")
struct RouteParsingTests {
    @Test("values Go's int cannot hold are config errors, not crashes", arguments: [
        #"{"dst":"10.0.0.0/8","priority":99999999999999999999}"#,
        #"{"dst":"10.0.0.0/8","table":1.5}"#,
        #"{"dst":"10.0.0.0/8","mtu":1e30}"#,
    ])
    func outOfRange(text: String) throws {
        let value = try JSONParser.parse(text)
        #expect(throws: CNIError.self) { try CNIResult.parseRoute(value) }
    }

    @Test("the fields of spec 1.1.0 take any integer, as Go's int does (DEL and CHECK must read any config)")
    func anyInteger() throws {
        let parsed = try CNIResult.parseRoute(try JSONParser.parse(
            #"{"dst": "10.7.0.0/16", "priority": -1, "table": 4294967296, "scope": 256, "mtu": -5}"#))
        #expect(parsed.priority == -1)
        #expect(parsed.table == 4_294_967_296)
        #expect(parsed.scope == 256)
        #expect(parsed.mtu == -5)
    }

    @Test("a field of the wrong JSON type is Go's decoding error")
    func wrongType() throws {
        let value = try JSONParser.parse(#"{"dst": "10.7.0.0/16", "mtu": "x"}"#)
        #expect(throws: CNIError(.invalidNetworkConfig,
                                 "json: cannot unmarshal string into Go struct field Route.mtu of type int")) {
            try CNIResult.parseRoute(value)
        }
    }
}
