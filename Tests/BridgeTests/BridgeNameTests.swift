@testable import Bridge
import CNISpec
import SystemSupport
import Testing

/// The `bridge` key against `InterfaceName`'s rule, and the code-7 message
/// ADD and CHECK refuse a bad one with (no kernel needed).
@Suite("Bridge name")
struct BridgeNameTests {
    static func config(bridge: String) throws -> BridgeConfig {
        try BridgeConfig.parsed([("bridge", .string(bridge))])
    }

    @Test("a name the kernel takes is the bridge's interface name", arguments: [
        "cni0", String(repeating: "b", count: 15), String(repeating: "é", count: 7) + "x", "...", "a\u{2000}b",
    ])
    func accepted(name: String) throws {
        #expect(try Self.config(bridge: name).bridgeInterfaceName.text == name)
    }

    @Test("a name the kernel refuses is code 7 naming it, worded as the reference's failure to add it", arguments: [
        "", String(repeating: "b", count: 16), String(repeating: "é", count: 8), ".", "..",
        "a/b", "a:b", "a b", "a\tb", "a\nb", "a\u{0B}b", "a\0b", "\u{E0}",
    ])
    func refused(name: String) throws {
        let config = try Self.config(bridge: name)
        let error = #expect(throws: CNIError.self) { try config.validateBridgeName() }
        #expect(error?.code == .invalidNetworkConfig)
        let reason = name.isEmpty ? "LinkAttrs.Name cannot be empty"
            : name.utf8.count > 15 ? "numerical result out of range" : "invalid argument"
        let quoted = GoQuote.quoted(name)
        #expect(error?.message == "failed to create bridge \(quoted): could not add \(quoted): \(reason)")
    }
}
