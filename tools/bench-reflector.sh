#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark: the twinhop-fp reflector against `dpdk-testpmd
# --forward-mode=5tswap` on the same memif topology, same generator, same
# cores, in one invocation.  Prints the reflector's Tx rate (Mpps) for both
# and the ratio, for open and authenticated mode.  A benchmark, not a test:
# this machine is shared and noisy (dpdk-facts: +-40 % across processes), so
# each figure is the median of RUNS runs and only the ratio means much.
#
#   open: generator = dpdk-testpmd txonly, 83-octet frames (a 41-octet
#         TWAMP payload: sender base 14 + Padding Length 27), UDP 6000->5000.
#   auth: generator = twinhop-fp Session-Sender (mode 2, pad 64, HMAC on
#         every packet), because a reflector drops packets whose HMAC fails.
#
# usage: tools/bench-reflector.sh [BUILD_DIR]   (env: SECS=4 RUNS=3 GEN_CPU=0 REF_CPU=1)
set -u
B=${1:-${TW_BUILD:-/tmp/b-fp}}
FP=$B/app/twinhop-fp
SRC=$(cd "$(dirname "$0")/.." && pwd)
SECS=${SECS:-4}
RUNS=${RUNS:-3}
GEN_CPU=${GEN_CPU:-0}
REF_CPU=${REF_CPU:-1}
TMP=$(mktemp -d /tmp/twh-bench.XXXXXX)
NS=twh-bench$$
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns del $NS 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
[ -x "$FP" ] || { echo "no $FP"; exit 2; }
command -v dpdk-testpmd >/dev/null || { echo "no dpdk-testpmd"; exit 2; }
ip netns add $NS   # the fast path's TAP lives here, not in the host namespace
REF_MAC=02:00:00:00:00:01
GEN_MAC=02:00:00:00:00:02
AES=000102030405060708090a0b0c0d0e0f
HMAC=101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
EAL="--no-huge -m 512 --no-pci --log-level=notice"

profile() { # role mac socket -> file
	local f=$TMP/memif-$1.conf
	sed -e "s#^vdev=.*#vdev=net_memif0,role=$1,id=0,socket=$3,socket-abstract=no,mac=$2#" \
		"$SRC/drivers-config/net_memif.conf" >"$f"
	echo "$f"
}

start_reflector() { # kind mode sock log
	local kind=$1 mode=$2 sock=$3 log=$4
	if [ "$kind" = twinhop ]; then
		local spec="local=198.18.0.2:5000,peer=198.18.0.1:6000"
		if [ "$mode" = auth ]; then spec="$spec,pad=64,sec=auth,aes=$AES,hmac=$HMAC"; else spec="$spec,pad=27"; fi
		ip netns exec $NS "$FP" -l $REF_CPU $EAL --file-prefix twh-br$$ -- \
			--profile "$(profile server $REF_MAC "$sock")" --addr 198.18.0.2/24 --tap twh-b0 \
			--reflector "$spec" --idle-backoff off --counters >"$log" 2>&1 &
	else
		dpdk-testpmd --lcores "0@$REF_CPU,1@$REF_CPU" $EAL --file-prefix twh-br$$ \
			--vdev "net_memif0,role=server,id=0,socket=$sock,socket-abstract=no,mac=$REF_MAC" -- \
			--forward-mode=5tswap --nb-cores=1 --total-num-mbufs=32768 --stats-period=1 >"$log" 2>&1 </dev/null &
	fi
	RP=$!
	PIDS+=($RP)
}

start_generator() { # mode sock log
	local mode=$1 sock=$2 log=$3
	if [ "$mode" = open ]; then
		dpdk-testpmd --lcores "0@$GEN_CPU,1@$GEN_CPU" $EAL --file-prefix twh-bg$$ \
			--vdev "net_memif0,role=client,id=0,socket=$sock,socket-abstract=no,mac=$GEN_MAC" -- \
			--forward-mode=txonly --txpkts=83 --tx-ip=198.18.0.1,198.18.0.2 --tx-udp=6000,5000 \
			--eth-peer=0,$REF_MAC --nb-cores=1 --total-num-mbufs=32768 --stats-period=1 >"$log" 2>&1 </dev/null &
	else
		ip netns exec $NS "$FP" -l $GEN_CPU $EAL --file-prefix twh-bg$$ -- \
			--profile "$(profile client $GEN_MAC "$sock")" --addr 198.18.0.1/24 --tap twh-g0 \
			--sender "local=198.18.0.1:6000,peer=198.18.0.2:5000,mac=$REF_MAC,pad=64,sec=auth,aes=$AES,hmac=$HMAC,interval=100ns,count=0,duration=60s,loss=100ms" \
			--idle-backoff off --max-senders 1 >"$log" 2>&1 &
	fi
	GP=$!
	PIDS+=($GP)
}

# Packets the reflector processed (received and turned around) while the
# generator ran.  A txonly generator never drains its Rx ring, so replies
# back up and are dropped at Tx in both reflectors alike: as in dpdk-facts
# ("txonly generator -> 5tswap reflector, reflector Rx") the figure is the
# reflector's receive-and-process rate over the same window.
rx_count() { # kind log
	if [ "$1" = twinhop ]; then
		awk '$2 == "RX_PKTS" {print $3}' "$2"
	else
		awk '/RX-packets:/ {if ($2 > v) v=$2} END {print v+0}' "$2"
	fi
}

one_run() { # kind mode -> Mpps
	local kind=$1 mode=$2 sock=$TMP/b.sock
	rm -f "$sock"
	start_reflector "$kind" "$mode" "$sock" "$TMP/ref.log"
	local rp=$RP
	sleep 1.5
	start_generator "$mode" "$sock" "$TMP/gen.log"
	local gp=$GP
	sleep "$SECS"
	# Stop the generator first, then the reflector (which prints totals).
	kill -INT "$gp" 2>/dev/null; wait "$gp" 2>/dev/null
	kill -INT "$rp" 2>/dev/null; wait "$rp" 2>/dev/null
	PIDS=()
	cp "$TMP/ref.log" "$TMP/ref-$kind-$mode.log"
	if [ "$kind" = testpmd ]; then
		# per-second Rx-pps of the steady window (non-zero samples), median
		grep -o 'Rx-pps: *[0-9]*' "$TMP/ref.log" | awk '$2 > 0 {print $2}' | sort -n |
			awk '{a[NR]=$1} END {printf "%.2f", (NR ? a[int((NR+1)/2)] : 0)/1e6}'
		return
	fi
	local c
	c=$(rx_count "$kind" "$TMP/ref.log")
	awk -v c="${c:-0}" -v t="$SECS" 'BEGIN{printf "%.2f", c/t/1e6}'
}

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "bench-reflector: memif, generator on cpu $GEN_CPU, reflector on cpu $REF_CPU, ${SECS}s x $RUNS runs"
for mode in open auth; do
	tw=""; tp=""
	for r in $(seq "$RUNS"); do
		one_run twinhop $mode >"$TMP/res"; tw="$tw $(cat "$TMP/res")"
		one_run testpmd $mode >"$TMP/res"; tp="$tp $(cat "$TMP/res")"
	done
	mtw=$(echo "$tw" | median); mtp=$(echo "$tp" | median)
	ratio=$(awk -v a="$mtw" -v b="$mtp" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a"}')
	printf "%-5s twinhop-fp %6s Mpps [%s ]  testpmd-5tswap %6s Mpps [%s ]  ratio %s\n" \
		"$mode" "$mtw" "$tw" "$mtp" "$tp" "$ratio"
done
