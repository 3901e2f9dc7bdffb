#!/bin/sh
# Runs `swift test` inside a throwaway node: a private network namespace and
# a private mount namespace, with a fresh tmpfs on /run/netns (so `ip netns
# add` pod namespaces vanish with the node) and /sys remounted for the new
# network namespace. Nothing is created in the machine's root namespace.
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

# The tests refuse to run when their namespace is still this one.
CNI_TEST_OUTER_NETNS=$(stat -L -c %i /proc/self/ns/net)
export CNI_TEST_OUTER_NETNS

exec unshare -n -m --propagation private sh -c '
    set -eu
    mkdir -p /run/netns
    mount -t tmpfs tmpfs /run/netns
    mount -t sysfs sysfs /sys
    ip link set lo up
    CNI_TEST_IN_NETNS=1 exec swift test "$@"
' test-in-netns "$@"
