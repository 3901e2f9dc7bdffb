import Glibc
import TestKit

/// host-local's reservations on disk: one file per address, named after it,
/// in `<dataDir>/<network>/`. Other files there (`lock`,
/// `last_reserved_ip.<n>`, an implementation's index) are not reservations.
enum IPAMStore {
    static func reservedAddresses(dataDir: String, network: String) -> [String] {
        directoryEntries(dataDir + "/" + network).filter(isIPAddress)
    }

    private static func isIPAddress(_ text: String) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
    }
}
