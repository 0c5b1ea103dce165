#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# TWAMP-Control set-up latency under a connection flood (issue 8 §1,
# docs/control.md "Connection limits").  Not a test: it prints numbers and
# ratios against a baseline measured in the same invocation.
#
# twinhopd on 127.0.0.1 in a namespace of its own, tests/control/fake_fp as
# the fast path.  Clients from 127.0.3.1-250 (other addresses than the
# flood's) run open-mode set-ups (greeting, Set-Up-Response,
# Request-TW-Session, Accept-Session) at RATE per second in total:
#   baseline      no other connection (default configuration)
#   idle          + N idle connections from 127.0.0.2      (default config)
#   slow          + N connections from 127.0.0.2 sending one octet a second
#   half-open     + N connections from 127.0.0.2 whose peer then vanished
#                   (iptables drops everything from 127.0.0.2: no FIN, no RST)
#   scale         max-connections 15000, per-address 15000: N idle
#                   connections all held, set-ups still served
# usage: tools/bench-control.sh [BUILD_DIR]   (env: N=10000 RATE=2500 SECS=5)
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
N=${N:-10000}
RATE=${RATE:-2500}
SECS=${SECS:-5}
THD=$BUILD/control/daemon/twinhopd
FAKE=$BUILD/tests/control/fake_fp
GEN=$BUILD/tools/twh-bench-control
[ "$(id -u)" = 0 ] || { echo "bench-control: run as root (namespace, iptables)"; exit 2; }
for x in "$THD" "$FAKE" "$GEN"; do [ -x "$x" ] || { echo "not built: $x"; exit 2; }; done
. tools/bench-lib.sh
bench_init bctl /twh-bctl$$
# The load generator holds N descriptors, twinhopd up to 15000 + 64.
ulimit -n "$(ulimit -Hn)" || { echo "bench-control: cannot raise ulimit -n"; exit 2; }
nsx() { ip netns exec "$NS" "$@"; }
ip netns add "$NS" || exit 2
nsx ip link set lo up || exit 2
PORT=8862

"$FAKE" "$SHM" >"$TMP/fp.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do grep -q READY "$TMP/fp.log" && break; sleep 0.1; done
grep -q READY "$TMP/fp.log" || { echo "fake fast path did not start"; exit 1; }

THD_PID=
start_thd() { # extra directives...
	{
		echo "listen 127.0.0.1 $PORT"
		echo "fp-region $SHM"
		echo "admin-socket $TMP/admin.sock"
		echo "log-level warning"
		for l in "$@"; do echo "$l"; done
	} >"$TMP/thd.conf"
	ip netns exec "$NS" "$THD" -f "$TMP/thd.conf" 2>>"$TMP/thd.log" &
	THD_PID=$!
	PIDS+=($THD_PID)
	for _ in $(seq 100); do
		nsx ss -Htln "sport = :$PORT" | grep -q . && break
		sleep 0.1
	done
	sleep 1 # attach to the fast path
}
stop_thd() { kill "$THD_PID"; wait "$THD_PID" 2>/dev/null; }

HOLD_PID=
hold() { # idle|slow
	ip netns exec "$NS" "$GEN" hold 127.0.0.2 127.0.0.1 $PORT "$N" "$1" >"$TMP/hold.out" 2>"$TMP/hold.err" &
	HOLD_PID=$!
	PIDS+=($HOLD_PID)
	for _ in $(seq 300); do grep -q HELD "$TMP/hold.out" && break; sleep 0.1; done
	HELD=$(grep HELD "$TMP/hold.out" || echo "HELD ? real ?")
}
unhold() { kill "$HOLD_PID"; wait "$HOLD_PID" 2>/dev/null; }

declare -A P50 P99 OK RATEO
run() { # name
	local out
	out=$(nsx "$GEN" setups 127.0.3 127.0.0.1 $PORT "$RATE" "$SECS")
	echo "  $1: $out${2:+ ($2)}"
	OK[$1]=$(awk '{print $3}' <<<"$out")
	RATEO[$1]=$(awk '{print $11}' <<<"$out")
	P50[$1]=$(awk '{print $13}' <<<"$out")
	P99[$1]=$(awk '{print $17}' <<<"$out")
}

CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
echo "bench-control: $N connections from 127.0.0.2, set-ups from 127.0.3.1-250 at $RATE/s for $SECS s"
echo "CPU: $CPU ($(nproc) cores), load average $(cut -d' ' -f1-3 /proc/loadavg)"

start_thd
run baseline
hold idle
run idle "$HELD"
unhold
hold slow
run slow "$HELD"
unhold
hold idle
nsx iptables -A INPUT -s 127.0.0.2 -j DROP || { echo "iptables failed"; exit 1; }
run half-open "$HELD, then silent"
nsx iptables -D INPUT -s 127.0.0.2 -j DROP
unhold
stop_thd

start_thd "max-connections 15000" "max-connections-per-address 15000" "setup-timeout 3600"
hold idle
run scale "$HELD"
unhold
stop_thd

echo
printf '%-10s %8s %10s %10s %12s %12s\n' run ok "rate/s" "p50 ms" "p50/base" "p99/base"
for r in baseline idle slow half-open scale; do
	printf '%-10s %8s %10s %10s %12s %12s\n' "$r" "${OK[$r]}" "${RATEO[$r]%/s}" "${P50[$r]}" \
		"$(awk -v a="${P50[$r]}" -v b="${P50[baseline]}" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')" \
		"$(awk -v a="${P99[$r]}" -v b="${P99[baseline]}" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
done
