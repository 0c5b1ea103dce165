#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The --html pages of `twinhop measure` and `twinhop bench` in a browser.
# Against the real appliance (twinhopd + twinhop-fp reflecting on af_packet,
# topology of e2e-modes), measure runs (one and two sessions) and a two-step
# bench run each write --json and --html (measure also --openmetrics) at
# once; then
# check_html.py opens each page in headless Debian Chromium through
# chromium-driver and python3-selenium: no console error, nothing fetched,
# every chart with the right number of points, and every number shown
# equal to the JSON report's.
NAME=html-report
. "$(dirname "$0")/lib.sh"
setup_common
need chromium chromedriver
# Debian's python3-selenium is a package of the system Python.
PY=/usr/bin/python3
must "$PY" -c 'import selenium'
topo_afpacket 93
A=10.93.0.1

# measure: 200 packets over 1 s, interval reports every 100 ms, a loss
# timeout short enough that intervals settle during the run.
ip netns exec "$NSC" "$TWINHOP" measure "$A" --mode open --count 200 --interval 0.005 \
	--report-interval 0.1 --loss-timeout 0.2 --json --quiet --html "$TMP/m.html" \
	--openmetrics "$TMP/m.om" >"$TMP/m.json" 2>"$TMP/m.err"
RC=$?
if [ $RC = 0 ]; then ok "measure --json --html --openmetrics: exit 0"; else nokf "measure: exit 0 (got $RC)" "$TMP/m.err"; fi
check "measure: 200 sent, 200 received, interval reports" \
	"s['sent'] == 200 and s['received'] == 200 and len(d['intervals']) >= 5" "$TMP/m.json"

# Two sessions: one section each in one page, JSON Lines in session order.
ip netns exec "$NSC" "$TWINHOP" measure "$A" --mode open --sessions 2 --count 100 --interval 0.01 \
	--report-interval 0.2 --loss-timeout 0.2 --json --quiet --html "$TMP/m2.html" \
	--openmetrics "$TMP/m2.om" >"$TMP/m2.json" 2>"$TMP/m2.err"
RC=$?
if [ $RC = 0 ]; then ok "measure --sessions 2 --html: exit 0"; else nokf "measure 2 sessions: exit 0 (got $RC)" "$TMP/m2.err"; fi
expect "measure --sessions 2: two JSON lines" test "$(wc -l <"$TMP/m2.json")" = 2

# bench: two TWAMP steps through twinhopd.
cat >"$TMP/two.profile" <<P
name two-steps
description "two rate steps <for> the html & page test"
ip 4
mode open
size 128
steps rate 50pps 100pps
duration-per-step 500ms
warmup 100ms
P
ip netns exec "$NSC" "$TWINHOP" bench "$TMP/two.profile" "$A" --json --quiet --loss-timeout 0.3 \
	--html "$TMP/b.html" >"$TMP/b.json" 2>"$TMP/b.err"
RC=$?
if [ $RC = 0 ]; then ok "bench --json --html: exit 0"; else nokf "bench: exit 0 (got $RC)" "$TMP/b.err"; fi
check "bench: 2 steps complete" "d['complete'] and len(d['steps']) == 2" "$TMP/b.json"

# A page that cannot be written is an error before any packet is sent.
ip netns exec "$NSC" "$TWINHOP" measure "$A" --mode open --count 5 --interval 0.01 --quiet \
	--html "$TMP/no/such/dir.html" >/dev/null 2>"$TMP/e.err"
RC=$?
if [ $RC = 1 ] && grep -q -- "--html $TMP/no/such/dir.html" "$TMP/e.err"; then
	ok "unwritable --html: exit 1, named"
else
	nokf "unwritable --html (got $RC)" "$TMP/e.err"
fi

# run_check TAG ARGS...: check_html.py's lines count as this test's checks
run_check() {
	local tag=$1 n
	shift
	timeout 120 "$PY" "$(dirname "$0")/check_html.py" "$@" >"$TMP/$tag.out" 2>&1
	local rc=$?
	sed 's/^/  /' "$TMP/$tag.out"
	n=$(grep -c '^ok   - ' "$TMP/$tag.out")
	PASS=$((PASS + n))
	n=$(grep -c '^FAIL - ' "$TMP/$tag.out")
	FAIL=$((FAIL + n))
	if [ $rc != 0 ] && [ "$n" = 0 ]; then
		nokf "$tag: check_html.py failed (exit $rc)" "$TMP/$tag.out"
	fi
}
run_check pages measure "$TMP/m.html" "$TMP/m.json" "$TMP/m.om" \
	-- measure "$TMP/m2.html" "$TMP/m2.json" "$TMP/m2.om" -- bench "$TMP/b.html" "$TMP/b.json"
finish
