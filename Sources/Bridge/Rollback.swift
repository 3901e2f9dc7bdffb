/// Undo actions registered by ADD as it creates things, run in reverse if
/// ADD fails, so that a failed ADD leaves nothing behind.
///
/// Every step that creates something registers its undo right after the
/// creation succeeds — never in a later error branch. Undo actions must not
/// throw; they report their own failures to stderr and carry on, because the
/// error the runtime needs to see is the one that made ADD fail.
final class Rollback {
    private var actions: [(description: String, undo: () -> Void)] = []

    /// Registers `undo` for something just created.
    func register(_ description: String, _ undo: @escaping () -> Void) {
        actions.append((description, undo))
    }

    /// Runs `body`; if it throws, undoes everything registered, newest first,
    /// and rethrows the original error.
    static func run<T>(_ body: (Rollback) throws -> T) throws -> T {
        let rollback = Rollback()
        do {
            return try body(rollback)
        } catch {
            for action in rollback.actions.reversed() {
                action.undo()
            }
            throw error
        }
    }
}
