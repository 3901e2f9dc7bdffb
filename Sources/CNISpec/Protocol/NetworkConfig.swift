/// The members of a plugin's stdin config that the spec itself defines and
/// that every plugin reads. Plugin-specific keys are read by each plugin with
/// a `ConfigReader` over `raw`.
public struct NetworkConfig: Sendable {
    /// The whole config object as received.
    public let raw: JSONObject
    public let cniVersion: CNIVersion
    public let name: String
    public let type: String?
    /// The `ipam` object, if present.
    public let ipam: JSONObject?
    /// `ipam.type`; nil or empty means no IPAM (the bridge's L2 mode).
    public let ipamType: String?
    public let dns: DNS
    /// `args` (conventions: `args.cni.ips`, `args.cni.mac`).
    public let args: JSONObject?
    public let runtimeConfig: JSONObject?
    /// `prevResult`, unparsed: only CHECK requires it, and DEL must work
    /// without it or with a broken one.
    public let prevResult: JSONValue?

    public init(_ raw: JSONObject, version: CNIVersion) throws(CNIError) {
        self.raw = raw
        self.cniVersion = version
        let reader = ConfigReader(raw, structName: "NetConf")
        name = try reader.string("name") ?? ""
        type = try reader.string("type")
        ipam = try reader.object("ipam", typeName: "types.IPAM")
        ipamType = try ipam.map { object throws(CNIError) in
            try ConfigReader(object, structName: "IPAM").string("type")
        } ?? nil
        if let dnsReader = try reader.reader("dns", structName: "DNS") {
            dns = try DNS(reading: dnsReader)
        } else {
            dns = DNS()
        }
        args = try reader.object("args", typeName: "map[string]interface {}")
        runtimeConfig = try reader.object("runtimeConfig", typeName: "map[string]interface {}")
        prevResult = raw["prevResult"].flatMap { $0.isNull ? nil : $0 }
    }

    /// The attachments a GC request declares still valid:
    /// `cni.dev/valid-attachments`, or its older spelling
    /// `cni.dev/attachments` (libcni sends both, issue containernetworking/cni#1101).
    ///
    /// - `nil` when neither key is there: the request says nothing about
    ///   which attachments are valid, so GC must release and tear down
    ///   nothing. Reading "nothing is valid" into silence would wipe every
    ///   reservation of a node on the first GC from a runtime that does not
    ///   send the list.
    /// - An empty set for `[]`, and for `null`. libcni's `GCNetworkList`
    ///   sends `null` when the runtime passed GC arguments whose list is nil,
    ///   and only after it has DELed every cached attachment of the network
    ///   (no cached attachment matched the empty list): `null` is the
    ///   runtime saying that none is valid, as `[]` is. (With no GC arguments
    ///   at all, libcni sends neither key.)
    ///
    /// Anything else that is not a list of objects is code 7.
    public func validAttachments() throws(CNIError) -> Set<Attachment>? {
        guard let value = raw["cni.dev/valid-attachments"] ?? raw["cni.dev/attachments"] else { return nil }
        if value.isNull { return [] }
        guard let array = value.arrayValue else {
            throw CNIError(.invalidNetworkConfig, "cni.dev/valid-attachments must be a list of {containerID, ifname}")
        }
        var attachments = Set<Attachment>()
        for element in array {
            guard let object = element.objectValue else {
                throw CNIError(.invalidNetworkConfig, "cni.dev/valid-attachments must be a list of {containerID, ifname}")
            }
            let reader = ConfigReader(object, structName: "GCAttachment")
            attachments.insert(Attachment(containerID: try reader.string("containerID") ?? "",
                                          ifname: try reader.string("ifname") ?? ""))
        }
        return attachments
    }
}

/// One container interface in one network: what ADD creates and DEL removes.
public struct Attachment: Hashable, Sendable, CustomStringConvertible {
    public let containerID: String
    public let ifname: String

    public init(containerID: String, ifname: String) {
        self.containerID = containerID
        self.ifname = ifname
    }

    public var description: String { "\(containerID)/\(ifname)" }
}
