import Glibc
import SystemSupport

extension NetlinkSocket {
    /// Waits until link `index` reports `wanted` as its operational state,
    /// for at most `timeoutMilliseconds`, and returns the last snapshot
    /// (whose `operState` is `wanted` unless time ran out; the caller
    /// decides what a timeout means).
    ///
    /// The state is checked at once, so an already-UP port costs one
    /// request. After that the link is polled with sleeps that start at
    /// 1 ms and double up to 50 ms: a veth normally turns UP within a few
    /// milliseconds of both ends being up, and the reference's fixed
    /// 0/50/500/1000/1000 ms schedule would spend 50 ms on that.
    public func waitForOperState(index: InterfaceIndex, _ wanted: OperState = .up,
                                 timeoutMilliseconds: Int = 2500) throws(NetlinkError) -> LinkInfo {
        let start = MonotonicClock.nowNanoseconds()
        let deadline = start + UInt64(max(0, timeoutMilliseconds)) * 1_000_000
        var delay: UInt64 = 1_000_000
        while true {
            let link = try self.link(index: index)
            if link.operState == wanted { return link }
            let now = MonotonicClock.nowNanoseconds()
            if now >= deadline { return link }
            let sleepFor = min(delay, deadline - now)
            MonotonicClock.sleep(nanoseconds: sleepFor)
            delay = min(delay * 2, 50_000_000)
        }
    }
}
