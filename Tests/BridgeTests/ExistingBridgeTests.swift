import TestKit
import Testing

/// ADD on a bridge that already exists, made by someone else (an
/// administrator, an older release, the reference) and left in a state our
/// own ADDs never leave it in: down, with an administrator's MAC, with a port
/// of its own, or with no MAC at all.
///
/// The bridge's MAC is what pods already on it know: ADD keeps it, and with
/// `isGateway` pins it so that it no longer follows the lowest port. A bridge
/// whose MAC was never set reports all zeros once its last port has left;
/// the kernel refuses to set that back, so with `isGateway` it gets a new
/// random MAC before the new port joins, as a new bridge does (the reference
/// fails: README, "Where we differ").
@Suite("ADD on an existing bridge", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct ExistingBridgeTests {
    /// The bridge's MAC after ADD and after that pod's DEL.
    enum MACOutcome: Sendable {
        /// The MAC it had before ADD, throughout.
        case kept
        /// A valid MAC after ADD, not the new port's, kept after DEL (pinned).
        case pinnedAfterHavingNone
        /// The new port's MAC while it is there, all zeros again after DEL
        /// (not pinned: no gateway address went on).
        case followsItsPorts
    }

    struct PreState: CustomTestStringConvertible, Sendable {
        let name: String
        /// Makes the bridge; returns links to delete afterwards.
        let make: @Sendable (TestNetwork) throws -> [String]
        var overrides: @Sendable (TestNetwork) -> JSON = { _ in ["isGateway": true] }
        let mac: MACOutcome
        /// Whether the reference fails on this pre-state (a deliberate
        /// difference); its message then contains this.
        var referenceFails: String? = nil
        var testDescription: String { name }
    }

    /// A bridge whose MAC was never set, which had a port and lost it: the
    /// kernel sets its MAC to all zeros.
    static func bridgeThatLostItsLastPort(_ net: TestNetwork) throws -> [String] {
        try Tool.run("ip", "link", "add", net.bridgeName, "type", "bridge")
        let port = TestNode.uniqueName("tp")
        try Tool.run("ip", "link", "add", port, "type", "veth", "peer", "name", port + "p")
        try Tool.run("ip", "link", "set", port, "master", net.bridgeName)
        try Tool.run("ip", "link", "del", port)
        return []
    }

    static let preStates: [PreState] = [
        PreState(name: "down, never had a port", make: { net in
            try Tool.run("ip", "link", "add", net.bridgeName, "type", "bridge")
            return []
        }, mac: .kept),
        PreState(name: "an administrator's MAC", make: { net in
            try Tool.run("ip", "link", "add", net.bridgeName, "address", "02:11:22:33:44:55", "type", "bridge")
            return []
        }, mac: .kept),
        PreState(name: "a port of its own with the lowest MAC", make: { net in
            try Tool.run("ip", "link", "add", net.bridgeName, "type", "bridge")
            let port = TestNode.uniqueName("tp")
            try Tool.run("ip", "link", "add", port, "address", "02:00:00:00:00:01", "type", "veth",
                         "peer", "name", port + "p")
            try Tool.run("ip", "link", "set", port, "master", net.bridgeName)
            try Tool.run("ip", "link", "set", port, "up")
            return [port]
        }, mac: .kept),
        PreState(name: "lost its last port (MAC all zeros)", make: bridgeThatLostItsLastPort,
                 mac: .pinnedAfterHavingNone, referenceFails: "could not set bridge's mac"),
        PreState(name: "lost its last port (MAC all zeros), IPv6, forceAddress over an overlapping address",
                 make: { net in
                     let links = try bridgeThatLostItsLastPort(net)
                     try Tool.run("ip", "address", "add", "fd00:123:\(net.subnetIndex)::5/48", "dev", net.bridgeName)
                     return links
                 },
                 overrides: { net in ["isGateway": true, "forceAddress": true, "ipam": net.ipam(subnet: net.subnet6)] },
                 mac: .pinnedAfterHavingNone, referenceFails: "could not set bridge's mac"),
        PreState(name: "lost its last port (MAC all zeros), without isGateway", make: bridgeThatLostItsLastPort,
                 overrides: { _ in [:] }, mac: .followsItsPorts),
    ]

    static let zeroMAC = "00:00:00:00:00:00"

    static func bridgeMAC(_ net: TestNetwork) throws -> String? {
        try Kernel.link(net.bridgeName)?["address"]?.string
    }

    @Test("ADD stops it accepting router advertisements (accept_ra 0), as on a bridge it creates")
    func acceptRA() throws {
        try withTestNetwork { net in
            try Tool.run("ip", "link", "add", net.bridgeName, "type", "bridge")
            let sysctl = "net/ipv6/conf/\(net.bridgeName)/accept_ra"
            try #require(Kernel.sysctl(sysctl) == "1", "a new bridge's accept_ra is not 1 on this kernel")
            try net.add(try net.attachment(), config: net.config("1.0.0"))
            #expect(Kernel.sysctl(sysctl) == "0")
        }
    }

    @Test("ADD succeeds, brings the bridge up and keeps or pins its MAC", arguments: preStates)
    func ours(_ preState: PreState) throws {
        try withTestNetwork { net in
            let links = try preState.make(net)
            defer { for link in links { _ = try? Tool.run("ip", "link", "del", link) } }
            let before = try #require(try Self.bridgeMAC(net))
            let config = net.config("1.0.0", preState.overrides(net))
            let attachment = try net.attachment()
            let result = try net.add(attachment, config: config)

            let bridge = try #require(try Kernel.link(net.bridgeName))
            #expect(bridge["flags"]?.array?.contains("UP") == true)
            let after = try #require(bridge["address"]?.string)
            #expect(result["interfaces"]?[0]?["mac"]?.string == after)
            if config["isGateway"]?.bool == true {
                #expect(try !Kernel.addresses(of: net.bridgeName).isEmpty)
            }
            switch preState.mac {
            case .kept:
                #expect(after == before)
            case .pinnedAfterHavingNone:
                #expect(before == Self.zeroMAC)
                #expect(after != Self.zeroMAC)
                #expect(after != result["interfaces"]?[1]?["mac"]?.string)
            case .followsItsPorts:
                #expect(before == Self.zeroMAC)
                #expect(after == result["interfaces"]?[1]?["mac"]?.string)
            }

            let deleted = try net.call("DEL", attachment, config: net.withPrevResult(config, result))
            #expect(deleted.succeeded, "\(deleted)")
            let afterDelete = try Self.bridgeMAC(net)
            switch preState.mac {
            case .kept: #expect(afterDelete == before)
            case .pinnedAfterHavingNone: #expect(afterDelete == after)
            case .followsItsPorts: #expect(afterDelete == Self.zeroMAC)
            }
        }
    }

    @Test("the reference succeeds where we do, except on a bridge without a MAC",
          .enabled(if: Plugins.referenceIsInstalled, "needs /usr/lib/cni/bridge and host-local"),
          arguments: preStates)
    func reference(_ preState: PreState) throws {
        try withTestNetwork { net in
            let links = try preState.make(net)
            defer { for link in links { _ = try? Tool.run("ip", "link", "del", link) } }
            let before = try #require(try Self.bridgeMAC(net))
            let outcome = try net.call("ADD", try net.attachment(), config: net.config("1.0.0", preState.overrides(net)),
                                       plugin: Plugins.referenceBridge)
            if let message = preState.referenceFails {
                #expect(!outcome.succeeded)
                #expect(outcome.errorMessage.contains(message), "\(outcome)")
                return
            }
            #expect(outcome.succeeded, "\(outcome)")
            if case .kept = preState.mac { #expect(try Self.bridgeMAC(net) == before) }
        }
    }
}
