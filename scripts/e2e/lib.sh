# shellcheck shell=bash
# scripts/e2e/lib.sh: the throwaway node shared by the e2e-*.sh scripts.
#
# A script sets
#   E2E_NAME         short name, used for the work dir and log lines
#   E2E_PACKAGES     array of Debian packages it needs
#   E2E_EXTRA_PLUGINS array of reference plugins (from /usr/lib/cni) to add to the
#                    CNI bin dir besides loopback (optional)
# defines
#   e2e_prepare      (optional) host-side step before the node starts, e.g. building
#                    a client; non-zero status aborts the run as one failure
#   e2e_node         the test body, run inside the node
# then calls `e2e_main "$@"`.
#
# The node: `unshare -n -m -p -f --kill-child --mount-proc --propagation private`,
# i.e. a fresh network namespace (the machine's root netns is never touched), a
# private mount namespace and a pid namespace whose init is the test body, so every
# process the test starts (daemons, shims, containers) dies with it. Inside:
#   - tmpfs on /run (netns bind mounts, runtime state, locks);
#   - /etc, /var/lib and /opt are overlays whose upper layers live in the work dir,
#     so clients that insist on /etc/cni/net.d, /opt/cni/bin or /var/lib/cni see
#     writable dirs while the host's files stay untouched, and whatever anything
#     wrote there can be inspected afterwards ($E2E_WORK/overlay/*/upper);
#   - the CNI bin dir $E2E_BIN holds `bridge` and `host-local` from the directory
#     under test, `loopback` (and E2E_EXTRA_PLUGINS) from /usr/lib/cni, each behind
#     a shim that records every call (env, stdin, stdout, exit code, timing) as one
#     JSON file in $E2E_TRACE, so the scripts can assert what clients really sent.
# Cgroups: runc creates cgroups in the host's (v1) hierarchies; scripts put them
# below a directory named $E2E_TAG (relative to the caller's own cgroup), which the
# outer part removes afterwards.
#
# Counting: ok/bad/t/tn count checks; the node's counts are handed to the outer part,
# which adds its host-side checks (nothing left behind) and prints the last line
# "N passed, M failed"; the exit status is non-zero when M > 0.
# Env: E2E_TIMEOUT (s, default 300) bounds the node run; KEEP=1 keeps the work dir;
#      VERBOSE=1 prints the output of passing checks too; E2E_STRICT=1 also counts
#      the checks of behaviours the reference plugins get wrong (tx).

set -u

E2E_LIB_DIR=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
# Inside the node the counts are saved after every check, so that a node killed by
# E2E_TIMEOUT still reports what it got through.
check_counted() { [ -n "${E2E_COUNTS:-}" ] && echo "$PASS $FAIL" >"$E2E_COUNTS"; return 0; }
CHECK_DETAIL_LINES=30
# ok, bad, t, need_pkgs: shellcheck source=../lib/common.sh
. "$E2E_LIB_DIR/../lib/common.sh"
skip() { echo "skip - $1"; }
note() { echo "# $*"; }
# tn DESC CMD... : passes when CMD fails.
tn() {
    local desc=$1 out; shift
    if out=$("$@" 2>&1); then bad "$desc" "unexpectedly succeeded: $out"; else ok "$desc"; fi
}
# tx DESC CMD... : a behaviour the reference plugins get wrong (a known upstream bug).
# With E2E_STRICT=1 it counts like t; otherwise it is only reported.
tx() {
    if [ "${E2E_STRICT:-0}" = 1 ]; then t "$@"; return; fi
    local desc=$1; shift
    if "$@" >/dev/null 2>&1; then note "upstream-bug check holds: $desc"
    else note "upstream-bug check fails (not counted; E2E_STRICT=1 counts it): $desc"; fi
}
# eventually SECONDS CMD... : retries CMD every 0.1 s until it succeeds.
eventually() {
    local n=$(($1 * 10)); shift
    until "$@" >/dev/null 2>&1; do
        n=$((n - 1)); [ "$n" -le 0 ] && { "$@"; return; }
        sleep 0.1
    done
}
is_ipv4() { [[ $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; }

# ------------------------------------------------------------------ trace
# One JSON object per plugin call:
#   {plugin, cmd, containerID, netns, netnsSet, ifname, args, path,
#    stdin (string), stdout (string), rc, start, end (ns since epoch)}
# trace_q [-r] JQ_FILTER : runs JQ_FILTER over the array of all calls so far, sorted
# by start time (-r: raw string output).
trace_q() {
    local raw=()
    [ "$1" = -r ] && { raw=(-r); shift; }
    local files=("$E2E_TRACE"/[0-9]*.json)
    if [ ! -e "${files[0]}" ]; then jq -n "${raw[@]}" "[] | $1"; return; fi
    cat "${files[@]}" | jq -s "${raw[@]}" "sort_by(.start) | $1"
}
# trace_since MARK [-r] JQ_FILTER : like trace_q, over the calls started after MARK (ns).
trace_since() {
    local mark=$1; shift
    if [ "$1" = -r ]; then trace_q -r "map(select(.start >= $mark)) | $2"
    else trace_q "map(select(.start >= $mark)) | $1"; fi
}
now_ns() { date +%s%N; }

# write_shim NAME REAL : the CNI bin dir entry NAME runs REAL through cni-shim.sh,
# which records every call in $E2E_TRACE.
write_shim() {
    mkdir -p "$E2E_BIN/.real"
    ln -sfn "$2" "$E2E_BIN/.real/$1"
    ln -sfn "$E2E_LIB_DIR/cni-shim.sh" "$E2E_BIN/$1"
}

# ------------------------------------------------------------------ images
# make_busybox_rootfs DIR : a minimal root filesystem from Debian's busybox-static.
make_busybox_rootfs() {
    local r=$1 a
    mkdir -p "$r"/{bin,etc,tmp,proc,sys,dev,root}
    cp /bin/busybox "$r/bin/busybox"
    for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
    echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
    echo 'root:x:0:' >"$r/etc/group"
    chmod 1777 "$r/tmp"
}

# ------------------------------------------------------------------ outer part
e2e_usage() { echo "usage: $0 DIR   (DIR holds the bridge and host-local executables to test)" >&2; exit 2; }

e2e_outer() {
    local plugdir=${1:-}
    [ -n "$plugdir" ] || e2e_usage
    [ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 2; }
    plugdir=$(realpath "$plugdir" 2>/dev/null) || { echo "no such directory: $1"; echo "0 passed, 1 failed"; exit 1; }
    local p
    for p in bridge host-local; do
        [ -x "$plugdir/$p" ] || { echo "no executable $plugdir/$p"; echo "0 passed, 1 failed"; exit 1; }
    done
    local t0; t0=$(date +%s)
    need_pkgs "${E2E_PACKAGES[@]}" || { echo "apt-get install failed"; echo "0 passed, 1 failed"; exit 1; }

    E2E_PLUGDIR=$plugdir
    E2E_WORK=$(mktemp -d "${TMPDIR:-/tmp}/cni-e2e-$E2E_NAME.XXXXXX")
    E2E_TAG=$(basename "$E2E_WORK")
    export E2E_PLUGDIR E2E_WORK E2E_TAG
    local child='' watchdog=
    # Interrupted: SIGKILL the unshare we started (it ignores INT/TERM while it waits);
    # its --kill-child then SIGKILLs the node's init, which takes the whole pid
    # namespace down. Then remove the work dir.
    trap '[ -n "$child" ] && kill -KILL "$child" 2>/dev/null; [ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null
          wait 2>/dev/null; e2e_host_cleanup; rm -rf "$E2E_WORK"; exit 130' INT TERM

    # Host state that must look the same afterwards.
    local links_before paths_before
    links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort)
    paths_before=$(e2e_host_paths)

    if declare -F e2e_prepare >/dev/null; then
        local out
        if ! out=$(e2e_prepare 2>&1); then
            bad "prepare ($E2E_NAME)" "$out"
            echo "0 passed, 1 failed"; rm -rf "$E2E_WORK"; exit 1
        fi
        [ -n "$out" ] && printf '%s\n' "$out"
        [ -f "$E2E_WORK/prepare.env" ] && . "$E2E_WORK/prepare.env"
    fi
    note "plugins under test: $plugdir/{bridge,host-local}; work dir $E2E_WORK"

    local start; start=$(date +%s)
    unshare -n -m -p -f --kill-child --mount-proc --propagation private \
        /bin/bash "$(realpath "$0")" --node &
    child=$!
    # Watchdog, one bash process: after E2E_TIMEOUT it SIGKILLs the node as above.
    mkfifo "$E2E_WORK/.watchdog"
    ( read -r -t "${E2E_TIMEOUT:-300}" <>"$E2E_WORK/.watchdog"; kill -KILL "$child" 2>/dev/null ) &
    watchdog=$!
    local rc=0
    { wait "$child"; } 2>/dev/null || rc=$?   # (no "Killed" job notice on a timeout)
    kill "$watchdog" 2>/dev/null; wait "$watchdog" 2>/dev/null
    child='' watchdog=''
    [ -f "$E2E_WORK/counts" ] && read -r PASS FAIL <"$E2E_WORK/counts"
    if [ ! -f "$E2E_WORK/done" ]; then
        bad "node did not finish (exit status $rc$([ $rc = 137 ] && echo ", killed: E2E_TIMEOUT=${E2E_TIMEOUT:-300}s?"))"
    fi
    note "node run $(( $(date +%s) - start ))s"

    # Host-side checks: everything the run created is gone.
    e2e_host_cleanup
    t "host: cgroups below $E2E_TAG removed" bash -c "! find /sys/fs/cgroup -maxdepth 6 -type d -name '$E2E_TAG' | grep -q ."
    # Other people's runs may change these meanwhile, so a difference is reported, not counted.
    host_same "root netns links" "$links_before" "$(ip -o link show | awk -F': ' '{print $2}' | sort)"
    host_same "/etc/cni, /opt/cni, /var/lib/cni, /var/lib/containers, /run/netns, /run/containerd" \
        "$paths_before" "$(e2e_host_paths)"

    if [ "${KEEP:-0}" = 1 ]; then note "work dir kept: $E2E_WORK"; else rm -rf "$E2E_WORK"; fi
    note "$E2E_NAME total $(( $(date +%s) - t0 ))s"
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
}

# host_same WHAT BEFORE AFTER : notes whether a piece of host state is as before the run.
host_same() {
    if [ "$2" = "$3" ]; then note "host: $1 unchanged"
    else note "WARNING host: $1 changed during the run (a leak, or someone else's run):"
        diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/#   /'
    fi
}

# Listing of the host paths that clients write to by default.
e2e_host_paths() {
    local d
    for d in /etc/cni /opt/cni /var/lib/cni /var/lib/containers /run/netns /run/containerd /run/containers; do
        if [ -e "$d" ]; then echo "$d: $(find "$d" -maxdepth 3 2>/dev/null | wc -l) entries"; else echo "$d: absent"; fi
    done
}

# Removes cgroup dirs named $E2E_TAG (deepest first); runc leaves its parents behind.
e2e_host_cleanup() {
    local d
    find /sys/fs/cgroup -maxdepth 6 -type d -name "$E2E_TAG" 2>/dev/null | while read -r d; do
        find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
}

# ------------------------------------------------------------------ node
e2e_node_setup() {
    local d n
    # 1. private /run: netns mounts, daemons' state and sockets stay in the node.
    mount -t tmpfs -o mode=755 tmpfs /run || return 1
    mkdir -p /run/netns /run/lock
    # 2. copy-on-write /etc, /var/lib, /opt: writable, host files untouched.
    for d in /etc /var/lib /opt; do
        n=${d#/}; n=${n//\//-}
        mkdir -p "$E2E_WORK/overlay/$n/upper" "$E2E_WORK/overlay/$n/work"
        mount -t overlay overlay \
            -o "lowerdir=$d,upperdir=$E2E_WORK/overlay/$n/upper,workdir=$E2E_WORK/overlay/$n/work" "$d" || return 1
    done
    # 3. loopback of the node itself.
    ip link set lo up || return 1
    # 4. the CNI bin dir, every plugin behind a tracing shim.
    E2E_BIN=$E2E_WORK/cni-bin E2E_TRACE=$E2E_WORK/trace
    mkdir -p "$E2E_BIN" "$E2E_TRACE"
    write_shim bridge "$E2E_PLUGDIR/bridge"
    write_shim host-local "$E2E_PLUGDIR/host-local"
    write_shim loopback /usr/lib/cni/loopback
    for n in ${E2E_EXTRA_PLUGINS[@]+"${E2E_EXTRA_PLUGINS[@]}"}; do write_shim "$n" "/usr/lib/cni/$n"; done
    export E2E_BIN E2E_TRACE
}

# What the node wrote below an overlaid host dir (e.g. /var/lib), as relative paths.
overlay_writes() {
    local n=${1#/}; n=${n//\//-}
    (cd "$E2E_WORK/overlay/$n/upper" && find . -mindepth 1 | sed 's|^\./||' | sort)
}

e2e_node_main() {
    E2E_COUNTS=$E2E_WORK/counts
    check_counted
    # what e2e_prepare handed over (KEY=VALUE lines)
    if [ -f "$E2E_WORK/prepare.env" ]; then set -a; . "$E2E_WORK/prepare.env"; set +a; fi
    if ! e2e_node_setup; then
        bad "node setup (mounts, CNI bin dir)"
    else
        e2e_node
        t "every plugin call was traced (shim errors: none)" test ! -s "$E2E_TRACE/shim-errors.log"
    fi
    touch "$E2E_WORK/done"
}

e2e_main() {
    if [ "${1:-}" = --node ]; then
        e2e_node_main
    else
        e2e_outer "$@"
    fi
}
