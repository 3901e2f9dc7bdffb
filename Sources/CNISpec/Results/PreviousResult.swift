extension CNIResult {
    /// Parses a config's `prevResult` as the result type of the config's
    /// version reads it: a result of another shape family is refused before
    /// its contents are looked at, as the reference's library does
    /// (`version.ParsePrevResult`), in its words:
    /// `could not parse prevResult: result type supports [0.3.0 0.3.1 0.4.0]
    /// but unmarshalled CNIVersion is "1.0.0"` (code 1).
    ///
    /// A missing `cniVersion` means the config's version; one present but
    /// empty is a version of its own (""), refused like any other mismatch —
    /// the library injects the config's version only when the key is absent.
    /// The 1.x family accepts 1.0.0 and 1.1.0, as upstream's library does
    /// since it speaks 1.1.0 (Debian's 1.1.1 knows 1.0.0 only).
    public init(previousResult json: JSONValue, configVersion: CNIVersion) throws(CNIError) {
        if let object = json.objectValue, let declared = object["cniVersion"]?.stringValue {
            let family = CNIVersion.allCases.filter { $0.resultFormat == configVersion.resultFormat }
            guard family.contains(where: { $0.rawValue == declared }) else {
                let names = family.map(\.rawValue).joined(separator: " ")
                throw CNIError(.incompatibleCNIVersion,
                               "could not parse prevResult: result type supports [\(names)] but unmarshalled CNIVersion is \"\(declared)\"")
            }
        }
        try self.init(json: json, defaultVersion: configVersion)
    }
}
