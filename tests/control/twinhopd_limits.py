#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Daemon-wide limits of twinhopd (docs/control.md "Connection limits"),
against tests/control/fake_fp, from many source addresses.  It runs in its
own network namespace when run as root (unshare -n): loopback, 127.0.0.0/8
and an IPv6 prefix fd00:a1::/48 made local, so it can connect from any of
them (without root, the IPv6 part is skipped).

  sessions  max-sessions bounds the sessions held daemon-wide, lingering
            ones included: requests from several addresses get Accept=5
            (REQ_SERVER_LIMIT, a log line) once it is reached, and are
            accepted again after the sessions were deleted;
  ipv6-64   several IPv6 addresses of one /64 share
            max-connections-per-address and max-sessions-per-client; another
            /64 does not;
  idle-evict  max-connections full of open-mode connections that only set
            up (8 addresses x 8): a newcomer evicts the longest-idle one
            (CONN_IDLE_EVICTED) and gets a session;
  keepalive an unknown command every second no longer holds a connection
            past SERVWAIT;
  logflood  300 refused connections, and 200 refused requests on one
            connection, write a bounded number of log lines;
  metrics   slow metrics clients: 4 per address, and a full endpoint closes
            its oldest incomplete request for a scrape.
Prints TWRESULT twinhopd-limits <passed> <failed>."""
import json, os, re, shutil, socket, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import twh_sys  # noqa: E402
from twh_sys import admin, check, procs, recv_exact  # noqa: E402

TWINHOPD, FAKE_FP = sys.argv[1:3]
PORT = 18862
NS_ENV = "TWH_LIMITS_IN_NS"


def enter_netns():
    """As root, run this script again inside a network namespace of its
    own (a user namespace would not let twinhopd drop privileges)."""
    if os.environ.get(NS_ENV) or os.geteuid() != 0:
        return
    env = dict(os.environ, **{NS_ENV: "1"})
    try:
        r = subprocess.run(["unshare", "-n", sys.executable] + sys.argv, env=env)
    except OSError as e:
        print("unshare -n: %s" % e)
        print("TWRESULT twinhopd-limits 0 1")
        sys.exit(1)
    sys.exit(r.returncode)


IN_NS = bool(os.environ.get(NS_ENV))


def setup_netns():
    if not IN_NS:
        print("# not root: no network namespace, IPv6 part skipped")
        return
    for cmd in (["ip", "link", "set", "lo", "up"],
                ["ip", "addr", "add", "fd00:a1::1/64", "dev", "lo"],
                ["ip", "-6", "route", "add", "local", "fd00:a1::/48", "dev", "lo"],
                ["sysctl", "-qw", "net.ipv6.ip_nonlocal_bind=1"]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if not check(r.returncode == 0, "netns: %s %s" % (" ".join(cmd), r.stderr.strip())):
            raise RuntimeError("cannot set up the network namespace")


def closed(s, timeout=3.0):
    s.settimeout(timeout)
    try:
        while True:
            if not s.recv(4096):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def dial(src, dst="127.0.0.1", port=PORT):
    s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET)
    s.bind((src, 0))
    s.settimeout(5)
    s.connect((dst, port))
    return s


def modes_of(g):
    return struct.unpack("!I", g[12:16])[0] if len(g) == 64 else None


def request(ipvn=4, sport=9000, rport=30050, timeout_s=3, raddr=b""):
    b = struct.pack("!BBBBII HH", 5, ipvn, 0, 0, 0, 0, sport, rport)
    b += bytes(16) + raddr.ljust(16, b"\0") + bytes(16)
    b += struct.pack("!I Q Q I", 0, 0, timeout_s << 32, 0) + bytes(8) + bytes(16)
    return b


def open_setup(src, dst="127.0.0.1"):
    """Greeting and open-mode Set-Up: the socket, or None if refused."""
    s = dial(src, dst)
    if modes_of(recv_exact(s, 64)) in (None, 0):
        s.close()
        return None
    s.sendall(struct.pack("!I", 1) + bytes(160))
    ss = recv_exact(s, 48)
    if len(ss) != 48 or ss[15] != 0:
        s.close()
        return None
    return s


def ask(s, n, ipvn=4, timeout_s=3, sport0=9000):
    """n Request-TW-Session: their Accept codes."""
    out = []
    for i in range(n):
        s.sendall(request(ipvn=ipvn, sport=sport0 + i, timeout_s=timeout_s))
        a = recv_exact(s, 48)
        out.append(a[0] if len(a) == 48 else None)
    return out


class Daemon:
    """fake_fp + twinhopd with the given extra directives."""

    def __init__(self, tmp, name, extra):
        self.tmp = tmp
        self.sock = os.path.join(tmp, name + ".sock")
        self.logpath = os.path.join(tmp, name + ".log")
        region = "/twinhop-limits-%s-%d" % (name, os.getpid())
        self.fp = subprocess.Popen([FAKE_FP, region], stdout=subprocess.PIPE, text=True)
        procs.append(self.fp)
        check(self.fp.stdout.readline().strip() == "READY", "%s: fake fast path starts" % name)
        asan = b"libasan" in subprocess.run(["ldd", TWINHOPD], capture_output=True).stdout
        conf = os.path.join(tmp, name + ".conf")
        with open(conf, "w") as f:
            f.write("listen 127.0.0.1 %d\n%sfp-region %s\n"
                    "admin-socket %s\ntest-ports 30000-30100\nseccomp %s\n%s"
                    % (PORT, "listen fd00:a1::1 %d\n" % PORT if IN_NS else "", region,
                       self.sock, "no" if asan else "yes", extra))
        self.log = open(self.logpath, "w")
        self.d = subprocess.Popen([TWINHOPD, "-f", conf], stderr=self.log)
        procs.append(self.d)
        for _ in range(100):
            try:
                if admin(self.sock, "show-status").get("fp", {}).get("attached"):
                    break
            except OSError:
                pass
            time.sleep(0.1)
        self.base = self.counters()

    def counters(self):
        return admin(self.sock, "show-counters")["counters"]

    def delta(self, name):
        return self.counters().get(name, 0) - self.base.get(name, 0)

    def logtext(self):
        self.log.flush()
        return open(self.logpath).read()

    def stop(self):
        alive = self.d.poll() is None
        self.d.terminate()
        self.d.wait(10)
        self.fp.terminate()
        self.fp.wait(10)
        self.log.close()
        return alive


def wait_for(pred, secs):
    t = time.monotonic() + secs
    while time.monotonic() < t:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def part_sessions(tmp):
    """max-sessions 20: five addresses take 4 sessions each."""
    d = Daemon(tmp, "sessions", "max-sessions 20\n")
    conns = []
    for i in range(5):
        s = open_setup("127.0.3.%d" % (i + 1))
        conns.append(s)
        acc = ask(s, 4) if s else []
        check(acc == [0, 0, 0, 0], "127.0.3.%d: 4 sessions accepted (%r)" % (i + 1, acc))
    late = open_setup("127.0.3.9")
    acc = ask(late, 2) if late else []
    check(acc == [5, 5], "max-sessions 20 held: a 6th address gets Accept=5 (%r)" % acc)
    check(d.delta("REQ_SERVER_LIMIT") == 2,
          "counter REQ_SERVER_LIMIT = 2 (%r)" % d.delta("REQ_SERVER_LIMIT"))
    check(d.delta("REQ_CLIENT_LIMIT") == 0, "not counted as the client's quota")
    check("max-sessions 20 held" in d.logtext(), "log: the refusal names max-sessions")
    # A stopped session lingers (drain, then SESSION_DEL 1 s later: §2.14)
    # and still counts; the others are deleted when their connection closes.
    s = conns[0]
    s.sendall(bytes([2]) + bytes(31))
    check(len(recv_exact(s, 32)) == 32, "Start-Sessions acknowledged")
    s.sendall(bytes([3, 0, 0, 0]) + struct.pack("!I", 4) + bytes(24))
    time.sleep(0.2)
    for s in conns:
        s.close()
    check(wait_for(lambda: d.delta("FP_DELETED") >= 16, 5),
          "closed connections: their 16 unstarted sessions deleted")
    acc = ask(late, 16, sport0=9100)
    check(acc == [0] * 16, "16 sessions accepted beside the 4 draining (%r)" % acc)
    other = open_setup("127.0.3.10")
    check(other and ask(other, 1) == [5],
          "the 4 stopped sessions still draining count: 16 + 4 held, Accept=5")
    check(wait_for(lambda: d.delta("FP_DELETED") >= 20, 10),
          "the drained sessions deleted after Timeout (3 s) + 1 s")
    acc = ask(other, 3, sport0=9200) if other else []
    check(acc == [0, 0, 0], "drained sessions deleted: requests accepted again (%r)" % acc)
    check(d.delta("REQ_SERVER_LIMIT") == 3, "counter REQ_SERVER_LIMIT = 3")
    late.close()
    if other:
        other.close()
    check(d.stop(), "twinhopd still ran")


def part_ipv6_64(tmp):
    """Per-address limits count an IPv6 /64 as one address."""
    d = Daemon(tmp, "v6", "max-connections-per-address 2\nmax-sessions-per-client 3\n")
    dst = "fd00:a1::1"
    a = open_setup("fd00:a1::10", dst)
    b = open_setup("fd00:a1::11", dst)
    check(a is not None and b is not None, "two connections from two addresses of one /64")
    c = dial("fd00:a1::12", dst)
    check(modes_of(recv_exact(c, 64)) == 0 and closed(c, 3),
          "a third address of the /64: Modes 0 (max-connections-per-address 2)")
    c.close()
    check(d.delta("CONN_PER_ADDRESS") == 1, "counter CONN_PER_ADDRESS = 1")
    other = open_setup("fd00:a1:0:1::10", dst)
    check(other is not None, "another /64 is another address: real greeting, set-up")
    acc = (ask(a, 2, ipvn=6) if a else []) + (ask(b, 2, ipvn=6, sport0=9200) if b else [])
    check(acc == [0, 0, 0, 5],
          "max-sessions-per-client 3 shared by the /64: the 4th gets Accept=5 (%r)" % acc)
    check(d.delta("REQ_CLIENT_LIMIT") == 1, "counter REQ_CLIENT_LIMIT = 1")
    acc = ask(other, 3, ipvn=6) if other else []
    check(acc == [0, 0, 0], "the other /64 has its own quota (%r)" % acc)
    for s in (a, b, other):
        if s:
            s.close()
    check(d.stop(), "twinhopd still ran")


def part_idle_evict(tmp):
    """64 open-mode connections that only set up, from 8 addresses (8 each,
    the per-address cap), fill max-connections: a newcomer still gets a
    session, the longest-idle of them is closed for it."""
    d = Daemon(tmp, "evict", "")
    fill = []
    for a in range(8):
        for _ in range(8):
            fill.append(open_setup("127.0.4.%d" % (a + 1)))
    check(all(fill), "64 open-mode set-ups from 8 addresses fill max-connections")
    time.sleep(0.2)
    s = open_setup("127.0.0.9")
    acc = ask(s, 1) if s else []
    check(s is not None and acc == [0],
          "table full of idle open connections: a newcomer sets up, Accept=0 (%r)" % acc)
    check(d.delta("CONN_IDLE_EVICTED") == 1,
          "counter CONN_IDLE_EVICTED = 1 (%r)" % d.delta("CONN_IDLE_EVICTED"))
    check(d.delta("CONN_FULL") == 0, "no CONN_FULL")
    check(fill[0] and closed(fill[0], 3), "the longest-idle one (the first) was closed")
    check(fill[-1] and not closed(fill[-1], 0.3), "the others stay")
    # The newcomer now holds a session: it is not evictable, another
    # connection is closed for the next newcomer.
    t = open_setup("127.0.0.10")
    check(t is not None, "a second newcomer sets up")
    check(s and not closed(s, 0.5), "the connection holding a session stays")
    check(fill[1] and closed(fill[1], 3), "the next longest-idle one was closed")
    check("open mode, no session, idle" in d.logtext(), "log: the eviction is logged")
    for c in fill + [s, t]:
        if c:
            c.close()
    check(d.stop(), "twinhopd still ran")


def part_keepalive(tmp):
    """An unknown command every second does not hold a connection past
    SERVWAIT (here 3 s); a known one does restart it."""
    d = Daemon(tmp, "keepalive", "servwait 3\n")
    s = open_setup("127.0.0.11")
    t0 = time.monotonic()
    gone = False
    while time.monotonic() - t0 < 7:
        try:
            s.sendall(bytes([12]) + bytes(15))
        except OSError:
            gone = True
            break
        a = recv_exact(s, 48, 1.0)
        if len(a) < 48:
            gone = closed(s, 0.5)
            break
        time.sleep(0.9)
    took = time.monotonic() - t0
    check(gone and 2.5 <= took < 5,
          "unknown command every second: closed at SERVWAIT 3 s (%.1f s)" % took)
    check(d.delta("SERVWAIT") == 1 and d.delta("CMD_UNKNOWN") >= 2,
          "counters SERVWAIT = 1, CMD_UNKNOWN >= 2")
    s.close()
    s = open_setup("127.0.0.11")
    time.sleep(2)
    acc = ask(s, 1)
    time.sleep(2)
    check(acc == [0] and not closed(s, 0.3), "a Request-TW-Session restarts SERVWAIT")
    s.close()
    check(d.stop(), "twinhopd still ran")


def part_logflood(tmp):
    """A burst of refused connections writes a bounded number of log lines:
    at most one refusal line a second, the next one says how many it left
    out (the counters have them all)."""
    d = Daemon(tmp, "logflood", "log-level debug\n")  # bounded even at debug
    held = [dial("127.0.13.1") for _ in range(8)]
    for h in held:
        recv_exact(h, 64)
    lines0 = d.logtext().count("\n")
    t0 = time.monotonic()
    for _ in range(300):
        s = dial("127.0.13.1")
        recv_exact(s, 64)
        s.close()
    secs = time.monotonic() - t0
    time.sleep(0.3)
    text = d.logtext()
    refused = text.count("refused: max-connections-per-address reached")
    check(d.delta("CONN_PER_ADDRESS") == 300, "counter CONN_PER_ADDRESS = 300")
    check(1 <= refused <= secs + 2,
          "300 refusals in %.1f s: %d refusal lines (at most one a second)" % (secs, refused))
    grown = text.count("\n") - lines0
    check(grown <= 3 * (secs + 2), "the log grew by %d lines" % grown)
    time.sleep(1.1)
    s = dial("127.0.13.1")
    recv_exact(s, 64)
    s.close()
    time.sleep(0.3)
    check(re.search(r"refused: max-connections-per-address reached \(greeting with Modes 0\); "
                    r"\d+ more refusals not logged", d.logtext()),
          "the next refusal line counts the ones not logged")
    for h in held:
        h.close()
    # Refused requests: one line a second per connection at most
    s = open_setup("127.0.13.2")
    bad = request()
    bad = bad[:2] + b"\x01" + bad[3:]  # Conf-Sender 1: Accept=3 (REQ_FIELD)
    for _ in range(200):
        s.sendall(bad)
        recv_exact(s, 48)
    time.sleep(0.3)
    n = d.logtext().count("request-tw-session refused: REQ_FIELD")
    check(d.delta("REQ_FIELD") == 200 and 1 <= n <= 3,
          "200 refused requests on one connection: %d log lines" % n)
    s.close()
    check(d.stop(), "twinhopd still ran")


def scrape(src, port):
    """GET /metrics from src: the status line's code, or None."""
    s = dial(src, "127.0.0.1", port)
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"\r\n" not in data:
            d = s.recv(4096)
            if not d:
                break
            data += d
    except OSError:
        return None
    finally:
        s.close()
    parts = data.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def part_metrics(tmp):
    """Slow metrics clients ("G", never finished) cannot lock scrapers out:
    at most 4 from one address, and when all 16 slots are taken the oldest
    client without a complete request is closed for a newcomer."""
    mport = PORT + 1000
    d = Daemon(tmp, "metrics", "metrics-listen 127.0.0.1 %d\n" % mport)
    slow = []
    for _ in range(16):
        s = dial("127.0.5.1", "127.0.0.1", mport)
        s.sendall(b"G")
        slow.append(s)
    time.sleep(0.3)
    kept = sum(1 for s in slow if not closed(s, 0.1))
    check(kept == 4, "16 slow clients from one address: 4 kept (%d)" % kept)
    check(d.delta("METRICS_PER_ADDRESS") == 12, "counter METRICS_PER_ADDRESS = 12 (%r)"
          % d.delta("METRICS_PER_ADDRESS"))
    check(scrape("127.0.0.1", mport) == 200, "a scrape from another address: 200")
    for a in range(2, 5):
        for _ in range(4):
            s = dial("127.0.5.%d" % a, "127.0.0.1", mport)
            s.sendall(b"G")
            slow.append(s)
    time.sleep(0.3)
    check(scrape("127.0.0.1", mport) == 200,
          "16 slow clients from 4 addresses fill the endpoint: a scrape still gets 200")
    check(d.delta("METRICS_EVICTED") >= 1, "counter METRICS_EVICTED >= 1")
    check(closed(slow[0], 1), "the oldest slow client was closed for it")
    for s in slow:
        s.close()
    check(d.stop(), "twinhopd still ran")


def main():
    setup_netns()
    tmp = tempfile.mkdtemp(prefix="twinhopd-limits-")
    try:
        parts = sys.argv[3:] or ["sessions", "ipv6-64", "idle-evict", "keepalive", "logflood", "metrics"]
        for p in parts:
            if p == "ipv6-64" and not IN_NS:
                continue
            print("# part %s" % p, flush=True)
            globals()["part_" + p.replace("-", "_")](tmp)
    finally:
        if twh_sys.failed:
            for n in os.listdir(tmp):
                if n.endswith(".log"):
                    print("--- %s" % n)
                    print(open(os.path.join(tmp, n)).read()[-3000:])
        shutil.rmtree(tmp, ignore_errors=True)


enter_netns()
twh_sys.run("twinhopd-limits", main)
