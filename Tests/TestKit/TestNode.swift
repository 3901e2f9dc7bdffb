import Glibc
import Synchronization
import Testing

/// The throwaway node the bridge tests run in.
///
/// Every test here creates bridges, veths, addresses and firewall rules, so
/// it runs only when the whole `swift test` process was started by
/// `scripts/test-in-netns.sh`: as root, with `CNI_TEST_IN_NETNS=1`, and (the
/// last guard, checked here) in a network namespace that is neither the one
/// the script started in (`CNI_TEST_OUTER_NETNS`) nor PID 1's. Anything made
/// in that namespace vanishes with it.
enum TestNode {
    static let isAvailable: Bool = {
        guard getuid() == 0, let flag = getenv("CNI_TEST_IN_NETNS"), String(cString: flag) == "1" else {
            return false
        }
        guard let own = namespaceIdentity("/proc/self/ns/net") else { return false }
        if let outer = getenv("CNI_TEST_OUTER_NETNS"), UInt64(String(cString: outer)) == own.inode {
            return false
        }
        if let initial = namespaceIdentity("/proc/1/ns/net"), initial == own { return false }
        return true
    }()

    static let requirement: Comment =
        "needs root inside a throwaway network namespace: run scripts/test-in-netns.sh"

    private struct Identity: Equatable { let device: UInt64; let inode: UInt64 }

    private static func namespaceIdentity(_ path: String) -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// `prefix` + a per-process counter + 4 random hex digits: unique among
    /// parallel tests and across runs; at most 15 bytes for prefixes of up
    /// to 5 characters (interface names).
    static func uniqueName(_ prefix: String) -> String {
        let serial = counter.add(1, ordering: .relaxed).newValue
        var random: UInt16 = 0
        withUnsafeMutableBytes(of: &random) { buffer in
            for index in buffer.indices { buffer[index] = UInt8.random(in: 0...255) }
        }
        return prefix + hex(serial, width: 4) + hex(Int(random), width: 4)
    }

    /// A /24 (and a /64) that no other live test network of this process
    /// uses, so that pods of different tests never route into each other's
    /// bridge. An index given back with `releaseSubnetIndex` (once its
    /// network is torn down: bridge, pods and store gone) is handed out
    /// again, so a run is limited to 249 networks alive at once, not in all.
    static func uniqueSubnetIndex() -> Int {
        let index = subnets.withLock { pool in
            if let reused = pool.released.popLast() { return reused }
            pool.next += 1
            return pool.next
        }
        precondition(index < 250, "more than 249 test networks alive at once")
        return index
    }

    static func releaseSubnetIndex(_ index: Int) {
        subnets.withLock { $0.released.append(index) }
    }

    static func hex(_ value: Int, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static let counter = Atomic<Int>(0)
    private static let subnets = Mutex<(next: Int, released: [Int])>((next: 0, released: []))
}
