/// The attributes of one netlink message payload or nested attribute, read
/// from bytes the kernel sent. Pure and bounds-checked: a truncated or
/// malformed attribute ends the walk, it never reads past the buffer.
///
/// Only the last occurrence of a type is kept by `subscript`; `all(_:)`
/// returns every occurrence in order (lists such as NFTA_RULE_EXPRESSIONS).
public struct NetlinkAttributes: Sendable {
    public private(set) var entries: [(type: UInt16, value: ArraySlice<UInt8>)] = []

    /// `NLA_F_NESTED | NLA_F_NET_BYTEORDER`: flag bits of the type field.
    public static let typeMask: UInt16 = 0x3fff

    public init<C: Collection>(parsing bytes: C) where C.Element == UInt8, C.Index == Int {
        var offset = bytes.startIndex
        while offset + 4 <= bytes.endIndex {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            let type = (UInt16(bytes[offset + 2]) | UInt16(bytes[offset + 3]) << 8) & Self.typeMask
            guard length >= 4, offset + length <= bytes.endIndex else { break }
            entries.append((type, ArraySlice(bytes[(offset + 4)..<(offset + length)])))
            offset += (length + 3) & ~3
        }
    }

    public subscript(_ type: UInt32) -> ArraySlice<UInt8>? {
        entries.last { $0.type == UInt16(type) }?.value
    }

    public func all(_ type: UInt32) -> [ArraySlice<UInt8>] {
        entries.filter { $0.type == UInt16(type) }.map(\.value)
    }

    public func nested(_ type: UInt32) -> NetlinkAttributes? {
        self[type].map { NetlinkAttributes(parsing: $0) }
    }

    /// A NUL-terminated string attribute, without its terminator.
    public func string(_ type: UInt32) -> String? {
        guard let value = self[type] else { return nil }
        return String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// A big-endian 32-bit attribute (most nf_tables numbers).
    public func bigEndian32(_ type: UInt32) -> UInt32? {
        guard let value = self[type], value.count == 4 else { return nil }
        return value.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// A big-endian 64-bit attribute (rule handles).
    public func bigEndian64(_ type: UInt32) -> UInt64? {
        guard let value = self[type], value.count == 8 else { return nil }
        return value.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
