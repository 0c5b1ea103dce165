#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""systemd units (suite unit): the configured tools/systemd units pass
`systemd-analyze verify` without a message (binaries pointed at the build
tree; twinhop-fp replaced by /bin/true when it is not built), and carry the
hardening the documentation promises.  Without systemd-analyze the test
prints TWRESULT systemd-units 0 0 and exits 77 (skipped)."""
import os, re, shutil, subprocess, sys, tempfile

BUILD_UNITS, TARGET, TWINHOPD, FP = sys.argv[1:5]
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, flush=True)


def verify(paths):
    r = subprocess.run(["systemd-analyze", "verify", "--man=no"] + paths,
                       capture_output=True, text=True, timeout=120)
    msgs = [l for l in (r.stderr + r.stdout).splitlines() if l.strip()]
    return r.returncode, msgs


def main():
    if not shutil.which("systemd-analyze"):
        # tools/install-deps.sh installs it: a missing one is a failure.
        print("FAIL: missing command systemd-analyze (Debian: systemd): run tools/install-deps.sh")
        print("TWRESULT systemd-units 0 1")
        return 1
    tmp = tempfile.mkdtemp(prefix="twinhop-units-")
    fp = FP if os.access(FP, os.X_OK) else "/bin/true"
    units = {}
    for name in ("twinhopd.service", "twinhop-fp@.service"):
        text = open(os.path.join(BUILD_UNITS, name)).read()
        text = re.sub(r"[^\s=]*/sbin/twinhopd\b", TWINHOPD, text)
        text = re.sub(r"[^\s=]*/bin/twinhop-fp\b", fp, text)
        units[name] = text
    units["twinhop-fp.target"] = open(TARGET).read()
    units["twinhop-fp@net_tap.service"] = units["twinhop-fp@.service"]
    for name, text in units.items():
        with open(os.path.join(tmp, name), "w") as f:
            f.write(text)
    paths = [os.path.join(tmp, n) for n in
             ("twinhopd.service", "twinhop-fp@net_tap.service", "twinhop-fp.target")]
    rc, msgs = verify(paths)
    check(rc == 0 and not msgs, "systemd-analyze verify: rc %d %s" % (rc, msgs[:6]))

    d = units["twinhopd.service"]
    for want in ("ProtectSystem=strict", "NoNewPrivileges=yes", "RuntimeDirectory=twinhop",
                 "ExecReload=/bin/kill -HUP $MAINPID", "After=network-online.target twinhop-fp.target"):
        check(want in d, "twinhopd.service has %s" % want)
    caps = re.search(r"^CapabilityBoundingSet=(.*)$", d, re.M)
    check(caps and set(caps.group(1).split()) >= {"CAP_NET_BIND_SERVICE", "CAP_SETUID",
                                                  "CAP_SETGID"},
          "twinhopd.service capability bounding set")
    check(not re.search(r"^User=", d, re.M), "twinhopd starts as root and drops by itself")
    check(" -d" not in re.search(r"^ExecStart=(.*)$", d, re.M).group(1),
          "twinhopd runs in the foreground under systemd")
    f = units["twinhop-fp@.service"]
    check("drivers-config/%i.conf" in f, "twinhop-fp@: instance is the driver profile")

    # The check can fail: an unknown key is reported.
    bad = os.path.join(tmp, "bad.service")
    with open(bad, "w") as fh:
        fh.write("[Service]\nExecStart=/bin/true\nProtectSystem=sideways\n")
    rc, msgs = verify([bad])
    check(msgs, "a broken unit is reported")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


rc = main()
if rc != 77:
    print("TWRESULT systemd-units %d %d" % (passed, failed))
    rc = 1 if failed else 0
sys.exit(rc)
