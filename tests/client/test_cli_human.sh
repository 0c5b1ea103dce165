#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The appliance commands speak to people: aligned tables and sentences by
# default, the admin reply as JSON with --json (docs/client.md "Output");
# usage errors are one line naming the problem plus a hint (exit 2), and
# every command has its own --help.  Runs against twinhopd with a fake fast
# path (tools/twinhop-ipc create).  Skipped (exit 77) when not built.
set -u
. "$(dirname "$0")/lib.sh"
need_appliance client_cli_human

# ---- usage errors and --help (no daemon needed) ----
# err_case NAME EXPECTED-REGEX ARGS...: exit 2, exactly two lines on stderr,
# the first names the problem, the second is the hint.
err_case() {
	local name=$1 re=$2
	shift 2
	"$TWINHOP" "$@" >"$TMP/o" 2>"$TMP/e"
	local rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$TMP/e")" = 2 ] && head -1 "$TMP/e" | grep -Eq -- "$re" &&
		sed -n 2p "$TMP/e" | grep -Eq "^Try 'twinhop ([a-z-]+ )?--help'\.$" && [ ! -s "$TMP/o" ]; then
		ok "$name"
	else
		echo "rc $rc" >>"$TMP/e"
		ko "$name" "$TMP/e"
	fi
}
err_case "global option before the command" "'--json' is an option of a command.*twinhop status --json" --json status
err_case "typo in a command" "unknown command 'stauts'; did you mean 'status'\?" stauts
err_case "no command" "missing a command" 
err_case "unknown option" "^twinhop measure: unknown option '--bogus'" measure --bogus 127.0.0.1
err_case "option without its value" "^twinhop measure: option '--count' needs a value" measure 127.0.0.1 --count
err_case "missing HOST" "^twinhop measure: missing HOST" measure
err_case "bench: missing TARGET" "^twinhop bench: missing TARGET" bench rate-steps
err_case "unexpected argument" "^twinhop status: unexpected argument 'now'" status now
err_case "unknown action" "^twinhop sender: unknown action 'frob'" sender frob 1
err_case "session id not a number" "^twinhop light: del: session ID 'x' is not a number" light del x
err_case "top: bad interval" "^twinhop top: --interval" top --interval 0
# RFC 9533 --micro-sessions: value errors name the syntax, exit 2, nothing sent
micro_case() { # NAME REGEX ARGS...
	local name=$1 re=$2
	shift 2
	"$TWINHOP" "$@" >"$TMP/o" 2>"$TMP/e"
	local rc=$?
	if [ $rc = 2 ] && grep -Eq -- "$re" "$TMP/e" && [ ! -s "$TMP/o" ]; then
		ok "$name"
	else
		echo "rc $rc" >>"$TMP/e"
		ko "$name" "$TMP/e"
	fi
}
micro_case "--micro-sessions: Sender ID 0 refused" "want S:R,S:R" measure 127.0.0.1 --micro-sessions 0:1
micro_case "--micro-sessions: no R" "want S:R,S:R" measure 127.0.0.1 --micro-sessions 1
micro_case "--micro-sessions: trailing comma" "want S:R,S:R" measure 127.0.0.1 --micro-sessions 1:2,
micro_case "--micro-sessions: R above 65535" "want S:R,S:R" measure 127.0.0.1 --micro-sessions 1:65536
micro_case "--micro-sessions: a Sender ID twice" "Sender Micro-session ID 1 twice" \
	measure 127.0.0.1 --micro-sessions 1:0,1:2
micro_case "--micro-sessions: a pair twice" "Sender Micro-session ID 1 twice" \
	measure 127.0.0.1 --micro-sessions 1:7,2:8,1:7
micro_case "--micro-sessions with --sessions" "the micro-sessions are the sessions" \
	measure 127.0.0.1 --micro-sessions 1:0 --sessions 2
micro_case "--micro-sessions without --stamp: light-send needs STAMP (RFC 9534)" \
	"needs --stamp \(RFC 9534\)" light-send 127.0.0.1:862 --micro-sessions 1:0
micro_case "light-send --stamp --micro-sessions with --sessions" "the micro-sessions are the sessions" \
	light-send 127.0.0.1:862 --stamp --micro-sessions 1:0 --sessions 2
for c in measure light-send bench status sessions counters top light sender admin; do
	"$TWINHOP" $c --help >"$TMP/h" 2>&1
	rc=$?
	[ $rc = 0 ] && head -1 "$TMP/h" | grep -q "^usage: twinhop $c" && [ "$(wc -l <"$TMP/h")" -lt 60 ] &&
		ok "$c --help: its own usage" || ko "$c --help (rc $rc)" "$TMP/h"
done
"$TWINHOP" help sessions >"$TMP/h" 2>&1 && head -1 "$TMP/h" | grep -q '^usage: twinhop sessions' &&
	ok "help COMMAND" || ko "help COMMAND" "$TMP/h"

# ---- output against a daemon ----
IPC_CREATE_EXTRA="--ports 1" start_appliance client_cli_human <<CONF
listen 127.0.0.1 $((19100 + $$ % 400))
modes open
allow 0.0.0.0/0
test-ports 23000-23100
fp-timeout 2000
CONF

"$TWINHOP" status >"$TMP/st" 2>&1
grep -Eq '^twinhopd [0-9.]+, up [0-9]+ s$' "$TMP/st" && grep -Eq '^Fast path: +attached \(region /twclient_cli_human-' "$TMP/st" &&
	grep -Eq '^TWAMP-Control: +listening on 127\.0\.0\.1:' "$TMP/st" && grep -Eq '^Sessions: +0$' "$TMP/st" &&
	grep -Eq '^  restarts: +1 attach\(es\), 0 claim\(s\) lost, fp-grace [0-9]+ s' "$TMP/st" &&
	grep -Eq '^  test packets: IP packets of at most 1500 octets' "$TMP/st" &&
	! grep -q '{' "$TMP/st" && ok "status: sentences, no JSON" || ko "status text" "$TMP/st"
"$TWINHOP" status --json >"$TMP/stj" 2>&1 && [ "$(jget "$TMP/stj" "d['fp']['attached']")" = True ] &&
	ok "status --json: the admin reply" || ko "status --json" "$TMP/stj"
"$TWINHOP" sessions >"$TMP/s0" 2>&1 && grep -qx 'No sessions.' "$TMP/s0" && ok "sessions: none" || ko "no sessions" "$TMP/s0"
"$TWINHOP" light add --proto stamp --port 18995 --addr 127.0.0.1 >"$TMP/la" 2>&1
grep -Eqx 'Light/STAMP listener [0-9]+ added\.' "$TMP/la" && ok "light add: a sentence" || ko "light add text" "$TMP/la"
"$TWINHOP" light add --proto light --port 18996 --json >"$TMP/la2" 2>&1
lid=$(jget "$TMP/la2" "d['session']")
[ -n "$lid" ] && ok "light add --json: the reply" || ko "light add --json" "$TMP/la2"
"$TWINHOP" sender add --proto light --peer 127.0.0.1 --peer-port 18995 --local 127.0.0.1 \
	--local-port 40020 --count 3 >"$TMP/sa" 2>&1
sid=$(sed -nE 's/^Sender ([0-9]+) added; start it with: twinhop sender start ([0-9]+)$/\1 \2/p' "$TMP/sa")
[ -n "$sid" ] && [ "${sid% *}" = "${sid#* }" ] && ok "sender add: a sentence with the next step" ||
	ko "sender add text" "$TMP/sa"
sid=${sid% *}
"$TWINHOP" sessions >"$TMP/ss" 2>&1
# a table: a header, one row per session, every column starting where its
# header does (left-aligned) or ending where it does (right-aligned numbers)
python3 - "$TMP/ss" <<'PY' && ok "sessions: aligned table" || ko "sessions table" "$TMP/ss"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
head = lines[0]
assert re.match(r"^ID +KIND +PROTO +STATE +MODE +LOCAL +PEER +RX +TX +DROPS$", head), head
assert len(lines) == 4, lines
for col in ("KIND", "PROTO", "STATE", "MODE", "LOCAL", "PEER"):
    at = head.index(col)
    for l in lines[1:]:
        assert l[at] != " " and l[at - 2:at] == "  ", (col, l)
for col in ("ID", "RX", "TX", "DROPS"):
    end = head.index(col) + len(col)
    for l in lines[1:]:
        assert l[end - 1] != " " and (end == len(l) or l[end] == " "), (col, l)
kinds = sorted(l.split()[1] for l in lines[1:])
assert kinds == ["light", "light", "sender"], kinds
PY
"$TWINHOP" sessions --json >"$TMP/ssj" 2>&1 && [ "$(jget "$TMP/ssj" "len(d['sessions'])")" = 3 ] &&
	ok "sessions --json" || ko "sessions --json" "$TMP/ssj"
"$TWINHOP" sender start "$sid" >"$TMP/o" 2>&1 && grep -qx "Sender $sid started." "$TMP/o" && ok "sender start: a sentence" ||
	ko "sender start" "$TMP/o"
"$TWINHOP" sender stop "$sid" >"$TMP/o" 2>&1 && grep -q "^Sender $sid stopping" "$TMP/o" && ok "sender stop: a sentence" ||
	ko "sender stop" "$TMP/o"
"$TWINHOP" light del "$lid" >"$TMP/o" 2>&1 && grep -qx "Listener $lid deleted." "$TMP/o" && ok "light del: a sentence" ||
	ko "light del" "$TMP/o"
"$TWINHOP" counters >"$TMP/c" 2>&1 && head -1 "$TMP/c" | grep -Eq '^COUNTER +VALUE$' &&
	grep -Eq '^ADMIN_|^CONN_|counters at 0 not shown' "$TMP/c" && ok "counters: a table" || ko "counters" "$TMP/c"
"$TWINHOP" counters --all >"$TMP/ca" 2>&1 && grep -Eq '^CONN_ACCEPTED +0$' "$TMP/ca" && ok "counters --all shows zeros" ||
	ko "counters --all" "$TMP/ca"
"$TWINHOP" counters --fp >"$TMP/f" 2>&1 && head -1 "$TMP/f" | grep -Eq '^COUNTER +lcore 0 +(lcore [0-9]+ +)*TOTAL$' &&
	ok "counters --fp: one column per lcore" || ko "counters --fp" "$TMP/f"
# the fake fast path's port block (twinhop-ipc create --ports 1): a table
# of the ports after the counters, at zero
grep -Eq '^PORT +LINK +STATE +RX PKTS +TX PKTS +RX OCTETS +TX OCTETS +RX MISSED +RX NOMBUF +ERRORS RX/TX$' "$TMP/f" &&
	grep -Eq '^ *0 +- +down +0 +0 +0 +0 +0 +0 +0/0$' "$TMP/f" &&
	ok "counters --fp: a table of the ports" || ko "counters --fp ports" "$TMP/f"
"$TWINHOP" counters --fp --json >"$TMP/fj" 2>&1 && [ -n "$(jget "$TMP/fj" "d['total']['RX_PKTS']")" ] &&
	ok "counters --fp --json" || ko "counters --fp --json" "$TMP/fj"
"$TWINHOP" light del 99999 >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && [ "$(wc -l <"$TMP/e")" = 1 ] && grep -q 'not-found' "$TMP/e" && ok "daemon error: one line, exit 1" ||
	ko "daemon error (rc $rc)" "$TMP/e"
# issue 10: the fast path sends from its own address; light-send without
# --local is refused up front, in one line naming --local (exit 1)
"$TWINHOP" light-send 127.0.0.1:9 --engine fastpath --count 1 >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && [ "$(wc -l <"$TMP/e")" = 1 ] && grep -q -- '--local ADDR' "$TMP/e" &&
	ok "fastpath light-send without --local: one line naming --local" ||
	ko "fastpath light-send without --local (rc $rc)" "$TMP/e"
finish client_cli_human
