#!/usr/bin/env bash
# Cuts a release: builds the two plugins as shipped (`swift build -c release`:
# fully static, stripped) with the release's version in their about line, and
# packs them the way the reference packs its releases:
#
#   <out>/swift-cni-plugins-linux-<arch>-<version>.tgz          ./bridge ./host-local ./LICENSE ./README.md
#   <out>/swift-cni-plugins-linux-<arch>-<version>.tgz.sha256   `sha256sum -c` checks it
#   <out>/swift-cni-plugins-linux-<arch>-<version>.tgz.sha512   `sha512sum -c` checks it
#
# <version> is `git describe --tags --always --dirty`, or the --version given
# (for a source tree without its git history, e.g. a packager's tarball).
# <arch> is Go's name for the machine (amd64, arm64, ...), as in the
# reference's tarballs. While the build runs,
# Sources/ReleaseVersion/ReleaseVersion.swift carries the version; the file is
# put back as it was when the build ends and again when the script exits,
# however it exits.
#
# usage: scripts/release.sh [--version V] [--out DIR]     (default DIR: dist)
# Prints the tarball's path.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

version="" out="dist"
while [ $# -gt 0 ]; do
    case "$1" in
        --version) version="${2:?--version needs a value}"; shift 2 ;;
        --out) out="${2:?--out needs a directory}"; shift 2 ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
        *) echo "release.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
die() { echo "release.sh: $*" >&2; exit 1; }

# 1. The version. It becomes a Swift string literal and part of a file name.
if [ -z "$version" ]; then
    version="$(git -C "$repo" describe --tags --always --dirty 2>/dev/null)" ||
        die "not a git checkout: give the version with --version"
fi
[[ $version =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] || die "version '$version': only letters, digits and . _ + - allowed"

# 2. The architecture, named as Go names it.
case "$(uname -m)" in
    x86_64) arch=amd64 ;;
    aarch64) arch=arm64 ;;
    armv7l) arch=arm ;;
    *) arch="$(uname -m)" ;;
esac
name="swift-cni-plugins-linux-$arch-$version"

# 3. Stamp the version into the build, for the build only.
stamp=Sources/ReleaseVersion/ReleaseVersion.swift
work="$(mktemp -d)"
cp -p "$stamp" "$work/ReleaseVersion.swift.committed"
restore() { cmp -s "$work/ReleaseVersion.swift.committed" "$stamp" || cp -p "$work/ReleaseVersion.swift.committed" "$stamp"; }
trap 'restore; rm -rf "$work"' EXIT
unstamped='public let releaseVersion: String? = nil'
grep -qxF "$unstamped" "$stamp" || die "$stamp: no line '$unstamped' to stamp"
sed -i "s/^public let releaseVersion: String? = nil\$/public let releaseVersion: String? = \"$version\"/" "$stamp"

# 4. Build, exactly as scripts/build.sh (and a packager's `swift build -c release`) does.
bin="$(scripts/build.sh)" || die "build failed"
restore

# 5. What ships must be what we meant to ship: static, stripped, this version.
for plugin in bridge host-local; do
    file="$bin/$plugin"
    if LC_ALL=C readelf -lW "$file" | grep -q 'program interpreter'; then
        die "$file is dynamically linked: Package.swift's release linker settings did not apply"
    fi
    if LC_ALL=C readelf -SW "$file" | grep -q '\.symtab'; then die "$file is not stripped"; fi
    about="$(env -i "$file" 2>&1 >/dev/null | head -n 1)"
    [ "$about" = "CNI $plugin plugin (Swift) $version" ] || die "$file says '$about', not version $version"
done

# 6. Pack: the reference's layout, owned by root, every file dated
#    $SOURCE_DATE_EPOCH or else the commit's time, so that cutting the same
#    commit again in the same checkout gives the same tarball, byte for byte.
mkdir -p "$work/pack" "$out"
install -m 0755 "$bin/bridge" "$bin/host-local" "$work/pack/"
install -m 0644 LICENSE README.md "$work/pack/"
date="${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}"
tarball="$out/$name.tgz"
tar -C "$work/pack" --owner=0 --group=0 --numeric-owner --mtime="@$date" -cf - \
    ./bridge ./host-local ./LICENSE ./README.md | gzip -n -9 > "$tarball.tmp"
mv -f "$tarball.tmp" "$tarball"

# 7. Checksums beside it, in the format sha256sum -c / sha512sum -c read.
(cd "$out" && sha256sum "$name.tgz" > "$name.tgz.sha256" && sha512sum "$name.tgz" > "$name.tgz.sha512")
echo "$tarball"
