# SPDX-License-Identifier: BSD-3-Clause
# Shared helpers for the client test scripts (sourced).  Needs TW_BUILD, TW_SRC.
TWINHOP=${TW_BUILD:?}/control/cli/twinhop
FAKE=${TW_SRC:?}/tests/client/fake_twamp.py
TMP=$(mktemp -d /tmp/twinhop-test.XXXXXX)
PIDS=""
PASS=0
FAIL=0
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT
# start_fake NAME ARGS...: run fake_twamp.py; the port it bound goes to $PORT
start_fake() {
	local pf=$TMP/$1.port; shift
	python3 "$FAKE" "$@" "$pf" >/dev/null 2>"$pf.err" &
	PIDS="$PIDS $!"
	for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
	PORT=$(cat "$pf")
}
ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
ko() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; [ -n "${2:-}" ] && sed 's/^/       /' "$2" | head -20; return 0; }
# jget FILE EXPR: python expression over d = the parsed JSON document
jget() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null; }
finish() { echo "TWRESULT $1 $PASS $FAIL"; [ "$FAIL" = 0 ]; }
