/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_time: NTP/PTP timestamps, Error Estimate, system sync state, TSC clock.
 * See tw_time.h for the contracts; comments here say why.
 */
#include "tw_time.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/timex.h>

/* Best-of-N (counter, realtime) pairs: enough to dodge one preemption. */
#define TW_TSC_PAIR_TRIES 9

/* Baselines shorter than this give a worse frequency than the one we have. */
#define TW_TSC_MIN_BASE_NS (10 * 1000 * 1000ll)

/* ---------------------------------------------------------------------- */
/* NTP                                                                     */
/* ---------------------------------------------------------------------- */

static int64_t floor_div_sec(int64_t ns, int64_t *rem)
{
	int64_t sec = ns / (int64_t)TW_NS_PER_SEC;
	int64_t r = ns % (int64_t)TW_NS_PER_SEC;
	if (r < 0) {
		r += (int64_t)TW_NS_PER_SEC;
		sec--;
	}
	*rem = r;
	return sec;
}

/*
 * Unix seconds of the NTP seconds field sec32 in the era closest to ref_ns
 * (RFC 5905 §6: eras are 2^32 s; within +-2^31 s of the reference the
 * choice is unique).
 */
static int64_t era_unix_sec(uint32_t sec32, int64_t ref_ns)
{
	int64_t rem;
	int64_t ref_ntp = floor_div_sec(ref_ns, &rem) + (int64_t)TW_NTP_UNIX_OFFSET;
	int64_t full = ref_ntp + (int32_t)(sec32 - (uint32_t)ref_ntp);
	return full - (int64_t)TW_NTP_UNIX_OFFSET;
}

uint64_t tw_ntp_from_timespec(const struct timespec *ts)
{
	int64_t rem;
	int64_t sec = (int64_t)ts->tv_sec + floor_div_sec((int64_t)ts->tv_nsec, &rem);
	uint32_t s = (uint32_t)((uint64_t)sec + TW_NTP_UNIX_OFFSET);
	return (uint64_t)s << 32 | tw_ntp_frac_from_ns((uint32_t)rem);
}

static int64_t sec_ns_sat(int64_t sec, int64_t nsec)
{
	int64_t r;
	if (__builtin_mul_overflow(sec, (int64_t)TW_NS_PER_SEC, &r) ||
	    __builtin_add_overflow(r, nsec, &r))
		return sec < 0 ? INT64_MIN : INT64_MAX;
	return r;
}

int64_t tw_ntp_to_unix_ns(uint64_t ntp, int64_t ref_ns)
{
	int64_t sec = era_unix_sec((uint32_t)(ntp >> 32), ref_ns);
	return sec_ns_sat(sec, tw_ntp_frac_to_ns((uint32_t)ntp));
}

void tw_ntp_to_timespec(uint64_t ntp, int64_t ref_ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)era_unix_sec((uint32_t)(ntp >> 32), ref_ns);
	ts->tv_nsec = (long)tw_ntp_frac_to_ns((uint32_t)ntp);
}

uint64_t tw_ntp_dur_from_ns(uint64_t ns)
{
	uint64_t sec = ns / TW_NS_PER_SEC;
	if (sec > UINT32_MAX)
		return UINT64_MAX;
	return sec << 32 | tw_ntp_frac_from_ns((uint32_t)(ns % TW_NS_PER_SEC));
}

uint64_t tw_ntp_dur_to_ns(uint64_t dur)
{
	return (dur >> 32) * TW_NS_PER_SEC + tw_ntp_frac_to_ns((uint32_t)dur);
}

/* ---------------------------------------------------------------------- */
/* PTP                                                                     */
/* ---------------------------------------------------------------------- */

enum tw_err tw_time_ptp_to_unix_ns(uint64_t ptp, int64_t ref_ns, int64_t *ns)
{
	uint32_t nsec = (uint32_t)ptp;
	if (nsec >= TW_NS_PER_SEC)
		return TW_E_FIELD;
	/* PTP seconds wrap in 2106: the same closest-era rule, epoch 1970. */
	int64_t rem;
	int64_t ref_sec = floor_div_sec(ref_ns, &rem);
	int64_t sec = ref_sec + (int32_t)((uint32_t)(ptp >> 32) - (uint32_t)ref_sec);
	*ns = sec_ns_sat(sec, nsec);
	return TW_OK;
}

/* ---------------------------------------------------------------------- */
/* Error Estimate                                                          */
/* ---------------------------------------------------------------------- */

enum tw_err tw_errest_decode(uint16_t e, uint64_t *err_ns)
{
	unsigned mult = e & TW_ERREST_MULT_MASK;
	unsigned scale = (e & TW_ERREST_SCALE_MASK) >> 8;
	if (mult == 0)
		return TW_E_ERREST;
	/* error = mult * 2^(scale-32) s; in ns, rounded up because it is a bound. */
	unsigned __int128 x = (unsigned __int128)mult * TW_NS_PER_SEC;
	if (scale >= 32) {
		x <<= scale - 32; /* mult*1e9 < 2^38, scale-32 <= 31: fits 128 bits */
	} else {
		unsigned sh = 32 - scale;
		x = (x + (((unsigned __int128)1 << sh) - 1)) >> sh;
	}
	*err_ns = x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
	return TW_OK;
}

/* ---------------------------------------------------------------------- */
/* System clock sync state                                                 */
/* ---------------------------------------------------------------------- */

static uint64_t us_to_ns_cap(long us)
{
	if (us < 0 || (unsigned long)us >= TW_SYNC_ERR_CAP_NS / 1000)
		return TW_SYNC_ERR_CAP_NS;
	return (uint64_t)us * 1000;
}

void tw_time_sync_from_timex(int state, const struct timex *tx, struct tw_sync *out)
{
	memset(out, 0, sizeof(*out));
	out->state = state;
	if (state < 0 || !tx) {
		out->maxerror_ns = out->esterror_ns = out->err_ns = TW_SYNC_ERR_CAP_NS;
		return;
	}
	/*
	 * RFC 4656 §4.1.2: S is set only if the clock is synchronised to UTC
	 * by an external source.  The kernel says so by clearing STA_UNSYNC
	 * and not returning TIME_ERROR (which also covers maxerror reaching
	 * NTP_PHASE_LIMIT).  maxerror/esterror are in microseconds regardless
	 * of STA_NANO (that flag only changes the offset's unit).
	 */
	out->synced = state != TIME_ERROR && !(tx->status & STA_UNSYNC);
	out->maxerror_ns = us_to_ns_cap(tx->maxerror);
	out->esterror_ns = us_to_ns_cap(tx->esterror);
	/* A bound is what the Error Estimate promises, so maxerror, not esterror. */
	out->err_ns = out->maxerror_ns;
}

enum tw_err tw_time_sync_read(struct tw_sync *out)
{
	struct timex tx;
	memset(&tx, 0, sizeof(tx)); /* modes = 0: read only */
	int st = adjtimex(&tx);
	int saved = errno;
	tw_time_sync_from_timex(st, st < 0 ? NULL : &tx, out);
	if (st < 0) {
		errno = saved;
		return TW_E_SYS;
	}
	return TW_OK;
}

int64_t tw_time_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * (int64_t)TW_NS_PER_SEC + t.tv_nsec;
}

static uint32_t err_to_u32(uint64_t e)
{
	return e >= TW_TS_ERR_UNKNOWN ? TW_TS_ERR_UNKNOWN : (uint32_t)e;
}

void tw_time_now_ts(const struct tw_sync *sync, struct tw_ts *out)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	memset(out, 0, sizeof(*out));
	out->ntp = tw_ntp_from_timespec(&t);
	out->source = TW_TS_SRC_SYSTEM;
	out->synced = sync ? sync->synced : false;
	/* +1 ns: the clock's own resolution (clock_getres is 1 ns on Linux). */
	out->err_ns = sync ? err_to_u32(sync->err_ns + 1) : TW_TS_ERR_UNKNOWN;
}

/* ---------------------------------------------------------------------- */
/* TSC clock                                                               */
/* ---------------------------------------------------------------------- */

static uint64_t default_read(void)
{
	return tw_rdtsc();
}

static int default_realtime(struct timespec *ts)
{
	return clock_gettime(CLOCK_REALTIME, ts);
}

enum tw_err tw_tsc_read_pair(tw_tsc_read_fn read, tw_time_realtime_fn realtime, uint64_t *tsc,
                             int64_t *ns, uint64_t *bracket_ticks)
{
	uint64_t best = UINT64_MAX;
	if (!read)
		read = default_read;
	if (!realtime)
		realtime = default_realtime;
	for (int i = 0; i < TW_TSC_PAIR_TRIES; i++) {
		struct timespec t;
		uint64_t a = read();
		if (realtime(&t) != 0)
			return TW_E_SYS;
		uint64_t b = read();
		/*
		 * The clock was read somewhere in [a, b]: taking the midpoint
		 * leaves at most half the bracket of error, so the narrowest
		 * bracket (no interrupt or vCPU preemption inside) wins.
		 */
		if (b >= a && b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = (int64_t)t.tv_sec * (int64_t)TW_NS_PER_SEC + t.tv_nsec;
		}
	}
	if (best == UINT64_MAX)
		return TW_E_SYS; /* counter went backwards every time */
	*bracket_ticks = best;
	return TW_OK;
}

static uint64_t ticks_ns_ceil(uint64_t ticks, uint64_t hz)
{
	unsigned __int128 x = (unsigned __int128)ticks * TW_NS_PER_SEC + hz - 1;
	x /= hz;
	return x > UINT32_MAX ? UINT32_MAX : (uint64_t)x;
}

/* 2^-32 s per tick, << 32: 2^64 / hz.  hz >= 1 MHz keeps it in 64 bits. */
static uint64_t mult_from_hz(uint64_t hz)
{
	return (uint64_t)(((unsigned __int128)1 << 64) / hz);
}

static bool hz_ok(uint64_t hz)
{
	return hz >= 1000000ull && hz <= 100000000000ull;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static void update_err(struct tw_tsc_clock *c)
{
	/*
	 * Counter-vs-realtime over one resync period: the anchor pair's read
	 * error, the offset the last resync still had to absorb (we re-anchor
	 * on the prediction, not on the reading, to avoid a jump), and the
	 * frequency uncertainty accumulated over the period.  +1 ns for the
	 * fixed-point and fraction rounding.
	 */
	uint64_t off = (uint64_t)(c->last_offset_ns < 0 ? -c->last_offset_ns : c->last_offset_ns);
	uint64_t drift = (uint64_t)c->freq_err_ppb * c->resync_ms / 1000u; /* ppb*ms/1000 = ns */
	c->tsc_err_ns = (uint64_t)c->half_ns + off + drift + 1;
	c->err_ns = err_to_u32(add_sat(c->tsc_err_ns, c->sync_err_ns));
}

static void sleep_ms(uint32_t ms)
{
	struct timespec req = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&req, &req) != 0 && errno == EINTR)
		;
}

enum tw_err tw_tsc_clock_init(struct tw_tsc_clock *c, const struct tw_tsc_cfg *cfg)
{
	static const struct tw_tsc_cfg defaults;
	enum tw_err e;
	uint64_t t0, t1, b0, b1;
	int64_t n0, n1;

	if (!c)
		return TW_E_ARG;
	if (!cfg)
		cfg = &defaults;
	memset(c, 0, sizeof(*c));
	c->read = cfg->read ? cfg->read : default_read;
	c->realtime = cfg->realtime ? cfg->realtime : default_realtime;
	c->resync_ms = cfg->resync_ms ? cfg->resync_ms : 1000;
	c->sync_err_ns = UINT64_MAX; /* unknown until tw_tsc_clock_set_sync */

	if ((e = tw_tsc_read_pair(c->read, c->realtime, &t0, &n0, &b0)) != TW_OK)
		return e;
	if (cfg->hz) {
		/*
		 * DPDK's rte_get_tsc_hz() is a nominal figure (CPUID or its own
		 * short calibration), not measured against UTC: assume a loose
		 * tolerance until resync has measured the real rate.
		 */
		if (!hz_ok(cfg->hz))
			return TW_E_ARG;
		c->hz = cfg->hz;
		c->freq_err_ppb = TW_TSC_GIVEN_HZ_PPB;
		t1 = t0, n1 = n0, b1 = b0;
	} else {
		sleep_ms(cfg->cal_ms ? cfg->cal_ms : 100);
		if ((e = tw_tsc_read_pair(c->read, c->realtime, &t1, &n1, &b1)) != TW_OK)
			return e;
		if (n1 <= n0 || t1 <= t0)
			return TW_E_SYS; /* clock stepped back during calibration */
		unsigned __int128 hz =
		    (unsigned __int128)(t1 - t0) * TW_NS_PER_SEC / (uint64_t)(n1 - n0);
		if (hz > UINT64_MAX || !hz_ok((uint64_t)hz))
			return TW_E_ARG;
		c->hz = (uint64_t)hz;
		/* Each end is uncertain by half its bracket, over n1 - n0. */
		uint64_t h = ticks_ns_ceil(b0 / 2 + 1, c->hz) + ticks_ns_ceil(b1 / 2 + 1, c->hz);
		uint64_t ppb = h * TW_NS_PER_SEC / (uint64_t)(n1 - n0) + 1;
		c->freq_err_ppb = ppb > UINT32_MAX ? UINT32_MAX : (uint32_t)ppb;
	}
	c->base_tsc = t0;
	c->base_ns = n0;
	c->base_half_ns = (uint32_t)ticks_ns_ceil(b0 / 2 + 1, c->hz);
	c->half_ns = (uint32_t)ticks_ns_ceil(b1 / 2 + 1, c->hz);
	c->freq_mult = c->mult = mult_from_hz(c->hz);
	c->tsc0 = t1;
	c->ntp0 = tw_ntp_from_unix_ns(n1);
	update_err(c);
	return TW_OK;
}

enum tw_err tw_tsc_clock_resync(struct tw_tsc_clock *c)
{
	uint64_t t, b;
	int64_t n;
	enum tw_err e = tw_tsc_read_pair(c->read, c->realtime, &t, &n, &b);
	if (e != TW_OK)
		return e;
	uint32_t half = (uint32_t)ticks_ns_ceil(b / 2 + 1, c->hz);
	uint64_t pred = tw_tsc_to_ntp(c, t);
	uint64_t real = tw_ntp_from_unix_ns(n);
	int64_t off = tw_ntp_diff_ns(real, pred);

	if (off > TW_TSC_STEP_NS || off < -TW_TSC_STEP_NS) {
		/*
		 * settimeofday or an NTP step: slewing would take hours, so
		 * take the one jump the system clock took, and restart the
		 * frequency baseline (it spans the step).
		 */
		c->steps++;
		c->tsc0 = t;
		c->ntp0 = real;
		c->mult = c->freq_mult;
		c->base_tsc = t;
		c->base_ns = n;
		c->base_half_ns = half;
		c->half_ns = half;
		c->last_offset_ns = 0;
		update_err(c);
		return TW_OK;
	}

	/*
	 * Frequency: the counter does not slew, CLOCK_REALTIME does (NTP), so
	 * the rate that matters is realtime's average over the longest
	 * baseline we have; its error is the two half-brackets over it.
	 */
	int64_t dns = n - c->base_ns;
	if (dns >= TW_TSC_MIN_BASE_NS && t > c->base_tsc) {
		unsigned __int128 hz =
		    (unsigned __int128)(t - c->base_tsc) * TW_NS_PER_SEC / (uint64_t)dns;
		uint64_t ppb =
		    ((uint64_t)c->base_half_ns + half) * TW_NS_PER_SEC / (uint64_t)dns + 1;
		if (hz <= UINT64_MAX && hz_ok((uint64_t)hz) && ppb < c->freq_err_ppb) {
			c->hz = (uint64_t)hz;
			c->freq_mult = mult_from_hz(c->hz);
			c->freq_err_ppb = (uint32_t)ppb;
		}
	}

	/*
	 * Phase: re-anchor on the prediction so time never jumps, and run a
	 * little fast or slow for one period to absorb the offset.  Bounded
	 * at NTP's own slew limit so the rate stays sane (and monotonic).
	 */
	__int128 corr = (__int128)c->freq_mult * off / ((__int128)c->resync_ms * 1000000);
	__int128 lim = (__int128)c->freq_mult * TW_TSC_MAX_SLEW_PPM / 1000000;
	if (corr > lim)
		corr = lim;
	if (corr < -lim)
		corr = -lim;
	c->tsc0 = t;
	c->ntp0 = pred;
	c->mult = (uint64_t)((__int128)c->freq_mult + corr);
	c->half_ns = half;
	c->last_offset_ns = off;
	update_err(c);
	return TW_OK;
}

void tw_tsc_clock_set_sync(struct tw_tsc_clock *c, const struct tw_sync *sync)
{
	c->synced = sync->synced;
	c->sync_err_ns = sync->err_ns;
	update_err(c);
}

uint64_t tw_tsc_ticks_to_ns(const struct tw_tsc_clock *c, uint64_t ticks)
{
	unsigned __int128 x = (unsigned __int128)ticks * TW_NS_PER_SEC / c->hz;
	return x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
}

uint64_t tw_tsc_ns_to_ticks(const struct tw_tsc_clock *c, uint64_t ns)
{
	unsigned __int128 x = (unsigned __int128)ns * c->hz / TW_NS_PER_SEC;
	return x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
}
