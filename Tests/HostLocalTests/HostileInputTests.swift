import TestKit
import Testing

/// Whatever arrives on stdin or in the environment, the plugin ends with
/// exit status 1 and exactly one JSON error document carrying a code:
/// never a crash, a trap or a hang.
///
/// Every config here names a scratch `dataDir`, so that a regression can
/// never write to the default `/var/lib/cni/networks`; that is checked too.
@Suite("Hostile input")
struct HostileInputTests {
    static let name = "hostile-input-test"
    static let defaultStore = "/var/lib/cni/networks/" + name

    /// Runs ADD (or `command`) with `stdin` and checks that the process
    /// ended normally: exit 0 with nothing or one JSON document on stdout,
    /// or exit 1 with exactly one error document.
    @discardableResult
    static func expectNoCrash(_ stdin: [UInt8], command: String = "ADD", rawEnvironment: [[UInt8]]? = nil,
                              sourceLocation: SourceLocation = #_sourceLocation) -> CallOutcome {
        var call = PluginCall(command: command)
        call.containerID = "c1"
        call.stdin = stdin
        call.rawEnvironment = rawEnvironment
        let outcome = call.run(.ours, timeout: .seconds(20))
        #expect(!outcome.process.timedOut, "hung: \(outcome)", sourceLocation: sourceLocation)
        #expect(outcome.process.signal == nil, "crashed: \(outcome)", sourceLocation: sourceLocation)
        if outcome.process.exitStatus == 0 {
            #expect(outcome.process.stdout.isEmpty || outcome.json != nil, "\(outcome)", sourceLocation: sourceLocation)
        } else {
            #expect(outcome.process.exitStatus == 1, "\(outcome)", sourceLocation: sourceLocation)
            #expect(outcome.error != nil, "not exactly one error document: \(outcome)", sourceLocation: sourceLocation)
        }
        #expect(!exists(defaultStore), "wrote to the default dataDir", sourceLocation: sourceLocation)
        return outcome
    }

    /// As `expectNoCrash`, and the call must fail.
    @discardableResult
    static func expectCleanFailure(_ stdin: [UInt8], command: String = "ADD", rawEnvironment: [[UInt8]]? = nil,
                                   sourceLocation: SourceLocation = #_sourceLocation) -> PluginError? {
        let outcome = expectNoCrash(stdin, command: command, rawEnvironment: rawEnvironment, sourceLocation: sourceLocation)
        #expect(outcome.process.exitStatus == 1, "should fail: \(outcome)", sourceLocation: sourceLocation)
        return outcome.error
    }

    /// `{"cniVersion": "1.0.0", "name": ..., <members>}`, with `dataDir` put
    /// into every `ipam` object that does not set one itself.
    static func config(_ members: String, dataDir: String) -> [UInt8] {
        let ipamStart = #"{"type": "host-local", "#
        let withDataDir = members.contains(#""dataDir""#)
            ? members : members.replacingAll(ipamStart, with: ipamStart + #""dataDir": "\#(dataDir)", "#)
        return Array(#"{"cniVersion": "1.0.0", "name": "\#(name)", "#.utf8) + Array(withDataDir.utf8) + [UInt8(ascii: "}")]
    }

    @Test("empty stdin")
    func emptyStdin() {
        #expect(Self.expectCleanFailure([])?.code == 6)
    }

    @Test("stdin that is not JSON, or not a JSON object", arguments: [
        "not json", "{", "{\"cniVersion\": \"1.0.0\",}", "[]", "42", "\"text\"", "null", "{} {}", "{\"a\": 1}x",
        "{\"name\": \"n\", \"name\": 5}",
    ])
    func notJSON(text: String) {
        Self.expectCleanFailure(Array(text.utf8))
    }

    @Test("20 MB of stdin is refused without reading it all into a crash")
    func hugeStdin() {
        var bytes = Array(#"{"cniVersion": "1.0.0", "name": "n", "pad": ""#.utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "a"), count: 20 << 20)
        bytes += Array(#""}"#.utf8)
        #expect(Self.expectCleanFailure(bytes)?.code == 5)
    }

    @Test("deep nesting, closed or not", arguments: [1_000, 100_000, 1_000_000])
    func deepNesting(depth: Int) {
        Self.expectCleanFailure([UInt8](repeating: UInt8(ascii: "["), count: depth))
        let closed = Array(#"{"cniVersion": "1.0.0", "name": "n", "x": "#.utf8)
            + [UInt8](repeating: UInt8(ascii: "["), count: depth) + [UInt8](repeating: UInt8(ascii: "]"), count: depth) + [UInt8(ascii: "}")]
        Self.expectCleanFailure(closed)
        let objects = Array(String(repeating: #"{"a":"#, count: depth).utf8) + [UInt8(ascii: "1")] + [UInt8](repeating: UInt8(ascii: "}"), count: depth)
        Self.expectCleanFailure(objects)
    }

    /// Config members with one value of the wrong type.
    static let wrongTypes: [String] = [
        #""cniVersion": 1, "ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}"#,
        #""cniVersion": null, "name": 5, "ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}"#,
        #""name": ["n"], "ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}"#,
        #""ipam": "x""#, #""ipam": []"#,
        #""ipam": {"type": "host-local", "subnet": 5}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "rangeStart": 5}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "rangeEnd": {}}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "gateway": true}"#,
        #""ipam": {"type": "host-local", "ranges": "x"}"#, #""ipam": {"type": "host-local", "ranges": ["x"]}"#,
        #""ipam": {"type": "host-local", "ranges": [[5]]}"#, #""ipam": {"type": "host-local", "ranges": [[{"subnet": 5}]]}"#,
        #""ipam": {"type": "host-local", "ranges": [[{"subnet": "10.1.2.0/24", "rangeStart": []}]]}"#,
        #""ipam": {"type": "host-local", "ranges": {}}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "dataDir": []}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "dataDir": 5}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "routes": [1]}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "routes": "x"}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "routes": [{"dst": 5}]}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "routes": [{"dst": "nope"}]}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "routes": [{"dst": "10.0.0.0/8", "gw": 5}]}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "routes": [{"dst": "10.0.0.0/8", "mtu": "big"}]}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "routes": [{"dst": "10.0.0.0/8", "mtu": 1e999}]}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "resolvConf": 5}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}, "args": 5"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}, "args": {"cni": {"ips": "10.1.2.5"}}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}, "args": {"cni": {"ips": [5]}}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}, "runtimeConfig": 5"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}, "runtimeConfig": {"ips": [1]}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}, "runtimeConfig": {"ipRanges": 5}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}, "runtimeConfig": {"ipRanges": [5]}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}, "runtimeConfig": {"ipRanges": [[{"subnet": []}]]}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}, "dns": 5"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}, "dns": {"nameservers": "x"}"#,
    ]

    @Test("a wrong type for any key", arguments: wrongTypes)
    func wrongType(members: String) {
        let scratch = TemporaryDirectory()
        Self.expectCleanFailure(Self.config(members, dataDir: scratch.path))
    }

    @Test("GC with a malformed attachment list", arguments: [#"5"#, #"[5]"#, #"{"containerID": "c1"}"#, #"[{"containerID": 5, "ifname": "eth0"}]"#])
    func malformedAttachments(list: String) {
        let scratch = TemporaryDirectory()
        let config = Self.config(#""cniVersion": "1.1.0", "ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}, "cni.dev/valid-attachments": "# + list,
                                 dataDir: scratch.path)
        Self.expectCleanFailure(config, command: "GC")
    }

    @Test("invalid UTF-8 as the whole stdin")
    func invalidUTF8Stdin() {
        Self.expectCleanFailure([0xff, 0xfe, 0x7b, 0x7d])
    }

    /// Members where `@@` stands for the invalid bytes C3 28 FF.
    @Test("invalid UTF-8 inside strings that matter", arguments: [
        #""name": "n@@", "ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/2@@"}"#,
        #""ipam": {"type": "host-local", "ranges": [[{"subnet": "10.1.2.0/24", "gateway": "@@"}]]}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}, "runtimeConfig": {"ips": ["10.1.2.5@@"]}"#,
    ])
    func invalidUTF8(members: String) {
        let scratch = TemporaryDirectory()
        var config = Self.config(members, dataDir: scratch.path)
        if let at = config.indices.first(where: { config[$0...].starts(with: [0x40, 0x40]) }) {
            config.replaceSubrange(at..<(at + 2), with: [0xc3, 0x28, 0xff])
        }
        Self.expectCleanFailure(config)
    }

    @Test("invalid UTF-8 in dataDir: used as a path (as Go would, with U+FFFD) or refused, never a crash")
    func invalidUTF8InDataDir() {
        let scratch = TemporaryDirectory()
        let config = Array(#"{"cniVersion": "1.0.0", "name": "\#(Self.name)", "ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "dataDir": "\#(scratch.path)/"#.utf8)
            + [0x80] + Array(#""}}"#.utf8)
        Self.expectNoCrash(config)
        #expect(treeListing(scratch.path).allSatisfy { !$0.contains("/") || $0.contains("/\(Self.name)") })
    }

    @Test("NUL bytes in names and paths", arguments: [
        #""name": "n\u0000x", "ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}"#,
        #""name": "\u0000", "ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "dataDir": "/tmp/x\u0000y"}"#,
        #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "resolvConf": "/etc/resolv.conf\u0000x"}"#,
    ])
    func nulBytes(members: String) {
        let scratch = TemporaryDirectory()
        Self.expectCleanFailure(Self.config(members, dataDir: scratch.path))
        #expect(!exists("/tmp/x"))
    }

    @Test("a resolvConf that is a directory names the read's errno, as the reference does")
    func resolvConfDirectory() {
        let scratch = TemporaryDirectory()
        let members = #""ipam": {"type": "host-local", "subnet": "10.1.2.0/24", "resolvConf": "\#(scratch.path)"}"#
        let error = Self.expectCleanFailure(Self.config(members, dataDir: scratch.path))
        #expect(error?.message == "read \(scratch.path): is a directory", "\(String(describing: error))")
    }

    @Test("a raw NUL byte in stdin")
    func rawNUL() {
        Self.expectCleanFailure(Array(#"{"cniVersion": "1.0.0", "name": "n"#.utf8) + [0] + Array(#""}"#.utf8))
    }

    @Test("invalid UTF-8 and oversized values in the environment")
    func hostileEnvironment() {
        let scratch = TemporaryDirectory()
        let config = Self.config(#""ipam": {"type": "host-local", "subnet": "10.1.2.0/24"}"#, dataDir: scratch.path)
        let base: [[UInt8]] = ["CNI_COMMAND=ADD", "CNI_NETNS=/x", "CNI_PATH=/x"].map { Array($0.utf8) }
        let id = Array("CNI_CONTAINERID=c1".utf8), ifname = Array("CNI_IFNAME=eth0".utf8)
        let cases: [[[UInt8]]] = [
            [Array("CNI_CONTAINERID=c".utf8) + [0xff], ifname],
            [id, Array("CNI_IFNAME=".utf8) + [UInt8](repeating: 0x41, count: 100_000)],
            [id, ifname, Array("CNI_ARGS=".utf8) + [0xff, 0x3d, 0x3b]],
            [id, ifname, Array("CNI_ARGS=IP=".utf8) + [UInt8](repeating: 0x31, count: 100_000)],
            [Array("CNI_CONTAINERID=".utf8) + [UInt8](repeating: 0x61, count: 100_000), ifname],
        ]
        for extra in cases {
            Self.expectNoCrash(config, rawEnvironment: base + extra)
        }
    }
}
