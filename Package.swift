// swift-tools-version:6.0
import PackageDescription

// Two short-lived CNI plugins: no Foundation, no Dispatch, no async, so a
// call starts in about a millisecond and the process stays single-threaded,
// which `setns` needs.

// Our modules do without `_StringProcessing` (Regex and the substring
// searches `contains(_:)`, `firstRange(of:)`, `ranges(of:)`, `split` on a
// string separator): linked statically, it and `_RegexParser` add 1.2 MB to
// a binary. Without the implicit import, any use fails to compile.
let ourModule: [SwiftSetting] = [
    .unsafeFlags(["-Xfrontend", "-disable-implicit-string-processing-module-import"]),
]

// `swift build -c release` alone builds the binaries we ship: fully static
// (Swift runtime, libnl and glibc linked in, so a node needs nothing else)
// and stripped. Debug builds and `swift test` stay ordinary dynamic builds.
let shippedExecutable: [LinkerSetting] = [
    .unsafeFlags(["-static-executable", "-Xlinker", "--strip-all"], .when(configuration: .release)),
]

let package = Package(
    name: "swift-cni-plugins",
    products: [
        .executable(name: "host-local", targets: ["host-local"]),
        .executable(name: "bridge", targets: ["bridge"]),
    ],
    targets: [
        // The one C boundary: libnl-3 / libnl-route-3, plus the few Linux
        // syscalls (setns, gettid) that Swift's Glibc module does not expose.
        .systemLibrary(
            name: "CNetlink",
            path: "Sources/CNetlink",
            pkgConfig: "libnl-route-3.0",
            providers: [.apt(["libnl-3-dev", "libnl-route-3-dev"])]
        ),
        // Process, clock and I/O helpers that speak no CNI: child processes
        // (`Subprocess`), the process environment, the monotonic clock,
        // whole reads and writes of a descriptor, errno texts, Go's quoting.
        .target(name: "SystemSupport", swiftSettings: ourModule),
        // The CNI spec: JSON, versions, errors, environment, CNI_ARGS,
        // results and their conversions, the command dispatcher, delegation.
        .target(name: "CNISpec", dependencies: ["SystemSupport"], swiftSettings: ourModule),
        // host-local's allocator (ranges, range sets, round-robin) and its
        // on-disk store, compatible with the reference's.
        .target(name: "IPAM", dependencies: ["CNISpec", "SystemSupport"], swiftSettings: ourModule),
        // The host-local plugin: its config and its six commands.
        .target(name: "HostLocal", dependencies: ["CNISpec", "IPAM", "SystemSupport"], swiftSettings: ourModule),
        // The kernel's network state, and the only importer of CNetlink:
        // links, addresses, routes (rtnetlink through libnl), namespaces,
        // sysctls, and the netfilter-netlink wire (message builder,
        // attribute parser, socket, nf_tables ABI numbers) the firewall
        // speaks nf_tables over.
        .target(name: "Netlink", dependencies: ["CNetlink", "CNISpec", "SystemSupport"], swiftSettings: ourModule),
        // Masquerading (iptables and nftables backends) and the MAC spoof
        // check: nf_tables rules composed here, sent through Netlink's
        // typed API; never the reverse.
        .target(name: "Firewall", dependencies: ["Netlink", "CNISpec", "SystemSupport"], swiftSettings: ourModule),
        // The bridge plugin: its config and its six commands.
        .target(name: "Bridge", dependencies: ["CNISpec", "Netlink", "Firewall", "SystemSupport"], swiftSettings: ourModule),
        // The release name the executables print in their about line; nil
        // except while scripts/release.sh builds.
        .target(name: "ReleaseVersion", swiftSettings: ourModule),
        // The two executables, each a tiny main file in Sources/Executables
        // (lowercase, like the binaries they build), calling its plugin
        // library (CamelCase, beside them in Sources).
        .executableTarget(name: "host-local", dependencies: ["HostLocal", "ReleaseVersion"],
                         path: "Sources/Executables/host-local",
                         swiftSettings: ourModule, linkerSettings: shippedExecutable),
        .executableTarget(name: "bridge", dependencies: ["Bridge", "ReleaseVersion"],
                          path: "Sources/Executables/bridge",
                          swiftSettings: ourModule, linkerSettings: shippedExecutable),
        // What every test target shares: the child-process runner, JSON,
        // scratch directories and files, and the one guard that keeps
        // root-only tests out of the machine's namespaces. No product
        // depends on it, so it is never linked into a plugin.
        .target(name: "TestKit", path: "Tests/TestKit"),
        .testTarget(name: "CNISpecTests", dependencies: ["CNISpec"]),
        .testTarget(name: "IPAMTests", dependencies: ["IPAM", "TestKit"]),
        .testTarget(name: "HostLocalTests", dependencies: ["HostLocal", "IPAM", "CNISpec", "TestKit"]),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "CNISpec", "SystemSupport", "TestKit"]),
        .testTarget(name: "FirewallTests", dependencies: ["Firewall", "Netlink", "CNetlink", "CNISpec", "SystemSupport", "TestKit"]),
        .testTarget(name: "BridgeTests", dependencies: ["Bridge", "Netlink", "Firewall", "CNISpec", "TestKit"]),
    ]
)
