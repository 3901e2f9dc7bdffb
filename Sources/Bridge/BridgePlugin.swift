import CNISpec
import Firewall

/// The `bridge` plugin: every pod gets a veth pair whose host end is a port
/// of the node's bridge, with addresses from the IPAM plugin named in
/// `ipam.type`.
///
/// Requires CAP_NET_ADMIN and CAP_SYS_ADMIN (setns), and a single-threaded
/// process: namespace switches are per thread.
///
/// Each call that may touch the firewall (ADD, DEL, CHECK, GC) gets one
/// nf_tables session, made here and passed to its command, which hands it
/// to the masquerade backend and the MAC spoof check alike: one socket per
/// call at most, opened on first use and released when the command is done.
public struct BridgePlugin: CNIPlugin {
    public init() {}

    public var about: String { "CNI bridge plugin (Swift)" }

    public func add(_ request: CNIRequest) throws -> CNIResult {
        try AddCommand(request: request, config: BridgeConfig(request), nftables: NFTSession()).run()
    }

    public func delete(_ request: CNIRequest) throws {
        try DeleteCommand(request: request, config: BridgeConfig(request), nftables: NFTSession()).run()
    }

    public func check(_ request: CNIRequest) throws {
        try CheckCommand(request: request, config: BridgeConfig(request), nftables: NFTSession()).run()
    }

    public func garbageCollect(_ request: CNIRequest) throws {
        try GarbageCollectCommand(request: request, config: BridgeConfig(request), nftables: NFTSession()).run()
    }

    public func status(_ request: CNIRequest) throws {
        try StatusCommand(request: request, config: BridgeConfig(request)).run()
    }
}
