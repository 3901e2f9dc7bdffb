import Glibc

/// What a finished command printed and how it ended.
struct CommandOutput: Sendable {
    var status: ExitStatus
    var stdout: [UInt8]
    var stderr: [UInt8]

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs the firewall tools (`iptables`, `iptables-restore`, `nft`, …) as
/// child processes: `posix_spawn` of an absolute path, optional bytes on
/// stdin, stdout and stderr captured through pipes.
///
/// Invariants:
/// - Synchronous and single-threaded: one `poll` loop feeds stdin and drains
///   both output pipes, so a child that writes a lot before reading its input
///   cannot deadlock against us.
/// - SIGPIPE is ignored in this process only for the duration of `run` (a
///   child that exits without reading its stdin gives EPIPE, not death); the
///   child starts with SIGPIPE at its default and an empty signal mask.
/// - Every descriptor this creates is closed before `run` returns, and the
///   parent's ends are close-on-exec so no other child inherits them.
/// - The child is always reaped. Past `timeoutMilliseconds` it is killed
///   with SIGKILL (it is our own child, by pid) and `timedOut` is thrown.
struct CommandRunner: Sendable {
    /// Directories searched, in order, for a tool given by name.
    static let searchDirectories = ["/usr/sbin", "/sbin", "/usr/bin"]

    var timeoutMilliseconds: Int

    init(timeoutMilliseconds: Int = 60_000) {
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
    /// whatever its exit status; only failing to run it at all throws.
    func run(_ path: String, _ arguments: [String], stdin input: [UInt8]? = nil) throws(FirewallError) -> CommandOutput {
        let command = [path] + arguments
        var previousPipeAction = sigaction()
        var ignore = sigaction()
        ignore.__sigaction_handler.sa_handler = SIG_IGN
        sigaction(SIGPIPE, &ignore, &previousPipeAction)
        defer { sigaction(SIGPIPE, &previousPipeAction, nil) }

        // 1. Pipes. Every end is close-on-exec (dup2 onto 0/1/2 in the child
        //    clears the flag on the copies); the parent's ends are made
        //    non-blocking once the child is spawned.
        var descriptors: [Int32] = []
        defer { for fd in descriptors where fd >= 0 { close(fd) } }
        func makePipe() throws(FirewallError) -> (read: Int32, write: Int32) {
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else { throw .spawnFailed(command: command, errno: errno) }
            descriptors.append(contentsOf: fds)
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return (fds[0], fds[1])
        }
        let stdoutPipe = try makePipe()
        let stderrPipe = try makePipe()
        let stdinPipe = input == nil ? nil : try makePipe()

        // 2. Spawn.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdinPipe {
            posix_spawn_file_actions_adddup2(&actions, stdinPipe.read, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe.write, 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe.write, 2)

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

        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) }
        argv.append(nil)
        defer { for pointer in argv { free(pointer) } }

        var pid: pid_t = 0
        let spawnResult = unsafe posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard spawnResult == 0 else { throw .spawnFailed(command: command, errno: spawnResult) }

        // The child holds its own copies now; close ours so EOF can happen.
        func closeDescriptor(_ fd: Int32) {
            close(fd)
            if let index = descriptors.firstIndex(of: fd) { descriptors[index] = -1 }
        }
        closeDescriptor(stdoutPipe.write)
        closeDescriptor(stderrPipe.write)
        var stdinFD: Int32 = -1
        if let stdinPipe {
            closeDescriptor(stdinPipe.read)
            stdinFD = stdinPipe.write
            _ = fcntl(stdinFD, F_SETFL, fcntl(stdinFD, F_GETFL) | O_NONBLOCK)
        }
        var stdoutFD = stdoutPipe.read
        var stderrFD = stderrPipe.read
        _ = fcntl(stdoutFD, F_SETFL, fcntl(stdoutFD, F_GETFL) | O_NONBLOCK)
        _ = fcntl(stderrFD, F_SETFL, fcntl(stderrFD, F_GETFL) | O_NONBLOCK)

        // 3. Pump until both outputs reach EOF.
        var output = CommandOutput(status: .exited(0), stdout: [], stderr: [])
        let pending = input ?? []
        var written = 0
        if stdinFD >= 0 && pending.isEmpty {
            closeDescriptor(stdinFD)
            stdinFD = -1
        }
        let deadline = CommandRunner.monotonicMilliseconds() + timeoutMilliseconds
        var killed = false
        var pollError: Int32? = nil
        var buffer = [UInt8](repeating: 0, count: 65536)
        while stdoutFD >= 0 || stderrFD >= 0 {
            var fds: [pollfd] = []
            if stdoutFD >= 0 { fds.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
            if stderrFD >= 0 { fds.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
            if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            let remaining = killed ? 1000 : max(0, deadline - CommandRunner.monotonicMilliseconds())
            let ready = poll(&fds, nfds_t(fds.count), Int32(clamping: remaining))
            if ready < 0 {
                if errno == EINTR { continue }
                pollError = errno
                break
            }
            if ready == 0 {
                if killed { break }
                kill(pid, SIGKILL)
                killed = true
                if stdinFD >= 0 { closeDescriptor(stdinFD); stdinFD = -1 }
                continue
            }
            for entry in fds where entry.revents != 0 {
                if entry.fd == stdinFD {
                    if entry.revents & Int16(POLLOUT) != 0 {
                        let count = pending.withUnsafeBytes { raw in
                            write(stdinFD, raw.baseAddress! + written, pending.count - written)
                        }
                        if count > 0 { written += count }
                        if written == pending.count || (count < 0 && errno != EAGAIN && errno != EINTR) {
                            closeDescriptor(stdinFD)
                            stdinFD = -1
                        }
                    } else {
                        // POLLERR/POLLHUP: the child closed its stdin.
                        closeDescriptor(stdinFD)
                        stdinFD = -1
                    }
                    continue
                }
                let isStdout = entry.fd == stdoutFD
                let count = buffer.withUnsafeMutableBytes { raw in read(entry.fd, raw.baseAddress!, raw.count) }
                if count > 0 {
                    if isStdout {
                        output.stdout.append(contentsOf: buffer[0..<count])
                    } else {
                        output.stderr.append(contentsOf: buffer[0..<count])
                    }
                } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                    closeDescriptor(entry.fd)
                    if isStdout { stdoutFD = -1 } else { stderrFD = -1 }
                }
            }
        }

        // 4. Reap. If we stopped reading early (poll failed), kill the child
        //    first so waitpid cannot block on a child stuck writing to us.
        if pollError != nil && !killed { kill(pid, SIGKILL) }
        var rawStatus: Int32 = 0
        while waitpid(pid, &rawStatus, 0) < 0 && errno == EINTR {}
        if killed {
            throw .timedOut(command: command, milliseconds: timeoutMilliseconds)
        }
        if let pollError {
            throw .spawnFailed(command: command, errno: pollError)
        }
        let signal = rawStatus & 0x7f
        output.status = signal == 0 ? .exited((rawStatus >> 8) & 0xff) : .signaled(signal)
        return output
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

extension CommandRunner {
    /// `strerror` text for an errno value.
    static func errnoText(_ code: Int32) -> String {
        guard let message = strerror(code) else { return "errno \(code)" }
        return String(cString: message)
    }

    fileprivate static func monotonicMilliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }
}
