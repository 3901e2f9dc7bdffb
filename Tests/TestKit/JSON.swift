import Foundation

/// A JSON value for building plugin configurations and comparing plugin
/// output semantically (key order, whitespace and number spelling do not
/// matter; `==` is structural).
///
/// Parsed and printed with Foundation's coders, independent of the parser
/// under test; a parse accepts exactly one document (white space around it
/// allowed).
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public struct ParseError: Error, CustomStringConvertible {
        public let text: String
        public let underlying: String
        public var description: String { "not JSON (\(underlying)): \(text)" }
    }

    public static func parse(_ text: String) throws -> JSON {
        do {
            return try JSONDecoder().decode(JSON.self, from: Data(text.utf8))
        } catch {
            throw ParseError(text: text, underlying: "\(error)")
        }
    }

    /// Exactly one JSON document in UTF-8, or nil (a plugin's stdout).
    public init?(parsing bytes: [UInt8]) {
        guard let json = try? JSONDecoder().decode(JSON.self, from: Data(bytes)) else { return nil }
        self = json
    }

    /// A document written in a test; it must be valid.
    public init(document text: String) {
        guard let json = try? JSON.parse(text) else { preconditionFailure("invalid JSON in test: \(text)") }
        self = json
    }

    /// Compact text with sorted keys.
    public var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    public subscript(key: String) -> JSON? {
        get { if case .object(let object) = self { return object[key] } else { return nil } }
        set {
            guard case .object(var object) = self else { return }
            object[key] = newValue
            self = .object(object)
        }
    }

    public subscript(index: Int) -> JSON? {
        if case .array(let array) = self, array.indices.contains(index) { return array[index] }
        return nil
    }

    public var string: String? { if case .string(let value) = self { return value } else { return nil } }
    public var int: Int? { if case .number(let value) = self { return Int(exactly: value) } else { return nil } }
    public var bool: Bool? { if case .bool(let value) = self { return value } else { return nil } }
    public var array: [JSON]? { if case .array(let value) = self { return value } else { return nil } }
    public var object: [String: JSON]? { if case .object(let value) = self { return value } else { return nil } }
    public var keys: Set<String> { Set(object?.keys ?? [:].keys) }

    /// `self` with `overrides` merged in, key by key (nested objects are
    /// merged recursively; `.null` removes a key).
    public func merging(_ overrides: JSON) -> JSON {
        guard case .object(var base) = self, case .object(let extra) = overrides else { return overrides }
        for (key, value) in extra {
            if value == .null {
                base[key] = nil
            } else if let existing = base[key], existing.object != nil, value.object != nil {
                base[key] = existing.merging(value)
            } else {
                base[key] = value
            }
        }
        return .object(base)
    }

    /// This object without `key`.
    public func removing(_ key: String) -> JSON {
        guard case .object(var object) = self else { return self }
        object[key] = nil
        return .object(object)
    }

    /// This object with `key` set to `value`.
    public func setting(_ key: String, _ value: JSON) -> JSON {
        guard case .object(var object) = self else { return self }
        object[key] = value
        return .object(object)
    }

    /// Every string in the tree passed through `transform`.
    public func mapStrings(_ transform: (String) -> String) -> JSON {
        switch self {
        case .string(let value): return .string(transform(value))
        case .array(let values): return .array(values.map { $0.mapStrings(transform) })
        case .object(let object): return .object(object.mapValues { $0.mapStrings(transform) })
        default: return self
        }
    }
}

extension JSON: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSON].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if let integer = Int(exactly: value) { try container.encode(integer) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
                ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension JSON: CustomStringConvertible {
    public var description: String { text }
}
