import TestKit
import Testing

/// `isDefaultGateway` together with a default route from IPAM
/// (REFERENCE.md §2.1, §2.10 item 5).
@Suite("isDefaultGateway with IPAM routes", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct DefaultGatewayTests {
    private func config(_ net: TestNetwork, route: JSON) -> JSON {
        net.config("1.0.0", ["isDefaultGateway": true, "ipam": ["routes": [route]]])
    }

    @Test("an IPAM default route without gw succeeds and goes via the gateway (the reference fails: file exists)")
    func defaultRouteWithoutGateway() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let result = try net.add(attachment, config: config(net, route: ["dst": "0.0.0.0/0"]))
            // IPAM's route is reported as given; no second default route.
            #expect(result["routes"] == [["dst": "0.0.0.0/0"]])
            let defaults = try Kernel.routes(in: attachment.pod).filter { $0.destination == "default" }
            #expect(defaults == [Kernel.Route(destination: "default", gateway: net.gateway, device: "eth0")])
        }
    }

    @Test("the reference fails on the same configuration",
          .enabled(if: Plugins.referenceIsInstalled, "needs /usr/lib/cni/bridge"))
    func referenceFails() throws {
        try withTestNetwork { net in
            let outcome = try net.call("ADD", try net.attachment(), config: config(net, route: ["dst": "0.0.0.0/0"]),
                                       plugin: Plugins.referenceBridge)
            #expect(!outcome.succeeded)
            #expect(outcome.errorMessage.contains("file exists"), "\(outcome)")
        }
    }

    @Test("an IPAM default route with its own gw is kept and none is added")
    func defaultRouteWithGateway() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let route: JSON = ["dst": "0.0.0.0/0", "gw": .string(net.address(254))]
            let result = try net.add(attachment, config: config(net, route: route))
            #expect(result["routes"] == [route])
            let defaults = try Kernel.routes(in: attachment.pod).filter { $0.destination == "default" }
            #expect(defaults == [Kernel.Route(destination: "default", gateway: net.address(254), device: "eth0")])
        }
    }
}
