import CNISpec
import Testing

/// What a GC request says is still valid (`NetworkConfig.validAttachments()`).
@Suite("GC valid attachments")
struct ValidAttachmentsTests {
    private func validAttachments(_ members: String) throws -> Set<CNISpec.Attachment>? {
        let text = #"{"cniVersion": "1.1.0", "name": "net", "type": "bridge""# + (members.isEmpty ? "" : ", " + members) + "}"
        let object = try #require(try JSONParser.parse(text).objectValue)
        return try NetworkConfig(object, version: .current).validAttachments()
    }

    private static let one: Set<CNISpec.Attachment> = [CNISpec.Attachment(containerID: "c1", ifname: "eth0")]

    @Test("no list at all says nothing: nil")
    func absent() throws {
        #expect(try validAttachments("") == nil)
    }

    @Test("an empty or null list means nothing is valid",
          arguments: [#""cni.dev/valid-attachments": []"#, #""cni.dev/valid-attachments": null"#,
                      #""cni.dev/attachments": []"#, #""cni.dev/attachments": null"#,
                      #""cni.dev/valid-attachments": null, "cni.dev/attachments": null"#])
    func empty(members: String) throws {
        #expect(try validAttachments(members) == [])
    }

    @Test("either spelling gives the listed attachments",
          arguments: ["cni.dev/valid-attachments", "cni.dev/attachments", "CNI.dev/Valid-Attachments"])
    func listed(key: String) throws {
        #expect(try validAttachments(#""\#(key)": [{"containerID": "c1", "ifname": "eth0"}]"#) == Self.one)
    }

    @Test("the current spelling wins over the older one")
    func currentSpellingWins() throws {
        let members = #""cni.dev/attachments": [], "cni.dev/valid-attachments": [{"containerID": "c1", "ifname": "eth0"}]"#
        #expect(try validAttachments(members) == Self.one)
    }

    @Test("anything but a list of objects is code 7", arguments: ["{}", "7", #""c1""#, #"["c1"]"#, "[null]"])
    func malformed(list: String) throws {
        let error = #expect(throws: CNIError.self) { try validAttachments(#""cni.dev/valid-attachments": \#(list)"#) }
        #expect(error?.code == .invalidNetworkConfig)
    }
}
