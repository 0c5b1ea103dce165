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
# cycles/packet over N-session cycles/packet (goal >= 0.9); it is refused
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
# usage: tools/bench-sessions.sh [BUILD_DIR]
#   env: N=100000 SECS=4 RUNS=3 GEN_CPU=0 REF_CPU=1 MEM=huge REF_MB=512 GEN_MB=256
#        MAX_IDLE=5 FORMAT=md (print only the markdown table rows)
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
NR_HP=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
HP_RESTORE=""
. "$(dirname "$0")/bench-lib.sh"
bench_init bsess /twh-bs$$
bench_cleanup_extra() { [ -n "$HP_RESTORE" ] && echo "$HP_RESTORE" >$NR_HP 2>/dev/null; }
for x in "$FP" "$GEN" "$IPC" "$LOAD"; do [ -x "$x" ] || { echo "no $x"; exit 2; }; done
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

one_run() { # nsess -> "cycles/pkt Mpps idle% pkts/burst", or "fail WHY"
	local n=$1
	rm -f "$TMP/s.sock"
	ip netns exec $NS "$FP" -l $REF_CPU $EAL_R --file-prefix twh-bsr$$ -- \
		--profile "$TMP/p.conf" --addr 198.18.0.2/24 --tap twh-bs0 --shm $SHM --stats-interval 10 \
		--max-sessions 131072 --idle-backoff off --counters >"$TMP/ref.log" 2>&1 &
	local rp=$!
	PIDS+=($rp)
	for _ in $(seq 100); do grep -q READY "$TMP/ref.log" && break; sleep 0.1; done
	"$LOAD" --shm $SHM add-reflectors --n "$n" --local 198.18.0.2 --peer 198.18.0.1 \
		--lport 5000 --pport 10000 --span 50000 >"$TMP/add.log" 2>&1 || { cat "$TMP/add.log" >&2; }
	grep -o "session table:.*" "$TMP/ref.log" >"$TMP/mem"
	"$GEN" -l $GEN_CPU $EAL_G --file-prefix twh-bsg$$ \
		--vdev "net_memif0,role=client,id=0,socket=$TMP/s.sock,socket-abstract=no,rsize=11,mac=$GEN_MAC" -- \
		--dst-mac $REF_MAC --src-ip 198.18.0.1 --dst-ip 198.18.0.2 --sport 10000 --dport 5000 \
		--flows "$n" --span 50000 --pad 27 --seconds $((SECS + 3)) --linger >"$TMP/gen.log" 2>&1 &
	local gp=$!
	PIDS+=($gp)
	for _ in $(seq 200); do grep -q "^GEN 1" "$TMP/gen.log" && break; sleep 0.1; done
	local ta tb a b gw
	ta=$(date +%s.%N); a=$(tw_capacity_sample "$IPC" $SHM)
	sleep "$SECS"
	tb=$(date +%s.%N); b=$(tw_capacity_sample "$IPC" $SHM)
	gen_wait_done "$gp" "$TMP/gen.log" # then the reflector, then the generator (bench-lib.sh)
	kill -INT "$rp" 2>/dev/null; wait "$rp" 2>/dev/null
	gen_finish "$gp"
	PIDS=()
	cp "$TMP/ref.log" "$TMP/ref-$n.log"
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
for mem in $MEM; do
	set_mem "$mem"
	[ "$FORMAT" = md ] || echo "memory backing: $MEMDESC"
	declare -A F=()
	for r in $(seq "$RUNS"); do
		for n in 1 "$N"; do
			out=$(one_run "$n")
			if [ "${out%% *}" = fail ]; then echo "$n sessions run $r: ${out#fail }" >&2; continue; fi
			set -- $out
			F[$n.cpp]+=" $1"; F[$n.mpps]+=" $2"; F[$n.idle]+=" $3"; F[$n.ppb]+=" $4"
		done
	done
	declare -A M=()
	for n in 1 "$N"; do for f in cpp mpps idle; do M[$n.$f]=$(echo "${F[$n.$f]:-}" | median); done; done
	ratio=$(awk -v a="${M[1.cpp]}" -v b="${M[$N.cpp]}" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }')
	why=""
	for n in 1 "$N"; do
		awk -v i="${M[$n.idle]}" -v m="$MAX_IDLE" 'BEGIN { exit !(i == "n/a" || i + 0 > m) }' &&
			why="$why $n-session reflector idle ${M[$n.idle]} % > $MAX_IDLE %;"
	done
	[ -n "$why" ] && ratio="refused:$why"
	if [ "$FORMAT" = md ]; then
		printf "| sessions 1 vs %s (%s) | %s cyc/pkt, %s Mpps | %s cyc/pkt, %s Mpps | %s | idle %s / %s %% | %s |\n" "$N" "$MEMDESC" \
			"${M[$N.cpp]}" "${M[$N.mpps]}" "${M[1.cpp]}" "${M[1.mpps]}" "$ratio" "${M[$N.idle]}" "${M[1.idle]}" "$CPU"
		continue
	fi
	for n in 1 "$N"; do
		printf "%-6s sessions %8s cyc/pkt %7s Mpps  [cyc:%s ] [Mpps:%s ] [idle %%:%s ] [pkts/burst:%s ]\n" "$n" \
			"${M[$n.cpp]}" "${M[$n.mpps]}" "${F[$n.cpp]:-}" "${F[$n.mpps]:-}" "${F[$n.idle]:-}" "${F[$n.ppb]:-}"
	done
	echo "ratio (1-session cyc/pkt / $N-session cyc/pkt): $ratio   ($MEMDESC; CPU: $CPU)"
	echo "memory: $(cat "$TMP/mem")"
	unset F M
done
