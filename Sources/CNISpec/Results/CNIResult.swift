/// A plugin's result in the newest shape (spec 1.1.0). Plugins build it once;
/// `json(for:)` converts it to whatever version the config asked for.
public struct CNIResult: Equatable, Sendable {
    public var interfaces: [Interface]
    public var ips: [IPConfig]
    public var routes: [Route]
    public var dns: DNS

    public init(interfaces: [Interface] = [], ips: [IPConfig] = [], routes: [Route] = [], dns: DNS = DNS()) {
        self.interfaces = interfaces
        self.ips = ips
        self.routes = routes
        self.dns = dns
    }

    public struct Interface: Equatable, Sendable {
        public var name: String
        public var mac: String?
        public var mtu: Int?
        public var sandbox: String?
        public var socketPath: String?
        public var pciID: String?

        public init(name: String, mac: String? = nil, mtu: Int? = nil, sandbox: String? = nil,
                    socketPath: String? = nil, pciID: String? = nil) {
            self.name = name
            self.mac = mac
            self.mtu = mtu
            self.sandbox = sandbox
            self.socketPath = socketPath
            self.pciID = pciID
        }
    }

    public struct IPConfig: Equatable, Sendable {
        /// Index into `interfaces`; IPAM plugins leave it nil.
        public var interface: Int?
        /// The address with its prefix length (host bits set).
        public var address: CIDR
        public var gateway: IPAddress?

        public init(interface: Int? = nil, address: CIDR, gateway: IPAddress? = nil) {
            self.interface = interface
            self.address = address
            self.gateway = gateway
        }
    }

    public struct Route: Equatable, Sendable {
        /// As written: like the reference (Go's `types.ParseCIDR`), host bits
        /// are kept in results; `destination.network` is what the kernel gets.
        public var destination: CIDR
        public var gateway: IPAddress?
        public var mtu: Int?
        public var advmss: Int?
        public var priority: Int?
        public var table: Int?
        public var scope: Int?

        public init(destination: CIDR, gateway: IPAddress? = nil, mtu: Int? = nil, advmss: Int? = nil,
                    priority: Int? = nil, table: Int? = nil, scope: Int? = nil) {
            self.destination = destination
            self.gateway = gateway
            self.mtu = mtu
            self.advmss = advmss
            self.priority = priority
            self.table = table
            self.scope = scope
        }

        /// Whether this is the default route of its family (`0.0.0.0/0`, `::/0`).
        public var isDefault: Bool { destination.prefixLength == 0 }
    }
}
