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
    /// Takes back only what this setUp added, where it joined rules that
    /// were there before (and returns true); false when a plain teardown of
    /// the attachment is the way back.
    private let undo: (() throws(FirewallError) -> Bool)?

    /// `completion` runs once, in the first `finish`.
    init(_ completion: @escaping () throws(FirewallError) -> Void) {
        self.completion = completion
        self.undo = nil
    }

    /// `completion` runs once, in the first `finish`; `undo` in `takeBack`.
    init(completion: @escaping () throws(FirewallError) -> Void, undo: @escaping () throws(FirewallError) -> Bool) {
        self.completion = completion
        self.undo = undo
    }

    /// Takes the setUp back after a failed ADD: waits for it (its own
    /// failure ignored), then removes what it added and nothing that was
    /// there before, or runs `tearDown` when the rules were the
    /// attachment's alone.
    public func takeBack(orTearDown tearDown: () throws(FirewallError) -> Void) throws(FirewallError) {
        try? finish()
        if let undo, try undo() { return }
        try tearDown()
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
