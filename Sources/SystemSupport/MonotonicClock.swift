import Glibc

/// CLOCK_MONOTONIC readings and sleeps, without Foundation or Dispatch.
public enum MonotonicClock {
    public static func nowNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    public static func nowMilliseconds() -> Int {
        Int(nowNanoseconds() / 1_000_000)
    }

    /// Sleeps the whole interval, resuming after signals.
    public static func sleep(nanoseconds: UInt64) {
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000),
                               tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR {
            request = remaining
        }
    }
}
