import CNISpec
import Netlink
import SystemSupport

/// Turning lower-layer errors into CNI errors, with a prefix that says which
/// step failed (the reference's wording where it has one).
extension CNIError {
    /// `context: <error>`, code 999 unless the error is already a CNI error.
    static func failed(_ context: String, _ error: any Error) -> CNIError {
        if let error = error as? CNIError { return error.prefixed(context) }
        return CNIError(.internal, "\(context): \(error)")
    }

    /// `context: <cause>` for a context that already says what was
    /// attempted on what, as the reference words it ("failed to delete
    /// \"lo\": operation not supported"): of a netlink error only its
    /// cause, the errno's text.
    static func failed(_ context: String, causeOf error: any Error) -> CNIError {
        if let error = error as? NetlinkError { return CNIError(.internal, "\(context): \(error.reason)") }
        return failed(context, error)
    }
}

/// Writes one line to stderr: the place for problems that must not change
/// the outcome (a rollback step that failed, a sysctl that is missing).
func logWarning(_ message: String) {
    StandardIO.writeAll(fd: 2, "bridge: \(message)\n")
}

/// Runs `body` and reports a failure on stderr instead of throwing: for
/// best-effort steps the reference also ignores.
func ignoreFailure<E: Error>(_ body: () throws(E) -> Void) {
    do {
        try body()
    } catch {
        logWarning("\(error)")
    }
}
