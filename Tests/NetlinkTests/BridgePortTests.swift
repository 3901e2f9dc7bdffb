@testable import Netlink
import Testing

@Suite("Bridge port options (root, test node)", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct BridgePortTests {
    /// `info_slave_data` of the port as `ip -d` reports it.
    private func portData(_ fixture: VethFixture) throws -> [String: Any] {
        let shown = try Command.ipJSON("-d", "link", "show", "dev", fixture.hostVethName)
        let linkInfo = shown.first?["linkinfo"] as? [String: Any]
        return linkInfo?["info_slave_data"] as? [String: Any] ?? [:]
    }

    @Test("hairpin mode turns on and off", arguments: [true, false])
    func hairpin(on: Bool) throws {
        let fixture = try VethFixture()
        let index = try fixture.hostVeth.index
        try fixture.host.setBridgePort(index: index, hairpin: !on)

        try fixture.host.setBridgePort(index: index, hairpin: on)

        let data = try portData(fixture)
        #expect(data["hairpin"] as? Bool == on)
    }

    @Test("port isolation turns on and off", arguments: [true, false])
    func isolated(on: Bool) throws {
        let fixture = try VethFixture()
        let index = try fixture.hostVeth.index
        try fixture.host.setBridgePort(index: index, isolated: !on)

        try fixture.host.setBridgePort(index: index, isolated: on)

        let data = try portData(fixture)
        #expect(data["isolated"] as? Bool == on)
    }

    @Test("both options travel in one request and leave each other alone")
    func both() throws {
        let fixture = try VethFixture()
        let index = try fixture.hostVeth.index

        try fixture.host.setBridgePort(index: index, hairpin: true, isolated: true)
        try fixture.host.setBridgePort(index: index, hairpin: false)

        let data = try portData(fixture)
        #expect(data["hairpin"] as? Bool == false)
        #expect(data["isolated"] as? Bool == true)
    }

    @Test("a link without a bridge master is notSupported")
    func notEnslaved() throws {
        let fixture = try VethFixture(enslave: false)
        let index = try fixture.hostVeth.index
        let error = #expect(throws: NetlinkError.self) { try fixture.host.setBridgePort(index: index, hairpin: true) }
        #expect(error?.kind == .notSupported)
    }
}
