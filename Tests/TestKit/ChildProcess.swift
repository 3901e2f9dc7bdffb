import Glibc

/// Runs an executable as a child process with an exact environment and
/// stdin, the way a container runtime runs a CNI plugin.
///
/// stdin, stdout and stderr are temporary files opened *in the child* (spawn
/// file actions), so no pipe end can leak into a child that another test
/// spawns at the same moment, and any number of children can run at once
/// (see `start`).
struct ChildProcess {
    struct Output: CustomStringConvertible {
        let status: Int32
        let stdout: String
        let stderr: String

        var succeeded: Bool { status == 0 }
        var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    struct LaunchFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// A started child; `wait()` collects it.
    final class Running {
        let pid: pid_t
        let path: String
        private let files: [String]
        private var output: Output?

        fileprivate init(pid: pid_t, path: String, files: [String]) {
            self.pid = pid
            self.path = path
            self.files = files
        }

        /// Waits for the child to exit (killing it after `timeoutSeconds`)
        /// and returns what it printed.
        func wait(timeoutSeconds: Int = 60) -> Output {
            if let output { return output }
            var status: Int32 = 0
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            deadline.tv_sec += timeoutSeconds
            var timedOut = false
            while true {
                let rc = waitpid(pid, &status, WNOHANG)
                if rc == pid { break }
                if rc < 0 && errno != EINTR { status = 127 << 8; break }
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                if !timedOut && (now.tv_sec, now.tv_nsec) >= (deadline.tv_sec, deadline.tv_nsec) {
                    kill(pid, SIGKILL)   // our own child
                    timedOut = true
                }
                usleep(2_000)
            }
            let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            var stderr = ChildProcess.readFile(files[2])
            if timedOut { stderr += "\n[test harness: killed after \(timeoutSeconds) s]" }
            let result = Output(status: code, stdout: ChildProcess.readFile(files[1]), stderr: stderr)
            for file in files { unlink(file) }
            output = result
            return result
        }
    }

    /// Starts `path` with `arguments`, `environment` (nothing inherited) and
    /// `stdin`; returns at once.
    static func start(_ path: String, _ arguments: [String] = [], environment: [String],
                      stdin: String = "") throws -> Running {
        let input = try temporaryFile(containing: stdin)
        let stdoutFile = try temporaryFile(containing: "")
        let stderrFile = try temporaryFile(containing: "")
        let files = [input, stdoutFile, stderrFile]

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutFile, O_WRONLY | O_TRUNC, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrFile, O_WRONLY | O_TRUNC, 0)

        var argv = ([path] + arguments).map { strdup($0) } + [nil]
        var envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, resolve(path), &actions, nil, &argv, &envp)
        guard rc == 0 else {
            for file in files { unlink(file) }
            throw LaunchFailure(description: "cannot start \(path): \(String(cString: strerror(rc)))")
        }
        return Running(pid: pid, path: path, files: files)
    }

    /// Runs `path` to completion.
    static func run(_ path: String, _ arguments: [String] = [], environment: [String],
                    stdin: String = "", timeoutSeconds: Int = 60) throws -> Output {
        try start(path, arguments, environment: environment, stdin: stdin).wait(timeoutSeconds: timeoutSeconds)
    }

    /// The environment tools get: a fixed PATH and the C locale.
    static let toolEnvironment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]

    /// `name` looked up in the tools' PATH (the test process's own PATH is
    /// not trusted); paths with a `/` are used as they are.
    static func resolve(_ name: String) -> String {
        guard !name.contains("/") else { return name }
        for directory in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] where access(directory + "/" + name, X_OK) == 0 {
            return directory + "/" + name
        }
        return name
    }

    private static func temporaryFile(containing text: String) throws -> String {
        var template = Array("/tmp/bridge-test-io-XXXXXX".utf8CString)
        // Without O_CLOEXEC (mkostemp is not in the Glibc module): a
        // regular file leaking into a concurrent child for a moment is harmless.
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw LaunchFailure(description: "mkstemp: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw LaunchFailure(description: "write: \(String(cString: strerror(errno)))") }
            written += count
        }
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    static func readFile(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Runs a system tool (`ip`, `iptables`, `nft`, `ping`, ...).
enum Tool {
    struct Failure: Error, CustomStringConvertible {
        let arguments: [String]
        let output: ChildProcess.Output
        var description: String { "\(arguments.joined(separator: " ")) failed: \(output)" }
    }

    /// stdout of the tool; throws when it exits non-zero.
    @discardableResult
    static func run(_ arguments: String..., stdin: String = "") throws -> String {
        try run(arguments, stdin: stdin)
    }

    @discardableResult
    static func run(_ arguments: [String], stdin: String = "") throws -> String {
        let output = try ChildProcess.run(arguments[0], Array(arguments.dropFirst()),
                                          environment: ChildProcess.toolEnvironment, stdin: stdin)
        guard output.succeeded else { throw Failure(arguments: arguments, output: output) }
        return output.stdout
    }

    /// Whether the tool exits 0.
    static func succeeds(_ arguments: String...) -> Bool {
        (try? ChildProcess.run(arguments[0], Array(arguments.dropFirst()),
                               environment: ChildProcess.toolEnvironment).succeeded) ?? false
    }
}
