import CNISpec
import CNetlink
import Glibc
import SystemSupport

extension InterfaceName {
    /// A name a plugin composed (a VLAN gateway's `<bridge>.<vlan>`), with
    /// the kernel's own errors for what it would refuse: longer than 15
    /// bytes is ERANGE (the reference's `numerical result out of range`),
    /// anything else `dev_valid_name` refuses is EINVAL.
    ///
    /// The netlink calls take only `InterfaceName`s because libnl copies a
    /// name into a 16-byte buffer and silently truncates longer ones
    /// (`rtnl_link_set_name`): `cni-bridge-number-1` would quietly become
    /// `cni-bridge-numb`.
    public init(kernelName text: String, operation: String) throws(NetlinkError) {
        do {
            try self.init(text)
        } catch {
            let tooLong = error == .tooLong
            throw NetlinkError(operation: operation, object: GoQuote.quoted(text),
                               code: Int32(tooLong ? NLE_RANGE : NLE_INVAL), kernelErrno: tooLong ? ERANGE : EINVAL)
        }
    }
}
