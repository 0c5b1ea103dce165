# SPDX-License-Identifier: BSD-3-Clause
"""What the Python test clients share (tests/system/light_client.py,
tests/e2e/stamp_tlv_client.py, tests/e2e/hostile_client.py).

Import it with the tests directory on sys.path:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
"""
import sys
import time

NTP_UNIX_OFFSET = 2208988800  # seconds from 1900 to 1970 (RFC 5905 §6)


def ntp_now():
    """The current time as a 64-bit NTP timestamp (RFC 4656 §4.1.2)."""
    sec, ns = divmod(time.time_ns(), 1_000_000_000)
    return ((sec + NTP_UNIX_OFFSET) << 32) | ((ns << 32) // 1_000_000_000)


class Checks:
    """Counts checks; done() prints "CLIENT <passed> <failed>" (what the
    shell tests parse) and exits non-zero on any failure."""

    def __init__(self):
        self.ok = self.bad = 0

    def check(self, cond, what):
        if cond:
            self.ok += 1
        else:
            self.bad += 1
            print("FAIL", what)

    def done(self):
        print(f"CLIENT {self.ok} {self.bad}")
        sys.exit(1 if self.bad else 0)
