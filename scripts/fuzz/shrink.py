"""Shrinks a case that shows a finding to a minimal one that still shows it:
drops sequence steps, pre-state entries, config keys (in every step at
once, then step by step), environment variables, and list elements, keeping
each change only while the finding (its difference class) persists. Greedy,
bounded by a budget of re-runs."""
import copy


def _paths(value, prefix=()):
    """Every key path and list index in a JSON value, deepest last."""
    out = []
    if isinstance(value, dict):
        for k in value:
            out.append(prefix + (k,))
            out += _paths(value[k], prefix + (k,))
    elif isinstance(value, list):
        for i in range(len(value)):
            out.append(prefix + (i,))
            out += _paths(value[i], prefix + (i,))
    return out


def _remove(value, path):
    """A copy of value without the element at path, or None if absent."""
    value = copy.deepcopy(value)
    parent = value
    for p in path[:-1]:
        try:
            parent = parent[p]
        except (KeyError, IndexError, TypeError):
            return None
    try:
        del parent[path[-1]]
    except (KeyError, IndexError, TypeError):
        return None
    return value


def _without_step(case, i):
    c = copy.deepcopy(case)
    del c['steps'][i]
    for s in c['steps']:
        k = s.get('prevResult')
        if isinstance(k, int):
            if k == i:
                del s['prevResult']
            elif k > i:
                s['prevResult'] = k - 1
    return c


def candidates(case):
    n = len(case['steps'])
    for i in reversed(range(n)):
        if n > 1:
            yield _without_step(case, i)
    for path in _paths(case.get('pre', {})):
        c = _remove(case, ('pre',) + path)
        if c:
            yield c
    common = None
    for s in case['steps']:
        keys = set(_paths(s.get('conf'))) if isinstance(s.get('conf'), dict) else set()
        common = keys if common is None else common & keys
    for path in sorted(common or (), key=len):
        c = copy.deepcopy(case)
        for s in c['steps']:
            s['conf'] = _remove(s['conf'], path)
        yield c
    for i, s in enumerate(case['steps']):
        if isinstance(s.get('conf'), dict):
            for path in _paths(s['conf']):
                c = _remove(case, ('steps', i, 'conf') + path)
                if c:
                    yield c
        for k in ('CNI_ARGS',):
            if k in s.get('env', {}):
                yield _remove(case, ('steps', i, 'env', k))
        if s.get('by') == 'ref':
            yield _remove(case, ('steps', i, 'by'))


def shrink(case, keeps, check, budget=60):
    """keeps(findings, result) says whether a candidate still shows what is
    being shrunk; check(case) -> (findings, result)."""
    current = copy.deepcopy(case)
    current.pop('origin', None)
    runs = 0
    progress = True
    while progress and runs < budget:
        progress = False
        for candidate in candidates(current):
            if runs >= budget:
                break
            runs += 1
            try:
                found, result = check(candidate)
            except Exception:
                continue
            if keeps(found, result):
                current = candidate
                progress = True
                break
    return current
