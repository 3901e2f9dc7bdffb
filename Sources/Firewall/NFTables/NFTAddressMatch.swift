import CNISpec
import Netlink

/// The expressions nft generates for `ip saddr A`, `ip daddr [!=] P` and
/// their ip6 forms in a table of family inet, so that rules written here
/// are the same bytes in the kernel as rules nft writes from text (and nft
/// prints them back as that text). Pure.
///
/// nft's encoding (1.0.x, checked against `nft --debug=netlink`):
/// - a `meta nfproto` check (1 byte) before the first address match;
/// - an address: a full-width payload load and an equality compare;
/// - a prefix of a whole number of bytes: only those bytes are loaded and
///   compared; any other length (including /0): a full-width load, a
///   bitwise AND with the mask (xor 0) and a compare with the network.
enum NFTAddressMatch {
    static let networkHeader = NFTPayloadBase.networkHeader
    static let equal = NFTCompareOperation.equal
    static let notEqual = NFTCompareOperation.notEqual

    static func protocolNumber(_ family: IPFamily) -> UInt8 {
        family == .v4 ? NetfilterFamily.ipv4 : NetfilterFamily.ipv6
    }

    static func sourceOffset(_ family: IPFamily) -> UInt32 { family == .v4 ? 12 : 8 }
    static func destinationOffset(_ family: IPFamily) -> UInt32 { family == .v4 ? 16 : 24 }

    /// `meta nfproto ipv4|ipv6`.
    static func family(_ family: IPFamily) -> [NFTExpression] {
        [.meta(key: NFTMetaKey.netfilterProtocol, register: NFTExpression.register1),
         .compare(register: NFTExpression.register1, operation: equal, data: [protocolNumber(family)])]
    }

    /// `ip saddr A` / `ip6 saddr A` (without the family check).
    static func source(_ address: IPAddress) -> [NFTExpression] {
        let bytes = networkBytes(address)
        return [.payload(base: networkHeader, offset: sourceOffset(address.family), length: UInt32(bytes.count),
                         register: NFTExpression.register1),
                .compare(register: NFTExpression.register1, operation: equal, data: bytes)]
    }

    /// `ip daddr P` (`equal`) or `ip daddr != P` (without the family check).
    static func destination(_ prefix: CIDR, equal isEqual: Bool) -> [NFTExpression] {
        let operation = isEqual ? equal : notEqual
        let network = networkBytes(prefix.networkAddress)
        let offset = destinationOffset(prefix.family)
        if prefix.prefixLength > 0 && prefix.prefixLength % 8 == 0 {
            let length = prefix.prefixLength / 8
            return [.payload(base: networkHeader, offset: offset, length: UInt32(length), register: NFTExpression.register1),
                    .compare(register: NFTExpression.register1, operation: operation, data: Array(network.prefix(length)))]
        }
        return [.payload(base: networkHeader, offset: offset, length: UInt32(network.count), register: NFTExpression.register1),
                .bitwise(register: NFTExpression.register1, mask: networkBytes(prefix.mask),
                         xor: [UInt8](repeating: 0, count: network.count)),
                .compare(register: NFTExpression.register1, operation: operation, data: network)]
    }

    /// The address in network byte order (4 or 16 bytes).
    static func networkBytes(_ address: IPAddress) -> [UInt8] {
        let count = address.family.bitWidth / 8
        return (0..<count).map { index in UInt8(truncatingIfNeeded: address.integer >> UInt128(8 * (count - 1 - index))) }
    }
}
