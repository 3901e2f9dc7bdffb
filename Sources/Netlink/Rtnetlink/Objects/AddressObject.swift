import CNetlink

/// Owner of one `struct rtnl_addr` reference, dropped in `deinit` only.
final class AddressObject {
    let pointer: OpaquePointer

    init() throws(NetlinkError) {
        guard let pointer = rtnl_addr_alloc() else {
            throw NetlinkError(operation: "allocate", object: "address object", code: Int32(NLE_NOMEM))
        }
        self.pointer = pointer
    }

    /// Takes over a reference the caller owns.
    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { rtnl_addr_put(pointer) }
}
