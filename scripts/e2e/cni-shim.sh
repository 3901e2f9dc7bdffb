#!/bin/bash
# cni-shim.sh: stands in for a CNI plugin in the e2e CNI bin dir.
#
# The bin dir entry NAME is a symlink to this file; BIN/.real/NAME is a symlink to
# the real plugin. The shim runs the real plugin with the same environment and
# stdin, passes its stdout, stderr and exit status through unchanged, and records
# the call as one JSON file in BIN/../trace (one file per call, so calls that run
# in parallel never interleave):
#   {plugin, cmd, containerID, netns, netnsSet, ifname, args, path,
#    stdin, stdout (strings), rc, start, end (ns since the epoch)}
bin=$(cd -P "$(dirname "$0")" && pwd) name=$(basename "$0")   # -P: the bin dir may be reached via a symlink
real=$bin/.real/$name trace=$bin/../trace
start=$(date +%s%N)
in=$(cat)
out=$(printf '%s' "$in" | "$real"); rc=$?
end=$(date +%s%N)
jq -nc --arg plugin "$name" --arg cmd "${CNI_COMMAND-}" --arg containerID "${CNI_CONTAINERID-}" \
    --arg netns "${CNI_NETNS-}" --arg netnsSet "${CNI_NETNS+set}" --arg ifname "${CNI_IFNAME-}" \
    --arg args "${CNI_ARGS-}" --arg path "${CNI_PATH-}" --arg stdin "$in" --arg stdout "$out" \
    --argjson rc "$rc" --argjson t0 "$start" --argjson t1 "$end" \
    '{"plugin": $plugin, "cmd": $cmd, "containerID": $containerID, "netns": $netns,
      "netnsSet": ($netnsSet == "set"), "ifname": $ifname, "args": $args, "path": $path,
      "stdin": $stdin, "stdout": $stdout, "rc": $rc, "start": $t0, "end": $t1}' \
    >"$trace/$start-$$.json" 2>>"$trace/shim-errors.log"
printf '%s' "$out"
exit "$rc"
