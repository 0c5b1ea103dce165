#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# `twinhop measure` end to end against a Python TWAMP-Control server (mode 1),
# plus each refusal the server can make.
set -u
. "$(dirname "$0")/lib.sh"

start_fake srv server; port=$PORT
out=$TMP/m.json
if "$TWINHOP" measure 127.0.0.1:"$port" --count 50 --interval 0.005 --sessions 2 --json --quiet \
	>"$out" 2>"$TMP/m.err"; then ok "measure: exit 0"; else ko "measure: exit 0" "$TMP/m.err"; fi
# Two sessions: one schema document per session, one per line (JSON Lines).
jl() { python3 -c "import json,sys; d=[json.loads(l) for l in open(sys.argv[1])]; print($2)" "$1" 2>/dev/null; }
[ "$(jl "$out" "[x['start']['session']['mode'] for x in d]")" = "['open', 'open']" ] && ok "mode open" || ko "mode open" "$out"
[ "$(jl "$out" "[x['end']['summary']['received'] for x in d]")" = "[50, 50]" ] &&
	ok "2 sessions x 50 replies" || ko "2 sessions x 50 replies" "$out"
[ "$(jl "$out" "sum(x['end']['summary']['loss']['round_trip']['count'] for x in d)")" = 0 ] && ok "loss 0" || ko "loss 0" "$out"
# The fake server drops the connection unless Stop-Sessions counts both (section 2.11).
[ ! -s "$TMP/srv.port.err" ] && ok "Stop-Sessions count" || ko "Stop-Sessions count" "$TMP/srv.port.err"
"$TWINHOP" measure 127.0.0.1:"$port" --count 5 --interval 0.01 >"$TMP/t.txt" 2>"$TMP/t.err" &&
	grep -q "^rtt " "$TMP/t.txt" && grep -q "lost 0" "$TMP/t.txt" && ok "text output" ||
	ko "text output" "$TMP/t.txt"

check_fail() { # name expected-regex args...
	local name=$1 re=$2; shift 2
	"$TWINHOP" measure "$@" --count 3 --interval 0.01 --timeout 3 --quiet >/dev/null 2>"$TMP/f.err"
	local rc=$?
	if [ $rc = 1 ] && grep -Eq "$re" "$TMP/f.err"; then ok "$name"; else ko "$name (rc $rc)" "$TMP/f.err"; fi
}
check_fail "mode refused" "mode refused.*NO_COMMON_MODE" 127.0.0.1:"$port" --mode enc
start_fake rej3 server --accept-session 3; p=$PORT
check_fail "Accept-Session 3" "Accept=3.*SESSION_REJECTED" 127.0.0.1:"$p"
start_fake rej5 server --accept-session 5; p=$PORT
check_fail "Accept-Session 5" "Accept=5.*temporary.*SESSION_REJECTED" 127.0.0.1:"$p"
start_fake ss2 server --server-start 2; p=$PORT
check_fail "Server-Start 2" "Accept=2.*SERVER_START" 127.0.0.1:"$p"
start_fake sa server --start-ack 2; p=$PORT
check_fail "Start-Ack 2" "Start-Ack Accept=2.*START_REJECTED" 127.0.0.1:"$p"
start_fake cl server --close-after-setup; p=$PORT
check_fail "closed after Set-Up-Response" "instead of sending Server-Start.*CLOSED" 127.0.0.1:"$p"
# Wire reference 11.6: twampd leaves a malformed request unanswered; the
# control timeout must name what we were waiting for.
start_fake mutereq server --mute-request; p=$PORT
"$TWINHOP" measure 127.0.0.1:"$p" --count 3 --interval 0.01 --timeout 0.5 --quiet >/dev/null 2>"$TMP/f.err"
rc=$?
[ $rc = 1 ] && grep -Eiq "timed out waiting for .*accept" "$TMP/f.err" && ok "unanswered request: timeout names Accept-Session" ||
	ko "unanswered request: timeout names Accept-Session (rc $rc)" "$TMP/f.err"
check_fail "connection refused" "cannot connect.*refused" 127.0.0.1:9
# A listener that never speaks: the greeting deadline fires.
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(1); open(sys.argv[1]+".tmp","w").write(str(s.getsockname()[1])); import os; os.rename(sys.argv[1]+".tmp",sys.argv[1]); c=s.accept(); time.sleep(60)' "$TMP/mute.port" &
PIDS="$PIDS $!"
for _ in $(seq 100); do [ -s "$TMP/mute.port" ] && break; sleep 0.05; done
"$TWINHOP" measure 127.0.0.1:"$(cat "$TMP/mute.port")" --timeout 0.5 --quiet >/dev/null 2>"$TMP/f.err"
rc=$?
[ $rc = 1 ] && grep -q "timed out waiting for the Server Greeting" "$TMP/f.err" && ok "greeting timeout" ||
	ko "greeting timeout (rc $rc)" "$TMP/f.err"
"$TWINHOP" measure >/dev/null 2>&1; [ $? = 2 ] && ok "usage: exit 2" || ko "usage: exit 2"
finish client_measure_open
