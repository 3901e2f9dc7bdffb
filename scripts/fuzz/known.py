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


@known('steps.bridge ADD.out.msg', 'F22: a dynamic ADD whose next free address holds a legacy reservation of another '
       'container (file content "c2", no interface line) fails for ours with "... has been allocated to c2, duplicate '
       'allocation is not allowed"; the reference goes on (to a bridge address conflict in the minimal case). Not '
       'triaged: which legacy files 1.1.1 counts in its duplicate check (found at the end of the stop, seed 1205102:6160)',
       OPEN)
def legacy_reservation_duplicate(c):
    ref, ours = c.out('ref'), c.out('ours')
    return _is_error(ref) and _is_error(ours) and 'duplicate allocation is not allowed' in ours.get('msg', '') and \
        'duplicate allocation' not in ref.get('msg', '')


@known('*', 'F23: a VLAN config on an existing bridge without VLAN filtering and a missing IPAM plugin: ours names '
       'the missing plugin (a check that changes nothing), the reference fails tagging the veth it made ("failed to '
       'setup vlan tag on interface ...: operation not supported") and leaves that veth, which shifts the numbering of '
       'the node\'s veths in the comparison. Likely deliberate (VLANs) plus a harness fix; not triaged (found by the '
       'fresh seed of the final CI run, 1375243116:77)', OPEN, diverges=True)
def vlan_tag_after_missing_plugin(c):
    def vlan_add(step):
        conf = step.get('conf') if isinstance(step.get('conf'), dict) else {}
        return c.cmd(step) == 'ADD' and ('vlan' in conf or 'vlanTrunk' in conf)
    def tagging_failed(i):
        ref = c.out('ref', i)
        return _is_error(ref) and str(ref.get('msg', '')).startswith('failed to setup vlan tag on interface') and \
            c.failed('ours', i)
    return any(vlan_add(s) and tagging_failed(i) for i, s in enumerate(c.steps()))


def explain(case, result, path, ref, ours):
    """The rule that explains this difference, or None. A diverging rule wins
    over the others: the step it explains took another path on purpose."""
    import compare
    cls = compare.path_class(path, case)
    ctx = Context(case, result, path, ref, ours)
    matches = [r for r in KNOWN if fnmatch.fnmatchcase(cls, r['field']) and r['when'](ctx)]
    return next((r for r in matches if r['diverges']), matches[0] if matches else None)
