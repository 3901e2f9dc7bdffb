import Foundation
import Testing
@testable import Firewall

/// The substring searches the firewall code uses on `nft` and `iptables`
/// output, checked against the standard library's `_StringProcessing`
/// versions (which this test target may import, and the module may not).
@Suite("Text search in firewall tool output")
struct TextSearchTests {
    static let cases: [(String, String)] = [
        ("", ""),
        ("abc", ""),
        ("", "x"),
        ("ip saddr 10.1.0.0/16 masquerade # handle 7", " # handle "),
        ("comment \"a # handle 3\" # handle 9", " # handle "),
        ("name: \"net\" id: \"c1\"", "\" id: \""),
        ("aaaa", "aa"),
        ("aaa", "aa"),
        ("type nat hook postrouting priority srcnat;", "hook postrouting"),
        ("Error: No such file or directory", "No such file or directory"),
        ("no marker here", " comment \""),
        ("héllo wörld # handle 5", " # handle "),
        ("tail", "tail and more"),
    ]

    @Test("hasSubstring agrees with contains(_:)", arguments: cases)
    func hasSubstring(haystack: String, needle: String) {
        #expect(haystack.hasSubstring(needle) == haystack.contains(needle))
    }

    @Test("firstRange(ofText:) agrees with firstRange(of:)", arguments: cases)
    func firstRange(haystack: String, needle: String) {
        #expect(haystack.firstRange(ofText: needle) == haystack.firstRange(of: needle))
        let sub = haystack.dropFirst(0)
        #expect(sub.firstRange(ofText: needle) == sub.firstRange(of: needle))
    }

    @Test("lastRange(ofText:) agrees with ranges(of:).last (matches do not overlap)", arguments: cases)
    func lastRange(haystack: String, needle: String) {
        #expect(haystack.lastRange(ofText: needle) == haystack.ranges(of: needle).last)
    }

    @Test("a range found in a substring slices the substring")
    func rangeInSubstring() throws {
        let line = "xx ip daddr 1.2.3.4 # handle 12"
        let sub = line.dropFirst(3)
        let marker = try #require(sub.lastRange(ofText: " # handle "))
        #expect(sub[marker.upperBound...] == "12")
        #expect(sub[..<marker.lowerBound] == "ip daddr 1.2.3.4")
    }
}
