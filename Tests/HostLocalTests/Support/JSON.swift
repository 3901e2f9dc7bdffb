import Foundation

/// A parsed JSON document, for comparing outputs semantically (key order,
/// indentation and number spelling do not matter).
///
/// Parsed with Foundation's `JSONSerialization`, independent of the parser
/// under test, which rejects anything but exactly one document.
indirect enum JSON: Equatable, Sendable, CustomStringConvertible {
    case object([String: JSON])
    case array([JSON])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    /// Exactly one JSON document (white space around it allowed), or nil.
    init?(parsing bytes: [UInt8]) {
        guard let value = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
              let json = JSON(foundation: value)
        else { return nil }
        self = json
    }

    /// A document written in a test; it must be valid.
    init(_ text: String) {
        guard let json = JSON(parsing: Array(text.utf8)) else { preconditionFailure("invalid JSON in test: \(text)") }
        self = json
    }

    private init?(foundation value: Any) {
        switch value {
        case let dictionary as [String: Any]:
            var members: [String: JSON] = [:]
            for (key, member) in dictionary {
                guard let json = JSON(foundation: member) else { return nil }
                members[key] = json
            }
            self = .object(members)
        case let array as [Any]:
            var elements: [JSON] = []
            for element in array {
                guard let json = JSON(foundation: element) else { return nil }
                elements.append(json)
            }
            self = .array(elements)
        case let string as String:
            self = .string(string)
        case let number as NSNumber:
            if String(cString: number.objCType) == "c" {
                self = .bool(number.boolValue)
            } else {
                self = .number(number.doubleValue)
            }
        case is NSNull:
            self = .null
        default:
            return nil
        }
    }

    subscript(key: String) -> JSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    subscript(index: Int) -> JSON? {
        if case .array(let elements) = self, elements.indices.contains(index) { return elements[index] }
        return nil
    }

    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var int: Int? {
        if case .number(let value) = self, value == value.rounded() { return Int(value) }
        return nil
    }

    var array: [JSON]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    var members: [String: JSON]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// This object without `key`.
    func removing(_ key: String) -> JSON {
        guard case .object(var members) = self else { return self }
        members[key] = nil
        return .object(members)
    }

    /// This object with `key` set to `value`.
    func setting(_ key: String, _ value: JSON) -> JSON {
        guard case .object(var members) = self else { return self }
        members[key] = value
        return .object(members)
    }

    /// Compact, keys sorted: stable text for failure messages.
    var description: String {
        switch self {
        case .object(let members):
            return "{" + members.keys.sorted().map { "\(JSON.string($0)):\(members[$0]!)" }.joined(separator: ",") + "}"
        case .array(let elements):
            return "[" + elements.map(\.description).joined(separator: ",") + "]"
        case .string(let text):
            var escaped = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": escaped += "\\\""
                case "\\": escaped += "\\\\"
                case "\n": escaped += "\\n"
                case "\r": escaped += "\\r"
                case "\t": escaped += "\\t"
                default:
                    if scalar.value < 0x20 {
                        escaped += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                            + String(scalar.value, radix: 16)
                    } else {
                        escaped.unicodeScalars.append(scalar)
                    }
                }
            }
            return escaped + "\""
        case .number(let value):
            return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case .bool(let value):
            return value ? "true" : "false"
        case .null:
            return "null"
        }
    }
}

extension JSON {
    /// A result as both implementations should agree on it: an empty `dns`
    /// is the same as none (the reference v1.1.1 always prints `"dns": {}`;
    /// 1.0.0+ results may leave it out, as the reference v1.6+ does).
    var normalizedResult: JSON {
        if let dns = self["dns"], dns.members?.isEmpty == true { return removing("dns") }
        return self
    }

    /// Every address of a result, in order, whatever its version's shape:
    /// `ips[].address`, or `ip4.ip` then `ip6.ip`.
    var addresses: [String] {
        if let ips = self["ips"]?.array { return ips.compactMap { $0["address"]?.string } }
        return ["ip4", "ip6"].compactMap { self[$0]?["ip"]?.string }
    }
}
