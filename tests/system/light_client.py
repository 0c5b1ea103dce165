#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Kernel-socket TWAMP-Light / STAMP client for the system tests.

usage: light_client.py ADDR PORT MODE COUNT
    MODE: light | light-stateless | stamp | stamp-tlv | stamp-pad
Sends COUNT sender packets (TWAMP open layout with 27 octets of padding,
or a 44-octet STAMP packet with SSID), numbered from 1000 with a jump of 5
halfway, and checks every reply field
(spec §4.3, §4.5, §4.7, §6.1, §6.2).  Prints "CLIENT <passed> <failed>".
stamp-tlv adds RFC 8972 TLVs to a stateful STAMP listener: Direct
Measurement (§4.5: Sender Tx counter echoed, Reflector Rx/Tx counters =
packets of this sender so far), Timestamp Information (§4.3: sync source
NTP(1)/free-running(5), method SW local(2)) and an unknown type (U set).
stamp-pad adds one Extra Padding TLV (the reflector's incremental UDP
checksum path with a TLV flag change; the kernel checks the checksum).
Afterwards, light: a new socket whose first number is 2 is counted from 0,
the first socket numbered from 0 again is counted from 0 again, and a
request with 67 octets of padding gets its leading 40 back (the
reflector's incremental UDP checksum; the kernel checks it);
stamp-tlv and stamp-pad: another SSID on the same socket is a session of
its own, and the first SSID keeps its count.
"""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from twtest import Checks, ntp_now  # noqa: E402

addr, port, mode, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
if fam == socket.AF_INET:
    s.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_RECVTTL", 12), 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 64)
else:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 64)
s.settimeout(1.0)
CHECKS = Checks()
check = CHECKS.check


for i in range(count):
    # Halfway the sender skips 5 numbers (as if 5 packets were lost on the
    # way out): a stateful reflector keeps its own count, a stateless one
    # copies the jump.
    seq = 1000 + i + (5 if i >= count // 2 else 0)
    t1 = ntp_now()
    tlv = b""
    if mode == "stamp-tlv":
        tlv = (struct.pack("!BBHIII", 0x80, 5, 12, 5000 + i, 0xdeadbeef, 0xdeadbeef) +
               struct.pack("!BBHBBBB", 0x80, 3, 4, 9, 9, 9, 9) +
               struct.pack("!BBH", 0x00, 200, 4) + b"abcd")
    elif mode == "stamp-pad":
        tlv = struct.pack("!BBH", 0x80, 1, 21) + bytes(range(21))
    if mode.startswith("stamp"):
        pkt = struct.pack("!IQHH", seq, t1, 0x0001, 0x1234) + bytes(28) + tlv
    else:
        pkt = struct.pack("!IQH", seq, t1, 0x0001) + bytes(27)
    s.sendto(pkt, (addr, port))
    try:
        data, anc, _, _ = s.recvmsg(2048, socket.CMSG_SPACE(4))
    except socket.timeout:
        check(False, f"seq {seq}: reply")
        continue
    ttl = None
    for lvl, typ, d in anc:
        ttl = d[0] if len(d) == 1 else struct.unpack("i", d[:4])[0]
    want = 44 + len(tlv) if mode.startswith("stamp") else 41
    check(len(data) == want, f"seq {seq}: length {len(data)} == {want}")
    if len(data) < 41:
        continue
    rseq, t3, err, mbz_or_ssid, t2, sseq, st1, serr, mbz2, sttl = struct.unpack(
        "!IQHHQIQHHB", data[:41])
    if mode in ("light", "stamp-tlv", "stamp-pad"):  # stateful listeners
        # a peer whose first number is 16 or more is a session under way
        # (fp_reflector.c FP_PEER_RESYNC): its first reply takes that
        # number (1000), then the reflector counts its own replies
        check(rseq == 1000 + i, f"seq {seq}: own counter {rseq} == {1000 + i}")
    else:
        check(rseq == seq, f"seq {seq}: stateless seq copy {rseq}")
    check(sseq == seq, f"seq {seq}: sender seq copied")
    check(st1 == t1, f"seq {seq}: T1 copied")
    check(serr == 1, f"seq {seq}: sender error estimate copied")
    check(t3 >= t2, f"seq {seq}: T3 >= T2")
    check(err & 0xff != 0, f"seq {seq}: error estimate multiplier non-zero")
    check(mbz_or_ssid == (0x1234 if mode.startswith("stamp") else 0), f"seq {seq}: octets 14-15")
    check(mbz2 == 0, f"seq {seq}: MBZ 38-39")
    check(sttl == 64, f"seq {seq}: Sender TTL {sttl} == 64 (received TTL)")
    check(ttl == 255, f"seq {seq}: reply TTL {ttl} == 255")
    if mode == "stamp-tlv" and len(data) == want:
        f, ty, ln, stx, rrx, rtx = struct.unpack("!BBHIII", data[44:60])
        check((f, ty, ln) == (0, 5, 12), f"seq {seq}: DM TLV header {f:#x} {ty} {ln} (U cleared)")
        check(stx == 5000 + i, f"seq {seq}: DM Sender Tx counter echoed")
        check(rrx == i + 1 and rtx == i + 1, f"seq {seq}: DM Reflector Rx/Tx {rrx}/{rtx} == {i + 1}")
        f, ty, ln, si, mi, so, mo = struct.unpack("!BBHBBBB", data[60:68])
        check((f, ty, ln) == (0, 3, 4), f"seq {seq}: TS info TLV header (U cleared)")
        check(si in (1, 5) and so == si and mi == 2 and mo == 2,
              f"seq {seq}: TS info sync {si}/{so} method {mi}/{mo}")
        check(data[68] & 0x80 and data[69] == 200 and data[72:76] == b"abcd",
              f"seq {seq}: unknown TLV echoed with U set")
    elif mode == "stamp-pad" and len(data) == want:
        check(data[44:48] == bytes([0, 1, 0, 21]) and data[48:] == bytes(range(21)),
              f"seq {seq}: Extra Padding echoed, U cleared")
    else:
        check(not any(data[41:]), f"seq {seq}: padding / MBZ zero")


def once(sock, seq, ssid=None):
    """One more sender packet (TWAMP open, or STAMP with ssid): the
    reply's reflector Sequence Number, None when none came."""
    if ssid is None:
        pkt = struct.pack("!IQH", seq, ntp_now(), 0x0001) + bytes(27)
    else:
        pkt = struct.pack("!IQHH", seq, ntp_now(), 0x0001, ssid) + bytes(28)
    sock.sendto(pkt, (addr, port))
    try:
        return struct.unpack("!I", sock.recv(2048)[:4])[0]
    except socket.timeout:
        return None


if mode == "light":
    # A new session whose first two packets were lost on the way out: its
    # first number here is 2, below 16, so the reflector counts from 0 and
    # the sender can tell that loss from its own numbers (RFC 8762 §4.2.1).
    s2 = socket.socket(fam, socket.SOCK_DGRAM)
    s2.settimeout(1.0)
    for i, seq in enumerate((2, 3, 4)):
        rseq = once(s2, seq)
        check(rseq == i, f"new session, seq {seq}: own counter {rseq} == {i} (from 0)")
    # The first socket starts a new session from the same port (twampy's
    # sender always uses port 20000): numbered from 0 again.
    for i in range(2):
        rseq = once(s, i)
        check(rseq == i, f"same port, new session, seq {i}: own counter {rseq} == {i}")
    # Padding beyond the 27 octets the reply base takes: the reply is as
    # long as the request and carries the leading octets of the sender's
    # padding (spec §4.5), so the reflector updates the request's UDP
    # checksum instead of summing the reply (fp_cksum.h); the kernel drops
    # a reply whose checksum is wrong.
    pad = bytes((7 * k + 1) & 0xff for k in range(27 + 40))
    s.sendto(struct.pack("!IQH", 2, ntp_now(), 0x0001) + pad, (addr, port))
    try:
        data = s.recv(2048)
    except socket.timeout:
        data = b""
    check(len(data) == 14 + len(pad) and data[41:] == pad[:40],
          f"padding 67: reply of {len(data)} octets == 81, leading padding octets reflected")
elif mode in ("stamp-tlv", "stamp-pad"):
    # RFC 8972 §3: the SSID tells STAMP sessions on one 5-tuple apart.  A
    # second session from the same socket (SSID 0x4321) is numbered from 0
    # on its own, and the first (0x1234) goes on with its count.
    for i in range(3):
        rseq = once(s, i, 0x4321)
        check(rseq == i, f"SSID 0x4321, seq {i}: own counter {rseq} == {i} (a session of its own)")
    last = 1000 + count + 5
    rseq = once(s, last, 0x1234)
    check(rseq == 1000 + count, f"SSID 0x1234 again, seq {last}: own counter {rseq} == {1000 + count} (kept)")
CHECKS.done()
