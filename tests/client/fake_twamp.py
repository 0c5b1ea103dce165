#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Tiny TWAMP test peer for the client tests (127.0.0.1 / ::1 only).

  fake_twamp.py reflect [--stamp] [--bind IPV4] PORTFILE
      UDP Session-Reflector, open layout (wire reference section 4.3) or STAMP
      unauthenticated (6.2), on an ephemeral port written to PORTFILE
      (address 127.0.0.1, or --bind's inside a test namespace).
  fake_twamp.py server [--modes N] [--accept-session N] [--start-ack N]
                       [--server-start N] [--close-after-setup] [--mute-request]
                       [--log FILE] PORTFILE
      TWAMP-Control server, mode 1 (open) only, one connection at a time;
      every accepted session gets its own open-mode reflector.  --modes 17
      also offers RFC 5938 Individual Session Control (Start-N/Stop-N);
      --log appends one line per control command ("start", "stop N",
      "start-n N", "stop-n N"); --mute-request never answers
      Request-TW-Session (wire reference 11.6).

  Both: --drop LIST drops the test packets with these sender sequence
  numbers (e.g. 3,7,10-12); --delay-seqs LIST --delay S holds the reply to
  those packets S seconds (threshold tests); --dup LIST answers those
  packets twice with the same reflector sequence number (backward
  duplicates).  reflect --twampy [--twampy-pad N] answers like nokia/twampy's
  Light responder (wire reference 11b.7): 24-octet reflector header, the
  first 14 octets of the request, N zero octets (default 0), no Sender TTL.
  --short-seqs LIST answers those packets with only the first 20 octets of
  the reply, shorter than any reflector packet (a sender must drop it).
  reflect --ptp-1900 writes T2 and T3 as RFC8762-CLI's reflector -P does
  (docs/interop.md): Z = 1 (Error Estimate 0x4001) but seconds since 1900
  (the NTP seconds) with nanoseconds, not seconds since 1970.
  reflect --require-z answers only packets whose Error Estimate has Z = 1
  (a sender asked to write PTP timestamps, RFC 8762 §4.2.1).

Written from the wire reference, independent of the C code under test.
Runs until killed (the test scripts kill it by PID).
"""
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from twtest import ntp_now  # noqa: E402
IP_RECVTTL = 12  # Linux <netinet/in.h>; not exported by Python's socket module



def seq_set(args, name):
    out = set()
    if name in args:
        for part in args[args.index(name) + 1].split(","):
            a, _, b = part.partition("-")
            out.update(range(int(a), int(b or a) + 1))
    return out


FAULTS = {"drop": set(), "delay": set(), "delay_s": 0.0, "dup": set(), "twampy": None,
          "short": set(), "ptp1900": False, "require_z": False}


def ptp_1900(ntp):
    """NTP 32.32 to RFC8762-CLI's Z = 1 layout: NTP seconds, nanoseconds."""
    return (ntp >> 32) << 32 | ((ntp & 0xffffffff) * 1000000000 >> 32)


def reflector(sock, pad_len, stamp):
    seq = 0
    sock.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
    while True:
        data, anc, _, addr = sock.recvmsg(65536, 64)
        t2 = ntp_now()
        ttl = 255
        for lvl, typ, val in anc:
            if lvl == socket.IPPROTO_IP and typ == socket.IP_TTL:
                ttl = struct.unpack("i", val[:4])[0]
        base = 44 if stamp else 14
        if len(data) < base:
            continue  # wire reference 11.3: drop short datagrams
        sseq, t1, serr = struct.unpack("!IQH", data[:14])
        if sseq in FAULTS["drop"] or (FAULTS["require_z"] and not serr & 0x4000):
            continue
        if sseq in FAULTS["delay"]:
            # A slow forward path, not a slow reflector: T2 after the wait,
            # so the RTT ((T4-T1)-(T3-T2)) carries the delay.
            time.sleep(FAULTS["delay_s"])
            t2 = ntp_now()
        if stamp:
            ssid = struct.unpack("!H", data[14:16])[0]
            out_len = len(data)
            pad = data[44:]
        else:
            ssid = 0
            out_len = max(14 + pad_len, 41)
            pad = data[14:14 + out_len - 41].ljust(out_len - 41, b"\0")
        t3 = ntp_now()
        errest = 0x0001
        if FAULTS["ptp1900"]:
            t2, t3, errest = ptp_1900(t2), ptp_1900(t3), 0x4001
        head = struct.pack("!IQHHQIQHHB", seq, t3, errest, ssid, t2, sseq, t1, serr, 0, ttl)
        if stamp:
            head += b"\0" * 3
        if FAULTS["twampy"] is not None:
            # twampy: T2 == T3, the request's first 14 octets, zero pad.
            head = struct.pack("!IQHHQ", seq, t2, 0x0001, 0, t2) + data[:14]
            pad = b"\0" * FAULTS["twampy"]
            out_len = len(head) + len(pad)
        if sseq in FAULTS["short"]:
            out_len = 20
        sock.sendto((head + pad)[:out_len], addr)
        if sseq in FAULTS["dup"]:
            sock.sendto((head + pad)[:out_len], addr)
        seq += 1


def cmd_reflect(args):
    stamp = "--stamp" in args
    portfile = args[-1]
    addr = args[args.index("--bind") + 1] if "--bind" in args else "127.0.0.1"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 0))
    with open(portfile + ".tmp", "w") as f:
        f.write(str(s.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    reflector(s, 0, stamp)


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        chunk = c.recv(n - len(b))
        if not chunk:
            raise EOFError
        b += chunk
    return b


def opt(args, name, default):
    if name in args:
        return int(args[args.index(name) + 1])
    return default


def serve(c, args):
    modes = opt(args, "--modes", 1)
    c.sendall(b"\0" * 12 + struct.pack("!I", modes) + os.urandom(32) +
              struct.pack("!I", 1024) + b"\0" * 12)
    setup = recv_exact(c, 164)
    mode = struct.unpack("!I", setup[:4])[0]
    if "--close-after-setup" in args or (mode & 0xF) != 1:
        return  # like twampd for a mode it will not serve (section 2.2)
    c.sendall(b"\0" * 15 + bytes([opt(args, "--server-start", 0)]) + b"\0" * 16 +
              struct.pack("!Q", ntp_now()) + b"\0" * 8)
    if opt(args, "--server-start", 0):
        return
    nsess = 0
    while True:
        blk = recv_exact(c, 16)
        cmd = blk[0]
        if cmd == 5:
            rest = recv_exact(c, 96)
            req = blk + rest
            ipvn = req[1] & 0x0F
            pad_len = struct.unpack("!I", req[64:68])[0]
            acc = opt(args, "--accept-session", 0)
            if "--mute-request" in args:
                continue  # twampd on a malformed request: no answer (11.6)
            if ipvn not in (4, 6):
                acc = 3
            if acc:
                c.sendall(bytes([acc]) + b"\0" * 47)
                continue
            fam = socket.AF_INET if ipvn == 4 else socket.AF_INET6
            u = socket.socket(fam, socket.SOCK_DGRAM)
            u.bind(("127.0.0.1" if ipvn == 4 else "::1", 0))
            threading.Thread(target=reflector, args=(u, pad_len, False), daemon=True).start()
            sid = os.urandom(16)
            c.sendall(b"\0\0" + struct.pack("!H", u.getsockname()[1]) + sid + b"\0" * 28)
            nsess += 1
        elif cmd == 2:
            recv_exact(c, 16)
            log(args, "start")
            c.sendall(bytes([opt(args, "--start-ack", 0)]) + b"\0" * 31)
        elif cmd in (7, 9):  # RFC 5938 Start-N / Stop-N-Sessions
            n = struct.unpack("!I", blk[12:16])[0]
            rest = recv_exact(c, 16 * n + 16)
            log(args, "%s %d" % ("start-n" if cmd == 7 else "stop-n", n))
            c.sendall(bytes([cmd + 1, 0]) + b"\0" * 10 + struct.pack("!I", n) +
                      rest[:16 * n] + b"\0" * 16)
        elif cmd == 3:
            rest = recv_exact(c, 16)
            n = struct.unpack("!I", blk[4:8])[0]
            log(args, "stop %d" % n)
            if n != nsess:  # twampd drops the connection (section 2.11)
                sys.stderr.write("fake_twamp: Stop-Sessions N=%d, accepted %d\n" % (n, nsess))
                return
            nsess = 0
        else:
            c.sendall(b"\x03" + b"\0" * 47)


def log(args, line):
    if "--log" in args:
        with open(args[args.index("--log") + 1], "a") as f:
            f.write(line + "\n")


def cmd_server(args):
    portfile = args[-1]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    while True:
        c, _ = ls.accept()
        try:
            serve(c, args)
        except (EOFError, ConnectionError):
            pass
        c.close()


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    FAULTS["drop"] = seq_set(sys.argv, "--drop")
    FAULTS["delay"] = seq_set(sys.argv, "--delay-seqs")
    FAULTS["dup"] = seq_set(sys.argv, "--dup")
    FAULTS["short"] = seq_set(sys.argv, "--short-seqs")
    if "--twampy" in sys.argv:
        FAULTS["twampy"] = 0
        if "--twampy-pad" in sys.argv:
            FAULTS["twampy"] = int(sys.argv[sys.argv.index("--twampy-pad") + 1])
    FAULTS["ptp1900"] = "--ptp-1900" in sys.argv
    FAULTS["require_z"] = "--require-z" in sys.argv
    if "--delay" in sys.argv:
        FAULTS["delay_s"] = float(sys.argv[sys.argv.index("--delay") + 1])
    {"reflect": cmd_reflect, "server": cmd_server}[sys.argv[1]](sys.argv[2:])
