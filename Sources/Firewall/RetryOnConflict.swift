import Glibc

/// The list → plan → apply loop every firewall change goes through.
///
/// Listing and applying are two tool runs, so a concurrent plugin call (a DEL
/// or GC of another attachment) can change the table in between; the apply
/// then fails as a whole (nft and iptables-restore are atomic) and nothing
/// was changed. Such a failure is answered by listing again and re-planning,
/// after a short random pause that de-synchronises the contenders, up to
/// `attempts` tries in all. Only `commandFailed` and the netlink errors of
/// a conflicting writer (`FirewallError.isConflict`) are retried: a missing
/// tool or a timeout is not a conflict.
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
                guard error.isConflict, attempt < attempts else { throw error }
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

extension FirewallError {
    /// Whether a concurrent change can explain this failure, so that
    /// reading again and re-planning may succeed: a failed tool run (the
    /// tools do not say why), or an nf_tables batch refused because an
    /// object it names vanished (ENOENT), is being changed (EBUSY), or the
    /// ruleset generation moved (ERESTART, EAGAIN).
    var isConflict: Bool {
        switch self {
        case .commandFailed: return true
        case .netlink(_, let code): return code == ENOENT || code == EBUSY || code == ERESTART || code == EAGAIN || code == EINTR
        default: return false
        }
    }
}
