import Glibc
import SystemSupport

/// The entry point of both plugins: from environment and stdin to stdout,
/// stderr and exit status, following the spec and the reference's skel.
///
/// Everything that can be checked without side effects is checked here,
/// before the plugin runs: required variables, the verb, the JSON, the
/// network name, the container ID and interface name, the version and what
/// the version allows. Whatever goes wrong, the caller gets exactly one JSON
/// error document on stdout and exit status 1 — never a crash.
public enum PluginMain {
    /// What one call printed and how it ended.
    public struct Outcome: Equatable, Sendable {
        public var stdout: String
        public var stderr: String
        public var exitStatus: Int32
    }

    /// Runs the plugin for this process and exits. `release` is the
    /// version the about line names (nil: "version unknown").
    public static func run(_ plugin: some CNIPlugin, release: String? = nil) -> Never {
        // A delegate that exits without reading its stdin must not kill us.
        signal(SIGPIPE, SIG_IGN)
        let outcome = handle(plugin, environment: ProcessEnvironment.current(), release: release) {
            () throws(CNIError) -> [UInt8] in
            do throws(StandardIO.ReadError) {
                return try StandardIO.readAll(fd: 0)
            } catch {
                switch error {
                case .tooLarge:
                    throw CNIError(.ioFailure, "error reading from stdin: more than \(StandardIO.maximumInputSize) bytes")
                case .failed(let code):
                    throw CNIError(.ioFailure, "error reading from stdin: \(StandardIO.errorText(code))")
                }
            }
        }
        StandardIO.writeAll(fd: 1, outcome.stdout)
        StandardIO.writeAll(fd: 2, outcome.stderr)
        exit(outcome.exitStatus)
    }

    /// The whole protocol, without touching the process's own stdin/stdout:
    /// tests call this directly.
    public static func handle(_ plugin: some CNIPlugin, environment: [String], release: String? = nil,
                              readStdin: () throws(CNIError) -> [UInt8]) -> Outcome {
        var version: CNIVersion? = nil
        do {
            return try dispatch(plugin, environment: environment, release: release,
                                readStdin: readStdin, version: &version)
        } catch {
            let cniError = CNIError.wrapping(error)
            return Outcome(stdout: errorDocument(cniError, version: version), stderr: "", exitStatus: 1)
        }
    }

    /// The error document: `cniVersion` (the config's, when known), `code`,
    /// `msg`, and `details` when there are any.
    public static func errorDocument(_ error: CNIError, version: CNIVersion?) -> String {
        var object = JSONObject()
        object.append("cniVersion", .string((version ?? .current).rawValue))
        object.append("code", .integer(error.code.rawValue))
        object.append("msg", .string(error.message))
        if let details = error.details, !details.isEmpty { object.append("details", .string(details)) }
        return JSONWriter.serialize(.object(object), indented: true) + "\n"
    }

    private static func dispatch(_ plugin: some CNIPlugin, environment: [String], release: String?,
                                 readStdin: () throws(CNIError) -> [UInt8],
                                 version: inout CNIVersion?) throws -> Outcome {
        let variables = EnvironmentVariables(environment)

        // 1. The verb. Without one, say what we are and which release (to
        //    stderr, as the reference does) and succeed.
        let commandText = variables["CNI_COMMAND"]
        guard !commandText.isEmpty else {
            let about = "\(plugin.about) \(release ?? "version unknown")\nCNI protocol versions supported: \(CNIVersion.supported.joined(separator: ", "))\n"
            return Outcome(stdout: "", stderr: about, exitStatus: 0)
        }
        guard let command = CNICommand(rawValue: commandText) else {
            // Named after the config is decoded, as upstream's library does.
            let root = try Self.decodeConfig(try readStdin())
            try Identifiers.validateNetworkName(root["name"]?.stringValue)
            throw CNIError(.invalidEnvironmentVariables, "unknown CNI_COMMAND: \(commandText)")
        }

        // 2. Required variables, named in the reference's order.
        let missing = variables.missingRequired(for: command)
        if !missing.isEmpty {
            throw CNIError(.invalidEnvironmentVariables,
                           "required env variables [\(missing.joined(separator: ","))] missing")
        }

        // 3. VERSION needs nothing else.
        if command == .version {
            var object = JSONObject()
            object.append("cniVersion", .string(CNIVersion.current.rawValue))
            object.append("supportedVersions", .array(CNIVersion.supported.map { .string($0) }))
            return Outcome(stdout: JSONWriter.serialize(.object(object)) + "\n", stderr: "", exitStatus: 0)
        }

        // 4. The config, checked in the order of the reference's library,
        //    before any plugin code: the JSON and the network name, the
        //    container ID and interface name, then the version.
        let stdin = try readStdin()
        let root = try Self.decodeConfig(stdin)
        try Identifiers.validateNetworkName(root["name"]?.stringValue)
        var interfaceName: InterfaceName? = nil
        if command.concernsAnAttachment {
            try Identifiers.validateContainerID(variables["CNI_CONTAINERID"])
            interfaceName = try Identifiers.interfaceName(variables["CNI_IFNAME"])
        }

        // 5. The version: what the verb allows, then one we speak exactly.
        let versionText: String
        switch root["cniVersion"] {
        case .string(let text)?: versionText = text
        case nil, .null?: versionText = ""
        case let other?:
            throw CNIError(.decodingFailure,
                           "decoding version from network config: json: cannot unmarshal \(other.typeName) into Go struct field .cniVersion of type string")
        }
        try command.refuseDisallowedVersion(versionText)
        let configVersion = try CNIVersion.parseConfigVersion(versionText)
        version = configVersion

        // 6. The members every plugin reads.
        let config = try NetworkConfig(root, version: configVersion)

        let request = CNIRequest(
            command: command,
            containerID: variables["CNI_CONTAINERID"],
            netns: variables["CNI_NETNS"],
            interfaceName: interfaceName,
            args: variables["CNI_ARGS"],
            paths: Self.pluginDirectories(variables["CNI_PATH"]),
            stdin: stdin,
            config: config,
            environment: environment)

        // 7. The plugin.
        switch command {
        case .add:
            let result = try plugin.add(request)
            let document = try result.json(for: configVersion)
            return Outcome(stdout: JSONWriter.serialize(document, indented: true) + "\n", stderr: "", exitStatus: 0)
        case .del:
            try plugin.delete(request)
        case .check:
            try plugin.check(request)
        case .gc:
            try plugin.garbageCollect(request)
        case .status:
            try plugin.status(request)
        case .version:
            break
        }
        return Outcome(stdout: "", stderr: "", exitStatus: 0)
    }
}

extension PluginMain {
    /// `CNI_PATH` as Go's `filepath.SplitList` reads it: empty entries kept
    /// (the reference names them in "failed to find plugin ... in path [..]"),
    /// nothing for an empty variable. `DelegatedPlugin` skips the empty
    /// ones when it searches, where Go would look in the current directory.
    static func pluginDirectories(_ variable: String) -> [String] {
        variable.isEmpty ? [] : variable.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    }

    /// The config object, decoded as the reference's library first decodes
    /// it (into a struct with just `name`): malformed JSON and a `name` that
    /// is no string are code 6 with Go's wording; `null` decodes as an empty
    /// config (and then lacks a name, code 7), as it does in Go.
    static func decodeConfig(_ stdin: [UInt8]) throws(CNIError) -> JSONObject {
        let prefix = "error unmarshall network config: "
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(stdin)
        } catch {
            throw CNIError(.decodingFailure, prefix + error.description)
        }
        let root: JSONObject
        switch parsed {
        case .object(let object): root = object
        case .null: root = JSONObject()
        default:
            throw CNIError(.decodingFailure,
                           prefix + #"json: cannot unmarshal \#(parsed.typeName) into Go value of type struct { Name string "json:\"name\"" }"#)
        }
        if let name = root["name"], !name.isNull, name.stringValue == nil {
            throw CNIError(.decodingFailure,
                           prefix + "json: cannot unmarshal \(name.typeName) into Go struct field .name of type string")
        }
        return root
    }
}

/// The `CNI_*` variables of one call, read from a `KEY=value` list.
struct EnvironmentVariables {
    private var values: [String: String] = [:]

    init(_ environment: [String]) {
        for entry in environment where entry.hasPrefix("CNI_") {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            values[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
    }

    /// The value, or "" when unset (the spec treats both alike).
    subscript(name: String) -> String { values[name] ?? "" }

    /// The required variables that are unset or empty, in the order
    /// COMMAND, CONTAINERID, NETNS, IFNAME, PATH, as the reference lists them.
    func missingRequired(for command: CNICommand) -> [String] {
        let required: [(String, Set<CNICommand>)] = [
            ("CNI_CONTAINERID", [.add, .check, .del]),
            ("CNI_NETNS", [.add, .check]),
            ("CNI_IFNAME", [.add, .check, .del]),
            ("CNI_PATH", [.add, .check, .del, .gc, .status]),
        ]
        return required.filter { $0.1.contains(command) && self[$0.0].isEmpty }.map(\.0)
    }
}
