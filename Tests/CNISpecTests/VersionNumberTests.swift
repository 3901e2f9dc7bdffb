import Testing
@testable import CNISpec

/// Versions read as numbers, as the reference's library reads them for
/// CHECK, GC and STATUS (`version.ParseVersion` over `strconv.Atoi`).
@Suite("Version numbers")
struct VersionNumberTests {
    @Test("well-formed versions, missing parts being 0", arguments: [
        ("1.0.0", "1.0.0"), ("0.4", "0.4.0"), ("2", "2.0.0"), ("+1.-2.03", "1.-2.3"),
        ("9223372036854775807", "9223372036854775807.0.0"), ("-9223372036854775808", "-9223372036854775808.0.0"),
    ])
    func parses(text: String, expected: String) throws {
        #expect(try VersionNumber(parsing: text).description == expected)
    }

    @Test("malformed versions are code 6 in the reference's words", arguments: [
        ("1.2.3.4", #"invalid version "1.2.3.4": too many parts"#),
        ("", #"failed to convert major version part "": strconv.Atoi: parsing "": invalid syntax"#),
        ("1..0", #"failed to convert minor version part "": strconv.Atoi: parsing "": invalid syntax"#),
        ("1.0.x", #"failed to convert micro version part "x": strconv.Atoi: parsing "x": invalid syntax"#),
        ("+", #"failed to convert major version part "+": strconv.Atoi: parsing "+": invalid syntax"#),
        ("1_0", #"failed to convert major version part "1_0": strconv.Atoi: parsing "1_0": invalid syntax"#),
        ("9223372036854775808",
         #"failed to convert major version part "9223372036854775808": strconv.Atoi: parsing "9223372036854775808": value out of range"#),
        ("9223372036854775808x",
         #"failed to convert major version part "9223372036854775808x": strconv.Atoi: parsing "9223372036854775808x": invalid syntax"#),
        ("99999999999999999999x",
         #"failed to convert major version part "99999999999999999999x": strconv.Atoi: parsing "99999999999999999999x": value out of range"#),
    ])
    func refuses(text: String, message: String) {
        #expect(throws: CNIError(.decodingFailure, message)) { try VersionNumber(parsing: text) }
    }

    @Test("compares part by part, numerically")
    func order() throws {
        #expect(try VersionNumber(parsing: "0.10.0") > VersionNumber(parsing: "0.4.0"))
        #expect(try VersionNumber(parsing: "1") == VersionNumber(parsing: "1.0.0"))
        #expect(try VersionNumber(parsing: "1.1.5") > VersionNumber(.v1_1_0))
    }
}
