import CNISpec
import SystemSupport
import Testing
@testable import Firewall

@Suite("Firewall: ipMasqBackend selection")
struct FirewallBackendSelectionTests {
    @Test("known values parse", arguments: [
        ("iptables", MasqueradeBackendKind.iptables),
        ("nftables", MasqueradeBackendKind.nftables),
    ])
    func knownValues(value: String, expected: MasqueradeBackendKind) throws {
        #expect(try MasqueradeBackendKind.parse(value) == expected)
    }

    @Test("unset means automatic")
    func unset() throws {
        #expect(try MasqueradeBackendKind.parse(nil) == nil)
    }

    @Test("unknown values are rejected with the reference's message", arguments: ["foo", "", "IPTables", "nft"])
    func unknownValue(value: String) {
        #expect(throws: FirewallError.unknownBackend(value)) { try MasqueradeBackendKind.parse(value) }
        #expect(FirewallError.unknownBackend(value).description == "unknown ipmasq backend \(GoQuote.quoted(value))")
    }

    @Test("an explicit choice is used without probing")
    func explicitChoice() {
        #expect(MasqueradeBackendKind.resolve(.nftables, environment: ProcessEnvironment.current()) == .nftables)
        #expect(MasqueradeBackendKind.resolve(.iptables, environment: ProcessEnvironment.current()) == .iptables)
        #expect(MasqueradeBackendKind.nftables.makeBackend(environment: ProcessEnvironment.current(), session: NFTSession()).kind == .nftables)
    }

    @Test("error descriptions name the command, its status and stderr")
    func errorDescriptions() {
        let failed = FirewallError.commandFailed(command: ["/usr/sbin/nft", "-f", "-"], status: .exited(1), stderr: "Error: boom\n")
        #expect(failed.description == "/usr/sbin/nft -f - failed with exit status 1: Error: boom")
        let missing = FirewallError.toolNotFound(tool: "nft", searched: ["/usr/sbin", "/sbin"])
        #expect(missing.description == "nft not found in /usr/sbin, /sbin")
        let killed = FirewallError.commandFailed(command: ["/x", "a b"], status: .signaled(9), stderr: "")
        #expect(killed.description == #"/x "a b" failed with signal 9"#)
    }
}
