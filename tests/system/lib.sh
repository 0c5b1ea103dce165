# SPDX-License-Identifier: BSD-3-Clause
# Shared helpers for the system tests (sourced).  Every test prints
# "TWRESULT <name> <passed> <failed>" and exits non-zero on failure.
TW_BUILD=${TW_BUILD:-/tmp/b-fp}
TW_SRC=${TW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# ok, nok, expect, need, must, finish
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
FP=${FP:-$TW_BUILD/app/twinhop-fp}
PROFILES=$TW_SRC/drivers-config
PIDS=()
NETNS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for n in "${NETNS[@]}"; do ip netns del "$n" 2>/dev/null; done
	# DPDK runtime dirs of this run's processes: twh-<letters><our pid>,
	# matched exactly so a concurrent run's dirs are never touched.
	local d
	for d in /var/run/dpdk/twh-*; do
		[[ ${d##*/} =~ ^twh-[a-z]+$$$ ]] && rm -rf "$d"
	done
	[ -n "${KEEP:-}" ] || rm -rf "$TMP"
}

setup_common() {
	[ "$(id -u)" = 0 ] || { echo "TWRESULT $NAME 0 1"; echo "needs root"; exit 1; }
	[ -x "$FP" ] || { echo "TWRESULT $NAME 0 1"; echo "no $FP"; exit 1; }
	need ip python3
	TMP=$(mktemp -d /tmp/twh-$NAME.XXXXXX)
	trap cleanup EXIT
	trap 'exit 1' INT TERM
}

# mkns VAR tag: create a unique netns, store its name in VAR, delete it at
# exit (not via $(...): the cleanup list must live in this shell).
mkns() {
	local n="twh-$2-$$"
	must ip netns add "$n"
	NETNS+=("$n")
	must ip -n "$n" link set lo up
	printf -v "$1" '%s' "$n"
}
