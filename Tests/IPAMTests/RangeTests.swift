import CNISpec
import Testing
@testable import IPAM

@Suite("Ranges: defaults and validation (REFERENCE §3.1)")
struct RangeTests {
    struct Defaults: CustomTestStringConvertible, Sendable {
        let subnet: String
        let start: String?
        let end: String?
        let gateway: String?
        let expected: (start: String, end: String, gateway: String)
        var testDescription: String { subnet + " " + [start, end, gateway].map { $0 ?? "-" }.joined(separator: " ") }
    }

    @Test("defaults and accepted values", arguments: [
        Defaults(subnet: "192.0.2.0/24", start: nil, end: nil, gateway: nil, expected: ("192.0.2.1", "192.0.2.254", "192.0.2.1")),
        Defaults(subnet: "192.0.2.0/25", start: nil, end: nil, gateway: nil, expected: ("192.0.2.1", "192.0.2.126", "192.0.2.1")),
        Defaults(subnet: "10.0.0.0/30", start: nil, end: nil, gateway: nil, expected: ("10.0.0.1", "10.0.0.2", "10.0.0.1")),
        Defaults(subnet: "2001:db8:1::/64", start: nil, end: nil, gateway: nil,
                 expected: ("2001:db8:1::1", "2001:db8:1::ffff:ffff:ffff:ffff", "2001:db8:1::1")),
        Defaults(subnet: "fd00:1::/120", start: nil, end: nil, gateway: nil, expected: ("fd00:1::1", "fd00:1::ff", "fd00:1::1")),
        Defaults(subnet: "192.0.2.0/24", start: "192.0.2.40", end: "192.0.2.50", gateway: nil,
                 expected: ("192.0.2.40", "192.0.2.50", "192.0.2.1")),
        // The network and broadcast addresses may be configured explicitly.
        Defaults(subnet: "192.0.2.0/24", start: "192.0.2.0", end: "192.0.2.255", gateway: nil,
                 expected: ("192.0.2.0", "192.0.2.255", "192.0.2.1")),
        // The gateway is not checked against the subnet.
        Defaults(subnet: "192.0.2.0/24", start: nil, end: nil, gateway: "10.9.9.9", expected: ("192.0.2.1", "192.0.2.254", "10.9.9.9")),
        // IPv4-mapped IPv6 addresses are IPv4, as Go's To4() makes them.
        Defaults(subnet: "192.0.2.0/24", start: "::ffff:192.0.2.9", end: nil, gateway: "::ffff:192.0.2.254",
                 expected: ("192.0.2.9", "192.0.2.254", "192.0.2.254")),
        // An empty text is an absent value.
        Defaults(subnet: "192.0.2.0/24", start: "", end: "", gateway: "", expected: ("192.0.2.1", "192.0.2.254", "192.0.2.1")),
    ])
    func defaults(_ row: Defaults) throws {
        let parsed = try IPRange(RangeConfig(subnet: row.subnet, rangeStart: row.start, rangeEnd: row.end, gateway: row.gateway))
        #expect(parsed.subnet == cidr(row.subnet))
        #expect(parsed.rangeStart == ip(row.expected.start))
        #expect(parsed.rangeEnd == ip(row.expected.end))
        #expect(parsed.gateway == ip(row.expected.gateway))
    }

    @Test("rejected ranges carry the reference's messages and code 7", arguments: [
        ("192.0.2.5/24", nil, nil, "Network has host bits set. For a subnet mask of length 24 the network address is 192.0.2.0"),
        ("10.31.1.0/16", nil, nil, "Network has host bits set. For a subnet mask of length 16 the network address is 10.31.0.0"),
        ("2001:db8:1::1/64", nil, nil, "Network has host bits set. For a subnet mask of length 64 the network address is 2001:db8:1::"),
        ("2001:db8:24:19ff::/63", nil, nil, "Network has host bits set. For a subnet mask of length 63 the network address is 2001:db8:24:19fe::"),
        ("192.168.127.0/23", nil, nil, "Network has host bits set. For a subnet mask of length 23 the network address is 192.168.126.0"),
        ("10.31.0.0/31", nil, nil, "Network 10.31.0.0/31 too small to allocate from"),
        ("10.31.0.1/31", nil, nil, "Network 10.31.0.1/31 too small to allocate from"),
        ("10.31.0.0/32", nil, nil, "Network 10.31.0.0/32 too small to allocate from"),
        ("fd00::/127", nil, nil, "Network fd00::/127 too small to allocate from"),
        ("fd00::/128", nil, nil, "Network fd00::/128 too small to allocate from"),
        ("::ffff:10.0.0.0/120", nil, nil, "IPNet IP and Mask version mismatch"),
        ("192.0.2.0/24", "192.0.3.0", nil, "RangeStart 192.0.3.0 not in network 192.0.2.0/24"),
        ("192.0.2.0/24", nil, "192.0.4.0", "RangeEnd 192.0.4.0 not in network 192.0.2.0/24"),
        // A start after the end is reported against the start.
        ("192.0.2.0/24", "192.0.2.50", "192.0.2.40", "RangeStart 192.0.2.50 not in network 192.0.2.0/24"),
        // The default start (network + 1) is after an end at the network address.
        ("192.0.2.0/24", nil, "192.0.2.0", "RangeEnd 192.0.2.0 not in network 192.0.2.0/24"),
        ("fd00::/64", "10.0.0.1", nil, "RangeStart 10.0.0.1 not in network fd00::/64"),
        ("10.0.0.0/24", nil, "fd00::1", "RangeEnd fd00::1 not in network 10.0.0.0/24"),
        // An end of another family is compared with the start in Go's 16-byte
        // form (IPv4 as ::ffff:a.b.c.d) before the end itself is checked.
        ("fd00:1::/64", "fd00:1::3", "10.9.9.9", "RangeStart fd00:1::3 not in network fd00:1::/64"),
        ("10.1.2.0/24", "10.1.2.3", "::1", "RangeStart 10.1.2.3 not in network 10.1.2.0/24"),
        ("10.1.2.0/24", "10.1.2.3", "fd00::1", "RangeEnd fd00::1 not in network 10.1.2.0/24"),
        ("::/64", "::5", "10.9.9.9", "RangeEnd 10.9.9.9 not in network ::/64"),
    ] as [(String, String?, String?, String)])
    func rejected(subnet: String, start: String?, end: String?, message: String) {
        let error = caught { () throws(CNIError) in try IPRange(RangeConfig(subnet: subnet, rangeStart: start, rangeEnd: end)) }
        #expect(error?.message == message)
        #expect(error?.code == .invalidNetworkConfig)
    }

    @Test("unparseable texts give Go's parse errors", arguments: [
        ("10.31.0.0/33", nil, "invalid CIDR address: 10.31.0.0/33"),
        ("10.31.0.0", nil, "invalid CIDR address: 10.31.0.0"),
        ("", nil, "invalid CIDR address: "),
        ("10.31.0.0/16", "bogus", "invalid IP address: bogus"),
    ] as [(String, String?, String)])
    func unparseable(subnet: String, gateway: String?, message: String) {
        let error = caught { () throws(CNIError) in try RangeConfig(subnet: subnet, gateway: gateway) }
        #expect(error?.message == message)
    }

    @Test("contains is rangeStart...rangeEnd, gateway included")
    func contains() {
        let r = range("10.0.0.0/24", start: "10.0.0.10", end: "10.0.0.20", gateway: "10.0.0.15")
        #expect(r.contains(ip("10.0.0.10")))
        #expect(r.contains(ip("10.0.0.15")))
        #expect(r.contains(ip("10.0.0.20")))
        #expect(!r.contains(ip("10.0.0.9")))
        #expect(!r.contains(ip("10.0.0.21")))
        #expect(!r.contains(ip("fd00::10")))
        #expect(r.contains(ip("::ffff:10.0.0.12")))
        #expect(r.description == "10.0.0.10-10.0.0.20")
    }

    @Test("overlaps compares the allocatable spans", arguments: [
        (range("10.0.0.0/24"), range("10.0.1.0/24"), false),
        (range("0.0.0.0/24"), range("::/24"), false),
        (range("10.0.0.0/24"), range("10.0.0.0/24"), true),
        (range("10.0.0.0/20"), range("10.0.1.0/24"), true),
        (range("10.0.0.0/24", end: "10.0.0.127"), range("10.0.0.0/24", start: "10.0.0.128"), false),
        (range("10.0.0.0/24", end: "10.0.0.127"), range("10.0.0.0/24", start: "10.0.0.127"), true),
    ])
    func overlaps(first: IPRange, second: IPRange, expected: Bool) {
        #expect(first.overlaps(second) == expected)
        #expect(second.overlaps(first) == expected)
    }

    @Test("capacity excludes the gateway only when it is in the range")
    func capacity() {
        #expect(range("10.0.0.0/29").capacity == 5)
        #expect(range("10.0.0.0/29", gateway: "192.168.0.1").capacity == 6)
        #expect(range("fd00::/64").capacity == (UInt128(1) << 64) - 2)
    }
}

@Suite("Range sets (REFERENCE §3.1)")
struct RangeSetTests {
    @Test("invalid range sets are reported with their index", arguments: [
        ([] as [RangeConfig], "invalid range set 3: empty range set"),
        ([RangeConfig(subnet: cidr("10.0.0.0/24")), RangeConfig(subnet: cidr("fd00::/64"))],
         "invalid range set 3: mixed address families"),
        ([RangeConfig(subnet: cidr("10.1.0.0/22")), RangeConfig(subnet: cidr("10.1.2.0/24"))],
         "invalid range set 3: subnets 10.1.0.1-10.1.3.254 and 10.1.2.1-10.1.2.254 overlap"),
        ([RangeConfig(subnet: cidr("10.0.0.0/24")), RangeConfig(subnet: cidr("10.10.0.0/31"))],
         "invalid range set 3: Network 10.10.0.0/31 too small to allocate from"),
        // A family mismatch is found before a later range's own error.
        ([RangeConfig(subnet: cidr("10.0.0.0/24")), RangeConfig(subnet: cidr("fd00::/64")), RangeConfig(subnet: cidr("10.0.1.0/31"))],
         "invalid range set 3: mixed address families"),
    ])
    func invalid(configs: [RangeConfig], message: String) {
        let error = caught { () throws(CNIError) in try RangeSet(index: 3, configs: configs) }
        #expect(error?.message == message)
        #expect(error?.code == .invalidNetworkConfig)
    }

    @Test("range sets must not overlap each other")
    func disjoint() throws {
        let sets = [rangeSet("10.0.0.0/24"), rangeSet("fd00::/64"), rangeSet("10.1.0.0/24"), rangeSet("10.0.0.0/25")]
        let error = caught { () throws(CNIError) in try RangeSet.checkDisjoint(sets) }
        #expect(error?.message == "range set 0 overlaps with 3")
        #expect(error?.code == .invalidNetworkConfig)
        try RangeSet.checkDisjoint(Array(sets.prefix(3)))
        try RangeSet.checkDisjoint([])
    }

    @Test("description lists start-end pairs")
    func description() {
        #expect(rangeSet("10.0.0.0/24", "10.0.1.0/24").description == "10.0.0.1-10.0.0.254,10.0.1.1-10.0.1.254")
        #expect(rangeSet("fd00::/120").description == "fd00::1-fd00::ff")
    }

    @Test("contains and range(for:)")
    func lookup() {
        let set = rangeSet("10.0.0.0/30", "10.0.1.0/30")
        #expect(set.contains(ip("10.0.1.2")))
        #expect(set.range(for: ip("10.0.1.2"))?.subnet == cidr("10.0.1.0/30"))
        #expect(!set.contains(ip("10.0.0.3")))
        #expect(set.family == .v4)
        #expect(set.capacity == 2)
    }
}
