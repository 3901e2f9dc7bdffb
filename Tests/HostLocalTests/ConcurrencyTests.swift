import Testing

/// Parallel calls on one store serialise on its lock (REFERENCE §3.5).
@Suite("Concurrency")
struct ConcurrencyTests {
    static let dualStack = #""ranges": [[{"subnet": "10.1.0.0/16"}], [{"subnet": "2001:db8:1::/64"}]]"#

    /// Starts every call at once, then collects them all.
    static func runInParallel(_ calls: [(PluginCall, Plugin)]) -> [CallOutcome] {
        let started = calls.map { call, plugin in (call.start(plugin), plugin) }
        return started.map { process, plugin in CallOutcome(plugin: plugin, process: process.wait(timeout: .seconds(60))) }
    }

    @Test("128 parallel ADDs all succeed with distinct addresses; 128 parallel DELs leave no address file")
    func parallelAddsAndDeletes() {
        let net = TestNetwork(ipam: Self.dualStack)
        let ids = (0..<128).map { "parallel-\($0)" }
        let adds = Self.runInParallel(ids.map { (net.request("ADD", $0), .ours) })
        for add in adds where !add.succeeded { Issue.record("ADD failed: \(add)") }
        let addresses = adds.flatMap(\.addresses)
        #expect(addresses.count == 256)
        #expect(Set(addresses).count == 256)
        #expect(net.ipFiles.count == 256)
        // Each file holds the attachment its result was given to.
        for (id, add) in zip(ids, adds) {
            for address in add.addresses {
                let name = String(address.split(separator: "/")[0])
                #expect(net.ipFiles[name] == reservation(id))
            }
        }

        let deletes = Self.runInParallel(ids.map { (net.request("DEL", $0), .ours) })
        for del in deletes where !del.succeeded { Issue.record("DEL failed: \(del)") }
        #expect(net.ipFiles.isEmpty)
        for id in ids.prefix(3) { #expect(net.check(id).error != nil) }
        #expect(net.add("after").succeeded)
    }

    @Test("ours and the reference in parallel on one store never share an address",
          .enabled(if: Plugin.referenceIsInstalled, "reference /usr/lib/cni/host-local is not installed"))
    func mixedParallelAdds() {
        let net = TestNetwork(ipam: Self.dualStack)
        let ids = (0..<96).map { "mixed-\($0)" }
        let plugins: [Plugin] = ids.indices.map { $0 % 2 == 0 ? .ours : .reference }
        let adds = Self.runInParallel(zip(ids, plugins).map { (net.request("ADD", $0), $1) })
        for add in adds where !add.succeeded { Issue.record("ADD failed: \(add)") }
        let addresses = adds.flatMap(\.addresses)
        #expect(addresses.count == 192)
        #expect(Set(addresses).count == 192)
        #expect(net.ipFiles.count == 192)

        // Released crosswise: each implementation deletes the other's.
        let deletes = Self.runInParallel(zip(ids, plugins).map { (net.request("DEL", $0), $1 == .ours ? .reference : .ours) })
        for del in deletes where !del.succeeded { Issue.record("DEL failed: \(del)") }
        #expect(net.ipFiles.isEmpty)
        #expect(net.check(ids[0]).error != nil)
    }
}
