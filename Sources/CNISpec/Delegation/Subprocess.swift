import Glibc

/// Runs a program to completion with `posix_spawn`, feeding it stdin and
/// collecting its stdout (and optionally its stderr) through pipes.
///
/// Thread-free: a `poll` loop writes stdin and drains the output pipes
/// together, so neither side can block the other whatever the sizes. The
/// child's stderr is inherited unless `captureStandardError`. `start` lets
/// the caller work while the child runs (the bridge creates its veth while
/// host-local allocates); `run` is start-and-wait.
public enum Subprocess {
    public struct Output: Sendable {
        public var status: Int32
        /// Set when the child was killed by a signal.
        public var signal: Int32?
        public var stdout: [UInt8]
        public var stderr: [UInt8]
    }

    public struct SpawnError: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let code: Int32
        public var description: String { "fork/exec \(path): \(StandardIO.errorText(code))" }
    }

    /// Runs `path` to completion: `start` then `wait`.
    public static func run(path: String, arguments: [String] = [], environment: [String],
                           stdin: [UInt8] = [], captureStandardError: Bool = false) throws(SpawnError) -> Output {
        try start(path: path, arguments: arguments, environment: environment, stdin: stdin,
                  captureStandardError: captureStandardError).wait()
    }

    /// Starts `path` and returns at once, so the caller can work while the
    /// child runs. A stdin that fits in the pipe (64 KiB) is written here;
    /// a larger one is fed by `wait`.
    public static func start(path: String, arguments: [String] = [], environment: [String],
                             stdin: [UInt8] = [], captureStandardError: Bool = false) throws(SpawnError) -> Running {
        var inputPipe: [Int32] = [-1, -1]
        var outputPipe: [Int32] = [-1, -1]
        var errorPipe: [Int32] = [-1, -1]
        guard pipe(&inputPipe) == 0 else { throw SpawnError(path: path, code: errno) }
        guard pipe(&outputPipe) == 0 else {
            let code = errno
            close(inputPipe[0]); close(inputPipe[1])
            throw SpawnError(path: path, code: code)
        }
        if captureStandardError {
            guard pipe(&errorPipe) == 0 else {
                let code = errno
                for fd in inputPipe + outputPipe { close(fd) }
                throw SpawnError(path: path, code: code)
            }
        }
        // The parent's ends must not leak into the child.
        for fd in [inputPipe[1], outputPipe[0], errorPipe[0]] where fd >= 0 {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        if captureStandardError { posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2) }
        for fd in [inputPipe[0], outputPipe[1], errorPipe[1]] where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawnResult = posix_spawn(&pid, path, &actions, nil, argv, envp)
        // Close the child's ends in the parent in every case.
        close(inputPipe[0]); close(outputPipe[1])
        if captureStandardError { close(errorPipe[1]) }
        guard spawnResult == 0 else {
            close(inputPipe[1]); close(outputPipe[0])
            if captureStandardError { close(errorPipe[0]) }
            throw SpawnError(path: path, code: spawnResult)
        }

        var inputFD = inputPipe[1]
        var pending = stdin
        if stdin.count <= 65536 {
            StandardIO.writeAll(fd: inputFD, stdin)
            close(inputFD)
            inputFD = -1
            pending = []
        }
        return Running(pid: pid, inputFD: inputFD, pendingStdin: pending, outputFD: outputPipe[0],
                       errorFD: captureStandardError ? errorPipe[0] : -1)
    }

    /// A started child. `wait` must be called exactly once: it collects the
    /// output, reaps the child and closes the pipes.
    public final class Running {
        public let pid: pid_t
        private let inputFD: Int32
        private let pendingStdin: [UInt8]
        private let outputFD: Int32
        private let errorFD: Int32
        private var finished: Output? = nil

        init(pid: pid_t, inputFD: Int32, pendingStdin: [UInt8], outputFD: Int32, errorFD: Int32) {
            self.pid = pid
            self.inputFD = inputFD
            self.pendingStdin = pendingStdin
            self.outputFD = outputFD
            self.errorFD = errorFD
        }

        /// Feeds what is left of stdin, reads the outputs to EOF and reaps
        /// the child. Later calls return the same output.
        public func wait() -> Output {
            if let finished { return finished }
            var output = Output(status: 0, signal: nil, stdout: [], stderr: [])
            Subprocess.exchange(stdin: pendingStdin, inputFD: inputFD, outputFD: outputFD,
                                errorFD: errorFD, output: &output)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            if status & 0x7f == 0 {
                output.status = (status >> 8) & 0xff
            } else {
                output.signal = status & 0x7f
                output.status = 128 + (status & 0x7f)
            }
            finished = output
            return output
        }
    }

    /// Writes stdin and reads stdout/stderr until both outputs hit EOF.
    /// Closes all three descriptors.
    fileprivate static func exchange(stdin: [UInt8], inputFD: Int32, outputFD: Int32, errorFD: Int32,
                                     output: inout Output) {
        var inputFD = inputFD
        var outputFD = outputFD
        var errorFD = errorFD
        var written = 0
        if stdin.isEmpty && inputFD >= 0 { close(inputFD); inputFD = -1 }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while inputFD >= 0 || outputFD >= 0 || errorFD >= 0 {
            var fds = [pollfd(fd: inputFD, events: Int16(POLLOUT), revents: 0),
                       pollfd(fd: outputFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: errorFD, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 3, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            if inputFD >= 0 && fds[0].revents != 0 {
                let count = stdin.withUnsafeBytes { bytes in
                    write(inputFD, bytes.baseAddress! + written, min(bytes.count - written, 65536))
                }
                if count > 0 { written += count }
                if count < 0 && errno != EINTR && errno != EAGAIN { written = stdin.count }
                if written >= stdin.count { close(inputFD); inputFD = -1 }
            }
            for (index, isStdout) in [(1, true), (2, false)] {
                let fd = isStdout ? outputFD : errorFD
                guard fd >= 0, fds[index].revents != 0 else { continue }
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    if isStdout {
                        output.stdout.append(contentsOf: buffer[0..<count])
                    } else {
                        output.stderr.append(contentsOf: buffer[0..<count])
                    }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(fd)
                    if isStdout { outputFD = -1 } else { errorFD = -1 }
                }
            }
        }
        if inputFD >= 0 { close(inputFD) }
    }
}
