import Testing
@testable import CNISpec

/// A route of a config or result, as Go's `types.Route` decodes it.
@Suite("Route decoding")
struct RouteDecodingTests {
    private func route(_ text: String) throws(CNIError) -> CNIResult.Route {
        try CNIResult.parseRoute(try! JSONParser.parse(Array(text.utf8)))
    }

    @Test("the fields of spec 1.1.0 take any integer, as Go's int does (DEL and CHECK must read any config)")
    func anyInteger() throws {
        let parsed = try route(#"{"dst": "10.7.0.0/16", "priority": -1, "table": 4294967296, "scope": 256, "mtu": -5}"#)
        #expect(parsed.priority == -1)
        #expect(parsed.table == 4_294_967_296)
        #expect(parsed.scope == 256)
        #expect(parsed.mtu == -5)
    }

    @Test("a field of the wrong JSON type is Go's decoding error")
    func wrongType() {
        #expect(throws: CNIError(.invalidNetworkConfig,
                                 "json: cannot unmarshal string into Go struct field Route.mtu of type int")) {
            _ = try route(#"{"dst": "10.7.0.0/16", "mtu": "x"}"#)
        }
    }
}
