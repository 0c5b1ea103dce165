#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Imports point down (DEVELOPERS.md, docs/control.md "Structure").

Reads every #include "..." under lib/, control/ and app/ and checks the
layering: lib/ imports nothing above it; the control libraries (report/,
profile/, keys/, client/) import neither program; control/cli/ never imports
control/daemon/ (nor the other way); inside the daemon, a module imports
only modules of a lower rank, so nothing reaches back up to twinhopd.c.
A header is owned by the folder it lives in.

Prints TWRESULT layers <passed> <failed>."""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
root = os.path.abspath(root)
inc_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

# Daemon modules, lowest first; a module may import only lower ranks (same
# rank: its own files).  ctl_admin_* files belong to ctl_admin.
DAEMON_RANK = [
    ["ctl_log", "ctl_json", "ctl_http", "ctl_loop", "ctl_flows", "ctl_sandbox"],
    ["ctl_conf"],
    ["ctl_server", "ctl_fp"],
    ["ctl_reg", "ctl_peers", "ctl_cc"],
    ["ctl_daemon"],
    ["ctl_live"],
    ["ctl_admin", "ctl_metrics"],
    ["twinhopd"],
]


# The control libraries both programs import (downward only).
CONTROL_LIBS = ("control/report", "control/profile", "control/keys", "control/client")


def module_of(name):
    base = os.path.splitext(os.path.basename(name))[0]
    if base.startswith("ctl_admin"):
        return "ctl_admin"
    return base


def rank(mod):
    for i, row in enumerate(DAEMON_RANK):
        if mod in row:
            return i
    return None


owner = {}  # header basename -> folder (relative)
files = []
for top in ("lib", "control", "app"):
    for d, _, names in os.walk(os.path.join(root, top)):
        for n in names:
            rel = os.path.relpath(os.path.join(d, n), root)
            if n.endswith(".h"):
                owner.setdefault(n, os.path.dirname(rel))
            if n.endswith((".c", ".h")):
                files.append(rel)

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL %s" % what)


daemon_mods = set()
for f in sorted(files):
    text = open(os.path.join(root, f), encoding="utf-8", errors="replace").read()
    folder = os.path.dirname(f)
    for h in inc_re.findall(text):
        hf = owner.get(os.path.basename(h))
        if hf is None or hf == folder:
            if hf == folder and folder == "control/daemon":
                a, b = module_of(f), module_of(h)
                ra, rb = rank(a), rank(b)
                daemon_mods.add(a)
                check(ra is not None and rb is not None and (a == b or rb < ra),
                      "%s imports %s (daemon rank %s -> %s)" % (f, h, ra, rb))
            continue
        if folder.startswith("lib"):
            check(hf.startswith("lib"), "%s (lib/) imports %s from %s" % (f, h, hf))
        elif folder.startswith(CONTROL_LIBS):
            check(hf.startswith("lib") or hf in CONTROL_LIBS,
                  "%s (control library) imports %s from %s" % (f, h, hf))
        elif folder.startswith("control/cli"):
            check(not hf.startswith(("control/daemon", "app")),
                  "%s (cli) imports %s from %s" % (f, h, hf))
        elif folder.startswith("control/daemon"):
            # "control/cli/", not "control/client" (a library both import)
            check(not (hf + "/").startswith(("control/cli/", "app/")),
                  "%s (daemon) imports %s from %s" % (f, h, hf))
        else:
            check(not hf.startswith("control"), "%s (app) imports %s from %s" % (f, h, hf))

# every daemon source file belongs to a ranked module (a new one must be
# placed in the order above)
for f in files:
    if f.startswith("control/daemon/"):
        m = module_of(f)
        check(rank(m) is not None, "%s: module %s has no rank in check_layers.py" % (f, m))

print("TWRESULT layers %d %d" % (passed, failed))
sys.exit(1 if failed or not passed else 0)
