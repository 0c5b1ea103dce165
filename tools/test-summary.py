#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Add up the results of every test program in the given meson build dirs.

A test program prints "TWRESULT <name> <passed> <failed>" lines; a program
that printed none (it crashed, or is not ours) counts as one test, passed or
failed by its exit status.  A program whose exit status is a failure but
which reported no failed case counts one failure more, so a crash after the
report is never hidden.  Prints one line per build and ends with the line
"N passed, N failed" over everything.
"""
import json, os, re, sys

LINE = re.compile(r'^TWRESULT (\S+) (\d+) (\d+)\s*$', re.M)

def summarise(build):
    log = os.path.join(build, 'meson-logs', 'testlog.json')
    passed = failed = 0
    if not os.path.exists(log):
        print(f'{build}: no test log (build failed?)')
        return 0, 1
    for raw in open(log):
        t = json.loads(raw)
        ok = t['result'] in ('OK', 'EXPECTEDFAIL', 'SKIP')
        hits = LINE.findall(t.get('stdout', '') or '')
        if not hits:
            if t['result'] == 'SKIP':
                continue
            p, f = (1, 0) if ok else (0, 1)
        else:
            p = sum(int(h[1]) for h in hits)
            f = sum(int(h[2]) for h in hits)
            if not ok and f == 0:
                f = 1
        if f:
            print(f'  FAILED: {build} {t["name"]} ({t["result"]}, {f} failed)')
        passed += p
        failed += f
    print(f'{build}: {passed} passed, {failed} failed')
    return passed, failed

tp = tf = 0
for b in sys.argv[1:]:
    p, f = summarise(b)
    tp += p
    tf += f
print(f'{tp} passed, {tf} failed')
sys.exit(1 if tf else 0)
