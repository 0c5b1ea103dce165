/* SPDX-License-Identifier: BSD-3-Clause */
#include "tw_time.h"
#include "tw_unit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <sys/timex.h>

#define NS TW_NS_PER_SEC

/* ---- NTP ---------------------------------------------------------------- */

static void test_ntp_from_unix(void)
{
	static const struct {
		int64_t ns;
		uint64_t ntp;
	} t[] = {
	    {0, 0x83AA7E8000000000ull},                          /* 1970 */
	    {500000000, 0x83AA7E8080000000ull},                  /* half second */
	    {-2208988800ll * (int64_t)NS, 0},                    /* 1900 */
	    {999999999, 0x83AA7E80FFFFFFFCull},                  /* no carry */
	    {-1, 0x83AA7E7FFFFFFFFCull},                         /* 1969 */
	    {2085978496ll * (int64_t)NS, 0x0000000000000000ull}, /* 2036 wrap */
	    {2085978497ll * (int64_t)NS + 250000000, 0x0000000140000000ull},
	    {1, 0x83AA7E8000000004ull}, /* 4.29 units -> 4 */
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint64_t got = tw_ntp_from_unix_ns(t[i].ns);
		if (got != t[i].ntp)
			printf("\n  case %zu: got %016" PRIx64 "\n", i, got);
		CU_ASSERT_EQUAL(got, t[i].ntp);
	}
}

static void test_ntp_frac(void)
{
	static const struct {
		uint32_t frac, ns;
	} t[] = {
	    {0, 0},
	    {1, 0},
	    {2, 0},
	    {3, 1},
	    {0x80000000u, 500000000},
	    {0xFFFFFFFFu, 999999999},
	    {0xFFFFFFFCu, 999999999},
	    {0xFFFFFFFEu, 999999999},
	    {0xFFFFFFFBu, 999999999},
	    {0xFFFFFFF7u, 999999998},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		CU_ASSERT_EQUAL(tw_ntp_frac_to_ns(t[i].frac), t[i].ns);
	/* A whole timestamp with the top fraction stays in its own second. */
	CU_ASSERT_EQUAL(tw_ntp_to_unix_ns(0x83AA7E80FFFFFFFFull, 0), 999999999);
	struct timespec ts;
	tw_ntp_to_timespec(0x83AA7E81FFFFFFFFull, 0, &ts);
	CU_ASSERT_EQUAL(ts.tv_sec, 1);
	CU_ASSERT_EQUAL(ts.tv_nsec, 999999999);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
	/* xorshift64*: deterministic so failures reproduce. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static void test_ntp_roundtrip(void)
{
	static const int64_t fixed[] = {
	    0,
	    1,
	    -1,
	    999999999,
	    1000000000,
	    1000000001,
	    -999999999,
	    1700000000123456789ll,
	    2085978495999999999ll,
	    2085978496000000000ll,
	    -2208988800000000000ll,
	    4000000000000000000ll,
	};
	unsigned bad = 0;
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		int64_t ns = fixed[i];
		if (tw_ntp_to_unix_ns(tw_ntp_from_unix_ns(ns), ns) != ns)
			bad++;
	}
	for (int i = 0; i < 200000; i++) {
		/* any ns within 1901..2106, reference up to 60 years away */
		int64_t ns = (int64_t)(rng() % (6000000000ull * NS)) - 2000000000ll * (int64_t)NS;
		int64_t ref = ns + (int64_t)(rng() % (3600ull * 24 * 365 * 60 * NS)) -
		              30ll * 365 * 24 * 3600 * (int64_t)NS;
		if (tw_ntp_to_unix_ns(tw_ntp_from_unix_ns(ns), ref) != ns)
			bad++;
		/* every nanosecond of a second maps to a distinct fraction and back */
		uint32_t n = (uint32_t)(rng() % NS);
		if (tw_ntp_frac_to_ns(tw_ntp_frac_from_ns(n)) != n)
			bad++;
		struct timespec a = {.tv_sec = (time_t)(ns / (int64_t)NS), .tv_nsec = (long)n}, b;
		tw_ntp_to_timespec(tw_ntp_from_timespec(&a), ns, &b);
		if (a.tv_sec != b.tv_sec || a.tv_nsec != b.tv_nsec)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_ntp_era(void)
{
	const int64_t wrap = 2085978496ll * (int64_t)NS; /* 2036-02-07 06:28:16 */
	const int64_t y2037 = 2114380800ll * (int64_t)NS;
	const int64_t y2030 = 1893456000ll * (int64_t)NS;
	static const struct {
		uint64_t ntp;
		int64_t ref, want;
	} t[] = {
	    {0x0000000000000000ull, 2114380800ll * 1000000000, 2085978496ll * 1000000000},
	    {0x0000000100000000ull, 2114380800ll * 1000000000, 2085978497ll * 1000000000},
	    /* just before the wrap, seen from after it: era 0 */
	    {0xFFFFFFFF00000000ull, 2114380800ll * 1000000000, 2085978495ll * 1000000000},
	    /* era 1 seconds seen from 2030 still land after 2036 */
	    {0x0000001000000000ull, 1893456000ll * 1000000000, 2085978512ll * 1000000000},
	    /* ref 0 (1970): the 1901..2038 window, so 1900 + 2^32 s is 2036 */
	    {0x83AA7E8000000000ull, 0, 0},
	};
	CU_ASSERT_EQUAL(tw_ntp_from_unix_ns(wrap) >> 32, 0);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		CU_ASSERT_EQUAL(tw_ntp_to_unix_ns(t[i].ntp, t[i].ref), t[i].want);
	struct timespec ts;
	tw_ntp_to_timespec(0x12345678ull << 32, y2037, &ts);
	CU_ASSERT_EQUAL(ts.tv_sec, 2085978496ll + 0x12345678);
	tw_ntp_to_timespec(0x12345678ull << 32, y2030, &ts);
	CU_ASSERT_EQUAL(ts.tv_sec, 2085978496ll + 0x12345678);
	/* saturation far outside int64 ns */
	CU_ASSERT_EQUAL(tw_ntp_to_unix_ns(0, -9000000000ll * (int64_t)NS), INT64_MIN);
}

static void test_ntp_diff(void)
{
	static const struct {
		uint64_t a, b;
		int64_t want;
	} t[] = {
	    {0x0000000100000000ull, 0, 1000000000},
	    {0, 0x0000000100000000ull, -1000000000},
	    {0x0000000080000000ull, 0xFFFFFFFF80000000ull, 1000000000}, /* over the wrap */
	    {0xFFFFFFFF80000000ull, 0x0000000080000000ull, -1000000000},
	    {0x7FFFFFFF00000000ull, 0, 2147483647ll * 1000000000},
	    {0, 0x7FFFFFFF00000000ull, -2147483647ll * 1000000000},
	    {1, 0, 0},  /* 0.23 ns rounds to 0 */
	    {3, 0, 1},  /* 0.70 ns rounds to 1 */
	    {0, 3, -1}, /* symmetric for negatives */
	    {0x83AA7E8000000000ull, 0x83AA7E8000000000ull, 0},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int64_t got = tw_ntp_diff_ns(t[i].a, t[i].b);
		if (got != t[i].want)
			printf("\n  case %zu: got %" PRId64 "\n", i, got);
		CU_ASSERT_EQUAL(got, t[i].want);
	}
	/* property: diff of two encoded instants equals their ns difference */
	unsigned bad = 0;
	for (int i = 0; i < 100000; i++) {
		int64_t x = (int64_t)(rng() % (4000000000ull * NS));
		int64_t y = x + (int64_t)(rng() % (200000ull * NS)) - 100000ll * (int64_t)NS;
		int64_t d = tw_ntp_diff_ns(tw_ntp_from_unix_ns(x), tw_ntp_from_unix_ns(y));
		if (d - (x - y) > 1 || d - (x - y) < -1)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_ntp_duration(void)
{
	static const struct {
		uint64_t ns, dur;
	} t[] = {
	    {0, 0},
	    {2000000000, 0x0000000200000000ull}, /* twping -L 2 */
	    {3000000000, 0x0000000300000000ull}, /* twampy */
	    {1500000000, 0x0000000180000000ull},
	    {4294967295ull * NS + 999999999, 0xFFFFFFFFFFFFFFFCull},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		CU_ASSERT_EQUAL(tw_ntp_dur_from_ns(t[i].ns), t[i].dur);
		CU_ASSERT_EQUAL(tw_ntp_dur_to_ns(t[i].dur), t[i].ns);
	}
	CU_ASSERT_EQUAL(tw_ntp_dur_from_ns(UINT64_MAX), UINT64_MAX);
	CU_ASSERT_EQUAL(tw_ntp_dur_to_ns(UINT64_MAX), 4294967295ull * NS + 999999999);
}

static void test_ptp(void)
{
	static const struct {
		int64_t ns;
		uint64_t ptp;
	} t[] = {
	    {0, 0},
	    {1700000000123456789ll, (1700000000ull << 32) | 123456789},
	    {-1, (0xFFFFFFFFull << 32) | 999999999},
	    {4294967296ll * (int64_t)NS + 5, 5}, /* 2106 wrap */
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		CU_ASSERT_EQUAL(tw_time_ptp_from_unix_ns(t[i].ns), t[i].ptp);
		int64_t back = 0;
		CU_ASSERT_EQUAL(tw_time_ptp_to_unix_ns(t[i].ptp, t[i].ns, &back), TW_OK);
		CU_ASSERT_EQUAL(back, t[i].ns);
	}
	int64_t keep = 42;
	CU_ASSERT_EQUAL(tw_time_ptp_to_unix_ns(1000000000u, 0, &keep), TW_E_FIELD);
	CU_ASSERT_EQUAL(keep, 42);
	/* NTP <-> PTP without a reference, either side of both wraps */
	static const int64_t inst[] = {0, 1700000000123456789ll, 2085978496000000001ll,
	                               -1000000000ll};
	for (size_t i = 0; i < sizeof inst / sizeof inst[0]; i++) {
		CU_ASSERT_EQUAL(tw_time_ntp_to_ptp(tw_ntp_from_unix_ns(inst[i])),
		                tw_time_ptp_from_unix_ns(inst[i]));
		CU_ASSERT_EQUAL(tw_time_ptp_to_ntp(tw_time_ptp_from_unix_ns(inst[i])),
		                tw_ntp_from_unix_ns(inst[i]));
	}
	struct tw_ts ts = {.ntp = tw_ntp_from_unix_ns(5 * (int64_t)NS + 7)};
	CU_ASSERT_EQUAL(tw_ts_wire(&ts, true), (5ull << 32) | 7);
	CU_ASSERT_EQUAL(tw_ts_wire(&ts, false), ts.ntp);
}

/* RFC 8186 truncated PTP <-> NTP <-> Unix at the era and sign edges, values
 * computed by hand: NTP era 0 ends 2036-02-07 06:28:15.999999999 (Unix
 * 2085978495 s = 0x7C55817F), PTP seconds wrap at 2^32 (2106-02-07), Unix
 * -1 ns is PTP 0xFFFFFFFF.999999999; ns 999999999 is NTP fraction
 * 0xFFFFFFFC (nearest) and back. */
static void test_ptp_edges(void)
{
	static const struct {
		const char *what;
		int64_t ns;
		uint64_t ntp, ptp;
	} t[] = {
	    {"NTP era 0 last ns", 2085978495999999999ll, 0xFFFFFFFFFFFFFFFCull, 0x7C55817F3B9AC9FFull},
	    {"NTP era 1 first ns", 2085978496000000000ll, 0x0000000000000000ull,
	     0x7C55818000000000ull},
	    {"Unix/PTP 0", 0, 0x83AA7E8000000000ull, 0},
	    {"Unix -1 ns", -1, 0x83AA7E7FFFFFFFFCull, 0xFFFFFFFF3B9AC9FFull},
	    {"PTP 2^32 - 1 ns", 4294967295999999999ll, 0x83AA7E7FFFFFFFFCull,
	     0xFFFFFFFF3B9AC9FFull},
	    {"PTP wrap to 0", 4294967296000000000ll, 0x83AA7E8000000000ull, 0},
	    {"1.5 s", 1500000000ll, 0x83AA7E8180000000ull, 0x000000011DCD6500ull},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int64_t back = 0, ref = t[i].ns + 3600 * (int64_t)NS;
		if (tw_ntp_from_unix_ns(t[i].ns) != t[i].ntp ||
		    tw_time_ptp_from_unix_ns(t[i].ns) != t[i].ptp)
			printf("\n  %s: from unix ntp %016llx ptp %016llx\n", t[i].what,
			       (unsigned long long)tw_ntp_from_unix_ns(t[i].ns),
			       (unsigned long long)tw_time_ptp_from_unix_ns(t[i].ns));
		CU_ASSERT_EQUAL(tw_ntp_from_unix_ns(t[i].ns), t[i].ntp);
		CU_ASSERT_EQUAL(tw_time_ptp_from_unix_ns(t[i].ns), t[i].ptp);
		/* the two wire formats into each other, no reference needed */
		CU_ASSERT_EQUAL(tw_time_ntp_to_ptp(t[i].ntp), t[i].ptp);
		CU_ASSERT_EQUAL(tw_time_ptp_to_ntp(t[i].ptp), t[i].ntp);
		/* back to the instant, era chosen from a reference an hour later */
		CU_ASSERT_EQUAL(tw_time_ptp_to_unix_ns(t[i].ptp, ref, &back), TW_OK);
		CU_ASSERT_EQUAL(back, t[i].ns);
		CU_ASSERT_EQUAL(tw_ntp_to_unix_ns(t[i].ntp, ref), t[i].ns);
		/* and an hour earlier (the other side of a wrap for the edges) */
		back = 0;
		ref = t[i].ns - 3600 * (int64_t)NS;
		CU_ASSERT_EQUAL(tw_time_ptp_to_unix_ns(t[i].ptp, ref, &back), TW_OK);
		CU_ASSERT_EQUAL(back, t[i].ns);
		CU_ASSERT_EQUAL(tw_ntp_to_unix_ns(t[i].ntp, ref), t[i].ns);
	}
	/* nanoseconds field out of range (RFC 8762 §4.2.1): refused when
	 * decoded, saturated to .999999999 when converted blind */
	int64_t keep = 7;
	CU_ASSERT_EQUAL(tw_time_ptp_to_unix_ns(0x000000053B9ACA00ull, 0, &keep), TW_E_FIELD);
	CU_ASSERT_EQUAL(keep, 7);
	CU_ASSERT_EQUAL(tw_time_ptp_to_ntp(0x00000005FFFFFFFFull), 0x83AA7E85FFFFFFFCull);
	/* every NTP fraction survives NTP -> PTP -> NTP within one step of the
	 * rounding, and PTP -> NTP -> PTP exactly (ns < 2^32/10^9 steps) */
	for (unsigned k = 0; k < 100000; k++) {
		uint64_t r = rng();
		uint32_t ns = (uint32_t)(r % NS);
		uint64_t ptp = (uint64_t)(uint32_t)(r >> 32) << 32 | ns;
		CU_ASSERT_EQUAL_FATAL(tw_time_ntp_to_ptp(tw_time_ptp_to_ntp(ptp)), ptp);
		uint64_t ntp = rng();
		uint64_t rt = tw_time_ptp_to_ntp(tw_time_ntp_to_ptp(ntp));
		int64_t d = (int64_t)(uint32_t)rt - (int64_t)(uint32_t)ntp;
		CU_ASSERT_FATAL((rt >> 32) == (ntp >> 32) && d >= -3 && d <= 3);
	}
	/* the Z bit selects the format in a timestamp's Error Estimate */
	struct tw_ts ts = {.ntp = 0xFFFFFFFFFFFFFFFCull, .err_ns = 1000};
	CU_ASSERT_EQUAL(tw_ts_wire(&ts, true), 0x7C55817F3B9AC9FFull);
	CU_ASSERT_TRUE(tw_errest_z(tw_ts_errest(&ts, true)));
	CU_ASSERT_FALSE(tw_errest_z(tw_ts_errest(&ts, false)));
	CU_ASSERT_EQUAL(tw_ts_errest(&ts, true) & ~TW_ERREST_Z, tw_ts_errest(&ts, false));
}

/* ---- Error Estimate ----------------------------------------------------- */

static uint16_t errest_ref(uint64_t err_ns)
{
	/* perfSONAR's loop, literally, on the 2^-32 s value rounded up */
	unsigned __int128 v = (((unsigned __int128)err_ns << 32) + NS - 1) / NS;
	unsigned scale = 0;
	while (v >= 255) {
		v >>= 1;
		scale++;
	}
	return (uint16_t)(scale << 8 | (unsigned)(v + 1));
}

/*
 * A peer's Z = 1 timestamp read next to our own T1 (tw_time_ptp_to_ntp_near).
 * Captured from RFC8762-CLI's reflector -P (commit e8e4294, 2026-12-06), the
 * reply to our NTP T1 eebfa905.da56fc03: Receive Timestamp eebfa905 32d68e3e
 * and Timestamp eebfa905 3309de9b with Error Estimate 4001 (Z = 1), i.e.
 * seconds since 1900 and nanoseconds (852921918, 856284827).  Read as PTP
 * they would be 2208988800 s later (726a2785); read next to T1 they are
 * NTP eebfa905.da591740 and eebfa905.db357b80 (2^32 ns / 10^9, nearest).
 */
static void test_ptp_ntp_epoch(void)
{
	const uint64_t t1 = 0xeebfa905da56fc03ull;
	bool e = false;
	CU_ASSERT_EQUAL(tw_time_ptp_to_ntp(0xeebfa90532d68e3eull) >> 32, 0x726a2785u);
	CU_ASSERT_EQUAL(tw_time_ptp_to_ntp_near(0xeebfa90532d68e3eull, t1, &e),
	                0xeebfa905da591740ull);
	CU_ASSERT_TRUE(e);
	e = false;
	CU_ASSERT_EQUAL(tw_time_ptp_to_ntp_near(0xeebfa9053309de9bull, t1, &e),
	                0xeebfa905db357b80ull);
	CU_ASSERT_TRUE(e);
	/* a real PTP timestamp of the same instant (6b152a85 = eebfa905 -
	 * 83aa7e80) is read as PTP */
	uint64_t ptp = tw_time_ntp_to_ptp(0xeebfa905da591740ull);
	CU_ASSERT_EQUAL(ptp >> 32, 0x6b152a85u);
	CU_ASSERT_EQUAL(tw_time_ptp_to_ntp_near(ptp, t1, &e), tw_time_ptp_to_ntp(ptp));
	CU_ASSERT_FALSE(e);
	/* PTP a year off our clock: still PTP (only 70 years apart is the
	 * other epoch, and only within a day of T1) */
	uint64_t year = ptp + ((uint64_t)365 * 86400 << 32);
	CU_ASSERT_EQUAL(tw_time_ptp_to_ntp_near(year, t1, &e), tw_time_ptp_to_ntp(year));
	CU_ASSERT_FALSE(e);
	/* our clock at 1970 (NTP 83aa7e80): a 2026 PTP timestamp is far from
	 * it either way, and stays PTP */
	CU_ASSERT_EQUAL(tw_time_ptp_to_ntp_near(ptp, 0x83aa7e8000000000ull, &e),
	                tw_time_ptp_to_ntp(ptp));
	CU_ASSERT_FALSE(e);
	/* the 1900 reading a day and a second off T1: not taken */
	uint64_t day = (uint64_t)(0xeebfa905u - 86401u) << 32;
	CU_ASSERT_EQUAL(tw_time_ptp_to_ntp_near(day, t1, &e), tw_time_ptp_to_ntp(day));
	CU_ASSERT_FALSE(e);
	day = (uint64_t)(0xeebfa905u + 86400u) << 32; /* a day later: taken */
	CU_ASSERT_EQUAL(tw_time_ptp_to_ntp_near(day, t1, &e), day);
	CU_ASSERT_TRUE(e);
}

static void test_errest_encode(void)
{
	static const struct {
		uint64_t ns;
		bool s, z;
		uint16_t e;
	} t[] = {
	    {0, false, false, 0x0001},          /* twampd unsynced: 2^-32 s */
	    {1, false, false, 0x0006},          /* 4.29 -> 5 units -> mult 6 */
	    {1, true, false, 0x8006},           /* S bit */
	    {1, true, true, 0xC006},            /* S and Z */
	    {59, false, false, 0x00FF},         /* 253.4 -> 254 units -> mult 255 */
	    {60, false, false, 0x0182},         /* 257.7 -> 258 -> 129 @ scale 1, +1 */
	    {NS, false, false, 0x1981},         /* 1 s = 2^32 units = 128 * 2^25 */
	    {UINT64_MAX, false, false, 0x3FFF}, /* unknown: twampy's value */
	    {UINT64_MAX, true, false, 0xBFFF},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint16_t got = tw_errest_encode(t[i].ns, t[i].s, t[i].z);
		if (got != t[i].e)
			printf("\n  case %zu: got %04x\n", i, got);
		CU_ASSERT_EQUAL(got, t[i].e);
	}
}

static void test_errest_decode(void)
{
	static const struct {
		uint16_t e;
		enum tw_err rc;
		uint64_t ns;
	} t[] = {
	    {0x0001, TW_OK, 1},               /* 0.23 ns, rounded up */
	    {0x8001, TW_OK, 1},               /* S ignored */
	    {0x2001, TW_OK, 1000000000},      /* scale 32: 1 s */
	    {0x20FF, TW_OK, 255000000000ull}, /* 255 s */
	    {0x1981, TW_OK, 1007812500},      /* 129 * 2^-7 s */
	    {0x3FFF, TW_OK, UINT64_MAX},      /* twampy: saturates */
	    {0x0000, TW_E_ERREST, 7},         /* multiplier 0: corrupt */
	    {0xBF00, TW_E_ERREST, 7},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint64_t ns = 7;
		CU_ASSERT_EQUAL(tw_errest_decode(t[i].e, &ns), t[i].rc);
		CU_ASSERT_EQUAL(ns, t[i].ns);
	}
	CU_ASSERT_TRUE(tw_errest_s(0x8001));
	CU_ASSERT_FALSE(tw_errest_s(0x4001));
	CU_ASSERT_TRUE(tw_errest_z(0x4001));
}

static void test_errest_never_understates(void)
{
	unsigned bad = 0, mismatch = 0;
	for (int i = 0; i < 300000; i++) {
		/* log-uniform-ish: 0 ns .. ~10^6 s */
		uint64_t ns = rng() >> (rng() % 64);
		if (ns > 1000000ull * NS)
			ns %= 1000000ull * NS;
		uint16_t e = tw_errest_encode(ns, false, false);
		uint64_t back = 0;
		if (tw_errest_decode(e, &back) != TW_OK || back < ns)
			bad++;
		/* and never more than twice (+1 unit) the truth */
		if (back > 2 * ns + 2)
			bad++;
		if (e != errest_ref(ns))
			mismatch++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(mismatch, 0);
}

static void test_ts_errest(void)
{
	struct tw_ts ts = {.ntp = 1, .err_ns = 1, .source = TW_TS_SRC_TSC, .synced = true};
	CU_ASSERT_EQUAL(sizeof(struct tw_ts), 16);
	CU_ASSERT_EQUAL(tw_ts_errest(&ts, false), 0x8006);
	ts.synced = false;
	ts.err_ns = TW_TS_ERR_UNKNOWN;
	CU_ASSERT_EQUAL(tw_ts_errest(&ts, false), 0x3FFF);
	ts.err_ns = 4294967294u; /* 4.29 s is still encoded as itself */
	uint64_t back;
	CU_ASSERT_EQUAL(tw_errest_decode(tw_ts_errest(&ts, true), &back), TW_OK);
	CU_ASSERT_TRUE(back >= 4294967294u && back < 5000000000u);
	CU_ASSERT_TRUE(tw_errest_z(tw_ts_errest(&ts, true)));
}

/* ---- sync state --------------------------------------------------------- */

static void test_sync_map(void)
{
	static const struct {
		int state, status;
		long maxerr, esterr;
		bool synced;
		uint64_t err;
	} t[] = {
	    {TIME_OK, 0, 1500, 200, true, 1500000},
	    {TIME_OK, STA_PLL, 1500, 200, true, 1500000},
	    {TIME_OK, STA_PLL | STA_UNSYNC, 1500, 200, false, 1500000},
	    {TIME_ERROR, STA_PLL, 1500, 200, false, 1500000},
	    {TIME_INS, 0, 3000, 10, true, 3000000}, /* leap pending: still synced */
	    {TIME_ERROR, STA_UNSYNC, 16000000, 16000000, false, TW_SYNC_ERR_CAP_NS},
	    {TIME_OK, STA_UNSYNC, 99000000, 0, false, TW_SYNC_ERR_CAP_NS}, /* capped */
	    {TIME_OK, 0, -5, 0, true, TW_SYNC_ERR_CAP_NS},                 /* nonsense */
	    {-1, 0, 0, 0, false, TW_SYNC_ERR_CAP_NS},                      /* syscall failed */
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct timex tx;
		struct tw_sync s;
		memset(&tx, 0, sizeof tx);
		tx.status = t[i].status;
		tx.maxerror = t[i].maxerr;
		tx.esterror = t[i].esterr;
		tw_time_sync_from_timex(t[i].state, &tx, &s);
		if (s.synced != t[i].synced || s.err_ns != t[i].err)
			printf("\n  case %zu: synced %d err %" PRIu64 "\n", i, s.synced, s.err_ns);
		CU_ASSERT_EQUAL(s.synced, t[i].synced);
		CU_ASSERT_EQUAL(s.err_ns, t[i].err);
		CU_ASSERT_EQUAL(s.state, t[i].state);
	}
	/* the real call works and its result maps to a sane S/err pair */
	struct tw_sync s;
	CU_ASSERT_EQUAL(tw_time_sync_read(&s), TW_OK);
	CU_ASSERT_TRUE(s.err_ns > 0 && s.err_ns <= TW_SYNC_ERR_CAP_NS);
	struct tw_ts ts;
	tw_time_now_ts(&s, &ts);
	CU_ASSERT_EQUAL(ts.source, TW_TS_SRC_SYSTEM);
	CU_ASSERT_EQUAL(ts.synced, s.synced);
	CU_ASSERT_EQUAL(tw_errest_s(tw_ts_errest(&ts, false)), s.synced);
	int64_t d = tw_ntp_diff_ns(tw_ntp_from_unix_ns(tw_time_now_ns()), ts.ntp);
	CU_ASSERT_TRUE(d >= 0 && d < 1000000000);
}

/* ---- TSC clock ---------------------------------------------------------- */

static void test_tsc_calibrate_real(void)
{
	struct tw_tsc_clock c;
	struct tw_tsc_cfg cfg = {.cal_ms = 20, .resync_ms = 100};
	CU_ASSERT_EQUAL_FATAL(tw_tsc_clock_init(&c, &cfg), TW_OK);
	/* any x86 TSC (or the 1 GHz fallback) is in 100 MHz..10 GHz */
	CU_ASSERT_TRUE(c.hz > 100000000ull && c.hz < 10000000000ull);
	CU_ASSERT_TRUE(c.freq_err_ppb < 10000000u); /* < 1 % */
	/* correctness bound, not timing: the conversion tracks realtime */
	int64_t worst = 0;
	for (int i = 0; i < 50; i++) {
		uint64_t t, b;
		int64_t n;
		CU_ASSERT_EQUAL_FATAL(tw_tsc_read_pair(NULL, NULL, &t, &n, &b), TW_OK);
		int64_t d = tw_ntp_diff_ns(tw_tsc_to_ntp(&c, t), tw_ntp_from_unix_ns(n));
		if (d < 0)
			d = -d;
		if (d > worst)
			worst = d;
		if (i == 25)
			CU_ASSERT_EQUAL(tw_tsc_clock_resync(&c), TW_OK);
	}
	printf("\n  hz %" PRIu64 " freq_err %u ppb worst %" PRId64 " ns err %" PRIu64 " ns ", c.hz,
	       c.freq_err_ppb, worst, c.tsc_err_ns);
	CU_ASSERT_TRUE(worst < 1000000);
	/* unknown until the UTC error is folded in */
	CU_ASSERT_EQUAL(c.err_ns, TW_TS_ERR_UNKNOWN);
	struct tw_sync s = {.synced = true, .err_ns = 2000000};
	tw_tsc_clock_set_sync(&c, &s);
	CU_ASSERT_EQUAL(c.err_ns, 2000000 + c.tsc_err_ns);
	struct tw_ts ts;
	tw_tsc_to_ts(&c, tw_rdtsc(), &ts);
	CU_ASSERT_EQUAL(ts.source, TW_TS_SRC_TSC);
	CU_ASSERT_TRUE(ts.synced);
	CU_ASSERT_EQUAL(ts.err_ns, c.err_ns);
	/* deadlines: ns <-> ticks agree with the rate */
	CU_ASSERT_EQUAL(tw_tsc_ticks_to_ns(&c, c.hz), NS);
	CU_ASSERT_EQUAL(tw_tsc_ns_to_ticks(&c, NS), c.hz);
}

/*
 * Simulated counter (3 GHz, advancing 30 ticks per read) and realtime that
 * runs at (1 + sim_ppm) of it plus sim_step: deterministic slews and steps.
 */
static uint64_t sim_tsc;
static int64_t sim_ppm, sim_step, sim_rt_base, sim_tsc_base;
static uint64_t sim_read(void)
{
	return sim_tsc += 30;
}
static int64_t sim_rt_ns(uint64_t tsc)
{
	int64_t d = (int64_t)(tsc - (uint64_t)sim_tsc_base) / 3;
	return sim_rt_base + d + d * sim_ppm / 1000000 + sim_step;
}
static int sim_realtime(struct timespec *ts)
{
	int64_t n = sim_rt_ns(sim_tsc);
	ts->tv_sec = (time_t)(n / (int64_t)NS);
	ts->tv_nsec = (long)(n % (int64_t)NS);
	return 0;
}
static int64_t sim_err(const struct tw_tsc_clock *c)
{
	return tw_ntp_diff_ns(tw_tsc_to_ntp(c, sim_tsc), tw_ntp_from_unix_ns(sim_rt_ns(sim_tsc)));
}

static void test_tsc_sim(void)
{
	struct tw_tsc_clock c;
	struct tw_tsc_cfg cfg = {
	    .read = sim_read, .realtime = sim_realtime, .hz = 3000000000ull, .resync_ms = 1000};
	sim_tsc = sim_tsc_base = 1ull << 40;
	sim_rt_base = 1700000000ll * (int64_t)NS;
	sim_ppm = sim_step = 0;
	CU_ASSERT_EQUAL_FATAL(tw_tsc_clock_init(&c, &cfg), TW_OK);
	CU_ASSERT_TRUE(llabs(sim_err(&c)) <= 20);
	/* given hz: the loose tolerance shows in the bound until measured */
	CU_ASSERT_TRUE(c.tsc_err_ns >= 100000);
	CU_ASSERT_EQUAL(tw_tsc_ns_to_ticks(&c, 1000), 3000);

	/* realtime slews +300 ppm: follow it without a jump at any resync */
	sim_rt_base = sim_rt_ns(sim_tsc);
	sim_tsc_base = (int64_t)sim_tsc;
	sim_ppm = 300;
	int64_t last = 0;
	unsigned jumps = 0, backwards = 0;
	uint64_t prev = tw_tsc_to_ntp(&c, sim_tsc);
	for (int i = 0; i < 20; i++) {
		for (int k = 0; k < 10; k++) { /* 10 x 0.1 s between resyncs */
			sim_tsc += 300000000ull;
			uint64_t now = tw_tsc_to_ntp(&c, sim_tsc);
			if (tw_ntp_diff_ns(now, prev) <= 0)
				backwards++;
			prev = now;
		}
		/* one instant just after the resync's own counter reads */
		uint64_t p = sim_tsc + 1000;
		uint64_t before = tw_tsc_to_ntp(&c, p);
		CU_ASSERT_EQUAL(tw_tsc_clock_resync(&c), TW_OK);
		uint64_t after = tw_tsc_to_ntp(&c, p);
		if (llabs(tw_ntp_diff_ns(after, before)) > 2) /* continuity */
			jumps++;
		last = sim_err(&c);
	}
	printf("\n  slew: final error %" PRId64 " ns, hz %" PRIu64 ", bound %" PRIu64 " ns ", last,
	       c.hz, c.tsc_err_ns);
	CU_ASSERT_EQUAL(jumps, 0);
	CU_ASSERT_EQUAL(backwards, 0);
	CU_ASSERT_EQUAL(c.steps, 0);
	/* after 20 s the rate is learnt: 300 ppm would be 300 us per second */
	CU_ASSERT_TRUE(llabs(last) < 20000);
	CU_ASSERT_TRUE(c.hz > 3000000000ull * 999 / 1000 && c.hz < 3000000000ull);
	/* the bound covers what is seen one period later */
	sim_tsc += 3000000000ull;
	CU_ASSERT_TRUE((uint64_t)llabs(sim_err(&c)) <= c.tsc_err_ns);

	/* a 2 s step of the system clock is taken at once */
	CU_ASSERT_EQUAL(tw_tsc_clock_resync(&c), TW_OK);
	sim_step = 2 * (int64_t)NS;
	CU_ASSERT_EQUAL(tw_tsc_clock_resync(&c), TW_OK);
	CU_ASSERT_EQUAL(c.steps, 1);
	CU_ASSERT_TRUE(llabs(sim_err(&c)) < 1000);
}

static uint64_t frozen_read(void)
{
	return 5;
}

static void test_tsc_bad_args(void)
{
	struct tw_tsc_clock c;
	struct tw_tsc_cfg cfg = {.read = sim_read, .realtime = sim_realtime, .hz = 1000};
	CU_ASSERT_EQUAL(tw_tsc_clock_init(&c, &cfg), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_tsc_clock_init(NULL, &cfg), TW_E_ARG);
	/* a counter that does not move cannot be calibrated */
	struct tw_tsc_cfg frozen = {.read = frozen_read, .cal_ms = 1};
	CU_ASSERT_NOT_EQUAL(tw_tsc_clock_init(&c, &frozen), TW_OK);
}

int main(void)
{
	static const struct tw_unit_case ntp[] = {
	    {"unix offset 1900/1970", test_ntp_from_unix},
	    {"fraction rounding near 1 s", test_ntp_frac},
	    {"round trip ns/timespec", test_ntp_roundtrip},
	    {"2036 era from reference", test_ntp_era},
	    {"signed differences and wrap", test_ntp_diff},
	    {"durations", test_ntp_duration},
	    {"PTP truncated format", test_ptp},
	    {"PTP/NTP at era and sign edges (RFC 8186)", test_ptp_edges},
	    {"Z = 1 timestamps counting from 1900 (RFC8762-CLI)", test_ptp_ntp_epoch},
	    {NULL, NULL},
	};
	static const struct tw_unit_case errest[] = {
	    {"encode table", test_errest_encode},
	    {"decode table and multiplier 0", test_errest_decode},
	    {"never understates (property)", test_errest_never_understates},
	    {"tw_ts to Error Estimate", test_ts_errest},
	    {NULL, NULL},
	};
	static const struct tw_unit_case clk[] = {
	    {"adjtimex mapping", test_sync_map},
	    {"TSC calibration vs realtime", test_tsc_calibrate_real},
	    {"TSC slew follow and step", test_tsc_sim},
	    {"TSC bad arguments", test_tsc_bad_args},
	    {NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (tw_unit_suite("ntp", ntp) || tw_unit_suite("errest", errest) ||
	    tw_unit_suite("clock", clk))
		return 2;
	return tw_unit_run("time");
}
