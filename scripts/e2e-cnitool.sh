#!/bin/bash
# e2e-cnitool.sh DIR
#
# End-to-end test of the `bridge` and `host-local` executables in DIR through
# libcni, the library every container runtime embeds, driven by a cnitool built
# from Debian's libcni source (golang-github-appc-cni-dev; upstream's cnitool is not
# packaged, scripts/e2e/cnitool is a small client with the same command line).
#
# Covers: VERSION of every plugin (libcni's validation), ADD/CHECK/DEL of a
# cniVersion 1.0.0 conflist (bridge + host-local), the result as libcni returns
# and caches it (in a temp CNI_CACHE_DIR; nothing may land in /var/lib/cni),
# addresses/routes/links in the pod and on the node, connectivity (pod -> gateway,
# pod <-> pod), CHECK detecting a missing address or a veth off the bridge, CNI_ARGS IP= and
# IgnoreUnknown, the "ips" capability, DEL idempotency, DEL without a netns,
# DEL without prevResult (cache lost), IPs released after DEL, 0.3.1 and 0.4.0
# conflists, and GC/STATUS of a 1.1.0 conflist when libcni and the plugins have them.
#
# The client is built once and cached in $E2E_CACHE_DIR (default /var/cache/cni-e2e),
# offline: GOPATH mode over /usr/share/gocode, no module downloads. E2E_CNITOOL=PATH
# uses a ready binary with the same command line instead.
# Last line: "N passed, M failed".
set -u
HERE=$(dirname "$(realpath "$0")")
. "$HERE/e2e/lib.sh"

E2E_NAME=cnitool
E2E_PACKAGES=(golang-go golang-github-appc-cni-dev containernetworking-plugins
    busybox-static jq iproute2 iputils-ping util-linux)

LIBCNI=/usr/share/gocode/src/github.com/containernetworking/cni

# Builds (or finds in the cache) the libcni client; hands its path to the node.
e2e_prepare() {
    local tool=${E2E_CNITOOL:-}
    if [ -z "$tool" ]; then
        local cache=${E2E_CACHE_DIR:-/var/cache/cni-e2e} tags=
        grep -q 'func (c \*CNIConfig) GCNetworkList' "$LIBCNI/libcni/api.go" && tags=cni_gc
        local hash
        hash=$( { cat "$HERE"/e2e/cnitool/*.go; echo "$tags"
                  dpkg-query -W -f='${Version}\n' golang-github-appc-cni-dev golang-go; } | sha256sum | cut -c1-16)
        tool=$cache/cnitool-$hash
        if [ ! -x "$tool" ]; then
            echo "# building cnitool on libcni $(dpkg-query -W -f='${Version}' golang-github-appc-cni-dev)${tags:+ (tags $tags)}"
            mkdir -p "$cache" || return 1
            (cd "$HERE/e2e/cnitool" &&
                GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS="" GOPROXY=off \
                GOCACHE="$E2E_WORK/gocache" CGO_ENABLED=0 \
                go build -tags "$tags" -o "$tool.tmp.$$" .) || return 1
            mv "$tool.tmp.$$" "$tool" || return 1
            rm -rf "$E2E_WORK/gocache"
            find "$cache" -maxdepth 1 -name 'cnitool-*' ! -name "${tool##*/}" -mmin +60 -delete   # older builds
        fi
    fi
    [ -x "$tool" ] || { echo "cnitool $tool is not executable"; return 1; }
    echo "CNITOOL=$tool" >"$E2E_WORK/prepare.env"
}

# ---------------------------------------------------------------- node body
NET=e2enet SUBNET=10.99.0.0/24 PREFIX=10.99.0. GW=10.99.0.1 BR=cni0
# Reachable = one of three echo requests within 0.4 s is answered: right after ADD on
# a brand-new bridge the first request can fail with ENOBUFS (seen once in ~15 runs
# with the reference plugins).
PING="ping -c3 -i0.2 -W2 -q"

conflist() {  # VERSION NAME BRIDGE SUBNET GATEWAY DATADIR
    cat <<EOF
{
  "cniVersion": "$1",
  "name": "$2",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$3",
      "isGateway": true,
      "ipMasq": false,
      "capabilities": {"ips": true},
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$4", "gateway": "$5"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$6"
      }
    }
  ]
}
EOF
}

cni() { "$CNITOOL" "$@"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
nips() { find "$DATA/$NET" -maxdepth 1 -name '*.*.*.*' 2>/dev/null | wc -l; }
first_ip() { jq -r '.ips[0].address' | cut -d/ -f1; }

e2e_node() {
    DATA=$E2E_WORK/ipam CONF=$E2E_WORK/net.d CACHE=$E2E_WORK/cni-cache ERR=$E2E_WORK/stderr
    mkdir -p "$CONF"
    export CNI_PATH=$E2E_BIN NETCONFPATH=$CONF CNI_CACHE_DIR=$CACHE CNITOOL
    export -f cni
    conflist 1.0.0 $NET $BR $SUBNET $GW "$DATA" >"$CONF/10-$NET.conflist"
    echo '{"cniVersion": "1.0.0", "name": "lo", "plugins": [{"type": "loopback"}]}' >"$CONF/99-lo.conflist"

    # ---- VERSION
    t "VERSION bridge lists 1.0.0" bash -c "cni version bridge | jq -e '.cniVersion | index(\"1.0.0\")'"
    t "VERSION host-local lists 1.0.0" bash -c "cni version host-local | jq -e '.cniVersion | index(\"1.0.0\")'"
    t "libcni validates the conflist (VERSION of each plugin, capabilities)" \
        bash -c "cni validate $NET | grep -qw ips"

    # ---- ADD pod A
    ip netns add podA; ip netns add podB
    local resA ipA vethA cacheA
    resA=$(cni add $NET /run/netns/podA 2>"$ERR") && ok "ADD pod A" || { bad "ADD pod A" "$(cat "$ERR")"; return; }
    ipA=$(first_ip <<<"$resA")
    vethA=$(jq -r "[.interfaces[] | select(.sandbox == null and .name != \"$BR\")][0].name" <<<"$resA")
    t "result: cniVersion 1.0.0" test "$(jq -r .cniVersion <<<"$resA")" = 1.0.0
    t "result: ip $ipA/24 in $SUBNET, gateway $GW" \
        bash -c "[[ '$ipA' == $PREFIX* && '$ipA' != '$GW' ]] && jq -e '.ips[0].address == \"$ipA/24\" and .ips[0].gateway == \"$GW\"' <<<'$resA'"
    t "result: interfaces $BR, host veth $vethA, eth0 in /run/netns/podA" \
        jq -e "(.interfaces | map(.name) | index(\"$BR\") != null) and
               (.interfaces[] | select(.name == \"eth0\") | .sandbox == \"/run/netns/podA\") and
               (.interfaces[.ips[0].interface].name == \"eth0\")" <<<"$resA"
    t "result: default route" jq -e '.routes | any(.dst == "0.0.0.0/0")' <<<"$resA"
    t "pod A eth0 has $ipA/24" bash -c "ip netns exec podA ip -4 -o addr show dev eth0 | grep -q 'inet $ipA/24'"
    t "pod A eth0 MAC matches the result" \
        test "$(in_ns podA cat /sys/class/net/eth0/address)" = "$(jq -r '.interfaces[] | select(.name=="eth0") | .mac' <<<"$resA")"
    t "pod A default route via $GW" bash -c "ip netns exec podA ip route show default | grep -q 'via $GW dev eth0'"
    t "node: $BR has $GW/24 and is up" bash -c "ip -4 -o addr show dev $BR | grep -q 'inet $GW/24' && ip link show $BR | grep -q 'state UP'"
    t "node: $vethA is enslaved to $BR" bash -c "ip -o link show dev '$vethA' | grep -q 'master $BR'"
    t "pod A pings the gateway" in_ns podA $PING $GW
    cacheA=$(ls "$CACHE"/results/$NET-*-eth0 2>/dev/null | head -n1)
    t "libcni cached the result in CNI_CACHE_DIR" test -n "$cacheA"
    t "cached result equals the ADD result" bash -c "diff <(jq -S . <<<'$resA') <(jq -S .result '$cacheA')"
    t "cnitool cached prints it back" bash -c "diff <(jq -S . <<<'$resA') <(cni cached $NET /run/netns/podA | jq -S .)"
    t "host-local reserved $ipA for pod A's container ID" \
        bash -c "reserved_id=\$(head -n1 '$DATA/$NET/$ipA' | tr -d '\r'); [ \"\$reserved_id\" = \"$(jq -r .containerId "$cacheA")\" ]"

    # ---- ADD pod B; traffic
    local resB ipB
    resB=$(cni add $NET /run/netns/podB 2>"$ERR") && ok "ADD pod B" || bad "ADD pod B" "$(cat "$ERR")"
    ipB=$(first_ip <<<"$resB")
    t "pod B got another address ($ipB)" bash -c "[[ '$ipB' == $PREFIX* && '$ipB' != '$ipA' ]]"
    t "pod A pings pod B over $BR" in_ns podA ping -c2 -i0.2 -W2 "$ipB"
    t "pod B pings pod A" in_ns podB $PING "$ipA"
    t "node pings pod B" $PING "$ipB"
    t "loopback network ADD in pod A" cni add lo /run/netns/podA
    echo hello-from-sidecar | in_ns podA busybox nc -l -p 7777 >/dev/null 2>&1 &
    local nc=$!
    t "two processes in pod A talk over 127.0.0.1" \
        eventually 5 bash -c "ip netns exec podA busybox nc -w 2 127.0.0.1 7777 </dev/null | grep -q hello-from-sidecar"
    kill "$nc" 2>/dev/null; wait "$nc" 2>/dev/null

    # ---- CHECK
    local mark; mark=$(now_ns)
    t "CHECK pod A" cni check $NET /run/netns/podA
    t "CHECK pod B" cni check $NET /run/netns/podB
    t "CHECK gave bridge the cached result as prevResult" \
        trace_since "$mark" 'map(select(.plugin == "bridge" and .cmd == "CHECK")) | length == 2 and all(.stdin | fromjson | .prevResult.ips | length > 0)'
    in_ns podA ip addr del "$ipA/24" dev eth0
    tn "CHECK pod A fails while eth0 lacks $ipA" cni check $NET /run/netns/podA
    in_ns podA ip addr add "$ipA/24" dev eth0
    in_ns podA ip route add default via $GW dev eth0
    t "CHECK pod A passes again once address and route are back" cni check $NET /run/netns/podA
    ip link set "$vethA" nomaster
    tn "CHECK pod A fails while its host veth is off the bridge" cni check $NET /run/netns/podA
    ip link set "$vethA" master $BR
    t "CHECK pod A passes again once the veth is back on $BR" cni check $NET /run/netns/podA

    # ---- CNI_ARGS and capabilities
    ip netns add podR
    local res
    res=$(CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=e2e;IP=${PREFIX}50" cni add $NET /run/netns/podR 2>"$ERR")
    t "ADD with CNI_ARGS IgnoreUnknown=1;K8S_POD_NAMESPACE=..;IP=${PREFIX}50 gets ${PREFIX}50" \
        test "$(first_ip <<<"$res" 2>/dev/null)" = "${PREFIX}50"
    t "DEL of that pod releases ${PREFIX}50" bash -c "CNI_ARGS='IgnoreUnknown=1;K8S_POD_NAMESPACE=e2e;IP=${PREFIX}50' '$CNITOOL' del $NET /run/netns/podR && test ! -e '$DATA/$NET/${PREFIX}50'"
    res=$(CAP_ARGS="{\"ips\": [\"${PREFIX}60/24\"]}" cni add $NET /run/netns/podR 2>"$ERR")
    t "ADD with the ips capability ${PREFIX}60/24 gets ${PREFIX}60" test "$(first_ip <<<"$res" 2>/dev/null)" = "${PREFIX}60"
    t "DEL releases ${PREFIX}60" bash -c "'$CNITOOL' del $NET /run/netns/podR && test ! -e '$DATA/$NET/${PREFIX}60'"
    # bridge itself reads CNI_ARGS (MAC=), so without IgnoreUnknown=1 it refuses IP=.
    tn "ADD with CNI_ARGS IP=${PREFIX}60 but no IgnoreUnknown=1 is refused" \
        env CNI_ARGS="IP=${PREFIX}60" "$CNITOOL" add $NET /run/netns/podR
    t "that refused ADD left no address and no eth0 behind" \
        bash -c "! test -e '$DATA/$NET/${PREFIX}60' && ! ip netns exec podR ip link show eth0"
    tn "ADD of another container asking for pod A's $ipA is refused" \
        env CNI_ARGS="IgnoreUnknown=1;IP=$ipA" CNI_CONTAINERID=other "$CNITOOL" add $NET /run/netns/podR
    t "pod A keeps $ipA reserved for itself" \
        bash -c "[ \"\$(head -n1 '$DATA/$NET/$ipA' | tr -d '\r')\" = '$(jq -r .containerId "$cacheA")' ]"
    # the reference leaves the veth behind when IPAM fails (no rollback)
    tx "a refused ADD rolls back its veth" bash -c "! ip netns exec podR ip link show eth0"
    CNI_ARGS="IgnoreUnknown=1;IP=$ipA" CNI_CONTAINERID=other cni del $NET /run/netns/podR >/dev/null 2>&1
    ip netns del podR

    # ---- DEL
    t "DEL pod A" cni del $NET /run/netns/podA
    t "pod A eth0 gone" bash -c "! ip netns exec podA ip link show eth0"
    t "node: $vethA gone" bash -c "! ip link show dev '$vethA'"
    t "IP $ipA released" bash -c "! test -e '$DATA/$NET/$ipA'"
    t "cached result of pod A removed" test ! -e "$cacheA"
    t "DEL pod A again succeeds (idempotent)" cni del $NET /run/netns/podA
    t "pod B still reachable after pod A left" $PING "$ipB"
    t "loopback network DEL in pod A" cni del lo /run/netns/podA

    # DEL once the netns is gone (kubelet after sandbox teardown).
    local ipC
    ip netns add podC
    ipC=$(cni add $NET /run/netns/podC 2>/dev/null | first_ip)
    t "ADD pod C ($ipC)" is_ipv4 "$ipC"
    ip netns del podC
    t "DEL pod C after its netns was deleted succeeds" cni del $NET /run/netns/podC
    t "IP $ipC of pod C released" bash -c "! test -e '$DATA/$NET/$ipC'"

    # DEL without prevResult: the runtime lost its cache (containerd's second DEL looks the same).
    local ipD
    ip netns add podD
    ipD=$(cni add $NET /run/netns/podD 2>/dev/null | first_ip)
    t "ADD pod D ($ipD)" is_ipv4 "$ipD"
    rm -f "$CACHE"/results/$NET-*
    mark=$(now_ns)
    t "DEL pod D without a cached result succeeds" cni del $NET /run/netns/podD
    t "that DEL reached bridge without prevResult" \
        trace_since "$mark" 'map(select(.plugin == "bridge" and .cmd == "DEL")) | length == 1 and all(.stdin | fromjson | has("prevResult") | not)'
    t "pod D eth0 gone and IP $ipD released" bash -c "! ip netns exec podD ip link show eth0 && ! test -e '$DATA/$NET/$ipD'"
    ip netns del podD

    t "DEL pod B" cni del $NET /run/netns/podB
    ip netns del podA; ip netns del podB
    t "no veths left on the node" eventually 5 bash -c "! ip -o link show type veth | grep -q ."
    t "no IP reservations left" test "$(nips)" = 0
    t "no cached results left" bash -c "! ls '$CACHE/results' 2>/dev/null | grep -q ."

    # ---- older conflist versions: results converted by the plugins, CHECK from 0.4.0 on
    local v
    for v in 0.3.1 0.4.0; do
        local n=${v//./} net ip; n=${n#0}
        net=e2enet$n
        conflist $v "$net" "cni$n" "10.99.$n.0/24" "10.99.$n.1" "$DATA" >"$CONF/20-$net.conflist"
        ip netns add "pod$v"
        res=$(cni add "$net" "/run/netns/pod$v" 2>"$ERR")
        ip=$(first_ip <<<"$res" 2>/dev/null)
        t "cniVersion $v: ADD returns a $v result with an address ($ip)" \
            bash -c "jq -e '.cniVersion == \"$v\"' <<<'$res' >/dev/null && [[ '$ip' == 10.99.$n.* ]]"
        [ "$v" = 0.3.1 ] && t "cniVersion 0.3.1: ips carry version \"4\"" jq -e '.ips[0].version == "4"' <<<"$res"
        [ "$v" = 0.4.0 ] && t "cniVersion 0.4.0: CHECK" cni check "$net" "/run/netns/pod$v"
        t "cniVersion $v: pod pings the gateway" in_ns "pod$v" $PING "10.99.$n.1"
        t "cniVersion $v: DEL releases $ip" bash -c "'$CNITOOL' del '$net' '/run/netns/pod$v' && test ! -e '$DATA/$net/$ip'"
        ip netns del "pod$v"
    done

    # ---- 1.1.0: STATUS and GC
    gc_and_status

    t "nothing written below /var/lib, /etc or /opt (dataDir and CNI_CACHE_DIR honoured)" \
        test -z "$(overlay_writes /var/lib; overlay_writes /etc; overlay_writes /opt)"

    local failed
    failed=$(trace_q -r '.[] | select(.rc != 0) | "\(.plugin) \(.cmd): \(.stdout | gsub("\\s+"; " ") | .[0:160])"')
    [ -n "$failed" ] && note "plugin calls that failed (expected ones included):" && printf '%s\n' "$failed" | sed 's/^/#   /'
    note "$(trace_q 'length') plugin calls traced"
}

gc_and_status() {
    local net=e2enet110 data=$DATA out rc
    conflist 1.1.0 $net cni11 10.99.2.0/24 10.99.2.1 "$data" >"$CONF/30-$net.conflist"
    out=$(cni status $net 2>&1); rc=$?
    if [ $rc = 3 ]; then
        skip "STATUS/GC: libcni $(dpkg-query -W -f='${Version}' golang-github-appc-cni-dev) has neither (added in libcni 1.2.0)"
        return
    fi
    if ! cni version bridge | jq -e '.cniVersion | index("1.1.0")' >/dev/null ||
       ! cni version host-local | jq -e '.cniVersion | index("1.1.0")' >/dev/null; then
        skip "STATUS/GC: the plugins under test do not support cniVersion 1.1.0"
        return
    fi
    [ $rc = 0 ] && ok "STATUS of a 1.1.0 conflist" || bad "STATUS of a 1.1.0 conflist" "$out"
    local ip1 ip2
    ip netns add g1; ip netns add g2
    ip1=$(CNI_CONTAINERID=g1 cni add $net /run/netns/g1 2>/dev/null | first_ip)
    ip2=$(CNI_CONTAINERID=g2 cni add $net /run/netns/g2 2>/dev/null | first_ip)
    t "1.1.0: ADD g1 ($ip1)" is_ipv4 "$ip1"
    t "1.1.0: ADD g2 ($ip2)" is_ipv4 "$ip2"
    # g2 leaks: without its cached attachment libcni cannot DEL it, only the plugins' GC can free it.
    rm -f "$CACHE/results/$net-g2-eth0"
    t "GC keeping only g1" cni gc $net g1
    t "GC released leaked g2's $ip2" bash -c "! test -e '$data/$net/$ip2'"
    t "GC kept g1's $ip1" test -e "$data/$net/$ip1"
    t "g1 still pings the gateway" in_ns g1 $PING 10.99.2.1
    t "1.1.0: DEL g1 releases $ip1" bash -c "CNI_CONTAINERID=g1 '$CNITOOL' del $net /run/netns/g1 && ! test -e '$data/$net/$ip1'"
    CNI_CONTAINERID=g2 cni del $net /run/netns/g2 >/dev/null 2>&1
    ip netns del g1; ip netns del g2
}

e2e_main "$@"
