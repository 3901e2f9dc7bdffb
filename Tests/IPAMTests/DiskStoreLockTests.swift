import CNISpec
import Glibc
import TestKit
import Testing
@testable import IPAM

@Suite("Disk store: lock", .serialized)
struct DiskStoreLockTests {
    let temp = TemporaryDirectory()

    private func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    @Test("a busy lock (held as the reference holds it) times out with code 11")
    func timeout() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        // The reference: flock(LOCK_EX) on <store>/lock through its own open file.
        let foreign = open(store.path + "/lock", O_RDONLY)
        #expect(flock(foreign, LOCK_EX) == 0)
        let start = monotonicSeconds()
        let error = caught { () throws(CNIError) in try store.withLock(timeout: .milliseconds(300)) { () throws(CNIError) in 1 } }
        let waited = monotonicSeconds() - start
        #expect(error?.code == .tryAgainLater)
        #expect(error?.message == "timed out after 0.300s waiting for the lock \(store.path)/lock: another host-local call holds it")
        #expect(waited >= 0.29 && waited < 2)
        // Released: the next call gets it at once.
        close(foreign)
        #expect(try store.withLock(timeout: .milliseconds(300)) { () throws(CNIError) in 7 } == 7)
    }

    @Test("withLock holds the reference's lock for its whole body")
    func holdsLock() throws {
        let store = try DiskStore.open(dataDir: temp.path, network: "n")
        let probe = open(store.path + "/lock", O_RDONLY)
        defer { close(probe) }
        let heldInside = try store.withLock { () throws(CNIError) in flock(probe, LOCK_EX | LOCK_NB) != 0 }
        #expect(heldInside)
        #expect(flock(probe, LOCK_EX | LOCK_NB) == 0)
    }

    @Test("concurrent allocations through separate stores get distinct addresses")
    func concurrent() async throws {
        let path = temp.path
        let addresses = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<4 {
                group.addTask {
                    let store = try DiskStore.open(dataDir: path, network: "n")
                    let allocator = Allocator(rangeSets: [rangeSet("10.0.0.0/24"), rangeSet("fd00::/64")], store: store)
                    var mine: [String] = []
                    for n in 0..<25 {
                        let result = try store.withLock { () throws(CNIError) in
                            try allocator.allocate(for: Attachment(containerID: "w\(worker)-\(n)", ifname: "eth0"))
                        }
                        mine += result.map(\.address.address.description)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(addresses.count == 200)
        #expect(Set(addresses).count == 200)
    }
}
