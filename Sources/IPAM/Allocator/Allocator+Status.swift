import CNISpec

extension Allocator {
    /// The indexes of the range sets that have no free address left: the
    /// condition for STATUS to fail with code 50.
    ///
    /// Cheap unless a set is nearly full: it probes the addresses that the
    /// next allocation would try (from the last reserved one), and only
    /// when the first `probeLimit` are all taken does it count the taken
    /// names of the store (names only, no content read). Needs no lock; the
    /// answer is a snapshot.
    public func exhaustedRangeSets(probeLimit: Int = 64) throws(CNIError) -> [Int] {
        var taken: Set<IPAddress>? = nil
        var exhausted: [Int] = []
        for (index, rangeSet) in rangeSets.enumerated() {
            var candidates = RoundRobinIterator(rangeSet: rangeSet, lastReserved: store.lastReservedAddress(rangeSetIndex: index))
            var probes = 0
            var free = false
            var walkedAll = true
            while let (address, _) = candidates.next() {
                if probes == probeLimit {
                    walkedAll = false
                    break
                }
                probes += 1
                if try !store.isTaken(address) {
                    free = true
                    break
                }
            }
            if !free && !walkedAll {
                if taken == nil { taken = try store.takenAddresses() }
                let used = taken!.lazy.filter { address in
                    guard let range = rangeSet.range(for: address) else { return false }
                    return address != range.gateway
                }.count
                free = UInt128(used) < rangeSet.capacity
            }
            if !free { exhausted.append(index) }
        }
        return exhausted
    }
}
