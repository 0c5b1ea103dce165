#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""STAMP Session-Sender with every RFC 8972 / RFC 9503 TLV, for e2e-stamp-tlv.sh.

usage: stamp_tlv_client.py ADDR PORT open|auth OUR_MAC [KEYHEX]

Kernel UDP socket; builds the packets itself (independent of lib/), so the
checks are against the RFC layouts, not against our own encoder:
  * every TLV at once, COUNT packets: Location (generic Destination and
    Source IP and Source MAC sub-TLVs, §4.2), Timestamp Information
    (§4.3), Class of Service (§4.4: DSCP1 46, the reply must carry it),
    Direct Measurement (§4.5), Access Report (§4.6), Follow-Up Telemetry
    (§4.7: the previous reply's sequence number and transmit time),
    Destination Node Address (RFC 9503 §3, the reflector's address),
    Return Path (RFC 9503 §4, reply on the same link), an unknown type,
    and in authenticated mode the HMAC TLV (§4.8) last;
  * one packet each for the refusals: a Destination Node Address that is
    not the reflector's (U), an Access Report with Access ID 3 (U), a
    Return Path asking for another address (U), a Return Path asking for no
    reply (nothing comes back), a malformed TLV (M), and in authenticated
    mode a wrong HMAC TLV (I on every TLV, the reply's own HMAC TLV valid)
    or, open, an HMAC TLV (U).
With MICRO_LINK=N in the environment (the reflector's --member-link-id),
the RFC 9534 Micro-session ID TLV (§3.2) too: a Reflector Micro-session ID of
0 or N is answered with N and the Sender ID echoed; another one gets no
reply, and takes no reflector Sequence Number (the listener is stateful);
authenticated, with a wrong HMAC TLV, the ID is not used (RFC 8972 §4.8):
answered, echoed as received, I set.
Prints "CLIENT <passed> <failed>".
"""
import hashlib
import hmac
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from twtest import Checks, ntp_now  # noqa: E402

addr, port, mode, our_mac = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
key = bytes.fromhex(sys.argv[5]) if len(sys.argv) > 5 else b""
auth = mode == "auth"
v6 = ":" in addr
fam = socket.AF_INET6 if v6 else socket.AF_INET
BASE = 112 if auth else 44
COUNT = 12
SEND_DSCP = 10  # what our packets carry (DSCP2 reported back)
ASK_DSCP = 46   # DSCP1: what we want on the replies

s = socket.socket(fam, socket.SOCK_DGRAM)
if v6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, SEND_DSCP << 2)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVTCLASS, 1)
else:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, SEND_DSCP << 2)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
s.connect((addr, port))
local_addr, local_port = s.getsockname()[:2]
ours = socket.inet_pton(fam, local_addr)
theirs = socket.inet_pton(fam, addr)
mac = bytes.fromhex(our_mac.replace(":", ""))
CHECKS = Checks()
check = CHECKS.check


def tlv(t, v, flags=0x80):
    return struct.pack("!BBH", flags, t, len(v)) + v


def mac16(data):
    return hmac.new(key, data, hashlib.sha256).digest()[:16]


def base(seq):
    t1 = ntp_now()
    if auth:
        p = struct.pack("!I12xQHH68x", seq, t1, 0x0001, 0x4242)
        return p + mac16(p)
    return struct.pack("!IQHH28x", seq, t1, 0x0001, 0x4242)


def packet(seq, tlvs, hmac_tlv=auth, bad_hmac=False):
    b = base(seq)
    area = b"".join(tlvs)
    if hmac_tlv:
        m = mac16(struct.pack("!I", seq) + area) if key else bytes(16)
        if bad_hmac:
            m = bytes([m[0] ^ 1]) + m[1:]
        area += tlv(8, m)
    return b + area


def walk(area):
    """[(offset, flags, type, value)] of a TLV area; stops at an overrun."""
    out, off = [], 0
    while off + 4 <= len(area):
        f, t, n = struct.unpack("!BBH", area[off:off + 4])
        out.append((off, f, t, area[off + 4:off + 4 + n]))
        off += 4 + n
    return out


def recv():
    try:
        data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(4))
    except socket.timeout:
        return None, None
    tos = None
    for _lvl, _typ, d in anc:
        tos = d[0] if len(d) == 1 else struct.unpack("i", d[:4])[0]
    return data, tos


def reply_fields(d):
    if auth:
        rseq, = struct.unpack("!I", d[0:4])
        t3, = struct.unpack("!Q", d[16:24])
        sseq, = struct.unpack("!I", d[48:52])
    else:
        rseq, t3 = struct.unpack("!IQ", d[0:12])
        sseq, = struct.unpack("!I", d[24:28])
    return rseq, t3, sseq


def check_reply_hmac(d, what):
    """the reply's HMAC TLV over its own Sequence Number and its TLVs"""
    area = d[BASE:]
    h = [x for x in walk(area) if x[2] == 8]
    check(h and h[0][3] == mac16(d[0:4] + area[:h[0][0]]), f"{what}: reply HMAC TLV valid")
    check(d[96:112] == mac16(d[0:96]), f"{what}: reply base HMAC valid")


all_tlvs = [
    tlv(2, bytes(4) + tlv(4, bytes(16)) + tlv(7, bytes(16)) + tlv(1, bytes(8))),  # Location
    tlv(3, bytes(4)),                                                        # Timestamp Information
    tlv(4, bytes([ASK_DSCP << 2, 0, 0, 0])),                                 # Class of Service
    tlv(5, struct.pack("!III", 0, 0, 0)),                                    # Direct Measurement
    tlv(6, bytes([0x10, 0x01, 0, 0])),                                       # Access Report 3GPP
    tlv(7, bytes(16)),                                                       # Follow-Up Telemetry
    tlv(9, theirs),                                                          # Destination Node Addr
    tlv(10, tlv(1, struct.pack("!I", 1))),                                   # Return Path, same link
    tlv(200, b"abcd"),                                                       # unknown
]
s.settimeout(2.0)
prev = None
for i in range(COUNT):
    seq = 100 + i
    t = list(all_tlvs)
    t[3] = tlv(5, struct.pack("!III", i + 1, 0, 0))
    p = packet(seq, t)
    s.send(p)
    d, tos = recv()
    if d is None:
        check(False, f"seq {seq}: reply")
        prev = None
        continue
    check(len(d) == len(p), f"seq {seq}: length {len(d)} == {len(p)}")
    rseq, t3, sseq = reply_fields(d)
    check(sseq == seq, f"seq {seq}: sender sequence echoed")
    check(tos is not None and tos >> 2 == ASK_DSCP, f"seq {seq}: reply DSCP {tos} is DSCP1 {ASK_DSCP}")
    got = walk(d[BASE:])
    types = [x[2] for x in got]
    check(types == [2, 3, 4, 5, 6, 7, 9, 10, 200] + ([8] if auth else []),
          f"seq {seq}: TLVs echoed in order {types}")
    if len(got) < 9:
        continue
    flags = {x[2]: x[1] for x in got}
    val = {x[2]: x[3] for x in got}
    for ty in (2, 3, 4, 5, 6, 7, 9, 10) + ((8,) if auth else ()):
        check(flags[ty] == 0, f"seq {seq}: type {ty} flags {flags[ty]:#x} == 0 (U cleared)")
    check(flags[200] == 0x80, f"seq {seq}: unknown type keeps U")
    # Location: ports as the reflector saw them, then the sub-TLVs
    loc = val[2]
    dport, sport = struct.unpack("!HH", loc[:4])
    check((dport, sport) == (port, local_port), f"seq {seq}: Location ports {dport}/{sport}")
    subs = walk(loc[4:])
    want_d = (6, theirs) if v6 else (5, theirs + bytes(12))
    want_s = (9, ours) if v6 else (8, ours + bytes(12))
    check(len(subs) == 3 and (subs[0][2], subs[0][3]) == want_d and subs[0][1] == 0,
          f"seq {seq}: Location Destination IP answered {subs[:1]}")
    check(len(subs) == 3 and (subs[1][2], subs[1][3]) == want_s and subs[1][1] == 0,
          f"seq {seq}: Location Source IP answered {subs[1:2]}")
    check(len(subs) == 3 and (subs[2][2], subs[2][3]) == (2, mac + bytes(2)),
          f"seq {seq}: Location Source MAC as EUI-48 {subs[2:3]}")
    si, mi, so, mo = val[3]
    check(si in (1, 5) and so == si and mi in (1, 2) and mo == 2,
          f"seq {seq}: Timestamp Information {si}/{mi}/{so}/{mo}")
    c = val[4]
    dscp1, dscp2, ecn = c[0] >> 2, (c[0] & 3) << 4 | c[1] >> 4, c[1] >> 2 & 3
    check((dscp1, dscp2, ecn, c[1] & 3) == (ASK_DSCP, SEND_DSCP, 0, 0),
          f"seq {seq}: CoS DSCP1/DSCP2/ECN/RP {dscp1}/{dscp2}/{ecn}/{c[1] & 3}")
    stx, rrx, rtx = struct.unpack("!III", val[5])
    check(stx == i + 1 and rrx == i + 1 and rtx == i + 1,
          f"seq {seq}: Direct Measurement {stx}/{rrx}/{rtx}")
    check(val[6] == bytes([0x10, 0x01, 0, 0]), f"seq {seq}: Access Report echoed")
    fseq, fts, fmode = struct.unpack("!IQB", val[7][:13])
    if prev is None:
        check((fseq, fts, fmode) == (0, 0, 0), f"seq {seq}: Follow-Up empty before any reply")
    else:
        pseq, pt3 = prev
        # the previous reply's own number, and its transmit time: the T3
        # it carried (open: the same TSC read) or later (auth: read after
        # the HMAC); 1 ms of slack for a clock resync, 1 s upwards
        check(fseq == pseq, f"seq {seq}: Follow-Up sequence {fseq} == previous reply's {pseq}")
        check(pt3 - (1 << 32) // 1000 <= fts <= pt3 + (1 << 32),
              f"seq {seq}: Follow-Up timestamp {fts:#x} vs previous T3 {pt3:#x}")
        if not auth:
            check(abs(fts - pt3) < (1 << 32) // 1000,
                  f"seq {seq}: open: Follow-Up timestamp is the T3 it carried")
        check(fmode == 2, f"seq {seq}: Follow-Up mode SW local")
    check(val[9] == theirs, f"seq {seq}: Destination Node Address echoed")
    rp = walk(val[10])
    check(rp and rp[0][1] == 0 and rp[0][2] == 1, f"seq {seq}: Return Path Control Code, U cleared")
    if auth:
        check_reply_hmac(d, f"seq {seq}")
    prev = (rseq, t3)


def one(name, tlvs, want, **kw):
    """send one packet, return the reply's TLV walk (None: no reply)"""
    p = packet(900 + one.n, tlvs, **kw)
    one.n += 1
    s.send(p)
    d, _ = recv()
    if want:
        check(d is not None and len(d) == len(p), f"{name}: reply of the same length")
    return (walk(d[BASE:]), d) if d else (None, None)


one.n = 0
other = bytearray(theirs)
other[-1] ^= 0x5a
g, _ = one("DNA not ours", [tlv(9, bytes(other))], True)
check(g and g[0][1] == 0x80, f"Destination Node Address not ours: U ({g})")
g, _ = one("Access ID 3", [tlv(6, bytes([0x30, 0x01, 0, 0]))], True)
check(g and g[0][1] == 0x80, f"Access Report with Access ID 3: U ({g})")
g, _ = one("Return Address", [tlv(10, tlv(2, ours))], True)
check(g and g[0][1] == 0x80, f"Return Path to another address: U, reply to us ({g})")
g, _ = one("Follow-Up length 12", [tlv(7, bytes(12))], True)
check(g and g[0][1] == 0x40, f"Follow-Up Telemetry of length 12: M ({g})")
s.settimeout(1.0)
g, _ = one("no reply", [tlv(10, tlv(1, struct.pack("!I", 0)))], False)
check(g is None, "Return Path Control Code 0: no reply")
s.settimeout(2.0)
if auth:
    g, d = one("wrong HMAC TLV", [tlv(3, bytes(4))], True, bad_hmac=True)
    check(g and all(x[1] & 0x20 for x in g), f"wrong HMAC TLV: I on every TLV ({g})")
    if d:
        check_reply_hmac(d, "wrong HMAC TLV")
else:
    g, _ = one("HMAC TLV in open mode", [tlv(8, bytes(16))], True, hmac_tlv=False)
    check(g and g[0][1] == 0x80, f"HMAC TLV in open mode: U ({g})")
micro = int(os.environ.get("MICRO_LINK", "0"))
if micro:
    def micro_tlv(sid, rid):
        return tlv(11, struct.pack("!HH", sid, rid))

    def ids(g):
        return struct.unpack("!HH", g[0][3]) if g and len(g[0][3]) == 4 else None

    g, d = one("micro 5:0", [micro_tlv(5, 0)], True)
    check(g and g[0][1] == 0 and ids(g) == (5, micro),
          f"RFC 9534: Reflector Micro-session ID 0 answered with ours, {micro} ({g})")
    r0 = reply_fields(d)[0] if d else None
    s.settimeout(1.0)
    g, _ = one("micro for another link", [micro_tlv(5, micro + 1)], False)
    check(g is None, f"RFC 9534: Reflector Micro-session ID {micro + 1} (another member link): no reply")
    s.settimeout(2.0)
    # the same micro-session (Sender ID 5), now with the Reflector ID it
    # learnt from our first reply: one STAMP session, one count
    g, d = one("micro ours", [micro_tlv(5, micro)], True)
    check(g and g[0][1] == 0 and ids(g) == (5, micro),
          f"RFC 9534: Reflector Micro-session ID {micro} answered, Sender ID 5 echoed ({g})")
    if d and r0 is not None:
        r1 = reply_fields(d)[0]
        check(r1 == r0 + 1, f"stateful: the discarded request took no reflector Sequence Number, "
              f"and the learnt Reflector ID kept the micro-session's count ({r0} then {r1})")
    if auth:
        g, d = one("micro, wrong HMAC", [micro_tlv(5, micro + 1)], True, bad_hmac=True)
        check(g and g[0][1] & 0x20 and ids(g) == (5, micro + 1),
              f"RFC 9534 with a wrong HMAC TLV: the ID is not used, answered as received with I ({g})")
        if d:
            check_reply_hmac(d, "micro, wrong HMAC")
CHECKS.done()
