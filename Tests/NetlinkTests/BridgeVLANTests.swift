import Foundation
import CNISpec
@testable import Netlink
import TestKit
import Testing

/// Whether the test node's kernel filters VLANs on bridges, probed with
/// iproute2 (independent of the code under test).
enum KernelBridgeVLANs {
    static let available: Bool = {
        guard TestNode.isAvailable else { return false }
        let probe = TestNode.uniqueName("vprobe")
        guard (try? Tool.run(["ip", "link", "add", probe, "type", "bridge", "vlan_filtering", "1"])) != nil else {
            return false
        }
        _ = try? Tool.run(["ip", "link", "del", probe])
        return true
    }()
    static let lacking: Bool = TestNode.isAvailable && !available
}

/// A VLAN-filtering bridge with one veth port, made with the API under test.
private final class VLANBridgeFixture {
    let host = try! NetlinkSocket()
    let bridgeName = InterfaceName.unique("vbr")
    let portName = VethName.random()
    let peerName = InterfaceName.unique("vpeer")

    init() throws {
        try host.createVLANFilteringBridge(name: bridgeName)
        let bridge = try host.link(named: bridgeName)
        try host.createVethPair(name: portName, peerName: peerName, peerNamespace: nil, up: true,
                                masterIndex: bridge.index)
    }

    var port: LinkInfo { get throws { try host.link(named: portName) } }

    /// `bridge vlan show dev <port>` as "10 PVID untagged", "20", … (read
    /// again when a concurrent test interrupted the dump and `bridge` said
    /// so instead of printing JSON).
    func shownVLANs() throws -> [String] {
        let arguments = ["bridge", "-j", "vlan", "show", "dev", portName.text]
        var text = try Tool.run(arguments)
        var parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]
        for _ in 0..<5 where parsed == nil {
            text = try Tool.run(arguments)
            parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]
        }
        guard let parsed else { throw UnparsableListing(arguments: arguments, output: text) }
        return parsed.flatMap { ($0["vlans"] as? [[String: Any]]) ?? [] }.flatMap { entry -> [String] in
            guard let first = entry["vlan"] as? Int else { return [] }
            let last = entry["vlanEnd"] as? Int ?? first
            let flags = entry["flags"] as? [String] ?? []
            let suffix = (flags.contains("PVID") ? " PVID" : "") + (flags.contains("Egress Untagged") ? " untagged" : "")
            return (first...last).map { "\($0)\(suffix)" }
        }
    }

    deinit {
        _ = try? host.deleteLink(named: portName, ifMissing: .tolerate)
        _ = try? host.deleteLink(named: bridgeName, ifMissing: .tolerate)
    }
}

@Suite("Bridge VLAN filtering (root, test node, a kernel with VLAN filtering)",
       .enabled(if: KernelBridgeVLANs.available,
                "needs a kernel with bridge VLAN filtering: run scripts/test-in-kernel.sh --filter BridgeVLAN"))
struct BridgeVLANTests {
    private func id(_ value: Int) -> VLANID { VLANID(value)! }

    @Test("a bridge created with VLAN filtering reports it; a plain bridge reports it off")
    func filteringState() throws {
        let fixture = try VLANBridgeFixture()
        #expect(try fixture.host.bridgeVLANFiltering(index: fixture.host.link(named: fixture.bridgeName).index) == .on)
        let plain = InterfaceName.unique("pbr")
        try fixture.host.createBridge(name: plain)
        defer { _ = try? fixture.host.deleteLink(named: plain) }
        #expect(try fixture.host.bridgeVLANFiltering(index: fixture.host.link(named: plain).index) == .off)
    }

    @Test("a new port lists the bridge's default VLAN 1 as PVID, untagged")
    func defaultVLAN() throws {
        let fixture = try VLANBridgeFixture()
        let vlans = try fixture.host.bridgePortVLANs(index: fixture.port.index)
        #expect(vlans == [PortVLAN(id(1), pvid: true, untagged: true)])
    }

    @Test("a range is added in one request and listed one VID per entry; deleting part of it leaves the rest")
    func rangeAddAndDelete() throws {
        let fixture = try VLANBridgeFixture()
        let index = try fixture.port.index
        try fixture.host.addBridgePortVLANs(index: index, id(20)...id(23))
        try fixture.host.deleteBridgePortVLANs(index: index, id(21)...id(22))
        try fixture.host.deleteBridgePortVLANs(index: index, id(1)...id(1))
        #expect(try fixture.shownVLANs() == ["20", "23"])
        #expect(try fixture.host.bridgePortVLANs(index: index) == [PortVLAN(id(20)), PortVLAN(id(23))])
    }

    @Test("a PVID moves: the new one is PVID and untagged, the old one keeps its VID without PVID")
    func pvidMoves() throws {
        let fixture = try VLANBridgeFixture()
        let index = try fixture.port.index
        try fixture.host.addBridgePortVLANs(index: index, id(10)...id(10), pvid: true, untagged: true)
        #expect(try fixture.shownVLANs() == ["1 untagged", "10 PVID untagged"])
    }

    @Test("a port with more VLANs than the first buffer holds is listed whole")
    func manyVLANs() throws {
        let fixture = try VLANBridgeFixture()
        let index = try fixture.port.index
        try fixture.host.addBridgePortVLANs(index: index, id(100)...id(399))
        #expect(try fixture.host.bridgePortVLANs(index: index).count == 301)
    }

    @Test("deleting a VID the port does not have succeeds and changes nothing (the kernel's rule)")
    func deleteMissing() throws {
        let fixture = try VLANBridgeFixture()
        try fixture.host.deleteBridgePortVLANs(index: try fixture.port.index, id(77)...id(77))
        #expect(try fixture.shownVLANs() == ["1 PVID untagged"])
    }

    @Test("VLANs of a link that is no bridge port: none")
    func notAPort() throws {
        let fixture = try VLANBridgeFixture()
        let bridge = try fixture.host.link(named: fixture.bridgeName)
        let lone = InterfaceName.unique("lone")
        try fixture.host.createVethPair(name: lone, peerName: InterfaceName(lone.text + "p"), peerNamespace: nil)
        defer { _ = try? fixture.host.deleteLink(named: lone) }
        #expect(try fixture.host.bridgePortVLANs(index: fixture.host.link(named: lone).index).isEmpty)
        _ = bridge
    }
}

@Suite("Bridge VLAN filtering on a kernel without it (root, test node)",
       .enabled(if: KernelBridgeVLANs.lacking, "needs a kernel without bridge VLAN filtering (the host's)"))
struct MissingBridgeVLANTests {
    @Test("creating a VLAN-filtering bridge is notSupported and leaves no link")
    func createRefused() throws {
        let host = try NetlinkSocket()
        let name = InterfaceName.unique("vbr")
        let error = #expect(throws: NetlinkError.self) { try host.createVLANFilteringBridge(name: name) }
        #expect(error?.kind == .notSupported)
        #expect(try host.linkIfPresent(named: name) == nil)
    }

    @Test("a plain bridge reports VLAN filtering as unsupported")
    func plainBridgeUnsupported() throws {
        let host = try NetlinkSocket()
        let name = InterfaceName.unique("pbr")
        try host.createBridge(name: name)
        defer { _ = try? host.deleteLink(named: name) }
        #expect(try host.bridgeVLANFiltering(index: host.link(named: name).index) == .unsupported)
    }
}

/// `bridge -j vlan show` printed something that is not its JSON listing.
private struct UnparsableListing: Error, CustomStringConvertible {
    let arguments: [String]
    let output: String
    var description: String { "\(arguments.joined(separator: " ")): not a JSON listing: \(output)" }
}
