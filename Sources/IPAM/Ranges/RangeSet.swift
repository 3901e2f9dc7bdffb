import CNISpec

/// A validated range set: one pool made of disjoint ranges of one family.
/// host-local hands out one address per range set, walking its ranges in
/// order.
///
/// Invariants: at least one range; all ranges share a family; no two ranges
/// overlap (so an address belongs to at most one range of the set).
public struct RangeSet: Hashable, Sendable, CustomStringConvertible {
    public let ranges: [IPRange]

    /// Checks already validated ranges.
    ///
    /// - Throws: code 7, `empty range set`, `mixed address families` or
    ///   `subnets A and B overlap` (without the `invalid range set N: `
    ///   prefix; see `init(index:configs:)`).
    public init(_ ranges: [IPRange]) throws(CNIError) {
        guard let first = ranges.first else { throw RangeSet.invalid("empty range set") }
        for range in ranges.dropFirst() where range.family != first.family {
            throw RangeSet.invalid("mixed address families")
        }
        for (offset, earlier) in ranges.enumerated() {
            for later in ranges[(offset + 1)...] where earlier.overlaps(later) {
                throw RangeSet.invalid("subnets \(earlier) and \(later) overlap")
            }
        }
        self.ranges = ranges
    }

    /// Validates the configured ranges of range set number `index`, in the
    /// reference's order (each range, then the family against the first,
    /// then overlaps), with its messages: `invalid range set N: <reason>`.
    public init(index: Int, configs: [RangeConfig]) throws(CNIError) {
        do throws(CNIError) {
            var ranges: [IPRange] = []
            for config in configs {
                let range = try IPRange(config)
                if let first = ranges.first, first.family != range.family {
                    throw RangeSet.invalid("mixed address families")
                }
                ranges.append(range)
            }
            try self.init(ranges)
        } catch {
            throw error.prefixed("invalid range set \(index)")
        }
    }

    /// Checks that no two range sets overlap.
    ///
    /// - Throws: code 7, `range set I overlaps with J` for the first pair.
    public static func checkDisjoint(_ sets: [RangeSet]) throws(CNIError) {
        for (i, earlier) in sets.enumerated() {
            for j in sets.indices where j > i && earlier.overlaps(sets[j]) {
                throw RangeSet.invalid("range set \(i) overlaps with \(j)")
            }
        }
    }

    public var family: IPFamily { ranges[0].family }

    /// Whether any range holds `address` (gateways included).
    public func contains(_ address: IPAddress) -> Bool { range(for: address) != nil }

    /// The range holding `address`.
    public func range(for address: IPAddress) -> IPRange? {
        ranges.first { $0.contains(address) }
    }

    /// Whether any range of one set overlaps any range of the other.
    public func overlaps(_ other: RangeSet) -> Bool {
        ranges.contains { mine in other.ranges.contains { mine.overlaps($0) } }
    }

    /// `start-end[,start-end...]`, as the reference's messages print a set.
    public var description: String { ranges.map(\.description).joined(separator: ",") }

    /// How many addresses the set can hand out.
    var capacity: UInt128 {
        ranges.reduce(0) { total, range in
            let (sum, overflow) = total.addingReportingOverflow(range.capacity)
            return overflow ? .max : sum
        }
    }

    private static func invalid(_ message: String) -> CNIError {
        CNIError(.invalidNetworkConfig, message)
    }
}
