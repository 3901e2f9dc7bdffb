import CNISpec

/// The `bridge` plugin: every pod gets a veth pair whose host end is a port
/// of the node's bridge, with addresses from the IPAM plugin named in
/// `ipam.type`.
///
/// Requires CAP_NET_ADMIN and CAP_SYS_ADMIN (setns), and a single-threaded
/// process: namespace switches are per thread.
public struct BridgePlugin: CNIPlugin {
    public init() {}

    public var about: String { "CNI bridge plugin (Swift)" }

    public func add(_ request: CNIRequest) throws -> CNIResult {
        try AddCommand(request: request, config: BridgeConfig(request)).run()
    }

    public func delete(_ request: CNIRequest) throws {
        try DeleteCommand(request: request, config: BridgeConfig(request)).run()
    }

    public func check(_ request: CNIRequest) throws {
        try CheckCommand(request: request, config: BridgeConfig(request)).run()
    }

    public func garbageCollect(_ request: CNIRequest) throws {
        try GarbageCollectCommand(request: request, config: BridgeConfig(request)).run()
    }

    public func status(_ request: CNIRequest) throws {
        try StatusCommand(request: request, config: BridgeConfig(request)).run()
    }
}
