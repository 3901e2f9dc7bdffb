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


@known('steps.bridge *.out.msg', 'F4 (rest, goes with F16/F17): args.cni.mac of the wrong JSON type next to another '
       'config error: the reference names the mac ("failed to load netconf: json: cannot unmarshal number into Go '
       'struct field BridgeArgs.args.cni.mac"), ours the other error', OPEN)
def mac_type_error_named_later(c):
    ref, ours = c.out('ref'), c.out('ours')
    return _is_error(ref) and _is_error(ours) and 'args.cni.mac' in ref.get('msg', '') and \
        'cannot unmarshal' in ref.get('msg', '')


@known('steps.bridge ADD.*', 'F7: a second interface of one pod whose IPAM route has no gw (e.g. 0.0.0.0/0 on an '
       'IPv6-only range) fails with "file exists"; the reference adds it', OPEN, diverges=True)
def second_interface_route_exists(c):
    ours = c.out('ours')
    return _is_error(ours) and 'failed to add route' in ours.get('msg', '') and 'file exists' in ours.get('msg', '') \
        and not c.failed('ref', c.step_index)


@known('store.*', 'F11: a reservation file whose container ID carries spaces (" c1 \\r\\neth0\\n", which only an '
       'admin could write) is released by DEL/GC of c1; the reference compares the whole trimmed content and keeps it',
       OPEN)
def spaced_reservation(c):
    if c.ours != MISSING_VALUE or not isinstance(c.ref, dict):
        return False
    first_line = c.ref.get('content', '').split('\r\n')[0]
    return first_line != first_line.strip()




def explain(case, result, path, ref, ours):
    """The rule that explains this difference, or None. A diverging rule wins
    over the others: the step it explains took another path on purpose."""
    import compare
    cls = compare.path_class(path, case)
    ctx = Context(case, result, path, ref, ours)
    matches = [r for r in KNOWN if fnmatch.fnmatchcase(cls, r['field']) and r['when'](ctx)]
    return next((r for r in matches if r['diverges']), matches[0] if matches else None)
