# SPDX-License-Identifier: BSD-3-Clause
# Shared set-up of the tools/bench-*.sh benchmarks (sourced).
#
#   bench_init NAME [SHM]   temp dir, namespace twh-NAME<pid>, optional shm
#                           region name, and a cleanup on exit that stops the
#                           processes in PIDS (SIGINT, then SIGKILL), removes
#                           the namespace, the shm region, this run's DPDK
#                           runtime dirs and the temp dir (unless KEEP).
#   bench_cleanup_extra     define it to add a step to the cleanup.
bench_init() {
	TMP=$(mktemp -d "/tmp/twh-$1.XXXXXX")
	NS=twh-$1$$
	SHM=${2:-}
	PIDS=()
	trap bench_cleanup EXIT
	trap 'exit 1' INT TERM
}

bench_cleanup() {
	local p d
	for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
	sleep 0.5
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	[ -n "$SHM" ] && rm -f "/dev/shm$SHM"
	declare -F bench_cleanup_extra >/dev/null && bench_cleanup_extra
	# DPDK runtime dirs of this run's processes: twh-<letters><our pid>,
	# matched exactly so a concurrent run's dirs are never touched.
	for d in /var/run/dpdk/twh-*; do
		[[ ${d##*/} =~ ^twh-[a-z]+$$$ ]] && rm -rf "$d"
	done
	[ -n "${KEEP:-}" ] || rm -rf "$TMP"
}

# Capacity from twinhop-fp's shared-memory counters (docs/performance.md).
#   tw_capacity_sample IPC SHM  -> "rx_pkts rx_bursts busy_cycles tx_pkts" (lcore totals)
#   tw_capacity T_A T_B HZ "A" "B" -> "cycles/pkt Mpps idle% pkts/burst" over
#       the window between two samples taken at wall times T_A and T_B (s),
#       HZ the TSC rate; or "fail WHY".  idle% = the share of the window's
#       cycles that were not busy.
tw_capacity_sample() {
	"$1" --shm "$2" counters 2>/dev/null | awk '$1 == "total" { v[$2] = $3 }
		END { printf "%.0f %.0f %.0f %.0f\n", v["RX_PKTS"], v["RX_BURSTS"], v["BUSY_CYCLES"], v["TX_PKTS"] }'
}
tw_capacity() {
	awk -v ta="$1" -v tb="$2" -v hz="$3" -v a="$4" -v b="$5" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		rx = y[1] - x[1]; bu = y[2] - x[2]; cy = y[3] - x[3]; tx = y[4] - x[4]; w = (tb - ta) * hz
		if (rx <= 0 || bu <= 0 || w <= 0) { print "fail no packets reflected in the window"; exit }
		if (cy <= 0) { print "fail no busy cycles counted in the window (counters not published?)"; exit }
		idle = 100 * (1 - cy / w); if (idle < 0) idle = 0
		printf "%.1f %.3f %.1f %.1f\n", cy / rx, tx / (tb - ta) / 1e6, idle, rx / bu }'
}
# bench_run_ratios RUNS "NUM…" "DEN…" -> " r1 r2 …", each run's own ratio
# (its numerator ÷ its denominator: the two windows of a run go back to
# back), or nothing unless both lists hold all RUNS runs (a failed run is
# left out of its list, which would pair the wrong runs).  Ratios that
# disagree mean the host changed speed between runs (docs/performance.md,
# "The host has several speeds").
bench_run_ratios() {
	awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN {
		if (split(a, x, " ") != n || split(b, y, " ") != n) exit
		for (i = 1; i <= n; i++) printf " %.2f", x[i] / y[i] }'
}
# bench_pair_ratio RUNS "NUM…" "DEN…" -> the median of the runs' own
# ratios (bench_run_ratios), or the ratio of the two lists' medians when
# a run is missing from either.  The headline ratio of bench-reflector.sh
# and bench-sessions.sh: the two windows of a run go back to back on one
# host speed, while the medians of the two lists can come from runs on
# different speeds (2026-12-06: medians 1.01, runs 0.86 1.01 0.86).
bench_pair_ratio() {
	awk -v n="$1" -v a="$2" -v b="$3" '
	function med(v, k,   i, j, t) { # median of v[1..k] (sorts v)
		for (i = 2; i <= k; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return v[int((k + 1) / 2)]
	}
	BEGIN {
		na = split(a, x, " "); nb = split(b, y, " ")
		for (i = 1; i <= nb; i++)
			if (y[i] + 0 <= 0) { print "n/a"; exit }
		if (na == n && nb == n) {
			for (i = 1; i <= n; i++) r[i] = x[i] / y[i]
			printf "%.2f", med(r, n)
		} else if (na && nb) {
			# a run missing from a list: the ratio of the medians
			printf "%.2f", med(x, na) / med(y, nb)
		} else
			print "n/a"
	}'
}
# the generator's GENWIN line -> "offered_Mpps hz", or nothing
gen_window() {
	awk '$1 == "GENWIN" { sub("tx=", "", $5); if ($3 > $2) printf "%.3f %s\n", $5 / (($3 - $2) / $4) / 1e6, $4 }' "$1"
}

# Stopping a memif pair (docs/performance.md): the DPDK 22.11 memif PMD
# unmaps the shared rings in its interrupt thread when the peer disconnects,
# even while an lcore of its own process is inside rx/tx burst on them, so
# the side still polling when the other closes can die of SIGSEGV.  The
# generator runs with --linger: after its window it stops polling and prints
# GENDONE, and closes only once its peer has gone.  So: wait for GENDONE,
# stop the reflector (its lcores stop before it closes the port), then let
# the generator go.
gen_wait_done() { # gen_pid gen_log
	for _ in $(seq 300); do
		grep -qs "^GENDONE" "$2" && return 0
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "generator $1 printed no GENDONE in 30 s" >&2
}
gen_finish() { # gen_pid: exits by itself on link down; SIGINT if the link never goes down
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -INT "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
