import CNISpec
import Glibc
@testable import Netlink
import SystemSupport
import TestKit
import Testing

@Suite("Links (root, test node)", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct LinkTests {
    @Test("a created bridge reads back as an up bridge with its MTU")
    func createBridge() throws {
        let socket = try NetlinkSocket()
        let name = InterfaceName.unique("br")
        defer { _ = try? socket.deleteLink(named: name, ifMissing: .tolerate) }

        #expect(try socket.createBridge(name: name, mtu: 1400, up: true) == .added)

        let bridge = try socket.link(named: name)
        #expect(bridge.isBridge)
        #expect(bridge.name == name.text)
        #expect(bridge.mtu == 1400)
        #expect(bridge.isUp)
        #expect(bridge.mac != nil)
        #expect(try socket.link(index: bridge.index) == bridge)
    }

    @Test("creating an existing bridge is EEXIST, or alreadyExisted when tolerated")
    func createBridgeTwice() throws {
        let socket = try NetlinkSocket()
        let name = InterfaceName.unique("br")
        defer { _ = try? socket.deleteLink(named: name, ifMissing: .tolerate) }
        try socket.createBridge(name: name)

        #expect(try socket.createBridge(name: name, ifExists: .tolerate) == .alreadyExisted)
        let error = #expect(throws: NetlinkError.self) { try socket.createBridge(name: name) }
        #expect(error?.isAlreadyExists == true)
        #expect(error?.description == "add bridge \"\(name)\": file exists")
    }

    @Test("a name over 15 bytes is ERANGE, never truncated", arguments: ["averyverylongbridge", "sixteen-chars-xx"])
    func nameTooLong(name: String) throws {
        let socket = try NetlinkSocket()
        let error = #expect(throws: NetlinkError.self) {
            try socket.createBridge(name: InterfaceName(kernelName: name, operation: "add bridge"))
        }
        #expect(error?.kind == .outOfRange)
        #expect(error?.reason == "numerical result out of range")
        #expect(error?.description == "add bridge \"\(name)\": numerical result out of range")
        #expect(try socket.linkIfPresent(named: InterfaceName(String(name.prefix(15)))) == nil)
    }

    @Test("an absent link is nil from linkIfPresent and noSuchDevice from link")
    func missingLink() throws {
        let socket = try NetlinkSocket()
        #expect(try socket.linkIfPresent(named: "nosuchlink0") == nil)
        #expect(try socket.linkIfPresent(index: InterfaceIndex(999_999)!) == nil)
        let error = #expect(throws: NetlinkError.self) { try socket.link(named: "nosuchlink0") }
        #expect(error?.isNoSuchDevice == true)
    }

    @Test("a veth peer is born in the pod namespace with its name, MAC and MTU")
    func vethPeerInPod() throws {
        let mac = try #require(MACAddress("0a:58:0a:58:00:0a"))
        let fixture = try VethFixture(mtu: 1400, peerMAC: mac)

        let hostVeth = try fixture.hostVeth
        let podInterface = try fixture.podInterface
        #expect(hostVeth.isVeth)
        #expect(hostVeth.mtu == 1400)
        #expect(hostVeth.isUp)
        #expect(podInterface.isVeth)
        #expect(podInterface.mac == mac)
        #expect(podInterface.mtu == 1400)
        #expect(!podInterface.isUp)
        // Each end names the other by its index in the other namespace.
        #expect(hostVeth.peerIndex == podInterface.index)
        #expect(podInterface.peerIndex == hostVeth.index)
        #expect(try fixture.host.linkIfPresent(named: "eth0") == nil)

        let shown = try Tool.ipJSON("-n", fixture.pod.name, "link", "show", "eth0")
        #expect(shown.first?["address"]?.string == "0a:58:0a:58:00:0a")
        #expect(shown.first?["mtu"]?.int == 1400)
    }

    @Test("the host end comes up with the create request; the peer comes up through the pod socket")
    func vethUp() throws {
        let fixture = try VethFixture(peerUp: true)
        #expect(try fixture.hostVeth.isUp)
        #expect(try fixture.podInterface.isUp)
    }

    @Test("the veth is enslaved to the bridge as part of the create request")
    func vethBornEnslaved() throws {
        let fixture = try VethFixture()
        let hostVeth = try fixture.hostVeth
        #expect(hostVeth.masterIndex == (try fixture.bridge).index)
        #expect(hostVeth.slaveKind == "bridge")
    }

    @Test("a taken peer name is EEXIST and leaves no host end behind")
    func peerNameTaken() throws {
        let fixture = try VethFixture()
        let otherHostName = VethName.random()
        let error = #expect(throws: NetlinkError.self) {
            try fixture.host.createVethPair(name: otherHostName, peerName: "eth0", peerNamespace: fixture.podNamespace)
        }
        #expect(error?.isAlreadyExists == true)
        #expect(try fixture.host.linkIfPresent(named: otherHostName) == nil)
    }

    @Test("setMaster enslaves a port and leaveMaster releases it")
    func setMaster() throws {
        let fixture = try VethFixture(enslave: false)
        let bridge = try fixture.bridge
        let veth = try fixture.hostVeth
        #expect(veth.masterIndex == nil)

        try fixture.host.setMaster(index: veth.index, masterIndex: bridge.index)
        #expect(try fixture.hostVeth.masterIndex == bridge.index)

        try fixture.host.leaveMaster(index: veth.index)
        #expect(try fixture.hostVeth.masterIndex == nil)
    }

    @Test("up/down, MTU, MAC and promiscuous mode change in place")
    func changeLink() throws {
        let fixture = try VethFixture()
        let index = try fixture.podInterface.index
        let mac = try #require(MACAddress("0a:58:0a:58:00:63"))

        try fixture.podSocket.setUp(index: index)
        #expect(try fixture.podInterface.isUp)
        try fixture.podSocket.setMTU(index: index, 1280)
        #expect(try fixture.podInterface.mtu == 1280)
        try fixture.podSocket.setMAC(index: index, mac)
        #expect(try fixture.podInterface.mac == mac)
        try fixture.podSocket.setPromiscuous(index: index)
        #expect(try fixture.podInterface.isPromiscuous)
        try fixture.podSocket.changeLink(index: index, LinkChanges(up: false, promiscuous: false))
        let after = try fixture.podInterface
        #expect(!after.isUp)
        #expect(!after.isPromiscuous)
    }

    @Test("deleting a veth removes both ends; deleting again is ENODEV or alreadyGone")
    func deleteLink() throws {
        let fixture = try VethFixture()
        let index = try fixture.hostVeth.index

        #expect(try fixture.host.deleteLink(named: fixture.hostVethName) == .deleted)

        #expect(try fixture.podSocket.linkIfPresent(named: "eth0") == nil)
        #expect(try fixture.host.deleteLink(named: fixture.hostVethName, ifMissing: .tolerate) == .alreadyGone)
        #expect(try fixture.host.deleteLink(index: index, ifMissing: .tolerate) == .alreadyGone)
        let error = #expect(throws: NetlinkError.self) { try fixture.host.deleteLink(index: index) }
        #expect(error?.isNoSuchDevice == true)
    }

    @Test("links() lists every link of the socket's namespace")
    func listLinks() throws {
        let fixture = try VethFixture()
        let names = try fixture.podSocket.links().map(\.name).sorted()
        #expect(names == ["eth0", "lo"])
    }

    @Test("waitForOperState returns at once for an UP port and gives up at the timeout otherwise")
    func waitForOperState() throws {
        let fixture = try VethFixture(peerUp: false)
        let veth = try fixture.hostVeth

        let early = try fixture.host.waitForOperState(index: veth.index, timeoutMilliseconds: 20)
        #expect(early.operState != .up)

        try fixture.podSocket.setUp(index: try fixture.podInterface.index)
        let start = MonotonicClock.nowNanoseconds()
        let up = try fixture.host.waitForOperState(index: veth.index)
        let elapsed = Double(MonotonicClock.nowNanoseconds() - start) / 1e6
        #expect(up.operState == .up)
        #expect(elapsed < 500)
        print("operstate UP after peer up: \(elapsed) ms")
    }
}
