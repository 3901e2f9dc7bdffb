import CNISpec
import Firewall
import Netlink

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

    /// GC: forwarded to IPAM, then the firewall rules of this network whose
    /// attachment is not in `cni.dev/valid-attachments` are removed. Every
    /// step runs; the first error is reported.
    ///
    /// A request without the list removes no rule (see
    /// `NetworkConfig.validAttachments()`), and still goes to IPAM, which
    /// decides for itself (host-local then releases nothing).
    public func garbageCollect(_ request: CNIRequest) throws {
        let config = try BridgeConfig(request)
        let validAttachments = try request.config.validAttachments()
        var firstError: CNIError? = nil
        if config.isLayer3 {
            do {
                let ipam = try DelegatedPlugin(type: request.config.ipamType ?? "", directories: request.paths)
                _ = try ipam.execute(.gc, for: request)
            } catch {
                firstError = CNIError.wrapping(error)
            }
        }
        guard let attachments = validAttachments else {
            if let firstError { throw firstError }
            return
        }
        do {
            try Masquerade.garbageCollectEverywhere(network: request.networkName, validAttachments: attachments,
                                                    environment: request.environment)
        } catch {
            if firstError == nil { firstError = CNIError.failed("failed to garbage-collect IP masquerade", error) }
        }
        if config.macSpoofCheck {
            do {
                try MACSpoofCheck().garbageCollect(network: request.networkName, validAttachments: attachments)
            } catch {
                if firstError == nil { firstError = CNIError.failed("failed to garbage-collect MAC spoof checks", error) }
            }
        }
        if let firstError { throw firstError }
    }

    /// STATUS: the bridge itself can always serve ADD; ask IPAM. An IPAM
    /// plugin missing from `CNI_PATH` is code 50: ADD cannot be served.
    public func status(_ request: CNIRequest) throws {
        let config = try BridgeConfig(request)
        guard config.isLayer3 else { return }
        let ipam = try DelegatedPlugin(type: request.config.ipamType ?? "", directories: request.paths,
                                       missingCode: .pluginNotAvailable)
        _ = try ipam.execute(.status, for: request)
    }
}
