
/// The `ipMasqBackend` values the reference understands.
public enum MasqueradeBackendKind: String, Hashable, Sendable, CaseIterable {
    case iptables
    case nftables

    /// Validates a configured `ipMasqBackend`. `nil` (the key is absent)
    /// means "choose automatically" and returns nil; anything other than the
    /// two known names throws `unknown ipmasq backend "x"`. Pure: meant to run
    /// at config load, before any side effect.
    public static func parse(_ configured: String?) throws(FirewallError) -> MasqueradeBackendKind? {
        guard let configured else { return nil }
        guard let kind = MasqueradeBackendKind(rawValue: configured) else {
            throw .unknownBackend(configured)
        }
        return kind
    }

    /// The backend to use for `configured` (already parsed). Unset means the
    /// reference's rule: iptables, unless iptables is unusable and nftables is
    /// usable. With iptables-nft installed, iptables works exactly when
    /// nf_tables does, so it is chosen without running it; otherwise the
    /// probe costs a tool run, and only the unset case probes.
    /// The iptables probe runs with `environment` (the plugin call's).
    public static func resolve(_ configured: MasqueradeBackendKind?,
                               environment: [String]) -> MasqueradeBackendKind {
        if let configured { return configured }
        if IPTablesNFTChains.usesIPTablesNFT { return .iptables }
        if !IPTablesMasquerade.isUsable(environment: environment) && NFTablesMasquerade.isUsable() { return .nftables }
        return .iptables
    }

    /// A backend of this kind; the iptables one runs its tools with
    /// `environment` (the plugin call's). Both speak nf_tables on
    /// `session`'s socket.
    public func makeBackend(environment: [String], session: NFTSession) -> any MasqueradeBackend {
        switch self {
        case .iptables: return IPTablesMasquerade(environment: environment, session: session)
        case .nftables: return NFTablesMasquerade(session: session)
        }
    }
}

extension MasqueradeBackendKind {
    /// Whether this backend can be present at all (no process is run): the
    /// iptables tools exist; nftables is spoken over netlink, always tried.
    var isInstalled: Bool {
        switch self {
        case .iptables: return CommandRunner.isInstalled("iptables") || CommandRunner.isInstalled("ip6tables")
        case .nftables: return true
        }
    }

    /// The reference's usability probe for this backend (runs the tool).
    func isUsable(environment: [String]) -> Bool {
        switch self {
        case .iptables: return IPTablesMasquerade.isUsable(environment: environment)
        case .nftables: return NFTablesMasquerade.isUsable()
        }
    }
}
