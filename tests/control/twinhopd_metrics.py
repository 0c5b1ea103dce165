#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""System test of twinhopd's OpenMetrics endpoint, live session counters,
SIGHUP reload, pid file and daemon mode (suite system-nodpdk), against
tests/control/fake_fp on 127.0.0.1.  The exposition is parsed by the strict
parser of tests/report/check_report.py and by prometheus_client when
installed.  Prints TWRESULT twinhopd-metrics <passed> <failed>."""
import importlib.util, json, os, shutil, signal, socket, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import twh_sys  # noqa: E402
from twh_sys import check, free_port, procs, recv_exact  # noqa: E402

TWINHOPD, FAKE_FP, CHECK_REPORT = sys.argv[1:4]
pids = []  # daemonised twinhopd processes (not our children)
OM_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"




def load_parser():
    spec = importlib.util.spec_from_file_location("check_report", CHECK_REPORT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.om_parse


om_parse = load_parser()
try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
except ImportError:
    text_string_to_metric_families = None




def recv_all(s, timeout=3.0):
    s.settimeout(timeout)
    buf = b""
    while True:
        try:
            d = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            return buf
        if not d:
            return buf
        buf += d




def http(port, raw):
    """Send raw octets, return (status, headers dict, body) of the answer."""
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(raw)
    data = recv_all(s)
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split(" ")[1])
    except (IndexError, ValueError):
        return None, {}, data
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, body


# What Prometheus 2.42 asks for: OpenMetrics first.
PROM_ACCEPT = (b"application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
               b"version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


def scrape(port, accept=PROM_ACCEPT):
    req = b"GET /metrics HTTP/1.1\r\nHost: t\r\n"
    if accept:
        req += b"Accept: " + accept + b"\r\n"
    st, h, body = http(port, req + b"\r\n")
    return st, h, body.decode()


def admin(path, reqs):
    c = socket.socket(socket.AF_UNIX)
    c.connect(path)
    c.settimeout(3)
    out = []
    for q in reqs:
        if q.get("cmd") == "sender-start" and out:
            q = dict(q, session=out[-1].get("session"))
        c.sendall((json.dumps(q) + "\n").encode())
        buf = b""
        while True:
            buf += c.recv(65536)
            lines = [json.loads(l) for l in buf.decode().splitlines() if l]
            rep = [l for l in lines if "id" in l]
            if rep:
                out.append(rep[0])
                break
    c.close()
    return out


def request(rport):
    b = struct.pack("!BBBBII HH", 5, 4, 0, 0, 0, 0, 9000, rport)
    b += bytes(32) + bytes(16)
    b += struct.pack("!I Q Q I", 0, 0, 3 << 32, 0) + bytes(8) + bytes(16)
    return b


def twamp_session(port, rport):
    """Open mode, one session started; returns the socket (kept open)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    g = recv_exact(s, 64)
    s.sendall(struct.pack("!I", 1) + bytes(160))
    recv_exact(s, 48)
    s.sendall(request(rport))
    acc = recv_exact(s, 48)
    s.sendall(bytes([2]) + bytes(31))
    sa = recv_exact(s, 32)
    return s, g, acc, sa


def samples(fams, fam, name=None, **labels):
    f = fams.get(fam)
    if not f:
        return []
    return [v for n, l, v in f["samples"]
            if (name is None or n == name) and all(l.get(k) == x for k, x in labels.items())]


def wait_port(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def write_conf(path, port, mport, region, sock, seccomp, extra=""):
    with open(path, "w") as f:
        f.write("listen 127.0.0.1 %d\nmodes open\nfp-region %s\nfp-timeout 500\n"
                "admin-socket %s\ntest-ports 30000-30100\nseccomp %s\nlog-level debug\n"
                "metrics-listen 127.0.0.1 %d\nstats-interval 100\n"
                "threshold rtt 1000 500\n%s" % (port, region, sock, seccomp, mport, extra))


def main():
    tmp = tempfile.mkdtemp(prefix="twinhopd-metrics-")
    # Started as root, twinhopd runs as nobody: it must still read its
    # configuration on SIGHUP and remove its pid file.
    os.chmod(tmp, 0o777)
    region = "/twinhop-mtest-%d" % os.getpid()
    fp = subprocess.Popen([FAKE_FP, region], stdout=subprocess.PIPE, text=True)
    procs.append(fp)
    check(fp.stdout.readline().strip() == "READY", "fake fast path starts")
    asan = b"libasan" in subprocess.run(["ldd", TWINHOPD], capture_output=True).stdout
    seccomp = "no" if asan else "yes"

    port, mport = free_port(), free_port()
    sock = os.path.join(tmp, "admin.sock")
    conf = os.path.join(tmp, "twinhopd.conf")
    pidf = os.path.join(tmp, "twinhopd.pid")
    write_conf(conf, port, mport, region, sock, seccomp)
    logpath = os.path.join(tmp, "twinhopd.log")
    log = open(logpath, "w")
    d = subprocess.Popen([TWINHOPD, "-f", conf, "--pidfile", pidf], stderr=log)
    procs.append(d)
    check(wait_port(port) and wait_port(mport), "twinhopd listens (control, metrics)")
    time.sleep(0.3)
    check(open(pidf).read().strip() == str(d.pid), "--pidfile holds the daemon's pid")

    # --- sessions: a TWAMP reflector, a Light listener, a STAMP sender ---
    a, _, acc, sa = twamp_session(port, 30050)
    check(len(acc) == 48 and acc[0] == 0 and len(sa) == 32 and sa[0] == 0,
          "TWAMP session accepted and started")
    r = admin(sock, [{"id": 1, "cmd": "light-add", "proto": "light", "port": 40001},
                     {"id": 2, "cmd": "sender-add", "proto": "stamp", "local": "127.0.0.1",
                      "local_port": 40002, "peer": "127.0.0.1", "peer_port": 862,
                      "count": 3},
                     {"id": 3, "cmd": "sender-start", "session": 0}])
    check(all(x.get("ok") for x in r), "light-add, sender-add, sender-start ACKed (%r)" % r)
    sender = r[1].get("session")
    time.sleep(0.6)  # a few STATS polls (stats-interval 100)

    # --- show-sessions carries the live counters ---
    ss = admin(sock, [{"id": 3, "cmd": "show-sessions"}])[0]["sessions"]
    refl = [s for s in ss if s["kind"] == "reflector"]
    check(len(refl) == 1 and "live" in refl[0], "show-sessions: reflector has live counters")
    if refl and "live" in refl[0]:
        sid = refl[0]["session"]
        lv = refl[0]["live"]
        check(lv["rx_pkts"] == 100 + sid and lv["tx_octets"] == (200 + sid) * 64
              and lv["drops"] == sid and refl[0]["rx_pkts"] == 100 + sid
              and lv["age_ms"] < 5000,
              "show-sessions: live values are the fast path's STATS (%r)" % refl[0])
    light = [s for s in ss if s["kind"] == "light"]
    check(len(light) == 1 and light[0].get("live", {}).get("tx_pkts") == 200 + light[0]["session"],
          "show-sessions: light listener has live counters")

    # --- the exposition ---
    st, h, text = scrape(mport)
    check(st == 200, "GET /metrics: 200 (%r)" % st)
    check(h.get("content-type") == OM_TYPE, "Content-Type %r" % h.get("content-type"))
    check(h.get("content-length") == str(len(text.encode())), "Content-Length matches the body")
    fams = {}
    try:
        fams = om_parse(text)
        check(True, "strict OpenMetrics parse")
    except ValueError as e:
        check(False, "strict OpenMetrics parse: %s" % e)
        print(text)
    if text_string_to_metric_families:
        try:
            n = sum(len(f.samples) for f in text_string_to_metric_families(text))
            check(n > 0, "prometheus_client parses the exposition")
        except Exception as e:  # noqa: BLE001
            check(False, "prometheus_client parse: %s" % e)
    if refl:
        sid = str(refl[0]["session"])
        check(samples(fams, "twinhop_session_rx_packets", session=sid, kind="reflector")
              == [100 + int(sid)], "reflector rx packets from STATS")
        check(samples(fams, "twinhop_session_drops", session=sid) == [int(sid)],
              "reflector drops from STATS")
        check(len(samples(fams, "twinhop_session_info", session=sid, state="started",
                          control=None) or [1]) == 1, "session info sample")
    s_sid = str(sender)
    cnt = samples(fams, "twinhop_rtt_seconds", "twinhop_rtt_seconds_count", session=s_sid)
    check(cnt == [2], "sender RTT histogram: 2 replies (%r)" % cnt)
    sm = samples(fams, "twinhop_rtt_seconds", "twinhop_rtt_seconds_sum", session=s_sid)
    check(len(sm) == 1 and abs(sm[0] - 0.009) < 0.0005,
          "sender RTT sum 3 ms + 6 ms (%r)" % sm)
    check(samples(fams, "twinhop_packets_lost", session=s_sid) == [1], "sender: 1 lost")
    check(samples(fams, "twinhop_packets_sent", session=s_sid) == [3], "sender: 3 sent")
    check(samples(fams, "twinhop_threshold_raised", session=s_sid, kind="rtt") == [1],
          "rtt threshold raised (3 ms > 1 ms)")
    check(samples(fams, "twinhop_fp_rx_pkts", lcore="0") == [64],
          "fast-path counter per lcore from the shm block")
    check(samples(fams, "twinhop_fp_busy_cycles_per_packet", lcore="0") == [100.0],
          "busy cycles per packet: BUSY_CYCLES / RX_PKTS")
    check(samples(fams, "twinhop_fp_packets_per_burst", lcore="0") == [16.0],
          "packets per burst: RX_PKTS / RX_BURSTS")
    fc = admin(sock, [{"id": 3, "cmd": "show-fp-counters"}])[0]
    check(fc["total"].get("busy_cycles_per_pkt") == 100.0
          and fc["total"].get("pkts_per_burst") == 16.0
          and fc["lcores"][0].get("busy_cycles_per_pkt") == 100.0,
          "show-fp-counters: capacity per lcore and in total (%r)" % fc.get("total"))
    # the port blocks (IPC version 13): fake_fp's two ports, links 7 and 8
    check(samples(fams, "twinhop_fp_port_received_packets", port="1", member_link="8") == [101]
          and samples(fams, "twinhop_fp_port_transmitted_bytes", port="0", member_link="7") == [12800]
          and samples(fams, "twinhop_fp_port_missed_packets", port="1", member_link="8") == [3]
          and samples(fams, "twinhop_fp_port_up", port="0", member_link="7") == [1]
          and samples(fams, "twinhop_fp_port_up", port="1", member_link="8") == [0]
          and fams.get("twinhop_fp_port_received_packets", {}).get("type") == "counter",
          "per-port families, labelled by port and member link")
    pp = fc.get("ports", [])
    check(len(pp) == 2 and pp[1].get("member_link") == 8 and pp[1].get("rx_pkts") == 101
          and pp[1].get("rx_missed") == 3 and pp[1].get("link_up") is False
          and pp[0].get("link_up") is True and pp[0].get("speed_mbps") == 10000,
          "show-fp-counters: the ports (%r)" % pp)
    drops = fams.get("twinhop_fp_drops", {})
    reasons = {l.get("reason") for _, l, _ in drops.get("samples", [])}
    check(drops.get("type") == "counter" and "DROP_BAD_HMAC" in reasons
          and "DROP_IPC_BAD" in reasons and all(r.startswith("DROP_") for r in reasons)
          and samples(fams, "twinhop_fp_drops", reason="DROP_TTL", lcore="0") == [0],
          "fast-path drops: one family, reason and lcore labels (%r)" % sorted(reasons))
    check(not any(f.startswith("twinhop_fp_drop_") for f in fams),
          "no per-reason drop families left")
    check(all(f.startswith("twinhop_") for f in fams), "one prefix: %r"
          % sorted(f for f in fams if not f.startswith("twinhop_")))
    check(samples(fams, "twinhop_control_events", counter="SESSIONS_STARTED") == [1],
          "control counters exposed")
    names = {l["counter"] for _, l, _ in fams.get("twinhop_control_events", {}).get("samples", [])}
    check({"METRICS_BAD_REQUEST", "REQ_PADDING", "HMAC", "RELOAD_FAILED"} <= names,
          "every bad-input counter is exposed")
    check(samples(fams, "twinhop_fp_attached") == [1], "fp attached gauge")

    # --- the Prometheus text format for clients that do not ask for OpenMetrics ---
    st, h, ptext = scrape(mport, accept=None)
    check(st == 200 and h.get("content-type") == "text/plain; version=0.0.4; charset=utf-8",
          "no Accept: the Prometheus text format (%r)" % h.get("content-type"))
    check("# EOF" not in ptext and "_gcount" not in ptext and "# UNIT" not in ptext,
          "text format: no OpenMetrics-only lines")
    try:
        from prometheus_client.parser import text_string_to_metric_families as prom_text
        pf = {f.name: f for f in prom_text(ptext)}
        drops_t = pf.get("twinhop_fp_drops")
        check(drops_t is not None and drops_t.type == "counter"
              and {x.labels.get("reason") for x in drops_t.samples} == reasons,
              "text format: prometheus_client reads the drops family")
        om_series = {n for fam in fams.values() for n, _, _ in fam["samples"]}
        om_series = {n[:-7] + "_count" if n.endswith("_gcount") else
                     n[:-5] + "_sum" if n.endswith("_gsum") else n for n in om_series}
        txt_series = {x.name for f in pf.values() for x in f.samples}
        check(om_series == txt_series, "both formats expose the same series (%r)"
              % sorted(om_series ^ txt_series))
    except ImportError as e:
        check(False, "prometheus_client (tools/install-deps.sh): %s" % e)
    promtool = shutil.which("promtool")
    check(promtool is not None, "promtool installed (tools/install-deps.sh: prometheus)")
    if promtool:
        for what, body in (("text format", ptext),):
            r = subprocess.run([promtool, "check", "metrics"], input=body, text=True,
                               capture_output=True)
            check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
                  "promtool check metrics on the %s: %r" % (what, (r.returncode, r.stdout[:2000], r.stderr[:500])))

    # --- bad HTTP input ---
    st, h, body = http(mport, b"HEAD /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
    check(st == 200 and body == b"" and int(h.get("content-length", "0")) > 0,
          "HEAD: 200, length, no body")
    st, h, _ = http(mport, b"POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
    check(st == 405 and h.get("allow") == "GET, HEAD", "POST: 405 with Allow")
    st, _, _ = http(mport, b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n")
    check(st == 404, "other path: 404")
    st, _, _ = http(mport, b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03")
    check(st == 400, "TLS ClientHello: 400")
    st, _, _ = http(mport, b"GET /metrics HTTP/1.1\r\n\r\n")
    check(st == 400, "HTTP/1.1 without Host: 400")
    st, _, _ = http(mport, b"GET /metrics HTTP/1.1\r\nHost: t\r\nX: " + b"a" * 5000 + b"\r\n\r\n")
    check(st == 400, "oversized head: 400")
    st, _, _ = http(mport, b"GET /metrics HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc")
    check(st == 400, "request body: 400")

    # too many clients from one address: the 5th is closed at once
    # (CTL_METRICS_PER_ADDRESS; the 16 in all: twinhopd-limits); idle ones
    # time out
    idle = [socket.create_connection(("127.0.0.1", mport), timeout=3) for _ in range(4)]
    time.sleep(0.2)
    extra = socket.create_connection(("127.0.0.1", mport), timeout=3)
    check(recv_all(extra, 2) == b"", "5th concurrent client of one address closed")
    extra.close()
    idle[0].sendall(b"GET /metr")  # slowloris
    t0 = time.time()
    # closed 5 s after it connected (CTL_METRICS_TIMEOUT_MS); the bound is
    # loose because a sanitizer build beside other tests runs its loop late,
    # and recv_all returns b"" at its own timeout too: 20 s means never
    gone = recv_all(idle[0], 20) == b""
    check(gone and time.time() - t0 < 19, "incomplete request closed after the timeout")
    for s in idle:
        s.close()
    time.sleep(0.2)
    st, _, text = scrape(mport)
    fams = om_parse(text) if st == 200 else {}

    def ctr(name):
        v = samples(fams, "twinhop_control_events", counter=name)
        return v[0] if v else -1
    check(ctr("METRICS_BAD_REQUEST") == 4 and ctr("METRICS_NOT_FOUND") == 1
          and ctr("METRICS_BAD_METHOD") == 1 and ctr("METRICS_REFUSED") == 1
          and ctr("METRICS_PER_ADDRESS") == 1
          and ctr("METRICS_TIMEOUT") >= 1 and ctr("METRICS_OK") >= 2,
          "HTTP counters: %r" % {k: ctr(k) for k in ("METRICS_BAD_REQUEST", "METRICS_NOT_FOUND",
                                                     "METRICS_BAD_METHOD", "METRICS_REFUSED",
                                                     "METRICS_PER_ADDRESS", "METRICS_TIMEOUT",
                                                     "METRICS_OK")})

    # --- SIGHUP: new policy for new connections, running sessions stay ---
    write_conf(conf, port, mport, region, sock, seccomp,
               "allow 192.0.2.0/24\nlisten 127.0.0.1 %d\n" % free_port())
    d.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    g = recv_exact(s, 64)
    check(len(g) == 64 and struct.unpack("!I", g[12:16])[0] == 0,
          "after reload: 127.0.0.1 outside the allow rules gets Modes 0")
    s.close()
    ss = admin(sock, [{"id": 4, "cmd": "show-sessions"}])[0]["sessions"]
    check(any(x["kind"] == "reflector" and x["state"] == "started" for x in ss),
          "after reload: the TWAMP session still runs")
    a.sendall(bytes([3, 0, 0, 0]) + struct.pack("!I", 0) + bytes(24))  # Stop-Sessions
    a.sendall(request(30051))
    r = recv_exact(a, 48)
    check(len(r) == 48 and r[0] == 0, "after reload: the old control connection still works")
    c = admin(sock, [{"id": 5, "cmd": "show-counters"}])[0]["counters"]
    check(c.get("RELOAD_OK") == 1 and c.get("RELOAD_FAILED") == 0, "RELOAD_OK counted")
    check(c.get("CONN_NOT_ALLOWED") == 1, "outside the allow rules: CONN_NOT_ALLOWED counted")
    with open(conf, "a") as f:
        f.write("refwait forever\n")
    d.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    c = admin(sock, [{"id": 6, "cmd": "show-counters"}])[0]["counters"]
    check(c.get("RELOAD_FAILED") == 1 and d.poll() is None,
          "bad configuration on SIGHUP: RELOAD_FAILED, daemon keeps running")
    a.close()

    # --- SIGTERM: clean exit, pid file removed ---
    d.send_signal(signal.SIGTERM)
    try:
        rc = d.wait(timeout=10)
    except subprocess.TimeoutExpired:
        rc = None
    check(rc == 0, "SIGTERM: exit 0 (%r)" % rc)
    check(not os.path.exists(pidf), "SIGTERM: pid file removed")
    procs.remove(d)
    log.close()
    text = open(logpath).read()
    check("takes effect at the next restart" in text, "reload warns about listen")
    check("Sanitizer" not in text and "runtime error" not in text, "no sanitizer report")

    # --- daemon mode ---
    port3, mport3 = free_port(), free_port()
    conf3 = os.path.join(tmp, "d3.conf")
    pid3 = os.path.join(tmp, "d3.pid")
    log3 = os.path.join(tmp, "d3.log")
    write_conf(conf3, port3, mport3, region, os.path.join(tmp, "a3.sock"), seccomp)
    r = subprocess.run([TWINHOPD, "-d", "-l", log3, "-p", pid3, "-f", conf3],
                       capture_output=True, timeout=20)
    check(r.returncode == 0, "-d: the parent exits 0 once the daemon is up (%r)" % r)
    pid = None
    try:
        pid = int(open(pid3).read())
        pids.append(pid)
    except (OSError, ValueError):
        pass
    check(pid is not None and wait_port(port3), "-d: daemon runs and listens")
    st, _, _ = scrape(mport3)
    check(st == 200, "-d: metrics served")
    if pid:
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not os.path.exists("/proc/%d" % pid):
                break
            time.sleep(0.05)
        check(not os.path.exists(pid3), "-d: pid file removed at exit")
        pids.remove(pid)
    text = open(log3).read()
    check("twinhopd 0" in text and "started" in text and "twinhopd stopped" in text,
          "-d -l: log file written")
    # a daemon that cannot start: the parent says so
    r = subprocess.run([TWINHOPD, "-d", "-l", log3, "-f", conf3 + ".missing"],
                       capture_output=True, timeout=20)
    check(r.returncode == 1, "missing configuration: exit 1")
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    write_conf(conf3, busy.getsockname()[1], mport3, region, os.path.join(tmp, "a3.sock"), seccomp)
    r = subprocess.run([TWINHOPD, "-d", "-l", log3, "-f", conf3], capture_output=True, timeout=20)
    busy.close()
    check(r.returncode == 1, "-d: start-up failure (port in use) gives exit 1 (%r)" % r.returncode)
    shutil.rmtree(tmp, ignore_errors=True)



def kill_daemons():
    for pid in pids:  # daemonised twinhopd processes (not our children)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


twh_sys.run("twinhopd-metrics", main, kill_daemons)
