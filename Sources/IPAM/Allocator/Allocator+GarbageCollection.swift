import CNISpec

extension Allocator {
    /// Releases every reservation in the store that belongs to no attachment
    /// of `valid` (GC's `cni.dev/valid-attachments`): an exact reservation
    /// unless its `(containerID, ifname)` is valid, a legacy one unless some
    /// valid attachment has its container ID. Reservation files the reference could not attribute (empty ones,
    /// left by a crash between its create and its write) are released too.
    /// Keeps going after failures. `lock` and `last_reserved_ip.*` are never
    /// touched.
    ///
    /// Not in the reference (its GC is a no-op); semantics as REFERENCE §3.6
    /// suggests.
    ///
    /// - Returns: what was released.
    /// - Throws: the failures joined with `;` (the first one's code), after
    ///   trying all.
    @discardableResult
    public func garbageCollect(valid: Set<Attachment>) throws(CNIError) -> [Reservation] {
        let exact = Set(valid.map { ReservationKey.attachment($0) })
        let legacy = Set(valid.map { ReservationKey.legacy(containerID: $0.containerID) })
        var released: [Reservation] = []
        var failures: [CNIError] = []
        for reservation in try store.allReservations() {
            let key = reservation.key
            if key.isLegacy ? legacy.contains(key) : exact.contains(key) { continue }
            do {
                if try store.release(reservation) { released.append(reservation) }
            } catch {
                failures.append(error)
            }
        }
        if let failure = CNIError(joining: failures) { throw failure }
        return released
    }
}
