/// An IPv4 or IPv6 address, stored as an unsigned integer so that ranges can
/// be walked with plain arithmetic.
///
/// `description` is the canonical text form the reference plugins use for
/// file names and results (Go's `net.IP.String()`): dotted decimal for IPv4,
/// RFC 5952 for IPv6 (lowercase, no leading zeros, longest run of two or more
/// zero groups compressed to `::`, the first such run on a tie).
public enum IPAddress: Hashable, Sendable {
    case v4(UInt32)
    case v6(UInt128)

    public var family: IPFamily {
        switch self {
        case .v4: return .v4
        case .v6: return .v6
        }
    }

    /// The address as an integer of its family's width.
    public var integer: UInt128 {
        switch self {
        case .v4(let value): return UInt128(value)
        case .v6(let value): return value
        }
    }

    /// Builds an address of `family` from an integer, or nil when the integer
    /// does not fit the family.
    public init?(family: IPFamily, integer: UInt128) {
        switch family {
        case .v4:
            guard integer <= UInt128(UInt32.max) else { return nil }
            self = .v4(UInt32(integer))
        case .v6:
            self = .v6(integer)
        }
    }

    /// Parses dotted-decimal IPv4 or RFC 4291 IPv6 text (with an optional
    /// trailing dotted IPv4 part). Leading zeros in IPv4 octets are rejected,
    /// as Go's parser does.
    public init?(_ text: String) {
        var text = text
        let parsed: IPAddress? = text.withUTF8 { bytes in
            if bytes.contains(UInt8(ascii: ":")) {
                return IPAddress.parseV6(bytes).map { .v6($0) }
            }
            return IPAddress.parseV4(bytes[...]).map { .v4($0) }
        }
        guard let parsed else { return nil }
        self = parsed
    }

    /// The next address, or nil past the end of the family's space.
    public var successor: IPAddress? {
        switch self {
        case .v4(let value): return value == .max ? nil : .v4(value + 1)
        case .v6(let value): return value == .max ? nil : .v6(value + 1)
        }
    }

    /// The previous address, or nil before the start of the family's space.
    public var predecessor: IPAddress? {
        switch self {
        case .v4(let value): return value == 0 ? nil : .v4(value - 1)
        case .v6(let value): return value == 0 ? nil : .v6(value - 1)
        }
    }

    static func parseV4(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> UInt32? {
        var value: UInt32 = 0
        var octets = 0
        var current: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, octets < 3 else { return nil }
                value = value << 8 | current
                octets += 1
                current = 0
                digits = 0
                leadingZero = false
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            if digits == 0 && byte == UInt8(ascii: "0") { leadingZero = true } else if leadingZero { return nil }
            current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
            digits += 1
            guard digits <= 3, current <= 255 else { return nil }
        }
        guard digits > 0, octets == 3 else { return nil }
        return value << 8 | current
    }

    static func parseV6(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt128? {
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var compressAt: Int? = nil
        var index = 0
        let count = bytes.count
        if count >= 2 && bytes[0] == UInt8(ascii: ":") && bytes[1] == UInt8(ascii: ":") {
            compressAt = 0
            index = 2
        } else if count >= 1 && bytes[0] == UInt8(ascii: ":") {
            return nil
        }
        while index < count {
            // A dotted IPv4 tail takes the last two groups.
            var end = index
            var sawDot = false
            while end < count && bytes[end] != UInt8(ascii: ":") {
                if bytes[end] == UInt8(ascii: ".") { sawDot = true }
                end += 1
            }
            if sawDot {
                guard end == count, groups.count <= 6,
                      let v4 = parseV4(bytes[index..<end]) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xffff))
                index = end
                break
            }
            let length = end - index
            guard length >= 1, length <= 4, groups.count < 8 else { return nil }
            var group: UInt16 = 0
            for position in index..<end {
                guard let nibble = hexValue(bytes[position]) else { return nil }
                group = group << 4 | UInt16(nibble)
            }
            groups.append(group)
            index = end
            if index < count {
                // At a ':'.
                index += 1
                if index < count && bytes[index] == UInt8(ascii: ":") {
                    guard compressAt == nil else { return nil }
                    compressAt = groups.count
                    index += 1
                } else if index == count {
                    return nil
                }
            }
        }
        if let compressAt {
            guard groups.count < 8 else { return nil }
            let zeros = [UInt16](repeating: 0, count: 8 - groups.count)
            groups.insert(contentsOf: zeros, at: compressAt)
        }
        guard groups.count == 8 else { return nil }
        var value: UInt128 = 0
        for group in groups { value = value << 16 | UInt128(group) }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension IPAddress: Comparable {
    /// IPv4 sorts before IPv6; within a family, numeric order.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): return a < b
        case (.v6(let a), .v6(let b)): return a < b
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        }
    }
}

extension IPAddress: CustomStringConvertible {
    public var description: String {
        switch self {
        case .v4(let value):
            return "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
        case .v6(let value):
            return IPAddress.formatV6(value)
        }
    }

    private static func formatV6(_ value: UInt128) -> String {
        var groups = [UInt16](repeating: 0, count: 8)
        for index in 0..<8 {
            groups[index] = UInt16(truncatingIfNeeded: value >> UInt128(112 - 16 * index))
        }
        // Find the longest run of at least two zero groups (first on a tie).
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for index in 0...8 {
            if index < 8 && groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                let length = index - runStart
                if length > bestLength && length >= 2 {
                    bestStart = runStart
                    bestLength = length
                }
                runStart = -1
            }
        }
        var text = ""
        var index = 0
        while index < 8 {
            if index == bestStart {
                text += "::"
                index += bestLength
                continue
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += String(groups[index], radix: 16)
            index += 1
        }
        return text
    }
}

/// An address family.
public enum IPFamily: Hashable, Sendable, CustomStringConvertible {
    case v4
    case v6

    /// Bits in an address of this family.
    public var bitWidth: Int { self == .v4 ? 32 : 128 }

    /// The `ips[].version` string of 0.3.x/0.4.0 results.
    public var versionString: String { self == .v4 ? "4" : "6" }

    public var description: String { self == .v4 ? "IPv4" : "IPv6" }
}
