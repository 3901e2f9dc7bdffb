import TestKit
import Testing

/// ADD's result, in the shape of every spec version (REFERENCE §1.4, §3.1).
@Suite("ADD results in every CNI version")
struct ResultTests {
    static let versions = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]

    /// The expected result of `version`, from the 1.x `ips` and `routes`.
    static func expected(_ version: String, ips: [(address: String, gateway: String)], routes: [String] = [],
                         dns: String = "{}") -> JSON {
        switch version {
        case "0.1.0", "0.2.0":
            var members = ["\"cniVersion\": \"\(version)\"", "\"dns\": \(dns)"]
            for (key, isV6) in [("ip4", false), ("ip6", true)] {
                guard let ip = ips.first(where: { $0.address.contains(":") == isV6 }) else { continue }
                let familyRoutes = routes.filter { JSON(document: $0)["dst"]!.string!.contains(":") == isV6 }
                members.append("\"\(key)\": {\"ip\": \"\(ip.address)\", \"gateway\": \"\(ip.gateway)\""
                    + (familyRoutes.isEmpty ? "" : ", \"routes\": [\(familyRoutes.joined(separator: ", "))]") + "}")
            }
            return JSON(document: "{" + members.joined(separator: ", ") + "}").normalizedResult
        default:
            let withVersion = version.hasPrefix("0.")
            let list = ips.map { ip in
                "{" + (withVersion ? "\"version\": \"\(ip.address.contains(":") ? "6" : "4")\", " : "")
                    + "\"address\": \"\(ip.address)\", \"gateway\": \"\(ip.gateway)\"}"
            }
            var members = ["\"cniVersion\": \"\(version)\"", "\"ips\": [\(list.joined(separator: ", "))]", "\"dns\": \(dns)"]
            if !routes.isEmpty { members.append("\"routes\": [\(routes.joined(separator: ", "))]") }
            return JSON(document: "{" + members.joined(separator: ", ") + "}").normalizedResult
        }
    }

    @Test("a single range gives its first address after the gateway, with the routes", arguments: versions)
    func singleRange(version: String) {
        let net = TestNetwork(
            ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}, {"dst": "192.168.0.0/16", "gw": "10.1.2.254"}]"#,
            version: version)
        let add = net.add("c1")
        #expect(add.succeeded, "\(add)")
        #expect(add.json?.normalizedResult == Self.expected(
            version, ips: [("10.1.2.2/24", "10.1.2.1")],
            routes: [#"{"dst": "0.0.0.0/0"}"#, #"{"dst": "192.168.0.0/16", "gw": "10.1.2.254"}"#]))
    }

    @Test("two range sets (dual stack) give one address each, in range set order", arguments: versions)
    func dualStack(version: String) {
        let net = TestNetwork(
            ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}], [{"subnet": "2001:db8:1::/64"}]], "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]"#,
            version: version)
        let add = net.add("c1")
        #expect(add.succeeded, "\(add)")
        #expect(add.json?.normalizedResult == Self.expected(
            version, ips: [("10.1.2.2/24", "10.1.2.1"), ("2001:db8:1::2/64", "2001:db8:1::1")],
            routes: [#"{"dst": "0.0.0.0/0"}"#, #"{"dst": "::/0"}"#]))
    }

    @Test("the legacy top-level subnet, rangeStart, rangeEnd and gateway make one range", arguments: versions)
    func legacySubnet(version: String) {
        let net = TestNetwork(
            ipam: #""subnet": "10.5.0.0/16", "rangeStart": "10.5.1.10", "rangeEnd": "10.5.1.11", "gateway": "10.5.0.254""#,
            version: version)
        #expect(net.add("c1").json?.normalizedResult == Self.expected(version, ips: [("10.5.1.10/16", "10.5.0.254")]))
        #expect(net.add("c2").addresses == ["10.5.1.11/16"])
        let full = net.add("c3")
        #expect(full.error?.message == "failed to allocate for range 0: no IP addresses available in range set: 10.5.1.10-10.5.1.11")
    }

    @Test("runtimeConfig.ipRanges come first, then the legacy subnet, then ranges")
    func ipRangesArePrepended() {
        let net = TestNetwork(
            ipam: #""subnet": "10.5.0.0/24", "ranges": [[{"subnet": "10.1.2.0/24"}]]"#,
            topLevel: #""runtimeConfig": {"ipRanges": [[{"subnet": "10.9.0.0/24", "gateway": "10.9.0.254"}]]}"#)
        let add = net.add("c1")
        #expect(add.json?.normalizedResult == Self.expected(
            "1.0.0", ips: [("10.9.0.1/24", "10.9.0.254"), ("10.5.0.2/24", "10.5.0.1"), ("10.1.2.2/24", "10.1.2.1")]))
        #expect(net.lastReserved(0) == "10.9.0.1")
        #expect(net.lastReserved(1) == "10.5.0.2")
        #expect(net.lastReserved(2) == "10.1.2.2")
    }

    @Test("routes are copied as configured, 1.1.0 route fields included")
    func routesAreCopied() {
        let routes = #"[{"dst": "10.0.0.0/8", "gw": "10.1.2.254", "mtu": 1400, "advmss": 1360, "priority": 5, "table": 100, "scope": 253}, {"dst": "172.16.0.0/12"}]"#
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]], "routes": "# + routes, version: "1.1.0")
        let add = net.add("c1")
        #expect(add.json?["routes"] == JSON(document: routes), "\(add)")
        // Versions before 1.1.0's route fields keep dst and gw.
        let old = net.add("c2", version: "0.4.0")
        #expect(old.json?["routes"] == JSON(document: #"[{"dst": "10.0.0.0/8", "gw": "10.1.2.254"}, {"dst": "172.16.0.0/12"}]"#), "\(old)")
    }

    /// The reference hands such a route out as `{"dst": "<nil>"}` and keeps
    /// the reservation; its bridge then fails on it (README, "Where we
    /// differ").
    @Test("a route without dst, or null, is refused with code 7 before anything is reserved",
          arguments: [#"{}"#, #"{"gw": "10.1.2.254"}"#, "null"])
    func routeWithoutDestination(route: String) {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]], "routes": ["# + route + "]")
        let add = net.add("c1")
        #expect(add.error?.code == 7, "\(add)")
        #expect(add.error?.message.hasPrefix("invalid route: ") == true, "\(add)")
        #expect(net.ipFiles.isEmpty)
    }

    @Test("resolvConf is parsed into dns: comments and short lines skipped, the last domain wins", arguments: ["0.2.0", "0.4.0", "1.0.0", "1.1.0"])
    func resolvConf(version: String) {
        let scratch = TemporaryDirectory()
        let path = scratch.sub("resolv.conf")
        writeFile(path, """
            # a comment
            ; another comment
            nameserver 10.0.0.53
            nameserver
              nameserver 2001:db8::53
            domain first.example
            domain cluster.local
            search a.example b.example
            options ndots:5 edns0

            sortlist 10.0.0.0
            """)
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]], "resolvConf": "\#(path)""#, version: version)
        let add = net.add("c1")
        #expect(add.json?["dns"] == JSON(document: #"""
            {"nameservers": ["10.0.0.53", "2001:db8::53"], "domain": "cluster.local",
             "search": ["a.example", "b.example"], "options": ["ndots:5", "edns0"]}
            """#), "\(add)")
    }

    @Test("an unreadable resolvConf fails ADD with the open error")
    func missingResolvConf() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]], "resolvConf": "/nonexistent/resolv.conf""#)
        let add = net.add("c1")
        #expect(add.error?.message.contains("open /nonexistent/resolv.conf: no such file or directory") == true, "\(add)")
        #expect(net.ipFiles.isEmpty)
    }

    @Test("0.2.0 cannot carry two IPv4 range sets: the reference's error, nothing allocated", arguments: ["0.1.0", "0.2.0"])
    func legacyVersionWithTwoIPv4Sets(version: String) {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}], [{"subnet": "10.1.3.0/24"}]]"#, version: version)
        let add = net.add("c1")
        #expect(add.error == PluginError(
            code: 7, message: "CNI version \(version) does not support more than 1 address per family", details: nil), "\(add)")
        #expect(add.json?["cniVersion"]?.string == version)
        #expect(net.ipFiles.isEmpty)
    }

    @Test("0.2.0's limit of one address per family is reported before overlapping range sets", arguments: ["0.1.0", "0.2.0"])
    func legacyVersionLimitBeforeOverlap(version: String) {
        let net = TestNetwork(ipam: #""subnet": "10.1.2.0/24", "ranges": [[{"subnet": "10.1.2.0/30"}]]"#, version: version)
        let add = net.add("c1")
        #expect(add.error == PluginError(
            code: 7, message: "CNI version \(version) does not support more than 1 address per family", details: nil), "\(add)")
        #expect(net.ipFiles.isEmpty)
    }

    @Test("without cniVersion, the one-address-per-family error names the version as the config spells it: empty")
    func legacyVersionLimitWithoutVersion() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#)
        var call = net.request("ADD", "c1")
        call.stdin = Array(#"{"name": "testnet", "ipam": {"type": "host-local", "dataDir": "\#(net.dataDir)", "ranges": [[{"subnet": "10.1.2.0/24"}], [{"subnet": "10.1.3.0/24"}]]}}"#.utf8)
        let add = call.run(.ours)
        #expect(add.error?.message == "CNI version  does not support more than 1 address per family", "\(add)")
        #expect(add.error?.code == 7, "\(add)")
        #expect(net.ipFiles.isEmpty)
    }

    @Test("a missing cniVersion means 0.1.0")
    func missingVersion() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#)
        var call = net.request("ADD", "c1")
        call.stdin = Array(#"{"name": "testnet", "ipam": {"type": "host-local", "dataDir": "\#(net.dataDir)", "subnet": "10.1.2.0/24"}}"#.utf8)
        let add = call.run(.ours)
        #expect(add.json == JSON(document: #"{"cniVersion": "0.1.0", "ip4": {"ip": "10.1.2.2/24", "gateway": "10.1.2.1"}, "dns": {}}"#), "\(add)")
    }
}
