/// A 48-bit Ethernet hardware address.
///
/// `description` is the lowercase colon form (`0a:58:0a:f4:00:02`), the
/// form CNI results carry. Parsing accepts what Go's `net.ParseMAC` accepts
/// for 6-byte addresses: `xx:xx:xx:xx:xx:xx`, `xx-xx-xx-xx-xx-xx` and
/// `xxxx.xxxx.xxxx`, hex digits in either case.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    /// The six bytes as the low 48 bits, first byte most significant.
    public let value: UInt64

    /// A random unicast, locally administered address, as the kernel picks
    /// for a new bridge or veth.
    public static func randomLocallyAdministered() -> MACAddress {
        let random = RandomBytes.value(UInt64.self) & 0xffff_ffff_ffff
        // First byte: clear the multicast bit, set the locally administered bit.
        let value = (random & ~(UInt64(0x01) << 40)) | (UInt64(0x02) << 40)
        return MACAddress(value: value)
    }

    init(value: UInt64) { self.value = value & 0xffff_ffff_ffff }

    /// Fails unless `bytes` holds exactly six bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 6 else { return nil }
        value = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(6)
        if utf8.count == 17, utf8[2] == UInt8(ascii: ":") || utf8[2] == UInt8(ascii: "-") {
            let separator = utf8[2]
            for group in 0..<6 {
                let start = group * 3
                if group < 5 && utf8[start + 2] != separator { return nil }
                guard let byte = MACAddress.hexByte(utf8[start], utf8[start + 1]) else { return nil }
                out.append(byte)
            }
        } else if utf8.count == 14 {
            for group in 0..<3 {
                let start = group * 5
                if group < 2 && utf8[start + 4] != UInt8(ascii: ".") { return nil }
                guard let high = MACAddress.hexByte(utf8[start], utf8[start + 1]),
                      let low = MACAddress.hexByte(utf8[start + 2], utf8[start + 3]) else { return nil }
                out.append(high)
                out.append(low)
            }
        } else {
            return nil
        }
        self.init(bytes: out)
    }

    /// The six bytes in wire order.
    public var bytes: [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: value >> UInt64(40 - 8 * $0)) } }

    public var description: String {
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(17)
        for (index, byte) in bytes.enumerated() {
            if index > 0 { text.append(":") }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return text
    }

    /// The locally administered bit (0x02 of the first byte); the kernel's
    /// random addresses have it set.
    public var isLocallyAdministered: Bool { value >> 40 & 0x02 != 0 }
    /// The group bit (0x01 of the first byte); a link cannot use such an
    /// address.
    public var isMulticast: Bool { value >> 40 & 0x01 != 0 }
    /// Whether a link can take this as its own address: neither all zeros
    /// nor a group address (the kernel's `is_valid_ether_addr`; a bridge
    /// refuses anything else with EADDRNOTAVAIL). A bridge whose MAC was
    /// never set reports all zeros once its last port has left.
    public var isValidUnicast: Bool { value != 0 && !isMulticast }

    private static func hexByte(_ high: UInt8, _ low: UInt8) -> UInt8? {
        guard let h = hexValue(high), let l = hexValue(low) else { return nil }
        return h << 4 | l
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
