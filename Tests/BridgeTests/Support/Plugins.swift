import Glibc
import TestKit

/// Where the executables under test, the IPAM plugin and the reference
/// plugins are.
enum Plugins {
    /// Our `bridge`: `$CNI_TEST_PLUGIN_DIR/bridge`, else next to the test
    /// bundle (`swift build --build-tests` builds the executables into the
    /// same directory, e.g. `.build/debug/`).
    static let directory: String = {
        if let override = getenv("CNI_TEST_PLUGIN_DIR"), override.pointee != 0 {
            return String(cString: override)
        }
        return directoryOfExecutable()
    }()

    static var bridge: String { directory + "/bridge" }

    static var bridgeIsBuilt: Bool { access(bridge, X_OK) == 0 }

    static let missingBridge: String =
        "no executable at \(directory)/bridge: build it (swift build --build-tests) or set CNI_TEST_PLUGIN_DIR"

    /// The reference bridge (Debian `containernetworking-plugins` 1.1.1).
    static let referenceBridge = "/usr/lib/cni/bridge"
    static let referenceHostLocal = "/usr/lib/cni/host-local"

    static var referenceIsInstalled: Bool {
        access(referenceBridge, X_OK) == 0 && access(referenceHostLocal, X_OK) == 0
    }

    private static func directoryOfExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return "." }
        let path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }
}

/// The directory that provides the `host-local` IPAM plugin to both bridges
/// (it becomes `CNI_PATH`).
///
/// In order of preference: `$CNI_TEST_IPAM_DIR`; our own `host-local` next
/// to our `bridge`, once it exists and answers VERSION with spec 1.1.0;
/// otherwise a temporary directory holding a stand-in script around the
/// reference `host-local` 1.1.1. That one speaks CNI only up to 1.0.0 and
/// knows neither GC nor STATUS, so the stand-in passes 1.1.0 requests on as
/// 1.0.0 and answers GC and STATUS with success, as the reference's newer
/// releases do for verbs they do not implement. Tests that need a real IPAM
/// GC check `IPAMPlugin.implementsGC`.
enum IPAMPlugin {
    enum Kind: Equatable { case override, ours, referenceStandIn }

    static let selection: (kind: Kind, directory: String) = {
        if let override = getenv("CNI_TEST_IPAM_DIR"), override.pointee != 0 {
            return (.override, String(cString: override))
        }
        if speaksSpec110(Plugins.directory + "/host-local") {
            return (.ours, Plugins.directory)
        }
        return (.referenceStandIn, makeReferenceStandIn())
    }()

    static var directory: String { selection.directory }

    /// Whether GC reaches an IPAM that releases addresses (the reference
    /// host-local has no GC).
    static var implementsGC: Bool { selection.kind != .referenceStandIn }

    static let noGC: String = "the IPAM in use is the reference host-local 1.1.1, which has no GC"

    private static func speaksSpec110(_ path: String) -> Bool {
        guard access(path, X_OK) == 0,
              let output = try? ChildProcess.run(path, environment: ["CNI_COMMAND=VERSION"],
                                                 stdin: #"{"cniVersion":"1.1.0"}"#, timeout: .seconds(10)),
              output.succeeded,
              let version = try? JSON.parse(output.stdout),
              let supported = version["supportedVersions"]?.array
        else { return false }
        return supported.contains { $0.string == "1.1.0" }
    }

    private nonisolated(unsafe) static var standInDirectory: String? = nil

    private static func makeReferenceStandIn() -> String {
        let directory = TemporaryDirectory.make(prefix: "bridge-test-ipam")
        let script = """
            #!/bin/sh
            # Test stand-in for host-local: the reference host-local 1.1.1
            # speaks CNI up to 1.0.0 and has neither GC nor STATUS.
            case "$CNI_COMMAND" in
            GC|STATUS) cat >/dev/null; exit 0 ;;
            esac
            sed 's/"cniVersion"[[:space:]]*:[[:space:]]*"1\\.1\\.0"/"cniVersion":"1.0.0"/g' | \(Plugins.referenceHostLocal)

            """
        writeExecutable(directory + "/host-local", script)
        standInDirectory = directory
        atexit {
            if let directory = IPAMPlugin.standInDirectory { TemporaryDirectory.remove(directory) }
        }
        return directory
    }
}
