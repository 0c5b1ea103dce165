#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Interoperability run against an ALREADY INSTALLED perfSONAR twping/twampd
# (this script does not build or fetch them).  Not registered in meson.
#
#   TWPING=/path/to/twping TWAMPD=/path/to/twampd BUILD=/path/to/builddir \
#       sudo -E tests/interop/run-interop.sh
#
# A. twping -> twinhopd + twinhop-fp (reflector): twinhop-fp on a net_af_packet
#    veth port in namespace twh-ir<pid> with the kernel TAP holding 10.99.0.1 /
#    fd00:99::1, twinhopd in the same namespace, twping in twh-ic<pid>.
# B. twinhop measure (socket engine) -> twampd on 127.0.0.1 / [::1].
# Every mode in MODES (O A E M) and family in FAMILIES (4 6).  Prints one
# line per run, then "N passed, N failed".  Exit 0 all passed, 1 a failure,
# 77 skipped (no twping/twampd, no DPDK build for A, not root for A).
#
# Environment: TWPING, TWAMPD (required), BUILD (default /tmp/b-interop),
# SRC (default: this checkout), MODES ("O A E M"), FAMILIES ("4 6"),
# COUNT (100), INTERVAL (0.01), PARTS ("A B"), CAPTURE=1 (tshark per run
# into $KEEP, checks that open-mode captures decode without Malformed),
# KEEP (directory to keep logs/pcaps; default: a temp dir, removed),
# TWPING_OPTS (more twping options for direction A, e.g. -Z: zero
# addresses in Request-TW-Session), MEASURE_OPTS (more twinhop measure
# options for direction B, e.g. "--features dscp-ecn,ptp --ecn ect0": twampd
# offers no feature bit, so the Mode must stay 1, 2, 4 or 8).
set -u
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-/tmp/b-interop}
MODES=${MODES:-O A E M}
FAMILIES=${FAMILIES:-4 6}
COUNT=${COUNT:-100}
INTERVAL=${INTERVAL:-0.01}
PARTS=${PARTS:-A B}
CAPTURE=${CAPTURE:-0}
TWPING_OPTS=${TWPING_OPTS:-}
FP=$BUILD/app/twinhop-fp
TWINHOPD=$BUILD/control/daemon/twinhopd
TWINHOP=$BUILD/control/cli/twinhop

skip() { echo "SKIP: $*"; exit 77; }
[ -n "${TWPING:-}" ] && [ -x "$TWPING" ] || skip "TWPING is not set to an executable twping"
[ -n "${TWAMPD:-}" ] && [ -x "$TWAMPD" ] || skip "TWAMPD is not set to an executable twampd"
[ -x "$TWINHOPD" ] && [ -x "$TWINHOP" ] || skip "no twinhopd/twinhop in BUILD=$BUILD (build first)"
if [ "$CAPTURE" = 1 ] && ! command -v tshark >/dev/null; then CAPTURE=0; echo "note: no tshark, CAPTURE off"; fi

PASS=0 FAIL=0 PIDS=() NETNS=()
WORK=$(mktemp -d /tmp/twh-interop.XXXXXX)
OUT=${KEEP:-$WORK}
mkdir -p "$OUT"
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for n in "${NETNS[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "/var/run/dpdk/twh-ir$$"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
res() { # name ok|fail detail
	if [ "$2" = ok ]; then PASS=$((PASS + 1)); else FAIL=$((FAIL + 1)); fi
	printf '%-4s %-28s %s\n' "$([ "$2" = ok ] && echo ok || echo FAIL)" "$1" "$3"
}
# The perfSONAR pass-phrase file: identity, TAB, hex of the pass-phrase.
PFS=$WORK/alice.pfs
printf 'alice\t%s\n' "$(printf testsecret | od -An -tx1 | tr -d ' \n')" >"$PFS"
chmod 600 "$PFS"
capture_start() { # ns iface file
	[ "$CAPTURE" = 1 ] || return 0
	if [ -n "$1" ]; then ip netns exec "$1" tshark -q -i "$2" -w "$3" >/dev/null 2>&1 &
	else tshark -q -i "$2" -w "$3" >/dev/null 2>&1 & fi
	CAP=$!
	sleep 1.5
}
capture_stop() { # file mode -> echo a note; non-zero if open mode shows Malformed
	[ "$CAPTURE" = 1 ] || return 0
	sleep 0.5
	kill "$CAP" 2>/dev/null
	wait "$CAP" 2>/dev/null
	local m
	m=$(tshark -r "$1" -d tcp.port=="$3",twamp.control -V 2>/dev/null | grep -ci malformed)
	# Encrypted control (A/E/M) cannot be dissected: only open mode must be clean.
	[ "$2" != O ] || [ "$m" = 0 ]
}

# ---------------------------------------------------------------- part A
part_a() {
	[ "$(id -u)" = 0 ] || { echo "part A skipped: needs root (namespaces)"; return; }
	[ -x "$FP" ] || { echo "part A skipped: no $FP (DPDK disabled?)"; return; }
	local IR=twh-ir$$ IC=twh-ic$$ VR=twh-vr$$ VC=twh-vc$$ shm=/twh-interop$$
	ip netns add "$IR" && NETNS+=("$IR") && ip netns add "$IC" && NETNS+=("$IC") || { res A-setup fail "ip netns"; return; }
	# Every set-up step must work: a silently failed one shows up much later
	# as timeouts (a missing ethtool once left veth checksum offload on).
	step() { "$@" || { res A-setup fail "set-up step failed: $*"; return 1; }; }
	step ip -n "$IR" link set lo up || return
	step ip -n "$IC" link set lo up || return
	step ip link add "$VR" type veth peer name "$VC" || return
	step ip link set "$VR" netns "$IR" || return
	step ip link set "$VC" netns "$IC" || return
	# The af_packet port belongs to the fast path: keep the kernel off it.
	step ip netns exec "$IR" sysctl -qw net.ipv6.conf."$VR".disable_ipv6=1 || return
	step ip netns exec "$IR" sysctl -qw net.ipv4.conf.all.rp_filter=1 || return
	step ip netns exec "$IR" sysctl -qw net.ipv4.conf."$VR".rp_filter=1 || return
	# rp_filter does not stop UDP early demux (see docs/interop.md, quirk Q1).
	step ip netns exec "$IR" sysctl -qw net.ipv4.ip_early_demux=0 || return
	step ip -n "$IR" link set "$VR" up || return
	step ip -n "$IC" addr add 10.99.0.2/24 dev "$VC" || return
	step ip -n "$IC" addr add fd00:99::2/64 dev "$VC" nodad || return
	step ip -n "$IC" link set "$VC" up || return
	# Offloads off: af_packet must see complete checksums (docs/fastpath.md).
	step ip netns exec "$IR" ethtool -K "$VR" tx off rx off gro off || return
	step ip netns exec "$IC" ethtool -K "$VC" tx off rx off gro off || return
	ip netns exec "$IR" "$FP" -l 0 --no-huge -m 256 --no-pci --file-prefix twh-ir$$ \
		--log-level=user1,notice -- --profile "$SRC/drivers-config/net_af_packet.conf" \
		--pvar iface="$VR" --addr 10.99.0.1/24 --addr fd00:99::1/64 --tap twh-tap$$ \
		--shm "$shm" --counters >"$OUT/fp.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do grep -q READY "$OUT/fp.log" && break; sleep 0.1; done
	grep -q READY "$OUT/fp.log" || { res A-fastpath fail "no READY in $OUT/fp.log"; return; }
	cat >"$WORK/twinhopd.conf" <<CONF
listen 0.0.0.0 862
listen :: 862
modes open authenticated encrypted mixed
keyfile $PFS
test-ports 20000-20999
fp-region $shm
admin-socket $WORK/admin.sock
admin-socket-ro none
user nobody
seccomp yes
log-level debug
CONF
	# in the foreground, so that cleanup() can stop it by PID (-d left it running)
	ip netns exec "$IR" "$TWINHOPD" -f "$WORK/twinhopd.conf" >"$OUT/twinhopd.log" 2>&1 &
	PIDS+=($!)
	sleep 1.5
	local m f tgt auth
	for f in $FAMILIES; do
		for m in $MODES; do
			if [ "$f" = 4 ]; then tgt=10.99.0.1:862; else tgt="[fd00:99::1]:862"; fi
			if [ "$m" = O ]; then auth="-A O"; else auth="-A $m -u alice -k $PFS"; fi
			local name=A-$m-v$f log=$OUT/A-$m-v$f.txt
			capture_start "$IC" "$VC" "$OUT/$name.pcap"
			ip netns exec "$IC" "$TWPING" -$f $auth $TWPING_OPTS -c "$COUNT" -i "$INTERVAL" "$tgt" >"$log" 2>&1
			local rc=$?
			capture_stop "$OUT/$name.pcap" "$m" 862 || { res "$name" fail "Malformed in $name.pcap"; continue; }
			local line
			line=$(grep -E '^[0-9]+ sent, [0-9]+ lost' "$log")
			if [ $rc = 0 ] && echo "$line" | grep -q "^$COUNT sent, 0 lost"; then
				res "twping->twinhop $m IPv$f" ok "$line"
			else
				res "twping->twinhop $m IPv$f" fail "rc=$rc ${line:-$(tail -1 "$log")}"
			fi
		done
	done
}

# ---------------------------------------------------------------- part B
part_b() {
	local f m port=${TWAMPD_PORT:-18862} auth
	for f in $FAMILIES; do
		local d=$WORK/twampd$f addr
		if [ "$f" = 4 ]; then addr=127.0.0.1; else addr=::1; fi
		mkdir -p "$d/data"
		cat >"$d/twamp-server.conf" <<CONF
srcnode $([ "$f" = 4 ] && echo "$addr:$port" || echo "[$addr]:$port")
rootfolly
authmode OAEM
testports 19000-19099
vardir $d
datadir $d/data
CONF
		cat >"$d/twamp-server.limits" <<CONF
limit root with bandwidth=0, disk=0, delete_on_fetch=on, allow_open_mode=on
limit open with parent=root, allow_open_mode=on
limit authusers with parent=root
assign default open
assign user alice authusers
CONF
		cp "$PFS" "$d/twamp-server.pfs"
		"$TWAMPD" -c "$d" -R "$d" -Z </dev/null >"$OUT/twampd$f.log" 2>&1 &
		PIDS+=($!)
		for _ in $(seq 50); do ss -ltn | grep -q ":$port " && break; sleep 0.1; done
		sleep 0.3
		for m in $MODES; do
			local mode
			case $m in O) mode=open ;; A) mode=auth ;; E) mode=enc ;; M) mode=mixed ;; esac
			if [ "$m" = O ]; then auth=(); else auth=(--keyid alice --keyfile "$PFS"); fi
			local name=B-$m-v$f tgt
			if [ "$f" = 4 ]; then tgt=$addr:$port; else tgt="[$addr]:$port"; fi
			capture_start "" lo "$OUT/$name.pcap"
			"$TWINHOP" measure "$tgt" -$f --mode "$mode" "${auth[@]}" --count "$COUNT" \
				--interval "$INTERVAL" --json --quiet ${MEASURE_OPTS:-} >"$OUT/$name.json" 2>"$OUT/$name.err"
			local rc=$?
			capture_stop "$OUT/$name.pcap" "$m" "$port" || { res "$name" fail "Malformed in $name.pcap"; continue; }
			local got
			# the measure document of docs/output.md: start, intervals, end
			got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); S=d["end"]["summary"]; print(d["start"]["session"]["mode"], S["sent"], S["received"], S["loss"]["round_trip"]["count"])' "$OUT/$name.json" 2>/dev/null)
			if [ $rc = 0 ] && [ "$(echo "$got" | cut -d' ' -f2-)" = "$COUNT $COUNT 0" ]; then
				res "twinhop->twampd $m IPv$f" ok "mode/sent/received/lost: $got"
			else
				res "twinhop->twampd $m IPv$f" fail "rc=$rc ${got:-$(tail -1 "$OUT/$name.err")}"
			fi
		done
	done
}

for p in $PARTS; do "part_$(echo "$p" | tr AB ab)"; done
[ -n "${KEEP:-}" ] && echo "logs kept in $KEEP"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
