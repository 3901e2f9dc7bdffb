"""Builds a case's pre-state on a fresh node: links in the node and the
pod, addresses, a store (current or legacy reservation files,
last_reserved_ip, a full range), firewall rules, sysctls, scratch files.

    {"links":    [{"type": "bridge"|"veth", "name", "peer", "mtu", "up", "addrs", "master"}],
     "podLinks": [{"type": "veth", "name", "peer", "addrs", "up"}],
     "store":    {"<net>/<file>": "content"},        (relative to the fuzzer's dataDir)
     "iptables": [[args...]], "ip6tables": [[args...]],
     "sysctl":   {"net/ipv4/ip_forward": "1"},
     "files":    {"$SCRATCH/resolv.conf": "text"}}
"""
import os, subprocess
import node as nodemod


def expand(text):
    """The placeholders a case may use in strings ($POD, $DATA, ...)."""
    if not isinstance(text, str) or '$' not in text:
        return text
    for k, v in (('$POD', nodemod.POD_PATH), ('$NODE', nodemod.NODE_PATH), ('$BIN', nodemod.BIN_DIR),
                 ('$DATA', nodemod.DATA_DIR), ('$SCRATCH', nodemod.SCRATCH),
                 ('$STALE', nodemod.SCRATCH + '/stale-netns'), ('$GONE', '/run/netns/fz-gone')):
        text = text.replace(k, v)
    return text


def expand_all(value):
    if isinstance(value, str):
        return expand(value)
    if isinstance(value, list):
        return [expand_all(v) for v in value]
    if isinstance(value, dict):
        return {k: expand_all(v) for k, v in value.items()}
    return value


def _ip(ns, *args):
    r = subprocess.run(['ip', '-n', ns, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError('pre-state: ip -n %s %s: %s' % (ns, ' '.join(args), r.stderr.strip()))


def _links(ns, links):
    for l in links:
        name = l['name']
        if l.get('type', 'veth') == 'bridge':
            _ip(ns, 'link', 'add', name, 'type', 'bridge')
        else:
            _ip(ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', l.get('peer', name[:12] + 'p'))
        if l.get('mtu'):
            _ip(ns, 'link', 'set', name, 'mtu', str(l['mtu']))
        if l.get('master'):
            _ip(ns, 'link', 'set', name, 'master', l['master'])
        for a in l.get('addrs', []):
            _ip(ns, 'addr', 'add', a, 'dev', name, *(['nodad'] if ':' in a else []))
        if l.get('up', True):
            _ip(ns, 'link', 'set', name, 'up')


def apply(pre):
    for path, content in pre.get('files', {}).items():
        path = expand(path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(content)
    open(nodemod.SCRATCH + '/stale-netns', 'w').close()
    _links(nodemod.NODE, pre.get('links', []))
    _links(nodemod.POD, pre.get('podLinks', []))
    for rel, content in pre.get('store', {}).items():
        path = os.path.join(nodemod.DATA_DIR, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', newline='') as f:
            f.write(content)
        os.chmod(path, 0o644)           # as the reference 1.1.1 writes them
    with nodemod.Namespace(nodemod.NODE):
        for cmd in ('iptables', 'ip6tables'):
            for args in pre.get(cmd, []):
                r = subprocess.run([cmd, '-w', *args], capture_output=True, text=True)
                if r.returncode != 0:
                    raise RuntimeError('pre-state: %s %s: %s' % (cmd, ' '.join(args), r.stderr.strip()))
        for key, value in pre.get('sysctl', {}).items():
            with open('/proc/sys/' + key, 'w') as f:
                f.write(value)
