/// Runs a system tool (`ip`, `iptables`, `nft`, `ping`, ...) with
/// `ChildProcess.toolEnvironment`, looked up in its fixed PATH.
public enum Tool {
    public struct Failure: Error, CustomStringConvertible {
        public let arguments: [String]
        public let output: ChildProcess.Output
        public var description: String { "\(arguments.joined(separator: " ")) failed: \(output)" }
    }

    /// stdout of the tool; throws when it exits non-zero.
    @discardableResult
    public static func run(_ arguments: String..., stdin: String = "") throws -> String {
        try run(arguments, stdin: stdin)
    }

    @discardableResult
    public static func run(_ arguments: [String], stdin: String = "") throws -> String {
        let output = try ChildProcess.run(arguments[0], Array(arguments.dropFirst()),
                                          environment: ChildProcess.toolEnvironment, stdin: stdin)
        guard output.succeeded else { throw Failure(arguments: arguments, output: output) }
        return output.stdout
    }

    /// Whether the tool exits 0.
    public static func succeeds(_ arguments: String...) -> Bool {
        (try? ChildProcess.run(arguments[0], Array(arguments.dropFirst()),
                               environment: ChildProcess.toolEnvironment).succeeded) ?? false
    }

    /// `ip -j <arguments>` parsed: the array of objects `ip` prints.
    public static func ipJSON(_ arguments: String...) throws -> [JSON] {
        try JSON.parse(try run(["ip", "-j"] + arguments)).array ?? []
    }
}
