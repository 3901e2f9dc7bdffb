import TestKit
import Testing

/// GC (spec 1.1.0): the reference has none; ours forwards it to IPAM and
/// removes the masquerade rules of attachments that are no longer valid.
/// STATUS delegates to IPAM.
@Suite("GC and STATUS", .enabled(if: TestNode.isAvailable, TestNode.requirement))
struct GarbageCollectionAndStatusTests {
    private func gcConfig(_ config: JSON, valid: [Attachment]) -> JSON {
        var config = config
        config["cni.dev/valid-attachments"] = .array(valid.map {
            ["containerID": .string($0.containerID), "ifname": .string($0.ifname)]
        })
        return config
    }

    @Test("with an empty valid list removes the masquerade rules", arguments: Firewall.backends)
    func removesStaleMasquerade(backend: String) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config("1.1.0", ["ipMasq": true, "ipMasqBackend": .string(backend)])
            try net.add(attachment, config: config)
            let outcome = try net.callForNetwork("GC", config: gcConfig(config, valid: []))
            #expect(outcome.succeeded, "\(outcome)")
            #expect(try Firewall.leftovers(network: net.networkName, containerID: attachment.containerID).isEmpty)
        }
    }

    @Test("with an empty valid list releases the IP reservations",
          .enabled(if: IPAMPlugin.implementsGC, Comment(rawValue: IPAMPlugin.noGC)))
    func releasesStaleAddresses() throws {
        try withTestNetwork { net in
            let config = net.config("1.1.0", ["ipMasq": true])
            try net.add(try net.attachment(), config: config)
            try net.add(try net.attachment(), config: config)
            #expect(net.reservedAddresses.count == 2)
            let outcome = try net.callForNetwork("GC", config: gcConfig(config, valid: []))
            #expect(outcome.succeeded, "\(outcome)")
            #expect(net.reservedAddresses.isEmpty)
        }
    }

    @Test("keeps what belongs to valid attachments", arguments: Firewall.backends)
    func keepsValid(backend: String) throws {
        try withTestNetwork { net in
            let config = net.config("1.1.0", ["ipMasq": true, "ipMasqBackend": .string(backend)])
            let kept = try net.attachment()
            let stale = try net.attachment()
            try net.add(kept, config: config)
            try net.add(stale, config: config)
            let outcome = try net.callForNetwork("GC", config: gcConfig(config, valid: [kept]))
            #expect(outcome.succeeded, "\(outcome)")
            #expect(try !Firewall.leftovers(network: net.networkName, containerID: kept.containerID).isEmpty)
            #expect(try Firewall.leftovers(network: net.networkName, containerID: stale.containerID).isEmpty)
            if IPAMPlugin.implementsGC {
                #expect(net.reservedAddresses == [net.address(2)])
            }
            // The valid pod itself is untouched.
            #expect(try Kernel.addresses(of: "eth0", in: kept.pod) == [net.address(2) + "/24"])
        }
    }

    @Test("without an attachment list removes no rule and releases nothing", arguments: Firewall.backends)
    func withoutList(backend: String) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            let config = net.config("1.1.0", ["ipMasq": true, "ipMasqBackend": .string(backend), "macspoofchk": true])
            try net.add(attachment, config: config)
            let rules = Set(try Firewall.leftovers(network: net.networkName, containerID: attachment.containerID))
            #expect(rules.contains { $0.contains("macspoofchk") }, "\(rules)")
            #expect(rules.count >= 2, "\(rules)")

            let outcome = try net.callForNetwork("GC", config: config)
            #expect(outcome.succeeded, "\(outcome)")
            #expect(Set(try Firewall.leftovers(network: net.networkName, containerID: attachment.containerID)) == rules)
            #expect(net.reservedAddresses == [net.address(2)])
        }
    }

    @Test("with a null list removes the rules of every attachment (libcni's nil list)", arguments: Firewall.backends)
    func nullList(backend: String) throws {
        try withTestNetwork { net in
            let attachment = try net.attachment()
            var config = net.config("1.1.0", ["ipMasq": true, "ipMasqBackend": .string(backend), "macspoofchk": true])
            try net.add(attachment, config: config)
            config["cni.dev/valid-attachments"] = .null
            config["cni.dev/attachments"] = .null
            let outcome = try net.callForNetwork("GC", config: config)
            #expect(outcome.succeeded, "\(outcome)")
            #expect(try Firewall.leftovers(network: net.networkName, containerID: attachment.containerID).isEmpty)
        }
    }

    @Test("without an attachment list is still forwarded to the IPAM plugin, unchanged")
    func withoutListForwardedToIPAM() throws {
        try withTestNetwork { net in
            let directory = installRecordingIPAM(net)
            let config = net.config("1.1.0", ["ipam": ["type": "recording-ipam"]])
            let outcome = try net.callForNetwork("GC", config: config)
            #expect(outcome.succeeded, "\(outcome)")
            #expect((readText(directory + "/calls") ?? "") == "GC\n")
            #expect(try JSON.parse(readText(directory + "/stdin-GC") ?? "") == config)
        }
    }

    /// A stand-in IPAM that records the verbs it gets and the stdin of the
    /// last one, and fails STATUS when `fail-status` exists next to it.
    private func installRecordingIPAM(_ net: TestNetwork) -> String {
        let directory = net.directory + "/plugins"
        _ = try? Tool.run("mkdir", "-p", directory)
        writeExecutable(directory + "/recording-ipam", """
            #!/bin/sh
            here=$(dirname "$0")
            echo "$CNI_COMMAND" >> "$here/calls"
            cat > "$here/stdin-$CNI_COMMAND"
            if [ "$CNI_COMMAND" = STATUS ] && [ -e "$here/fail-status" ]; then
                echo '{"cniVersion":"1.1.0","code":50,"msg":"no addresses left in range"}'
                exit 1
            fi
            exit 0

            """)
        net.cniPath = directory
        return directory
    }

    @Test("is forwarded to the IPAM plugin with the same configuration")
    func forwardedToIPAM() throws {
        try withTestNetwork { net in
            let directory = installRecordingIPAM(net)
            let config = gcConfig(net.config("1.1.0", ["ipam": ["type": "recording-ipam"]]), valid: [])
            let outcome = try net.callForNetwork("GC", config: config)
            #expect(outcome.succeeded, "\(outcome)")
            #expect((readText(directory + "/calls") ?? "") == "GC\n")
            #expect(try JSON.parse(readText(directory + "/stdin-GC") ?? "") == config)
        }
    }

    @Test("STATUS succeeds when IPAM does")
    func statusSucceeds() throws {
        try withTestNetwork { net in
            let outcome = try net.callForNetwork("STATUS", config: net.config("1.1.0"))
            #expect(outcome.succeeded, "\(outcome)")
            #expect(outcome.stdout.isEmpty)
        }
    }

    @Test("STATUS asks IPAM and passes its error on unchanged")
    func statusDelegates() throws {
        try withTestNetwork { net in
            let directory = installRecordingIPAM(net)
            writeFile(directory + "/fail-status", "")
            let outcome = try net.callForNetwork("STATUS", config: net.config("1.1.0", ["ipam": ["type": "recording-ipam"]]))
            #expect(!outcome.succeeded)
            #expect(outcome.errorCode == 50, "\(outcome)")
            #expect(outcome.errorMessage == "no addresses left in range")
            #expect((readText(directory + "/calls") ?? "") == "STATUS\n")
        }
    }

    @Test("STATUS fails with code 50 and the reference's message when the IPAM plugin is missing")
    func statusWithoutIPAM() throws {
        try withTestNetwork { net in
            let outcome = try net.callForNetwork("STATUS", config: net.config("1.1.0", ["ipam": ["type": "no-such-ipam"]]))
            #expect(!outcome.succeeded)
            #expect(outcome.errorCode == 50, "\(outcome)")
            #expect(outcome.errorMessage == "failed to find plugin \"no-such-ipam\" in path [\(net.cniPath)]")
        }
    }

    @Test("STATUS in L2 mode succeeds without IPAM")
    func statusLayerTwo() throws {
        try withTestNetwork { net in
            let outcome = try net.callForNetwork("STATUS", config: net.config("1.1.0", ["ipam": nil]))
            #expect(outcome.succeeded, "\(outcome)")
        }
    }
}
