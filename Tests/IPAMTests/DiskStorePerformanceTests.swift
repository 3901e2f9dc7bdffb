import CNISpec
import Glibc
import TestKit
import Testing
@testable import IPAM

private func environment(_ name: String) -> String? {
    getenv(name).map { String(decoding: UnsafeRawBufferPointer(start: $0, count: strlen($0)), as: UTF8.self) }
}

private let perfEnabled = environment("IPAM_PERF") == "1"

/// ADD and DEL cost must not grow with the store: the median at 60,000
/// reservations within 1.2x of the median with an empty store. Each call
/// opens the store, as a plugin process does; the two stores are measured
/// alternately, so that background load hits both alike.
///
/// Opt-in: `IPAM_PERF=1 swift test -c release --filter speed`; the stores
/// go under `IPAM_PERF_DIR` (default /tmp; try /dev/shm for tmpfs).
@Suite("Disk store: speed", .serialized, .enabled(if: perfEnabled, "set IPAM_PERF=1 to run"))
struct DiskStorePerformanceTests {
    private static let reservations = 60_000
    private static let cycles = 200
    private let sets = [rangeSet("10.0.0.0/8")]

    private func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// One ADD and one DEL, each a separate open + lock session.
    private func cycle(dataDir: String, id: String) throws -> (add: Double, del: Double) {
        var start = now()
        let store = try DiskStore.open(dataDir: dataDir, network: "n")
        _ = try store.withLock { () throws(CNIError) in
            try Allocator(rangeSets: sets, store: store).allocate(for: Attachment(containerID: id, ifname: "eth0"))
        }
        let add = now() - start
        start = now()
        let again = try DiskStore.open(dataDir: dataDir, network: "n")
        try again.withLock { () throws(CNIError) in
            _ = try Allocator(rangeSets: sets, store: again).release(Attachment(containerID: id, ifname: "eth0"))
        }
        return (add, now() - start)
    }

    @Test("ADD and DEL at 60,000 reservations stay within 1.2x of an empty store")
    func flatCost() throws {
        let parent = environment("IPAM_PERF_DIR") ?? "/tmp"
        var template = Array((parent + "/ipam-perf-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        try #require(made != nil)
        let root = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { removeTree(root) }
        let emptyDir = root + "/empty"
        let fullDir = root + "/full"

        // Fill a store as the reference would have: one file per address.
        let store = try DiskStore.open(dataDir: fullDir, network: "n")
        var start = now()
        for n in 0..<Self.reservations {
            writeText(store.path + "/" + IPAddress.v4(0x0a00_0002 + UInt32(n)).description, "c\(n)\r\neth0")
        }
        writeText(store.path + "/last_reserved_ip.0", IPAddress.v4(0x0a00_0002 + UInt32(Self.reservations - 1)).description)
        let fillTime = now() - start
        start = now()
        _ = try store.withLock { () throws(CNIError) in try store.reservations(for: .legacy(containerID: "nobody")) }
        let rebuildTime = now() - start
        start = now()
        _ = try store.withLock { () throws(CNIError) in try store.reservations(for: .legacy(containerID: "nobody")) }
        let trustedTime = now() - start

        var add: [[Double]] = [[], []]
        var del: [[Double]] = [[], []]
        for n in 0..<(Self.cycles + 20) {
            for (which, dir) in [emptyDir, fullDir].enumerated() {
                let (a, d) = try cycle(dataDir: dir, id: "perf-\(n)")
                // The first cycles warm both stores up.
                if n >= 20 {
                    add[which].append(a)
                    del[which].append(d)
                }
            }
        }
        let (emptyAdd, fullAdd) = (median(add[0]), median(add[1]))
        let (emptyDel, fullDel) = (median(del[0]), median(del[1]))

        func us(_ seconds: Double) -> String { String(Int((seconds * 1e6).rounded())) + " us" }
        print("""
            IPAM perf (\(root)): fill \(Self.reservations) files \(us(fillTime)); \
            first session (index rebuild) \(us(rebuildTime)); next session \(us(trustedTime))
            IPAM perf: ADD median empty \(us(emptyAdd)), at \(Self.reservations) \(us(fullAdd)), ratio \(fullAdd / emptyAdd)
            IPAM perf: DEL median empty \(us(emptyDel)), at \(Self.reservations) \(us(fullDel)), ratio \(fullDel / emptyDel)
            """)
        #expect(fullAdd <= emptyAdd * 1.2)
        #expect(fullDel <= emptyDel * 1.2)
    }
}
