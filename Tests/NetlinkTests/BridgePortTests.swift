@testable import Netlink
import TestKit
import Testing

@Suite("Bridge port options (root, test node)", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct BridgePortTests {
    /// `info_slave_data` of the port as `ip -d` reports it.
    private func portData(_ fixture: VethFixture) throws -> JSON {
        let shown = try Tool.ipJSON("-d", "link", "show", "dev", fixture.hostVethName.text)
        return shown.first?["linkinfo"]?["info_slave_data"] ?? [:]
    }

    @Test("hairpin mode turns on and off", arguments: [true, false])
    func hairpin(on: Bool) throws {
        let fixture = try VethFixture()
        let index = try fixture.hostVeth.index
        try fixture.host.setBridgePort(index: index, hairpin: !on)

        try fixture.host.setBridgePort(index: index, hairpin: on)

        let data = try portData(fixture)
        #expect(data["hairpin"]?.bool == on)
    }

    @Test("port isolation turns on and off", arguments: [true, false])
    func isolated(on: Bool) throws {
        let fixture = try VethFixture()
        let index = try fixture.hostVeth.index
        try fixture.host.setBridgePort(index: index, isolated: !on)

        try fixture.host.setBridgePort(index: index, isolated: on)

        let data = try portData(fixture)
        #expect(data["isolated"]?.bool == on)
    }

    @Test("both options travel in one request and leave each other alone")
    func both() throws {
        let fixture = try VethFixture()
        let index = try fixture.hostVeth.index

        try fixture.host.setBridgePort(index: index, hairpin: true, isolated: true)
        try fixture.host.setBridgePort(index: index, hairpin: false)

        let data = try portData(fixture)
        #expect(data["hairpin"]?.bool == false)
        #expect(data["isolated"]?.bool == true)
    }

    @Test("a link without a bridge master is notSupported")
    func notEnslaved() throws {
        let fixture = try VethFixture(enslave: false)
        let index = try fixture.hostVeth.index
        let error = #expect(throws: NetlinkError.self) { try fixture.host.setBridgePort(index: index, hairpin: true) }
        #expect(error?.kind == .notSupported)
    }
}
