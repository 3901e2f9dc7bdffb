import CNetlink

/// Owner of one `struct nl_cache` (a dump of links, addresses or routes),
/// freed in `deinit` only. Objects visited by `forEach` are borrowed from
/// the cache and must not escape the closure.
final class NetlinkCache {
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    func forEach(_ body: (OpaquePointer) throws -> Void) rethrows {
        var object = nl_cache_get_first(pointer)
        while let current = object {
            try body(current)
            object = nl_cache_get_next(current)
        }
    }

    deinit { nl_cache_free(pointer) }
}
