import SystemSupport

/// `CNI_ARGS`: `K=V;K2=V2`, with the reference's exact semantics
/// (`types.LoadArgs` into a plugin's argument struct).
///
/// Pairs are read left to right, and the first problem met is the error:
/// a pair that does not split on `=` into exactly two parts, or a known key
/// whose value does not parse (`IgnoreUnknown` must be a boolean: `1`,
/// `true`, `0`, `false`, any case). Keys are case-sensitive; a plugin names
/// the keys it knows, and any other key is an error, once all pairs are
/// read, unless the last `IgnoreUnknown` says true.
public struct CNIArgs: Sendable, Equatable {
    public private(set) var pairs: [(key: String, value: String)]

    public static func == (lhs: CNIArgs, rhs: CNIArgs) -> Bool {
        lhs.pairs.map(\.key) == rhs.pairs.map(\.key) && lhs.pairs.map(\.value) == rhs.pairs.map(\.value)
    }

    /// Parses the raw string and checks it against the keys this plugin
    /// understands. `invalidValue` tells why a known key's value does not
    /// parse (nil: it does).
    public init(_ raw: String, knownKeys: Set<String>,
                invalidValue: (_ key: String, _ value: String) -> String? = { _, _ in nil }) throws(CNIError) {
        pairs = []
        guard !raw.isEmpty else { return }
        var ignoreUnknown = false
        var unknown: [String] = []
        for pair in raw.split(separator: ";", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw CNIError(.invalidEnvironmentVariables, "ARGS: invalid pair \(GoQuote.quoted(String(pair)))")
            }
            let (key, value) = (String(parts[0]), String(parts[1]))
            pairs.append((key, value))
            let why: String?
            switch key {
            case "IgnoreUnknown":
                switch value.lowercased() {
                case "1", "true": ignoreUnknown = true; why = nil
                case "0", "false": ignoreUnknown = false; why = nil
                default: why = "boolean unmarshal error: invalid input \(value.lowercased())"
                }
            case "CommonArgs":
                // The embedded struct of every argument struct: a field by
                // that name, but not one a value can be parsed into.
                throw CNIError(.invalidEnvironmentVariables,
                               "ARGS: cannot unmarshal into field 'CommonArgs' - type '*types.CommonArgs' does not implement encoding.TextUnmarshaler")
            case _ where knownKeys.contains(key):
                why = invalidValue(key, value)
            default:
                unknown.append(String(pair))
                why = nil
            }
            if let why {
                throw CNIError(.invalidEnvironmentVariables,
                               "ARGS: error parsing value of pair \(GoQuote.quoted(String(pair))): \(why)")
            }
        }
        if !unknown.isEmpty && !ignoreUnknown {
            let list = unknown.map(GoQuote.quoted).joined(separator: " ")
            throw CNIError(.invalidEnvironmentVariables, "ARGS: unknown args [\(list)]")
        }
    }

    /// The value of the last pair with this key, if any.
    public subscript(key: String) -> String? {
        pairs.last { $0.key == key }?.value
    }
}
