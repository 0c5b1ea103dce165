#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 8 §2-§4 against the real processes (topology of e2e-modes: twinhopd
# + twinhop-fp on af_packet in R, the client in C):
#   - hostile_client.py: a third-party Sender Address gets Accept=1; a
#     request shorter than base + Padding Length is not reflected and counts
#     DROP_SHORT_REQUEST; with Timeout 1 s a packet 50 ms before
#     Stop + Timeout is reflected, one 50 ms after is not (DROP_AFTER_STOP);
#     a stateful STAMP listener flooded by 200,000 spoofed senders keeps
#     answering a known and a new peer (§5, LRU eviction, no
#     DROP_SESSION_FULL);
#   - twinhop measure with zero addresses (-Z, as twping -Z) and with explicit
#     ones still measures;
#   - afterwards every flow, test port and deferred delete is released.
NAME=e2e-hostile
. "$(dirname "$0")/lib.sh"
setup_common
topo_afpacket 94

out=$(ip netns exec "$NSC" python3 "$(dirname "$0")/hostile_client.py" 10.94.0.1 10.94.0.2 \
	"$TMP/thd.sock" 2>&1)
echo "$out" | grep -v '^ok  \|^FAIL'
while read -r l; do
	case "$l" in
	"ok   - "*) ok "${l#ok   - }" ;;
	"FAIL - "*) nok "${l#FAIL - }" ;;
	esac
done <<<"$out"
expect "hostile client ran its checks" grep -q "hostile_client: " <<<"$out"
grep -q "^FAIL\|Traceback" <<<"$out" && "$TWINHOP" counters --fp --admin "$TMP/thd.sock" | head -40

for z in "" -Z; do
	t="measure${z:+-zero}"
	ip netns exec "$NSC" "$TWINHOP" measure 10.94.0.1 --mode open --count 20 --interval 0.01 \
		--loss-timeout 1 --json $z >"$TMP/$t.json" 2>"$TMP/$t.err"
	rc=$?
	if [ $rc = 0 ]; then ok "$t: exit 0"; else nokf "$t: exit 0 (got $rc)" "$TMP/$t.err"; fi
	check "$t: 20 sent, 20 received" "s['sent'] == 20 and s['received'] == 20" "$TMP/$t.json"
done

# Every session was stopped or closed: once its delete is done, nothing is
# held (flows, ports, deferred deletes); bounded wait, not a timing check.
st=
for _ in $(seq 100); do
	st=$("$TWINHOP" status --admin "$TMP/thd.sock" --json 2>&1)
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if (d["flows"], d["test_ports_used"], d["deletes_pending"]) == (0, 0, 0) else 1)' "$st" 2>/dev/null && break
	sleep 0.2
done
expect "no flow, test port or delete left over" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if (d["flows"], d["test_ports_used"], d["deletes_pending"]) == (0, 0, 0) else 1)' "$st"
"$TWINHOP" counters --admin "$TMP/thd.sock" --json >"$TMP/cnt.json" 2>&1
expect "every retired session accounted for (RETIRED = DELETED + UNKNOWN + GONE)" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["counters"]
sys.exit(0 if c["SESSIONS_RETIRED"] > 0 and c["SESSIONS_RETIRED"] == c["FP_DELETED"] + c["FP_DELETED_UNKNOWN"] + c["FP_DELETED_GONE"] else 1)' "$TMP/cnt.json"
finish
