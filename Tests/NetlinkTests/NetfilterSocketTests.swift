import CNetlink
import Glibc
@testable import Netlink
import TestKit
import Testing

/// `NetfilterSocket` serving several requests in turn, as one socket does
/// for every nf_tables step of a plugin call.
@Suite("NetfilterSocket (root, private netns)", .serialized,
       .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct NetfilterSocketTests {
    static let family = UInt8(NFPROTO_INET)

    @Test("a reply left unread by an earlier request does not fail the next one")
    func staleReplyIsSkipped() throws {
        let socket = try NetfilterSocket()
        // An earlier request whose ENOENT is never read (as when a step
        // fails half-way through its replies).
        let stale = socket.request(.getTable, family: Self.family)
        stale.put(NFTAttribute.tableName, string: "absent-stale-\(getpid())")
        try socket.send([stale], what: "stale request")
        let table = try socket.get(.getTable, family: Self.family, what: "get table") { message in
            message.put(NFTAttribute.tableName, string: "absent-\(getpid())")
        }
        #expect(table == nil)
        // Also when the next request is a batch.
        let staleAgain = socket.request(.getTable, family: Self.family)
        staleAgain.put(NFTAttribute.tableName, string: "absent-stale-\(getpid())")
        try socket.send([staleAgain], what: "stale request")
        let name = "netfilter-socket-\(getpid())"
        let add = socket.request(.newTable, family: Self.family, flags: NLM_F_CREATE)
        add.put(NFTAttribute.tableName, string: name)
        try socket.commit([add], what: "add table")
        let remove = socket.request(NFTMessageKind(NFT_MSG_DELTABLE), family: Self.family)
        remove.put(NFTAttribute.tableName, string: name)
        try socket.commit([remove], what: "delete table")
    }
}
