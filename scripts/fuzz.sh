#!/bin/sh
# Differential fuzzer (scripts/fuzz/fuzz.py) in a private network and mount namespace:
#   scripts/fuzz.sh [--cases N | --seconds S] [--seed X] [--replay CASE.json... | --regressions | --hunt KNOWN] [DIR]
exec unshare -n -m --propagation private sh -c 'mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns && mount -t sysfs sysfs /sys && ip link set lo up && FUZZ_IN_NETNS=1 exec python3 "$@"' fuzz "$(dirname "$0")/fuzz/fuzz.py" "$@"
