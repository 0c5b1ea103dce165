#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# twinhop against twinhopd with a fake fast path (tools/twinhop-ipc create):
# TWAMP-Control in all four modes (the fake fast path reflects nothing, so a
# run ends with exit 3 "no reply" -- a control failure would be exit 1), and
# the appliance subcommands over the admin socket.  Skipped (exit 77) when
# twinhopd or twinhop-ipc were not built.
set -u
. "$(dirname "$0")/lib.sh"
CPORT=$((19000 + $$ % 500))
printf 'alice\t74657374736563726574\n' >"$TMP/pfs"
start_appliance client_twinhopd <<CONF
listen 127.0.0.1 $CPORT
modes open authenticated encrypted mixed
keyfile $TMP/pfs
pbkdf2-count 2048
allow 0.0.0.0/0
test-ports 21000-21100
fp-timeout 2000
CONF

for m in open auth enc mixed; do
	"$TWINHOP" measure 127.0.0.1:$CPORT --mode $m --keyid alice --keyfile "$TMP/pfs" --count 2 \
		--interval 0.01 --loss-timeout 0.2 --quiet >/dev/null 2>"$TMP/$m.err"
	rc=$?
	[ $rc = 3 ] && ok "control mode $m with twinhopd" || ko "control mode $m (rc $rc)" "$TMP/$m.err"
done
"$TWINHOP" measure 127.0.0.1:$CPORT --mode enc --keyid alice --secret wrong --quiet \
	>/dev/null 2>"$TMP/w.err"
rc=$?
[ $rc = 1 ] && grep -q AUTH_REJECTED "$TMP/w.err" && ok "wrong key refused" || ko "wrong key (rc $rc)" "$TMP/w.err"

"$TWINHOP" status --json >"$TMP/st" 2>&1 && grep -q '"attached":true' "$TMP/st" && ok "status" || ko "status" "$TMP/st"
"$TWINHOP" light add --proto stamp --port 18993 --addr 127.0.0.1 --json >"$TMP/la" 2>&1 && ok "light add" || ko "light add" "$TMP/la"
id=$(jget "$TMP/la" "d['session']")
"$TWINHOP" sessions >"$TMP/ss" 2>&1 && grep -Eq "^ *$id +light +stamp" "$TMP/ss" && ok "sessions lists it" ||
	ko "sessions lists it" "$TMP/ss"
"$TWINHOP" light del "$id" >/dev/null 2>&1 && ok "light del" || ko "light del"
"$TWINHOP" light del "$id" >/dev/null 2>"$TMP/ld"; rc=$?
[ $rc = 1 ] && grep -q not-found "$TMP/ld" && ok "light del again: not-found" || ko "light del again (rc $rc)" "$TMP/ld"
"$TWINHOP" sender add --proto light --peer 127.0.0.1 --peer-port 862 --local 127.0.0.1 \
	--local-port 40000 --count 3 --json >"$TMP/sa" 2>&1 && ok "sender add" || ko "sender add" "$TMP/sa"
sid=$(jget "$TMP/sa" "d['session']")
"$TWINHOP" sender start "$sid" >/dev/null 2>&1 && ok "sender start" || ko "sender start"
"$TWINHOP" sender stop "$sid" >/dev/null 2>&1 && ok "sender stop" || ko "sender stop"
"$TWINHOP" sender del "$sid" >/dev/null 2>&1 && ok "sender del" || ko "sender del"
"$TWINHOP" counters >"$TMP/c" 2>&1 && grep -q "CONN_ACCEPTED" "$TMP/c" && ok "counters" || ko "counters" "$TMP/c"
"$TWINHOP" light add --port 5 >/dev/null 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q "arg" "$TMP/e" && ok "admin error reported" || ko "admin error (rc $rc)" "$TMP/e"
# Mode 2 test packets from the fast path: sender-add "proto":"twamp" with the
# test keys.  A twinhopd that predates those fields answers "arg" and the CLI
# says so (exit 1); one that knows them starts the sender, the fake fast path
# reflects nothing (exit 3).
"$TWINHOP" measure 127.0.0.1:$CPORT --mode auth --keyid alice --keyfile "$TMP/pfs" --engine fastpath \
	--count 2 --interval 0.01 --loss-timeout 0.2 --quiet >/dev/null 2>"$TMP/fa"; rc=$?
if [ $rc = 3 ] || { [ $rc = 1 ] && grep -q "predates them" "$TMP/fa"; }; then
	ok "fastpath: auth test packets (rc $rc)"
else
	ko "fastpath auth (rc $rc)" "$TMP/fa"
fi
"$IPC" --shm "$SHM" unlink >/dev/null 2>&1
finish client_twinhopd
