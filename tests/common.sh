# SPDX-License-Identifier: BSD-3-Clause
# Result helpers shared by tests/system/lib.sh and tests/e2e/lib.sh
# (sourced by them, not by tests).  A test counts named checks and ends
# with "TWRESULT <name> <passed> <failed>", exiting non-zero on a failure;
# the caller sets NAME.
PASS=0
FAIL=0

ok() { PASS=$((PASS + 1)); echo "ok   - $*"; }
nok() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
expect() { # description command...
	local d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}

# need CMD...: the test runs these external commands; fail naming a missing
# one (tools/install-deps.sh installs them all; tools/check-deps.py checks
# that its table covers every command the tests run).
need() {
	local c
	for c; do
		command -v "$c" >/dev/null && continue
		echo "missing command: $c (run tools/install-deps.sh)"
		echo "TWRESULT $NAME 0 1"
		exit 1
	done
}

# must CMD...: a set-up step.  If it fails, the test fails, naming the step
# (a silenced set-up step once hid a missing ethtool behind timeouts).
must() {
	"$@" && return 0
	nok "set-up step failed (exit $?): $*"
	finish
}

finish() {
	echo "TWRESULT $NAME $PASS $FAIL"
	[ "$FAIL" = 0 ]
	exit $?
}
