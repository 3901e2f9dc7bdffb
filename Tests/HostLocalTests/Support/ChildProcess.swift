import Glibc
import Synchronization

/// What one run of a child process produced.
struct ProcessOutcome: Sendable {
    var stdout: [UInt8] = []
    var stderr: [UInt8] = []
    /// The exit status, or nil when a signal ended the process.
    var exitStatus: Int32? = nil
    /// The signal that ended the process, if one did.
    var signal: Int32? = nil
    /// Whether the deadline passed and the process was killed for it.
    var timedOut = false

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// A child process started with `posix_spawn`, its stdin, stdout and stderr
/// on pipes. Its stdin is written eagerly (as much as the pipe takes at
/// once), so many children can be started first and collected later.
///
/// Ownership: the process is reaped exactly once, by `wait`; until then its
/// pid cannot be reused, so `kill` always hits this child.
final class ChildProcess {
    let pid: pid_t
    private var stdinFD: Int32
    private var stdoutFD: Int32
    private var stderrFD: Int32
    private var input: [UInt8]
    private var inputOffset = 0
    private var reaped = false

    /// Serialises pipe creation and spawning, so that no child inherits the
    /// pipes of another one started concurrently by another test.
    private static let spawnLock = Mutex(())

    /// Why the process could not be started, if it could not; `wait` then
    /// reports it on stderr with no exit status.
    let spawnError: String?

    /// Starts `path` with `arguments` (after its own name), exactly
    /// `environment` (`KEY=value` byte strings; no NUL inside) and `stdin`
    /// as its whole standard input.
    init(_ path: String, arguments: [String] = [], environment: [[UInt8]], stdin: [UInt8]) {
        signal(SIGPIPE, SIG_IGN)
        input = stdin
        let spawned = ChildProcess.spawnLock.withLock { _ in
            Result { () throws(SpawnError) in try ChildProcess.spawn(path, arguments: arguments, environment: environment) }
        }
        switch spawned {
        case .success(let child):
            (pid, stdinFD, stdoutFD, stderrFD) = child
            spawnError = nil
            for fd in [stdinFD, stdoutFD, stderrFD] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
            writeInput()
        case .failure(let error):
            (pid, stdinFD, stdoutFD, stderrFD) = (-1, -1, -1, -1)
            spawnError = error.description
            reaped = true
        }
    }

    /// posix_spawn with the three pipes; returns the pid and the parent's
    /// ends (stdin's write end, stdout's and stderr's read ends).
    private static func spawn(_ path: String, arguments: [String], environment: [[UInt8]]) throws(SpawnError)
        -> (pid: pid_t, stdin: Int32, stdout: Int32, stderr: Int32) {
        var stdinPipe: [Int32] = [-1, -1], stdoutPipe: [Int32] = [-1, -1], stderrPipe: [Int32] = [-1, -1]
        guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0, pipe(&stderrPipe) == 0 else {
            let code = errno
            for fd in stdinPipe + stdoutPipe + stderrPipe where fd >= 0 { close(fd) }
            throw SpawnError("pipe: \(String(cString: strerror(code)))")
        }
        for fd in stdinPipe + stdoutPipe + stderrPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)

        // The child starts with default signal dispositions and an empty
        // mask, whatever the test runner changed.
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
        let status = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        close(stdinPipe[0])
        close(stdoutPipe[1])
        close(stderrPipe[1])
        guard status == 0 else {
            close(stdinPipe[1])
            close(stdoutPipe[0])
            close(stderrPipe[0])
            throw SpawnError("posix_spawn \(path): \(String(cString: strerror(status)))")
        }
        return (pid, stdinPipe[1], stdoutPipe[0], stderrPipe[0])
    }

    deinit {
        for fd in [stdinFD, stdoutFD, stderrFD] where fd >= 0 { close(fd) }
        if !reaped {
            Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }

    /// Sends SIGKILL (to this child only; harmless if it already exited).
    func kill() {
        guard !reaped else { return }
        _ = Glibc.kill(pid, SIGKILL)
    }

    /// Feeds the rest of stdin, collects stdout and stderr until both end,
    /// and reaps the process. Past `timeout` the process is killed and the
    /// outcome says `timedOut`.
    func wait(timeout: Duration = .seconds(20)) -> ProcessOutcome {
        var outcome = ProcessOutcome()
        if let spawnError {
            outcome.stderr = Array(spawnError.utf8)
            return outcome
        }
        let deadline = ContinuousClock.now + timeout
        while stdoutFD >= 0 || stderrFD >= 0 {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero {
                outcome.timedOut = true
                kill()
                break
            }
            var polled: [pollfd] = []
            if stdinFD >= 0 { polled.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            if stdoutFD >= 0 { polled.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
            if stderrFD >= 0 { polled.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
            let milliseconds = min(1000, max(1, Int32(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)))
            if poll(&polled, nfds_t(polled.count), milliseconds) < 0 && errno != EINTR { break }
            for entry in polled where entry.revents != 0 {
                if entry.fd == stdinFD {
                    writeInput()
                } else if entry.fd == stdoutFD {
                    drain(&stdoutFD, into: &outcome.stdout)
                } else if entry.fd == stderrFD {
                    drain(&stderrFD, into: &outcome.stderr)
                }
            }
        }
        closeInput()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = true
        if status & 0x7f == 0 {
            outcome.exitStatus = (status >> 8) & 0xff
        } else {
            outcome.signal = status & 0x7f
        }
        return outcome
    }

    private func writeInput() {
        while stdinFD >= 0 && inputOffset < input.count {
            let count = input.withUnsafeBytes { buffer in
                write(stdinFD, buffer.baseAddress! + inputOffset, buffer.count - inputOffset)
            }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { return }
                break  // EPIPE: the child stopped reading.
            }
            inputOffset += count
        }
        closeInput()
    }

    private func closeInput() {
        if stdinFD >= 0 { close(stdinFD) }
        stdinFD = -1
    }

    private func drain(_ fd: inout Int32, into bytes: inout [UInt8]) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes += buffer[..<count]
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && errno == EAGAIN { return }
            close(fd)
            fd = -1
            return
        }
    }

    private static func cString(_ bytes: [UInt8]) -> UnsafeMutablePointer<CChar>? {
        let pointer = malloc(bytes.count + 1)!.assumingMemoryBound(to: CChar.self)
        for (offset, byte) in bytes.enumerated() { pointer[offset] = CChar(bitPattern: byte) }
        pointer[bytes.count] = 0
        return pointer
    }
}

struct SpawnError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
