#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Profile: where the twinhop-fp open reflector spends its CPU time per
# packet, by function, from `perf record -e cpu-clock` on its lcore thread
# (this VM has no hardware PMU; cpu-clock sampling works), under the same
# memif topology and open-loop generator as tools/bench-reflector.sh.
# A profile, not a test, and not a capacity figure (docs/performance.md).
#
# The figure is on-CPU nanoseconds per packet: the cpu-clock periods perf
# recorded for a function (time the thread was running there) divided by
# the packets the reflector received in the same window (RX_PKTS from its
# shared-memory counters).  Unlike busy cycles per packet, it does not grow
# when the thread is preempted, so it compares builds even on a shared
# machine; functions of the per-packet path (fp_lcore_rx_burst and what it
# calls) count only packet work, while the loop and the memif PMD also
# include the empty polls of an idle share, so their figures are upper
# bounds.  With BASE_BUILD the two builds alternate run by run and the
# medians are printed side by side.
#
# N=100000 profiles the many-sessions case of tools/bench-sessions.sh
# instead (issue 9 §5): N open reflector sessions programmed through the
# IPC ring by twh-ipc-load, the generator spreading its packets over all
# of them.  MEM=huge backs both processes with 2 MB hugepages
# (--in-memory), as bench-sessions.sh does by default; the default is
# --no-huge.
#
# TESTPMD=1 (one session only) adds `dpdk-testpmd --forward-mode=5tswap`
# as a third reflector under the same generator, profiled the same way
# (its received packets from "show fwd stats all"): the §2 baseline's
# cycles split between the memif PMD and 5tswap's own work, beside ours.
#
# usage: tools/profile-reflector.sh [BUILD_DIR]
#   env: SECS=4 RUNS=3 GEN_CPU=0 REF_CPU=1 BASE_BUILD=DIR KEEP=1 N=1 MEM=nohuge
#        TESTPMD=0
set -u
B=${1:-${TW_BUILD:-build}}
SRC=$(cd "$(dirname "$0")/.." && pwd)
SECS=${SECS:-4}
RUNS=${RUNS:-3}
GEN_CPU=${GEN_CPU:-0}
REF_CPU=${REF_CPU:-1}
BASE_BUILD=${BASE_BUILD:-}
N=${N:-1}
MEM=${MEM:-nohuge}
TESTPMD=${TESTPMD:-0}
# GEN_ZC=1 (the default with TESTPMD=1): the generator is a zero-copy memif
# client in 2 MB hugepages, as in bench-reflector.sh, so that it outruns
# testpmd too (a reflector it leaves idle spends the rest in empty polls,
# which the memif row then counts per packet)
GEN_ZC=${GEN_ZC:-$TESTPMD}
KINDS="twinhop${BASE_BUILD:+ base}"
if [ "$TESTPMD" = 1 ]; then
	[ "$N" -gt 1 ] && { echo "TESTPMD=1 profiles one session only (N=1)" >&2; exit 2; }
	command -v dpdk-testpmd >/dev/null || { echo "no dpdk-testpmd (tools/install-deps.sh installs dpdk)" >&2; exit 2; }
	KINDS="$KINDS testpmd"
fi
. "$(dirname "$0")/bench-lib.sh"
bench_init prof /twh-pr$$
for d in "$B" ${BASE_BUILD:+"$BASE_BUILD"}; do
	for x in app/twinhop-fp app/twinhop-benchgen tools/twinhop-ipc \
		$([ "$N" -gt 1 ] && echo tests/system/twh-ipc-load); do
		[ -x "$d/$x" ] || { echo "no $d/$x" >&2; exit 2; }
	done
done
command -v perf >/dev/null || { echo "no perf (tools/install-deps.sh installs linux-perf)" >&2; exit 2; }
set -e
ip netns add $NS
set +e
REF_MAC=02:00:00:00:00:01
GEN_MAC=02:00:00:00:00:02
EAL="--no-huge -m 512 --no-pci --log-level=notice"
EAL_G=$EAL
if [ "$MEM" = huge ]; then
	EAL="--in-memory --socket-mem 512 --no-pci --log-level=notice"
	EAL_G="--in-memory --socket-mem 256 --no-pci --log-level=notice"
fi
GEN_VDEV_EXTRA=""
if [ "$GEN_ZC" = 1 ]; then
	# 512 MB of 2 MB pages for the generator, and 512 MB more for the
	# reflector with MEM=huge: say so now rather than "sent nothing" later
	need=256
	[ "$MEM" = huge ] && need=512
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	if [ "${free:-0}" -lt "$need" ]; then
		echo "profile-reflector: the zero-copy generator needs $need free 2 MB hugepages, $free are free (raise vm.nr_hugepages, or GEN_ZC=0)" >&2
		exit 2
	fi
	EAL_G="--in-memory --single-file-segments --socket-mem 512 --no-pci --log-level=notice"
	GEN_VDEV_EXTRA=",zero-copy=yes"
fi
# one session given on the command line, or N programmed through the IPC
# ring (tools/bench-sessions.sh's flows: peer port 10000 + i % 50000,
# local port 5000 + i / 50000)
if [ "$N" -gt 1 ]; then
	SESS_ARGS="--max-sessions 131072"
	GEN_ARGS="--sport 10000 --dport 5000 --flows $N --span 50000"
else
	SESS_ARGS="--reflector local=198.18.0.2:5000,peer=198.18.0.1:6000,pad=27"
	GEN_ARGS="--sport 6000 --dport 5000"
fi

# the busiest thread of a process: its lcore
busiest_thread() { ps -L -o tid=,pcpu= -p "$1" | sort -k2 -g -r | awk 'NR == 1 {print $1}'; }

# the generator of bench-reflector.sh, towards the reflector's socket
start_gen() { # build out sock
	"$1/app/twinhop-benchgen" -l $GEN_CPU $EAL_G --file-prefix twh-pg$$ \
		--vdev "net_memif0,role=client,id=0,socket=$3,socket-abstract=no,rsize=11,mac=$GEN_MAC$GEN_VDEV_EXTRA" -- \
		--dst-mac $REF_MAC --src-ip 198.18.0.1 --dst-ip 198.18.0.2 $GEN_ARGS \
		--seconds $((SECS + 3)) --pad 27 --linger >"$2/gen.log" 2>&1 &
	GP=$!
	PIDS+=($GP)
	for _ in $(seq 200); do grep -q "^GEN 1" "$2/gen.log" && return 0; sleep 0.1; done
	return 1
}

# the perf report of a run as "period dso symbol" lines
periods() { # out
	perf report -i "$1/perf.data" --no-children --sort dso,sym -F period,dso,sym --stdio -g none \
		2>/dev/null | awk '/^ +[0-9]+ / { print $1, $2, $NF }' >"$1/periods"
}

run_abort() { # why: a failed run stops its processes before the next run
	echo "$1" >&2
	exec 7>&-
	kill "${PIDS[@]}" 2>/dev/null
	wait "${PIDS[@]}" 2>/dev/null
	PIDS=()
}

# testpmd 5tswap on the reflector's CPU, driven through a FIFO as in
# bench-reflector.sh; received packets = its forwarding statistics over
# the profiled window
one_run_testpmd() { # out
	local out=$1 sock=$TMP/p.sock ok=""
	rm -f "$sock" "$TMP/tp.fifo"
	mkfifo "$TMP/tp.fifo"
	ip netns exec $NS stdbuf -oL dpdk-testpmd --lcores "0@$GEN_CPU,1@$REF_CPU" $EAL --file-prefix twh-pr$$ \
		--vdev "net_memif0,role=server,id=0,socket=$sock,socket-abstract=no,rsize=11,mac=$REF_MAC" -- -i \
		--forward-mode=5tswap --nb-cores=1 --total-num-mbufs=32768 <"$TMP/tp.fifo" >"$out/ref.log" 2>&1 &
	local rp=$!
	PIDS=($rp)
	exec 7>"$TMP/tp.fifo"
	echo start >&7
	for _ in $(seq 100); do grep -qas "Checking link" "$out/ref.log" && { ok=1; break; }; sleep 0.1; done
	[ -z "$ok" ] && { run_abort "testpmd run: it did not start (KEEP=1 $out)"; return 1; }
	sleep 0.5
	start_gen "$B" "$out" "$sock" || { run_abort "testpmd run: generator sent nothing"; return 1; }
	local gp=$GP tid
	# the forwarding lcore: DPDK's worker thread (the main lcore waits in
	# read(); its start-up work would make it the busiest on average)
	tid=$(ps -L -o tid=,comm= -p $rp | awk '$2 ~ /^(rte|lcore)-worker/ {print $1; exit}')
	[ -z "$tid" ] && { run_abort "testpmd run: no worker thread"; return 1; }
	echo "clear fwd stats all" >&7
	perf record -q -e cpu-clock -t "$tid" -o "$out/perf.data" -- sleep "$SECS" >"$out/perf.log" 2>&1
	echo "show fwd stats all" >&7
	for _ in $(seq 50); do grep -aqs "Accumulated forward" "$out/ref.log" && break; sleep 0.1; done
	sleep 0.2
	gen_wait_done $gp "$out/gen.log"
	echo quit >&7
	exec 7>&-
	wait $rp 2>/dev/null
	gen_finish $gp
	PIDS=()
	# the accumulated block: RX-packets of the window
	awk '/Accumulated forward/ { acc = 1 } acc && /RX-packets:/ && !rx { rx = $2 } END { print rx + 0 }' \
		"$out/ref.log" >"$out/rx"
	[ "$(cat "$out/rx")" -gt 0 ] || { echo "testpmd run: no forwarding statistics (KEEP=1 $out)" >&2; return 1; }
	periods "$out"
}

# one run -> $TMP/<kind>-<run>/{periods,rx}
one_run() { # kind run
	local kind=$1 out=$TMP/$1-$2 b=$B sock=$TMP/p.sock
	[ "$kind" = base ] && b=$BASE_BUILD
	mkdir -p "$out"
	[ "$kind" = testpmd ] && { one_run_testpmd "$out"; return; }
	rm -f "$sock"
	sed -e "s#^vdev=.*#vdev=net_memif0,role=server,id=0,socket=$sock,socket-abstract=no,rsize=11,mac=$REF_MAC#" \
		"$SRC/drivers-config/net_memif.conf" >"$out/ref.conf"
	ip netns exec $NS "$b/app/twinhop-fp" -l $REF_CPU $EAL --file-prefix twh-pr$$ -- \
		--profile "$out/ref.conf" --addr 198.18.0.2/24 --tap twh-p0 --shm $SHM --stats-interval 10 \
		$SESS_ARGS --idle-backoff off >"$out/ref.log" 2>&1 &
	local rp=$!
	PIDS=($rp)
	local ok=""
	for _ in $(seq 100); do grep -qs READY "$out/ref.log" && { ok=1; break; }; sleep 0.1; done
	[ -z "$ok" ] && { run_abort "$kind run $2: reflector did not start (KEEP=1 $out)"; return 1; }
	if [ "$N" -gt 1 ]; then
		"$b/tests/system/twh-ipc-load" --shm $SHM add-reflectors --n "$N" --local 198.18.0.2 \
			--peer 198.18.0.1 --lport 5000 --pport 10000 --span 50000 --pad 27 \
			>"$out/add.log" 2>&1 || { cat "$out/add.log" >&2; run_abort "$kind run $2: adding $N sessions failed (above)"; return 1; }
	fi
	sleep 0.5
	start_gen "$b" "$out" "$sock" || { run_abort "$kind run $2: generator sent nothing"; return 1; }
	local gp=$GP
	# the lcore thread: the busiest thread of the reflector
	local tid
	tid=$(busiest_thread $rp)
	local a b2
	a=$(tw_capacity_sample "$b/tools/twinhop-ipc" $SHM)
	perf record -q -e cpu-clock -t "$tid" -o "$out/perf.data" -- sleep "$SECS" >"$out/perf.log" 2>&1
	b2=$(tw_capacity_sample "$b/tools/twinhop-ipc" $SHM)
	gen_wait_done $gp "$out/gen.log" # then the reflector, then the generator (bench-lib.sh)
	kill -INT $rp 2>/dev/null
	wait $rp 2>/dev/null
	gen_finish $gp
	PIDS=()
	echo $(( ${b2%% *} - ${a%% *} )) >"$out/rx"
	# period = cpu-clock nanoseconds
	periods "$out"
}

# periods -> "group ns/pkt" lines: the per-packet functions by name, the
# rest by group
groups() { # dir
	awk -v rx="$(cat "$1/rx")" '
	{ p = $1; dso = $2; sym = $3; tot += p
	  if (sym ~ /^(fp_lcore_rx_burst|fp_reflect_session|fp_reflect_late_t3|fp_reflect_fu_tx|fp_crypto_burst_begin|fp_crypto_burst_end|reflect|fp_sess_lookup)$/)
		{ g[sym] += p; pp += p }
	  else if (dso ~ /rte_hash/ || sym ~ /rte_hash/) { g["rte_hash (lookup)"] += p; pp += p }
	  else if (dso ~ /memif/) g["memif PMD (rx+tx, and empty polls)"] += p
	  else if (dso ~ /testpmd/) g["testpmd: 5tswap and its loop (and empty polls)"] += p
	  else if (dso ~ /twinhop-fp/) g["loop and other twinhop-fp (and empty polls)"] += p
	  else g["other (kernel, libc, ld.so)"] += p }
	END { if (rx <= 0) exit
	      for (k in g) printf "%s\t%.1f\n", k, g[k] / rx
	      if (pp > 0) printf "per-packet path (the rows above the loop)\t%.1f\n", pp / rx
	      printf "total on-CPU\t%.1f\n", tot / rx }' "$1/periods"
}

median() { sort -g | awk '{a[NR]=$1} END {print NR ? a[int((NR+1)/2)] : "n/a"}'; }
echo "profile-reflector: memif open, $N session(s), memory $MEM, twinhop-benchgen on cpu $GEN_CPU$([ "$GEN_ZC" = 1 ] && echo " (zero-copy)"), reflector on cpu $REF_CPU, ${SECS}s x $RUNS runs${BASE_BUILD:+, interleaved with $BASE_BUILD}"
echo "CPU: $(lscpu | awk -F: '/^Model name/ {gsub(/^ +/, "", $2); print $2; exit}'); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$RUNS"); do
	for k in $KINDS; do
		one_run $k $r || continue
		echo "$k run $r: $(cat "$TMP/$k-$r/rx") packets in the window ($(awk -v n="$(cat "$TMP/$k-$r/rx")" -v s="$SECS" 'BEGIN { printf "%.2f", n / s / 1e6 }') Mpps)" >&2
		groups "$TMP/$k-$r" >"$TMP/$k-$r/groups"
	done
done
printf "\non-CPU ns per received packet, median of %s runs:\n" "$RUNS"
printf "%-46s %10s%s%s\n" "function / group" "this build" "${BASE_BUILD:+      base}" \
	"$([ "$TESTPMD" = 1 ] && echo "   testpmd")"
cut -f1 "$TMP"/*/groups 2>/dev/null | sort -u | while IFS= read -r g; do
	line=$(printf "%-46s" "$g")
	for k in $KINDS; do
		m=$(for r in $(seq "$RUNS"); do awk -F'\t' -v g="$g" '$1 == g {print $2}' "$TMP/$k-$r/groups" 2>/dev/null; done | median)
		line="$line $(printf "%10s" "$m")"
	done
	echo "$line"
done
