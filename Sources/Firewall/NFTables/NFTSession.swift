/// The nf_tables socket of one plugin call: opened on first use and
/// shared by every step of the call that speaks nf_tables (the MAC spoof
/// check, the iptables-nft lookups and the nftables rules of one ADD, DEL,
/// CHECK or GC), so that the call pays for one socket and one release, not
/// one per step: every release starts a child (see `NetfilterSocket` on
/// closing).
///
/// Ownership: the plugin makes one session per call, at its edge (the
/// bridge plugin's entry point, `BridgePlugin`), and hands it to the
/// command, which passes it explicitly to the masquerade backend and the
/// spoof check alike. No firewall API makes a session of its own (none has
/// a default), so a step cannot open a second socket by omission. The
/// socket is released when the last holder of the session lets it go: the
/// command, when the call is done.
///
/// It belongs to the network namespace it was first used in: hand a session
/// only to steps that run in the same one. Not thread-safe, like the socket
/// (one plugin process, one thread): a session is never used by two threads.
public final class NFTSession: @unchecked Sendable {
    private var socket: NFTSocket?

    /// How many sockets this session opened: 0 until first used, then 1.
    private(set) var socketsOpened = 0

    public init() {}

    /// The session's socket, opened now if it is not yet.
    func openSocket() throws(FirewallError) -> NFTSocket {
        if let socket { return socket }
        let opened = try NFTSocket()
        socket = opened
        socketsOpened += 1
        return opened
    }
}
