import TestKit
import Testing

/// VERSION and the "about" text.
@Suite("VERSION and about")
struct VersionTests {
    static let all = #"["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]"#

    @Test("VERSION lists every version we speak, whatever the input", arguments: ["", #"{"cniVersion": "0.4.0"}"#, "not json"])
    func version(stdin: String) {
        var call = PluginCall(command: "VERSION")
        call.stdin = Array(stdin.utf8)
        let version = call.run(.ours)
        #expect(version.succeeded, "\(version)")
        #expect(version.json == JSON(document: #"{"cniVersion": "1.1.0", "supportedVersions": \#(Self.all)}"#))
    }

    @Test("without CNI_COMMAND the plugin says what it is on stderr and succeeds")
    func about() {
        var call = PluginCall(command: nil)
        call.rawEnvironment = [Array("PATH=/usr/bin:/bin".utf8)]
        let about = call.run(.ours)
        #expect(about.succeeded, "\(about)")
        #expect(about.process.stdout.isEmpty)
        #expect(about.process.stderr.contains("host-local"))
        #expect(about.process.stderr.contains("CNI protocol versions supported: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0"))
    }

    @Test("a build not cut by scripts/release.sh says version unknown in its about line")
    func aboutLineOfAnUnreleasedBuild() {
        var call = PluginCall(command: nil)
        call.rawEnvironment = [Array("PATH=/usr/bin:/bin".utf8)]
        let about = call.run(.ours)
        let firstLine = about.process.stderr.split(separator: "\n", omittingEmptySubsequences: false).first
        #expect(firstLine == "CNI host-local plugin (Swift) version unknown", "\(about)")
    }

    @Test("an unknown command is code 4")
    func unknownCommand() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/30"}]]"#)
        let call = net.call("FOO", "c1")
        #expect(call.error?.code == 4)
        #expect(call.error?.message == "unknown CNI_COMMAND: FOO")
    }

    @Test("missing variables are named, code 4")
    func missingVariables() {
        let net = TestNetwork(ipam: #""ranges": [[{"subnet": "10.1.2.0/30"}]]"#)
        var call = net.request("ADD", "")
        call.netns = ""
        call.ifname = ""
        call.cniPath = ""
        let add = call.run(.ours)
        #expect(add.error == PluginError(code: 4, message: "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing", details: nil), "\(add)")
        #expect(!exists(net.dataDir))
    }
}
