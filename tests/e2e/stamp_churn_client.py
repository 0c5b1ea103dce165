#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Forged packets must not touch an authenticated peer's state
(e2e-stamp-tlv.sh, the "churn" run).

usage: stamp_churn_client.py ADDR PORT KEYHEX [COUNT [FORGED]]

A keyed STAMP Session-Sender (RFC 8762 §4.3, authenticated: HMAC-SHA-256
truncated to 16 octets over the first 96 octets) sends COUNT packets from
one socket to a stateful listener whose peer table is small
(--max-light-peers); after each, FORGED packets with a wrong HMAC come from
as many fresh source ports.  Anyone can send those, so they must be dropped
before they take a peer entry: if they could, each would evict the keyed
sender's entry and its replies would be numbered from 0 again (RFC 8762
§4.2.1: a stateful reflector numbers what it reflected to this sender).
Exit 0 when every reply came back numbered 0, 1, 2, ... in order.  Prints
"forged N" for the caller to compare with DROP_BAD_HMAC, and "evicting N",
the peers that six more keyed senders must evict from a table of 4
entries, to compare with LIGHT_PEER_EVICTED.
"""
import hashlib
import hmac
import socket
import struct
import sys
import time

addr, port, key = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
count = int(sys.argv[4]) if len(sys.argv) > 4 else 30
forged = int(sys.argv[5]) if len(sys.argv) > 5 else 8
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET


def packet(seq, bad=False):
    t1 = (int(time.time()) + 2208988800) << 32
    p = struct.pack("!I12xQHH68x", seq, t1, 0x0001, 0x4242)
    m = hmac.new(key, p, hashlib.sha256).digest()[:16]
    if bad:
        m = bytes([m[0] ^ 1]) + m[1:]
    return p + m


s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((addr, port))
got = []
n_forged = 0
for seq in range(count):
    s.send(packet(seq))
    try:
        r = s.recv(2048)
        got.append(struct.unpack("!I", r[0:4])[0])
    except socket.timeout:
        got.append(None)
    for _ in range(forged):
        f = socket.socket(fam, socket.SOCK_DGRAM)
        f.sendto(packet(seq, bad=True), (addr, port))
        f.close()
        n_forged += 1
print("reflector numbers of the keyed sender: %s" % got)
print("forged %d" % n_forged)
ok = got == list(range(count))
# Then keyed senders from 6 fresh ports, each answered: with the keyed
# sender above, 7 peers for 4 entries, so 3 of them take an entry from a
# peer still sending (LIGHT_PEER_EVICTED, which the caller compares).
fresh = 6
for i in range(fresh):
    f = socket.socket(fam, socket.SOCK_DGRAM)
    f.settimeout(2)
    f.connect((addr, port))
    f.send(packet(i))
    try:
        f.recv(2048)
    except socket.timeout:
        print("fresh keyed sender %d: no reply" % i)
        ok = False
    f.close()
print("evicting %d" % (1 + fresh - 4))
sys.exit(0 if ok else 1)
