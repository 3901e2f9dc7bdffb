#!/usr/bin/env bash
# The project's test command: installs dependencies, builds, then runs
#   1. the unit and integration tests (swift test, inside a throwaway
#      network namespace so that root-only tests can create interfaces),
#      then the kernel-facing ones again on a second kernel, Debian 12's LTS
#      kernel under QEMU (scripts/test-in-kernel.sh; it has bridge VLAN
#      filtering, which the machine's kernel may lack),
#   2. the end-to-end runs through real clients (libcni's cnitool, podman,
#      containerd with its CRI),
#   3. the differential fuzzer against the reference (a bounded slice),
#   4. the simulated-cluster demo,
#   5. a release cut into a temporary directory and checked (scripts/test-release.sh),
# and ends with one line "N passed, M failed" summing up every suite.
# Run as root on Debian 12. Set SKIP_E2E=1 to skip step 2, SKIP_KERNEL=1 to
# skip the second kernel.
set -uo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

[ "$(id -u)" = 0 ] || { echo "test.sh: run as root (the tests create network namespaces)" >&2; exit 1; }
scripts/setup.sh || exit 1
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
bin="$(scripts/build.sh)" || { echo "test.sh: build failed" >&2; exit 1; }

passed=0
failed=0
log="$(mktemp -d)"
trap 'rm -rf "$log"' EXIT

# Adds up a suite's "N passed, M failed" line (or counts the suite itself
# as one check when it printed none).
tally() {
    local name="$1" status="$2" file="$3" line p f
    line="$(grep -aoE '[0-9]+ passed, [0-9]+ failed' "$file" | tail -1)"
    if [ -n "$line" ]; then
        p="${line%% passed*}"
        f="${line##*passed, }"; f="${f%% failed*}"
        passed=$((passed + p)); failed=$((failed + f))
        if [ "$status" != 0 ] && [ "$f" = 0 ]; then failed=$((failed + 1)); fi
    elif [ "$status" = 0 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
    echo "== $name: exit $status${line:+, $line}"
}

echo "== swift test (in a throwaway network namespace, against the release binaries)"
# The integration tests run the binaries we ship (the release build), not
# the debug build next to the test bundle: what is tested is what ships.
CNI_TEST_PLUGIN_DIR="$bin" scripts/test-in-netns.sh 2>&1 | tee "$log/swift-test.txt"
status=${PIPESTATUS[0]}
# Swift Testing and XCTest each print their own totals; turn them into one line.
st="$(grep -aE 'Test run with [0-9]+ tests?' "$log/swift-test.txt" | tail -1)"
xc="$(grep -aE 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log/swift-test.txt" | tail -1)"
st_total="$(sed -nE 's/.*Test run with ([0-9]+) tests?.*/\1/p' <<<"$st")"
st_failed="$(sed -nE 's/.*with ([0-9]+) issues?.*/\1/p' <<<"$st")"
if grep -q "failed after" <<<"$st"; then st_failed="${st_failed:-1}"; fi
xc_total="$(sed -nE 's/.*Executed ([0-9]+) tests?.*/\1/p' <<<"$xc")"
xc_failed="$(sed -nE 's/.*with ([0-9]+) failures?.*/\1/p' <<<"$xc")"
unit_failed=$(( ${st_failed:-0} > 0 ? 1 : 0 ))
unit_failed=$(( unit_failed + ${xc_failed:-0} ))
unit_passed=$(( ${st_total:-0} + ${xc_total:-0} - unit_failed ))
printf '%s passed, %s failed\n' "$unit_passed" "$unit_failed" > "$log/swift-summary.txt"
tally "swift test" "$status" "$log/swift-summary.txt"

if [ "${SKIP_KERNEL:-0}" != 1 ]; then
    echo "== swift test on the second kernel (Debian 12's LTS kernel under QEMU)"
    # The static release plugins: they start faster than the debug ones
    # under emulation (0.3 s against 0.5 s per call here).
    scripts/test-in-kernel.sh --skip-build --plugins "$bin" 2>&1 | tee "$log/second-kernel.txt"
    tally "second kernel" "${PIPESTATUS[0]}" "$log/second-kernel.txt"
fi

if [ "${SKIP_E2E:-0}" != 1 ]; then
    for suite in e2e-cnitool e2e-podman e2e-containerd; do
        echo "== $suite"
        timeout 1200 "scripts/$suite.sh" "$bin" 2>&1 | tee "$log/$suite.txt"
        tally "$suite" "${PIPESTATUS[0]}" "$log/$suite.txt"
    done
fi

# The differential fuzzer (scripts/fuzz.sh): its deliberate-differences table
# against the README, a fixed-seed slice, a slice with a fresh seed (printed, so
# that a finding can be replayed), then every regression case.
fresh_seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
echo "== fuzz: seeds 20261205 (fixed) and $fresh_seed (fresh)"
python3 scripts/fuzz/selftest.py > "$log/fuzz-selftest.txt" 2>&1
tally "fuzz: self-test" "$?" "$log/fuzz-selftest.txt"
python3 scripts/fuzz/check_readme.py > "$log/fuzz-readme.txt" 2>&1
tally "fuzz: deliberate.py vs README" "$?" "$log/fuzz-readme.txt"
for slice in "--cases 150 --seed 20261205" "--regressions"; do
    # shellcheck disable=SC2086 # the slice is a list of options
    timeout 600 scripts/fuzz.sh $slice --out "$log/fuzz-findings" "$bin" 2>&1 | tee "$log/fuzz.txt"
    tally "fuzz $slice" "${PIPESTATUS[0]}" "$log/fuzz.txt"
done
# The fresh seed explores: what it finds is printed with its seed and minimal
# case for a developer to triage, but does not fail the run, so that a landing
# is never refused for a difference nobody has looked at yet. The fixed seed
# and the regression cases above are what must stay green.
timeout 600 scripts/fuzz.sh --seconds 50 --seed "$fresh_seed" --out "$log/fuzz-findings" "$bin" 2>&1 | tee "$log/fuzz.txt"
if [ "${PIPESTATUS[0]}" != 0 ]; then
    echo "== fuzz --seed $fresh_seed: NEW FINDINGS above (not counted; replay with scripts/fuzz.sh --seed $fresh_seed)"
fi

echo "== demo: simulated cluster"
timeout 900 scripts/demo.sh "$bin" 2>&1 | tee "$log/demo.txt"
tally "demo" "${PIPESTATUS[0]}" "$log/demo.txt"

echo "== release: scripts/release.sh as a packager uses it"
timeout 900 scripts/test-release.sh 2>&1 | tee "$log/release.txt"
tally "release" "${PIPESTATUS[0]}" "$log/release.txt"

echo
echo "total: $passed passed, $failed failed"
[ "$failed" = 0 ]
