#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A fleet of two appliances scraped by Debian's real Prometheus.

    namespace A                    namespace R (router)              namespace B
    twinhop-fp 10.72.1.1  ===veth=== 10.72.1.254 | 10.72.2.254 ===veth=== twinhop-fp 10.72.2.1
      (af_packet, --gw)             forwarding, iptables FORWARD         (af_packet, --gw)
    twinhopd /metrics 10.73.1.2                                        twinhopd /metrics 10.73.2.2
            \\__ veth __ namespace M: prometheus (127.0.0.1:9090) __ veth __//

Each appliance runs a STAMP listener and two STAMP sender sessions to the
other one (a finished one of 50 packets, a continuous one), so the sessions
carry real packets through the router's kernel.  Prometheus scrapes both
twinhopd every second with tools/prometheus/twinhop.rules.yml loaded.
Through Prometheus's HTTP API the test checks: both targets up; the session
series of both appliances with the values the admin sockets report; the
alert TwinhopSessionLoss fires for A's continuous session (and only for it)
while iptables in R drops A's test packets, and clears after the rule is
removed; every query of tools/grafana/twinhop-dashboard.json is valid PromQL
whose metric names the scrapes really expose.  `promtool check metrics` on a
real scrape and `promtool check config` on the configuration pass.

Environment: TW_BUILD (meson build root), TW_SRC (source root).  Needs root.
Prints TWRESULT prometheus-fleet <passed> <failed>.  About 1.5 minutes,
nearly all of it waiting for the one-minute loss window to empty.
"""
import json, os, re, shutil, socket, subprocess, sys, tempfile, time

NAME = "prometheus-fleet"
BUILD = os.environ.get("TW_BUILD", "build")
SRC = os.environ.get("TW_SRC", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FP = os.path.join(BUILD, "app", "twinhop-fp")
THD = os.path.join(BUILD, "control", "daemon", "twinhopd")
RULES = os.path.join(SRC, "tools", "prometheus", "twinhop.rules.yml")
DASHBOARD = os.path.join(SRC, "tools", "grafana", "twinhop-dashboard.json")
PROFILE = os.path.join(SRC, "drivers-config", "net_af_packet.conf")
PID = os.getpid()
NS = {k: "twh-p%s-%d" % (k, PID) for k in ("a", "b", "r", "m")}
MPORT = 9862
PROM_ADDR = "127.0.0.1:9090"  # inside namespace M only

passed = failed = 0
procs, shms, prefixes = [], [], []
tmp = None


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok   -", what, flush=True)
    else:
        failed += 1
        print("FAIL -", what, flush=True)
    return cond


def sh(*cmd, ns=None):
    """Run a set-up command; a failure stops the test loudly."""
    full = (["ip", "netns", "exec", ns] if ns else []) + list(cmd)
    r = subprocess.run(full, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(full), r.returncode, r.stderr.strip()))
    return r.stdout


def wait_until(fn, tries, step=0.5):
    for _ in range(tries):
        v = fn()
        if v:
            return v
        time.sleep(step)
    return None


# --- HTTP inside namespace M (the Prometheus server and the scrape targets),
# through one helper process there (a process per request is slow on a
# loaded machine) ---
FETCH = r"""
import json, sys, urllib.request, urllib.error
for line in sys.stdin:
    q = json.loads(line)
    req = urllib.request.Request(q["url"], headers=q.get("headers", {}))
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            out = {"status": r.status, "body": r.read().decode()}
    except urllib.error.HTTPError as e:
        out = {"status": e.code, "body": e.read().decode()}
    except Exception as e:
        out = {"status": None, "body": "", "error": str(e)}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
"""
fetcher = None


def fetch(url, headers=None):
    global fetcher
    if fetcher is None:
        fetcher = subprocess.Popen(["ip", "netns", "exec", NS["m"], sys.executable, "-c", FETCH],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        procs.append(fetcher)
    fetcher.stdin.write(json.dumps({"url": url, "headers": headers or {}}) + "\n")
    fetcher.stdin.flush()
    out = json.loads(fetcher.stdout.readline() or "{}")
    return out.get("body") if out.get("status") else None  # 4xx: Prometheus's JSON error


def prom(path, **params):
    import urllib.parse
    out = fetch("http://%s%s?%s" % (PROM_ADDR, path, urllib.parse.urlencode(params)))
    try:
        return json.loads(out)
    except (TypeError, ValueError):
        return {"status": "error", "error": "no answer: %r" % out}


def query(expr):
    """Instant vector -> list of (labels, float value); None on an error."""
    d = prom("/api/v1/query", query=expr)
    if d.get("status") != "success":
        return None
    return [(x["metric"], float(x["value"][1])) for x in d["data"]["result"]]


def firing(alert):
    d = prom("/api/v1/alerts")
    return [a["labels"] for a in d.get("data", {}).get("alerts", [])
            if a["labels"].get("alertname") == alert and a.get("state") == "firing"]


# --- the admin socket (UNIX socket: reachable from any namespace) ---
def admin(path, req):
    c = socket.socket(socket.AF_UNIX)
    c.connect(path)
    c.settimeout(5)
    c.sendall((json.dumps(dict(req, id=1)) + "\n").encode())
    buf = b""
    while True:
        buf += c.recv(65536)
        for l in buf.decode().splitlines():
            if l and '"id"' in l:
                c.close()
                return json.loads(l)


def appliance(k, n, lcore):
    """Namespace k: twinhop-fp on the af_packet end of a veth to R, twinhopd
    with /metrics on a management veth to M.  Returns the admin socket path."""
    ns, dv, rv, mv, pv = NS[k], "tpd%s%d" % (k, PID), "tpr%s%d" % (k, PID), \
        "tpm%s%d" % (k, PID), "tpn%s%d" % (k, PID)
    sh("ip", "link", "add", dv, "type", "veth", "peer", "name", rv)
    sh("ip", "link", "set", dv, "netns", ns)
    sh("ip", "link", "set", rv, "netns", NS["r"])
    sh("ip", "-n", NS["r"], "addr", "add", "10.72.%d.254/24" % n, "dev", rv)
    sh("ip", "-n", NS["r"], "link", "set", rv, "up")
    # the fast path owns dv: no address, no IPv6, no early demux (profile notes)
    sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % dv, ns=ns)
    sh("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1", ns=ns)
    sh("sysctl", "-qw", "net.ipv4.ip_early_demux=0", ns=ns)
    sh("ip", "-n", ns, "link", "set", dv, "up")
    sh("ip", "link", "add", mv, "type", "veth", "peer", "name", pv)
    sh("ip", "link", "set", mv, "netns", ns)
    sh("ip", "link", "set", pv, "netns", NS["m"])
    sh("ip", "-n", ns, "addr", "add", "10.73.%d.2/24" % n, "dev", mv)
    sh("ip", "-n", NS["m"], "addr", "add", "10.73.%d.1/24" % n, "dev", pv)
    sh("ip", "-n", ns, "link", "set", mv, "up")
    sh("ip", "-n", NS["m"], "link", "set", pv, "up")

    shm, prefix = "/twh-pf%s-%d" % (k, PID), "twh-pf%s%d" % (k, PID)
    shms.append(shm)
    prefixes.append(prefix)
    fplog = open(os.path.join(tmp, "fp-%s.log" % k), "w")
    procs.append(subprocess.Popen(
        ["ip", "netns", "exec", ns, FP, "-l", str(lcore), "--no-huge", "-m", "256", "--no-pci",
         "--file-prefix", prefix, "--log-level=user1,notice", "--",
         "--profile", PROFILE, "--pvar", "iface=" + dv, "--shm", shm,
         "--addr", "10.72.%d.1/24" % n, "--gw", "10.72.%d.254" % n, "--tap", "twh-t0"],
        stdout=fplog, stderr=subprocess.STDOUT))
    ready = wait_until(lambda: "READY" in open(fplog.name).read(), 100, 0.2)
    if not check(ready, "appliance %s: twinhop-fp (af_packet, --no-huge) ready" % k):
        print(open(fplog.name).read()[-2000:])
    sock = os.path.join(tmp, "%s.sock" % k)
    conf = os.path.join(tmp, "%s.conf" % k)
    with open(conf, "w") as f:
        f.write("listen 127.0.0.1 862\nmodes open\nfp-region %s\nadmin-socket %s\n"
                "metrics-listen 10.73.%d.2 %d\nstats-interval 1000\nlog-level info\n"
                "threshold rtt 500000 250000\n"
                % (shm, sock, n, MPORT))
    sh(THD, "-n", "-f", conf)
    log = open(os.path.join(tmp, "thd-%s.log" % k), "w")
    procs.append(subprocess.Popen(["ip", "netns", "exec", ns, THD, "-f", conf], stderr=log))
    att = wait_until(lambda: os.path.exists(sock) and
                     admin(sock, {"cmd": "show-status"}).get("fp", {}).get("attached"), 60, 0.2)
    check(att, "appliance %s: twinhopd attached to its fast path" % k)
    return sock


def sender(sock, me, other, port, count, iv):
    r = admin(sock, {"cmd": "sender-add", "proto": "stamp", "local": "10.72.%d.1" % me,
                     "local_port": port, "peer": "10.72.%d.1" % other, "peer_port": 862,
                     "count": count, "interval_us": iv, "loss_timeout_ms": 500, "start": True})
    check(r.get("ok"), "appliance %d: sender to %d (count %d) started (%r)" % (me, other, count, r))
    return str(r.get("session"))


def replies(sock, sid):
    ss = admin(sock, {"cmd": "show-sessions"})["sessions"]
    s = [x for x in ss if str(x["session"]) == sid]
    return s[0]["rx_pkts"] if s else 0


PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
                "or", "unless", "offset", "inf", "nan", "atan2"}


def promql_metric_names(expr):
    """Metric names an expression selects (not functions, labels or keywords)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)           # strings
    e = re.sub(r"\{[^}]*\}", "", e)                         # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                        # ranges
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    names = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        rest = e[m.end():].lstrip()
        if rest.startswith("(") or m.group(0).lower() in PROMQL_WORDS:
            continue
        if m.start() and (e[m.start() - 1].isdigit() or e[m.start() - 1] == "."):
            continue  # 1e3, 0.5
        names.add(m.group(0))
    return names


def dashboard_exprs(d):
    out = []

    def walk(p):
        for t in p.get("targets", []):
            if t.get("expr"):
                out.append((p.get("title", "?"), t["expr"]))
        for q in p.get("panels", []):
            walk(q)
    for p in d.get("panels", []):
        walk(p)
    for v in d.get("templating", {}).get("list", []):
        q = v.get("query")
        if isinstance(q, dict):
            q = q.get("query")
        if v.get("type") == "query" and q:
            m = re.match(r"label_values\((.*),\s*\w+\)\s*$", q)
            out.append(("variable " + v.get("name", "?"), m.group(1) if m else q))
    return out


def main():
    global tmp
    tmp = tempfile.mkdtemp(prefix="twh-pfleet-")
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if not check(prometheus and promtool, "prometheus and promtool installed (tools/install-deps.sh)"):
        return
    for b in (FP, THD):
        if not check(os.access(b, os.X_OK), "built: " + b):
            return
    for ns in NS.values():
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=NS["r"])
    socks = {"a": appliance("a", 1, 0), "b": appliance("b", 2, 1)}

    # --- Prometheus in M, scraping both appliances every second ---
    cfg = os.path.join(tmp, "prometheus.yml")
    targets = {"a": "10.73.1.2:%d" % MPORT, "b": "10.73.2.2:%d" % MPORT}
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "  evaluation_interval: 1s\nrule_files:\n  - %s\nscrape_configs:\n"
                "  - job_name: twinhop\n    static_configs:\n" % RULES)
        for k, t in targets.items():
            f.write("      - targets: ['%s']\n        labels:\n          appliance: %s\n" % (t, k))
    r = subprocess.run([promtool, "check", "config", cfg], capture_output=True, text=True)
    check(r.returncode == 0, "promtool check config (rules included): %s" % r.stdout.strip()[-300:])
    plog = open(os.path.join(tmp, "prometheus.log"), "w")
    procs.append(subprocess.Popen(
        ["ip", "netns", "exec", NS["m"], prometheus, "--config.file=" + cfg,
         "--storage.tsdb.path=" + os.path.join(tmp, "tsdb"), "--web.listen-address=" + PROM_ADDR,
         "--log.level=warn"], stdout=plog, stderr=subprocess.STDOUT))

    # Listeners first; the continuous senders until replies flow both ways
    # (ARP in the router and in the fast paths); then the 50-packet senders.
    for k in socks:
        r = admin(socks[k], {"cmd": "light-add", "proto": "stamp", "port": 862})
        check(r.get("ok"), "appliance %s: STAMP listener (%r)" % (k, r))
    ids = {"a": [None, sender(socks["a"], 1, 2, 40002, 0, 20000)],
           "b": [None, sender(socks["b"], 2, 1, 40002, 0, 20000)]}
    check(wait_until(lambda: all(replies(socks[k], ids[k][1]) > 0 for k in socks), 60),
          "continuous sessions get replies")
    ids["a"][0] = sender(socks["a"], 1, 2, 40001, 50, 10000)
    ids["b"][0] = sender(socks["b"], 2, 1, 40001, 50, 10000)

    up = wait_until(lambda: (lambda v: v if v and len(v) == 2 and all(x == 1 for _, x in v)
                             else None)(query('up{job="twinhop"}')), 60)
    if not check(up, "Prometheus: both appliances up (%r)" % query('up{job="twinhop"}')):
        print(open(plog.name).read()[-3000:])

    # --- promtool check metrics on a real scrape (what a plain HTTP client gets) ---
    body = fetch("http://%s/metrics" % targets["a"])
    r = subprocess.run([promtool, "check", "metrics"], input=body or "", text=True,
                       capture_output=True)
    check(body and "twinhop_fp_drops_total" in body and r.returncode == 0
          and not (r.stdout + r.stderr).strip(),
          "promtool check metrics on a real scrape: %r" % (r.stdout + r.stderr)[:1500])

    # --- the finished sessions: Prometheus holds exactly what the appliances say ---
    def ended(k):
        ss = admin(socks[k], {"cmd": "show-sessions"})["sessions"]
        s = [x for x in ss if str(x["session"]) == ids[k][0]]
        return s[0] if s and s[0]["tx_pkts"] == 50 and s[0]["rx_pkts"] == 50 else None
    for k, other in (("a", "10.72.2.1:862"), ("b", "10.72.1.1:862")):
        s = wait_until(lambda: ended(k), 60)
        check(s, "appliance %s: 50-packet session sent 50, got 50 replies (admin)" % k)
        inst, sid = targets[k], ids[k][0]
        sel = '{instance="%s",session="%s"}' % (inst, sid)
        want = {"twinhop_packets_sent_total": 50, "twinhop_packets_received_total": 50,
                "twinhop_packets_lost_total": 0, "twinhop_rtt_seconds_count": 50,
                "twinhop_session_tx_packets_total": 50, "twinhop_session_rx_packets_total": 50}
        got = wait_until(lambda: (lambda g: g if all(g[n] == [v] for n, v in want.items())
                                  else None)({n: [v for _, v in query(n + sel) or []]
                                              for n in want}), 20)
        check(got, "appliance %s: Prometheus has the session's values %r" % (
            k, got or {n: query(n + sel) for n in want}))
        info = query('twinhop_session_info%s' % sel) or []
        check(len(info) == 1 and info[0][0].get("peer") == other
              and info[0][0].get("kind") == "sender" and info[0][0].get("proto") == "stamp"
              and info[0][0].get("appliance") == k,
              "appliance %s: session_info labels (%r)" % (k, info))
        rtt = query('histogram_quantile(0.5, twinhop_rtt_seconds_bucket%s)' % sel) or []
        check(len(rtt) == 1 and 0 < rtt[0][1] < 1, "appliance %s: median RTT from the "
              "histogram is plausible (%r)" % (k, rtt))
        # the other appliance reflected at least these packets, and no more
        # than its fast path has counted by now
        peer = "b" if k == "a" else "a"
        refl = query('sum(twinhop_fp_light_reflected_total{instance="%s"})' % targets[peer]) or []
        now = admin(socks[peer], {"cmd": "show-fp-counters"})["total"].get("LIGHT_REFLECTED", -1)
        check(len(refl) == 1 and 50 <= refl[0][1] <= now,
              "appliance %s reflected: Prometheus %r, fast path now %r" % (peer, refl, now))
    drops = query('twinhop_fp_drops_total{reason="DROP_BAD_HMAC"}') or []
    check(sorted(x.get("appliance") for x, _ in drops) == ["a", "b"],
          "fast-path drops family from both appliances (%r)" % drops)
    check(not firing("TwinhopSessionLoss"), "no loss alert while the network is clean")

    # --- iptables in R drops A's test packets to B: the loss alert fires ---
    rule = ["-p", "udp", "-s", "10.72.1.1", "-d", "10.72.2.1", "--dport", "862", "-j", "DROP"]
    sh("iptables", "-I", "FORWARD", *rule, ns=NS["r"])
    t0 = time.time()
    want = {"instance": targets["a"], "session": ids["a"][1], "peer": "10.72.2.1:862"}
    fired = wait_until(lambda: [a for a in firing("TwinhopSessionLoss")
                                if all(a.get(x) == v for x, v in want.items())], 90)
    check(fired, "TwinhopSessionLoss fires for A's running session while R drops its "
          "packets (after %.0f s): %r" % (time.time() - t0, firing("TwinhopSessionLoss")))
    check(all(a.get("instance") == targets["a"] and a.get("session") == ids["a"][1]
              for a in firing("TwinhopSessionLoss")),
          "only that session alerts (B's sessions are clean)")
    lost = query('twinhop_packets_lost_total{instance="%s",session="%s"}'
                 % (targets["a"], ids["a"][1])) or []
    check(lost and lost[0][1] > 0, "lost packets counted (%r)" % lost)
    sh("iptables", "-D", "FORWARD", *rule, ns=NS["r"])
    t0 = time.time()
    cleared = wait_until(lambda: not firing("TwinhopSessionLoss") or None, 150)
    check(cleared, "the alert clears once the packets flow again (after %.0f s)"
          % (time.time() - t0))

    # --- the Grafana dashboard against the real scrape ---
    names = set(prom("/api/v1/label/__name__/values").get("data", []))
    check("twinhop_fp_drops_total" in names and "twinhop_rtt_seconds_bucket" in names,
          "Prometheus lists the scraped metric names (%d)" % len(names))
    try:
        dash = json.load(open(DASHBOARD))
    except (OSError, ValueError) as e:
        check(False, "dashboard JSON loads: %s" % e)
        return
    exprs = dashboard_exprs(dash)
    check(len(exprs) >= 10, "dashboard has queries (%d)" % len(exprs))
    for title, expr in exprs:
        e = expr.replace("$__rate_interval", "1m").replace("$__interval", "15s")
        e = re.sub(r"\$\{?(instance|session|job|appliance)(:\w+)?\}?", ".+", e)
        used = promql_metric_names(e)
        missing = used - names
        check(used and not missing, "dashboard '%s': metrics %s exposed%s"
              % (title, sorted(used), " -- missing %s" % sorted(missing) if missing else ""))
        d = prom("/api/v1/query", query=e)
        check(d.get("status") == "success", "dashboard '%s': valid PromQL (%s)"
              % (title, d.get("error", "ok")))


try:
    main()
except Exception:  # a crash is a failure, not a skipped test
    import traceback
    traceback.print_exc()
    failed += 1
finally:
    for p in reversed(procs):
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    for ns in NS.values():
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    for s in shms:
        try:
            os.unlink("/dev/shm/" + s.lstrip("/"))
        except OSError:
            pass
    for p in prefixes:
        shutil.rmtree("/var/run/dpdk/" + p, ignore_errors=True)
    if tmp and not os.environ.get("KEEP"):
        shutil.rmtree(tmp, ignore_errors=True)
print("TWRESULT %s %d %d" % (NAME, passed, failed))
sys.exit(1 if failed else 0)
