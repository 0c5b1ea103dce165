#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# --html from the CLI without a browser (the browser checks are
# tests/e2e/html-report.sh): measure with two sessions (one section each),
# light-send and bench write a whole page with their charts, and a page that
# cannot be written fails the run, named.  Against the Python peers on
# loopback, so the sanitizer build runs these paths too.
set -u
. "$(dirname "$0")/lib.sh"
# page_ok FILE SECTIONS CHARTS: a complete page with that many sections and
# charts and nothing outside itself
page_ok() {
	[ "$(head -c 16 "$1")" = "<!DOCTYPE html>" ] && tail -n 1 "$1" | grep -q '^</html>$' &&
		[ "$(grep -c '^<section id=' "$1")" = "$2" ] &&
		[ "$(grep -c '^<figure class="chart"' "$1")" = "$3" ] &&
		! grep -Eq 'https?:|<script|src=|url\(' "$1"
}

start_fake srv server; port=$PORT
"$TWINHOP" measure 127.0.0.1:"$port" --count 40 --interval 0.01 --report-interval 0.1 --sessions 2 \
	--json --quiet --html "$TMP/m.html" >"$TMP/m.json" 2>"$TMP/m.err" && ok "measure --sessions 2 --html: exit 0" ||
	ko "measure --html: exit 0" "$TMP/m.err"
page_ok "$TMP/m.html" 2 14 && ok "measure: one page, 2 sections, 7 charts each" || ko "measure page" "$TMP/m.html"
for i in 0 1; do
	sid=$(python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readlines()[$i])['start']['session']['name'])" "$TMP/m.json")
	grep -q "data-key=\"start.session.name\" data-value=\"$sid\"" "$TMP/m.html" &&
		ok "section for session $((i + 1)) ($sid)" || ko "section for session $((i + 1))" "$TMP/m.html"
done

start_fake refl reflect; rport=$PORT
"$TWINHOP" light-send 127.0.0.1:"$rport" --stamp --count 20 --interval 0.01 --quiet \
	--html "$TMP/l.html" >"$TMP/l.txt" 2>"$TMP/l.err" && page_ok "$TMP/l.html" 1 7 &&
	grep -q '^rtt ' "$TMP/l.txt" && ok "light-send --html beside the text report" || ko "light-send --html" "$TMP/l.err"
# Light sessions have no SID: named s1, s2, so that sections (and element
# ids) stay apart.
"$TWINHOP" light-send 127.0.0.1:"$rport" --sessions 2 --count 10 --interval 0.01 --quiet \
	--html "$TMP/l2.html" >/dev/null 2>"$TMP/l2.err" && page_ok "$TMP/l2.html" 2 14 &&
	grep -q '<section id="s1-section">' "$TMP/l2.html" && grep -q '<section id="s2-section">' "$TMP/l2.html" &&
	ok "light-send --sessions 2: sections s1 and s2" || ko "light-send 2 sessions" "$TMP/l2.html"

cat >"$TMP/tiny.profile" <<P
name tiny
mode light
size 128
steps rate 20pps 40pps
duration-per-step 300ms
P
"$TWINHOP" bench "$TMP/tiny.profile" 127.0.0.1:"$rport" --quiet --loss-timeout 0.3 --html "$TMP/b.html" \
	>"$TMP/b.txt" 2>"$TMP/b.err" && page_ok "$TMP/b.html" 2 3 &&
	grep -q 'data-key="steps.1.name" data-value="rate=40pps"' "$TMP/b.html" && grep -q '^STEP' "$TMP/b.txt" &&
	ok "bench --html: step table and 3 charts beside the text table" || ko "bench --html" "$TMP/b.err"

"$TWINHOP" measure 127.0.0.1:"$port" --count 3 --interval 0.01 --quiet --html "$TMP/none/x.html" \
	>/dev/null 2>"$TMP/e.err"
rc=$?
[ $rc = 1 ] && grep -q -- "--html $TMP/none/x.html" "$TMP/e.err" && ok "unwritable --html: exit 1, named" ||
	ko "unwritable --html (rc $rc)" "$TMP/e.err"
"$TWINHOP" bench "$TMP/tiny.profile" 127.0.0.1:"$rport" --quiet --html "$TMP/none/b.html" \
	>/dev/null 2>"$TMP/e2.err"
rc=$?
[ $rc = 1 ] && grep -q -- "--html $TMP/none/b.html" "$TMP/e2.err" && ok "bench, unwritable --html: exit 1 before any step" ||
	ko "bench unwritable --html (rc $rc)" "$TMP/e2.err"
finish client_html
