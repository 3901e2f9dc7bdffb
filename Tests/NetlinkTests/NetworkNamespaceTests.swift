import Glibc
import CNISpec
@testable import Netlink
import TestKit
import Testing

@Suite("NetworkNamespace: opening and validating CNI_NETNS")
struct NetworkNamespaceValidationTests {
    @Test("a missing path is pathNotFound, worded like the reference")
    func missingPath() {
        let path = "/run/netns/no-such-namespace-\(getpid())"
        #expect(throws: NamespaceError.pathNotFound(path: path)) { try NetworkNamespace(path: path) }
        #expect(NamespaceError.pathNotFound(path: path).description
                == "failed to Statfs \"\(path)\": no such file or directory")
    }

    @Test("a regular file is not a namespace: unknown FS magic")
    func regularFile() throws {
        var template = Array("/tmp/not-a-netns-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        try #require(fd >= 0)
        close(fd)
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(path) }

        let error = #expect(throws: NamespaceError.self) { try NetworkNamespace(path: path) }

        guard case .notANamespace(let reported, let magic)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(reported == path)
        #expect(error?.description == "unknown FS magic on \"\(path)\": \(String(magic, radix: 16))")
    }

    @Test("another kind of namespace file is refused (NS_GET_NSTYPE)")
    func mountNamespaceFile() {
        let error = #expect(throws: NamespaceError.self) { try NetworkNamespace(path: "/proc/self/ns/mnt") }
        guard case .notANetworkNamespace? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
    }

    @Test("the plugin's own namespace is recognised as current")
    func ownNamespace() throws {
        let own = try NetworkNamespace(path: "/proc/thread-self/ns/net")
        #expect(try own.isCurrentThreadNamespace())
        #expect(try NetworkNamespace.current().identity == own.identity)
    }
}

@Suite("NetworkNamespace: entering (root, test node)", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct NetworkNamespaceEnterTests {
    @Test("a pod namespace is not the current one")
    func podIsNotCurrent() throws {
        let pod = try PodNamespace()
        let namespace = try pod.open()
        #expect(try !namespace.isCurrentThreadNamespace())
    }

    @Test("withEntered runs the body inside and switches the thread back")
    func enterAndReturn() throws {
        let pod = try PodNamespace()
        let namespace = try pod.open()
        let before = try NetworkNamespace.current().identity

        let inside = try namespace.withEntered { try NetworkNamespace.current().identity }

        #expect(inside == namespace.identity)
        #expect(inside != before)
        #expect(try NetworkNamespace.current().identity == before)
    }

    @Test("withEntered switches back when the body throws")
    func enterAndThrow() throws {
        struct Marker: Error {}
        let pod = try PodNamespace()
        let namespace = try pod.open()
        let before = try NetworkNamespace.current().identity

        #expect(throws: Marker.self) { try namespace.withEntered { () throws(Marker) in throw Marker() } }

        #expect(try NetworkNamespace.current().identity == before)
    }

    @Test("nested withEntered restores each level")
    func nested() throws {
        let first = try PodNamespace(), second = try PodNamespace()
        let a = try first.open(), b = try second.open()
        let before = try NetworkNamespace.current().identity

        let seen = try a.withEntered {
            let inner = try b.withEntered { try NetworkNamespace.current().identity }
            return (try NetworkNamespace.current().identity, inner)
        }

        #expect(seen.0 == a.identity)
        #expect(seen.1 == b.identity)
        #expect(try NetworkNamespace.current().identity == before)
    }

    @Test("a socket created in a namespace acts there after the thread came back")
    func socketStaysInNamespace() throws {
        let pod = try PodNamespace()
        let namespace = try pod.open()
        let before = try NetworkNamespace.current().identity

        let podSocket = try NetlinkSocket(in: namespace)
        #expect(try NetworkNamespace.current().identity == before)

        let marker = InterfaceName.unique("mk")
        try podSocket.createBridge(name: marker)
        #expect(try podSocket.linkIfPresent(named: marker) != nil)
        #expect(try NetlinkSocket().linkIfPresent(named: marker) == nil)
        let names = try Tool.ipJSON("-n", pod.name, "link", "show").compactMap { $0["ifname"]?.string }
        #expect(names.contains(marker.text))
    }
}
