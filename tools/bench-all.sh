#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Rerun every table of docs/performance.md in one invocation and print them
# in its markdown form, ready to paste (about 11 minutes on a quiet 2-core
# machine; run it with nothing else busy: the generator and the reflector
# each need a core of their own).
#
#   1/2 reflector capacity, memif open + auth (+ stateful TWAMP Light and
#       STAMP listeners with the zero-copy generator), and af_xdp over veth
#       open (tools/bench-reflector.sh: cycles/packet vs testpmd 5tswap)
#   4   burst absorption on net_af_packet (tools/bench-burst.sh)
#   5   1 vs 100,000 sessions (tools/bench-sessions.sh)
#   and every other tools/bench-*.sh (crypto, RTT, sender, ...), each under
#   a time limit, its output verbatim in a block.
#
# usage: tools/bench-all.sh [BUILD_DIR] >perf.md
#   env: RUNS=3 SECS=4 (per benchmark), LIMIT=150 (seconds per other script),
#        AB=0 skips the context-struct A/B (it builds two old commits)
set -u
B=$(cd "${1:-${TW_BUILD:-build}}" && pwd)
T=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$T/.." && pwd)
export RUNS=${RUNS:-3} SECS=${SECS:-4}
LIMIT=${LIMIT:-150}
START=$(date +%s)
for x in "$B/app/twinhop-fp" "$B/app/twinhop-benchgen" "$B/tools/twinhop-ipc"; do
	[ -x "$x" ] || { echo "bench-all: no $x (build with the fast path)" >&2; exit 2; }
done
progress() { echo "bench-all: $* ($(($(date +%s) - START)) s)" >&2; }
section() { # title command... : run, keep stdout, report failures in place
	local t=$1
	shift
	progress "$t"
	local out rc
	out=$("$@" 2>"$TMP_ERR")
	rc=$?
	[ -n "$out" ] && echo "$out"
	if [ $rc -ne 0 ] || grep -q . "$TMP_ERR"; then
		if [ -n "${FENCED:-}" ]; then
			echo "($t: exit $rc; stderr:)"
			tail -20 "$TMP_ERR"
		else
			echo ""
			echo "($t: exit $rc; stderr:)"
			echo '```'
			tail -20 "$TMP_ERR"
			echo '```'
		fi
	fi
}
TMP_ERR=$(mktemp /tmp/twh-bench-all.XXXXXX)
trap 'rm -f "$TMP_ERR"' EXIT

CPU=$(lscpu | awk -F: '/^Model name/ {gsub(/^ +/, "", $2); print $2; exit}')
FLAGS=$(grep -m1 -ow 'avx2\|avx512f\|aes\|vaes\|sha_ni\|vpclmulqdq' /proc/cpuinfo | sort -u | tr '\n' ' ')
echo "## Results ($(date -u +%Y-%m-%d), commit $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown))"
echo ""
echo "CPU: $CPU, $(nproc) CPUs; flags: $FLAGS; kernel $(uname -r);" \
	"DPDK $(dpkg-query -W -f '${Version}' libdpdk-dev 2>/dev/null || echo unknown);" \
	"RUNS=$RUNS, SECS=$SECS; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
echo ""
echo "### Reflector capacity (issue 9 §1, §2; tools/bench-reflector.sh)"
echo ""
echo "| topology, mode | twinhop-fp | testpmd 5tswap | ratio (testpmd cyc/pkt ÷ ours, median of the run pairs; goal ≥ 0.9 open) | rate ratio (ours ÷ testpmd) | saturation (offered, idle: ours / testpmd) | CPU |"
echo "|---|---|---|---|---|---|---|"
section "reflector memif" env FORMAT=md MODES="open auth light lightpad stamp" TOPO=memif "$T/bench-reflector.sh" "$B"
# the same with the copying generator of the earlier tables (GEN_ZC=0)
section "reflector memif, copying generator" env FORMAT=md MODES="open auth" TOPO=memif GEN_ZC=0 \
	"$T/bench-reflector.sh" "$B" | sed 's/^| memif /| memif (copying generator) /'
section "reflector af_xdp" env FORMAT=md MODES=open TOPO=afxdp "$T/bench-reflector.sh" "$B"
# Issue 11: the reflector's context struct (commit 1a94f61), A/B against
# the commit before it; both get the busy-cycle counters (ac6c173, which
# touches no reflector code) so they measure the same way.  Built from the
# two commits, in a temporary directory.
ab_build() { # dir commit [patch-commit]
	mkdir -p "$1/src" &&
		git -C "$SRC" archive "$2" | tar -x -C "$1/src" &&
		{ [ -z "${3:-}" ] || git -C "$SRC" show "$3" | (cd "$1/src" && git apply); } &&
		meson setup "$1/build" "$1/src" -Dtests=false -Dbuildtype=debugoptimized >"$1/setup.log" 2>&1 &&
		ninja -C "$1/build" app/twinhop-fp tools/twinhop-ipc >"$1/build.log" 2>&1
}
if [ "${AB:-1}" = 1 ]; then
	AB_TMP=$(mktemp -d /tmp/twh-bench-ab.XXXXXX)
	trap 'rm -f "$TMP_ERR"; rm -rf "$AB_TMP"' EXIT
	progress "building the context-struct A/B (e6cf22c+ac6c173 vs ac6c173)"
	if ab_build "$AB_TMP/before" e6cf22c ac6c173 && ab_build "$AB_TMP/after" ac6c173; then
		section "context struct A/B" env FORMAT=md MODES=open TOPO=memif GEN="$B/app/twinhop-benchgen" BASE_BUILD="$AB_TMP/before/build" \
			"$T/bench-reflector.sh" "$AB_TMP/after/build"
	else
		echo "| A/B | build failed: see $AB_TMP | | | | | |"
		trap 'rm -f "$TMP_ERR"' EXIT
	fi
fi
echo ""
echo "### Many sessions (issue 9 §5; tools/bench-sessions.sh)"
echo ""
echo "| case | 100,000 sessions | 1 session | ratio (1-session cyc/pkt ÷ 100k, median of the run pairs; goal ≥ 0.9) | idle (100k / 1) | CPU |"
echo "|---|---|---|---|---|---|"
section "sessions" env FORMAT=md N=100000 MEM=huge "$T/bench-sessions.sh" "$B"
echo ""
echo "### Burst absorption (issue 9 §4; tools/bench-burst.sh)"
echo ""
echo "| case | loss (goal 0) |"
echo "|---|---|"
section "burst" env FORMAT=md COUNT=10000 RATE=100000 "$T/bench-burst.sh" "$B"
echo ""
echo "Per run (the client's achieved rate and where any loss happened):"
echo ""
echo '```'
FENCED=1 section "burst detail" env COUNT=10000 RATE=100000 RUNS=1 "$T/bench-burst.sh" "$B"
echo '```'
# Every other benchmark (crypto, RTT, sender, ...): verbatim, time-limited.
for s in "$T"/bench-*.sh; do
	case $(basename "$s") in
	bench-all.sh | bench-lib.sh | bench-reflector.sh | bench-sessions.sh | bench-burst.sh) continue ;;
	esac
	echo ""
	echo "### $(basename "$s") ($(sed -n '3s/^# *//p' "$s"))"
	echo ""
	echo '```'
	FENCED=1 section "$(basename "$s")" timeout "$LIMIT" "$s" "$B"
	echo '```'
done
echo ""
echo "Total time: $(($(date +%s) - START)) s."
progress done
