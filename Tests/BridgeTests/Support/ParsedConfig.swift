@testable import Bridge
import CNISpec

extension BridgeConfig {
    /// A bridge config read from `{"cniVersion":"1.0.0","name":"net","type":"bridge"}`
    /// plus `keys`, with `cniArgs` as CNI_ARGS: what the plugin sees, without
    /// running it.
    static func parsed(_ keys: [(String, JSONValue)], cniArgs: String = "") throws -> BridgeConfig {
        var object = JSONObject()
        object.append("cniVersion", .string("1.0.0"))
        object.append("name", .string("net"))
        object.append("type", .string("bridge"))
        for (key, value) in keys { object.append(key, value) }
        return try BridgeConfig(config: NetworkConfig(object, version: .v1_0_0), cniArgs: cniArgs)
    }
}
