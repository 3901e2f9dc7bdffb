import CNISpec
import Glibc
@testable import Netlink
import SystemSupport
import TestKit
import Testing

/// Times the netlink part of a bridge ADD in-process, in the order the
/// bridge plugin runs it (REFERENCE.md §2.2), with the bridge already
/// there: open the netns, sockets, bridge lookup, veth with the peer born
/// in the pod, port options, host sysctl, pod sysctls, pod address + up +
/// default route, wait for the port to be UP, re-read the MACs.
/// Pod namespace creation and teardown are outside the timing.
@Suite("ADD-like sequence timing (root, test node)", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct AddSequenceBenchmark {
    @Test("ADD-like sequence: median time in-process")
    func addSequence() throws {
        let host = try NetlinkSocket()
        let bridgeName = InterfaceName.unique("bench")
        try host.createBridge(name: bridgeName)
        defer { _ = try? host.deleteLink(named: bridgeName, ifMissing: .tolerate) }

        let steps = ["netns open", "sockets", "bridge lookup", "veth create", "port+host sysctl",
                     "pod sysctls", "pod addr+up+route", "wait UP", "re-read MACs"]
        var perStep = [[Double]](repeating: [], count: steps.count)
        var totals: [Double] = []
        var waitedUp = 0

        for iteration in 0..<40 {
            let pod = try PodNamespace()
            let hostVethName = VethName.random()
            var marks: [UInt64] = [MonotonicClock.nowNanoseconds()]
            func mark() { marks.append(MonotonicClock.nowNanoseconds()) }

            let namespace = try NetworkNamespace(path: pod.path)
            #expect(try !namespace.isCurrentThreadNamespace())
            mark()
            let hostSocket = try NetlinkSocket()
            let podSocket = try NetlinkSocket(in: namespace)
            mark()
            let bridge = try hostSocket.link(named: bridgeName)
            #expect(bridge.isBridge)
            mark()
            #expect(try podSocket.linkIfPresent(named: "eth0") == nil)
            try hostSocket.createVethPair(name: hostVethName, peerName: "eth0", peerNamespace: namespace,
                                          up: true, masterIndex: bridge.index)
            let hostVeth = try hostSocket.link(named: hostVethName)
            mark()
            try hostSocket.setBridgePort(index: hostVeth.index, hairpin: false)
            _ = try? Sysctl.write(.interface(.v6, hostVethName.text, "accept_ra"), "0")
            mark()
            try namespace.withEntered { () throws(SysctlError) in
                _ = try? Sysctl.write(.interface(.v6, "eth0", "accept_dad"), "0")
                _ = try? Sysctl.write(.interface(.v4, "eth0", "arp_notify"), "1")
            }
            mark()
            let podInterface = try podSocket.link(named: "eth0")
            let octet = UInt32(iteration + 10)
            try podSocket.addAddress(CIDR(address: .v4(0x0a58_0000 | octet), prefixLength: 16)!,
                                     interfaceIndex: podInterface.index)
            try podSocket.setUp(index: podInterface.index)
            try podSocket.addRoute(RouteInfo(destination: CIDR("0.0.0.0/0")!, gateway: IPAddress("10.88.0.1"),
                                             outputInterface: podInterface.index))
            mark()
            let first = try hostSocket.link(index: hostVeth.index)
            if first.operState != .up { waitedUp += 1 }
            let port = try hostSocket.waitForOperState(index: hostVeth.index)
            #expect(port.operState == .up)
            mark()
            let macs = (try hostSocket.link(named: bridgeName).mac, try hostSocket.link(index: hostVeth.index).mac,
                        try podSocket.link(index: podInterface.index).mac)
            #expect(macs.0 != nil && macs.1 != nil && macs.2 != nil)
            mark()

            for step in 0..<steps.count {
                perStep[step].append(Double(marks[step + 1] - marks[step]) / 1e6)
            }
            totals.append(Double(marks.last! - marks.first!) / 1e6)
            _ = try hostSocket.deleteLink(named: hostVethName, ifMissing: .tolerate)
        }

        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        func format(_ value: Double) -> String {
            let hundredths = Int((value * 100).rounded())
            let fraction = hundredths % 100
            return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
        }
        let sorted = totals.sorted()
        print("ADD-like sequence over \(totals.count) runs: median \(format(median(totals))) ms, "
              + "min \(format(sorted.first!)) ms, p90 \(format(sorted[sorted.count * 9 / 10])) ms, "
              + "max \(format(sorted.last!)) ms; port not yet UP at first check in \(waitedUp) runs")
        for (index, name) in steps.enumerated() {
            print("  \(name): median \(format(median(perStep[index]))) ms")
        }
        #expect(median(totals) < 50)
    }
}
