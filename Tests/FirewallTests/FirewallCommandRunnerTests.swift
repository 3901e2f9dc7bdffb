import Testing
@testable import Firewall
import SystemSupport

@Suite("Firewall: command runner")
struct FirewallCommandRunnerTests {
    let runner = CommandRunner(environment: ProcessEnvironment.current(), timeoutMilliseconds: 10_000)

    @Test("captures stdout, stderr and the exit status")
    func capturesOutput() throws {
        let output = try runner.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"])
        #expect(output.stdoutText == "out\n")
        #expect(output.stderrText == "err\n")
        #expect(output.status == .exited(3))
    }

    @Test("feeds stdin while draining stdout: 4 MiB through cat does not deadlock")
    func largeStdin() throws {
        let input = [UInt8](repeating: UInt8(ascii: "x"), count: 4 << 20)
        let output = try runner.run("/bin/cat", [], stdin: input)
        #expect(output.status == .exited(0))
        #expect(output.stdout.count == input.count)
    }

    @Test("a child that exits without reading its stdin is not fatal (SIGPIPE ignored)")
    func childIgnoresStdin() throws {
        let input = [UInt8](repeating: 0, count: 1 << 20)
        let output = try runner.run("/bin/true", [], stdin: input)
        #expect(output.status == .exited(0))
    }

    @Test("the child starts with SIGPIPE at its default disposition")
    func childSigpipeDefault() throws {
        let output = try runner.run("/bin/sh", ["-c", "grep SigIgn /proc/self/status"])
        let mask = output.stdoutText.split(separator: "\t").last.map { String($0.filter(\.isHexDigit)) } ?? ""
        let bits = UInt64(mask, radix: 16) ?? 0
        #expect(bits & (1 << 12) == 0, "SIGPIPE (13) ignored in child: \(mask)")
    }

    @Test("without stdin the child reads /dev/null")
    func noStdin() throws {
        let output = try runner.run("/bin/cat", [])
        #expect(output.status == .exited(0))
        #expect(output.stdout.isEmpty)
    }

    @Test("a signal is reported as such")
    func signaled() throws {
        let output = try runner.run("/bin/sh", ["-c", "kill -TERM $$"])
        #expect(output.status == .signaled(15))
    }

    @Test("a child past its deadline is killed and reported")
    func timeout() {
        let quick = CommandRunner(environment: ProcessEnvironment.current(), timeoutMilliseconds: 200)
        #expect(throws: FirewallError.timedOut(command: ["/bin/sleep", "5"], milliseconds: 200)) {
            try quick.run("/bin/sleep", ["5"])
        }
    }

    @Test("a missing executable is a spawn error")
    func missingExecutable() {
        #expect(throws: FirewallError.spawnFailed(command: ["/nonexistent/tool"], errno: 2)) {
            try runner.run("/nonexistent/tool", [])
        }
    }

    @Test("tools are looked up in the sbin and bin directories")
    func locate() throws {
        #expect(try CommandRunner.locate("sh").hasSuffix("/sh"))
        #expect(throws: FirewallError.toolNotFound(tool: "no-such-tool-xyz", searched: CommandRunner.searchDirectories)) {
            try CommandRunner.locate("no-such-tool-xyz")
        }
    }

    @Test("checked() throws commandFailed with stderr")
    func checkedFailure() throws {
        let sh = try CommandRunner.locate("sh")
        #expect(throws: FirewallError.commandFailed(command: [sh, "-c", "echo bad >&2; exit 1"], status: .exited(1), stderr: "bad\n")) {
            try runner.checked("sh", ["-c", "echo bad >&2; exit 1"])
        }
    }
}
