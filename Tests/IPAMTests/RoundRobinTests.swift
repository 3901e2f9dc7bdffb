import CNISpec
import Testing
@testable import IPAM

@Suite("Round-robin candidate order (REFERENCE §3.3)")
struct RoundRobinTests {
    private func walk(_ set: RangeSet, after last: String?) -> [String] {
        var iterator = RoundRobinIterator(rangeSet: set, lastReserved: last.flatMap { IPAddress($0) })
        var out: [String] = []
        while let (address, _) = iterator.next() {
            out.append(address.description)
            if out.count > 1000 { break }
        }
        return out
    }

    @Test("the walk visits every address once, gateway excluded", arguments: [
        (nil, ["192.168.1.2", "192.168.1.3", "192.168.1.4", "192.168.1.5", "192.168.1.6"]),
        ("192.168.1.6", ["192.168.1.2", "192.168.1.3", "192.168.1.4", "192.168.1.5", "192.168.1.6"]),
        ("192.168.1.3", ["192.168.1.4", "192.168.1.5", "192.168.1.6", "192.168.1.2", "192.168.1.3"]),
        // A last address outside the set is ignored.
        ("192.168.9.9", ["192.168.1.2", "192.168.1.3", "192.168.1.4", "192.168.1.5", "192.168.1.6"]),
        // The gateway as last reserved address: start after it.
        ("192.168.1.1", ["192.168.1.2", "192.168.1.3", "192.168.1.4", "192.168.1.5", "192.168.1.6"]),
    ] as [(String?, [String])])
    func singleRange(last: String?, expected: [String]) {
        #expect(walk(rangeSet("192.168.1.0/29"), after: last) == expected)
    }

    @Test("multi-range sets move to the next range past rangeEnd and wrap")
    func multiRange() {
        let set = try! RangeSet([
            range("192.168.1.0/30", start: "192.168.1.0", end: "192.168.1.3"),
            range("192.168.2.0/30", start: "192.168.2.0", end: "192.168.2.3"),
        ])
        #expect(walk(set, after: nil) == ["192.168.1.0", "192.168.1.2", "192.168.1.3", "192.168.2.0", "192.168.2.2", "192.168.2.3"])
        #expect(walk(set, after: "192.168.1.3") == ["192.168.2.0", "192.168.2.2", "192.168.2.3", "192.168.1.0", "192.168.1.2", "192.168.1.3"])
        #expect(walk(set, after: "192.168.2.3") == ["192.168.1.0", "192.168.1.2", "192.168.1.3", "192.168.2.0", "192.168.2.2", "192.168.2.3"])
    }

    @Test("a range whose only address is its gateway yields nothing")
    func onlyGateway() {
        let set = try! RangeSet([range("10.0.0.0/24", start: "10.0.0.1", end: "10.0.0.1")])
        #expect(walk(set, after: nil) == [])
        #expect(walk(set, after: "10.0.0.1") == [])
    }

    @Test("IPv6 starts at ::2 and walks to the last address of the prefix")
    func ipv6() {
        let set = rangeSet("fd00::/126")
        #expect(walk(set, after: nil) == ["fd00::2", "fd00::3"])
    }
}
