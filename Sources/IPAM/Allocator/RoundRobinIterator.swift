import CNISpec

/// The candidates of one range set in round-robin order, exactly as the
/// reference's `RangeIter` yields them:
///
/// - If the last reserved address lies in the set, start right after it
///   (in its range; past `rangeEnd`, the next range's `rangeStart`, wrapping
///   from the last range to the first). Otherwise start at the first range's
///   `rangeStart`.
/// - Never yield a range's gateway.
/// - Stop when the walk comes back to its first candidate: every address is
///   yielded at most once, and the last reserved address itself comes last.
struct RoundRobinIterator: IteratorProtocol {
    private let ranges: [IPRange]
    private var rangeIndex: Int
    private var cursor: IPAddress?
    private var startAddress: IPAddress?

    init(rangeSet: RangeSet, lastReserved: IPAddress?) {
        ranges = rangeSet.ranges
        if let last = lastReserved?.unmapped, let index = ranges.firstIndex(where: { $0.contains(last) }) {
            rangeIndex = index
            cursor = last
            startAddress = nil
        } else {
            rangeIndex = 0
            cursor = nil
            startAddress = ranges[0].rangeStart
        }
    }

    /// The next candidate and the range it belongs to, or nil after a full
    /// loop.
    mutating func next() -> (address: IPAddress, range: IPRange)? {
        while true {
            var range = ranges[rangeIndex]
            guard let current = cursor else {
                // A walk that does not start after a last reserved address
                // starts *at* rangeStart.
                cursor = range.rangeStart
                startAddress = range.rangeStart
                if range.rangeStart == range.gateway { continue }
                return (range.rangeStart, range)
            }
            let candidate: IPAddress
            if current == range.rangeEnd {
                rangeIndex = (rangeIndex + 1) % ranges.count
                range = ranges[rangeIndex]
                candidate = range.rangeStart
            } else {
                // current < rangeEnd, so it has a successor.
                candidate = current.successor!
            }
            cursor = candidate
            if let start = startAddress {
                if candidate == start { return nil }
            } else {
                startAddress = candidate
            }
            if candidate == range.gateway { continue }
            return (candidate, range)
        }
    }
}
