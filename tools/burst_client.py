#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Kernel-socket TWAMP-Test client for tools/bench-burst.sh: sends COUNT open
(mode 1) Session-Sender packets back-to-back, paced at RATE packets/s with a
busy-wait, to a reflector session, then collects the replies for WAIT
seconds.  Prints one line of figures:

  BURST sent=N sent_s=S replies=R refl_max_seq=Q lost=L dup=D

The reflector's own sequence number (RFC 5357 §4.2.1) counts the packets it
reflected, so Q + 1 is what reached it: lost forward = sent - (Q + 1),
lost backward = (Q + 1) - replies (the script reads the counters to say
where).  A benchmark tool, not a test."""
import argparse
import socket
import struct
import time

ap = argparse.ArgumentParser()
ap.add_argument("--src", required=True)
ap.add_argument("--sport", type=int, required=True)
ap.add_argument("--dst", required=True)
ap.add_argument("--dport", type=int, required=True)
ap.add_argument("--count", type=int, default=10000)
ap.add_argument("--rate", type=float, default=100000.0)
ap.add_argument("--pad", type=int, default=27)
ap.add_argument("--wait", type=float, default=2.0)
a = ap.parse_args()

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# Large buffers (FORCE: above rmem_max, as root): loss inside the
# client is not the reflector's.
SO_SNDBUFFORCE, SO_RCVBUFFORCE = 32, 33  # <asm-generic/socket.h>; not in Python
s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
s.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, 16 << 20)
s.bind((a.src, a.sport))
s.connect((a.dst, a.dport))
pad = bytes(a.pad)
gap = 1.0 / a.rate
# RFC 5357 §4.1.2 unauthenticated: Sequence Number, Timestamp, Error
# Estimate, then padding.
pkts = [struct.pack("!IQH", i, 0, 0x8001) + pad for i in range(a.count)]
t0 = time.perf_counter()
due = t0
sent = 0
for p in pkts:
    while time.perf_counter() < due:
        pass
    try:
        s.send(p)
        sent += 1
    except OSError:
        pass
    due += gap
sent_s = time.perf_counter() - t0
s.settimeout(0.2)
seen = set()
dup = 0
qmax = -1
end = time.monotonic() + a.wait
while time.monotonic() < end:
    try:
        r = s.recv(2048)
    except socket.timeout:
        continue
    if len(r) < 28:
        continue
    q, sseq = struct.unpack_from("!I", r, 0)[0], struct.unpack_from("!I", r, 24)[0]
    qmax = max(qmax, q)
    if sseq in seen:
        dup += 1
    seen.add(sseq)
print("BURST sent=%d sent_s=%.4f replies=%d refl_max_seq=%d lost=%d dup=%d"
      % (sent, sent_s, len(seen), qmax, sent - len(seen), dup), flush=True)
