#!/usr/bin/env bash
# demo.sh - a simulated Kubernetes cluster networked by our bridge + host-local plugins.
#
#   usage: scripts/demo.sh [PLUGIN_DIR] [--nodes N] [--pods M] [--keep]
#          Without PLUGIN_DIR it installs the dependencies (scripts/setup.sh) and builds
#          our plugins (scripts/build.sh) first. /usr/lib/cni runs it with Debian's
#          reference plugins instead. Defaults: 3 nodes x 2 pods.
#          --keep: keep the work dir (confs, results, stores) and, on a terminal, open a
#          shell inside the cluster before it is torn down.
#
# Everything happens inside one `unshare -n -m --pid --propagation private` (a tmpfs on /run,
# so /run/netns and the iptables lock are private too); the machine's own network is never
# touched and no packet leaves the namespaces made here.
#
#   underlay: bridge "underlay" in the outer (private) namespace = the switch between nodes
#   node i  : netns nodeI, eth0 192.168.100.I/24 on the underlay, pod CIDR 10.244.I.0/24,
#             routes to every other node's pod CIDR via that node's IP, ip_forward=1,
#             default route to the "internet" router
#   pods    : netns nIpJ; ADDed by a minimal runtime (scripts/cni-run.py) that runs *in the
#             node's netns* (ip netns exec nodeI ...), with the node's conflist: bridge cni0,
#             isGateway, isDefaultGateway, host-local with the node's /24 and a dataDir under
#             the work dir; then the loopback plugin (as CRI runtimes do).
#   masquerade: ipMasq on every node, with nonMasqueradeCIDRs = the cluster CIDR 10.244.0.0/16:
#             pod traffic leaving the cluster is masqueraded, pod-to-pod traffic is not
#   internet: netns with 192.168.100.254 on the underlay and 203.0.113.1; it has no route
#             to the pod CIDRs (like the real internet)
#
# Shown and checked: topology, one ADD result, a reachability matrix (pod->pod same node and
# across nodes, node->pod, pod->node; ICMP echo, at most 3 probes per pair), no NAT between
# pods (a UDP server prints the source address it sees), two processes of one pod talking
# over localhost, masquerading to the internet from every node, then DEL of every pod
# and nothing left behind. Last line: "N passed, M failed"; exit status 1 if any check failed.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
CHECK_OK='  ✓ ' CHECK_FAIL='  ✗ ' CHECK_DETAIL='      | ' CHECK_SUMMARY_GAP=1
# shellcheck source=lib/common.sh
. "$REPO/scripts/lib/common.sh"

if [[ ${1:-} != --inside ]]; then
    # ------------------------------------------------------------ outer part
    PLUGDIR= NODES=3 PODS=2 KEEP=0
    while [[ $# -gt 0 ]]; do
        case $1 in
            --nodes) NODES=${2:?}; shift 2 ;;
            --pods) PODS=${2:?}; shift 2 ;;
            --keep) KEEP=1; shift ;;
            -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
            -*) echo "demo: unknown option $1" >&2; exit 2 ;;
            *) PLUGDIR=$1; shift ;;
        esac
    done
    [[ $NODES =~ ^[0-9]+$ && $NODES -ge 1 && $NODES -le 250 ]] || { echo "demo: --nodes must be 1..250" >&2; exit 2; }
    [[ $PODS =~ ^[0-9]+$ && $PODS -ge 1 && $PODS -le 250 ]] || { echo "demo: --pods must be 1..250" >&2; exit 2; }
    if [[ -z $PLUGDIR ]]; then
        # No directory given: this is the README's first command on a fresh
        # machine, so install the dependencies and build our plugins first.
        [[ $EUID -eq 0 ]] || { echo "demo: must run as root" >&2; exit 2; }
        "$REPO/scripts/setup.sh" || exit 2
        echo "# building the plugins (swift build -c release, static)"
        PLUGDIR=$("$REPO/scripts/build.sh") || { echo "demo: build failed" >&2; exit 2; }
    fi
    PLUGDIR=$(realpath "$PLUGDIR")
    [[ $EUID -eq 0 ]] || { echo "demo: must run as root" >&2; exit 2; }
    for p in bridge host-local; do [[ -x $PLUGDIR/$p ]] || { echo "demo: no executable $PLUGDIR/$p" >&2; exit 2; }; done
    mapfile -t missing < <(missing_packages ip:iproute2 ping:iputils-ping python3:python3 iptables:iptables unshare:util-linux)
    [[ -x $PLUGDIR/loopback || -x /usr/lib/cni/loopback ]] || missing+=(containernetworking-plugins)
    need_pkgs "${missing[@]}" || { echo "demo: apt-get failed" >&2; exit 2; }
    WORK=$(mktemp -d /tmp/cni-demo.XXXXXX)
    [[ $KEEP == 1 ]] || trap 'rm -rf -- "$WORK"' EXIT
    TTY=0; [[ -t 0 && -t 1 ]] && TTY=1
    run_in_throwaway_node "${DEMO_TIMEOUT:-900}" "$(realpath "$0")" --inside "$PLUGDIR" "$WORK" "$NODES" "$PODS" "$KEEP" "$TTY"
    rc=$?
    [[ $rc -eq 137 ]] && echo "demo: time limit (${DEMO_TIMEOUT:-900}s) hit" && echo "0 passed, 1 failed"
    [[ $KEEP == 1 ]] && echo "# work dir kept: $WORK (conflists, ADD results, host-local stores)"
    exit $rc
fi

# ================================================================ inside the private namespaces
PLUGDIR=$2 WORK=$3 NODES=$4 PODS=$5 KEEP=$6 TTY=$7
RUN=$REPO/scripts/cni-run.py
section() { echo; echo "== $*"; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

CLUSTER=10.244.0.0/16 UNDERLAY=192.168.100 INET=203.0.113.1 ROUTER=192.168.100.254 PORT=7777
# the reference ignores nonMasqueradeCIDRs: with it, pod traffic across nodes is masqueraded too
EXEMPTS=1; [[ $PLUGDIR == /usr/lib/cni ]] && EXEMPTS=0
node_up demo-run || { bad "tmpfs on /run"; finish; }
mkdir -p "$WORK/results" "$WORK/logs"
export CNI_PATH=$PLUGDIR:/usr/lib/cni     # loopback from the reference set if PLUGIN_DIR has none

# ---- scripts/demo/nettool.py: ICMP prober, UDP/TCP endpoints that report the peer address they see
NT="$PY $REPO/scripts/demo/nettool.py"
BG=()   # background servers we started
stop_bg() { local p; for p in "${BG[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; BG=(); }
wait_file() { local i; for i in $(seq 50); do [[ -e $1 ]] && return 0; sleep 0.1; done; return 1; }

MAXV=$(highest_cni_version "$PLUGDIR/bridge") || { bad "bridge VERSION"; finish; }

# ------------------------------------------------------------------ 1. underlay, internet, nodes
section "Building a $NODES-node cluster with $PODS pod(s) per node (plugins: $PLUGDIR, CNI $MAXV)"
T=$(date +%s%N)
{
    echo "link add underlay type bridge"
    echo "link set underlay up"
    echo "netns add internet"
    echo "link add vinet type veth peer name eth0 netns internet"
    echo "link set vinet master underlay up"
    for i in $(seq "$NODES"); do
        echo "netns add node$i"
        echo "link add vnode$i type veth peer name eth0 netns node$i"
        echo "link set vnode$i master underlay up"
    done
} > "$WORK/underlay.batch"
printf '%s\n' "link set lo up" "link set eth0 up" "addr add $ROUTER/24 dev eth0" "addr add $INET/32 dev lo" > "$WORK/internet.batch"
ip -batch "$WORK/underlay.batch" && ip -n internet -batch "$WORK/internet.batch" || { bad "underlay"; finish; }
for i in $(seq "$NODES"); do
    {
        echo "link set lo up"
        echo "addr add $UNDERLAY.$i/24 dev eth0"
        echo "link set eth0 up"
        echo "route add default via $ROUTER"
        for j in $(seq "$NODES"); do [[ $j == "$i" ]] || echo "route add 10.244.$j.0/24 via $UNDERLAY.$j"; done
    } > "$WORK/node$i.batch"
    ip -n "node$i" -batch "$WORK/node$i.batch" || { bad "node$i network"; finish; }
done
for i in $(seq "$NODES"); do
    ip netns exec "node$i" sysctl -qw net.ipv4.ip_forward=1
    mkdir -p "$WORK/node$i/net.d" "$WORK/node$i/ipam" "$WORK/node$i/cache"
    cat > "$WORK/node$i/net.d/10-bridge.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "cniVersions": ["1.0.0", "1.1.0"],
  "name": "k8s-pod-network",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "isDefaultGateway": true,
      "ipMasq": true,
      "nonMasqueradeCIDRs": ["$CLUSTER"],
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "10.244.$i.0/24" }]],
        "dataDir": "$WORK/node$i/ipam"
      }
    }
  ]
}
EOF
    echo '{"cniVersion": "1.0.0", "name": "cni-loopback", "plugins": [{"type": "loopback"}]}' > "$WORK/node$i/net.d/99-loopback.conflist"
done
echo "  underlay, internet router and $NODES node(s) ready in $(ms "$T") ms"

# ------------------------------------------------------------------ 2. pods
cni() {   # cni NODE add|del CONFLIST POD [extra cni-run args]: the node's runtime calls the plugins
    local node=$1 cmd=$2 conf=$3 pod=$4; shift 4
    local cid; cid=$(printf '%s' "demo-$pod" | sha256sum | cut -c1-64)
    ip netns exec "$node" $PY "$RUN" --max-version "$MAXV" --cache-dir "$WORK/$node/cache" \
        --args "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=$pod;K8S_POD_INFRA_CONTAINER_ID=$cid" \
        "$@" "$cmd" "$WORK/$node/net.d/$conf" "$cid" "/run/netns/$pod"
}
section "ADD: every pod, through its node's runtime (plugin's own netns = the node's)"
declare -A IP NODEOF
ALLPODS=() ADDFAIL=()
T=$(date +%s%N)
for i in $(seq "$NODES"); do
    for j in $(seq "$PODS"); do
        pod=n${i}p$j; ALLPODS+=("$pod"); NODEOF[$pod]=$i
        ip netns add "$pod"
        extra=(); [[ $pod == n1p1 ]] && extra=(--trace)
        if cni "node$i" add 10-bridge.conflist "$pod" "${extra[@]}" > "$WORK/results/$pod.json" 2> "$WORK/logs/$pod.add.err" &&
           cni "node$i" add 99-loopback.conflist "$pod" > /dev/null 2>> "$WORK/logs/$pod.add.err"; then
            IP[$pod]=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["ips"][0]["address"].split("/")[0])' "$WORK/results/$pod.json")
        else
            ADDFAIL+=("$pod: $(tail -3 "$WORK/logs/$pod.add.err")"); IP[$pod]=
        fi
    done
done
NPODS=${#ALLPODS[@]}
echo "  $NPODS pod ADDs (bridge + host-local, then loopback) in $(ms "$T") ms"
if [[ ${#ADDFAIL[@]} -eq 0 ]]; then ok "ADD succeeded for all $NPODS pods"; else bad "ADD failed for ${#ADDFAIL[@]} of $NPODS pods" "$(printf '%s\n' "${ADDFAIL[@]}" | head -20)"; fi
t "every pod got a unique address inside its node's pod CIDR" $PY -c '
import ipaddress, sys
seen = set()
for item in sys.argv[1:]:
    pod, node, ip = item.split(",")
    assert ip, f"{pod}: no address"
    assert ipaddress.ip_address(ip) in ipaddress.ip_network(f"10.244.{node}.0/24"), f"{pod}: {ip} not in 10.244.{node}.0/24"
    assert ip not in seen, f"{ip} given twice"; seen.add(ip)' $(for p in "${ALLPODS[@]}"; do echo "$p,${NODEOF[$p]},${IP[$p]}"; done)

echo
echo "  The plugin call behind the first pod (runtime = node1, CNI_NETNS = the pod):"
sed -n 's/^+ /    ip netns exec node1 env /p' "$WORK/logs/n1p1.add.err" | head -1 | cut -c1-400 | sed 's/$/ .../'

# ------------------------------------------------------------------ 3. topology
section "Topology"
echo "  underlay 192.168.100.0/24 (bridge \"underlay\"); internet router $ROUTER, \"internet\" host $INET"
for i in $(seq "$NODES"); do
    br=$(ip -n "node$i" -o -4 addr show dev cni0 2>/dev/null | awk '{print $4}')
    m="  ipMasq: on, $CLUSTER exempt"
    printf '  node%-3s %-15s pod CIDR 10.244.%s.0/24  cni0 %s%s\n' "$i" "$UNDERLAY.$i" "$i" "${br:-?}" "$m"
    for j in $(seq "$PODS"); do
        pod=n${i}p$j
        hv=$($PY -c 'import json,sys; print([x["name"] for x in json.load(open(sys.argv[1]))["interfaces"] if "sandbox" not in x and x["name"]!="cni0"][0])' "$WORK/results/$pod.json" 2>/dev/null)
        printf '      %-7s %-15s eth0 <-> %s\n' "$pod" "${IP[$pod]:-(none)}" "${hv:-?}"
        [[ $NPODS -gt 24 && $j -ge 2 && $PODS -gt 2 ]] && { printf '      ... and %d more\n' $((PODS - 2)); break; }
    done
done
section "ADD result of n1p1 (as returned by the bridge plugin)"
sed 's/^/  /' "$WORK/results/n1p1.json"
nat_rules() { { ip netns exec "$1" iptables-save -t nat; command -v nft >/dev/null && ip netns exec "$1" nft list ruleset; } 2>/dev/null; }
masq_as_configured() {   # NAT rules for every pod on its own node, and the cluster CIDR exempt
    local p rules
    for p in "${ALLPODS[@]}"; do
        [[ -n ${IP[$p]} ]] || continue
        rules=$(nat_rules "node${NODEOF[$p]}" | grep -wF "${IP[$p]}")
        [[ -n $rules ]] || { echo "$p (${IP[$p]}): no NAT rule on node${NODEOF[$p]}"; return 1; }
    done
    [[ $EXEMPTS == 1 ]] || return 0
    for i in $(seq "$NODES"); do   # one exemption per pod: an ACCEPT in its CNI-… chain
        rules=$(nat_rules "node$i" | grep -cE -- "^-A CNI-.* -d $CLUSTER .*-j ACCEPT")
        [[ $rules -eq $PODS ]] || { echo "node$i: $rules $CLUSTER exemptions for $PODS pods"; return 1; }
    done
}
t "every node has masquerade rules for its pods, with the cluster CIDR exempt" masq_as_configured

# ------------------------------------------------------------------ 4. reachability matrix
section "Reachability (ICMP echo; ✓ = answered, ✗ = no answer; at most 3 probes per pair)"
T=$(date +%s%N)
INV=$WORK/inventory.txt; : > "$INV"
for p in "${ALLPODS[@]}"; do echo "pod $p ${NODEOF[$p]} ${IP[$p]:--}" >> "$INV"; done
for i in $(seq "$NODES"); do echo "node node$i $i $UNDERLAY.$i" >> "$INV"; done
mkdir -p "$WORK/probe"
read -r NPAIRS K KMAX < <($PY "$REPO/scripts/demo/matrix.py" plan "$INV" "$WORK/probe")
for f in "$WORK"/probe/*.targets; do
    name=$(basename "$f" .targets)
    ip netns exec "$name" $NT ping $(cat "$f") > "$WORK/probe/$name" 2>&1 &
    while [[ $(jobs -rp | wc -l) -ge 8 ]]; do wait -n; done     # a few probers at a time
done
wait
echo "  $NPAIRS pairs probed in $(ms "$T") ms"
[[ $K -lt $KMAX ]] && echo "  (same node: each pod probes $K of its $KMAX neighbours - the kernel's ARP table, shared by all namespaces, holds 1024 entries)"
$PY "$REPO/scripts/demo/matrix.py" report "$INV" "$WORK/probe" > "$WORK/matrix.txt"
grep -v '^PASS\|^FAIL\|^SKIP' "$WORK/matrix.txt"
while read -r verdict rest; do
    case $verdict in PASS) ok "$rest" ;; FAIL) bad "$rest" ;; SKIP) echo "  - $rest" ;; esac
done < <(grep '^PASS\|^FAIL\|^SKIP' "$WORK/matrix.txt")

# ------------------------------------------------------------------ 5. no NAT, localhost, masquerade
section "Whose address does the other side see? (UDP server prints the peer address)"
serve_udp() {   # serve_udp NETNS ADDRESS
    rm -f "$WORK/logs/udp-$1" "$WORK/logs/udp-$1.ready"
    ip netns exec "$1" $NT udp-serve "$PORT" "$WORK/logs/udp-$1" "$2" & BG+=($!)
    wait_file "$WORK/logs/udp-$1.ready"
}
ask() { ip netns exec "$1" $NT udp-ask "$2" "$PORT"; }
seen_as() {   # seen_as DESC CLIENT_NETNS SERVER_IP EXPECTED
    local got; got=$(ask "$2" "$3")
    if [[ $got == "$4" ]]; then ok "$1: seen as $got"; else bad "$1: seen as $got, expected $4"; fi
}
serve_udp internet "$INET"
serve_udp n1p1 "${IP[n1p1]}"
[[ $NODES -ge 2 ]] && serve_udp n2p1 "${IP[n2p1]}"
if [[ $NODES -ge 2 ]]; then
    if [[ $EXEMPTS == 1 ]]; then
        seen_as "n2p1 (node2, ipMasq) -> n1p1 (node1): no NAT between pods across nodes" n2p1 "${IP[n1p1]}" "${IP[n2p1]}"
        seen_as "n1p1 (node1, ipMasq) -> n2p1 (node2): no NAT between pods across nodes" n1p1 "${IP[n2p1]}" "${IP[n1p1]}"
    else
        seen_as "n2p1 (node2) -> n1p1 (node1): masqueraded by the reference, which ignores nonMasqueradeCIDRs" n2p1 "${IP[n1p1]}" "$UNDERLAY.2"
    fi
    seen_as "node2 -> n1p1: a node reaches pods with its own address, no NAT" node2 "${IP[n1p1]}" "$UNDERLAY.2"
else
    echo "  - cross-node checks skipped (1 node)"
fi
[[ $PODS -ge 2 ]] && seen_as "n1p2 -> n1p1 (same node): pod address kept" n1p2 "${IP[n1p1]}" "${IP[n1p2]}"
for i in $(seq "$NODES"); do
    [[ $i -le 2 ]] || break
    seen_as "n${i}p1 (node$i) -> internet $INET: masqueraded to node$i's address" "n${i}p1" "$INET" "$UNDERLAY.$i"
done

section "Two containers of one pod talk over localhost"
rm -f "$WORK/logs/tcp.ready"
ip netns exec n1p1 $NT tcp-serve 8080 "hello from the sidecar of n1p1" "$WORK/logs/tcp.ready" & BG+=($!)
wait_file "$WORK/logs/tcp.ready"
if got=$(ip netns exec n1p1 $NT tcp-ask 127.0.0.1 8080); then ok "n1p1, second process -> 127.0.0.1:8080: \"$got\""; else bad "n1p1 localhost: $got"; fi
other=$([[ $PODS -ge 2 ]] && echo n1p2 || { [[ $NODES -ge 2 ]] && echo n2p1; } || echo internet)
if got=$(ip netns exec "$other" $NT tcp-ask 127.0.0.1 8080); then bad "$other reached n1p1's localhost server: $got"
else ok "$other -> 127.0.0.1:8080: $got (each pod has its own localhost)"; fi
stop_bg

if [[ $KEEP == 1 && $TTY == 1 ]]; then
    section "The cluster is up: try 'ip netns list', 'ip netns exec n1p1 ip addr', ... ; exit the shell to tear it down"
    PS1='[cni-demo] \w# ' bash --norc -i
fi

# ------------------------------------------------------------------ 6. DEL and leftovers
section "DEL: every pod, then look for leftovers"
T=$(date +%s%N)
DELFAIL=()
for p in "${ALLPODS[@]}"; do
    node=node${NODEOF[$p]}
    cni "$node" del 99-loopback.conflist "$p" > /dev/null 2> "$WORK/logs/$p.del.err" &&
        cni "$node" del 10-bridge.conflist "$p" > /dev/null 2>> "$WORK/logs/$p.del.err" ||
        DELFAIL+=("$p: $(tail -3 "$WORK/logs/$p.del.err")")
done
echo "  $NPODS pod DELs in $(ms "$T") ms"
if [[ ${#DELFAIL[@]} -eq 0 ]]; then ok "DEL succeeded for all $NPODS pods"; else bad "DEL failed for ${#DELFAIL[@]} pods" "$(printf '%s\n' "${DELFAIL[@]}" | head -20)"; fi
left=$(for p in "${ALLPODS[@]}"; do ip -n "$p" -o link show eth0 2>/dev/null | sed "s/^/$p: /"; done)
t "no pod has an eth0 left" test -z "$left"
left=$(for i in $(seq "$NODES"); do ip -n "node$i" -o link show master cni0 2>/dev/null | sed "s/^/node$i: /"; done)
t "no veth left on any node's cni0" test -z "$left"
left=$(for i in $(seq "$NODES"); do ls "$WORK/node$i/ipam/k8s-pod-network" 2>/dev/null | grep -E '^[0-9.]+$' | sed "s/^/node$i: /"; done)
t "no IP reservation files left in any host-local store" test -z "$left"
left=$(for i in $(seq "$NODES"); do
    rules=$(nat_rules "node$i")
    { grep -E '^:CNI-|-j CNI-|jump CNI-' <<< "$rules"
      for p in "${ALLPODS[@]}"; do [[ -n ${IP[$p]} ]] && grep -wF "${IP[$p]}" <<< "$rules"; done; } | sed "s/^/node$i: /"
done)
t "no masquerade rules or CNI-* chains left for the pods" test -z "$left"
left=$(for i in $(seq "$NODES"); do ls "$WORK/node$i/cache/results" 2>/dev/null; done)
t "no cached results left in the runtimes" test -z "$left"
for p in "${ALLPODS[@]}"; do ip netns del "$p"; done
finish
