#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Fuzz one target for a bounded time with clang + libFuzzer.
#
#   tests/fuzz/run.sh TARGET SECONDS [extra libFuzzer flags...]
#
# Builds (or reuses) a clang tree in $TW_FUZZ_BUILD (default /tmp/b-fuzz),
# copies the seed corpus of TARGET into a scratch directory (the repository
# is never written), fuzzes one process (-jobs=1 style) with a fixed -seed
# for -max_total_time=SECONDS, and prints "TWRESULT fuzz-run-TARGET 1 0" if
# no crash was found, "0 1" otherwise.  A crash input is kept in
# $TW_FUZZ_OUT (default /tmp/twinhop-fuzz-TARGET/artifacts) and its path is
# printed: copy it to tests/fuzz/corpus/TARGET/crash-<name> to make the
# 'unit' suite replay it.
set -u
t=${1:?usage: run.sh TARGET SECONDS}
secs=${2:?usage: run.sh TARGET SECONDS}
shift 2
src=${TW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
b=${TW_FUZZ_BUILD:-/tmp/b-fuzz}
work=${TW_FUZZ_OUT:-/tmp/twinhop-fuzz-$t}
res() { echo "TWRESULT fuzz-run-$t $1 $2"; [ "$1" = 1 ]; exit $?; }

command -v clang >/dev/null || { echo "run.sh: clang not installed"; res 0 1; }
if [ ! -f "$b/build.ninja" ]; then
	CC=clang meson setup "$b" "$src" -Dfastpath=disabled >"$b.setup.log" 2>&1 ||
		{ tail -n 30 "$b.setup.log"; res 0 1; }
fi
ninja -C "$b" "tests/fuzz/fuzz_$t" >"$b.ninja.log" 2>&1 || { tail -n 40 "$b.ninja.log"; res 0 1; }
bin="$b/tests/fuzz/fuzz_$t"
[ -x "$bin" ] || { echo "run.sh: $bin not built (is clang's libFuzzer available?)"; res 0 1; }

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$src/tests/fuzz/corpus/$t/"* "$work/corpus/" 2>/dev/null
# Known crash reproducers are replayed by the unit suite, not re-found here.
rm -f "$work/corpus/"crash-*

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
"$bin" "$work/corpus" -seed=1 -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
	-max_len=4096 -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$@" \
	>"$work/log" 2>&1
rc=$?
grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
	"$work/log" | tail -n 5
# slow-unit-*: an input that took over -report_slow_units (10 s) once.  On a
# shared machine that is the scheduler, not the target: name it, replay it
# by hand (its time is printed), but do not fail the run for it.
for s in $(ls "$work/artifacts" 2>/dev/null | grep '^slow-unit-'); do
	echo "run.sh: note: slow input $work/artifacts/$s (replay: $bin $work/artifacts/$s)"
done
crashes=$(ls "$work/artifacts" 2>/dev/null | grep -v '^slow-unit-')
if [ $rc -ne 0 ] || [ -n "$crashes" ]; then
	grep -E 'ERROR|SUMMARY|invariant failed|runtime error' "$work/log" | head -n 10
	for c in $crashes; do echo "run.sh: crash input $work/artifacts/$c"; done
	res 0 1
fi
res 1 0
