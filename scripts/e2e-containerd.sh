#!/bin/bash
# e2e-containerd.sh DIR
#
# End-to-end test of the `bridge` and `host-local` executables in DIR driven by
# Debian's containerd 1.6, two ways:
#   1. `ctr run --cni` (go-cni; ctr reads /etc/cni/net.d and /opt/cni/bin, which are
#      copy-on-write inside the node, so they are set up there);
#   2. the CRI plugin, the path kubelet takes: RunPodSandbox with a locally built
#      pause image (containerd creates the netns and runs loopback and our network),
#      containers in the pod (ExecSync), StopPodSandbox and RemovePodSandbox, and
#      several pods created and removed in parallel. The CRI client is
#      scripts/e2e/cri/cri.py (python3-grpcio) over a subset of the CRI v1 proto,
#      compiled with protoc at run time into the work dir.
#
# Client habits it asserts from the plugin-call trace: ctr's DEL has an empty
# CNI_NETNS; CRI sends K8S_* CNI_ARGS with IgnoreUnknown=1; RemovePodSandbox's
# second DEL has an empty CNI_NETNS and no prevResult; CRI runs loopback and our
# network in parallel (reported). Neither ctr nor containerd 1.6 calls CHECK.
#
# containerd runs inside the node with its root in the work dir and its state and
# socket under the node's private /run. Images are OCI archives built here (no
# registry): busybox from busybox-static, and a pause image holding only Debian's
# static catatonit in pause mode (sleeps until SIGTERM/SIGINT), imported with ctr.
# runc's cgroups go below a directory named after the work dir, removed afterwards.
# Last line: "N passed, M failed".
set -u
HERE=$(dirname "$(realpath "$0")")
. "$HERE/e2e/lib.sh"

E2E_NAME=containerd
E2E_PACKAGES=(containerd runc catatonit containernetworking-plugins busybox-static
    python3 python3-grpcio python3-protobuf protobuf-compiler jq iproute2 iputils-ping util-linux)

NET=e2enet SUBNET=10.99.0.0/24 PREFIX=10.99.0. GW=10.99.0.1 BR=cni0
IMG=localhost/e2e-busybox:latest PAUSE=localhost/e2e-pause:latest
SOCK=/run/containerd/containerd.sock

# make_oci_archive ROOTFS OUT NAME ENTRYPOINT_JSON CMD_JSON : a one-layer OCI image archive.
make_oci_archive() {
    local rootfs=$1 out=$2 name=$3 entrypoint=$4 cmd=$5 d
    d=$(mktemp -d "$E2E_WORK/oci.XXXXXX"); mkdir -p "$d/blobs/sha256"
    blob() {  # FILE -> "sha256 size", moved into blobs/
        local sum size; sum=$(sha256sum "$1" | cut -d' ' -f1); size=$(stat -c %s "$1")
        mv "$1" "$d/blobs/sha256/$sum"; echo "$sum $size"
    }
    tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -cf "$d/layer" .
    local ldig lsize; read -r ldig lsize < <(blob "$d/layer")
    jq -nc --argjson ep "$entrypoint" --argjson cmd "$cmd" --arg diff "sha256:$ldig" \
        '{architecture: "amd64", os: "linux",
          config: {Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], Entrypoint: $ep, Cmd: $cmd, WorkingDir: "/"},
          rootfs: {type: "layers", diff_ids: [$diff]}}' | tr -d '\n' >"$d/config"
    local cdig csize; read -r cdig csize < <(blob "$d/config")
    jq -nc --arg c "sha256:$cdig" --argjson cs "$csize" --arg l "sha256:$ldig" --argjson ls "$lsize" \
        '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
          layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]}' |
        tr -d '\n' >"$d/manifest"
    local mdig msize; read -r mdig msize < <(blob "$d/manifest")
    jq -nc --arg m "sha256:$mdig" --argjson ms "$msize" --arg name "$name" \
        '{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: $m, size: $ms, platform: {architecture: "amd64", os: "linux"},
          annotations: {"io.containerd.image.name": $name, "org.opencontainers.image.ref.name": ($name | split(":") | last)}}]}' \
        >"$d/index.json"
    echo '{"imageLayoutVersion": "1.0.0"}' >"$d/oci-layout"
    tar -C "$d" -cf "$out" oci-layout index.json blobs && rm -rf "$d"
}

nveth()  { ip -o link show master $BR type veth 2>/dev/null | wc -l; }
nips()   { find "$DATA/$NET" -maxdepth 1 -name '*.*.*.*' 2>/dev/null | wc -l; }
inrange() { [[ $1 == $PREFIX* && $1 != "$GW" ]]; }
# Debian's python (python3-grpcio), whatever python3 comes first in PATH
cri() { /usr/bin/python3 "$HERE/e2e/cri/cri.py" "$SOCK" "$@"; }

start_containerd() {
    cat >"$E2E_WORK/containerd.toml" <<EOF
version = 2
root = "$E2E_WORK/containerd/root"
state = "/run/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$SOCK"
[plugins."io.containerd.internal.v1.opt"]
  path = "$E2E_WORK/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # without CAP_SYS_RESOURCE containerd may not lower oom_score_adj below its own
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$E2E_BIN"
    conf_dir = "$CONF"
    max_conf_num = 1
EOF
    containerd --config "$E2E_WORK/containerd.toml" >"$E2E_WORK/containerd.log" 2>&1 &
    CTD_PID=$!
    eventually 10 bash -c "[ -S '$SOCK' ] && ctr version"
}

e2e_node() {
    DATA=$E2E_WORK/ipam CONF=$E2E_WORK/net.d
    mkdir -p "$CONF" "$DATA"
    cat >"$CONF/10-$NET.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$NET",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BR",
      "isGateway": true,
      "ipMasq": false,
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
    # ctr's fixed CNI paths, replaced inside the node's copy-on-write /etc and /opt
    # (the host's, e.g. podman's 87-podman-bridge.conflist, stay untouched).
    rm -rf /etc/cni/net.d /opt/cni/bin
    mkdir -p /etc/cni /opt/cni
    ln -s "$CONF" /etc/cni/net.d
    ln -s "$E2E_BIN" /opt/cni/bin

    # ---- images and the CRI client's messages
    local rb=$E2E_WORK/rootfs-busybox rp=$E2E_WORK/rootfs-pause
    make_busybox_rootfs "$rb"
    mkdir -p "$rp"/{proc,sys,dev,etc}
    cp /usr/bin/catatonit "$rp/pause"
    make_oci_archive "$rb" "$E2E_WORK/busybox.tar" $IMG null '["sh"]'
    make_oci_archive "$rp" "$E2E_WORK/pause.tar" $PAUSE '["/pause", "-P"]' null
    export CRI_GEN_DIR=$E2E_WORK/cri-gen CRI_CGROUP_PARENT=$E2E_TAG HERE SOCK
    export -f cri
    mkdir -p "$CRI_GEN_DIR"
    t "protoc compiles the CRI v1 subset" \
        protoc -I "$HERE/e2e/cri" --python_out="$CRI_GEN_DIR" "$HERE/e2e/cri/cri_v1_subset.proto" || return

    CTD_PID=
    if start_containerd; then ok "containerd is up"; else bad "containerd is up" "$(tail -n 20 "$E2E_WORK/containerd.log")"; return; fi
    t "ctr images import busybox (namespace default)" ctr -n default images import "$E2E_WORK/busybox.tar"
    t "ctr images import pause and busybox (namespace k8s.io, for CRI)" \
        bash -c "ctr -n k8s.io images import '$E2E_WORK/pause.tar' && ctr -n k8s.io images import '$E2E_WORK/busybox.tar'"

    ctr_part
    cri_part

    t "all plugin calls succeeded" trace_q 'all(.rc == 0)'
    note "$(trace_q -r 'group_by(.plugin + " " + .cmd) | map("\(.[0].plugin) \(.[0].cmd) x\(length)") | join(", ")')"
    kill "$CTD_PID" 2>/dev/null; wait "$CTD_PID" 2>/dev/null
}

# ================================================================ ctr run --cni
ctr_part() {
    echo "# --- ctr run --cni"
    local mark; mark=$(now_ns)
    # Attached on purpose: ctr runs the CNI DEL only when the task exits while it waits.
    ctr run --cni --cgroup "$E2E_TAG/c1" --rm $IMG c1 sleep 600 >"$E2E_WORK/c1.log" 2>&1 &
    local p1=$!
    ctr run --cni --cgroup "$E2E_TAG/c2" --rm $IMG c2 sleep 600 >"$E2E_WORK/c2.log" 2>&1 &
    local p2=$!
    running() { ctr task ls 2>/dev/null | awk -v c="$1" '$1 == c && $3 == "RUNNING"' | grep -q .; }
    export -f running
    t "ctr run --cni: c1 and c2 running" eventually 30 bash -c "running c1 && running c2" ||
        { cat "$E2E_WORK/c1.log" "$E2E_WORK/c2.log"; }
    cip() { ctr task exec --exec-id "ip$RANDOM" "$1" ip -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}' | cut -d/ -f1; }
    local ip1 ip2; ip1=$(cip c1) ip2=$(cip c2)
    t "c1 eth0 has an address in $SUBNET ($ip1)" inrange "$ip1"
    t "c2 eth0 has another one ($ip2)" bash -c "[[ '$ip2' == $PREFIX* && '$ip2' != '$ip1' ]]"
    t "c1 default route via $GW" bash -c "ctr task exec --exec-id r1 c1 ip route | grep -q 'default via $GW dev eth0'"
    t "c1 pings the gateway" ctr task exec --exec-id p1 c1 ping -c1 -W2 $GW
    t "c1 pings c2" ctr task exec --exec-id p2 c1 ping -c1 -W2 "$ip2"
    t "node: two veths on $BR" test "$(nveth)" = 2
    t "runc put c1's cgroups below $E2E_TAG" bash -c "find /sys/fs/cgroup -maxdepth 6 -type d -path '*/$E2E_TAG/c1' | grep -q ."

    mark=$(now_ns)
    ctr task kill -s KILL c1 >/dev/null 2>&1; wait "$p1" 2>/dev/null
    t "c1 killed: its IP $ip1 released" bash -c "! test -e '$DATA/$NET/$ip1'"
    t "ctr's DEL came with an empty CNI_NETNS and succeeded" \
        trace_since "$mark" '[.[] | select(.plugin == "bridge" and .cmd == "DEL")] | length == 1 and .[0].netnsSet and .[0].netns == "" and .[0].rc == 0'
    t "c1's veth gone with its netns" eventually 5 bash -c "[ \$(ip -o link show master $BR type veth | wc -l) = 1 ]"
    t "c2 still answers the node" ping -c1 -W2 "$ip2"
    ctr task kill -s KILL c2 >/dev/null 2>&1; wait "$p2" 2>/dev/null
    t "c2 killed: no veths and no IPs left" eventually 5 bash -c "[ \$(ip -o link show master $BR type veth | wc -l) = 0 ] && [ \$(find '$DATA/$NET' -name '*.*.*.*' | wc -l) = 0 ]"
    t "ctr containers removed (--rm)" bash -c "! ctr containers ls -q | grep -q ."
}

# ================================================================ CRI
cri_part() {
    echo "# --- CRI (RunPodSandbox / StopPodSandbox / RemovePodSandbox)"
    t "CRI Version: runtime.v1" bash -c "cri version | jq -e '.runtime_api_version == \"v1\"'"
    t "CRI Status: RuntimeReady and NetworkReady (CNI config loaded)" \
        bash -c "cri status | jq -e '.conditions.RuntimeReady.status and .conditions.NetworkReady.status'"
    t "CRI ListImages: pause and busybox" \
        bash -c "cri images | jq -e '[.[].tags[]] | (index(\"$PAUSE\") != null) and (index(\"$IMG\") != null)'"

    local mark pa sa ipA nsA err=$E2E_WORK/stderr
    mark=$(now_ns)
    pa=$(cri runp podA 2>"$err") && ok "RunPodSandbox podA (CNI ADD of loopback and $NET)" ||
        { bad "RunPodSandbox podA" "$(cat "$err"; tail -n 5 "$E2E_WORK/containerd.log")"; return; }
    sa=$(cri inspectp "$pa"); ipA=$(jq -r .ip <<<"$sa"); nsA=$(jq -r .netns <<<"$sa")
    t "podA READY with $ipA from $SUBNET" bash -c "jq -e '.state == \"SANDBOX_READY\"' <<<'$sa' >/dev/null && [[ '$ipA' == $PREFIX* ]]"
    t "podA netns $nsA exists" test -e "$nsA"
    t "CNI result has eth0 with $ipA and lo" \
        jq -e ".cniResult.Interfaces.eth0.IPConfigs[0].IP == \"$ipA\" and .cniResult.Interfaces.lo != null" <<<"$sa"
    t "host-local reserved $ipA" test -f "$DATA/$NET/$ipA"
    t "CRI's ADD: CNI_ARGS IgnoreUnknown=1 + K8S_POD_NAMESPACE/NAME/INFRA_CONTAINER_ID, netns $nsA" \
        trace_since "$mark" "[.[] | select(.plugin == \"bridge\" and .cmd == \"ADD\")] | length == 1 and
            (.[0].args | split(\";\")) as \$a | (\$a | index(\"IgnoreUnknown=1\") != null) and
            (\$a | index(\"K8S_POD_NAMESPACE=e2e\") != null) and (\$a | index(\"K8S_POD_NAME=podA\") != null) and
            (\$a | index(\"K8S_POD_INFRA_CONTAINER_ID=$pa\") != null) and .[0].netns == \"$nsA\""
    note "CRI CNI_ARGS: $(trace_since "$mark" -r '[.[] | select(.plugin == "bridge" and .cmd == "ADD")][0].args')"
    note "loopback and $NET ADDs overlapped in time: $(trace_since "$mark" -r '
        ([.[] | select(.cmd == "ADD" and .plugin == "loopback")][0]) as $l |
        ([.[] | select(.cmd == "ADD" and .plugin == "bridge")][0]) as $b |
        if $l == null or $b == null then "n/a" elif ($l.start < $b.end and $b.start < $l.end) then "yes" else "no" end')"

    local ca cb cs pb ipB
    ca=$(cri create "$pa" podA main $IMG sleep 600 2>"$err") && cri start "$ca" 2>>"$err" &&
        ok "podA: app container running" || bad "podA: app container running" "$(cat "$err")"
    t "podA eth0 has $ipA/24 (ExecSync)" bash -c "cri exec '$ca' ip -4 -o addr show dev eth0 | grep -q 'inet $ipA/24'"
    t "podA default route via $GW" bash -c "cri exec '$ca' ip route | grep -q 'default via $GW dev eth0'"
    t "podA pings the gateway" cri exec "$ca" ping -c1 -W2 $GW

    pb=$(cri runp podB 2>"$err") && ok "RunPodSandbox podB" || bad "RunPodSandbox podB" "$(cat "$err")"
    ipB=$(cri inspectp "$pb" | jq -r .ip)
    cb=$(cri create "$pb" podB main $IMG sleep 600 2>"$err") && cri start "$cb" 2>>"$err" &&
        ok "podB: app container running" || bad "podB: app container running" "$(cat "$err")"
    t "podB got another address ($ipB)" bash -c "[[ '$ipB' == $PREFIX* && '$ipB' != '$ipA' ]]"
    t "podA pings podB" cri exec "$ca" ping -c2 -i0.2 -W2 "$ipB"
    t "podB pings podA" cri exec "$cb" ping -c1 -W2 "$ipA"
    t "node: two veths on $BR" test "$(nveth)" = 2

    cs=$(cri create "$pa" podA sidecar $IMG sh -c 'while :; do echo hello-from-sidecar | nc -l -p 7777; done' 2>"$err") &&
        cri start "$cs" 2>>"$err" && ok "podA: sidecar container running" || bad "podA: sidecar container running" "$(cat "$err")"
    t "podA's app container reaches the sidecar over 127.0.0.1" \
        eventually 10 bash -c "cri exec '$ca' nc -w 2 127.0.0.1 7777 </dev/null | grep -q hello-from-sidecar"

    mark=$(now_ns)
    t "StopPodSandbox podA (CNI DEL)" cri stopp "$pa"
    t "podA's veth gone (one left)" test "$(nveth)" = 1
    t "podA's $ipA released" bash -c "! test -e '$DATA/$NET/$ipA'"
    t "podA's netns removed" test ! -e "$nsA"
    t "StopPodSandbox's DEL had podA's netns and prevResult" \
        trace_since "$mark" "[.[] | select(.plugin == \"bridge\" and .cmd == \"DEL\")] | length == 1 and
            .[0].netns == \"$nsA\" and (.[0].stdin | fromjson | .prevResult.ips | length == 1)"
    t "StopPodSandbox podA again succeeds" cri stopp "$pa"
    mark=$(now_ns)
    t "RemovePodSandbox podA" cri rmp "$pa"
    t "RemovePodSandbox's DEL: empty CNI_NETNS, no prevResult, success" \
        trace_since "$mark" '[.[] | select(.plugin == "bridge" and .cmd == "DEL")] | length >= 1 and
            all(.netns == "" and (.stdin | fromjson | has("prevResult") | not) and .rc == 0)'
    t "podB still reachable from the node" ping -c1 -W2 "$ipB"
    t "StopPodSandbox + RemovePodSandbox podB" bash -c "cri stopp '$pb' && cri rmp '$pb'"

    # ---- several pods at once (kubelet starts pods concurrently)
    local ids n=4
    ids=$(cri runp-many $n par 2>"$err") && ok "$n RunPodSandbox calls in parallel" ||
        bad "$n RunPodSandbox calls in parallel" "$(cat "$err")"
    local id ips=()
    for id in $ids; do ips+=("$(cri inspectp "$id" | jq -r 'select(.state == "SANDBOX_READY") | .ip')"); done
    t "$n parallel pods READY with $n distinct addresses (${ips[*]})" \
        bash -c "[ \$(printf '%s\n' ${ips[*]} | grep -c '^$PREFIX') = $n ] && [ \$(printf '%s\n' ${ips[*]} | sort -u | wc -l) = $n ]"
    t "node: $n veths on $BR" test "$(nveth)" = $n
    # shellcheck disable=SC2086
    t "StopPodSandbox of the $n pods in parallel" cri stopp $ids
    # shellcheck disable=SC2086
    t "RemovePodSandbox of the $n pods in parallel" cri rmp $ids

    t "no sandboxes left" test "$(cri pods)" = '[]'
    t "no veths left on the node" eventually 5 bash -c "! ip -o link show type veth | grep -q ."
    t "no IP reservations left" test "$(nips)" = 0
    t "no netns left" bash -c "! ls /run/netns | grep -q ."
    t "no cached results left in /var/lib/cni" bash -c "! ls /var/lib/cni/results 2>/dev/null | grep -q ."
}

e2e_main "$@"
