import CNetlink
import Glibc
import SystemSupport

/// Interface-name checks done before a name reaches libnl.
///
/// libnl copies names into a 16-byte buffer and silently truncates longer
/// ones (`rtnl_link_set_name`), so `cni-bridge-number-1` would quietly
/// become `cni-bridge-numb`. The kernel's own rules are checked here
/// instead, with the kernel's errors: longer than 15 bytes is ERANGE (the
/// reference's `numerical result out of range`); empty, `.`, `..`, or
/// containing `/`, `:` or whitespace is EINVAL (`dev_valid_name`).
enum InterfaceName {
    static let maximumLength = 15

    static func validate(_ name: String, operation: String) throws(NetlinkError) {
        let bytes = Array(name.utf8)
        if bytes.count > maximumLength {
            throw NetlinkError(operation: operation, object: GoQuote.quoted(name),
                               code: Int32(NLE_RANGE), kernelErrno: ERANGE)
        }
        let invalid = bytes.isEmpty || name == "." || name == ".."
            || bytes.contains { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 == 0
                || $0 == 0x20 || (0x09...0x0d).contains($0) }
        if invalid {
            throw NetlinkError(operation: operation, object: GoQuote.quoted(name),
                               code: Int32(NLE_INVAL), kernelErrno: EINVAL)
        }
    }
}
