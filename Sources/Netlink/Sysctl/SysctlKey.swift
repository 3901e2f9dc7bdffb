/// The name of a kernel parameter under /proc/sys.
///
/// Written in sysctl(8)'s dotted form (`net.ipv4.ip_forward`), where a `/`
/// inside a component stands for a `.` (so `net.ipv4.conf.eth0/100.arp_notify`
/// names the interface `eth0.100`), or built from components, which may
/// contain dots (`SysctlKey.interface(.v6, "cni0.100", "accept_ra")`).
public struct SysctlKey: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The path components below /proc/sys.
    public let components: [String]

    /// Parses sysctl(8)'s dotted form. A key that already contains `/` but
    /// no `.` (`net/ipv4/ip_forward`) is read as a path below /proc/sys.
    public init(_ name: String) {
        if name.contains("/") && !name.contains(".") {
            components = name.split(separator: "/").map(String.init)
        } else {
            components = name.split(separator: ".", omittingEmptySubsequences: false).map {
                String($0).replacingSlashesWithDots()
            }
        }
    }

    public init(stringLiteral value: String) { self.init(value) }

    public init(components: [String]) { self.components = components }

    /// `net.ipv4.conf.<interface>.<name>` or `net.ipv6.conf.<interface>.<name>`.
    public static func interface(_ family: InterfaceFamily, _ interface: String, _ name: String) -> SysctlKey {
        SysctlKey(components: ["net", family == .v4 ? "ipv4" : "ipv6", "conf", interface, name])
    }

    public enum InterfaceFamily: Sendable { case v4, v6 }

    /// `/proc/sys/net/ipv4/ip_forward`.
    public var path: String { "/proc/sys/" + components.joined(separator: "/") }

    /// The dotted form, with dots inside components written as `/`.
    public var description: String {
        components.map { $0.replacingDotsWithSlashes() }.joined(separator: ".")
    }
}

private extension String {
    func replacingSlashesWithDots() -> String { String(map { $0 == "/" ? "." : $0 }) }
    func replacingDotsWithSlashes() -> String { String(map { $0 == "." ? "/" : $0 }) }
}
