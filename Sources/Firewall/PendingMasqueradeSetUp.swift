/// A masquerade setUp that may still be running in helper processes, so
/// that the caller can configure the pod meanwhile (`MasqueradeBackend.beginSetUp`).
///
/// `finish` waits for it, completes it if needed, and reports its outcome;
/// calling it again returns the same outcome. Whoever tears the attachment
/// down after a failure must `finish` first (ignoring its error), so that a
/// change still in flight cannot land after the teardown.
public final class PendingMasqueradeSetUp {
    private var completion: (() throws(FirewallError) -> Void)?
    private var failure: FirewallError? = nil

    /// `completion` runs once, in the first `finish`.
    init(_ completion: @escaping () throws(FirewallError) -> Void) {
        self.completion = completion
    }

    /// A setUp that already ran, with its outcome.
    static func completed(_ body: () throws(FirewallError) -> Void) -> PendingMasqueradeSetUp {
        let pending = PendingMasqueradeSetUp {}
        pending.completion = nil
        do { try body() } catch { pending.failure = error }
        return pending
    }

    public func finish() throws(FirewallError) {
        if let completion {
            self.completion = nil
            do { try completion() } catch { failure = error }
        }
        if let failure { throw failure }
    }
}
