import Glibc

/// The list → plan → apply loop every firewall change goes through.
///
/// Listing and applying are two tool runs, so a concurrent plugin call (a DEL
/// or GC of another attachment) can change the table in between; the apply
/// then fails as a whole (nft and iptables-restore are atomic) and nothing
/// was changed. Such a failure is answered by listing again and re-planning,
/// after a short random pause that de-synchronises the contenders, up to
/// `attempts` tries in all. Only `commandFailed` is retried: a missing tool
/// or a timeout is not a conflict.
enum RetryOnConflict {
    static let attempts = 5

    /// `plan` lists and returns what to apply (nil: nothing to do); `apply`
    /// applies it.
    static func run<Plan>(
        attempts: Int = RetryOnConflict.attempts,
        plan: () throws(FirewallError) -> Plan?,
        apply: (Plan) throws(FirewallError) -> Void
    ) throws(FirewallError) {
        var attempt = 1
        while true {
            guard let change = try plan() else { return }
            do {
                try apply(change)
                return
            } catch {
                guard case .commandFailed = error, attempt < attempts else { throw error }
                pause(upToMilliseconds: 2 * attempt)
                attempt += 1
            }
        }
    }

    private static func pause(upToMilliseconds limit: Int) {
        var request = timespec(tv_sec: 0, tv_nsec: Int.random(in: 0...(limit * 1_000_000)))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
