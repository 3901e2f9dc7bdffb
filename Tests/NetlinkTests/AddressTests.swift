import CNISpec
@testable import Netlink
import TestKit
import Testing

@Suite("Addresses (root, test node)", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct AddressTests {
    @Test("an added IPv4 address is listed with universe scope and a broadcast")
    func addIPv4() throws {
        let fixture = try VethFixture()
        let index = try fixture.podInterface.index
        let cidr = try #require(CIDR("10.88.0.10/16"))

        #expect(try fixture.podSocket.addAddress(cidr, interfaceIndex: index) == .added)

        let listed = try fixture.podSocket.addresses(interfaceIndex: index, family: .v4)
        #expect(listed.map(\.cidr) == [cidr])
        #expect(listed.first?.scope == .universe)
        #expect(listed.first?.interfaceIndex == index)
        let shown = try Tool.ipJSON("-n", fixture.pod.name, "addr", "show", "dev", "eth0")
        let info = shown.first?["addr_info"]?.array?.first { $0["family"]?.string == "inet" }
        #expect(info?["local"]?.string == "10.88.0.10")
        #expect(info?["broadcast"]?.string == "10.88.255.255")
    }

    @Test("adding the same address again is EEXIST, or alreadyExisted when tolerated")
    func addTwice() throws {
        let fixture = try VethFixture()
        let index = try fixture.podInterface.index
        let cidr = try #require(CIDR("10.88.0.10/16"))
        try fixture.podSocket.addAddress(cidr, interfaceIndex: index)

        #expect(try fixture.podSocket.addAddress(cidr, interfaceIndex: index, ifExists: .tolerate) == .alreadyExisted)
        let error = #expect(throws: NetlinkError.self) { try fixture.podSocket.addAddress(cidr, interfaceIndex: index) }
        #expect(error?.isAlreadyExists == true)
    }

    @Test("the family filter separates IPv4 and IPv6 addresses")
    func familyFilter() throws {
        let fixture = try VethFixture()
        let index = try fixture.podInterface.index
        let v4 = try #require(CIDR("10.88.0.10/16"))
        let v6 = try #require(CIDR("fd00:88::10/64"))
        try fixture.podSocket.addAddress(v4, interfaceIndex: index)
        try fixture.podSocket.addAddress(v6, interfaceIndex: index, flags: .noDAD)

        #expect(try fixture.podSocket.addresses(interfaceIndex: index, family: .v4).map(\.cidr) == [v4])
        let v6Listed = try fixture.podSocket.addresses(interfaceIndex: index, family: .v6)
        #expect(v6Listed.map(\.cidr).contains(v6))
        #expect(v6Listed.first { $0.cidr == v6 }?.flags.contains(.noDAD) == true)
        #expect(try fixture.podSocket.addresses(interfaceIndex: index).count >= 2)
    }

    @Test("a deleted address is gone; deleting it again is addressNotAvailable or alreadyGone")
    func deleteAddress() throws {
        let fixture = try VethFixture()
        let index = try fixture.podInterface.index
        let cidr = try #require(CIDR("10.88.0.10/16"))
        try fixture.podSocket.addAddress(cidr, interfaceIndex: index)

        #expect(try fixture.podSocket.deleteAddress(cidr, interfaceIndex: index) == .deleted)

        #expect(try fixture.podSocket.addresses(interfaceIndex: index, family: .v4).isEmpty)
        #expect(try fixture.podSocket.deleteAddress(cidr, interfaceIndex: index, ifMissing: .tolerate) == .alreadyGone)
        let error = #expect(throws: NetlinkError.self) { try fixture.podSocket.deleteAddress(cidr, interfaceIndex: index) }
        #expect(error?.kind == .addressNotAvailable)
    }

    @Test("one IPv6 address is read with its prefix length; absent, or on another interface, it is nil")
    func readOneIPv6Address() throws {
        let fixture = try VethFixture()
        let index = try fixture.podInterface.index
        let cidr = try #require(CIDR("fd00:88::10/48"))
        try fixture.podSocket.addAddress(cidr, interfaceIndex: index, flags: .noDAD)

        let held = try fixture.podSocket.ipv6Address(cidr.address, interfaceIndex: index)
        #expect(held?.cidr == cidr)
        #expect(held?.interfaceIndex == index)
        #expect(held?.flags.contains(.noDAD) == true)
        #expect(try fixture.podSocket.ipv6Address(try #require(IPAddress("fd00:88::11")), interfaceIndex: index) == nil)
        let loopback = try fixture.podSocket.link(named: "lo").index
        #expect(try fixture.podSocket.ipv6Address(cidr.address, interfaceIndex: loopback) == nil)
        // The socket still answers ordinary requests afterwards (no stray ACK left behind).
        #expect(try fixture.podSocket.addresses(interfaceIndex: index, family: .v6).map(\.cidr).contains(cidr))
    }
}
