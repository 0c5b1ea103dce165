#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The README's first command, shortened: tools/demo.sh on the already-built
# tree for 2 s with a JSON report.  It must take the fast-path engine (both
# fast paths, authenticated mode), lose nothing on the memif link, say
# whether its processes share CPUs (issue 11: on fewer than 3 CPUs they do,
# and the demo must say so where the report ends), and leave no namespace or
# shared-memory region behind.
NAME=demo-smoke
TW_BUILD=${TW_BUILD:?} TW_SRC=${TW_SRC:?}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $*"; }
nok() { fail=$((fail + 1)); echo "FAIL - $*"; }
tmp=$(mktemp -d /tmp/twh-demo-smoke.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$TW_SRC" || exit 1
TW_BUILD=$TW_BUILD timeout 240 tools/demo.sh --json --seconds 2 --rate 20000 \
	>"$tmp/out.json" 2>"$tmp/err.log"
rc=$?
[ $rc = 0 ] && ok "demo exits 0" || { nok "demo exits 0 (got $rc)"; tail -20 "$tmp/err.log"; }
grep -q "engine: fastpath" "$tmp/err.log" && ok "demo uses the fast-path engine" ||
	{ nok "demo uses the fast-path engine"; grep engine "$tmp/err.log"; }
res=$(python3 - "$tmp/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["end"]["summary"]
print(d["start"]["session"]["mode"], s["sent"], s["received"], s["loss"]["round_trip"]["count"],
      d["end"]["run"]["cpu_shared"])
PY
)
read -r mode sent rcvd lost cpushared <<<"$res"
[ "$mode" = authenticated ] && ok "mode authenticated" || nok "mode authenticated (got '$mode')"
[ -n "$sent" ] && [ "$sent" -gt 0 ] && [ "$sent" = "$rcvd" ] && [ "$lost" = 0 ] &&
	ok "sent $sent = received $rcvd, lost 0" || nok "sent/received/lost: '$res'"
ncpu=$(python3 -c 'import os; print(len(os.sched_getaffinity(0)))')
if [ "$ncpu" -lt 3 ]; then
	grep -q "^  CPUs: cores shared -- $ncpu CPUs for 2 fast-path lcores\|^  CPUs: cores shared -- both fast paths" "$tmp/err.log" &&
		grep -q "^demo: cores shared -- on this $ncpu-CPU machine" "$tmp/err.log" &&
		ok "$ncpu CPUs: the demo says the cores are shared, in its header and after the report" ||
		{ nok "$ncpu CPUs: the demo says the cores are shared"; grep -i cpu "$tmp/err.log"; }
	# R's fast path alone on the last CPU, S's with the control plane
	rcpu=$(python3 -c 'import os; print(max(os.sched_getaffinity(0)))')
	grep -q "twinhop-fp (CPU $rcpu), TAP twh-r0" "$tmp/err.log" &&
		ok "R's fast path alone on CPU $rcpu" || nok "R's fast path alone on CPU $rcpu"
	# the measure report itself: the client shares S's lcore CPU
	[ "$cpushared" = True ] && ok "the JSON report says cpu_shared true" ||
		nok "the JSON report says cpu_shared true (got '$cpushared')"
else
	grep -q "no CPU shared" "$tmp/err.log" && ! grep -q "cores shared" "$tmp/err.log" &&
		ok "$ncpu CPUs: the demo says no CPU is shared" ||
		{ nok "$ncpu CPUs: the demo says no CPU is shared"; grep -i cpu "$tmp/err.log"; }
	[ "$cpushared" = False ] && ok "the JSON report says cpu_shared false" ||
		nok "the JSON report says cpu_shared false (got '$cpushared')"
fi
left=$(ip netns list | grep -c '^twh-demo-')
[ "$left" = 0 ] && ok "no demo namespace left" || nok "$left demo namespaces left"
ls /dev/shm | grep -q '^twh-demo-' && nok "demo shm region left" || ok "no demo shm region left"
echo "TWRESULT $NAME $pass $fail"
[ $fail = 0 ]
