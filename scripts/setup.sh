#!/usr/bin/env bash
# Installs what building and testing the plugins needs on Debian 12, as root.
# Idempotent: packages already present are not fetched again.
set -euo pipefail

packages=(
    libnl-3-dev libnl-route-3-dev       # netlink, linked statically into bridge
    containernetworking-plugins         # the reference plugins: test oracle, benchmark opponent
    iproute2 iptables nftables          # namespaces, masquerade backends
    iputils-ping python3 util-linux     # connectivity checks, unshare
    qemu-system-x86 busybox-static cpio kmod xz-utils  # the second kernel (scripts/in-kernel.sh)
)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
command -v swift >/dev/null || { echo "setup: no Swift toolchain found (expected /opt/swift)" >&2; exit 1; }
