import CNISpec
import Testing
@testable import IPAM

@Suite("Allocator with an in-memory store")
struct AllocatorTests {
    struct RoundRobinCase: CustomTestStringConvertible, Sendable {
        let name: String
        let subnets: [String]
        let taken: [String]
        let lastIP: String?
        let expected: String
        var testDescription: String { name }
    }

    // The reference's allocator_test table, "should allocate ips in round robin".
    @Test("round-robin allocation", arguments: [
        RoundRobinCase(name: "fresh /29 gives .2", subnets: ["10.0.0.0/29"], taken: [], lastIP: nil, expected: "10.0.0.2"),
        RoundRobinCase(name: "fresh IPv6 gives ::2", subnets: ["2001:db8:1::0/64"], taken: [], lastIP: nil, expected: "2001:db8:1::2"),
        RoundRobinCase(name: "fresh /30 gives .2", subnets: ["10.0.0.0/30"], taken: [], lastIP: nil, expected: "10.0.0.2"),
        RoundRobinCase(name: "first free from the start", subnets: ["10.0.0.0/29"], taken: ["10.0.0.2"], lastIP: nil, expected: "10.0.0.3"),
        RoundRobinCase(name: "next after the last reserved", subnets: ["10.0.0.0/29"], taken: [], lastIP: "10.0.0.5", expected: "10.0.0.6"),
        RoundRobinCase(name: "skips taken after the last reserved", subnets: ["10.0.0.0/29"], taken: ["10.0.0.4", "10.0.0.5"],
                       lastIP: "10.0.0.3", expected: "10.0.0.6"),
        RoundRobinCase(name: "wraps to the beginning", subnets: ["10.0.0.0/29"], taken: ["10.0.0.6"], lastIP: "10.0.0.5", expected: "10.0.0.2"),
        RoundRobinCase(name: "last reserved outside the set", subnets: ["10.0.0.0/29"], taken: ["10.0.0.2"], lastIP: "10.0.0.128",
                       expected: "10.0.0.3"),
        RoundRobinCase(name: "full except the last reserved itself", subnets: ["10.0.0.0/29"],
                       taken: ["10.0.0.2", "10.0.0.4", "10.0.0.5", "10.0.0.6"], lastIP: "10.0.0.3", expected: "10.0.0.3"),
        RoundRobinCase(name: "multi-range fresh", subnets: ["10.0.0.0/30", "10.0.1.0/30"], taken: [], lastIP: nil, expected: "10.0.0.2"),
        RoundRobinCase(name: "advances to the next range", subnets: ["10.0.0.0/30", "10.0.1.0/30"], taken: [], lastIP: "10.0.0.2",
                       expected: "10.0.1.2"),
        RoundRobinCase(name: "rolls back to the first range", subnets: ["10.0.0.0/30", "10.0.1.0/30", "10.0.2.0/30"], taken: [],
                       lastIP: "10.0.2.2", expected: "10.0.0.2"),
        RoundRobinCase(name: "garbage last reserved text is ignored", subnets: ["10.0.0.0/29"], taken: [], lastIP: "10.0.0.5\n",
                       expected: "10.0.0.2"),
    ])
    func roundRobin(_ row: RoundRobinCase) throws {
        let store = InMemoryStore(
            files: Dictionary(uniqueKeysWithValues: row.taken.map { ($0, "id") }),
            lastReserved: row.lastIP.map { [0: $0] } ?? [:])
        let allocator = Allocator(rangeSets: [try RangeSet(row.subnets.map { range($0) })], store: store)
        let result = try allocator.allocate(for: Attachment(containerID: "ID", ifname: "eth0"))
        #expect(result.map(\.address.address.description) == [row.expected])
        #expect(store.content(row.expected) == "ID\r\neth0")
        #expect(store.lastReserved[0] == row.expected)
    }

    @Test("the result carries the subnet's prefix length and the range's gateway")
    func resultShape() throws {
        let store = InMemoryStore()
        let sets = [rangeSet("10.1.2.0/24"), try RangeSet([range("fd00:1::/64", gateway: "fd00:1::fe")])]
        let result = try Allocator(rangeSets: sets, store: store).allocate(for: Attachment(containerID: "c", ifname: "eth0"))
        #expect(result == [
            AllocatedIP(address: cidr("10.1.2.2/24"), gateway: ip("10.1.2.1"), rangeSetIndex: 0),
            AllocatedIP(address: cidr("fd00:1::1/64"), gateway: ip("fd00:1::fe"), rangeSetIndex: 1),
        ])
        #expect(store.lastReserved == [0: "10.1.2.2", 1: "fd00:1::1"])
    }

    @Test("a released address is not reused before the pool wraps")
    func releasedNotReused() throws {
        let store = InMemoryStore()
        let allocator = Allocator(rangeSets: [rangeSet("192.168.1.0/29")], store: store)
        #expect(try allocator.allocate(for: Attachment(containerID: "a", ifname: "eth0")).first?.address == cidr("192.168.1.2/29"))
        try allocator.release(Attachment(containerID: "a", ifname: "eth0"))
        #expect(try allocator.allocate(for: Attachment(containerID: "a", ifname: "eth0")).first?.address == cidr("192.168.1.3/29"))
    }

    @Test("never the broadcast address; then exhausted")
    func untilExhausted() throws {
        let store = InMemoryStore()
        let allocator = Allocator(rangeSets: [rangeSet("192.168.1.0/29")], store: store)
        for last in 2...6 {
            #expect(try allocator.allocate(for: Attachment(containerID: "c\(last)", ifname: "eth0")).first?.address == cidr("192.168.1.\(last)/29"))
        }
        let error = caught { () throws(CNIError) in try allocator.allocate(for: Attachment(containerID: "c7", ifname: "eth0")) }
        #expect(error?.message == "failed to allocate for range 0: no IP addresses available in range set: 192.168.1.1-192.168.1.6")
        #expect(error?.code == .tryAgainLater)
    }

    @Test("exhaustion messages", arguments: [
        (["10.0.0.0/30"], ["10.0.0.2"], "no IP addresses available in range set: 10.0.0.1-10.0.0.2"),
        (["10.0.0.0/29"], ["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"],
         "no IP addresses available in range set: 10.0.0.1-10.0.0.6"),
        (["10.0.0.0/30", "10.0.1.0/30"], ["10.0.0.2", "10.0.1.2"],
         "no IP addresses available in range set: 10.0.0.1-10.0.0.2,10.0.1.1-10.0.1.2"),
    ])
    func exhaustion(subnets: [String], taken: [String], message: String) throws {
        let store = InMemoryStore(files: Dictionary(uniqueKeysWithValues: taken.map { ($0, "id") }))
        let allocator = Allocator(rangeSets: [try RangeSet(subnets.map { range($0) })], store: store)
        let error = caught { () throws(CNIError) in try allocator.allocate(for: Attachment(containerID: "ID", ifname: "eth0")) }
        #expect(error?.message == "failed to allocate for range 0: " + message)
    }

    // MARK: Static requests (REFERENCE §3.2)

    @Test("a requested address is reserved exactly, with the range's mask")
    func staticRequest() throws {
        let store = InMemoryStore()
        let allocator = Allocator(rangeSets: [rangeSet("192.168.1.0/29")], store: store)
        let result = try allocator.allocate(for: Attachment(containerID: "a", ifname: "eth0"), requestedIPs: [ip("192.168.1.5")])
        #expect(result == [AllocatedIP(address: cidr("192.168.1.5/29"), gateway: ip("192.168.1.1"), rangeSetIndex: 0)])
        #expect(store.lastReserved[0] == "192.168.1.5")

        let error = caught { () throws(CNIError) in
            try allocator.allocate(for: Attachment(containerID: "b", ifname: "eth0"), requestedIPs: [ip("192.168.1.5")])
        }
        #expect(error?.message
            == "failed to allocate for range 0: requested IP address 192.168.1.5 is not available in range set 192.168.1.1-192.168.1.6")
        #expect(error?.code == .tryAgainLater)
    }

    @Test("requesting the gateway fails")
    func requestGateway() {
        let allocator = Allocator(rangeSets: [rangeSet("10.31.0.0/24")], store: InMemoryStore())
        let error = caught { () throws(CNIError) in
            try allocator.allocate(for: Attachment(containerID: "a", ifname: "eth0"), requestedIPs: [ip("10.31.0.1")])
        }
        #expect(error?.message == "failed to allocate for range 0: requested ip 10.31.0.1 is subnet's gateway")
        #expect(error?.code == .invalidNetworkConfig)
    }

    @Test("requests left over fail the call and release what it reserved", arguments: [
        ["192.168.1.7"],                      // the broadcast address, outside rangeStart...rangeEnd
        ["192.168.1.3", "192.168.1.4"],       // two requests in one range set
    ])
    func leftOverRequests(requests: [String]) {
        let store = InMemoryStore()
        let allocator = Allocator(rangeSets: [rangeSet("192.168.1.0/29")], store: store)
        let error = caught { () throws(CNIError) in
            try allocator.allocate(for: Attachment(containerID: "a", ifname: "eth0"), requestedIPs: requests.map(ip))
        }
        let leftOver = requests.count == 1 ? requests : [requests[1]]
        #expect(error?.message == "failed to allocate all requested IPs: " + leftOver.joined(separator: " "))
        #expect(store.files.isEmpty)
    }

    @Test("a static request for an attachment that holds an address of the set is refused as a duplicate, before what is wrong with the request itself (the reference accepts it)")
    func staticDuplicate() throws {
        let store = InMemoryStore()
        let allocator = Allocator(rangeSets: [rangeSet("10.0.0.0/24"), rangeSet("fd00::/64")], store: store)
        _ = try allocator.allocate(for: Attachment(containerID: "a", ifname: "eth0"))
        let before = store.files
        for requests in [["10.0.0.9"], ["10.0.0.2"], ["10.0.0.1"], ["fd00::9"], ["fd00::9", "10.0.0.9"]] {
            let error = caught { () throws(CNIError) in
                try allocator.allocate(for: Attachment(containerID: "a", ifname: "eth0"), requestedIPs: requests.map(ip))
            }
            #expect(error?.message == "failed to allocate for range 0: 10.0.0.2 has been allocated to a, duplicate allocation is not allowed", "\(requests)")
            #expect(error?.code == .internal)
            #expect(store.files == before)
        }
        // Another interface is another attachment.
        #expect(try allocator.allocate(for: Attachment(containerID: "a", ifname: "net1"), requestedIPs: [ip("10.0.0.9")]).first?.address == cidr("10.0.0.9/24"))
    }

    @Test("a static request refused as a duplicate in a later range set rolls back the earlier ones")
    func staticDuplicateInLaterSet() {
        let store = InMemoryStore(files: ["fd00::5": "b\r\neth0"])
        let allocator = Allocator(rangeSets: [rangeSet("10.0.0.0/24"), rangeSet("fd00::/64")], store: store)
        let error = caught { () throws(CNIError) in
            try allocator.allocate(for: Attachment(containerID: "b", ifname: "eth0"), requestedIPs: [ip("fd00::9")])
        }
        #expect(error?.message == "failed to allocate for range 1: fd00::5 has been allocated to b, duplicate allocation is not allowed")
        #expect(store.files == ["fd00::5": Array("b\r\neth0".utf8)])
    }

    @Test("a legacy reservation of the container makes a static request a duplicate too")
    func staticLegacyDuplicate() {
        let store = InMemoryStore(files: ["10.0.0.7": "c1"])
        let allocator = Allocator(rangeSets: [rangeSet("10.0.0.0/24")], store: store)
        let error = caught { () throws(CNIError) in try allocator.allocate(for: Attachment(containerID: "c1", ifname: "eth5"), requestedIPs: [ip("10.0.0.40")]) }
        #expect(error?.message == "failed to allocate for range 0: 10.0.0.7 has been allocated to c1, duplicate allocation is not allowed")
    }

    @Test("a static request is no duplicate of a reservation in another range set")
    func staticDuplicateOnlyInSameSet() throws {
        let store = InMemoryStore(files: ["10.9.0.7": "c1\r\neth0"])
        let allocator = Allocator(rangeSets: [rangeSet("10.0.0.0/24")], store: store)
        #expect(try allocator.allocate(for: Attachment(containerID: "c1", ifname: "eth0"), requestedIPs: [ip("10.0.0.40")]).first?.address == cidr("10.0.0.40/24"))
    }

    @Test("requests go to the range set containing them; duplicates count once")
    func requestsPerRangeSet() throws {
        let store = InMemoryStore()
        let allocator = Allocator(rangeSets: [rangeSet("10.0.0.0/24"), rangeSet("fd00::/64")], store: store)
        let result = try allocator.allocate(for: Attachment(containerID: "a", ifname: "eth0"),
                                            requestedIPs: [ip("fd00::99"), ip("10.0.0.50"), ip("fd00::99")])
        #expect(result.map(\.address.description) == ["10.0.0.50/24", "fd00::99/64"])
    }

    // MARK: Duplicates

    @Test("a second dynamic allocation for the same attachment fails")
    func duplicate() throws {
        let store = InMemoryStore()
        let allocator = Allocator(rangeSets: [rangeSet("10.0.0.0/24")], store: store)
        _ = try allocator.allocate(for: Attachment(containerID: "c1", ifname: "eth0"))
        let error = caught { () throws(CNIError) in try allocator.allocate(for: Attachment(containerID: "c1", ifname: "eth0")) }
        #expect(error?.message == "failed to allocate for range 0: 10.0.0.2 has been allocated to c1, duplicate allocation is not allowed")
        // Another interface of the same container is another attachment.
        #expect(try allocator.allocate(for: Attachment(containerID: "c1", ifname: "eth1")).first?.address == cidr("10.0.0.3/24"))
    }

    @Test("a legacy reservation of the container counts as a duplicate")
    func legacyDuplicate() {
        let store = InMemoryStore(files: ["10.0.0.7": "c1"])
        let allocator = Allocator(rangeSets: [rangeSet("10.0.0.0/24")], store: store)
        let error = caught { () throws(CNIError) in try allocator.allocate(for: Attachment(containerID: "c1", ifname: "eth5")) }
        #expect(error?.message == "failed to allocate for range 0: 10.0.0.7 has been allocated to c1, duplicate allocation is not allowed")
    }

    @Test("a reservation in another range set is no duplicate")
    func duplicateOnlyInSameSet() throws {
        let store = InMemoryStore(files: ["10.9.0.7": "c1\r\neth0"])
        let allocator = Allocator(rangeSets: [rangeSet("10.0.0.0/24")], store: store)
        #expect(try allocator.allocate(for: Attachment(containerID: "c1", ifname: "eth0")).count == 1)
    }

    @Test("the container ID is trimmed in the file, as the reference trims it")
    func trimmedID() throws {
        let store = InMemoryStore()
        let allocator = Allocator(rangeSets: [rangeSet("10.0.0.0/24")], store: store)
        _ = try allocator.allocate(for: Attachment(containerID: " c1\t\n", ifname: "eth0"))
        #expect(store.content("10.0.0.2") == "c1\r\neth0")
        #expect(try allocator.find(Attachment(containerID: "c1", ifname: "eth0")) == [ip("10.0.0.2")])
    }

    @Test("a failure in a later range set releases what this call reserved, and only that")
    func rollback() throws {
        let store = InMemoryStore(files: ["fd00::2": "x\r\neth0", "fd00::3": "y\r\neth0", "10.9.0.1": "a\r\neth0"])
        let allocator = Allocator(rangeSets: [rangeSet("10.0.0.0/30"), rangeSet("fd00::/126")], store: store)
        let error = caught { () throws(CNIError) in try allocator.allocate(for: Attachment(containerID: "a", ifname: "eth0")) }
        #expect(error?.message == "failed to allocate for range 1: no IP addresses available in range set: fd00::1-fd00::3")
        #expect(error?.code == .tryAgainLater)
        #expect(store.files["10.0.0.2"] == nil)
        #expect(store.files["10.9.0.1"] != nil)
        // As in the reference, the round-robin pointer keeps the rolled-back address.
        #expect(store.lastReserved[0] == "10.0.0.2")
    }

    // MARK: Release and find (REFERENCE §3.6)

    @Test("release removes the attachment's reservations anywhere in the store, and nothing else")
    func release() throws {
        let store = InMemoryStore(files: [
            "10.0.0.2": "a\r\neth0", "10.0.0.3": "a\r\neth1", "10.0.0.4": "b\r\neth0", "192.168.7.7": "a\r\neth0",
        ], lastReserved: [0: "10.0.0.4"])
        let allocator = Allocator(rangeSets: [rangeSet("10.0.0.0/24")], store: store)
        let released = try allocator.release(Attachment(containerID: "a", ifname: "eth0"))
        #expect(Set(released.map(\.name)) == ["10.0.0.2", "192.168.7.7"])
        #expect(store.files.keys.sorted() == ["10.0.0.3", "10.0.0.4"])
        #expect(store.lastReserved[0] == "10.0.0.4")
        // Idempotent.
        #expect(try allocator.release(Attachment(containerID: "a", ifname: "eth0")).isEmpty)
        #expect(try allocator.release(Attachment(containerID: "nobody", ifname: "eth0")).isEmpty)
    }

    @Test("release falls back to legacy reservations of the container ID")
    func releaseLegacy() throws {
        let store = InMemoryStore(files: ["10.0.0.5": "c1", "10.0.0.6": "c1\n", "10.0.0.7": "c2"])
        let allocator = Allocator(rangeSets: [rangeSet("10.0.0.0/24")], store: store)
        try allocator.release(Attachment(containerID: "c1", ifname: "eth0"))
        #expect(store.files.keys.sorted() == ["10.0.0.7"])
    }

    @Test("with one range set, legacy files stay when exact ones were released; with two, they go too")
    func releaseLegacyPerRangeSetCount() throws {
        let files = ["10.0.0.5": "c1\r\neth0", "10.0.0.6": "c1"]
        let one = InMemoryStore(files: files)
        try Allocator(rangeSets: [rangeSet("10.0.0.0/24")], store: one).release(Attachment(containerID: "c1", ifname: "eth0"))
        #expect(one.files.keys.sorted() == ["10.0.0.6"])
        let two = InMemoryStore(files: files)
        try Allocator(rangeSets: [rangeSet("10.0.0.0/24"), rangeSet("fd00::/64")], store: two).release(Attachment(containerID: "c1", ifname: "eth0"))
        #expect(two.files.isEmpty)
    }

    @Test("find: exact reservations, else legacy ones, else none")
    func find() throws {
        let store = InMemoryStore(files: ["10.0.0.2": "a\r\neth0", "10.0.0.3": "b", "10.0.0.4": "a"])
        let allocator = Allocator(rangeSets: [rangeSet("10.0.0.0/24")], store: store)
        #expect(try allocator.find(Attachment(containerID: "a", ifname: "eth0")) == [ip("10.0.0.2")])
        #expect(try allocator.find(Attachment(containerID: "a", ifname: "eth1")) == [ip("10.0.0.4")])
        #expect(try allocator.find(Attachment(containerID: "b", ifname: "anything")) == [ip("10.0.0.3")])
        #expect(try allocator.find(Attachment(containerID: "c", ifname: "eth0")) == [])
    }

    // MARK: GC and STATUS

    @Test("GC releases every reservation of an attachment that is not valid")
    func garbageCollect() throws {
        let store = InMemoryStore(files: [
            "10.0.0.2": "a\r\neth0", "10.0.0.3": "b\r\neth0", "10.0.0.4": "a\r\neth1",
            "10.0.0.5": "c", "10.0.0.6": "b", "10.0.0.7": "",
        ], lastReserved: [0: "10.0.0.7"])
        let allocator = Allocator(rangeSets: [rangeSet("10.0.0.0/24")], store: store)
        let valid: Set = [Attachment(containerID: "a", ifname: "eth0"), Attachment(containerID: "b", ifname: "eth0")]
        let released = try allocator.garbageCollect(valid: valid)
        #expect(Set(released.map(\.name)) == ["10.0.0.4", "10.0.0.5", "10.0.0.7"])
        #expect(store.files.keys.sorted() == ["10.0.0.2", "10.0.0.3", "10.0.0.6"])
        #expect(store.lastReserved[0] == "10.0.0.7")
        #expect(try allocator.garbageCollect(valid: []).count == 3)
        #expect(store.files.isEmpty)
    }

    @Test("exhausted range sets: probed near the last reserved address, counted when nearly full")
    func exhaustedRangeSets() throws {
        let store = InMemoryStore()
        let sets = [rangeSet("10.0.0.0/30"), rangeSet("10.1.0.0/24"), rangeSet("fd00::/64")]
        let allocator = Allocator(rangeSets: sets, store: store)
        #expect(try allocator.exhaustedRangeSets() == [])

        store.files["10.0.0.2"] = Array("x".utf8)
        #expect(try allocator.exhaustedRangeSets() == [0])

        // A /24 with one free address far from where the next allocation
        // starts: the probe gives up and the count finds it.
        for host in 2...254 where host != 200 { store.files["10.1.0.\(host)"] = Array("x".utf8) }
        store.lastReserved[1] = "10.1.0.2"
        #expect(try allocator.exhaustedRangeSets(probeLimit: 8) == [0])
        store.files["10.1.0.200"] = Array("x".utf8)
        #expect(try allocator.exhaustedRangeSets(probeLimit: 8) == [0, 1])
        // A file named as the gateway does not use up an address.
        store.files["10.1.0.1"] = Array("x".utf8)
        store.files["10.1.0.100"] = nil
        #expect(try allocator.exhaustedRangeSets(probeLimit: 8) == [0])
    }
}
