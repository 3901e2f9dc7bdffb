@testable import Netlink
import TestKit
import Testing

@Suite("SysctlKey")
struct SysctlKeyTests {
    @Test("keys map to /proc/sys paths", arguments: [
        ("net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward"),
        ("net.ipv6.conf.all.forwarding", "/proc/sys/net/ipv6/conf/all/forwarding"),
        // sysctl(8): a '/' inside a dotted component stands for a '.'.
        ("net.ipv4.conf.eth0/100.arp_notify", "/proc/sys/net/ipv4/conf/eth0.100/arp_notify"),
        // A slash path without dots is taken as a path.
        ("net/ipv6/conf/eth0/accept_ra", "/proc/sys/net/ipv6/conf/eth0/accept_ra"),
    ])
    func paths(key: String, path: String) {
        #expect(SysctlKey(key).path == path)
    }

    @Test("interface keys keep dots in interface names")
    func interfaceKey() {
        let key = SysctlKey.interface(.v6, "cni0.100", "accept_ra")
        #expect(key.path == "/proc/sys/net/ipv6/conf/cni0.100/accept_ra")
        #expect(key.description == "net.ipv6.conf.cni0/100.accept_ra")
    }
}

@Suite("Sysctl")
struct SysctlReadTests {
    @Test("a global key reads without its newline")
    func readGlobal() throws {
        #expect(try Sysctl.read("kernel.ostype") == "Linux")
    }

    @Test("a missing key is notFound, worded like Go's os errors")
    func missingKey() {
        let error = #expect(throws: SysctlError.self) { try Sysctl.read("net.ipv4.conf.nosuchif0.arp_notify") }
        #expect(error?.isNotFound == true)
        #expect(error?.description
                == "open /proc/sys/net/ipv4/conf/nosuchif0/arp_notify: no such file or directory")
    }
}

@Suite("Sysctl in namespaces (root, test node)", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct SysctlNamespaceTests {
    @Test("/proc/sys/net follows the namespace of the thread that opens it")
    func followsThreadNamespace() throws {
        let fixture = try VethFixture()
        let key = SysctlKey.interface(.v6, "eth0", "accept_ra")

        let inside = try fixture.podNamespace.withEntered { () throws(SysctlError) in
            try Sysctl.write(key, "0")
            return try Sysctl.read(key)
        }

        #expect(inside == "0")
        // The test node has no eth0: back on this thread, the key is gone.
        let error = #expect(throws: SysctlError.self) { try Sysctl.read(key) }
        #expect(error?.isNotFound == true)
    }

    @Test("a per-namespace global (ip_forward) changes only in the pod")
    func perNamespaceGlobal() throws {
        let fixture = try VethFixture()
        let key: SysctlKey = "net.ipv4.ip_forward"
        let hostBefore = try Sysctl.read(key)
        let wanted = hostBefore == "1" ? "0" : "1"

        try fixture.podNamespace.withEntered { () throws(SysctlError) in try Sysctl.write(key, wanted) }

        #expect(try Sysctl.read(key) == hostBefore)
        #expect(try fixture.podNamespace.withEntered { () throws(SysctlError) in try Sysctl.read(key) } == wanted)
    }

    @Test("ensure writes only when the value differs")
    func ensureWritesOnlyOnChange() throws {
        let fixture = try VethFixture()
        let key = SysctlKey.interface(.v4, "eth0", "arp_notify")

        let results = try fixture.podNamespace.withEntered { () throws(SysctlError) in
            try Sysctl.write(key, "0")
            let first = try Sysctl.ensure(key, "1")
            let second = try Sysctl.ensure(key, "1")
            return (first, second, try Sysctl.read(key))
        }

        #expect(results.0 == true)
        #expect(results.1 == false)
        #expect(results.2 == "1")
    }

    @Test("the thread is back in its own namespace after sysctl work inside a pod")
    func threadReturns() throws {
        let fixture = try VethFixture()
        let before = try NetworkNamespace.current().identity

        _ = try fixture.podNamespace.withEntered { () throws(SysctlError) in
            try Sysctl.read(SysctlKey.interface(.v6, "eth0", "accept_dad"))
        }

        #expect(try NetworkNamespace.current().identity == before)
        #expect(try NetworkNamespace.current().identity != fixture.podNamespace.identity)
    }
}
