/// What to do when an object to be created is already there.
public enum ExistingPolicy: Sendable {
    /// Report EEXIST as a `NetlinkError` (`.alreadyExists`).
    case fail
    /// Succeed with `.alreadyExisted`; the existing object is left as is.
    case tolerate
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
