/// A JSON document as a tree, with object members kept in their input order.
///
/// The plugins read configs through this type rather than through Codable:
/// it costs no reflection at start-up, keeps the output's key order under our
/// control, and lets config errors name the key and the expected type the way
/// Go's `encoding/json` does (which people grep for).
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's text exactly as written, so integers of any size survive.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON type name used in decoding errors ("string", "number", ...).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "bool"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public var objectValue: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let array) = self { return array }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let bool) = self { return bool }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public static func integer(_ value: Int) -> JSONValue { .number(String(value)) }
}

/// An ordered JSON object. Lookup follows Go's `encoding/json`: the last
/// member with exactly that key wins, and otherwise a case-insensitive match
/// is accepted (Go matches struct fields that way).
public struct JSONObject: Equatable, Sendable {
    public private(set) var members: [(key: String, value: JSONValue)]

    public init(_ members: [(key: String, value: JSONValue)] = []) {
        self.members = members
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public subscript(key: String) -> JSONValue? {
        get {
            if let exact = members.last(where: { $0.key == key }) { return exact.value }
            let folded = key.lowercased()
            return members.last(where: { $0.key.lowercased() == folded })?.value
        }
        set {
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    members[index].value = newValue
                } else {
                    members.remove(at: index)
                }
            } else if let newValue {
                members.append((key, newValue))
            }
        }
    }

    /// Whether a member with exactly this key exists.
    public func containsExactKey(_ key: String) -> Bool {
        members.contains { $0.key == key }
    }

    public mutating func append(_ key: String, _ value: JSONValue) {
        members.append((key, value))
    }

    public var isEmpty: Bool { members.isEmpty }
}
