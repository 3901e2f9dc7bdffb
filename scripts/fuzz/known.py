"""Findings the fuzzer has made that are not fixed yet, so that CI stays
green while their fixes are pending, and every run still prints them.

Each entry is a rule like those of deliberate.py (field glob, condition)
plus the finding it stands for and its status. A difference explained by
an entry here is "known": the case counts as passed and is listed as known.
When a fix lands, the lead deletes the entry (and the regression case of
that finding, in scripts/fuzz/regressions/, loses its "pending" mark): from
then on the difference is a failure again. Nothing here is deliberate:
deliberate differences live in deliberate.py.
"""
import fnmatch
from deliberate import Context, MISSING_VALUE, _is_error

KNOWN = []


def known(field, finding, status, diverges=False):
    def register(fn):
        KNOWN.append({'field': field, 'when': fn, 'finding': finding, 'status': status,
                      'name': 'known:' + fn.__name__, 'diverges': diverges})
        return fn
    return register


# ---- Found by the fuzzer, open (reported with issue 7's fuzzer; not triaged yet) ------------------

OPEN = 'open: found by the fuzzer, reported to the lead'


def _json_wording(msg):
    return any(m in msg for m in ('cannot unmarshal', 'invalid character', 'invalid literal', 'unexpected end of JSON',
                                  'error unmarshall network config', 'missing network name'))


@known('steps.*.out.*', "F4: JSON decoding errors are worded (and coded) unlike Go's: the field path "
       '("IPAMConfig.ranges" for "IPAMConfig.ipam.ranges", "Range.gateway of type string" for '
       '"Range.ipam.ranges.gateway of type net.IP"), "invalid literal" for Go\'s "invalid character ...", '
       'stdin `null` refused (code 6) where Go decodes it as an empty config (code 7 "missing network name"), and '
       'which of two broken keys is reported first', OPEN)
def json_error_wording(c):
    ref, ours = c.out('ref'), c.out('ours')
    return _is_error(ref) and _is_error(ours) and _json_wording(ref.get('msg', '')) or \
        _is_error(ref) and _is_error(ours) and _json_wording(ours.get('msg', ''))


@known('steps.*', 'F5: an IPAM route without `dst` is refused ("invalid route: missing dst", code 7); the '
       'reference host-local accepts it and returns {"dst": "<nil>"}, which the reference bridge then fails to '
       'parse ("invalid CIDR address: <nil>"), keeping the reservation', OPEN, diverges=True)
def route_without_dst(c):
    ours = c.out('ours')
    return _is_error(ours) and 'invalid route: missing dst' in ours.get('msg', '')


@known('steps.bridge ADD.*', 'F7: a second interface of one pod whose IPAM route has no gw (e.g. 0.0.0.0/0 on an '
       'IPv6-only range) fails with "file exists"; the reference adds it', OPEN, diverges=True)
def second_interface_route_exists(c):
    ours = c.out('ours')
    return _is_error(ours) and 'failed to add route' in ours.get('msg', '') and 'file exists' in ours.get('msg', '') \
        and not c.failed('ref', c.step_index)


@known('steps.bridge CHECK.*', "F8: CHECK does not compare the bridge's MAC with prevResult's (the reference fails "
       "when an unpinned bridge MAC has moved to a new port's); intermittent: it shows only when the new port's random "
       "MAC sorts below the bridge's", OPEN)
def check_bridge_mac(c):
    ref = c.out('ref')
    return _is_error(ref) and "Mac doesn't match" in ref.get('msg', '') and not c.failed('ours', c.step_index)


FIRST_ERRORS = ('ARGS:', 'invalid CIDR address', 'container veth name', 'invalid range set', 'range set ',
                'no IP ranges', 'IPAM config missing', 'failed to allocate', 'requested ip', 'invalid IP address',
                'CNI version', 'cannot set hairpin', 'failed to find plugin', 'invalid VLAN', 'incorrect trunk',
                'minID', 'failed to create bridge', 'open ', 'failed to make veth pair', 'interface name',
                'incompatible CNI versions', 'invalid plugin name')


@known('steps.*.out.*', 'F9: when two things are wrong, ours reports another one first (the reference checks '
       'CNI_ARGS before the ranges, the pod interface before IPAM, a bad static IP before the range sets), and an '
       'existing pod interface is worded \'container veth name ("eth0") already exists\' (1.1.1: "container veth name '
       'provided (eth0) already exists"); CNI_ARGS ";" is accepted by host-local where the reference says '
       '\'ARGS: invalid pair ""\'', OPEN)
def error_precedence(c):
    ref, ours = c.out('ref'), c.out('ours')
    return _is_error(ref) and _is_error(ours) and ref.get('msg') != ours.get('msg') and \
        ref.get('msg', '').startswith(FIRST_ERRORS) and ours.get('msg', '').startswith(FIRST_ERRORS)


@known('steps.* CHECK.out.*', 'F10: CHECK with an unsupported cniVersion answers "incompatible CNI versions"; '
       '1.1.1 answers "plugin version does not allow CHECK" (not checked against upstream HEAD\'s library)', OPEN)
def check_unsupported_version(c):
    ref = c.out('ref')
    return _is_error(ref) and ref.get('msg') == 'plugin version does not allow CHECK'


@known('store.*', 'F11: a reservation file whose container ID carries spaces (" c1 \\r\\neth0\\n", which only an '
       'admin could write) is released by DEL/GC of c1; the reference compares the whole trimmed content and keeps it',
       OPEN)
def spaced_reservation(c):
    if c.ours != MISSING_VALUE or not isinstance(c.ref, dict):
        return False
    first_line = c.ref.get('content', '').split('\r\n')[0]
    return first_line != first_line.strip()


@known('steps.*', 'F13: a key set to JSON null is taken as absent; Go decodes it as the zero value (ipam.subnet: null '
       'becomes an empty legacy range, which the reference rejects with "invalid CIDR address: ")', OPEN, diverges=True)
def null_as_absent(c):
    ref = c.out('ref')
    return _is_error(ref) and ref.get('msg', '').rstrip().endswith('invalid CIDR address:') and \
        not c.failed('ours', c.step_index)


@known('steps.*.out.msg', 'F14: netlink errors carry our own context and spelling: "failed to delete \\"lo\\": '
       'delete link ifindex 1: operation not supported" (reference: "failed to delete \\"lo\\": operation not '
       'supported"), "failed to add route \'10.77.0.0/16 via 10.99.0.1 dev eth1\': add route ... : network is '
       'unreachable" (reference: "failed to add route \'{10.77.0.0 ffff0000} via 10.99.0.1 dev eth1\': network is '
       'unreachable")', OPEN)
def netlink_error_wording(c):
    ref, ours = c.out('ref'), c.out('ours')
    if not (_is_error(ref) and _is_error(ours)):
        return False
    r, o = ref.get('msg', ''), ours.get('msg', '')
    operation = lambda m: m.split("'")[0].split('"')[0]
    return ': ' in r and operation(r) == operation(o) and r.rsplit(': ', 1)[-1] == o.rsplit(': ', 1)[-1]


@known('node.*', 'F16: an ADD that fails on a config error the reference reports before touching anything '
       '(args.cni.mac of the wrong type) has already brought an existing bridge up', OPEN)
def bridge_up_before_config_error(c):
    adds = [i for i, s in enumerate(c.steps()) if c.cmd(s) == 'ADD']
    failed_early = adds and all(c.failed('ref', i) and c.failed('ours', i) and
                                'cannot unmarshal' in (c.out('ref', i) or {}).get('msg', '') for i in adds)
    return bool(failed_early) and (c.path[1] == 'routes' or c.path[3:] == ('flags',))


@known('steps.bridge *', 'F17: args.cni.mac of the wrong JSON type is not a config error (DEL, or ADD with a MAC from '
       'runtimeConfig: ours succeeds; '
       'the reference fails "cannot unmarshal number into Go struct field BridgeArgs.args.cni.mac of type string"); '
       'see also F16', OPEN, diverges=True)
def mac_type_ignored_by_del(c):
    ref = c.out('ref')
    return _is_error(ref) and 'args.cni.mac' in ref.get('msg', '') and not c.failed('ours', c.step_index)


@known('steps.bridge ADD.*', 'F18: an IPv6 range whose gateway is an IPv4 address (gateway 192.0.2.1 in '
       'fd00:1::/120) with isGateway: ours succeeds and puts no gateway on the bridge; the reference fails '
       '"failed to set bridge addr: could not add IP address to \\"cni0\\": invalid argument"', OPEN, diverges=True)
def foreign_family_gateway(c):
    ref = c.out('ref')
    return _is_error(ref) and 'could not add IP address to' in ref.get('msg', '') and \
        'invalid argument' in ref.get('msg', '') and not c.failed('ours', c.step_index)


@known('steps.bridge CHECK.*', 'F19: CHECK without prevResult (its ADD failed) answers "Interface name eth0 not '
       'found"; 1.1.1 answers "Interface name missing " (upstream HEAD: "Required prevResult missing")', OPEN)
def check_without_prev_result(c):
    ref = c.out('ref')
    return _is_error(ref) and ref.get('msg', '').startswith('Interface name missing')


@known('node.*', 'F21: forceAddress with two IPv4 range sets (two gateways): ours ends with the first gateway on the '
       'bridge, the reference with none (each gateway replaces the other); neither has both', OPEN)
def force_two_gateways(c):
    conf = c.conf(c.steps()[0])
    ipam = conf.get('ipam') if isinstance(conf.get('ipam'), dict) else {}
    sets = ipam.get('ranges') if isinstance(ipam.get('ranges'), list) else []
    v4 = [s for s in sets if isinstance(s, list) and s and isinstance(s[0], dict) and ':' not in str(s[0].get('subnet'))]
    return conf.get('forceAddress') is True and len(v4) > 1 and (c.path[1] == 'routes' or c.path[3:] == ('addrs',))


def explain(case, result, path, ref, ours):
    """The rule that explains this difference, or None. A diverging rule wins
    over the others: the step it explains took another path on purpose."""
    import compare
    cls = compare.path_class(path, case)
    ctx = Context(case, result, path, ref, ours)
    matches = [r for r in KNOWN if fnmatch.fnmatchcase(cls, r['field']) and r['when'](ctx)]
    return next((r for r in matches if r['diverges']), matches[0] if matches else None)
