import Glibc
import TestKit
import Testing

/// The two host-local executables these tests run: ours (the one this
/// package builds) and the reference (Debian's containernetworking-plugins
/// v1.1.1).
enum Plugin: String, Sendable, CaseIterable, CustomStringConvertible {
    case ours
    case reference

    var description: String { rawValue }

    /// The executable's path.
    var path: String {
        switch self {
        case .ours: return Plugin.oursPath
        case .reference: return Plugin.referencePath
        }
    }

    static let referencePath = "/usr/lib/cni/host-local"

    /// Whether the reference binary is installed (tests comparing against it
    /// are skipped otherwise).
    static var referenceIsInstalled: Bool { access(referencePath, X_OK) == 0 }

    /// Our built executable: `$CNI_TEST_PLUGIN_DIR/host-local` if that is
    /// set, else `host-local` next to the test bundle (SwiftPM puts both in
    /// `.build/<triple>/debug/`), else in a parent of it.
    static let oursPath: String = {
        if let directory = getenv("CNI_TEST_PLUGIN_DIR") {
            return String(cString: directory) + "/host-local"
        }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return "host-local" }
        var directory = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        for _ in 0..<4 {
            guard let slash = directory.lastIndex(of: "/") else { break }
            directory = String(directory[..<slash])
            let candidate = directory + "/host-local"
            var info = stat()
            if stat(candidate, &info) == 0 && info.st_mode & S_IFMT == S_IFREG { return candidate }
        }
        return "(host-local not found near the test bundle; build it or set CNI_TEST_PLUGIN_DIR)"
    }()
}

/// One invocation of a plugin, as a runtime makes it: `CNI_*` variables and
/// a config on stdin. Nothing of the test runner's own environment leaks in.
struct PluginCall: Sendable {
    var command: String?
    var containerID = ""
    var ifname = "eth0"
    var netns = "/var/run/netns/test-pod"
    var args = ""
    var cniPath = "/opt/cni/bin"
    var stdin: [UInt8] = []
    /// Replaces the whole environment when set (byte strings, to send
    /// invalid UTF-8).
    var rawEnvironment: [[UInt8]]? = nil
    /// A command that runs the plugin (given as its last argument) for
    /// this call, e.g. in a mount namespace of its own; nil runs it
    /// directly.
    var wrapper: [String]? = nil

    var environment: [[UInt8]] {
        if let rawEnvironment { return rawEnvironment }
        var entries = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
        if let command { entries.append("CNI_COMMAND=" + command) }
        entries += ["CNI_CONTAINERID=" + containerID, "CNI_NETNS=" + netns, "CNI_IFNAME=" + ifname,
                    "CNI_ARGS=" + args, "CNI_PATH=" + cniPath]
        return entries.map { Array($0.utf8) }
    }

    /// Starts the call; collect it with `wait()`. A plugin that cannot be
    /// started is an issue of the running test (and an outcome with no exit
    /// status), not a crash of the test runner.
    func start(_ plugin: Plugin) -> ChildProcess {
        let process: ChildProcess
        if let wrapper, let program = wrapper.first {
            process = ChildProcess(program, arguments: Array(wrapper.dropFirst()) + [plugin.path], environment: environment, stdin: stdin)
        } else {
            process = ChildProcess(plugin.path, environment: environment, stdin: stdin)
        }
        if let error = process.spawnError {
            Issue.record("cannot start \(plugin) host-local: \(error)")
        }
        return process
    }

    /// Runs the call to completion (killing it after `timeout`).
    func run(_ plugin: Plugin, timeout: Duration = .seconds(20)) -> CallOutcome {
        CallOutcome(plugin: plugin, process: start(plugin).wait(timeout: timeout))
    }
}

/// The reply to one call: a result or an error document, and how the
/// process ended.
struct CallOutcome: Sendable, CustomStringConvertible {
    let plugin: Plugin
    let process: ChildProcess.Output

    init(plugin: Plugin, process: ChildProcess.Output) {
        self.plugin = plugin
        self.process = process
    }

    /// stdout parsed as exactly one JSON document.
    var json: JSON? { JSON(parsing: process.stdoutBytes) }

    /// Exit 0, with a killed or stuck process never counting as success.
    var succeeded: Bool { process.exitStatus == 0 && !process.timedOut }

    /// The error document of a failed call: exit status 1 and stdout exactly
    /// one object with an integer `code` and a string `msg`.
    var error: PluginError? {
        guard process.exitStatus == 1, let json, let code = json["code"]?.int, let message = json["msg"]?.string
        else { return nil }
        return PluginError(code: code, message: message, details: json["details"]?.string)
    }

    /// The addresses of a successful ADD's result.
    var addresses: [String] { succeeded ? json?.addresses ?? [] : [] }

    var description: String {
        var text = "\(plugin) "
        if process.timedOut { text += "timed out, " }
        if let signal = process.signal { text += "killed by signal \(signal), " }
        if let status = process.exitStatus { text += "exit \(status), " }
        text += "stdout: \(process.stdout.isEmpty ? "(empty)" : process.stdout)"
        if !process.stderr.isEmpty { text += ", stderr: \(process.stderr)" }
        return text
    }
}

/// A CNI error document's content.
struct PluginError: Equatable, Sendable, CustomStringConvertible {
    let code: Int
    let message: String
    let details: String?

    var description: String { "code \(code): \(message)" + (details.map { " (\($0))" } ?? "") }
}
