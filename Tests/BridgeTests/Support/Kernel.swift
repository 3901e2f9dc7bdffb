import Glibc
import TestKit

/// Reads kernel state with `ip -j` and /proc, /sys: an oracle independent of
/// the code under test. `pod == nil` means the test node (where bridges and
/// host veths live).
enum Kernel {
    private static func ip(_ pod: Pod?, _ arguments: [String]) throws -> JSON {
        let namespace = pod.map { ["-n", $0.name] } ?? []
        let text = try Tool.run(["ip", "-j", "-d"] + namespace + arguments)
        return text.trimmingWhitespace.isEmpty ? .array([]) : try JSON.parse(text)
    }

    static func links(in pod: Pod? = nil) throws -> [JSON] {
        try ip(pod, ["link", "show"]).array ?? []
    }

    /// The link's `ip -j -d link show` object, or nil when it does not exist.
    static func link(_ name: String, in pod: Pod? = nil) throws -> JSON? {
        try links(in: pod).first { $0["ifname"]?.string == name }
    }

    static func linkExists(_ name: String, in pod: Pod? = nil) throws -> Bool {
        try link(name, in: pod) != nil
    }

    /// Names of the ports of `bridge`.
    static func ports(of bridge: String) throws -> [String] {
        guard try linkExists(bridge) else { return [] }
        return try (ip(nil, ["link", "show", "master", bridge]).array ?? []).compactMap { $0["ifname"]?.string }.sorted()
    }

    /// Global addresses of a link, as `address/prefix`.
    static func addresses(of name: String, in pod: Pod? = nil) throws -> [String] {
        let links = try ip(pod, ["address", "show", "dev", name]).array ?? []
        return links.flatMap { $0["addr_info"]?.array ?? [] }
            .filter { $0["scope"]?.string == "global" }
            .compactMap { info in
                guard let local = info["local"]?.string, let length = info["prefixlen"]?.int else { return nil }
                return "\(local)/\(length)"
            }
            .sorted()
    }

    /// Main-table routes as `dst via gw dev`, `dst` "default" for the
    /// default route; `family` 4 or 6.
    static func routes(in pod: Pod? = nil, family: Int = 4) throws -> [Route] {
        let entries = try ip(pod, ["-\(family)", "route", "show"]).array ?? []
        return entries.map { entry in
            Route(destination: entry["dst"]?.string ?? "", gateway: entry["gateway"]?.string,
                  device: entry["dev"]?.string ?? "")
        }
    }

    struct Route: Hashable, CustomStringConvertible {
        let destination: String
        let gateway: String?
        let device: String
        var description: String { "\(destination)\(gateway.map { " via \($0)" } ?? "") dev \(device)" }
    }

    /// A sysctl of the test node, e.g. `net/ipv4/ip_forward`.
    static func sysctl(_ key: String) -> String {
        (readText("/proc/sys/" + key) ?? "").trimmingWhitespace
    }

    /// A file under /sys/class/net of the test node, e.g.
    /// `vethab12cd34/brport/hairpin_mode`.
    static func sysfs(_ path: String) -> String {
        (readText("/sys/class/net/" + path) ?? "").trimmingWhitespace
    }
}
