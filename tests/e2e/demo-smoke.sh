#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The README's first command, shortened: tools/demo.sh on the already-built
# tree for 2 s with a JSON report.  It must take the fast-path engine (both
# fast paths, authenticated mode), lose nothing on the memif link, and leave
# no namespace or shared-memory region behind.
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
print(d["start"]["session"]["mode"], s["sent"], s["received"], s["loss"]["round_trip"]["count"])
PY
)
read -r mode sent rcvd lost <<<"$res"
[ "$mode" = authenticated ] && ok "mode authenticated" || nok "mode authenticated (got '$mode')"
[ -n "$sent" ] && [ "$sent" -gt 0 ] && [ "$sent" = "$rcvd" ] && [ "$lost" = 0 ] &&
	ok "sent $sent = received $rcvd, lost 0" || nok "sent/received/lost: '$res'"
left=$(ip netns list | grep -c '^twh-demo-')
[ "$left" = 0 ] && ok "no demo namespace left" || nok "$left demo namespaces left"
ls /dev/shm | grep -q '^twh-demo-' && nok "demo shm region left" || ok "no demo shm region left"
echo "TWRESULT $NAME $pass $fail"
[ $fail = 0 ]
