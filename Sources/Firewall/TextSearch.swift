/// Searching the text that `nft` and `iptables` print for fixed markers
/// (`" # handle "`, `" comment \""`, …).
///
/// The standard library's `contains(_:)`, `firstRange(of:)` and
/// `ranges(of:)` for substrings live in `_StringProcessing`, which drags
/// itself and `_RegexParser` (about 1.2 MB of code) into a static binary.
/// This module is built without that module (see Package.swift), so it
/// searches here instead: byte by byte in UTF-8, which for the ASCII markers
/// we look for finds what a search by characters finds in these tools'
/// output. The ranges returned start and end on Unicode scalar boundaries
/// whenever `text` starts and ends with an ASCII character.
extension StringProtocol {
    /// Whether `text` occurs in this string; never for an empty `text`
    /// (as `contains(_:)`).
    func hasSubstring(_ text: String) -> Bool {
        !text.isEmpty && firstRange(ofText: text) != nil
    }

    /// Where `text` first occurs; an empty `text` occurs at the start.
    func firstRange(ofText text: String) -> Range<Index>? {
        var from = utf8.startIndex
        return nextRange(ofText: Array(text.utf8), from: &from)
    }

    /// Where `text` last occurs, counting occurrences left to right without
    /// overlap; an empty `text` occurs at the end (as `ranges(of:).last`).
    func lastRange(ofText text: String) -> Range<Index>? {
        if text.isEmpty { return endIndex..<endIndex }
        let needle = Array(text.utf8)
        var from = utf8.startIndex
        var last: Range<Index>? = nil
        while let found = nextRange(ofText: needle, from: &from) { last = found }
        return last
    }

    /// The first occurrence of `needle` at or after `from`; on return `from`
    /// is just past it.
    private func nextRange(ofText needle: [UInt8], from: inout Index) -> Range<Index>? {
        let bytes = utf8
        var start = from
        while true {
            if bytes[start...].starts(with: needle) {
                let end = bytes.index(start, offsetBy: needle.count)
                from = end
                return start..<end
            }
            if start == bytes.endIndex { return nil }
            bytes.formIndex(after: &start)
        }
    }
}
