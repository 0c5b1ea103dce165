#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The fast path's counters reach the operator.
#
# 1. A Light/STAMP listener's counters (issue 12): the real
# twinhop-fp reflects on af_packet in R (topology of e2e-modes), twinhopd
# programs listeners with `twinhop light add`, a kernel-socket sender in C
# sends to them, and the fast path's STATS answer (role 3) must show up in
# `twinhop sessions` (table and --json) and in /metrics:
#   - STAMP open: every packet reflected, no drop;
#   - STAMP authenticated, sent with the wrong key: every packet dropped
#     (DROP_BAD_HMAC) and counted as the listener's drops; then with the
#     right key, reflected;
#   - TWAMP Light stateful: one peer;
#   - a listener deleted and a new one on the same port (the slot reused)
#     starts from zero.
# Counts are exact: nothing else sends to these ports.
#
# 2. Loss on our own host (issue 11): `twinhop light-send --engine fastpath`
# sends from R's fast path to a kernel-socket reflector in C that answers
# packets 10-19 with 20-octet replies, which R's fast path drops
# (DROP_REPLY_SHORT).  The report's end.run must count those 10 as this
# host's drops (engine_drops, by reason), apart from the network.
#
# 3. Cores shared (issue 11): the fastpath-engine report says whether the
# client runs on the fast path's lcore CPU (taskset).
NAME=e2e-fp-counters
. "$(dirname "$0")/lib.sh"
setup_common
need taskset nproc
THD_EXTRA=$'metrics-listen 127.0.0.1 9862\nstats-interval 200'
topo_afpacket 95
ADM=(--admin "$TMP/thd.sock")
KEY=00112233445566778899aabbccddeeff
BADKEY=ffeeddccbbaa99887766554433221100

# light_add FILE ARGS...: add a listener, print its id
light_add() {
	local f=$1
	shift
	"$TWINHOP" light add "$@" "${ADM[@]}" --json >"$f" 2>&1 && jget "$f" "d['session']"
}
L1=$(light_add "$TMP/l1" --proto stamp --port 5862)
L2=$(light_add "$TMP/l2" --proto stamp --port 5863 --sec auth --key "$KEY")
L3=$(light_add "$TMP/l3" --proto light --port 5864)
expect "three listeners added (ids $L1 $L2 $L3)" test -n "$L1" -a -n "$L2" -a -n "$L3"

# send NAME TARGET COUNT ARGS...: a kernel-socket sender in C
send() {
	local t=$1 tgt=$2 n=$3
	shift 3
	ip netns exec "$NSC" "$TWINHOP" light-send "$tgt" --count "$n" --rate 200 \
		--loss-timeout 1 --json "$@" >"$TMP/$t.json" 2>"$TMP/$t.err"
}
send open 10.95.0.1:5862 30 --stamp
check "STAMP open: 30 sent, 30 replies" "(s['sent'], s['received']) == (30, 30)" "$TMP/open.json"
send badkey 10.95.0.1:5863 10 --stamp --stamp-key "$BADKEY"
check "STAMP auth, wrong key: 10 sent, no reply" "(s['sent'], s['received']) == (10, 0)" "$TMP/badkey.json"
send goodkey 10.95.0.1:5863 5 --stamp --stamp-key "$KEY"
check "STAMP auth, right key: 5 sent, 5 replies" "(s['sent'], s['received']) == (5, 5)" "$TMP/goodkey.json"
send light 10.95.0.1:5864 20
check "TWAMP Light: 20 sent, 20 replies" "(s['sent'], s['received']) == (20, 20)" "$TMP/light.json"

# live(ID, EXPR): python over e = that session's "live" object
WANT="{$L1: (30, 30, 0), $L2: (5, 5, 10), $L3: (20, 20, 0)}"
for _ in $(seq 50); do # the STATS poll runs every 200 ms: bounded wait
	"$TWINHOP" sessions --json "${ADM[@]}" >"$TMP/ss.json" 2>&1
	python3 -c '
import json, sys
want = eval(sys.argv[2])
ss = {x["session"]: x.get("live") for x in json.load(open(sys.argv[1]))["sessions"]}
sys.exit(0 if all(ss.get(k) and (ss[k]["rx_pkts"], ss[k]["tx_pkts"], ss[k]["drops"]) == v
                  for k, v in want.items()) else 1)' "$TMP/ss.json" "$WANT" 2>/dev/null && break
	sleep 0.2
done
for spec in "$L1 30 30 0 open" "$L2 5 5 10 auth" "$L3 20 20 0 light"; do
	set -- $spec
	check "sessions --json: listener $1 ($5) live rx $2, tx $3, drops $4" \
		"[(x['live']['rx_pkts'], x['live']['tx_pkts'], x['live']['drops']) for x in d['sessions'] if x['session'] == $1] == [($2, $3, $4)]" \
		"$TMP/ss.json"
done
check "sessions --json: listener rx_pkts/tx_pkts follow the fast path" \
	"all((x['rx_pkts'], x['tx_pkts']) == (x['live']['rx_pkts'], x['live']['tx_pkts']) for x in d['sessions'])" \
	"$TMP/ss.json"
check "sessions --json: octets counted (STAMP open: 30 x 44 octets at least)" \
	"[x['live']['rx_octets'] >= 30 * 44 and x['live']['tx_octets'] == x['live']['rx_octets'] for x in d['sessions'] if x['session'] == $L1] == [True]" \
	"$TMP/ss.json"
check "sessions --json: the stateful Light listener has 1 peer; every listener saw a packet" \
	"[x['live']['peers'] for x in d['sessions'] if x['session'] == $L3] == [1] and all(x['live']['last_rx_ntp'] > 0 for x in d['sessions'])" \
	"$TMP/ss.json"
"$TWINHOP" counters --fp --json "${ADM[@]}" >"$TMP/fpc.json" 2>&1
check "fast path counted the 10 bad-HMAC drops (DROP_BAD_HMAC)" \
	"d['total']['DROP_BAD_HMAC'] == 10 and d['total']['LIGHT_REFLECTED'] == 55" "$TMP/fpc.json"

"$TWINHOP" sessions "${ADM[@]}" >"$TMP/ss.txt" 2>&1
expect "sessions (table): DROPS column, listener $L2 shows 5 5 10" \
	python3 -c '
import re, sys
lines = open(sys.argv[1]).read().splitlines()
assert re.search(r" RX +TX +DROPS$", lines[0]), lines[0]
row = [l.split() for l in lines[1:] if l.split()[0] == sys.argv[2]]
sys.exit(0 if row and row[0][-3:] == ["5", "5", "10"] else 1)' "$TMP/ss.txt" "$L2"

# /metrics: the same numbers, as twinhop_session_* series
ip netns exec "$NSR" python3 -c '
import sys, urllib.request
sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:9862/metrics", timeout=5).read().decode())' \
	>"$TMP/metrics" 2>&1
for spec in "tx_packets $L1 30" "drops $L1 0" "tx_packets $L2 5" "drops $L2 10" "rx_packets $L3 20"; do
	set -- $spec
	expect "/metrics: twinhop_session_$1_total{session=\"$2\"} = $3" \
		grep -Eq "^twinhop_session_$1_total\\{session=\"$2\",kind=\"light\",[^}]*\\} $3\$" "$TMP/metrics"
done

# The slot of a deleted listener is reused: the new one starts at zero.
expect "light del $L1" "$TWINHOP" light del "$L1" "${ADM[@]}"
# the listener's final counts, from the fast path's DELETED event
expect "twinhopd log: listener $L1 deleted with its 30 packets received and sent" \
	wait_for "$TMP/thd.log" ": session $L1 deleted: 30 packet(s) received, 30 sent\$" 50
L4=$(light_add "$TMP/l4" --proto stamp --port 5862)
expect "listener re-added on port 5862 (id $L4)" test -n "$L4"
send again 10.95.0.1:5862 7 --stamp
check "STAMP open again: 7 sent, 7 replies" "(s['sent'], s['received']) == (7, 7)" "$TMP/again.json"
for _ in $(seq 50); do
	"$TWINHOP" sessions --json "${ADM[@]}" >"$TMP/ss2.json" 2>&1
	python3 -c '
import json, sys
ss = {x["session"]: x.get("live") for x in json.load(open(sys.argv[1]))["sessions"]}
sys.exit(0 if ss.get(int(sys.argv[2])) and ss[int(sys.argv[2])]["tx_pkts"] >= 7 else 1)' "$TMP/ss2.json" "$L4" 2>/dev/null && break
	sleep 0.2
done
check "re-added listener $L4 counts only its own 7 packets, $L1 is gone" \
	"[x['live']['tx_pkts'] for x in d['sessions'] if x['session'] == $L4] == [7] and not [x for x in d['sessions'] if x['session'] == $L1]" \
	"$TMP/ss2.json"

ip netns exec "$NSC" python3 "$TW_SRC/tests/client/fake_twamp.py" reflect --bind 10.95.0.2 \
	--short-seqs 10-19 "$TMP/short.port" >"$TMP/short.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$TMP/short.port" ] && break; sleep 0.05; done
expect "reflector with short replies listening in C" test -s "$TMP/short.port"
for fmt in json text; do
	out=(--json)
	[ $fmt = text ] && out=()
	ip netns exec "$NSR" "$TWINHOP" light-send 10.95.0.2:"$(cat "$TMP/short.port")" --engine fastpath \
		--local 10.95.0.1 "${ADM[@]}" --count 40 --rate 200 --loss-timeout 1 "${out[@]}" \
		>"$TMP/hl.$fmt" 2>"$TMP/hl-$fmt.err"
	rc=$?
	[ $rc = 0 ] && ok "fastpath light-send ($fmt): exit 0" || nokf "fastpath light-send ($fmt): exit 0 (got $rc)" "$TMP/hl-$fmt.err"
done
check "fastpath engine: 40 sent, 30 received, 10 lost" \
	"(s['sent'], s['received'], s['lost']) == (40, 30, 10)" "$TMP/hl.json"
check "end.run: engine_drops 10, all DROP_REPLY_SHORT: the loss is this host's" \
	"(d['end']['run']['engine_drops'], d['end']['run']['engine_drop_reasons']) == (10, {'DROP_REPLY_SHORT': 10})" "$TMP/hl.json"
check "end.run: the advice says the fast path dropped packets" \
	"'fast path dropped 10 packets' in d['end']['run']['advice']" "$TMP/hl.json"
expect "text report: host loss counts 10, engine 10: DROP_REPLY_SHORT 10" \
	grep -Eq '^host loss +10 packets dropped on this host .*; engine 10: DROP_REPLY_SHORT 10\)' "$TMP/hl.text"

# 3. Cores shared (issue 11): R's fast path polls on CPU 0 (-l 0).  A client
# pinned there shares that CPU, and the report says so; pinned to another
# CPU it does not.
for cpu in 0 1; do
	[ "$cpu" = 1 ] && [ "$(nproc)" -lt 2 ] && continue
	ip netns exec "$NSR" taskset -c "$cpu" "$TWINHOP" light-send 10.95.0.2:"$(cat "$TMP/short.port")" \
		--engine fastpath --local 10.95.0.1 "${ADM[@]}" --count 5 --rate 100 --loss-timeout 0.5 \
		--json >"$TMP/cpu$cpu.json" 2>"$TMP/cpu$cpu.err"
	want="(True, '0')"
	[ "$cpu" = 1 ] && want="(False, None)"
	check "client on CPU $cpu, fast path lcore on CPU 0: end.run cpu_shared, cpus_shared = $want" \
		"(d['end']['run']['cpu_shared'], d['end']['run']['cpus_shared']) == $want" "$TMP/cpu$cpu.json"
done
ip netns exec "$NSR" taskset -c 0 "$TWINHOP" light-send 10.95.0.2:"$(cat "$TMP/short.port")" \
	--engine fastpath --local 10.95.0.1 "${ADM[@]}" --count 5 --rate 100 --loss-timeout 0.5 \
	>"$TMP/cpu.text" 2>&1
expect "text report: a cpus line says the client shares CPU 0 with the fast path's lcore" \
	grep -q "^cpus        shared: this client runs on CPU 0, where the fast path's lcores poll" "$TMP/cpu.text"
finish
