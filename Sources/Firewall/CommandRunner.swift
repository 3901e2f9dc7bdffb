import CNISpec
import Glibc
import SystemSupport

/// What a finished command printed and how it ended.
struct CommandOutput: Sendable {
    var status: ExitStatus
    var stdout: [UInt8]
    var stderr: [UInt8]

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs the firewall tools (`iptables`, `iptables-restore`, `nft`, …) as
/// child processes, through SystemSupport's `Subprocess` (the given environment,
/// stdout and stderr captured, a deadline after which the child is killed).
struct CommandRunner: Sendable {
    /// Directories searched, in order, for a tool given by name.
    static let searchDirectories = ["/usr/sbin", "/sbin", "/usr/bin"]

    /// The environment the tools run with: the plugin call's, read once at
    /// the edge and passed down (tests pass their own process's).
    var environment: [String]
    var timeoutMilliseconds: Int

    init(environment: [String], timeoutMilliseconds: Int = 60_000) {
        self.environment = environment
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// The absolute path of the executable `tool`, or `toolNotFound`.
    static func locate(_ tool: String) throws(FirewallError) -> String {
        for directory in searchDirectories {
            let path = directory + "/" + tool
            if access(path, X_OK) == 0 { return path }
        }
        throw .toolNotFound(tool: tool, searched: searchDirectories)
    }

    /// Whether `tool` exists in the search directories.
    static func isInstalled(_ tool: String) -> Bool {
        (try? locate(tool)) != nil
    }

    /// Runs `path` with `arguments` (argv[0] is `path`) and returns its output
    /// whatever its exit status; failing to run it, or its running past the
    /// deadline, throws.
    func run(_ path: String, _ arguments: [String], stdin input: [UInt8]? = nil) throws(FirewallError) -> CommandOutput {
        let command = [path] + arguments
        let output: Subprocess.Output
        do {
            output = try Subprocess.run(path: path, arguments: arguments, environment: environment,
                                        stdin: input ?? [], captureStandardError: true,
                                        timeoutMilliseconds: timeoutMilliseconds)
        } catch {
            throw .spawnFailed(command: command, errno: error.code)
        }
        if output.timedOut {
            throw .timedOut(command: command, milliseconds: timeoutMilliseconds)
        }
        let status: ExitStatus = output.signal.map { .signaled($0) } ?? .exited(output.status)
        return CommandOutput(status: status, stdout: output.stdout, stderr: output.stderr)
    }

    /// Starts `tool` (looked up by name) and returns at once; `finish` the
    /// result for its output.
    func start(_ tool: String, _ arguments: [String], stdin input: [UInt8]? = nil) throws(FirewallError) -> RunningCommand {
        let path = try CommandRunner.locate(tool)
        do {
            let running = try Subprocess.start(path: path, arguments: arguments, environment: environment,
                                               stdin: input ?? [], captureStandardError: true)
            return RunningCommand(command: [path] + arguments, running: running, timeoutMilliseconds: timeoutMilliseconds)
        } catch {
            throw .spawnFailed(command: [path] + arguments, errno: error.code)
        }
    }

    /// Runs `tool` (looked up by name) and returns stdout when it exits 0;
    /// otherwise throws `commandFailed` with its stderr.
    func checked(_ tool: String, _ arguments: [String], stdin input: [UInt8]? = nil) throws(FirewallError) -> String {
        let path = try CommandRunner.locate(tool)
        let output = try run(path, arguments, stdin: input)
        guard output.status.succeeded else {
            throw .commandFailed(command: [path] + arguments, status: output.status, stderr: output.stderrText)
        }
        return output.stdoutText
    }
}


/// A tool started by `CommandRunner.start`.
struct RunningCommand {
    let command: [String]
    let running: Subprocess.Running
    let timeoutMilliseconds: Int

    /// Waits for it; stdout when it exits 0, otherwise `commandFailed` (or
    /// `timedOut`). Calling it again gives the same answer.
    func finish() throws(FirewallError) -> String {
        let output = running.wait(timeoutMilliseconds: timeoutMilliseconds)
        if output.timedOut { throw .timedOut(command: command, milliseconds: timeoutMilliseconds) }
        let status: ExitStatus = output.signal.map { .signaled($0) } ?? .exited(output.status)
        guard status.succeeded else {
            throw .commandFailed(command: command, status: status, stderr: String(decoding: output.stderr, as: UTF8.self))
        }
        return String(decoding: output.stdout, as: UTF8.self)
    }
}
