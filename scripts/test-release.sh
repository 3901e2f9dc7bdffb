#!/usr/bin/env bash
# Cuts a release into a temporary directory with scripts/release.sh and
# checks it as a packager would: the tarball's name and listing, its
# checksums, that the binaries are static and stripped and name the release
# in their about line, and that the working tree is left as it was. Ends with
# "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
export TZ=UTC0   # tar lists times in local time

CHECK_OK='ok   ' CHECK_FAIL='FAIL '
# shellcheck source=lib/common.sh
. scripts/lib/common.sh
check() {   # check "what" command... (its output shown as it runs)
    local what="$1"; shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
stamp=Sources/ReleaseVersion/ReleaseVersion.swift
cp "$stamp" "$out/stamp.before"

case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac

# 1. A release named by git describe.
version="$(git describe --tags --always --dirty)"
name="swift-cni-plugins-linux-$arch-$version"
tarball="$(scripts/release.sh --out "$out/dist" 2>"$out/release.log")" || { tail -20 "$out/release.log"; }
check "release.sh prints the tarball it made, named <name>-linux-<arch>-<version>.tgz" \
    test "$tarball" = "$out/dist/$name.tgz" -a -f "$out/dist/$name.tgz"
check "the tarball holds exactly bridge, host-local, LICENSE and README.md" \
    test "$(tar -tzf "$out/dist/$name.tgz" 2>/dev/null | sort | tr '\n' ' ')" = "./LICENSE ./README.md ./bridge ./host-local "
check "its entries belong to root, the binaries are 0755 and the documents 0644" \
    test "$(tar -tvzf "$out/dist/$name.tgz" 2>/dev/null | awk '{print $1, $2, $6}' | sort | tr '\n' ' ')" = \
         "-rw-r--r-- 0/0 ./LICENSE -rw-r--r-- 0/0 ./README.md -rwxr-xr-x 0/0 ./bridge -rwxr-xr-x 0/0 ./host-local "
check "every entry is dated with the commit's time (the same sources give the same tarball)" \
    test "$(tar --full-time -tvzf "$out/dist/$name.tgz" 2>/dev/null | awk '{print $4 " " $5}' | sort -u)" = \
         "$(TZ=UTC0 date -d "@$(git log -1 --format=%ct)" '+%Y-%m-%d %H:%M:%S')"
check "sha256sum -c accepts the .sha256 file beside it" \
    sh -c "cd '$out/dist' && sha256sum -c --strict '$name.tgz.sha256' >/dev/null 2>&1"
check "sha512sum -c accepts the .sha512 file beside it" \
    sh -c "cd '$out/dist' && sha512sum -c --strict '$name.tgz.sha512' >/dev/null 2>&1"
check "the checksum files name the tarball and nothing else" \
    test "$(awk '{print $2}' "$out/dist/$name.tgz.sha256" "$out/dist/$name.tgz.sha512" 2>/dev/null | tr '\n' ' ')" = "$name.tgz $name.tgz "

mkdir -p "$out/x"
tar -xzf "$out/dist/$name.tgz" -C "$out/x" 2>/dev/null
for plugin in bridge host-local; do
    check "$plugin is statically linked (no program interpreter)" \
        sh -c "LC_ALL=C readelf -lW '$out/x/$plugin' 2>&1 | grep -q 'There are' && ! LC_ALL=C readelf -lW '$out/x/$plugin' | grep -q 'program interpreter'"
    check "$plugin is stripped (no symbol table)" \
        sh -c "! LC_ALL=C readelf -SW '$out/x/$plugin' | grep -q '\.symtab'"
    check "$plugin names the release in its about line: CNI $plugin plugin (Swift) $version" \
        test "$(env -i "$out/x/$plugin" 2>&1 >/dev/null | head -n 1)" = "CNI $plugin plugin (Swift) $version"
done
check "LICENSE and README.md are the tree's" sh -c "cmp -s LICENSE '$out/x/LICENSE' && cmp -s README.md '$out/x/README.md'"
check "the version file is back as committed" cmp -s "$stamp" "$out/stamp.before"

again="$(scripts/release.sh --out "$out/again" 2>"$out/release.log")" || { tail -20 "$out/release.log"; }
check "cutting the same commit again gives the same tarball, byte for byte" \
    cmp -s "$out/dist/$name.tgz" "$out/again/$name.tgz"

# 2. A version given by hand, as from a source tarball without git history.
tarball="$(scripts/release.sh --version v9.8.7-test --out "$out/given" 2>"$out/release.log")" || { tail -20 "$out/release.log"; }
check "--version names the tarball" test "$tarball" = "$out/given/swift-cni-plugins-linux-$arch-v9.8.7-test.tgz"
tar -xzf "$tarball" -C "$out/x" ./bridge 2>/dev/null
check "--version is what the binaries print" \
    test "$(env -i "$out/x/bridge" 2>&1 >/dev/null | head -n 1)" = "CNI bridge plugin (Swift) v9.8.7-test"

# 3. A version that cannot be a file name or a Swift literal is refused before anything is built.
check "a version with a quote or a slash is refused" \
    sh -c "! scripts/release.sh --version 'v1\"/x' --out '$out/bad' >/dev/null 2>&1 && test ! -e '$out/bad'"
check "the version file is back as committed after every run" cmp -s "$stamp" "$out/stamp.before"

# 4. A plain build (what scripts/build.sh and the other tests use) is unversioned again.
bin="$(scripts/build.sh 2>/dev/null)"
check "after a release, a plain release build says version unknown again" \
    test "$(env -i "$bin/bridge" 2>&1 >/dev/null | head -n 1)" = "CNI bridge plugin (Swift) version unknown"

finish
