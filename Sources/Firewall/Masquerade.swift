import CNISpec

/// Operations that, like the reference's DEL, must cover rules installed by
/// either backend: the attachment may have been set up by another version of
/// a plugin or with another `ipMasqBackend`.
///
/// As in the reference, a backend's failure counts only when that backend
/// is usable here (iptables: installed and listing works; nftables: the
/// kernel answers over netlink): a node without working nftables has no
/// nftables rules to remove.
public enum Masquerade {
    /// Tears the attachment down in both backends. Both are attempted; the
    /// first error that counts is thrown after both ran. `likelyHolder`, the
    /// backend the config names, goes last: the other usually has nothing
    /// to remove. Both speak nf_tables on `session`'s one socket.
    public static func tearDownEverywhere(network: String, attachment: Attachment,
                                          likelyHolder: MasqueradeBackendKind = .iptables,
                                          environment: [String],
                                          session: NFTSession) throws(FirewallError) {
        try forEachBackend(last: likelyHolder, environment: environment, session: session) { backend throws(FirewallError) in
            try backend.tearDown(network: network, attachment: attachment)
        }
    }

    /// Garbage-collects `network` in both backends, like `tearDownEverywhere`.
    public static func garbageCollectEverywhere(network: String, validAttachments: Set<Attachment>,
                                                environment: [String],
                                                session: NFTSession) throws(FirewallError) {
        try forEachBackend(environment: environment, session: session) { backend throws(FirewallError) in
            try backend.garbageCollect(network: network, validAttachments: validAttachments)
        }
    }

    private static func forEachBackend(last: MasqueradeBackendKind = .iptables, environment: [String], session: NFTSession,
                                       _ body: (any MasqueradeBackend) throws(FirewallError) -> Void) throws(FirewallError) {
        var firstError: FirewallError? = nil
        let kinds = MasqueradeBackendKind.allCases.filter { $0 != last } + [last]
        for kind in kinds where kind.isInstalled {
            do {
                try body(kind.makeBackend(environment: environment, session: session))
            } catch {
                if firstError == nil && kind.isUsable(environment: environment) { firstError = error }
            }
        }
        if let firstError { throw firstError }
    }
}
