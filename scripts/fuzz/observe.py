"""Everything observable about a node after one side of a case ran, as one
JSON-able dict, with what is random (MACs, host veth names, IPv6 link-local
addresses, handles, counters) replaced by placeholders (`normalise`).

    {"node": {"links": {name: link}, "routes": [...], "sysctl": {...},
              "iptables": [...], "ip6tables": [...], "nft": {table: [...]}},
     "pod":  {"links": ..., "routes": ..., "sysctl": ...},
     "store": {path: {"content": str, "mode": "0644"}}}
"""
import json, os, re, subprocess
import node as nodemod

BRPORT_FLAGS = ('hairpin', 'isolated', 'learning', 'flood')
BRIDGE_FLAGS = ('vlan_filtering', 'stp_state')
LINK_FLAGS = ('UP', 'PROMISC', 'NOARP')


def _ip_json(*args):
    out = subprocess.run(['ip', '-j', *args], capture_output=True, text=True).stdout
    try:
        return json.loads(out or '[]')
    except ValueError:
        return []


def _sysctl(path):
    try:
        with open('/proc/sys/' + path) as f:
            return f.read().strip()
    except OSError:
        return None


def _links():
    links = {}
    addrs = {a['ifname']: a.get('addr_info', []) for a in _ip_json('addr', 'show')}
    for l in _ip_json('-d', 'link', 'show'):
        name = l['ifname']
        info = l.get('linkinfo', {})
        link = {'kind': info.get('info_kind', l.get('link_type')), 'mtu': l.get('mtu'),
                'flags': sorted(f for f in l.get('flags', []) if f in LINK_FLAGS),
                'mac': l.get('address'), 'master': l.get('master')}
        if info.get('info_kind') == 'bridge':
            data = info.get('info_data', {})
            link['bridge'] = {k: data.get(k) for k in BRIDGE_FLAGS}
        if info.get('info_slave_kind') == 'bridge':
            data = info.get('info_slave_data', {})
            link['port'] = {k: data.get(k) for k in BRPORT_FLAGS}
        # IPv6 link-local addresses come and go with carrier: left out.
        link['addrs'] = sorted('%s/%s' % (a['local'], a['prefixlen']) for a in addrs.get(name, [])
                               if not a['local'].startswith('fe80:'))
        if name != 'lo':
            link['sysctl'] = {
                'ipv6.accept_ra': _sysctl('net/ipv6/conf/%s/accept_ra' % name),
                'ipv6.accept_dad': _sysctl('net/ipv6/conf/%s/accept_dad' % name),
                'ipv6.enhanced_dad': _sysctl('net/ipv6/conf/%s/enhanced_dad' % name),
                'ipv6.disable_ipv6': _sysctl('net/ipv6/conf/%s/disable_ipv6' % name),
                'ipv6.keep_addr_on_down': _sysctl('net/ipv6/conf/%s/keep_addr_on_down' % name),
                'ipv4.arp_notify': _sysctl('net/ipv4/conf/%s/arp_notify' % name),
                'ipv4.forwarding': _sysctl('net/ipv4/conf/%s/forwarding' % name),
                'ipv6.forwarding': _sysctl('net/ipv6/conf/%s/forwarding' % name),
            }
        links[name] = link
    return links


def _routes():
    routes = []
    for family in ('-4', '-6'):
        for r in _ip_json(family, 'route', 'show', 'table', 'all'):
            dst = r.get('dst', '')
            if r.get('protocol') == 'kernel' and (dst.startswith('fe80:') or dst == 'ff00::/8'):
                continue                     # follow the links' carrier, with a delay
            if r.get('table') == 'local':
                continue                     # one per address, which the links already show
            gateway, dev = r.get('gateway', '-'), r.get('dev')
            if r.get('nexthops'):              # multipath: "via gw1+gw2 dev dev1+dev2"
                gateway = '+'.join(h.get('gateway', '-') for h in r['nexthops'])
                dev = '+'.join(str(h.get('dev')) for h in r['nexthops'])
            routes.append(' '.join(str(x) for x in (
                r.get('type', 'unicast'), r.get('dst'), 'via', gateway, 'dev', dev,
                'table', r.get('table', 'main'), 'proto', r.get('protocol', '-'), 'scope', r.get('scope', '-'),
                'metric', r.get('metric', '-'))))
    return sorted(routes)


def _iptables(cmd):
    out = subprocess.run([cmd + '-save'], capture_output=True, text=True).stdout
    lines = []
    for line in out.splitlines():
        if line.startswith('#'):
            continue
        lines.append(re.sub(r' \[\d+:\d+\]$', '', line))
    return lines


# Tables that iptables-nft manages: already seen through iptables-save.
_IPTABLES_NFT = {'nat', 'filter', 'mangle', 'raw', 'security'}


def _nft():
    out = subprocess.run(['nft', 'list', 'ruleset'], capture_output=True, text=True).stdout
    tables, current = {}, None
    for line in out.splitlines():
        m = re.match(r'^table (\S+) (\S+) \{', line)
        if m:
            family, name = m.groups()
            current = None if family in ('ip', 'ip6') and name in _IPTABLES_NFT else '%s %s' % (family, name)
            if current:
                tables[current] = []
            continue
        if current and line.strip() and not line.strip().startswith('#'):
            tables[current].append(line.strip())
    return tables


def _namespace_state(with_firewall):
    state = {'links': _links(), 'routes': _routes(),
             'sysctl': {'ipv4.ip_forward': _sysctl('net/ipv4/ip_forward'),
                        'ipv6.all.forwarding': _sysctl('net/ipv6/conf/all/forwarding')}}
    if with_firewall:
        state['iptables'] = _iptables('iptables')
        state['ip6tables'] = _iptables('ip6tables')
        state['nft'] = _nft()
    return state


def _store():
    files = {}
    for root in (nodemod.DATA_DIR, nodemod.DEFAULT_DATA_DIR):
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != '.index')   # our private index
            rel = os.path.relpath(dirpath, '/')
            if dirpath != root:
                files['/' + rel + '/'] = {'mode': '%04o' % (os.stat(dirpath).st_mode & 0o7777)}
            for f in sorted(filenames):
                p = os.path.join(dirpath, f)
                st = os.lstat(p)
                try:
                    with open(p, 'rb') as fh:
                        content = fh.read(4096).decode(errors='replace')
                except OSError as e:
                    content = '<unreadable: %s>' % e.strerror
                files[p] = {'content': content, 'mode': '%04o' % (st.st_mode & 0o7777)}
    return files


def _veth_peers():
    """Node veth name -> the name of its peer in the pod namespace (only
    for veths whose peer is there)."""
    with nodemod.Namespace(nodemod.NODE):
        node = [(l['ifname'], l.get('link_index')) for l in _ip_json('-d', 'link', 'show')
                if l.get('linkinfo', {}).get('info_kind') == 'veth' and 'link_netnsid' in l]
    with nodemod.Namespace(nodemod.POD):
        pod = {l.get('ifindex'): l['ifname'] for l in _ip_json('link', 'show')}
    return {name: pod[index] for name, index in node if index in pod}


def observe():
    """The state of both namespaces and the store; under VETH_PEERS, which
    pod interface each host veth is paired with (for normalisation, not
    compared)."""
    with nodemod.Namespace(nodemod.NODE):
        node_state = _namespace_state(True)
    with nodemod.Namespace(nodemod.POD):
        pod_state = _namespace_state(False)
    return {'node': node_state, 'pod': pod_state, 'store': _store(), VETH_PEERS: _veth_peers()}


VETH_PEERS = '_veth_peers'


# ---- normalisation -------------------------------------------------------------

MAC = re.compile(r'\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b', re.I)
VETH = re.compile(r'\bveth[0-9a-f]{8}\b')
LINK_LOCAL = re.compile(r'\bfe80::[0-9a-f:]+\b')


class Normaliser:
    """Replaces random values by placeholders (host veths paired with a pod
    interface by that interface's name, others) numbered in order of first
    appearance, so that equal values stay equal (a bridge whose MAC follows
    a port's MAC shows the same placeholder) and the sides compare.
    Values that the case itself spells out (a requested MAC) are kept."""

    def __init__(self, keep, veth_peers=None):
        self.keep = keep
        self.maps = {'mac': {}, 'veth': {}}
        # A host veth whose peer is in the pod is named after that peer, so
        # that the sides agree whatever random names the veths got.
        for name, peer in (veth_peers or {}).items():
            self.maps['veth'][name.lower()] = '<veth@%s>' % peer

    def _sub(self, kind, pattern, text):
        def repl(m):
            v = m.group(0).lower()
            if v in self.keep:
                return m.group(0)
            if kind == 'mac':
                # Unpinned bridge MACs follow the lowest port MAC, so even which
                # MACs are equal is random: every MAC is one placeholder.
                return '<mac>'
            table = self.maps[kind]
            if v not in table:
                numbered = sum(1 for placeholder in table.values() if '@' not in placeholder)
                table[v] = '<%s%d>' % (kind, numbered + 1)
            return table[v]
        return pattern.sub(repl, text)

    def string(self, s):
        s = self._sub('veth', VETH, s)
        s = self._sub('mac', MAC, s)
        s = LINK_LOCAL.sub('<fe80>', s)
        return s

    def value(self, v):
        if isinstance(v, str):
            return self.string(v)
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if isinstance(v, dict):
            return {self.string(k): self.value(v[k]) for k in sorted(v)}
        return v
