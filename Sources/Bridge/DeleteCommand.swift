import CNISpec
import Firewall
import Netlink
import SystemSupport

/// DEL: remove everything ADD made for this attachment, in this order:
/// the pod's interface (its veth peer goes with it), the IPAM reservation
/// (only once the interface is gone, so the address cannot be reused while
/// still configured), the MAC spoof-check rules, the masquerade rules.
///
/// Idempotent and best effort: "already gone" is success at every step, and
/// every step after the interface runs even when an earlier one failed. An
/// interface that cannot be looked up or deleted ends DEL before anything
/// else is released, as in the reference: it may still hold the address,
/// and the runtime retries. Nothing needs `prevResult` or the pod's
/// addresses — firewall rules are found by their per-attachment tag. So DEL also cleans up when `CNI_NETNS` is empty,
/// names a namespace that no longer exists, or a stale non-namespace file.
struct DeleteCommand {
    let request: CNIRequest
    let config: BridgeConfig
    /// The call's one nf_tables session, for every firewall step (see
    /// `NFTSession`).
    let nftables: NFTSession

    func run() throws {
        var firstError: CNIError? = nil
        func record(_ error: CNIError) {
            if firstError == nil { firstError = error } else { logWarning(error.description) }
        }

        // 0. The pod's namespace. When it is there but cannot be opened, or
        //    is our own, touch nothing at all, not even IPAM: the interface
        //    may still hold the address, and the runtime retries a failed DEL.
        let podNamespace = try PodNamespace.openIfPresent(request)

        // 1. The interface, if its namespace is still there. DEL goes on as
        //    soon as the kernel no longer lists it (its veth peer leaves the
        //    bridge at the same moment); see `EarlyReturnLinkDeletion`. One
        //    that cannot be looked up or deleted ends DEL here.
        if let namespace = podNamespace {
            let pod: NetlinkSocket
            let link: LinkInfo?
            do {
                pod = try NetlinkSocket(in: namespace)
                link = try pod.linkIfPresent(named: request.interfaceName)
            } catch {
                throw CNIError.failed("failed to lookup \(GoQuote.quoted(request.ifname))", causeOf: error)
            }
            if let link {
                do {
                    _ = try EarlyReturnLinkDeletion.delete(index: link.index, in: namespace, observer: pod)
                } catch {
                    throw CNIError.failed("failed to delete \(GoQuote.quoted(request.ifname))", causeOf: error)
                }
            }
        }

        // 2. The IPAM reservation.
        if config.isLayer3 {
            do {
                let ipam = try DelegatedPlugin.ipam(for: request)
                _ = try ipam.execute(.del, for: request)
            } catch {
                record(error)
            }
        }

        // 3. MAC spoof-check rules. It and step 4 speak nf_tables on the
        //    call's one session.
        if config.macSpoofCheck {
            do {
                try MACSpoofCheck(session: nftables).tearDown(attachment: request.attachment)
            } catch {
                record(CNIError.failed("failed to remove MAC spoof check", error))
            }
        }

        // 4. Masquerade rules, in whichever backend holds them.
        if config.isLayer3 && config.ipMasq {
            do {
                try Masquerade.tearDownEverywhere(network: request.networkName, attachment: request.attachment,
                                                  likelyHolder: config.ipMasqBackend ?? .iptables,
                                                  environment: request.environment, session: nftables)
            } catch {
                record(CNIError.failed("failed to remove IP masquerade", error))
            }
        }

        if let firstError { throw firstError }
    }
}
