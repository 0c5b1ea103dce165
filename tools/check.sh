#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The one test command: install dependencies, build twice (normal, and
# ASan+UBSan), run every suite in both, and end with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
src=$(pwd)
[ "$(id -u)" = 0 ] || { echo "check.sh: run as root (system tests use namespaces and hugepages)"; exit 2; }
tools/install-deps.sh || { echo "check.sh: dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
rc=0
build() { # dir, meson options...
	local dir=$1; shift
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "$@" >/dev/null || return 1
	else
		meson setup "$dir" "$@" >/dev/null || return 1
	fi
	ninja -C "$dir" >"$dir.ninja.log" 2>&1 || { tail -n 60 "$dir.ninja.log"; return 1; }
}

# Normal build, warnings are errors.
if build build/check --werror -Dbuildtype=debugoptimized; then
	meson test -C build/check --print-errorlogs --no-rebuild --suite unit --suite system --suite system-nodpdk || rc=1
else
	echo "check.sh: normal build failed"; rc=1
fi
# Sanitizer build: unit tests and the DPDK-free system tests.
if build build/san --werror -Db_sanitize=address,undefined -Db_lundef=false -Dfastpath=disabled; then
	meson test -C build/san --print-errorlogs --no-rebuild --suite unit --suite system-nodpdk || rc=1
else
	echo "check.sh: sanitizer build failed"; rc=1
fi
python3 tools/test-summary.py build/check build/san || rc=1
exit $rc
