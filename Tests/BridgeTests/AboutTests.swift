import TestKit
import Testing

/// What the bridge says when it is run by hand, without `CNI_COMMAND`.
@Suite("About line")
struct AboutTests {
    @Test("a build not cut by scripts/release.sh says version unknown in its about line")
    func aboutLineOfAnUnreleasedBuild() throws {
        try #require(Plugins.bridgeIsBuilt, Comment(rawValue: Plugins.missingBridge))
        let about = try ChildProcess.run(Plugins.bridge, environment: ChildProcess.toolEnvironment)
        #expect(about.succeeded, "\(about)")
        #expect(about.stdout.isEmpty)
        let lines = about.stderr.split(separator: "\n").map(String.init)
        #expect(lines == ["CNI bridge plugin (Swift) version unknown",
                          "CNI protocol versions supported: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0"],
                "\(about)")
    }
}
