import CNetlink
import CNISpec
import Glibc
import SystemSupport

/// Changes to apply to an existing link in one RTM_NEWLINK request. Fields
/// left nil are not touched.
public struct LinkChanges: Sendable, Equatable {
    /// Administrative state (IFF_UP).
    public var up: Bool?
    /// IFF_PROMISC.
    public var promiscuous: Bool?
    public var mtu: Int?
    public var mac: MACAddress?
    /// IFLA_MASTER: the bridge to enslave to; 0 releases the link.
    public var masterIndex: InterfaceIndex?
    /// IFLA_MASTER 0: leave whatever bridge the link is a port of.
    public var leavesMaster: Bool
    public var name: InterfaceName?

    public init(up: Bool? = nil, promiscuous: Bool? = nil, mtu: Int? = nil, mac: MACAddress? = nil,
                masterIndex: InterfaceIndex? = nil, leavesMaster: Bool = false, name: InterfaceName? = nil) {
        self.up = up
        self.promiscuous = promiscuous
        self.mtu = mtu
        self.mac = mac
        self.masterIndex = masterIndex
        self.leavesMaster = leavesMaster
        self.name = name
    }
}

extension NetlinkSocket {
    // MARK: Reading

    /// The link called `name`. A missing link throws `.noSuchDevice`.
    public func link(named name: InterfaceName) throws(NetlinkError) -> LinkInfo {
        try fetchLink(index: nil, name: name)
    }

    public func link(index: InterfaceIndex) throws(NetlinkError) -> LinkInfo {
        try fetchLink(index: index, name: nil)
    }

    /// The link called `name`, or nil when there is none.
    public func linkIfPresent(named name: InterfaceName) throws(NetlinkError) -> LinkInfo? {
        do {
            return try fetchLink(index: nil, name: name)
        } catch where error.isNoSuchDevice {
            return nil
        }
    }

    public func linkIfPresent(index: InterfaceIndex) throws(NetlinkError) -> LinkInfo? {
        do {
            return try fetchLink(index: index, name: nil)
        } catch where error.isNoSuchDevice {
            return nil
        }
    }

    /// Every link in the socket's namespace (one dump).
    public func links() throws(NetlinkError) -> [LinkInfo] {
        var raw: OpaquePointer? = nil
        try perform("list", "links") { rtnl_link_alloc_cache($0, AF_UNSPEC, &raw) }
        guard let raw else { return [] }
        let cache = NetlinkCache(owning: raw)
        var result: [LinkInfo] = []
        cache.forEach { result.append(LinkInfo(link: $0)) }
        return result
    }

    private func fetchLink(index: InterfaceIndex?, name: InterfaceName?) throws(NetlinkError) -> LinkInfo {
        var raw: OpaquePointer? = nil
        try perform("get link", LinkRef.describe(index: index, name: name)) { socket in
            rtnl_link_get_kernel(socket, index?.rawValue ?? 0, name?.text, &raw)
        }
        guard let raw else {
            throw NetlinkError(operation: "get link", object: LinkRef.describe(index: index, name: name),
                               code: Int32(NLE_NODEV))
        }
        let link = LinkObject(owning: raw)
        return withExtendedLifetime(link) { LinkInfo(link: link.pointer) }
    }

    // MARK: Creating

    /// Creates a bridge. With `ifExists: .tolerate` an existing link of that
    /// name (of any kind: check `link(named:).isBridge`) is left untouched
    /// and reported as `.alreadyExisted`.
    ///
    /// A bridge created with `mac` keeps that address for life: the kernel
    /// marks it as set by the user, so it no longer follows its lowest port.
    @discardableResult
    public func createBridge(name: InterfaceName, mtu: Int? = nil, mac: MACAddress? = nil, up: Bool = true,
                             ifExists: ExistingPolicy = .fail) throws(NetlinkError) -> AddOutcome {
        let bridge = try LinkObject.bridge()
        rtnl_link_set_name(bridge.pointer, name.text)
        if let mtu { rtnl_link_set_mtu(bridge.pointer, UInt32(mtu)) }
        if let mac { try bridge.setAddress(mac) }
        if up { rtnl_link_set_flags(bridge.pointer, UInt32(IFF_UP)) }
        do {
            try perform("add bridge", GoQuote.quoted(name.text)) { socket in
                rtnl_link_add(socket, bridge.pointer, NLM_F_CREATE | NLM_F_EXCL)
            }
            return .added
        } catch where error.isAlreadyExists && ifExists == .tolerate {
            return .alreadyExisted
        }
    }

    /// Creates a veth pair in one request. The end called `name` is born in
    /// this socket's namespace; the end called `peerName` is born directly
    /// in `peerNamespace` (IFLA_NET_NS_FD) with its final name, so nothing
    /// is ever moved between namespaces (a move costs about 30 ms).
    ///
    /// - `mtu` applies to both ends; `mac`/`peerMAC` set the addresses
    ///   (otherwise the kernel picks random ones).
    /// - `up` brings this end up as part of the same request. The peer
    ///   cannot be: the kernel configures the peer before the pair is
    ///   linked, and opening a veth without its peer is ENOTCONN. Bring it
    ///   up through a socket in its namespace (the reference leaves it down
    ///   until its addresses are in place anyway).
    /// - `masterIndex` enslaves this end to a bridge as part of the request.
    ///
    /// EEXIST (`.alreadyExists`) means either name was taken; the kernel
    /// does not say which, so look the peer name up first when it matters.
    public func createVethPair(name: InterfaceName, peerName: InterfaceName, peerNamespace: NetworkNamespace?,
                               mtu: Int? = nil, mac: MACAddress? = nil, peerMAC: MACAddress? = nil,
                               up: Bool = false,
                               masterIndex: InterfaceIndex? = nil) throws(NetlinkError) {
        let veth = try LinkObject.veth()
        let peer = try veth.vethPeer()
        rtnl_link_set_name(veth.pointer, name.text)
        rtnl_link_set_name(peer.pointer, peerName.text)
        if let peerNamespace { rtnl_link_set_ns_fd(peer.pointer, peerNamespace.descriptor) }
        if let mtu {
            rtnl_link_set_mtu(veth.pointer, UInt32(mtu))
            rtnl_link_set_mtu(peer.pointer, UInt32(mtu))
        }
        if let mac { try veth.setAddress(mac) }
        if let peerMAC { try peer.setAddress(peerMAC) }
        if up { rtnl_link_set_flags(veth.pointer, UInt32(IFF_UP)) }
        if let masterIndex { rtnl_link_set_master(veth.pointer, masterIndex.rawValue) }
        try perform("add veth", "\(GoQuote.quoted(name.text)) peer \(GoQuote.quoted(peerName.text))") { socket in
            rtnl_link_add(socket, veth.pointer, NLM_F_CREATE | NLM_F_EXCL)
        }
    }

    // MARK: Changing

    /// Applies `changes` to link `index` in one request.
    public func changeLink(index: InterfaceIndex, _ changes: LinkChanges) throws(NetlinkError) {
        let original = try LinkObject.empty()
        rtnl_link_set_ifindex(original.pointer, index.rawValue)
        let request = try LinkObject.empty()
        if let up = changes.up {
            if up { rtnl_link_set_flags(request.pointer, UInt32(IFF_UP)) }
            else { rtnl_link_unset_flags(request.pointer, UInt32(IFF_UP)) }
        }
        if let promiscuous = changes.promiscuous {
            if promiscuous { rtnl_link_set_flags(request.pointer, UInt32(IFF_PROMISC)) }
            else { rtnl_link_unset_flags(request.pointer, UInt32(IFF_PROMISC)) }
        }
        if let mtu = changes.mtu { rtnl_link_set_mtu(request.pointer, UInt32(mtu)) }
        if let mac = changes.mac { try request.setAddress(mac) }
        if let master = changes.masterIndex { rtnl_link_set_master(request.pointer, master.rawValue) }
        if changes.leavesMaster { rtnl_link_set_master(request.pointer, 0) }
        if let name = changes.name { rtnl_link_set_name(request.pointer, name.text) }
        try perform("change link", LinkRef.describe(index: index, name: nil)) { socket in
            rtnl_link_change(socket, original.pointer, request.pointer, 0)
        }
    }

    public func setUp(index: InterfaceIndex) throws(NetlinkError) {
        try changeLink(index: index, LinkChanges(up: true))
    }

    public func setDown(index: InterfaceIndex) throws(NetlinkError) {
        try changeLink(index: index, LinkChanges(up: false))
    }

    /// Enslaves link `index` to the bridge `masterIndex`.
    public func setMaster(index: InterfaceIndex, masterIndex: InterfaceIndex) throws(NetlinkError) {
        try changeLink(index: index, LinkChanges(masterIndex: masterIndex))
    }

    /// Releases link `index` from the bridge it is a port of.
    public func leaveMaster(index: InterfaceIndex) throws(NetlinkError) {
        try changeLink(index: index, LinkChanges(leavesMaster: true))
    }

    public func setMTU(index: InterfaceIndex, _ mtu: Int) throws(NetlinkError) {
        try changeLink(index: index, LinkChanges(mtu: mtu))
    }

    public func setMAC(index: InterfaceIndex, _ mac: MACAddress) throws(NetlinkError) {
        try changeLink(index: index, LinkChanges(mac: mac))
    }

    public func setPromiscuous(index: InterfaceIndex, _ on: Bool = true) throws(NetlinkError) {
        try changeLink(index: index, LinkChanges(promiscuous: on))
    }

    // MARK: Deleting

    /// Deletes the link called `name` (a veth takes its peer with it).
    /// ENODEV is `.alreadyGone` with `ifMissing: .tolerate`.
    @discardableResult
    public func deleteLink(named name: InterfaceName, ifMissing: MissingPolicy = .fail) throws(NetlinkError) -> DeleteOutcome {
        try deleteLink(index: nil, name: name, ifMissing: ifMissing)
    }

    @discardableResult
    public func deleteLink(index: InterfaceIndex, ifMissing: MissingPolicy = .fail) throws(NetlinkError) -> DeleteOutcome {
        try deleteLink(index: index, name: nil, ifMissing: ifMissing)
    }

    private func deleteLink(index: InterfaceIndex?, name: InterfaceName?, ifMissing: MissingPolicy) throws(NetlinkError) -> DeleteOutcome {
        let link = try LinkObject.empty()
        if let index { rtnl_link_set_ifindex(link.pointer, index.rawValue) }
        if let name { rtnl_link_set_name(link.pointer, name.text) }
        do {
            try perform("delete link", LinkRef.describe(index: index, name: name)) { socket in
                rtnl_link_delete(socket, link.pointer)
            }
            return .deleted
        } catch where error.isNoSuchDevice && ifMissing == .tolerate {
            return .alreadyGone
        }
    }
}

/// How links are named in error messages: `"eth0"` or `ifindex 7`.
enum LinkRef {
    static func describe(index: InterfaceIndex?, name: InterfaceName?) -> String {
        if let name { return GoQuote.quoted(name.text) }
        return "ifindex \(index?.rawValue ?? 0)"
    }
}
