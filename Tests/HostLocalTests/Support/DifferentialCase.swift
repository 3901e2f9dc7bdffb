import Testing

/// One call of a differential case.
struct Step: Sendable, CustomStringConvertible {
    var command = "ADD"
    var containerID = "c1"
    var ifname = "eth0"
    var args = ""
    /// Extra top-level config members for this call.
    var extra = ""
    /// nil: both implementations succeed. Otherwise both fail, and ours
    /// with this code (the reference says 999 for nearly everything).
    var expectedCode: Int? = nil

    var description: String {
        if command == Step.rewriteCommand { return "rewrite \(containerID) as \(extra.debugDescription)" }
        return "\(command) \(containerID)/\(ifname)" + (args.isEmpty ? "" : " CNI_ARGS=\(args)") + (extra.isEmpty ? "" : " +{\(extra)}")
    }

    static func add(_ id: String = "c1", ifname: String = "eth0", args: String = "", extra: String = "", fails code: Int? = nil) -> Step {
        Step(command: "ADD", containerID: id, ifname: ifname, args: args, extra: extra, expectedCode: code)
    }

    static func del(_ id: String = "c1", ifname: String = "eth0", fails code: Int? = nil) -> Step {
        Step(command: "DEL", containerID: id, ifname: ifname, expectedCode: code)
    }

    static func check(_ id: String = "c1", ifname: String = "eth0", fails code: Int? = nil) -> Step {
        Step(command: "CHECK", containerID: id, ifname: ifname, expectedCode: code)
    }

    /// Not a call: rewrites the store's file `name` in place (truncate and
    /// write, the directory's mtime untouched), as upstream's own test
    /// "verify DEL works on backwards compatible allocate" does.
    static func rewrite(_ name: String, _ content: String) -> Step {
        Step(command: rewriteCommand, containerID: name, extra: content)
    }

    static let rewriteCommand = "REWRITE"
}

/// The same calls sent to ours and to the reference, each on a fresh store.
struct DifferentialCase: Sendable, CustomTestStringConvertible {
    let name: String
    var ipam: String
    var topLevel = ""
    var version = "0.4.0"
    /// Replaces the whole config when set; `DATADIR` and `VERSION` are
    /// substituted.
    var template: String? = nil
    /// Prepares each store before the steps (given the network).
    var setup: (@Sendable (TestNetwork) -> Void)? = nil
    var steps: [Step]
    /// A known, reported mismatch: the comparison is expected to fail (and
    /// flags when it no longer does).
    var knownIssue: String? = nil

    var testDescription: String { name }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension Dictionary where Key == String, Value == [UInt8] {
    var describedFiles: String {
        keys.sorted().map { "\($0)=\(String(decoding: self[$0]!, as: UTF8.self).debugDescription)" }.joined(separator: " ")
    }
}
