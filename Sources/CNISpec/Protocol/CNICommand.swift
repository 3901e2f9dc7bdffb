/// The verbs of `CNI_COMMAND`.
public enum CNICommand: String, Sendable, CaseIterable {
    case add = "ADD"
    case del = "DEL"
    case check = "CHECK"
    case gc = "GC"
    case status = "STATUS"
    case version = "VERSION"

    /// The oldest config version that allows this verb, if any.
    var minimumVersion: CNIVersion? {
        switch self {
        case .check: return .v0_4_0
        case .gc, .status: return .v1_1_0
        default: return nil
        }
    }

    /// Whether the container ID and interface name are part of this call.
    var concernsAnAttachment: Bool {
        self == .add || self == .del || self == .check
    }
}
