/// `CNI_ARGS`: `K=V;K2=V2`, with the reference's exact semantics.
///
/// Each pair must split on `=` into exactly two parts; keys are
/// case-sensitive; a plugin names the keys it knows, and any other key is an
/// error unless `IgnoreUnknown` is `1` or `true` (any case) somewhere in the
/// list. `IgnoreUnknown` itself is always known.
public struct CNIArgs: Sendable, Equatable {
    public private(set) var pairs: [(key: String, value: String)]

    public static func == (lhs: CNIArgs, rhs: CNIArgs) -> Bool {
        lhs.pairs.map(\.key) == rhs.pairs.map(\.key) && lhs.pairs.map(\.value) == rhs.pairs.map(\.value)
    }

    /// Parses the raw string and checks it against the keys this plugin
    /// understands.
    public init(_ raw: String, knownKeys: Set<String>) throws(CNIError) {
        pairs = []
        guard !raw.isEmpty else { return }
        for pair in raw.split(separator: ";", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw CNIError(.invalidEnvironmentVariables, "ARGS: invalid pair \"\(pair)\"")
            }
            pairs.append((String(parts[0]), String(parts[1])))
        }
        let ignoreUnknown = pairs.contains { pair in
            pair.key == "IgnoreUnknown" && ["1", "true"].contains(pair.value.lowercased())
        }
        if !ignoreUnknown {
            let unknown = pairs.filter { $0.key != "IgnoreUnknown" && !knownKeys.contains($0.key) }
            if !unknown.isEmpty {
                let list = unknown.map { "\"\($0.key)=\($0.value)\"" }.joined(separator: " ")
                throw CNIError(.invalidEnvironmentVariables, "ARGS: unknown args [\(list)]")
            }
        }
    }

    /// The value of the last pair with this key, if any.
    public subscript(key: String) -> String? {
        pairs.last { $0.key == key }?.value
    }
}
