#!/usr/bin/env bash
# Runs the project's kernel-facing tests on the second kernel (Debian 12's
# LTS kernel under QEMU, see scripts/in-kernel.sh): the test bundle that
# `swift build --build-tests` made on the host, started in a throwaway node
# of the guest. Those tests create bridges, veths, VLANs, addresses and
# firewall rules, so what they prove on the host's kernel they prove here on
# a second one, with bridge VLAN filtering and 8021q.
#
# Ends with one line "N passed, M failed" (tests, as Swift Testing reports
# them); exits non-zero when a test failed or the guest did not finish.
#
# Usage: scripts/test-in-kernel.sh [--skip-build] [--plugins DIR] [--filter REGEX]...
#   --plugins: run the `bridge` and `host-local` in DIR (e.g. the static
#   release build of scripts/build.sh, which starts faster under emulation)
#   instead of the debug ones next to the test bundle.
#   Default: the suites that talk to the kernel, the bridge plugin's, the
#   netlink layer's and the firewall's (every bridge test runs host-local as
#   its IPAM), minus
#   the benchmarks and the differential tests against the reference, which
#   would double the time under emulation. host-local's own suites touch
#   only the file system and run on the host.
set -uo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"

build=1
plugins=()
filters=()
while [ $# -gt 0 ]; do
    case "$1" in
        --skip-build) build=0; shift ;;
        --filter) filters+=(--filter "$2"); shift 2 ;;
        --plugins) plugins=("CNI_TEST_PLUGIN_DIR=$(cd "$2" && pwd)"); shift 2 ;;
        *) echo "usage: $0 [--skip-build] [--plugins DIR] [--filter REGEX]..." >&2; exit 2 ;;
    esac
done
if [ ${#filters[@]} = 0 ]; then
    # Timing-based tests stay on the host: QEMU's emulated CPU has other timings.
    filters=(--filter 'BridgeTests' --filter 'NetlinkTests' --filter 'FirewallTests'
             --skip 'Benchmark' --skip 'DifferentialTests' --skip 'FirewallSocketReleaseTests')
fi
if [ "$build" = 1 ]; then
    swift build --build-tests >&2 || { echo "test-in-kernel.sh: build failed" >&2; exit 1; }
fi
bundle="$(swift build --show-bin-path)/swift-cni-pluginsPackageTests.xctest"
[ -x "$bundle" ] || { echo "test-in-kernel.sh: no test bundle at $bundle (swift build --build-tests)" >&2; exit 1; }

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
scripts/in-kernel.sh --timeout "${CNI_KERNEL_TEST_TIMEOUT:-1800}" -- \
    env "${plugins[@]}" scripts/lib/throwaway-node.sh "$bundle" --testing-library swift-testing "${filters[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Swift Testing prints one line per test: "✔ Test name passed …",
# "✘ Test name failed …" (suites and the run's total say "Suite" / "Test run").
plain="$(sed 's/\x1b\[[0-9;]*m//g' "$log")"
passed="$(grep -aE '^✔ Test .* passed after' <<<"$plain" | grep -avc '^✔ Test run with' || true)"
failed="$(grep -aE '^✘ Test .* failed after' <<<"$plain" | grep -avc '^✘ Test run with' || true)"
if ! grep -aqE 'Test run with [0-9]+ tests?' "$log"; then failed=$((failed + 1)); fi
echo "${passed} passed, ${failed} failed"
[ "$status" = 0 ] && [ "$failed" = 0 ]
