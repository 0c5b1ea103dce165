#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark: how accurately the twinhop-fp Session-Sender keeps its send
# schedule (issue 9 §4), on one lcore, into net_null (the port drops
# everything, so nothing but the sender's own loop is measured).
#
# For each INTERVAL (default 1us = 1 Mpps) it runs the sender periodic and
# then Poisson (RFC 3432: exponential gaps of the same mean), RUNS times,
# interleaved, each a fresh process with --sched-stats: twinhop-fp records
# for every packet (actual Tx TSC - scheduled TSC), where the actual Tx TSC
# is the read right before the packet is encoded (its T1), and prints at exit
#   - the schedule error: p50, p99, p99.9, max (goal: p99 <= 1 us);
#   - the gaps between packets: mean, p1, p50, p99, max;
#   - Poisson only: the Kolmogorov-Smirnov statistic D of the gaps sent
#     against the exponential of the same mean, of the gaps the schedule
#     drew (the generator alone), and the 5 % critical value 1.358/sqrt(n).
# There is no testpmd figure: testpmd's txonly has no schedule (it sends as
# fast as it can).  The baseline is the platform's floor instead, taken
# right after each sender run on the same CPU (twh-bench-tscfloor): a bare
# TSC loop records when the CPU was taken away (hypervisor preemption,
# interrupts), and a zero-cost sender with the same schedule is replayed
# over that record.  No sender on that CPU can beat its error; the last
# lines give both medians.  An error far above the interval means the loop
# fell behind (then it sends the backlog back to back).
#
# usage: tools/bench-sched.sh [BUILD_DIR]
#   env: INTERVALS="1us" COUNT=1000000 RUNS=3 CPU=1 KEEP=1
set -eu
B=${1:-${TW_BUILD:-build}}
FP=$B/app/twinhop-fp
SRC=$(cd "$(dirname "$0")/.." && pwd)
INTERVALS=${INTERVALS:-1us}
COUNT=${COUNT:-1000000}
RUNS=${RUNS:-3}
CPU=${CPU:-1}
. "$(dirname "$0")/bench-lib.sh"
bench_init bsch
FLOOR=$B/tools/twh-bench-tscfloor
for x in "$FP" "$FLOOR"; do [ -x "$x" ] || { echo "no $x" >&2; exit 2; }; done
ip netns add "$NS" # the fast path's TAP lives here
EAL="--no-huge -m 512 --no-pci --log-level=notice"

one_run() { # interval sched -> the "sched:" lines
	local log=$TMP/run.log
	ip netns exec "$NS" "$FP" -l "$CPU" $EAL --file-prefix "twh-bsch$$" -- \
		--profile "$SRC/drivers-config/net_null.conf" --addr 198.18.0.1/24 --tap twh-bsch0 \
		--sender "local=198.18.0.1:6000,peer=198.18.0.2:5000,mac=02:00:00:00:00:01,pad=27,count=$COUNT,interval=$1,sched=$2,loss=100ms" \
		--idle-backoff off --exit-when-done --sched-stats "$COUNT" >"$log" 2>&1 &
	local p=$!
	PIDS+=($p)
	wait "$p" || { echo "twinhop-fp failed:" >&2; tail -5 "$log" >&2; exit 1; }
	PIDS=()
	grep '^sched:' "$log"
}

echo "bench-sched: twinhop-fp Session-Sender into net_null, one lcore on cpu $CPU, $COUNT packets per run, $RUNS runs"
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "testpmd: no figure (txonly has no schedule)"
ns_of() { # 1us, 500ns, 2ms -> nanoseconds
	case $1 in
	*ns) echo "${1%ns}" ;;
	*us) echo $((${1%us} * 1000)) ;;
	*ms) echo $((${1%ms} * 1000000)) ;;
	*) echo "interval $1: give ns, us or ms" >&2; exit 2 ;;
	esac
}
for iv in $INTERVALS; do
	for r in $(seq "$RUNS"); do
		for sched in periodic poisson; do
			echo "--- interval $iv, $sched, run $r"
			one_run "$iv" "$sched" | tee -a "$TMP/ours.$iv.$sched"
			echo "--- the same schedule on a bare TSC loop (platform floor), run $r"
			"$FLOOR" "$CPU" "$(awk -v c="$COUNT" -v i="$(ns_of "$iv")" 'BEGIN {print c * i / 1e9}')" \
				"$(ns_of "$iv")" "$sched" | tee -a "$TMP/floor.$iv.$sched"
		done
	done
done
med() { grep 'error_ns' "$2" | grep -o " $1=[0-9.]*" | cut -d= -f2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "=== medians over $RUNS runs: schedule error p99 in us, twinhop-fp / platform floor (goal: p99 <= 1 us)"
for iv in $INTERVALS; do
	for sched in periodic poisson; do
		o=$(med p99 "$TMP/ours.$iv.$sched") f=$(med p99 "$TMP/floor.$iv.$sched")
		echo "interval $iv $sched: p99 $(awk -v x="$o" 'BEGIN {printf "%.2f", x / 1000}') / $(awk -v x="$f" 'BEGIN {printf "%.2f", x / 1000}') us" \
			"(twinhop-fp above the floor: $(awk -v x="$o" -v y="$f" 'BEGIN {printf "%.2f", (x - y) / 1000}') us);" \
			"p50 $(awk -v x="$(med p50 "$TMP/ours.$iv.$sched")" 'BEGIN {printf "%.3f", x / 1000}') / $(awk -v x="$(med p50 "$TMP/floor.$iv.$sched")" 'BEGIN {printf "%.3f", x / 1000}') us"
	done
done
