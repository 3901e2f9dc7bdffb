import CNISpec
import Glibc
@testable import Netlink
import Testing

@Suite("MACAddress")
struct MACAddressTests {
    @Test("accepted forms parse and print in lowercase colon form", arguments: [
        ("0a:58:0a:f4:00:02", "0a:58:0a:f4:00:02"),
        ("0A:58:0A:F4:00:02", "0a:58:0a:f4:00:02"),
        ("0a-58-0a-f4-00-02", "0a:58:0a:f4:00:02"),
        ("0a58.0af4.0002", "0a:58:0a:f4:00:02"),
        ("ff:ff:ff:ff:ff:ff", "ff:ff:ff:ff:ff:ff"),
    ])
    func parses(text: String, canonical: String) throws {
        let mac = try #require(MACAddress(text))
        #expect(mac.description == canonical)
        #expect(mac.description.count == 17)
    }

    @Test("malformed text is rejected", arguments: [
        "zz", "", "0a:58:0a:f4:00", "0a:58:0a:f4:00:02:03", "0a:58-0a:f4:00:02", "0a:58:0a:f4:00:0g",
        "0a:58:0a:f4:00:002", "00:00:5e:00:53:01:02:03",
    ])
    func rejects(text: String) {
        #expect(MACAddress(text) == nil)
    }

    @Test("bytes round-trip and the administration bits read from the first byte")
    func bytes() throws {
        let mac = try #require(MACAddress(bytes: [0x0a, 0x58, 0x0a, 0xf4, 0x00, 0x02]))
        #expect(mac.bytes == [0x0a, 0x58, 0x0a, 0xf4, 0x00, 0x02])
        #expect(mac.isLocallyAdministered)
        #expect(!mac.isMulticast)
        #expect(MACAddress(bytes: [1, 2, 3]) == nil)
    }

    @Test("a link can take only a non-zero unicast address as its own", arguments: [
        ("0a:58:0a:f4:00:02", true),
        ("00:16:3e:00:00:01", true),
        ("fe:ff:ff:ff:ff:ff", true),
        ("00:00:00:00:00:00", false),
        ("01:00:5e:00:00:01", false),
        ("33:33:00:00:00:01", false),
        ("ff:ff:ff:ff:ff:ff", false),
    ])
    func validUnicast(text: String, valid: Bool) throws {
        #expect(try #require(MACAddress(text)).isValidUnicast == valid)
    }
}

@Suite("VethName")
struct VethNameTests {
    @Test("names are veth plus eight lowercase hex digits", arguments: [
        (UInt32(0x37075f93), "veth37075f93"),
        (UInt32(0x0000000a), "veth0000000a"),
        (UInt32(0xffffffff), "vethffffffff"),
    ])
    func format(value: UInt32, name: String) {
        #expect(VethName.name(for: value).text == name)
    }

    @Test("random names have the reference's shape and differ")
    func random() {
        let names = (0..<32).map { _ in VethName.random().text }
        for name in names {
            #expect(name.count == 12)
            #expect(name.hasPrefix("veth"))
            #expect(name.dropFirst(4).allSatisfy { "0123456789abcdef".contains($0) })
        }
        #expect(Set(names).count == names.count)
    }
}

@Suite("InterfaceIndex")
struct InterfaceIndexTests {
    @Test("an index is positive: 0 (no interface on the wire) and below are none", arguments: [
        (Int32(1), true), (Int32(7), true), (Int32.max, true), (Int32(0), false), (Int32(-1), false),
    ])
    func positive(raw: Int32, valid: Bool) {
        #expect((InterfaceIndex(raw)?.rawValue == raw) == valid)
        #expect((InterfaceIndex(raw) == nil) == !valid)
    }

    @Test("it prints as the bare number, as in ifindex N messages")
    func description() {
        #expect(InterfaceIndex(42)?.description == "42")
    }
}

@Suite("NetlinkError")
struct NetlinkErrorTests {
    @Test("a composed name the kernel would refuse gets the kernel's errno: ERANGE when too long, else EINVAL", arguments: [
        ("sixteen-chars-xx", NetlinkError.Kind.outOfRange, "numerical result out of range"),
        ("", .invalidArgument, "invalid argument"), ("..", .invalidArgument, "invalid argument"),
        ("br0 .10", .invalidArgument, "invalid argument"), ("br/0", .invalidArgument, "invalid argument"),
    ])
    func composedInterfaceName(text: String, kind: NetlinkError.Kind, reason: String) {
        let error = #expect(throws: NetlinkError.self) { try InterfaceName(kernelName: text, operation: "get link") }
        #expect(error?.kind == kind)
        #expect(error?.description == "get link \"\(text)\": \(reason)")
    }

    @Test("the reason uses the kernel errno in Go's wording", arguments: [
        (EEXIST, "file exists", NetlinkError.Kind.alreadyExists),
        (ENODEV, "no such device", .noSuchDevice),
        (ERANGE, "numerical result out of range", .outOfRange),
        (ESRCH, "no such process", .notFound),
        (EADDRNOTAVAIL, "cannot assign requested address", .addressNotAvailable),
        (EOPNOTSUPP, "operation not supported", .notSupported),
    ])
    func kernelErrno(errno: Int32, reason: String, kind: NetlinkError.Kind) {
        let error = NetlinkError(operation: "add link", object: "\"cni0\"", code: 1, kernelErrno: -errno)
        #expect(error.reason == reason)
        #expect(error.kind == kind)
        #expect(error.description == "add link \"cni0\": \(reason)")
    }

    @Test("without a kernel errno the libnl code decides")
    func libnlCodeOnly() {
        let exists = NetlinkError(operation: "add route", object: "x", code: -6)   // NLE_EXIST
        #expect(exists.isAlreadyExists)
        #expect(exists.libnlMessage == "Object exists")
        #expect(exists.reason == "file exists")
        let notFound = NetlinkError(operation: "delete route", object: "x", code: -12)   // NLE_OBJ_NOTFOUND
        #expect(notFound.isNotFound)
        #expect(notFound.reason == "object not found")
    }
}
