#!/bin/bash
# e2e-all.sh DIR
#
# Runs the end-to-end scripts against the `bridge` and `host-local` executables in
# DIR, one after the other: e2e-cnitool.sh (libcni), e2e-podman.sh (podman 4.3, CNI
# backend) and e2e-containerd.sh (containerd 1.6: ctr and CRI). Each prints its own
# checks and its own "N passed, M failed"; a script that ends without that line
# counts as one failure. Prints one summary line per script with its time, then the
# sum as the last line "N passed, M failed"; exits non-zero when M > 0.
# E2E_ONLY="cnitool podman" runs a subset. Other E2E_* variables pass through.
set -u
HERE=$(dirname "$(realpath "$0")")
DIR=${1:?usage: $0 DIR   (DIR holds the bridge and host-local executables to test)}

pass=0 fail=0 summary=()
for name in ${E2E_ONLY:-cnitool podman containerd}; do
    echo "=== e2e-$name.sh $DIR"
    start=$(date +%s)
    log=$(mktemp)
    "$HERE/e2e-$name.sh" "$DIR" 2>&1 | tee "$log"
    secs=$(( $(date +%s) - start ))
    last=$(tail -n 1 "$log"); rm -f "$log"
    if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        pass=$((pass + BASH_REMATCH[1])); fail=$((fail + BASH_REMATCH[2]))
        summary+=("$(printf '%-11s %-28s %4ss' "$name" "$last" "$secs")")
    else
        fail=$((fail + 1))
        summary+=("$(printf '%-11s %-28s %4ss' "$name" "did not finish (1 failure)" "$secs")")
    fi
done
echo "=== summary"
printf '# %s\n' "${summary[@]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
