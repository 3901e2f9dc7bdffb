extension CNIResult {
    /// Parses a result of any supported version (a delegated IPAM plugin's
    /// output, or a `prevResult`). A missing `cniVersion` means
    /// `defaultVersion`. The 0.1.0/0.2.0 shape (`ip4`/`ip6`) is recognised by
    /// its version.
    public init(json: JSONValue, defaultVersion: CNIVersion) throws(CNIError) {
        guard let object = json.objectValue else {
            throw CNIError(.decodingFailure, "failed to parse result: expected a JSON object, got \(json.typeName)")
        }
        let reader = ConfigReader(object, structName: "Result")
        let versionText = try reader.string("cniVersion")
        let version: CNIVersion
        if let versionText, !versionText.isEmpty {
            guard let parsed = CNIVersion(rawValue: versionText) else {
                throw CNIError(.incompatibleCNIVersion, "unsupported CNI result version \"\(versionText)\"")
            }
            version = parsed
        } else {
            version = defaultVersion
        }
        self.init()
        if let dnsReader = try reader.reader("dns", structName: "DNS") {
            dns = try DNS(reading: dnsReader)
        }
        if version.resultFormat == .legacy020 {
            for key in ["ip4", "ip6"] {
                guard let ipReader = try reader.reader(key, structName: "IPConfig") else { continue }
                guard let addressText = try ipReader.string("ip"), let address = CIDR(addressText) else {
                    throw CNIError(.decodingFailure, "failed to parse result: \(key).ip is not a CIDR address")
                }
                let gateway = try Self.parseIP(ipReader.string("gateway"), what: "\(key).gateway")
                ips.append(IPConfig(address: address, gateway: gateway))
                for route in try ipReader.array("routes", typeName: "[]types.Route") ?? [] {
                    routes.append(try Self.parseRoute(route))
                }
            }
            return
        }
        for value in try reader.array("interfaces", typeName: "[]*Interface") ?? [] {
            guard let object = value.objectValue else {
                throw CNIError(.decodingFailure, "failed to parse result: an interface is not an object")
            }
            let interfaceReader = ConfigReader(object, structName: "Interface")
            interfaces.append(Interface(
                name: try interfaceReader.string("name") ?? "",
                mac: try interfaceReader.string("mac"),
                mtu: try interfaceReader.int("mtu"),
                sandbox: try interfaceReader.string("sandbox"),
                socketPath: try interfaceReader.string("socketPath"),
                pciID: try interfaceReader.string("pciID")))
        }
        for value in try reader.array("ips", typeName: "[]*IPConfig") ?? [] {
            guard let object = value.objectValue else {
                throw CNIError(.decodingFailure, "failed to parse result: an IP config is not an object")
            }
            let ipReader = ConfigReader(object, structName: "IPConfig")
            guard let addressText = try ipReader.string("address"), let address = CIDR(addressText) else {
                throw CNIError(.decodingFailure, "failed to parse result: ips[].address is not a CIDR address")
            }
            let interface = try ipReader.int("interface")
            if let interface, interface < 0 || (!interfaces.isEmpty && interface >= interfaces.count) {
                throw CNIError(.decodingFailure, "failed to parse result: ips[].interface \(interface) out of range")
            }
            ips.append(IPConfig(interface: interface, address: address,
                                gateway: try Self.parseIP(ipReader.string("gateway"), what: "ips[].gateway")))
        }
        for route in try reader.array("routes", typeName: "[]*types.Route") ?? [] {
            routes.append(try Self.parseRoute(route))
        }
    }

    /// Parses a result document from bytes.
    public init(bytes: [UInt8], defaultVersion: CNIVersion) throws(CNIError) {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw CNIError(.decodingFailure, "failed to parse result: \(error)")
        }
        try self.init(json: json, defaultVersion: defaultVersion)
    }

    private static func parseIP(_ text: String?, what: String) throws(CNIError) -> IPAddress? {
        guard let text, !text.isEmpty else { return nil }
        guard let address = IPAddress(text) else {
            throw CNIError(.decodingFailure, "failed to parse result: \(what) \"\(text)\" is not an IP address")
        }
        return address
    }

    /// Parses one `routes[]` entry as found in configs and results.
    public static func parseRoute(_ value: JSONValue) throws(CNIError) -> Route {
        guard let object = value.objectValue else {
            throw CNIError(.invalidNetworkConfig, "invalid route: expected an object, got \(value.typeName)")
        }
        let reader = ConfigReader(object, structName: "Route")
        guard let dstText = try reader.string("dst") else {
            throw CNIError(.invalidNetworkConfig, "invalid route: missing dst")
        }
        guard let destination = CIDR(dstText) else {
            throw CNIError(.invalidNetworkConfig, "invalid CIDR address: \(dstText)")
        }
        var gateway: IPAddress? = nil
        if let gwText = try reader.string("gw"), !gwText.isEmpty {
            guard let parsed = IPAddress(gwText) else {
                throw CNIError(.invalidNetworkConfig, "invalid IP address: \(gwText)")
            }
            gateway = parsed
        }
        // Any integer, as Go's `int` takes it: DEL, CHECK and STATUS must
        // read every config ADD may have been given. The kernel gets them
        // as upstream's netlink library passes them (`ContainerInterface`).
        return Route(destination: destination, gateway: gateway,
                     mtu: try reader.int("mtu"), advmss: try reader.int("advmss"),
                     priority: try reader.int("priority"), table: try reader.int("table"),
                     scope: try reader.int("scope"))
    }
}
