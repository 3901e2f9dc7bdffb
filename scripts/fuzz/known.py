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
from deliberate import Context, MISSING_VALUE, _is_error, _l2

KNOWN = []


def known(field, finding, status, diverges=False):
    def register(fn):
        KNOWN.append({'field': field, 'when': fn, 'finding': finding, 'status': status,
                      'name': 'known:' + fn.__name__, 'diverges': diverges})
        return fn
    return register


def _pre_bridge_addrs(c):
    return [a for l in c.case.get('pre', {}).get('links', []) if l.get('type') == 'bridge' for a in l.get('addrs', [])]


def _by(c, side, i):
    return c.result['raw'][side][i]['by']


@known('*', 'issue 7.1: forceAddress does not replace a conflicting bridge address (IPv4: the bridge ends with '
       'none; IPv6: ADD fails with 999 "cannot assign requested address")', 'fix pending on branch bridgefix',
       diverges=True)
def force_address(c):
    forced = any(c.conf(s).get('forceAddress') is True and (c.conf(s).get('isGateway') is True or
                 c.conf(s).get('isDefaultGateway') is True) for s in c.steps())
    if not forced or not _pre_bridge_addrs(c):
        return False
    if c.path[0] == 'steps':
        out = c.out('ours')
        return not c.failed('ref', c.step_index) and _is_error(out) and 'failed to set bridge addr' in out.get('msg', '')
    return c.path[0] == 'node' and (c.path[1] == 'links' and c.path[3:4] == ('addrs',) or c.path[1] == 'routes')


def _legacy_files(c):
    return {k.split('/')[-1]: v for k, v in c.case.get('pre', {}).get('store', {}).items()
            if '\r\n' not in v and not k.split('/')[-1].startswith(('last_reserved_ip', 'lock'))}


@known('*', 'issue 7.2: reservation files in the legacy format (container ID only) are not matched by DEL, CHECK, '
       "ADD's duplicate check or GC", 'fix pending on branch store', diverges=True)
def legacy_reservations(c):
    legacy = _legacy_files(c)
    if not legacy:
        return False
    if c.path[0] == 'store':                  # DEL or GC released it on the reference side only
        return c.path[1].split('/')[-1] in legacy and c.ref == MISSING_VALUE
    if c.path[0] != 'steps' or c.step['env'].get('CNI_CONTAINERID') not in {v.strip() for v in legacy.values()}:
        return False
    ref, ours = c.out('ref'), c.out('ours')
    if c.cmd() == 'CHECK':
        return not c.failed('ref', c.step_index) and _is_error(ours) and 'Failed to find address' in ours.get('msg', '')
    if c.cmd() == 'ADD':
        return _is_error(ref) and 'duplicate allocation is not allowed' in ref.get('msg', '') and \
            not c.failed('ours', c.step_index)
    return False


def _gc_without_list(s, c):
    conf = c.conf(s)
    return c.cmd(s) == 'GC' and 'cni.dev/valid-attachments' not in conf and 'cni.dev/attachments' not in conf


@known('*', 'issue 7.3: GC without an attachment list releases every reservation (and bridge GC removes every '
       'masquerade rule)', 'fix pending on branch store', diverges=True)
def gc_without_list(c):
    gcs = [i for i, s in enumerate(c.steps()) if _gc_without_list(s, c) and not c.failed('ours', i)]
    if not gcs:
        return False
    if c.path[0] == 'store':                  # released by our GC only
        return c.ours == MISSING_VALUE
    if c.path[0] == 'node' and c.path[1] in ('iptables', 'ip6tables', 'nft'):
        return True
    if c.path[0] == 'steps' and c.step_index > gcs[0]:
        ours = c.out('ours')
        return not c.failed('ref', c.step_index) and _is_error(ours) and 'Failed to find address' in ours.get('msg', '')
    return False


@known('steps.bridge STATUS.out.code', 'issue 7.4: bridge STATUS answers 7, not 50, when the IPAM plugin cannot '
       'be found', 'fix pending on branch bridgefix')
def status_missing_ipam(c):
    ref = c.out('ref')
    return c.ref == 50 and c.ours == 7 and 'failed to find plugin' in ref.get('msg', '')


@known('steps.host-local ADD.*', 'issue 7.5: a static address for an attachment that already holds one in the '
       'range set makes a second reservation', 'fix pending on branch store', diverges=True)
def static_duplicate(c):
    return _by(c, 'ref', c.step_index) == 'model:static-duplicate' and not c.failed('ours', c.step_index)


def explain(case, result, path, ref, ours):
    """The rule that explains this difference, or None. A diverging rule wins
    over the others: the step it explains took another path on purpose."""
    import compare
    cls = compare.path_class(path, case)
    ctx = Context(case, result, path, ref, ours)
    matches = [r for r in KNOWN if fnmatch.fnmatchcase(cls, r['field']) and r['when'](ctx)]
    return next((r for r in matches if r['diverges']), matches[0] if matches else None)
