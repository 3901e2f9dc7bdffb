#!/usr/bin/env bash
# bench.sh - side-by-side benchmark of two CNI plugin directories (bridge + host-local).
#
#   usage: scripts/bench.sh [--quick] [--only PHASE,...] [--out FILE] [REF_DIR] OUR_DIR
#          PHASE: floor, hostlocal, scaling, bridge, ipmasq, parallel, parallel-ipmasq (default: all)
#          REF_DIR defaults to /usr/lib/cni (Debian's containernetworking-plugins).
#   e.g.   scripts/bench.sh --out bench.md /usr/lib/cni .build/release
#          scripts/bench.sh --quick /usr/lib/cni /usr/lib/cni     # harness self-check: ratios ~1
#
# A = REF_DIR, B = OUR_DIR. Each directory needs `bridge` and `host-local`; CNI_PATH is set
# to that directory alone, so A's bridge execs A's host-local and B's bridge execs B's.
#
# Isolation: everything runs inside `unshare -n -m --propagation private` (a fresh network
# namespace and a private mount namespace), with a tmpfs on /run/netns and a tmpfs for every
# host-local dataDir. A and B each get their own node namespace (own cni0) and their own pod
# namespaces and stores. Nothing is created in the machine's network namespace, no packet is
# sent anywhere, and the temp dir (mktemp) is removed on exit.
#
# Measurement: a small C server (scripts/bench/cnirun.c, compiled here with gcc) runs every
# plugin call:
# posix_spawn -> wait4 of the plugin, with stdin/stdout/stderr files opened by the spawn
# itself and the conf (incl. prevResult) written beforehand. It reports per call
#   wall   = spawn .. wait4 return (CLOCK_MONOTONIC),
#   cpu    = user+sys of the plugin and the children it waited for (bridge's host-local),
#   maxrss = ru_maxrss of the same (KiB; its floor is the server's own ~1.3 MB, shown as
#            the /bin/true row),
# so A and B pay exactly the same measurement overhead. Calls are interleaved A,B / B,A.
# Medians are reported; B/A is the ratio of the two medians.
#
# Phases: exec floor, VERSION; host-local alone, ADD and DEL with 0 / 1,000 / 4,000 / 60,000
# IPs already allocated in a /16 (stores pre-filled by writing files the way the reference
# does: <dataDir>/<net>/<ip> containing "<id>\r\n<ifname>", mode 0600, plus
# last_reserved_ip.0); bridge ADD (incl. its host-local exec) and DEL with 0 and 4,000 IPs;
# bridge ADD and DEL with ipMasq (iptables and nftables backends; the reference 1.1.1 always
# uses iptables) next to the same calls without ipMasq, and nothing left in either backend;
# 128 parallel bridge ADDs then 128 parallel DELs on one store, without and with ipMasq
# (default backend; nftables), nothing left behind; peak RSS.
# A slow plugin gets fewer samples at 60,000 IPs (the table says how many).
#
# Exit status: 0 if every call and every correctness check passed, 1 otherwise, 2 on usage.
set -euo pipefail
# PY (the system python3): shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "bench.sh: $*" >&2; exit 2; }

MODE=full OUT= ONLY=all
ARGS=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --quick) MODE=quick; shift ;;
        --out) [[ $# -ge 2 ]] || usage; OUT=$2; shift 2 ;;
        --out=*) OUT=${1#--out=}; shift ;;
        --only) [[ $# -ge 2 ]] || usage; ONLY=$2; shift 2 ;;
        -h|--help) usage ;;
        -*) die "unknown option $1" ;;
        *) ARGS+=("$1"); shift ;;
    esac
done
case ${#ARGS[@]} in
    1) REF=/usr/lib/cni OURS=${ARGS[0]} ;;
    2) REF=${ARGS[0]} OURS=${ARGS[1]} ;;
    *) usage ;;
esac
[[ $EUID -eq 0 ]] || die "must run as root (needs unshare -n -m)"
for d in "$REF" "$OURS"; do
    [[ -d $d ]] || die "$d: not a directory"
    for p in bridge host-local; do [[ -x $d/$p && -f $d/$p ]] || die "$d/$p: missing or not executable"; done
done
REF=$(realpath "$REF") OURS=$(realpath "$OURS")
for t in gcc python3 unshare ip mount timeout; do command -v "$t" >/dev/null || die "$t not found (apt-get install gcc python3 util-linux iproute2 coreutils)"; done

WORK=$(mktemp -d /tmp/cni-bench.XXXXXX)
trap 'rm -rf -- "$WORK"' EXIT
trap 'exit 130' INT TERM

BENCH_DIR=$(dirname "$(realpath "$0")")/bench
# ------------------------------------------------------------------ the measuring server
gcc -O2 -Wall -o "$WORK/cnirun" "$BENCH_DIR/cnirun.c" || die "compiling the measuring helper failed"

# ------------------------------------------------------------------ the harness, inside the namespaces
# scripts/bench/harness.py: the phases, the interleaved A/B calls and the table.
if [[ $MODE == quick ]]; then HARD=240; else HARD=420; fi
echo "bench.sh: $MODE mode, A=$REF B=$OURS (hard limit ${HARD}s)"
rc=0
BENCH_OUTER_NETNS=$(readlink /proc/self/ns/net) BENCH_OUTER_MNTNS=$(readlink /proc/self/ns/mnt) \
    timeout -k 10 "$HARD" unshare -n -m --propagation private \
    "$PY" "$BENCH_DIR/harness.py" "$WORK" "$WORK/cnirun" "$MODE" "$REF" "$OURS" "$ONLY" || rc=$?
[[ $rc -eq 124 ]] && echo "bench.sh: hard time limit (${HARD}s) hit" >&2
if [[ -n $OUT && -s $WORK/table.md ]]; then cp "$WORK/table.md" "$OUT" && echo "bench.sh: table written to $OUT"; fi
exit "$rc"
