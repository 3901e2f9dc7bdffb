/// Shapes every result and every node is expected to have.
enum Shape {
    /// 17 characters, six lowercase hex pairs separated by `:`.
    static func isMAC(_ text: String?) -> Bool {
        guard let text, text.count == 17 else { return false }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 6 && parts.allSatisfy { part in
            part.count == 2 && part.allSatisfy { $0.isHexDigit && !$0.isUppercase }
        }
    }

    /// `veth` + 8 lowercase hex digits, the reference's host veth names.
    static func isHostVethName(_ text: String?) -> Bool {
        guard let text, text.hasPrefix("veth") else { return false }
        let suffix = text.dropFirst(4)
        return suffix.count == 8 && suffix.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}
