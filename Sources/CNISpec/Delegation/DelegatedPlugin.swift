import Glibc
import SystemSupport

/// A plugin this one delegates to (the bridge's IPAM), found in `CNI_PATH`
/// and executed with the same stdin and environment, only `CNI_COMMAND`
/// changed (spec §4).
///
/// A delegate's CNI error comes back unchanged (same code, msg, details), so
/// the runtime sees host-local's own error through the bridge.
public struct DelegatedPlugin: Sendable {
    public let type: String
    public let path: String

    /// Finds `type` in `directories`: the first regular file of that name.
    /// A name that is empty or holds a `/` is code 7; a plugin that is not
    /// there is `missingCode` (7 unless told: the config names a plugin the
    /// node does not have; STATUS says 50, the plugin is not available).
    public init(type: String, directories: [String],
                missingCode: CNIErrorCode = .invalidNetworkConfig) throws(CNIError) {
        guard !type.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "no plugin name provided")
        }
        guard !type.contains("/") else {
            throw CNIError(.invalidNetworkConfig, "invalid plugin name: \(type)")
        }
        for directory in directories where !directory.isEmpty {
            let candidate = directory.hasSuffix("/") ? directory + type : directory + "/" + type
            var info = stat()
            if stat(candidate, &info) == 0 && info.st_mode & S_IFMT == S_IFREG {
                self.type = type
                self.path = candidate
                return
            }
        }
        throw CNIError(missingCode,
                       "failed to find plugin \"\(type)\" in path [\(directories.joined(separator: " "))]")
    }

    /// Runs the delegate for `command` and returns its stdout on success.
    /// Failures become the delegate's own CNI error when it printed one.
    public func execute(_ command: CNICommand, for request: CNIRequest) throws(CNIError) -> [UInt8] {
        try start(command, for: request).finish()
    }

    /// Starts the delegate and returns at once; `finish` collects the
    /// outcome. Lets the caller overlap its own work with the delegate's.
    public func start(_ command: CNICommand, for request: CNIRequest) throws(CNIError) -> Pending {
        var environment = request.environment.filter { !$0.hasPrefix("CNI_COMMAND=") }
        environment.append("CNI_COMMAND=\(command.rawValue)")
        // The reference retries "text file busy" (a binary being replaced).
        for attempt in 0..<5 {
            do {
                let running = try Subprocess.start(path: path, environment: environment, stdin: request.stdin,
                                                   captureStandardError: true)
                return Pending(path: path, running: running)
            } catch {
                if error.code == ETXTBSY && attempt < 4 {
                    usleep(200_000)
                    continue
                }
                throw CNIError(.internal, error.description)
            }
        }
        throw CNIError(.internal, "fork/exec \(path): text file busy")
    }

    /// A delegate call in flight.
    public struct Pending {
        let path: String
        let running: Subprocess.Running

        /// Waits for the delegate; its stdout on success, its own CNI error
        /// (or a description of how it failed) otherwise. Idempotent.
        public func finish() throws(CNIError) -> [UInt8] {
            let output = running.wait()
            if !output.stderr.isEmpty { StandardIO.writeAll(fd: 2, output.stderr) }
            if output.status == 0 && output.signal == nil { return output.stdout }

            let stdoutText = String(decoding: output.stdout, as: UTF8.self)
            let stderrText = String(decoding: output.stderr, as: UTF8.self)
            let exitText = output.signal.map { "signal: \($0)" } ?? "exit status \(output.status)"
            if output.stdout.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }) {
                if stderrText.isEmpty {
                    throw CNIError(.internal, "netplugin failed with no error message: \(exitText)")
                }
                throw CNIError(.internal, "netplugin failed: \"\(stderrText)\": \(exitText)")
            }
            guard let parsed = try? JSONParser.parse(output.stdout), let object = parsed.objectValue,
                  case .number(let codeText)? = object["code"], let code = Int(codeText) else {
                throw CNIError(.unknown,
                               "netplugin failed but error parsing its diagnostic message \"\(stdoutText)\"")
            }
            throw CNIError(CNIErrorCode(rawValue: code), object["msg"]?.stringValue ?? "",
                           details: object["details"]?.stringValue)
        }
    }

    /// ADD through the delegate, with its result parsed.
    public func add(_ request: CNIRequest) throws(CNIError) -> CNIResult {
        let stdout = try execute(.add, for: request)
        return try CNIResult(bytes: stdout, defaultVersion: request.version)
    }
}
