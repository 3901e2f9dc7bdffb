"""Runs one case on both sides and returns their normalised observations.

Side "ref" runs every step with the reference (/usr/lib/cni). Side "ours"
runs each step with the implementation the step names in `by` ("ours" by
default; "ref" makes mixed sequences such as ADD by the reference and DEL
by ours). Each side gets a fresh node (node.py) with the case's pre-state;
the sides run one after the other on identical paths.

A case:
    {"pre": {...prestate...},
     "steps": [{"plugin": "bridge"|"host-local", "by": "ours"|"ref",
                "env": {"CNI_COMMAND": "ADD", ...},     (absent key = variable unset)
                "conf": {...} | "stdin": "raw text",
                "prevResult": <index of an earlier step>,
                "prevResultEdit": "no-ips"|"other-address"|"no-interfaces"|"no-routes"}   (a stale or foreign cache)
               | {"plugin": "store", "rewrite": "legacy"|"current", "containerID", "ifname"}]}
"""
import copy, ipaddress, json, os, time
import node as nodemod, prestate, observe, models, deliberate


def _stdin(step, results):
    if 'stdin' in step:
        return prestate.expand(step['stdin']), None
    conf = prestate.expand_all(step.get('conf', {}))
    k = step.get('prevResult')
    if isinstance(conf, dict) and isinstance(k, int) and k < len(results):
        prev = results[k].get('json')
        if results[k]['exit'] == 0 and isinstance(prev, dict):
            conf['prevResult'] = edit_prev_result(prev, step.get('prevResultEdit'))
    return json.dumps(conf), conf


def _as_object(text):
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def edit_prev_result(prev, edit):
    """The cached result as the runtime may hold it when it is not the truth."""
    prev = copy.deepcopy(prev)
    if edit in ('no-ips', 'no-interfaces', 'no-routes'):
        prev.pop(edit[3:], None)
    elif edit == 'other-address' and prev.get('ips'):
        ip = ipaddress.ip_interface(prev['ips'][0]['address'])
        prev['ips'][0]['address'] = '%s/%d' % (ip.ip + 1, ip.network.prefixlen)
    return prev


def rewrite_in_place(step):
    """A step of the store itself, between plugin calls: as an older reference
    (or an admin) would, rewrite the reservation files of one attachment in
    place (truncate and write: the directory's mtime does not change), into
    the legacy format (container ID only) or back into the current one."""
    cid, ifname, to = step['containerID'], step['ifname'], step['rewrite']
    old, new = (cid + '\r\n' + ifname, cid) if to == 'legacy' else (cid, cid + '\r\n' + ifname)
    for root in (nodemod.DATA_DIR, nodemod.DEFAULT_DATA_DIR):
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d != '.index']
            for f in filenames:
                path = os.path.join(dirpath, f)
                with open(path, newline='') as fh:
                    if fh.read().strip() != old:
                        continue
                with open(path, 'w', newline='') as fh:
                    fh.write(new)
    return {'exit': 0, 'stdout': '', 'by': 'store', 'json': None, 'stderr': ''}


def execute(step, impl, results):
    if step.get('plugin') == 'store':
        return rewrite_in_place(step)
    env = {k: prestate.expand(v) for k, v in step.get('env', {}).items()}
    stdin, conf = _stdin(step, results)
    plugin = step.get('plugin', 'bridge')
    # A raw stdin that is a JSON object is a config the models can judge too
    # (it is still sent as written).
    judged = conf if conf is not None else _as_object(stdin)
    model = deliberate.reference_model(step, env, judged) if impl == 'ref' else None
    answer = models.MODELS[model](plugin, env, judged) if model else None
    if answer is None:
        model = None
    if model:
        code, out = answer
        err = 'model: ' + model
    else:
        if impl == 'ref':
            stdin, undo = deliberate.reference_translation(step, env, conf, stdin)
        nodemod.use_implementation(impl)
        code, out, err = nodemod.exec_plugin(plugin, env, stdin)
        if impl == 'ref':
            out = undo(out)
    record = {'exit': code, 'stdout': out, 'by': impl if not model else 'model:' + model}
    try:
        record['json'] = json.loads(out) if out.strip() else None
    except ValueError:
        record['json'] = {'<unparsable>': out}
    record['stderr'] = err[-2000:]
    return record


def run_side(case, side):
    nodemod.reset()
    prestate.apply(case.get('pre', {}))
    results = []
    for step in case['steps']:
        impl = 'ref' if side == 'ref' else step.get('by', 'ours')
        results.append(execute(step, impl, results))
    state = observe.observe()
    return results, state


def _keep(case):
    """MAC addresses the case spells out stay visible after normalisation."""
    return {m.lower() for m in observe.MAC.findall(json.dumps(case))}


def _veth_peers(results, at_the_end):
    """Host veth -> its pod interface's name: from the node at the end, and
    from every ADD result (the host veth is listed just before the pod
    interface, which has a sandbox), so that a veth one side has deleted
    since is named as the other side's."""
    peers = dict(at_the_end)
    for r in results:
        out = r['json']
        interfaces = out.get('interfaces') if isinstance(out, dict) else None
        if not isinstance(interfaces, list):
            continue
        for host, pod in zip(interfaces, interfaces[1:]):
            if isinstance(host, dict) and isinstance(pod, dict) and 'sandbox' in pod and 'sandbox' not in host and \
                    isinstance(host.get('name'), str) and isinstance(pod.get('name'), str) and \
                    observe.VETH.fullmatch(host['name']):
                peers.setdefault(host['name'], pod['name'])
    return peers


def observed(results, state, case):
    """The comparable view of one side: step outcomes, then the node."""
    state = dict(state)
    n = observe.Normaliser(_keep(case), _veth_peers(results, state.pop(observe.VETH_PEERS, {})))
    steps = []
    for r in results:
        out = r['json']
        if isinstance(out, dict) and out.get('dns') == {}:
            out = dict(out)
            del out['dns']                    # 1.1.1 prints an empty dns; newer versions omit it
        steps.append({'exit': 0 if r['exit'] == 0 else ('timeout' if r['exit'] == 'timeout' else 1),
                      'out': n.value(out)})
    return {'steps': steps, **n.value(state)}


def run_case(case):
    t0 = time.monotonic()
    ref_results, ref_state = run_side(case, 'ref')
    our_results, our_state = run_side(case, 'ours')
    nodemod.reset()
    return {'ref': observed(ref_results, ref_state, case), 'ours': observed(our_results, our_state, case),
            'raw': {'ref': ref_results, 'ours': our_results}, 'seconds': time.monotonic() - t0}
