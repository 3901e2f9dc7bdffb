import Glibc

/// Runs a program with `posix_spawn`, feeding it stdin and collecting its
/// stdout (and optionally its stderr) through pipes: the one process runner
/// of the project (IPAM delegation, firewall tools).
///
/// Invariants:
/// - Thread-free: one `poll` loop writes stdin and drains the output pipes
///   together, so neither side can block the other whatever the sizes.
/// - `start` returns as soon as the child exists, so the caller can work
///   while it runs (the bridge creates its veth while host-local
///   allocates); `run` is start-and-wait.
/// - The child starts with SIGPIPE at its default and no signal blocked,
///   whatever this process does with them; its stderr is inherited unless
///   captured. From the first spawn on, SIGPIPE is ignored in this process
///   (the plugins ignore it from the start anyway), so a child that exits
///   without reading its stdin gives EPIPE, not our death. It is never
///   restored: with several threads spawning (tests), restoring it would
///   race with another thread's write.
/// - Every descriptor is closed and the child is always reaped by `wait`;
///   past an optional deadline it is killed (it is our own child, by pid).
public enum Subprocess {
    public struct Output: Sendable {
        public var status: Int32
        /// Set when the child was killed by a signal.
        public var signal: Int32?
        public var stdout: [UInt8]
        public var stderr: [UInt8]
        /// Set when the deadline passed and the child was killed.
        public var timedOut = false

        public var succeeded: Bool { status == 0 && signal == nil && !timedOut }
    }

    public struct SpawnError: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let code: Int32
        public var description: String { "fork/exec \(path): \(StandardIO.errorText(code))" }
    }

    /// Runs `path` to completion: `start` then `wait`.
    public static func run(path: String, arguments: [String] = [], environment: [String],
                           stdin: [UInt8] = [], captureStandardError: Bool = false,
                           timeoutMilliseconds: Int? = nil) throws(SpawnError) -> Output {
        try start(path: path, arguments: arguments, environment: environment, stdin: stdin,
                  captureStandardError: captureStandardError).wait(timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Starts `path` (argv[0] is `path`) and returns at once.
    public static func start(path: String, arguments: [String] = [], environment: [String],
                             stdin: [UInt8] = [], captureStandardError: Bool = false) throws(SpawnError) -> Running {
        // 1. Pipes, every end close-on-exec (dup2 onto 0/1/2 in the child
        //    clears the flag on the copies).
        var opened: [Int32] = []
        func makePipe() throws(SpawnError) -> (read: Int32, write: Int32) {
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else {
                let code = errno
                for fd in opened { close(fd) }
                throw SpawnError(path: path, code: code)
            }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            opened += fds
            return (fds[0], fds[1])
        }
        let input = try makePipe()
        let output = try makePipe()
        let error = captureStandardError ? try makePipe() : nil

        // 2. Spawn, with clean signal dispositions for the child.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input.read, 0)
        posix_spawn_file_actions_adddup2(&actions, output.write, 1)
        if let error { posix_spawn_file_actions_adddup2(&actions, error.write, 2) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        sigaddset(&defaultSignals, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawnResult = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        // The child holds its own copies now (or does not exist).
        close(input.read)
        close(output.write)
        if let error { close(error.write) }
        guard spawnResult == 0 else {
            close(input.write)
            close(output.read)
            if let error { close(error.read) }
            throw SpawnError(path: path, code: spawnResult)
        }
        for fd in [input.write, output.read, error?.read ?? -1] where fd >= 0 {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        let running = Running(pid: pid, inputFD: input.write, stdin: stdin, outputFD: output.read,
                              errorFD: error?.read ?? -1)
        // 3. A config fits in the pipe: hand it over now, so the child can
        //    work while the caller does.
        running.feedWithoutWaiting()
        return running
    }

    /// A started child. `wait` collects its output, reaps it and closes the
    /// pipes; calling it again returns the same output.
    public final class Running {
        public let pid: pid_t
        private var inputFD: Int32
        private let stdin: [UInt8]
        private var written = 0
        private var outputFD: Int32
        private var errorFD: Int32
        private var finished: Output? = nil

        init(pid: pid_t, inputFD: Int32, stdin: [UInt8], outputFD: Int32, errorFD: Int32) {
            self.pid = pid
            self.inputFD = inputFD
            self.stdin = stdin
            self.outputFD = outputFD
            self.errorFD = errorFD
        }

        /// Writes what the pipe takes without blocking; closes stdin once
        /// everything is written.
        fileprivate func feedWithoutWaiting() {
            Subprocess.ignoreSIGPIPE()
            writeSome()
        }

        /// Feeds the rest of stdin, reads the outputs to EOF and reaps the
        /// child. Past `timeoutMilliseconds` the child is killed, its output
        /// so far returned with `timedOut` set.
        public func wait(timeoutMilliseconds: Int? = nil) -> Output {
            if let finished { return finished }
            var output = Output(status: 0, signal: nil, stdout: [], stderr: [])
            let deadline = timeoutMilliseconds.map { MonotonicClock.nowMilliseconds() + $0 }
            var killed = false
            var buffer = [UInt8](repeating: 0, count: 65536)
            Subprocess.ignoreSIGPIPE()
            while outputFD >= 0 || errorFD >= 0 {
                var fds = [pollfd(fd: inputFD, events: Int16(POLLOUT), revents: 0),
                           pollfd(fd: outputFD, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: errorFD, events: Int16(POLLIN), revents: 0)]
                let timeout: Int32 = killed ? 1000
                    : deadline.map { Int32(clamping: max(0, $0 - MonotonicClock.nowMilliseconds())) } ?? -1
                let ready = poll(&fds, 3, timeout)
                if ready < 0 {
                    if errno == EINTR { continue }
                    break
                }
                if ready == 0 {
                    // Past the deadline (or the killed child's pipes
                    // stay open through a grandchild): stop.
                    if killed { break }
                    kill(pid, SIGKILL)
                    killed = true
                    closeInput()
                    continue
                }
                if inputFD >= 0 && fds[0].revents != 0 {
                    if fds[0].revents & Int16(POLLOUT) != 0 { writeSome() } else { closeInput() }
                }
                if outputFD >= 0 && fds[1].revents != 0 {
                    if !drain(&outputFD, into: &output.stdout, buffer: &buffer) { outputFD = -1 }
                }
                if errorFD >= 0 && fds[2].revents != 0 {
                    if !drain(&errorFD, into: &output.stderr, buffer: &buffer) { errorFD = -1 }
                }
            }
            closeInput()
            for fd in [outputFD, errorFD] where fd >= 0 { close(fd) }
            outputFD = -1
            errorFD = -1
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            if status & 0x7f == 0 {
                output.status = (status >> 8) & 0xff
            } else {
                output.signal = status & 0x7f
                output.status = 128 + (status & 0x7f)
            }
            output.timedOut = killed
            finished = output
            return output
        }

        private func writeSome() {
            while inputFD >= 0 && written < stdin.count {
                let count = stdin.withUnsafeBytes { bytes in
                    write(inputFD, bytes.baseAddress! + written, bytes.count - written)
                }
                if count > 0 {
                    written += count
                } else if count < 0 && errno == EINTR {
                    continue
                } else if count < 0 && errno == EAGAIN {
                    return
                } else {
                    break
                }
            }
            closeInput()
        }

        private func closeInput() {
            if inputFD >= 0 { close(inputFD) }
            inputFD = -1
        }

        /// Reads what is there; false (and the descriptor closed) at EOF.
        private func drain(_ fd: inout Int32, into bytes: inout [UInt8], buffer: inout [UInt8]) -> Bool {
            let descriptor = fd
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes.append(contentsOf: buffer[0..<count])
                return true
            }
            if count < 0 && (errno == EAGAIN || errno == EINTR) { return true }
            close(descriptor)
            fd = -1
            return false
        }
    }

    /// Ignores SIGPIPE in this process, for good (see the type's comment).
    fileprivate static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }
}
