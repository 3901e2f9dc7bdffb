#!/bin/sh
# Runs a command inside a throwaway node of the guest kernel, as
# scripts/test-in-netns.sh does on the host: private network and mount
# namespaces, a fresh tmpfs on /run/netns, /sys for the new namespace, and
# CNI_TEST_IN_NETNS=1 with CNI_TEST_OUTER_NETNS naming the namespace left
# behind, which is what the tests' safety guards require. The guest's own
# root namespace would do as a node, but the guards (rightly) refuse PID 1's
# namespace wherever they run.
#
# Usage (inside the guest): scripts/kernel/throwaway-node.sh COMMAND [ARG...]
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
