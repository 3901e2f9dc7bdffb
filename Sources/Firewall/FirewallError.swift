import Netlink
import SystemSupport
/// How a child process ended.
public enum ExitStatus: Hashable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public var succeeded: Bool { self == .exited(0) }

    public var description: String {
        switch self {
        case .exited(let code): return "exit status \(code)"
        case .signaled(let signal): return "signal \(signal)"
        }
    }
}

/// Everything the firewall layer can fail with. Each case names what failed:
/// the command line (with the tool's absolute path), how it ended and what it
/// wrote to stderr, so a CNI error built from `description` is actionable.
public enum FirewallError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `ipMasqBackend` holds something other than `iptables` or `nftables`.
    /// The description is the reference's message, word for word.
    case unknownBackend(String)
    /// No executable `tool` in any of `searched`.
    case toolNotFound(tool: String, searched: [String])
    /// `posix_spawn` (or the pipes around it) failed with `errno`.
    case spawnFailed(command: [String], errno: Int32)
    /// The command ran and ended with a non-zero status.
    case commandFailed(command: [String], status: ExitStatus, stderr: String)
    /// The command ran past its deadline and was killed.
    case timedOut(command: [String], milliseconds: Int)
    /// CHECK: a rule or chain that setUp installs is not there.
    case ruleMissing(String)
    /// An nf_tables request over netlink (`operation`, e.g. "add masquerade
    /// rules to inet cni_plugins_masquerade") failed with `errno`.
    case netlink(operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .unknownBackend(let name):
            return "unknown ipmasq backend \(GoQuote.quoted(name))"
        case .toolNotFound(let tool, let searched):
            return "\(tool) not found in \(searched.joined(separator: ", "))"
        case .spawnFailed(let command, let errno):
            return "failed to run \(FirewallError.render(command)): \(StandardIO.errorText(errno))"
        case .commandFailed(let command, let status, let stderr):
            let trimmed = stderr.trimmingTrailingNewlines
            let detail = trimmed.isEmpty ? "" : ": \(trimmed)"
            return "\(FirewallError.render(command)) failed with \(status)\(detail)"
        case .timedOut(let command, let milliseconds):
            return "\(FirewallError.render(command)) did not finish within \(milliseconds) ms and was killed"
        case .ruleMissing(let what):
            return what
        case .netlink(let operation, let errno):
            return "nftables: \(operation): \(StandardIO.errorText(errno))"
        }
    }

    /// The command line as one would type it (arguments with spaces quoted).
    static func render(_ command: [String]) -> String {
        command.map { argument in
            argument.isEmpty || argument.contains(where: { $0 == " " || $0 == "\"" || $0 == "\\" })
                ? GoQuote.quoted(argument) : argument
        }.joined(separator: " ")
    }
}

private extension String {
    var trimmingTrailingNewlines: String {
        var text = self
        while let last = text.last, last == "\n" || last == "\r" { text.removeLast() }
        return text
    }
}

/// Runs an nf_tables request over netlink and reports its failure as
/// `FirewallError.netlink`, with the operation and errno it names.
func nftables<T>(_ request: () throws(NetfilterError) -> T) throws(FirewallError) -> T {
    do {
        return try request()
    } catch {
        throw .netlink(operation: error.operation, errno: error.errno)
    }
}
