/// A CNI error code (spec §"Error"), with the well-known values as constants.
public struct CNIErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// A delegate's output could not be parsed at all.
    public static let unknown = CNIErrorCode(rawValue: 0)
    public static let incompatibleCNIVersion = CNIErrorCode(rawValue: 1)
    public static let unsupportedField = CNIErrorCode(rawValue: 2)
    public static let unknownContainer = CNIErrorCode(rawValue: 3)
    public static let invalidEnvironmentVariables = CNIErrorCode(rawValue: 4)
    public static let ioFailure = CNIErrorCode(rawValue: 5)
    public static let decodingFailure = CNIErrorCode(rawValue: 6)
    public static let invalidNetworkConfig = CNIErrorCode(rawValue: 7)
    /// Library convention: `CNI_NETNS` is the plugin's own namespace.
    public static let invalidNetNS = CNIErrorCode(rawValue: 8)
    public static let tryAgainLater = CNIErrorCode(rawValue: 11)
    /// STATUS: the plugin cannot serve ADD.
    public static let pluginNotAvailable = CNIErrorCode(rawValue: 50)
    /// STATUS: not available, and existing containers may be degraded.
    public static let pluginNotAvailableLimitedConnectivity = CNIErrorCode(rawValue: 51)
    /// Anything else; the reference uses it for every plain error.
    public static let `internal` = CNIErrorCode(rawValue: 999)

    public var description: String { String(rawValue) }
}

/// The one error type a plugin reports: it becomes the JSON error document
/// on stdout (`{"cniVersion", "code", "msg", "details"}`) and exit status 1.
///
/// Messages keep the reference plugins' wording wherever one exists, so that
/// tooling which greps for them keeps working; only the codes are better.
public struct CNIError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: CNIErrorCode
    public var message: String
    public var details: String?

    public init(_ code: CNIErrorCode, _ message: String, details: String? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }

    /// The same error with `prefix: ` in front of its message, as Go's
    /// `fmt.Errorf("prefix: %v", err)` would read.
    public func prefixed(_ prefix: String) -> CNIError {
        CNIError(code, "\(prefix): \(message)", details: details)
    }

    public var description: String {
        if let details, !details.isEmpty { return "\(message); \(details)" }
        return message
    }
}

extension CNIError {
    /// Converts any error to a `CNIError`; non-CNI errors become code 999
    /// with their description as the message, as the reference does.
    public static func wrapping(_ error: any Error) -> CNIError {
        if let error = error as? CNIError { return error }
        return CNIError(.internal, String(describing: error))
    }
}
