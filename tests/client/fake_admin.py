#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Fake twinhopd admin socket for the fastpath engine tests.

  fake_admin.py old|new SOCKET LOGFILE

Every request line is appended to LOGFILE.  sender-add: "old" answers
proto "twamp" with {"ok":false,"error":"arg"} as a twinhopd from before the
TWAMP sender fields does, and accepts "light"/"stamp"; "new" accepts all.
An accepted sender gets an immediate "summary" event (no results: the CLI
then exits 3, "no reply").  Other commands get {"ok":true}.
"""
import json
import os
import socket
import sys


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
                    out.append({"id": rid, "ok": True, "session": sid})
                    out.append({"event": "summary", "session": sid, "reason": "count",
                                "err": "OK", "sent": 0, "replies": 0, "lost": 0,
                                "late": 0, "dup": 0, "tx_drops": 0})
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
