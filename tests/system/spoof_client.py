#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Spoofed sources against a TWAMP Light listener (afpacket-light.sh).

usage: spoof_client.py IFACE OUR_MAC FP_MAC FP_IP4 FP_IP6 PORT

From a raw AF_PACKET socket on IFACE (the veth end in the client's
namespace) it sends open TWAMP Light requests (RFC 5357 Appendix I) to
FP_IP4/FP_IP6:PORT with hand-built Ethernet, IP and UDP headers, and
captures what comes back on the same interface.

* Requests from a proper source (OUR_MAC, our own addresses) must be
  answered: the same raw path then shows that the cases below are real.
* A frame sent to the broadcast MAC must be answered from FP_MAC, never
  from a group address.
* Requests whose source is the fast path's own address, its subnet's
  directed broadcast, a martian (0/8, 127/8, multicast, limited broadcast,
  ::, ::1, ff00::/8) or a group MAC must get no reply at all: a reflector
  answers the source, so each would be a reply to many hosts, or to itself
  (a loop with a hairpin or a second reflector).

Then two damaged headers from a proper source, a wrong IPv4 header
checksum and a UDP checksum of 0 over IPv6: no reply either.

Prints one line per case, "bad-sources N" (how many the fast path had
to drop) for the caller to compare with DROP_BAD_SOURCE, and "bad-headers
N" for DROP_L3_HDR + DROP_UDP_HDR.  Exit 0 when every
case held.
"""
import socket
import struct
import sys
import time

iface, our_mac, fp_mac, ip4, ip6, port = sys.argv[1:7]
port = int(port)


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(dmac, smac, src, dst, sport, seq, damage=None):
    # 41-octet open TWAMP Light request: seq, T1 (zero: not read here),
    # Error Estimate (S=0, Z=0, multiplier 1), 27 octets of padding
    pl = struct.pack("!I8sH", seq, b"\0" * 8, 1) + b"\0" * 27
    if ":" in dst:
        s6, d6 = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
        ulen = 8 + len(pl)
        ph = s6 + d6 + struct.pack("!I3xB", ulen, 17)
        u = struct.pack("!HHHH", sport, port, ulen, 0) + pl
        c = csum(ph + u) or 0xFFFF
        if damage == "udp0":
            c = 0  # "no checksum": not allowed over IPv6 (RFC 8200 §8.1)
        u = u[:6] + struct.pack("!H", c) + u[8:]
        ip = struct.pack("!IHBB", 6 << 28, ulen, 17, 64) + s6 + d6
        return mac(dmac) + mac(smac) + b"\x86\xdd" + ip + u
    s4, d4 = socket.inet_aton(src), socket.inet_aton(dst)
    ulen = 8 + len(pl)
    ph = s4 + d4 + struct.pack("!BBH", 0, 17, ulen)
    u = struct.pack("!HHHH", sport, port, ulen, 0) + pl
    c = csum(ph + u) or 0xFFFF
    u = u[:6] + struct.pack("!H", c) + u[8:]
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, seq & 0xFFFF, 0, 64, 17, 0, s4, d4)
    h = h[:10] + struct.pack("!H", csum(h) ^ (0x0100 if damage == "ipsum" else 0)) + h[12:]
    return mac(dmac) + mac(smac) + b"\x08\x00" + h + u


sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
sock.bind((iface, 0))
sock.settimeout(0.05)
fpm = mac(fp_mac)


def replies(sport, wait=0.4):
    """Frames from the fast path's UDP port PORT to source port sport."""
    got = []
    end = time.time() + wait
    while time.time() < end:
        try:
            f = sock.recv(2048)
        except socket.timeout:
            continue
        et = f[12:14]
        if et == b"\x08\x00" and f[23] == 17:
            ihl = (f[14] & 15) * 4
            u = 14 + ihl
        elif et == b"\x86\xdd" and f[20] == 17:
            u = 54
        else:
            continue
        sp, dp = struct.unpack("!HH", f[u:u + 4])
        if sp == port and dp == sport and f[6:12] in (fpm, b"\xff" * 6, b"\x01\x00\x5e\x00\x00\x01"):
            got.append(f)
    return got


ok = True
bad = 0
sport = 41000
BC = "ff:ff:ff:ff:ff:ff"
net4 = ip4.rsplit(".", 1)[0]
cases = [
    # (what, dst MAC, src MAC, src IP, dst IP, answered?)
    ("proper source (IPv4)", fp_mac, our_mac, net4 + ".2", ip4, True),
    ("proper source (IPv6)", fp_mac, our_mac, ip6.rsplit(":", 1)[0] + ":2", ip6, True),
    ("to the broadcast MAC, proper source", BC, our_mac, net4 + ".2", ip4, True),
    ("source = the fast path's own IPv4 address", fp_mac, our_mac, ip4, ip4, False),
    ("source = its subnet's directed broadcast", fp_mac, our_mac, net4 + ".255", ip4, False),
    ("source 255.255.255.255", fp_mac, our_mac, "255.255.255.255", ip4, False),
    ("source 0.0.0.0", fp_mac, our_mac, "0.0.0.0", ip4, False),
    ("source 127.0.0.1", fp_mac, our_mac, "127.0.0.1", ip4, False),
    ("source 224.0.0.1", fp_mac, our_mac, "224.0.0.1", ip4, False),
    ("source MAC broadcast", fp_mac, BC, net4 + ".2", ip4, False),
    ("source MAC multicast", fp_mac, "01:00:5e:00:00:01", net4 + ".2", ip4, False),
    ("source = the fast path's own IPv6 address", fp_mac, our_mac, ip6, ip6, False),
    ("source ff02::1", fp_mac, our_mac, "ff02::1", ip6, False),
    ("source ::1", fp_mac, our_mac, "::1", ip6, False),
    ("source ::", fp_mac, our_mac, "::", ip6, False),
]
# Damaged headers from a proper source: discarded (RFC 1122 §3.2.1.2,
# RFC 8200 §8.1) and counted as header drops, not as bad sources.
headers = [
    ("IPv4 header checksum wrong", fp_mac, our_mac, net4 + ".2", ip4, False, "ipsum"),
    ("UDP checksum 0 over IPv6", fp_mac, our_mac, ip6.rsplit(":", 1)[0] + ":2", ip6, False, "udp0"),
]
bad_hdr = 0
for what, dm, sm, src, dst, answered, *damage in cases + headers:
    sport += 1
    damage = damage[0] if damage else None
    # the same source port again: a proper source is answered every time,
    # a bad one never
    for seq in range(3):
        sock.send(frame(dm, sm, src, dst, sport, seq, damage))
    got = replies(sport)
    if answered:
        good = len(got) == 3 and all(f[6:12] == fpm for f in got)
        print("%s: %d of 3 answered, from %s -> %s" % (
            what, len(got), ",".join(sorted({f[6:12].hex(":") for f in got})) or "-",
            "ok" if good else "FAIL"))
    else:
        if damage:
            bad_hdr += 3
        else:
            bad += 3
        good = not got
        print("%s: %d replies -> %s" % (what, len(got), "ok" if good else "FAIL"))
    ok &= good
print("bad-sources %d" % bad)
print("bad-headers %d" % bad_hdr)
sys.exit(0 if ok else 1)
