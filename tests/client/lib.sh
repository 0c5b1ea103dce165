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
# need_appliance NAME: twinhopd and tools/twinhop-ipc from the build (THD,
# IPC), or the test is skipped (exit 77, "TWRESULT NAME 0 0").
need_appliance() {
	THD=$TW_BUILD/control/daemon/twinhopd
	IPC=$TW_BUILD/tools/twinhop-ipc
	if [ ! -x "$THD" ] || [ ! -x "$IPC" ]; then
		echo "twinhopd or twinhop-ipc not built: skipped"
		echo "TWRESULT $1 0 0"
		exit 77
	fi
}
# start_appliance NAME: twinhopd against a fake fast path (twinhop-ipc
# create, region $SHM), its admin socket exported as TWINHOP_ADMIN.  The
# configuration is the lines on stdin plus the region, the admin socket and
# "seccomp no" (sanitizer builds).  The test fails and ends when twinhopd
# does not come up.  IPC_CREATE_EXTRA: more `twinhop-ipc create` options.
start_appliance() {
	need_appliance "$1"
	SHM=/tw$1-$$
	{
		cat
		printf 'fp-region %s\nadmin-socket %s\nseccomp no\n' "$SHM" "$TMP/thd.sock"
	} >"$TMP/thd.conf"
	"$IPC" --shm "$SHM" create ${IPC_CREATE_EXTRA:-} >"$TMP/ipc.log" 2>&1 &
	PIDS="$PIDS $!"
	for _ in $(seq 100); do [ -e "/dev/shm$SHM" ] && break; sleep 0.05; done
	"$THD" -f "$TMP/thd.conf" >"$TMP/thd.log" 2>&1 &
	PIDS="$PIDS $!"
	for _ in $(seq 100); do [ -S "$TMP/thd.sock" ] && break; sleep 0.05; done
	if [ ! -S "$TMP/thd.sock" ]; then
		ko "twinhopd started" "$TMP/thd.log"
		finish "$1"
		exit 1
	fi
	export TWINHOP_ADMIN=$TMP/thd.sock
}
