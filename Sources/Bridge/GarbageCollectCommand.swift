import CNISpec
import Firewall

/// GC: forwarded to IPAM, then the firewall rules of this network whose
/// attachment is not in `cni.dev/valid-attachments` are removed. Every
/// step runs; the first error is reported.
///
/// A request without the list removes no rule (see
/// `NetworkConfig.validAttachments()`), and still goes to IPAM, which
/// decides for itself (host-local then releases nothing).
struct GarbageCollectCommand {
    let request: CNIRequest
    let config: BridgeConfig
    /// The call's one nf_tables session, for every firewall step (see
    /// `NFTSession`).
    let nftables: NFTSession

    func run() throws {
        let validAttachments = try request.config.validAttachments()
        var firstError: CNIError? = nil
        if config.isLayer3 {
            do {
                let ipam = try DelegatedPlugin.ipam(for: request)
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
                                                    environment: request.environment, session: nftables)
        } catch {
            if firstError == nil { firstError = CNIError.failed("failed to garbage-collect IP masquerade", error) }
        }
        if config.macSpoofCheck {
            do {
                try MACSpoofCheck(session: nftables).garbageCollect(network: request.networkName, validAttachments: attachments)
            } catch {
                if firstError == nil { firstError = CNIError.failed("failed to garbage-collect MAC spoof checks", error) }
            }
        }
        if let firstError { throw firstError }
    }
}
