/// A network interface name the Linux kernel accepts: the one rule every
/// name passes before it reaches netlink, whether it comes from
/// `CNI_IFNAME`, from the `bridge` key, or is composed by a plugin.
///
/// The rule is the kernel's `dev_valid_name`, checked per byte: 1 to 15
/// bytes (`IFNAMSIZ` less its NUL), not `.` or `..`, and no `/`, `:`, NUL
/// or byte the kernel's `isspace()` counts: tab, newline, vertical tab,
/// form feed, carriage return, space, and 0xA0 (its ctype table is
/// Latin-1, where 0xA0 is the no-break space, so `à`, C3 A0 in UTF-8, is
/// refused). Other Unicode spaces (U+0085, U+2000...) have no such byte and
/// are names the kernel takes.
///
/// Each edge turns a `Violation` into its own error: `CNI_IFNAME`'s are the
/// reference's code-4 messages (`Identifiers.interfaceName`), the bridge
/// name's is a code-7 config error, a composed name's is the kernel's
/// errno (Netlink's `InterfaceName(kernelName:operation:)`).
///
/// Equality is byte equality, as the kernel compares names (Swift's
/// `String` equality would take canonically equivalent spellings as one).
public struct InterfaceName: Hashable, Sendable, CustomStringConvertible {
    /// `IFNAMSIZ` (16) less the terminating NUL.
    public static let maximumLength = 15

    /// Why a text is not an interface name, in the order the kernel checks.
    public enum Violation: Error, Equatable, Sendable {
        case empty
        case tooLong
        case dotOrDotDot
        case forbiddenByte
    }

    /// The name as the kernel sees it.
    public let text: String

    public init(_ text: String) throws(Violation) {
        if let violation = Self.violation(in: text) { throw violation }
        self.text = text
    }

    /// The first rule `text` breaks, or nil when it is a valid name.
    public static func violation(in text: String) -> Violation? {
        let bytes = text.utf8
        if bytes.isEmpty { return .empty }
        if bytes.count > maximumLength { return .tooLong }
        if text == "." || text == ".." { return .dotOrDotDot }
        if bytes.contains(where: isForbidden) { return .forbiddenByte }
        return nil
    }

    /// `/`, `:`, NUL, and the kernel's `isspace()` bytes.
    static func isForbidden(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "/"), UInt8(ascii: ":"), 0x00, 0x09...0x0d, 0x20, 0xa0: return true
        default: return false
        }
    }

    public var description: String { text }

    public static func == (lhs: InterfaceName, rhs: InterfaceName) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        for byte in text.utf8 { hasher.combine(byte) }
    }
}

extension InterfaceName: ExpressibleByStringLiteral {
    /// A name written in the code (`"lo"`, a test's `"eth0"`): a constant
    /// that is not a valid name is a programming error and stops here.
    public init(stringLiteral text: String) {
        do {
            try self.init(text)
        } catch {
            preconditionFailure("invalid interface name literal \"\(text)\": \(error)")
        }
    }
}
