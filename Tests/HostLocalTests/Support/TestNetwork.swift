import Glibc
import TestKit

/// One host-local network with its own fresh, temporary dataDir: the calls
/// a runtime makes against it, and what its store holds on disk.
///
/// The config sent on stdin is
/// `{"cniVersion": V, "name": N, "ipam": {"type": "host-local", "dataDir": D, <ipam>}, <topLevel>}`,
/// where `ipam` and `topLevel` are JSON members written by the test.
final class TestNetwork: @unchecked Sendable {
    let scratch = TemporaryDirectory()
    let name: String
    let ipam: String
    let topLevel: String
    let version: String
    /// Where every ADD/DEL/... goes unless a call says otherwise.
    let plugin: Plugin

    init(ipam: String, topLevel: String = "", name: String = "testnet", version: String = "1.0.0", plugin: Plugin = .ours) {
        self.ipam = ipam
        self.topLevel = topLevel
        self.name = name
        self.version = version
        self.plugin = plugin
    }

    var dataDir: String { scratch.sub("data") }
    /// `<dataDir>/<name>`, the reference's store directory.
    var store: String { dataDir + "/" + name }

    func config(version: String? = nil, extra: String = "") -> String {
        let members = [topLevel, extra].filter { !$0.isEmpty }
        return "{\"cniVersion\": \"\(version ?? self.version)\", \"name\": \"\(name)\", "
            + "\"ipam\": {\"type\": \"host-local\", \"dataDir\": \"\(dataDir)\""
            + (ipam.isEmpty ? "" : ", " + ipam) + "}"
            + members.map { ", " + $0 }.joined() + "}"
    }

    /// The call, ready to run or start.
    func request(_ command: String, _ containerID: String = "", ifname: String = "eth0", args: String = "",
                 version: String? = nil, extra: String = "", netns: String = "/var/run/netns/test-pod") -> PluginCall {
        var call = PluginCall(command: command)
        call.containerID = containerID
        call.ifname = ifname
        call.args = args
        call.netns = netns
        call.stdin = Array(config(version: version, extra: extra).utf8)
        return call
    }

    @discardableResult
    func call(_ command: String, _ containerID: String = "", ifname: String = "eth0", args: String = "",
              version: String? = nil, extra: String = "", netns: String = "/var/run/netns/test-pod",
              using plugin: Plugin? = nil) -> CallOutcome {
        request(command, containerID, ifname: ifname, args: args, version: version, extra: extra, netns: netns)
            .run(plugin ?? self.plugin)
    }

    @discardableResult
    func add(_ containerID: String, ifname: String = "eth0", args: String = "", version: String? = nil,
             extra: String = "", using plugin: Plugin? = nil) -> CallOutcome {
        call("ADD", containerID, ifname: ifname, args: args, version: version, extra: extra, using: plugin)
    }

    @discardableResult
    func del(_ containerID: String, ifname: String = "eth0", netns: String = "/var/run/netns/test-pod",
             using plugin: Plugin? = nil) -> CallOutcome {
        call("DEL", containerID, ifname: ifname, netns: netns, using: plugin)
    }

    @discardableResult
    func check(_ containerID: String, ifname: String = "eth0", prevResult: JSON? = nil, version: String = "1.0.0",
               using plugin: Plugin? = nil) -> CallOutcome {
        call("CHECK", containerID, ifname: ifname, version: version,
             extra: prevResult.map { "\"prevResult\": \($0)" } ?? "", using: plugin)
    }

    /// GC (1.1.0) keeping `valid`, sent under `key` (`nil`: no list at all).
    @discardableResult
    func gc(valid: [(containerID: String, ifname: String)]?, key: String = "cni.dev/valid-attachments") -> CallOutcome {
        let list = valid.map { valid in
            "[" + valid.map { "{\"containerID\": \"\($0.containerID)\", \"ifname\": \"\($0.ifname)\"}" }
                .joined(separator: ", ") + "]"
        }
        return gc(listJSON: list, key: key)
    }

    /// GC (1.1.0) with `listJSON` as the value of `key` (`nil`: no key).
    @discardableResult
    func gc(listJSON: String?, key: String = "cni.dev/valid-attachments") -> CallOutcome {
        let extra = listJSON.map { "\"\(key)\": \($0)" } ?? ""
        var call = request("GC", version: "1.1.0", extra: extra)
        // As libcni sends them: present but empty.
        call.containerID = ""
        call.ifname = ""
        call.netns = ""
        return call.run(.ours)
    }

    @discardableResult
    func status() -> CallOutcome {
        var call = request("STATUS", version: "1.1.0")
        call.containerID = ""
        call.ifname = ""
        call.netns = ""
        return call.run(.ours)
    }

    // MARK: The store on disk

    /// The reservation files: name -> content, for every top-level regular
    /// file except `lock` and `last_reserved_ip.*`.
    var ipFiles: [String: String] {
        var files: [String: String] = [:]
        for name in directoryEntries(store)
        where name != "lock" && !name.hasPrefix("last_reserved_ip.") && fileType(store + "/" + name) == S_IFREG {
            files[name] = readText(store + "/" + name)
        }
        return files
    }

    /// The files both implementations write, byte for byte: every top-level
    /// regular file except `lock` (reservations and `last_reserved_ip.N`).
    /// Our private `.index` directory is left out.
    var sharedFiles: [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in directoryEntries(store) where name != "lock" && fileType(store + "/" + name) == S_IFREG {
            files[name] = readFile(store + "/" + name)
        }
        return files
    }

    func lastReserved(_ rangeSet: Int) -> String? { readText(store + "/last_reserved_ip.\(rangeSet)") }
}

/// `id\r\nifname`: what a reservation file holds.
func reservation(_ containerID: String, _ ifname: String = "eth0") -> String { containerID + "\r\n" + ifname }
