/// A CNI spec version this implementation speaks. Results are built once in
/// the newest shape and converted to the config's version on output.
public enum CNIVersion: String, CaseIterable, Comparable, Sendable {
    case v0_1_0 = "0.1.0"
    case v0_2_0 = "0.2.0"
    case v0_3_0 = "0.3.0"
    case v0_3_1 = "0.3.1"
    case v0_4_0 = "0.4.0"
    case v1_0_0 = "1.0.0"
    case v1_1_0 = "1.1.0"

    /// The version we print results in when nothing else is asked for.
    public static let current = CNIVersion.v1_1_0

    /// Every supported version, oldest first, as VERSION reports them.
    public static var supported: [String] { allCases.map(\.rawValue) }

    private var order: Int { CNIVersion.allCases.firstIndex(of: self)! }

    public static func < (lhs: CNIVersion, rhs: CNIVersion) -> Bool {
        lhs.order < rhs.order
    }

    /// The result shape used for this version.
    public var resultFormat: ResultFormat {
        switch self {
        case .v0_1_0, .v0_2_0: return .legacy020
        case .v0_3_0, .v0_3_1, .v0_4_0: return .v040
        case .v1_0_0, .v1_1_0: return .v100
        }
    }

    /// The three shapes a result can take on the wire.
    public enum ResultFormat: Sendable {
        /// `ip4` / `ip6` objects (0.1.0, 0.2.0).
        case legacy020
        /// `interfaces`, `ips[].version`, `routes`, `dns` (0.3.0 – 0.4.0).
        case v040
        /// As 0.4.0 without `ips[].version`, with the 1.1.0 extras (1.0.0, 1.1.0).
        case v100
    }
}

extension CNIVersion {
    /// Parses a version that must be one we support exactly; a missing or
    /// empty version means 0.1.0, as in the reference.
    public static func parseConfigVersion(_ text: String?) throws(CNIError) -> CNIVersion {
        let text = (text ?? "").isEmpty ? "0.1.0" : text!
        guard let version = CNIVersion(rawValue: text) else {
            let supported = CNIVersion.supported.map { "\"\($0)\"" }.joined(separator: " ")
            throw CNIError(.incompatibleCNIVersion, "incompatible CNI versions",
                           details: "config is \"\(text)\", plugin supports [\(supported)]")
        }
        return version
    }
}
