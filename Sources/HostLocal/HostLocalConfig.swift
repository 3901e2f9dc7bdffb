import CNISpec
import IPAM

/// host-local's configuration: the `ipam` object of the network config plus
/// the static-address requests that arrive through `CNI_ARGS`, `args` and
/// `runtimeConfig`.
///
/// Range sets are assembled in the reference's order: `runtimeConfig.ipRanges`
/// first, then the legacy top-level `subnet` as a set of its own, then
/// `ranges`. Everything is validated here, before the store is touched.
public struct HostLocalConfig: Sendable {
    public var rangeSets: [RangeSet]
    public var routes: [CNIResult.Route]
    /// nil means `DiskStore.defaultDataDirectory`.
    public var dataDir: String?
    public var resolvConf: String?
    /// Static requests, in the reference's order: CNI_ARGS `IP`, then
    /// `args.cni.ips`, then `runtimeConfig.ips` (a union, not a priority).
    public var requestedIPs: [IPAddress]
    /// `reclaimAfterReboot` (default true): ADD first releases the
    /// reservations this plugin made in an earlier boot (see `BootJournal`).
    public var reclaimAfterReboot: Bool

    public init(_ request: CNIRequest) throws(CNIError) {
        try self.init(config: request.config, cniArgs: request.args)
    }

    /// Checks in the reference's order: first what Go's JSON decoder
    /// parses (addresses, subnets, routes, the static addresses of `args`
    /// and `runtimeConfig`; by top-level key in the order the config has
    /// them), then that `ipam` is there, then `CNI_ARGS`, then the range
    /// sets as a whole.
    public init(config: NetworkConfig, cniArgs: String) throws(CNIError) {
        // 1. What the decoder parses. A CIDR key set to null fails first,
        //    unless an address that does not parse comes before it.
        if config.ipam != nil {
            try Self.refuseNullCIDRs(config)
        }
        var runtimeRangeSets: [ParsedRangeSet] = []
        var legacyRangeSet: ParsedRangeSet? = nil
        var configuredRangeSets: [ParsedRangeSet] = []
        var argsIPs: [IPAddress] = []
        var runtimeIPs: [IPAddress] = []
        routes = []
        dataDir = nil
        resolvConf = nil
        reclaimAfterReboot = true
        for key in Self.decodingOrder(of: config.raw, ["ipam", "runtimeConfig", "args"]) {
            switch key {
            case "ipam":
                guard let ipam = config.ipam else { continue }
                let reader = ConfigReader(ipam, structName: "IPAMConfig")
                // Each key where the config has it; the legacy range is put
                // together once its keys are parsed (present means used, as
                // in Go: an empty `subnet` fails to parse; the other legacy
                // keys are parsed even without a subnet).
                for key in Self.decodingOrder(of: ipam, ["subnet", "rangeStart", "rangeEnd", "gateway", "ranges", "routes"]) {
                    switch key {
                    case "subnet":
                        if let subnet = try reader.string("subnet") { _ = try RangeConfig.parseSubnet(subnet) }
                    case "rangeStart", "rangeEnd", "gateway":
                        if let text = try reader.string(key), !text.isEmpty { _ = try RangeConfig.parseAddress(text) }
                    case "ranges":
                        if let ranges = try reader.array("ranges", typeName: "[]allocator.RangeSet") {
                            configuredRangeSets = try Self.rangeSets(ranges, key: "ranges")
                        }
                    default:
                        for route in try reader.array("routes", typeName: "[]*types.Route") ?? [] {
                            routes.append(try CNIResult.parseRoute(route))
                        }
                    }
                }
                if let subnet = try reader.string("subnet") {
                    legacyRangeSet = ParsedRangeSet(configs: [
                        try RangeConfig(subnet: subnet, rangeStart: try reader.string("rangeStart"),
                                        rangeEnd: try reader.string("rangeEnd"), gateway: try reader.string("gateway")),
                    ])
                }
                dataDir = try reader.string("dataDir")
                resolvConf = try reader.string("resolvConf")
                reclaimAfterReboot = try reader.bool("reclaimAfterReboot") ?? true
            case "runtimeConfig":
                guard let runtime = config.runtimeConfig else { continue }
                let reader = ConfigReader(runtime, structName: "IPAMEnvArgs")
                if let ipRanges = try reader.array("ipRanges", typeName: "[]allocator.RangeSet") {
                    runtimeRangeSets = try Self.rangeSets(ipRanges, key: "ipRanges")
                }
                runtimeIPs = try (reader.stringArray("ips") ?? []).map { text throws(CNIError) in try Self.requestedIP(text) }
            default:
                // `args.cni` decodes into the reference's IPAMArgs struct: an
                // object or null, nothing else (Go names the field by its path
                // in the anonymous struct that holds it).
                guard let args = config.args, let value = args["cni"], !value.isNull else { continue }
                guard let cni = value.objectValue else {
                    throw ConfigReader(args, structName: "").typeError("args.cni", found: value, expected: "allocator.IPAMArgs")
                }
                argsIPs = try (ConfigReader(cni, structName: "IPAMArgs").stringArray("ips") ?? []).map {
                    text throws(CNIError) in try Self.requestedIP(text)
                }
            }
        }

        // 2. The `ipam` object itself.
        guard config.ipam != nil else {
            throw CNIError(.invalidNetworkConfig, "IPAM config missing 'ipam' key")
        }

        // 3. Static requests: CNI_ARGS `IP`, then `args.cni.ips`, then
        //    `runtimeConfig.ips`.
        requestedIPs = []
        let args = try CNIArgs(cniArgs, knownKeys: ["IP"]) { _, value in
            value.isEmpty || Self.parseRequestedIP(value) != nil ? nil : "invalid IP address \(value)"
        }
        if let ip = args["IP"], !ip.isEmpty, let address = Self.parseRequestedIP(ip) {
            requestedIPs.append(address)
        }
        requestedIPs += argsIPs + runtimeIPs

        // 4. Range sets, in the reference's order: `runtimeConfig.ipRanges`,
        //    the legacy top-level range, `ranges`.
        let rangeSetConfigs = runtimeRangeSets + (legacyRangeSet.map { [$0] } ?? []) + configuredRangeSets
        guard !rangeSetConfigs.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "no IP ranges specified")
        }
        var sets: [RangeSet] = []
        for (index, parsed) in rangeSetConfigs.enumerated() {
            try parsed.checkSubnets(index: index)
            sets.append(try RangeSet(index: index, configs: parsed.configs))
        }
        // The reference counts addresses per family before it looks for
        // overlapping sets, so an old version's limit is reported first. It
        // names the version as the config spells it: a missing one is "".
        if config.cniVersion.resultFormat == .legacy020 {
            let v4 = sets.filter { $0.family == .v4 }.count
            let v6 = sets.filter { $0.family == .v6 }.count
            if v4 > 1 || v6 > 1 {
                let spelled = config.raw["cniVersion"]?.stringValue ?? ""
                throw CNIError(.invalidNetworkConfig,
                               "CNI version \(spelled) does not support more than 1 address per family")
            }
        }
        try RangeSet.checkDisjoint(sets)
        rangeSets = sets
    }

    /// `keys` in the order `object` has them (Go's decoder parses members as
    /// they come, matching names without regard to case).
    private static func decodingOrder(of object: JSONObject, _ keys: [String]) -> [String] {
        let position: (String) -> Int = { key in
            object.members.firstIndex { $0.key.lowercased() == key.lowercased() } ?? Int.max
        }
        return keys.enumerated().sorted { (position($0.element), $0.offset) < (position($1.element), $1.offset) }
            .map(\.element)
    }

    /// A CIDR key set to `null` (`subnet`, a range's `subnet`, a route's
    /// `dst`) fails as it does in the reference, whose CIDR type decodes
    /// `null` as the empty string and fails to parse it while the JSON is
    /// decoded: "invalid CIDR address: ". Go's decoder stops at the first
    /// value whose own parser fails, in the order the config has them, and
    /// reports a value of the wrong JSON type only once it is through, so
    /// a `null` CIDR goes before every wrong type but after an address that
    /// does not parse and comes first (`"ranges": [[{"subnet":
    /// "10.1.2.0/33"}]], "subnet": null` is "invalid CIDR address:
    /// 10.1.2.0/33"); such an address is left to the parsing that follows,
    /// which meets it first. Every other key set to `null` is as good as
    /// absent, as in Go.
    private static func refuseNullCIDRs(_ config: NetworkConfig) throws(CNIError) {
        /// false at a value whose parser fails; throws at a null CIDR.
        func cidr(_ value: JSONValue) throws(CNIError) -> Bool {
            if value.isNull { throw CNIError(.invalidNetworkConfig, "invalid CIDR address: ") }
            return value.stringValue.flatMap(CIDR.init) != nil
        }
        func address(_ value: JSONValue) -> Bool {
            guard let text = value.stringValue, !text.isEmpty else { return true }
            return IPAddress(text) != nil
        }
        /// A range object, or the `ipam` object's legacy range keys.
        func range(_ object: JSONObject, cidrKey: String, addressKeys: Set<String>) throws(CNIError) -> Bool {
            for (key, value) in object.members {
                let key = key.lowercased()
                if key == cidrKey {
                    guard try cidr(value) else { return false }
                } else if addressKeys.contains(key) {
                    guard address(value) else { return false }
                }
            }
            return true
        }
        let rangeAddresses: Set<String> = ["rangestart", "rangeend", "gateway"]
        func rangeSets(_ value: JSONValue) throws(CNIError) -> Bool {
            for set in value.arrayValue ?? [] {
                for item in set.arrayValue ?? [] {
                    guard let object = item.objectValue else { continue }
                    guard try range(object, cidrKey: "subnet", addressKeys: rangeAddresses) else { return false }
                }
            }
            return true
        }
        for key in decodingOrder(of: config.raw, ["ipam", "runtimeConfig"]) {
            if key == "runtimeConfig" {
                for (member, value) in config.runtimeConfig?.members ?? [] where member.lowercased() == "ipranges" {
                    guard try rangeSets(value) else { return }
                }
                continue
            }
            guard let ipam = config.ipam else { continue }
            for (member, value) in ipam.members {
                switch member.lowercased() {
                case "subnet":
                    guard try cidr(value) else { return }
                case "rangestart", "rangeend", "gateway":
                    guard address(value) else { return }
                case "ranges":
                    guard try rangeSets(value) else { return }
                case "routes":
                    for route in value.arrayValue ?? [] where !route.isNull {
                        // A route is decoded on its own: any failure in it stops the decoder.
                        guard let object = route.objectValue,
                              try range(object, cidrKey: "dst", addressKeys: ["gw"]) else { return }
                    }
                default:
                    continue
                }
            }
        }
    }

    /// The range sets of `ranges` or `ipRanges`. Only JSON errors are thrown
    /// here; everything else is checked once all range sets are parsed, in
    /// the reference's order and with their numbers in the whole config. A
    /// `null` set is an empty one, a `null` range one without a subnet, as
    /// Go decodes them.
    private static func rangeSets(_ values: [JSONValue], key: String) throws(CNIError) -> [ParsedRangeSet] {
        var sets: [ParsedRangeSet] = []
        for value in values {
            guard let ranges = value.isNull ? [] : value.arrayValue else {
                throw CNIError(.invalidNetworkConfig,
                               "json: cannot unmarshal \(value.typeName) into Go struct field IPAMConfig.\(key) of type allocator.RangeSet")
            }
            var set = ParsedRangeSet()
            for range in ranges {
                if range.isNull {
                    set.firstRangeWithoutSubnet = set.firstRangeWithoutSubnet ?? set.configs.count
                    continue
                }
                guard let object = range.objectValue else {
                    throw CNIError(.invalidNetworkConfig,
                                   "json: cannot unmarshal \(range.typeName) into Go struct field IPAMConfig.\(key) of type allocator.Range")
                }
                // Go decodes a range's members in document order and stops at
                // the first address it cannot parse: that one is reported.
                for (key, value) in object.members {
                    guard case .string(let text) = value else { continue }
                    switch key {
                    case "subnet": _ = try RangeConfig.parseSubnet(text)
                    case "rangeStart", "rangeEnd", "gateway": if !text.isEmpty { _ = try RangeConfig.parseAddress(text) }
                    default: break
                    }
                }
                let reader = ConfigReader(object, structName: "Range")
                guard let subnet = try reader.string("subnet") else {
                    // Its addresses are still parsed (Go unmarshals before it validates).
                    for key in ["rangeStart", "rangeEnd", "gateway"] {
                        if let text = try reader.string(key), !text.isEmpty { _ = try RangeConfig.parseAddress(text) }
                    }
                    set.firstRangeWithoutSubnet = set.firstRangeWithoutSubnet ?? set.configs.count
                    continue
                }
                set.configs.append(try rangeConfig(reader, subnet: subnet))
            }
            sets.append(set)
        }
        return sets
    }

    /// A range's keys (or the legacy ones of `ipam`), parsed in the order
    /// the object has them, as Go's decoder meets them: of two addresses
    /// that do not parse, the first in the config is the one named.
    private static func rangeConfig(_ reader: ConfigReader, subnet: String) throws(CNIError) -> RangeConfig {
        for key in decodingOrder(of: reader.object, ["subnet", "rangeStart", "rangeEnd", "gateway"]) {
            guard let text = try reader.string(key) else { continue }
            if key == "subnet" {
                _ = try RangeConfig.parseSubnet(text)
            } else if !text.isEmpty {
                _ = try RangeConfig.parseAddress(text)
            }
        }
        return try RangeConfig(subnet: subnet, rangeStart: try reader.string("rangeStart"),
                               rangeEnd: try reader.string("rangeEnd"), gateway: try reader.string("gateway"))
    }

    /// `ip` or `ip/len`; the length is ignored (the range's subnet decides).
    static func parseRequestedIP(_ text: String) -> IPAddress? {
        if let address = IPAddress(text) { return address }
        return CIDR(text)?.address
    }

    private static func requestedIP(_ text: String) throws(CNIError) -> IPAddress {
        guard let address = parseRequestedIP(text) else {
            throw CNIError(.invalidNetworkConfig, "invalid IP address \(text)")
        }
        return address
    }
}

/// One range set as parsed from JSON, before validation.
private struct ParsedRangeSet {
    var configs: [RangeConfig] = []
    /// The position of the first range that has no `subnet` (Go leaves its
    /// IP nil), if any; `configs` holds the ranges before it.
    var firstRangeWithoutSubnet: Int? = nil

    /// Refuses a range without subnet as the reference does: after checking
    /// the ranges before it (each, then its family against the first), with
    /// `invalid range set N: IP <nil> not v4 nor v6`.
    func checkSubnets(index: Int) throws(CNIError) {
        guard let missing = firstRangeWithoutSubnet else { return }
        var family: IPFamily? = nil
        for config in configs[..<missing] {
            do throws(CNIError) {
                let range = try IPRange(config)
                if let family, family != range.family {
                    throw CNIError(.invalidNetworkConfig, "mixed address families")
                }
                family = range.family
            } catch {
                throw error.prefixed("invalid range set \(index)")
            }
        }
        throw CNIError(.invalidNetworkConfig, "invalid range set \(index): IP <nil> not v4 nor v6")
    }
}
