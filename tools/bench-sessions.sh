#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark: twinhop-fp reflector rate with 1 session vs 100,000 sessions,
# in one invocation.  In both cases the sessions are programmed through the
# IPC ring by tests/system/twh-ipc-load (as twinhopd would), and the same
# generator (twinhop-benchgen, memif client, drains its Rx) sends open
# TWAMP packets: to the one session, or spread over all N sessions (flow i
# = peer port 10000 + i % 50000, local port 5000 + i / 50000, visited with
# a large stride so consecutive packets hit unrelated table entries).
# Figure: cycles per packet while saturated (BUSY_CYCLES / RX_PKTS from
# the reflector's shared-memory counters over a SECS window,
# docs/performance.md), and the reflected rate beside it; medians of RUNS
# runs, the cases alternating run by run.  The ratio is 1-session
# cycles/packet over N-session cycles/packet (goal >= 0.9), the median of
# each run's own ratio (its two windows go back to back); it is refused
# when the reflector was idle more than MAX_IDLE % of a window (the
# generator did not saturate it).  Also prints the table's memory per
# session slot.
#
# Memory: MEM="huge" (default) backs both processes with 2 MB hugepages
# (--in-memory, REF_MB/GEN_MB each): the 100k-session table then costs few
# TLB misses.  Free hugepages are used if there are enough; otherwise the
# script tries to raise vm.nr_hugepages (and puts it back at exit); if that
# fails too it falls back to --no-huge and says so.  MEM="nohuge" forces
# --no-huge; MEM="huge nohuge" runs both, one after the other.
#
# BASE_BUILD=DIR adds DIR's twinhop-fp (e.g. a build of main) as a second
# reflector, alternating with this build run by run, with the same
# generator; it prints both builds' figures and the A/B ratios (base
# cycles/packet ÷ ours, >= 1: ours is no slower).
#
# usage: tools/bench-sessions.sh [BUILD_DIR]
#   env: N=100000 SECS=4 RUNS=3 GEN_CPU=0 REF_CPU=1 MEM=huge REF_MB=512 GEN_MB=256
#        MAX_IDLE=5 FORMAT=md (print only the markdown table rows) BASE_BUILD=DIR
set -u
B=${1:-${TW_BUILD:-/tmp/b-fp}}
FP=$B/app/twinhop-fp
GEN=$B/app/twinhop-benchgen
IPC=$B/tools/twinhop-ipc
LOAD=$B/tests/system/twh-ipc-load
SRC=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-100000}
SECS=${SECS:-4}
RUNS=${RUNS:-3}
GEN_CPU=${GEN_CPU:-0}
REF_CPU=${REF_CPU:-1}
MEM=${MEM:-huge}
MAX_IDLE=${MAX_IDLE:-5}
FORMAT=${FORMAT:-text}
REF_MB=${REF_MB:-512}
GEN_MB=${GEN_MB:-256}
BASE_BUILD=${BASE_BUILD:-}
KINDS="twinhop${BASE_BUILD:+ base}"
NR_HP=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
HP_RESTORE=""
. "$(dirname "$0")/bench-lib.sh"
bench_init bsess /twh-bs$$
bench_cleanup_extra() { [ -n "$HP_RESTORE" ] && echo "$HP_RESTORE" >$NR_HP 2>/dev/null; }
for x in "$FP" "$GEN" "$IPC" "$LOAD" ${BASE_BUILD:+"$BASE_BUILD/app/twinhop-fp" "$BASE_BUILD/tools/twinhop-ipc" "$BASE_BUILD/tests/system/twh-ipc-load"}; do
	[ -x "$x" ] || { echo "no $x"; exit 2; }
done
ip netns add $NS
REF_MAC=02:00:00:00:00:01
GEN_MAC=02:00:00:00:00:02

# use_huge: 0 if enough free 2 MB pages are (or could be made) available
use_huge() {
	local need=$(((REF_MB + GEN_MB) / 2 + 16)) free total
	mountpoint -q /dev/hugepages || return 1
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	[ "${free:-0}" -ge $need ] && return 0
	total=$(cat $NR_HP 2>/dev/null) || return 1
	[ -z "$HP_RESTORE" ] && HP_RESTORE=$total
	echo $((total + need - free)) >$NR_HP 2>/dev/null
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	[ "${free:-0}" -ge $need ]
}
set_mem() { # huge|nohuge -> EAL, EAL_G, MEMDESC
	if [ "$1" = huge ] && use_huge; then
		EAL_G="--in-memory --socket-mem $GEN_MB --no-pci --log-level=notice"
		EAL_R="--in-memory --socket-mem $REF_MB --no-pci --log-level=user1,info"
		MEMDESC="2 MB hugepages"
	else
		[ "$1" = huge ] && echo "no hugepages available: falling back to --no-huge"
		EAL_G="--no-huge -m 768 --no-pci --log-level=notice"
		EAL_R="--no-huge -m 768 --no-pci --log-level=user1,info"
		MEMDESC="--no-huge"
	fi
}
sed -e "s#^vdev=.*#vdev=net_memif0,role=server,id=0,socket=$TMP/s.sock,socket-abstract=no,rsize=11,mac=$REF_MAC#" \
	"$SRC/drivers-config/net_memif.conf" >"$TMP/p.conf"

one_run() { # nsess [kind] -> "cycles/pkt Mpps idle% pkts/burst", or "fail WHY"
	local n=$1 fp=$FP ipc=$IPC load=$LOAD
	if [ "${2:-}" = base ]; then
		fp=$BASE_BUILD/app/twinhop-fp ipc=$BASE_BUILD/tools/twinhop-ipc
		load=$BASE_BUILD/tests/system/twh-ipc-load
	fi
	rm -f "$TMP/s.sock"
	ip netns exec $NS "$fp" -l $REF_CPU $EAL_R --file-prefix twh-bsr$$ -- \
		--profile "$TMP/p.conf" --addr 198.18.0.2/24 --tap twh-bs0 --shm $SHM --stats-interval 10 \
		--max-sessions 131072 --idle-backoff off --counters >"$TMP/ref.log" 2>&1 &
	local rp=$!
	PIDS+=($rp)
	for _ in $(seq 100); do grep -q READY "$TMP/ref.log" && break; sleep 0.1; done
	"$load" --shm $SHM add-reflectors --n "$n" --local 198.18.0.2 --peer 198.18.0.1 \
		--lport 5000 --pport 10000 --span 50000 >"$TMP/add.log" 2>&1 || { cat "$TMP/add.log" >&2; }
	grep -o "session table:.*" "$TMP/ref.log" >"$TMP/mem-${2:-twinhop}"
	"$GEN" -l $GEN_CPU $EAL_G --file-prefix twh-bsg$$ \
		--vdev "net_memif0,role=client,id=0,socket=$TMP/s.sock,socket-abstract=no,rsize=11,mac=$GEN_MAC" -- \
		--dst-mac $REF_MAC --src-ip 198.18.0.1 --dst-ip 198.18.0.2 --sport 10000 --dport 5000 \
		--flows "$n" --span 50000 --pad 27 --seconds $((SECS + 3)) --linger >"$TMP/gen.log" 2>&1 &
	local gp=$!
	PIDS+=($gp)
	for _ in $(seq 200); do grep -q "^GEN 1" "$TMP/gen.log" && break; sleep 0.1; done
	local ta tb a b gw
	ta=$(date +%s.%N); a=$(tw_capacity_sample "$ipc" $SHM)
	sleep "$SECS"
	tb=$(date +%s.%N); b=$(tw_capacity_sample "$ipc" $SHM)
	gen_wait_done "$gp" "$TMP/gen.log" # then the reflector, then the generator (bench-lib.sh)
	kill -INT "$rp" 2>/dev/null; wait "$rp" 2>/dev/null
	gen_finish "$gp"
	PIDS=()
	cp "$TMP/ref.log" "$TMP/ref-$n${2:+-$2}.log"
	awk '$2 ~ /DROP_NOT|DROP_BAD|EXC_TO_KERNEL/ {printf "%s=%s ", $2, $3}' "$TMP/ref.log" >&2
	gw=$(gen_window "$TMP/gen.log")
	[ -z "$gw" ] && { echo "fail generator printed no GENWIN"; return; }
	set -- $gw
	tw_capacity "$ta" "$tb" "$2" "$a" "$b"
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print NR ? a[int((NR+1)/2)] : "n/a"}'; }
CPU=$(lscpu | awk -F: '/^Model name/ {gsub(/^ +/, "", $2); print $2; exit}')

[ "$FORMAT" = md ] || {
	echo "bench-sessions: memif, generator cpu $GEN_CPU, reflector cpu $REF_CPU, ${SECS}s x $RUNS runs, 1 vs $N sessions"
	echo "CPU: $CPU"
}
# kind -> its ratio (1-session cyc/pkt ÷ N-session): the median of the run
# pairs' own ratios (bench_pair_ratio), or a refusal
kind_ratio() {
	local k=$1 n why=""
	for n in 1 "$N"; do
		awk -v i="${M[$k.$n.idle]}" -v m="$MAX_IDLE" 'BEGIN { exit !(i == "n/a" || i + 0 > m) }' &&
			why="$why $n-session reflector idle ${M[$k.$n.idle]} % > $MAX_IDLE %;"
	done
	if [ -n "$why" ]; then echo "refused:$why"; return; fi
	bench_pair_ratio "$RUNS" "${F[$k.1.cpp]:-}" "${F[$k.$N.cpp]:-}"
}
# kind -> each run's own ratio, 1-session ÷ N-session cycles/packet
pair_ratios() { bench_run_ratios "$RUNS" "${F[$1.1.cpp]:-}" "${F[$1.$N.cpp]:-}"; }
for mem in $MEM; do
	set_mem "$mem"
	[ "$FORMAT" = md ] || echo "memory backing: $MEMDESC${BASE_BUILD:+; base build $BASE_BUILD interleaved}"
	declare -A F=()
	for r in $(seq "$RUNS"); do
		for k in $KINDS; do
			for n in 1 "$N"; do
				out=$(one_run "$n" "$k")
				if [ "${out%% *}" = fail ]; then echo "$k $n sessions run $r: ${out#fail }" >&2; continue; fi
				set -- $out
				F[$k.$n.cpp]+=" $1"; F[$k.$n.mpps]+=" $2"; F[$k.$n.idle]+=" $3"; F[$k.$n.ppb]+=" $4"
			done
		done
	done
	declare -A M=()
	for k in $KINDS; do for n in 1 "$N"; do for f in cpp mpps idle; do
		M[$k.$n.$f]=$(echo "${F[$k.$n.$f]:-}" | median)
	done; done; done
	ratio=$(kind_ratio twinhop)
	if [ "$FORMAT" = md ]; then
		printf "| sessions 1 vs %s (%s) | %s cyc/pkt, %s Mpps | %s cyc/pkt, %s Mpps | %s | idle %s / %s %% | %s |\n" "$N" "$MEMDESC" \
			"${M[twinhop.$N.cpp]}" "${M[twinhop.$N.mpps]}" "${M[twinhop.1.cpp]}" "${M[twinhop.1.mpps]}" "$ratio (run by run:$(pair_ratios twinhop))" \
			"${M[twinhop.$N.idle]}" "${M[twinhop.1.idle]}" "$CPU"
		[ -n "$BASE_BUILD" ] && printf "| base build, sessions 1 vs %s (%s) | %s cyc/pkt, %s Mpps | %s cyc/pkt, %s Mpps | %s | idle %s / %s %% | %s |\n" "$N" "$MEMDESC" \
			"${M[base.$N.cpp]}" "${M[base.$N.mpps]}" "${M[base.1.cpp]}" "${M[base.1.mpps]}" "$(kind_ratio base)" \
			"${M[base.$N.idle]}" "${M[base.1.idle]}" "$CPU"
		unset F M
		continue
	fi
	for k in $KINDS; do
		for n in 1 "$N"; do
			printf "%-7s %-6s sessions %8s cyc/pkt %7s Mpps  [cyc:%s ] [Mpps:%s ] [idle %%:%s ] [pkts/burst:%s ]\n" "$k" "$n" \
				"${M[$k.$n.cpp]}" "${M[$k.$n.mpps]}" "${F[$k.$n.cpp]:-}" "${F[$k.$n.mpps]:-}" "${F[$k.$n.idle]:-}" "${F[$k.$n.ppb]:-}"
		done
	done
	echo "ratio (1-session cyc/pkt / $N-session cyc/pkt, median of the run pairs): $ratio   ($MEMDESC; CPU: $CPU)"
	echo "ratio run by run:$(pair_ratios twinhop)"
	if [ -n "$BASE_BUILD" ]; then
		echo "base build ratio: $(kind_ratio base)   run by run:$(pair_ratios base)"
		for n in 1 "$N"; do
			echo "A/B $n session(s): base cyc/pkt / ours = $(bench_pair_ratio "$RUNS" "${F[base.$n.cpp]:-}" "${F[twinhop.$n.cpp]:-}") (>= 1: ours no slower)"
		done
	fi
	echo "memory: $(cat "$TMP/mem-twinhop")"
	[ -n "$BASE_BUILD" ] && echo "base build memory: $(cat "$TMP/mem-base")"
	unset F M
done
