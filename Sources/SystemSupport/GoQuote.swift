/// Go's `%q` / `strconv.Quote`, for messages and rule comments that must read
/// as the reference's: its iptables comment is `name: %q id: %q`, and ours
/// must be byte-identical for the rules to be recognised by either
/// implementation.
///
/// Exact for ASCII (what CNI names and IDs are restricted to). For
/// non-ASCII, printable scalars are kept and C0/C1 controls are escaped as
/// Go does; Go's full `unicode.IsPrint` table is not reproduced.
public enum GoQuote {
    public static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\u{07}": result += "\\a"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{0B}": result += "\\v"
            default:
                let value = scalar.value
                if value < 0x20 || value == 0x7f {
                    result += "\\x" + hex(value, digits: 2)
                } else if value >= 0x80 && value < 0xa0 {
                    result += "\\u" + hex(value, digits: 4)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
