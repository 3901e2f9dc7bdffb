import CNISpec

/// Who holds a reservation, as its file records it: `containerID\r\nifname`,
/// or a bare `containerID` in files written by old reference versions
/// ("legacy" reservations).
///
/// Matching is the reference's, byte for byte: a file belongs to a key when
/// its content with surrounding white space trimmed (Go's `TrimSpace`)
/// equals the key's bytes. So a key is compared as raw bytes, never parsed.
public struct ReservationKey: Hashable, Sendable, CustomStringConvertible {
    /// The bytes a matching file holds once trimmed.
    public let bytes: [UInt8]

    /// The key recorded by a file with this content (trimmed).
    public init(fileContent: some BidirectionalCollection<UInt8>) {
        bytes = Array(trimmingSpace(fileContent))
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// The key of an attachment: `TrimSpace(containerID) + "\r\n" + ifname`,
    /// which is also exactly what a new reservation file holds.
    public static func attachment(_ attachment: Attachment) -> ReservationKey {
        ReservationKey(bytes: Array(trimmingSpace(Array(attachment.containerID.utf8))) + [0x0d, 0x0a]
                       + Array(attachment.ifname.utf8))
    }

    /// The key of a legacy reservation of `containerID` (trimmed).
    public static func legacy(containerID: String) -> ReservationKey {
        ReservationKey(bytes: Array(trimmingSpace(Array(containerID.utf8))))
    }

    /// The container ID: the bytes before the first `\r\n`, or all of them.
    public var containerID: String {
        String(decoding: bytes[..<(separatorIndex ?? bytes.endIndex)], as: UTF8.self)
    }

    /// The interface name after the first `\r\n`; nil for a legacy key.
    public var ifname: String? {
        guard let separator = separatorIndex else { return nil }
        return String(decoding: bytes[(separator + 2)...], as: UTF8.self)
    }

    /// Whether this is a bare container ID (no interface name).
    public var isLegacy: Bool { separatorIndex == nil }

    private var separatorIndex: Int? {
        guard bytes.count >= 2 else { return nil }
        for index in 0..<(bytes.count - 1) where bytes[index] == 0x0d && bytes[index + 1] == 0x0a {
            return index
        }
        return nil
    }

    /// The bytes with `\r` and `\n` written as `\r`/`\n`, for messages.
    public var description: String {
        String(decoding: bytes, as: UTF8.self)
            .replacingCRLF()
    }
}

private extension String {
    func replacingCRLF() -> String {
        var out = ""
        for character in unicodeScalars {
            switch character {
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
