import Testing
@testable import CNISpec

/// A config's `prevResult` is read by the result type of the config's
/// version: one of another family is refused before its contents matter.
@Suite("prevResult read as the config's version")
struct PreviousResultTests {
    private func read(_ document: String, as version: CNIVersion) throws(CNIError) -> CNIResult {
        let json = try! JSONParser.parse(Array(document.utf8))
        return try CNIResult(previousResult: json, configVersion: version)
    }

    @Test("a result of the config's family is read", arguments: [
        (CNIVersion.v0_4_0, "0.3.0"), (.v0_4_0, "0.3.1"), (.v0_4_0, "0.4.0"),
        (.v1_0_0, "1.0.0"), (.v1_0_0, "1.1.0"), (.v1_1_0, "1.0.0"), (.v1_1_0, "1.1.0"),
    ])
    func sameFamily(config: CNIVersion, result: String) throws {
        let parsed = try read(#"{"cniVersion":"\#(result)","interfaces":[{"name":"cni0"}]}"#, as: config)
        #expect(parsed.interfaces.map(\.name) == ["cni0"])
    }

    @Test("a missing cniVersion is the config's")
    func missingVersion() throws {
        let parsed = try read(#"{"interfaces":[{"name":"cni0"}]}"#, as: .v0_4_0)
        #expect(parsed.interfaces.map(\.name) == ["cni0"])
    }

    @Test("a result of another family is refused in the reference's words, code 1", arguments: [
        (CNIVersion.v0_4_0, "1.0.0", "[0.3.0 0.3.1 0.4.0]"),
        (.v0_4_0, "", "[0.3.0 0.3.1 0.4.0]"),
        (.v0_4_0, "9.9.9", "[0.3.0 0.3.1 0.4.0]"),
        (.v1_0_0, "0.4.0", "[1.0.0 1.1.0]"),
        (.v1_1_0, "0.2.0", "[1.0.0 1.1.0]"),
    ])
    func otherFamily(config: CNIVersion, result: String, supported: String) {
        #expect(throws: CNIError(.incompatibleCNIVersion,
                                 "could not parse prevResult: result type supports \(supported) but unmarshalled CNIVersion is \"\(result)\"")) {
            _ = try read(#"{"cniVersion":"\#(result)"}"#, as: config)
        }
    }
}
