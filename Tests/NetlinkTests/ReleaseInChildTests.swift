import CNetlink
import Glibc
@testable import Netlink
import TestKit
import Testing

/// `ReleaseInChild`: the child that releases a netfilter socket for the
/// plugin shares the plugin's memory instead of copying it.
@Suite("ReleaseInChild (root, private netns)", .serialized,
       .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct ReleaseInChildTests {
    @Test("the child shares the plugin's address space, releases the socket and exits with 0")
    func childSharesMemory() throws {
        let handle = try #require(nl_socket_alloc())
        try #require(nl_connect(handle, NETLINK_NETFILTER) == 0)
        let port = nl_socket_get_local_port(handle)
        #expect(NetlinkSockets.ports(ofProtocol: NETLINK_NETFILTER).contains(port))

        let pid = try #require(ReleaseInChild.release(handle))
        // The child sits out two grace periods before exiting: still alive here.
        #expect(cnl_kcmp_vm(getpid(), pid) == 0, "the child has an address space of its own (a fork)")

        var status: Int32 = 0
        var reaped: pid_t = -1
        repeat { reaped = waitpid(pid, &status, 0) } while reaped < 0 && errno == EINTR
        #expect(reaped == pid)
        #expect(status == 0, "exit status \(status)")
        #expect(!NetlinkSockets.ports(ofProtocol: NETLINK_NETFILTER).contains(port), "the socket outlived the child")
    }
}
