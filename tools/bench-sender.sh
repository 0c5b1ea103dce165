#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark: the Session-Sender at 1 Mpps (INTERVAL=1000 ns, the smallest
# interval the IPC contract allows) over memif against a twinhop-fp
# reflector, programmed and drained through the IPC ring by
# tests/system/twh-ipc-load (as twinhopd would).  Shows that every packet
# sent has a result record delivered to control, or is counted: records
# delivered == results_sent, and results_sent + results_dropped == sent +
# late + dup (nothing silent).  The driver exits non-zero otherwise.
#
# RUNS runs (fresh processes each); the last line gives the median rate.
#
# usage: tools/bench-sender.sh [BUILD_DIR]
#   env: INTERVAL=1000 COUNT=3000000 RUNS=3 SND_CPU=0 REF_CPU=1
set -u
B=${1:-${TW_BUILD:-/tmp/b-fp}}
FP=$B/app/twinhop-fp
LOAD=$B/tests/system/twh-ipc-load
SRC=$(cd "$(dirname "$0")/.." && pwd)
INTERVAL=${INTERVAL:-1000}
COUNT=${COUNT:-3000000}
RUNS=${RUNS:-3}
SND_CPU=${SND_CPU:-0}
REF_CPU=${REF_CPU:-1}
. "$(dirname "$0")/bench-lib.sh"
bench_init bsnd /twh-bsn$$
for x in "$FP" "$LOAD"; do [ -x "$x" ] || { echo "no $x"; exit 2; }; done
ip netns add $NS
REF_MAC=02:00:00:00:00:01
SND_MAC=02:00:00:00:00:02
EAL="--no-huge -m 512 --no-pci --log-level=notice"
conf() { sed -e "s#^vdev=.*#vdev=net_memif0,role=$1,id=0,socket=$TMP/s.sock,socket-abstract=no,rsize=11,mac=$2#" \
	"$SRC/drivers-config/net_memif.conf" >"$TMP/$1.conf"; echo "$TMP/$1.conf"; }
one_run() {
rm -f "$TMP/s.sock" /dev/shm$SHM
: >"$TMP/ref.log"
: >"$TMP/snd.log" # exists before the READY poll below (no grep error)
ip netns exec $NS "$FP" -l $REF_CPU $EAL --file-prefix twh-bnr$$ -- --profile "$(conf server $REF_MAC)" \
	--addr 198.18.0.2/24 --tap twh-bn0 --reflector "local=198.18.0.2:5000,peer=198.18.0.1:6000,pad=27" \
	--idle-backoff off --counters >"$TMP/ref.log" 2>&1 &
RP=$!
PIDS+=($RP)
sleep 1
ip netns exec $NS "$FP" -l $SND_CPU $EAL --file-prefix twh-bns$$ -- --profile "$(conf client $SND_MAC)" \
	--addr 198.18.0.1/24 --tap twh-bn1 --shm $SHM --idle-backoff off --counters --linger >"$TMP/snd.log" 2>&1 &
SP=$!
PIDS+=($SP)
for _ in $(seq 100); do grep -q READY "$TMP/snd.log" && break; sleep 0.1; done
sleep 1 # memif link up
"$LOAD" --shm $SHM sender --local 198.18.0.1:6000 --peer 198.18.0.2:5000 --mac $REF_MAC \
	--interval "$INTERVAL" --count "$COUNT" --pad 27 --id 42 | tee -a "$TMP/results"
local rc=${PIPESTATUS[0]}
# the sender stops polling and lingers (--linger) until the reflector has
# gone: neither end polls while the other closes ("Stopping a memif pair")
kill -INT $SP
for _ in $(seq 100); do grep -qs '^LINGER' "$TMP/snd.log" && break; kill -0 $SP 2>/dev/null || break; sleep 0.1; done
kill -INT $RP; wait $RP 2>/dev/null
local rrc=$?
for _ in $(seq 50); do kill -0 $SP 2>/dev/null || break; sleep 0.1; done
kill -INT $SP 2>/dev/null; wait $SP 2>/dev/null
PIDS=()
echo "sender fast-path counters:"; grep counter "$TMP/snd.log" | sed 's/^/  /'
# where replies were lost on the way back, if any
echo "reflector fast-path counters (exit status $rrc):"
grep -E 'counter (RX_PKTS|TX_PKTS|REFLECTED|DROP_[A-Z_]+) ' "$TMP/ref.log" | sed 's/^/  /'
[ "$rrc" = 0 ] || rc=1
echo "delivery check: $([ $rc = 0 ] && echo OK || echo FAILED)"
return $rc
}

echo "bench-sender: interval ${INTERVAL} ns, $COUNT packets, sender cpu $SND_CPU, reflector cpu $REF_CPU, $RUNS runs"
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
for r in $(seq "$RUNS"); do
	echo "run $r:"
	one_run || rc=1
done
med() { grep -o "$1=[0-9.]*" "$TMP/results" | cut -d= -f2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# rate: packets sent over the send window (first to last T1); scheduled:
# the same with the packets the port refused (DROP_TX_FULL: the memif ring
# was full because the reflector's process was not polling), which took
# their slot of the schedule.
echo "median rate: $(med rate) Mpps sent, $(med scheduled) Mpps scheduled (sent + refused by the port), over $RUNS runs; delivery $([ $rc = 0 ] && echo OK || echo FAILED) in every run"
exit $rc
