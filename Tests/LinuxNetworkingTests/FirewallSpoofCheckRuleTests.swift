import CNISpec
import Testing
@testable import LinuxNetworking

@Suite("Firewall: macspoofchk rule text")
struct FirewallSpoofCheckRuleTests {
    static let tag = MACSpoofCheckPlan.networkTag("n12")

    /// `nft -a list table bridge nat` with c1/eth0 set up by us (tagged) and
    /// c2/eth0 set up by the reference (untagged).
    static var listingText: String {
        """
        table bridge nat { # handle 2
        \tchain PREROUTING { # handle 1
        \t\ttype filter hook prerouting priority dstnat; policy accept;
        \t\tiifname "veth1" jump cni-br-iface-c1-eth0 comment "macspoofchk-c1-eth0" # handle 4
        \t\tiifname "veth2" jump cni-br-iface-c2-eth0 comment "macspoofchk-c2-eth0" # handle 9
        \t}

        \tchain cni-br-iface-c1-eth0 { # handle 2
        \t\tcomment "\(tag)"
        \t\tjump cni-br-iface-c1-eth0-mac comment "macspoofchk-c1-eth0" # handle 5
        \t}

        \tchain cni-br-iface-c1-eth0-mac { # handle 3
        \t\tether saddr 0a:58:0a:0c:00:02 return comment "macspoofchk-c1-eth0" # handle 6
        \t\tdrop comment "macspoofchk-c1-eth0" # handle 7
        \t}

        \tchain cni-br-iface-c2-eth0 { # handle 10
        \t\tjump cni-br-iface-c2-eth0-mac comment "macspoofchk-c2-eth0" # handle 11
        \t}

        \tchain cni-br-iface-c2-eth0-mac { # handle 12
        \t\tether saddr 0a:58:0a:0c:00:03 return comment "macspoofchk-c2-eth0" # handle 13
        \t\tdrop comment "macspoofchk-c2-eth0" # handle 14
        \t}
        }

        """
    }

    @Test("setUp on an empty table creates everything in one transaction")
    func setUpFresh() {
        let script = MACSpoofCheckPlan.setUpScript(listing: nil, network: "n12", hostInterface: "veth1", containerID: "c1", ifname: "eth0", mac: "0A:58:0A:0C:00:02")
        #expect(script == """
            add table bridge nat
            add chain bridge nat PREROUTING { type filter hook prerouting priority -300 ; policy accept ; }
            add chain bridge nat cni-br-iface-c1-eth0 { comment "\(Self.tag)" ; }
            add chain bridge nat cni-br-iface-c1-eth0-mac
            flush chain bridge nat cni-br-iface-c1-eth0
            flush chain bridge nat cni-br-iface-c1-eth0-mac
            add rule bridge nat PREROUTING iifname "veth1" jump cni-br-iface-c1-eth0 comment "macspoofchk-c1-eth0"
            add rule bridge nat cni-br-iface-c1-eth0 jump cni-br-iface-c1-eth0-mac comment "macspoofchk-c1-eth0"
            add rule bridge nat cni-br-iface-c1-eth0-mac ether saddr 0a:58:0a:0c:00:02 return comment "macspoofchk-c1-eth0"
            add rule bridge nat cni-br-iface-c1-eth0-mac drop comment "macspoofchk-c1-eth0"

            """)
    }

    @Test("setUp with everything in place does nothing")
    func setUpInPlace() {
        let listing = NFTListing(parsing: Self.listingText)
        #expect(MACSpoofCheckPlan.setUpScript(listing: listing, network: "n12", hostInterface: "veth1", containerID: "c1", ifname: "eth0", mac: "0A:58:0A:0C:00:02") == nil)
    }

    @Test("setUp with another host veth replaces the PREROUTING rule and leaves the base chain alone")
    func setUpAgain() throws {
        let listing = NFTListing(parsing: Self.listingText)
        let script = try #require(MACSpoofCheckPlan.setUpScript(listing: listing, network: "n12", hostInterface: "veth9", containerID: "c1", ifname: "eth0", mac: "0a:58:0a:0c:00:02"))
        #expect(!script.contains("add chain bridge nat PREROUTING"))
        #expect(script.contains("delete rule bridge nat PREROUTING handle 4\n"))
        #expect(script.contains("add rule bridge nat PREROUTING iifname \"veth9\" jump cni-br-iface-c1-eth0"))
        #expect(!script.contains("handle 9"))
        #expect(!script.contains("delete chain"))
    }

    @Test("setUp over the reference's untagged chain recreates it with the tag")
    func setUpOverReference() throws {
        let listing = NFTListing(parsing: Self.listingText)
        let script = try #require(MACSpoofCheckPlan.setUpScript(listing: listing, network: "n12", hostInterface: "veth2", containerID: "c2", ifname: "eth0", mac: "0a:58:0a:0c:00:03"))
        #expect(script.contains("delete rule bridge nat PREROUTING handle 9\ndelete chain bridge nat cni-br-iface-c2-eth0\nadd chain bridge nat cni-br-iface-c2-eth0 { comment"))
    }

    @Test("tearDown finds the PREROUTING rule by comment, without the host interface")
    func tearDown() {
        let listing = NFTListing(parsing: Self.listingText)
        #expect(MACSpoofCheckPlan.tearDownScript(listing: listing, containerID: "c2", ifname: "eth0") == """
            delete rule bridge nat PREROUTING handle 9
            delete chain bridge nat cni-br-iface-c2-eth0
            delete chain bridge nat cni-br-iface-c2-eth0-mac

            """)
        #expect(MACSpoofCheckPlan.tearDownScript(listing: listing, containerID: "c3", ifname: "eth0") == nil)
        #expect(MACSpoofCheckPlan.tearDownScript(listing: nil, containerID: "c1", ifname: "eth0") == nil)
    }

    @Test("GC removes only this network's tagged attachments that are not valid")
    func garbageCollect() {
        let listing = NFTListing(parsing: Self.listingText)
        #expect(MACSpoofCheckPlan.garbageCollectScript(listing: listing, network: "n12", validAttachments: []) == """
            delete rule bridge nat PREROUTING handle 4
            delete chain bridge nat cni-br-iface-c1-eth0
            delete chain bridge nat cni-br-iface-c1-eth0-mac

            """)
        #expect(MACSpoofCheckPlan.garbageCollectScript(listing: listing, network: "n12", validAttachments: [Attachment(containerID: "c1", ifname: "eth0")]) == nil)
        #expect(MACSpoofCheckPlan.garbageCollectScript(listing: listing, network: "other", validAttachments: []) == nil)
    }

    @Test("CHECK compares all four rules")
    func check() {
        let listing = NFTListing(parsing: Self.listingText)
        #expect(MACSpoofCheckPlan.missing(listing: listing, hostInterface: "veth1", containerID: "c1", ifname: "eth0", mac: "0a:58:0a:0c:00:02") == nil)
        let wrongMAC = MACSpoofCheckPlan.missing(listing: listing, hostInterface: "veth1", containerID: "c1", ifname: "eth0", mac: "0a:58:0a:0c:00:09")
        #expect(wrongMAC?.contains("ether saddr 0a:58:0a:0c:00:09") == true)
        #expect(MACSpoofCheckPlan.missing(listing: listing, hostInterface: "vethX", containerID: "c1", ifname: "eth0", mac: "0a:58:0a:0c:00:02") != nil)
    }
}
