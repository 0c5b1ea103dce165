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
#   - a Padding Length past the fast path's IP MTU is refused (Accept=3,
#     REQ_PADDING_MTU); fragmented datagrams count IP_FRAG and
#     DROP_EXC_TOO_LONG;
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

# The fast path reflects no IP fragment, so control refuses a Padding Length
# whose packets would exceed its IP MTU (1500 here: IPv4 open, 20 + 8 + 14 +
# 1459 = 1501), with Accept=3 and REQ_PADDING_MTU; the longest that fits
# measures.
ip netns exec "$NSC" "$TWINHOP" measure 10.94.0.1 --mode open --padding 1459 --count 5 \
	--interval 0.01 --loss-timeout 1 --json >"$TMP/pad-over.json" 2>"$TMP/pad-over.err"
rc=$?
expect "padding over the IP MTU: refused, exit non-zero (got $rc)" [ "$rc" != 0 ]
expect "padding over the IP MTU: Accept=3 reported" grep -q 'Accept=3' "$TMP/pad-over.err"
ip netns exec "$NSC" "$TWINHOP" measure 10.94.0.1 --mode open --padding 1458 --count 5 \
	--interval 0.01 --loss-timeout 1 --json >"$TMP/pad-max.json" 2>"$TMP/pad-max.err"
check "padding 1458 (a 1500-octet packet): 5 sent, 5 received" \
	"s['sent'] == 5 and s['received'] == 5" "$TMP/pad-max.json"
"$TWINHOP" status --admin "$TMP/thd.sock" --json >"$TMP/st-mtu.json" 2>&1
expect "status: the fast path's IP MTU is 1500" python3 -c '
import json, sys
sys.exit(0 if json.load(open(sys.argv[1]))["fp"].get("ip_mtu") == 1500 else 1)' "$TMP/st-mtu.json"
"$TWINHOP" counters --admin "$TMP/thd.sock" --json >"$TMP/cnt-mtu.json" 2>&1
expect "REQ_PADDING_MTU counted once" python3 -c '
import json, sys
sys.exit(0 if json.load(open(sys.argv[1]))["counters"]["REQ_PADDING_MTU"] == 1 else 1)' \
	"$TMP/cnt-mtu.json"
# Fragmented datagrams from C: net_af_packet hands them up reassembled, longer
# than the IP MTU.  They are never reflected (IP_FRAG), and not given to the
# kernel, whose interface could not take them (DROP_EXC_TOO_LONG).
fp_sum() { "$TWINHOP" counters --fp --json --admin "$TMP/thd.sock" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["total"][sys.argv[1]])' "$1"; }
frag0=$(fp_sum IP_FRAG) long0=$(fp_sum DROP_EXC_TOO_LONG)
ip netns exec "$NSC" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    s.sendto(b"x" * 1700, ("10.94.0.1", 20000))'
for _ in $(seq 50); do [ "$(fp_sum DROP_EXC_TOO_LONG)" -ge $((long0 + 3)) ] && break; sleep 0.1; done
frag=$(fp_sum IP_FRAG) long=$(fp_sum DROP_EXC_TOO_LONG)
expect "3 fragmented datagrams: IP_FRAG +3 (got +$((frag - frag0)))" [ $((frag - frag0)) = 3 ]
expect "3 fragmented datagrams: DROP_EXC_TOO_LONG +3 (got +$((long - long0)))" \
	[ $((long - long0)) = 3 ]

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
