"""The throwaway node one side of a case runs on.

A node is a fresh network namespace (`fz-node`, where the plugins run, as a
container runtime would run them on a host) plus a fresh pod namespace
(`fz-pod`), a dataDir and a plugin directory, at the same paths for both
implementations, so that every path that shows up in a result or an error
message is identical on both sides. The runner builds a node, runs one side
of a case on it, observes it, and destroys it before the other side runs.

Must run inside `unshare -n -m --propagation private` with a tmpfs on
/run/netns (scripts/fuzz.sh sets that up): `ip netns add` then only ever
creates namespaces that vanish with the fuzzer.
"""
import ctypes, errno, os, shutil, subprocess, time

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)

ROOT = '/run/fz'                       # tmpfs-backed (/run), private to the fuzzer's mount namespace
DATA_DIR = ROOT + '/data'              # every generated `dataDir` lives under here
BIN_DIR = ROOT + '/bin'                # CNI_PATH: a symlink to the implementation of the current step
SCRATCH = ROOT + '/scratch'            # resolv.conf files, stale netns files
NODE = 'fz-node'
POD = 'fz-pod'
NODE_PATH = '/run/netns/' + NODE
POD_PATH = '/run/netns/' + POD
DEFAULT_DATA_DIR = '/var/lib/cni'      # the reference's default, a tmpfs in our mount namespace
REFERENCE_BIN = '/usr/lib/cni'


def run(argv, **kw):
    """Runs a command in the current namespace; raises on failure."""
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw)


class Namespace:
    """Enters a named network namespace for the calling thread (setns), and
    back: subprocesses started inside inherit it, /proc/sys/net and
    /proc/net show it."""
    _home = None

    def __init__(self, name):
        self.path = '/run/netns/' + name

    def __enter__(self):
        if Namespace._home is None:
            Namespace._home = os.open('/proc/self/ns/net', os.O_RDONLY)
        fd = os.open(self.path, os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), 'setns ' + self.path)
        finally:
            os.close(fd)
        return self

    def __exit__(self, *exc):
        if _libc.setns(Namespace._home, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), 'setns back')


def prepare_root(our_bin):
    """One-time set-up of the fuzzer's private mount namespace."""
    os.makedirs(ROOT, exist_ok=True)
    subprocess.run(['mount', '-t', 'tmpfs', 'fz', ROOT], check=True)
    os.makedirs(ROOT + '/impl', exist_ok=True)
    os.symlink(REFERENCE_BIN, ROOT + '/impl/ref')
    os.symlink(os.path.abspath(our_bin), ROOT + '/impl/ours')
    # The default dataDir (/var/lib/cni/networks) must not reach the real disk.
    subprocess.run(['mount', '-t', 'tmpfs', 'fz-varlib', '/var/lib'], check=True)
    os.makedirs(DEFAULT_DATA_DIR, exist_ok=True)


def use_implementation(impl):
    """Points CNI_PATH (BIN_DIR) at `ref` or `ours`."""
    tmp = BIN_DIR + '.new'
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(ROOT + '/impl/' + impl, tmp)
    os.replace(tmp, BIN_DIR)


def reset():
    """Destroys the previous node and builds an empty one."""
    for ns in (NODE, POD):
        if os.path.exists('/run/netns/' + ns):
            subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)
    for d in (DATA_DIR, SCRATCH):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    for entry in os.listdir(DEFAULT_DATA_DIR):
        shutil.rmtree(os.path.join(DEFAULT_DATA_DIR, entry), ignore_errors=True)
    for ns in (NODE, POD):
        run(['ip', 'netns', 'add', ns])
        run(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])


def exec_plugin(plugin, env, stdin, timeout=60):
    """Runs BIN_DIR/<plugin> in the node namespace. Returns (exit, stdout, stderr)."""
    full_env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin'}
    full_env.update(env)
    with Namespace(NODE):
        for attempt in range(10):
            try:
                r = subprocess.run([BIN_DIR + '/' + plugin], input=stdin.encode(), env=full_env,
                                   capture_output=True, timeout=timeout)
                break
            except subprocess.TimeoutExpired:
                return ('timeout', '', '')
            except OSError as e:             # ETXTBSY: the binary is being rebuilt; as libcni, retry
                if e.errno != errno.ETXTBSY or attempt == 9:
                    raise
                time.sleep(0.5)
    return (r.returncode, r.stdout.decode(errors='replace'), r.stderr.decode(errors='replace'))
