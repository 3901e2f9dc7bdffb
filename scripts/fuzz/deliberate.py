"""Every difference from the reference that is on purpose, in one table.

Anything the fuzzer sees differ between the reference and ours is a
finding unless a rule below explains it. A rule names the field it covers
(a glob over the difference's path, see compare.path_class), the
condition under which it applies, why, and the README item it stands for
("Where we differ from the reference, on purpose", or the fuzzer section's
list of upstream changes newer than Debian's 1.1.1). `readme` must be the
bold lead of a README bullet: scripts/fuzz/check_readme.py keeps the two
in sync both ways.

Three kinds of rule:
- MODELS: for these steps the reference binary cannot answer (1.1.1 has no
  GC/STATUS), or is known to answer differently on purpose before doing
  anything: the reference side runs a model (models.py) instead.
- TRANSLATIONS: how a step is rewritten for the reference binary
  (1.1.0 configs go to 1.1.1 as 1.0.0, the result comes back as 1.1.0).
- RULES: differences accepted in the comparison. A diverging rule
  explains a step that takes another path on purpose, and with it the rest
  of the case.
An entry whose README item arrives with another branch says so in
`pending`. Findings that are not deliberate but not fixed yet are not
here: they are in known.py.
"""
import fnmatch, ipaddress, itertools, json, re
import models

MISSING_VALUE = '<missing>'

WHERE_WE_DIFFER = 'Where we differ from the reference, on purpose'
VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']
NEWER_UPSTREAM = 'Compared against Debian 1.1.1'


def _cmd(step):
    return step.get('env', {}).get('CNI_COMMAND')


def _version(conf):
    return conf.get('cniVersion') if isinstance(conf, dict) else None


# ---- MODELS ------------------------------------------------------------------------

MODELS = [
    {'model': 'gc', 'when': lambda step, env, conf: _cmd(step) == 'GC',
     'why': 'Debian 1.1.1 has no GC (upstream HEAD neither: FIXME); the README promises '
            'host-local releases what is not in the attachment list, bridge also its rules, '
            'and nothing without a list',
     'readme': 'GC and STATUS (spec 1.1.0).'},
    {'model': 'status', 'when': lambda step, env, conf: _cmd(step) == 'STATUS',
     'why': 'Debian 1.1.1 has no STATUS; upstream HEAD: bridge delegates to IPAM, host-local '
            'succeeds; ours: 50 when a range set is exhausted or the IPAM plugin is missing',
     'readme': 'GC and STATUS (spec 1.1.0).'},
    {'model': 'own-netns',
     'when': lambda step, env, conf: _cmd(step) in ('ADD', 'DEL') and step.get('plugin', 'bridge') == 'bridge'
     and isinstance(conf, dict) and (conf.get('cniVersion') or '0.1.0') in VERSIONS
     and env.get('CNI_NETNS') in ('/run/netns/fz-node', '/proc/self/ns/net')
     and env.get('CNI_NETNS_OVERRIDE') not in ('1', 'true')        # upstream's library skips the check then
     and all(env.get(k) for k in ('CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_PATH')),
     'why': "CNI_NETNS naming the plugin's own namespace is refused (code 8) before any side "
            'effect; 1.1.1 has no such check and configures its own namespace',
     'readme': '`CNI_NETNS` is checked before any side effect'},
    {'model': 'static-duplicate',
     'when': lambda step, env, conf: _cmd(step) == 'ADD' and step.get('plugin', 'bridge') == 'host-local',
     'why': 'a static address for an attachment that already holds one in that range set is refused as '
            'dynamic allocation refuses it; the reference skips the check (REFERENCE.md §3.8.7). The model '
            'answers only in that situation; otherwise the reference binary runs',
     'readme': 'A static address for an attachment that already holds one is refused.'},
]


def reference_model(step, env, conf):
    """The model that stands in for the reference on this step, or None.
    A model may decline (return None from models.py): the binary then runs."""
    for m in MODELS:
        if m['when'](step, env, conf):
            return m['model']
    return None


# ---- TRANSLATIONS --------------------------------------------------------------------

TRANSLATIONS = [
    {'what': 'cniVersion 1.1.0 is sent to the reference as 1.0.0, and its result comes back as 1.1.0',
     'why': '1.1.1 supports results up to 1.0.0; 1.0.0 and 1.1.0 results have the same shape '
            '(REFERENCE.md §1.4), so the comparison stays exact for everything else',
     'readme': 'Spec 1.1.0.'},
]


def reference_translation(step, env, conf, stdin):
    if _version(conf) != '1.1.0':
        return stdin, lambda out: out
    conf = dict(conf, cniVersion='1.0.0')
    if isinstance(conf.get('prevResult'), dict) and conf['prevResult'].get('cniVersion') == '1.1.0':
        conf['prevResult'] = dict(conf['prevResult'], cniVersion='1.0.0')

    def undo(out):
        try:
            doc = json.loads(out)
        except ValueError:
            return out
        if isinstance(doc, dict) and doc.get('cniVersion') == '1.0.0':
            doc['cniVersion'] = '1.1.0'
            return json.dumps(doc)
        return out
    return json.dumps(conf), undo


# ---- RULES -----------------------------------------------------------------------------

class Context:
    """What a rule's condition may look at."""

    def __init__(self, case, result, path, ref, ours):
        self.case, self.result, self.path, self.ref, self.ours = case, result, path, ref, ours
        self.step_index = path[1] if path[0] == 'steps' else None
        self.step = case['steps'][self.step_index] if self.step_index is not None else None

    def conf(self, step=None):
        step = step or self.step
        c = step.get('conf') if step else None
        return c if isinstance(c, dict) else {}

    def cmd(self, step=None):
        return _cmd(step or self.step or {})

    def steps(self):
        return self.case['steps']

    def out(self, side, i=None):
        i = self.step_index if i is None else i
        return self.result[side]['steps'][i]['out']

    def failed(self, side, i):
        return self.result[side]['steps'][i]['exit'] != 0


RULES = []
# README items that no comparison can observe: not every item needs a rule.
NOT_OBSERVABLE = {
    "host-local's cost does not grow with the store.": 'timing; its `.index/` is left out of the store comparison (observe.py)',
    'Crash safety.': 'needs a kill at an instant; scripts/test.sh covers it',
    'DEL returns once the kernel has removed the interface.': 'timing only',
    'Reservations of an earlier boot are released': 'needs another boot ID; scripts/test.sh covers it',
    'An empty entry in `CNI_PATH`': 'the reference would look in its current directory, where cases never put a '
                                    'plugin; the error naming the list is compared',
    'Firewall rules without helper processes.': 'processes are not observed; the rules themselves are '
                                                'compared (and cases never set nonMasqueradeCIDRs)',
}


def rule(field, why, readme, diverges=False, pending=None):
    """Registers a rule. A diverging rule explains a step whose outcome
    differs on purpose (one side refuses what the other does): what the two
    sides do after it cannot be compared, so the rest of the case is
    accepted as a consequence of that step."""
    def register(fn):
        RULES.append({'field': field, 'when': fn, 'why': why, 'readme': readme, 'name': fn.__name__,
                      'diverges': diverges, 'pending': pending})
        return fn
    return register


def _bridge_name(conf):
    """The bridge a config names: "cni0" when `bridge` is absent or null (Go
    keeps the default then), the value as written otherwise."""
    name = conf.get('bridge') if isinstance(conf, dict) else None
    return 'cni0' if name is None else name


def _attachment_of(step):
    """(CNI_CONTAINERID, CNI_IFNAME) of a step, empty strings when unset."""
    env = step.get('env', {})
    return env.get('CNI_CONTAINERID', ''), env.get('CNI_IFNAME', '')


def _is_error(out):
    return isinstance(out, dict) and 'code' in out


def _members(dns):
    return isinstance(dns, dict) and any(dns.get(k) for k in ('nameservers', 'domain', 'search', 'options'))


# -- Error codes and error documents -------------------------------------------------------

@rule('steps.*.out.code', 'the reference answers 999 for every semantic error; ours uses the spec codes '
      '(4 environment, 6 JSON, 7 config, 11 try again, 2 unsupported field)', 'Error codes.')
def spec_error_codes(c):
    return c.ref == 999 and c.ours in (1, 2, 4, 6, 7, 11)


@rule('steps.*.out.cniVersion', 'our error documents carry cniVersion, as the spec asks', 'Error codes.')
def error_carries_version(c):
    return c.ref == MISSING_VALUE and _is_error(c.out('ours'))


@rule('steps.*.out.details', 'our errors may add details to the reference wording', 'Error codes.')
def error_details(c):
    return c.ref == MISSING_VALUE and _is_error(c.out('ours')) and _is_error(c.out('ref'))


_GO_TYPE_ERROR = re.compile(r'json: cannot unmarshal \w+')
_GO_PARSE_ERROR = re.compile(r'^invalid (IP|CIDR) address:? ')


@rule('steps.*.out.msg', 'a JSON value of the wrong type: both say "json: cannot unmarshal <kind> into Go struct '
      'field ...", but the struct, key path and Go type names are ours; of several broken keys (a value of the wrong '
      'type, an address that does not parse) another may be named first; the code is compared on its own',
      'JSON decoding errors are worded our way.')
def json_type_error_wording(c):
    ref, ours = c.out('ref'), c.out('ours')
    if not (_is_error(ref) and _is_error(ours)):
        return False
    r, o = ref.get('msg', ''), ours.get('msg', '')
    decoding = lambda m: bool(_GO_TYPE_ERROR.search(m) or _GO_PARSE_ERROR.search(m))
    return decoding(r) and decoding(o) and bool(_GO_TYPE_ERROR.search(r) or _GO_TYPE_ERROR.search(o))


_ERRNO_TEXT = re.compile(r"[a-z][a-z ,'-]*")


@rule('steps.*.out.msg', "a failed kernel request: the same step and the same errno text at the end, but the object "
      "printed our way (a route as 10.77.0.0/16 via ..., where the reference prints Go's {10.77.0.0 ffff0000}; "
      "an address as fd00:1::2/64, where it prints its IPConfig structure)",
      'Netlink errors name the object our way.')
def netlink_object_wording(c):
    ref, ours = c.out('ref'), c.out('ours')
    if not (_is_error(ref) and _is_error(ours)):
        return False
    r, o = ref.get('msg', ''), ours.get('msg', '')
    # The step: the words before the object (a quote, a Go structure, or an address).
    step = lambda m: ' '.join(itertools.takewhile(lambda w: not re.match(r"['\"{]", w) and not re.search(r'\d', w),
                                                  m.split(' ')))
    tail = lambda m: m.rsplit(': ', 1)[-1]
    # The bridge's gateway address, named as upstream names it since v1.9.1.
    if re.sub(r'^(failed to set bridge addr: could not add IP address) \S+ (to )', r'\1 \2', o) == r:
        return bool(_ERRNO_TEXT.fullmatch(tail(r)))
    return r.startswith('failed to ') and ': ' in r and ': ' in o and step(r) == step(o) and \
        tail(r) == tail(o) and (bool(_ERRNO_TEXT.fullmatch(tail(r))) or tail(r) in _NETLINK_LIBRARY_TEXT)


# What the reference's netlink library (vishvananda/netlink) says itself, before the kernel would.
_NETLINK_LIBRARY_TEXT = ('gateway, source, and destination ip are not the same IP family',)


# -- Versions: Debian 1.1.1 against upstream's later changes ------------------------------------

@rule('steps.* VERSION.out.cniVersion', '1.1.1 answers VERSION with 1.0.0', 'Spec 1.1.0.')
def version_answer(c):
    return c.ref == '1.0.0' and c.ours == '1.1.0'


@rule('steps.* VERSION.out.supportedVersions', '1.1.1 does not list 1.1.0', 'Spec 1.1.0.')
def version_list(c):
    return isinstance(c.ref, list) and c.ours == c.ref + ['1.1.0']


@rule('pod.links.*.sysctl.ipv6.keep_addr_on_down', 'upstream sets it since v1.7 for pods with IPv6',
      'IPv6 `keep_addr_on_down`.')
def keep_addr_on_down(c):
    return c.ref == '0' and c.ours == '1'


@rule('node.links.*.sysctl.ipv6.keep_addr_on_down', 'upstream sets it since v1.7 for pods with IPv6; here the pod '
      "interface is in the node's namespace, which CNI_NETNS_OVERRIDE let an ADD configure", 'IPv6 `keep_addr_on_down`.')
def keep_addr_on_down_own_netns(c):
    own = ('$NODE', '/proc/self/ns/net')
    return keep_addr_on_down(c) and any(
        s.get('env', {}).get('CNI_NETNS') in own and s.get('env', {}).get('CNI_NETNS_OVERRIDE') in ('1', 'true') and
        s.get('env', {}).get('CNI_IFNAME') == c.path[2] for s in c.steps())


@rule('steps.bridge *.out.dns', 'upstream (v1.2+) returns the IPAM DNS when the conf has no dns; 1.1.1 drops it',
      'IPAM DNS in the bridge result.')
def ipam_dns(c):
    return c.ref == MISSING_VALUE and not _members(c.conf().get('dns'))


@rule('store.*.mode', 'reservation and last_reserved_ip files are 0600 (upstream v1.4+; 1.1.1: 0644); '
      'the lock file is 0600 (upstream: 0750 minus umask)', 'Store file modes.')
def store_modes(c):
    return (c.ref, c.ours) in (('0644', '0600'), ('0750', '0600'))


# -- Models: GC and STATUS ------------------------------------------------------------------------

@rule('store.*', 'our GC/STATUS open the store (its directory and lock) like every other call; the model '
      'of the reference does not', 'GC and STATUS (spec 1.1.0).')
def store_opened_by_gc_status(c):
    opened = c.path[1].endswith('/lock') or c.path[1].endswith('/')
    return opened and c.ref == MISSING_VALUE and any(c.cmd(s) in ('GC', 'STATUS') for s in c.steps())




@rule('node.nft.bridge nat', 'our MAC spoof-check chains carry a network comment so that GC can find them '
      '(the table is shared by all networks)', 'GC and STATUS (spec 1.1.0).')
def spoofcheck_network_comment(c):
    if not (isinstance(c.ref, list) and isinstance(c.ours, list)):
        return False
    only_ours = [x for x in c.ours if x not in c.ref]
    return not [x for x in c.ref if x not in c.ours] and all(_network_comment(x) for x in only_ours)


def _network_comment(line):
    return bool(re.fullmatch(r'comment "[0-9a-f]{16}, net: [^"]*"', line))


# -- The gateway address on a bridge that already has addresses ----------------------------------

@rule('*', 'two IPv4 range sets each get their gateway on the bridge, and a bridge that already has the gateway '
      'next to another address of its subnet serves ADD; the reference refuses both with "already has an IP '
      'address different from"', 'The gateway address on a bridge that already has addresses', diverges=True)
def gateway_next_to_other_addresses(c):
    if c.path[0] != 'steps' or c.cmd() != 'ADD':
        return False
    ref, ours = c.out('ref'), c.out('ours')
    phrase = 'already has an IP address different from '
    if not (_is_error(ref) and phrase in ref.get('msg', '')):
        return False
    if not c.failed('ours', c.step_index):
        return True
    # Ours took the IPv4 gateways the reference refused, and went on to its
    # IPv6 ones (the reference puts IPv4 gateways on first), where it failed.
    return _is_error(ours) and phrase in ours.get('msg', '') and \
        ':' not in ref['msg'].split(phrase)[-1] and ':' in ours['msg'].split(phrase)[-1]


def _v4_gateways_forced(c):
    """The IPv4 gateways (as address/prefix) of the ADDs of this case that
    succeeded on our side with forceAddress, when one ADD had two or more."""
    found, several = set(), False
    for i, s in enumerate(c.steps()):
        conf = c.conf(s)
        out = c.out('ours', i)
        if c.cmd(s) != 'ADD' or conf.get('forceAddress') is not True or c.failed('ours', i) or \
                not isinstance(out, dict) or not isinstance(out.get('ips'), list):
            continue
        gateways = {'%s/%s' % (ip['gateway'], ip['address'].split('/')[1]) for ip in out['ips']
                    if isinstance(ip, dict) and ':' not in str(ip.get('gateway', ':')) and '/' in str(ip.get('address'))}
        found |= gateways
        several = several or len(gateways) > 1
    return found if several else set()


@rule('node.*', 'with forceAddress and two IPv4 range sets, the reference replaces each gateway by the next and '
      'keeps only the last (and its subnet route); ours keeps every range set\'s gateway, and replaces only addresses '
      'that are not one of its own gateways', 'The gateway address on a bridge that already has addresses')
def force_address_keeps_every_gateway(c):
    if not (isinstance(c.ref, list) and isinstance(c.ours, list)) or c.path[1:2] not in (('links',), ('routes',)):
        return False
    gateways = _v4_gateways_forced(c)
    only_ours = [x for x in c.ours if x not in c.ref]
    if not gateways or not only_ours or [x for x in c.ref if x not in c.ours]:
        return False
    if c.path[1] == 'links':
        return c.path[3:] == ('addrs',) and c.path[2] in _bridge_names(c) and set(only_ours) <= gateways
    networks = {str(ipaddress.ip_interface(g).network) for g in gateways}
    return all(r.split()[1] in networks and _route_dev(r) in _bridge_names(c) for r in only_ours)


@rule('steps.bridge ADD.*', 'isGateway with a range gateway of the other family than its subnet: ours refuses it '
      '(code 7) before any side effect; the reference fails after IPAM for an IPv6 range ("could not add IP address '
      'to ...: invalid argument", or "not the same IP family" adding the default route), and for an IPv4 range puts '
      'an IPv6 address with the IPv4 prefix length on the bridge', 'A gateway of the other family is refused with '
      '`isGateway`.', diverges=True)
def foreign_family_gateway(c):
    ours = c.out('ours')
    return _is_error(ours) and ours.get('code') == 7 and re.match(
        r'invalid gateway \S+ for subnet \S+: not an IPv[46] address, so isGateway cannot put it on bridge ',
        ours.get('msg', '')) is not None


# -- IPAM routes --------------------------------------------------------------------------------

@rule('steps.*', 'an IPAM route without dst, or null, is refused (code 7) before anything is reserved; the reference '
      'host-local hands it out as {"dst": "<nil>"} (or null) and keeps the reservation, and its bridge then fails '
      '("invalid CIDR address: <nil>", a panic for null) without releasing it', 'An IPAM route without `dst` is '
      'refused.', diverges=True)
def route_without_dst(c):
    ours = c.out('ours')
    return _is_error(ours) and ours.get('code') == 7 and \
        ours.get('msg') in ('invalid route: missing dst', 'invalid route: expected an object, got null')


# -- A failed ADD leaves nothing behind ---------------------------------------------------------

def _bridge_names(c):
    return {_bridge_name(c.conf(s)) for s in c.steps()}


def _failed_add(c):
    return any(c.cmd(s) == 'ADD' and s.get('plugin', 'bridge') == 'bridge' and c.failed('ours', i)
               for i, s in enumerate(c.steps()))


def _gone_links(c, ns):
    """Links the reference side has and ours does not."""
    ref_links, our_links = c.result['ref'][ns]['links'], c.result['ours'][ns]['links']
    return {name for name in ref_links if name not in our_links}


@rule('node.links.*', 'after a failed ADD the reference leaves the veth (and the bridge it made first); '
      'ours rolls back everything it created', 'A failed ADD leaves nothing behind.')
def failed_add_host_leftovers(c):
    return c.ours == MISSING_VALUE and _failed_add(c) and isinstance(c.ref, dict) and c.ref.get('kind') in ('veth', 'bridge')


@rule('pod.links.*', 'after a failed ADD the reference leaves the pod end of the veth', 'A failed ADD leaves nothing behind.')
def failed_add_pod_leftovers(c):
    return c.ours == MISSING_VALUE and _failed_add(c) and isinstance(c.ref, dict) and c.ref.get('kind') == 'veth'


def _route_dev(route):
    m = re.search(r' dev (\S+) ', route)
    return m.group(1) if m else None


@rule('*.routes', 'routes of the links a failed ADD left behind on the reference side',
      'A failed ADD leaves nothing behind.')
def failed_add_leftover_routes(c):
    if c.path[0] not in ('node', 'pod') or not _failed_add(c):
        return False
    gone = _gone_links(c, c.path[0])
    only_ref = [r for r in c.ref if r not in c.ours]
    # A multipath route names its next hops' devices joined by "+".
    return not [r for r in c.ours if r not in c.ref] and \
        all(set((_route_dev(r) or '').split('+')) <= gone for r in only_ref)


def _held_before(c, index):
    """Whether the store file of this difference existed before step `index`:
    in the pre-state, or made by an earlier ADD that succeeded on both sides."""
    if any(c.path[1].endswith('/' + name) for name in c.case.get('pre', {}).get('store', {})):
        return True
    return any(c.cmd(s) == 'ADD' and not c.failed('ref', i) and not c.failed('ours', i)
               for i, s in enumerate(c.steps()[:index]))


@rule('store.<ip>', "a failed ADD releases only what it reserved; the reference's releases every reservation of "
      'the (container ID, interface), also those it held before', 'A failed ADD takes back only what it reserved.')
def failed_add_keeps_earlier_reservations(c):
    import models
    if c.ref != MISSING_VALUE or not isinstance(c.ours, dict):
        return False
    key = models.go_trim_space(c.ours.get('content', '').encode())
    for i, s in enumerate(c.steps()):
        env = s.get('env', {})
        cid, ifname = env.get('CNI_CONTAINERID', ''), env.get('CNI_IFNAME', '')
        if c.cmd(s) == 'ADD' and c.failed('ref', i) and c.failed('ours', i) and \
                key in (models.attachment_key(cid, ifname), models.legacy_key(cid)) and _held_before(c, i):
            return True
    return False


@rule('steps.*', "a failed ADD releases only what it reserved, so an attachment that held an address before still "
      "holds it on ours; the reference's failed ADD had released it (every file of the attachment, once one of its "
      "range sets had allocated), so the later steps meet another store: its next ADD is refused as a duplicate on "
      "ours only, and another attachment may get the address the reference freed", 'A failed ADD takes back only what it reserved.',
      diverges=True)
def after_failed_add_kept_reservation(c):
    pre = c.case.get('pre', {}).get('store', {})
    for i, s in enumerate(c.steps()[:c.step_index]):
        if c.cmd(s) != 'ADD' or not (c.failed('ref', i) and c.failed('ours', i)):
            continue
        cid, ifname = _attachment_of(s)
        keys = (models.attachment_key(cid, ifname), models.legacy_key(cid))
        held = any(isinstance(v, str) and models.go_trim_space(v.encode()) in keys for v in pre.values()) or any(
            c.cmd(t) == 'ADD' and _attachment_of(t) == (cid, ifname) and not c.failed('ref', j) and
            not c.failed('ours', j) for j, t in enumerate(c.steps()[:i]))
        if held:
            return True
    return False


@rule('steps.bridge *', 'CNI_NETNS naming the plugin\'s own namespace: ours checks the config (its decoding too, '
      'code 6 for a name that is no string) and CNI_ARGS first, then the namespace, still before any side effect; '
      'the model answers code 8 at once', '`CNI_NETNS` is checked before any side effect')
def own_netns_after_config_checks(c):
    ours = c.out('ours')
    return c.result['raw']['ref'][c.step_index]['by'] == 'model:own-netns' and _is_error(ours) and \
        ours.get('code') in (1, 2, 4, 6, 7)


@rule('steps.bridge ADD.out.msg', 'an ADD whose CNI_NETNS is not a network namespace and whose bridge cannot be '
      'set up (a name taken by a link that is not a bridge): ours refuses the netns first, before it touches the '
      'bridge (code 4); the reference sets up the bridge first and reports that failure',
      '`CNI_NETNS` is checked before any side effect')
def netns_refused_before_bridge_setup(c):
    ref, ours = c.out('ref'), c.out('ours')
    return _is_error(ref) and _is_error(ours) and ours.get('code') == 4 and \
        str(ref.get('msg', '')).startswith('failed to create bridge ') and \
        str(ours.get('msg', '')).startswith('failed to open netns ')


@rule('steps.bridge ADD.out.msg', 'a VLAN config on a kernel without bridge VLAN filtering: ours makes the '
      'filtering bridge after every check that changes nothing (an invalid requested MAC, the pod interface '
      'already there, the IPAM plugin\'s name or presence) and names that first; '
      'the reference makes the bridge first and fails with "operation not supported"', 'VLANs.')
def vlan_bridge_made_after_checks(c):
    ref, ours, conf = c.out('ref'), c.out('ours'), c.conf()
    return _is_error(ref) and _is_error(ours) and ('vlan' in conf or 'vlanTrunk' in conf) and \
        re.fullmatch(r'failed to create bridge "[^"]*": could not add "[^"]*": operation not supported',
                     str(ref.get('msg', ''))) is not None and \
        any(m in str(ours.get('msg', '')) for m in _CHANGES_NOTHING)


# Errors of our bridge ADD's checks that change nothing, which a VLAN config
# may report where the reference, on a kernel without VLAN filtering, fails first.
_CHANGES_NOTHING = ('invalid MAC address', 'container veth name provided', 'failed to find plugin',
                    'invalid plugin name')


@rule('steps.bridge ADD.*', 'a VLAN config on an existing bridge without VLAN filtering, on a kernel without it: '
      'ours names a check that changes nothing first (the IPAM plugin\'s name or presence, an invalid MAC, the pod '
      'interface already there); the reference makes the veth, fails tagging it ("operation not supported") and '
      'leaves it, which the rest of the case then sees', 'VLANs.', diverges=True)
def vlan_tag_refused_after_checks(c):
    ref, ours, conf = c.out('ref'), c.out('ours'), c.conf()
    return _is_error(ref) and _is_error(ours) and ('vlan' in conf or 'vlanTrunk' in conf) and \
        re.fullmatch(r'failed to setup vlan tag on interface "[^"]*": operation not supported',
                     str(ref.get('msg', ''))) is not None and \
        any(m in str(ours.get('msg', '')) for m in _CHANGES_NOTHING)


@rule('steps.bridge CHECK.*', "CHECK with CNI_NETNS naming the plugin's own namespace: ours refuses it (code 8) as "
      "it refuses ADD and DEL there; upstream's library checks ADD and DEL only, and the reference's CHECK goes on to "
      'fail on whatever it misses in the node\'s namespace', '`CNI_NETNS` is checked before any side effect',
      diverges=True)
def own_netns_check(c):
    ours = c.out('ours')
    own = ('$NODE', '/run/netns/fz-node', '/proc/self/ns/net')
    return c.step.get('env', {}).get('CNI_NETNS') in own and c.failed('ref', c.step_index) and \
        _is_error(ours) and ours.get('code') == 8


# -- DEL always cleans up ------------------------------------------------------------------------

def _masq_line(line, network):
    return line.startswith(':CNI-') or ('name: \\"%s\\"' % network) in line


def _spoofcheck_line(line):
    return 'macspoofchk-' in line or line.startswith('chain cni-br-iface-') or line == '}' or \
        line.startswith('ether saddr') or line.startswith('drop')


@rule('node.ip*tables', 'the reference leaves masquerade rules behind when DEL has no usable netns '
      '(or after a failed DEL); ours finds them by their tag', 'DEL always cleans up.')
def del_removes_masquerade(c):
    if not (isinstance(c.ref, list) and isinstance(c.ours, list)):
        return False
    only_ref = [x for x in c.ref if x not in c.ours]
    dels = [s for s in c.steps() if c.cmd(s) in ('DEL', 'GC')]   # even a DEL whose IPAM part fails
    network = c.conf(c.steps()[0]).get('name', '')
    return bool(dels) and not [x for x in c.ours if x not in c.ref] and all(_masq_line(x, network) for x in only_ref)


@rule('node.nft.bridge nat', 'the reference leaves the MAC spoof-check rules behind when DEL has no netns '
      '(or after its IPAM part failed); ours finds them by their comment (and its chains that are left carry their '
      'network comment)', 'DEL always cleans up.')
def del_removes_spoofcheck(c):
    if not (isinstance(c.ref, list) and isinstance(c.ours, list)):
        return False
    only_ref = [x for x in c.ref if x not in c.ours]
    dels = [s for s in c.steps() if c.cmd(s) == 'DEL']
    return bool(dels) and all(_network_comment(x) for x in c.ours if x not in c.ref) and \
        all(_spoofcheck_line(x) for x in only_ref)


def _accept_after_masquerade(lines):
    """Whether some CNI- chain has an ACCEPT after its MASQUERADE."""
    masqueraded = set()
    for line in lines:
        m = re.match(r'-A (CNI-[0-9a-f]+) .*-j (ACCEPT|MASQUERADE)$', line)
        if m and m.group(2) == 'MASQUERADE':
            masqueraded.add(m.group(1))
        elif m and m.group(1) in masqueraded:
            return True
    return False


@rule('node.ip*tables', 'with two subnets of one family, the reference appends the second ACCEPT after the '
      'MASQUERADE (where it never matches); ours puts every ACCEPT first',
      'Masquerading with two subnets of one family.')
def accepts_before_masquerade(c):
    return isinstance(c.ref, list) and isinstance(c.ours, list) and sorted(c.ref) == sorted(c.ours) and \
        _accept_after_masquerade(c.ref) and not _accept_after_masquerade(c.ours)


@rule('steps.bridge DEL.*', 'with two addresses of one family, the reference\'s DEL deletes the masquerade chain '
      'while the second POSTROUTING jump still points at it, and fails; ours removes the jumps first',
      'Masquerading with two subnets of one family.', diverges=True)
def del_masquerade_two_addresses(c):
    ref = c.out('ref')
    msg = ref.get('msg', '') if _is_error(ref) else ''
    return ' -X CNI-' in msg and ('resource busy' in msg or 'Too many links' in msg) and \
        not c.failed('ours', c.step_index)


@rule('steps.bridge DEL.*', 'the reference\'s DEL fails when a masquerade rule or chain it wants to delete is already '
      'gone ("ip6tables ... does not exist"); ours succeeds', 'DEL always cleans up.', diverges=True)
def del_tolerates_missing_rules(c):
    ref = c.out('ref')
    msg = ref.get('msg', '') if _is_error(ref) else ''
    return msg.startswith('running [') and 'does not exist' in msg and not c.failed('ours', c.step_index)


@rule('steps.bridge DEL.*', 'DEL with a stale netns file: the reference fails without releasing anything; '
      'ours releases the reservation and the rules (and so may fail later, on a broken IPAM config, say)',
      'DEL always cleans up.', diverges=True)
def del_with_stale_netns(c):
    out, ours = c.out('ref'), c.out('ours')
    went_on = not c.failed('ours', c.step_index) or (_is_error(ours) and 'netns' not in ours.get('msg', ''))
    return c.step.get('env', {}).get('CNI_NETNS') == '$STALE' and went_on and \
        _is_error(out) and ('unknown FS magic' in out.get('msg', '') or 'failed to Statfs' in out.get('msg', ''))


# -- Interface names: the kernel's rule (bytes) against Go's unicode.IsSpace -------------------------

# Go's unicode.IsSpace beyond ASCII; the kernel refuses only the byte 0xA0 among these names' bytes.
_GO_WIDE_SPACES = {chr(c) for c in [0x85, 0xa0, 0x1680, *range(0x2000, 0x200b), 0x2028, 0x2029, 0x202f, 0x205f,
                                    0x3000]}
_IFNAME_SPACE = 'interface name contains / or : or whitespace characters'


def _ifname(c):
    name = c.step.get('env', {}).get('CNI_IFNAME') if c.step else None
    return name if isinstance(name, str) else ''


@rule('steps.*', 'a CNI_IFNAME holding the byte 0xA0 in a character Go takes for no space (à, C3 A0): ours refuses '
      'it up front (code 4) as the kernel would; the reference takes it, and the kernel refuses it later (ADD: '
      '"failed to make veth pair: invalid argument"; DEL finds nothing and succeeds)',
      "Interface names follow the kernel's rule", diverges=True)
def ifname_byte_a0(c):
    ours, name = c.out('ours'), _ifname(c)
    return 0xa0 in name.encode() and not set(name) & _GO_WIDE_SPACES and \
        _is_error(ours) and ours.get('code') == 4 and ours.get('msg') == _IFNAME_SPACE and \
        not (_is_error(c.out('ref')) and c.out('ref').get('msg') == _IFNAME_SPACE)


@rule('steps.*', 'a CNI_IFNAME holding a Unicode space without the byte 0xA0 (U+0085, U+2000...): a name the kernel '
      'takes, and so does ours; the reference refuses it (code 4)', "Interface names follow the kernel's rule",
      diverges=True)
def ifname_unicode_space(c):
    ref, ours, name = c.out('ref'), c.out('ours'), _ifname(c)
    return bool(set(name) & _GO_WIDE_SPACES) and 0xa0 not in name.encode() and \
        _is_error(ref) and ref.get('code') == 4 and ref.get('msg') == _IFNAME_SPACE and \
        not (_is_error(ours) and ours.get('msg') == _IFNAME_SPACE)


@rule('steps.bridge ADD.*', 'an mtu above 65535 or from 1 to 67: ours refuses it before anything is made (code 7, '
      '"invalid MTU"); the reference hands it to the kernel, which refuses it ("invalid argument")', 'Error codes.',
      diverges=True)
def mtu_out_of_bounds(c):
    ref, ours = c.out('ref'), c.out('ours')
    return _is_error(ours) and ours.get('msg', '').startswith('invalid MTU ') and \
        (not _is_error(ref) or 'invalid argument' in ref.get('msg', ''))


@rule('steps.bridge DEL.*', 'DEL with a netns path through a regular file ("/run/netns/pod/": not a directory): '
      'the reference fails without releasing anything; ours takes the namespace as gone, releases the reservation '
      'and the rules, and succeeds (or fails later, on IPAM)', 'DEL always cleans up.', diverges=True)
def del_with_netns_beneath_file(c):
    out, ours = c.out('ref'), c.out('ours')
    went_on = not c.failed('ours', c.step_index) or (_is_error(ours) and 'netns' not in ours.get('msg', ''))
    return _is_error(out) and out.get('msg', '').startswith('failed to Statfs') and \
        'not a directory' in out.get('msg', '') and went_on


# -- CHECK ----------------------------------------------------------------------------------------

def _l2(conf):
    ipam = conf.get('ipam')
    return not isinstance(ipam, dict) or not ipam.get('type')


@rule('steps.bridge CHECK.*', "CHECK works in L2 mode; the reference's always fails ('no plugin name provided')",
      'CHECK')
def check_in_l2(c):
    out = c.out('ref')
    return _l2(c.conf()) and _is_error(out) and out.get('msg') == 'no plugin name provided'


def _left_out_by_an_earlier_gc(c):
    """Whether a GC before this step had an attachment list without this
    step's (container ID, interface)."""
    env = c.step.get('env', {})
    me = (env.get('CNI_CONTAINERID'), env.get('CNI_IFNAME'))
    for s in c.steps()[:c.step_index]:
        conf = c.conf(s)
        if c.cmd(s) != 'GC' or not any(k in conf for k in ('cni.dev/valid-attachments', 'cni.dev/attachments')):
            continue
        listed = conf.get('cni.dev/valid-attachments', conf.get('cni.dev/attachments'))
        valid = {(a.get('containerID'), a.get('ifname')) for a in (listed if isinstance(listed, list) else [])
                 if isinstance(a, dict)}
        if me not in valid:
            return True
    return False


@rule('steps.bridge CHECK.*', "CHECK of an attachment that an earlier GC left out of its list: the GC removed its MAC "
      "spoof-check rules (on both sides: the reference's GC is a model), and our CHECK, which verifies them, fails; "
      "1.1.1's CHECK does not look at them", 'CHECK')
def check_after_gc_removed_spoofcheck(c):
    ours = c.out('ours')
    return _is_error(ours) and str(ours.get('msg', '')).startswith('macspoofchk rule missing') and \
        _left_out_by_an_earlier_gc(c)


@rule('steps.bridge CHECK.*', "CHECK with macspoofchk of an attachment no ADD of ours made (its cached result is "
      "another container's): it has no spoof-check rules, and our CHECK, which verifies them, fails; 1.1.1's CHECK "
      "does not look at them", 'CHECK')
def check_spoofcheck_never_made(c):
    ours = c.out('ours')
    made = any(c.cmd(s) == 'ADD' and not c.failed('ours', i) and _attachment_of(s) == _attachment_of(c.step)
               for i, s in enumerate(c.steps()[:c.step_index]))
    return _is_error(ours) and str(ours.get('msg', '')).startswith('macspoofchk rule missing') and not made


_ROUTE_FIELDS_1_1_0 = ('mtu', 'advmss', 'priority', 'table', 'scope')


@rule('steps.*', 'an IPAM route with the fields of spec 1.1.0 (mtu, advmss, priority, table, scope): ours '
      'decodes them in every command (a wrong JSON type is an error), reports them and installs the route with them, '
      'as upstream does now; 1.1.1 ignores them (so a route in another table, or with another scope, may fail for '
      'ours where 1.1.1 adds a plain one)', 'Route fields of spec 1.1.0.', diverges=True)
def route_fields_of_1_1_0(c):
    ipam = c.conf().get('ipam')
    routes = ipam.get('routes') if isinstance(ipam, dict) else None
    return isinstance(routes, list) and any(isinstance(r, dict) and any(k in r for k in _ROUTE_FIELDS_1_1_0)
                                            for r in routes)


@rule('steps.bridge CHECK.*', '1.1.1 reports every route without gw as missing (fixed upstream in v1.3.0)',
      'CHECK of routes without `gw`.')
def check_route_without_gw(c):
    out = c.out('ref')
    msg = out.get('msg', '') if _is_error(out) else ''
    return msg.startswith('Expected Route') and 'GW:<nil>' in msg and not c.failed('ours', c.step_index)


def _bridge_mac_moved(out):
    return _is_error(out) and out.get('msg', '').startswith('Bridge interface ') and "Mac doesn't match" in out.get('msg', '')


@rule('steps.bridge CHECK.*', "our bridge is created with a MAC of its own, which never moves; the reference's "
      "unpinned bridge takes the MAC of a new port that sorts lower, and its CHECK of earlier pods fails there, "
      "where ours goes on to the later checks (a bridge that existed before: unpinned_existing_bridge_mac)",
      'A bridge keeps the MAC it was created with.')
def check_bridge_mac_kept(c):
    bridges = _bridge_names(c)
    existed = any(l['name'] in bridges for l in c.case.get('pre', {}).get('links', []))
    made_by_ours = not existed and \
        next((s.get('by', 'ours') for s in c.steps() if c.cmd(s) == 'ADD' and s.get('plugin', 'bridge') == 'bridge'),
             None) == 'ours'
    # Ours passes the bridge, and may fail a later check the reference never reached.
    return made_by_ours and _bridge_mac_moved(c.out('ref')) and not _bridge_mac_moved(c.out('ours'))


# Errors of a bridge ADD, either side, that come before its gateway step:
# IPAM's (passed through), and setting the pod's addresses and routes.
_BEFORE_GATEWAY = ('failed to allocate', 'no IP addresses available', 'requested IP address', 'failed to find plugin',
                   'invalid plugin name', 'IPAM plugin returned missing IP config', 'failed to add IP addr ',
                   'failed to add route ', 'failed to settle addresses ')


def _pins_bridge_mac(c, i, step, bridge):
    """Whether this step may have pinned the bridge's MAC: an ADD with
    isGateway, unless on each side it either succeeded and each gateway it
    reported was on the bridge before the case, or failed before its gateway
    step (both implementations pin the MAC only when they put an address on,
    after IPAM answered and the pod's addresses were set)."""
    conf = step.get('conf') if isinstance(step.get('conf'), dict) else {}
    if _cmd(step) != 'ADD' or not (conf.get('isGateway') is True or conf.get('isDefaultGateway') is True):
        return False
    pre = next((l for l in c.case.get('pre', {}).get('links', []) if l.get('name') == bridge), {})
    try:
        there = {ipaddress.ip_interface(a) for a in pre.get('addrs', [])}
        for side in ('ref', 'ours'):
            out = c.out(side, i)
            if c.failed(side, i) and _is_error(out) and str(out.get('msg', '')).startswith(_BEFORE_GATEWAY):
                continue
            ips = out.get('ips') if isinstance(out, dict) and not c.failed(side, i) else None
            if not isinstance(ips, list) or not ips or not all(
                    isinstance(ip, dict) and ip.get('gateway') and ipaddress.ip_interface(
                        '%s/%s' % (ip['gateway'], ip['address'].split('/')[1])) in there for ip in ips):
                return True
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return True
    return False


@rule('steps.bridge CHECK.*', "a bridge that existed before and that no ADD pinned (no isGateway, or only gateways it already had) follows its lowest "
      "port's random MAC on both sides, so a CHECK of an earlier attachment finds another MAC than its prevResult on "
      'either side, at random', "An existing bridge's MAC that nobody pins.", diverges=True)
def unpinned_existing_bridge_mac(c):
    # One side fails on the bridge's MAC; the other passes it, and passes or
    # fails a later check that side never reached.
    if len([side for side in ('ref', 'ours') if _bridge_mac_moved(c.out(side))]) != 1:
        return False
    bridge = _bridge_name(c.conf())
    existed = any(l.get('name') == bridge for l in c.case.get('pre', {}).get('links', []))
    return existed and not any(_pins_bridge_mac(c, i, s, bridge) for i, s in enumerate(c.steps()))


# -- isDefaultGateway with an IPAM default route without gw ---------------------------------------

@rule('steps.bridge ADD.*', 'isDefaultGateway with an IPAM default route without gw: the reference adds the '
      'route twice and fails with "file exists"; ours adds it once', '`isDefaultGateway` with an IPAM default route without `gw`',
      diverges=True)
def default_route_once(c):
    out = c.out('ref')
    conf = c.conf()
    routes = (conf.get('ipam') or {}).get('routes') if isinstance(conf.get('ipam'), dict) else None
    bare = isinstance(routes, list) and any(isinstance(r, dict) and r.get('dst') in ('0.0.0.0/0', '::/0')
                                            and not r.get('gw') for r in routes)
    ours = c.out('ours')
    # Ours goes on, and may fail at a later step of ADD (a conflicting gateway address, say).
    went_on = not c.failed('ours', c.step_index) or \
        (_is_error(ours) and 'failed to add route' not in ours.get('msg', ''))
    return bare and conf.get('isDefaultGateway') is True and _is_error(out) and \
        'file exists' in out.get('msg', '') and went_on


# -- A bridge without a MAC ------------------------------------------------------------------------

@rule('steps.bridge ADD.*', 'a bridge whose MAC was never set has all zeros once its last port left (a sequence: '
      "the reference's failed ADD leaves a veth on the bridge, DEL removes it): with isGateway the reference "
      "pins the zero MAC and fails; ours gives the bridge a random MAC", 'A bridge without a MAC', diverges=True)
def bridge_without_mac(c):
    ref = c.out('ref')
    gateway = c.conf().get('isGateway') is True or c.conf().get('isDefaultGateway') is True
    # Ours goes on: it succeeds, or fails a later step the reference never reached.
    ours = c.out('ours')
    return gateway and _is_error(ref) and "could not set bridge's mac: invalid argument" in ref.get('msg', '') and \
        not (_is_error(ours) and "could not set bridge's mac" in str(ours.get('msg', '')))


# -- L2 with result versions 0.1.0 / 0.2.0 -----------------------------------------------------

@rule('steps.bridge ADD.out.*', 'an L2 config cannot give a 0.1.0/0.2.0 result: ours refuses it (code 1, '
      'with details) before creating anything; the reference creates the bridge and veth, then fails',
      'L2 with result versions 0.1.0 and 0.2.0.', diverges=True)
def l2_old_versions(c):
    ours = c.out('ours')
    old = c.conf().get('cniVersion') in (None, '', '0.1.0', '0.2.0')
    return _l2(c.conf()) and old and c.failed('ref', c.step_index) and _is_error(ours) and \
        ours.get('msg') == 'cannot convert: no valid IP addresses'


# -- Keys newer than 1.1.1 ---------------------------------------------------------------------

NEWER_KEYS = {'portIsolation': ('NetConf.portIsolation',),
              'vlanTrunk': ('NetConf.vlanTrunk',),
              'preserveDefaultVlan': ('NetConf.preserveDefaultVlan',),
              'ipMasqBackend': ('NetConf.ipMasqBackend', 'unknown ipmasq backend'),
              'disableContainerInterface': ('NetConf.disableContainerInterface',
                                            'cannot use IPAM when DisableContainerInterface flag is set')}


@rule('steps.bridge *', '1.1.1 ignores keys added later upstream (portIsolation v1.7, ipMasqBackend v1.6, '
      'disableContainerInterface v1.4.1, vlanTrunk and preserveDefaultVlan v1.3); ours checks and refuses them as '
      'upstream does now',
      'Newer upstream keys.', diverges=True)
def newer_key_refused(c):
    out = c.out('ours')
    return _is_error(out) and any(k in c.conf() and any(m in out.get('msg', '') for m in msgs)
                                  for k, msgs in NEWER_KEYS.items())


@rule('node.links.*.port.isolated', 'portIsolation (upstream v1.7; ignored by 1.1.1)', 'Newer upstream keys.')
def port_isolation(c):
    return c.ours is True and any(c.conf(s).get('portIsolation') is True for s in c.steps())


@rule('node.*', 'ipMasqBackend "nftables" (upstream v1.6; 1.1.1 always uses iptables)', 'Newer upstream keys.')
def nftables_backend(c):
    return c.path[1] in ('iptables', 'ip6tables', 'nft') and \
        any(c.conf(s).get('ipMasqBackend') == 'nftables' and c.conf(s).get('ipMasq') is True for s in c.steps())


@rule('*.links.*.flags', 'disableContainerInterface leaves the pod interface down (upstream v1.4.1); in the '
      "node's own namespace (CNI_NETNS_OVERRIDE) too", 'Newer upstream keys.')
def container_interface_down(c):
    in_node = lambda s: s.get('env', {}).get('CNI_NETNS') == '$NODE' and s.get('env', {}).get('CNI_IFNAME') == c.path[2]
    return c.path[0] in ('pod', 'node') and isinstance(c.ref, list) and isinstance(c.ours, list) and \
        'UP' in c.ref and 'UP' not in c.ours and \
        any(c.conf(s).get('disableContainerInterface') is True and (c.path[0] == 'pod' or in_node(s))
            for s in c.steps())


@rule('steps.*.out.details', 'the list of supported versions includes 1.1.0', 'Spec 1.1.0.')
def supported_versions_details(c):
    return isinstance(c.ref, str) and c.ours == c.ref.replace('"1.0.0"]', '"1.0.0" "1.1.0"]')


@rule('node.links.*', 'a link of the bridge\'s name that existed before a failed ADD (one of the pre-state, or '
      '`lo`, which every node has): the reference brings it up, sets accept_ra and, with promiscMode, promiscuous '
      'mode (even on a link that is not a bridge) before it fails; ours fails before touching it',
      'A failed ADD leaves nothing behind.')
def failed_add_leaves_bridge_alone(c):
    names = {_bridge_name(c.conf(s)) for s in c.steps()}
    pre = [l['name'] for l in c.case.get('pre', {}).get('links', []) if l['name'] in names] + \
        (['lo'] if 'lo' in names else [])
    field = c.path[3:] if len(c.path) > 3 else ()
    untouched = field in (('flags',), ('sysctl', 'ipv6.accept_ra'))
    return c.path[2] in pre and untouched and _failed_add(c) and \
        all(c.failed('ours', i) for i, s in enumerate(c.steps()) if c.cmd(s) == 'ADD')


def _failed_on_both(c):
    return any(c.cmd(s) == 'ADD' and c.failed('ref', i) and c.failed('ours', i) for i, s in enumerate(c.steps()))


def _forced(c):
    return any(c.cmd(s) == 'ADD' and c.conf(s).get('forceAddress') is True and c.failed('ref', i) and
               c.failed('ours', i) for i, s in enumerate(c.steps()))


def _pre_addresses(c, link):
    return next((l.get('addrs', []) for l in c.case.get('pre', {}).get('links', []) if l.get('name') == link), None) or []


@rule('node.*', 'the gateway address and forwarding the reference puts on the bridge before its ADD fails (e.g. on '
      'the next family\'s conflicting address), with forceAddress the address it replaced; ours takes back what the '
      'failed ADD added, and replaces nothing before its last gateway is in', 'A failed ADD leaves nothing behind.')
def failed_add_gateway_taken_back(c):
    if not _failed_on_both(c):
        return False
    if c.path[1] == 'links' and c.path[3:] == ('addrs',):
        if not (isinstance(c.ref, list) and isinstance(c.ours, list)):
            return False
        # With forceAddress the reference replaced a conflicting address first; ours left the bridge as it was.
        return set(c.ours) < set(c.ref) or _forced(c) and sorted(c.ours) == sorted(_pre_addresses(c, c.path[2]))
    if c.path[1] == 'routes' and _forced(c) and isinstance(c.ref, list) and isinstance(c.ours, list):
        bridges = {_bridge_name(c.conf(s)) for s in c.steps()}
        moved = [r for r in c.ref if r not in c.ours] + [r for r in c.ours if r not in c.ref]
        return all(' proto kernel ' in r and any(' dev %s ' % b in r for b in bridges) for r in moved)
    forwarding = c.path[1:] in (('sysctl', 'ipv4.ip_forward'), ('sysctl', 'ipv6.all.forwarding')) or \
        c.path[1] == 'links' and c.path[3:4] == ('sysctl',) and c.path[-1].endswith('forwarding')
    return forwarding and (c.ref, c.ours) == ('1', '0')


@rule('store.*', 'the store directory and lock the reference creates before its ADD fails (on resolvConf, say); '
      'ours fails before opening the store', 'A failed ADD leaves nothing behind.')
def failed_add_store_not_opened(c):
    opened = c.path[1].endswith('/lock') or c.path[1].endswith('/')
    return opened and c.ours == MISSING_VALUE and _failed_on_both(c) and not any(
        not c.failed('ours', i) and c.cmd(s) == 'ADD' for i, s in enumerate(c.steps()))


def _foreign_store_file(name):
    """A store file that is none of the store's own: no lock, no
    last_reserved_ip, and not named after an address."""
    name = name.rstrip('/').rsplit('/', 1)[-1]
    if name in ('lock', '.index') or name.startswith('last_reserved_ip.'):
        return False
    try:
        models.go_ip(name)
        return False
    except ValueError:
        return True


def _foreign_files_holding(c, keys):
    return [rel for rel, content in c.case.get('pre', {}).get('store', {}).items()
            if _foreign_store_file(rel) and isinstance(content, str) and
            models.go_trim_space(content.encode()) in keys]


@rule('store.*', 'a file in the store not named after an address is no reservation: our DEL leaves it; the '
      'reference\'s DEL deletes any file holding the attachment\'s key', 'Only files named after an address are reservations.')
def foreign_store_file_kept_by_del(c):
    return _foreign_store_file(str(c.path[1])) and c.ref == MISSING_VALUE and c.ours != MISSING_VALUE and \
        any(c.cmd(s) == 'DEL' for s in c.steps())


@rule('steps.* CHECK.*', 'a file in the store not named after an address is no reservation: our CHECK finds no '
      'address for the attachment; the reference\'s CHECK takes that file for one and goes on',
      'Only files named after an address are reservations.', diverges=True)
def foreign_store_file_no_address(c):
    ours, env = c.out('ours'), c.step.get('env', {})
    cid, ifname = env.get('CNI_CONTAINERID', ''), env.get('CNI_IFNAME', '')
    return _is_error(ours) and 'Failed to find address added by container' in str(ours.get('msg', '')) and \
        not (_is_error(c.out('ref')) and 'Failed to find address' in str(c.out('ref').get('msg', ''))) and \
        bool(_foreign_files_holding(c, (models.attachment_key(cid, ifname), models.legacy_key(cid))))


@rule('store.*', 'CHECK and STATUS write nothing anywhere; the reference (or its model) creates the store '
      'directory and lock when they are missing', 'A read-only store is not a silent leak.')
def check_status_write_nothing(c):
    opened = c.path[1].endswith('/lock') or c.path[1].endswith('/')
    # VERSION and unknown commands write nothing on either side; an ADD, DEL or GC refused on
    # both sides wrote nothing on ours (its store is missing), whatever the reference's did.
    writes_nothing = [c.cmd(s) not in ('ADD', 'DEL', 'GC') or c.failed('ref', i) and c.failed('ours', i)
                      for i, s in enumerate(c.steps())]
    return opened and c.ours == MISSING_VALUE and all(writes_nothing) and \
        any(c.cmd(s) in ('CHECK', 'STATUS') for s in c.steps())


_BUILT_IN_NAT = ['*nat', ':PREROUTING ACCEPT', ':INPUT ACCEPT', ':OUTPUT ACCEPT', ':POSTROUTING ACCEPT', 'COMMIT']


@rule('node.ip*tables', 'a failed ADD with ipMasq whose masquerade rules were made and taken back leaves the '
      'nat table with only its built-in chains (which any iptables call creates); the reference failed before '
      'it reached its masquerade step', 'A failed ADD leaves nothing behind.')
def failed_add_empty_nat_table(c):
    return _failed_add(c) and c.ref == [] and c.ours == _BUILT_IN_NAT


@rule('steps.bridge ADD.*', 'a second ADD meets the pod interface the reference left after the first ADD failed',
      'A failed ADD leaves nothing behind.', diverges=True)
def failed_add_leftover_pod_interface(c):
    ref = c.out('ref')
    ifname = c.step.get('env', {}).get('CNI_IFNAME')
    earlier = any(c.cmd(s) == 'ADD' and s.get('env', {}).get('CNI_IFNAME') == ifname and c.failed('ref', i) and
                  c.failed('ours', i) for i, s in enumerate(c.steps()[:c.step_index]))
    return earlier and _is_error(ref) and 'container veth name provided (%s) already exists' % ifname in ref.get('msg', '')


@rule('node.routes', 'the routes of a bridge the reference brought up before its ADD failed',
      'A failed ADD leaves nothing behind.')
def failed_add_bridge_routes(c):
    pre = {l['name'] for l in c.case.get('pre', {}).get('links', []) if l.get('type') == 'bridge'}
    if not _failed_add(c) or not all(c.failed('ours', i) for i, s in enumerate(c.steps()) if c.cmd(s) == 'ADD'):
        return False
    only_ref = [r for r in c.ref if r not in c.ours]
    return not [r for r in c.ours if r not in c.ref] and all(_route_dev(r) in pre for r in only_ref)


@rule('node.links.*.mtu', "a bridge's MTU follows its ports: the reference's veth left by a failed ADD keeps the "
      "bridge at the conf's mtu; ours, with nothing left, is back at the default", 'A failed ADD leaves nothing behind.')
def failed_add_bridge_mtu(c):
    ref_links = c.result['ref']['node']['links']
    leftovers = [n for n in _gone_links(c, 'node') if ref_links[n].get('master') == c.path[2]]
    return _failed_add(c) and c.path[2] in _bridge_names(c) and bool(leftovers)


@rule('node.links.*.sysctl.*', "an MTU below 1280 (kept on the bridge by the reference's leftover veth) turns IPv6 "
      'off on the bridge, and its IPv6 sysctls vanish', 'A failed ADD leaves nothing behind.')
def failed_add_bridge_ipv6_off(c):
    return c.ref is None and c.path[4].startswith('ipv6.') and failed_add_bridge_mtu(c)


@rule('node.nft.bridge nat', 'the spoof-check table and base chain the reference creates before its ADD fails',
      'A failed ADD leaves nothing behind.')
def failed_add_spoofcheck_table(c):
    return _failed_add(c) and c.ours == MISSING_VALUE and isinstance(c.ref, list) and \
        not [x for x in c.ref if not (x.startswith(('chain PREROUTING', 'type filter hook prerouting')) or x == '}')]


def _static_request(c):
    conf = c.conf()
    args = c.step.get('env', {}).get('CNI_ARGS', '')
    return 'IP=' in args or any(isinstance(src, dict) and src.get('ips')
                                for src in ((conf.get('args') or {}).get('cni') if isinstance(conf.get('args'), dict)
                                            else None, conf.get('runtimeConfig')))


@rule('steps.bridge ADD.*', 'a static address for an attachment that already holds one (a legacy reservation of its '
      'container ID included): our host-local refuses it, so our bridge ADD fails where the reference hands out '
      'a second address, and succeeds or fails later on (host-local steps use the static-duplicate model instead)', 'A static address for an attachment that already holds one is refused.',
      diverges=True)
def static_duplicate_through_bridge(c):
    ours, ref = c.out('ours'), c.out('ref')
    # Without the check, the reference goes on to reserve the address (taken,
    # or its own), to the next range sets, or finds a request left over; or,
    # its IPAM answered, it fails at a later step of its ADD.
    ref_went_on = _is_error(ref) and ref.get('msg', '').startswith(('failed to allocate',) + _AFTER_IPAM)
    return _is_error(ours) and 'duplicate allocation is not allowed' in ours.get('msg', '') and \
        (not c.failed('ref', c.step_index) or ref_went_on) and _static_request(c)


# Errors of the reference's bridge ADD that come after its IPAM plugin answered.
_AFTER_IPAM = ('IPAM plugin returned missing IP config', 'failed to add IP addr ', 'failed to add route ',
               'failed to settle addresses ', 'failed to set bridge addr: ', 'failed to enable forwarding: ')


_LEFTOVER = 'failed to allocate all requested IPs:'


def _requested_addresses(c):
    """The addresses of the step's static requests, as strings without prefix."""
    conf, found = c.conf(), []
    for k, v in (p.split('=', 1) for p in c.step.get('env', {}).get('CNI_ARGS', '').split(';') if '=' in p):
        if k == 'IP':
            found += v.split(',')
    for src in ((conf.get('args') or {}).get('cni') if isinstance(conf.get('args'), dict) else None,
                conf.get('runtimeConfig')):
        if isinstance(src, dict) and isinstance(src.get('ips'), list):
            found += [x for x in src['ips'] if isinstance(x, str)]
    return {_address(x.split('/')[0]) for x in found}


def _address(text):
    try:
        return str(models.go_ip(text.strip()))
    except ValueError:
        return text.strip()


@rule('steps.* ADD.out.msg', 'several static requests in one range set: the reference takes one in Go map order, '
      'at random, and names the others in that order; ours takes the first in request order. Its last_reserved_ip follows '
      'its pick, and so do later allocations', 'Several static requests in one range set.', diverges=True)
def leftover_request_pick(c):
    ref, ours = c.out('ref'), c.out('ours')
    if not (_is_error(ref) and _is_error(ours)):
        return False
    named = [o.get('msg', '') for o in (ref, ours)]
    # The reference's pick may be a request that fails on its own (the subnet's gateway).
    gateway = re.fullmatch(r"failed to allocate for range \d+: requested ip (\S+) is subnet's gateway", named[0])
    if gateway and named[1].startswith(_LEFTOVER):
        requested = _requested_addresses(c)
        return len(requested) > 1 and _address(gateway.group(1)) in requested
    if not all(m.startswith(_LEFTOVER) for m in named):
        return False
    ref_ips, our_ips = ([_address(x) for x in m[len(_LEFTOVER):].split()] for m in named)
    # Another pick, or the same ones named in another (map) order.
    return len(ref_ips) == len(our_ips) and ref_ips != our_ips and \
        set(ref_ips) | set(our_ips) <= _requested_addresses(c)

# -- VLANs ------------------------------------------------------------------------------------------

@rule('steps.bridge *', 'vlan/vlanTrunk: validated as the reference does, then refused with code 2 (bridge VLAN '
      'filtering is not implemented; this kernel lacks it, and the reference fails creating the bridge)',
      'VLANs.', diverges=True)
def vlan_unsupported(c):
    out = c.out('ours')
    conf = c.conf()
    vlan = conf.get('vlan') not in (None, 0) or 'vlanTrunk' in conf
    trunk_checked = 'vlanTrunk' in conf and _is_error(out) and out.get('msg', '').startswith(TRUNK_ERRORS)
    return vlan and _is_error(out) and (out.get('code') == 2 or trunk_checked)


# upstream v1.3's vlanTrunk validation, which 1.1.1 (without vlanTrunk) does not make
TRUNK_ERRORS = ('incorrect trunk', 'minID is greater than maxID', 'minID and maxID should be configured')


@rule('steps.bridge CHECK.*', 'a 1.0.0 config whose prevResult is 1.1.0, or a 1.x config whose prevResult is of '
      'another family: our 1.x result type reads 1.0.0 and 1.1.0, as upstream\'s current library does; 1.1.1\'s '
      'reads 1.0.0 only', 'Spec 1.1.0.', diverges=True)
def prev_result_of_version_1_1_0(c):
    ref, ours = c.out('ref'), c.out('ours')
    refused = re.fullmatch(r'could not parse prevResult: result type supports \[1\.0\.0\] but unmarshalled '
                           r'CNIVersion is "(.*)"', str(ref.get('msg', ''))) if _is_error(ref) else None
    if refused is None:
        return False
    if refused.group(1) == '1.1.0':
        return True             # ours reads it and goes on
    return _is_error(ours) and ours.get('msg') == ref['msg'].replace('[1.0.0]', '[1.0.0 1.1.0]')



# -- The CNI library of upstream HEAD ---------------------------------------------------------------

@rule('steps.*.out.*', 'an unknown CNI_COMMAND: the 1.1.x library first complains about the container ID '
      '(code 3); the library of upstream HEAD, like ours, names the command (code 4)', 'Spec 1.1.0.')
def unknown_command(c):
    cmd = c.cmd()
    ours, ref = c.out('ours'), c.out('ref')
    known = cmd in ('ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION')
    return not known and _is_error(ours) and _is_error(ref) and ref.get('code') == 3 and \
        ours.get('msg') == 'unknown CNI_COMMAND: %s' % cmd


def explain(case, result, path, ref, ours):
    """The rule that explains this difference, or None. A diverging rule wins
    over the others: the step it explains took another path on purpose."""
    import compare
    cls = compare.path_class(path, case)
    ctx = Context(case, result, path, ref, ours)
    matches = [r for r in RULES if fnmatch.fnmatchcase(cls, r['field']) and r['when'](ctx)]
    return next((r for r in matches if r['diverges']), matches[0] if matches else None)
