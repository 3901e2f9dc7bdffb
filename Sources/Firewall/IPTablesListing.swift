/// The parsed output of `iptables -t <table> -S`: which chains exist and
/// every rule, in listing order. Pure; lines it does not understand are
/// skipped.
struct IPTablesListing: Sendable {
    /// Built-in chains (`-P`) and user chains (`-N`), in listing order.
    private(set) var chains: [String] = []
    private(set) var rules: [IPTablesRule] = []

    init(parsing text: String) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("-P ") || line.hasPrefix("-N ") {
                if let tokens = IPTablesRule.tokenize(line), tokens.count >= 2 {
                    chains.append(tokens[1])
                }
            } else if let rule = IPTablesRule(listingLine: line) {
                rules.append(rule)
            }
        }
    }

    func hasChain(_ chain: String) -> Bool { chains.contains(chain) }

    func rules(in chain: String) -> [IPTablesRule] { rules.filter { $0.chain == chain } }

    func contains(_ rule: IPTablesRule) -> Bool { rules.contains(rule) }

    /// Rules in other chains that jump or go to `chain`: they must be deleted
    /// before `chain` can be.
    func rulesReferencing(_ chain: String) -> [IPTablesRule] {
        rules.filter { $0.chain != chain && $0.target == chain }
    }
}
