import TestKit
import Testing

/// Static addresses from CNI_ARGS `IP=`, `args.cni.ips` and
/// `runtimeConfig.ips` (REFERENCE §3.2).
@Suite("Static IP requests")
struct StaticIPTests {
    static let dualStack = #""ranges": [[{"subnet": "10.1.2.0/24"}], [{"subnet": "2001:db8:1::/64"}]]"#

    @Test("CNI_ARGS IP= gets exactly that address; its prefix length is ignored")
    func cniArgsIP() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#)
        #expect(net.add("c1", args: "IP=10.1.2.77").addresses == ["10.1.2.77/24"])
        #expect(net.add("c2", args: "IgnoreUnknown=1;IP=10.1.2.78/16").addresses == ["10.1.2.78/24"])
        #expect(net.ipFiles == ["10.1.2.77": reservation("c1"), "10.1.2.78": reservation("c2")])
    }

    @Test("args.cni.ips and runtimeConfig.ips are honoured, one per range set")
    func argsAndRuntimeConfig() {
        let fromArgs = TestNetwork(ipam: Self.dualStack, topLevel: #""args": {"cni": {"ips": ["2001:db8:1::99", "10.1.2.99"]}}"#)
        #expect(fromArgs.add("c1").addresses == ["10.1.2.99/24", "2001:db8:1::99/64"])
        let fromRuntime = TestNetwork(ipam: Self.dualStack, topLevel: #""runtimeConfig": {"ips": ["10.1.2.98/24"]}"#)
        // The IPv6 set has no request: it is allocated dynamically.
        #expect(fromRuntime.add("c1").addresses == ["10.1.2.98/24", "2001:db8:1::2/64"])
    }

    @Test("the three sources are a union, not a priority")
    func sourcesAreUnioned() {
        let net = TestNetwork(ipam: Self.dualStack,
                              topLevel: #""args": {"cni": {"ips": ["2001:db8:1::5"]}}, "runtimeConfig": {"ips": ["10.1.3.1"]}"#)
        // CNI_ARGS gives the IPv4 address, args the IPv6 one; runtimeConfig's is left over.
        let add = net.add("c1", args: "IP=10.1.2.5")
        #expect(add.error == PluginError(code: 7, message: "failed to allocate all requested IPs: 10.1.3.1", details: nil), "\(add)")
        #expect(net.ipFiles.isEmpty)

        let fitting = TestNetwork(ipam: Self.dualStack,
                                  topLevel: #""args": {"cni": {"ips": ["2001:db8:1::5"]}}, "runtimeConfig": {"ips": []}"#)
        #expect(fitting.add("c1", args: "IP=10.1.2.5").addresses == ["10.1.2.5/24", "2001:db8:1::5/64"])
    }

    @Test("a static request for an attachment that already holds an address is refused like a dynamic duplicate, from every source",
          arguments: [("IP=10.1.2.50", ""), ("", #""args": {"cni": {"ips": ["10.1.2.50"]}}"#), ("", #""runtimeConfig": {"ips": ["10.1.2.50/24"]}"#)])
    func staticDuplicate(args: String, extra: String) {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#)
        #expect(net.add("c1").addresses == ["10.1.2.2/24"])
        let dynamic = net.add("c1")
        let again = net.add("c1", args: args, extra: extra)
        let expected = PluginError(code: 999, message: "failed to allocate for range 0: 10.1.2.2 has been allocated to c1, duplicate allocation is not allowed", details: nil)
        #expect(dynamic.error == expected, "\(dynamic)")
        #expect(again.error == expected, "\(again)")
        #expect(net.ipFiles == ["10.1.2.2": reservation("c1")])
        #expect(net.lastReserved(0) == "10.1.2.2")
        // A legacy reservation of the container counts too, for any interface.
        writeFile(net.store + "/10.1.2.2", "c1")
        #expect(net.add("c1", ifname: "net1", args: args, extra: extra).error == expected)
        #expect(net.ipFiles == ["10.1.2.2": "c1"])
    }

    @Test("requesting the gateway fails")
    func gatewayRequested() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#)
        let add = net.add("c1", args: "IP=10.1.2.1")
        #expect(add.error == PluginError(code: 7, message: "failed to allocate for range 0: requested ip 10.1.2.1 is subnet's gateway", details: nil), "\(add)")
        #expect(net.ipFiles.isEmpty)
    }

    @Test("requesting a taken address fails, naming the range set")
    func takenAddressRequested() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24", "rangeStart": "10.1.2.10", "rangeEnd": "10.1.2.12"}]]"#)
        #expect(net.add("c1", args: "IP=10.1.2.11").succeeded)
        let add = net.add("c2", args: "IP=10.1.2.11")
        #expect(add.error == PluginError(
            code: 11, message: "failed to allocate for range 0: requested IP address 10.1.2.11 is not available in range set 10.1.2.10-10.1.2.12",
            details: nil), "\(add)")
        #expect(net.ipFiles == ["10.1.2.11": reservation("c1")])
    }

    @Test("an address outside every range fails and releases what was allocated")
    func outsideEveryRange() {
        let net = TestNetwork(ipam: Self.dualStack)
        let add = net.add("c1", args: "IP=192.168.1.1")
        #expect(add.error == PluginError(code: 7, message: "failed to allocate all requested IPs: 192.168.1.1", details: nil), "\(add)")
        #expect(net.ipFiles.isEmpty)
    }

    @Test("two requests in one range set: the first is taken, the other left over (the reference picks at random)")
    func twoRequestsInOneSet() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#, topLevel: #""args": {"cni": {"ips": ["10.1.2.10", "10.1.2.11"]}}"#)
        let add = net.add("c1")
        #expect(add.error == PluginError(code: 7, message: "failed to allocate all requested IPs: 10.1.2.11", details: nil), "\(add)")
        #expect(net.ipFiles.isEmpty)
    }

    @Test("an invalid address in args.cni.ips fails")
    func invalidAddress() {
        let net = TestNetwork(ipam: Self.dualStack, topLevel: #""args": {"cni": {"ips": ["bogus"]}}"#)
        let add = net.add("c1")
        #expect(add.error?.message == "invalid IP address bogus", "\(add)")
    }
}
