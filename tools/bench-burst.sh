#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Burst absorption (docs/performance.md): a kernel-socket client sends
# COUNT open TWAMP-Test packets (mode 1) back-to-back at RATE pps to a
# reflector session of twinhop-fp on net_af_packet over a veth pair, in
# the appliance layout of docs/interop.md (the fast path's namespace keeps
# its stack off the port interface; the client is a plain UDP socket in
# the peer namespace).  The fast path runs with the shipped profile and
# its default idle back-off, as an operator would start it.
#
# It prints, per run, where every packet went: sent by the client,
# received by the fast path (RX_PKTS), reflected, transmitted, received
# back, and the loss split forward/backward, with the counters that say
# where the loss happened: the kernel af_packet ring (the port's imissed,
# DROP_PORT_MISSED), the fast path's own drop counters, the veth, and the
# client's UDP receive-buffer errors.  A benchmark, not a test.
#
# usage: tools/bench-burst.sh [BUILD_DIR]
#   env: COUNT=10000 RATE=100000 RUNS=3 CPU=1 PROFILE=drivers-config/net_af_packet.conf
#        FP_ARGS="" (extra twinhop-fp options, e.g. --idle-backoff off) FORMAT=md KEEP=1
set -u
B=${1:-${TW_BUILD:-build}}
FP=$B/app/twinhop-fp
IPC=$B/tools/twinhop-ipc
SRC=$(cd "$(dirname "$0")/.." && pwd)
COUNT=${COUNT:-10000}
RATE=${RATE:-100000}
RUNS=${RUNS:-3}
CPU=${CPU:-1}
PROFILE=${PROFILE:-$SRC/drivers-config/net_af_packet.conf}
FP_ARGS=${FP_ARGS:-}
FORMAT=${FORMAT:-text}
. "$(dirname "$0")/bench-lib.sh"
bench_init burst /twh-bb$$
for x in "$FP" "$IPC"; do [ -x "$x" ] || { echo "no $x" >&2; exit 2; }; done
CNS=twh-bc$$
bench_cleanup_extra() { ip netns del "$CNS" 2>/dev/null; }
VA=twh-ba$$; VB=twh-bb$$
set -e
ip netns add $NS
ip netns add $CNS
ip link add $VA netns $NS type veth peer name $VB netns $CNS
# the appliance layout (docs/fastpath.md, exception path)
ip netns exec $NS sysctl -qw net.ipv6.conf.$VA.disable_ipv6=1
ip netns exec $NS sysctl -qw net.ipv4.conf.all.rp_filter=1
ip netns exec $NS sysctl -qw net.ipv4.conf.$VA.rp_filter=1
ip netns exec $NS sysctl -qw net.ipv4.ip_early_demux=0
ip netns exec $NS ethtool -K $VA tx off rx off gro off >/dev/null
ip netns exec $CNS ethtool -K $VB tx off rx off gro off >/dev/null
ip -n $NS link set $VA up
ip -n $CNS addr add 10.89.0.2/24 dev $VB
ip -n $CNS link set $VB up
set +e
FRAMES=$(sed -n 's/^vdev=.*framecnt=\([0-9]*\).*/\1/p' "$PROFILE")

ip netns exec $NS "$FP" -l "$CPU" --no-huge -m 256 --no-pci --file-prefix twh-bb$$ \
	--log-level=notice -- --profile "$PROFILE" --pvar iface=$VA \
	--addr 10.89.0.1/24 --tap twh-bx0 --shm $SHM --stats-interval 10 \
	--reflector local=10.89.0.1:5000,peer=10.89.0.2:6000,pad=27 $FP_ARGS --counters \
	>"$TMP/fp.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q READY "$TMP/fp.log" && break; sleep 0.1; done
grep -q READY "$TMP/fp.log" || { echo "twinhop-fp did not start:" >&2; cat "$TMP/fp.log" >&2; exit 1; }
# ARP through the exception path before the burst
ip netns exec $CNS ping -c 2 -i 0.2 -W 2 10.89.0.1 >"$TMP/ping" 2>&1 ||
	{ echo "no ping through the exception path:" >&2; cat "$TMP/ping" >&2; exit 1; }

counters() { # -> "NAME value" lines, totals
	"$IPC" --shm $SHM counters 2>/dev/null | awk '$1 == "total" { print $2, $3 }'
}
cval() { awk -v n="$2" '$1 == n { v = $2 } END { print (v == "" ? 0 : v) }' "$1"; }
link_drops() { # ns dev -> "rx_dropped tx_dropped"
	ip -n "$1" -s link show "$2" | awk '/RX:/ { getline; r = $4 } /TX:/ { getline; t = $4 } END { print r + 0, t + 0 }'
}
udp_rcvbuf() { ip netns exec $CNS awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) k[i] = $i; h = 1 } else for (i = 1; i <= NF; i++) if (k[i] == "RcvbufErrors") print $i }' /proc/net/snmp; }

[ "$FORMAT" = md ] || {
	echo "bench-burst: $COUNT packets at $RATE pps, kernel UDP client -> twinhop-fp reflector on net_af_packet over veth (framecnt=$FRAMES, profile $(basename "$PROFILE")${FP_ARGS:+, $FP_ARGS}), cpu $CPU"
	echo "CPU: $(lscpu | awk -F: '/^Model name/ {gsub(/^ +/, "", $2); print $2; exit}')"
}
LOSSES=""
for r in $(seq "$RUNS"); do
	sleep 1 # let the fast path reach its idle back-off, as between real bursts
	counters >"$TMP/c0"; d0=$(link_drops $NS $VA); u0=$(udp_rcvbuf)
	out=$(ip netns exec $CNS python3 "$SRC/tools/burst_client.py" --src 10.89.0.2 --sport 6000 \
		--dst 10.89.0.1 --dport 5000 --count "$COUNT" --rate "$RATE" --wait 2)
	sleep 0.1
	counters >"$TMP/c1"; d1=$(link_drops $NS $VA); u1=$(udp_rcvbuf)
	# shellcheck disable=SC2046
	eval $(echo "$out" | awk '{ for (i = 2; i <= NF; i++) print $i }')
	dc() { echo $(($(cval "$TMP/c1" "$1") - $(cval "$TMP/c0" "$1"))); }
	rxp=$(dc RX_PKTS); refl=$(dc REFLECTED); txp=$(dc TX_PKTS); miss=$(dc DROP_PORT_MISSED)
	drops=$(awk 'NR == FNR { a[$1] = $2; next } $1 ~ /^DROP_/ && $2 - a[$1] > 0 { printf "%s %d ", $1, $2 - a[$1] }' "$TMP/c0" "$TMP/c1")
	set -- $d0; vr0=$1; set -- $d1; vr1=$1
	fwd=$((sent - refl)); bwd=$((refl - replies))
	LOSSES="$LOSSES $lost"
	rate=$(awk -v n="$sent" -v s="$sent_s" 'BEGIN { printf "%.0f", (s > 0) ? n / s : 0 }')
	[ "$FORMAT" = md ] && continue
	printf "run %d: sent %d (%s pps)  fast path rx %d  reflected %d  tx %d  replies %d\n" \
		"$r" "$sent" "$rate" "$rxp" "$refl" "$txp" "$replies"
	printf "       lost %d: forward %d, backward %d; duplicates %d\n" "$lost" "$fwd" "$bwd" "$dup"
	printf "       where: port imissed (af_packet ring full) %d; fast-path drops: %s; veth %s rx_dropped %d; client UDP RcvbufErrors %d\n" \
		"$miss" "${drops:-none}" "$VA" $((vr1 - vr0)) $((u1 - u0))
done
med=$(echo "$LOSSES" | tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
if [ "$FORMAT" = md ]; then
	printf "| burst %d pkts at %d pps, af_packet framecnt=%s%s | median loss %s of %d [%s ] |\n" \
		"$COUNT" "$RATE" "$FRAMES" "${FP_ARGS:+, $FP_ARGS}" "$med" "$COUNT" "$LOSSES"
	# the client's achieved rate, for the table
	echo ""
	echo "(the client reached $rate pps in the last run)"
else
	echo "median loss over $RUNS runs: $med of $COUNT [$LOSSES ]"
fi
