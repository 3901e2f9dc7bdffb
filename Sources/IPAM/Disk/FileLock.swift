import CNISpec
import Glibc
import SystemSupport

/// An exclusive `flock(2)` on the store's `lock` file: the very lock the
/// reference takes (go-filemutex), so the two implementations serialise.
///
/// Waiting is bounded: when the lock is busy, a per-thread POSIX timer
/// sends SIGALRM to this thread at the deadline (and every 100 ms after, in
/// case a signal lands just before `flock` starts waiting); the handler
/// does nothing and is installed without `SA_RESTART`, so the blocking
/// `flock` returns EINTR and the wait gives up. The no-op handler stays
/// installed for the rest of the process's life: restoring the previous
/// disposition would race with another thread of the same process still
/// waiting (its next SIGALRM would then kill the process). A plugin uses
/// SIGALRM for nothing else. The lock dies with the process, so a killed
/// holder never leaves it taken.
struct FileLock {
    /// Takes the lock, waiting at most `timeout`.
    ///
    /// - Throws: code 11 when the wait times out; code 999 for I/O errors.
    static func lock(_ fd: Int32, path: String, timeout: Duration) throws(CNIError) {
        // 1. The uncontended case costs one system call.
        if retryingInterrupts({ flock(fd, LOCK_EX | LOCK_NB) }) == 0 { return }
        guard errno == EWOULDBLOCK else { throw ioError("flock", path, errno) }

        // 2. Busy: wait, interrupted by a timer at the deadline.
        guard timeout > .zero else { throw timedOut(path, timeout) }
        let deadline = monotonicNow() + timeout
        var alarm = AlarmTimer(firstIn: timeout, every: .milliseconds(100))
        defer { alarm.cancel() }
        while true {
            if flock(fd, LOCK_EX) == 0 { return }
            let code = errno
            guard code == EINTR else { throw ioError("flock", path, code) }
            if monotonicNow() >= deadline { throw timedOut(path, timeout) }
        }
    }

    private static func timedOut(_ path: String, _ timeout: Duration) -> CNIError {
        CNIError(
            .tryAgainLater,
            "timed out after \(timeout.wholeSeconds)s waiting for the lock \(path): another host-local call holds it")
    }

    static func unlock(_ fd: Int32) {
        _ = retryingInterrupts { flock(fd, LOCK_UN) }
    }
}

/// A SIGALRM source aimed at the calling thread, with SIGALRM unblocked in
/// this thread (thread pools such as libdispatch's block it) for as long as
/// it lives, and a no-op handler installed without `SA_RESTART` (for good:
/// see `FileLock`).
private struct AlarmTimer {
    private var timer: timer_t? = nil
    private var previousMask = sigset_t()
    private var active = false

    init(firstIn first: Duration, every interval: Duration) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0
        sigemptyset(&action.sa_mask)
        guard sigaction(SIGALRM, &action, nil) == 0 else { return }
        var alarmOnly = sigset_t()
        sigemptyset(&alarmOnly)
        sigaddset(&alarmOnly, SIGALRM)
        pthread_sigmask(SIG_UNBLOCK, &alarmOnly, &previousMask)
        active = true

        var event = sigevent()
        event.sigev_signo = SIGALRM
        if let tid = currentThreadID() {
            event.sigev_notify = Int32(SIGEV_THREAD_ID)
            event._sigev_un._tid = tid
        } else {
            // No /proc: a process-directed signal, right for a
            // single-threaded plugin.
            event.sigev_notify = Int32(SIGEV_SIGNAL)
        }
        guard timer_create(CLOCK_MONOTONIC, &event, &timer) == 0 else {
            timer = nil
            return
        }
        var setting = itimerspec(it_interval: interval.timespec, it_value: first.timespec)
        _ = timer_settime(timer, 0, &setting, nil)
    }

    /// Stops the timer, then restores this thread's signal mask. A signal
    /// already generated for this thread is delivered on return from
    /// `timer_delete`, to the no-op handler.
    mutating func cancel() {
        if let timer { timer_delete(timer) }
        timer = nil
        if active {
            pthread_sigmask(SIG_SETMASK, &previousMask, nil)
        }
        active = false
    }
}

/// The kernel thread ID of the caller, from `/proc/thread-self`
/// (`<pid>/task/<tid>`); Swift's Glibc does not import `gettid`.
private func currentThreadID() -> Int32? {
    var buffer = [CChar](repeating: 0, count: 64)
    let count = readlink("/proc/thread-self", &buffer, buffer.count - 1)
    guard count > 0 else { return nil }
    let text = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let last = text.split(separator: "/").last else { return nil }
    return Int32(last)
}

private func monotonicNow() -> Duration {
    .nanoseconds(Int64(MonotonicClock.nowNanoseconds()))
}

private extension Duration {
    var timespec: Glibc.timespec {
        let (seconds, attoseconds) = components
        return Glibc.timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    }

    var wholeSeconds: String {
        let (seconds, attoseconds) = components
        if attoseconds == 0 { return "\(seconds)" }
        let milliseconds = Int(attoseconds / 1_000_000_000_000_000)
        return "\(seconds).\(String(milliseconds + 1000).dropFirst())"
    }
}
