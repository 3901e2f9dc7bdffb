import SystemSupport

/// A `cniVersion` read as numbers, the way the reference's library compares
/// versions (`version.ParseVersion`): at most three dot-separated parts, each
/// a decimal integer as Go's `strconv.Atoi` reads it (an optional sign, then
/// digits, within 64 bits); missing parts are 0. This is how CHECK, GC and
/// STATUS decide whether a version they do not speak is too old or too new,
/// before the exact match every verb needs.
public struct VersionNumber: Comparable, Sendable, CustomStringConvertible {
    public let major: Int
    public let minor: Int
    public let micro: Int

    /// Parses `text`; a malformed version is code 6, worded as the
    /// reference words it (`failed to convert major version part "abc":
    /// strconv.Atoi: parsing "abc": invalid syntax`).
    public init(parsing text: String) throws(CNIError) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count < 4 else {
            throw CNIError(.decodingFailure, "invalid version \(GoQuote.quoted(text)): too many parts")
        }
        var numbers = [0, 0, 0]
        for (index, part) in parts.enumerated() {
            do throws(AtoiError) {
                numbers[index] = try Self.atoi(part)
            } catch {
                let name = ["major", "minor", "micro"][index]
                throw CNIError(.decodingFailure,
                               "failed to convert \(name) version part \(GoQuote.quoted(part)): strconv.Atoi: parsing \(GoQuote.quoted(part)): \(error.text)")
            }
        }
        (major, minor, micro) = (numbers[0], numbers[1], numbers[2])
    }

    public init(_ version: CNIVersion) {
        // Every CNIVersion is three small numbers.
        self = try! VersionNumber(parsing: version.rawValue)
    }

    public static func < (lhs: VersionNumber, rhs: VersionNumber) -> Bool {
        (lhs.major, lhs.minor, lhs.micro) < (rhs.major, rhs.minor, rhs.micro)
    }

    public var description: String { "\(major).\(minor).\(micro)" }

    private enum AtoiError: Error {
        case syntax, range
        var text: String { self == .syntax ? "invalid syntax" : "value out of range" }
    }

    /// Go's `strconv.Atoi`: the first problem from the left decides between
    /// "invalid syntax" and "value out of range".
    private static func atoi(_ text: String) throws(AtoiError) -> Int {
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { throw .syntax }
        // The magnitude's limit: 2^63 for a negative number, 2^63 - 1 otherwise.
        let limit: UInt64 = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
        var magnitude: UInt64 = 0
        for character in digits.utf8 {
            guard character >= UInt8(ascii: "0") && character <= UInt8(ascii: "9") else { throw .syntax }
            let (shifted, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, carry) = shifted.addingReportingOverflow(UInt64(character - UInt8(ascii: "0")))
            guard !overflow, !carry else { throw .range }
            magnitude = sum
        }
        guard magnitude <= limit else { throw .range }
        return negative ? Int(truncatingIfNeeded: 0 &- magnitude) : Int(magnitude)
    }
}
