/// Validation of the names that arrive from the runtime. Each passes through
/// here once, at the edge, before anything touches the system; a name that
/// passes can never become a path outside the plugin's own directories.
public enum Identifiers {
    /// Container IDs and network names: `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`.
    public static func isValidIdentifier(_ text: String) -> Bool {
        var first = true
        for byte in text.utf8 {
            let isAlphanumeric = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
                || (byte >= 0x61 && byte <= 0x7A)
            if first {
                guard isAlphanumeric else { return false }
                first = false
            } else {
                guard isAlphanumeric || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
                        || byte == UInt8(ascii: "-") else { return false }
            }
        }
        return !first
    }

    public static func validateContainerID(_ id: String) throws(CNIError) {
        if id.isEmpty { throw CNIError(.unknownContainer, "missing containerID") }
        guard isValidIdentifier(id) else {
            throw CNIError(.invalidEnvironmentVariables, "invalid characters in containerID", details: id)
        }
    }

    public static func validateNetworkName(_ name: String?) throws(CNIError) {
        guard let name, !name.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "missing network name")
        }
        guard isValidIdentifier(name) else {
            throw CNIError(.invalidNetworkConfig, "invalid characters found in network name", details: name)
        }
    }

    /// `CNI_IFNAME` as an `InterfaceName` (the kernel's rule), refused with
    /// the reference's code-4 messages.
    public static func interfaceName(_ text: String) throws(CNIError) -> InterfaceName {
        do {
            return try InterfaceName(text)
        } catch {
            switch error {
            case .empty:
                throw CNIError(.invalidEnvironmentVariables, "interface name is empty")
            case .tooLong:
                throw CNIError(.invalidEnvironmentVariables, "interface name is too long",
                               details: "interface name should be less than 16 characters")
            case .dotOrDotDot:
                throw CNIError(.invalidEnvironmentVariables, "interface name is . or ..")
            case .forbiddenByte:
                throw CNIError(.invalidEnvironmentVariables,
                               "interface name contains / or : or whitespace characters")
            }
        }
    }
}
