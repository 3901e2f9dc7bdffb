#!/usr/bin/env bash
# Prepares the second kernel, Debian 12's current LTS kernel, for
# scripts/in-kernel.sh and prints the directory that holds it:
#   vmlinux         the decompressed kernel (QEMU boots it through PVH)
#   initramfs.gz    busybox, the guest init, the modules that mount 9p
#                   (a link to initramfs-<hash of the init>.gz)
#   tree/           the package's files; tree/lib/modules/<release> with
#                   modules.dep, which the guest uses for every other module
#   release         the kernel release, e.g. 6.1.0-57-amd64
# The package is the one that the `linux-image-amd64` meta-package depends
# on today, so the set-up follows Debian's LTS kernel as it moves on. A
# second call finds the cache (keyed by package name and version; the
# initramfs also by the init script's content) and returns at once. Run as root.
#
# Usage: scripts/kernel/prepare.sh      (cache: $CNI_KERNEL_CACHE or
#                                        /var/cache/swift-cni-kernel)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${CNI_KERNEL_CACHE:-/var/cache/swift-cni-kernel}"

# 1. Tools: QEMU (TCG), a static busybox for the initramfs, cpio, depmod.
tools=(qemu-system-x86 busybox-static cpio kmod xz-utils)
missing=()
for package in "${tools[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "prepare: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. The kernel package, named through the meta-package (never a glob). The
#    answer is remembered until apt's package lists change.
mkdir -p "$cache"
resolved="$cache/resolved"
if [ -s "$resolved" ] && [ "$resolved" -nt /var/lib/apt/lists ]; then
    read -r package version <"$resolved"
else
    depends() {
        apt-cache depends linux-image-amd64 2>/dev/null |
            awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }' || true
    }
    package="$(depends)"
    if [ -z "$package" ]; then apt-get update -qq >&2; package="$(depends)"; fi
    [ -n "$package" ] || { echo "prepare: linux-image-amd64 depends on no linux-image package" >&2; exit 1; }
    version="$(apt-cache show "$package" | awk '$1 == "Version:" { print $2; exit }')"
    echo "$package $version" >"$resolved.$$" && mv "$resolved.$$" "$resolved"
fi
initsum="$(cat "$here/init" "$0" | sha256sum | cut -c1-12)"
dir="$cache/${package}_$version"

exec 9>"$cache/.lock"
flock 9
if [ -f "$dir/ready" ] && [ -f "$dir/initramfs-$initsum.gz" ]; then echo "$dir"; exit 0; fi

work="$(mktemp -d "$cache/.work.XXXXXX")"
trap 'rm -rf "$work"' EXIT
if [ -f "$dir/ready" ]; then
    release="$(cat "$dir/release")"
else
    echo "prepare: setting up $package $version in $dir" >&2
    rm -rf "$dir"

    # 3. Download and unpack; build modules.dep for the unpacked tree.
    (cd "$work" && apt-get download "$package=$version" >/dev/null 2>&1) ||
        { echo "prepare: apt-get download $package=$version failed" >&2; exit 1; }
    dpkg-deb -x "$work"/*.deb "$work/tree"
    rm -f "$work"/*.deb
    release="$(ls "$work/tree/lib/modules")"
    depmod -b "$work/tree" "$release"

    # 4. Decompress the kernel once: the XZ payload of the bzImage costs
    #    ~5 s per boot under TCG. QEMU boots the ELF vmlinux through its
    #    PVH note.
    image="$work/tree/boot/vmlinuz-$release"
    offset="$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$image" | head -1 | cut -d: -f1 || true)"
    [ -n "$offset" ] || { echo "prepare: no XZ payload in $image" >&2; exit 1; }
    tail -c +"$((offset + 1))" "$image" | xz -dc >"$work/vmlinux" 2>/dev/null || true
    head -c 4 "$work/vmlinux" | grep -q 'ELF' ||
        { echo "prepare: $image did not decompress to an ELF" >&2; exit 1; }

    echo "$release" >"$work/release"
    touch "$work/ready"
    mv "$work" "$dir"
    work="$(mktemp -d "$cache/.work.XXXXXX")"
    # Older kernels are superseded: keep only this one.
    find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$(basename "$dir")" ! -name '.work.*' -exec rm -rf {} +
fi

# 5. The initramfs: busybox, the init, and the modules that mount the host's
#    files (virtio PCI, 9p, overlay); everything else loads from tree/.
root="$work/initramfs"
mkdir -p "$root"/{bin,dev,proc,sys,lower,rw,newroot,result} "$root/lib/modules/$release"
cp /bin/busybox "$root/bin/busybox"
cp "$here/init" "$root/init"
chmod 755 "$root/init"
for module in virtio_pci 9pnet_virtio 9p overlay; do
    modprobe -d "$dir/tree" -S "$release" --show-depends "$module" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r file; do
    cp "$file" "$root/lib/modules/$release/"
    basename "$file" >>"$root/lib/modules/$release/load-order"
done
echo "$release" >"$root/release"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"
rm -f "$dir"/initramfs-*.gz
mv "$work/initramfs.gz" "$dir/initramfs-$initsum.gz"
ln -sfn "initramfs-$initsum.gz" "$dir/initramfs.gz"
echo "$dir"
