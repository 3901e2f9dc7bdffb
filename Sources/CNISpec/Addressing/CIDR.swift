/// An address together with a prefix length, as in `10.1.0.2/24`.
///
/// The address may have host bits set (a result's `ips[].address` does);
/// `network` clears them. The prefix length is always valid for the
/// address's family: the only way in is a validating initialiser.
public struct CIDR: Hashable, Sendable {
    public let address: IPAddress
    public let prefixLength: Int

    /// Fails when `prefixLength` is outside 0...bitWidth of the family.
    public init?(address: IPAddress, prefixLength: Int) {
        guard prefixLength >= 0, prefixLength <= address.family.bitWidth else { return nil }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `address/length`. The length is decimal without a sign.
    public init?(_ text: String) {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        let lengthText = text[text.index(after: slash)...]
        guard let address = IPAddress(String(text[..<slash])),
              !lengthText.isEmpty, lengthText.count <= 3,
              lengthText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let length = Int(lengthText)
        else { return nil }
        self.init(address: address, prefixLength: length)
    }

    public var family: IPFamily { address.family }

    /// The mask as an integer of the family's width.
    public var maskInteger: UInt128 {
        let width = family.bitWidth
        if prefixLength == 0 { return 0 }
        let allOnes: UInt128 = width == 32 ? UInt128(UInt32.max) : .max
        return allOnes ^ (allOnes >> UInt128(prefixLength))
    }

    /// The mask as an address (`255.255.255.0` for a /24).
    public var mask: IPAddress { IPAddress(family: family, integer: maskInteger)! }

    /// The first address of the prefix.
    public var networkAddress: IPAddress {
        IPAddress(family: family, integer: address.integer & maskInteger)!
    }

    /// The last address of the prefix (the IPv4 broadcast address).
    public var lastAddress: IPAddress {
        let width = family.bitWidth
        let allOnes: UInt128 = width == 32 ? UInt128(UInt32.max) : .max
        return IPAddress(family: family, integer: (address.integer & maskInteger) | (allOnes & ~maskInteger))!
    }

    /// This prefix with the host bits cleared.
    public var network: CIDR { CIDR(address: networkAddress, prefixLength: prefixLength)! }

    /// True when the address has no host bits set.
    public var isNetworkAddress: Bool { address == networkAddress }

    /// Whether `other` lies inside this prefix.
    public func contains(_ other: IPAddress) -> Bool {
        other.family == family && other.integer & maskInteger == address.integer & maskInteger
    }

    /// Whether the two prefixes share at least one address.
    public func overlaps(_ other: CIDR) -> Bool {
        contains(other.networkAddress) || other.contains(networkAddress)
    }

    /// The same address with another prefix length of the same family.
    public func withPrefixLength(_ length: Int) -> CIDR? {
        CIDR(address: address, prefixLength: length)
    }
}

extension CIDR: CustomStringConvertible {
    public var description: String { "\(address)/\(prefixLength)" }
}
