import CNISpec
@testable import Netlink
import TestKit

/// A bridge in the test node plus a pod namespace with a veth pair between
/// them, built with the API under test; removed when the value goes away.
final class VethFixture {
    let host: NetlinkSocket
    let pod: PodNamespace
    let podNamespace: NetworkNamespace
    let podSocket: NetlinkSocket
    let bridgeName: InterfaceName
    let hostVethName: InterfaceName
    let podInterfaceName: InterfaceName = "eth0"

    init(mtu: Int? = nil, peerMAC: MACAddress? = nil, peerUp: Bool = false,
         enslave: Bool = true) throws {
        host = try NetlinkSocket()
        pod = try PodNamespace()
        podNamespace = try pod.open()
        podSocket = try NetlinkSocket(in: podNamespace)
        bridgeName = InterfaceName.unique("br")
        hostVethName = VethName.random()
        try host.createBridge(name: bridgeName)
        let bridge = try host.link(named: bridgeName)
        try host.createVethPair(name: hostVethName, peerName: podInterfaceName, peerNamespace: podNamespace,
                                mtu: mtu, peerMAC: peerMAC, up: true,
                                masterIndex: enslave ? bridge.index : nil)
        if peerUp { try podSocket.setUp(index: try podSocket.link(named: podInterfaceName).index) }
    }

    var bridge: LinkInfo { get throws { try host.link(named: bridgeName) } }
    var hostVeth: LinkInfo { get throws { try host.link(named: hostVethName) } }
    var podInterface: LinkInfo { get throws { try podSocket.link(named: podInterfaceName) } }

    deinit {
        _ = try? host.deleteLink(named: hostVethName, ifMissing: .tolerate)
        _ = try? host.deleteLink(named: bridgeName, ifMissing: .tolerate)
    }
}
