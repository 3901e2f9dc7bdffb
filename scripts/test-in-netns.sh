#!/bin/sh
# Runs `swift test` inside a throwaway node (scripts/lib/throwaway-node.sh):
# a private network namespace and a private mount namespace, with a fresh
# tmpfs on /run/netns and /sys remounted for the new network namespace.
# Nothing is created in the machine's root namespace.
#
# Tests that need this set-up (root + CNI_TEST_IN_NETNS=1) skip otherwise.
#
# Usage: scripts/test-in-netns.sh [swift test arguments...]
#   e.g. scripts/test-in-netns.sh --scratch-path .build-nl --filter NetlinkTests
set -eu

if [ "$(id -u)" != 0 ]; then
    echo "test-in-netns.sh: needs root (unshare -n -m)" >&2
    exit 1
fi

cd "$(dirname "$0")/.."
exec scripts/lib/throwaway-node.sh swift test "$@"
