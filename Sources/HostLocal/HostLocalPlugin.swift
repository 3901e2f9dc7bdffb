import CNISpec
import IPAM

/// The `host-local` IPAM plugin: addresses from the node's ranges, one file
/// per allocated address under `<dataDir>/<network>/`, in the reference's
/// format.
///
/// Every command holds the store's lock once for its whole duration, and
/// reads an index instead of every file, so its cost does not grow with the
/// number of allocations (see `DiskStore`).
public struct HostLocalPlugin: CNIPlugin {
    public init() {}

    public var about: String { "CNI host-local plugin (Swift)" }

    /// ADD: one address per range set, round-robin, or exactly the requested
    /// static addresses. The first ADD after a reboot first releases what
    /// this plugin reserved before it (`reclaimAfterReboot`, on by default). Result: `ips` (in range set order, with the range's
    /// gateway), the configured `routes`, and `dns` from `resolvConf`.
    public func add(_ request: CNIRequest) throws -> CNIResult {
        let config = try HostLocalConfig(request)
        var result = CNIResult()
        if let resolvConf = config.resolvConf, !resolvConf.isEmpty {
            result.dns = try ResolvConf.read(path: resolvConf)
        }
        let store = try DiskStore.open(dataDir: config.dataDir, network: request.networkName)
        let allocated = try store.withLock { () throws(CNIError) in
            if config.reclaimAfterReboot, let boot = BootID.current() {
                store.reclaimEarlierBoots(current: boot)
            }
            return try Allocator(rangeSets: config.rangeSets, store: store)
                .allocate(for: request.attachment,
                          requestedIPs: config.requestedIPs)
        }
        result.ips = allocated.map { CNIResult.IPConfig(address: $0.address, gateway: $0.gateway) }
        result.routes = config.routes
        return result
    }

    /// DEL: releases every address of (container ID, interface), wherever it
    /// is in the store, and succeeds when there is none.
    public func delete(_ request: CNIRequest) throws {
        let config = try HostLocalConfig(request)
        let store = try DiskStore.open(dataDir: config.dataDir, network: request.networkName)
        try store.withLock { () throws(CNIError) in
            _ = try Allocator(rangeSets: config.rangeSets, store: store)
                .release(request.attachment)
        }
    }

    /// CHECK: the attachment must still hold an address. Writes nothing
    /// (works on a read-only store).
    public func check(_ request: CNIRequest) throws {
        let config = try HostLocalConfig(request)
        let found = try DiskStore.openForReading(dataDir: config.dataDir, network: request.networkName).map { store throws(CNIError) in
            try store.withLock { () throws(CNIError) in
                try Allocator(rangeSets: config.rangeSets, store: store)
                    .find(request.attachment)
            }
        } ?? []
        if found.isEmpty {
            throw CNIError(.internal, "host-local: Failed to find address added by container \(request.containerID)")
        }
    }

    /// GC: releases every reservation whose (container ID, interface) is not
    /// in `cni.dev/valid-attachments`. A request without the list releases
    /// nothing (see `NetworkConfig.validAttachments()`); its config is still
    /// checked.
    public func garbageCollect(_ request: CNIRequest) throws {
        let config = try HostLocalConfig(request)
        guard let valid = try request.config.validAttachments() else { return }
        let store = try DiskStore.open(dataDir: config.dataDir, network: request.networkName)
        try store.withLock { () throws(CNIError) in
            _ = try Allocator(rangeSets: config.rangeSets, store: store).garbageCollect(valid: valid)
        }
    }

    /// STATUS: code 50 when some range set has no free address, since ADD
    /// would then fail. Writes nothing; a store that does not exist yet has
    /// every address free.
    public func status(_ request: CNIRequest) throws {
        let config = try HostLocalConfig(request)
        guard let store = try DiskStore.openForReading(dataDir: config.dataDir, network: request.networkName) else { return }
        var exhausted = try Allocator(rangeSets: config.rangeSets, store: store).exhaustedRangeSets()
        // Addresses the next ADD reclaims from an earlier boot are as good as free.
        if !exhausted.isEmpty, config.reclaimAfterReboot, let boot = BootID.current() {
            let reclaimable = store.reclaimableAddresses(current: boot)
            exhausted.removeAll { index in reclaimable.contains { config.rangeSets[index].contains($0) } }
        }
        if let first = exhausted.first {
            throw CNIError(.pluginNotAvailable,
                           "no IP addresses available in range set: \(config.rangeSets[first])",
                           details: "range sets without a free address: \(exhausted.map(String.init).joined(separator: ", "))")
        }
    }
}
