#!/bin/bash
# e2e-podman.sh DIR
#
# End-to-end test of the `bridge` and `host-local` executables in DIR driven by
# Debian's podman 4.3 with network_backend = "cni" (containers/common's libnetwork
# on libcni).
#
# Covers: podman's VERSION calls on every config load (placeholder values; a
# failing VERSION would make podman drop the network), containers on a hand-written
# 1.0.0 network (addresses, routes, ping between containers and to the gateway),
# the K8S_POD_NAME/IgnoreUnknown CNI_ARGS podman sends, --ip/--mac-address (the
# "ips" capability and CNI_ARGS MAC=), `podman network reload`, stop/start, run --rm,
# `podman rm` releasing IPs, and a network made by `podman network create` (podman's
# own 0.4.0 conflist: bridge with ipMasq + portmap + firewall + tuning).
# podman never calls CHECK, so CHECK is not exercised here.
#
# Isolation (besides the node of scripts/e2e/lib.sh): podman's config, storage,
# run root, tmp dir, events log and CNI config dir live in the work dir;
# CONTAINERS_CONF/CONTAINERS_STORAGE_CONF/CONTAINERS_REGISTRIES_CONF point there, so
# the machine's podman configuration and state are neither read nor touched.
# Containers run without cgroups (crun refuses the v1/v2 hybrid layout, so the
# cgroup2 mount is hidden inside the node). No registry: the image is imported
# from a rootfs built from busybox-static.
# Last line: "N passed, M failed".
set -u
HERE=$(dirname "$(realpath "$0")")
. "$HERE/e2e/lib.sh"

E2E_NAME=podman
E2E_PACKAGES=(podman crun conmon containernetworking-plugins busybox-static
    jq iproute2 iputils-ping iptables util-linux)
# `podman network create` writes conflists that chain these after bridge.
E2E_EXTRA_PLUGINS=(portmap firewall tuning)

NET=e2enet SUBNET=10.99.0.0/24 PREFIX=10.99.0. GW=10.99.0.1 BR=cni0
NET2=e2enet2 SUBNET2=10.99.1.0/24 PREFIX2=10.99.1. GW2=10.99.1.1
IMG=localhost/e2e-busybox:latest

ipof()   { podman inspect "$1" --format "{{(index .NetworkSettings.Networks \"${2:-$NET}\").IPAddress}}" 2>/dev/null; }
cid()    { podman inspect "$1" --format '{{.Id}}' 2>/dev/null; }
nveth()  { ip -o link show master "${1:-$BR}" type veth 2>/dev/null | wc -l; }
nips()   { find "$DATA/$NET" -maxdepth 1 -name '*.*.*.*' 2>/dev/null | wc -l; }
inrange() { [[ $1 == $PREFIX* && $1 != "$GW" ]]; }
cached() { compgen -G "/var/lib/cni/results/*-$1-eth0" >/dev/null; }   # libcni's cache file of container $1

write_config() {
    # podman lowers its own RLIMIT_NPROC to 32768 and, without CAP_SYS_RESOURCE, cannot
    # raise RLIMIT_NOFILE beyond the hard limit: pin container rlimits to what it can set.
    local hn hu
    hn=$(ulimit -Hn); [ "$hn" = unlimited ] && hn=1048576
    hu=$(ulimit -Hu); { [ "$hu" = unlimited ] || [ "$hu" -gt 32768 ]; } && hu=32768
    cat >"$PC/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$hn:$hn", "nproc=$hu:$hu"]
cgroups = "disabled"
[network]
network_backend = "cni"
cni_plugin_dirs = ["$E2E_BIN"]
network_config_dir = "$CONF"
default_network = "$NET"
[engine]
runtime = "crun"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$E2E_WORK/podman/events.log"
tmp_dir = "$E2E_WORK/podman/tmp"
volume_path = "$E2E_WORK/podman/volumes"
static_dir = "$E2E_WORK/podman/libpod"
EOF
    cat >"$PC/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$E2E_WORK/podman/storage"
runroot = "$E2E_WORK/podman/runroot"
EOF
    echo 'unqualified-search-registries = []' >"$PC/registries.conf"
    # podman import checks the signature policy; the host may have none.
    mkdir -p /etc/containers
    [ -f /etc/containers/policy.json ] ||
        echo '{"default": [{"type": "insecureAcceptAnything"}]}' >/etc/containers/policy.json
    export CONTAINERS_CONF=$PC/containers.conf CONTAINERS_STORAGE_CONF=$PC/storage.conf
    export CONTAINERS_REGISTRIES_CONF=$PC/registries.conf
}

e2e_node() {
    DATA=$E2E_WORK/ipam CONF=$E2E_WORK/net.d PC=$E2E_WORK/podman-config
    mkdir -p "$CONF" "$PC" "$E2E_WORK/podman/tmp"
    # crun refuses the cgroup v1/v2 hybrid layout; containers run without cgroups anyway.
    if [ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ] && mountpoint -q /sys/fs/cgroup/unified; then
        umount /sys/fs/cgroup/unified
    fi
    write_config
    cat >"$CONF/$NET.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$NET",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BR",
      "isGateway": true,
      "ipMasq": false,
      "capabilities": {"ips": true},
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$SUBNET", "gateway": "$GW"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$DATA"
      }
    }
  ]
}
EOF
    local rootfs=$E2E_WORK/rootfs
    make_busybox_rootfs "$rootfs"
    tar -C "$rootfs" -cf "$E2E_WORK/rootfs.tar" .

    local mark; mark=$(now_ns)
    t "podman uses the cni network backend" test "$(podman info --format '{{.Host.NetworkBackend}}' 2>&1)" = cni || return
    t "podman import busybox rootfs as $IMG" podman import -q "$E2E_WORK/rootfs.tar" $IMG || return
    t "podman network ls lists $NET (VERSION of its plugins succeeded)" \
        bash -c "podman network ls --format '{{.Name}}' | grep -qx $NET"
    t "podman called VERSION with placeholder values, plugins answered" \
        trace_since "$mark" '[.[] | select(.cmd == "VERSION" and .plugin == "bridge")] |
            length > 0 and all(.rc == 0 and .netns == "dummy" and .ifname == "dummy" and
                               (.stdout | fromjson | .supportedVersions | index("1.0.0")))'

    # ---- two containers
    mark=$(now_ns)
    t "run c1 on $NET" podman run -d --name c1 --network $NET --cap-add NET_RAW $IMG sleep 600 || return
    t "run c2 on $NET" podman run -d --name c2 --network $NET --cap-add NET_RAW $IMG sleep 600 || return
    local ip1 ip2 id1
    ip1=$(ipof c1) ip2=$(ipof c2) id1=$(cid c1)
    t "c1 got $ip1 from $SUBNET" inrange "$ip1"
    t "c2 got another address ($ip2)" bash -c "[[ '$ip2' == $PREFIX* && '$ip2' != '$ip1' ]]"
    t "c1 eth0 has $ip1/24" bash -c "podman exec c1 ip -4 -o addr show dev eth0 | grep -q 'inet $ip1/24'"
    t "c1 default route via $GW" bash -c "podman exec c1 ip route | grep -q 'default via $GW dev eth0'"
    t "node: $BR has $GW/24" bash -c "ip -4 -o addr show dev $BR | grep -q 'inet $GW/24'"
    t "node: two veths on $BR" test "$(nveth)" = 2
    t "host-local reserved $ip1 and $ip2" bash -c "test -f '$DATA/$NET/$ip1' && test -f '$DATA/$NET/$ip2'"
    t "libcni cached c1's result in /var/lib/cni/results" cached "$id1"
    t "c1 pings the gateway" podman exec c1 ping -c1 -W2 $GW
    t "c1 pings c2" podman exec c1 ping -c2 -i0.2 -W2 "$ip2"
    t "c2 pings c1" podman exec c2 ping -c1 -W2 "$ip1"
    t "node pings c1" ping -c1 -W2 "$ip1"
    t "podman's ADD carried IgnoreUnknown=1 and K8S_POD_NAME=c1 in CNI_ARGS" \
        trace_since "$mark" "[.[] | select(.cmd == \"ADD\" and .plugin == \"bridge\" and .containerID == \"$id1\")] |
            length == 1 and (.[0].args | split(\";\") | index(\"IgnoreUnknown=1\") != null and index(\"K8S_POD_NAME=c1\") != null)"

    # ---- static IP and MAC
    mark=$(now_ns)
    t "run c3 with --ip ${PREFIX}77 --mac-address 02:00:0a:63:00:4d" \
        podman run -d --name c3 --network $NET --ip ${PREFIX}77 --mac-address 02:00:0a:63:00:4d $IMG sleep 600
    t "c3 eth0 has ${PREFIX}77/24" bash -c "podman exec c3 ip -4 -o addr show dev eth0 | grep -q 'inet ${PREFIX}77/24'"
    t "c3 eth0 has MAC 02:00:0a:63:00:4d" test "$(podman exec c3 cat /sys/class/net/eth0/address 2>&1)" = 02:00:0a:63:00:4d
    note "podman passed the static IP/MAC as: $(trace_since "$mark" -r '[.[] | select(.cmd == "ADD" and .plugin == "bridge")][0] |
        "CNI_ARGS=\(.args) runtimeConfig=\(.stdin | fromjson | .runtimeConfig // {} | tojson)"' 2>/dev/null)"
    t "rm c3 releases ${PREFIX}77" bash -c "podman rm -f -t 0 c3 >/dev/null && ! test -e '$DATA/$NET/${PREFIX}77'"

    # ---- network reload (DEL + ADD of the running container)
    mark=$(now_ns)
    t "podman network reload c1" podman network reload c1
    t "reload ran DEL then ADD for c1" \
        trace_since "$mark" "[.[] | select(.plugin == \"bridge\" and .containerID == \"$id1\") | .cmd] | . == [\"DEL\", \"ADD\"]"
    local ip1b; ip1b=$(ipof c1)
    t "c1 has an address after reload ($ip1b)" \
        bash -c "[[ '$ip1b' == $PREFIX* ]] && podman exec c1 ip -4 -o addr show dev eth0 | grep -q 'inet $ip1b/24'"
    t "c2 pings c1 after reload" podman exec c2 ping -c1 -W2 "$ip1b"
    t "still 2 IPs reserved after reload" test "$(nips)" = 2
    t "podman network reload --all" podman network reload --all
    ip1b=$(ipof c1) ip2=$(ipof c2)
    t "c1 pings c2 after reload --all" podman exec c1 ping -c1 -W2 "$ip2"
    t "still 2 IPs reserved after reload --all" test "$(nips)" = 2

    # ---- stop / start
    t "stop c2 (CNI DEL)" podman stop -t 0 c2
    t "c2's $ip2 released and its veth gone" bash -c "! test -e '$DATA/$NET/$ip2' && [ \$(ip -o link show master $BR type veth | wc -l) = 1 ]"
    t "start c2 again (CNI ADD)" podman start c2
    ip2=$(ipof c2)
    t "c2 has an address again ($ip2) and pings c1" \
        bash -c "[[ '$ip2' == $PREFIX* ]] && podman exec c2 ping -c1 -W2 '$ip1b'"

    # ---- one-shot container
    local out
    out=$(podman run --rm --network $NET $IMG sh -c 'ip -4 -o addr show dev eth0; ip route' 2>&1)
    t "run --rm: eth0 in $SUBNET and default route" \
        bash -c "grep -q 'inet $PREFIX' <<<'$out' && grep -q 'default via $GW' <<<'$out'"
    t "run --rm: its IP released (2 left)" test "$(nips)" = 2

    # ---- a network made by podman itself (0.4.0, ipMasq, portmap, firewall, tuning)
    t "podman network create $NET2" \
        podman network create --subnet $SUBNET2 --gateway $GW2 $NET2
    local gen=$CONF/$NET2.conflist br2
    br2=$(jq -r '.plugins[0].bridge' "$gen" 2>/dev/null)
    t "generated conflist chains bridge + portmap + firewall + tuning" \
        jq -e '[.plugins[].type] == ["bridge", "portmap", "firewall", "tuning"] and .plugins[0].ipMasq == true' "$gen"
    note "podman generated cniVersion $(jq -r .cniVersion "$gen"); host-local dataDir default $(jq -r '.plugins[0].ipam.dataDir // "/var/lib/cni/networks"' "$gen")"
    t "run c4 on $NET2" podman run -d --name c4 --network $NET2 --cap-add NET_RAW $IMG sleep 600
    local ip4; ip4=$(ipof c4 $NET2)
    t "c4 got $ip4 from $SUBNET2" bash -c "[[ '$ip4' == $PREFIX2* && '$ip4' != '$GW2' ]]"
    t "c4 pings its gateway $GW2" podman exec c4 ping -c1 -W2 $GW2
    t "node: c4's veth is on podman's bridge $br2" test "$(nveth "$br2")" = 1
    t "bridge's ipMasq rule for $ip4 is in the node's nat table" \
        bash -c "iptables -t nat -S POSTROUTING | grep -q -- '-s $ip4'"
    t "rm c4 releases its IP and its masquerade rule" \
        bash -c "podman rm -f -t 0 c4 >/dev/null && ! test -e /var/lib/cni/networks/$NET2/$ip4 &&
                 ! iptables -t nat -S POSTROUTING | grep -q -- '-s $ip4'"
    t "podman network rm $NET2" podman network rm $NET2

    # ---- rm
    t "rm c1 (CNI DEL)" podman rm -f -t 0 c1
    t "c1's $ip1b released" bash -c "! test -e '$DATA/$NET/$ip1b'"
    tn "c1's cached result removed" cached "$id1"
    t "c2 still reachable from the node" ping -c1 -W2 "$ip2"
    t "rm c2" podman rm -f -t 0 c2
    t "no containers left" test -z "$(podman ps -aq)"
    t "no veths left on the node" eventually 5 bash -c "! ip -o link show type veth | grep -q ."
    t "no IP reservations left" test "$(nips)" = 0
    t "no cached results left" bash -c "! ls /var/lib/cni/results 2>/dev/null | grep -q ."
    t "no netns left in /run/netns" bash -c "! ls /run/netns | grep -q ."
    t "all plugin calls succeeded" trace_q 'all(.rc == 0)'
    note "$(trace_q -r 'group_by(.plugin + " " + .cmd) | map("\(.[0].plugin) \(.[0].cmd) x\(length)") | join(", ")')"
    note "written below /var/lib: $(overlay_writes /var/lib | grep -v '^containers/' | tr '\n' ' ')"
}

e2e_main "$@"
