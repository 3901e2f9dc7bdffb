import Glibc

/// This process's environment. Read once, at the edge (a plugin's entry,
/// `PluginMain.run`), and passed down as a value from there: the layers
/// below take the environment they are given, so a test can hand them any.
public enum ProcessEnvironment {
    /// This process's environment as `KEY=value` strings, in `environ` order.
    public static func current() -> [String] {
        var entries: [String] = []
        var pointer = unsafe environ
        while let entry = pointer.pointee {
            entries.append(String(cString: entry))
            pointer += 1
        }
        return entries
    }
}
