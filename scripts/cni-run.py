#!/usr/bin/env python3
"""cni-run.py - a minimal CNI runtime (what libcni does for a container runtime), for the
demo and conf-check scripts.

    cni-run.py [options] add|check|del CONF CONTAINER_ID NETNS

CONF is a network configuration list (*.conflist) or a single plugin conf (*.conf).
Plugins are looked up in CNI_PATH (colon-separated, from the environment) and run with the
caller's network namespace as their own: run this under `ip netns exec <node>` to act as
that node's runtime.

As libcni does:
  - the list's version is the highest of `cniVersion` and `cniVersions` that is not newer
    than --max-version (default 1.1.0, libcni's own; 1.0.0 acts like libcni <= 1.1);
  - every plugin conf gets the list's `name` and that `cniVersion`; ADD chains the previous
    plugin's result as `prevResult`; a plugin that declares a capability gets
    `runtimeConfig.<capability>` when --cap-args supplies it;
  - the final ADD result is cached under --cache-dir and sent as `prevResult` to CHECK and
    to DEL (which runs the list in reverse); DEL removes the cache entry.

Options: --ifname NAME (eth0) --args 'K=V;K2=V2' (CNI_ARGS) --cap-args JSON
         --cache-dir DIR (/var/lib/cni) --max-version V --trace (print each plugin call)
Exit status: 0 on success; 1 with the plugin's error JSON on stderr; 2 on usage errors.
"""
import argparse, json, os, shlex, subprocess, sys

def vkey(v):
    return tuple(int(x) for x in v.split('.'))

def load(path, max_version):
    with open(path) as f:
        conf = json.load(f)
    if 'plugins' not in conf:                    # a single-plugin .conf
        conf = {'cniVersion': conf.get('cniVersion', ''), 'name': conf.get('name', ''), 'plugins': [conf]}
    versions = [v for v in conf.get('cniVersions', []) + [conf.get('cniVersion', '')]
                if v and vkey(v) <= vkey(max_version)]
    conf['_version'] = max(versions, key=vkey) if versions else '0.1.0'
    return conf

def find_plugin(ptype):
    for d in os.environ.get('CNI_PATH', '').split(':'):
        p = os.path.join(d, ptype)
        if d and os.path.isfile(p):
            return p
    sys.exit(f'cni-run: failed to find plugin "{ptype}" in path [{os.environ.get("CNI_PATH", "")}]')

def plugin_conf(net, plugin, prev, cap_args):
    conf = dict(plugin, name=net['name'], cniVersion=net['_version'])
    if prev is not None:
        conf['prevResult'] = prev
    rc = {k: cap_args[k] for k, on in plugin.get('capabilities', {}).items() if on and k in cap_args}
    if rc:
        conf['runtimeConfig'] = rc
    return conf

def execute(cmd, net, plugin, prev, a):
    conf = plugin_conf(net, plugin, prev, a.cap_args)
    path = find_plugin(plugin['type'])
    env = {'PATH': os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin'),
           'CNI_COMMAND': cmd, 'CNI_CONTAINERID': a.container_id, 'CNI_NETNS': a.netns,
           'CNI_IFNAME': a.ifname, 'CNI_ARGS': a.args, 'CNI_PATH': os.environ.get('CNI_PATH', '')}
    data = json.dumps(conf)
    if a.trace:
        vars_ = ' '.join(f'{k}={shlex.quote(v)}' for k, v in env.items() if k != 'PATH')
        print(f'+ {vars_} {path} <<< {shlex.quote(data)}', file=sys.stderr)
    r = subprocess.run([path], input=data, env=env, capture_output=True, text=True)
    if r.stderr:
        sys.stderr.write(r.stderr)
    if r.returncode != 0:
        print(f'cni-run: {plugin["type"]} {cmd} failed (exit {r.returncode}): {r.stdout.strip()}', file=sys.stderr)
        sys.exit(1)
    if cmd == 'ADD':
        try:
            return json.loads(r.stdout)
        except ValueError:
            sys.exit(f'cni-run: {plugin["type"]} ADD printed no valid JSON result: {r.stdout!r}')
    return None

def main():
    ap = argparse.ArgumentParser(description='minimal CNI runtime', add_help=True)
    ap.add_argument('command', choices=['add', 'check', 'del'])
    ap.add_argument('conf')
    ap.add_argument('container_id')
    ap.add_argument('netns')
    ap.add_argument('--ifname', default='eth0')
    ap.add_argument('--args', default='')
    ap.add_argument('--cap-args', default='{}', type=json.loads)
    ap.add_argument('--cache-dir', default='/var/lib/cni')
    ap.add_argument('--max-version', default='1.1.0')
    ap.add_argument('--trace', action='store_true')
    a = ap.parse_args()
    net = load(a.conf, a.max_version)
    cache = os.path.join(a.cache_dir, 'results', f'{net["name"]}-{a.container_id}-{a.ifname}')
    cached = None
    if os.path.exists(cache):
        with open(cache) as f:
            cached = json.load(f).get('result')
    if a.command == 'add':
        prev = None
        for p in net['plugins']:
            prev = execute('ADD', net, p, prev, a)
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        with open(cache, 'w') as f:
            json.dump({'kind': 'cniCacheV1', 'containerId': a.container_id, 'ifName': a.ifname,
                       'networkName': net['name'], 'result': prev}, f)
        print(json.dumps(prev, indent=4))
    elif a.command == 'check':
        if cached is None:
            sys.exit('cni-run: no cached result to CHECK against')
        for p in net['plugins']:
            execute('CHECK', net, p, cached, a)
    else:
        prev = cached if vkey(net['_version']) >= (0, 4, 0) else None
        for p in reversed(net['plugins']):
            execute('DEL', net, p, prev, a)
        if os.path.exists(cache):
            os.unlink(cache)

if __name__ == '__main__':
    main()
