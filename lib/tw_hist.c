/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_hist: log-linear histogram (see tw_hist.h for the layout and bounds).
 */
#include "tw_hist.h"

#include <math.h>
#include <string.h>

size_t tw_hist_buckets(unsigned sig_bits, unsigned max_bits)
{
	if (sig_bits < 1 || sig_bits > TW_HIST_SIG_BITS_MAX || max_bits <= sig_bits ||
	    max_bits > TW_HIST_MAX_BITS_MAX)
		return 0;
	/* top index = tw_hist_index(2^max_bits - 1) = ((max-1-S) << S) + 2^(S+1) - 1 */
	return (size_t)(max_bits - sig_bits + 1) << sig_bits;
}

void tw_hist_reset(struct tw_hist *h)
{
	memset(h->counts, 0, h->nbuckets * sizeof h->counts[0]);
	h->total = 0;
	h->clamped = 0;
	h->sum = 0;
	h->min = INT64_MAX;
	h->max = INT64_MIN;
}

enum tw_err tw_hist_init(struct tw_hist *h, unsigned sig_bits, unsigned max_bits, uint64_t *counts,
                         size_t n)
{
	size_t need = tw_hist_buckets(sig_bits, max_bits);
	if (!h || !counts || !need || n < need)
		return TW_E_ARG;
	h->counts = counts;
	h->nbuckets = (uint32_t)need;
	h->sig_bits = (uint8_t)sig_bits;
	h->max_bits = (uint8_t)max_bits;
	tw_hist_reset(h);
	return TW_OK;
}

int64_t tw_hist_min(const struct tw_hist *h)
{
	return h->total ? h->min : 0;
}

int64_t tw_hist_max(const struct tw_hist *h)
{
	return h->total ? h->max : 0;
}

double tw_hist_mean(const struct tw_hist *h)
{
	/* sum is kept modulo 2^64 so that merges stay exact; read it as signed */
	return h->total ? (double)(int64_t)h->sum / (double)h->total : 0.0;
}

void tw_hist_bounds(const struct tw_hist *h, uint32_t idx, int64_t *lo, int64_t *hi)
{
	unsigned s = h->sig_bits;
	if (idx < (UINT32_C(2) << s)) {
		*lo = *hi = idx;
		return;
	}
	unsigned shift = (idx >> s) - 1;
	uint64_t mant = idx - ((uint64_t)shift << s);
	*lo = (int64_t)(mant << shift);
	*hi = *lo + (int64_t)((UINT64_C(1) << shift) - 1);
}

int64_t tw_hist_value_at_rank(const struct tw_hist *h, uint64_t rank)
{
	if (!h->total)
		return 0;
	if (rank <= 1)
		return h->min;
	if (rank >= h->total)
		return h->max;
	uint64_t cum = 0;
	for (uint32_t i = 0; i < h->nbuckets; i++) {
		cum += h->counts[i];
		if (cum >= rank) {
			int64_t lo, hi;
			tw_hist_bounds(h, i, &lo, &hi);
			/* midpoint: at most half a bucket (2^-(S+1) relative) away */
			int64_t v = lo + (hi - lo) / 2;
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}

/* Nearest-rank definition: rank = ceil(p * n), at least 1. */
static uint64_t pct_rank(double pct, uint64_t n)
{
	if (!(pct > 0.0))
		return 1;
	if (pct >= 100.0)
		return n;
	double x = pct / 100.0 * (double)n;
	/* absorb the rounding of pct/100 (99.9/100*1000 must be rank 999) */
	double r = ceil(x - x * 1e-12);
	if (r < 1.0)
		return 1;
	if (r >= (double)n)
		return n;
	return (uint64_t)r;
}

int64_t tw_hist_percentile(const struct tw_hist *h, double pct)
{
	return tw_hist_value_at_rank(h, pct_rank(pct, h->total));
}

enum tw_err tw_hist_merge(struct tw_hist *dst, const struct tw_hist *src)
{
	if (dst->sig_bits != src->sig_bits || dst->max_bits != src->max_bits)
		return TW_E_ARG;
	if (!src->total)
		return TW_OK;
	for (uint32_t i = 0; i < dst->nbuckets; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	dst->clamped += src->clamped;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	return TW_OK;
}

bool tw_hist_next(const struct tw_hist *h, struct tw_hist_iter *it, struct tw_hist_bucket *b)
{
	while (it->idx < h->nbuckets) {
		uint32_t i = it->idx++;
		if (!h->counts[i])
			continue;
		it->cum += h->counts[i];
		tw_hist_bounds(h, i, &b->lo, &b->hi);
		b->count = h->counts[i];
		b->cumulative = it->cum;
		return true;
	}
	return false;
}

/* ---- signed ---- */

enum tw_err tw_shist_init(struct tw_shist *s, unsigned sig_bits, unsigned max_bits,
                          uint64_t *counts, size_t n)
{
	size_t one = tw_hist_buckets(sig_bits, max_bits);
	if (!s || !one || n < 2 * one)
		return TW_E_ARG;
	enum tw_err e = tw_hist_init(&s->neg, sig_bits, max_bits, counts, one);
	if (e == TW_OK)
		e = tw_hist_init(&s->pos, sig_bits, max_bits, counts + one, one);
	return e;
}

void tw_shist_reset(struct tw_shist *s)
{
	tw_hist_reset(&s->neg);
	tw_hist_reset(&s->pos);
}

int64_t tw_shist_min(const struct tw_shist *s)
{
	return s->neg.total ? -s->neg.max : tw_hist_min(&s->pos);
}

int64_t tw_shist_max(const struct tw_shist *s)
{
	return s->pos.total ? s->pos.max : -tw_hist_min(&s->neg);
}

double tw_shist_mean(const struct tw_shist *s)
{
	uint64_t n = tw_shist_count(s);
	if (!n)
		return 0.0;
	return ((double)(int64_t)s->pos.sum - (double)(int64_t)s->neg.sum) / (double)n;
}

int64_t tw_shist_value_at_rank(const struct tw_shist *s, uint64_t rank)
{
	uint64_t nn = s->neg.total;
	if (rank < 1)
		rank = 1;
	if (rank <= nn) /* the rank-th smallest is the (nn-rank+1)-th largest magnitude */
		return -tw_hist_value_at_rank(&s->neg, nn - rank + 1);
	return tw_hist_value_at_rank(&s->pos, rank - nn);
}

int64_t tw_shist_percentile(const struct tw_shist *s, double pct)
{
	uint64_t n = tw_shist_count(s);
	if (!n)
		return 0;
	return tw_shist_value_at_rank(s, pct_rank(pct, n));
}

enum tw_err tw_shist_merge(struct tw_shist *dst, const struct tw_shist *src)
{
	enum tw_err e = tw_hist_merge(&dst->neg, &src->neg);
	if (e == TW_OK)
		e = tw_hist_merge(&dst->pos, &src->pos);
	return e;
}

bool tw_shist_next(const struct tw_shist *s, struct tw_hist_iter *it, struct tw_hist_bucket *b)
{
	if (it->half == 0) {
		/* negative half walks magnitudes downwards: index nbuckets-1 .. 0 */
		while (it->idx < s->neg.nbuckets) {
			uint32_t i = s->neg.nbuckets - 1 - it->idx++;
			uint64_t c = s->neg.counts[i];
			if (!c)
				continue;
			int64_t lo, hi;
			tw_hist_bounds(&s->neg, i, &lo, &hi);
			it->cum += c;
			b->lo = -hi;
			b->hi = -lo;
			b->count = c;
			b->cumulative = it->cum;
			return true;
		}
		it->half = 1;
		it->idx = 0;
	}
	return tw_hist_next(&s->pos, it, b);
}
