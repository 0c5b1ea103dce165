#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# RFC 9533 LAG micro-sessions with the fast path at BOTH ends, each end a
# LAG of two member links, joined by two memif pairs:
#
#   S: twinhop-fp --member-link-id 1,2          R: twinhop-fp --member-link-id 7,8
#      split mode: a control lcore (senders)       combined mode: one lcore
#      and a worker, both on CPU 1
#     port 0 (link 1, profile's memif) ========= port 0 (link 7)   10.95.0.1
#     port 1 (link 2, EAL --vdev memif) ======== port 1 (link 8)
#
# `twinhop measure --engine fastpath --micro-sessions` asks S's twinhopd to
# send from S's fast path, each micro-session out of the port whose member
# link is its Sender ID (S's control lcore hands each port's packets to the
# worker through that port's ring); R answers on the port a request came in on, with
# that port's member link.
#
#  * open, authenticated, encrypted (IPv4) and open, authenticated (IPv6),
#    `--micro-sessions 1:7,2:8,1:8` in one Request-TW-Micro-Sessions: 1:7
#    and 2:8 get every reply, each reported apart under its name SID/S:R;
#    1:8 (sent on link 1, which ends at R's link 7) gets none, and R's fast
#    path counts exactly its packets in DROP_MICRO_LINK; 1:0,2:0 (R's IDs
#    not known) get every reply.  Each end reads the IDs the other wrote,
#    so the IDs are on the wire where lib/tw_pkt.h says (RFC 9533 Figures 2-5)
#    both ways, and 2:8 answered at all shows the ports: link 2 reaches
#    only R's link 8;
#  * text and OpenMetrics name them SID/1:7 and SID/2:8, as the socket
#    engine does;
#  * a Sender ID that is none of S's member links (3:7) is refused before
#    any packet, naming them;
#  * a foreign reflector in R (a kernel socket behind R's exception path)
#    answers 30 requests of a micro-session 1:7 (admin sender-add), a third
#    each with the right IDs, a wrong Reflector ID (9) and an unknown Sender
#    ID (5): S's fast path takes 10 replies and counts exactly 10 in
#    DROP_MICRO_REFLECTOR_ID and 10 in DROP_MICRO_SENDER_ID;
#  * RFC 9534, STAMP: `twinhop light-send --stamp --micro-sessions
#    1:7,2:8,1:8` from S's fast path to STAMP listeners on R's, open and
#    authenticated: 1:7 and 2:8 get every reply, 1:8 none (R counts it in
#    DROP_MICRO_LINK), 1:0,2:0 every reply; the IDs travel in the
#    Micro-session ID TLV, written by each side; the socket engine (the
#    kernel sends out of link 1) gets 1:7's replies and none of 2:8's;
#  * the port blocks (IPC version 13, `twinhop counters --fp`): in the open
#    IPv4 run S's link 2 sent exactly 2:8's packets and received their
#    replies, R's link 8 the same the other way, S's link 1 the rest;
#  * show-status lists both member links; afterwards S's session table is
#    empty (SESS_ADDED == SESS_DELETED: the LAG's group slot went with its
#    last micro-session).
NAME=e2e-fastpath-micro
. "$(dirname "$0")/lib.sh"
setup_common
COUNT=${COUNT:-50}
# the second member link of each end: an EAL --vdev memif pair of its own
M2="socket=$TMP/memif2.sock,socket-abstract=no,rsize=11"
FP_S_LCORES="--lcores 0@1,1@1" \
	FP_S_EXTRA="--member-link-id 1,2" FP_R_EXTRA="--member-link-id 7,8" \
	FP_S_EAL="--vdev net_memif1,role=client,id=0,$M2" \
	FP_R_EAL="--vdev net_memif1,role=server,id=0,$M2" memif_pair 95 m

expect "S runs in split mode (a control lcore and a worker)" grep -q 'split mode: lcore' "$TMP/fp-s.log"

thd_conf "$TMP/thd-r.conf" "$SHMR" "$TMP/thd-r.sock" 10.95.0.1 fd00:95::1
ip netns exec "$NSR" "$THD" -f "$TMP/thd-r.conf" >"$TMP/thd-r.log" 2>&1 &
PIDS+=($!)
thd_conf "$TMP/thd-s.conf" "$SHMS_" "$TMP/thd-s.sock" 127.0.0.1
ip netns exec "$NSS" "$THD" -f "$TMP/thd-s.conf" >"$TMP/thd-s.log" 2>&1 &
PIDS+=($!)
expect "twinhopd R listening on 10.95.0.1:862" wait_listen "$NSR" 862
for s in r s; do
	expect "twinhopd $s attached to its fast path" attached "$TMP/thd-$s.sock"
done
expect "ping 10.95.0.1 from S (both exception paths, ARP over memif)" \
	sh -c "ip netns exec $NSS ping -c 2 -i 0.2 -W 2 -q 10.95.0.1 >/dev/null"
for side in s:1,2 r:7,8; do
	"$TWINHOP" admin --admin "$TMP/thd-${side%%:*}.sock" '{"cmd":"show-status"}' >"$TMP/st-${side%%:*}.json" 2>&1
	expect "show-status ${side%%:*}: member links ${side#*:} (one per port, HELLO_REPLY)" \
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d.get("result", d); sys.exit(0 if r["fp"]["member_links"] == [int(x) for x in sys.argv[2].split(",")] else 1)' \
		"$TMP/st-${side%%:*}.json" "${side#*:}"
done

fpc() { # SIDE COUNTER: that fast path's total
	"$TWINHOP" counters --fp --json --admin "$TMP/thd-$1.sock" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["total"].get(sys.argv[1], 0))' "$2"
}

pst() { # SIDE: that fast path's port statistics, "link:rx_pkts:tx_pkts" per port
	"$TWINHOP" counters --fp --json --admin "$TMP/thd-$1.sock" 2>/dev/null |
		python3 -c 'import json,sys; print(" ".join("%d:%d:%d" % (p["member_link"], p["rx_pkts"], p["tx_pkts"]) for p in json.load(sys.stdin).get("ports", [])))'
}

# pdelta BEFORE AFTER PORT FIELD(1 rx, 2 tx): how much one port's figure grew
pdelta() {
	local b a
	b=$(echo "$1" | tr ' ' '\n' | sed -n "$(($3 + 1))p" | cut -d: -f"$(($4 + 1))")
	a=$(echo "$2" | tr ' ' '\n' | sed -n "$(($3 + 1))p" | cut -d: -f"$(($4 + 1))")
	echo $((${a:-0} - ${b:-0}))
}

drops() { # evidence for a failure: both fast paths' non-zero drop, late and duplicate counters
	for x in s r; do
		echo "       $x: $("$TWINHOP" counters --fp --json --admin "$TMP/thd-$x.sock" 2>/dev/null |
			python3 -c 'import json,sys; t=json.load(sys.stdin)["total"]; print({k: v for k, v in t.items() if (k.startswith("DROP") or k in ("LATE_REPLIES", "DUP_REPLIES")) and v})')"
	done
}

# runs_ok NAME PY FILE WANT...: ok when the Python check PY passes on the
# run's documents, else nok with both fast paths' drop counters
runs_ok() {
	local name=$1 py=$2
	shift 2
	if python3 -c "$py" "$@"; then
		ok "$name"
	else
		nok "$name"
		drops
	fi
}

# measure TAG MODE ADDR MICRO: JSON Lines to $TMP/TAG.json, exit code in RC
measure() {
	ip netns exec "$NSS" "$TWINHOP" measure "$3" --engine fastpath --admin "$TMP/thd-s.sock" \
		--mode "$2" --keyid alice --keyfile "$TMP/pfs" --count "$COUNT" --rate 500 \
		--loss-timeout 1 --micro-sessions "$4" --json >"$TMP/$1.json" 2>"$TMP/$1.err"
	RC=$?
}

# The documents (JSON Lines, session order): name S:R, sent, received
# must be exactly argv[2:] triples "S:R/sent/received".
MICRO_PY='
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
got = [(d["start"]["session"]["name"], d["end"]["summary"]["sent"], d["end"]["summary"]["received"]) for d in docs]
sids = {g[0].split("/")[0] for g in got}
want = [tuple(w.split("/")) for w in sys.argv[2:]]
ok = (len(sids) == 1 and len(next(iter(sids))) == 32
      and [(g[0].split("/")[1], str(g[1]), str(g[2])) for g in got] == want)
if not ok:
    print(got)
sys.exit(0 if ok else 1)
'

for spec in open:10.95.0.1 auth:10.95.0.1 enc:10.95.0.1 open:fd00:95::1 auth:fd00:95::1; do
	m=${spec%%:*}
	A=${spec#*:}
	case $A in *:*) t=$m-v6 ;; *) t=$m-v4 ;; esac
	before=$(fpc r DROP_MICRO_LINK)
	ps0=$(pst s) pr0=$(pst r)
	measure "$t" "$m" "$A" 1:7,2:8,1:8
	after=$(fpc r DROP_MICRO_LINK)
	sleep 0.3 # the port blocks are refreshed every 100 ms
	ps1=$(pst s) pr1=$(pst r)
	[ $RC = 0 ] && ok "$t: exit 0" || nokf "$t: exit 0 (got $RC)" "$TMP/$t.err"
	runs_ok "$t: one SID; 1:7 and 2:8 every reply, 1:8 none ($COUNT sent each)" "$MICRO_PY" "$TMP/$t.json" "1:7/$COUNT/$COUNT" "2:8/$COUNT/$COUNT" "1:8/$COUNT/0"
	expect "$t: R's fast path dropped exactly 1:8's $COUNT packets (DROP_MICRO_LINK $before -> $after)" \
		[ $((after - before)) = "$COUNT" ]
	expect "$t: three micro-sessions of one session on the fastpath engine" \
		grep -q "3 micro-sessions of one session started (RFC 9533, engine fastpath)" "$TMP/$t.err"
	if [ "$t" = open-v4 ]; then
		# The port blocks (IPC version 13): link 2 -> 8 carried exactly
		# 2:8's packets each way, nothing else; link 1 the rest.
		expect "port blocks: S is links 1,2 and R links 7,8 ($ps1 / $pr1)" \
			sh -c "echo '$ps1' | grep -Eq '^1:[0-9]+:[0-9]+ 2:[0-9]+:[0-9]+\$' && echo '$pr1' | grep -Eq '^7:[0-9]+:[0-9]+ 8:[0-9]+:[0-9]+\$'"
		expect "port blocks: S's link 2 sent 2:8's $COUNT and received its $COUNT replies" \
			[ "$(pdelta "$ps0" "$ps1" 1 2)/$(pdelta "$ps0" "$ps1" 1 1)" = "$COUNT/$COUNT" ]
		expect "port blocks: R's link 8 received $COUNT and sent $COUNT" \
			[ "$(pdelta "$pr0" "$pr1" 1 1)/$(pdelta "$pr0" "$pr1" 1 2)" = "$COUNT/$COUNT" ]
		expect "port blocks: S's link 1 sent 1:7's and 1:8's $((2 * COUNT)) at least" \
			[ "$(pdelta "$ps0" "$ps1" 0 2)" -ge $((2 * COUNT)) ]
		"$TWINHOP" counters --fp --admin "$TMP/thd-r.sock" >"$TMP/counters-r.txt" 2>&1
		expect "twinhop counters --fp: a port table with R's link 8 up" \
			grep -Eq '^ *1 +8 +up ' "$TMP/counters-r.txt"
	fi
done
measure open-v4-x0 open 10.95.0.1 1:0,2:0
runs_ok "open-v4 1:0,2:0 (R's IDs not known): every reply on both links" "$MICRO_PY" "$TMP/open-v4-x0.json" "1:0/$COUNT/$COUNT" "2:0/$COUNT/$COUNT"
expect "S's fast path: no micro-session reply discarded in the runs above" \
	[ "$(fpc s DROP_MICRO_SENDER_ID) $(fpc s DROP_MICRO_REFLECTOR_ID)" = "0 0" ]

# Text and OpenMetrics name the micro-session as the socket engine does.
ip netns exec "$NSS" "$TWINHOP" measure 10.95.0.1 --engine fastpath --admin "$TMP/thd-s.sock" \
	--mode open --count 10 --rate 500 --loss-timeout 1 --micro-sessions 1:7,2:8 \
	--openmetrics "$TMP/om.txt" >"$TMP/text.out" 2>"$TMP/text.err"
expect "text: a report for s1 and one for s2, each naming its micro-session" \
	sh -c "grep -Eq '^s1: .*[0-9a-f]{32}/1:7' '$TMP/text.out' && grep -Eq '^s2: .*[0-9a-f]{32}/2:8' '$TMP/text.out'"
expect "OpenMetrics: sent 10 and received 10 for session .../1:7 and .../2:8" python3 - "$TMP/om.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
v = {(m.group(1), m.group(2)): int(m.group(3)) for m in re.finditer(
    r'^twinhop_packets_(sent|received)_total\{[^}]*session="[0-9a-f]{32}/(\d+:\d+)"[^}]*\} (\d+)$', t, re.M)}
ok = v == {("sent", "1:7"): 10, ("received", "1:7"): 10, ("sent", "2:8"): 10, ("received", "2:8"): 10} and t.rstrip().endswith("# EOF")
if not ok:
    print(v)
sys.exit(0 if ok else 1)
PY

# A Sender ID that is none of S's member links: refused, naming them.
measure bad-sid open 10.95.0.1 3:7
expect "3:7: refused (exit $RC), naming the member links 1,2" \
	sh -c "[ $RC != 0 ] && grep -q \"micro-session 3:7: the Sender Micro-session ID must be the member link the packets leave on, one of the local fast path's 1,2\" '$TMP/bad-sid.err'"

# --- RFC 9534: STAMP micro-sessions ------------------------------------------
# R: STAMP listeners on its fast path (member links 7,8), open and
# authenticated; S: `light-send --stamp --micro-sessions` from S's fast path,
# each micro-session out of the port of its Sender ID, the IDs in a
# Micro-session ID TLV.  R answers 1:7 and 2:8 with its link, drops 1:8
# (sent on link 1, which ends at R's link 7) and counts it.
SKEY=00112233445566778899aabbccddeeff
expect "light add: STAMP listener on R port 8620 (open)" \
	"$TWINHOP" light add --proto stamp --port 8620 --admin "$TMP/thd-r.sock"
expect "light add: STAMP listener on R port 8621 (authenticated)" \
	"$TWINHOP" light add --proto stamp --port 8621 --sec auth --key "$SKEY" --admin "$TMP/thd-r.sock"
# lsend TAG PORT MICRO [ARGS...]: JSON Lines to $TMP/TAG.json, exit code in RC
lsend() {
	local tag=$1 port=$2 micro=$3
	shift 3
	ip netns exec "$NSS" "$TWINHOP" light-send "10.95.0.1:$port" --stamp --engine fastpath --local 10.95.0.2 \
		--admin "$TMP/thd-s.sock" --count "$COUNT" --rate 500 --loss-timeout 1 \
		--micro-sessions "$micro" "$@" --csv "$TMP/$tag.csv" --json >"$TMP/$tag.json" 2>"$TMP/$tag.err"
	RC=$?
}
# own_count TAG N...: the CSVs of micro-sessions N (TAG.csv.N): $COUNT
# packets each, every one answered, and R's stateful listener numbered each
# micro-session from 0 on its own (RFC 9534 §3: they share one 5-tuple), so
# every reply's reflector seq is its sender seq
own_count() {
	local tag=$1
	shift
	python3 - "$TMP/$tag.csv" "$COUNT" "$@" <<'PY'
import csv, sys
bad = []
for n in sys.argv[3:]:
    rows = list(csv.DictReader(open("%s.%s" % (sys.argv[1], n))))
    got = sorted((int(r["sender_seq"]), r["reflector_seq"]) for r in rows)
    if len(got) != int(sys.argv[2]) or any(str(s) != r for s, r in got):
        bad.append((n, len(got), [g for g in got if str(g[0]) != g[1]][:4]))
if bad:
    print("       ", bad)
sys.exit(1 if bad else 0)
PY
}
# The documents must be exactly argv[2:] triples "S:R/sent/received".
STAMP_PY='
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
got = ["%s/%s/%s" % (d["start"]["session"]["name"], d["end"]["summary"]["sent"], d["end"]["summary"]["received"]) for d in docs]
if got != sys.argv[2:]:
    print(got)
sys.exit(0 if got == sys.argv[2:] else 1)
'
for v in open:8620 auth:8621; do
	m=${v%%:*}
	t=stamp-$m
	before=$(fpc r DROP_MICRO_LINK)
	if [ $m = auth ]; then
		lsend $t ${v#*:} 1:7,2:8,1:8 --stamp-key "$SKEY" --tlv hmac
	else
		lsend $t ${v#*:} 1:7,2:8,1:8
	fi
	after=$(fpc r DROP_MICRO_LINK)
	[ $RC = 0 ] && ok "$t: exit 0" || nokf "$t: exit 0 (got $RC)" "$TMP/$t.err"
	runs_ok "$t: STAMP 1:7 and 2:8 every reply, 1:8 none ($COUNT sent each)" "$STAMP_PY" "$TMP/$t.json" "1:7/$COUNT/$COUNT" "2:8/$COUNT/$COUNT" "1:8/$COUNT/0"
	expect "$t: R's fast path dropped exactly 1:8's $COUNT packets (DROP_MICRO_LINK $before -> $after)" \
		[ $((after - before)) = "$COUNT" ]
	expect "$t: three micro-sessions on one 5-tuple (RFC 9534, engine fastpath)" \
		grep -q "3 micro-sessions on one 5-tuple (RFC 9534, engine fastpath)" "$TMP/$t.err"
	expect "$t: R's stateful listener numbered 1:7 and 2:8 each from 0 (reflector seq = sender seq)" \
		own_count $t 1 2
done
lsend stamp-x0 8620 1:0,2:0
runs_ok "STAMP 1:0,2:0 (R's IDs not known): every reply on both links" "$STAMP_PY" "$TMP/stamp-x0.json" "1:0/$COUNT/$COUNT" "2:0/$COUNT/$COUNT"
# The socket engine writes and reads the same TLV, but the kernel picks the
# link: S's kernel sends through S's exception path, out of port 0 (link
# 1), so 2:8 arrives on R's link 7 and is dropped there.
before=$(fpc r DROP_MICRO_LINK)
ip netns exec "$NSS" "$TWINHOP" light-send 10.95.0.1:8620 --stamp --count "$COUNT" --rate 500 \
	--loss-timeout 1 --micro-sessions 1:7,2:8 --json >"$TMP/stamp-sock.json" 2>"$TMP/stamp-sock.err"
RC=$?
after=$(fpc r DROP_MICRO_LINK)
[ $RC = 0 ] && ok "stamp-sock: exit 0" || nokf "stamp-sock: exit 0 (got $RC)" "$TMP/stamp-sock.err"
runs_ok "socket engine, STAMP 1:7,2:8 from the kernel (link 1): 1:7 every reply, 2:8 none" "$STAMP_PY" "$TMP/stamp-sock.json" "1:7/$COUNT/$COUNT" "2:8/$COUNT/0"
expect "stamp-sock: R dropped 2:8's $COUNT packets, meant for its link 8 ($before -> $after)" \
	[ $((after - before)) = "$COUNT" ]
expect "S's fast path: no STAMP micro-session reply discarded" \
	[ "$(fpc s DROP_MICRO_SENDER_ID) $(fpc s DROP_MICRO_REFLECTOR_ID)" = "0 0" ]
ip netns exec "$NSS" "$TWINHOP" light-send 10.95.0.1:8620 --engine fastpath --admin "$TMP/thd-s.sock" \
	--count 1 --micro-sessions 1:7 >"$TMP/light-micro.out" 2>&1
LRC=$?
expect "light-send --micro-sessions without --stamp: refused (exit $LRC), naming RFC 9534" \
	sh -c "[ $LRC = 2 ] && grep -q 'needs --stamp (RFC 9534)' '$TMP/light-micro.out'"

# --- a foreign reflector that writes wrong IDs --------------------------------
# A UDP socket in R, behind R's exception path (no fast-path session owns
# the port): request n (by its Sequence Number) is answered with Sender /
# Reflector Micro-session IDs (1, 7), (1, 9) or (5, 7) in turn, at 38 and
# 42 of the open reply (RFC 9533 Figure 4: Sender TTL at 40, MBZ at 41).
cat >"$TMP/badrefl.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.95.0.1", 0))
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
rseq = 0
while True:
    b, a = s.recvfrom(2048)
    if len(b) < 20:
        continue
    seq = struct.unpack(">I", b[0:4])[0]
    sid, rid = [(struct.unpack(">H", b[16:18])[0], 7), (struct.unpack(">H", b[16:18])[0], 9), (5, 7)][seq % 3]
    ts = b[4:12]
    r = (struct.pack(">I", rseq) + ts + b"\x00\x01" + b"\0\0" + ts + b[0:4] + ts + b[12:14] +
         struct.pack(">H", sid) + bytes([255]) + b"\0" + struct.pack(">H", rid))
    s.sendto(r.ljust(len(b), b"\0"), a)
    rseq += 1
PY
ip netns exec "$NSR" python3 "$TMP/badrefl.py" "$TMP/badrefl.port" >"$TMP/badrefl.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$TMP/badrefl.port" ] && break; sleep 0.05; done
expect "foreign micro-session reflector listening in R" test -s "$TMP/badrefl.port"
BP=$(cat "$TMP/badrefl.port")
rep0=$(fpc s REPLIES)
sid0=$(fpc s DROP_MICRO_SENDER_ID)
rid0=$(fpc s DROP_MICRO_REFLECTOR_ID)
"$TWINHOP" admin --admin "$TMP/thd-s.sock" "{\"cmd\":\"sender-add\",\"proto\":\"twamp\",\"sec\":\"open\",\"local\":\"10.95.0.2\",\"local_port\":47123,\"peer\":\"10.95.0.1\",\"peer_port\":$BP,\"padding\":34,\"interval_us\":10000,\"count\":30,\"loss_timeout_ms\":500,\"micro_sid\":1,\"micro_rid\":7,\"start\":true}" \
	>"$TMP/badadd.json" 2>&1
expect "admin sender-add with micro_sid 1, micro_rid 7: accepted" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d.get("ok", "error" not in d) and "error" not in d else 1)' "$TMP/badadd.json"
for _ in $(seq 60); do
	[ $(($(fpc s REPLIES) - rep0)) -ge 10 ] &&
		[ $(($(fpc s DROP_MICRO_SENDER_ID) - sid0)) -ge 10 ] &&
		[ $(($(fpc s DROP_MICRO_REFLECTOR_ID) - rid0)) -ge 10 ] && break
	sleep 0.1
done
sleep 0.6 # anything beyond 10 each would show now
rep=$(($(fpc s REPLIES) - rep0))
dsid=$(($(fpc s DROP_MICRO_SENDER_ID) - sid0))
drid=$(($(fpc s DROP_MICRO_REFLECTOR_ID) - rid0))
expect "foreign reflector: 10 replies taken, 10 DROP_MICRO_REFLECTOR_ID, 10 DROP_MICRO_SENDER_ID (got $rep, $drid, $dsid)" \
	[ "$rep $drid $dsid" = "10 10 10" ]
BID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["session"])' "$TMP/badadd.json" 2>/dev/null)
expect "admin session-del of the foreign-reflector micro-session" \
	"$TWINHOP" admin --admin "$TMP/thd-s.sock" "{\"cmd\":\"session-del\",\"session\":${BID:-0}}"

sleep 0.3
expect "S's session table empty again: SESS_ADDED == SESS_DELETED (group slots freed)" \
	[ "$(fpc s SESS_ADDED)" = "$(fpc s SESS_DELETED)" ]
expect "S's fast path still alive (READY, no crash)" kill -0 "${PIDS[1]}"
finish
