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

    /// Refuses a config version this verb does not allow, as the
    /// reference's library does before the exact match every verb needs:
    /// for CHECK, GC and STATUS the version (empty meaning 0.1.0) is read as
    /// numbers (malformed: code 6), then must be at least the verb's minimum
    /// ("config version does not allow CHECK") and at most the newest
    /// version spoken ("plugin version does not allow CHECK"), both code 1.
    func refuseDisallowedVersion(_ text: String) throws(CNIError) {
        guard let minimum = minimumVersion else { return }
        let version = try VersionNumber(parsing: text.isEmpty ? CNIVersion.v0_1_0.rawValue : text)
        guard version >= VersionNumber(minimum) else {
            throw CNIError(.incompatibleCNIVersion, "config version does not allow \(rawValue)")
        }
        guard CNIVersion.allCases.contains(where: { VersionNumber($0) >= version }) else {
            throw CNIError(.incompatibleCNIVersion, "plugin version does not allow \(rawValue)")
        }
    }

    /// Whether the container ID and interface name are part of this call.
    var concernsAnAttachment: Bool {
        self == .add || self == .del || self == .check
    }
}
