import Glibc
import TestKit
import Testing

/// After a reboot no pod of the earlier boot exists any more; the first
/// ADD releases the reservations host-local made then (`reclaimAfterReboot`,
/// on by default). A reboot is simulated by running the plugin with another
/// file bind-mounted over /proc/sys/kernel/random/boot_id, in a mount
/// namespace of its own.
@Suite("Reboots: reservations of an earlier boot are reclaimed", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct RebootTests {
    static let small = #""ranges": [[{"subnet": "10.1.2.0/29"}]]"#

    /// Runs calls as if the node had booted again, with boot ID `bootID`.
    struct Boot {
        let wrapper: [String]

        init(_ bootID: String, scratch: TemporaryDirectory) {
            let file = scratch.sub("boot_id-" + bootID)
            writeFile(file, bootID + "\n")
            wrapper = PrivateMounts.inOwnNamespace(after: "mount --bind '\(file)' /proc/sys/kernel/random/boot_id")
        }

        func run(_ call: PluginCall, _ plugin: Plugin = .ours) -> CallOutcome {
            var call = call
            call.wrapper = wrapper
            return call.run(plugin)
        }
    }

    @Test("the first ADD after a reboot releases what we reserved before it, and only that; round-robin continues")
    func reclaimed() {
        let net = TestNetwork(ipam: Self.small)
        #expect(net.add("c1").addresses == ["10.1.2.2/29"])
        #expect(net.add("c2").addresses == ["10.1.2.3/29"])
        #expect(net.del("c2").succeeded)
        // The reference's reservation has no known boot: it stays.
        let reference = Plugin.referenceIsInstalled
        if reference { #expect(net.add("r1", using: .reference).addresses == ["10.1.2.4/29"]) }
        else { writeFile(net.store + "/10.1.2.4", reservation("r1")); writeFile(net.store + "/last_reserved_ip.0", "10.1.2.4") }

        let boot = Boot("5e1f0000-0000-4000-8000-00000000000b", scratch: net.scratch)
        #expect(boot.run(net.request("ADD", "c3")).addresses == ["10.1.2.5/29"])
        #expect(net.ipFiles == ["10.1.2.4": reservation("r1"), "10.1.2.5": reservation("c3")])
        // A DEL (or CHECK) arriving late for a reclaimed attachment: nothing to do.
        #expect(boot.run(net.request("DEL", "c1")).succeeded)
        #expect(boot.run(net.request("CHECK", "c1")).error?.message == "host-local: Failed to find address added by container c1")
        // Later calls of this boot release nothing, however old the files look.
        setFileTime(net.store + "/10.1.2.5", seconds: 1)
        #expect(boot.run(net.request("ADD", "c4")).addresses == ["10.1.2.6/29"])
        #expect(net.ipFiles.keys.sorted() == ["10.1.2.4", "10.1.2.5", "10.1.2.6"])
        // The next reboot: c4 goes; c3's file changed since we made it (its mtime), so it counts as unknown and stays.
        let next = Boot("5e1f0000-0000-4000-8000-00000000000c", scratch: net.scratch)
        #expect(next.run(net.request("ADD", "c5")).addresses == ["10.1.2.2/29"])
        #expect(net.ipFiles.keys.sorted() == ["10.1.2.2", "10.1.2.4", "10.1.2.5"])
        #expect(net.lastReserved(0) == "10.1.2.2")
    }

    @Test("with reclaimAfterReboot false nothing is released, and what was reserved then never is")
    func turnedOff() {
        let net = TestNetwork(ipam: Self.small + #", "reclaimAfterReboot": false"#)
        #expect(net.add("c1").succeeded)
        let boot = Boot("5e1f0000-0000-4000-8000-00000000000d", scratch: net.scratch)
        #expect(boot.run(net.request("ADD", "c2")).succeeded)
        #expect(net.ipFiles.keys.sorted() == ["10.1.2.2", "10.1.2.3"])
        // Turned on later: c1 and c2 were made untracked, so they stay.
        var on = net.request("ADD", "c3")
        on.stdin = Array(String(decoding: on.stdin, as: UTF8.self).replacingAll(#""reclaimAfterReboot": false"#, with: #""reclaimAfterReboot": true"#).utf8)
        let next = Boot("5e1f0000-0000-4000-8000-00000000000e", scratch: net.scratch)
        #expect(next.run(on).succeeded)
        #expect(net.ipFiles.keys.sorted() == ["10.1.2.2", "10.1.2.3", "10.1.2.4"])
        let wrongType = TestNetwork(ipam: Self.small + #", "reclaimAfterReboot": "no""#).add("c1")
        #expect(wrongType.error?.code == 7, "\(wrongType)")
    }

    @Test("STATUS counts the reservations of an earlier boot as free: the next ADD gets them back")
    func statusAfterReboot() {
        let net = TestNetwork(ipam: Self.small)
        for number in 1...5 { #expect(net.add("c\(number)").succeeded) }
        #expect(net.status().error?.code == 50)
        let boot = Boot("5e1f0000-0000-4000-8000-00000000000f", scratch: net.scratch)
        var status = net.request("STATUS", version: "1.1.0")
        status.containerID = ""
        let before = treeListing(net.store)
        #expect(boot.run(status).succeeded)
        #expect(treeListing(net.store) == before)
        #expect(boot.run(net.request("ADD", "n1")).addresses == ["10.1.2.2/29"])
        #expect(net.ipFiles == ["10.1.2.2": reservation("n1")])
    }
}

/// Sets a file's modification time (as a clock set back would).
func setFileTime(_ path: String, seconds: Int) {
    let times = [timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2), timespec(tv_sec: seconds, tv_nsec: 0)]
    _ = utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW)
}
