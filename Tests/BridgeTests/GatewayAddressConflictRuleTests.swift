@testable import Bridge
import CNISpec
import Testing

/// The conflict rule alone, as a table.
@Suite("Gateway address conflicts")
struct GatewayAddressConflictRuleTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let gateway: String
        let present: [String]
        var gateways: [String] = []
        let conflicts: [String]
        var testDescription: String { "\(gateway) next to \(present)" }
    }

    static let cases: [Case] = [
        Case(gateway: "10.1.2.1/24", present: [], conflicts: []),
        Case(gateway: "10.1.2.1/24", present: ["10.1.2.1/24"], conflicts: []),
        Case(gateway: "10.1.2.1/24", present: ["10.1.2.254/24", "10.1.2.1/24"], conflicts: ["10.1.2.254/24"]),
        Case(gateway: "10.1.2.1/24", present: ["10.1.2.254/24"], conflicts: ["10.1.2.254/24"]),
        Case(gateway: "10.1.2.1/24", present: ["10.1.2.1/16"], conflicts: ["10.1.2.1/16"]),
        Case(gateway: "10.1.2.1/24", present: ["192.0.2.1/24", "127.0.0.2/8"],
             conflicts: ["192.0.2.1/24", "127.0.0.2/8"]),
        Case(gateway: "10.1.2.1/24", present: ["fe80::1/64", "2001:db8::1/64"], conflicts: []),
        Case(gateway: "10.1.2.1/24", present: ["10.1.3.1/24"], gateways: ["10.1.2.1/24", "10.1.3.1/24"],
             conflicts: []),
        Case(gateway: "2001:db8:1:2::1/64", present: ["2001:db8:1::1/48"], conflicts: ["2001:db8:1::1/48"]),
        Case(gateway: "2001:db8:1:2::1/64", present: ["2001:db8:1:2::1/48"], conflicts: ["2001:db8:1:2::1/48"]),
        Case(gateway: "2001:db8:1:2::1/64", present: ["2001:db8:1:2::80/121"], conflicts: ["2001:db8:1:2::80/121"]),
        Case(gateway: "2001:db8:1:2::1/64", present: ["fd00:1234::1/64", "fe80::1/64", "10.1.2.3/24"],
             conflicts: []),
        Case(gateway: "2001:db8:1:2::1/64", present: ["2001:db8:1:2::1/64", "2001:db8:1:2::5/64"],
             conflicts: ["2001:db8:1:2::5/64"]),
    ]

    @Test("conflicting addresses", arguments: cases)
    func conflicts(_ testCase: Case) throws {
        func cidr(_ text: String) throws -> CIDR { try #require(CIDR(text)) }
        let found = GatewayAddressConflicts.conflicts(with: try cidr(testCase.gateway),
                                                      present: try testCase.present.map(cidr),
                                                      gateways: try testCase.gateways.map(cidr))
        #expect(found == (try testCase.conflicts.map(cidr)))
    }
}
