import TestKit
import Testing

/// A bridge without IPAM: the pod is plugged in at layer 2 only.
@Suite("L2 mode", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct LayerTwoTests {
    private func config(_ net: TestNetwork, _ version: String) -> JSON {
        net.config(version, ["ipam": nil])
    }

    @Test("ADD plugs the pod in, brings its link up and assigns no address")
    func add() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let result = try net.add(attachment, config: config(net, "1.0.0"))
            #expect(result["interfaces"]?.array?.count == 3)
            let ips = result["ips"]?.array ?? []
            #expect(ips.isEmpty)
            let link = try #require(try Kernel.link("eth0", in: attachment.pod))
            #expect(link["flags"]?.array?.contains("UP") == true)
            #expect(try Kernel.addresses(of: "eth0", in: attachment.pod).isEmpty)
            #expect(try Kernel.ports(of: net.bridgeName).count == 1)
            #expect(try Kernel.addresses(of: net.bridgeName).isEmpty)
        }
    }

    @Test("0.1.0/0.2.0: ADD fails before creating anything (the result would need an IP)", arguments: ["0.1.0", "0.2.0"])
    func legacyVersionFailsCleanly(version: String) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let outcome = try net.call("ADD", attachment, config: config(net, version))
            #expect(!outcome.succeeded)
            #expect(outcome.errorMessage.contains("cannot convert: no valid IP addresses"), "\(outcome)")
            #expect(try !Kernel.linkExists(net.bridgeName))
            #expect(try attachment.pod.linkNames() == ["lo"])
        }
    }

    @Test("CHECK after ADD succeeds (the reference always fails: no plugin name provided)")
    func check() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = config(net, "1.0.0")
            let result = try net.add(attachment, config: config)
            let outcome = try net.call("CHECK", attachment, config: net.withPrevResult(config, result))
            #expect(outcome.succeeded, "\(outcome)")
        }
    }

    @Test("DEL removes the pod's interface")
    func delete() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = config(net, "1.0.0")
            try net.add(attachment, config: config)
            let outcome = try net.call("DEL", attachment, config: config)
            #expect(outcome.succeeded, "\(outcome)")
            #expect(try attachment.pod.linkNames() == ["lo"])
            #expect(try Kernel.ports(of: net.bridgeName).isEmpty)
        }
    }

    @Test("disableContainerInterface plugs the pod in but leaves its link down")
    func disabledContainerInterface() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config("1.0.0", ["ipam": nil, "disableContainerInterface": true])
            let result = try net.add(attachment, config: config)
            #expect(result["interfaces"]?.array?.count == 3)
            let link = try #require(try Kernel.link("eth0", in: attachment.pod))
            #expect(link["flags"]?.array?.contains("UP") == false)
            #expect(try Kernel.ports(of: net.bridgeName).count == 1)
        }
    }
}
