/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "time": wire-value conversions of lib/tw_time.h.
 *
 * Input: [ntp:8][ref_ns:8][errest:2][x:8][ptp:8] (zeros past the end).
 *
 * Invariants (abort() on violation; UBSan catches overflow):
 *  - tw_errest_decode: TW_E_ERREST iff the multiplier is 0 (output left
 *    untouched); else the value is mult*2^(scale-32) s rounded up, and is
 *    monotonic in the multiplier; tw_errest_encode(x) decodes to >= x (an
 *    estimate never flatters) and keeps the S/Z bits;
 *  - tw_ntp_to_unix_ns: the result is in the era closest to ref_ns (within
 *    2^31 s) unless saturated, agrees with tw_ntp_to_timespec, and
 *    converting back gives the same seconds and a fraction within 1 ns;
 *  - tw_time_ptp_to_unix_ns: TW_E_FIELD iff ns >= 10^9; else as above;
 *  - durations and differences round-trip within their rounding.
 */
#include "fuzz_common.h"

#include <limits.h>

#include "tw_time.h"

static uint64_t absdiff_i64(int64_t a, int64_t b)
{
	return a > b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
}

static void fuzz_errest(uint16_t e, uint64_t x)
{
	uint64_t ns = 0xDEADBEEF;
	enum tw_err r = tw_errest_decode(e, &ns);
	unsigned mult = e & TW_ERREST_MULT_MASK, scale = (e & TW_ERREST_SCALE_MASK) >> 8;
	if (mult == 0) {
		FUZZ_ASSERT(r == TW_E_ERREST && ns == 0xDEADBEEF);
	} else {
		FUZZ_ASSERT(r == TW_OK);
		/* Reference: mult * 1e9 * 2^scale / 2^32, rounded up, saturated. */
		unsigned __int128 v = (unsigned __int128)mult * TW_NS_PER_SEC << scale;
		unsigned __int128 q = (v + ((unsigned __int128)1 << 32) - 1) >> 32;
		uint64_t want = q > UINT64_MAX ? UINT64_MAX : (uint64_t)q;
		FUZZ_ASSERT(ns == want);
		if (mult < 255) {
			uint64_t ns2;
			FUZZ_ASSERT(tw_errest_decode((uint16_t)(e + 1), &ns2) == TW_OK && ns2 >= ns);
		}
	}
	/* Encode never under-states. */
	for (int sz = 0; sz < 4; sz++) {
		uint16_t enc = tw_errest_encode(x, sz & 1, sz & 2);
		FUZZ_ASSERT(tw_errest_s(enc) == (sz & 1 ? true : false));
		FUZZ_ASSERT(tw_errest_z(enc) == (sz & 2 ? true : false));
		uint64_t back;
		FUZZ_ASSERT(tw_errest_decode(enc, &back) == TW_OK);
		FUZZ_ASSERT(back >= x || (enc & TW_ERREST_MAX) == TW_ERREST_MAX);
	}
	struct tw_ts ts = {.ntp = x, .err_ns = (uint32_t)x, .synced = x & 1};
	uint64_t b2;
	FUZZ_ASSERT(tw_errest_decode(tw_ts_errest(&ts, false), &b2) == TW_OK);
	FUZZ_ASSERT(ts.err_ns == TW_TS_ERR_UNKNOWN || b2 >= ts.err_ns);
}

static void fuzz_ntp(uint64_t ntp, int64_t ref)
{
	int64_t u = tw_ntp_to_unix_ns(ntp, ref);
	struct timespec ts;
	tw_ntp_to_timespec(ntp, ref, &ts);
	FUZZ_ASSERT(ts.tv_nsec >= 0 && ts.tv_nsec < (long)TW_NS_PER_SEC);
	/* The era is the one closest to the reference. */
	int64_t ref_sec = ref / (int64_t)TW_NS_PER_SEC - (ref % (int64_t)TW_NS_PER_SEC < 0);
	FUZZ_ASSERT(absdiff_i64((int64_t)ts.tv_sec, ref_sec) <= (1ull << 31));
	FUZZ_ASSERT((uint32_t)((uint64_t)(int64_t)ts.tv_sec + TW_NTP_UNIX_OFFSET) ==
	            (uint32_t)(ntp >> 32));
	FUZZ_ASSERT(tw_ntp_from_timespec(&ts) >> 32 == ntp >> 32);
	if (u == INT64_MIN || u == INT64_MAX)
		return; /* saturated: outside 1677..2262 */
	FUZZ_ASSERT(u == (int64_t)ts.tv_sec * (int64_t)TW_NS_PER_SEC + ts.tv_nsec);
	uint64_t back = tw_ntp_from_unix_ns(u);
	FUZZ_ASSERT(back >> 32 == ntp >> 32);
	/* ns -> frac rounds to nearest; frac -> ns too (one ns = 4.29 units),
	 * except the clamp of the two fractions above 999999999.5 ns. */
	uint32_t f0 = (uint32_t)ntp, f1 = (uint32_t)back;
	uint32_t d = f0 > f1 ? f0 - f1 : f1 - f0;
	FUZZ_ASSERT(d <= 3 || f0 >= 0xFFFFFFFEu);
	/* ns -> NTP -> ns is exact (tw_time.h). */
	FUZZ_ASSERT(tw_ntp_to_unix_ns(back, u) == u);
	int64_t dd = tw_ntp_diff_ns(back, ntp);
	FUZZ_ASSERT(dd >= -1 && dd <= 1);
}

static void fuzz_ptp(uint64_t ptp, int64_t ref)
{
	int64_t ns = 0x1234;
	enum tw_err e = tw_time_ptp_to_unix_ns(ptp, ref, &ns);
	if ((uint32_t)ptp >= TW_NS_PER_SEC) {
		FUZZ_ASSERT(e == TW_E_FIELD && ns == 0x1234);
	} else {
		FUZZ_ASSERT(e == TW_OK);
		if (ns != INT64_MIN && ns != INT64_MAX) {
			FUZZ_ASSERT(tw_time_ptp_from_unix_ns(ns) == ptp);
			FUZZ_ASSERT(absdiff_i64(ns / (int64_t)TW_NS_PER_SEC,
			                        ref / (int64_t)TW_NS_PER_SEC) <= (1ull << 31) + 2);
		}
	}
	/* Format conversions: seconds map exactly, fractions within rounding. */
	uint64_t n = tw_time_ptp_to_ntp(ptp);
	uint64_t p2 = tw_time_ntp_to_ptp(n);
	FUZZ_ASSERT(p2 >> 32 == ptp >> 32);
	uint32_t pns = (uint32_t)ptp < TW_NS_PER_SEC ? (uint32_t)ptp : (uint32_t)TW_NS_PER_SEC - 1;
	FUZZ_ASSERT((uint32_t)p2 == pns);
	FUZZ_ASSERT((uint32_t)tw_time_ntp_to_ptp(ptp) < TW_NS_PER_SEC);
}

static void fuzz_dur(uint64_t x, uint64_t a, uint64_t b)
{
	uint64_t d = tw_ntp_dur_from_ns(x);
	if (x / TW_NS_PER_SEC > UINT32_MAX) {
		FUZZ_ASSERT(d == UINT64_MAX);
	} else {
		uint64_t back = tw_ntp_dur_to_ns(d);
		FUZZ_ASSERT(back == x);
	}
	(void)tw_ntp_dur_to_ns(a);
	/* Difference is antisymmetric up to rounding. */
	int64_t ab = tw_ntp_diff_ns(a, b), ba = tw_ntp_diff_ns(b, a);
	/* a - b == -2^63 has no negation: there ab == ba. */
	FUZZ_ASSERT((int64_t)(a - b) == INT64_MIN || absdiff_i64(ab, -ba) <= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	uint64_t ntp = fz_u64(&f);
	int64_t ref = (int64_t)fz_u64(&f);
	uint16_t e = fz_u16(&f);
	uint64_t x = fz_u64(&f);
	uint64_t ptp = fz_u64(&f);
	fuzz_errest(e, x);
	fuzz_ntp(ntp, ref);
	fuzz_ntp(ntp, 0);
	fuzz_ptp(ptp, ref);
	fuzz_dur(x, ntp, ptp);
	return 0;
}
