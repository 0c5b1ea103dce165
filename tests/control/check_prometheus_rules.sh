#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The alerting rules shipped in tools/prometheus: promtool accepts them and
# their unit tests pass.  Prints TWRESULT prometheus-rules <passed> <failed>.
dir=${1:?usage: check_prometheus_rules.sh TOOLS_PROMETHEUS_DIR}
pass=0 fail=0
run() { # name command...
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass=$((pass + 1)); echo "ok   - $name"
	else
		fail=$((fail + 1)); echo "FAIL - $name"; echo "$out" | sed 's/^/       /'
	fi
}
if ! command -v promtool >/dev/null; then
	echo "FAIL - promtool missing (tools/install-deps.sh installs prometheus)"
	fail=1
else
	run "promtool check rules twinhop.rules.yml" promtool check rules "$dir/twinhop.rules.yml"
	# promtool resolves rule_files relative to the test file
	run "promtool test rules twinhop.rules.test.yml" promtool test rules "$dir/twinhop.rules.test.yml"
fi
echo "TWRESULT prometheus-rules $pass $fail"
[ "$fail" = 0 ]
