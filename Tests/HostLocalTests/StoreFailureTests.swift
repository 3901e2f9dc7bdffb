import CNISpec
import Glibc
@testable import IPAM
import TestKit
import Testing

/// The store when the node misbehaves: a full disk, a read-only mount, a
/// filesystem without unnamed files, a directory full of foreign files.
@Suite("Store failures: full disk, read-only store, no O_TMPFILE, foreign files")
struct StoreFailureTests {
    static let range = #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#

    /// A network whose dataDir is a fresh 64 KiB tmpfs, unmounted when done.
    final class SmallDisk {
        let net: TestNetwork
        init(plugin: Plugin = .ours) {
            net = TestNetwork(ipam: StoreFailureTests.range, plugin: plugin)
            PrivateMounts.mountTmpfs(net.dataDir, kilobytes: 64)
        }
        deinit { PrivateMounts.unmount(net.dataDir) }
    }

    /// Every path under the data directory with its content (files) or "/"
    /// (directories), and the mtimes of the store and of everything in
    /// `.index`: what "nothing written" compares.
    static func snapshot(_ net: TestNetwork) -> [String] {
        treeListing(net.dataDir).map { path in
            let full = net.dataDir + "/" + path
            var info = stat()
            _ = lstat(full, &info)
            let content = fileType(full) == S_IFREG ? String(decoding: readFile(full) ?? [], as: UTF8.self).debugDescription : "/"
            return "\(path) \(content) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }
    }

    // MARK: Full disk

    @Test("a failed ADD on a full disk leaves no file of any kind and names the write that failed, as the reference does",
          .enabled(if: TestNode.isAvailable, TestNode.requirement),
          .enabled(if: Plugin.referenceIsInstalled, "reference /usr/lib/cni/host-local is not installed"))
    func fullDisk() {
        var messages: [Plugin: String] = [:]
        for plugin in Plugin.allCases {
            let disk = SmallDisk(plugin: plugin)
            let net = disk.net
            #expect(net.add("c1").addresses == ["10.1.2.2/24"])
            PrivateMounts.fill(net.dataDir)
            let before = treeListing(net.dataDir)
            let add = net.add("c2")
            #expect(add.error?.code == 999, "\(add)")
            messages[plugin] = add.error?.message.replacingAll(net.scratch.path, with: "<scratch>")
            #expect(treeListing(net.dataDir) == before, "\(plugin) left files behind")
            // Space again: the next ADD works and nothing was left over.
            unlink(net.dataDir + "/fill")
            #expect(net.add("c3").addresses == ["10.1.2.3/24"])
            #expect(net.ipFiles == ["10.1.2.2": reservation("c1"), "10.1.2.3": reservation("c3")])
            #expect(!treeListing(net.dataDir).contains { $0.hasSuffix(".tmp-reservation") })
        }
        #expect(messages[.ours] == "failed to allocate for range 0: write <scratch>/data/testnet/10.1.2.3: no space left on device")
        #expect(messages[.ours] == messages[.reference])
    }

    @Test("on a full disk without O_TMPFILE the named temp file is removed again and the write is named",
          .enabled(if: TestNode.isAvailable, TestNode.requirement))
    func fullDiskNamedFallback() throws {
        let disk = SmallDisk()
        let net = disk.net
        let store = try #require(try DiskStore.open(dataDir: net.dataDir, network: net.name, access: .readWrite, unnamedFiles: false))
        let allocator = Allocator(rangeSets: [try RangeSet([IPRange(RangeConfig(subnet: "10.1.2.0/24"))])], store: store)
        func add(_ id: String) -> Result<[AllocatedIP], CNIError> {
            Result { () throws(CNIError) in
                try store.withLock { () throws(CNIError) in try allocator.allocate(for: Attachment(containerID: id, ifname: "eth0")) }
            }
        }
        #expect(try add("c1").get().first?.address.description == "10.1.2.2/24")
        PrivateMounts.fill(net.dataDir)
        let before = treeListing(net.dataDir)
        guard case .failure(let error) = add("c2") else {
            Issue.record("ADD on a full disk succeeded")
            return
        }
        #expect(error.message == "failed to allocate for range 0: write \(net.store)/.index/tmp/.tmp-reservation: no space left on device")
        #expect(treeListing(net.dataDir) == before)
        #expect(directoryEntries(net.store + "/.index/tmp").isEmpty)
        unlink(net.dataDir + "/fill")
        #expect(try add("c3").get().first?.address.description == "10.1.2.3/24")
        #expect(directoryEntries(net.store + "/.index/tmp").isEmpty)
    }

    // MARK: No O_TMPFILE

    @Test("when unnamed files cannot be linked (no /proc/self/fd), reservations go through the named temp file, which never stays",
          .enabled(if: TestNode.isAvailable, TestNode.requirement))
    func namedFallback() {
        let net = TestNetwork(ipam: Self.range)
        func run(_ command: String, _ id: String) -> CallOutcome {
            var call = net.request(command, id)
            // An empty /proc/self/fd for the plugin (its pid is the shell's: exec).
            call.wrapper = PrivateMounts.inOwnNamespace(after: "mount -t tmpfs tmpfs /proc/$$/fd")
            return call.run(.ours)
        }
        #expect(run("ADD", "c1").addresses == ["10.1.2.2/24"])
        #expect(run("ADD", "c2").addresses == ["10.1.2.3/24"])
        // A taken address: the temp file is reused for the next candidate, then removed.
        writeFile(net.store + "/10.1.2.4", reservation("x"))
        #expect(run("ADD", "c3").addresses == ["10.1.2.5/24"])
        #expect(run("CHECK", "c3").succeeded)
        #expect(run("DEL", "c1").succeeded)
        #expect(net.ipFiles == ["10.1.2.3": reservation("c2"), "10.1.2.4": reservation("x"), "10.1.2.5": reservation("c3")])
        #expect(directoryEntries(net.store + "/.index/tmp").isEmpty)
        #expect(permissions(net.store + "/10.1.2.5") == 0o600)
    }

    // MARK: Read-only store

    @Test("CHECK and STATUS on a read-only store answer from the reservation files when the reference wrote last",
          .enabled(if: TestNode.isAvailable, TestNode.requirement),
          .enabled(if: Plugin.referenceIsInstalled, "reference /usr/lib/cni/host-local is not installed"))
    func readOnlyCheck() {
        let disk = SmallDisk()
        let net = disk.net
        #expect(net.add("c1").succeeded)
        #expect(net.add("r1", using: .reference).succeeded)
        PrivateMounts.remount(net.dataDir, readOnly: true)
        let check = net.check("r1")
        #expect(check.succeeded, "\(check)")
        #expect(net.check("c1").succeeded)
        #expect(net.check("zz").error == PluginError(code: 999, message: "host-local: Failed to find address added by container zz", details: nil))
        var status = net.request("STATUS", version: "1.1.0")
        status.containerID = ""
        #expect(status.run(.ours).succeeded)
        PrivateMounts.remount(net.dataDir, readOnly: false)
    }

    @Test("DEL on a read-only store fails with code 11 and keeps the reservation; once writable, DEL succeeds (the reference says success and leaks it)",
          .enabled(if: TestNode.isAvailable, TestNode.requirement),
          .enabled(if: Plugin.referenceIsInstalled, "reference /usr/lib/cni/host-local is not installed"))
    func readOnlyDelete() {
        let disk = SmallDisk()
        let net = disk.net
        #expect(net.add("c1").succeeded)
        #expect(net.add("r1", using: .reference).succeeded)
        PrivateMounts.remount(net.dataDir, readOnly: true)
        for id in ["c1", "r1"] {
            let del = net.del(id)
            #expect(del.error?.code == 11, "\(del)")
            #expect(del.error?.message.hasPrefix("remove \(net.store)/10.1.2.") == true)
            #expect(del.error?.message.hasSuffix(": read-only file system") == true)
        }
        // Nothing held: nothing to do, success.
        #expect(net.del("nobody").succeeded)
        let reference = net.del("c1", using: .reference)
        #expect(reference.succeeded)
        #expect(net.ipFiles == ["10.1.2.2": reservation("c1"), "10.1.2.3": reservation("r1")])
        // An ADD fails the same way, retryable, naming the file.
        let add = net.add("c2")
        #expect(add.error == PluginError(code: 11, message: "failed to allocate for range 0: open \(net.store)/10.1.2.4: read-only file system", details: nil), "\(add)")
        PrivateMounts.remount(net.dataDir, readOnly: false)
        #expect(net.del("c1").succeeded)
        #expect(net.del("r1").succeeded)
        #expect(net.ipFiles.isEmpty)
    }

    @Test("CHECK and STATUS write nothing, even after the reference wrote last or our index was removed")
    func checkWritesNothing() {
        let net = TestNetwork(ipam: Self.range)
        #expect(net.add("c1").succeeded)
        writeFile(net.store + "/10.1.2.77", reservation("r1"))
        let before = Self.snapshot(net)
        #expect(net.check("c1").succeeded)
        #expect(net.check("r1").succeeded)
        #expect(net.check("zz").error != nil)
        #expect(net.status().succeeded)
        #expect(Self.snapshot(net) == before)
        removeTree(net.store + "/.index")
        let withoutIndex = Self.snapshot(net)
        #expect(net.check("r1").succeeded)
        #expect(Self.snapshot(net) == withoutIndex)
        // A store that does not exist is not created.
        let fresh = TestNetwork(ipam: Self.range)
        #expect(fresh.check("c1").error?.message == "host-local: Failed to find address added by container c1")
        #expect(fresh.status().succeeded)
        #expect(!exists(fresh.dataDir))
    }

    @Test("an unreadable .index, buckets and journal directory (for a plugin without CAP_DAC_OVERRIDE) are taken back and rebuilt",
          .enabled(if: getuid() == 0 && access("/usr/bin/setpriv", X_OK) == 0, "needs root and setpriv"))
    func unreadableIndex() {
        let net = TestNetwork(ipam: Self.range)
        func run(_ command: String, _ id: String) -> CallOutcome {
            var call = net.request(command, id)
            // Root, but without the capabilities that read anything anyway.
            call.wrapper = ["/usr/bin/setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
            return call.run(.ours)
        }
        #expect(run("ADD", "a").addresses == ["10.1.2.2/24"])
        #expect(run("ADD", "b").addresses == ["10.1.2.3/24"])
        let index = net.store + "/.index"
        for name in directoryEntries(index) { chmod(index + "/" + name, 0) }
        chmod(index, 0)
        #expect(run("CHECK", "a").succeeded)
        #expect(run("ADD", "c").addresses == ["10.1.2.4/24"])
        #expect(run("DEL", "a").succeeded)
        #expect(run("CHECK", "a").error != nil)
        #expect(run("ADD", "b").error?.message == "failed to allocate for range 0: 10.1.2.3 has been allocated to b, duplicate allocation is not allowed")
        #expect(net.ipFiles == ["10.1.2.3": reservation("b"), "10.1.2.4": reservation("c")])
        #expect(permissions(index) == 0o700)
        #expect(permissions(index + "/boots") == 0o700)
    }

    // MARK: Foreign files

    @Test("tens of thousands of foreign files in the store are left alone and cost no correctness")
    func foreignJunk() {
        let net = TestNetwork(ipam: Self.range, version: "1.1.0")
        #expect(net.add("c1").succeeded)
        for number in 0..<20_000 { writeFile(net.store + "/junk-\(number)", "c2\r\neth0") }
        makeDirectory(net.store + "/junk-dir")
        writeFile(net.store + "/junk-dir/10.1.2.3", "c2\r\neth0")
        writeFile(net.store + "/10.9.9.9", "c9\r\neth0")   // outside the range: still a reservation
        #expect(net.add("c2").addresses == ["10.1.2.3/24"])
        #expect(net.check("c2").succeeded)
        #expect(net.del("c2").succeeded)
        #expect(net.check("c1").succeeded)
        #expect(net.gc(valid: [("c1", "eth0")]).succeeded)
        #expect(net.ipFiles.keys.filter { !$0.hasPrefix("junk-") }.sorted() == ["10.1.2.2"])
        #expect(directoryEntries(net.store).filter { $0.hasPrefix("junk-") }.count == 20_001)
        #expect(readText(net.store + "/junk-dir/10.1.2.3") == "c2\r\neth0")
    }
}
