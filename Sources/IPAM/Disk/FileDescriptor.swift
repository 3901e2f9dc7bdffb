import Glibc

/// An open file descriptor, owned: closed exactly once, when the last
/// reference goes (or earlier by `close()`). The disk store never holds a
/// bare descriptor it has to remember to close.
final class FileDescriptor {
    /// The descriptor number; valid until `close()` or deinit.
    let raw: Int32
    private var isOpen = true

    /// Takes ownership of `raw` (which must be open).
    ///
    /// Not inlined, so the instance always lives on the heap: Swift 6.3's
    /// optimizer miscompiles a stack-promoted instance that `close()` is
    /// called on (it crashes in `swift_deallocClassInstance`; reproduced in
    /// a 40-line program built with -O).
    @inline(never)
    init(owning raw: Int32) { self.raw = raw }

    /// Opens `name` relative to `directory` (EINTR retried, always
    /// `O_CLOEXEC`); nil with `errno` set on failure.
    static func open(in directory: Int32, _ name: String, _ flags: Int32, mode: mode_t = 0) -> FileDescriptor? {
        let fd = openFile(in: directory, name, flags, mode: mode)
        return fd >= 0 ? FileDescriptor(owning: fd) : nil
    }

    /// Closes now; returns 0 or an errno (EINTR counts as closed, as on
    /// Linux the descriptor is gone either way).
    @discardableResult
    func close() -> Int32 {
        guard isOpen else { return 0 }
        isOpen = false
        if Glibc.close(raw) != 0 && errno != EINTR { return errno }
        return 0
    }

    deinit { if isOpen { Glibc.close(raw) } }
}
