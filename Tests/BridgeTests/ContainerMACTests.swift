@testable import Bridge
import CNISpec
import Netlink
import Testing

/// The requested container MAC, read at the edge into the `MACAddress` the
/// veth is created with (no kernel needed).
@Suite("Container MAC")
struct ContainerMACTests {
    @Test("each form Go's net.ParseMAC takes for 6 bytes is the container's MACAddress", arguments: [
        "0a:58:0a:f4:00:02", "0A:58:0A:F4:00:02", "0a-58-0a-f4-00-02", "0a58.0af4.0002",
    ])
    func accepted(text: String) throws {
        let config = try BridgeConfig.parsed([("runtimeConfig", .object(JSONObject([("mac", .string(text))])))])
        #expect(config.containerMAC == MACAddress("0a:58:0a:f4:00:02"))
        try config.validateForAdd(version: .v1_0_0)
    }

    @Test("CNI_ARGS MAC, args.cni.mac and runtimeConfig.mac: the last one given wins")
    func precedence() throws {
        let fromArgs = try BridgeConfig.parsed([], cniArgs: "MAC=0a:58:0a:f4:00:01")
        #expect(fromArgs.containerMAC == MACAddress("0a:58:0a:f4:00:01"))
        let fromRuntime = try BridgeConfig.parsed([
            ("args", .object(JSONObject([("cni", .object(JSONObject([("mac", .string("0a:58:0a:f4:00:02"))])))]))),
            ("runtimeConfig", .object(JSONObject([("mac", .string("0a:58:0a:f4:00:03"))]))),
        ], cniArgs: "MAC=0a:58:0a:f4:00:01")
        #expect(fromRuntime.containerMAC == MACAddress("0a:58:0a:f4:00:03"))
    }

    @Test("anything else is no MAC, and ADD refuses it with the reference's wording", arguments: [
        "zz", "00:11:22", "+a:58:0a:f4:00:02", "0a:58:0a:f4:00:02:03", "0a:58-0a:f4-00:02",
    ])
    func refused(text: String) throws {
        let config = try BridgeConfig.parsed([("runtimeConfig", .object(JSONObject([("mac", .string(text))])))])
        #expect(config.containerMAC == nil)
        let error = #expect(throws: CNIError.self) { try config.validateRequestedMAC() }
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.message == "failed to make veth pair: address \(text): invalid MAC address")
    }
}
