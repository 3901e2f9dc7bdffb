import Glibc

/// The tests' one child-process runner: runs an executable with an exact
/// environment and stdin, the way a container runtime runs a CNI plugin.
///
/// Why not the product's `Subprocess`: the tests send environments that are
/// not UTF-8 (hostile-input tests), so the environment is byte strings; a
/// plugin killed with SIGKILL leaves helpers that still hold its stdout, so
/// the output goes to files, not pipes (a pipe would keep `wait` until the
/// last helper exits); and a child dropped without `wait` is killed and
/// reaped here.
///
/// Invariants:
/// - stdin, stdout and stderr are temporary files opened *in the child*
///   (spawn file actions), so no descriptor of one child leaks into another
///   started at the same moment by a parallel test, and any number of
///   children can run at once (`start`, then `wait`).
/// - The child starts with default signal dispositions and an empty signal
///   mask, whatever the test runner changed.
/// - The child is reaped exactly once, by `wait` or on deinit; until then its
///   pid cannot be reused, so `kill` always hits this child.
public final class ChildProcess {
    /// How a child ended and what it printed.
    public struct Output: Sendable, CustomStringConvertible {
        /// The exit status; 128 + the signal when a signal ended it.
        public var status: Int32
        /// The signal that ended the child, if one did.
        public var signal: Int32? = nil
        /// Whether the deadline passed and the child was killed for it.
        public var timedOut = false
        public var stdoutBytes: [UInt8] = []
        public var stderrBytes: [UInt8] = []

        /// The exit status, or nil when a signal ended the child (or it
        /// never started).
        public var exitStatus: Int32? { signal == nil && status >= 0 ? status : nil }
        public var succeeded: Bool { status == 0 && signal == nil && !timedOut }
        public var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
        public var stderr: String { String(decoding: stderrBytes, as: UTF8.self) }

        public var description: String {
            var text = timedOut ? "timed out, killed\n" : ""
            text += signal.map { "killed by signal \($0)\n" } ?? ""
            return text + "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)"
        }
    }

    public struct LaunchFailure: Error, CustomStringConvertible {
        public let description: String
    }

    public let pid: pid_t
    public let path: String
    /// Why the child could not be started, if it could not; `wait` then
    /// returns status -1 with this on stderr.
    public let spawnError: String?
    private let files: [String]
    private var output: Output?

    /// The environment tools get: a fixed PATH and the C locale.
    public static let toolEnvironment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]

    /// Starts `path` with `arguments`, exactly `environment` (`KEY=value`
    /// byte strings, no NUL inside; nothing inherited) and `stdin`; returns
    /// at once. With `mergingStandardError`, stderr goes to stdout's file.
    public init(_ path: String, arguments: [String] = [], environment: [[UInt8]], stdin: [UInt8] = [],
                mergingStandardError: Bool = false) {
        self.path = path
        var created: [String] = []
        do {
            created.append(try ChildProcess.temporaryFile(containing: stdin))
            created.append(try ChildProcess.temporaryFile(containing: []))
            created.append(try ChildProcess.temporaryFile(containing: []))
            pid = try ChildProcess.spawn(path, arguments: arguments, environment: environment, files: created,
                                         mergingStandardError: mergingStandardError)
            spawnError = nil
            files = created
        } catch {
            for file in created { unlink(file) }
            pid = -1
            spawnError = error.description
            files = []
            output = Output(status: -1, stderrBytes: Array(error.description.utf8))
        }
    }

    /// Starts `path`; throws when it cannot be started.
    public static func start(_ path: String, _ arguments: [String] = [], environment: [String],
                             stdin: String = "", mergingStandardError: Bool = false) throws -> ChildProcess {
        let child = ChildProcess(path, arguments: arguments, environment: environment.map { Array($0.utf8) },
                                 stdin: Array(stdin.utf8), mergingStandardError: mergingStandardError)
        if let spawnError = child.spawnError { throw LaunchFailure(description: spawnError) }
        return child
    }

    /// Runs `path` to completion.
    public static func run(_ path: String, _ arguments: [String] = [], environment: [String],
                           stdin: String = "", mergingStandardError: Bool = false,
                           timeout: Duration = .seconds(60)) throws -> Output {
        try start(path, arguments, environment: environment, stdin: stdin,
                  mergingStandardError: mergingStandardError).wait(timeout: timeout)
    }

    deinit {
        if output == nil {
            kill()
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            for file in files { unlink(file) }
        }
    }

    /// Sends SIGKILL (to this child only; harmless once it has exited).
    public func kill() {
        guard output == nil else { return }
        _ = Glibc.kill(pid, SIGKILL)
    }

    /// Waits for the child to exit (killing it past `timeout`) and returns
    /// what it printed; calling it again returns the same output.
    public func wait(timeout: Duration = .seconds(60)) -> Output {
        if let output { return output }
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        var timedOut = false
        while true {
            let rc = waitpid(pid, &status, WNOHANG)
            if rc == pid { break }
            if rc < 0 && errno != EINTR { status = 127 << 8; break }
            if !timedOut && ContinuousClock.now >= deadline {
                kill()
                timedOut = true
            }
            usleep(2_000)
        }
        var result = Output(status: 0, timedOut: timedOut,
                            stdoutBytes: readFile(files[1]) ?? [], stderrBytes: readFile(files[2]) ?? [])
        if status & 0x7f == 0 {
            result.status = (status >> 8) & 0xff
        } else {
            result.signal = status & 0x7f
            result.status = 128 + (status & 0x7f)
        }
        for file in files { unlink(file) }
        output = result
        return result
    }

    /// `name` looked up in the tools' PATH (the test process's own PATH is
    /// not trusted); paths with a `/` are used as they are.
    public static func resolve(_ name: String) -> String {
        guard !name.contains("/") else { return name }
        for directory in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] where access(directory + "/" + name, X_OK) == 0 {
            return directory + "/" + name
        }
        return name
    }

    private static func spawn(_ path: String, arguments: [String], environment: [[UInt8]], files: [String],
                              mergingStandardError: Bool) throws(LaunchFailure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, files[0], O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, files[1], O_WRONLY | O_TRUNC, 0)
        if mergingStandardError {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, files[2], O_WRONLY | O_TRUNC, 0)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGALRM, SIGINT, SIGTERM, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map(cString) + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, resolve(path), &actions, &attributes, argv, envp)
        guard rc == 0 else { throw LaunchFailure(description: "cannot start \(path): \(String(cString: strerror(rc)))") }
        return pid
    }

    private static func temporaryFile(containing bytes: [UInt8]) throws(LaunchFailure) -> String {
        var template = Array("/tmp/cni-test-io-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw LaunchFailure(description: "mkstemp: \(String(cString: strerror(errno)))") }
        close(fd)
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        writeFile(path, bytes, mode: 0o600)
        return path
    }

    private static func cString(_ bytes: [UInt8]) -> UnsafeMutablePointer<CChar>? {
        let pointer = malloc(bytes.count + 1)!.assumingMemoryBound(to: CChar.self)
        for (offset, byte) in bytes.enumerated() { pointer[offset] = CChar(bitPattern: byte) }
        pointer[bytes.count] = 0
        return pointer
    }
}
