#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Man pages (suite unit): every page in docs/man formats without a warning
(groff -man -ww -z, and man --warnings -l when man-db is installed), every
directive of the configuration parser table (control/daemon/ctl_conf.c) is
documented in twinhopd.conf.5, and every option twinhopd -h lists is in
twinhopd.8.  Also every directive of the traffic-profile parser
(control/profile/tw_profile.c) is an item of twinhop-profile.5, every key of
the driver-profile parser (app/fp_profile.c) an item of twinhop-fp.conf.5,
and every long option of twinhop-benchgen (its getopt table in
app/bench_gen.c: the binary's --help prints only the DPDK EAL usage) an item
of twinhop-benchgen.1.  Prints TWRESULT man-pages <passed> <failed>; exit 77
(skip) without groff."""
import glob, os, re, shutil, subprocess, sys, tempfile

MANDIR, CONF_C, TWINHOPD, PROFILE_C, FP_PROFILE_C, BENCHGEN_C = sys.argv[1:7]
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
        # tools/install-deps.sh installs it: a missing one is a failure.
        print("FAIL: missing command groff (Debian: groff-base): run tools/install-deps.sh")
        print("TWRESULT man-pages 0 1")
        return 1
    pages = sorted(glob.glob(os.path.join(MANDIR, "*.[1-8]")))
    names = {os.path.basename(p) for p in pages}
    check({"twinhopd.8", "twinhopd.conf.5", "twinhop-fp.8", "twinhop-ipc.1",
           "twinhop-profile.1", "twinhop-profile.5", "twinhop-fp.conf.5",
           "twinhop-benchgen.1"} <= names, "all pages present (%s)" % sorted(names))
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
    # Traffic-profile directives, driver-profile keys and benchgen options:
    # each must be the tag of a .TP/.TQ item of its page.
    src = open(PROFILE_C).read()
    check_items("twinhop-profile.5", "traffic-profile directive",
                re.findall(r'!strcmp\(d, "([a-z][a-z0-9-]*)"\)', src), 16, r'(?:\s|"|$)')
    src = open(FP_PROFILE_C).read()
    check_items("twinhop-fp.conf.5", "driver-profile key",
                re.findall(r'!strcmp\(k, "([a-z][a-z0-9_]*)"\)', src), 14, r'=')
    src = open(BENCHGEN_C).read()
    table = re.search(r"struct option\s+\w+\[\]\s*=\s*\{(.*?)\{0,\s*0,\s*0,\s*0\}", src, re.S)
    opts = re.findall(r'\{"([a-z][a-z0-9-]*)",\s*[012],', table.group(1) if table else "")
    check_items("twinhop-benchgen.1", "twinhop-benchgen option",
                ["--" + o for o in opts], 12, r'(?:\s|"|$)')
    return 0


def check_items(page, what, names, least, after):
    """Every name is the tag (.B/.BI/.BR right after .TP or .TQ) of an item of
    page; after: what must follow the name in the tag."""
    check(len(names) >= least, "%s: %ss found in the source (%d)" % (page, what, len(names)))
    path = os.path.join(MANDIR, page)
    if not os.path.exists(path):
        check(False, "%s exists" % page)
        return
    text = open(path).read().replace("\\-", "-")
    for n in names:
        check(re.search(r'^\.(?:TP|TQ)[^\n]*\n\.(?:B|BI|BR)\s+"?%s%s' % (re.escape(n), after),
                        text, re.M),
              "%s documents the %s '%s'" % (page, what, n))


rc = main()
if rc != 77:
    print("TWRESULT man-pages %d %d" % (passed, failed))
    rc = 1 if failed else 0
sys.exit(rc)
