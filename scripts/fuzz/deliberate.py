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
- RULES: differences accepted in the comparison.
"""
import fnmatch, json

WHERE_WE_DIFFER = 'Where we differ from the reference, on purpose'
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
     'when': lambda step, env, conf: _cmd(step) in ('ADD', 'DEL', 'CHECK') and step.get('plugin', 'bridge') == 'bridge'
     and env.get('CNI_NETNS') in ('/run/netns/fz-node', '/proc/self/ns/net')
     and all(env.get(k) for k in ('CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_PATH')),
     'why': "CNI_NETNS naming the plugin's own namespace is refused (code 8) before any side "
            'effect; 1.1.1 has no such check and configures its own namespace',
     'readme': '`CNI_NETNS` is checked before any side effect'},
]


def reference_model(step, env, conf):
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
    if isinstance(conf.get('prevResult'), dict):
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


def rule(field, why, readme):
    def register(fn):
        RULES.append({'field': field, 'when': fn, 'why': why, 'readme': readme, 'name': fn.__name__})
        return fn
    return register


def explain(case, result, path, ref, ours):
    import compare
    cls = compare.path_class(path, case)
    ctx = Context(case, result, path, ref, ours)
    for r in RULES:
        if fnmatch.fnmatchcase(cls, r['field']) and r['when'](ctx):
            return r['name']
    return None
