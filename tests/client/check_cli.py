#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks of twinhop output files for the client test scripts.

  check_cli.py schema SCHEMA.json FILE   FILE: one JSON report, or JSON Lines
                                         (one report per session); each must
                                         validate against the schema
  check_cli.py openmetrics FILE          strict OpenMetrics 1.0 parse
  check_cli.py csv FILE SENT LOSTSEQS    CSV: exact header, SENT rows with a
                                         reply or lost, lost rows exactly for
                                         the sender seqs LOSTSEQS (1,5 or -)

Reuses the validator and the parser of tests/report/check_report.py (the
report module's own tests), so both test suites hold the CLI to the same
schema and the same OpenMetrics rules.  Prints what failed; exit 0 or 1.
"""
import csv
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "report"))
import check_report  # noqa: E402

CSV_HEADER = ("sender_seq,reflector_seq,t1_ns,t2_ns,t3_ns,t4_ns,e1_ns,e2_ns,e3_ns,e4_ns,"
              "sender_sync,reflector_sync,sender_ttl,reply_ttl,dup_fwd,dup_bwd,reorder_fwd,"
              "reorder_bwd,late,lost").split(",")


def docs(text):
    text = text.strip()
    try:
        return [check_report.strict_json(text)]
    except ValueError:
        return [check_report.strict_json(l) for l in text.split("\n") if l.strip()]


def schema(schema_path, path):
    validate = check_report.make_validator(json.load(open(schema_path)))
    ds = docs(open(path, encoding="utf-8").read())
    errs = [f"doc {i}: {e}" for i, d in enumerate(ds) for e in validate(d)]
    if not ds:
        errs.append("no document")
    for e in errs[:20]:
        print("  ", e)
    print(f"  {len(ds)} document(s), {len(errs)} schema error(s)")
    return not errs


def openmetrics(path):
    try:
        fams = check_report.om_parse(open(path, encoding="utf-8").read())
    except ValueError as e:
        print("  ", e)
        return False
    need = {"twinhop_rtt_seconds", "twinhop_packets_sent", "twinhop_packets_lost"}
    miss = need - set(fams)
    if miss:
        print("   missing families", sorted(miss))
    return not miss


def csvcheck(path, sent, lostseqs):
    lines = open(path, encoding="ascii").read().split("\n")
    if lines[0].split(",") != CSV_HEADER:
        print("   header", lines[0])
        return False
    rows = list(csv.DictReader(lines[:-1] if lines[-1] == "" else lines))
    want = set() if lostseqs == "-" else {int(x) for x in lostseqs.split(",")}
    lost = [int(r["sender_seq"]) for r in rows if r["lost"] == "1"]
    got = [r for r in rows if r["lost"] == "0"]
    ok = True
    if sorted(lost) != sorted(want):
        print("   lost rows", lost, "want", sorted(want))
        ok = False
    for r in rows:
        if r["lost"] == "1" and (r["t2_ns"] or r["reflector_seq"] or not r["t1_ns"]):
            print("   lost row with reply fields", r)
            ok = False
        if r["lost"] == "0" and not all(r[k] for k in ("t1_ns", "t2_ns", "t3_ns", "t4_ns")):
            print("   reply row without timestamps", r)
            ok = False
    if len(got) + len(lost) != int(sent):
        print(f"   {len(got)} reply rows + {len(lost)} lost rows != {sent} sent")
        ok = False
    seqs = sorted(int(r["sender_seq"]) for r in rows)
    if seqs != list(range(int(sent))):
        print("   sender seqs are not 0..SENT-1 exactly once")
        ok = False
    return ok


def main():
    mode = sys.argv[1]
    ok = {"schema": lambda: schema(sys.argv[2], sys.argv[3]),
          "openmetrics": lambda: openmetrics(sys.argv[2]),
          "csv": lambda: csvcheck(sys.argv[2], sys.argv[3], sys.argv[4])}[mode]()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
