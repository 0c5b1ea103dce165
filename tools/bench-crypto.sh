#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark: the crypto of one authenticated/encrypted reflected packet
# (verify + protect), per packet at burst 32: OpenSSL (the fallback),
# intel-ipsec-mb (SSE/SHA-NI and AVX-512 multi-buffer managers), DPDK
# cryptodev (crypto_aesni_mb PMD) and lib/tw_shani's SHA-NI lanes (the
# engine twinhop-fp uses where the CPU has SHA-NI), side by side and
# interleaved in one process (app/bench_crypto.c).  Prints the CPU
# model and flags first.  Ratios only; not a test.
#
# usage: tools/bench-crypto.sh [BUILD_DIR] [twinhop-cryptobench options]
#   e.g. tools/bench-crypto.sh build --burst 32 --rounds 7 --json
set -eu
B=${1:-${TW_BUILD:-build}}
shift || true
X=$B/app/twinhop-cryptobench
[ -x "$X" ] || { echo "bench-crypto: no $X (build with the fast path)" >&2; exit 2; }
exec "$X" "$@"
