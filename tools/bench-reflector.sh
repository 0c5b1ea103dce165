#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark: the twinhop-fp reflector against `dpdk-testpmd
# --forward-mode=5tswap` on the same memif topology, with the same
# generator, the same core pinning, in one invocation.  A benchmark, not a
# test: this machine is shared and noisy (dpdk-facts: +-40 % across
# processes), so every figure is the median of RUNS runs, the two reflectors
# alternate run by run, and only the ratio means much.
#
# Generator (both reflectors, both modes): twinhop-benchgen, a memif client
# on GEN_CPU that transmits TWAMP-Test sender packets as fast as it can AND
# drains its Rx queue every iteration, so replies never back up into the
# reflector's Tx ring (the old txonly generator never read its Rx queue).
#   open: 83-octet frames, a 41-octet TWAMP payload (sender base 14 +
#         Padding 27), session pad=27, so replies are 41 octets too.
#   auth: 154-octet frames, a mode-2 (authenticated) sender packet with
#         Padding 64, protected with the session's test keys, so every
#         packet passes the reflector's HMAC check: twinhop-fp does the
#         real verify + reflect + protect work (DROP_BAD_HMAC stays 0 and
#         is printed).  testpmd just swaps the same frames.
#
# Measurement, identical for both reflectors: the reflector's OWN
# transmitted-packet counter, sampled once per second while the generator
# runs, as per-second rates; the figure of a run is the median of its
# per-second rates (first and last second dropped).
#   testpmd:    --stats-period 1 "Tx-pps" of its port (its own TX counter);
#   twinhop-fp: TX_PKTS from the shared-memory counters (--shm, published
#               every 50 ms), read by `twinhop-ipc counters` once a second.
# As a cross-check, the generator's own Rx rate (replies that came back) is
# measured the same way for both and printed as "gen-rx".
#
# usage: tools/bench-reflector.sh [BUILD_DIR]
#   env: SECS=5 RUNS=3 GEN_CPU=0 REF_CPU=1 MODES="open auth" KEEP=1
set -u
B=${1:-${TW_BUILD:-/tmp/b-fp}}
FP=$B/app/twinhop-fp
GEN=$B/app/twinhop-benchgen
IPC=$B/tools/twinhop-ipc
SRC=$(cd "$(dirname "$0")/.." && pwd)
SECS=${SECS:-5}
RUNS=${RUNS:-3}
GEN_CPU=${GEN_CPU:-0}
REF_CPU=${REF_CPU:-1}
MODES=${MODES:-open auth}
. "$(dirname "$0")/bench-lib.sh"
bench_init bench /twh-br$$
for x in "$FP" "$GEN" "$IPC"; do [ -x "$x" ] || { echo "no $x"; exit 2; }; done
command -v dpdk-testpmd >/dev/null || { echo "no dpdk-testpmd"; exit 2; }
ip netns add $NS # the fast path's TAP lives here, not in the host namespace
REF_MAC=02:00:00:00:00:01
GEN_MAC=02:00:00:00:00:02
AES=000102030405060708090a0b0c0d0e0f
HMAC=101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
EAL="--no-huge -m 512 --no-pci --log-level=notice"

profile() { # role mac socket -> file
	local f=$TMP/memif-$1.conf
	sed -e "s#^vdev=.*#vdev=net_memif0,role=$1,id=0,socket=$3,socket-abstract=no,rsize=11,mac=$2#" \
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
			--shm $SHM --stats-interval 50 \
			--reflector "$spec" --idle-backoff off --counters >"$log" 2>&1 &
	else
		dpdk-testpmd --lcores "0@$REF_CPU,1@$REF_CPU" $EAL --file-prefix twh-br$$ \
			--vdev "net_memif0,role=server,id=0,socket=$sock,socket-abstract=no,rsize=11,mac=$REF_MAC" -- \
			--forward-mode=5tswap --nb-cores=1 --total-num-mbufs=32768 --stats-period=1 >"$log" 2>&1 </dev/null &
	fi
	RP=$!
	PIDS+=($RP)
}

start_generator() { # mode sock log secs
	local mode=$1 sock=$2 log=$3 secs=$4 extra=""
	[ "$mode" = auth ] && extra="--sec auth --aes $AES --hmac $HMAC --pad 64" || extra="--pad 27"
	"$GEN" -l $GEN_CPU $EAL --file-prefix twh-bg$$ \
		--vdev "net_memif0,role=client,id=0,socket=$sock,socket-abstract=no,rsize=11,mac=$GEN_MAC" -- \
		--dst-mac $REF_MAC --src-ip 198.18.0.1 --dst-ip 198.18.0.2 --sport 6000 --dport 5000 \
		--seconds "$secs" $extra >"$log" 2>&1 &
	GP=$!
	PIDS+=($GP)
}

# median of the numbers on stdin (one per line), after dropping the first
# and the last (partial seconds)
steady_median() {
	awk '{a[NR]=$1} END {
		if (NR > 2) { n = 0; for (i = 2; i < NR; i++) b[++n] = a[i] } else { n = NR; for (i = 1; i <= NR; i++) b[i] = a[i] }
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
		printf "%.3f", n ? b[int((n + 1) / 2)] / 1e6 : 0 }'
}

# per-second rates from "time cumulative" lines
rates() { awk 'NR > 1 && $1 > t { printf "%.0f\n", ($2 - c) / ($1 - t) } { t = $1; c = $2 }'; }

tw_tx() { "$IPC" --shm $SHM counters 2>/dev/null | awk '$1 == "total" && $2 == "TX_PKTS" {print $3}'; }

one_run() { # kind mode -> "ref_mpps gen_mpps"
	local kind=$1 mode=$2 sock=$TMP/b.sock
	rm -f "$sock"
	start_reflector "$kind" "$mode" "$sock" "$TMP/ref.log"
	local rp=$RP
	for _ in $(seq 50); do
		if [ "$kind" = twinhop ]; then grep -qs READY "$TMP/ref.log" && break; else grep -qs "Press enter\|Checking link" "$TMP/ref.log" && break; fi
		sleep 0.1
	done
	sleep 0.5
	start_generator "$mode" "$sock" "$TMP/gen.log" $((SECS + 3))
	local gp=$GP
	for _ in $(seq 50); do grep -q GENREADY "$TMP/gen.log" && break; sleep 0.1; done
	sleep 1
	: >"$TMP/samples"
	if [ "$kind" = twinhop ]; then
		for _ in $(seq $((SECS + 2))); do
			echo "$(date +%s.%N) $(tw_tx)" >>"$TMP/samples"
			sleep 1
		done
	else
		sleep $((SECS + 2))
	fi
	wait "$gp" 2>/dev/null
	kill -INT "$rp" 2>/dev/null; wait "$rp" 2>/dev/null
	PIDS=()
	cp "$TMP/ref.log" "$TMP/ref-$kind-$mode.log"
	cp "$TMP/gen.log" "$TMP/gen-$kind-$mode.log"
	local ref gen
	if [ "$kind" = twinhop ]; then
		ref=$(rates <"$TMP/samples" | steady_median)
		HM=$(awk '$2 == "DROP_BAD_HMAC" {print $3}' "$TMP/ref.log")
		echo "${HM:-0}" >>"$TMP/hmac-$mode"
	else
		ref=$(grep -o 'Tx-pps: *[0-9]*' "$TMP/ref.log" | awk '$2 > 0 {print $2}' | steady_median)
	fi
	gen=$(awk '$1 == "GEN" {sub("rx=", "", $4); print $2, $4}' "$TMP/gen.log" | rates | steady_median)
	echo "$ref $gen"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "bench-reflector: memif, twinhop-benchgen on cpu $GEN_CPU, reflector on cpu $REF_CPU, ${SECS}s x $RUNS runs each"
echo "figure = median over runs of the median per-second Tx rate from the reflector's own counter"
for mode in $MODES; do
	tw=""; tp=""; twg=""; tpg=""
	for r in $(seq "$RUNS"); do
		set -- $(one_run twinhop $mode); tw="$tw $1"; twg="$twg $2"
		set -- $(one_run testpmd $mode); tp="$tp $1"; tpg="$tpg $2"
	done
	mtw=$(echo "$tw" | median); mtp=$(echo "$tp" | median)
	mtwg=$(echo "$twg" | median); mtpg=$(echo "$tpg" | median)
	ratio=$(awk -v a="$mtw" -v b="$mtp" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a"}')
	gratio=$(awk -v a="$mtwg" -v b="$mtpg" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a"}')
	printf "%-5s twinhop-fp %7s Mpps [%s ]  testpmd-5tswap %7s Mpps [%s ]  ratio %s\n" \
		"$mode" "$mtw" "$tw" "$mtp" "$tp" "$ratio"
	printf "%-5s   gen-rx:  twinhop-fp %7s Mpps [%s ]  testpmd-5tswap %7s Mpps [%s ]  ratio %s\n" \
		"$mode" "$mtwg" "$twg" "$mtpg" "$tpg" "$gratio"
	[ -f "$TMP/hmac-$mode" ] && [ "$mode" = auth ] &&
		echo "auth    twinhop-fp DROP_BAD_HMAC per run: $(tr '\n' ' ' <"$TMP/hmac-$mode")(must be 0)"
done
