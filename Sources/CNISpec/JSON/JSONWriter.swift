/// Serialises a `JSONValue`, keeping object members in their stored order.
///
/// `indented` output uses four spaces, like the reference plugins' results.
public enum JSONWriter {
    public static func serialize(_ value: JSONValue, indented: Bool = false) -> String {
        var output = ""
        output.reserveCapacity(256)
        write(value, into: &output, indent: indented ? 0 : nil)
        return output
    }

    private static func write(_ value: JSONValue, into output: inout String, indent: Int?) {
        switch value {
        case .null: output += "null"
        case .bool(let bool): output += bool ? "true" : "false"
        case .number(let text): output += text
        case .string(let string): writeString(string, into: &output)
        case .array(let array):
            if array.isEmpty { output += "[]"; return }
            output += "["
            for (index, element) in array.enumerated() {
                if index > 0 { output += "," }
                newline(into: &output, indent: indent.map { $0 + 1 })
                write(element, into: &output, indent: indent.map { $0 + 1 })
            }
            newline(into: &output, indent: indent)
            output += "]"
        case .object(let object):
            if object.isEmpty { output += "{}"; return }
            output += "{"
            for (index, member) in object.members.enumerated() {
                if index > 0 { output += "," }
                newline(into: &output, indent: indent.map { $0 + 1 })
                writeString(member.key, into: &output)
                output += indent == nil ? ":" : ": "
                write(member.value, into: &output, indent: indent.map { $0 + 1 })
            }
            newline(into: &output, indent: indent)
            output += "}"
        }
    }

    private static func newline(into output: inout String, indent: Int?) {
        guard let indent else { return }
        output += "\n"
        output += String(repeating: "    ", count: indent)
    }

    private static func writeString(_ string: String, into output: inout String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "<": output += "\\u003c"
            case ">": output += "\\u003e"
            case "&": output += "\\u0026"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}
