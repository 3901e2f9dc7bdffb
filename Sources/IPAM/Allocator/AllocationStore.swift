import CNISpec

/// One reservation: the file (or entry) that holds `address` for `key`.
public struct Reservation: Hashable, Sendable {
    public let address: IPAddress
    public let key: ReservationKey
    /// The store's name for it. For the disk store this is the file name,
    /// normally `address.description`, but a hand-made file may spell the
    /// address differently (`2001:DB8::1`).
    public let name: String

    public init(address: IPAddress, key: ReservationKey, name: String) {
        self.address = address
        self.key = key
        self.name = name
    }
}

/// What the allocator needs from storage; everything else is pure logic in
/// `Allocator`. The reference's `backend.Store`, with release split into
/// "find" and "release one".
///
/// Locking is the caller's business: every call except `isTaken`,
/// `takenAddresses` and `lastReservedAddress` must run while the store is
/// locked (`DiskStore.withLock`), and a whole allocation should run under
/// one lock.
///
/// All failures are `CNIError`s, I/O failures with code 999.
public protocol AllocationStore: AnyObject {
    /// Creates the reservation of `address` for `key` if nobody holds the
    /// address, then records `address` as the last reserved one of range set
    /// `rangeSetIndex`. Atomic: on `true` the reservation exists completely,
    /// on `false` (taken) or a throw nothing changed.
    func reserve(_ address: IPAddress, for key: ReservationKey, rangeSetIndex: Int) throws(CNIError) -> Bool

    /// The address last reserved in range set `rangeSetIndex`, or nil when
    /// there is none or it cannot be read or parsed (never an error: it only
    /// steers round-robin).
    func lastReservedAddress(rangeSetIndex: Int) -> IPAddress?

    /// The reservations whose recorded key is exactly `key`.
    func reservations(for key: ReservationKey) throws(CNIError) -> [Reservation]

    /// Removes `reservation` if it still exists and is still held by its key.
    /// Returns whether it removed it.
    @discardableResult
    func release(_ reservation: Reservation) throws(CNIError) -> Bool

    /// Every reservation in the store, read afresh.
    func allReservations() throws(CNIError) -> [Reservation]

    /// Whether something (a reservation or anything else) occupies the
    /// address's name, so that `reserve` would return false. Lock not needed.
    func isTaken(_ address: IPAddress) throws(CNIError) -> Bool

    /// The addresses whose canonical names are occupied, without reading any
    /// content. Lock not needed.
    func takenAddresses() throws(CNIError) -> Set<IPAddress>
}
