/// The two ways this module drives `nft`: list an object with handles, and
/// apply a script atomically (`nft -f -` runs the whole script as one
/// netlink transaction: all of it happens or none of it).
struct NFTCommand: Sendable {
    var runner: CommandRunner

    /// `nft -a list <object…>`, parsed; nil when the table or chain does not
    /// exist (nft exits 1 with "No such file or directory").
    func list(_ object: [String]) throws(FirewallError) -> NFTListing? {
        let path = try CommandRunner.locate("nft")
        let arguments = ["-a", "list"] + object
        let output = try runner.run(path, arguments)
        if output.status.succeeded { return NFTListing(parsing: output.stdoutText) }
        if output.status == .exited(1) && output.stderrText.hasSubstring("No such file or directory") { return nil }
        throw .commandFailed(command: [path] + arguments, status: output.status, stderr: output.stderrText)
    }

    /// `nft -f -` with `script` on stdin.
    func apply(_ script: String) throws(FirewallError) {
        _ = try runner.checked("nft", ["-f", "-"], stdin: Array(script.utf8))
    }

    /// List `object`, plan a script from the listing (nil: nothing to do),
    /// apply it; re-listed and retried on a conflict (`RetryOnConflict`).
    func listPlanApply(_ object: [String], plan: (NFTListing?) -> String?) throws(FirewallError) {
        try RetryOnConflict.run(
            plan: { () throws(FirewallError) in plan(try list(object)) },
            apply: { (script: String) throws(FirewallError) in try apply(script) })
    }

    /// Whether nft runs and can (dry-run) create an inet table with a
    /// comment: the reference's usability probe (knftables' checks).
    static func isUsable(runner: CommandRunner = CommandRunner()) -> Bool {
        guard let path = try? CommandRunner.locate("nft") else { return false }
        let probe = "add table inet cni_plugins_supports_nftables_test { comment \"test\" ; }\n"
        guard let output = try? runner.run(path, ["--check", "-f", "-"], stdin: Array(probe.utf8)) else { return false }
        return output.status.succeeded
    }
}
