#!/usr/bin/env bash
# install.sh - build the bridge and host-local plugins and install them on a node.
#
#   usage: scripts/install.sh [--prefix DIR] [--pod-cidr CIDR [--conf-dir DIR] [--name NAME]]
#                             [--force] [--from DIR] [--scratch-path DIR]
#
#   --prefix DIR        where the plugins go (default /opt/cni/bin, where kubelet/containerd look)
#   --pod-cidr CIDR     also write <conf-dir>/10-bridge.conflist for this node's pod CIDR
#                       (its slice of the cluster CIDR, e.g. 10.244.1.0/24), from conf/10-bridge.conflist
#   --conf-dir DIR      default /etc/cni/net.d
#   --name NAME         network name in that conflist (default k8s-pod-network)
#   --force             replace an existing, different 10-bridge.conflist
#   --from DIR          install binaries already built elsewhere instead of building
#   --scratch-path DIR  SwiftPM build directory (default <repo>/.build)
#
# Build: `swift build -c release` in the repository (Package.swift makes release builds fully
# static and stripped). The binaries are stripped again (harmless; binaries from --from may not
# be) and installed with mode 0755, each through a temporary file renamed into place, so a
# runtime that executes a plugin at that moment sees either the old or the new file.
# Exit status: 0 done; 2 usage; 3 build failed or sources missing; 4 conflist differs
# (without --force); 5 install failed.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=/opt/cni/bin CONF_DIR=/etc/cni/net.d NAME=k8s-pod-network POD_CIDR= FORCE=0 FROM= SCRATCH=
CONF_DIR_SET=0 NAME_SET=0
PRODUCTS=(host-local bridge)

say() { echo "install: $*"; }
die() { local rc=$1; shift; echo "install: $*" >&2; exit "$rc"; }
usage() { sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [[ $# -gt 0 ]]; do
    case $1 in
        --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
        --pod-cidr) POD_CIDR=${2:?--pod-cidr needs a CIDR}; shift 2 ;;
        --conf-dir) CONF_DIR=${2:?--conf-dir needs a directory}; CONF_DIR_SET=1; shift 2 ;;
        --name) NAME=${2:?--name needs a value}; NAME_SET=1; shift 2 ;;
        --force) FORCE=1; shift ;;
        --from) FROM=${2:?--from needs a directory}; shift 2 ;;
        --scratch-path) SCRATCH=${2:?--scratch-path needs a directory}; shift 2 ;;
        -h|--help) usage ;;
        *) echo "install: unknown argument $1" >&2; usage ;;
    esac
done
if [[ -z $POD_CIDR ]] && (( CONF_DIR_SET || NAME_SET )); then die 2 "--conf-dir and --name only go with --pod-cidr"; fi

# ---------------------------------------------------------------- 0. check the conflist request first
# An IPv4 CIDR whose address is the network address: the node's slice, e.g. 10.244.1.0/24.
valid_cidr4() {
    local ip=${1%/*} len=${1#*/} IFS=. o n=0 net
    [[ $1 == */* && $len =~ ^[0-9]+$ && $len -ge 8 && $len -le 30 && $ip =~ ^((0|[1-9][0-9]{0,2})\.){3}(0|[1-9][0-9]{0,2})$ ]] || return 1
    for o in $ip; do [[ $o -le 255 ]] || return 1; n=$(( (n << 8) | o )); done
    net=$(( n & ~((1 << (32 - len)) - 1) & 0xffffffff ))
    (( net == n )) || { echo "host bits set, the network is $(( net >> 24 )).$(( net >> 16 & 255 )).$(( net >> 8 & 255 )).$(( net & 255 ))/$len"; return 1; }
}
if [[ -n $POD_CIDR ]]; then
    why=$(valid_cidr4 "$POD_CIDR") || die 2 "--pod-cidr $POD_CIDR: not an IPv4 network between /8 and /30${why:+: $why}" \
        "(for dual stack start from conf/20-dual-stack.conflist)"
    [[ $NAME =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ ]] || die 2 "--name $NAME: must match ^[a-zA-Z0-9][a-zA-Z0-9_.-]*\$ (CNI network name rules)"
    TEMPLATE=$REPO/conf/10-bridge.conflist
    [[ -f $TEMPLATE ]] || die 2 "template $TEMPLATE is missing"
fi

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/cni-install.XXXXXX")
trap 'rm -rf -- "$STAGE"' EXIT

# ---------------------------------------------------------------- 1. build (or take prebuilt binaries)
if [[ -n $FROM ]]; then
    BIN=$(cd "$FROM" && pwd) || die 2 "--from $FROM: not a directory"
    say "taking prebuilt binaries from $BIN"
else
    command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
    command -v swift >/dev/null || die 3 "no Swift toolchain (swift not in PATH, nor /opt/swift/usr/bin)"
    for p in "${PRODUCTS[@]}"; do
        if [[ -z $(find "$REPO/Sources/$p" -name '*.swift' -print -quit 2>/dev/null) ]]; then
            die 3 "cannot build: Sources/$p has no Swift sources yet (product '$p' is not written)"
        fi
    done
    SW=(--package-path "$REPO" -c release)
    [[ -n $SCRATCH ]] && SW+=(--scratch-path "$SCRATCH")
    say "swift build -c release"
    if ! swift build "${SW[@]}" > "$STAGE/build.log" 2>&1; then
        tail -n 30 "$STAGE/build.log" >&2
        die 3 "building failed (last 30 lines above)"
    fi
    BIN=$(swift build "${SW[@]}" --show-bin-path) || die 3 "swift build --show-bin-path failed"
fi

# ---------------------------------------------------------------- 2. stage: copy, strip, sanity-check
for p in "${PRODUCTS[@]}"; do
    [[ -f $BIN/$p && -x $BIN/$p ]] || die 3 "$BIN/$p: missing or not executable"
    cp "$BIN/$p" "$STAGE/$p"
    if command -v strip >/dev/null; then
        strip --strip-all "$STAGE/$p" 2>/dev/null || say "warning: strip failed for $p; installing it unstripped"
    else
        say "warning: strip not found (binutils); installing unstripped binaries"
    fi
    # the plugin must at least answer VERSION
    out=$(CNI_COMMAND=VERSION "$STAGE/$p" </dev/null 2>&1) && [[ $out == *supportedVersions* ]] ||
        die 3 "$p does not answer CNI_COMMAND=VERSION: $out"
done

# ---------------------------------------------------------------- 3. install, atomically per file
mkdir -p "$PREFIX" || die 5 "cannot create $PREFIX"
for p in "${PRODUCTS[@]}"; do
    install -m 0755 "$STAGE/$p" "$PREFIX/.$p.new" && mv -f "$PREFIX/.$p.new" "$PREFIX/$p" ||
        { rm -f "$PREFIX/.$p.new"; die 5 "installing $PREFIX/$p failed"; }
    say "installed $PREFIX/$p ($(stat -c %s "$PREFIX/$p") bytes, mode $(stat -c %a "$PREFIX/$p"))"
done

# ---------------------------------------------------------------- 4. the node's conflist
if [[ -n $POD_CIDR ]]; then
    sed -e "s|\"subnet\": \"10.244.1.0/24\"|\"subnet\": \"$POD_CIDR\"|" \
        -e "s|\"name\": \"k8s-pod-network\"|\"name\": \"$NAME\"|" "$TEMPLATE" > "$STAGE/10-bridge.conflist"
    grep -q "\"subnet\": \"$POD_CIDR\"" "$STAGE/10-bridge.conflist" && grep -q "\"name\": \"$NAME\"" "$STAGE/10-bridge.conflist" ||
        die 2 "template $TEMPLATE no longer has the expected subnet/name lines"
    DEST=$CONF_DIR/10-bridge.conflist
    if [[ -e $DEST ]] && cmp -s "$STAGE/10-bridge.conflist" "$DEST"; then
        say "$DEST already up to date"
    elif [[ -e $DEST && $FORCE != 1 ]]; then
        diff -u "$DEST" "$STAGE/10-bridge.conflist" >&2 || true
        die 4 "$DEST exists and differs (above); re-run with --force to replace it"
    else
        mkdir -p "$CONF_DIR" || die 5 "cannot create $CONF_DIR"
        install -m 0644 "$STAGE/10-bridge.conflist" "$CONF_DIR/.10-bridge.conflist.new" &&
            mv -f "$CONF_DIR/.10-bridge.conflist.new" "$DEST" || die 5 "writing $DEST failed"
        say "wrote $DEST (network $NAME, pod CIDR $POD_CIDR)"
    fi
fi
say "done"
