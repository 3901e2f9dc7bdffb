/// One validated plugin call: the environment variables and the parsed
/// stdin config. By the time a plugin sees a request, the container ID,
/// interface name and network name have passed `Identifiers`, the version is
/// supported and allows the verb.
public struct CNIRequest: Sendable {
    public let command: CNICommand
    /// `CNI_CONTAINERID`; empty for GC and STATUS.
    public let containerID: String
    /// `CNI_NETNS`; may be empty on DEL.
    public let netns: String
    /// `CNI_IFNAME`; empty for GC and STATUS.
    public let ifname: String
    /// `CNI_IFNAME` as validated at the edge; nil for GC and STATUS.
    private let validatedInterfaceName: InterfaceName?
    /// `CNI_ARGS`, unparsed: each plugin knows its own keys.
    public let args: String
    /// `CNI_PATH`, split on `:`.
    public let paths: [String]
    /// The exact stdin bytes, passed unchanged to delegated plugins.
    public let stdin: [UInt8]
    public let config: NetworkConfig
    /// The whole environment as `KEY=value` strings, for delegated plugins.
    public let environment: [String]

    public init(command: CNICommand, containerID: String, netns: String, interfaceName: InterfaceName?, args: String,
                paths: [String], stdin: [UInt8], config: NetworkConfig, environment: [String]) {
        self.command = command
        self.containerID = containerID
        self.netns = netns
        self.ifname = interfaceName?.text ?? ""
        self.validatedInterfaceName = interfaceName
        self.args = args
        self.paths = paths
        self.stdin = stdin
        self.config = config
        self.environment = environment
    }

    public var version: CNIVersion { config.cniVersion }
    public var networkName: String { config.name }
    public var attachment: Attachment { Attachment(containerID: containerID, ifname: ifname) }

    /// `CNI_IFNAME` as the kernel name it was validated to be at the edge.
    /// ADD, DEL and CHECK always carry one; GC and STATUS name no interface,
    /// and asking there is the reference's code 4 for an empty name.
    public var interfaceName: InterfaceName {
        get throws(CNIError) {
            guard let validatedInterfaceName else { throw CNIError(.invalidEnvironmentVariables, "interface name is empty") }
            return validatedInterfaceName
        }
    }

    /// The value of an environment variable of this call.
    public func environmentValue(_ name: String) -> String? {
        let prefix = name + "="
        return environment.last { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }
}
