#!/usr/bin/env bash
# Builds the two plugins as shipped into .build/release, and prints where
# they are. This is exactly `swift build -c release`: Package.swift makes
# release builds fully static (no Swift runtime, no libnl or glibc needed on
# the node) and stripped, so a packager who runs SwiftPM directly gets the
# same binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"

swift build -c release >&2
swift build -c release --show-bin-path
