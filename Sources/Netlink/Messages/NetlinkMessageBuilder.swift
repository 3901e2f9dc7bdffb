import CNetlink

/// One netfilter-netlink request under construction, built with libnl's message API
/// (`nlmsg_alloc_size`, `nla_put`, `nla_nest_start`/`nla_nest_end`): a
/// netlink header, the `nfgenmsg` family header, then attributes.
///
/// Ownership: the builder owns its `nl_msg` and frees it in `deinit`, the
/// only place that does. Numbers that nf_tables reads in network byte order
/// go through `putBigEndian`; a failed `nla_put` (the message is full) is
/// remembered and reported by `bytes`.
public final class NetlinkMessageBuilder {
    private let message: OpaquePointer
    private var failed = false
    /// The netlink message type.
    public let type: UInt16

    /// nf_tables messages are a few hundred bytes; rule dumps are read, not built.
    public static let capacity = 16 * 1024

    /// A message of `type` with `flags`, for `family` (NFPROTO_*), whose
    /// `nfgenmsg.res_id` is `resourceID` (big endian on the wire).
    public init(type: UInt16, flags: Int32, family: UInt8, resourceID: UInt16 = 0, sequence: UInt32) {
        self.type = type
        message = nlmsg_alloc_size(Self.capacity)
        let header = nlmsg_hdr(message)!
        header.pointee.nlmsg_type = type
        header.pointee.nlmsg_flags = UInt16(truncatingIfNeeded: flags)
        header.pointee.nlmsg_seq = sequence
        header.pointee.nlmsg_len = UInt32(MemoryLayout<nlmsghdr>.size)
        var generic = nfgenmsg(nfgen_family: family, version: UInt8(NFNETLINK_V0), res_id: resourceID.bigEndian)
        if nlmsg_append(message, &generic, MemoryLayout<nfgenmsg>.size, Int32(NLMSG_ALIGNTO)) < 0 { failed = true }
    }

    deinit { nlmsg_free(message) }

    public func put(_ type: UInt32, bytes: [UInt8]) {
        let rc = bytes.withUnsafeBytes { nla_put(message, Int32(type), Int32($0.count), $0.baseAddress) }
        if rc < 0 { failed = true }
    }

    /// A NUL-terminated string (what nf_tables expects for names).
    public func put(_ type: UInt32, string: String) {
        put(type, bytes: Array(string.utf8) + [0])
    }

    public func putBigEndian(_ type: UInt32, _ value: UInt32) {
        put(type, bytes: withUnsafeBytes(of: value.bigEndian, Array.init))
    }

    public func putBigEndian(_ type: UInt32, _ value: UInt64) {
        put(type, bytes: withUnsafeBytes(of: value.bigEndian, Array.init))
    }

    /// A nested attribute (`NLA_F_NESTED` set) holding what `body` puts;
    /// kept even when empty, as nft sends an expression without options.
    public func nest(_ type: UInt32, _ body: (NetlinkMessageBuilder) -> Void) {
        guard let start = nla_nest_start(message, Int32(type) | Int32(NLA_F_NESTED)) else {
            failed = true
            return
        }
        body(self)
        if nla_nest_end_keep_empty(message, start) < 0 { failed = true }
    }

    /// The finished message, header included; nil if it did not fit.
    public var bytes: [UInt8]? {
        guard !failed, let header = nlmsg_hdr(message) else { return nil }
        let length = Int(header.pointee.nlmsg_len)
        return Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(header), count: length))
    }
}
