/// The parsed text output of `nft -a list table …` / `nft -a list chain …`:
/// chains with their comments and rules with their handles and comments.
/// Pure.
///
/// The text form is stable across nft 0.9–1.1: a chain opens with
/// `chain NAME { # handle N`, its comment is a line `comment "…"` without a
/// handle, and every rule line ends in `# handle N` with the rule's own
/// comment, when it has one, printed last as `comment "…"`. Sets, maps and
/// other blocks are skipped by brace counting.
struct NFTListing: Sendable {
    struct Chain: Hashable, Sendable {
        var name: String
        var comment: String?
        /// `type … hook … priority …; policy …;` for a base chain.
        var hook: String?
    }

    struct Rule: Hashable, Sendable {
        var chain: String
        var handle: Int
        /// The rule as printed, without the trailing `# handle N`.
        var text: String
        var comment: String?
    }

    private(set) var chains: [Chain] = []
    private(set) var rules: [Rule] = []

    init(parsing output: String) {
        var currentChain: Int? = nil
        var skipDepth = 0
        for rawLine in output.split(separator: "\n") {
            let line = rawLine.trimmingBlanks
            if skipDepth > 0 {
                skipDepth += NFTListing.braceBalance(line)
                continue
            }
            if line.isEmpty { continue }
            if let index = currentChain {
                if line == "}" {
                    currentChain = nil
                } else if let (body, handle) = NFTListing.splitHandle(line) {
                    rules.append(Rule(chain: chains[index].name, handle: handle, text: body, comment: NFTListing.trailingComment(body)))
                } else if line.hasPrefix("comment \"") {
                    chains[index].comment = NFTListing.trailingComment(line)
                } else if line.hasPrefix("type ") {
                    chains[index].hook = String(line)
                }
                continue
            }
            if line.hasPrefix("table ") || line == "}" || line.hasPrefix("comment ") || line.hasPrefix("flags ") {
                continue
            }
            if line.hasPrefix("chain ") {
                let name = line.dropFirst(6).prefix { $0 != " " && $0 != "{" }
                chains.append(Chain(name: String(name)))
                currentChain = chains.count - 1
                continue
            }
            // A set, map, flowtable, counter… block: skip to its end.
            skipDepth = NFTListing.braceBalance(line)
        }
    }

    func chain(named name: String) -> Chain? { chains.first { $0.name == name } }

    func rules(in chain: String) -> [Rule] { rules.filter { $0.chain == chain } }

    /// `body` and N when `line` ends in `# handle N`.
    private static func splitHandle(_ line: Substring) -> (String, Int)? {
        guard let marker = line.lastRange(ofText: " # handle "),
              let handle = Int(line[marker.upperBound...])
        else { return nil }
        return (String(line[..<marker.lowerBound]), handle)
    }

    /// The text of a final `comment "…"` clause, if `text` ends with one.
    /// Comments written by this module contain no double quote.
    static func trailingComment<S: StringProtocol>(_ text: S) -> String? {
        guard text.hasSuffix("\"") else { return nil }
        let body = text.dropLast()
        if body.hasPrefix("comment \"") {
            return String(body.dropFirst(9))
        }
        guard let start = body.firstRange(ofText: " comment \"") else { return nil }
        return String(body[start.upperBound...])
    }

    private static func braceBalance(_ line: Substring) -> Int {
        var balance = 0
        var inQuotes = false
        for character in line {
            if character == "\"" { inQuotes.toggle() }
            if inQuotes { continue }
            if character == "{" { balance += 1 }
            if character == "}" { balance -= 1 }
        }
        return balance
    }
}

private extension Substring {
    var trimmingBlanks: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text.removeLast() }
        return text
    }
}
