import CNISpec

/// host-local's allocation logic over any `AllocationStore`: one address per
/// range set, round-robin, static requests, duplicate detection, release,
/// lookup, garbage collection and an exhaustion probe.
///
/// Pure logic; the caller provides the locking (`DiskStore.withLock`
/// around a whole call). Behaviour follows the reference (REFERENCE §3.2,
/// §3.3, §3.6) except where noted on each method.
public struct Allocator<Store: AllocationStore> {
    public let rangeSets: [RangeSet]
    public let store: Store

    public init(rangeSets: [RangeSet], store: Store) {
        self.rangeSets = rangeSets
        self.store = store
    }

    /// Allocates one address per range set for `attachment`, in
    /// range set order.
    ///
    /// A range set that contains one of `requestedIPs` gets exactly that
    /// address (the first such request, in request order); the others get
    /// the next free address after the set's last reserved one. Requests
    /// are deduplicated; a request that no range set takes fails the call.
    ///
    /// Differences from the reference: when a later range set fails, only
    /// the addresses reserved by this call are released (the reference
    /// releases every reservation of the attachment, including older ones);
    /// a static request is refused as a duplicate, as a dynamic one is,
    /// when the attachment already holds an address of the set (the
    /// reference skips that check).
    ///
    /// - Throws: `failed to allocate for range N: <reason>` where reason is
    ///   `no IP addresses available in range set: <set>` (code 11),
    ///   `requested IP address X is not available in range set <set>`
    ///   (code 11), `requested ip X is subnet's gateway` (code 7) or
    ///   `X has been allocated to <id>, duplicate allocation is not allowed`
    ///   (code 999, as the reference; the runtime asked for ADD twice); or
    ///   `failed to allocate all requested IPs: X [Y...]` (code 7); or I/O
    ///   errors (code 999).
    public func allocate(for attachment: Attachment, requestedIPs: [IPAddress] = []) throws(CNIError) -> [AllocatedIP] {
        let key = ReservationKey.attachment(attachment)
        var pending: [IPAddress] = []
        for address in requestedIPs.map(\.unmapped) where !pending.contains(address) {
            pending.append(address)
        }
        var allocated: [AllocatedIP] = []
        for (index, rangeSet) in rangeSets.enumerated() {
            var requested: IPAddress? = nil
            if let position = pending.firstIndex(where: { rangeSet.contains($0) }) {
                requested = pending.remove(at: position)
            }
            do {
                let ip: AllocatedIP
                if let requested {
                    ip = try reserveRequested(requested, in: rangeSet, index: index, key: key, containerID: attachment.containerID)
                } else {
                    ip = try reserveNext(in: rangeSet, index: index, key: key, containerID: attachment.containerID)
                }
                allocated.append(ip)
            } catch {
                rollBack(allocated, key: key)
                throw error.prefixed("failed to allocate for range \(index)")
            }
        }
        if !pending.isEmpty {
            rollBack(allocated, key: key)
            throw CNIError(
                .invalidNetworkConfig,
                "failed to allocate all requested IPs: " + pending.map(\.description).joined(separator: " "))
        }
        return allocated
    }

    /// Releases the reservations of `attachment`; if it has none,
    /// the legacy reservations of `containerID` alone.
    ///
    /// Like the reference, which releases once per range set: with two or
    /// more range sets the second round finds no exact match and so also
    /// removes legacy reservations of `containerID`. Releases across the
    /// whole store, whatever the configured ranges. Idempotent. Best effort:
    /// keeps going after a failure.
    ///
    /// - Returns: what was released.
    /// - Throws: the failures, joined with `;`, with the first one's code
    ///   (11 on a read-only store, else 999).
    @discardableResult
    public func release(_ attachment: Attachment) throws(CNIError) -> [Reservation] {
        guard !rangeSets.isEmpty else { return [] }
        var released: [Reservation] = []
        var failures: [CNIError] = []
        releaseAll(for: .attachment(attachment), into: &released, failures: &failures)
        if released.isEmpty || rangeSets.count >= 2 {
            releaseAll(for: .legacy(containerID: attachment.containerID), into: &released, failures: &failures)
        }
        if let failure = CNIError(joining: failures) { throw failure }
        return released
    }

    /// The addresses held by `attachment`, or else by the legacy
    /// reservations of `containerID`: what the reference's CHECK looks for
    /// (anywhere in the store, whatever the ranges).
    public func find(_ attachment: Attachment) throws(CNIError) -> [IPAddress] {
        let exact = try store.reservations(for: .attachment(attachment))
        if !exact.isEmpty { return exact.map(\.address) }
        return try store.reservations(for: .legacy(containerID: attachment.containerID)).map(\.address)
    }

    // MARK: Steps

    /// A static request. Unlike the reference (REFERENCE §3.8), it is
    /// refused when the attachment already holds an address of this set,
    /// exactly as a dynamic one is: that check comes first, before what is
    /// wrong with the request itself (the subnet's gateway, say).
    private func reserveRequested(
        _ address: IPAddress, in rangeSet: RangeSet, index: Int, key: ReservationKey, containerID: String
    ) throws(CNIError) -> AllocatedIP {
        try refuseDuplicate(in: rangeSet, key: key, containerID: containerID)
        guard let range = rangeSet.range(for: address) else {
            throw CNIError(.invalidNetworkConfig, "\(address) not in range set \(rangeSet)")
        }
        if address == range.gateway {
            throw CNIError(.invalidNetworkConfig, "requested ip \(address) is subnet's gateway")
        }
        guard try store.reserve(address, for: key, rangeSetIndex: index) else {
            throw CNIError(.tryAgainLater, "requested IP address \(address) is not available in range set \(rangeSet)")
        }
        return AllocatedIP(range: range, address: address, rangeSetIndex: index)
    }

    /// Fails when the attachment already holds an address of `rangeSet` (a
    /// legacy reservation of the container counts too): the runtime asked
    /// for ADD twice.
    private func refuseDuplicate(in rangeSet: RangeSet, key: ReservationKey, containerID: String) throws(CNIError) {
        let held = try store.reservations(for: key) + store.reservations(for: .legacy(containerID: containerID))
        if let duplicate = held.sorted(by: { $0.name < $1.name }).first(where: { rangeSet.contains($0.address) }) {
            throw CNIError(.internal, "\(duplicate.address) has been allocated to \(containerID), duplicate allocation is not allowed")
        }
    }

    private func reserveNext(
        in rangeSet: RangeSet, index: Int, key: ReservationKey, containerID: String
    ) throws(CNIError) -> AllocatedIP {
        // 1. The attachment must not hold an address of this set already.
        try refuseDuplicate(in: rangeSet, key: key, containerID: containerID)
        // 2. Walk round-robin from the last reserved address.
        var candidates = RoundRobinIterator(rangeSet: rangeSet, lastReserved: store.lastReservedAddress(rangeSetIndex: index))
        while let (address, range) = candidates.next() {
            if try store.reserve(address, for: key, rangeSetIndex: index) {
                return AllocatedIP(range: range, address: address, rangeSetIndex: index)
            }
        }
        throw CNIError(.tryAgainLater, "no IP addresses available in range set: \(rangeSet)")
    }

    /// Releases what this call reserved; errors are ignored, as the
    /// reference ignores them.
    private func rollBack(_ allocated: [AllocatedIP], key: ReservationKey) {
        let recorded = ReservationKey(fileContent: key.bytes)
        for ip in allocated {
            let address = ip.address.address
            _ = try? store.release(Reservation(address: address, key: recorded, name: address.description))
        }
    }

    private func releaseAll(for key: ReservationKey, into released: inout [Reservation], failures: inout [CNIError]) {
        let reservations: [Reservation]
        do {
            reservations = try store.reservations(for: key)
        } catch {
            failures.append(error)
            return
        }
        for reservation in reservations {
            do {
                if try store.release(reservation) { released.append(reservation) }
            } catch {
                failures.append(error)
            }
        }
    }
}

extension CNIError {
    /// The failures of a best-effort loop as one error: their messages
    /// joined with `;` (as the reference joins them), with the first one's
    /// code (11 for a read-only store: retry). nil when there are none.
    init?(joining failures: [CNIError]) {
        guard let first = failures.first else { return nil }
        self.init(first.code, failures.map(\.message).joined(separator: ";"))
    }
}

extension AllocatedIP {
    init(range: IPRange, address: IPAddress, rangeSetIndex: Int) {
        self.init(
            address: CIDR(address: address, prefixLength: range.subnet.prefixLength)!,
            gateway: range.gateway,
            rangeSetIndex: rangeSetIndex)
    }
}
