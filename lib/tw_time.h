/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_time: time for the whole product (pure C, no DPDK).
 *
 *  - NTP 64-bit timestamps (RFC 4656 §4.1.2: 32-bit seconds since 1900 +
 *    32-bit fraction in 2^-32 s) to and from Unix time, durations, era
 *    handling (RFC 5905 §6: the seconds field wraps in 2036) and differences.
 *  - Truncated PTPv2 timestamps (RFC 8186 / RFC 8762, Error Estimate Z=1).
 *  - The 2-octet Error Estimate (RFC 4656 §4.1.2; wire reference §5.2).
 *  - struct tw_ts: value + error + source, the unit the fast path copies.
 *  - A TSC clock calibrated against CLOCK_REALTIME, converting a counter
 *    value to NTP with one 64x64->128 multiply and a shift.
 *  - The kernel's synchronisation state (adjtimex) feeding the S bit and the
 *    error estimate.
 *
 * Rounding: every conversion between nanoseconds and 2^-32 s fractions rounds
 * to nearest, so ns -> NTP -> ns is exact (one fraction unit is 0.23 ns, the
 * forward error is at most 0.12 ns and the way back lands on the same ns).
 * The one exception: a fraction above 999999999.5 ns (only 0xFFFFFFFE and
 * 0xFFFFFFFF, never produced from ns) is clamped to 999999999 ns instead of
 * carrying into the next second, so the fraction never alters the seconds.
 * Error estimates are the opposite: they are bounds, so they round up.
 */
#ifndef TW_TIME_H
#define TW_TIME_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "tw_err.h"

struct timex;

/* NTP seconds at the Unix epoch: 70 years incl. 17 leap days (RFC 5905). */
#define TW_NTP_UNIX_OFFSET 2208988800u
#define TW_NS_PER_SEC      1000000000ull

/* ---------------------------------------------------------------------- */
/* NTP 32.32 timestamps and durations                                      */
/* ---------------------------------------------------------------------- */

/* Nanoseconds (0..999999999) to a 2^-32 s fraction, rounded to nearest. */
static inline uint32_t tw_ntp_frac_from_ns(uint32_t nsec)
{
	/* nsec * 2^32 < 2^62: no overflow; never carries (see top comment). */
	return (uint32_t)((((uint64_t)nsec << 32) + TW_NS_PER_SEC / 2) / TW_NS_PER_SEC);
}

/* 2^-32 s fraction to nanoseconds, nearest, clamped to 999999999. */
static inline uint32_t tw_ntp_frac_to_ns(uint32_t frac)
{
	uint32_t ns = (uint32_t)(((uint64_t)frac * TW_NS_PER_SEC + (1ull << 31)) >> 32);
	return ns < TW_NS_PER_SEC ? ns : (uint32_t)(TW_NS_PER_SEC - 1);
}

/*
 * Unix nanoseconds (signed, so before 1970 works) to NTP.  The seconds field
 * is taken modulo 2^32, which is exactly RFC 5905's era numbering: 2036 and
 * later land in era 1 with small seconds values.
 */
static inline uint64_t tw_ntp_from_unix_ns(int64_t ns)
{
	int64_t sec = ns / (int64_t)TW_NS_PER_SEC;
	int64_t rem = ns % (int64_t)TW_NS_PER_SEC;
	if (rem < 0) {
		rem += (int64_t)TW_NS_PER_SEC;
		sec--;
	}
	uint32_t s = (uint32_t)((uint64_t)sec + TW_NTP_UNIX_OFFSET);
	return (uint64_t)s << 32 | tw_ntp_frac_from_ns((uint32_t)rem);
}

/* struct timespec to NTP; tv_nsec outside 0..999999999 is normalised. */
uint64_t tw_ntp_from_timespec(const struct timespec *ts);

/*
 * NTP to Unix nanoseconds.  The 32-bit seconds field is ambiguous (one era is
 * 136 years), so the era is chosen that puts the result closest to ref_ns
 * (RFC 5905 §6; pass the local clock, or 0 for 1901..2038).  Results outside
 * int64 nanoseconds (1677..2262) saturate to INT64_MIN / INT64_MAX.
 */
int64_t tw_ntp_to_unix_ns(uint64_t ntp, int64_t ref_ns);

/* NTP to struct timespec, era closest to ref_ns as above (no saturation). */
void tw_ntp_to_timespec(uint64_t ntp, int64_t ref_ns, struct timespec *ts);

/*
 * a - b in nanoseconds, rounded to nearest.  Computed modulo 2^64 fraction
 * units, so it is right across the 2036 wrap as long as |a - b| < 2^31 s
 * (68 years); that is RFC 5905's rule for differences.
 */
static inline int64_t tw_ntp_diff_ns(uint64_t a, uint64_t b)
{
	int64_t d = (int64_t)(a - b);
	/* GCC's >> on signed __int128 is arithmetic: floor(x + 1/2) = nearest. */
	return (int64_t)(((__int128)d * (int64_t)TW_NS_PER_SEC + ((__int128)1 << 31)) >> 32);
}

/*
 * Durations (Request-TW-Session Timeout, wire reference §2.7) use the same
 * 32.32 layout without an epoch.  Saturates at 0xFFFFFFFF.FFFFFFFF (136 y).
 */
uint64_t tw_ntp_dur_from_ns(uint64_t ns);
/* Duration to ns; cannot overflow (2^32 s < 2^64 ns). */
uint64_t tw_ntp_dur_to_ns(uint64_t dur);

/* ---------------------------------------------------------------------- */
/* Truncated PTPv2 timestamps (Z = 1; RFC 8186, RFC 8762 §4.2.1)           */
/* ---------------------------------------------------------------------- */

/*
 * 32-bit seconds since 1970 + 32-bit nanoseconds.  No TAI-UTC offset is
 * applied: the value is the same timescale as the input (the PTP timescale
 * is TAI; a caller with a PTP clock passes TAI ns).  Seconds are modulo 2^32
 * (wrap in 2106).
 */
static inline uint64_t tw_time_ptp_from_unix_ns(int64_t ns)
{
	int64_t sec = ns / (int64_t)TW_NS_PER_SEC;
	int64_t rem = ns % (int64_t)TW_NS_PER_SEC;
	if (rem < 0) {
		rem += (int64_t)TW_NS_PER_SEC;
		sec--;
	}
	return (uint64_t)(uint32_t)sec << 32 | (uint64_t)rem;
}

/*
 * PTP to Unix ns, era closest to ref_ns.  TW_E_FIELD when the nanoseconds
 * field is >= 10^9 (RFC 8762 §4.2.1 range); *ns is then left untouched.
 */
enum tw_err tw_time_ptp_to_unix_ns(uint64_t ptp, int64_t ref_ns, int64_t *ns);

/*
 * Between the two wire formats without a reference: 2^32 s divides the NTP
 * era, so (ntp_seconds - offset) mod 2^32 is the PTP seconds field directly.
 * Fractions round to nearest.  An invalid PTP ns field saturates to .999999999.
 */
static inline uint64_t tw_time_ntp_to_ptp(uint64_t ntp)
{
	uint32_t s = (uint32_t)(ntp >> 32) - TW_NTP_UNIX_OFFSET;
	return (uint64_t)s << 32 | tw_ntp_frac_to_ns((uint32_t)ntp);
}

static inline uint64_t tw_time_ptp_to_ntp(uint64_t ptp)
{
	uint32_t s = (uint32_t)(ptp >> 32) + TW_NTP_UNIX_OFFSET;
	uint32_t ns = (uint32_t)ptp;
	if (ns >= TW_NS_PER_SEC)
		ns = (uint32_t)(TW_NS_PER_SEC - 1);
	return (uint64_t)s << 32 | tw_ntp_frac_from_ns(ns);
}

/*
 * A peer's Z = 1 timestamp as NTP, read next to ref_ntp (an NTP timestamp of
 * our own clock close to it, such as the packet's T1).  RFC 8762 §4.2.1 and
 * RFC 8186 §2.3 make it the truncated PTPv2 format, seconds since the PTP
 * epoch (1970).  Some peers put seconds since 1900 there with Z = 1
 * (RFC8762-CLI's -P, docs/interop.md): read as PTP, such a timestamp is
 * 2208988800 s (mod 2^32, 70 years) ahead.  Liberal in what we accept: when
 * the PTP reading is more than 2^30 s (34 years) from ref_ntp and the
 * seconds field read as NTP seconds is within a day of it, that reading is
 * taken and *ntp_epoch set.  The two readings are 70 years apart, so a
 * PTP timestamp from a clock within a day of ours is never taken for it.
 */
static inline uint64_t tw_time_ptp_to_ntp_near(uint64_t ptp, uint64_t ref_ntp, bool *ntp_epoch)
{
	uint64_t std = tw_time_ptp_to_ntp(ptp);
	uint32_t ns = (uint32_t)ptp;
	if (ns >= TW_NS_PER_SEC)
		ns = (uint32_t)(TW_NS_PER_SEC - 1);
	uint64_t alt = (ptp & 0xffffffff00000000ull) | tw_ntp_frac_from_ns(ns);
	uint32_t ref_s = (uint32_t)(ref_ntp >> 32);
	int64_t d_std = (int32_t)((uint32_t)(std >> 32) - ref_s);
	int64_t d_alt = (int32_t)((uint32_t)(alt >> 32) - ref_s);
	bool far = d_std > (1ll << 30) || d_std < -(1ll << 30);
	*ntp_epoch = far && d_alt <= 86400 && d_alt >= -86400;
	return *ntp_epoch ? alt : std;
}

/* ---------------------------------------------------------------------- */
/* Error Estimate (RFC 4656 §4.1.2; wire reference §5.2)                  */
/* ---------------------------------------------------------------------- */

#define TW_ERREST_S          0x8000u /* synchronised to UTC */
#define TW_ERREST_Z          0x4000u /* PTP format (RFC 8186); MBZ in RFC 4656 */
#define TW_ERREST_SCALE_MASK 0x3F00u
#define TW_ERREST_MULT_MASK  0x00FFu
/* Largest representable error (Scale 63, Multiplier 255): "unknown/huge". */
#define TW_ERREST_MAX 0x3FFFu

/*
 * Encode an error bound, perfSONAR's way (OWPTimespecToTimestamp): value in
 * 2^-32 s rounded up; halve while >= 255, counting Scale; Multiplier =
 * value + 1.  Because the halvings truncate and the +1 follows, the encoded
 * error is always strictly above the true one: an estimate never flatters.
 * err_ns == UINT64_MAX (unknown) encodes as TW_ERREST_MAX.
 */
static inline uint16_t tw_errest_encode(uint64_t err_ns, bool s, bool z)
{
	uint16_t flags = (uint16_t)((s ? TW_ERREST_S : 0) | (z ? TW_ERREST_Z : 0));
	uint64_t sec = err_ns / TW_NS_PER_SEC;
	uint64_t rem = err_ns % TW_NS_PER_SEC;
	if (sec >= (1ull << 32) - 1)
		return flags | TW_ERREST_MAX;
	/* ceil(rem * 2^32 / 10^9) <= 2^32, so the sum cannot overflow. */
	uint64_t v = (sec << 32) + (((rem << 32) + TW_NS_PER_SEC - 1) / TW_NS_PER_SEC);
	unsigned scale = 0;
	if (v >= 255) {
		/* Same result as the halving loop: the first k with v >> k < 255. */
		scale = 64u - (unsigned)__builtin_clzll(v) - 8u;
		if ((v >> scale) >= 255)
			scale++;
		v >>= scale;
	}
	return flags | (uint16_t)(scale << 8) | (uint16_t)(v + 1);
}

/*
 * Decode to ns, rounded up (it is a bound).  Saturates at UINT64_MAX (scale
 * >= ~59).  A zero Multiplier is corrupt (RFC 4656 §4.1.2; twping rejects
 * it): TW_E_ERREST and *err_ns untouched.  S and Z are ignored here.
 */
enum tw_err tw_errest_decode(uint16_t e, uint64_t *err_ns);

static inline bool tw_errest_s(uint16_t e)
{
	return (e & TW_ERREST_S) != 0;
}

static inline bool tw_errest_z(uint16_t e)
{
	return (e & TW_ERREST_Z) != 0;
}

/* ---------------------------------------------------------------------- */
/* struct tw_ts: value + error + source                                    */
/* ---------------------------------------------------------------------- */

enum tw_ts_source {
	TW_TS_SRC_NONE = 0,
	TW_TS_SRC_SYSTEM, /* clock_gettime(CLOCK_REALTIME) */
	TW_TS_SRC_TSC,    /* calibrated CPU counter (struct tw_tsc_clock) */
	TW_TS_SRC_NIC,    /* NIC hardware clock (mbuf Rx timestamp) */
	TW_TS_SRC_PTP,    /* PTP-disciplined clock (PHC) */
};

/* err_ns value meaning ">= 4.29 s or unknown"; encodes as TW_ERREST_MAX. */
#define TW_TS_ERR_UNKNOWN UINT32_MAX

/* 16 bytes: the fast path copies it per packet. */
struct tw_ts {
	uint64_t ntp;    /* NTP 32.32 (converted to PTP on the wire if Z=1) */
	uint32_t err_ns; /* bound on |value - UTC|, ns; TW_TS_ERR_UNKNOWN if huge */
	uint8_t source;  /* enum tw_ts_source */
	bool synced;     /* clock synchronised to UTC: the S bit */
	uint8_t pad[2];
};

/* The wire Error Estimate for ts; z selects the PTP format flag. */
static inline uint16_t tw_ts_errest(const struct tw_ts *ts, bool z)
{
	uint64_t e = ts->err_ns == TW_TS_ERR_UNKNOWN ? UINT64_MAX : ts->err_ns;
	return tw_errest_encode(e, ts->synced, z);
}

/* The 8 wire octets' value for ts: NTP, or truncated PTP when z. */
static inline uint64_t tw_ts_wire(const struct tw_ts *ts, bool z)
{
	return z ? tw_time_ntp_to_ptp(ts->ntp) : ts->ntp;
}

/* ---------------------------------------------------------------------- */
/* System clock synchronisation state (adjtimex / ntp_adjtime)            */
/* ---------------------------------------------------------------------- */

/* Errors above this are reported as this (the kernel's NTP_PHASE_LIMIT). */
#define TW_SYNC_ERR_CAP_NS (16ull * TW_NS_PER_SEC)

struct tw_sync {
	bool synced;          /* S bit: kernel PLL synchronised, not TIME_ERROR */
	int state;            /* adjtimex() return: TIME_OK .. TIME_ERROR, or -1 */
	uint64_t maxerror_ns; /* kernel's bound on the clock error */
	uint64_t esterror_ns; /* kernel's estimate (not a bound) */
	uint64_t err_ns;      /* what to report: maxerror capped, or cap if unsynced */
};

/*
 * Pure mapping from adjtimex()'s result and struct timex (tests craft them).
 * Synchronised iff state is not TIME_ERROR/-1 and STA_UNSYNC is clear.
 * The reported error is maxerror (a bound, unlike esterror), capped at
 * TW_SYNC_ERR_CAP_NS.  An unsynchronised clock still reports its maxerror:
 * the kernel keeps growing it at 500 ppm from the last sync (and starts it at
 * 16 s when never synced), so it stays an honest bound; S=0 tells the rest.
 */
void tw_time_sync_from_timex(int state, const struct timex *tx, struct tw_sync *out);

/* adjtimex() read-only query; TW_E_SYS (errno set, *out = unsynced) on failure. */
enum tw_err tw_time_sync_read(struct tw_sync *out);

/* CLOCK_REALTIME now, as Unix ns and as a struct tw_ts from sync state. */
int64_t tw_time_now_ns(void);
void tw_time_now_ts(const struct tw_sync *sync, struct tw_ts *out);

/* ---------------------------------------------------------------------- */
/* TSC clock                                                               */
/* ---------------------------------------------------------------------- */

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
/* The CPU time-stamp counter (invariant TSC assumed, as DPDK does). */
static inline uint64_t tw_rdtsc(void)
{
	return __rdtsc();
}
#else
/*
 * No TSC: CLOCK_MONOTONIC_RAW nanoseconds stand in as a 1 GHz counter.  It is
 * not slewed by NTP, like a TSC, so calibration and resync work unchanged.
 */
static inline uint64_t tw_rdtsc(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC_RAW, &t);
	return (uint64_t)t.tv_sec * TW_NS_PER_SEC + (uint64_t)t.tv_nsec;
}
#endif

typedef uint64_t (*tw_tsc_read_fn)(void);
typedef int (*tw_time_realtime_fn)(struct timespec *ts);

/* Fixed-point shift of tw_tsc_clock.mult. */
#define TW_TSC_SHIFT 32
/* Frequency uncertainty assumed for a caller-given hz until a resync measures it. */
#define TW_TSC_GIVEN_HZ_PPB 100000u
/* Offsets beyond this at resync are clock steps: re-anchor, don't slew. */
#define TW_TSC_STEP_NS 100000000ll
/* Largest rate correction a resync applies to absorb an offset (NTP's slew limit). */
#define TW_TSC_MAX_SLEW_PPM 500

struct tw_tsc_cfg {
	tw_tsc_read_fn read;          /* NULL: tw_rdtsc; DPDK passes rte_rdtsc */
	tw_time_realtime_fn realtime; /* NULL: clock_gettime(CLOCK_REALTIME) */
	uint64_t hz;                  /* 0: measure; else e.g. rte_get_tsc_hz() */
	uint32_t cal_ms;              /* calibration interval; 0: 100 ms */
	uint32_t resync_ms;           /* expected resync period, for err; 0: 1000 */
};

/*
 * Exposed so tw_tsc_to_ntp() inlines.  Single writer: resync must not run
 * concurrently with readers on another thread (publish a copy instead).
 */
struct tw_tsc_clock {
	/* hot: read by tw_tsc_to_ntp / tw_tsc_to_ts */
	uint64_t tsc0;   /* anchor counter value */
	uint64_t ntp0;   /* NTP time at tsc0 */
	uint64_t mult;   /* 2^-32 s per tick << TW_TSC_SHIFT (incl. slew correction) */
	uint32_t err_ns; /* tw_ts error: counter-vs-realtime + realtime-vs-UTC */
	bool synced;
	uint8_t pad[3];
	/* cold */
	tw_tsc_read_fn read;
	tw_time_realtime_fn realtime;
	uint64_t hz;           /* ticks per second of CLOCK_REALTIME */
	uint64_t freq_mult;    /* mult from hz alone (no slew correction) */
	uint64_t base_tsc;     /* start of the frequency baseline */
	int64_t base_ns;       /* realtime at base_tsc */
	uint32_t base_half_ns; /* half the read bracket at the baseline start */
	uint32_t half_ns;      /* half the read bracket of the latest pair */
	uint32_t freq_err_ppb; /* frequency uncertainty */
	uint32_t resync_ms;
	int64_t last_offset_ns; /* realtime - prediction at the last resync */
	uint64_t tsc_err_ns;    /* bound on counter-vs-realtime over a period */
	uint64_t sync_err_ns;   /* realtime-vs-UTC from tw_tsc_clock_set_sync */
	uint32_t steps;         /* resyncs that found a clock step */
};

/*
 * Calibrate against CLOCK_REALTIME (or cfg->realtime): each end of the
 * interval is a (counter, realtime) pair; the best of several tries, with
 * the smallest counter bracket around the clock read, bounds the read
 * error.  If cfg->hz is given there is no wait, only an anchor.  cfg may be
 * NULL.  TW_E_ARG for a frequency outside 1 MHz..100 GHz, TW_E_SYS if the
 * clock fails.
 */
enum tw_err tw_tsc_clock_init(struct tw_tsc_clock *c, const struct tw_tsc_cfg *cfg);

/*
 * Follow CLOCK_REALTIME (NTP slews it; the counter does not).  Measures the
 * offset of the prediction; re-estimates the frequency over the baseline
 * since init; re-anchors at the *predicted* time (no jump) and slews the
 * rate to absorb the offset over one resync period (at most 500 ppm).  An
 * offset beyond TW_TSC_STEP_NS is a step of the system clock: re-anchor on
 * it (one jump) and restart the baseline.  Call every cfg->resync_ms: a late
 * call lets the correction overshoot (at most 500 ppm x lateness), which
 * the next call measures and undoes, but tsc_err_ns assumes the period.
 */
enum tw_err tw_tsc_clock_resync(struct tw_tsc_clock *c);

/* Fold the system clock's UTC error and S bit (tw_time_sync_read) into err. */
void tw_tsc_clock_set_sync(struct tw_tsc_clock *c, const struct tw_sync *sync);

/* One read pair (for tests/diagnostics): counter midpoint, realtime, bracket. */
enum tw_err tw_tsc_read_pair(tw_tsc_read_fn read, tw_time_realtime_fn realtime, uint64_t *tsc,
                             int64_t *ns, uint64_t *bracket_ticks);

/* Counter value to NTP: one signed 64x64->128 multiply and a shift. */
static inline uint64_t tw_tsc_to_ntp(const struct tw_tsc_clock *c, uint64_t tsc)
{
	/* Signed delta: a counter read just before the anchor is still right. */
	int64_t d = (int64_t)(tsc - c->tsc0);
	return c->ntp0 + (uint64_t)(int64_t)(((__int128)d * (__int128)c->mult) >> TW_TSC_SHIFT);
}

static inline void tw_tsc_to_ts(const struct tw_tsc_clock *c, uint64_t tsc, struct tw_ts *out)
{
	out->ntp = tw_tsc_to_ntp(c, tsc);
	out->err_ns = c->err_ns;
	out->source = TW_TS_SRC_TSC;
	out->synced = c->synced;
	out->pad[0] = out->pad[1] = 0;
}

/* Ticks to ns and ns to ticks at the calibrated rate (TSC deadlines). */
uint64_t tw_tsc_ticks_to_ns(const struct tw_tsc_clock *c, uint64_t ticks);
uint64_t tw_tsc_ns_to_ticks(const struct tw_tsc_clock *c, uint64_t ns);

#endif
