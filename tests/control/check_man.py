#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Man pages (suite unit): every page in docs/man formats without a warning
(groff -man -ww -z, and man --warnings -l when man-db is installed), every
directive of the configuration parser table (control/ctl_conf.c) is
documented in twinhopd.conf.5, and every option twinhopd -h lists is in
twinhopd.8.  Prints TWRESULT man-pages <passed> <failed>; exit 77 (skip)
without groff."""
import glob, os, re, shutil, subprocess, sys, tempfile

MANDIR, CONF_C, TWINHOPD = sys.argv[1:4]
passed = failed = 0
ENV = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, flush=True)


def warnings(path):
    out = []
    r = subprocess.run(["groff", "-man", "-ww", "-z", path], capture_output=True, text=True,
                       env=ENV)
    out += [l for l in r.stderr.splitlines() if l.strip()]
    if r.returncode:
        out.append("groff exit %d" % r.returncode)
    if shutil.which("man"):
        r = subprocess.run(["man", "--warnings", "-l", path], capture_output=True, text=True,
                           env=ENV)
        out += [l for l in r.stderr.splitlines() if l.strip()]
    return out


def main():
    if not shutil.which("groff"):
        print("groff not installed (Debian: groff-base): skipped")
        print("TWRESULT man-pages 0 0")
        return 77
    pages = sorted(glob.glob(os.path.join(MANDIR, "*.[1-8]")))
    names = {os.path.basename(p) for p in pages}
    check({"twinhopd.8", "twinhopd.conf.5", "twinhop-fp.8", "twinhop-ipc.1",
           "twinhop-profile.1"} <= names, "all pages present (%s)" % sorted(names))
    for p in pages:
        w = warnings(p)
        check(not w, "%s formats without warnings: %s" % (os.path.basename(p), w[:5]))
        sect = os.path.basename(p).rsplit(".", 1)[1]
        th = re.search(r"^\.TH\s+\S+\s+(\d)", open(p).read(), re.M)
        check(th and th.group(1) == sect, "%s: .TH section matches the file name" % p)
    # The check can fail: a page with an unknown macro and a bad escape.
    with tempfile.NamedTemporaryFile("w", suffix=".1", delete=False) as f:
        f.write(".TH BAD 1\n.SH NAME\nbad \\- bad\n.BOGUS x\n\\*[nosuchstring]\n")
    check(warnings(f.name), "a broken page is reported")
    os.unlink(f.name)

    # Directives of the parser table, all documented.
    src = open(CONF_C).read()
    dirs = re.findall(r'\[D_[A-Z0-9_]+\]\s*=\s*\{"([a-z0-9-]+)"', src)
    check(len(dirs) >= 20, "directive table found (%d)" % len(dirs))
    conf5 = open(os.path.join(MANDIR, "twinhopd.conf.5")).read().replace("\\-", "-")
    for d in dirs:
        check(re.search(r'^\.(?:B|BI|BR)\s+"?%s(?:\s|"|$)' % re.escape(d), conf5, re.M),
              "twinhopd.conf.5 documents the directive '%s'" % d)
    # Options of twinhopd -h, all in twinhopd.8.
    r = subprocess.run([TWINHOPD, "-h"], capture_output=True, text=True)
    opts = re.findall(r"^\s+(-\w), (--[\w-]+)", r.stderr + r.stdout, re.M)
    check(len(opts) >= 8, "twinhopd -h lists its options (%d)" % len(opts))
    man8 = open(os.path.join(MANDIR, "twinhopd.8")).read().replace("\\-", "-")
    for short, long_ in opts:
        check(re.search(r"^\.BR\s+%s\s+\",\s+\"\s+%s" % (short, long_), man8, re.M),
              "twinhopd.8 documents %s, %s" % (short, long_))
    return 0


rc = main()
if rc != 77:
    print("TWRESULT man-pages %d %d" % (passed, failed))
    rc = 1 if failed else 0
sys.exit(rc)
