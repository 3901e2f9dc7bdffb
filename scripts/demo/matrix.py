"""plan: write <dir>/<source>.targets for every pod and node; report: print the matrices and
PASS/FAIL/SKIP lines per category from the <dir>/<source> results."""
import os, sys
mode, inv, d = sys.argv[1:4]
ent = [dict(zip(('kind', 'name', 'node', 'ip'), l.split())) for l in open(inv)]
for e in ent: e['node'] = int(e['node'])
pods = [e for e in ent if e['kind'] == 'pod' and e['ip'] != '-']
nodes = [e for e in ent if e['kind'] == 'node']
N = len(nodes); M = max(1, len(pods) // max(1, N))
# Every same-node pod pair needs an ARP entry, and the kernel's neighbour table is shared by
# all network namespaces (gc_thresh3 = 1024 entries machine-wide). Beyond a budget, each pod
# probes only K of its same-node peers; traffic across nodes goes through the gateways and
# costs no extra entries, so it stays a full mesh.
BUDGET = 600
rest = len(pods) + N * (M + N + 1) + N
K = M - 1 if len(pods) * (M - 1) + rest <= BUDGET else max(1, min(M - 1, (BUDGET - rest) // max(1, len(pods))))
def targets(s):
    if s['kind'] == 'node':
        return [t for t in pods + nodes if t is not s]
    same = [t for t in pods if t['node'] == s['node']]
    i = same.index(s)
    peers = [same[(i + k) % len(same)] for k in range(1, len(same))][:K]
    return peers + [t for t in pods if t['node'] != s['node']] + nodes
if mode == 'plan':
    n = 0
    for s in [e for e in ent if e['kind'] == 'node' or e['ip'] != '-']:
        ts = targets(s); n += len(ts)
        with open(os.path.join(d, s['name'] + '.targets'), 'w') as f: f.write(' '.join(t['ip'] for t in ts))
    print(n, K, M - 1)
    sys.exit()
res = {}
for e in ent:
    try:
        for line in open(os.path.join(d, e['name'])):
            t, v = line.split(); res[(e['name'], t)] = v == '1'
    except (OSError, ValueError):
        pass
probed = lambda s, t: (s['name'], t['ip']) in res
ok = lambda s, t: res.get((s['name'], t['ip']), False)
if len(pods) + N <= 16:       # small cluster: every pair
    w = max(len(e['name']) for e in ent) + 1
    print('  ' + 'from \\ to'.ljust(w + 2) + ''.join(e['name'].rjust(w) for e in ent))
    for s in ent:
        print('  ' + s['name'].ljust(w + 2) + ''.join(('·' if s is t or not probed(s, t) else '✓' if ok(s, t) else '✗').rjust(w) for t in ent))
    print()
# per node: rows = the pods of node i / node i itself, columns = the pods of node j, all node IPs
rows = []
for n in nodes:
    rows.append((f'pods@{n["name"]}', [p for p in pods if p['node'] == n['node']]))
    rows.append((n['name'], [n]))
cols = [(f'pods@n{n["node"]}', [p for p in pods if p['node'] == n['node']]) for n in nodes] + [('node IPs', nodes)]
w = max(len(r) for r, _ in rows) + 2
cw = max(max(len(c) for c, _ in cols), 7) + 2
def cell(pairs):
    pairs = [(s, t) for s, t in pairs if probed(s, t)]
    if not pairs: return '·'
    good = sum(ok(s, t) for s, t in pairs)
    return '✓' if good == len(pairs) else f'✗{good}/{len(pairs)}'
print('  ' + 'from \\ to'.ljust(w) + ''.join(c.rjust(cw) for c, _ in cols))
for rn, rs in rows:
    print('  ' + rn.ljust(w) + ''.join(cell([(s, t) for s in rs for t in cd if s is not t]).rjust(cw) for _, cd in cols))
print()
cats = [
    ('pod -> pod, same node', [(s, t) for s in pods for t in pods if s is not t and s['node'] == t['node']]),
    ('pod -> pod, across nodes', [(s, t) for s in pods for t in pods if s['node'] != t['node']]),
    ('node -> pod, own node', [(s, t) for s in nodes for t in pods if s['node'] == t['node']]),
    ('node -> pod, other nodes', [(s, t) for s in nodes for t in pods if s['node'] != t['node']]),
    ('pod -> node (every node IP)', [(s, t) for s in pods for t in nodes]),
]
for name, pairs in cats:
    pairs = [(s, t) for s, t in pairs if probed(s, t)]
    if not pairs: print(f'SKIP {name} (no such pairs)'); continue
    good = sum(ok(s, t) for s, t in pairs)
    bad = [f'{s["name"]}->{t["name"]}' for s, t in pairs if not ok(s, t)][:10]
    print(f'{"PASS" if good == len(pairs) else "FAIL"} {name}: {good}/{len(pairs)} pairs' + (f' (e.g. {" ".join(bad)})' if bad else ''))
