#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Connection limits of twinhopd with the DEFAULT limits (issue 8 §1,
docs/control.md "Connection limits").  twinhopd on 127.0.0.1 against
tests/control/fake_fp; raw TCP from several 127.0.0.x source addresses:

  1. 300 idle connections from 127.0.0.2: at most max-connections-per-address
     (8) get a real greeting, the rest Modes 0 and are closed;
  2. a client from 127.0.0.3 still completes greeting, set-up and
     Accept-Session (with the old code it got Modes 0);
  3. a connection trickling one octet a second is closed at setup-timeout;
  4. when the table (64) is full of unauthenticated connections from many
     addresses, the oldest is closed for a newcomer, who completes set-up;
  5. accepted connections have TCP keepalive on (ss shows the timer);
  6. when the table is full of connections authenticated with a key
     (authenticated mode), a newcomer gets Modes 0, counted as CONN_FULL,
     and the log line names the reason (open-mode connections without
     sessions would be evicted instead: twinhopd-limits).
Prints TWRESULT twinhopd-flood <passed> <failed>."""
import json, os, shutil, socket, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import twh_sys  # noqa: E402
from twh_sys import admin, check, free_port, procs, recv_exact, wait_listen  # noqa: E402

TWINHOPD, FAKE_FP = sys.argv[1:3]
SECRET = b"flood-test-secret"








def closed(s, timeout=3.0):
    s.settimeout(timeout)
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def dial(src, port):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def modes_of(g):
    return struct.unpack("!I", g[12:16])[0] if len(g) == 64 else None


def request():
    b = struct.pack("!BBBBII HH", 5, 4, 0, 0, 0, 0, 9000, 30050)
    b += bytes(32) + bytes(16)
    b += struct.pack("!I Q Q I", 0, 0, 3 << 32, 0) + bytes(8) + bytes(16)
    return b


def full_setup(src, port):
    """Greeting, open-mode set-up, Request-TW-Session: (ok, what, seconds)."""
    t0 = time.monotonic()
    s = dial(src, port)
    try:
        g = recv_exact(s, 64)
        if modes_of(g) in (None, 0):
            return False, "greeting Modes %r" % modes_of(g), 0
        s.sendall(struct.pack("!I", 1) + bytes(160))
        ss = recv_exact(s, 48)
        if len(ss) != 48 or ss[15] != 0:
            return False, "Server-Start %r" % ss[:16], 0
        s.sendall(request())
        acc = recv_exact(s, 48)
        if len(acc) != 48 or acc[0] != 0:
            return False, "Accept-Session %r" % acc[:4], 0
        return True, "Accept-Session 0", time.monotonic() - t0
    finally:
        s.close()


def main():
    tmp = tempfile.mkdtemp(prefix="twinhopd-flood-")
    region = "/twinhop-flood-%d" % os.getpid()
    fp = subprocess.Popen([FAKE_FP, region], stdout=subprocess.PIPE,
                          text=True)
    procs.append(fp)
    check(fp.stdout.readline().strip() == "READY", "fake fast path starts")
    asan = b"libasan" in subprocess.run(["ldd", TWINHOPD], capture_output=True).stdout
    port = free_port()
    sock = os.path.join(tmp, "admin.sock")
    conf = os.path.join(tmp, "twinhopd.conf")
    keys = os.path.join(tmp, "keys.pfs")
    with open(keys, "w") as f:
        f.write("flood %s\n" % SECRET.hex())
    # Only what a test run needs; every limit is left at its default.
    with open(conf, "w") as f:
        f.write("listen 127.0.0.1 %d\nfp-region %s\nadmin-socket %s\n"
                "test-ports 30000-30100\nseccomp %s\nmodes open authenticated\nkeyfile %s\n"
                % (port, region, sock, "no" if asan else "yes", keys))
    log = open(os.path.join(tmp, "twinhopd.log"), "w")
    d = subprocess.Popen([TWINHOPD, "-f", conf], stderr=log)
    procs.append(d)
    wait_listen(port)
    for _ in range(100):  # the admin socket comes up after the listener
        try:
            if admin(sock, "show-status").get("fp", {}).get("attached"):
                break
        except OSError:
            pass
        time.sleep(0.1)
    r = subprocess.run([TWINHOPD, "-nv", "-f", conf], capture_output=True, text=True)
    for line in ("max-connections 64", "max-connections-per-address 8", "setup-timeout 10",
                 "ended-timeout 60", "tcp-keepalive 60"):
        check(line in r.stdout.splitlines(), "default: %s" % line)
    base = admin(sock, "show-counters")["counters"]

    # 3 (started first: its deadline runs while 1 and 2 happen)
    slow = dial("127.0.0.5", port)
    t_slow = time.monotonic()
    check(modes_of(recv_exact(slow, 64)) == 3, "slow client: real greeting")

    # 1: 300 idle connections from one address
    flood, real = [], 0
    for _ in range(300):
        s = dial("127.0.0.2", port)
        flood.append(s)
        if modes_of(recv_exact(s, 64)) not in (None, 0):
            real += 1
    check(real == 8, "300 idle connections from 127.0.0.2: 8 real greetings (got %d)" % real)
    refused_closed = sum(1 for s in flood[8:20] if closed(s, 2))
    check(refused_closed == 12, "connections over the per-address cap are closed")

    # 5: keepalive on the server's accepted sockets
    ss_out = subprocess.run(["ss", "-tnoH", "state", "established", "( sport = :%d )" % port],
                            capture_output=True, text=True).stdout
    check("keepalive" in ss_out, "accepted control connections have TCP keepalive on")

    # 2: another address completes the set-up
    ok, what, dt = full_setup("127.0.0.3", port)
    check(ok, "client from 127.0.0.3 completes greeting, set-up, Accept-Session (%s)" % what)
    print("       set-up latency with 300 flood connections from 127.0.0.2: %.1f ms" % (dt * 1e3))

    # 3: one octet a second; closed at setup-timeout (10 s after accept)
    got_eof = False
    while time.monotonic() - t_slow < 14:
        try:
            slow.sendall(b"\x00")
        except OSError:
            got_eof = True
            break
        if closed(slow, 1.0):
            got_eof = True
            break
    took = time.monotonic() - t_slow
    check(got_eof and 9.5 <= took < 14,
          "slow client (1 octet/s) closed at setup-timeout (%.1f s)" % took)
    for s in flood:
        s.close()
    slow.close()

    # 4: a full table of unauthenticated connections from 64 addresses
    time.sleep(0.5)
    many = [dial("127.0.1.%d" % (i + 1), port) for i in range(64)]
    for s in many:
        check(modes_of(recv_exact(s, 64)) == 3, "table fill: real greeting") if s is many[0] \
            else recv_exact(s, 64)
    ok, what, _ = full_setup("127.0.0.4", port)
    check(ok, "table full of unauthenticated connections: a newcomer completes set-up (%s)"
          % what)
    check(closed(many[0], 3), "the oldest unauthenticated connection was closed for it")
    check(not closed(many[-1], 0.3), "the newest unauthenticated connection stays")
    for s in many:
        s.close()

    # 6: a table full of connections authenticated with a key: the newcomer
    # gets Modes 0, counted under its reason, and the log names it
    time.sleep(0.5)
    auth = []
    for i in range(64):
        s = dial("127.0.2.%d" % (i + 1), port)
        g = recv_exact(s, 64)
        s.sendall(twh_sys.auth_setup_response(g, b"flood", SECRET))
        ss = recv_exact(s, 48)
        auth.append(s)
        if len(ss) != 48 or ss[15] != 0:
            break
    check(len(auth) == 64, "table filled with 64 authenticated-mode set-ups (%d)" % len(auth))
    s = dial("127.0.0.6", port)
    check(modes_of(recv_exact(s, 64)) == 0 and closed(s, 3),
          "table full, every one authenticated: the newcomer gets Modes 0 and is closed")
    s.close()
    check(not closed(auth[0], 0.3), "the authenticated connections stay")
    for s in auth:
        s.close()

    cnt = admin(sock, "show-counters")["counters"]
    delta = {k: cnt.get(k, 0) - base.get(k, 0) for k in cnt}
    check(delta.get("CONN_FULL", 0) == 1, "counter CONN_FULL = 1 (%r)" % delta.get("CONN_FULL"))
    check(delta.get("CONN_REFUSED", 0) == 293,
          "counter CONN_REFUSED = 293 = CONN_PER_ADDRESS + CONN_FULL (%r)"
          % delta.get("CONN_REFUSED"))
    log.flush()
    logtext = open(os.path.join(tmp, "twinhopd.log")).read()
    check("127.0.0.6:" in logtext and "refused: max-connections open, every one authenticated"
          in logtext, "log: the refusal names its reason")
    check(delta.get("CONN_PER_ADDRESS", 0) == 292,
          "counter CONN_PER_ADDRESS = 292 (%r)" % delta.get("CONN_PER_ADDRESS"))
    check(delta.get("SETUP_TIMEOUT", 0) >= 1, "counter SETUP_TIMEOUT >= 1")
    check(delta.get("CONN_EVICTED", 0) >= 1, "counter CONN_EVICTED >= 1")
    check(d.poll() is None, "twinhopd still runs")

    # §7: the pid file and the log file are never opened through a symlink
    # (a planted link would make a root daemon truncate or append elsewhere).
    victim = os.path.join(tmp, "victim")
    with open(victim, "w") as f:
        f.write("precious\n")
    link = os.path.join(tmp, "link")
    os.symlink(victim, link)
    r = subprocess.run([TWINHOPD, "-f", conf, "-p", link], capture_output=True, timeout=20)
    check(r.returncode != 0 and open(victim).read() == "precious\n",
          "pid file: a symlink is refused (O_NOFOLLOW), its target untouched")
    r = subprocess.run([TWINHOPD, "-f", conf, "-l", link], capture_output=True, timeout=20)
    check(r.returncode != 0 and open(victim).read() == "precious\n",
          "log file: a symlink is refused (O_NOFOLLOW), its target untouched")
    d.terminate()
    d.wait(10)
    log.close()
    if twh_sys.failed:
        print(open(os.path.join(tmp, "twinhopd.log")).read()[-3000:])
    shutil.rmtree(tmp, ignore_errors=True)


twh_sys.run("twinhopd-flood", main)
