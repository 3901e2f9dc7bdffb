#!/bin/sh
# Runs a command as root inside a throwaway node: private network and mount
# namespaces, a fresh tmpfs on /run/netns (so `ip netns add` pod namespaces
# vanish with the node), /sys remounted for the new network namespace, lo
# up, and CNI_TEST_IN_NETNS=1 with CNI_TEST_OUTER_NETNS naming the namespace
# left behind, which is what the tests' safety guards require. Nothing is
# created in the namespace it starts from.
#
# The one set-up both test runners share: scripts/test-in-netns.sh on the
# host, and scripts/test-in-kernel.sh inside the guest kernel (whose own root
# namespace would do as a node, but the guards rightly refuse PID 1's
# namespace wherever they run).
#
# Usage: scripts/lib/throwaway-node.sh COMMAND [ARG...]
set -eu
CNI_TEST_OUTER_NETNS=$(stat -L -c %i /proc/self/ns/net)
export CNI_TEST_OUTER_NETNS
exec unshare -n -m --propagation private sh -c '
    set -eu
    mkdir -p /run/netns
    mount -t tmpfs tmpfs /run/netns
    mount -t sysfs sysfs /sys
    ip link set lo up
    CNI_TEST_IN_NETNS=1 exec "$@"
' throwaway-node "$@"
