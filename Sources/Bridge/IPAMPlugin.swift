import CNISpec

extension DelegatedPlugin {
    /// The IPAM plugin the config names in `ipam.type`, found on `CNI_PATH`.
    /// One missing is code 7 (the config names a plugin that is not there)
    /// unless `missingCode` says otherwise (STATUS: 50).
    static func ipam(for request: CNIRequest,
                     missingCode: CNIErrorCode = .invalidNetworkConfig) throws(CNIError) -> DelegatedPlugin {
        try DelegatedPlugin(type: request.config.ipamType ?? "", directories: request.paths, missingCode: missingCode)
    }
}
