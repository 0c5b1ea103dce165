#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check a twinhop-fp --record file field by field against the wire
reference (spec §4.3/4.4 reflector layouts, §4.5 lengths, §4.7 behaviour,
§6.1/6.2 Light and STAMP).  Prints one line per failed check and a summary
"CHECK <passed> <failed> rtt_us min/median/p99".

usage: check_records.py FILE layout count pad dscp stateless [ssid]
  layout: open | auth | stamp | stamp-auth   (reflector layout of the mode)
  env T1_AFTER=UNIX_SECONDS [T1_WITHIN=S]: a scheduled start (at=+S): the
  earliest T1 must lie in [T1_AFTER, T1_AFTER + T1_WITHIN (default 3)].
  env ERR_MIN_NS=N: the kernel clock is unsynchronised with maxerror N ns:
  both Error Estimates (the reflector's and the sender's, both ours) must
  have S = 0 and be the maximum 0x3fff or decode to >= N ns (RFC 4656
  §4.1.2; interop bug 3: 0x1b8a = 4.3 s was sent for a 16 s maxerror).
"""
import os
import sys

BASE = {"open": (14, 41), "auth": (48, 112), "stamp": (44, 44), "stamp-auth": (112, 112)}
# offsets of reflector fields: seq, t3, err, t2, sseq, t1, serr, ttl, mbz ranges
OFF = {
    "open": dict(t3=4, err=12, t2=16, sseq=24, t1=28, serr=36, ttl=40,
                 mbz=[(14, 16), (38, 40)]),
    "stamp": dict(t3=4, err=12, ssid=14, t2=16, sseq=24, t1=28, serr=36, ttl=40,
                  mbz=[(38, 40), (41, 44)]),
    "auth": dict(t3=16, err=24, t2=32, sseq=48, t1=64, serr=72, ttl=80,
                 mbz=[(4, 16), (26, 32), (40, 48), (52, 64), (74, 80), (81, 96)]),
    "stamp-auth": dict(t3=16, err=24, ssid=26, t2=32, sseq=48, t1=64, serr=72, ttl=80,
                       mbz=[(4, 16), (28, 32), (40, 48), (52, 64), (74, 80), (81, 96)]),
}


def be(b, o, n):
    return int.from_bytes(b[o:o + n], "big")


def ntp_ns(t):
    return (t >> 32) * 1_000_000_000 + ((t & 0xffffffff) * 1_000_000_000 >> 32)


def errest_ns(e):
    """Decoded Error Estimate (RFC 4656 §4.1.2): Multiplier * 2^-32 * 2^Scale s."""
    return ((e & 0xff) << ((e >> 8) & 0x3f)) * 1_000_000_000 / 2**32


def main():
    path, layout, count, pad, dscp, stateless = sys.argv[1:7]
    ssid = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    count, pad, dscp, stateless = int(count), int(pad), int(dscp), stateless == "1"
    sb, rb = BASE[layout]
    o = OFF[layout]
    want_len = max(sb + pad, rb) if layout in ("open", "auth") else sb + pad
    ok = bad = 0
    rtts = []

    def check(cond, what):
        nonlocal ok, bad
        if cond:
            ok += 1
        else:
            bad += 1
            print("FAIL", what)

    recs, summ = [], None
    for line in open(path):
        f = line.split()
        kv = dict(x.split("=", 1) for x in f[1:])
        if f[0] == "S":
            summ = kv
        elif f[0] == "R":
            recs.append(kv)
    check(summ is not None, "summary line present")
    if summ:
        check(int(summ["sent"]) == count, f"sent {summ['sent']} == {count}")
        check(int(summ["replies"]) == count, f"replies {summ['replies']} == {count}")
        check(int(summ["lost"]) == 0 and int(summ["dup"]) == 0, "no loss, no duplicates")
    if os.environ.get("T1_AFTER") and recs:
        after = float(os.environ["T1_AFTER"])
        within = float(os.environ.get("T1_WITHIN", "3"))
        t1s = [be(bytes.fromhex(r["raw"]), o["t1"], 8) for r in recs if len(r["raw"]) >= 2 * (o["t1"] + 8)]
        first = min(ntp_ns(t) for t in t1s) / 1e9 - 2208988800 if t1s else 0
        check(after <= first <= after + within,
              f"scheduled start: first T1 {first:.3f} in [{after:.3f}, {after + within:.3f}]")
    own = 0
    for r in recs:
        s = int(r["sseq"])
        if int(r["flags"]) != 0:
            check(False, f"seq {s}: flags {r['flags']}")
            continue
        raw = bytes.fromhex(r["raw"])
        n = int(r["rx_len"])
        check(n == want_len, f"seq {s}: length {n} == {want_len} (4.5)")
        check(len(raw) == min(n, 128), f"seq {s}: raw captured")
        rseq = be(raw, 0, 4)
        check(rseq == int(r["rseq"]), f"seq {s}: decoded rseq")
        if stateless:
            check(rseq == s, f"seq {s}: stateless copies sender seq (6.1)")
        else:
            check(rseq == own, f"seq {s}: own counter {rseq} == {own} (4.7)")
        own += 1
        check(be(raw, o["sseq"], 4) == s, f"seq {s}: sender seq copied")
        t1, t2, t3 = be(raw, o["t1"], 8), be(raw, o["t2"], 8), be(raw, o["t3"], 8)
        check(t1 == int(r["t1"], 16), f"seq {s}: T1 copied")
        check(t3 >= t2, f"seq {s}: T3 >= T2")
        t4 = int(r["t4"], 16)
        check(t4 >= t1, f"seq {s}: T4 >= T1")
        err, serr = be(raw, o["err"], 2), be(raw, o["serr"], 2)
        check(err & 0xff != 0 and serr & 0xff != 0, f"seq {s}: error estimate multipliers non-zero (5.2)")
        check(serr == int(r["err1"], 16), f"seq {s}: sender error estimate copied")
        if os.environ.get("ERR_MIN_NS"):
            lim = int(os.environ["ERR_MIN_NS"])
            for nm, e in (("reflector", err), ("sender", serr)):
                check(not e & 0x8000 and ((e & 0x3fff) == 0x3fff or errest_ns(e) >= lim),
                      f"seq {s}: unsynchronised {nm} error estimate {e:#06x} "
                      f"({errest_ns(e) / 1e9:.3g} s) >= maxerror {lim / 1e9:.3g} s or 0x3fff")
        check(raw[o["ttl"]] == 255, f"seq {s}: Sender TTL {raw[o['ttl']]} == 255 (4.7)")
        check(int(r["ttl_back"]) == 255, f"seq {s}: reply TTL 255")
        check(int(r["dscp_rx"]) == dscp, f"seq {s}: reply DSCP {r['dscp_rx']} == {dscp}")
        for a, b in o["mbz"]:
            check(not any(raw[a:b]), f"seq {s}: MBZ {a}..{b - 1} zero")
        if "ssid" in o:
            check(be(raw, o["ssid"], 2) == ssid, f"seq {s}: SSID echoed")
        check(not any(raw[rb:min(n, 128)]), f"seq {s}: padding is the sender's (zeros)")
        rtt = (ntp_ns(t4) - ntp_ns(t1)) - (ntp_ns(t3) - ntp_ns(t2))
        rtts.append(rtt / 1000.0)
    rtts.sort()
    q = (lambda p: rtts[min(len(rtts) - 1, int(p * len(rtts)))]) if rtts else (lambda p: 0)
    print(f"CHECK {ok} {bad} rtt_us {q(0):.2f}/{q(0.5):.2f}/{q(0.99):.2f}")
    return 1 if bad else 0


sys.exit(main())
