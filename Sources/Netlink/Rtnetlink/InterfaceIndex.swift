/// A network interface's index (ifindex) in one network namespace: what
/// links, addresses and routes refer to each other by, and what the calls
/// that change a link take.
///
/// Only the kernel hands them out: a value comes from a `LinkInfo`,
/// `AddressInfo` or `RouteInfo` the kernel reported, and is always
/// positive (0 means "no interface" on the wire, and is never one of these).
/// An index names a link only within the namespace it was read in.
public struct InterfaceIndex: Hashable, Sendable, CustomStringConvertible {
    /// The kernel's `int ifindex`.
    public let rawValue: Int32

    /// nil for 0 or less, which names no interface.
    public init?(_ rawValue: Int32) {
        guard rawValue > 0 else { return nil }
        self.rawValue = rawValue
    }

    /// An index the kernel reported for an existing link (always positive).
    init(kernelValue rawValue: Int32) { self.rawValue = rawValue }

    public var description: String { String(rawValue) }
}
