#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Session churn against twinhopd + tests/control/fake_fp (issue 8 §2).

CONNS control connections, each from its own loopback address, cycle
sessions through Request-TW-Session x 16, Start-Sessions, Stop-Sessions with a
large Timeout (900 s, capped by refwait), until TOTAL sessions were set up.
test-ports is only 10 ports wide: every session still gets one, because
flows of different senders share a port.  At the end (once refwait has let
every drain end) the flows, test ports, deferred deletes and the fake fast
path's session table must be back to empty, and the counters must account
for every session.  Prints TWRESULT twinhopd-churn <passed> <failed>.

usage: twinhopd_churn.py TWINHOPD FAKE_FP [TOTAL [CONNS]]
       twinhopd_churn.py TWINHOPD fp:TWINHOP_FP:NET_NULL_PROFILE [TOTAL [CONNS]]

The second form runs the real twinhop-fp on a net_null port instead of the
fake fast path (as root, no hugepages): its session table is read from its
counters (SESS_ADDED - SESS_DELETED) through twinhopd's admin socket.
"""
import json, os, selectors, shutil, signal, socket, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import twh_sys  # noqa: E402
from twh_sys import check, free_port  # noqa: E402

TWINHOPD, FAKE_FP = sys.argv[1:3]
REAL_FP = FAKE_FP.split(":")[1:] if FAKE_FP.startswith("fp:") else None
TOTAL = int(sys.argv[3]) if len(sys.argv) > 3 else 50000
CONNS = int(sys.argv[4]) if len(sys.argv) > 4 else 32
PER_ROUND = 16






def request(sport):
    b = struct.pack("!BBBBII HH", 5, 4, 0, 0, 0, 0, sport, 20000)
    b += bytes(32) + bytes(16)  # zero addresses, SID
    b += struct.pack("!I Q Q I", 0, 0, 900 << 32, 0) + bytes(8) + bytes(16)
    return b


START = bytes([2]) + bytes(31)
STOP = struct.pack("!BBHI", 3, 0, 0, PER_ROUND) + bytes(24)


class Conn:
    def __init__(self, i, port):
        self.s = socket.socket()
        self.s.bind(("127.0.%d.%d" % (1 + i // 200, 10 + i % 200), 0))
        self.s.connect(("127.0.0.1", port))
        self.s.setblocking(True)
        self.s.settimeout(10)
        self.buf = b""
        self.next_sport = 1024
        self.accepted = self.refused = 0
        self.codes = {}
        self.want = 64 + 48  # greeting + Server-Start
        self.stage = "setup"
        self.s.sendall(struct.pack("!I", 1) + bytes(160))

    def round(self):
        """Send one pipelined round; its replies are 16 x 48 + 32 octets."""
        out = b""
        for _ in range(PER_ROUND):
            out += request(self.next_sport)
            self.next_sport = self.next_sport + 1 if self.next_sport < 65000 else 1024
        self.s.sendall(out + START)
        self.want = PER_ROUND * 48 + 32
        self.stage = "round"

    def feed(self, d):
        self.buf += d
        if len(self.buf) < self.want:
            return False
        b, self.buf = self.buf[: self.want], self.buf[self.want :]
        if self.stage == "round":
            for k in range(PER_ROUND):
                acc = b[k * 48]
                self.codes[acc] = self.codes.get(acc, 0) + 1
                if acc == 0:
                    self.accepted += 1
                else:
                    self.refused += 1
            self.s.sendall(STOP)
        return True


def admin(path, cmd):
    a = socket.socket(socket.AF_UNIX)
    a.settimeout(10)
    a.connect(path)
    a.sendall((json.dumps(cmd) + "\n").encode())
    b = b""
    while not b.endswith(b"\n"):
        d = a.recv(1 << 20)
        if not d:
            break
        b += d
    a.close()
    return json.loads(b)


def fake_live(fp, log):
    fp.send_signal(signal.SIGUSR1)
    for _ in range(50):
        time.sleep(0.1)
        lines = [l for l in open(log).read().splitlines() if l.startswith("LIVE ")]
        if lines:
            open(log, "w").close()
            f = lines[-1].split()
            return int(f[1]), int(f[3])
    return None, None


def main():
    tmp = tempfile.mkdtemp(prefix="twh-churn-")
    shm = "/twh-churn-%d" % os.getpid()
    port = free_port()
    adm = os.path.join(tmp, "adm.sock")
    procs = []
    thd = None
    try:
        fplog = os.path.join(tmp, "fp.log")
        if REAL_FP:
            fp = subprocess.Popen([REAL_FP[0], "-l", "0", "--no-huge", "-m", "512", "--no-pci",
                                   "--file-prefix", "twh-churn-%d" % os.getpid(),
                                   "--log-level=user1,notice", "--", "--profile", REAL_FP[1],
                                   "--shm", shm, "--idle-backoff", "on"],
                                  stdout=open(fplog, "w"), stderr=subprocess.STDOUT)
        else:
            fp = subprocess.Popen([FAKE_FP, shm], stdout=open(fplog, "w"),
                                  env=dict(os.environ, FAKE_FP_QUIET="1"))
        procs.append(fp)
        for _ in range(50):
            if "READY" in open(fplog).read():
                break
            time.sleep(0.1)
        # LeakSanitizer cannot work under the seccomp filter (as twinhopd_metrics.py)
        asan = b"libasan" in subprocess.run(["ldd", TWINHOPD], capture_output=True).stdout
        conf = os.path.join(tmp, "thd.conf")
        with open(conf, "w") as f:
            f.write("listen 127.0.0.1 %d\nmodes open\ntest-ports 20000-20009\n"
                    "max-connections %d\nmax-sessions-per-connection %d\n"
                    "max-sessions-per-client 65536\nmax-sessions 1048576\n"
                    "refwait 3\nservwait 120\nfp-region %s\nfp-timeout 5000\n"
                    "admin-socket %s\nadmin-socket-ro none\nstats-interval 0\nlog-level warning\n"
                    "seccomp %s\n" % (port, CONNS + 8, PER_ROUND, shm, adm, "no" if asan else "yes"))
        thd = subprocess.Popen([TWINHOPD, "-f", conf], stdout=open(os.path.join(tmp, "thd.log"), "w"),
                               stderr=subprocess.STDOUT)
        procs.append(thd)
        for _ in range(100):
            try:
                if admin(adm, {"cmd": "show-status"})["fp"]["attached"]:
                    break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.1)
        check(admin(adm, {"cmd": "show-status"})["fp"]["attached"],
              "twinhopd attached to %s" % ("twinhop-fp" if REAL_FP else "fake_fp"))

        t0 = time.time()
        sel = selectors.DefaultSelector()
        conns = [Conn(i, port) for i in range(CONNS)]
        rounds_left = (TOTAL + PER_ROUND - 1) // PER_ROUND
        for c in conns:
            sel.register(c.s, selectors.EVENT_READ, c)
        active = len(conns)
        deadline = time.time() + 300
        while active and time.time() < deadline:
            for key, _ in sel.select(timeout=5):
                c = key.data
                d = c.s.recv(65536)
                if not d:
                    sel.unregister(c.s)
                    active -= 1
                    continue
                if c.feed(d):
                    if rounds_left:
                        rounds_left -= 1
                        c.round()
                    else:
                        sel.unregister(c.s)
                        active -= 1
        dt = time.time() - t0
        acc = sum(c.accepted for c in conns)
        ref = sum(c.refused for c in conns)
        codes = {}
        for c in conns:
            for k, v in c.codes.items():
                codes[k] = codes.get(k, 0) + v
        rounds = (TOTAL + PER_ROUND - 1) // PER_ROUND * PER_ROUND
        print("churn: %d set-ups in %.1f s (%.0f/s) over %d connections; Accept codes %s"
              % (acc + ref, dt, (acc + ref) / dt, CONNS, codes), flush=True)
        check(acc + ref == rounds, "every request answered (%d of %d)" % (acc + ref, rounds))
        check(ref == 0, "no request refused (10 test ports, %d sessions)" % acc)
        st = admin(adm, {"cmd": "show-status"})
        print("after the churn: flows %s, test ports used %s, deletes pending %s"
              % (st.get("flows"), st.get("test_ports_used"), st.get("deletes_pending")))
        for c in conns:
            c.s.close()
        # Drains are min(900 s, refwait 3 s) + 1 s: wait (bounded) for the end.
        for _ in range(300):
            st = admin(adm, {"cmd": "show-status"})
            if (st["flows"], st["test_ports_used"], st["deletes_pending"]) == (0, 0, 0):
                break
            time.sleep(0.1)
        check((st["flows"], st["test_ports_used"], st["deletes_pending"]) == (0, 0, 0),
              "flows, test ports and deferred deletes back to empty (%s, %s, %s)"
              % (st["flows"], st["test_ports_used"], st["deletes_pending"]))
        if REAL_FP:
            # the counters are published every stats interval: bounded wait
            for _ in range(50):
                fc = admin(adm, {"cmd": "show-fp-counters"}).get("total", {})
                if fc.get("SESS_ADDED", 0) - fc.get("SESS_DELETED", 0) == 0:
                    break
                time.sleep(0.1)
            added, deleted = fc.get("SESS_ADDED", 0), fc.get("SESS_DELETED", 0)
            check(added == acc and deleted == acc,
                  "twinhop-fp: every session added and deleted (%s, %s of %d)" % (added, deleted, acc))
        else:
            live, mx = fake_live(fp, fplog)
            check(live == 0, "fast path session table back to empty (live %s, at most %s)" % (live, mx))
            check(mx is not None and mx > 2000,
                  "sessions in their Timeout drain outnumbered the 10 test ports (peak %s)" % mx)
        cnt = admin(adm, {"cmd": "show-counters"})["counters"]
        where = {k: cnt[k] for k in ("SESSIONS_ACCEPTED", "SESSIONS_STARTED", "SESSIONS_STOPPED",
                                     "SESSIONS_RETIRED", "FP_DELETED", "FP_DELETED_UNKNOWN",
                                     "FP_DELETED_GONE", "REQ_NO_PORT", "REQ_CLIENT_LIMIT")}
        print("counters:", where)
        check(cnt["SESSIONS_ACCEPTED"] == acc and cnt["SESSIONS_STARTED"] == acc
              and cnt["SESSIONS_STOPPED"] == acc, "accepted = started = stopped = %d" % acc)
        check(cnt["SESSIONS_RETIRED"] == acc and cnt["FP_DELETED"] == acc
              and cnt["FP_DELETED_UNKNOWN"] == 0 and cnt["FP_DELETED_GONE"] == 0,
              "every session retired and deleted by the fast path")
        check(cnt["REQ_NO_PORT"] == 0, "REQ_NO_PORT 0")
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        log = open(os.path.join(tmp, "thd.log"), errors="replace").read()
        check(thd is not None and"Sanitizer" not in log and thd.returncode == 0,
              "twinhopd stopped cleanly (exit %s, no sanitizer report)" % thd.returncode)
        if os.path.exists("/dev/shm" + shm):
            os.unlink("/dev/shm" + shm)
        if twh_sys.failed:
            print(open(os.path.join(tmp, "thd.log")).read()[-2000:])
        shutil.rmtree(tmp, ignore_errors=True)
    print("TWRESULT twinhopd-churn %d %d" % (twh_sys.passed, twh_sys.failed))
    return 1 if twh_sys.failed else 0


if __name__ == "__main__":
    sys.exit(main())
