import Glibc
import Testing

/// SIGKILL at any instant leaves the store usable and truthful: every file
/// complete, no address held twice, every reservation still releasable, and
/// the index (ours, private) never trusted when it is wrong.
@Suite("Crash safety")
struct CrashSafetyTests {
    static let dualStack = #""ranges": [[{"subnet": "10.1.0.0/16"}], [{"subnet": "2001:db8:1::/64"}]]"#

    @Test("SIGKILL at random instants during ADD and DEL leaves a consistent store")
    func killedAtRandomInstants() {
        let net = TestNetwork(ipam: Self.dualStack, version: "1.1.0")

        // 1. How long an ADD takes here, so the kills spread over its whole life.
        var durations: [Duration] = []
        for number in 0..<5 {
            let start = ContinuousClock.now
            #expect(net.add("calibrate-\(number)").succeeded)
            durations.append(ContinuousClock.now - start)
        }
        let typical = durations.sorted()[2]
        let window = max(200, Int(typical.components.seconds * 1_000_000 + typical.components.attoseconds / 1_000_000_000_000) * 6 / 5)

        // 2. Start ADDs and DELs, killing each after a random delay, until
        //    enough kills landed inside a call (many calls end before the
        //    kill, more so with a fast binary on a busy machine).
        let wantedKills = 30
        let maximumCalls = 1_000
        var ids = (0..<5).map { "calibrate-\($0)" }
        var killed = 0
        var number = 0
        while killed < wantedKills && number < maximumCalls {
            defer { number += 1 }
            let call: PluginCall
            if number % 3 == 2, let victim = ids.randomElement() {
                call = net.request("DEL", victim)
            } else {
                let id = "crash-\(number)"
                ids.append(id)
                call = net.request("ADD", id)
            }
            let process = call.start(.ours)
            // Half the kills anywhere in the call's life, half near its end,
            // where the store is read and written (startup dominates a call).
            let delay = Bool.random() ? Int.random(in: 0...window) : Int.random(in: (window / 2)...window)
            usleep(UInt32(delay))
            process.kill()
            let outcome = process.wait()
            if outcome.signal == SIGKILL { killed += 1 }
            #expect(outcome.signal == nil || outcome.signal == SIGKILL, "\(outcome)")
        }
        #expect(killed >= wantedKills, "too few calls were actually interrupted (\(killed) of \(number)); the window was \(window) µs")

        // 3. Every address file is complete and belongs to one of our attachments, once per family.
        let files = net.ipFiles
        let known = Set(ids.map { reservation($0) })
        for (name, content) in files {
            #expect(known.contains(content), "partial or foreign file \(name): \(content.debugDescription)")
        }
        for id in ids {
            let held = files.filter { $0.value == reservation(id) }.keys
            #expect(held.filter { $0.contains(":") }.count <= 1, "\(id) holds \(held.sorted())")
            #expect(held.filter { !$0.contains(":") }.count <= 1, "\(id) holds \(held.sorted())")
        }

        // 4. CHECK (which reads the index) agrees with the files, DEL releases
        //    each attachment, and GC finds nothing left over.
        for id in ids {
            let holds = files.values.contains(reservation(id))
            let check = net.check(id)
            #expect(check.succeeded == holds, "CHECK \(id): \(check)")
        }
        for id in ids { #expect(net.del(id).succeeded) }
        #expect(net.ipFiles.isEmpty, "left after DEL of every attachment: \(net.ipFiles.keys.sorted())")
        #expect(net.gc(valid: []).succeeded)
        #expect(net.ipFiles.isEmpty)

        // 5. The store still works.
        let fresh = net.add("fresh")
        #expect(fresh.addresses.count == 2, "\(fresh)")
        #expect(net.ipFiles.count == 2)
    }
}
