import CNISpec

/// One iptables rule in the form `iptables -S` prints it: the chain it sits
/// in and the rule specification after `-A <chain>`, as unquoted tokens.
///
/// Addresses after `-s`/`-d` are normalised to `address/prefix` in canonical
/// text, so a rule we generate compares equal to the same rule as listed by
/// either iptables-legacy or iptables-nft.
struct IPTablesRule: Hashable, Sendable, CustomStringConvertible {
    var chain: String
    var spec: [String]

    init(chain: String, spec: [String]) {
        self.chain = chain
        self.spec = IPTablesRule.normalised(spec)
    }

    /// Parses one `-A <chain> <spec…>` line of `iptables -S`; nil for any
    /// other line (`-P`, `-N`, blank).
    init?(listingLine line: Substring) {
        guard let tokens = IPTablesRule.tokenize(line), tokens.count >= 2, tokens[0] == "-A" else { return nil }
        self.init(chain: tokens[1], spec: Array(tokens[2...]))
    }

    /// The value of `--comment`, if the rule has one.
    var comment: String? { value(after: "--comment") }

    /// The chain this rule jumps or goes to (`-j X` / `-g X`), if any.
    var target: String? { value(after: "-j") ?? value(after: "-g") }

    private func value(after option: String) -> String? {
        guard let index = spec.firstIndex(of: option), index + 1 < spec.count else { return nil }
        return spec[index + 1]
    }

    /// The rule as an `iptables-restore` line: `-A chain …`, `-D chain …` or
    /// `-I chain 1 …`.
    func restoreLine(_ command: String, position: Int? = nil) -> String {
        var parts = [command, IPTablesRule.quoted(chain)]
        if let position { parts.append(String(position)) }
        parts += spec.map(IPTablesRule.quoted)
        return parts.joined(separator: " ")
    }

    var description: String { restoreLine("-A") }

    /// Quotes a token the way `iptables -S` does, which is also what
    /// `iptables-restore` reads: bare when it has no space, quote or
    /// backslash; otherwise in double quotes with `"` and `\` escaped. Comment
    /// values are always quoted, as iptables prints them.
    static func quoted(_ token: String) -> String {
        let needsQuotes = token.isEmpty || token.contains(where: { $0 == " " || $0 == "\"" || $0 == "\\" || $0 == "\t" || $0 == "'" })
        guard needsQuotes else { return token }
        var result = "\""
        for character in token {
            if character == "\"" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result + "\""
    }

    /// Splits an `iptables -S` line into tokens: whitespace-separated, with
    /// double-quoted tokens whose `\"` and `\\` escapes are undone. Nil on an
    /// unterminated quote.
    static func tokenize(_ line: Substring) -> [String]? {
        var tokens: [String] = []
        var current = ""
        var inToken = false
        var inQuotes = false
        var escaped = false
        for character in line {
            if inQuotes {
                if escaped {
                    current.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inQuotes = false
                } else {
                    current.append(character)
                }
                continue
            }
            if character == " " || character == "\t" || character == "\n" || character == "\r" {
                if inToken { tokens.append(current); current = ""; inToken = false }
            } else if character == "\"" {
                inQuotes = true
                inToken = true
            } else {
                current.append(character)
                inToken = true
            }
        }
        guard !inQuotes else { return nil }
        if inToken { tokens.append(current) }
        return tokens
    }

    /// Rewrites the operand of every `-s`/`-d` to canonical `address/prefix`.
    private static func normalised(_ spec: [String]) -> [String] {
        var spec = spec
        for index in spec.indices.dropLast() where spec[index] == "-s" || spec[index] == "-d" {
            spec[index + 1] = canonicalNetwork(spec[index + 1])
        }
        return spec
    }

    private static func canonicalNetwork(_ text: String) -> String {
        if let cidr = CIDR(text) { return cidr.description }
        if let address = IPAddress(text) { return "\(address)/\(address.family.bitWidth)" }
        return text
    }
}
