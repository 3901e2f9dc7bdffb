import Testing
@testable import CNISpec

/// A plugin that records what it was asked and answers with a fixed result.
final class RecordingPlugin: CNIPlugin, @unchecked Sendable {
    var about: String { "CNI recording plugin" }
    var calls: [CNICommand] = []
    var failure: CNIError? = nil

    func add(_ request: CNIRequest) throws -> CNIResult {
        calls.append(.add)
        if let failure { throw failure }
        return CNIResult(ips: [.init(address: CIDR("10.0.0.2/24")!, gateway: IPAddress("10.0.0.1"))])
    }
    func delete(_ request: CNIRequest) throws { calls.append(.del); if let failure { throw failure } }
    func check(_ request: CNIRequest) throws { calls.append(.check) }
    func garbageCollect(_ request: CNIRequest) throws { calls.append(.gc) }
    func status(_ request: CNIRequest) throws { calls.append(.status) }
}

@Suite("The dispatcher: environment, config and version rules")
struct PluginMainTests {
    static let addEnvironment = ["CNI_COMMAND=ADD", "CNI_CONTAINERID=c1", "CNI_NETNS=/run/netns/c1",
                                 "CNI_IFNAME=eth0", "CNI_PATH=/opt/cni/bin"]

    func run(_ environment: [String], _ stdin: String, plugin: RecordingPlugin = RecordingPlugin())
        -> (PluginMain.Outcome, JSONObject?) {
        let outcome = PluginMain.handle(plugin, environment: environment) { () throws(CNIError) in Array(stdin.utf8) }
        let object = try? JSONParser.parse(outcome.stdout).objectValue
        return (outcome, object)
    }

    func errorCode(_ object: JSONObject?) -> Int? {
        guard case .number(let text)? = object?["code"] else { return nil }
        return Int(text)
    }

    @Test("no CNI_COMMAND prints the about text on stderr and succeeds")
    func about() {
        let (outcome, _) = run([], "")
        #expect(outcome.exitStatus == 0)
        #expect(outcome.stdout.isEmpty)
        #expect(outcome.stderr.contains("CNI recording plugin"))
        #expect(outcome.stderr.contains("CNI protocol versions supported: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0"))
    }

    @Test("the about line names the release the binary was cut from")
    func aboutNamesTheRelease() {
        let outcome = PluginMain.handle(RecordingPlugin(), environment: [], release: "v1.2.3-4-g5678abc") {
            () throws(CNIError) in []
        }
        #expect(outcome.stderr.hasPrefix("CNI recording plugin v1.2.3-4-g5678abc\n"), "\(outcome.stderr)")
    }

    @Test("without a release the about line says version unknown, as the reference's unversioned builds do")
    func aboutWithoutARelease() {
        let (outcome, _) = run([], "")
        #expect(outcome.stderr.hasPrefix("CNI recording plugin version unknown\n"), "\(outcome.stderr)")
    }

    @Test("VERSION lists every supported version")
    func version() {
        let (outcome, object) = run(["CNI_COMMAND=VERSION"], "")
        #expect(outcome.exitStatus == 0)
        #expect(object?["supportedVersions"] == .array(CNIVersion.supported.map { .string($0) }))
    }

    @Test("CNI_PATH is split as Go's filepath.SplitList splits it, empty entries kept", arguments: [
        ("/opt/cni/bin", ["/opt/cni/bin"]),
        ("::/opt/cni/bin:", ["", "", "/opt/cni/bin", ""]),
        ("/a:/b", ["/a", "/b"]),
        ("", []),
    ])
    func pluginDirectories(variable: String, expected: [String]) {
        #expect(PluginMain.pluginDirectories(variable) == expected)
    }

    @Test("a plugin missing from a CNI_PATH with empty entries is reported with them, as the reference prints the list")
    func missingPluginNamesEmptyEntries() {
        #expect(throws: CNIError(.invalidNetworkConfig, "failed to find plugin \"nope\" in path [  /nonexistent ]")) {
            _ = try DelegatedPlugin(type: "nope", directories: PluginMain.pluginDirectories("::/nonexistent:"))
        }
    }

    @Test("missing variables are named in the reference's order, code 4")
    func missingVariables() {
        let (outcome, object) = run(["CNI_COMMAND=ADD"], "{}")
        #expect(outcome.exitStatus == 1)
        #expect(errorCode(object) == 4)
        #expect(object?["msg"] == .string("required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing"))
    }

    @Test("an unknown verb is code 4")
    func unknownVerb() {
        let (_, object) = run(["CNI_COMMAND=FOO"], #"{"name":"net"}"#)
        #expect(errorCode(object) == 4)
        #expect(object?["msg"] == .string("unknown CNI_COMMAND: FOO"))
    }

    @Test("an unknown verb is named after the config is decoded, as upstream's library does", arguments: [
        ("\"str\"", 6), ("{}", 7),
    ])
    func unknownVerbAfterConfig(stdin: String, code: Int) {
        let (_, object) = run(["CNI_COMMAND=FOO"], stdin)
        #expect(errorCode(object) == code)
    }

    @Test("stdin that is not a JSON object is code 6", arguments: ["", "not json", "[1]", "{\"a\":", "\"x\""])
    func undecodable(stdin: String) {
        let (outcome, object) = run(Self.addEnvironment, stdin)
        #expect(outcome.exitStatus == 1)
        #expect(errorCode(object) == 6)
        #expect(object?["msg"]?.stringValue?.hasPrefix("error unmarshall network config: ") == true)
    }

    @Test("network names that could become paths are code 7", arguments: ["", "../etc", "a/b", ".hidden", "x y"])
    func badNetworkName(name: String) {
        let (_, object) = run(Self.addEnvironment, #"{"cniVersion":"1.0.0","name":"\#(name)"}"#)
        #expect(errorCode(object) == 7)
    }

    @Test("bad container IDs and interface names are code 4", arguments: [
        ("CNI_CONTAINERID=x y", "invalid characters in containerID"),
        ("CNI_CONTAINERID=-abc", "invalid characters in containerID"),
        ("CNI_IFNAME=averyveryverylongname", "interface name is too long"),
        ("CNI_IFNAME=..", "interface name is . or .."),
        ("CNI_IFNAME=eth/0", "interface name contains / or : or whitespace characters"),
    ])
    func badIdentifiers(override: String, message: String) {
        let key = override.prefix { $0 != "=" }
        let environment = Self.addEnvironment.filter { !$0.hasPrefix(key + "=") } + [override]
        let (_, object) = run(environment, #"{"cniVersion":"1.0.0","name":"net"}"#)
        #expect(errorCode(object) == 4)
        #expect(object?["msg"] == .string(message))
    }

    @Test("an unsupported version is code 1 and names the supported ones")
    func unsupportedVersion() {
        let (_, object) = run(Self.addEnvironment, #"{"cniVersion":"9.9.9","name":"net"}"#)
        #expect(errorCode(object) == 1)
        #expect(object?["msg"] == .string("incompatible CNI versions"))
        #expect(object?["details"]?.stringValue?.hasPrefix(#"config is "9.9.9", plugin supports ["0.1.0" "#) == true)
    }

    @Test("CHECK needs 0.4.0, GC and STATUS need 1.1.0", arguments: [
        ("CHECK", "0.3.1"), ("GC", "1.0.0"), ("STATUS", "1.0.0"),
    ])
    func verbVersions(verb: String, version: String) {
        let environment = Self.addEnvironment.filter { !$0.hasPrefix("CNI_COMMAND=") } + ["CNI_COMMAND=\(verb)"]
        let plugin = RecordingPlugin()
        let (_, object) = run(environment, #"{"cniVersion":"\#(version)","name":"net"}"#, plugin: plugin)
        #expect(errorCode(object) == 1)
        #expect(object?["msg"] == .string("config version does not allow \(verb)"))
        #expect(plugin.calls.isEmpty)
    }

    @Test("CHECK, GC and STATUS place a version they do not speak as the reference's library does", arguments: [
        ("CHECK", "9.9.9", 1, "plugin version does not allow CHECK"),
        ("CHECK", "1.1.5", 1, "plugin version does not allow CHECK"),
        ("CHECK", "0.3.5", 1, "config version does not allow CHECK"),
        ("CHECK", "-1", 1, "config version does not allow CHECK"),
        ("CHECK", "0.4.5", 1, "incompatible CNI versions"),
        ("CHECK", "+1.0.0", 1, "incompatible CNI versions"),
        ("CHECK", "abc", 6, #"failed to convert major version part "abc": strconv.Atoi: parsing "abc": invalid syntax"#),
        ("CHECK", "1.", 6, #"failed to convert minor version part "": strconv.Atoi: parsing "": invalid syntax"#),
        ("CHECK", "1.2.3.4", 6, #"invalid version "1.2.3.4": too many parts"#),
        ("GC", "9.9.9", 1, "plugin version does not allow GC"),
        ("STATUS", "x", 6, #"failed to convert major version part "x": strconv.Atoi: parsing "x": invalid syntax"#),
    ])
    func verbVersionOutsideTheSupportedOnes(verb: String, version: String, code: Int, message: String) {
        let environment = Self.addEnvironment.filter { !$0.hasPrefix("CNI_COMMAND=") } + ["CNI_COMMAND=\(verb)"]
        let plugin = RecordingPlugin()
        let (_, object) = run(environment, #"{"cniVersion":"\#(version)","name":"net"}"#, plugin: plugin)
        #expect(errorCode(object) == code)
        #expect(object?["msg"] == .string(message))
        #expect(plugin.calls.isEmpty)
    }

    @Test("ADD and DEL need a version spoken exactly, however it is malformed", arguments: ["ADD", "DEL"])
    func addVersionMalformed(verb: String) {
        let environment = Self.addEnvironment.filter { !$0.hasPrefix("CNI_COMMAND=") } + ["CNI_COMMAND=\(verb)"]
        let (_, object) = run(environment, #"{"cniVersion":"abc","name":"net"}"#)
        #expect(errorCode(object) == 1)
        #expect(object?["msg"] == .string("incompatible CNI versions"))
    }

    @Test("stdin null decodes as an empty config, which lacks a name (code 7), as in Go")
    func nullConfig() {
        let (_, object) = run(Self.addEnvironment, "null")
        #expect(errorCode(object) == 7)
        #expect(object?["msg"] == .string("missing network name"))
    }

    @Test("stdin that is no object is code 6 with Go's wording")
    func notAnObject() {
        let (_, object) = run(Self.addEnvironment, "[]")
        #expect(errorCode(object) == 6)
        #expect(object?["msg"] == .string(
            #"error unmarshall network config: json: cannot unmarshal array into Go value of type struct { Name string "json:\"name\"" }"#))
    }

    @Test("a name or cniVersion of the wrong JSON type is code 6 with Go's wording", arguments: [
        (#"{"name":5}"#, "error unmarshall network config: json: cannot unmarshal number into Go struct field .name of type string"),
        (#"{"name":"net","cniVersion":[]}"#,
         "decoding version from network config: json: cannot unmarshal array into Go struct field .cniVersion of type string"),
    ])
    func wrongTypeOfNameOrVersion(stdin: String, message: String) {
        let (_, object) = run(Self.addEnvironment, stdin)
        #expect(errorCode(object) == 6)
        #expect(object?["msg"] == .string(message))
    }

    @Test("the name, container ID and interface name are checked before the version, as in the reference",
          arguments: [
            (["CNI_COMMAND=CHECK"], #"{"cniVersion":"9.9.9"}"#, "missing network name"),
            (["CNI_COMMAND=ADD", "CNI_CONTAINERID=x y"], #"{"cniVersion":"9.9.9","name":"net"}"#,
             "invalid characters in containerID"),
            (["CNI_COMMAND=CHECK", "CNI_IFNAME=a/b"], #"{"cniVersion":"0.1.0","name":"net"}"#,
             "interface name contains / or : or whitespace characters"),
          ])
    func identifiersBeforeVersion(overrides: [String], stdin: String, message: String) {
        let keys = overrides.map { $0.prefix { $0 != "=" } }
        let environment = Self.addEnvironment.filter { entry in !keys.contains { entry.hasPrefix($0 + "=") } } + overrides
        let (_, object) = run(environment, stdin)
        #expect(object?["msg"] == .string(message))
    }

    @Test("GC and STATUS need no container ID or interface name")
    func gcWithoutAttachment() {
        let plugin = RecordingPlugin()
        let (outcome, _) = run(["CNI_COMMAND=GC", "CNI_PATH=/x", "CNI_CONTAINERID=", "CNI_IFNAME="],
                               #"{"cniVersion":"1.1.0","name":"net"}"#, plugin: plugin)
        #expect(outcome.exitStatus == 0)
        #expect(plugin.calls == [.gc])
    }

    @Test("ADD prints the result in the config's version")
    func addResult() {
        let (outcome, object) = run(Self.addEnvironment, #"{"cniVersion":"0.2.0","name":"net"}"#)
        #expect(outcome.exitStatus == 0)
        #expect(object?["cniVersion"] == .string("0.2.0"))
        #expect(object?["ip4"]?.objectValue?["ip"] == .string("10.0.0.2/24"))
    }

    @Test("a missing cniVersion means 0.1.0")
    func missingVersion() {
        let (_, object) = run(Self.addEnvironment, #"{"name":"net"}"#)
        #expect(object?["cniVersion"] == .string("0.1.0"))
    }

    @Test("a plugin's error becomes one document with cniVersion, code, msg and details")
    func errorDocument() {
        let plugin = RecordingPlugin()
        plugin.failure = CNIError(.tryAgainLater, "no IP addresses available", details: "range 10.0.0.0/30")
        let (outcome, object) = run(Self.addEnvironment, #"{"cniVersion":"1.0.0","name":"net"}"#, plugin: plugin)
        #expect(outcome.exitStatus == 1)
        #expect(object?["cniVersion"] == .string("1.0.0"))
        #expect(errorCode(object) == 11)
        #expect(object?["msg"] == .string("no IP addresses available"))
        #expect(object?["details"] == .string("range 10.0.0.0/30"))
    }
}
