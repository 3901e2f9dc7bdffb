import CNISpec
@testable import IPAM

/// An `AllocationStore` in memory with the disk store's semantics: one
/// entry per address name, matched by trimmed content.
final class InMemoryStore: AllocationStore {
    /// File name -> content, as the reference's store would hold them.
    var files: [String: [UInt8]]
    /// Range set index -> raw text of `last_reserved_ip.<index>`.
    var lastReserved: [Int: String]

    init(files: [String: String] = [:], lastReserved: [Int: String] = [:]) {
        self.files = files.mapValues { Array($0.utf8) }
        self.lastReserved = lastReserved
    }

    func content(_ name: String) -> String? { files[name].map { String(decoding: $0, as: UTF8.self) } }

    func reserve(_ address: IPAddress, for key: ReservationKey, rangeSetIndex: Int) throws(CNIError) -> Bool {
        let name = address.description
        guard files[name] == nil else { return false }
        files[name] = key.bytes
        lastReserved[rangeSetIndex] = name
        return true
    }

    func lastReservedAddress(rangeSetIndex: Int) -> IPAddress? {
        lastReserved[rangeSetIndex].flatMap { IPAddress($0) }?.unmapped
    }

    func reservations(for key: ReservationKey) throws(CNIError) -> [Reservation] {
        try allReservations().filter { $0.key == key }
    }

    func release(_ reservation: Reservation) throws(CNIError) -> Bool {
        guard let bytes = files[reservation.name], ReservationKey(fileContent: bytes) == reservation.key else { return false }
        files[reservation.name] = nil
        return true
    }

    func allReservations() throws(CNIError) -> [Reservation] {
        files.keys.sorted().compactMap { name in
            guard let address = IPAddress(name) else { return nil }
            return Reservation(address: address.unmapped, key: ReservationKey(fileContent: files[name]!), name: name)
        }
    }

    func isTaken(_ address: IPAddress) throws(CNIError) -> Bool { files[address.description] != nil }

    func takenAddresses() throws(CNIError) -> Set<IPAddress> {
        Set(files.keys.compactMap { name in IPAddress(name).flatMap { $0.description == name ? $0 : nil } })
    }
}
