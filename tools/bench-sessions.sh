#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark: twinhop-fp reflector rate with 1 session vs 100,000 sessions,
# in one invocation.  In both cases the sessions are programmed through the
# IPC ring by tests/system/twh-ipc-load (as twinhopd would), and the same
# generator (twinhop-benchgen, memif client, drains its Rx) sends open
# TWAMP packets: to the one session, or spread over all N sessions (flow i
# = peer port 10000 + i % 50000, local port 5000 + i / 50000, visited with
# a large stride so consecutive packets hit unrelated table entries).
# Figure: median per-second Tx rate from the reflector's own TX_PKTS
# counter (shm), median of RUNS runs; the cases alternate run by run.
# Also prints the table's memory per session slot.
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

steady_median() {
	awk '{a[NR]=$1} END {
		if (NR > 2) { n = 0; for (i = 2; i < NR; i++) b[++n] = a[i] } else { n = NR; for (i = 1; i <= NR; i++) b[i] = a[i] }
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
		printf "%.3f", n ? b[int((n + 1) / 2)] / 1e6 : 0 }'
}
rates() { awk 'NR > 1 && $1 > t { printf "%.0f\n", ($2 - c) / ($1 - t) } { t = $1; c = $2 }'; }
tw_tx() { "$IPC" --shm $SHM counters 2>/dev/null | awk '$1 == "total" && $2 == "TX_PKTS" {print $3}'; }

one_run() { # nsess -> Mpps
	local n=$1
	rm -f "$TMP/s.sock"
	ip netns exec $NS "$FP" -l $REF_CPU $EAL_R --file-prefix twh-bsr$$ -- \
		--profile "$TMP/p.conf" --addr 198.18.0.2/24 --tap twh-bs0 --shm $SHM --stats-interval 50 \
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
		--flows "$n" --span 50000 --pad 27 --seconds $((SECS + 3)) >"$TMP/gen.log" 2>&1 &
	local gp=$!
	PIDS+=($gp)
	for _ in $(seq 50); do grep -q GENREADY "$TMP/gen.log" && break; sleep 0.1; done
	sleep 1
	: >"$TMP/samples"
	for _ in $(seq $((SECS + 2))); do
		echo "$(date +%s.%N) $(tw_tx)" >>"$TMP/samples"
		sleep 1
	done
	wait "$gp" 2>/dev/null
	kill -INT "$rp" 2>/dev/null; wait "$rp" 2>/dev/null
	PIDS=()
	cp "$TMP/ref.log" "$TMP/ref-$n.log"
	awk '$2 ~ /DROP_NOT|DROP_BAD|EXC_TO_KERNEL/ {printf "%s=%s ", $2, $3}' "$TMP/ref.log" >&2
	rates <"$TMP/samples" | steady_median
}
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "bench-sessions: memif, generator cpu $GEN_CPU, reflector cpu $REF_CPU, ${SECS}s x $RUNS runs, 1 vs $N sessions"
for mem in $MEM; do
	set_mem "$mem"
	echo "memory backing: $MEMDESC"
	one=""; many=""
	for r in $(seq "$RUNS"); do
		one="$one $(one_run 1)"
		many="$many $(one_run "$N")"
	done
	m1=$(echo "$one" | median); mn=$(echo "$many" | median)
	printf "1 session      %7s Mpps [%s ]\n%-6s sessions %7s Mpps [%s ]  ratio %s   (%s)\n" "$m1" "$one" "$N" "$mn" "$many" \
		"$(awk -v a="$mn" -v b="$m1" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a"}')" "$MEMDESC"
	echo "memory: $(cat "$TMP/mem")"
done
