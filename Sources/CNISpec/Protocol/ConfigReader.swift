/// Typed access to one JSON object of a network config.
///
/// A member that is absent or `null` reads as nil (Go leaves the zero value);
/// a member of the wrong type is an error worded like Go's `encoding/json`
/// (`json: cannot unmarshal string into Go struct field NetConf.mtu of type
/// int`), so users see the message they know, with code 7.
public struct ConfigReader: Sendable {
    public let object: JSONObject
    /// The Go struct name used in messages, e.g. `NetConf`.
    public let structName: String

    public init(_ object: JSONObject, structName: String) {
        self.object = object
        self.structName = structName
    }

    public func typeError(_ key: String, found: JSONValue, expected: String) -> CNIError {
        let found: String = {
            if case .number(let text) = found, expected.hasPrefix("int") || expected.hasPrefix("uint") {
                return "number \(text)"
            }
            return found.typeName
        }()
        return CNIError(.invalidNetworkConfig,
                        "json: cannot unmarshal \(found) into Go struct field \(structName).\(key) of type \(expected)")
    }

    private func value(_ key: String) -> JSONValue? {
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }

    public func string(_ key: String) throws(CNIError) -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.stringValue else { throw typeError(key, found: value, expected: "string") }
        return string
    }

    public func bool(_ key: String) throws(CNIError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let bool = value.boolValue else { throw typeError(key, found: value, expected: "bool") }
        return bool
    }

    /// An integer within `range`; fractions, exponents and overflow are type
    /// errors, as in Go.
    public func int(_ key: String, range: ClosedRange<Int> = Int.min...Int.max,
                    typeName: String = "int") throws(CNIError) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .number(let text) = value, let int = Int(text), range.contains(int) else {
            throw typeError(key, found: value, expected: typeName)
        }
        return int
    }

    public func object(_ key: String, typeName: String) throws(CNIError) -> JSONObject? {
        guard let value = value(key) else { return nil }
        guard let object = value.objectValue else { throw typeError(key, found: value, expected: typeName) }
        return object
    }

    public func array(_ key: String, typeName: String) throws(CNIError) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard let array = value.arrayValue else { throw typeError(key, found: value, expected: typeName) }
        return array
    }

    public func stringArray(_ key: String) throws(CNIError) -> [String]? {
        guard let array = try array(key, typeName: "[]string") else { return nil }
        var strings: [String] = []
        for element in array {
            guard let string = element.stringValue else {
                throw typeError(key, found: element, expected: "string")
            }
            strings.append(string)
        }
        return strings
    }

    /// A nested reader for an object member.
    public func reader(_ key: String, structName: String) throws(CNIError) -> ConfigReader? {
        guard let object = try object(key, typeName: structName) else { return nil }
        return ConfigReader(object, structName: structName)
    }
}
