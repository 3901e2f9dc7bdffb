#!/usr/bin/env bash
# Builds the two plugins as fully static release executables (no Swift
# runtime, no libnl or glibc needed on the node) into .build/release, and
# prints where they are.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"

swift build -c release -Xswiftc -static-executable --product host-local >&2
swift build -c release -Xswiftc -static-executable --product bridge >&2
bin="$(swift build -c release --show-bin-path)"
strip "$bin/host-local" "$bin/bridge"
echo "$bin"
