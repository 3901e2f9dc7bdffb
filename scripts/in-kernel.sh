#!/usr/bin/env bash
# Runs one command as root inside a second kernel: Debian 12's LTS kernel
# (scripts/kernel/prepare.sh fetches and caches it) booted under QEMU with
# TCG, its root being the host's `/` read-only with a tmpfs layer on top
# (scripts/kernel/init), and the current directory exported on its own at
# the same path (it may lie under /tmp, which the guest mounts afresh, or on
# another file system than /). The command starts in that directory, its
# output (stdout and stderr together) comes out on stdout, and its exit
# status is this script's. The guest has no network device (-nic none): it
# can only touch its own kernel. Status 125: the guest did not finish (boot
# failure or timeout; its console log is printed).
#
# Usage: scripts/in-kernel.sh [--timeout SECONDS] [--] COMMAND [ARG...]
#   e.g. scripts/in-kernel.sh ip -d link add br0 type bridge vlan_filtering 1
# Environment: CNI_KERNEL_CPUS (2), CNI_KERNEL_MEMORY (2048, MiB),
#              CNI_KERNEL_CACHE (/var/cache/swift-cni-kernel).
set -euo pipefail
scripts="$(cd "$(dirname "$0")" && pwd)"
limit=3600
while [ $# -gt 0 ]; do
    case "$1" in
        --timeout) limit="$2"; shift 2 ;;
        --) shift; break ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--timeout SECONDS] [--] COMMAND [ARG...]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "in-kernel.sh: run as root" >&2; exit 2; }

launched=$(date +%s%N)
kernel="$("$scripts/kernel/prepare.sh")"
prepared=$(date +%s%N)
run="$(mktemp -d /tmp/in-kernel.XXXXXX)"
trap 'rm -rf "$run"' EXIT
echo "$kernel" >"$run/kernel"
echo "$PWD" >"$run/workdir"
{
    printf 'export PATH=%q HOME=/root LANG=C.UTF-8\n' "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    printf 'cd %q || exit 126\n' "$PWD"
    printf 'exec'
    printf ' %q' "$@"
    printf '\n'
} >"$run/command"

status=0
timeout "$limit" qemu-system-x86_64 \
    -accel tcg -cpu max -smp "${CNI_KERNEL_CPUS:-2}" -m "${CNI_KERNEL_MEMORY:-2048}" \
    -nodefaults -no-user-config -display none -nic none -no-reboot \
    -kernel "$kernel/vmlinux" -initrd "$kernel/initramfs.gz" \
    -append "console=ttyS0 panic=-1 quiet mitigations=off" \
    -serial "file:$run/console.log" \
    -chardev stdio,id=output,signal=off -serial chardev:output \
    -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$run,mount_tag=result,security_model=none,multidevs=remap" \
    -virtfs "local,path=$PWD,mount_tag=work,security_model=none,readonly=on,multidevs=remap" \
    </dev/null || status=$?

if [ ! -f "$run/status" ]; then
    if [ "$status" = 124 ]; then
        echo "in-kernel.sh: no result after ${limit}s; console:" >&2
    else
        echo "in-kernel.sh: the guest stopped without a result (qemu exit $status); console:" >&2
    fi
    tail -n 40 "$run/console.log" >&2 || true
    exit 125
fi
ended=$(date +%s%N)
awk -v release="$(cat "$kernel/release")" -v prep="$(( (prepared - launched) / 1000000 ))" \
    -v total="$(( (ended - launched) / 1000000 ))" -v started="$(cat "$run/started")" -v ended="$(cat "$run/ended")" \
    'BEGIN { printf "in-kernel.sh: %s: command started %.1f s after boot (prepare %.1f s), ran %.1f s; %.1f s in all\n",
             release, started, prep / 1000, ended - started, total / 1000 }' >&2
exit "$(cat "$run/status")"
