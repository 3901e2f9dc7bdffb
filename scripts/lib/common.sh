# shellcheck shell=bash
# scripts/lib/common.sh: the pieces the scenario scripts share, sourced by them.
#
# Tally of checks
#   ok DESC             counts a pass and prints it
#   bad DESC [DETAIL]   counts a failure, prints it and DETAIL indented; returns 1
#   t DESC CMD...       passes when CMD exits 0 (its output is the detail of a failure;
#                       VERBOSE=1 prints it for a pass too)
#   finish              prints the last line "N passed, M failed" and exits 0 when M is 0
# The counts are PASS and FAIL. A script may set, before sourcing: CHECK_OK and CHECK_FAIL
# (the marks before a description), CHECK_DETAIL (the indent of details), CHECK_DETAIL_LINES
# (only the last lines of a detail; 0: all of it), CHECK_SUMMARY_GAP=1 (a blank line before
# the summary); and define check_counted, called after every count.
#
# Packages
#   need_pkgs PKG...            installs those not installed (apt-get update only when needed)
#   missing_packages CMD:PKG... prints the packages whose command is not on PATH
#
# The throwaway node
#   PY                          the system python3 when there is one (it starts in ~30 ms; a
#                               version-manager shim first in PATH can take 10x that)
#   run_in_throwaway_node SECONDS SCRIPT ARGS...
#                               runs `bash SCRIPT ARGS...` in fresh network, mount and pid
#                               namespaces (`unshare -n -m --pid --fork --kill-child
#                               --mount-proc --propagation private`), SIGKILLed after SECONDS;
#                               its exit status (137 when killed)
#   node_tmpfs NAME DIR         inside the node: a tmpfs on DIR (shadowing the machine's)
#   node_up NAME                inside the node: a tmpfs on /run with /run/netns (so pod
#                               namespaces vanish with the node), and lo up
#   highest_cni_version PLUGIN  the highest CNI version PLUGIN's VERSION lists, up to 1.1.0

: "${CHECK_OK=ok   - }" "${CHECK_FAIL=FAIL - }" "${CHECK_DETAIL=     | }"
: "${CHECK_DETAIL_LINES:=0}" "${CHECK_SUMMARY_GAP:=0}"
PASS=${PASS:-0} FAIL=${FAIL:-0}

declare -F check_counted >/dev/null || check_counted() { :; }

ok() { PASS=$((PASS + 1)); check_counted; echo "$CHECK_OK$1"; }

bad() {
    FAIL=$((FAIL + 1)); check_counted; echo "$CHECK_FAIL$1"
    if [[ -n ${2:-} ]]; then
        if [[ $CHECK_DETAIL_LINES -gt 0 ]]; then printf '%s\n' "$2" | tail -n "$CHECK_DETAIL_LINES"
        else printf '%s\n' "$2"; fi | sed "s/^/$CHECK_DETAIL/"
    fi
    return 1
}

t() {
    local desc=$1 out; shift
    if out=$("$@" 2>&1); then
        ok "$desc"
        if [[ ${VERBOSE:-0} == 1 && -n $out ]]; then printf '%s\n' "$out" | sed "s/^/$CHECK_DETAIL/"; fi
        return 0
    fi
    bad "$desc" "$out"
}

finish() {
    [[ $CHECK_SUMMARY_GAP == 1 ]] && echo
    echo "$PASS passed, $FAIL failed"
    [[ $FAIL -eq 0 ]]
    exit $?
}

need_pkgs() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    echo "# apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >/dev/null 2>&1 && return 0
    apt-get update -qq >/dev/null 2>&1
    apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >/dev/null
}

missing_packages() {
    local entry
    for entry in "$@"; do
        command -v "${entry%%:*}" >/dev/null || echo "${entry#*:}"
    done
}

PY=python3; [[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3

run_in_throwaway_node() {
    local seconds=$1; shift
    timeout --foreground -s KILL "$seconds" \
        unshare -n -m --propagation private --pid --fork --kill-child --mount-proc \
        bash "$@"
}

node_tmpfs() { mount -t tmpfs "$1" "$2"; }

node_up() {
    node_tmpfs "$1" /run && mkdir -p /run/netns && ip link set lo up
}

highest_cni_version() {
    CNI_COMMAND=VERSION "$1" </dev/null | $PY -c '
import json, sys
vs = [v for v in json.load(sys.stdin)["supportedVersions"] if tuple(map(int, v.split("."))) <= (1, 1, 0)]
print(max(vs, key=lambda v: tuple(map(int, v.split(".")))))'
}
