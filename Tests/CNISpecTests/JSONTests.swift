import Testing
@testable import CNISpec

@Suite("JSON")
struct JSONTests {
    @Test("parses and re-serialises in member order")
    func roundTrip() throws {
        let text = #"{"b":1,"a":[true,false,null,"x\n\u00e9\ud83d\ude00"],"c":{"d":-1.5e3}}"#
        let value = try JSONParser.parse(text)
        #expect(JSONWriter.serialize(value) == #"{"b":1,"a":[true,false,null,"x\né😀"],"c":{"d":-1.5e3}}"#)
    }

    @Test("hostile input is an error, never a crash", arguments: [
        "", " ", "{", "}", "[1,", "{\"a\"}", "{\"a\":}", "nul", "01", "1.", "-", "\"abc", "\"\\x\"",
        "{} {}", "\"\u{01}\"", "[1 2]", "{\"a\":1,}", "\"\\u12\"",
    ])
    func hostile(input: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(input) }
    }

    @Test("syntax errors are worded as Go's encoding/json words them", arguments: [
        ("x", "invalid character 'x' looking for beginning of value"),
        ("{", "unexpected end of JSON input"),
        (#"{"a""#, "unexpected end of JSON input"),
        (#"{"a":tru}"#, "invalid character '}' in literal true (expecting 'e')"),
        (#"{"a":nul"#, "invalid character ' ' in literal null (expecting 'l')"),
        (#"{"a":"\q"}"#, "invalid character 'q' in string escape code"),
        (#"{"a":"\"#, "invalid character ' ' in string escape code"),
        (#"{"a":"\u12"#, #"invalid character ' ' in \u hexadecimal character escape"#),
        ("[1.", "invalid character ' ' after decimal point in numeric literal"),
        ("-", "invalid character ' ' in numeric literal"),
        ("\"\u{01}\"", #"invalid character '\x01' in string literal"#),
        (#"{"a":1,}"#, "invalid character '}' looking for beginning of object key string"),
        (#"{'a':1}"#, #"invalid character '\'' looking for beginning of object key string"#),
        (#"{"a":1}\"#, #"invalid character '\\' after top-level value"#),
        (#"{"a" 1}"#, "invalid character '1' after object key"),
        ("[1 2]", "invalid character '2' after array element"),
    ])
    func goWording(input: String, message: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(input) }
        do {
            _ = try JSONParser.parse(input)
        } catch {
            #expect(error.message == message)
        }
    }

    @Test("deep nesting is an error, not a stack overflow")
    func deepNesting() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(String(repeating: "[", count: 100_000)) }
        #expect(throws: JSONParseError.self) {
            try JSONParser.parse(String(repeating: "{\"a\":", count: 10_000) + "1" + String(repeating: "}", count: 10_000))
        }
    }

    @Test("nesting up to the limit is accepted")
    func depthLimit() throws {
        let depth = JSONParser.maximumDepth
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        _ = try JSONParser.parse(text)
    }

    @Test("object lookup prefers the last exact key, then a case-insensitive one")
    func lookup() throws {
        let object = try #require(try JSONParser.parse(#"{"mtu":1,"mtu":2,"Bridge":"br0"}"#).objectValue)
        #expect(object["mtu"] == .number("2"))
        #expect(object["bridge"] == .string("br0"))
    }

    @Test("invalid UTF-8 is replaced, not fatal")
    func invalidUTF8() throws {
        let bytes: [UInt8] = [0x22, 0xff, 0xfe, 0x22]
        #expect(try JSONParser.parse(bytes) == .string("\u{FFFD}\u{FFFD}"))
    }
}
