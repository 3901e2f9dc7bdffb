/// What to do when an object to be created is already there.
public enum ExistingPolicy: Sendable {
    /// Report EEXIST as a `NetlinkError` (`.alreadyExists`).
    case fail
    /// Succeed with `.alreadyExisted`; the existing object is left as is.
    case tolerate
}

/// How a new route meets routes to the same destination (same table, TOS
/// and priority) that go another way.
public enum SameDestinationPolicy: Sendable {
    /// NLM_F_CREATE|NLM_F_EXCL, like `ip route add`: any such route makes
    /// the request EEXIST.
    case refuse
    /// NLM_F_CREATE alone, like Go netlink's `RouteAddEcmp`, which the
    /// reference's `ipam.ConfigureIface` uses (1.1.1 and HEAD): the kernel
    /// keeps the new route beside the others (IPv4: a second entry; IPv6:
    /// a further next hop when both have a gateway). An identical route is
    /// still EEXIST.
    case addBeside
}

/// What to do when an object to be deleted is already gone.
public enum MissingPolicy: Sendable {
    /// Report ENODEV / ESRCH / EADDRNOTAVAIL as a `NetlinkError`.
    case fail
    /// Succeed with `.alreadyGone`.
    case tolerate
}

/// The result of a create request that did not throw.
public enum AddOutcome: Sendable, Equatable {
    case added
    /// Only with `ExistingPolicy.tolerate`.
    case alreadyExisted
}

/// The result of a delete request that did not throw.
public enum DeleteOutcome: Sendable, Equatable {
    case deleted
    /// Only with `MissingPolicy.tolerate`.
    case alreadyGone
}
