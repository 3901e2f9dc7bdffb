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
import fnmatch, ipaddress, re
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


@known('steps.*.out.msg', 'F24: a resolvConf that is a directory: ours says "read <path>: file unreadable or larger '
       'than 1 MiB", the reference "read <path>: is a directory" (README: messages keep the reference\'s wording); '
       'found by branch fuzz-coverage, 7101:137', OPEN)
def resolv_conf_directory(c):
    ref, ours = c.ref, c.ours
    return isinstance(ref, str) and isinstance(ours, str) and ref.endswith(': is a directory') and \
        ours.endswith(': file unreadable or larger than 1 MiB')


@known('steps.bridge ADD.out.msg', 'F25: an IPAM route whose gw is of the other family (0.0.0.0/0 via fd00:1::1): '
       'ours passes the kernel\'s "network is unreachable" on, the reference says "gateway, source, and destination '
       'ip are not the same IP family" (its netlink library checks before the kernel); found by branch '
       'fuzz-coverage, 7101:193', OPEN)
def route_gateway_other_family(c):
    ref, ours = c.ref, c.ours
    return isinstance(ref, str) and isinstance(ours, str) and \
        ref.endswith(': gateway, source, and destination ip are not the same IP family') and \
        ours.endswith(': network is unreachable')


@known('*', 'F26: a file in the store that is no reservation (a name that is no IP, such as "notanip" or a backup) '
       'holding an attachment\'s "id\\r\\nifname": the reference takes it for a reservation of that attachment (its '
       'DEL removes it, its CHECK finds the attachment\'s address there), ours looks only at files named after an IP. '
       'Likely deliberate (needs a README item) or a fix; found by branch fuzz-coverage, 7101:448 and 7101:352',
       OPEN, diverges=True)
def foreign_store_file(c):
    def reservation_or_ours(rel):
        name = rel.rsplit('/', 1)[-1]
        if name == 'lock' or name.startswith('last_reserved_ip.'):
            return True
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            return False
    return not all(reservation_or_ours(rel) for rel in c.case.get('pre', {}).get('store', {}))


@known('steps.bridge ADD.out.msg', 'F27: the gateway address refused by the kernel on an existing bridge (IPv6 '
       'turned off on it): ours says "failed to set bridge addr: could not add IP address fd00:1::1/120 to \\"cni0\\": '
       'add address fd00:1::1/120 to ifindex 2: permission denied", keeping the netlink layer\'s own context '
       '(NodeBridge.swift passes the error whole, not its cause, as F14\'s fix does elsewhere); the reference: '
       '"failed to set bridge addr: could not add IP address to \\"cni0\\": permission denied" (v1.9.1 adds the '
       'address before "to"); found by branch fuzz-coverage with a hand-made pre-state the generator now draws', OPEN)
def bridge_address_netlink_context(c):
    m = re.fullmatch(r'failed to set bridge addr: could not add IP address to ("[^"]*"): (.+)', str(c.ref))
    return m is not None and re.fullmatch(r'failed to set bridge addr: could not add IP address (\S+) to %s: '
                                          r'add address \1 to ifindex \d+: %s' % (re.escape(m.group(1)),
                                                                                  re.escape(m.group(2))),
                                          str(c.ours)) is not None


def explain(case, result, path, ref, ours):
    """The rule that explains this difference, or None. A diverging rule wins
    over the others: the step it explains took another path on purpose."""
    import compare
    cls = compare.path_class(path, case)
    ctx = Context(case, result, path, ref, ours)
    matches = [r for r in KNOWN if fnmatch.fnmatchcase(cls, r['field']) and r['when'](ctx)]
    return next((r for r in matches if r['diverges']), matches[0] if matches else None)
