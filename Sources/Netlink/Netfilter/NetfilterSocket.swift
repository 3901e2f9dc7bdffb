import CNetlink
import Glibc

/// One nf_tables message the kernel sent: its netlink type and flags and
/// its attributes (after the `nfgenmsg` header).
public struct NFTMessage: Sendable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    /// `nfgenmsg.res_id`: in a dump, the low 16 bits of the ruleset generation.
    public var resourceID: UInt16
    public var attributes: NetlinkAttributes
}

/// A NETLINK_NETFILTER socket that speaks nf_tables in process: the
/// requests `nft` would send, without starting `nft`. It knows the wire
/// (requests, dumps, batches, errors), not what a table, chain or rule
/// means: the firewall builds those messages (see `NFTablesABI.swift` for
/// the kernel's numbers it builds them from).
///
/// - `dump` and `get` read one object kind scoped by the attributes the
///   caller puts (a table, a chain): the ruleset is never dumped whole.
/// - `commit` sends a list of changes as one batch (NFNL_MSG_BATCH_BEGIN …
///   END): the kernel applies all of it or none of it. Its outcome is known
///   by a NFT_MSG_GETGEN sent right after: the kernel handles a socket's
///   messages in order, so every error of the batch arrives before that
///   reply (acks are not requested).
///
/// Ownership: the socket owns its `nl_sock` and frees it in `deinit`. Not
/// thread-safe: one plugin process, one thread. Needs CAP_NET_ADMIN in the
/// network namespace it is created in, for changes.
///
/// Closing: the release of a NETLINK_NETFILTER socket makes the kernel
/// finish the pending cleanup of objects deleted in this network namespace,
/// by anyone (nf_tables flushes its destroy work from the netlink release
/// notifier, holding its commit mutex), which waits for an RCU grace period:
/// 4 to 10 ms here, most of a DEL. Every socket is therefore closed by a
/// child process (`ReleaseInChild`), which absorbs that wait, so the plugin
/// goes on at once, and which sits out the grace period before releasing,
/// so that the commit mutex is not held across it (the next plugin's veth
/// or batch would wait); what a batch changed is in the ruleset when
/// `commit` returns either way.
public final class NetfilterSocket {
    private let handle: OpaquePointer
    private var nextSequence: UInt32 = 1

    public static let subsystem = UInt16(NFNL_SUBSYS_NFTABLES)

    public init() throws(NetfilterError) {
        guard let handle = nl_socket_alloc() else { throw NetfilterError(operation: "allocate socket", errno: ENOMEM) }
        let rc = nl_connect(handle, NETLINK_NETFILTER)
        if rc < 0 {
            nl_socket_free(handle)
            throw NetfilterError(operation: "connect NETLINK_NETFILTER", errno: NetfilterSocket.errno(fromLibnl: rc))
        }
        self.handle = handle
    }

    deinit {
        ReleaseInChild.release(handle)
    }

    /// The socket's netlink port id (as /proc/net/netlink lists it).
    public var localPort: UInt32 { nl_socket_get_local_port(handle) }

    /// The netlink type of nf_tables message `kind` (NFT_MSG_*).
    public static func messageType(_ kind: NFTMessageKind) -> UInt16 {
        subsystem << 8 | kind.rawValue
    }

    private func takeSequence() -> UInt32 {
        defer { nextSequence &+= 1 }
        return nextSequence
    }

    /// A request of `kind` for `family`; `flags` beyond NLM_F_REQUEST are the caller's.
    public func request(_ kind: NFTMessageKind, family: UInt8, flags: Int32 = 0) -> NetlinkMessageBuilder {
        NetlinkMessageBuilder(type: Self.messageType(kind), flags: NLM_F_REQUEST | flags, family: family,
                              sequence: takeSequence())
    }

    /// Sends a dump request (NLM_F_DUMP is added) built by `build` and
    /// returns every object of the reply. A dump the kernel marks as
    /// interrupted (the ruleset changed while it was read: NLM_F_DUMP_INTR)
    /// is read again, up to `attempts` times in all.
    public func dump(_ kind: NFTMessageKind, family: UInt8, what: String, attempts: Int = 5,
              _ build: (NetlinkMessageBuilder) -> Void) throws(NetfilterError) -> [NFTMessage] {
        var attempt = 1
        while true {
            let message = request(kind, family: family, flags: NLM_F_DUMP)
            build(message)
            let sequence = try send([message], what: what).last
            var objects: [NFTMessage] = []
            var interrupted = false
            try receive(until: sequence, since: sequence, what: what) { reply in
                if reply.flags & UInt16(NLM_F_DUMP_INTR) != 0 { interrupted = true }
                if reply.type == UInt16(NLMSG_DONE) { return true }
                objects.append(reply)
                return false
            }
            if !interrupted || attempt >= attempts { return objects }
            attempt += 1
        }
    }

    /// Sends a single-object GET and returns the object, or nil when the
    /// kernel answers ENOENT (no such table or chain).
    public func get(_ kind: NFTMessageKind, family: UInt8, what: String,
             _ build: (NetlinkMessageBuilder) -> Void) throws(NetfilterError) -> NFTMessage? {
        let message = request(kind, family: family)
        build(message)
        let sequence = try send([message], what: what).last
        var object: NFTMessage? = nil
        do {
            try receive(until: sequence, since: sequence, what: what) { reply in
                object = reply
                return true
            }
        } catch where error.errno == ENOENT {
            return nil
        }
        return object
    }

    /// Applies `changes` as one atomic batch. Throws the
    /// first errno the kernel reported; nothing was changed then.
    public func commit(_ changes: [NetlinkMessageBuilder], what: String) throws(NetfilterError) {
        guard !changes.isEmpty else { return }
        let begin = NetlinkMessageBuilder(type: UInt16(NFNL_MSG_BATCH_BEGIN), flags: NLM_F_REQUEST,
                                          family: UInt8(AF_UNSPEC), resourceID: Self.subsystem, sequence: takeSequence())
        let end = NetlinkMessageBuilder(type: UInt16(NFNL_MSG_BATCH_END), flags: NLM_F_REQUEST,
                                        family: UInt8(AF_UNSPEC), resourceID: Self.subsystem, sequence: takeSequence())
        let first = try send([begin] + changes + [end], what: what).lowest
        let probe = request(.getGeneration, family: UInt8(AF_UNSPEC))
        let sequence = try send([probe], what: what).last
        var firstError: Int32 = 0
        do {
            try receive(until: sequence, since: first, what: what, acceptingErrorsOfOtherSequences: { code in
                if firstError == 0 { firstError = code }
            }) { _ in true }
        }
        if firstError != 0 { throw NetfilterError(operation: what, errno: firstError) }
    }

    // MARK: - Wire

    /// Sends `messages` in one `sendto`; returns the lowest and the last
    /// sequence number among them (a batch's changes are numbered when
    /// built, before its BEGIN).
    @discardableResult
    func send(_ messages: [NetlinkMessageBuilder], what: String) throws(NetfilterError) -> (lowest: UInt32, last: UInt32) {
        var buffer: [UInt8] = []
        var lastSequence: UInt32 = 0
        var lowestSequence = UInt32.max
        for message in messages {
            guard let bytes = message.bytes else { throw NetfilterError(operation: what, errno: EMSGSIZE) }
            lastSequence = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self) }
            lowestSequence = min(lowestSequence, lastSequence)
            buffer += bytes
        }
        let rc = buffer.withUnsafeMutableBytes { nl_sendto(handle, $0.baseAddress, $0.count) }
        if rc < 0 { throw NetfilterError(operation: what, errno: NetfilterSocket.errno(fromLibnl: rc)) }
        return (lowestSequence, lastSequence)
    }

    /// Reads replies until `handle` returns true for a message carrying
    /// `sequence`. An NLMSG_ERROR with a non-zero code for `sequence` is
    /// thrown; one for an earlier message of this request (a batch, from
    /// `since` on) goes to `acceptingErrorsOfOtherSequences`, or is thrown
    /// when that is nil. Replies to requests before `since` (left unread
    /// by an earlier request that failed half-way; a socket may serve
    /// several steps, see NFTSession) are skipped.
    private func receive(until sequence: UInt32, since: UInt32, what: String,
                         acceptingErrorsOfOtherSequences: ((Int32) -> Void)? = nil,
                         _ handle: (NFTMessage) -> Bool) throws(NetfilterError) {
        while true {
            var peer = sockaddr_nl()
            var buffer: UnsafeMutablePointer<UInt8>? = nil
            let count = nl_recv(self.handle, &peer, &buffer, nil)
            guard count > 0, let buffer else {
                if let buffer { free(buffer) }
                throw NetfilterError(operation: what, errno: count < 0 ? NetfilterSocket.errno(fromLibnl: count) : EPIPE)
            }
            defer { free(buffer) }
            let bytes = UnsafeBufferPointer(start: buffer, count: Int(count))
            let all = UnsafeRawBufferPointer(bytes)
            var offset = 0
            while offset + 16 <= bytes.count {
                let raw = UnsafeRawBufferPointer(rebasing: all[offset...])
                let length = Int(raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
                let type = raw.loadUnaligned(fromByteOffset: 4, as: UInt16.self)
                let flags = raw.loadUnaligned(fromByteOffset: 6, as: UInt16.self)
                let messageSequence = raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
                guard length >= 16, offset + length <= bytes.count else {
                    throw NetfilterError(operation: what, errno: EBADMSG)
                }
                defer { offset += (length + 3) & ~3 }
                if messageSequence < since { continue }
                if type == UInt16(NLMSG_ERROR) {
                    let code = length >= 20 ? -raw.loadUnaligned(fromByteOffset: 16, as: Int32.self) : EBADMSG
                    if messageSequence == sequence {
                        if code != 0 { throw NetfilterError(operation: what, errno: code) }
                        return
                    }
                    if code != 0 {
                        guard let accept = acceptingErrorsOfOtherSequences else { throw NetfilterError(operation: what, errno: code) }
                        accept(code)
                    }
                    continue
                }
                guard messageSequence == sequence else { continue }
                let payload = bytes[(offset + 16)..<(offset + length)]
                let resourceID = payload.count >= 4 ? UInt16(payload[payload.startIndex + 2]) << 8 | UInt16(payload[payload.startIndex + 3]) : 0
                let reply = NFTMessage(type: type, flags: flags, sequence: messageSequence, resourceID: resourceID,
                                       attributes: NetlinkAttributes(parsing: Array(payload.dropFirst(4))))
                if handle(reply) { return }
            }
        }
    }

    /// libnl's negative NLE_* code as the closest errno.
    static func errno(fromLibnl code: Int32) -> Int32 {
        switch -code {
        case Int32(NLE_NOMEM): return ENOMEM
        case Int32(NLE_PERM): return EPERM
        case Int32(NLE_NOACCESS): return EACCES
        case Int32(NLE_AGAIN): return EAGAIN
        case Int32(NLE_BUSY): return EBUSY
        case Int32(NLE_OBJ_NOTFOUND): return ENOENT
        case Int32(NLE_EXIST): return EEXIST
        case Int32(NLE_INVAL): return EINVAL
        case Int32(NLE_AF_NOSUPPORT): return EAFNOSUPPORT
        case Int32(NLE_PROTO_MISMATCH): return EPROTONOSUPPORT
        case Int32(NLE_MSGSIZE): return EMSGSIZE
        default: return EIO
        }
    }
}
