"""Differences between the two sides' observations, and which of them are
findings (not explained by a rule of deliberate.py).

A difference is (path, ref value, our value); the path is a tuple such as
("steps", 0, "out", "code") or ("node", "links", "cni0", "addrs"). A missing
key is the value MISSING.
"""
import re
import deliberate

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
            p = '%s %s' % (step.get('plugin', 'bridge'), step.get('env', {}).get('CNI_COMMAND', '-'))
        elif i == 2 and path[0] in ('node', 'pod') and path[1] == 'links':
            p = re.sub(r'\d+', 'N', str(p))
        elif path[0] == 'store' and i == 1:
            p = _IP_FILE.sub('/<ip>', str(p))
            p = re.sub(r'^.*/(?=[^/]+/?$)', '', p) if '<ip>' not in p else '<ip>'
        parts.append(str(p))
    return '.'.join(parts)


def findings(case, result):
    """[(path, ref, ours, class)] of unexplained differences, and the list
    of explained ones with the rule that explained each."""
    unexplained, explained = [], []
    for path, a, b in diff(result['ref'], result['ours']):
        rule = deliberate.explain(case, result, path, a, b)
        if rule:
            explained.append((path, a, b, rule))
        else:
            unexplained.append((path, a, b, path_class(path, case)))
    return unexplained, explained
