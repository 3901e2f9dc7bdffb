import TestKit
import Testing

/// Ours against the reference (Debian's v1.1.1): same configs, CNI_ARGS and
/// versions into two fresh dataDirs give the same results, the same error
/// messages (ours with better codes) and the same files.
///
/// Intended differences, not compared: the reference's errors carry no
/// `cniVersion` and are all code 999; its 1.0.0 results print an empty
/// `dns`; it speaks no 1.1.0 (its 1.0.0 output is compared with our 1.1.0);
/// its files are 0644 and its `lock` 0750; we keep a private `.index`.
@Suite("Differential: ours against the reference host-local", .enabled(if: Plugin.referenceIsInstalled, "reference /usr/lib/cni/host-local is not installed"))
struct ReferenceDifferentialTests {
    static let range = #""ranges": [[{"subnet": "10.1.2.0/24"}]]"#
    static let small = #""ranges": [[{"subnet": "10.1.2.0/29"}]]"#
    static let dualStack = #""ranges": [[{"subnet": "10.1.2.0/24"}], [{"subnet": "2001:db8:1::/64"}]]"#
    static let versions = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]

    static let lifecycles: [DifferentialCase] = versions.flatMap { version -> [DifferentialCase] in
        let checkCode: Int? = version < "0.4.0" ? 1 : nil
        return [
            DifferentialCase(
                name: "single range, \(version)", ipam: range + #", "routes": [{"dst": "0.0.0.0/0"}, {"dst": "10.0.0.0/8", "gw": "10.1.2.254"}]"#,
                version: version,
                steps: [.add("c1"), .add("c2"), .del("c1"), .add("c3"), .check("c2", fails: checkCode), .del("c9"), .del("c2"), .del("c2")]),
            DifferentialCase(
                name: "dual stack, \(version)", ipam: dualStack + #", "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0", "gw": "2001:db8:1::9"}]"#,
                version: version,
                steps: [.add("c1"), .add("c1", ifname: "net1"), .del("c1"), .add("c2"), .check("c1", ifname: "net1", fails: checkCode)]),
        ]
    }

    static let configurations: [DifferentialCase] = [
        DifferentialCase(name: "legacy subnet, rangeStart, rangeEnd, gateway",
                         ipam: #""subnet": "10.5.0.0/16", "rangeStart": "10.5.1.10", "rangeEnd": "10.5.1.11", "gateway": "10.5.0.254""#,
                         steps: [.add("c1"), .add("c2"), .add("c3", fails: 11)]),
        DifferentialCase(name: "ipRanges before subnet before ranges", ipam: #""subnet": "10.5.0.0/24", "ranges": [[{"subnet": "10.1.2.0/24"}]]"#,
                         topLevel: #""runtimeConfig": {"ipRanges": [[{"subnet": "10.9.0.0/24"}]]}"#, version: "1.0.0",
                         steps: [.add("c1"), .add("c2"), .del("c1")]),
        DifferentialCase(name: "resolvConf", ipam: range + #", "resolvConf": "RESOLV_CONF""#, steps: [.add("c1")]),
        DifferentialCase(name: "of two addresses that do not parse in a range, the first in the config is named",
                         ipam: #""ranges": [[{"subnet": "10.1.2.0/24", "gateway": "nonsense", "rangeStart": "x"}]]"#,
                         steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "of two legacy range addresses that do not parse, the first in the config is named",
                         ipam: #""rangeEnd": "y", "subnet": "10.1.2.0/24", "rangeStart": "x""#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "a legacy range key before a route that does not parse: the route is named, not the subnet after it",
                         ipam: #""rangeEnd": "10.1.255.254", "routes": [{"dst": "bogus"}], "subnet": "10.01.2.0/24""#,
                         steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "args.cni that is no object fails as it decodes, before the range sets are checked",
                         ipam: #""ranges": [[{"subnet": "10.1.2.0/30"}], [{"subnet": "10.1.2.0/28"}]]"#,
                         topLevel: #""args": {"cni": "x"}"#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "resolvConf, 0.2.0", ipam: range + #", "resolvConf": "RESOLV_CONF""#, version: "0.2.0", steps: [.add("c1")]),
        DifferentialCase(name: "a NUL in resolvConf", ipam: range + #", "resolvConf": "/etc/resolv.conf\u0000x""#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "missing resolvConf", ipam: range + #", "resolvConf": "/nonexistent/resolv.conf""#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "0.2.0 with two IPv4 range sets", ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}], [{"subnet": "10.1.3.0/24"}]]"#,
                         version: "0.2.0", steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "0.1.0 with two IPv6 range sets", ipam: #""ranges": [[{"subnet": "2001:db8::/64"}], [{"subnet": "2001:db8:1::/64"}]]"#,
                         version: "0.1.0", steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "exhaustion", ipam: #""ranges": [[{"subnet": "10.1.2.0/30"}, {"subnet": "10.1.3.0/30"}]]"#,
                         steps: [.add("c1"), .add("c2"), .add("c3", fails: 11), .del("c1"), .add("c3")]),
        DifferentialCase(name: "wrap-around and the gateway skipped", ipam: #""ranges": [[{"subnet": "10.1.2.0/29", "gateway": "10.1.2.4"}]]"#,
                         steps: [.add("c1"), .add("c2"), .add("c3"), .add("c4"), .del("c2"), .add("c5"), .add("c6"), .add("c7", fails: 11)]),
        DifferentialCase(name: "IPv6 /120: no broadcast, rangeStart near the end", ipam: #""ranges": [[{"subnet": "fd00:1::/120", "rangeStart": "fd00:1::fe"}]]"#,
                         steps: [.add("c1"), .add("c2"), .add("c3", fails: 11)]),
        DifferentialCase(name: "rangeStart at the network address, rangeEnd at broadcast, gateway outside",
                         ipam: #""ranges": [[{"subnet": "10.1.2.0/30", "rangeStart": "10.1.2.0", "rangeEnd": "10.1.2.3", "gateway": "192.168.0.1"}]]"#,
                         steps: [.add("c1"), .add("c2"), .add("c3"), .add("c4"), .add("c5", fails: 11)]),
        DifferentialCase(name: "non-canonical IPv6 in the config", ipam: #""ranges": [[{"subnet": "2001:0DB8:0000:0001::/64", "rangeStart": "2001:db8:0:1:0:0:1:0"}]]"#,
                         steps: [.add("c1"), .add("c2")]),
        DifferentialCase(name: "unknown keys are ignored", ipam: range + #", "futureKey": {"x": [1]}"#, topLevel: #""somethingElse": true, "dns": {"nameservers": ["9.9.9.9"]}"#,
                         steps: [.add("c1")]),
        DifferentialCase(name: "duplicate ADD", ipam: dualStack, steps: [.add("c1"), .add("c1", fails: 999), .add("c1", ifname: "net1")]),
        DifferentialCase(name: "a route destination with host bits is copied as written",
                         ipam: range + #", "routes": [{"dst": "10.1.2.3/8", "gw": "10.1.2.254"}, {"dst": "2001:db8::5/32"}]"#,
                         steps: [.add("c1")]),
    ]

    static let staticRequests: [DifferentialCase] = [
        DifferentialCase(name: "CNI_ARGS IP with a prefix", ipam: range, steps: [.add("c1", args: "IP=10.1.2.5/16"), .add("c2", args: "IgnoreUnknown=1;IP=10.1.2.5", fails: 11), .add("c2")]),
        DifferentialCase(name: "args.cni.ips and runtimeConfig.ips, dual stack", ipam: dualStack,
                         topLevel: #""args": {"cni": {"ips": ["2001:db8:1::99"]}}, "runtimeConfig": {"ips": ["::ffff:10.1.2.99"]}"#,
                         steps: [.add("c1"), .add("c2", fails: 11)]),
        DifferentialCase(name: "the gateway requested", ipam: range, steps: [.add("c1", args: "IP=10.1.2.1", fails: 7)]),
        DifferentialCase(name: "outside every range", ipam: dualStack, steps: [.add("c1", args: "IP=10.9.9.9", fails: 7), .add("c1")]),
        DifferentialCase(name: "an invalid requested address", ipam: range, topLevel: #""runtimeConfig": {"ips": ["bogus"]}"#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "the same address from every source is one request", ipam: range,
                         topLevel: #""args": {"cni": {"ips": ["10.1.2.7"]}}, "runtimeConfig": {"ips": ["10.1.2.7/24"]}"#,
                         steps: [.add("c1", args: "IP=10.1.2.7")]),
        // (A static request for an attachment that already holds an address
        // is refused by us, accepted by the reference: StaticIPTests.)
        DifferentialCase(name: "a static request for another interface of the container", ipam: range,
                         steps: [.add("c1"), .add("c1", ifname: "net1", args: "IP=10.1.2.50")]),
    ]

    static let cniArgsCases: [DifferentialCase] = [
        ("lower-case ip", "ip=10.1.2.9", 4 as Int?), ("MAC without IgnoreUnknown", "MAC=0a:58:0a:01:02:03", 4),
        ("Kubernetes args", "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=x;K8S_POD_INFRA_CONTAINER_ID=abc", nil),
        ("IgnoreUnknown=true last", "ip=10.1.2.9;IgnoreUnknown=true", nil), ("a pair without =", "IP", 4),
        ("a value with =", "IP=a=b", 4), ("an unparseable IP", "IP=bogus", 4), ("an empty pair", "IP=10.1.2.9;", 4),
        ("a lone ;", ";", 4), ("an empty IP is no request", "IP=", nil),
        ("values parsed left to right, before unknown keys", "X=1;IP=bogus", 4),
        ("a bad value before a later bad pair", "IP=bogus;Y", 4),
        ("IgnoreUnknown that is no boolean", "IgnoreUnknown=yes;X=1", 4),
        ("the last IgnoreUnknown decides", "IgnoreUnknown=1;IgnoreUnknown=0;X=1", 4),
        ("unknown pairs quoted as Go quotes them", #"X="q";Z=\"#, 4), ("the embedded CommonArgs", "CommonArgs=1", 4),
    ].map { name, args, code in DifferentialCase(name: "CNI_ARGS: \(name)", ipam: range, steps: [.add("c1", args: args, fails: code)]) }

    /// Two things wrong at once: the one the reference names first.
    static let precedenceCases: [DifferentialCase] = [
        DifferentialCase(name: "CNI_ARGS before a config without ranges", ipam: "",
                         steps: [.add("c1", args: "IgnoreUnknown=0;MAC=0a:58:0a:01:02:03", fails: 4), .del("c1", fails: 7)]),
        DifferentialCase(name: "CNI_ARGS before an invalid range", ipam: #""ranges": [[{"subnet": "10.1.2.1/24"}]]"#,
                         steps: [.add("c1", args: "IP=bogus", fails: 4)]),
        DifferentialCase(name: "a subnet that does not parse before CNI_ARGS", ipam: #""ranges": [[{"subnet": "bogus"}]]"#,
                         steps: [.add("c1", args: "IP=bogus", fails: 7)]),
        DifferentialCase(name: "a bad static address in args before an invalid range",
                         ipam: #""ranges": [[{"subnet": "10.1.2.1/24"}]]"#, topLevel: #""args": {"cni": {"ips": ["bogus"]}}"#,
                         steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "ipam members decoded in their order: routes before a later subnet",
                         ipam: #""routes": [{"dst": "bogus"}], "subnet": "garbage""#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "ipam members decoded in their order: a gateway before later ranges",
                         ipam: #""gateway": "nope", "ranges": [[{"subnet": "bogus"}]]"#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "runtimeConfig decoded before ipam when it comes first",
                         ipam: #""ranges": [[{"subnet": "bogus"}]]"#, template:
                            #"{"cniVersion": "VERSION", "name": "testnet", "runtimeConfig": {"ips": ["nope"]}, "ipam": {"type": "host-local", "dataDir": "DATADIR", "ranges": [[{"subnet": "bogus"}]]}}"#,
                         steps: [.add("c1", fails: 7)]),
    ]

    static let invalidConfigs: [DifferentialCase] = [
        ("no ipam", #"{"cniVersion": "VERSION", "name": "testnet"}"#),
        ("no ranges", #"{"cniVersion": "VERSION", "name": "testnet", "ipam": {"type": "host-local", "dataDir": "DATADIR"}}"#),
        ("missing name", #"{"cniVersion": "VERSION", "ipam": {"type": "host-local", "dataDir": "DATADIR", "subnet": "10.1.2.0/24"}}"#),
        ("invalid name", #"{"cniVersion": "VERSION", "name": "bad name", "ipam": {"type": "host-local", "dataDir": "DATADIR", "subnet": "10.1.2.0/24"}}"#),
    ].map { name, template in
        DifferentialCase(name: name, ipam: "", template: template, steps: [.add("c1", fails: 7), .del("c1", fails: 7)])
    } + [
        ("host bits set", #"[[{"subnet": "10.1.2.1/24"}]]"#),
        ("/31 too small", #"[[{"subnet": "10.1.2.0/31"}]]"#),
        ("/127 too small", #"[[{"subnet": "2001:db8::/127"}]]"#),
        ("invalid CIDR", #"[[{"subnet": "10.1.2.0/33"}]]"#),
        ("missing subnet", #"[[{"rangeStart": "10.1.2.5"}]]"#),
        ("rangeStart outside", #"[[{"subnet": "10.1.2.0/24", "rangeStart": "10.1.3.5"}]]"#),
        ("rangeEnd outside", #"[[{"subnet": "10.1.2.0/24", "rangeEnd": "10.1.3.5"}]]"#),
        ("rangeStart after rangeEnd", #"[[{"subnet": "10.1.2.0/24", "rangeStart": "10.1.2.50", "rangeEnd": "10.1.2.40"}]]"#),
        ("an invalid rangeStart", #"[[{"subnet": "10.1.2.0/24", "rangeStart": "bogus"}]]"#),
        ("an IPv6 rangeStart in an IPv4 range", #"[[{"subnet": "10.1.2.0/24", "rangeStart": "2001:db8::1"}]]"#),
        ("overlapping ranges in a set", #"[[{"subnet": "10.1.0.0/22"}, {"subnet": "10.1.2.0/24"}]]"#),
        ("overlapping range sets", #"[[{"subnet": "10.1.0.0/22"}], [{"subnet": "10.1.2.0/24"}]]"#),
        ("mixed families in a set", #"[[{"subnet": "10.1.2.0/24"}, {"subnet": "2001:db8::/64"}]]"#),
        ("an empty range set", #"[[{"subnet": "10.1.2.0/24"}], []]"#),
        ("an IPv4-mapped subnet", #"[[{"subnet": "::ffff:10.1.2.0/120"}]]"#),
    ].map { name, ranges in
        DifferentialCase(name: name, ipam: #""ranges": "# + ranges, steps: [.add("c1", fails: 7), .del("c1", fails: 7)])
    } + [
        DifferentialCase(name: "unsupported version", ipam: range, version: "9.9.9", steps: [.add("c1", fails: 1), .del("c1", fails: 1)]),
        DifferentialCase(name: "dataDir is a file", ipam: range, setup: { net in writeFile(net.dataDir, "x") },
                         steps: [.add("c1", fails: 999), .del("c1", fails: 999)]),
        DifferentialCase(name: "not JSON", ipam: "", template: "{nope", steps: [.add("c1", fails: 6)]),
        DifferentialCase(name: "an empty set after the legacy subnet is numbered in the whole config",
                         ipam: #""subnet": "10.5.0.0/24", "ranges": [[]]"#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "a range without subnet after ipRanges is numbered in the whole config",
                         ipam: #""ranges": [[{"rangeStart": "10.1.2.5"}]]"#,
                         topLevel: #""runtimeConfig": {"ipRanges": [[{"subnet": "10.9.0.0/24"}]]}"#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "a range without subnet is reported after the errors of the ranges before it",
                         ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}, {"subnet": "10.1.3.1/24"}, {"rangeStart": "10.1.4.5"}]]"#,
                         steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "a range without subnet is reported before overlaps",
                         ipam: #""ranges": [[{"subnet": "10.1.0.0/16"}, {"subnet": "10.1.3.0/24"}, {"rangeStart": "10.1.4.5"}]]"#,
                         steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "an unparseable subnet after a missing one is a JSON error first",
                         ipam: #""ranges": [[{"rangeStart": "10.1.4.5"}], [{"subnet": "bogus"}]]"#,
                         steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "a range without subnet still has its addresses parsed",
                         ipam: #""ranges": [[{"rangeStart": "bogus"}]]"#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "an empty legacy subnet", ipam: #""subnet": "", "ranges": [[{"subnet": "10.1.2.0/24"}]]"#,
                         steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "an empty subnet in a range", ipam: #""ranges": [[{"subnet": ""}]]"#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "range members decoded in their order: a gateway before a rangeStart",
                         ipam: #""ranges": [[{"subnet": "fd00:1::/64", "gateway": "nonsense", "rangeStart": "x"}]]"#,
                         steps: [.add("c1", fails: 7)]),
    ]

    /// Keys set to null, as Go decodes them: a CIDR (a subnet, a route's
    /// dst) parses the empty string and fails while the JSON is decoded,
    /// before any other check; a null range set is an empty one, a null
    /// range one without subnet; any other null is as good as absent.
    static let nulls: [DifferentialCase] = [
        DifferentialCase(name: "a null legacy subnet", ipam: #""subnet": null, "ranges": [[{"subnet": "10.1.2.0/24"}]]"#,
                         steps: [.add("c1", fails: 7), .del("c1", fails: 7)]),
        DifferentialCase(name: "a null subnet in a range", ipam: #""ranges": [[{"subnet": null}]]"#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "a null subnet in runtimeConfig.ipRanges", ipam: range,
                         topLevel: #""runtimeConfig": {"ipRanges": [[{"subnet": null}]]}"#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "a null route dst", ipam: range + #", "routes": [{"dst": null}]"#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "a null CIDR is reported before the ranges are checked",
                         ipam: #""ranges": [[{"subnet": "10.1.2.1/24"}]], "routes": [{"dst": null}]"#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "a subnet that does not parse before a null CIDR is reported first",
                         ipam: #""ranges": [[{"subnet": "10.1.2.0/33"}]], "subnet": null"#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "a route gateway that does not parse before a null CIDR is reported first",
                         ipam: #""routes": [{"dst": "10.0.0.0/8", "gw": "10.1.2.300"}], "subnet": null, "# + range,
                         steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "a null CIDR before a subnet that does not parse is reported first",
                         ipam: #""subnet": null, "ranges": [[{"subnet": "10.1.2.0/33"}]]"#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "a null range set is an empty one", ipam: #""ranges": [[{"subnet": "10.1.2.0/24"}], null]"#,
                         steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "a null range has no subnet", ipam: #""ranges": [[null]]"#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "a null ipRanges set is an empty one", ipam: range,
                         topLevel: #""runtimeConfig": {"ipRanges": [null]}"#, steps: [.add("c1", fails: 7)]),
        DifferentialCase(name: "any other null is absent",
                         ipam: #""rangeStart": null, "gateway": null, "resolvConf": null, "routes": null, "#
                             + #""ranges": [[{"subnet": "10.1.2.0/24", "rangeStart": null, "rangeEnd": null, "gateway": null}]]"#,
                         topLevel: #""args": {"cni": {"ips": null}}, "runtimeConfig": {"ips": null, "ipRanges": null}, "dns": null"#,
                         steps: [.add("c1"), .del("c1")]),
    ]

    static let stores: [DifferentialCase] = [
        DifferentialCase(name: "a legacy file is released by DEL and found by CHECK", ipam: range,
                         setup: { net in
                             makeDirectory(net.dataDir)
                             makeDirectory(net.store)
                             writeFile(net.store + "/10.1.2.9", "c1\n")
                             writeFile(net.store + "/10.1.2.10", " c2 ")
                         },
                         steps: [.check("c1"), .add("c1", fails: 999), .del("c1"), .check("c1", fails: 999), .del("c2"), .add("c1")]),
        DifferentialCase(name: "garbage in last_reserved_ip.0 is ignored", ipam: small,
                         setup: { net in
                             makeDirectory(net.dataDir)
                             makeDirectory(net.store)
                             writeFile(net.store + "/last_reserved_ip.0", "not an ip")
                         },
                         steps: [.add("c1"), .add("c2")]),
        DifferentialCase(name: "last_reserved_ip.0 is where the walk resumes", ipam: small,
                         setup: { net in
                             makeDirectory(net.dataDir)
                             makeDirectory(net.store)
                             writeFile(net.store + "/last_reserved_ip.0", "10.1.2.5")
                             writeFile(net.store + "/10.1.2.6", "x\r\neth0")
                         },
                         steps: [.add("c1"), .add("c2"), .del("x"), .add("c3"), .add("c4")]),
        DifferentialCase(name: "DEL with one range set keeps a legacy file when an exact one matched", ipam: range,
                         setup: { net in
                             makeDirectory(net.dataDir)
                             makeDirectory(net.store)
                             writeFile(net.store + "/192.168.9.9", "c1")
                         },
                         steps: [.add("c1"), .del("c1"), .check("c1"), .del("c1"), .check("c1", fails: 999)]),
        DifferentialCase(name: "DEL with two range sets also releases legacy files (its second round finds no exact match)", ipam: dualStack,
                         setup: { net in
                             makeDirectory(net.dataDir)
                             makeDirectory(net.store)
                             writeFile(net.store + "/192.168.9.9", "c1")
                         },
                         steps: [.add("c1"), .del("c1"), .check("c1", fails: 999)]),
        DifferentialCase(name: "a reservation rewritten in place as a legacy file is released by DEL (upstream's backwards-compatibility test)",
                         ipam: range, steps: [.add("c1"), .rewrite("10.1.2.2", "c1"), .del("c1"), .add("c2")]),
        DifferentialCase(name: "a reservation rewritten in place as a legacy file is found by CHECK, for any interface",
                         ipam: range, steps: [.add("c1"), .add("c2"), .rewrite("10.1.2.2", "c1"), .check("c1"), .check("c1", ifname: "net1")]),
        DifferentialCase(name: "a reservation rewritten in place as a legacy file makes a second ADD a duplicate",
                         ipam: range, steps: [.add("c1"), .rewrite("10.1.2.2", "c1"), .add("c1", fails: 999), .add("c1", ifname: "net1", fails: 999)]),
        DifferentialCase(name: "a legacy file rewritten in place in the current format is released by an exact DEL",
                         ipam: range,
                         setup: { net in
                             makeDirectory(net.dataDir)
                             makeDirectory(net.store)
                             writeFile(net.store + "/10.1.2.9", "c1")
                         },
                         steps: [.add("c2"), .rewrite("10.1.2.9", "c1\r\neth0"), .del("c1"), .check("c1", fails: 999)]),
        DifferentialCase(name: "a legacy file made in place stays when DEL released an exact one (one range set)",
                         ipam: range,
                         steps: [.add("c1"), .add("c1", ifname: "net1"), .rewrite("10.1.2.3", "c1"), .del("c1"), .check("c1", ifname: "net9"), .del("c1", ifname: "net1"), .check("c1", fails: 999)]),
        DifferentialCase(name: "DEL releases per interface", ipam: dualStack,
                         steps: [.add("c1"), .add("c1", ifname: "net1"), .del("c1", ifname: "net1"), .check("c1"), .check("c1", ifname: "net1", fails: 999)]),
    ]

    @Test("lifecycle in every version", arguments: lifecycles)
    func lifecycle(_ testCase: DifferentialCase) { Self.compare(testCase) }

    @Test("configurations", arguments: configurations)
    func configuration(_ testCase: DifferentialCase) { Self.compare(testCase) }

    @Test("static IP requests", arguments: staticRequests)
    func staticRequest(_ testCase: DifferentialCase) { Self.compare(testCase) }

    @Test("CNI_ARGS", arguments: cniArgsCases)
    func cniArgsCase(_ testCase: DifferentialCase) { Self.compare(testCase) }

    @Test("two errors at once: the reference's first", arguments: precedenceCases)
    func precedenceCase(_ testCase: DifferentialCase) { Self.compare(testCase) }

    @Test("invalid configurations", arguments: invalidConfigs)
    func invalidConfig(_ testCase: DifferentialCase) { Self.compare(testCase) }

    @Test("keys set to null", arguments: nulls)
    func null(_ testCase: DifferentialCase) { Self.compare(testCase) }

    @Test("existing stores", arguments: stores)
    func existingStore(_ testCase: DifferentialCase) { Self.compare(testCase) }

    /// Runs the steps on both implementations, each on its own store, and
    /// compares every outcome and the files left.
    static func compare(_ testCase: DifferentialCase) {
        if let knownIssue = testCase.knownIssue {
            withKnownIssue(Comment(rawValue: knownIssue)) { compareSteps(testCase) }
        } else {
            compareSteps(testCase)
        }
    }

    static func compareSteps(_ testCase: DifferentialCase) {
        let resolvScratch = TemporaryDirectory()
        let resolvConf = resolvScratch.sub("resolv.conf")
        writeFile(resolvConf, "# test\nnameserver 10.0.0.53\nnameserver 2001:db8::53\ndomain a.example\nsearch a.example b.example\noptions ndots:2 edns0\n")
        let ipam = testCase.ipam.replacingAll("RESOLV_CONF", with: resolvConf)
        let ours = TestNetwork(ipam: ipam, topLevel: testCase.topLevel, version: testCase.version, plugin: .ours)
        // The reference speaks no 1.1.0; its 1.0.0 is the same shape.
        let referenceVersion = testCase.version == "1.1.0" ? "1.0.0" : testCase.version
        let reference = TestNetwork(ipam: ipam, topLevel: testCase.topLevel, version: referenceVersion, plugin: .reference)
        testCase.setup?(ours)
        testCase.setup?(reference)

        for (number, step) in testCase.steps.enumerated() {
            let context = "step \(number + 1), \(step)"
            if step.command == Step.rewriteCommand {
                for net in [ours, reference] { writeFile(net.store + "/" + step.containerID, step.extra) }
                continue
            }
            let mine = run(step, on: ours, template: testCase.template)
            let theirs = run(step, on: reference, template: testCase.template)
            if let expectedCode = step.expectedCode {
                guard let myError = mine.error, let theirError = theirs.error else {
                    Issue.record("\(context): both should fail.\n ours: \(mine)\n reference: \(theirs)")
                    continue
                }
                #expect(myError.code == expectedCode, "\(context): \(mine)")
                let myMessage = myError.message.replacingAll(ours.scratch.path, with: "<scratch>")
                let theirMessage = theirError.message.replacingAll(reference.scratch.path, with: "<scratch>")
                #expect(myMessage.contains(theirMessage), "\(context): messages differ.\n ours: \(myMessage)\n reference: \(theirMessage)")
            } else {
                guard mine.succeeded, theirs.succeeded else {
                    Issue.record("\(context): both should succeed.\n ours: \(mine)\n reference: \(theirs)")
                    continue
                }
                if step.command == "ADD" {
                    let expected = theirs.json?.normalizedResult.setting("cniVersion", .string(testCase.version))
                    #expect(mine.json?.normalizedResult == expected, "\(context): results differ.\n ours: \(mine)\n reference: \(theirs)")
                } else {
                    #expect(mine.process.stdout.isEmpty && theirs.process.stdout.isEmpty, "\(context)")
                }
            }
        }
        #expect(ours.sharedFiles == reference.sharedFiles,
                "files differ.\n ours: \(ours.sharedFiles.describedFiles)\n reference: \(reference.sharedFiles.describedFiles)")
    }

    static func run(_ step: Step, on net: TestNetwork, template: String?) -> CallOutcome {
        var call = net.request(step.command, step.containerID, ifname: step.ifname, args: step.args, extra: step.extra)
        if let template {
            call.stdin = Array(template.replacingAll("DATADIR", with: net.dataDir).replacingAll("VERSION", with: net.version).utf8)
        }
        return call.run(net.plugin)
    }
}
