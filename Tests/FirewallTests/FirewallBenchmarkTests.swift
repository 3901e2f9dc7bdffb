import CNISpec
import Glibc
import TestKit
import Testing
@testable import Firewall
import Netlink
import SystemSupport

/// Cost of each firewall operation (wall time, median of `rounds`), printed
/// to stdout. Opt-in: needs the test node (`TestNode.isAvailable`) plus
/// CNI_FIREWALL_BENCH=1.
///
///     CNI_FIREWALL_BENCH=1 scripts/test-in-netns.sh --filter FirewallBenchmark
@Suite("Firewall benchmark", .serialized,
       .enabled(if: TestNode.isAvailable && FirewallTestSandbox.benchmarkRequested, "set CNI_FIREWALL_BENCH=1 inside the test netns"))
struct FirewallBenchmarkTests {
    static let rounds = 30

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) * 1000 + Double(time.tv_nsec) / 1_000_000
    }

    static func median(_ samples: [Double]) -> Double {
        let sorted = samples.sorted()
        return sorted[sorted.count / 2]
    }

    static func report(_ name: String, _ samples: [Double]) {
        let line = "BENCH \(name): median \(String(Int(median(samples) * 100)).leftPadded(5)) x0.01 ms, min \(Int(samples.min()! * 100)) x0.01 ms over \(samples.count)\n"
        _ = line.withCString { write(1, $0, strlen($0)) }
    }

    /// Times `setUp` then `tearDown` of a fresh attachment per round, plus a
    /// repeated `setUp` (everything already present).
    static func measure(_ label: String, setUp: (String) throws -> Void, tearDown: (String) throws -> Void) throws {
        var setUps: [Double] = [], again: [Double] = [], tearDowns: [Double] = [], empties: [Double] = []
        for round in 0..<rounds {
            let id = "bench\(round)-\(getpid())"
            var start = now()
            try setUp(id)
            setUps.append(now() - start)
            start = now()
            try setUp(id)
            again.append(now() - start)
            start = now()
            try tearDown(id)
            tearDowns.append(now() - start)
            start = now()
            try tearDown(id)
            empties.append(now() - start)
        }
        report("\(label) setUp (fresh)", setUps)
        report("\(label) setUp (already present)", again)
        report("\(label) tearDown", tearDowns)
        report("\(label) tearDown (nothing there)", empties)
    }

    @Test("single tool runs")
    func toolRuns() throws {
        let runner = CommandRunner(environment: ProcessEnvironment.current())
        for (name, tool, arguments) in [
            ("iptables -w -t nat -S", "iptables", ["-w", "-t", "nat", "-S"]),
            ("ip6tables -w -t nat -S", "ip6tables", ["-w", "-t", "nat", "-S"]),
            ("iptables -w -t nat -C (absent rule)", "iptables", ["-w", "-t", "nat", "-C", "POSTROUTING", "-s", "10.99.0.1/32", "-j", "ACCEPT"]),
            ("nft -a list chain (absent)", "nft", ["-a", "list", "chain", "inet", "cni_plugins_masquerade", "masq_checks"]),
            ("nft --version", "nft", ["--version"]),
        ] {
            let path = try CommandRunner.locate(tool)
            var samples: [Double] = []
            for _ in 0..<Self.rounds {
                let start = Self.now()
                _ = try runner.run(path, arguments)
                samples.append(Self.now() - start)
            }
            Self.report(name, samples)
        }
        var probes: [Double] = []
        for _ in 0..<Self.rounds {
            let start = Self.now()
            _ = MasqueradeBackendKind.resolve(nil, environment: ProcessEnvironment.current())
            probes.append(Self.now() - start)
        }
        Self.report("backend auto-selection probe", probes)
    }

    @Test("iptables backend, one IPv4 address")
    func iptablesV4() throws {
        let backend = IPTablesMasquerade(environment: ProcessEnvironment.current(), session: NFTSession())
        try Self.measure("iptables v4",
            setUp: { try backend.setUp(network: "benchnet", attachment: Attachment(containerID: $0, ifname: "eth0"), addresses: [CIDR("10.88.0.2/16")!]) },
            tearDown: { try backend.tearDown(network: "benchnet", attachment: Attachment(containerID: $0, ifname: "eth0")) })
    }

    @Test("iptables backend, IPv4 + IPv6")
    func iptablesDual() throws {
        let backend = IPTablesMasquerade(environment: ProcessEnvironment.current(), session: NFTSession())
        try Self.measure("iptables v4+v6",
            setUp: { try backend.setUp(network: "benchnet", attachment: Attachment(containerID: $0, ifname: "eth0"), addresses: [CIDR("10.88.0.2/16")!, CIDR("fd00:88::2/64")!]) },
            tearDown: { try backend.tearDown(network: "benchnet", attachment: Attachment(containerID: $0, ifname: "eth0")) })
    }

    @Test("nftables backend, IPv4 + IPv6")
    func nftables() throws {
        let backend = NFTablesMasquerade(session: NFTSession())
        try Self.measure("nftables v4+v6",
            setUp: { try backend.setUp(network: "benchnet", attachment: Attachment(containerID: $0, ifname: "eth0"), addresses: [CIDR("10.88.0.2/16")!, CIDR("fd00:88::2/64")!]) },
            tearDown: { try backend.tearDown(network: "benchnet", attachment: Attachment(containerID: $0, ifname: "eth0")) })
    }

    @Test("DEL-style teardown in both backends")
    func everywhere() throws {
        var samples: [Double] = []
        for round in 0..<Self.rounds {
            let start = Self.now()
            try Masquerade.tearDownEverywhere(network: "benchnet", attachment: Attachment(containerID: "gone\(round)", ifname: "eth0"),
                                              environment: ProcessEnvironment.current(), session: NFTSession())
            samples.append(Self.now() - start)
        }
        Self.report("tearDownEverywhere (nothing there)", samples)
    }

    @Test("macspoofchk")
    func spoofCheck() throws {
        let check = MACSpoofCheck(session: NFTSession())
        try Self.measure("macspoofchk",
            setUp: { try check.setUp(network: "benchnet", hostInterface: "veth12345678", attachment: Attachment(containerID: $0, ifname: "eth0"), mac: MACAddress("0a:58:0a:58:00:02")!) },
            tearDown: { try check.tearDown(attachment: Attachment(containerID: $0, ifname: "eth0")) })
    }

    @Test("iptables setUp with 200 other attachments present")
    func iptablesLoaded() throws {
        let backend = IPTablesMasquerade(environment: ProcessEnvironment.current(), session: NFTSession())
        for index in 0..<200 {
            try backend.setUp(network: "loadnet", attachment: Attachment(containerID: "load\(index)", ifname: "eth0"), addresses: [CIDR("10.77.\(index / 250).\(index % 250 + 2)/16")!])
        }
        try Self.measure("iptables v4 (200 others)",
            setUp: { try backend.setUp(network: "benchnet", attachment: Attachment(containerID: $0, ifname: "eth0"), addresses: [CIDR("10.88.0.2/16")!]) },
            tearDown: { try backend.tearDown(network: "benchnet", attachment: Attachment(containerID: $0, ifname: "eth0")) })
        var start = Self.now()
        try backend.garbageCollect(network: "loadnet", validAttachments: [])
        Self.report("iptables GC removing 200 chains", [Self.now() - start])
        start = Self.now()
        try backend.garbageCollect(network: "loadnet", validAttachments: [])
        Self.report("iptables GC with nothing to remove", [Self.now() - start])
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
