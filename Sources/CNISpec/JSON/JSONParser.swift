import SystemSupport

/// Why a document could not be parsed, with the byte offset of the problem.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public let offset: Int

    /// Go's wording, without the offset (kept in `offset`).
    public var description: String { message }
}

/// A strict RFC 8259 parser over bytes.
///
/// It never traps and never recurses deeper than `maximumDepth`, so hostile
/// input (deep nesting, huge numbers, invalid UTF-8, trailing garbage) gets an
/// error rather than a crash. Invalid UTF-8 inside strings is replaced with
/// U+FFFD, as Go does.
public struct JSONParser {
    public static let maximumDepth = 128

    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        if parser.position == bytes.count {
            throw JSONParseError(message: "unexpected end of JSON input", offset: 0)
        }
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.position == bytes.count else {
            throw parser.error("invalid character after top-level value")
        }
        return value
    }

    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// An error worded like Go's `encoding/json` (`invalid character 'x'
    /// looking for beginning of value`): the offending character, the one
    /// at `position`, is named when the message is about one. At the end of
    /// the input that is a space, as in Go, whose scanner feeds one there
    /// (so a literal, number or escape cut short is "invalid character ' '
    /// in ...", and only a value missing altogether is "unexpected end").
    private func error(_ message: String) -> JSONParseError {
        guard message.hasPrefix("invalid character ") else {
            return JSONParseError(message: message, offset: position)
        }
        let rest = message.dropFirst("invalid character ".count)
        let character = position < bytes.count ? bytes[position] : UInt8(ascii: " ")
        return JSONParseError(message: "invalid character \(Self.quoted(character)) \(rest)", offset: position)
    }

    /// Go's `quoteChar`: the byte taken as the code point U+00XX, quoted as
    /// `strconv.Quote` quotes it, between single quotes.
    static func quoted(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "'"): return #"'\''"#
        case UInt8(ascii: "\""): return #"'"'"#
        case 0xA0, 0xAD: return "'\\u00" + String(byte, radix: 16) + "'"   // not printable for Go
        default:
            let text = GoQuote.quoted(String(Character(Unicode.Scalar(byte))))
            return "'" + text.dropFirst().dropLast() + "'"
        }
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard position < bytes.count else { throw error("unexpected end of JSON input") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("invalid character looking for beginning of value")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let start = literal.utf8Start
        // Byte by byte, as Go's scanner reads it: the first wrong byte is
        // named (at the end of the input, the space Go feeds there).
        for index in 0..<count {
            guard position < bytes.count, bytes[position] == start[index] else {
                let name = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
                throw error("invalid character in literal \(name) (expecting '\(Character(Unicode.Scalar(start[index])))')")
            }
            position += 1
        }
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > JSONParser.maximumDepth {
            throw error("invalid character exceeded max depth")
        }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        position += 1
        var object = JSONObject()
        skipWhitespace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of JSON input") }
            guard bytes[position] == UInt8(ascii: "\"") else {
                throw error("invalid character looking for beginning of object key string")
            }
            let key = try parseString()
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of JSON input") }
            guard bytes[position] == UInt8(ascii: ":") else {
                throw error("invalid character after object key")
            }
            position += 1
            skipWhitespace()
            let value = try parseValue()
            object.append(key, value)
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of JSON input") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(object)
            }
            throw error("invalid character after object key:value pair")
        }
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        position += 1
        var array: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(array)
        }
        while true {
            skipWhitespace()
            array.append(try parseValue())
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of JSON input") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(array)
            }
            throw error("invalid character after array element")
        }
    }

    private mutating func parseNumber() throws(JSONParseError) -> String {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count else { throw error("invalid character in numeric literal") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else if isDigit(bytes[position]) {
            while position < bytes.count && isDigit(bytes[position]) { position += 1 }
        } else {
            throw error("invalid character in numeric literal")
        }
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else {
                throw error("invalid character after decimal point in numeric literal")
            }
            while position < bytes.count && isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            position += 1
            if position < bytes.count && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")) {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else {
                throw error("invalid character in exponent of numeric literal")
            }
            while position < bytes.count && isDigit(bytes[position]) { position += 1 }
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        position += 1
        let start = position
        // Fast path: no escapes.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: bytes[start..<position], as: UTF8.self)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error("invalid character in string literal") }
            position += 1
        }
        var scalars: [UInt8] = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: scalars, as: UTF8.self)
            }
            if byte < 0x20 { throw error("invalid character in string literal") }
            if byte != UInt8(ascii: "\\") {
                scalars.append(byte)
                position += 1
                continue
            }
            position += 1
            guard position < bytes.count else { throw error("invalid character in string escape code") }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): scalars.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): scalars.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): scalars.append(0x08)
            case UInt8(ascii: "f"): scalars.append(0x0C)
            case UInt8(ascii: "n"): scalars.append(0x0A)
            case UInt8(ascii: "r"): scalars.append(0x0D)
            case UInt8(ascii: "t"): scalars.append(0x09)
            case UInt8(ascii: "u"):
                var code = try parseHex4()
                if (0xD800...0xDBFF).contains(code) {
                    // A high surrogate must be followed by a low one; otherwise U+FFFD.
                    if position + 6 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                       bytes[position + 1] == UInt8(ascii: "u") {
                        let saved = position
                        position += 2
                        let low = try parseHex4()
                        if (0xDC00...0xDFFF).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            position = saved
                            code = 0xFFFD
                        }
                    } else {
                        code = 0xFFFD
                    }
                } else if (0xDC00...0xDFFF).contains(code) {
                    code = 0xFFFD
                }
                let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                position -= 1   // Go names the character after the backslash
                throw error("invalid character in string escape code")
            }
        }
        throw error("unexpected end of JSON input")
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard position < bytes.count else { throw error("invalid character in \\u hexadecimal character escape") }
            let byte = bytes[position]
            let nibble: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("invalid character in \\u hexadecimal character escape")
            }
            value = value << 4 | nibble
            position += 1
        }
        return value
    }
}
