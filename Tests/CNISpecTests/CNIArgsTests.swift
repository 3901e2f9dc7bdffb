import Testing
@testable import CNISpec

@Suite("CNI_ARGS")
struct CNIArgsTests {
    @Test("pairs are split on ; and =")
    func pairs() throws {
        let args = try CNIArgs("IgnoreUnknown=1;IP=10.0.0.5;K8S_POD_NAME=web", knownKeys: ["IP"])
        #expect(args["IP"] == "10.0.0.5")
        #expect(args["K8S_POD_NAME"] == "web")
    }

    @Test("an empty string has no pairs")
    func empty() throws {
        #expect(try CNIArgs("", knownKeys: []).pairs.isEmpty)
    }

    @Test("a pair must have exactly one =", arguments: ["IP", "IP=1=2", "IP=1;;", "=;"])
    func invalidPair(raw: String) {
        #expect(throws: CNIError.self) { try CNIArgs(raw, knownKeys: ["IP"]) }
    }

    @Test("unknown keys fail unless IgnoreUnknown is 1 or true, anywhere in the list")
    func unknownKeys() throws {
        #expect(throws: CNIError(.invalidEnvironmentVariables, #"ARGS: unknown args ["ip=10.0.0.5"]"#)) {
            try CNIArgs("ip=10.0.0.5", knownKeys: ["IP"])
        }
        _ = try CNIArgs("K8S_POD_NAME=a;IgnoreUnknown=true", knownKeys: [])
        _ = try CNIArgs("IgnoreUnknown=True;X=1", knownKeys: [])
        #expect(throws: CNIError.self) { try CNIArgs("IgnoreUnknown=0;X=1", knownKeys: []) }
    }

    @Test("pairs are read left to right and the first problem is the error", arguments: [
        ("X=1;IP=bad", #"ARGS: error parsing value of pair "IP=bad": bad IP"#),
        ("IP=bad;Y", #"ARGS: error parsing value of pair "IP=bad": bad IP"#),
        ("Y;IP=bad", #"ARGS: invalid pair "Y""#),
        (";", #"ARGS: invalid pair """#),
        ("IgnoreUnknown=Yes;X=1", #"ARGS: error parsing value of pair "IgnoreUnknown=Yes": boolean unmarshal error: invalid input yes"#),
        ("IgnoreUnknown=1;IgnoreUnknown=False;X=1", #"ARGS: unknown args ["X=1"]"#),
        (#"X="q";Z=\"#, #"ARGS: unknown args ["X=\"q\"" "Z=\\"]"#),
        ("CommonArgs=1",
         "ARGS: cannot unmarshal into field 'CommonArgs' - type '*types.CommonArgs' does not implement encoding.TextUnmarshaler"),
    ])
    func firstProblem(raw: String, message: String) {
        #expect(throws: CNIError(.invalidEnvironmentVariables, message)) {
            try CNIArgs(raw, knownKeys: ["IP"]) { _, value in value == "bad" ? "bad IP" : nil }
        }
    }
}
