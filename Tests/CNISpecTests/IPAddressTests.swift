import Testing
@testable import CNISpec

@Suite("IP addresses and CIDRs")
struct IPAddressTests {
    @Test("canonical text round-trips", arguments: [
        ("10.1.2.3", "10.1.2.3"),
        ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255", "255.255.255.255"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("::", "::"),
        ("::1", "::1"),
        ("fd00:1::ff", "fd00:1::ff"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("::ffff:10.0.0.1", "::ffff:a00:1"),
        ("fe80::", "fe80::"),
    ])
    func canonicalText(input: String, expected: String) {
        #expect(IPAddress(input)?.description == expected)
    }

    @Test("malformed addresses are rejected", arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "a.b.c.d", ":::", "1::2::3",
        "12345::", "1:2:3:4:5:6:7:8:9", ":1:2", "1:2:", "bogus", "1.2.3.-4",
    ])
    func malformed(input: String) {
        #expect(IPAddress(input) == nil)
    }

    @Test("CIDR arithmetic")
    func cidrArithmetic() throws {
        let cidr = try #require(CIDR("10.1.2.3/24"))
        #expect(cidr.networkAddress == IPAddress("10.1.2.0"))
        #expect(cidr.lastAddress == IPAddress("10.1.2.255"))
        #expect(cidr.mask == IPAddress("255.255.255.0"))
        #expect(!cidr.isNetworkAddress)
        #expect(cidr.contains(IPAddress("10.1.2.200")!))
        #expect(!cidr.contains(IPAddress("10.1.3.0")!))
        #expect(!cidr.contains(IPAddress("::1")!))
        let v6 = try #require(CIDR("fd00::/64"))
        #expect(v6.lastAddress.description == "fd00::ffff:ffff:ffff:ffff")
        #expect(CIDR("10.0.0.0/33") == nil)
        #expect(CIDR("10.0.0.0/") == nil)
        #expect(CIDR("10.0.0.0") == nil)
        #expect(CIDR("::/129") == nil)
        #expect(CIDR("0.0.0.0/0")?.contains(IPAddress("1.2.3.4")!) == true)
        #expect(CIDR("10.0.0.0/8")!.overlaps(CIDR("10.2.0.0/16")!))
        #expect(!CIDR("10.0.0.0/16")!.overlaps(CIDR("10.1.0.0/16")!))
    }

    @Test("successor and predecessor stop at the ends of the space")
    func neighbours() {
        #expect(IPAddress("10.0.0.255")?.successor == IPAddress("10.0.1.0"))
        #expect(IPAddress("255.255.255.255")?.successor == nil)
        #expect(IPAddress("0.0.0.0")?.predecessor == nil)
        #expect(IPAddress("::")?.successor == IPAddress("::1"))
    }
}
