/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_hist: HDR-style log-linear histogram of int64 nanosecond values.
 *
 * Layout: with S significant bits, values below 2^(S+1) get one bucket each;
 * above, every power-of-two range [2^h, 2^(h+1)) is split into 2^S equal
 * buckets.  A bucket's width is therefore at most 2^-S of its lower bound,
 * and a percentile (reported as the bucket midpoint, clamped to the exact
 * min/max) is within 2^-(S+1) of the exact sample value.
 *
 * Memory is fixed at init: the caller provides the bucket array
 * (tw_hist_buckets() entries); recording never allocates.  Values at or above
 * 2^max_bits are clamped into the top bucket and counted in `clamped`
 * (min/max/sum stay exact).  Two histograms merge only if their (S, max_bits)
 * are equal, which makes per-lcore histograms addable.
 *
 * tw_hist takes non-negative values: a negative value is recorded as 0 and
 * counted in `clamped`.  For signed quantities (IPDV, one-way delay between
 * offset clocks) use struct tw_shist: two tw_hist, one for magnitudes of
 * negative values and one for values >= 0, queried as one distribution.
 */
#ifndef TW_HIST_H
#define TW_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_err.h"

#define TW_HIST_SIG_BITS_MAX 14
#define TW_HIST_MAX_BITS_MAX 63

struct tw_hist {
	uint64_t *counts; /* caller storage, nbuckets entries */
	uint32_t nbuckets;
	uint8_t sig_bits; /* S */
	uint8_t max_bits; /* values >= 2^max_bits are clamped */
	uint64_t total;   /* values recorded */
	uint64_t clamped; /* values outside [0, 2^max_bits) */
	uint64_t sum;     /* exact sum (wraps after 1.8e19 ns total) */
	int64_t min, max; /* exact; INT64_MAX / INT64_MIN when empty */
};

/* One non-empty bucket, for export: values in [lo, hi] (inclusive). */
struct tw_hist_bucket {
	int64_t lo, hi;
	uint64_t count;
	uint64_t cumulative; /* values <= hi: an OpenMetrics "le" bucket */
};

struct tw_hist_iter {
	uint32_t idx;
	uint64_t cum;
	uint8_t half; /* tw_shist: 0 = negative half, 1 = non-negative half */
};

/* Entries of storage needed for (sig_bits, max_bits); 0 if invalid. */
size_t tw_hist_buckets(unsigned sig_bits, unsigned max_bits);
/* Bind storage (n >= tw_hist_buckets()) and reset.  TW_E_ARG if invalid. */
enum tw_err tw_hist_init(struct tw_hist *h, unsigned sig_bits, unsigned max_bits, uint64_t *counts,
                         size_t n);
void tw_hist_reset(struct tw_hist *h);

/* Bucket index of v (v already clamped to [0, 2^max_bits)). */
static inline uint32_t tw_hist_index(unsigned sig_bits, uint64_t v)
{
	unsigned msb = 63u - (unsigned)__builtin_clzll(v | 1);
	unsigned shift = msb > sig_bits ? msb - sig_bits : 0;
	return (uint32_t)(((uint64_t)shift << sig_bits) + (v >> shift));
}

static inline void tw_hist_record_n(struct tw_hist *h, int64_t v, uint64_t n)
{
	uint64_t u = (uint64_t)v;
	if (v < 0) {
		u = 0;
		h->clamped += n;
	} else if (u >> h->max_bits) {
		u = (UINT64_C(1) << h->max_bits) - 1;
		h->clamped += n;
	}
	h->counts[tw_hist_index(h->sig_bits, u)] += n;
	h->total += n;
	h->sum += (uint64_t)v * n;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

static inline void tw_hist_record(struct tw_hist *h, int64_t v)
{
	tw_hist_record_n(h, v, 1);
}

static inline uint64_t tw_hist_count(const struct tw_hist *h)
{
	return h->total;
}
/* Exact min / max / mean; 0 when empty. */
int64_t tw_hist_min(const struct tw_hist *h);
int64_t tw_hist_max(const struct tw_hist *h);
double tw_hist_mean(const struct tw_hist *h);
/* Value of the rank-th smallest sample (1-based), within the error bound. */
int64_t tw_hist_value_at_rank(const struct tw_hist *h, uint64_t rank);
/* Percentile, pct in [0, 100] (99.9 = p99.9): the sample of rank
 * ceil(pct/100 * count) (nearest-rank); 0 = min, 100 = max exactly. */
int64_t tw_hist_percentile(const struct tw_hist *h, double pct);
/* dst += src; TW_E_ARG unless both have the same sig_bits and max_bits. */
enum tw_err tw_hist_merge(struct tw_hist *dst, const struct tw_hist *src);
/* Bucket bounds of an index. */
void tw_hist_bounds(const struct tw_hist *h, uint32_t idx, int64_t *lo, int64_t *hi);
/* Iterate non-empty buckets in ascending order; it zero-initialised. */
bool tw_hist_next(const struct tw_hist *h, struct tw_hist_iter *it, struct tw_hist_bucket *b);

/*
 * Signed histogram: neg holds |v| for v < 0, pos holds v >= 0.  Storage is
 * 2 * tw_hist_buckets() entries.  The same error bound applies to |v|.
 */
struct tw_shist {
	struct tw_hist neg, pos;
};

enum tw_err tw_shist_init(struct tw_shist *s, unsigned sig_bits, unsigned max_bits,
                          uint64_t *counts, size_t n);
void tw_shist_reset(struct tw_shist *s);

static inline void tw_shist_record(struct tw_shist *s, int64_t v)
{
	if (v < 0)
		tw_hist_record(&s->neg, v == INT64_MIN ? INT64_MAX : -v);
	else
		tw_hist_record(&s->pos, v);
}

static inline uint64_t tw_shist_count(const struct tw_shist *s)
{
	return s->neg.total + s->pos.total;
}
int64_t tw_shist_min(const struct tw_shist *s);
int64_t tw_shist_max(const struct tw_shist *s);
double tw_shist_mean(const struct tw_shist *s);
int64_t tw_shist_value_at_rank(const struct tw_shist *s, uint64_t rank);
int64_t tw_shist_percentile(const struct tw_shist *s, double pct);
enum tw_err tw_shist_merge(struct tw_shist *dst, const struct tw_shist *src);
/* Ascending over negative then non-negative values; lo/hi are signed. */
bool tw_shist_next(const struct tw_shist *s, struct tw_hist_iter *it, struct tw_hist_bucket *b);

#endif
