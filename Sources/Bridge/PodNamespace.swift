import CNISpec
import Glibc
import Netlink

/// `CNI_NETNS`, opened and checked before any side effect.
enum PodNamespace {
    /// For ADD and CHECK: the path must be a network namespace, and not the
    /// plugin's own (unless `CNI_NETNS_OVERRIDE` says so) — configuring
    /// "the container's eth0" in the node's namespace would break the node.
    static func open(_ request: CNIRequest) throws(CNIError) -> NetworkNamespace {
        let namespace: NetworkNamespace
        do {
            namespace = try NetworkNamespace(path: request.netns)
        } catch {
            throw CNIError(.invalidEnvironmentVariables, "failed to open netns \"\(request.netns)\": \(error)",
                           details: "CNI_NETNS must name a network namespace")
        }
        try refuseOwnNamespace(namespace, request)
        return namespace
    }

    /// For DEL: nil when there is nothing left to clean up inside — the path
    /// is empty, gone (also when a component of it is no longer a
    /// directory), or no longer a namespace (a stale bind-mount target after
    /// a reboot). Other failures (permissions, descriptors) are errors: the
    /// namespace may still hold the interface, so DEL must not release its
    /// address.
    static func openIfPresent(_ request: CNIRequest) throws(CNIError) -> NetworkNamespace? {
        guard !request.netns.isEmpty else { return nil }
        let namespace: NetworkNamespace
        do {
            namespace = try NetworkNamespace(path: request.netns)
        } catch {
            switch error {
            case .pathNotFound, .notANamespace, .notANetworkNamespace:
                return nil
            case .statfsFailed(_, let errno) where errno == ENOENT || errno == ENOTDIR:
                return nil
            case .openFailed(_, let errno) where errno == ENOENT || errno == ENOTDIR:
                return nil
            default:
                throw CNIError(.internal, "failed to open netns \"\(request.netns)\": \(error)")
            }
        }
        try refuseOwnNamespace(namespace, request)
        return namespace
    }

    private static func refuseOwnNamespace(_ namespace: NetworkNamespace, _ request: CNIRequest) throws(CNIError) {
        let override = request.environmentValue("CNI_NETNS_OVERRIDE")
        if override == "1" || override == "true" { return }
        let isOwn: Bool
        do {
            isOwn = try namespace.isCurrentThreadNamespace()
        } catch {
            throw CNIError(.internal, "failed to compare netns \"\(request.netns)\" with our own: \(error)")
        }
        if isOwn {
            throw CNIError(.invalidNetNS, "plugin's netns and netns from CNI_NETNS should not be the same")
        }
    }
}
