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
