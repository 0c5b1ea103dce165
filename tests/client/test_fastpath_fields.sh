#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The fastpath engine's sender-add for TWAMP-Control sessions, against a fake
# admin socket (fake_admin.py): "proto":"twamp" with "sec" and the SID; an
# older twinhopd's "error":"arg" makes an open session fall back to "light".
# (Modes 2/4 with the test keys run against the real twinhopd in
# test_twinhopd.sh.)
set -u
. "$(dirname "$0")/lib.sh"
start_fake srv server; port=$PORT
for kind in new old; do
	python3 "$TW_SRC/tests/client/fake_admin.py" $kind "$TMP/$kind.sock" "$TMP/$kind.log" &
	PIDS="$PIDS $!"
	for _ in $(seq 100); do [ -S "$TMP/$kind.sock" ] && break; sleep 0.05; done
	"$TWINHOP" measure 127.0.0.1:"$port" --engine fastpath --admin "$TMP/$kind.sock" --count 3 \
		--interval 0.01 --loss-timeout 0.2 --quiet >/dev/null 2>"$TMP/$kind.err"
	rc=$?
	[ $rc = 3 ] && ok "$kind daemon: run ends, no reply (exit 3)" || ko "$kind daemon (rc $rc)" "$TMP/$kind.err"
done
adds() { python3 -c "
import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r['cmd'] == 'sender-add':
        print(r['proto'], r.get('sec', '-'), len(r.get('sid', '')), 'aes_key' in r, 'hmac_key' in r)" "$1"; }
[ "$(adds "$TMP/new.log")" = "twamp open 32 False False" ] &&
	ok "sender-add proto twamp, sec open, 32-hex sid, no keys in mode 1" || ko "new daemon request" "$TMP/new.log"
[ "$(adds "$TMP/old.log" | tr '\n' ' ')" = "twamp open 32 False False light - 0 False False " ] &&
	ok "older daemon: arg error, retried as light" || ko "older daemon fallback" "$TMP/old.log"
grep -q "older daemon" "$TMP/old.err" && ok "older daemon: one warning" || ko "older daemon warning" "$TMP/old.err"
# Results that come before the sender-add reply naming their session (a
# worker's ring overtaking the ACK in split mode), or after the sender's
# summary (the summary's ring overtaking a worker's), still count.
for kind in early late; do
	python3 "$TW_SRC/tests/client/fake_admin.py" $kind "$TMP/$kind.sock" "$TMP/$kind.log" &
	PIDS="$PIDS $!"
	for _ in $(seq 100); do [ -S "$TMP/$kind.sock" ] && break; sleep 0.05; done
	"$TWINHOP" measure 127.0.0.1:"$port" --engine fastpath --admin "$TMP/$kind.sock" --count 3 \
		--interval 0.01 --loss-timeout 0.2 --json >"$TMP/$kind.json" 2>"$TMP/$kind.err"
	rc=$?
	[ $rc = 0 ] && [ "$(jget "$TMP/$kind.json" "str(d['end']['summary']['sent']) + '/' + str(d['end']['summary']['received'])")" = 3/3 ] &&
		ok "$kind results ($([ $kind = early ] && echo before the sender-add reply || echo after the summary)): 3 sent, 3 received (exit 0)" ||
		ko "$kind results (rc $rc)" "$TMP/$kind.err"
done
# `twinhop sender watch` reads on after the summary for the results it counts
"$TWINHOP" sender watch 1 --admin "$TMP/late.sock" >"$TMP/watch.out" 2>&1
rc=$?
[ $rc = 0 ] && [ "$(grep -c '^session 1 seq [0-2]: rtt ' "$TMP/watch.out")" = 3 ] && grep -q '^session 1 ended (count)' "$TMP/watch.out" &&
	ok "sender watch: the summary, then the 3 results after it" || ko "sender watch (rc $rc)" "$TMP/watch.out"
finish client_fastpath_fields
