/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_stats: per-session TWAMP metrics (wire reference §7).  See tw_stats.h
 * for inputs, windows and memory.
 */
#include "tw_stats.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#define WMASK ((int64_t)TW_STATS_SEQ_WINDOW - 1)
#define HMASK (TW_STATS_HISTORY - 1)

_Static_assert((TW_STATS_SEQ_WINDOW & (TW_STATS_SEQ_WINDOW - 1)) == 0 && TW_STATS_SEQ_WINDOW >= 64,
               "window must be a power of two >= 64");
_Static_assert((TW_STATS_HISTORY & (TW_STATS_HISTORY - 1)) == 0, "history power of two");

/* ---- small helpers ---- */

static inline bool bit_get(const uint64_t *b, int64_t i)
{
	uint64_t k = (uint64_t)(i & WMASK);
	return (b[k >> 6] >> (k & 63)) & 1;
}

static inline void bit_put(uint64_t *b, int64_t i, bool v)
{
	uint64_t k = (uint64_t)(i & WMASK);
	uint64_t m = UINT64_C(1) << (k & 63);
	if (v)
		b[k >> 6] |= m;
	else
		b[k >> 6] &= ~m;
}

/* Serial-number extension: the 64-bit value nearest to ref with these low 32 bits. */
static inline int64_t seq_ext(int64_t ref, uint32_t v)
{
	return ref + (int32_t)(v - (uint32_t)ref);
}

/* Error bounds can be "unknown" (saturated to INT64_MAX by the caller):
 * sums must saturate rather than wrap into nonsense. */
static inline int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static inline void mm_add(struct tw_stats_mm *m, int64_t v)
{
	if (!m->n || v < m->min)
		m->min = v;
	if (!m->n || v > m->max)
		m->max = v;
	m->n++;
	m->sum = sat_add(m->sum, v);
}

static void mm_merge(struct tw_stats_mm *d, const struct tw_stats_mm *s)
{
	if (!s->n)
		return;
	if (!d->n || s->min < d->min)
		d->min = s->min;
	if (!d->n || s->max > d->max)
		d->max = s->max;
	d->n += s->n;
	d->sum = sat_add(d->sum, s->sum);
}


static inline int64_t abs64(int64_t v)
{
	return v < 0 ? (v == INT64_MIN ? INT64_MAX : -v) : v;
}

/* ---- accumulator ---- */

void tw_stats_acc_reset(struct tw_stats_acc *a)
{
	memset(a, 0, offsetof(struct tw_stats_acc, rtt));
	const size_t nb = TW_STATS_HIST_BUCKETS;
	const unsigned s = TW_STATS_HIST_SIG_BITS, m = TW_STATS_HIST_MAX_BITS;
	/* cannot fail: sizes are compile-time constants checked by the build */
	(void)tw_hist_init(&a->rtt, s, m, a->counts, nb);
	(void)tw_shist_init(&a->fwd, s, m, a->counts + nb, 2 * nb);
	(void)tw_shist_init(&a->bwd, s, m, a->counts + 3 * nb, 2 * nb);
	(void)tw_shist_init(&a->ipdv, s, m, a->counts + 5 * nb, 2 * nb);
}

static void hist_repoint(struct tw_stats_acc *a)
{
	const size_t nb = TW_STATS_HIST_BUCKETS;
	a->rtt.counts = a->counts;
	a->fwd.neg.counts = a->counts + nb;
	a->fwd.pos.counts = a->counts + 2 * nb;
	a->bwd.neg.counts = a->counts + 3 * nb;
	a->bwd.pos.counts = a->counts + 4 * nb;
	a->ipdv.neg.counts = a->counts + 5 * nb;
	a->ipdv.pos.counts = a->counts + 6 * nb;
}

void tw_stats_acc_copy(struct tw_stats_acc *dst, const struct tw_stats_acc *src)
{
	if (dst == src)
		return;
	memcpy(dst, src, sizeof *dst);
	hist_repoint(dst);
}

/*
 * RFC 7750 DSCP and ECN monitoring, per direction.  Forward: what the
 * Session-Reflector received (its Sender DSCP and ECN field) against what we
 * sent.  Backward: the reply as received here against the DSCP we asked the
 * reflector to use (the Type-P DSCP, RFC 5357 §3.5, is the same as ours).
 * ECN (RFC 3168 §5): ECT(0) or ECT(1) turned into CE is a congestion mark;
 * any other change (ECT bleached to Not-ECT, a Not-ECT packet marked) is
 * counted apart, as it means a box on the path rewrites the field.
 */
static void tos_add(struct tw_stats_tos *t, const struct tw_stats_reply *rp)
{
	uint8_t tx_ecn = rp->tos_tx & 3u;
	bool ect = tx_ecn == 1 || tx_ecn == 2;
	t->tx = rp->tos_tx;
	if (rp->tos_known & TW_STATS_TOS_FWD) {
		uint8_t ecn = rp->tos_fwd & 3u;
		t->fwd_n++;
		t->fwd_last = rp->tos_fwd;
		t->fwd_dscp_changed += (rp->tos_fwd >> 2) != (rp->tos_tx >> 2);
		if (ect && ecn == 3)
			t->fwd_ce++;
		else if (ecn != tx_ecn)
			t->fwd_ecn_other++;
	}
	if (rp->tos_known & TW_STATS_TOS_BWD) {
		t->bwd_n++;
		t->bwd_last = rp->tos_bwd;
		t->bwd_dscp_changed += (rp->tos_bwd >> 2) != (rp->tos_tx >> 2);
		t->bwd_ce += (rp->tos_bwd & 3u) == 3;
	}
}

static void tos_merge(struct tw_stats_tos *d, const struct tw_stats_tos *s)
{
	if (s->fwd_n) {
		d->fwd_last = s->fwd_last;
		d->tx = s->tx;
	}
	if (s->bwd_n) {
		d->bwd_last = s->bwd_last;
		d->tx = s->tx;
	}
	d->fwd_n += s->fwd_n;
	d->fwd_dscp_changed += s->fwd_dscp_changed;
	d->fwd_ce += s->fwd_ce;
	d->fwd_ecn_other += s->fwd_ecn_other;
	d->bwd_n += s->bwd_n;
	d->bwd_dscp_changed += s->bwd_dscp_changed;
	d->bwd_ce += s->bwd_ce;
}

void tw_stats_acc_merge(struct tw_stats_acc *d, const struct tw_stats_acc *s)
{
	tos_merge(&d->tos, &s->tos);
	d->sent += s->sent;
	d->settled += s->settled;
	d->received += s->received;
	d->lost += s->lost;
	d->lost_fwd += s->lost_fwd;
	d->late += s->late;
	d->forced += s->forced;
	d->unknown += s->unknown;
	d->too_old += s->too_old;
	d->refl_too_old += s->refl_too_old;
	d->dup_fwd += s->dup_fwd;
	d->dup_bwd += s->dup_bwd;
	d->evaluated += s->evaluated;
	d->reord_fwd += s->reord_fwd;
	d->reord_bwd += s->reord_bwd;
	d->unsync += s->unsync;
	mm_merge(&d->ext_fwd, &s->ext_fwd);
	mm_merge(&d->ext_bwd, &s->ext_bwd);
	mm_merge(&d->dwell, &s->dwell);
	mm_merge(&d->rtt_err, &s->rtt_err);
	mm_merge(&d->fwd_err, &s->fwd_err);
	mm_merge(&d->bwd_err, &s->bwd_err);
	mm_merge(&d->ipdv_fwd, &s->ipdv_fwd);
	mm_merge(&d->ipdv_bwd, &s->ipdv_bwd);
	mm_merge(&d->hops_fwd, &s->hops_fwd);
	mm_merge(&d->hops_bwd, &s->hops_bwd);
	/* same compile-time configuration on both sides: cannot fail */
	(void)tw_hist_merge(&d->rtt, &s->rtt);
	(void)tw_shist_merge(&d->fwd, &s->fwd);
	(void)tw_shist_merge(&d->bwd, &s->bwd);
	(void)tw_shist_merge(&d->ipdv, &s->ipdv);
}

/* ---- session ---- */

enum tw_err tw_stats_init(struct tw_stats *st, const struct tw_stats_config *cfg)
{
	if (!st || !cfg || cfg->loss_timeout_ns <= 0)
		return TW_E_ARG;
	for (int k = 0; k < TW_STATS_THR__COUNT; k++)
		if (cfg->thr[k].raise > 0 && cfg->thr[k].clear > cfg->thr[k].raise)
			return TW_E_ARG;
	memset(st, 0, offsetof(struct tw_stats, total));
	st->cfg = *cfg;
	for (int i = 0; i < TW_STATS_HISTORY; i++)
		st->dly[i].s = INT64_MIN; /* no seq: s - 1 is never INT64_MIN */
	tw_stats_acc_reset(&st->total);
	tw_stats_acc_reset(&st->interval);
	return TW_OK;
}

static void ev_push(struct tw_stats *st, enum tw_stats_thr_kind k, bool up, int64_t v, uint32_t seq)
{
	if (st->ev_len == TW_STATS_EVENT_CAP) {
		st->ev_dropped++;
		return;
	}
	struct tw_stats_event *e = &st->ev[(st->ev_head + st->ev_len++) % TW_STATS_EVENT_CAP];
	e->kind = k;
	e->raised = up;
	e->value = v;
	e->seq = seq;
}

bool tw_stats_event_pop(struct tw_stats *st, struct tw_stats_event *ev)
{
	if (!st->ev_len)
		return false;
	*ev = st->ev[st->ev_head];
	st->ev_head = (st->ev_head + 1) % TW_STATS_EVENT_CAP;
	st->ev_len--;
	return true;
}

static inline void thr_check(struct tw_stats *st, enum tw_stats_thr_kind k, int64_t v, uint32_t seq)
{
	const struct tw_stats_thr *t = &st->cfg.thr[k];
	if (t->raise <= 0)
		return;
	if (!st->thr_up[k] && v >= t->raise) {
		st->thr_up[k] = true;
		ev_push(st, k, true, v, seq);
	} else if (st->thr_up[k] && v <= t->clear) {
		st->thr_up[k] = false;
		ev_push(st, k, false, v, seq);
	}
}

/* Both accumulators get every count. */
#define BOTH(expr)                                                                                 \
	do {                                                                                       \
		struct tw_stats_acc *A_ = &st->total;                                              \
		expr;                                                                              \
		A_ = &st->interval;                                                                \
		expr;                                                                              \
	} while (0)

static void settle_one(struct tw_stats *st, bool forced)
{
	int64_t k = st->settle_next++;
	if (!bit_get(st->sent_bits, k))
		return;
	if (bit_get(st->rx_bits, k)) {
		st->pending_rx--;
		BOTH(A_->settled++);
	} else {
		BOTH((A_->settled++, A_->lost++));
	}
	if (forced)
		BOTH(A_->forced++);
}

enum tw_err tw_stats_sent(struct tw_stats *st, uint32_t seq, int64_t t1)
{
	int64_t e;
	if (!st->any_sent) {
		e = seq; /* first: taken as is, later ones extend from it */
		st->any_sent = true;
		st->sent_high = e - 1;
		st->settle_next = e;
	} else {
		e = seq_ext(st->sent_high, seq);
		if (e <= st->sent_high)
			return TW_E_ARG; /* re-sent or out of order: not counted */
	}
	/* slots about to be reused must be settled first (window overrun) */
	int64_t oldest = e - WMASK;
	while (st->settle_next < oldest && st->settle_next <= st->sent_high)
		settle_one(st, true);
	if (st->settle_next < oldest)
		st->settle_next = oldest;
	int64_t k = st->sent_high + 1;
	if (k < oldest)
		k = oldest;
	for (; k < e; k++) /* skipped sender seqs: never sent */
		bit_put(st->sent_bits, k, false);
	bit_put(st->sent_bits, e, true);
	bit_put(st->rx_bits, e, false);
	st->send_t1[e & WMASK] = t1;
	st->sent_high = e;
	BOTH(A_->sent++);
	return TW_OK;
}

/*
 * Forward/backward split (wire ref §7, after twampy): R = highest reflector
 * seq + 1 = packets the reflector answered.  forward = sent - (R - forward
 * duplicates), backward = round trip - forward.  Only settled packets count
 * as sent, so replies to unsettled packets (pending_rx) are taken out of R;
 * this assumes they carry the highest reflector seqs, which holds unless the
 * unsettled ones are reordered below settled ones.  Exact once flushed.
 */
static void loss_split(struct tw_stats *st)
{
	int64_t r = st->any_refl ? st->refl_high - (int64_t)st->cfg.refl_seq_first + 1 : 0;
	int64_t answered = r - (int64_t)st->pending_rx - (int64_t)st->dup_fwd_total;
	int64_t est = (int64_t)st->total.settled - answered;
	if (est < 0)
		est = 0;
	if (est > (int64_t)st->total.lost)
		est = (int64_t)st->total.lost;
	int64_t d = est - st->lost_fwd_est;
	st->lost_fwd_est = est;
	BOTH(A_->lost_fwd += d);
}

void tw_stats_expire(struct tw_stats *st, int64_t now)
{
	if (!st->any_sent)
		return;
	int64_t deadline = now == INT64_MAX ? INT64_MAX : now - st->cfg.loss_timeout_ns;
	uint64_t before = st->interval.settled;
	while (st->settle_next <= st->sent_high) {
		int64_t k = st->settle_next;
		/* send times never decrease, so stop at the first one still in time */
		if (bit_get(st->sent_bits, k) && st->send_t1[k & WMASK] > deadline)
			break;
		settle_one(st, false);
	}
	loss_split(st);
	if (st->interval.settled != before && st->interval.settled)
		thr_check(st, TW_STATS_THR_LOSS,
		          (int64_t)(st->interval.lost * 1000000u / st->interval.settled), 0);
}

void tw_stats_flush(struct tw_stats *st)
{
	tw_stats_expire(st, INT64_MAX);
}

/*
 * RFC 4737 reordering.  Backward: the reply stream at the sender, ordered by
 * reflector seq; reordered if r < NextExp (highest + 1).  Extent (§4.2.2):
 * e = i - j, j the earliest arrival with a higher seq, searched in the last
 * TW_STATS_HISTORY replies (beyond that, the history's span is a lower bound).
 *
 * Forward: the arrival order at the reflector is its own sequence number, so
 * the packet (s, r) is reordered if some packet with r' < r has s' > s, and
 * its extent is r - min r' over those.  A reply that itself came back
 * reordered may reveal that earlier-processed replies (r' > r, s' < s) were
 * forward-reordered; those are marked from the history (extent r' - r).
 */
static uint32_t reorder(struct tw_stats *st, int64_t s, int64_t r, bool bwd_late)
{
	uint32_t f = 0;
	uint64_t i = st->arrivals;
	uint64_t nh = i < TW_STATS_HISTORY ? i : TW_STATS_HISTORY;

	if (bwd_late) {
		f |= TW_STATS_F_REORDER_BWD;
		uint64_t j = i;
		for (uint64_t a = i - nh; a < i; a++) {
			const struct tw_stats_hent *h = &st->hist[a & HMASK];
			if (h->r > r) {
				j = a;
				break;
			}
		}
		if (j == i)
			j = i - nh;
		BOTH((A_->reord_bwd++, mm_add(&A_->ext_bwd, (int64_t)(i - j))));
	}

	bool fwd = false;
	int64_t rmin = INT64_MAX;
	if (!bwd_late) {
		/* r is the newest reflector seq: every earlier packet precedes it */
		if (st->arrivals && s < st->fwd_max_s) {
			fwd = true;
			for (uint64_t a = i - nh; a < i; a++) {
				const struct tw_stats_hent *h = &st->hist[a & HMASK];
				if (h->s > s && h->r < rmin)
					rmin = h->r;
			}
			if (rmin == INT64_MAX) /* beyond history: lower bound */
				rmin = nh ? st->hist[(i - nh) & HMASK].r : r;
		}
	} else {
		for (uint64_t a = i - nh; a < i; a++) {
			struct tw_stats_hent *h = &st->hist[a & HMASK];
			if (h->r < r && h->s > s) {
				fwd = true;
				if (h->r < rmin)
					rmin = h->r;
			} else if (h->r > r && h->s < s && !h->fwd_reord) {
				h->fwd_reord = true;
				BOTH((A_->reord_fwd++, mm_add(&A_->ext_fwd, h->r - r)));
			}
		}
	}
	if (fwd) {
		f |= TW_STATS_F_REORDER_FWD;
		BOTH((A_->reord_fwd++, mm_add(&A_->ext_fwd, r - rmin)));
	}

	struct tw_stats_hent *h = &st->hist[i & HMASK];
	h->s = s;
	h->r = r;
	h->arr = i;
	h->fwd_reord = fwd;
	if (!st->arrivals || s > st->fwd_max_s)
		st->fwd_max_s = s;
	st->arrivals++;
	BOTH(A_->evaluated++);
	return f;
}

static inline void jitter(double *j, int64_t d, int64_t prev)
{
	/* RFC 3550 §6.4.1: J += (|D(i-1,i)| - J) / 16 */
	*j += ((double)abs64(d - prev) - *j) / 16.0;
}

static void ipdv_pair(struct tw_stats *st, const struct tw_stats_dent *a,
                      const struct tw_stats_dent *b, uint32_t seq, struct tw_stats_sample *out)
{
	/* RFC 3393 §2.4 / RFC 5481 §4.1: D(i) - D(i-1) for consecutive seqs */
	int64_t dr = b->rtt - a->rtt, df = b->fwd - a->fwd, db = b->bwd - a->bwd;
	BOTH(
	    (tw_shist_record(&A_->ipdv, dr), mm_add(&A_->ipdv_fwd, df), mm_add(&A_->ipdv_bwd, db)));
	thr_check(st, TW_STATS_THR_IPDV, abs64(dr), seq);
	if (out) {
		out->flags |= TW_STATS_F_IPDV;
		out->ipdv_rtt = dr;
		out->ipdv_fwd = df;
		out->ipdv_bwd = db;
	}
}

uint32_t tw_stats_reply(struct tw_stats *st, const struct tw_stats_reply *rp,
                        struct tw_stats_sample *out)
{
	struct tw_stats_sample tmp;
	if (!out)
		out = &tmp;
	memset(out, 0, sizeof *out);

	if (!st->any_sent) {
		BOTH(A_->unknown++);
		return out->flags = TW_STATS_F_UNKNOWN;
	}
	int64_t s = seq_ext(st->sent_high, rp->snd_seq);
	if (s > st->sent_high) {
		BOTH(A_->unknown++);
		return out->flags = TW_STATS_F_UNKNOWN;
	}
	if (s <= st->sent_high - TW_STATS_SEQ_WINDOW) {
		BOTH(A_->too_old++);
		return out->flags = TW_STATS_F_TOO_OLD;
	}
	if (!bit_get(st->sent_bits, s)) {
		BOTH(A_->unknown++);
		return out->flags = TW_STATS_F_UNKNOWN;
	}

	/* reflector seq window; the reflector counts from refl_seq_first */
	int64_t ref = st->any_refl ? st->refl_high : (int64_t)st->cfg.refl_seq_first - 1;
	int64_t r = seq_ext(ref - st->refl_off, rp->refl_seq) + st->refl_off;
	bool r_new = true, bwd_late = false;
	/* The reflector started counting again (tw_stats.h "Reflector
	 * restart"): the newest test packet yet, not answered before, and a
	 * reflector seq well below the highest.  Continue its numbering. */
	if (st->any_refl && st->arrivals && s > st->fwd_max_s && !bit_get(st->rx_bits, s) &&
	    r <= st->refl_high - TW_STATS_REFL_RESTART_GAP) {
		st->refl_off += st->refl_high + 1 - r;
		r = st->refl_high + 1;
	}
	if (!st->any_refl || r > st->refl_high) {
		int64_t k = st->any_refl ? st->refl_high + 1 : r - WMASK;
		if (k < r - WMASK)
			k = r - WMASK;
		for (; k < r; k++)
			bit_put(st->refl_bits, k, false);
		bit_put(st->refl_bits, r, true);
		st->refl_high = r;
		st->any_refl = true;
	} else if (r <= st->refl_high - TW_STATS_SEQ_WINDOW) {
		BOTH(A_->refl_too_old++); /* cannot tell: take it as new */
		bwd_late = true;
	} else {
		r_new = !bit_get(st->refl_bits, r);
		bit_put(st->refl_bits, r, true);
		bwd_late = true;
	}

	if (!r_new) { /* the same reply twice: duplicated on the way back */
		BOTH(A_->dup_bwd++);
		return out->flags = TW_STATS_F_DUP_BWD;
	}
	if (bit_get(st->rx_bits, s)) { /* reflected twice: duplicated on the way out */
		st->dup_fwd_total++;
		BOTH(A_->dup_fwd++);
		return out->flags = TW_STATS_F_DUP_FWD;
	}
	bit_put(st->rx_bits, s, true);
	out->flags = reorder(st, s, r, bwd_late);

	/* hop counts (wire ref §4.7, §7): both sides send with the initial TTL */
	int64_t init = rp->init_ttl ? rp->init_ttl : TW_STATS_INIT_TTL;
	if (rp->snd_ttl && rp->snd_ttl <= init)
		BOTH(mm_add(&A_->hops_fwd, init - rp->snd_ttl));
	if (rp->rx_ttl && rp->rx_ttl <= init)
		BOTH(mm_add(&A_->hops_bwd, init - rp->rx_ttl));
	if (rp->tos_known)
		BOTH(tos_add(&A_->tos, rp));

	if (s < st->settle_next) { /* already declared lost (RFC 7680) */
		BOTH(A_->late++);
		return out->flags |= TW_STATS_F_LATE;
	}
	st->pending_rx++;
	BOTH(A_->received++);

	/* RFC 2681 round trip; RFC 7679 one-way (needs both clocks synchronised) */
	int64_t dwell = rp->t3 - rp->t2;
	int64_t rtt = (rp->t4 - rp->t1) - dwell;
	int64_t fwd = rp->t2 - rp->t1, bwd = rp->t4 - rp->t3;
	int64_t ef = sat_add(rp->e1, rp->e2), eb = sat_add(rp->e3, rp->e4);
	int64_t er = sat_add(ef, eb);
	bool sync = rp->snd_sync && rp->refl_sync;
	out->flags |= TW_STATS_F_DELAY | (sync ? 0 : TW_STATS_F_UNSYNC);
	out->rtt = rtt;
	out->fwd = fwd;
	out->bwd = bwd;
	out->dwell = dwell;
	out->rtt_err = er;
	out->fwd_err = ef;
	out->bwd_err = eb;
	BOTH((tw_hist_record(&A_->rtt, rtt), tw_shist_record(&A_->fwd, fwd),
	      tw_shist_record(&A_->bwd, bwd), mm_add(&A_->dwell, dwell), mm_add(&A_->rtt_err, er),
	      mm_add(&A_->fwd_err, ef), mm_add(&A_->bwd_err, eb), A_->unsync += !sync));

	uint32_t seq = rp->snd_seq;
	thr_check(st, TW_STATS_THR_RTT, rtt, seq);
	if (sync) {
		thr_check(st, TW_STATS_THR_FWD, fwd, seq);
		thr_check(st, TW_STATS_THR_BWD, bwd, seq);
	}

	/* IPDV on consecutive sender seqs, whichever of the pair arrives last */
	struct tw_stats_dent cur = {.s = s, .rtt = rtt, .fwd = fwd, .bwd = bwd};
	const struct tw_stats_dent *p = &st->dly[(s - 1) & HMASK];
	const struct tw_stats_dent *n = &st->dly[(s + 1) & HMASK];
	if (n->s == s + 1) /* s+1 came first: its IPDV is known only now */
		ipdv_pair(st, &cur, n, seq + 1, NULL);
	if (p->s == s - 1)
		ipdv_pair(st, p, &cur, seq, out);
	st->dly[s & HMASK] = cur;

	/* RFC 3550 §6.4.1 jitter, consecutive packets in arrival order */
	if (st->have_prev) {
		jitter(&st->jit_rtt, rtt, st->prev_rtt);
		jitter(&st->jit_fwd, fwd, st->prev_fwd);
		jitter(&st->jit_bwd, bwd, st->prev_bwd);
	}
	st->have_prev = true;
	st->prev_rtt = rtt;
	st->prev_fwd = fwd;
	st->prev_bwd = bwd;
	return out->flags;
}

/* ---- summaries ---- */

static void mm_out(struct tw_stats_mmsum *o, const struct tw_stats_mm *m)
{
	o->n = m->n;
	o->min = m->n ? m->min : 0;
	o->max = m->n ? m->max : 0;
	/* A saturated sum means some sample was unbounded: so is the mean. */
	if (m->sum == INT64_MAX || m->sum == INT64_MIN)
		o->mean = m->sum;
	else
		o->mean = m->n ? (int64_t)llround((double)m->sum / (double)m->n) : 0;
}

static void dist_pdv(struct tw_stats_dist *d)
{
	/* RFC 5481 §4.2: PDV = D(i) - D(min) */
	d->pdv_p50 = d->p50 - d->min;
	d->pdv_p99 = d->p99 - d->min;
	d->pdv_max = d->max - d->min;
}

static void dist_u(struct tw_stats_dist *d, const struct tw_hist *h)
{
	d->n = tw_hist_count(h);
	d->min = tw_hist_min(h);
	d->max = tw_hist_max(h);
	d->mean = (int64_t)llround(tw_hist_mean(h));
	d->p50 = tw_hist_percentile(h, 50);
	d->p90 = tw_hist_percentile(h, 90);
	d->p99 = tw_hist_percentile(h, 99);
	d->p999 = tw_hist_percentile(h, 99.9);
	dist_pdv(d);
}

static void dist_s(struct tw_stats_dist *d, const struct tw_shist *h)
{
	d->n = tw_shist_count(h);
	d->min = tw_shist_min(h);
	d->max = tw_shist_max(h);
	d->mean = (int64_t)llround(tw_shist_mean(h));
	d->p50 = tw_shist_percentile(h, 50);
	d->p90 = tw_shist_percentile(h, 90);
	d->p99 = tw_shist_percentile(h, 99);
	d->p999 = tw_shist_percentile(h, 99.9);
	dist_pdv(d);
}

static uint32_t ppm(uint64_t a, uint64_t b)
{
	return b ? (uint32_t)((double)a * 1e6 / (double)b + 0.5) : 0;
}

void tw_stats_summary_fill(const struct tw_stats *st, const struct tw_stats_acc *a,
                           struct tw_stats_summary *o)
{
	memset(o, 0, sizeof *o);
	o->sent = a->sent;
	o->settled = a->settled;
	o->received = a->received;
	o->lost = a->lost;
	int64_t lf = a->lost_fwd < 0 ? 0 : a->lost_fwd;
	if ((uint64_t)lf > a->lost)
		lf = (int64_t)a->lost;
	o->lost_fwd = (uint64_t)lf;
	o->lost_bwd = a->lost - o->lost_fwd;
	o->loss_ppm = ppm(a->lost, a->settled);
	o->tos = a->tos;
	o->late = a->late;
	o->forced = a->forced;
	o->unknown = a->unknown;
	o->too_old = a->too_old;
	o->refl_too_old = a->refl_too_old;
	o->dup_fwd = a->dup_fwd;
	o->dup_bwd = a->dup_bwd;
	o->reord_fwd = a->reord_fwd;
	o->reord_bwd = a->reord_bwd;
	o->reord_fwd_ppm = ppm(a->reord_fwd, a->evaluated);
	o->reord_bwd_ppm = ppm(a->reord_bwd, a->evaluated);
	mm_out(&o->ext_fwd, &a->ext_fwd);
	mm_out(&o->ext_bwd, &a->ext_bwd);
	dist_u(&o->rtt, &a->rtt);
	dist_s(&o->fwd, &a->fwd);
	dist_s(&o->bwd, &a->bwd);
	dist_s(&o->ipdv, &a->ipdv);
	mm_out(&o->ipdv_fwd, &a->ipdv_fwd);
	mm_out(&o->ipdv_bwd, &a->ipdv_bwd);
	mm_out(&o->dwell, &a->dwell);
	mm_out(&o->rtt_err, &a->rtt_err);
	mm_out(&o->fwd_err, &a->fwd_err);
	mm_out(&o->bwd_err, &a->bwd_err);
	mm_out(&o->hops_fwd, &a->hops_fwd);
	mm_out(&o->hops_bwd, &a->hops_bwd);
	o->unsync_n = a->unsync;
	o->unsync = a->unsync != 0;
	if (st) {
		o->jitter_rtt = (int64_t)llround(st->jit_rtt);
		o->jitter_fwd = (int64_t)llround(st->jit_fwd);
		o->jitter_bwd = (int64_t)llround(st->jit_bwd);
	}
}

void tw_stats_interval_take(struct tw_stats *st, struct tw_stats_summary *sum,
                            struct tw_stats_acc *copy)
{
	if (sum)
		tw_stats_summary_fill(st, &st->interval, sum);
	if (copy)
		tw_stats_acc_copy(copy, &st->interval);
	tw_stats_acc_reset(&st->interval);
}
