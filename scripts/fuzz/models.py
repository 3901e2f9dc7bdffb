"""Stand-ins for the reference where Debian's 1.1.1 binaries cannot answer.

1.1.1 speaks CNI up to 1.0.0: it has no GC and no STATUS. For those verbs the
reference side runs one of these models instead of a binary. Each model is
the behaviour the README ("Where we differ") promises, written as plainly
as possible from the spec and the reference's facts (REFERENCE.md §1.1,
§2.6, §3.6), so that our implementation is compared against a second,
independent statement of it. deliberate.py decides when a model is used.

A model returns (exit, stdout) like a plugin run, and may change the node.
"""
import ipaddress, json, os, re, subprocess
import node as nodemod

_NAME = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$')
VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']


def _error(code, msg, version=None):
    doc = {'code': code, 'msg': msg}
    return 1, json.dumps(doc)


def _go_type(value):
    return {bool: 'bool', int: 'number', float: 'number', list: 'array', dict: 'object'}.get(type(value), 'string')


def _version_number(text):
    """version.ParseVersion: up to three parts, each a strconv.Atoi integer.
    Returns (numbers, None) or (None, the reference's error message)."""
    parts = text.split('.')
    if len(parts) > 3:
        return None, 'invalid version %s: too many parts' % json.dumps(text)
    numbers = []
    for name, part in zip(['major', 'minor', 'micro'], parts):
        why = None
        if not re.fullmatch(r'[+-]?[0-9]+', part):
            why = 'invalid syntax'
        elif not -2**63 <= int(part) < 2**63:
            why = 'value out of range'
        if why:
            return None, 'failed to convert %s version part %s: strconv.Atoi: parsing %s: %s' % (
                name, json.dumps(part), json.dumps(part), why)
        numbers.append(int(part))
    return tuple(numbers + [0] * (3 - len(numbers))), None


def _preamble(verb, env, conf):
    """The skel's checks (HEAD, spec 1.1.0) that come before a GC/STATUS handler."""
    if env.get('CNI_COMMAND') != verb:
        return None
    if not env.get('CNI_PATH'):
        return _error(4, 'required env variables [CNI_PATH] missing')
    if conf is None:
        conf = {}                      # stdin null: Go decodes it as an empty config
    if not isinstance(conf, dict):
        return _error(6, 'error unmarshall network config')
    name = conf.get('name')
    if name is not None and not isinstance(name, str):
        return _error(6, 'error unmarshall network config: json: cannot unmarshal %s into Go struct field '
                      '.name of type string' % _go_type(name))
    if not name:
        return _error(7, 'missing network name')
    if not _NAME.match(name):
        return _error(7, 'invalid characters found in network name')
    version = conf.get('cniVersion')
    if version is not None and not isinstance(version, str):
        return _error(6, 'decoding version from network config: json: cannot unmarshal %s into Go struct field '
                      '.cniVersion of type string' % _go_type(version))
    version = version or '0.1.0'
    number, why = _version_number(version)
    if why:
        return _error(6, why)
    if number < (1, 1, 0):
        return _error(1, 'config version does not allow %s' % verb)
    if number > (1, 1, 0):
        return _error(1, 'plugin version does not allow %s' % verb)
    if version not in VERSIONS:
        return _error(1, 'incompatible CNI versions')
    return None


def _store_dir(conf):
    ipam = conf.get('ipam') or {}
    return os.path.join(ipam.get('dataDir') or '/var/lib/cni/networks', conf['name'])


# Go's unicode.IsSpace beyond ASCII, as UTF-8 (U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029,
# U+202F, U+205F, U+3000). Python's str.strip() would also strip U+001C-U+001F, which Go keeps.
_WIDE_SPACES = [chr(c).encode() for c in [0x85, 0xa0, 0x1680, *range(0x2000, 0x200b), 0x2028, 0x2029, 0x202f,
                                          0x205f, 0x3000]]


def go_trim_space(data):
    """Go's strings.TrimSpace on bytes (invalid UTF-8 is not space)."""
    while True:
        if data[:1] and data[0] in b' \t\n\v\f\r':
            data = data[1:]
            continue
        wide = next((w for w in _WIDE_SPACES if data.startswith(w)), None)
        if wide is None:
            break
        data = data[len(wide):]
    while True:
        if data[-1:] and data[-1] in b' \t\n\v\f\r':
            data = data[:-1]
            continue
        wide = next((w for w in _WIDE_SPACES if data.endswith(w)), None)
        if wide is None:
            break
        data = data[:-len(wide)]
    return data


def attachment_key(cid, ifname):
    """What a reservation file of (cid, ifname) holds once trimmed: TrimSpace(id) + "\\r\\n" + ifname."""
    return go_trim_space(cid.encode()) + b'\r\n' + ifname.encode()


def legacy_key(cid):
    """What a legacy reservation file of cid holds once trimmed."""
    return go_trim_space(cid.encode())


def _reservations(conf):
    """(path, ip, key) of every reservation, key being the file's content
    trimmed: the reference matches a reservation by comparing that whole
    key with attachment_key() or legacy_key() (REFERENCE.md §3.5), never
    by parsing it."""
    d = _store_dir(conf)
    out = []
    if not os.path.isdir(d):
        return out
    for f in os.listdir(d):
        try:
            ip = ipaddress.ip_address(f)
        except ValueError:
            continue
        with open(os.path.join(d, f), 'rb') as fh:
            out.append((os.path.join(d, f), ip, go_trim_space(fh.read())))
    return out


class BadList(Exception):
    pass


def _valid_attachments(conf):
    """None when the config carries no attachment list (GC then does nothing)."""
    for key in ('cni.dev/valid-attachments', 'cni.dev/attachments'):
        if key in conf:
            value = conf[key] if conf[key] is not None else []
            if not isinstance(value, list) or not all(isinstance(a, dict) for a in value):
                raise BadList(key)
            return [(a.get('containerID'), a.get('ifname')) for a in value]
    return None


def _config_error(plugin, env, conf):
    """The reference's own verdict on a config: host-local CHECK for an ID that
    holds nothing loads the config and fails; with a valid config it fails only
    with "Failed to find address", and changes nothing. None when valid."""
    ipam = conf.get('ipam')
    if plugin == 'bridge' and not (isinstance(ipam, dict) and ipam.get('type') == 'host-local'):
        return None
    probe = dict(conf, cniVersion='1.0.0')
    probe_env = {'CNI_COMMAND': 'CHECK', 'CNI_CONTAINERID': 'fz-probe', 'CNI_NETNS': nodemod.POD_PATH,
                 'CNI_IFNAME': 'eth0', 'CNI_PATH': nodemod.ROOT + '/impl/ref'}
    nodemod.use_implementation('ref')
    code, out, _ = nodemod.exec_plugin('host-local', probe_env, json.dumps(probe))
    if code == 0 or 'Failed to find address added by container fz-probe' in out:
        return None
    try:
        return 1, json.dumps(json.loads(out))
    except ValueError:
        return 1, out


class _StoreTrace:
    """What of the store exists now; undo() removes what was made since:
    the probes run the reference's host-local, which makes its store
    directory and lock file even for a CHECK, where the verb modelled may
    open no store at all."""
    def __init__(self, conf):
        ipam = conf.get('ipam') if isinstance(conf.get('ipam'), dict) else {}
        data_dir, name = ipam.get('dataDir') or '/var/lib/cni/networks', conf.get('name')
        self.chain, self.lock = [], None        # missing directories (deepest first), a missing lock file
        if isinstance(data_dir, str) and isinstance(name, str) and name:
            d = os.path.join(data_dir, name)
            while d and d != '/' and not os.path.lexists(d):
                self.chain.append(d)
                d = os.path.dirname(d)
            lock = os.path.join(data_dir, name, 'lock')
            self.lock = None if os.path.lexists(lock) else lock

    def undo(self):
        if self.lock and os.path.isfile(self.lock):
            os.unlink(self.lock)
        for d in self.chain:
            if os.path.isdir(d) and not os.listdir(d):
                os.rmdir(d)


def _bridge_config_error(conf):
    """The reference bridge's verdict on its own config ("failed to load
    netconf: ..."), or None. Probed with CHECK on a netns that does not
    exist: 1.1.1 decodes the config first, then fails on the netns before
    it asks IPAM, so the probe changes nothing."""
    probe = dict(conf, cniVersion='1.0.0')
    probe_env = {'CNI_COMMAND': 'CHECK', 'CNI_CONTAINERID': 'fz-probe', 'CNI_NETNS': nodemod.ROOT + '/no-such-netns',
                 'CNI_IFNAME': 'eth0', 'CNI_PATH': nodemod.ROOT + '/impl/ref'}
    nodemod.use_implementation('ref')
    code, out, _ = nodemod.exec_plugin('bridge', probe_env, json.dumps(probe))
    try:
        doc = json.loads(out)
    except ValueError:
        return None
    if code != 0 and isinstance(doc, dict) and str(doc.get('msg', '')).startswith('failed to load netconf'):
        return _error(7, doc['msg'])
    return None


def _is_valid(valid, key):
    """Whether the reservation with this key belongs to a valid attachment: the
    attachment's key, or for a legacy key (no \\r\\n) a valid attachment's container ID."""
    if b'\r\n' not in key:
        return any(legacy_key(c) == key for c, _ in valid if isinstance(c, str))
    return any(attachment_key(c, i) == key for c, i in valid if isinstance(c, str) and isinstance(i, str))


def gc(plugin, env, conf):
    early = _preamble('GC', env, conf)
    if early:
        return early
    trace = _StoreTrace(conf)
    answer = _gc(plugin, env, conf)
    if _valid_attachments_or_none(conf) is None:
        trace.undo()                          # a GC without a list touches no store
    return answer


def _valid_attachments_or_none(conf):
    try:
        return _valid_attachments(conf)
    except BadList:
        return None


def _gc(plugin, env, conf):
    if plugin == 'host-local':                # each plugin reads its own config before the list
        bad = _config_error(plugin, env, conf)
        if bad:
            return bad
    elif plugin == 'bridge':
        bad = _bridge_config_error(conf)
        if bad:
            return bad
    try:
        valid = _valid_attachments(conf)
    except BadList as e:
        return _error(7, '%s must be a list of {containerID, ifname}' % e.args[0])
    if valid is not None and plugin == 'bridge':
        _gc_masquerade(conf['name'], valid)  # GC keeps going after errors (spec): rules first
        _gc_spoofcheck(valid)
    missing = _missing_ipam(plugin, env, conf)    # bridge forwards even a GC without a list (README)
    if missing:
        return _error(7, missing)
    bad = _config_error(plugin, env, conf) if plugin != 'host-local' else None
    if bad:                                       # the IPAM plugin, once found, reads its config
        return bad
    if valid is None:
        return 0, ''
    ipam = conf.get('ipam')
    if (isinstance(ipam, dict) and ipam.get('type') == 'host-local') or plugin == 'host-local':
        for path, _, key in _reservations(conf):
            if not _is_valid(valid, key):
                os.unlink(path)
    return 0, ''


def _missing_ipam(plugin, env, conf):
    """bridge forwards GC and STATUS to its IPAM plugin, which must exist."""
    ipam = conf.get('ipam')
    ipam_type = ipam.get('type') if plugin == 'bridge' and isinstance(ipam, dict) else None
    if not ipam_type or not isinstance(ipam_type, str):
        return None
    dirs = env.get('CNI_PATH', '').split(':')
    if any(os.path.isfile(os.path.join(d, ipam_type)) for d in dirs if d):
        return None
    return 'failed to find plugin "%s" in path [%s]' % (ipam_type, ' '.join(dirs))


def _gc_masquerade(network, valid):
    """Removes the iptables masquerade chains (comment name: "<net>" id: "<id>")
    of containers that have no valid attachment."""
    ids = {v[0] for v in valid}
    with nodemod.Namespace(nodemod.NODE):
        for cmd in ('iptables', 'ip6tables'):
            rules = subprocess.run([cmd + '-save', '-t', 'nat'], capture_output=True, text=True).stdout
            for line in rules.splitlines():
                m = re.match(r'^-A POSTROUTING (.*--comment "name: \\"(.*)\\" id: \\"(.*)\\"".* -j (CNI-\S+))$', line)
                if not m or m.group(2) != network or m.group(3) in ids:
                    continue
                chain = m.group(4)
                subprocess.run(['sh', '-c', '%s -w -t nat %s' % (cmd, line.replace('-A ', '-D ', 1))],
                               capture_output=True)
                subprocess.run([cmd, '-w', '-t', 'nat', '-F', chain], capture_output=True)
                subprocess.run([cmd, '-w', '-t', 'nat', '-X', chain], capture_output=True)


def _gc_spoofcheck(valid):
    """Removes the MAC spoof-check rules and chains (table bridge nat, comment
    macspoofchk-<containerID>-<ifname>) of attachments not in the list. Every
    chain in a fuzzed node belongs to the one network the case uses."""
    keep = {'%s-%s' % v for v in valid}
    with nodemod.Namespace(nodemod.NODE):
        listing = subprocess.run(['nft', '-a', 'list', 'chain', 'bridge', 'nat', 'PREROUTING'],
                                 capture_output=True, text=True).stdout
        for m in re.finditer(r'comment "macspoofchk-(\S+)" # handle (\d+)', listing):
            ref, handle = m.groups()
            if ref in keep:
                continue
            subprocess.run(['nft', 'delete', 'rule', 'bridge', 'nat', 'PREROUTING', 'handle', handle], capture_output=True)
            for chain in ('cni-br-iface-' + ref, 'cni-br-iface-%s-mac' % ref):
                subprocess.run(['nft', 'flush', 'chain', 'bridge', 'nat', chain], capture_output=True)
            for chain in ('cni-br-iface-' + ref, 'cni-br-iface-%s-mac' % ref):
                subprocess.run(['nft', 'delete', 'chain', 'bridge', 'nat', chain], capture_output=True)


def _range_sets(conf):
    ipam = conf.get('ipam') or {}
    sets = []
    rc = conf.get('runtimeConfig') or {}
    rc = rc.get('ipRanges') if isinstance(rc, dict) else None
    if rc:
        sets += rc
    if ipam.get('subnet'):
        sets.append([{k: ipam[k] for k in ('subnet', 'rangeStart', 'rangeEnd', 'gateway') if k in ipam}])
    sets += ipam.get('ranges') or []
    return sets


def _bounds(r):
    net = ipaddress.ip_network(r['subnet'])
    start = go_ip(r['rangeStart']) if r.get('rangeStart') else net.network_address + 1
    if r.get('rangeEnd'):
        end = go_ip(r['rangeEnd'])
    else:
        end = net.broadcast_address - 1 if net.version == 4 else net.broadcast_address
    return start, end


def _describe(range_set):
    """The reference's RangeSet.String(): start-end[,start-end...]."""
    return ','.join('%s-%s' % _bounds(r) for r in range_set)


def _has_free_address(range_set, taken):
    for r in range_set:
        net = ipaddress.ip_network(r['subnet'])
        start = go_ip(r['rangeStart']) if r.get('rangeStart') else net.network_address + 1
        if r.get('rangeEnd'):
            end = go_ip(r['rangeEnd'])
        else:
            end = net.broadcast_address - 1 if net.version == 4 else net.broadcast_address
        gw = go_ip(r['gateway']) if r.get('gateway') else net.network_address + 1
        if int(end) - int(start) > 4096 or start > end:
            return True                      # big, or an edge the reference's own iterator decides
        for i in range(int(start), int(end) + 1):
            ip = ipaddress.ip_address(i) if net.version == 4 else ipaddress.IPv6Address(i)
            if ip != gw and ip not in taken:
                return True
    return False


def status(plugin, env, conf):
    early = _preamble('STATUS', env, conf)
    if early:
        return early
    if plugin == 'bridge':                    # the bridge reads its own config first
        bad = _bridge_config_error(conf)
        if bad:
            return bad
    ipam_type = (conf.get('ipam') or {}).get('type') if plugin == 'bridge' else 'host-local'
    missing = _missing_ipam(plugin, env, conf)
    if missing:
        return _error(50, missing)
    bad = _config_error(plugin, env, conf)   # host-local's own, or the IPAM plugin's once found
    if bad:
        return bad
    if not ipam_type:
        return 0, ''                         # L2: nothing to ask
    if ipam_type != 'host-local':
        return 0, ''
    taken = {r[1] for r in _reservations(conf)}
    for index, range_set in enumerate(_range_sets(conf)):
        if not _has_free_address(range_set, taken):
            return _error(50, 'no IP addresses available in range set: %s' % _describe(range_set))
    return 0, ''


def own_netns_refusal(plugin, env, conf):
    """ADD/DEL/CHECK whose CNI_NETNS is the plugin's own namespace: refused
    before any side effect (README: CNI_NETNS is checked before any side effect)."""
    return _error(8, "plugin's netns and netns from CNI_NETNS should not be the same")


MODELS = {'gc': gc, 'status': status, 'own-netns': own_netns_refusal}


def go_ip(text):
    """An address as Go's net.ParseIP reads it: an IPv4-mapped IPv6 address
    (::ffff:10.1.2.9) is that IPv4 address (To4), in ranges and requests."""
    ip = ipaddress.ip_address(text)
    return ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped else ip


def _requested_ips(env, conf):
    """The static requests host-local would read, or None when they cannot be
    told apart simply (a CNI_ARGS the model does not parse): the real
    reference then runs."""
    ips = []
    args = env.get('CNI_ARGS', '')
    pairs = [p.split('=') for p in args.split(';')] if args else []
    if any(len(p) != 2 for p in pairs):
        return None
    keys = {k for k, _ in pairs}
    if keys - {'IP', 'IgnoreUnknown'} and not any(k == 'IgnoreUnknown' and v.lower() in ('1', 'true')
                                                 for k, v in pairs):
        return None
    ips += [v for k, v in pairs if k == 'IP']
    args = conf.get('args') or {}
    if not isinstance(args, dict):           # a JSON type error, which the binary reports
        return None
    for source in (args.get('cni') or {}, conf.get('runtimeConfig') or {}):
        if not isinstance(source, dict):
            return None
        value = source.get('ips', [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None
        ips += value
    try:
        return [go_ip(ip.split('/')[0]) for ip in ips]
    except ValueError:
        return None


def _complete_add_environment(env):
    """Every variable an ADD needs, each well-formed (the skel's checks)."""
    ifname = env.get('CNI_IFNAME', '')
    return all(env.get(k) for k in ('CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH')) and \
        bool(_NAME.match(env['CNI_CONTAINERID'])) and len(ifname) <= 15 and ifname not in ('.', '..') and \
        not any(ch in ifname for ch in '/: \t\n')


def _unreadable_resolv_conf(ipam):
    """host-local reads resolvConf before it allocates, and fails when it
    cannot: that error comes first (the binary then runs, and says it)."""
    path = ipam.get('resolvConf')
    if not isinstance(path, str) or not path:
        return False
    try:
        with open(path, 'rb'):
            return False
    except OSError:
        return True


def static_duplicate(plugin, env, conf):
    """host-local ADD with a static address for an attachment that already
    holds one in that range set: refused as a dynamic ADD is (the reference
    skips the check, REFERENCE.md §3.2, §3.8.7). None when the case is not
    that one: the reference binary then runs."""
    if plugin != 'host-local' or env.get('CNI_COMMAND') != 'ADD' or not isinstance(conf, dict):
        return None
    if not _complete_add_environment(env) or (conf.get('cniVersion') or '0.1.0') not in VERSIONS:
        return None                          # the skel answers first: the binary runs
    ipam = conf.get('ipam')
    if not isinstance(ipam, dict):           # host-local run directly does not look at ipam.type
        return None
    requested = _requested_ips(env, conf)
    if not requested or _config_error(plugin, env, conf) or _unreadable_resolv_conf(ipam):
        return None
    cid, ifname = env.get('CNI_CONTAINERID', '').strip(), env.get('CNI_IFNAME', '')
    try:
        sets = [[_bounds(r) for r in rs] for rs in _range_sets(conf)]
    except (KeyError, ValueError, TypeError):
        return None
    mine = (attachment_key(cid, ifname), legacy_key(cid))
    held = [ip for _, ip, key in _reservations(conf) if key in mine]
    for index, bounds in enumerate(sets):
        dup = next((ip for ip in held if any(s.version == ip.version and s <= ip <= e for s, e in bounds)), None)
        if dup is None:
            continue
        if not any(any(s <= ip <= e for s, e in bounds if s.version == ip.version) for ip in requested):
            return None                      # a dynamic set: the reference's own check fails there first
        return _error(999, 'failed to allocate for range %d: %s has been allocated to %s, '
                           'duplicate allocation is not allowed' % (index, dup, cid))
    return None


MODELS['static-duplicate'] = static_duplicate
