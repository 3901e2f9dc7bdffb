import CNISpec
import Firewall
import Netlink
import SystemSupport

/// The bridge plugin's configuration: every key of the reference plugin,
/// with its defaults, validated before anything touches the system.
///
/// Errors name the key and carry code 7 (invalid network config) where the
/// reference said 999; their messages keep the reference's wording.
public struct BridgeConfig: Sendable {
    public var bridgeName = "cni0"
    public var isGateway = false
    public var isDefaultGateway = false
    public var forceAddress = false
    public var ipMasq = false
    /// nil: iptables unless only nftables is usable (decided when needed).
    public var ipMasqBackend: MasqueradeBackendKind? = nil
    /// `nonMasqueradeCIDRs` (ours; the reference ignores it): destinations,
    /// either family, that pod traffic reaches with its own source address
    /// although `ipMasq` is on, in addition to the pod's subnet. Stored as
    /// network prefixes (host bits cleared), in config order.
    public var nonMasqueradeCIDRs: [CIDR] = []
    /// 0 or less: the kernel's default (Go's netlink library, which the
    /// reference uses, sets no MTU unless it is positive). Above 65535 only
    /// ADD refuses it.
    public var mtu = 0
    public var hairpinMode = false
    public var promiscMode = false
    public var vlan = 0
    public var vlanTrunk: [VLANTrunkEntry]? = nil
    public var preserveDefaultVlan = false
    public var enableDAD = false
    public var macSpoofCheck = false
    public var disableContainerInterface = false
    public var portIsolation = false
    /// The container interface's MAC as requested: `runtimeConfig.mac`,
    /// else `args.cni.mac`, else CNI_ARGS `MAC`. Not validated here: only
    /// ADD uses it (see `validateRequestedMAC`), so DEL and CHECK work whatever
    /// it holds, as in the reference.
    public var requestedMAC: String? = nil

    /// `requestedMAC` as the address the container's interface gets (the
    /// forms Go's `net.ParseMAC` takes for 6 bytes); nil when none was
    /// requested or it is not a MAC (which `validateRequestedMAC` refuses).
    public var containerMAC: MACAddress? { requestedMAC.flatMap { MACAddress($0) } }

    /// Whether an IPAM plugin is configured (L3); without one the bridge
    /// works at layer 2 and assigns no addresses.
    public var isLayer3: Bool

    /// One `vlanTrunk` entry: a single `id` or a `minID`...`maxID` range.
    public struct VLANTrunkEntry: Equatable, Sendable {
        public var range: ClosedRange<Int>
    }

    /// The VLAN IDs of all trunk entries, in order, without duplicates.
    public var trunkVLANs: [Int] {
        var seen = Set<Int>()
        return (vlanTrunk ?? []).flatMap { Array($0.range) }.filter { seen.insert($0).inserted }
    }

    /// Whether the bridge needs VLAN filtering.
    public var usesVLANs: Bool { vlan != 0 || vlanTrunk != nil }

    public init(_ request: CNIRequest) throws(CNIError) {
        try self.init(config: request.config, cniArgs: request.args)
    }

    public init(config: NetworkConfig, cniArgs: String) throws(CNIError) {
        let reader = ConfigReader(config.raw, structName: "NetConf")
        var macs: (args: String?, runtime: String?) = (nil, nil)
        do throws(CNIError) {
            bridgeName = try reader.string("bridge") ?? "cni0"
            isGateway = try reader.bool("isGateway") ?? false
            isDefaultGateway = try reader.bool("isDefaultGateway") ?? false
            forceAddress = try reader.bool("forceAddress") ?? false
            ipMasq = try reader.bool("ipMasq") ?? false
            mtu = try reader.int("mtu") ?? 0
            hairpinMode = try reader.bool("hairpinMode") ?? false
            promiscMode = try reader.bool("promiscMode") ?? false
            vlan = try reader.int("vlan") ?? 0
            preserveDefaultVlan = try reader.bool("preserveDefaultVlan") ?? false
            enableDAD = try reader.bool("enabledad") ?? false
            macSpoofCheck = try reader.bool("macspoofchk") ?? false
            disableContainerInterface = try reader.bool("disableContainerInterface") ?? false
            portIsolation = try reader.bool("portIsolation") ?? false
            let backend = try reader.string("ipMasqBackend")
            do throws(FirewallError) {
                ipMasqBackend = try MasqueradeBackendKind.parse(backend)
            } catch {
                throw CNIError(.invalidNetworkConfig, error.description)
            }
            if let entries = try reader.stringArray("nonMasqueradeCIDRs") {
                nonMasqueradeCIDRs = try entries.map { entry throws(CNIError) in try Self.nonMasqueradeCIDR(entry) }
            }
            if let trunk = try reader.array("vlanTrunk", typeName: "[]*bridge.trunk") {
                vlanTrunk = try trunk.map { value throws(CNIError) in try Self.trunkEntry(value) }
            }
            macs = try Self.macFields(config)
        } catch {
            if error.message.hasPrefix("json: ") { throw error.prefixed("failed to load netconf") }
            throw error
        }
        isLayer3 = !(config.ipamType ?? "").isEmpty

        // The reference's checks, in its order.
        guard (0...4094).contains(vlan) else {
            throw CNIError(.invalidNetworkConfig, "invalid VLAN ID \(vlan) (must be between 0 and 4094)")
        }
        requestedMAC = try Self.requestedMAC(macs, cniArgs: cniArgs)
        if isLayer3 && disableContainerInterface {
            throw CNIError(.invalidNetworkConfig, "cannot use IPAM when DisableContainerInterface flag is set")
        }
        if isDefaultGateway { isGateway = true }
    }

    /// The MTU ADD can set: 0 or less leaves it to the kernel, as in the
    /// reference; 1-67 and above 65535 no Ethernet device takes
    /// (ETH_MIN_MTU, ETH_MAX_MTU), where the reference asks the kernel and
    /// fails ("invalid argument"). ADD checks it where the reference meets
    /// it: after a link of the bridge's name that is no bridge.
    public func validateMTU() throws(CNIError) {
        guard mtu <= 65535 else {
            throw CNIError(.invalidNetworkConfig, "invalid MTU \(mtu) (must be at most 65535)")
        }
        guard mtu <= 0 || mtu >= 68 else {
            throw CNIError(.invalidNetworkConfig, "invalid MTU \(mtu) (must be at least 68)")
        }
    }

    /// What only ADD refuses, before it creates anything: DEL and CHECK
    /// still work with such a config (DEL is best effort, and the reference
    /// makes these checks in ADD only).
    public func validateForAdd(version: CNIVersion) throws(CNIError) {
        if hairpinMode && promiscMode {
            throw CNIError(.invalidNetworkConfig, "cannot set hairpin mode and promiscuous mode at the same time.")
        }
        try validateBridgeName()
        // A 0.1.0/0.2.0 result needs an IP.
        if !isLayer3 && version.resultFormat == .legacy020 {
            throw CNIError(.incompatibleCNIVersion, "cannot convert: no valid IP addresses",
                           details: "a bridge without IPAM has no IP to put in a \(version.rawValue) result")
        }
    }

    /// The pod's MAC, if one is asked for, must parse. Checked by ADD once
    /// the pod's namespace is open: the reference finds a bad MAC when it
    /// creates the veth, after it opened the namespace.
    public func validateRequestedMAC() throws(CNIError) {
        if let mac = requestedMAC, containerMAC == nil {
            throw CNIError(.invalidNetworkConfig, "failed to make veth pair: address \(mac): invalid MAC address")
        }
    }

    /// The bridge's name must be one the kernel accepts. Only ADD and CHECK
    /// look the bridge up; DEL never touches it, so it cleans up whatever
    /// this key holds.
    public func validateBridgeName() throws(CNIError) {
        _ = try bridgeInterfaceName
    }

    /// `bridgeName` as the kernel name ADD and CHECK look up (`InterfaceName`'s
    /// rule), or code 7 worded as the reference's failure to add such a
    /// link reads.
    public var bridgeInterfaceName: InterfaceName {
        get throws(CNIError) {
            let reason: String
            do {
                return try InterfaceName(bridgeName)
            } catch .empty {
                reason = "LinkAttrs.Name cannot be empty"
            } catch .tooLong {
                reason = "numerical result out of range"
            } catch {
                reason = "invalid argument"
            }
            let quoted = GoQuote.quoted(bridgeName)
            throw CNIError(.invalidNetworkConfig, "failed to create bridge \(quoted): could not add \(quoted): \(reason)")
        }
    }

    /// One `nonMasqueradeCIDRs` entry: `address/prefix-length` of either
    /// family, host bits allowed (cleared, as Go's net.ParseCIDR does).
    private static func nonMasqueradeCIDR(_ entry: String) throws(CNIError) -> CIDR {
        guard let cidr = CIDR(entry) else {
            throw CNIError(.invalidNetworkConfig,
                           "invalid nonMasqueradeCIDRs entry \(GoQuote.quoted(entry)): not an address/prefix-length CIDR")
        }
        return cidr.network
    }

    private static func trunkEntry(_ value: JSONValue) throws(CNIError) -> VLANTrunkEntry {
        guard let object = value.objectValue else {
            throw CNIError(.invalidNetworkConfig,
                           "failed to load netconf: json: cannot unmarshal \(value.typeName) into Go struct field NetConf.vlanTrunk of type bridge.trunk")
        }
        let reader = ConfigReader(object, structName: "trunk")
        let minID = try reader.int("minID")
        let maxID = try reader.int("maxID")
        let id = try reader.int("id")
        switch (minID, maxID) {
        case (let minID?, let maxID?):
            guard (1...4094).contains(minID) else {
                throw CNIError(.invalidNetworkConfig, "incorrect trunk minID parameter")
            }
            guard (1...4094).contains(maxID) else {
                throw CNIError(.invalidNetworkConfig, "incorrect trunk maxID parameter")
            }
            guard minID <= maxID else {
                throw CNIError(.invalidNetworkConfig, "minID is greater than maxID in trunk parameter")
            }
            return VLANTrunkEntry(range: minID...maxID)
        case (nil, _?):
            throw CNIError(.invalidNetworkConfig,
                           "minID and maxID should be configured simultaneously, minID is missing")
        case (_?, nil):
            throw CNIError(.invalidNetworkConfig,
                           "minID and maxID should be configured simultaneously, maxID is missing")
        case (nil, nil):
            guard let id, (1...4094).contains(id) else {
                throw CNIError(.invalidNetworkConfig, "incorrect trunk id parameter")
            }
            return VLANTrunkEntry(range: id...id)
        }
    }

    /// The MACs of `args.cni.mac` and `runtimeConfig.mac`, decoded with the
    /// rest of the config as the reference's `NetConf` decodes them: a value
    /// of the wrong type (`"mac": 5`) is a config error of every command,
    /// before anything is touched, worded as Go words it.
    private static func macFields(_ config: NetworkConfig) throws(CNIError) -> (args: String?, runtime: String?) {
        let cni = try config.args.map { args throws(CNIError) in
            try ConfigReader(args, structName: ".args").object("cni", typeName: "main.BridgeArgs")
        } ?? nil
        let fromArgs = try cni.map { object throws(CNIError) in
            try ConfigReader(object, structName: "BridgeArgs.args.cni").string("mac")
        } ?? nil
        let fromRuntime = try config.runtimeConfig.map { object throws(CNIError) in
            try ConfigReader(object, structName: ".runtimeConfig").string("mac")
        } ?? nil
        return (fromArgs, fromRuntime)
    }

    /// `runtimeConfig.mac` > `args.cni.mac` > CNI_ARGS `MAC`, as given.
    /// CNI_ARGS may hold only `MAC` and `IgnoreUnknown` unless
    /// `IgnoreUnknown` is set, as in the reference.
    private static func requestedMAC(_ fields: (args: String?, runtime: String?),
                                     cniArgs: String) throws(CNIError) -> String? {
        let args = try CNIArgs(cniArgs, knownKeys: ["MAC"])
        return [fields.runtime, fields.args, args["MAC"]].compactMap { $0 }.first { !$0.isEmpty }
    }
}
