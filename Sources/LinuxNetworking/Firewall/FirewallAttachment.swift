/// One container interface attached to a network: the unit the firewall
/// layer installs, removes and garbage-collects rules for (the CNI GC
/// `cni.dev/valid-attachments` entries map one to one onto this).
public struct FirewallAttachment: Hashable, Sendable {
    public var containerID: String
    public var ifname: String

    public init(containerID: String, ifname: String) {
        self.containerID = containerID
        self.ifname = ifname
    }
}
