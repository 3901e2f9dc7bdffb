import CNISpec

/// STATUS: the bridge itself can always serve ADD; ask IPAM. An IPAM
/// plugin missing from `CNI_PATH` is code 50: ADD cannot be served.
struct StatusCommand {
    let request: CNIRequest
    let config: BridgeConfig

    func run() throws {
        guard config.isLayer3 else { return }
        let ipam = try DelegatedPlugin.ipam(for: request, missingCode: .pluginNotAvailable)
        _ = try ipam.execute(.status, for: request)
    }
}
