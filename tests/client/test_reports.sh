#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# `twinhop measure` / `light-send` outputs through control/report: the JSON
# report validates against docs/schema/report.schema.json, CSV rows (lost
# packets included, loss injected by the Python reflector dropping chosen
# sequence numbers), a strict OpenMetrics parse, interval reports, threshold
# raise/clear events for an injected delay, and RFC 5938 Start-N/Stop-N with
# --stagger.  Loopback only.
set -u
. "$(dirname "$0")/lib.sh"
CHECK="python3 $TW_SRC/tests/client/check_cli.py"
SCHEMA=$TW_SRC/docs/schema/report.schema.json
# jl FILE EXPR: python expression over d = list of the JSON Lines documents
jl() { python3 -c "import json,sys; d=[json.loads(l) for l in open(sys.argv[1])]; print($2)" "$1" 2>/dev/null; }
S="d['end']['summary']"

# --- JSON schema: one session (a pretty document) and two (JSON Lines) ---------
start_fake srv server; port=$PORT
"$TWINHOP" measure 127.0.0.1:"$port" --count 30 --interval 0.02 --report-interval 0.2 --json \
	--quiet >"$TMP/one.json" 2>"$TMP/one.err" && ok "measure --json: exit 0" || ko "measure --json: exit 0" "$TMP/one.err"
$CHECK schema "$SCHEMA" "$TMP/one.json" >"$TMP/v1" 2>&1 && ok "measure --json validates against the schema" ||
	ko "measure --json validates against the schema" "$TMP/v1"
[ "$(jget "$TMP/one.json" "($S['sent'], $S['received'], len(d['intervals']) >= 2)")" = "(30, 30, True)" ] &&
	ok "30 sent, 30 received, interval reports" || ko "30 sent, 30 received, interval reports" "$TMP/one.json"
# The run's own facts: the rate asked for and reached, this host's UDP drops.
[ "$(jget "$TMP/one.json" "(d['end']['run']['rate_requested_pps'], d['end']['run']['rate_achieved_pps'] > 0, sorted(d['end']['run']['host_drops']))")" = \
	"(50, True, ['udp_rcvbuf_errors', 'udp_sndbuf_errors'])" ] &&
	ok "run: requested and achieved rate, host drops" || ko "run facts" "$TMP/one.json"
# A rate no kernel-socket sender on this machine reaches (1 Mpps, one
# sendto() per packet): the report says so and points to the fast path.
start_fake fast reflect; fport=$PORT
"$TWINHOP" light-send 127.0.0.1:"$fport" --rate 1000000 --count 100000 --loss-timeout 0.2 --json --quiet \
	>"$TMP/fast.json" 2>"$TMP/fast.err"
$CHECK schema "$SCHEMA" "$TMP/fast.json" >"$TMP/v5" 2>&1 &&
	[ "$(jget "$TMP/fast.json" "(d['end']['run']['rate_shortfall'], d['end']['run']['rate_achieved_pps'] < 950000, '--engine fastpath' in d['end']['run']['advice'])")" = "(True, True, True)" ] &&
	ok "1 Mpps asked, less reached: shortfall and advice in JSON" || ko "shortfall JSON" "$TMP/fast.json"
"$TWINHOP" light-send 127.0.0.1:"$fport" --rate 1000000 --count 100000 --loss-timeout 0.2 --quiet \
	>"$TMP/fast.txt" 2>&1
grep -Eq '^rate +requested 1000000 pps, achieved [0-9]+ pps .*SHORTFALL' "$TMP/fast.txt" &&
	grep -Eq '^host loss +[0-9]+ packets dropped on this host' "$TMP/fast.txt" &&
	grep -q 'engine fastpath' "$TMP/fast.txt" && ok "shortfall and host loss in the text report" ||
	ko "shortfall text" "$TMP/fast.txt"
"$TWINHOP" measure 127.0.0.1:"$port" --count 10 --interval 0.01 --sessions 2 --json --quiet \
	>"$TMP/two.json" 2>"$TMP/two.err" && ok "2 sessions --json: exit 0" || ko "2 sessions --json: exit 0" "$TMP/two.err"
$CHECK schema "$SCHEMA" "$TMP/two.json" >"$TMP/v2" 2>&1 && [ "$(wc -l <"$TMP/two.json")" = 2 ] &&
	ok "2 sessions: 2 JSON lines, each validates" || ko "2 sessions: 2 JSON lines, each validates" "$TMP/v2"
[ "$(jl "$TMP/two.json" "[x['intervals'] for x in d]")" = "[[], []]" ] &&
	ok "short run: no interval reports by default" || ko "short run: no interval reports by default" "$TMP/two.json"

# --- injected loss: exact counts in JSON, CSV rows, OpenMetrics -----------------
start_fake lossy server --drop 3,7,10-11; port=$PORT
"$TWINHOP" measure 127.0.0.1:"$port" --count 20 --interval 0.01 --loss-timeout 0.3 --json --quiet \
	--csv "$TMP/l.csv" --openmetrics "$TMP/l.om" >"$TMP/l.json" 2>"$TMP/l.err" && ok "lossy run: exit 0" ||
	ko "lossy run: exit 0" "$TMP/l.err"
$CHECK schema "$SCHEMA" "$TMP/l.json" >"$TMP/v3" 2>&1 && ok "lossy run validates" || ko "lossy run validates" "$TMP/v3"
[ "$(jget "$TMP/l.json" "($S['sent'], $S['received'], $S['loss']['round_trip']['count'], $S['loss']['settled'])")" = "(20, 16, 4, 20)" ] &&
	ok "JSON: 20 sent, 16 received, 4 lost" || ko "JSON: 20 sent, 16 received, 4 lost" "$TMP/l.json"
[ "$(jget "$TMP/l.json" "$S['loss']['round_trip']['ratio']")" = 0.2 ] && ok "JSON: loss ratio 0.2" ||
	ko "JSON: loss ratio 0.2" "$TMP/l.json"
$CHECK csv "$TMP/l.csv" 20 3,7,10,11 >"$TMP/c" 2>&1 && ok "CSV: header, 16 reply rows, lost rows 3,7,10,11" ||
	ko "CSV: header, 16 reply rows, lost rows 3,7,10,11" "$TMP/c"
$CHECK openmetrics "$TMP/l.om" >"$TMP/o" 2>&1 && ok "OpenMetrics file parses strictly" ||
	ko "OpenMetrics file parses strictly" "$TMP/o"
grep -Eq '^twinhop_packets_lost_total\{.*\} 4$' "$TMP/l.om" && ok "OpenMetrics: 4 lost" || ko "OpenMetrics: 4 lost" "$TMP/l.om"
"$TWINHOP" measure 127.0.0.1:"$port" --count 6 --interval 0.01 --loss-timeout 0.3 --sessions 2 --quiet \
	--csv "$TMP/m.csv" >/dev/null 2>"$TMP/m.err"
$CHECK csv "$TMP/m.csv.1" 6 3 >"$TMP/c1" 2>&1 && $CHECK csv "$TMP/m.csv.2" 6 3 >>"$TMP/c1" 2>&1 &&
	ok "CSV per session (FILE.1, FILE.2)" || ko "CSV per session (FILE.1, FILE.2)" "$TMP/c1"

# --- text report: start, interval lines with progress, summary ------------------
"$TWINHOP" measure 127.0.0.1:"$port" --count 30 --interval 0.02 --loss-timeout 0.3 --report-interval 0.2 \
	>"$TMP/t.txt" 2>"$TMP/t.err"
grep -Eq '^\[ *[0-9.]+ s / +0\.6 s\] sent' "$TMP/t.txt" && grep -q "^--- .* summary" "$TMP/t.txt" &&
	grep -Eq "^packets +sent 30, received 26, lost 4" "$TMP/t.txt" && ok "text: intervals with progress, summary" ||
	ko "text: intervals with progress, summary" "$TMP/t.txt"

# --- thresholds: delay on seqs 10-14 raises, the next normal packet clears ------
# 100 ms of delay against a 60 ms threshold (the fake reflector delays one
# packet after the other, so seqs 15-19 wait behind the backlog; 40 packets
# leave room to clear): a loaded machine's own scheduling delays (a few
# ms) neither raise nor keep it raised; a later raise by a rare longer one
# is not what this checks, so only the first two events are compared.
start_fake slow reflect --delay-seqs 10-14 --delay 0.1; rport=$PORT
"$TWINHOP" light-send 127.0.0.1:"$rport" --count 40 --interval 0.05 --threshold rtt=60ms:30ms --json \
	--quiet >"$TMP/e.json" 2>"$TMP/e.err"
$CHECK schema "$SCHEMA" "$TMP/e.json" >"$TMP/v4" 2>&1 && ok "events: validates" || ko "events: validates" "$TMP/v4"
[ "$(jget "$TMP/e.json" "[(e['kind'], e['state'], e['seq']) for e in d['end']['events']][0]")" = "('rtt', 'raised', 10)" ] &&
	ok "JSON: rtt raised at seq 10" || ko "JSON: rtt raised at seq 10" "$TMP/e.json"
[ "$(jget "$TMP/e.json" "[(e['state'], e['seq'] > 14, e['value'] <= 30000000) for e in d['end']['events']][1:2]")" = "[('cleared', True, True)]" ] &&
	ok "JSON: cleared after seq 14, below 30 ms" || ko "JSON: cleared after seq 14, below 30 ms" "$TMP/e.json"
"$TWINHOP" light-send 127.0.0.1:"$rport" --count 40 --interval 0.05 --threshold rtt=60ms:30ms \
	>"$TMP/e.txt" 2>&1
grep -Eq "event rtt raised: .* \(seq 10\)" "$TMP/e.txt" && grep -q "event rtt cleared" "$TMP/e.txt" &&
	ok "text: raise and clear events" || ko "text: raise and clear events" "$TMP/e.txt"
"$TWINHOP" light-send 127.0.0.1:"$rport" --threshold rtt=1ms:2ms >/dev/null 2>"$TMP/u.err"
[ $? = 2 ] && grep -q "CLEAR <= RAISE" "$TMP/u.err" && ok "bad threshold: usage error" || ko "bad threshold" "$TMP/u.err"

# --- RFC 5938: Start-N/Stop-N when indiv is negotiated, plain otherwise ---------
start_fake ind server --modes 17 --log "$TMP/ind.log"; port=$PORT
"$TWINHOP" measure 127.0.0.1:"$port" --count 5 --interval 0.02 --sessions 2 --features indiv --stagger 0.8 \
	--loss-timeout 0.3 --json --quiet >"$TMP/n.json" 2>"$TMP/n.err"
[ "$(tr '\n' ' ' <"$TMP/ind.log")" = "start-n 1 start-n 1 stop-n 1 stop-n 1 " ] &&
	ok "--stagger with indiv: Start-N/Stop-N per session" || ko "--stagger with indiv" "$TMP/ind.log"
[ "$(jl "$TMP/n.json" "[x['end']['summary']['received'] for x in d]")" = "[5, 5]" ] &&
	ok "staggered sessions: 5 + 5 replies" || ko "staggered sessions: 5 + 5 replies" "$TMP/n.json"
[ "$(jl "$TMP/n.json" "d[1]['intervals'] == [] and d[1]['start']['timestamp_ns'] == d[0]['start']['timestamp_ns']")" = True ] &&
	ok "staggered: one start time" || ko "staggered: one start time" "$TMP/n.json"
: >"$TMP/ind.log"
"$TWINHOP" measure 127.0.0.1:"$port" --count 3 --interval 0.02 --sessions 2 --loss-timeout 0.3 --quiet \
	>/dev/null 2>&1
[ "$(tr '\n' ' ' <"$TMP/ind.log")" = "start stop 2 " ] && ok "without --features indiv: Start/Stop-Sessions" ||
	ko "without indiv: Start/Stop" "$TMP/ind.log"
# Interval lines reach a file as they happen (stdout is fully buffered
# there): one is in the file while the run still goes on.
start_fake prog server; port=$PORT
"$TWINHOP" measure 127.0.0.1:"$port" --count 60 --interval 0.1 --report-interval 0.5 \
	>"$TMP/prog.txt" 2>&1 &
mpid=$!
streamed=no
while kill -0 "$mpid" 2>/dev/null; do
	grep -q '^\[ *0\.5 s' "$TMP/prog.txt" && { streamed=yes; break; }
	sleep 0.1
done
wait "$mpid"
[ "$streamed" = yes ] && ok "interval lines reach a file during the run" ||
	ko "interval lines reach a file during the run" "$TMP/prog.txt"
finish client_reports
