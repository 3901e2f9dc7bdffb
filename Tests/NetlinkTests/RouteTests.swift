import CNISpec
import Glibc
@testable import Netlink
import TestKit
import Testing

@Suite("Routes (root, test node)", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct RouteTests {
    /// The pod end up, with 10.88.0.10/16 and fd00:88::10/64 on it.
    private func configuredPod() throws -> (VethFixture, InterfaceIndex) {
        let fixture = try VethFixture()
        let index = try fixture.podInterface.index
        try fixture.podSocket.setUp(index: index)
        try fixture.podSocket.addAddress(#require(CIDR("10.88.0.10/16")), interfaceIndex: index)
        try fixture.podSocket.addAddress(#require(CIDR("fd00:88::10/64")), interfaceIndex: index, flags: .noDAD)
        return (fixture, index)
    }

    @Test("a default route via a gateway is listed back with its next hop")
    func defaultRouteIPv4() throws {
        let (fixture, index) = try configuredPod()
        let route = RouteInfo(destination: try #require(CIDR("0.0.0.0/0")),
                              gateway: IPAddress("10.88.0.1"), outputInterface: index)

        #expect(try fixture.podSocket.addRoute(route) == .added)

        let listed = try fixture.podSocket.routes(family: .v4).filter(\.isDefault)
        #expect(listed.count == 1)
        #expect(listed.first?.gateway == IPAddress("10.88.0.1"))
        #expect(listed.first?.outputInterface == index)
        #expect(listed.first?.protocolID == RouteInfo.protocolBoot)
        #expect(listed.first?.scope == .universe)
        let shown = try Tool.ipJSON("-n", fixture.pod.name, "route", "show", "default")
        #expect(shown.first?["gateway"]?.string == "10.88.0.1")
        #expect(shown.first?["dev"]?.string == "eth0")
    }

    @Test("an IPv6 default route via a gateway is listed back")
    func defaultRouteIPv6() throws {
        let (fixture, index) = try configuredPod()
        let route = RouteInfo(destination: try #require(CIDR("::/0")),
                              gateway: IPAddress("fd00:88::1"), outputInterface: index)

        try fixture.podSocket.addRoute(route)

        let listed = try fixture.podSocket.routes(family: .v6).filter(\.isDefault)
        #expect(listed.map(\.gateway) == [IPAddress("fd00:88::1")])
        #expect(listed.first?.priority == 1024)
    }

    @Test("adding the same route again is EEXIST, or alreadyExisted when tolerated")
    func addTwice() throws {
        let (fixture, index) = try configuredPod()
        let route = RouteInfo(destination: try #require(CIDR("0.0.0.0/0")),
                              gateway: IPAddress("10.88.0.1"), outputInterface: index)
        try fixture.podSocket.addRoute(route)

        #expect(try fixture.podSocket.addRoute(route, ifExists: .tolerate) == .alreadyExisted)
        let error = #expect(throws: NetlinkError.self) { try fixture.podSocket.addRoute(route) }
        #expect(error?.isAlreadyExists == true)
    }

    @Test("a route to a destination already routed another way is EEXIST, or added beside it with .addBeside")
    func sameDestinationAnotherWay() throws {
        let (fixture, index) = try configuredPod()
        let destination = try #require(CIDR("10.99.0.0/16"))
        try fixture.podSocket.addRoute(RouteInfo(destination: destination, gateway: IPAddress("10.88.0.1"),
                                                 outputInterface: index))
        let other = RouteInfo(destination: destination, gateway: IPAddress("10.88.0.2"), outputInterface: index)

        let error = #expect(throws: NetlinkError.self) { try fixture.podSocket.addRoute(other) }
        #expect(error?.isAlreadyExists == true)
        #expect(try fixture.podSocket.addRoute(other, sameDestination: .addBeside) == .added)

        let shown = try Tool.ipJSON("-n", fixture.pod.name, "route", "show", "10.99.0.0/16")
        #expect(Set(shown.compactMap { $0["gateway"]?.string }) == ["10.88.0.1", "10.88.0.2"])
        let again = #expect(throws: NetlinkError.self) {
            try fixture.podSocket.addRoute(other, sameDestination: .addBeside)
        }
        #expect(again?.isAlreadyExists == true)
    }

    @Test("routes that share destination, table and metric are all listed (a libnl cache would keep one)")
    func listsRoutesSharingAKey() throws {
        let (fixture, index) = try configuredPod()
        let destination = try #require(CIDR("10.99.0.0/16"))
        for gateway in ["10.88.0.1", "10.88.0.2", "10.88.0.3"] {
            try fixture.podSocket.addRoute(RouteInfo(destination: destination, gateway: IPAddress(gateway),
                                                     outputInterface: index), sameDestination: .addBeside)
        }

        let listed = try fixture.podSocket.routes(family: .v4).filter { $0.destination == destination }
        #expect(listed.compactMap(\.gateway).map(\.description).sorted() == ["10.88.0.1", "10.88.0.2", "10.88.0.3"])
        #expect(try fixture.podSocket.routes(family: .v4, outputInterface: InterfaceIndex(index.rawValue + 100)).isEmpty)
    }

    @Test("table, priority, scope, MTU and advmss are sent and read back")
    func routeAttributes() throws {
        let (fixture, index) = try configuredPod()
        let route = RouteInfo(destination: try #require(CIDR("192.168.7.0/24")), outputInterface: index,
                              scope: .link, table: 100, priority: 42, mtu: 1300, advmss: 1260)

        try fixture.podSocket.addRoute(route)

        #expect(try fixture.podSocket.routes(family: .v4).contains { $0.destination == route.destination } == false)
        let listed = try fixture.podSocket.routes(family: .v4, table: 100)
        #expect(listed.count == 1)
        let read = try #require(listed.first)
        #expect(read.destination == route.destination)
        #expect(read.gateway == nil)
        #expect(read.scope == .link)
        #expect(read.priority == 42)
        #expect(read.mtu == 1300)
        #expect(read.advmss == 1260)
    }

    @Test("a deleted route is gone; deleting it again is notFound or alreadyGone")
    func deleteRoute() throws {
        let (fixture, index) = try configuredPod()
        let route = RouteInfo(destination: try #require(CIDR("10.99.0.0/16")),
                              gateway: IPAddress("10.88.0.1"), outputInterface: index)
        try fixture.podSocket.addRoute(route)

        #expect(try fixture.podSocket.deleteRoute(route) == .deleted)

        #expect(try !fixture.podSocket.routes(family: .v4).contains { $0.destination == route.destination })
        #expect(try fixture.podSocket.deleteRoute(route, ifMissing: .tolerate) == .alreadyGone)
        let error = #expect(throws: NetlinkError.self) { try fixture.podSocket.deleteRoute(route) }
        #expect(error?.isNotFound == true)
        // The kernel's own errno, not libnl's lossy NLE_OBJ_NOTFOUND.
        #expect(error?.kernelErrno == ESRCH)
        #expect(error?.reason == "no such process")
    }
}
