import TestKit

/// What a plugin printed and how it exited, read the way a runtime reads it.
struct PluginOutcome: CustomStringConvertible {
    let output: ChildProcess.Output

    var succeeded: Bool { output.succeeded }
    var stdout: String { output.stdout }

    /// stdout as JSON (the result, or the error document).
    var json: JSON {
        get throws { try JSON.parse(output.stdout) }
    }

    /// The error code, when the plugin failed with a CNI error document.
    var errorCode: Int? { (try? json)?["code"]?.int }
    var errorMessage: String { (try? json)?["msg"]?.string ?? "" }

    var description: String { output.description }
}

/// One pod interface in one network: what ADD is called for and DEL undoes.
struct Attachment: Sendable {
    let pod: Pod
    let containerID: String
    var ifname = "eth0"
    /// `CNI_NETNS`; the pod's path unless a test overrides it.
    var netns: String
}

extension Attachment {
    /// The CNI environment for `command`.
    func environment(_ command: String, cniPath: String, cniArgs: String?) -> [String] {
        var environment = ChildProcess.toolEnvironment + [
            "CNI_COMMAND=\(command)",
            "CNI_CONTAINERID=\(containerID)",
            "CNI_NETNS=\(netns)",
            "CNI_IFNAME=\(ifname)",
            "CNI_PATH=\(cniPath)",
        ]
        if let cniArgs { environment.append("CNI_ARGS=\(cniArgs)") }
        return environment
    }
}
