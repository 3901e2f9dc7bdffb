import CNISpec
import SystemSupport

/// Names and rules of the iptables masquerade backend, and the
/// `iptables-restore` lines that bring a listed `nat` table to the wanted
/// state. Pure: no process is run here.
///
/// Compatible with the reference (`pkg/ip/ipmasq_iptables_linux.go`):
/// - chain `CNI-` + the first 24 hex digits of sha512(network + containerID);
/// - comment `name: "<network>" id: "<containerID>"` (Go `%q` quoting);
/// - per address, in table `nat`:
///   `-A <chain> -d <subnet> -m comment --comment C -j ACCEPT`,
///   `-A <chain> ! -d 224.0.0.0/4 (ff00::/8) -m comment --comment C -j MASQUERADE`,
///   `-A POSTROUTING -s <ip>/32 (/128) -m comment --comment C -j <chain>`.
/// Addition: each `nonMasqueradeCIDRs` entry of the family is one more
/// `-A <chain> -d <cidr> -m comment --comment C -j ACCEPT` after the
/// subnet ACCEPTs, before the MASQUERADE: inside the attachment's chain, so
/// the reference's teardown (flush and delete the chain) removes it too.
/// The ifname is not part of the chain or comment (the reference ignores
/// it), so all interfaces of one container in one network share a chain,
/// and tearing one of them down removes the masquerading of all of them.
enum IPTablesMasqueradePlan {
    static let chainPrefix = "CNI-"

    static func chainName(network: String, containerID: String) -> String {
        chainPrefix + SHA512.hexDigest(network + containerID).prefix(24)
    }

    static func comment(network: String, containerID: String) -> String {
        "name: \(GoQuote.quoted(network)) id: \(GoQuote.quoted(containerID))"
    }

    /// Inverse of `comment` for names and IDs without escapes (all CNI names
    /// and IDs): returns nil for anything else, which then is never matched.
    static func parseComment(_ comment: String) -> (network: String, containerID: String)? {
        guard comment.hasPrefix("name: \""), comment.hasSuffix("\""),
              let separator = comment.firstRange(ofText: "\" id: \"")
        else { return nil }
        let network = String(comment[comment.index(comment.startIndex, offsetBy: 7)..<separator.lowerBound])
        let containerID = String(comment[separator.upperBound..<comment.index(before: comment.endIndex)])
        guard !network.contains("\\"), !network.contains("\""), !containerID.contains("\\"), !containerID.contains("\"") else {
            return nil
        }
        return (network, containerID)
    }

    /// Whether `name` has the shape of a masquerade chain (`CNI-` + 24 lowercase hex).
    static func isMasqueradeChainName(_ name: String) -> Bool {
        guard name.hasPrefix(chainPrefix), name.utf8.count == 28 else { return false }
        return name.utf8.dropFirst(4).allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    static func multicastNetwork(_ family: IPFamily) -> String {
        family == .v4 ? "224.0.0.0/4" : "ff00::/8"
    }

    /// `-A <chain> -d <subnet> … -j ACCEPT`: traffic to the container's own subnet is left alone.
    static func acceptRule(chain: String, comment: String, address: CIDR) -> IPTablesRule {
        IPTablesRule(chain: chain, spec: ["-d", address.network.description, "-m", "comment", "--comment", comment, "-j", "ACCEPT"])
    }

    /// `-A <chain> ! -d <multicast> … -j MASQUERADE`.
    static func masqueradeRule(chain: String, comment: String, family: IPFamily) -> IPTablesRule {
        IPTablesRule(chain: chain, spec: ["!", "-d", multicastNetwork(family), "-m", "comment", "--comment", comment, "-j", "MASQUERADE"])
    }

    /// `-A POSTROUTING -s <ip>/<full> … -j <chain>`: sends the container's traffic into its chain.
    static func postroutingRule(chain: String, comment: String, address: CIDR) -> IPTablesRule {
        let host = "\(address.address)/\(address.family.bitWidth)"
        return IPTablesRule(chain: "POSTROUTING", spec: ["-s", host, "-m", "comment", "--comment", comment, "-j", chain])
    }

    /// Every rule `setUp` wants for `addresses` (all of one family), in
    /// order: the chain's ACCEPTs (own subnets, then the `nonMasquerade`
    /// prefixes of that family), its one MASQUERADE, then the POSTROUTING
    /// jumps. No rule appears twice.
    static func wantedRules(network: String, containerID: String, addresses: [CIDR], nonMasquerade: [CIDR] = []) -> [IPTablesRule] {
        guard let family = addresses.first?.family else { return [] }
        let chain = chainName(network: network, containerID: containerID)
        let comment = comment(network: network, containerID: containerID)
        var rules: [IPTablesRule] = []
        func append(_ rule: IPTablesRule) { if !rules.contains(rule) { rules.append(rule) } }
        for address in addresses { append(acceptRule(chain: chain, comment: comment, address: address)) }
        for destination in nonMasquerade where destination.family == family {
            append(acceptRule(chain: chain, comment: comment, address: destination))
        }
        append(masqueradeRule(chain: chain, comment: comment, family: family))
        for address in addresses { append(postroutingRule(chain: chain, comment: comment, address: address)) }
        return rules
    }

    /// The restore lines that bring `listing` to the wanted rules for
    /// `addresses` (all of one family); empty when everything is there. A
    /// missing chain is created and filled; an existing chain whose rules
    /// differ from the wanted ones (another subnet, other exemptions: order
    /// matters, an ACCEPT after the MASQUERADE would never match) is
    /// flushed and refilled in one go. Missing POSTROUTING jumps are
    /// appended; other jumps are kept.
    static func setUpLines(listing: IPTablesListing, network: String, containerID: String, addresses: [CIDR], nonMasquerade: [CIDR] = []) -> [String] {
        let chain = chainName(network: network, containerID: containerID)
        let wanted = wantedRules(network: network, containerID: containerID, addresses: addresses, nonMasquerade: nonMasquerade)
        let chainRules = wanted.filter { $0.chain == chain }
        var lines: [String] = []
        if !listing.hasChain(chain) {
            lines.append("-N \(chain)")
            lines += chainRules.map { $0.restoreLine("-A") }
        } else if listing.rules(in: chain) != chainRules {
            lines.append("-F \(chain)")
            lines += chainRules.map { $0.restoreLine("-A") }
        }
        for rule in wanted where rule.chain != chain && !listing.contains(rule) {
            lines.append(rule.restoreLine("-A"))
        }
        return lines
    }

    /// The lines of a setUp in a table where the chain does not exist yet:
    /// applied without listing first. If the chain does exist, `-N` fails
    /// and the whole restore with it, changing nothing.
    static func freshSetUpLines(network: String, containerID: String, addresses: [CIDR], nonMasquerade: [CIDR] = []) -> [String] {
        let chain = chainName(network: network, containerID: containerID)
        return ["-N \(chain)"] + wantedRules(network: network, containerID: containerID, addresses: addresses, nonMasquerade: nonMasquerade)
            .map { $0.restoreLine("-A") }
    }

    /// The restore lines that remove `chain`: every rule referencing it
    /// (POSTROUTING jumps in any form, with or without the IPs), then the
    /// chain itself. Empty when neither exists.
    static func removalLines(listing: IPTablesListing, chain: String) -> [String] {
        var lines = listing.rulesReferencing(chain).map { $0.restoreLine("-D") }
        if listing.hasChain(chain) {
            lines.append("-F \(chain)")
            lines.append("-X \(chain)")
        }
        return lines
    }

    static func tearDownLines(listing: IPTablesListing, network: String, containerID: String) -> [String] {
        removalLines(listing: listing, chain: chainName(network: network, containerID: containerID))
    }

    /// A container's chain as a listing shows it: its rules and the rules
    /// jumping into it. What a setUp that joined an existing chain (another
    /// interface of the container has it, or someone left it) found there.
    struct ChainState: Equatable {
        let chain: String
        let rules: [IPTablesRule]
        let jumps: [IPTablesRule]

        init(listing: IPTablesListing, chain: String) {
            self.chain = chain
            rules = listing.rules(in: chain)
            jumps = listing.rulesReferencing(chain)
        }
    }

    /// The restore lines that bring `listing` back to `state`: the chain
    /// (created if gone) refilled with its former rules if they differ,
    /// jumps added since deleted, jumps gone since put back. Empty when
    /// nothing changed.
    static func restoreLines(listing: IPTablesListing, to state: ChainState) -> [String] {
        var lines: [String] = []
        if !listing.hasChain(state.chain) {
            lines.append("-N \(state.chain)")
            lines += state.rules.map { $0.restoreLine("-A") }
        } else if listing.rules(in: state.chain) != state.rules {
            lines.append("-F \(state.chain)")
            lines += state.rules.map { $0.restoreLine("-A") }
        }
        for jump in listing.rulesReferencing(state.chain) where !state.jumps.contains(jump) {
            lines.append(jump.restoreLine("-D"))
        }
        for jump in state.jumps where !listing.contains(jump) {
            lines.append(jump.restoreLine("-A"))
        }
        return lines
    }

    /// The restore lines that remove the chains of `network` whose container
    /// is not in `validContainerIDs`. A chain belongs to `network` when one of
    /// its rules carries a comment naming `network` and some container ID,
    /// and the chain's name is the one derived from exactly those two (so
    /// portmap's `CNI-DN-…` chains and foreign chains are never matched).
    static func garbageCollectLines(listing: IPTablesListing, network: String, validContainerIDs: Set<String>) -> [String] {
        var lines: [String] = []
        for chain in listing.chains where isMasqueradeChainName(chain) {
            let owner = listing.rules(in: chain).lazy.compactMap { $0.comment.flatMap(parseComment) }.first
            guard let owner, owner.network == network,
                  chainName(network: owner.network, containerID: owner.containerID) == chain,
                  !validContainerIDs.contains(owner.containerID)
            else { continue }
            lines += removalLines(listing: listing, chain: chain)
        }
        return lines
    }

    /// The wanted rules absent from `listing`, as `-A` lines (for CHECK).
    static func missingRules(listing: IPTablesListing, network: String, containerID: String, addresses: [CIDR], nonMasquerade: [CIDR] = []) -> [IPTablesRule] {
        wantedRules(network: network, containerID: containerID, addresses: addresses, nonMasquerade: nonMasquerade)
            .filter { !listing.contains($0) }
    }

    /// An `iptables-restore --noflush` document applying `lines` to `nat`.
    static func restoreDocument(_ lines: [String]) -> String {
        "*nat\n" + lines.map { $0 + "\n" }.joined() + "COMMIT\n"
    }
}
