#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# `twinhop bench` with tiny profiles written here: a 2-step TWAMP Light rate
# profile (0.5 s per step, 100 ms warm-up) against the Python Light reflector,
# which drops sender seq 5, so the sent/received/lost counts are exact; an
# open-mode TWAMP profile with a 2-size IMIX (one session per size) against
# the Python TWAMP-Control server; and the profile errors.
set -u
. "$(dirname "$0")/lib.sh"
mkdir -p "$TMP/prof"
cat >"$TMP/prof/tiny.profile" <<P
name tiny
description "two rate steps for the client tests"
ip 4
mode light
size 128
steps rate 20pps 40pps
duration-per-step 500ms
warmup 100ms
P
cat >"$TMP/prof/mix.profile" <<P
name mix
mode open
imix 128:1 256:1
rate 40pps
duration-per-step 500ms
P
start_fake refl reflect --drop 5; rport=$PORT

# Warm-up: 2 packets at 20 pps (seqs 0-1), 4 at 40 pps (0-3), discarded; the
# measured 10 and 20 packets include seq 5 each time, which is dropped.
"$TWINHOP" bench "$TMP/prof/tiny.profile" 127.0.0.1:"$rport" --json --quiet --loss-timeout 0.3 \
	>"$TMP/b.json" 2>"$TMP/b.err" && ok "bench: exit 0" || ko "bench: exit 0" "$TMP/b.err"
[ "$(jget "$TMP/b.json" "(d['profile'], d['complete'], len(d['steps']))")" = "('tiny', True, 2)" ] &&
	ok "JSON: profile, 2 steps" || ko "JSON: profile, 2 steps" "$TMP/b.json"
[ "$(jget "$TMP/b.json" "[(s['name'], s['sent'], s['received'], s['lost']) for s in d['steps']]")" = \
	"[('rate=20pps', 10, 9, 1), ('rate=40pps', 20, 19, 1)]" ] &&
	ok "exact sent/received/lost per step, warm-up discarded" || ko "exact counts per step" "$TMP/b.json"
[ "$(jget "$TMP/b.json" "[s['rate_requested_pps'] for s in d['steps']]")" = "[20, 40]" ] &&
	ok "requested rates" || ko "requested rates" "$TMP/b.json"
[ "$(jget "$TMP/b.json" "all(0.5 * s['rate_requested_pps'] < s['rate_achieved_pps'] < 2 * s['rate_requested_pps'] for s in d['steps'])")" = True ] &&
	ok "achieved rates plausible" || ko "achieved rates plausible" "$TMP/b.json"
[ "$(jget "$TMP/b.json" "all(0 < s['rtt_p50_ns'] <= s['rtt_p99_ns'] <= s['rtt_max_ns'] for s in d['steps'])")" = True ] &&
	ok "RTT p50 <= p99 <= max" || ko "RTT p50 <= p99 <= max" "$TMP/b.json"
# By name from --profiles-dir, text table.
"$TWINHOP" bench tiny 127.0.0.1:"$rport" --profiles-dir "$TMP/prof" --quiet --loss-timeout 0.3 \
	>"$TMP/b.txt" 2>"$TMP/bt.err"
grep -Eq '^rate=20pps +light +1 +20 pps +[0-9]+ pps +10 +9 +1 ' "$TMP/b.txt" &&
	grep -Eq '^rate=40pps +light +1 +40 pps +[0-9]+ pps +20 +19 +1 ' "$TMP/b.txt" && grep -q "^STEP" "$TMP/b.txt" &&
	ok "text table, profile by name" || ko "text table, profile by name" "$TMP/b.txt"

# TWAMP mode through TWAMP-Control; IMIX of 2 sizes = 2 sessions at 20 pps each.
start_fake srv server; port=$PORT
"$TWINHOP" bench "$TMP/prof/mix.profile" 127.0.0.1:"$port" --json --quiet --loss-timeout 0.3 \
	>"$TMP/m.json" 2>"$TMP/m.err" && ok "bench open mode: exit 0" || ko "bench open mode: exit 0" "$TMP/m.err"
[ "$(jget "$TMP/m.json" "[(s['sessions'], s['sent'], s['received'], s['negotiated_mode']) for s in d['steps']]")" = \
	"[(2, 20, 20, 'open')]" ] && ok "IMIX: 2 sessions, 20 sent, 20 received" || ko "IMIX sessions" "$TMP/m.json"

"$TWINHOP" bench nosuch 127.0.0.1:"$rport" --profiles-dir "$TMP/prof" >/dev/null 2>"$TMP/e1"
[ $? = 2 ] && grep -q "profile 'nosuch' not found" "$TMP/e1" && ok "unknown profile: exit 2" || ko "unknown profile" "$TMP/e1"
# From the build tree, a bundled profile is found by name in the checkout's
# tools/profiles (nothing installed, no TWINHOP_PROFILES): the run starts and
# fails only at the closed port.
TWINHOP_PROFILES= "$TWINHOP" bench rate-steps 127.0.0.1:1 --timeout 0.3 >"$TMP/bt.out" 2>"$TMP/bt.err"
! grep -q "not found" "$TMP/bt.err" && grep -q "profile rate-steps" "$TMP/bt.out" &&
	ok "bundled profile by name from a build tree" || ko "profile from a build tree" "$TMP/bt.err"
printf 'name bad\nsize 10\nrate 1pps\n' >"$TMP/prof/bad.profile"
"$TWINHOP" bench "$TMP/prof/bad.profile" 127.0.0.1:"$rport" >/dev/null 2>"$TMP/e2"
[ $? = 2 ] && grep -Eq "bad.profile:[0-9]+:[0-9]+: " "$TMP/e2" && ok "invalid profile: FILE:LINE:COL, exit 2" ||
	ko "invalid profile" "$TMP/e2"
"$TWINHOP" bench "$TMP/prof/tiny.profile" >/dev/null 2>&1; [ $? = 2 ] && ok "missing TARGET: exit 2" || ko "missing TARGET"
finish client_bench
