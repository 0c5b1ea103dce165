#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# twinhop demo: an end-to-end authenticated TWAMP measurement between two
# fast paths on virtual devices, then the report.  Run as root from a clone:
#
#   tools/demo.sh [--json] [--rate PPS] [--seconds S]
#
# It installs what is missing (tools/install-deps.sh), builds into
# build/demo, builds two network namespaces joined by memif, starts
# twinhop-fp + twinhopd in each, runs `twinhop measure` in mode 2
# (authenticated) and removes everything again on exit, Ctrl-C included.
# docs/demo.md explains the topology and shows sample output.
set -u
cd "$(dirname "$0")/.." || exit 1
SRC=$(pwd)
JSON=0
RATE=
SECS=10
while [ $# -gt 0 ]; do
	case $1 in
	--json) JSON=1 ;;
	--rate) RATE=$2; shift ;;
	--seconds) SECS=$2; shift ;;
	-h | --help) sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "demo: unknown argument $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done
# Everything but the JSON report goes to stderr with --json.
if [ $JSON = 1 ]; then exec 3>&2; else exec 3>&1; fi
say() { echo "$*" >&3; }
die() { echo "demo: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (namespaces, TAP devices, hugepages)"

TAG=twh-demo
ID=$$
NSR=$TAG-r-$ID
NSS=$TAG-s-$ID
SHMR=/$TAG-r-$ID
SHMS=/$TAG-s-$ID
TMP=
PIDS=()

cleanup() {
	local p
	trap - EXIT INT TERM HUP
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$NSR" 2>/dev/null
	ip netns del "$NSS" 2>/dev/null
	rm -f "/dev/shm$SHMR" "/dev/shm$SHMS" /dev/hugepages/$TAG-?-${ID}map_* 2>/dev/null
	rm -rf "/var/run/dpdk/$TAG-r-$ID" "/var/run/dpdk/$TAG-s-$ID"
	[ -n "$TMP" ] && rm -rf "$TMP"
}
# Leftovers of an earlier demo that was killed hard (its PID is gone).
stale() {
	local n pid
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$TAG-[rs]-[0-9]*$"); do
		pid=${n##*-}
		kill -0 "$pid" 2>/dev/null || ip netns del "$n"
	done
	for n in /dev/shm/$TAG-[rs]-*; do
		[ -e "$n" ] || continue
		pid=${n##*-}
		kill -0 "$pid" 2>/dev/null || rm -f "$n"
	done
}
trap cleanup EXIT
trap 'say ""; say "demo: interrupted, cleaning up"; exit 130' INT TERM HUP
stale

# --- dependencies, build, hugepages ------------------------------------------
if [ -z "${TW_BUILD:-}" ]; then
	say "demo: checking dependencies (tools/install-deps.sh)"
	tools/install-deps.sh >&3 || die "tools/install-deps.sh failed"
	BUILD=$SRC/build/demo
	if [ ! -f "$BUILD/build.ninja" ]; then
		say "demo: configuring $BUILD"
		meson setup "$BUILD" "$SRC" >"/tmp/$TAG-setup.log" 2>&1 ||
			{ tail -20 "/tmp/$TAG-setup.log" >&2; die "meson setup failed (log /tmp/$TAG-setup.log)"; }
	fi
	say "demo: building (ninja -C build/demo)"
	ninja -C "$BUILD" >"/tmp/$TAG-build.log" 2>&1 ||
		{ tail -20 "/tmp/$TAG-build.log" >&2; die "build failed (log /tmp/$TAG-build.log)"; }
else
	BUILD=$TW_BUILD # a ready build, for the tests
fi
FP=$BUILD/app/twinhop-fp
THD=$BUILD/control/daemon/twinhopd
CLI=$BUILD/control/cli/twinhop
for b in "$FP" "$THD" "$CLI"; do
	[ -x "$b" ] || die "$b was not built (is DPDK installed? tools/install-deps.sh)"
done
TMP=$(mktemp -d "/tmp/$TAG.XXXXXX")
# Two fast paths of 256 MiB each: 2 x 128 pages of 2 MiB, plus slack.
FREE=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
HPSZ=$(awk '/^Hugepagesize/ {print $2}' /proc/meminfo)
if [ "${FREE:-0}" -ge 300 ] && [ "${HPSZ:-0}" = 2048 ] && mountpoint -q /dev/hugepages; then
	MEM="-m 256"
	MEMTXT="hugepages (2 MiB, $FREE free)"
else
	MEM="--no-huge -m 256"
	MEMTXT="no hugepages available: --no-huge"
fi
EAL="$MEM --no-pci --log-level=user1,notice"

# --- CPUs ---------------------------------------------------------------------
# A busy-polling lcore wants a CPU of its own; the control plane (two
# twinhopd and twinhop, which turns every result into statistics) wants one
# more.  With three CPUs or more each fast path gets its own and the control
# plane the rest: nothing shared.  With two, R's fast path keeps one to
# itself and S's fast path shares the other with the control plane, which
# is pinned there so it never preempts R; the default rate is then lower,
# so the shared CPU keeps up, and the report says that the CPU is shared:
# S's lcore can wait behind the daemons, which lengthens RTT tails on this
# machine, not on the wire.  One CPU: everything shares it.
CPUS=($(python3 -c 'import os; print(*sorted(os.sched_getaffinity(0)))'))
NCPU=${#CPUS[@]}
if [ "$NCPU" -ge 3 ]; then
	R_CPU=${CPUS[NCPU - 1]}
	S_CPU=${CPUS[NCPU - 2]}
	CTL_CPUS=$(IFS=,; echo "${CPUS[*]:0:NCPU-2}")
	SHARED=0
	R_OPT=()
	S_OPT=()
	DEF_RATE=100000
elif [ "$NCPU" = 2 ]; then
	R_CPU=${CPUS[1]}
	S_CPU=${CPUS[0]}
	CTL_CPUS=${CPUS[0]}
	SHARED=1
	R_OPT=()
	S_OPT=(--idle-spin 10)
	DEF_RATE=10000
else
	R_CPU=${CPUS[0]}
	S_CPU=${CPUS[0]}
	CTL_CPUS=${CPUS[0]}
	SHARED=1
	R_OPT=(--idle-spin 10)
	S_OPT=(--idle-spin 10)
	DEF_RATE=1000
fi
PIN=(taskset -c "$CTL_CPUS")

# --- topology -----------------------------------------------------------------
ip netns add "$NSR" && ip netns add "$NSS" || die "cannot create network namespaces"
ip -n "$NSR" link set lo up
ip -n "$NSS" link set lo up
printf 'alice\t%s\n' "$(printf demo-secret | od -An -tx1 | tr -d ' \n')" >"$TMP/keys.pfs"
chmod 600 "$TMP/keys.pfs"

ip netns exec "$NSR" "$FP" -l "$R_CPU" $EAL --file-prefix "$TAG-r-$ID" -- \
	--profile drivers-config/net_memif.conf --pvar role=server --pvar id=0 \
	--pvar socket="$TMP/memif.sock" --shm "$SHMR" --shm-group nogroup --shm-mode 0660 --tap twh-r0 \
	--addr 10.90.0.1/24 --addr fd00:90::1/64 "${R_OPT[@]}" >"$TMP/fp-r.log" 2>&1 &
PIDS+=($!)
# The memif client (S) connects to the server's socket at port start, so R
# must be up first.  Each region gets twinhopd's group (user nobody, group
# nogroup) and mode 0660, as the shipped units do, so that twinhopd can
# attach again after a fast-path restart (twinhopd(8)).
wait_ready() {
	for _ in $(seq 300); do grep -q READY "$TMP/fp-$1.log" && return 0; sleep 0.1; done
	tail -15 "$TMP/fp-$1.log" >&2
	die "fast path $1 did not start"
}
wait_ready r
ip netns exec "$NSS" "$FP" -l "$S_CPU" $EAL --file-prefix "$TAG-s-$ID" -- \
	--profile drivers-config/net_memif.conf --pvar role=client --pvar id=0 \
	--pvar socket="$TMP/memif.sock" --shm "$SHMS" --shm-group nogroup --shm-mode 0660 --tap twh-s0 \
	--addr 10.90.0.2/24 --addr fd00:90::2/64 "${S_OPT[@]}" >"$TMP/fp-s.log" 2>&1 &
PIDS+=($!)
wait_ready s

conf() { # file shm admin listen-addr
	cat >"$1" <<EOF
listen $4 862
modes authenticated encrypted mixed open
keyfile $TMP/keys.pfs
test-ports 20000-20099
fp-region $2
admin-socket $3
servwait 120
log-level warning
EOF
}
conf "$TMP/thd-r.conf" "$SHMR" "$TMP/thd-r.sock" 10.90.0.1
conf "$TMP/thd-s.conf" "$SHMS" "$TMP/thd-s.sock" 127.0.0.1
ip netns exec "$NSR" "${PIN[@]}" "$THD" -f "$TMP/thd-r.conf" >"$TMP/thd-r.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NSS" "${PIN[@]}" "$THD" -f "$TMP/thd-s.conf" >"$TMP/thd-s.log" 2>&1 &
PIDS+=($!)
for s in r s; do
	for _ in $(seq 100); do
		"$CLI" status --json --admin "$TMP/thd-$s.sock" 2>/dev/null | grep -q '"attached":true' && break
		sleep 0.1
	done
	"$CLI" status --json --admin "$TMP/thd-$s.sock" 2>/dev/null | grep -q '"attached":true' ||
		{ tail -15 "$TMP/thd-$s.log" >&2; die "twinhopd $s did not attach to its fast path"; }
done
for _ in $(seq 50); do
	ip netns exec "$NSS" ping -c 1 -W 1 -q 10.90.0.1 >/dev/null 2>&1 && break
done

say ""
say "twinhop demo: two DPDK fast paths joined by memif, each in its own network namespace"
say ""
say "  namespace $NSS (sender)                namespace $NSR (reflector)"
say "  twinhop measure --mode auth              twinhopd: TWAMP-Control on 10.90.0.1:862"
say "  twinhopd (admin socket, --engine fastpath)     | --shm $SHMR"
say "    | --shm $SHMS                    twinhop-fp (CPU $R_CPU), TAP twh-r0"
say "  twinhop-fp (CPU $S_CPU), TAP twh-s0              10.90.0.1/24 fd00:90::1/64"
say "  10.90.0.2/24 fd00:90::2/64"
say "  net_memif client <=========== memif ===========> net_memif server"
say ""
say "  memory: $MEMTXT; key: KeyID alice (demo key file)"
if [ "$SHARED" = 0 ]; then
	say "  CPUs: R's fast path on CPU $R_CPU, S's on CPU $S_CPU, twinhopd and twinhop on CPU(s)"
	say "    $CTL_CPUS: no CPU shared"
elif [ "$NCPU" = 2 ]; then
	say "  CPUs: cores shared -- $NCPU CPUs for 2 fast-path lcores and the control plane:"
	say "    R's fast path has CPU $R_CPU alone; S's fast path shares CPU $S_CPU with both"
	say "    twinhopd and twinhop, so S's lcore can wait for the CPU and RTT tails (p99,"
	say "    max) include that wait; the rate defaults to $DEF_RATE pps (docs/demo.md)"
else
	say "  CPUs: cores shared -- both fast paths and the control plane on CPU $R_CPU: RTT"
	say "    percentiles include waiting for the CPU; the rate defaults to $DEF_RATE pps"
fi

# --- the measurement ------------------------------------------------------------
# The fast-path engine sends mode 2 test packets itself when the admin
# protocol can carry TWAMP test keys; otherwise the socket engine (kernel
# UDP through S's exception path) runs the authenticated session.
COMMON=(measure 10.90.0.1 --mode auth --keyid alice --keyfile "$TMP/keys.pfs" --loss-timeout 1)
ENGINE=fastpath
R=${RATE:-$DEF_RATE}
ip netns exec "$NSS" "${PIN[@]}" "$CLI" "${COMMON[@]}" --engine fastpath --admin "$TMP/thd-s.sock" \
	--count 1 --quiet >/dev/null 2>"$TMP/probe.err"
if [ $? != 0 ]; then
	ENGINE=socket
	R=${RATE:-$((DEF_RATE < 5000 ? DEF_RATE : 5000))}
	say "  engine: socket -- the fast-path engine cannot run authenticated sessions yet:"
	say "    $(tail -1 "$TMP/probe.err")"
	say "  so the kernel sends the mode 2 test packets (through S's exception path)"
	say "  and R's fast path reflects them."
else
	say "  engine: fastpath -- S's fast path sends, R's fast path reflects"
fi
COUNT=$((R * SECS))
say ""
say "running: twinhop ${COMMON[*]:0:8} --engine $ENGINE --rate $R --count $COUNT  (~$SECS s)"
say ""
OUT=()
[ $JSON = 1 ] && OUT=(--json)
# Progress lines (stderr, once a second) go to the terminal as they come.
ip netns exec "$NSS" "${PIN[@]}" "$CLI" "${COMMON[@]}" --engine $ENGINE --admin "$TMP/thd-s.sock" \
	--rate "$R" --count "$COUNT" "${OUT[@]}" 2>&3
RC=$?
say ""
# The report's numbers are only as good as the CPUs under them: say it
# again where the report ends.
if [ "$SHARED" = 1 ]; then
	say "demo: cores shared -- on this $NCPU-CPU machine S's fast path (CPU $S_CPU) shares its CPU"
	say "  with twinhopd and twinhop: RTT p99 and max include waiting for that CPU"
else
	say "demo: no CPU shared -- each fast path polled a CPU of its own"
fi
case $RC in
0) say "demo: done (exit 0); cleaning up namespaces, processes and shared memory" ;;
*) say "demo: twinhop measure exited $RC"; tail -5 "$TMP/thd-r.log" >&2 ;;
esac
exit $RC
