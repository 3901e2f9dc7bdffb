import TestKit
import Testing

/// Traffic through the bridge, between pods the test made (nothing leaves
/// the test node).
@Suite("Connectivity", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct ConnectivityTests {
    /// One echo request with a one-second wait, tried up to three times so
    /// that a slow first ARP/ND exchange on a loaded machine is not a failure.
    static func ping(from pod: Pod, to address: String) -> Bool {
        (0..<3).contains { _ in pod.succeeds("ping", "-c1", "-W1", address) }
    }

    @Test("two pods on one bridge reach each other")
    func podToPod() throws {
        try withTestNetwork { net in
            let config = net.config("1.0.0", ["isGateway": true])
            let first = try net.attachment()
            let second = try net.attachment()
            try net.add(first, config: config)
            try net.add(second, config: config)
            #expect(Self.ping(from: first.pod, to: net.address(3)))
            #expect(Self.ping(from: second.pod, to: net.address(2)))
        }
    }

    @Test("a pod reaches its gateway on the bridge")
    func podToGateway() throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            try net.add(attachment, config: net.config("1.0.0", ["isDefaultGateway": true]))
            #expect(Self.ping(from: attachment.pod, to: net.gateway))
        }
    }

    @Test("two pods on one bridge reach each other over IPv6")
    func podToPodIPv6() throws {
        try withTestNetwork { net in
            let config = net.config("1.0.0", ["isGateway": true, "ipam": net.ipam(dualStack: true)])
            let first = try net.attachment()
            let second = try net.attachment()
            try net.add(first, config: config)
            try net.add(second, config: config)
            #expect(Self.ping(from: first.pod, to: net.address6(3)))
        }
    }
}
