"""Differences between the two sides' observations, and which of them are
findings (not explained by a rule of deliberate.py).

A difference is (path, ref value, our value); the path is a tuple such as
("steps", 0, "out", "code") or ("node", "links", "cni0", "addrs"). A missing
key is the value MISSING.
"""
import re
import deliberate, known

MISSING = '<missing>'


def diff(a, b, path=()):
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            out += diff(a.get(k, MISSING), b.get(k, MISSING), path + (k,))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and any(isinstance(x, dict) for x in a):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, path + (i,))
        return out
    return [] if a == b else [(path, a, b)]


_IP_FILE = re.compile(r'/(\d+\.\d+\.\d+\.\d+|[0-9a-f:]*:[0-9a-f:]*)$')


def path_class(path, case):
    """A difference's kind, independent of step numbers, addresses and
    names: what findings are deduplicated and shrunk by."""
    parts = []
    for i, p in enumerate(path):
        if i == 1 and path[0] == 'steps':
            step = case['steps'][p]
            p = '%s %s' % (step.get('plugin', 'bridge'), step.get('env', {}).get('CNI_COMMAND', step.get('rewrite', '-')))
        elif i == 2 and path[0] in ('node', 'pod') and path[1] == 'links':
            p = re.sub(r'\d+', 'N', str(p))
        elif path[0] == 'store' and i == 1:
            p = _IP_FILE.sub('/<ip>', str(p))
            p = re.sub(r'^.*/(?=[^/]+/?$)', '', p) if '<ip>' not in p else '<ip>'
        parts.append(str(p))
    return '.'.join(parts)


def _order(d):
    """Step outcomes first, in step order, then the node's state."""
    path = d[0]
    return (0, path[1]) if path[0] == 'steps' else (1, 0)


def findings(case, result):
    """[(path, ref, ours, class)] of unexplained differences, and the
    explained ones with the name of the rule that explained each (known.py's
    entries are named "known:..."). After a step explained by a diverging
    rule, later steps and the final state are explained by that
    divergence."""
    unexplained, explained = [], []
    diverged = None
    for path, a, b in sorted(diff(result['ref'], result['ours']), key=_order):
        if diverged and (path[0] != 'steps' or path[1] >= diverged[0]):
            explained.append((path, a, b, diverged[1] if diverged[1].startswith('known:') else 'after ' + diverged[1]))
            continue
        rule = deliberate.explain(case, result, path, a, b) or known.explain(case, result, path, a, b)
        if rule:
            explained.append((path, a, b, rule['name']))
            if rule['diverges'] and path[0] == 'steps':
                diverged = (path[1], rule['name'])
        else:
            unexplained.append((path, a, b, path_class(path, case)))
    return unexplained, explained
