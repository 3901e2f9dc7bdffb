import Testing

/// CNI_ARGS as the reference's `LoadArgs` reads it (REFERENCE §1.9).
@Suite("CNI_ARGS semantics")
struct CNIArgsTests {
    static let range = #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#

    @Test("keys are case-sensitive: a lower-case ip= is unknown", arguments: ["ip=10.1.2.9", "MAC=0a:58:0a:01:02:03"])
    func unknownKeyFails(args: String) {
        let net = TestNetwork(ipam: Self.range)
        let add = net.add("c1", args: args)
        #expect(add.error == PluginError(code: 4, message: "ARGS: unknown args [\"\(args)\"]", details: nil), "\(add)")
        #expect(net.ipFiles.isEmpty)
    }

    @Test("IgnoreUnknown (anywhere in the list) lets unknown keys pass", arguments: [
        "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=x;K8S_POD_INFRA_CONTAINER_ID=abc",
        "K8S_POD_NAME=x;IgnoreUnknown=true", "MAC=0a:58:0a:01:02:03;IgnoreUnknown=True", "ip=10.1.2.9;IgnoreUnknown=1",
    ])
    func ignoreUnknown(args: String) {
        let net = TestNetwork(ipam: Self.range)
        #expect(net.add("c1", args: args).addresses == ["10.1.2.2/24"])
    }

    @Test("malformed pairs and values fail with the reference's messages", arguments: [
        ("IP", "ARGS: invalid pair \"IP\""),
        ("IP=1=2", "ARGS: invalid pair \"IP=1=2\""),
        ("IP=bogus", "ARGS: error parsing value of pair \"IP=bogus\": invalid IP address bogus"),
    ])
    func malformed(args: String, message: String) {
        let net = TestNetwork(ipam: Self.range)
        let add = net.add("c1", args: args)
        #expect(add.error?.message == message, "\(add)")
        #expect(add.error?.code == 4)
    }
}
