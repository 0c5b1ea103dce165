#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Crafted TWAMP-Control (open mode) and TWAMP-Test packets against twinhopd
+ twinhop-fp (issue 8 §3 and §4), run in the client namespace by
e2e-hostile.sh.  One line per check: "ok <name>" or "FAIL <name> (why)".

usage: hostile_client.py SERVER_ADDR MY_ADDR ADMIN_SOCKET

  third-party   a Sender Address neither zero nor ours: Accept-Session 1
  explicit      our own address as Sender Address: Accept 0
  amplifier     padding 400: a full-length request is reflected, a 14-octet
                one is dropped and counted (DROP_SHORT_REQUEST)
  timeout       Timeout 1 s: a packet 50 ms before Stop + Timeout is
                reflected, one 50 ms after is dropped and counted
                (DROP_AFTER_STOP)
  peer flood    a stateful STAMP listener (max-peers 1000) flooded by
                200,000 distinct (address, port) senders from a raw socket
                still answers a known peer and a new one, with consecutive
                reflector sequence numbers and no DROP_SESSION_FULL
"""
import json, os, socket, struct, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from twtest import ntp_now  # noqa: E402

SERVER, ME, ADMIN = sys.argv[1:4]
fails = 0


def report(ok, name, why=""):
    global fails
    if ok:
        print("ok   - " + name, flush=True)
    else:
        fails += 1
        print("FAIL - %s (%s)" % (name, why), flush=True)


def recv_exact(s, n):
    s.settimeout(5)
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            break
        b += d
    return b


def admin(cmd):
    a = socket.socket(socket.AF_UNIX)
    a.settimeout(5)
    a.connect(ADMIN)
    a.sendall((json.dumps(cmd) + "\n").encode())
    b = b""
    while not b.endswith(b"\n"):
        d = a.recv(65536)
        if not d:
            break
        b += d
    a.close()
    return json.loads(b.decode())


def fp_counter(name):
    r = admin({"cmd": "show-fp-counters"})
    return int(r.get("total", {}).get(name, 0))


def wait_counter(name, above, tries=50):
    """The fast path publishes its counters periodically: wait (bounded)
    until name exceeds `above`; returns the last value."""
    v = fp_counter(name)
    for _ in range(tries):
        if v > above:
            break
        time.sleep(0.1)
        v = fp_counter(name)
    return v


def settle(name, tries=100):
    """Wait (bounded) until counter `name` stops moving for 0.5 s: the
    fast path has drained what was queued for it.  Returns the value."""
    last, still = fp_counter(name), 0
    for _ in range(tries):
        time.sleep(0.1)
        v = fp_counter(name)
        still = still + 1 if v == last else 0
        last = v
        if still >= 5:
            break
    return last


def control():
    s = socket.create_connection((SERVER, 862), timeout=5)
    g = recv_exact(s, 64)
    modes = struct.unpack("!I", g[12:16])[0]
    assert modes & 1, "open mode offered"
    s.sendall(struct.pack("!I", 1) + bytes(160))
    ss = recv_exact(s, 48)
    assert len(ss) == 48 and ss[15] == 0, "Server-Start Accept 0"
    return s


def request(s, sender, sport, rport, padding, timeout_s):
    """Request-TW-Session (RFC 5357 §3.5); returns (Accept, port)."""
    saddr = socket.inet_aton(sender) if sender else bytes(4)
    b = struct.pack("!BBBBII HH", 5, 4, 0, 0, 0, 0, sport, rport)
    b += saddr + bytes(12) + bytes(16) + bytes(16)  # sender, receiver (zero), SID
    to = int(timeout_s * (1 << 32))
    b += struct.pack("!I Q Q I", padding, ntp_now() + (1 << 32), to, 0) + bytes(8) + bytes(16)
    assert len(b) == 112
    s.sendall(b)
    a = recv_exact(s, 48)
    return a[0], struct.unpack("!H", a[2:4])[0]


def start(s):
    s.sendall(bytes([2]) + bytes(31))
    a = recv_exact(s, 32)  # Start-Ack (RFC 4656 §3.7)
    return a[0]


def stop(s, n):
    s.sendall(struct.pack("!BBHI", 3, 0, 0, n) + bytes(8) + bytes(16))


def test_packet(seq, padding):
    """Open-mode sender packet (RFC 5357 §4.1.2): 14 octets + padding."""
    return struct.pack("!I Q H", seq, ntp_now(), 0x8001) + bytes(padding)


def send(u, pkt):
    """send() on the connected test socket.  A pending ICMP error (port
    unreachable from a reflector host whose kernel also takes the test
    packets, as it did before tests/e2e/lib.sh set rp_filter) is returned
    by the next send() instead of sending: note it and send again, so the
    packet really leaves when the test means it to."""
    try:
        u.send(pkt)
    except ConnectionRefusedError:
        print("note: ICMP port unreachable on the test socket", flush=True)
        u.send(pkt)


def reflected(u, want_seq, wait):
    """A reply whose Sender Sequence Number (octets 24..27, RFC 5357 §4.2.1)
    is want_seq."""
    u.settimeout(wait)
    end = time.time() + wait
    while time.time() < end:
        try:
            d = u.recv(65536)
        except socket.timeout:
            return None
        except ConnectionRefusedError:
            print("note: ICMP port unreachable on the test socket", flush=True)
            continue
        if len(d) >= 28 and struct.unpack("!I", d[24:28])[0] == want_seq:
            return d
    return None


def stamp_packet(seq):
    """Unauthenticated STAMP Session-Sender packet (RFC 8762 §4.2.1): 44
    octets, the Sender Sequence Number echoed at octets 24..27 (§4.3.1)."""
    return struct.pack("!I Q H", seq, ntp_now(), 0x8001) + bytes(30)


def stamp_round(u, seqs):
    """Send each seq, wait for its reply; the reflector's own sequence
    numbers (octets 0..3) of the replies, None for a missing reply."""
    out = []
    for q in seqs:
        send(u, stamp_packet(q))
        r = reflected(u, q, 2.0)
        out.append(struct.unpack("!I", r[:4])[0] if r else None)
    return out


def peer_flood():
    """Issue 8 §5: the stateful Light/STAMP peer table evicts the least
    recently used entry when full (max-peers), so a flood of spoofed
    senders never locks legitimate peers out."""
    port = 5870
    r = admin({"cmd": "light-add", "proto": "stamp", "port": port, "max_peers": 1000})
    report(r.get("ok"), "peer flood: stateful STAMP listener, max-peers 1000", repr(r))
    if not r.get("ok"):
        return
    known = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    known.bind((ME, 0))
    known.connect((SERVER, port))
    first = stamp_round(known, range(5))
    report(first == [0, 1, 2, 3, 4], "peer flood: known peer, reflector seqs 0..4", repr(first))
    full0 = fp_counter("DROP_SESSION_FULL")
    rx0 = fp_counter("RX_PKTS")
    # 200,000 distinct senders: 4 spoofed addresses x 50,000 ports, UDP
    # checksum 0 (allowed over IPv4), the IP header completed by the kernel.
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    dst = socket.inet_aton(SERVER)
    payload = stamp_packet(0)
    base = ME.rsplit(".", 1)[0]
    sent = 0
    for a in range(4):
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 8 + len(payload), 0, 0, 64, 17, 0,
                         socket.inet_aton("%s.%d" % (base, 100 + a)), dst)
        for sport in range(10000, 60000):
            try:
                raw.sendto(ip + struct.pack("!HHHH", sport, port, 8 + len(payload), 0) + payload,
                           (SERVER, 0))
                sent += 1
            except BlockingIOError:
                pass
    raw.close()
    wait_counter("RX_PKTS", rx0 + 1000)
    # On a loaded machine the fast path may still be draining the flood
    # from its af_packet ring; the known peer's next packet must not race it.
    rx = settle("RX_PKTS")
    print("note: peer flood sent %d, the fast path received %d" % (sent, rx - rx0), flush=True)
    report(rx - rx0 > 1000, "peer flood: more distinct senders reached the table than max-peers",
           "%d received" % (rx - rx0))
    after = stamp_round(known, range(5, 10))
    ok = None not in after and after == list(range(after[0], after[0] + 5))
    report(ok, "peer flood: known peer answered after the flood, consecutive seqs", repr(after))
    new = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    new.bind((ME, 0))
    new.connect((SERVER, port))
    fresh = stamp_round(new, range(3))
    report(fresh == [0, 1, 2], "peer flood: a new peer after the flood starts at seq 0", repr(fresh))
    full = fp_counter("DROP_SESSION_FULL")
    report(full == full0, "peer flood: no DROP_SESSION_FULL", "%d -> %d" % (full0, full))
    known.close()
    new.close()
    r = admin({"cmd": "session-del", "session": r.get("session")})
    report(r.get("ok"), "peer flood: listener deleted", repr(r))


def main():
    c = control()

    # §4: third-party Sender Address refused, our own accepted.
    acc, _ = request(c, "10.250.0.99", 40999, 20000, 0, 1.0)
    report(acc == 1, "third-party Sender Address: Accept-Session 1", "Accept %d" % acc)

    # §4: amplifier.  One UDP socket is the sender of every session.
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((ME, 0))
    sport = u.getsockname()[1]
    acc, port = request(c, ME, sport, 20000, 400, 1.0)
    report(acc == 0, "explicit (own) Sender Address: Accept 0", "Accept %d" % acc)
    report(port == 20000, "requested port honoured", "port %d" % port)
    acc = start(c)
    report(acc == 0, "Start-Ack 0", "Accept %d" % acc)
    u.connect((SERVER, port))
    send(u, test_packet(1, 400))
    r = reflected(u, 1, 2.0)
    report(r is not None and len(r) == 414,
           "full-length request (14 + 400) reflected with 414 octets",
           "reply %s" % (len(r) if r else None))
    short0 = fp_counter("DROP_SHORT_REQUEST")
    send(u, test_packet(2, 0))
    r = reflected(u, 2, 1.0)
    report(r is None, "short request (14 octets, session padding 400) not reflected",
           "got %d octets" % (len(r) if r else 0))
    v = wait_counter("DROP_SHORT_REQUEST", short0)
    report(v == short0 + 1, "DROP_SHORT_REQUEST counted once", "%d -> %d" % (short0, v))
    send(u, test_packet(3, 401))  # longer than negotiated: fine
    report(reflected(u, 3, 2.0) is not None, "longer request still reflected")

    # §3: Stop + Timeout (1 s) exactly.  The drain counts from when the
    # server received Stop-Sessions: not before we sent it, not after it
    # answered the request that follows it on the same connection.
    after0 = fp_counter("DROP_AFTER_STOP")
    t_stop = time.time()
    stop(c, 1)
    acc, _ = request(c, None, sport + 1 if sport < 65535 else sport - 1, 20001, 0, 1.0)
    t_seen = time.time()
    report(acc == 0, "request after Stop-Sessions accepted (stop processed)", "Accept %d" % acc)
    report(t_seen - t_stop < 0.9, "Stop-Sessions processed within 0.9 s",
           "%.3f s" % (t_seen - t_stop))
    time.sleep(max(0, t_stop + 1.0 - 0.05 - time.time()))
    send(u, test_packet(10, 400))
    r = reflected(u, 10, max(0.01, t_seen + 1.0 + 0.05 - time.time()))
    report(r is not None, "packet 50 ms before Stop + Timeout reflected")
    time.sleep(max(0, t_seen + 1.0 + 0.05 - time.time()))
    send(u, test_packet(11, 400))
    r = reflected(u, 11, 1.0)
    report(r is None, "packet 50 ms after Stop + Timeout not reflected")
    v = wait_counter("DROP_AFTER_STOP", after0)
    report(v == after0 + 1, "DROP_AFTER_STOP counted once", "%d -> %d" % (after0, v))
    c.close()
    peer_flood()
    print("hostile_client: %d failed" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
