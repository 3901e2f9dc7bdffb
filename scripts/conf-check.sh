#!/usr/bin/env bash
# conf-check.sh - run each example network config through real plugins: ADD, look, DEL, look.
#
#   usage: scripts/conf-check.sh [PLUGIN_DIR] [CONFLIST...]
#          PLUGIN_DIR defaults to <repo>/.build/release if it holds bridge + host-local,
#          else /usr/lib/cni (Debian's reference plugins); CONFLISTs default to <repo>/conf/*.conflist.
#
# For every conflist, as a runtime would (scripts/cni-run.py, libcni's rules), inside a
# throwaway node (unshare -n -m --pid, tmpfs on /run and /var/lib, so the default
# dataDir /var/lib/cni/networks and the result cache are private too):
#   ADD a pod -> one address per range set, inside its subnet (the requested one when the
#   conf declares the `ips` capability: runtimeConfig.ips is then supplied), on the pod's
#   interface, default route(s), gateway(s) answer ping, masquerade rules when ipMasq;
#   DEL -> interface, host veth, IP reservations, masquerade rules and cache entry gone;
#   DEL again -> still succeeds.
# The cniVersion sent is the highest one the conf offers that the plugins' VERSION accepts.
# Last line: "N passed, M failed"; exit status 1 if anything failed.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
CHECK_DETAIL='       | '
# shellcheck source=lib/common.sh
. "$REPO/scripts/lib/common.sh"

if [[ ${1:-} != --inside ]]; then
    PLUGDIR=
    if [[ $# -gt 0 && -d $1 ]]; then PLUGDIR=$1; shift; fi
    if [[ -z $PLUGDIR ]]; then
        if [[ -x $REPO/.build/release/bridge && -x $REPO/.build/release/host-local ]]; then PLUGDIR=$REPO/.build/release
        else PLUGDIR=/usr/lib/cni; fi
    fi
    PLUGDIR=$(realpath "$PLUGDIR")
    CONFS=("$@")
    [[ ${#CONFS[@]} -gt 0 ]] || CONFS=("$REPO"/conf/*.conflist)
    [[ $EUID -eq 0 ]] || { echo "conf-check: must run as root" >&2; exit 2; }
    for p in bridge host-local; do
        [[ -x $PLUGDIR/$p ]] || { echo "conf-check: no executable $PLUGDIR/$p" >&2; echo "0 passed, 1 failed"; exit 1; }
    done
    mapfile -t missing < <(missing_packages ip:iproute2 ping:iputils-ping python3:python3 iptables:iptables unshare:util-linux)
    need_pkgs "${missing[@]}" || { echo "conf-check: apt-get failed" >&2; exit 2; }
    ABS=()
    for c in "${CONFS[@]}"; do ABS+=("$(realpath "$c")"); done
    WORK=$(mktemp -d /tmp/conf-check.XXXXXX)
    trap 'rm -rf -- "$WORK"' EXIT
    run_in_throwaway_node "${CONF_CHECK_TIMEOUT:-300}" "$(realpath "$0")" --inside "$PLUGDIR" "$WORK" "${ABS[@]}"
    exit $?
fi

# ================================================================ inside the throwaway node
shift
PLUGDIR=$1 WORK=$2; shift 2
RUN=$REPO/scripts/cni-run.py
retry() { local n=$1; shift; until "$@" >/dev/null 2>&1; do n=$((n - 1)); [[ $n -le 0 ]] && { "$@"; return; }; sleep 0.5; done; }

node_up conf-check-run && node_tmpfs conf-check-varlib /var/lib && mkdir -p /var/lib/cni ||
    { bad "node setup (tmpfs on /run, /var/lib)"; finish; }
# loopback and other non-bridge plugins come from the reference set when PLUGIN_DIR lacks them
export CNI_PATH=$PLUGDIR:/usr/lib/cni

MAXV=$(highest_cni_version "$PLUGDIR/bridge") || { bad "bridge VERSION"; finish; }
echo "# plugins: $PLUGDIR (highest CNI version: $MAXV)"

nat_rules() { { iptables-save -t nat; ip6tables-save -t nat; command -v nft >/dev/null && nft list ruleset; } 2>/dev/null; }

n=0
for CONF in "$@"; do
    n=$((n + 1)); base=$(basename "$CONF"); POD=pod$n CID=confcheck$n
    echo "# ---- $base"
    # what the conf promises: bridge, network name, range-set subnets, ipMasq, static-IP capability
    eval "$($PY - "$CONF" "$MAXV" <<'PY'
import ipaddress, json, sys
c = json.load(open(sys.argv[1]))
p = c['plugins'][0] if 'plugins' in c else c
ipam = p.get('ipam', {})
sets = ipam.get('ranges') or [[{'subnet': ipam['subnet']}]]
subnets = [s[0]['subnet'] for s in sets]
caps = p.get('capabilities', {})
static = [str(ipaddress.ip_network(s).network_address + 100) + '/' + s.split('/')[1] for s in subnets] if caps.get('ips') else []
vs = [v for v in c.get('cniVersions', []) + [c.get('cniVersion', '')] if v and tuple(map(int, v.split('.'))) <= tuple(map(int, sys.argv[2].split('.')))]
print(f"NAME={c['name']} BR={p.get('bridge', 'cni0')} MASQ={int(bool(p.get('ipMasq')))}")
print(f"SUBNETS='{' '.join(subnets)}' STATIC='{' '.join(static)}' VERSION={max(vs, key=lambda v: tuple(map(int, v.split('.')))) if vs else 'none'}")
print("CAPARGS='" + json.dumps({'ips': static} if static else {}) + "'")
PY
)" || { bad "$base: parse"; continue; }
    ip netns add "$POD"
    if ! RES=$($PY "$RUN" --max-version "$MAXV" --cap-args "$CAPARGS" add "$CONF" "$CID" "/run/netns/$POD" 2>&1); then
        bad "$base: ADD (cniVersion $VERSION)" "$RES"; ip netns del "$POD"; continue
    fi
    ok "$base: ADD (cniVersion $VERSION)"
    echo "$RES" > "$WORK/$base.result.json"
    IPS=$($PY -c 'import json,sys; print(" ".join(i["address"] for i in json.load(open(sys.argv[1]))["ips"]))' "$WORK/$base.result.json")
    GWS=$($PY -c 'import json,sys; print(" ".join(i.get("gateway","") for i in json.load(open(sys.argv[1]))["ips"]))' "$WORK/$base.result.json")
    t "$base: one address per range set ($IPS), each inside its subnet ($SUBNETS)" $PY -c '
import ipaddress, sys
ips, nets = sys.argv[1].split(), sys.argv[2].split()
assert len(ips) == len(nets), f"{len(ips)} addresses for {len(nets)} range sets"
for a, n in zip(ips, nets): assert ipaddress.ip_interface(a).ip in ipaddress.ip_network(n), f"{a} not in {n}"' "$IPS" "$SUBNETS"
    [[ -n $STATIC ]] && t "$base: runtimeConfig.ips honoured ($STATIC)" test "$IPS" = "$STATIC"
    for a in $IPS; do
        t "$base: pod eth0 has $a" bash -c "ip netns exec $POD ip -o addr show dev eth0 | grep -qw '$a'"
    done
    for g in $GWS; do
        fam=-4; [[ $g == *:* ]] && fam=-6
        t "$base: pod has a default route via $g" bash -c "ip netns exec $POD ip $fam route show default | grep -q 'via $g'"
        t "$base: pod pings its gateway $g" retry 6 ip netns exec "$POD" ping "$fam" -c1 -W1 "$g"
    done
    HOSTVETH=$($PY -c 'import json,sys; print([i["name"] for i in json.load(open(sys.argv[1]))["interfaces"] if "sandbox" not in i and i["name"] != sys.argv[2]][0])' "$WORK/$base.result.json" "$BR" 2>/dev/null)
    t "$base: host veth $HOSTVETH is a port of $BR" bash -c "ip -o link show dev '$HOSTVETH' | grep -q 'master $BR'"
    if [[ $MASQ == 1 ]]; then
        for a in $IPS; do t "$base: masquerade rule for ${a%/*}" bash -c "$(declare -f nat_rules); nat_rules | grep -qwF '${a%/*}'"; done
    fi
    t "$base: DEL" $PY "$RUN" --max-version "$MAXV" --cap-args "$CAPARGS" del "$CONF" "$CID" "/run/netns/$POD"
    t "$base: pod eth0 gone" bash -c "! ip netns exec $POD ip link show eth0 >/dev/null 2>&1"
    t "$base: host veth gone, no ports left on $BR" bash -c "! ip link show dev '$HOSTVETH' >/dev/null 2>&1 && [ -z \"\$(ip -o link show master $BR)\" ]"
    t "$base: no IP reservations left in /var/lib/cni/networks/$NAME" bash -c "! ls /var/lib/cni/networks/$NAME 2>/dev/null | grep -q '^[0-9a-f.:]*[0-9a-f]$'"
    for a in $IPS; do t "$base: no NAT rule mentions ${a%/*}" bash -c "$(declare -f nat_rules); ! nat_rules | grep -qwF '${a%/*}'"; done
    t "$base: DEL again succeeds" $PY "$RUN" --max-version "$MAXV" del "$CONF" "$CID" "/run/netns/$POD"
    ip netns del "$POD"
done
finish
