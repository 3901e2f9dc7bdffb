import TestKit

/// What the node's netfilter holds for one attachment, whatever backend put
/// it there. Container IDs are unique per test, so a rule that mentions one
/// belongs to that test.
enum Firewall {
    /// The two `ipMasqBackend` values.
    static let backends = ["iptables", "nftables"]

    /// Every nat rule (iptables, ip6tables) and nftables rule line whose
    /// text names `containerID` (in its comment).
    static func rules(mentioning containerID: String) throws -> [String] {
        var lines: [String] = []
        for tool in ["iptables", "ip6tables"] {
            lines += try Tool.run(tool, "-w", "-t", "nat", "-S").split(separator: "\n").map(String.init)
        }
        lines += try Tool.run("nft", "list", "ruleset").split(separator: "\n").map(String.init)
        return lines.filter { $0.contains(containerID) }
    }

    /// The iptables masquerade chain of an attachment:
    /// `CNI-` + the first 24 hex digits of sha512(network + containerID).
    static func chainName(network: String, containerID: String) throws -> String {
        let digest = try Tool.run("sha512sum", stdin: network + containerID)
        return "CNI-" + digest.prefix(24)
    }

    /// Whether `chain` exists in the nat table of iptables or ip6tables.
    static func chainExists(_ chain: String) throws -> Bool {
        for tool in ["iptables", "ip6tables"] {
            let lines = try Tool.run(tool, "-w", "-t", "nat", "-S").split(separator: "\n")
            if lines.contains(where: { $0 == "-N \(chain)" }) { return true }
        }
        return false
    }

    /// Everything an attachment's masquerading left behind: rules naming
    /// it and its iptables chain.
    static func leftovers(network: String, containerID: String) throws -> [String] {
        var found = try rules(mentioning: containerID)
        let chain = try chainName(network: network, containerID: containerID)
        if try chainExists(chain) { found.append("chain \(chain)") }
        return found
    }

    /// Deletes the attachment's masquerade rule(s), as an administrator
    /// flushing rules by hand would: the iptables chain's rules, or the
    /// nftables rules that name the container.
    static func deleteMasqueradeRules(backend: String, network: String, containerID: String) throws {
        if backend == "iptables" {
            let chain = try chainName(network: network, containerID: containerID)
            try Tool.run("iptables", "-w", "-t", "nat", "-F", chain)
        } else {
            let listing = try Tool.run("nft", "-a", "list", "chain", "inet", "cni_plugins_masquerade", "masq_checks")
            for line in listing.split(separator: "\n") where line.contains(containerID) {
                guard let handle = line.split(separator: " ").last else { continue }
                try Tool.run("nft", "delete", "rule", "inet", "cni_plugins_masquerade", "masq_checks",
                             "handle", String(handle))
            }
        }
    }

    /// Deletes the attachment's exemption for `destination` only: its
    /// ACCEPT in the iptables chain, or its nftables `return` rule.
    static func deleteExemption(backend: String, network: String, containerID: String, destination: String) throws {
        if backend == "iptables" {
            let chain = try chainName(network: network, containerID: containerID)
            let listing = try Tool.run("iptables", "-w", "-t", "nat", "-S", chain)
            for line in listing.split(separator: "\n") where line.hasPrefix("-A ") && line.contains("-d \(destination) ") {
                try Tool.run(["sh", "-c", "iptables -w -t nat -D " + line.dropFirst(3)])
            }
        } else {
            let listing = try Tool.run("nft", "-a", "list", "chain", "inet", "cni_plugins_masquerade", "masq_checks")
            for line in listing.split(separator: "\n") where line.contains(containerID) && line.contains("daddr \(destination) return") {
                guard let handle = line.split(separator: " ").last else { continue }
                try Tool.run("nft", "delete", "rule", "inet", "cni_plugins_masquerade", "masq_checks",
                             "handle", String(handle))
            }
        }
    }
}
