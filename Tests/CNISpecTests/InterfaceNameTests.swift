import CNISpec
import Testing

/// The one interface-name rule (the kernel's `dev_valid_name`, per byte)
/// and the reference's CNI_IFNAME messages it is reported with.
@Suite("Interface names")
struct InterfaceNameTests {
    @Test("1 to 15 bytes are a name; 16 bytes are too long", arguments: [
        ("a", nil), (String(repeating: "a", count: 15), nil),
        (String(repeating: "a", count: 16), InterfaceName.Violation.tooLong),
    ] as [(String, InterfaceName.Violation?)])
    func length(text: String, violation: InterfaceName.Violation?) {
        #expect(InterfaceName.violation(in: text) == violation)
    }

    @Test("the limit counts bytes, not characters: 7 two-byte letters and one ASCII fit, 8 do not")
    func multibyte() throws {
        let fifteen = String(repeating: "é", count: 7) + "x"
        let sixteen = String(repeating: "é", count: 8)
        #expect(try InterfaceName(fifteen).text == fifteen)
        #expect(InterfaceName.violation(in: sixteen) == .tooLong)
    }

    @Test("an empty name is refused")
    func empty() {
        #expect(InterfaceName.violation(in: "") == .empty)
    }

    @Test("\".\" and \"..\" are refused; other dotted names are not", arguments: [
        (".", InterfaceName.Violation.dotOrDotDot), ("..", .dotOrDotDot), ("...", nil), ("eth0.10", nil),
    ] as [(String, InterfaceName.Violation?)])
    func dots(text: String, violation: InterfaceName.Violation?) {
        #expect(InterfaceName.violation(in: text) == violation)
    }

    @Test("'/', ':', NUL and the kernel's isspace() bytes are refused anywhere in the name", arguments: [
        "a/b", "a:b", "a\0b", "a\tb", "a\nb", "a\u{0B}b", "a\u{0C}b", "a\rb", "a b", "eth0 ",
    ])
    func forbiddenBytes(text: String) {
        #expect(InterfaceName.violation(in: text) == .forbiddenByte)
    }

    @Test("0xA0 is a space to the kernel in any character that holds it (U+00A0, 'à' = C3 A0)", arguments: [
        "a\u{A0}b", "\u{E0}",
    ])
    func latin1Space(text: String) {
        #expect(InterfaceName.violation(in: text) == .forbiddenByte)
    }

    @Test("Unicode spaces without such a byte are names the kernel takes", arguments: ["a\u{85}b", "a\u{2000}b"])
    func otherUnicodeSpaces(text: String) {
        #expect(InterfaceName.violation(in: text) == nil)
    }

    @Test("two spellings of one character are two names, as bytes differ")
    func byteEquality() throws {
        #expect(try InterfaceName("\u{E9}") != InterfaceName("e\u{301}"))
        #expect(try InterfaceName("eth0") == InterfaceName("eth0"))
    }

    @Test("CNI_IFNAME keeps the reference's code-4 messages", arguments: [
        ("", "interface name is empty", nil),
        ("sixteen-bytes-xx", "interface name is too long", "interface name should be less than 16 characters"),
        ("..", "interface name is . or ..", nil),
        ("a\tb", "interface name contains / or : or whitespace characters", nil),
        ("a\0b", "interface name contains / or : or whitespace characters", nil),
    ] as [(String, String, String?)])
    func cniIfnameMessages(text: String, message: String, details: String?) {
        let error = #expect(throws: CNIError.self) { try Identifiers.interfaceName(text) }
        #expect(error?.code == .invalidEnvironmentVariables)
        #expect(error?.message == message)
        #expect(error?.details == details)
    }
}
