#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Fake twinhopd admin socket for the fastpath engine tests.

  fake_admin.py old|new|early|late SOCKET LOGFILE

Every request line is appended to LOGFILE.  sender-add: "old" answers
proto "twamp" with {"ok":false,"error":"arg"} as a twinhopd from before the
TWAMP sender fields does, and accepts "light"/"stamp"; "new" accepts all.
An accepted sender gets an immediate "summary" event (no results: the CLI
then exits 3, "no reply").  "early" accepts all and writes one reply
`result` for each of the `count` packets BEFORE the reply that names the
session (as twinhopd may in split mode, docs/admin-protocol.md), then the
reply and a summary.  "late" writes the reply, the summary (results_sent =
count) and only then the results, as a worker's ring may lag the summary's;
its "subscribe" to a session (`twinhop sender watch`) gets the same: a
summary of 3 results, then the 3 results.  Other commands get {"ok":true}.
"""
import json
import os
import socket
import sys
import time

NTP_UNIX = 2208988800


def ntp(t):
    return (int(t) + NTP_UNIX) << 32 | int((t % 1) * (1 << 32))


def early_results(sid, count):
    t = time.time()
    out = []
    for seq in range(count):
        t1 = t + seq * 0.001
        out.append({"event": "result", "session": sid, "seq": seq, "rseq": seq, "flags": 0,
                    "t1": ntp(t1), "t2": ntp(t1 + 0.0001), "t3": ntp(t1 + 0.0002),
                    "t4": ntp(t1 + 0.0003), "err1": 0x8001, "err2": 0x8001, "err3": 0x8001,
                    "err4": 0x8001, "ttl_fwd": 255, "ttl_back": 255, "dscp_tx": 0,
                    "dscp_rx": 0, "tos_rx": 0, "ssid": 0, "len": 41})
    return out


def serve(conn, kind, log):
    buf = b""
    nxt = 1
    while True:
        d = conn.recv(65536)
        if not d:
            return
        buf += d
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            with open(log, "a") as f:
                f.write(line.decode() + "\n")
            req = json.loads(line)
            rid = req.get("id", 0)
            out = []
            if req.get("cmd") == "sender-add":
                if kind == "old" and req.get("proto") == "twamp":
                    out.append({"id": rid, "ok": False, "error": "arg",
                                "message": "arg proto: must be light or stamp"})
                else:
                    sid = nxt
                    nxt += 1
                    n = req.get("count", 0) if kind in ("early", "late") else 0
                    res = early_results(sid, n)
                    if kind == "early":
                        out.extend(res)
                    out.append({"id": rid, "ok": True, "session": sid})
                    out.append({"event": "summary", "session": sid, "reason": "count",
                                "err": "OK", "sent": n, "replies": n, "lost": 0,
                                "late": 0, "dup": 0, "tx_drops": 0, "results_sent": n})
                    if kind == "late":
                        out.extend(res)
            elif kind == "late" and req.get("cmd") == "subscribe":
                sid = req.get("session", 1)
                out.append({"id": rid, "ok": True})
                out.append({"event": "summary", "session": sid, "reason": "count",
                            "err": "OK", "sent": 3, "replies": 3, "lost": 0, "late": 0,
                            "dup": 0, "tx_drops": 0, "results_sent": 3})
                out.extend(early_results(sid, 3))
            else:
                out.append({"id": rid, "ok": True})
            conn.sendall(b"".join(json.dumps(o).encode() + b"\n" for o in out))


def main():
    kind, path, log = sys.argv[1:4]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(path):
        os.unlink(path)
    s.bind(path)
    s.listen(4)
    while True:
        c, _ = s.accept()
        try:
            serve(c, kind, log)
        except (ConnectionError, ValueError):
            pass
        c.close()


if __name__ == "__main__":
    main()
