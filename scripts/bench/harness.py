"""scripts/bench.sh's harness, run inside the throwaway namespaces: the phases, the A/B calls
through the cnirun server (scripts/bench/cnirun.c), the correctness checks and the table.
Arguments: WORK DRIVER MODE REF OURS ONLY (see scripts/bench.sh)."""
import ipaddress, json, os, shutil, statistics, subprocess, sys, time

WORK, DRIVER, MODE, REF, OURS, ONLY = sys.argv[1:7]
QUICK = MODE == 'quick'
T0 = time.monotonic()
NET = 'benchnet'
SUBNET = ipaddress.ip_network('10.244.0.0/16')
POOL = 128                                   # pod namespaces per side
PAR = 128                                    # parallel pods
# samples per measurement (quick / full)
N_EXEC = 20 if QUICK else 50
N_VER = 20 if QUICK else 100
LEVELS = [0, 1000, 4000, 60000]
N_HL = {0: 20, 1000: 10, 4000: 10, 60000: 5} if QUICK else {0: 100, 1000: 60, 4000: 40, 60000: 30}
BUDGET_60K = 8.0 if QUICK else 30.0          # seconds per side for the 60,000 level; a slower side gets fewer samples
N_BR = 10 if QUICK else 60
N_MASQ = 10 if QUICK else 40                 # samples per ipMasq variant
PAR_REPS = 1 if QUICK else 5
ENV_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

def log(*a): print(f'[{time.monotonic() - T0:6.1f}s]', *a, flush=True)

def sh(*cmd, inp=None, check=True):
    r = subprocess.run(cmd, input=inp, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)}: rc={r.returncode}: {r.stderr.strip()[:300]}')
    return r

# ---------------------------------------------------------------- safety: must be in private namespaces
for kind in ('net', 'mnt'):
    if os.readlink(f'/proc/self/ns/{kind}') == os.environ.get(f'BENCH_OUTER_{kind.upper()}NS'):
        sys.exit(f'bench.sh: refusing to run: not in a private {kind} namespace')

os.makedirs('/run/netns', exist_ok=True)
sh('mount', '-t', 'tmpfs', '-o', 'size=64m,mode=755', 'bench-netns', '/run/netns')
DATA = os.path.join(WORK, 'data')
IO = os.path.join(WORK, 'io')
for d in (DATA, IO): os.makedirs(d)
sh('mount', '-t', 'tmpfs', '-o', 'size=1g,mode=700', 'bench-data', DATA)
sh('ip', 'link', 'set', 'lo', 'up')

class Side:
    def __init__(self, name, d):
        self.name, self.dir = name, d
        self.node = f'/run/netns/bn{name}'
        self.fails = []                      # (what, rc, stdout, stderr) of failed calls
        self.dirty = set()                   # pod indexes whose netns must be recreated
        self.cfg = {}
    def pod(self, i): return f'/run/netns/bp{self.name}{i}'
SIDES = [Side('A', REF), Side('B', OURS)]

lines = []
for s in SIDES:
    lines.append(f'netns add bn{s.name}')
    lines += [f'netns add bp{s.name}{i}' for i in range(POOL)]
sh('ip', '-batch', '-', inp='\n'.join(lines) + '\n')
for s in SIDES: sh('ip', '-n', f'bn{s.name}', 'link', 'set', 'lo', 'up')

def recreate_dirty():
    for s in SIDES:
        if s.dirty:
            cmds = [c for i in sorted(s.dirty) for c in (f'netns del bp{s.name}{i}', f'netns add bp{s.name}{i}')]
            sh('ip', '-batch', '-', inp='\n'.join(cmds) + '\n', check=False)
            s.dirty.clear()

# ---------------------------------------------------------------- plugin calls through the C server
# a call (or a whole batch) still running after 60 s is killed and counted as failed
drv = subprocess.Popen([DRIVER, '60'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

class Call:
    __slots__ = ('rc', 'wall', 'cpu', 'rss', 'out', 'err', 'cid')
    @property
    def ok(self): return self.rc == 0
    def ip(self):
        try: return json.loads(self.out)['ips'][0]['address'].split('/')[0]
        except Exception: return None
    def result(self):
        try: return json.loads(self.out)
        except Exception: return None

def request(side, prog, cmd, cid, conf, netns, k):
    out, err = os.path.join(IO, f'{side.name}{k}.out'), os.path.join(IO, f'{side.name}{k}.err')
    env = [ENV_PATH, f'CNI_COMMAND={cmd}', f'CNI_PATH={side.dir}']
    if cmd != 'VERSION':
        env += [f'CNI_CONTAINERID={cid}', f'CNI_NETNS={netns}', 'CNI_IFNAME=eth0']
    return '\t'.join(['R', side.node, prog, conf, out, err] + env), out, err

def parse(line, out, err, cid):
    f = line.rstrip('\n').split('\t')
    if f[0] == 'E': raise RuntimeError('measuring helper: ' + line.strip())
    c = Call()
    c.rc, c.wall, c.cpu, c.rss = int(f[0]), int(f[1]) / 1e6, (int(f[2]) + int(f[3])) / 1e3, int(f[4])
    c.cid = cid
    with open(out, errors='replace') as fh: c.out = fh.read()
    with open(err, errors='replace') as fh: c.err = fh.read()
    return c

def note_fail(side, what, c):
    if not c.ok: side.fails.append((what, c.rc, c.out.strip()[:300], c.err.strip()[:300]))

def call(side, plugin, cmd, cid, conf, netns='', what=None):
    prog = plugin if plugin.startswith('/') else os.path.join(side.dir, plugin)
    req, out, err = request(side, prog, cmd, cid, conf, netns, 0)
    drv.stdin.write(req + '\n'); drv.stdin.flush()
    c = parse(drv.stdout.readline(), out, err, cid)
    note_fail(side, what or f'{plugin} {cmd}', c)
    return c

def batch(side, plugin, cmd, items, what):
    """items: [(cid, conf, netns)] spawned at once; returns (wall ms first spawn..last exit, [Call])"""
    prog = os.path.join(side.dir, plugin)
    reqs = [request(side, prog, cmd, cid, conf, netns, k + 1) for k, (cid, conf, netns) in enumerate(items)]
    drv.stdin.write(f'B {len(items)}\n' + ''.join(r[0] + '\n' for r in reqs)); drv.stdin.flush()
    calls = [parse(drv.stdout.readline(), out, err, items[k][0]) for k, (_, out, err) in enumerate(reqs)]
    w = drv.stdout.readline().split('\t')
    for c in calls: note_fail(side, what, c)
    return int(w[1]) / 1e6, calls

def orders(i): return SIDES if i % 2 == 0 else SIDES[::-1]

# ---------------------------------------------------------------- confs and stores
def write_json(path, obj):
    with open(path, 'w') as f: json.dump(obj, f)
    return path

def bridge_conf(data):
    return {'cniVersion': '1.0.0', 'name': NET, 'type': 'bridge', 'bridge': 'cni0', 'isGateway': True,
            'ipMasq': False, 'ipam': {'type': 'host-local', 'ranges': [[{'subnet': str(SUBNET)}]], 'dataDir': data}}

def with_prev(side, base, c, tag):
    conf = dict(base)
    r = c.result() if c.ok else None
    if r is not None: conf['prevResult'] = r
    return write_json(os.path.join(IO, f'{side.name}-{tag}.conf'), conf)

def store_ips(data):
    d = os.path.join(data, NET)
    try: names = os.listdir(d)
    except FileNotFoundError: return []
    out = []
    for n in names:
        try: ipaddress.ip_address(n); out.append(n)
        except ValueError: pass
    return out

FILLED = {}   # data dir -> set of IPs written by the pre-fill
def fill(data, target):
    """Bring the store to `target` allocations by writing files as the reference does."""
    d = os.path.join(data, NET)
    os.makedirs(d, mode=0o755, exist_ok=True)
    have = set(store_ips(data))
    mine = FILLED.setdefault(data, set())
    gw, ip, last = int(SUBNET.network_address) + 1, int(SUBNET.network_address) + 2, None
    end = int(SUBNET.broadcast_address)
    while len(have) < target and ip < end:
        name = str(ipaddress.IPv4Address(ip))
        if ip != gw and name not in have:
            fd = os.open(os.path.join(d, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, f'{len(mine):064x}\r\neth0'.encode())   # a 64-hex container id, like a real one
            os.close(fd)
            have.add(name); mine.add(name); last = name
        ip += 1
    if last is not None:
        with open(os.path.join(d, 'last_reserved_ip.0'), 'w') as f: f.write(last)
    return len(have)

def veths(side):
    r = sh('ip', '-n', os.path.basename(side.node), '-o', 'link', 'show', 'type', 'veth', check=False)
    return len([l for l in r.stdout.splitlines() if l.strip()])

# ---------------------------------------------------------------- results
ROWS = []        # (section, metric, nA, nB, wallA, wallB, cpuA, cpuB)
EXTRA = {}       # other tables: name -> list of rows
NOTES = []
def med(v): return statistics.median(v) if v else None
def ratio(a, b): return b / a if a and b is not None else None
def add_row(section, metric, res):
    """res: {side name: [Call]} -> one latency row from the successful calls"""
    v = {n: [c for c in cs if c.ok] for n, cs in res.items()}
    ROWS.append((section, metric, len(v['A']), len(v['B']),
                 med([c.wall for c in v['A']]), med([c.wall for c in v['B']]),
                 med([c.cpu for c in v['A']]), med([c.cpu for c in v['B']])))
    log(f'  {metric}: A {fmt(ROWS[-1][4])} ms (cpu {fmt(ROWS[-1][6])}), B {fmt(ROWS[-1][5])} ms (cpu {fmt(ROWS[-1][7])})'
        f'  n={len(v["A"])}/{len(v["B"])}')
    return ROWS[-1]
def fmt(v, f='{:.2f}'):
    return 'n/a' if v is None else (f.format(v) if isinstance(v, (int, float)) else str(v))
RSS = {}         # metric -> {side: [maxrss]}
def keep_rss(metric, res):
    RSS[metric] = {n: [c.rss for c in cs if c.ok] for n, cs in res.items()}

# ---------------------------------------------------------------- phases
def phase_floor_and_version():
    log('== exec floor and VERSION')
    ver = write_json(os.path.join(IO, 'version.conf'), {'cniVersion': '1.0.0'})
    for s in SIDES:
        c = call(s, 'bridge', 'VERSION', '', ver)
        log(f'  [{s.name}] {s.dir}: bridge VERSION -> {c.out.strip()[:150]}')
        s.version = c.out.strip()
    res = {s.name: [] for s in SIDES}
    for i in range(N_EXEC):
        for s in orders(i): res[s.name].append(call(s, '/bin/true', 'VERSION', '', os.devnull, what='/bin/true'))
    add_row('floor', 'exec floor: spawn+wait /bin/true', res); keep_rss('exec floor (/bin/true)', res)
    for plugin in ('bridge', 'host-local'):
        res = {s.name: [] for s in SIDES}
        for i in range(N_VER):
            for s in orders(i): res[s.name].append(call(s, plugin, 'VERSION', '', ver))
        add_row('version', f'{plugin} VERSION', res); keep_rss(f'{plugin} VERSION', res)

def phase_hostlocal():
    log('== host-local alone: ADD then DEL at each store occupancy')
    for s in SIDES:
        s.hl_data = os.path.join(DATA, s.name, 'hl')
        s.hl_conf = write_json(os.path.join(IO, f'{s.name}-hl.conf'), bridge_conf(s.hl_data))
    for L in LEVELS:
        t = time.monotonic()
        occ = [fill(s.hl_data, L) for s in SIDES]
        log(f'  store filled to {occ} in {time.monotonic() - t:.1f}s')
        # one untimed ADD+DEL per side: warms up, checks the pre-filled store is honoured, sizes the 60k run
        n = {}
        for s in SIDES:
            a = call(s, 'host-local', 'ADD', f'warm{L}', s.hl_conf, s.pod(0), what=f'host-local ADD @{L}')
            d = call(s, 'host-local', 'DEL', f'warm{L}', s.hl_conf, s.pod(0), what=f'host-local DEL @{L}')
            ip = a.ip()
            if a.ok and (ip is None or ip in FILLED.get(s.hl_data, ()) or ipaddress.ip_address(ip) not in SUBNET):
                s.fails.append((f'host-local ADD @{L}', 0, f'returned {ip}, which the pre-filled store already holds', ''))
            n[s.name] = N_HL[L]
            if L == LEVELS[-1] and a.ok and d.ok:
                per = (a.wall + d.wall) / 1000
                n[s.name] = max(3, min(N_HL[L], int(BUDGET_60K / max(per, 1e-6))))
        if L == LEVELS[-1]:
            for s in SIDES:
                if n[s.name] < N_HL[L]:
                    NOTES.append(f'host-local @{L}: side {s.name} took {n[s.name]} samples instead of {N_HL[L]} '
                                 f'(one ADD+DEL took longer than {BUDGET_60K:.0f}s/{N_HL[L]}).')
        add, dele = {s.name: [] for s in SIDES}, {s.name: [] for s in SIDES}
        for i in range(max(n.values())):
            todo = [s for s in orders(i) if i < n[s.name]]
            for s in todo: add[s.name].append(call(s, 'host-local', 'ADD', f'hl{L}-{i}', s.hl_conf, s.pod(0), what=f'host-local ADD @{L}'))
            for s in todo: dele[s.name].append(call(s, 'host-local', 'DEL', f'hl{L}-{i}', s.hl_conf, s.pod(0), what=f'host-local DEL @{L}'))
        add_row('hl', f'host-local ADD @{L} IPs', add); add_row('hl', f'host-local DEL @{L} IPs', dele)
        keep_rss(f'host-local ADD @{L} IPs', add)

def phase_bridge():
    log('== bridge ADD (incl. its host-local exec) and DEL')
    for L in (0, 4000):
        recreate_dirty()
        for s in SIDES:
            s.br_data = os.path.join(DATA, s.name, f'br{L}')
            s.br_base = bridge_conf(s.br_data)
            s.br_conf = write_json(os.path.join(IO, f'{s.name}-br{L}.conf'), s.br_base)
        occ = [fill(s.br_data, L) for s in SIDES]
        log(f'  store filled to {occ}')
        add, dele = {s.name: [] for s in SIDES}, {s.name: [] for s in SIDES}
        for i in range(N_BR + 1):            # sample 0 is the untimed warm-up (creates cni0)
            for s in orders(i):
                c = call(s, 'bridge', 'ADD', f'br{L}-{i}', s.br_conf, s.pod(i % POOL), what=f'bridge ADD @{L}')
                if i: add[s.name].append(c)
                s.last = c
            for s in orders(i):
                pc = with_prev(s, s.br_base, s.last, f'br{L}-{i}')
                c = call(s, 'bridge', 'DEL', f'br{L}-{i}', pc, s.pod(i % POOL), what=f'bridge DEL @{L}')
                if i: dele[s.name].append(c)
                if not (s.last.ok and c.ok): s.dirty.add(i % POOL)
        add_row('br', f'bridge ADD @{L} IPs (incl. host-local)', add)
        add_row('br', f'bridge DEL @{L} IPs (incl. host-local)', dele)
        keep_rss(f'bridge ADD @{L} IPs (max of bridge, host-local)', add)

def phase_ipmasq():
    """bridge ADD and DEL with ipMasq, per ipMasqBackend, next to the same call without
    ipMasq, all interleaved in one loop. The reference (1.1.1) has no nftables backend and
    ignores the key: its rows are its iptables rules whatever the variant says."""
    log('== bridge ADD and DEL with ipMasq (iptables and nftables backends) and without')
    recreate_dirty()
    variants = [('no ipMasq', {}), ('ipMasq, iptables backend', {'ipMasq': True, 'ipMasqBackend': 'iptables'}),
                ('ipMasq, nftables backend', {'ipMasq': True, 'ipMasqBackend': 'nftables'})]
    res = {v: ({s.name: [] for s in SIDES}, {s.name: [] for s in SIDES}) for v, _ in variants}
    for s in SIDES:
        s.mq_data = os.path.join(DATA, s.name, 'masq')
        s.mq_base = {v: dict(bridge_conf(s.mq_data), **extra) for v, extra in variants}
        s.mq_conf = {v: write_json(os.path.join(IO, f'{s.name}-mq{k}.conf'), s.mq_base[v]) for k, (v, _) in enumerate(variants)}
    for i in range(N_MASQ + 1):              # sample 0 is the untimed warm-up (creates cni0, the tables)
        # the variants take turns at going first: a call pays for what the one before left the kernel to do
        for k, (v, _) in [(k, variants[k]) for k in ((j + i) % len(variants) for j in range(len(variants)))]:
            add, dele = res[v]
            for s in orders(i + k):
                c = call(s, 'bridge', 'ADD', f'mq{k}-{i}', s.mq_conf[v], s.pod(i % POOL), what=f'bridge ADD, {v}')
                if i: add[s.name].append(c)
                s.last = c
            for s in orders(i + k):
                pc = with_prev(s, s.mq_base[v], s.last, f'mq{k}-{i}')
                c = call(s, 'bridge', 'DEL', f'mq{k}-{i}', pc, s.pod(i % POOL), what=f'bridge DEL, {v}')
                if i: dele[s.name].append(c)
                if not (s.last.ok and c.ok): s.dirty.add(i % POOL)
    for v, _ in variants:
        add_row('masq', f'bridge ADD, {v}', res[v][0])
        add_row('masq', f'bridge DEL, {v}', res[v][1])
    # nothing of any attachment may be left in either backend
    for s in SIDES:
        node = os.path.basename(s.node)
        left = sh('ip', 'netns', 'exec', node, 'iptables-save', '-t', 'nat', check=False).stdout
        left = [l for l in left.splitlines() if 'CNI-' in l or 'mq' in l]
        nft = sh('ip', 'netns', 'exec', node, 'nft', 'list', 'chain', 'inet', 'cni_plugins_masquerade', 'masq_checks', check=False).stdout
        left += [l.strip() for l in nft.splitlines() if ', id: ' in l]
        if left: s.fails.append(('ipMasq leftovers after DEL', 0, '; '.join(left)[:300], ''))
    def row(metric):
        for r in ROWS:
            if r[1] == metric: return r
    plain = {n: row(f'bridge {verb}, no ipMasq') for n, verb in (('ADD', 'ADD'), ('DEL', 'DEL'))}
    EXTRA['masq'] = []
    for v, goal in (('ipMasq, iptables backend', {'ADD': 0.35, 'DEL': 0.2}), ('ipMasq, nftables backend', {'ADD': 0.25, 'DEL': 0.1})):
        for verb in ('ADD', 'DEL'):
            r, p0 = row(f'bridge {verb}, {v}'), plain[verb]
            extra = None if r is None or p0 is None or r[5] is None or p0[5] is None else r[5] - p0[5]
            EXTRA['masq'].append((f'{verb}, {v}', ratio(r[4], r[5]) if r else None, goal[verb], extra))

def masq_leftovers(side):
    """Masquerade rules or chains of any attachment left in the side's node (both backends)."""
    node = os.path.basename(side.node)
    ipt = sh('ip', 'netns', 'exec', node, 'iptables-save', '-t', 'nat', check=False).stdout
    nft = sh('ip', 'netns', 'exec', node, 'nft', 'list', 'chain', 'inet', 'cni_plugins_masquerade', 'masq_checks', check=False).stdout
    return len([l for l in ipt.splitlines() if 'CNI-' in l]) + len([l for l in nft.splitlines() if ', id: ' in l])

def phase_parallel(label='', extra=None):
    tag = 'par' + label.replace(' ', '').replace(',', '-')
    log(f'== {PAR} parallel bridge ADDs{label}, then {PAR} parallel DELs, one store ({PAR_REPS} rep(s))')
    recreate_dirty()
    W = {k: {s.name: [] for s in SIDES} for k in ('add', 'del', 'addcpu', 'delcpu')}
    checks = {s.name: [] for s in SIDES}
    for s in SIDES:
        s.par_data = os.path.join(DATA, s.name, tag)
        s.par_base = dict(bridge_conf(s.par_data), **(extra or {}))
        s.par_conf = write_json(os.path.join(IO, f'{s.name}-{tag}.conf'), s.par_base)
    for rep in range(PAR_REPS):
        for s in orders(rep):
            items = [(f'par{rep}-{j}', s.par_conf, s.pod(j)) for j in range(PAR)]
            w, res = batch(s, 'bridge', 'ADD', items, f'{PAR} parallel bridge ADD{label}')
            ips = [c.ip() for c in res if c.ok]
            nveth = veths(s)
            dconfs = [with_prev(s, s.par_base, c, f'par{rep}-{j}') for j, c in enumerate(res)]
            dw, dres = batch(s, 'bridge', 'DEL', [(c.cid, dconfs[j], s.pod(j)) for j, c in enumerate(res)], f'{PAR} parallel bridge DEL{label}')
            left_v, left_ip, left_fw = veths(s), len(store_ips(s.par_data)), masq_leftovers(s)
            for j in range(PAR):
                if not (res[j].ok and dres[j].ok): s.dirty.add(j)
            W['add'][s.name].append(w); W['del'][s.name].append(dw)
            W['addcpu'][s.name].append(sum(c.cpu for c in res)); W['delcpu'][s.name].append(sum(c.cpu for c in dres))
            ok = (len(ips) == PAR and len(set(ips)) == PAR and nveth == PAR and
                  all(c.ok for c in dres) and left_v == 0 and left_ip == 0 and left_fw == 0)
            checks[s.name].append((ok, f'{len(ips)}/{len(set(ips))}/{nveth} -> {sum(c.ok for c in dres)}/{left_v}/{left_ip}/{left_fw}'))
            log(f'  [{s.name}] rep {rep}: ADD batch {w:.0f} ms (ok {len(ips)}, unique {len(set(ips))}, veths {nveth}); '
                f'DEL batch {dw:.0f} ms (ok {sum(c.ok for c in dres)}); left: veths {left_v}, IP files {left_ip}, masquerade rules {left_fw}')
            if not ok:
                s.fails.append((f'{PAR} parallel check{label}', 0, checks[s.name][-1][1], ''))
        recreate_dirty()
    for k, verb in (('add', 'ADDs'), ('del', 'DELs')):
        ROWS.append(('par', f'{PAR} parallel bridge {verb}{label}: batch wall / sum cpu', PAR_REPS, PAR_REPS,
                     med(W[k]['A']), med(W[k]['B']), med(W[k + 'cpu']['A']), med(W[k + 'cpu']['B'])))
    def summary(cs):   # identical reps are shown once, with a count
        seen = {}
        for _, d in cs: seen[d] = seen.get(d, 0) + 1
        return '; '.join(d + (f' (x{n})' if n > 1 else '') for d, n in seen.items())
    EXTRA['par' + label] = [(s.name, all(o for o, _ in checks[s.name]), summary(checks[s.name])) for s in SIDES]

def phase_parallel_ipmasq():
    phase_parallel(', ipMasq (default backend)', {'ipMasq': True})
    phase_parallel(', ipMasq nftables', {'ipMasq': True, 'ipMasqBackend': 'nftables'})

# ---------------------------------------------------------------- report
ALONE = {}   # side -> {level -> {'ADD': [Call], 'DEL': [Call]}}
def phase_scaling_alone():
    """The 60,000-vs-0 scaling of each side measured with that side alone.

    Interleaved with the reference, each of our calls at 60,000 follows a
    ~0.5 s call that reads 60,000 files, and runs on caches that call has
    just emptied; the interleaved rows above include that cost. Here a side's
    empty and full stores are measured back to back, nothing else running."""
    log('== host-local store scaling, each side alone')
    top = LEVELS[-1]
    for s in SIDES[::-1]:
        ALONE[s.name] = {}
        for L in (0, top):
            data = os.path.join(DATA, s.name, f'alone{L}')
            conf = write_json(os.path.join(IO, f'{s.name}-alone{L}.conf'), bridge_conf(data))
            fill(data, L)
            call(s, 'host-local', 'ADD', f'awarm{L}', conf, s.pod(0), what=f'host-local ADD @{L} (alone)')
            call(s, 'host-local', 'DEL', f'awarm{L}', conf, s.pod(0), what=f'host-local DEL @{L} (alone)')
            n = N_HL[L] if s.name == 'B' or L == 0 else max(3, N_HL[L] // 6)
            res = {'ADD': [], 'DEL': []}
            for i in range(n):
                res['ADD'].append(call(s, 'host-local', 'ADD', f'al{L}-{i}', conf, s.pod(0), what=f'host-local ADD @{L} (alone)'))
                res['DEL'].append(call(s, 'host-local', 'DEL', f'al{L}-{i}', conf, s.pod(0), what=f'host-local DEL @{L} (alone)'))
            ALONE[s.name][L] = res
            shutil.rmtree(data, ignore_errors=True)
            FILLED.pop(data, None)

def table():
    out = []
    A, B = SIDES
    out.append(f'### CNI plugin benchmark ({MODE} mode)\n')
    out.append(f'- A (reference): `{A.dir}` - VERSION `{getattr(A, "version", "?")}`')
    out.append(f'- B (ours): `{B.dir}` - VERSION `{getattr(B, "version", "?")}`')
    out.append(f'- host: Linux {os.uname().release}, {os.cpu_count()} CPUs, loadavg at start {LOAD0}; '
               f'run time {time.monotonic() - T0:.0f} s')
    out.append('- wall = spawn..exit of the plugin, cpu = user+sys incl. waited-for children (bridge\'s host-local); '
               'medians; B/A = ratio of medians; calls interleaved A/B.')
    out.append('- RSS = ru_maxrss of the plugin (bridge: max of bridge and its host-local); it includes the '
               'spawning helper\'s own ~1.5 MB, shown as the /bin/true row.\n')
    out.append('| metric | n A/B | A wall ms | B wall ms | B/A wall | A cpu ms | B cpu ms | B/A cpu |')
    out.append('|---|---|---|---|---|---|---|---|')
    for sec, m, na, nb, wa, wb, ca, cb in ROWS:
        out.append(f'| {m} | {na}/{nb} | {fmt(wa)} | {fmt(wb)} | {fmt(ratio(wa, wb), "{:.2f}x")} | '
                   f'{fmt(ca)} | {fmt(cb)} | {fmt(ratio(ca, cb), "{:.2f}x")} |')
    def row(metric):
        for r in ROWS:
            if r[1] == metric: return r
    out.append('\n| store scaling (host-local, interleaved A/B) | A | B | target for B |')
    out.append('|---|---|---|---|')
    for verb in ('ADD', 'DEL'):
        r0, r1 = row(f'host-local {verb} @0 IPs'), row(f'host-local {verb} @{LEVELS[-1]} IPs')
        if not (r0 and r1): continue
        for k, what in ((4, 'wall'), (6, 'cpu')):
            ra, rb = ratio(r0[k], r1[k]), ratio(r0[k + 1], r1[k + 1])
            verdict = 'n/a' if rb is None else ('PASS' if rb <= 1.2 else 'FAIL') + ' (<= 1.2x)'
            out.append(f'| {verb} {what} @{LEVELS[-1]} / @0 | {fmt(ra, "{:.2f}x")} | {fmt(rb, "{:.2f}x")} | {verdict} |')
    if ALONE:
        top = LEVELS[-1]
        out.append(f'\n| store scaling, each side alone (median ms @0 -> @{top}) | A | B | target for B |')
        out.append('|---|---|---|---|')
        for verb in ('ADD', 'DEL'):
            for what, key in (('wall', lambda c: c.wall), ('cpu', lambda c: c.cpu)):
                cells, ratios = {}, {}
                for n in ('A', 'B'):
                    lv = ALONE.get(n, {})
                    if 0 in lv and top in lv:
                        a0 = med([key(c) for c in lv[0][verb] if c.ok]); a1 = med([key(c) for c in lv[top][verb] if c.ok])
                        ratios[n] = ratio(a0, a1)
                        cells[n] = f'{fmt(a0)} -> {fmt(a1)} ({fmt(ratios[n], "{:.2f}x")})'
                    else:
                        cells[n] = 'n/a'
                rb = ratios.get('B')
                verdict = 'n/a' if rb is None else ('PASS' if rb <= 1.2 else 'FAIL') + ' (<= 1.2x)'
                out.append(f'| {verb} {what} | {cells["A"]} | {cells["B"]} | {verdict} |')
    out.append('\n| peak RSS (ru_maxrss KiB, median / max) | A | B | B/A (median) |')
    out.append('|---|---|---|---|')
    for m, v in RSS.items():
        a, b = v.get('A') or [], v.get('B') or []
        cell = lambda x: f'{med(x):.0f} / {max(x)}' if x else 'n/a'
        out.append(f'| {m} | {cell(a)} | {cell(b)} | {fmt(ratio(med(a), med(b)), "{:.2f}x")} |')
    if EXTRA.get('masq') is not None or any(r[1].startswith(f'{PAR} parallel bridge ADDs, ipMasq') for r in ROWS):
        EXTRA.setdefault('masq', [])
        out.append('\n| ipMasq goals (B = ours; A = the reference, always iptables) | B/A wall | goal | B cost of ipMasq (ms over B without) |')
        out.append('|---|---|---|---|')
        for what, r, goal, extra in EXTRA['masq']:
            verdict = 'n/a' if r is None else ('PASS' if r <= goal else 'FAIL')
            out.append(f'| {what} | {fmt(r, "{:.2f}x")} | <= {goal}x: {verdict} | {fmt(extra, "{:+.2f}")} |')
        for r in ROWS:
            if r[1].startswith(f'{PAR} parallel bridge ADDs, ipMasq'):
                q = ratio(r[4], r[5])
                verdict = 'n/a' if q is None else ('PASS' if q <= 0.4 else 'FAIL')
                out.append(f'| {r[1].split(":")[0]} (batch wall) | {fmt(q, "{:.2f}x")} | <= 0.4x: {verdict} | |')
    out.append('\n| correctness | A | B |')
    out.append('|---|---|---|')
    out.append(f'| failed calls / checks | {len(A.fails)} | {len(B.fails)} |')
    for key in [k for k in EXTRA if k.startswith('par')]:
        cells = {n: ('OK ' if ok else 'BAD ') + d for n, ok, d in EXTRA[key]}
        out.append(f'| {PAR} parallel{key[3:] or ", no ipMasq"}: ADD ok/unique IPs/veths -> DEL ok/veths/IP files/masquerade rules left | {cells["A"]} | {cells["B"]} |')
    for s in SIDES:
        kinds = {}
        for f in s.fails: kinds.setdefault(f[0], []).append(f)
        for what, fs in list(kinds.items())[:10]:
            _, rc, o, e = fs[0]
            NOTES.append(f'{s.name}: {len(fs)} x {what} failed, first: rc={rc} stdout={o!r} stderr={e!r}')
        if len(kinds) > 10: NOTES.append(f'{s.name}: {len(kinds) - 10} more kinds of failure not shown')
    if NOTES:
        out.append('')
        out += [f'- {n}' for n in NOTES]
    return '\n'.join(out) + '\n'

LOAD0 = ' '.join(open('/proc/loadavg').read().split()[:3])
log(f'bench: {MODE} mode; A={REF} B={OURS}')
rc = 0
try:
    PHASES = {'floor': phase_floor_and_version, 'hostlocal': phase_hostlocal, 'scaling': phase_scaling_alone,
              'bridge': phase_bridge, 'ipmasq': phase_ipmasq, 'parallel': phase_parallel,
              'parallel-ipmasq': phase_parallel_ipmasq}
    chosen = list(PHASES) if ONLY == 'all' else ONLY.split(',')
    for name in chosen:
        if name not in PHASES: raise RuntimeError(f'unknown phase {name!r} (known: {", ".join(PHASES)})')
    for name in chosen:
        PHASES[name]()
except KeyboardInterrupt:
    NOTES.append('interrupted'); rc = 1
except Exception as e:
    import traceback; traceback.print_exc()
    NOTES.append(f'harness error: {e}'); rc = 1
drv.stdin.close(); drv.wait()
md = table()
with open(os.path.join(WORK, 'table.md'), 'w') as f: f.write(md)
print('\n' + md, flush=True)
if any(s.fails for s in SIDES): rc = 1
sys.exit(rc)
