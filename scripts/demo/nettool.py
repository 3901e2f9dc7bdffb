"""scripts/demo.sh's network tool, run in pod and node namespaces: an ICMP prober and UDP/TCP
endpoints that report the peer address they see (to tell masqueraded traffic from direct)."""
import os, select, socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
def ping(targets):
    """ICMP echo to every target at once; resend to the silent ones twice; 1.5 s at most."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident, got = os.getpid() & 0xffff, set()
    def send(i, t):
        h = struct.pack('!BBHHH', 8, 0, 0, ident, i) + b'cni-demo'
        s.sendto(h[:2] + struct.pack('!H', csum(h)) + h[4:], (t, 0))
    start = time.monotonic()
    for rnd, until in ((0, 0.5), (1, 1.0), (2, 1.5)):
        for i, t in enumerate(targets):
            if t not in got: send(i, t)
        while len(got) < len(set(targets)):
            left = start + until - time.monotonic()
            if left <= 0 or not select.select([s], [], [], left)[0]: break
            pkt, (src, _) = s.recvfrom(2048)
            ihl = (pkt[0] & 15) * 4
            typ, _, _, pid, seq = struct.unpack('!BBHHH', pkt[ihl:ihl + 8])
            if typ == 0 and pid == ident and seq < len(targets) and targets[seq] == src: got.add(src)
        if len(got) == len(set(targets)): break
    for t in targets: print(t, 1 if t in got else 0)
def udp_serve(port, log, addr):
    # bound to one address, so a reply leaves from the address the client sent to (and
    # conntrack can undo the client's masquerading)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((addr, port))
    open(log + '.ready', 'w').close()
    while True:
        data, (ip, p) = s.recvfrom(512)
        with open(log, 'a') as f: f.write(ip + '\n')
        try: s.sendto(ip.encode(), (ip, p))
        except OSError: pass          # no route back (a pod address seen from the internet)
def udp_ask(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
    for _ in range(3):
        s.sendto(b'who am I?', (host, port))
        try: print(s.recv(512).decode()); return 0
        except socket.timeout: pass
    print('no-reply'); return 1
def tcp_serve(port, msg, ready):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', port)); s.listen(4); open(ready, 'w').close()
    while True:
        c, peer = s.accept(); c.sendall(f'{msg} (pid {os.getpid()}), you are {peer[0]}'.encode()); c.close()
def tcp_ask(host, port):
    try:
        c = socket.create_connection((host, port), timeout=1); print(c.recv(512).decode()); return 0
    except OSError as e:
        print(f'{type(e).__name__}: {e.strerror or e}'); return 1
cmd, a = sys.argv[1], sys.argv[2:]
if cmd == 'ping': ping(a)
elif cmd == 'udp-serve': udp_serve(int(a[0]), a[1], a[2])
elif cmd == 'udp-ask': sys.exit(udp_ask(a[0], int(a[1])))
elif cmd == 'tcp-serve': tcp_serve(int(a[0]), a[1], a[2])
elif cmd == 'tcp-ask': sys.exit(tcp_ask(a[0], int(a[1])))
