#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# No allocation per packet or per message: run tests/unit/noalloc.c under
# valgrind for N=10 and N=2000 iterations of every per-packet and
# per-message path of lib/ and require the same heap-allocation count.
# valgrind also reports any invalid access or leak in those paths.
prog=$1
name=noalloc
command -v valgrind >/dev/null || { echo "valgrind missing"; echo "TWRESULT $name 0 1"; exit 1; }
allocs() { # iterations -> "allocs errors"
	local log
	log=$(valgrind --error-exitcode=9 --leak-check=full "$prog" "$1" 2>&1)
	local rc=$?
	echo "$log" | grep -E "noalloc:|total heap usage|ERROR SUMMARY" >&2
	local a
	a=$(echo "$log" | sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,)
	echo "${a:-x} $rc"
}
pass=0 fail=0
read -r a1 rc1 < <(allocs 10)
read -r a2 rc2 < <(allocs 2000)
if [ "$rc1" = 0 ] && [ "$rc2" = 0 ]; then pass=$((pass + 1)); else
	echo "FAIL: valgrind reported errors or a check failed ($rc1, $rc2)"; fail=$((fail + 1)); fi
if [ "$a1" != x ] && [ "$a1" = "$a2" ]; then
	echo "ok: $a1 allocations for 10 iterations and for 2000"; pass=$((pass + 1))
else
	echo "FAIL: allocations grow with iterations: $a1 for 10, $a2 for 2000"; fail=$((fail + 1))
fi
echo "TWRESULT $name $pass $fail"
[ $fail = 0 ]
