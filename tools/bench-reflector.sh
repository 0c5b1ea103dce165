#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark: the capacity of the twinhop-fp reflector against `dpdk-testpmd
# --forward-mode=5tswap` on the same topology, with the same frames from the
# same generator, on the same core, in one invocation (docs/performance.md).
# A benchmark, not a test: this machine is shared and noisy, so the two
# reflectors alternate run by run, every figure is the median of RUNS runs
# (a ratio: the median of the ratios of the run pairs, bench_pair_ratio),
# and only the ratio from one invocation means much.
#
# The figure is CPU cycles per packet while the reflector is saturated:
#   twinhop-fp: BUSY_CYCLES / RX_PKTS from its shared-memory counters
#               (cycles of the loop iterations that carried packets);
#   testpmd:    its --record-core-cycles "CPU cycles/packet" (cycles of the
#               forwarding calls that carried packets), over the same window
#               ("clear fwd stats all" ... "show fwd stats all" on its
#               command line, fed through a FIFO).
# Cycles per packet only mean capacity when the reflector never waits for
# the generator, so for each reflector the script prints the generator's
# offered rate, the reflector's busy share of the window (busy cycles /
# window cycles) and its packets per Rx burst (32 = a full burst every
# time; testpmd's --record-burst-stats line), and it REFUSES to print a
# ratio when a reflector was idle more than MAX_IDLE % (5) of the window.
# The reflected rate (Mpps, from the reflector's own Tx counter) is printed
# beside it.
#
# Generator: twinhop-benchgen on GEN_CPU.  Pre-built frames held in mbufs,
# sent by reference (refcount), no per-packet writes; it drains its Rx queue
# every iteration so replies never back up into the reflector's Tx.
#   open: 83-octet frames, a 41-octet TWAMP payload (sender base 14 +
#         Padding 27), session pad=27, so replies are 41 octets too.
#   auth: 154-octet frames, a mode-2 sender packet with Padding 64,
#         protected with the session's keys: twinhop-fp does the real
#         verify + reflect + protect work (DROP_BAD_HMAC must stay 0).
#   light: the open frames to a stateful TWAMP Light listener
#         (--light-port 5000) instead of a session: its peer table and
#         own count per sender.
#   stamp: 86-octet frames, a 44-octet open STAMP sender packet (SSID 0, no
#         TLVs), to a stateful STAMP listener (--light-port 5000:stamp).
#   lightpad: 156-octet frames (Padding 100) to the TWAMP Light listener,
#         as routers send them: the reply keeps 73 octets of the padding,
#         so the reflector updates the request's UDP checksum (RFC 1624)
#         instead of summing the reply.
# Topologies (TOPO): memif (generator = memif client, reflector = server,
#   --no-huge) or afxdp (both on net_af_xdp, copy mode, over a veth pair
#   between two namespaces; the kernel does most of the work there).
#
# usage: tools/bench-reflector.sh [BUILD_DIR]
#   env: SECS=4 RUNS=3 GEN_CPU=0 REF_CPU=1 TOPO=memif
#        MODES="open auth" (any of open auth light stamp lightpad)
#        MAX_IDLE=5 KEEP=1 FORMAT=md (print only the markdown table rows)
#        FP_ARGS="--crypto openssl" (more options for BUILD_DIR's twinhop-fp)
#   BASE_BUILD=DIR adds a third reflector, DIR's twinhop-fp (an older
#   build), interleaved with the other two: an A/B of a code change with
#   testpmd as the common baseline (tools/bench-all.sh uses it for the
#   reflector context struct of issue 11).
#   A BUILD_DIR configured with -Dfp_stages=true adds twinhop-fp's per-stage
#   cycles/packet (rx, parse, lookup, reflect, checksum, crypto, tx, other);
#   its timer reads cost cycles too, so compare its total with a normal build.
set -u
B=${1:-${TW_BUILD:-build}}
FP=$B/app/twinhop-fp
GEN=${GEN:-$B/app/twinhop-benchgen}
IPC=$B/tools/twinhop-ipc
SRC=$(cd "$(dirname "$0")/.." && pwd)
SECS=${SECS:-4}
RUNS=${RUNS:-3}
GEN_CPU=${GEN_CPU:-0}
REF_CPU=${REF_CPU:-1}
MODES=${MODES:-open auth}
TOPO=${TOPO:-memif}
MAX_IDLE=${MAX_IDLE:-5}
FORMAT=${FORMAT:-text}
BASE_BUILD=${BASE_BUILD:-}
KINDS="twinhop testpmd${BASE_BUILD:+ base}"
. "$(dirname "$0")/bench-lib.sh"
bench_init bench /twh-br$$
for x in "$FP" "$GEN" "$IPC" ${BASE_BUILD:+"$BASE_BUILD/app/twinhop-fp" "$BASE_BUILD/tools/twinhop-ipc"}; do [ -x "$x" ] || { echo "no $x" >&2; exit 2; }; done
command -v dpdk-testpmd >/dev/null || { echo "no dpdk-testpmd" >&2; exit 2; }
set -e
ip netns add $NS # the reflectors (and the fast path's TAP) live here
REF_MAC=02:00:00:00:00:01
GEN_MAC=02:00:00:00:00:02
AES=000102030405060708090a0b0c0d0e0f
HMAC=101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
(umask 077 && printf 'aes1 %s\nhmac1 %s\n' $AES $HMAC >"$TMP/keys")
EAL="--no-huge -m 512 --no-pci --log-level=notice"
# memif: the generator is a zero-copy client (GEN_ZC=1, the default):
# its mbufs, in 2 MB hugepages, are the shared buffers, so it copies no
# frame either way.  As a copying client on --no-huge memory it offered at
# most 6-9 Mpps and left testpmd 5-12 % idle, so the ratio was refused (or,
# worse, taken against a testpmd slowed by copies into 4 KiB pages):
# zero-copy it offers 13-16 Mpps.  Both reflectors copy from and into the
# generator's hugepage buffers then, which makes both faster
# (docs/performance.md, "The generator's memory").  GEN_ZC=0: the old one.
GEN_ZC=${GEN_ZC:-1}
GEN_EAL_ZC="--in-memory --single-file-segments --socket-mem 512 --no-pci --log-level=notice"
if [ "$TOPO" = memif ] && [ "$GEN_ZC" = 1 ]; then
	hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
	hp_free() { awk '/HugePages_Free/ {print $2}' /proc/meminfo; }
	if mountpoint -q /dev/hugepages && [ "$(hp_free)" -lt 272 ] && [ -w $hp ]; then
		echo $(($(cat $hp) + 272 - $(hp_free))) >$hp # kept: other benches use them too
	fi
	if ! mountpoint -q /dev/hugepages || [ "$(hp_free)" -lt 272 ]; then
		echo "bench-reflector: fewer than 272 free 2 MB hugepages: the generator copies (GEN_ZC=0)"
		GEN_ZC=0
	fi
fi
GNS=""
if [ "$TOPO" = afxdp ]; then
	GNS=twh-bg$$
	VR=twbr$$; VG=twbg$$
	ip netns add $GNS
	bench_cleanup_extra() { ip netns del "$GNS" 2>/dev/null; }
	ip link add $VR netns $NS type veth peer name $VG netns $GNS
	for p in "$NS $VR $REF_MAC" "$GNS $VG $GEN_MAC"; do
		set -- $p
		ip -n $1 link set $2 address $3
		ip netns exec $1 sysctl -qw net.ipv6.conf.$2.disable_ipv6=1
		ip netns exec $1 sysctl -qw net.ipv4.ip_early_demux=0
		ip netns exec $1 sysctl -qw net.ipv4.conf.all.rp_filter=1
		ip netns exec $1 ethtool -K $2 tx off rx off gro off tso off >/dev/null
		ip -n $1 link set $2 up
	done
elif [ "$TOPO" != memif ]; then
	echo "TOPO must be memif or afxdp" >&2
	exit 2
fi
set +e

# The reflector's and the generator's device, by topology.
ref_vdev() { # sock
	if [ "$TOPO" = memif ]; then
		echo "net_memif0,role=server,id=0,socket=$1,socket-abstract=no,rsize=11,mac=$REF_MAC"
	else
		echo "net_af_xdp0,iface=$VR,start_queue=0,queue_count=1"
	fi
}
gen_vdev() { # sock
	if [ "$TOPO" = memif ]; then
		echo "net_memif0,role=client,id=0,socket=$1,socket-abstract=no,rsize=11,mac=$GEN_MAC$([ "$GEN_ZC" = 1 ] && echo ,zero-copy=yes)"
	else
		echo "net_af_xdp0,iface=$VG,start_queue=0,queue_count=1"
	fi
}
profile() { # sock -> file
	local f=$TMP/ref.conf
	if [ "$TOPO" = memif ]; then
		sed -e "s#^vdev=.*#vdev=$(ref_vdev "$1")#" "$SRC/drivers-config/net_memif.conf" >"$f"
	else
		sed -e "s#\${iface}#$VR#" "$SRC/drivers-config/net_af_xdp.conf" >"$f"
	fi
	echo "$f"
}

start_reflector() { # kind mode sock log
	local kind=$1 mode=$2 sock=$3 log=$4
	if [ "$kind" != testpmd ]; then
		local fp=$FP
		local extra=${FP_ARGS:-}
		[ "$kind" = base ] && fp=$BASE_BUILD/app/twinhop-fp && extra=""
		local spec="local=198.18.0.2:5000,peer=198.18.0.1:6000" keys=""
		# twinhop-fp reads its test keys from a key file, never argv; open
		# mode passes none, so the A/B's older binaries (before --key-file)
		# run it too
		if [ "$mode" = auth ]; then
			spec="$spec,pad=64,sec=auth,aes=aes1,hmac=hmac1" keys="--key-file $TMP/keys"
		else
			spec="$spec,pad=27"
		fi
		# light/stamp: a stateful listener on the port instead of a
		# session (one peer, whose count it keeps: fp_peers)
		local refl=(--reflector "$spec")
		[ "$mode" = light ] || [ "$mode" = lightpad ] && refl=(--light-port 5000)
		[ "$mode" = stamp ] && refl=(--light-port 5000:stamp)
		ip netns exec $NS "$fp" -l $REF_CPU $EAL --file-prefix twh-br$$ -- \
			--profile "$(profile "$sock")" --addr 198.18.0.2/24 --tap twh-b0 \
			--shm $SHM --stats-interval 10 $keys \
			"${refl[@]}" --idle-backoff off --counters $extra >"$log" 2>&1 &
	else
		rm -f "$TMP/tp.fifo"
		mkfifo "$TMP/tp.fifo"
		# line-buffered, so the script can wait for each answer; the
		# main lcore only reads commands (asleep in read()), the
		# forwarding lcore is on REF_CPU
		ip netns exec $NS stdbuf -oL dpdk-testpmd --lcores "0@$GEN_CPU,1@$REF_CPU" $EAL --file-prefix twh-br$$ \
			--vdev "$(ref_vdev "$sock")" -- -i \
			--forward-mode=5tswap --nb-cores=1 --total-num-mbufs=32768 \
			--record-core-cycles --record-burst-stats <"$TMP/tp.fifo" >"$log" 2>&1 &
		exec 7>"$TMP/tp.fifo"
		echo start >&7
	fi
	RP=$!
	PIDS+=($RP)
}

start_generator() { # mode sock log secs
	local mode=$1 sock=$2 log=$3 secs=$4 extra="" pre=""
	# memif only: its peer-disconnect race (bench-lib.sh, gen_wait_done)
	local linger=""
	[ "$TOPO" = memif ] && linger=--linger
	case $mode in
	auth) extra="--sec auth --aes $AES --hmac $HMAC --pad 64" ;;
	stamp) extra="--stamp" ;;
	lightpad) extra="--pad 100" ;;
	*) extra="--pad 27" ;;
	esac
	[ -n "$GNS" ] && pre="ip netns exec $GNS"
	local geal=$EAL
	[ "$TOPO" = memif ] && [ "$GEN_ZC" = 1 ] && geal=$GEN_EAL_ZC
	$pre "$GEN" -l $GEN_CPU $geal --file-prefix twh-bg$$ --vdev "$(gen_vdev "$sock")" -- \
		--dst-mac $REF_MAC --src-ip 198.18.0.1 --dst-ip 198.18.0.2 --sport 6000 --dport 5000 \
		--seconds "$secs" $linger $extra >"$log" 2>&1 &
	GP=$!
	PIDS+=($GP)
}

now_s() { date +%s.%N; }

tw_sample() { tw_capacity_sample "$1" $SHM; } # IPC tool of the build under test

# One run -> "cycles/pkt Mpps idle% pkts/burst offered_Mpps bad_hmac", or
# "fail WHY"
one_run() { # kind mode
	local kind=$1 mode=$2 sock=$TMP/b.sock ok=""
	rm -f "$sock"
	: >"$TMP/ref.log"
	start_reflector "$kind" "$mode" "$sock" "$TMP/ref.log"
	local rp=$RP
	for _ in $(seq 100); do
		if [ "$kind" != testpmd ]; then grep -qs READY "$TMP/ref.log" && ok=1; else grep -qas "Checking link" "$TMP/ref.log" && ok=1; fi
		[ -n "$ok" ] && break
		sleep 0.1
	done
	[ -z "$ok" ] && { echo "fail reflector did not start ($kind, see KEEP=1 $TMP)"; return; }
	sleep 0.5
	start_generator "$mode" "$sock" "$TMP/gen.log" $((SECS + 3))
	local gp=$GP
	ok=""
	for _ in $(seq 200); do grep -qs "^GEN 1" "$TMP/gen.log" && { ok=1; break; }; sleep 0.1; done
	[ -z "$ok" ] && { echo "fail generator sent nothing for 20 s"; return; }
	local ta tb a b
	if [ "$kind" != testpmd ]; then
		local ipc=$IPC
		[ "$kind" = base ] && ipc=$BASE_BUILD/tools/twinhop-ipc
		ta=$(now_s); a=$(tw_sample "$ipc")
		sleep "$SECS"
		tb=$(now_s); b=$(tw_sample "$ipc")
	else
		ta=$(now_s); echo "clear fwd stats all" >&7
		sleep "$SECS"
		tb=$(now_s); echo "show fwd stats all" >&7
		for _ in $(seq 50); do grep -aqs "CPU cycles/packet\|Accumulated forward" "$TMP/ref.log" && break; sleep 0.1; done
		sleep 0.2
	fi
	gen_wait_done "$gp" "$TMP/gen.log" # then the reflector, then the generator (bench-lib.sh)
	if [ "$kind" != testpmd ]; then
		kill -INT "$rp" 2>/dev/null
	else
		echo quit >&7
		exec 7>&-
	fi
	wait "$rp" 2>/dev/null
	gen_finish "$gp"
	PIDS=()
	cp "$TMP/ref.log" "$TMP/ref-$kind-$mode.log"
	cp "$TMP/gen.log" "$TMP/gen-$kind-$mode.log"
	# the generator's window and TSC rate: offered rate, and the window in cycles
	local gw hz offered
	gw=$(gen_window "$TMP/gen.log")
	[ -z "$gw" ] && { echo "fail generator printed no GENWIN"; return; }
	set -- $gw
	offered=$1 hz=$2
	if [ "$kind" != testpmd ]; then
		local hm c
		hm=$(awk '$2 == "DROP_BAD_HMAC" {print $3}' "$TMP/ref.log")
		c=$(tw_capacity "$ta" "$tb" "$hz" "$a" "$b")
		[ "${c%% *}" = fail ] && { echo "$c"; return; }
		echo "$c $offered ${hm:-0}"
	else
		# the last "show fwd stats all" block: cycles line, burst line, TX-packets
		awk -v ta="$ta" -v tb="$tb" -v hz="$hz" -v off="$offered" '
			/Forward statistics for port/ { blk++ }
			blk == 1 && /RX-bursts/ && !bl { bl = $0; sub(/.*\[/, "", bl); sub(/\].*/, "", bl); gsub(/ /, "_", bl) }
			blk == 1 && /Accumulated/ { acc = 1 }
			blk == 1 && acc && /TX-packets:/ && !tx { tx = $2 }
			blk == 1 && /CPU cycles\/packet=/ && !cpp {
				s = $0; sub(/.*packet=/, "", s); cpp = s + 0
				s = $0; sub(/.*total cycles=/, "", s); cyc = s + 0 }
			END {
				w = (tb - ta) * hz
				if (!cpp || w <= 0) { print "fail testpmd printed no cycles/packet"; exit }
				idle = 100 * (1 - cyc / w); if (idle < 0) idle = 0
				printf "%.1f %.3f %.1f %s %s 0\n", cpp, tx / (tb - ta) / 1e6, idle, bl, off }' "$TMP/ref.log"
	fi
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print NR ? a[int((NR+1)/2)] : "n/a"}'; }
CPU=$(lscpu | awk -F: '/^Model name/ {gsub(/^ +/, "", $2); print $2; exit}')
[ "$FORMAT" = md ] || {
	echo "bench-reflector: $TOPO, twinhop-benchgen on cpu $GEN_CPU$([ "$TOPO" = memif ] && { [ "$GEN_ZC" = 1 ] && echo " (zero-copy memif client, 2 MB hugepages)" || echo " (copying memif client, --no-huge)"; }), reflector on cpu $REF_CPU, ${SECS}s x $RUNS runs each, interleaved"
	echo "CPU: $CPU; flags: $(grep -m1 -ow 'avx2\|avx512f\|aes\|vaes\|sha_ni\|vpclmulqdq' /proc/cpuinfo | sort -u | tr '\n' ' ')"
	echo "cycles/pkt = busy cycles / received packets while saturated; Mpps = the reflector's own Tx rate"
}
declare -A M=()
for mode in $MODES; do
	declare -A F=()
	for r in $(seq "$RUNS"); do
		for kind in $KINDS; do
			out=$(one_run $kind $mode)
			if [ "${out%% *}" = fail ]; then
				echo "$mode $kind run $r: ${out#fail }" >&2
				continue
			fi
			set -- $out
			F[$kind.cpp]+=" $1"; F[$kind.mpps]+=" $2"; F[$kind.idle]+=" $3"
			F[$kind.ppb]+=" $4"; F[$kind.off]+=" $5"; F[$kind.hmac]+=" $6"
		done
	done
	for kind in $KINDS; do
		for f in cpp mpps idle off; do M[$kind.$f]=$(echo "${F[$kind.$f]:-}" | median); done
	done
	# the median of the runs' own ratios (bench_pair_ratio)
	cr=$(bench_pair_ratio "$RUNS" "${F[testpmd.cpp]:-}" "${F[twinhop.cpp]:-}")
	rr=$(bench_pair_ratio "$RUNS" "${F[twinhop.mpps]:-}" "${F[testpmd.mpps]:-}")
	why=""
	for kind in twinhop testpmd; do
		awk -v i="${M[$kind.idle]}" -v m="$MAX_IDLE" 'BEGIN { exit !(i == "n/a" || i + 0 > m) }' &&
			why="$why $kind idle ${M[$kind.idle]} % > $MAX_IDLE % (the generator did not saturate it);"
	done
	[ -n "$why" ] && { cr="refused:$why"; rr="refused"; }
	runs=$(bench_run_ratios "$RUNS" "${F[testpmd.cpp]:-}" "${F[twinhop.cpp]:-}")
	if [ -n "$BASE_BUILD" ]; then
		# A/B: base cycles/packet over ours (>= 1: ours is no slower)
		ab=$(bench_pair_ratio "$RUNS" "${F[base.cpp]:-}" "${F[twinhop.cpp]:-}")
		abr=$(bench_pair_ratio "$RUNS" "${F[testpmd.cpp]:-}" "${F[base.cpp]:-}")
		# Only the two builds compared must be saturated: testpmd's idle
		# share refuses the testpmd ratios, not this one.
		abwhy=""
		for kind in twinhop base; do
			awk -v i="${M[$kind.idle]}" -v m="$MAX_IDLE" 'BEGIN { exit !(i == "n/a" || i + 0 > m) }' &&
				abwhy="$abwhy $kind idle ${M[$kind.idle]} % > $MAX_IDLE %;"
		done
		[ -n "$abwhy" ] && ab="refused:$abwhy"
		if [ "$FORMAT" = md ]; then
			printf "| A/B %s %s | %s cyc/pkt (ratio to testpmd %s) | %s cyc/pkt (base, ratio to testpmd %s) | base ÷ ours: %s | | idle %s / %s %% (ours / base) | %s |\n" \
				"$TOPO" "$mode" "${M[twinhop.cpp]}" "$cr" "${M[base.cpp]}" "$abr" "$ab" "${M[twinhop.idle]}" "${M[base.idle]}" "$CPU"
			continue
		fi
		printf "%-5s base build  %7s cyc/pkt %7s Mpps  [cyc:%s ] idle [%s ]  (%s)\n" "$mode" "${M[base.cpp]}" "${M[base.mpps]}" "${F[base.cpp]:-}" "${F[base.idle]:-}" "$BASE_BUILD"
		printf "%-5s A/B: base cyc/pkt / ours = %s (>= 1: this build is no slower)\n" "$mode" "$ab"
	fi
	if [ "$FORMAT" = md ]; then
		printf "| %s %s | %s | %s | %s | %s | %s | %s |\n" "$TOPO$([ "$TOPO" = memif ] && [ "$GEN_ZC" = 1 ] && echo " (zero-copy generator)")" "$mode" \
			"${M[twinhop.cpp]} cyc/pkt, ${M[twinhop.mpps]} Mpps" \
			"${M[testpmd.cpp]} cyc/pkt, ${M[testpmd.mpps]} Mpps" "$cr${runs:+ (run by run:$runs)}" "$rr" \
			"offered ${M[twinhop.off]} / ${M[testpmd.off]} Mpps, idle ${M[twinhop.idle]} / ${M[testpmd.idle]} %" "$CPU"
		continue
	fi
	printf "%-5s twinhop-fp  %7s cyc/pkt %7s Mpps  [cyc:%s ] [Mpps:%s ]\n" "$mode" "${M[twinhop.cpp]}" "${M[twinhop.mpps]}" "${F[twinhop.cpp]:-}" "${F[twinhop.mpps]:-}"
	printf "%-5s testpmd     %7s cyc/pkt %7s Mpps  [cyc:%s ] [Mpps:%s ]\n" "$mode" "${M[testpmd.cpp]}" "${M[testpmd.mpps]}" "${F[testpmd.cpp]:-}" "${F[testpmd.mpps]:-}"
	printf "%-5s   generator offered: twinhop-fp runs [%s ] testpmd runs [%s ] Mpps\n" "$mode" "${F[twinhop.off]:-}" "${F[testpmd.off]:-}"
	printf "%-5s   reflector idle %% of window: twinhop-fp [%s ] testpmd [%s ]\n" "$mode" "${F[twinhop.idle]:-}" "${F[testpmd.idle]:-}"
	printf "%-5s   Rx occupancy: twinhop-fp pkts/burst [%s ]  testpmd burst mix [%s ]\n" "$mode" "${F[twinhop.ppb]:-}" "${F[testpmd.ppb]:-}"
	[ "$mode" = auth ] && printf "auth    twinhop-fp DROP_BAD_HMAC per run: [%s ] (must be 0)\n" "${F[twinhop.hmac]:-}"
	# a build with -Dfp_stages=true prints its per-stage breakdown at exit
	# (whole run of the last twinhop-fp, docs/performance.md)
	grep -s '^stage ' "$TMP/ref-twinhop-$mode.log" | sed "s/^/$mode   twinhop-fp /"
	printf "%-5s ratio (testpmd cyc/pkt / ours, median of the run pairs): %s   rate ratio (ours / testpmd Mpps): %s   CPU: %s\n" "$mode" "$cr" "$rr" "$CPU"
	[ -n "$runs" ] && printf "%-5s   ratio run by run:%s\n" "$mode" "$runs"
	unset F
done
