#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""System test of twinhopd (suite system-nodpdk): a fast path that takes
adds but never answers them (tests/control/fake_fp mute-add, what a
fast path far behind on a loaded machine looks like to twinhopd).  Each add
fails after fp-timeout, and twinhopd queues a delete behind it, so the
fast path keeps no session that twinhopd has given up on: an admin Light
listener, an admin sender and a TWAMP-Control session (Accept=5).
Before, the admin adds were only forgotten: the listener went on
reflecting in the fast path with no ID anyone knew.
Prints TWRESULT twinhopd-fp-timeout <passed> <failed>."""
import json, os, queue, shutil, signal, socket, struct, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import twh_sys  # noqa: E402
from twh_sys import check, free_port, procs, recv_exact, wait_listen  # noqa: E402

TWINHOPD, FAKE_FP = sys.argv[1:3]
lines = queue.Queue()


def reader(f):
    for l in f:
        lines.put(l.strip())


def wait_line(pred, timeout=5.0):
    """The first line of fake_fp's output that satisfies pred, or None."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            l = lines.get(timeout=max(0.01, end - time.time()))
        except queue.Empty:
            return None
        if pred(l):
            return l
    return None


def session_of(l):
    for w in l.split():
        if w.startswith("session="):
            return int(w[8:])
    return None


def admin(path, q):
    c = socket.socket(socket.AF_UNIX)
    c.connect(path)
    c.settimeout(10)
    c.sendall((json.dumps(q) + "\n").encode())
    buf = b""
    while True:
        d = c.recv(65536)
        if not d:
            return None
        buf += d
        rep = [json.loads(l) for l in buf.decode().splitlines() if l and '"id"' in l]
        if rep:
            c.close()
            return rep[0]


def request(rport):
    b = struct.pack("!BBBBII HH", 5, 4, 0, 0, 0, 0, 9000, rport)
    b += bytes(32) + bytes(16)
    b += struct.pack("!I Q Q I", 0, 0, 3 << 32, 0) + bytes(8) + bytes(16)
    return b


def live(fp):
    fp.send_signal(signal.SIGUSR1)
    l = wait_line(lambda l: l.startswith("LIVE "))
    return int(l.split()[1]) if l else None


def main():
    tmp = tempfile.mkdtemp(prefix="twinhopd-fpto-")
    region = "/twinhop-fpto-%d" % os.getpid()
    fp = subprocess.Popen([FAKE_FP, region, "mute-add"], stdout=subprocess.PIPE, text=True)
    procs.append(fp)
    check(fp.stdout.readline().strip() == "READY", "fake fast path (mute-add) starts")
    threading.Thread(target=reader, args=(fp.stdout,), daemon=True).start()
    asan = b"libasan" in subprocess.run(["ldd", TWINHOPD], capture_output=True).stdout
    port = free_port()
    sock = os.path.join(tmp, "admin.sock")
    conf = os.path.join(tmp, "twinhopd.conf")
    with open(conf, "w") as f:
        f.write("listen 127.0.0.1 %d\nmodes open\nfp-region %s\nfp-timeout 300\n"
                "admin-socket %s\ntest-ports 30000-30100\nseccomp %s\nlog-level debug\n"
                % (port, region, sock, "no" if asan else "yes"))
    log = open(os.path.join(tmp, "twinhopd.log"), "w")
    d = subprocess.Popen([TWINHOPD, "-f", conf], stderr=log)
    procs.append(d)
    check(wait_listen(port), "twinhopd listening")
    check(wait_line(lambda l: l == "CMD HELLO") is not None, "twinhopd attached (HELLO)")

    cases = [
        ("admin Light listener", "LIGHT_LISTEN",
         {"id": 1, "cmd": "light-add", "proto": "light", "port": 40001}),
        ("admin sender", "SENDER_ADD",
         {"id": 2, "cmd": "sender-add", "proto": "light", "local": "127.0.0.1",
          "local_port": 30999, "peer": "127.0.0.1", "peer_port": 40002}),
    ]
    for what, cmd, q in cases:
        r = admin(sock, q)
        check(r is not None and r.get("ok") is False and "fp-timeout" in json.dumps(r),
              "%s: the add fails with fp-timeout (%r)" % (what, r))
        add = wait_line(lambda l: l.startswith("CMD " + cmd), 2)
        sid = session_of(add) if add else None
        check(sid is not None, "%s: the fast path took the add (%r)" % (what, add))
        dl = wait_line(lambda l: l.startswith("CMD SESSION_DEL") and session_of(l) == sid)
        check(dl is not None, "%s: twinhopd deletes session %s it gave up on" % (what, sid))
        check(live(fp) == 0, "%s: the fast path holds no session" % what)
    ss = admin(sock, {"id": 3, "cmd": "show-sessions"})
    kinds = [x.get("kind") for x in (ss or {}).get("sessions", [])]
    check(ss is not None and "light" not in kinds and "sender" not in kinds,
          "show-sessions lists neither (%r)" % kinds)

    # TWAMP-Control: Request-TW-Session -> Accept=5 after fp-timeout, and
    # the session retired with a delete (ctl_server.c).
    c = socket.create_connection(("127.0.0.1", port), timeout=3)
    check(len(recv_exact(c, 64)) == 64, "control: greeting")
    c.sendall(struct.pack("!I", 1) + bytes(160))
    check(len(recv_exact(c, 48)) == 48, "control: Server-Start")
    c.sendall(request(30050))
    acc = recv_exact(c, 48)
    check(len(acc) == 48 and acc[0] == 5, "control: Accept-Session Accept=5 (%r)" % acc[:1])
    add = wait_line(lambda l: l.startswith("CMD REFLECTOR_ADD"), 2)
    sid = session_of(add) if add else None
    dl = wait_line(lambda l: l.startswith("CMD SESSION_DEL") and session_of(l) == sid)
    check(sid is not None and dl is not None,
          "control: the timed-out REFLECTOR_ADD deleted (session %s)" % sid)
    check(live(fp) == 0, "control: the fast path holds no session")
    c.close()
    shutil.rmtree(tmp, ignore_errors=True)


twh_sys.run("twinhopd-fp-timeout", main)
