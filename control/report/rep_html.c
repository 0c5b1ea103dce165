/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rep_html: the HTML driver.  It keeps what the charts need (a bounded
 * series of interval points) and writes one <section> at the end: the
 * session, the run, packet and delay tables, per-interval RTT p50/p99 and
 * loss, and histograms and CDFs of the RTT and one-way delays from the
 * session's accumulator (the buckets the OpenMetrics driver exports).
 *
 * Every number shown is the value the JSON driver writes for the same call,
 * with its JSON path in data-key (docs/output.md "HTML").
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rep_priv.h"
#include "tw_html.h"

/* Interval points kept.  When full, every other point is dropped and from
 * then on only every 2nd (4th, ...) interval is kept: a day of 1 s
 * intervals stays within 2048 points (about 100 KiB). */
#define REP_HTML_INTV_MAX 2048u

struct rep_html_intv {
	uint64_t idx;  /* index in the JSON "intervals" array */
	int64_t t_end; /* ns from the start */
	bool rtt;      /* p50 / p99 valid */
	int64_t p50, p99;
	uint64_t settled, lost;
};

struct rep_html {
	struct rep_html_intv *v;
	size_t n, cap;
	uint64_t seen;   /* intervals reported */
	uint64_t stride; /* kept: idx % stride == 0 */
};

#define NB 64 /* a formatted number */

void rep_html_free(struct tw_report *r)
{
	if (r->html)
		free(r->html->v);
	free(r->html);
	r->html = NULL;
}

static enum tw_err html_start(struct tw_report *r)
{
	r->html = calloc(1, sizeof(*r->html));
	if (!r->html)
		return TW_E_SYS;
	r->html->stride = 1;
	return TW_OK;
}

static enum tw_err html_interval(struct tw_report *r, int64_t t0, int64_t t1,
                                 const struct tw_stats_summary *s)
{
	struct rep_html *h = r->html;
	uint64_t idx = h->seen++;
	(void)t0;
	if (idx % h->stride)
		return TW_OK;
	if (h->n == REP_HTML_INTV_MAX) {
		size_t k = 0;
		for (size_t i = 0; i < h->n; i++)
			if (h->v[i].idx % (2 * h->stride) == 0)
				h->v[k++] = h->v[i];
		h->n = k;
		h->stride *= 2;
		if (idx % h->stride)
			return TW_OK;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		cap = cap < REP_HTML_INTV_MAX ? cap : REP_HTML_INTV_MAX;
		struct rep_html_intv *v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return TW_E_SYS;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n++] = (struct rep_html_intv){
	    .idx = idx,
	    .t_end = t1,
	    .rtt = s->rtt.n != 0,
	    .p50 = s->rtt.p50,
	    .p99 = s->rtt.p99,
	    .settled = s->settled,
	    .lost = s->lost,
	};
	return TW_OK;
}

/* ---- cells ---- */

/* An integer ns value, or null (no samples). */
static void td_ns(FILE *f, const char *key, bool valid, int64_t v)
{
	char t[NB], val[NB];
	if (!valid) {
		tw_html_td_val(f, NULL, key, NULL);
		return;
	}
	snprintf(val, sizeof(val), "%" PRId64, v);
	tw_html_td_val(f, tw_report_fmt_ns(t, sizeof(t), v, false), key, val);
}

static void td_u64(FILE *f, const char *key, uint64_t v)
{
	char val[NB];
	snprintf(val, sizeof(val), "%" PRIu64, v);
	tw_html_td_val(f, val, key, val);
}

/* n / d as the JSON driver writes it (9 decimals), or null when d is 0. */
static void td_ratio(FILE *f, const char *key, uint64_t n, uint64_t d)
{
	char t[NB], val[NB];
	if (!d) {
		tw_html_td_val(f, NULL, key, NULL);
		return;
	}
	double v = (double)n / (double)d;
	snprintf(val, sizeof(val), "%.9f", v);
	tw_html_td_val(f, tw_html_fmt(t, sizeof(t), v, TW_HTML_UNIT_RATIO), key, val);
}

/* A rate as the JSON driver writes it (3 decimals), or null when unknown. */
static void td_pps(FILE *f, const char *key, double v)
{
	char t[NB], val[NB];
	if (!(v > 0)) {
		tw_html_td_val(f, NULL, key, NULL);
		return;
	}
	snprintf(val, sizeof(val), "%.3f", v);
	snprintf(t, sizeof(t), "%.0f pps", v);
	tw_html_td_val(f, t, key, val);
}

static void td_str(FILE *f, const char *key, const char *s)
{
	tw_html_td_val(f, s, key, s);
}

/* A row "head | cell" of a two-column table. */
static void kv_begin(FILE *f, const char *head)
{
	tw_html_tr_begin(f);
	tw_html_th(f, head);
}

/* ---- tables ---- */

static void session_table(struct tw_report *r, FILE *f, int64_t t_end)
{
	const struct tw_report_params *p = &r->par.p;
	char iso[48];
	rep_iso_time(iso, sizeof(iso), p->start_ns);
	static const char *const heads[] = {"session", ""};
	tw_html_table_begin(f, "kv", heads, 2);
	kv_begin(f, "name");
	td_str(f, "start.session.name", p->session);
	tw_html_tr_end(f);
	kv_begin(f, "peer");
	td_str(f, "start.session.peer", p->peer);
	tw_html_tr_end(f);
	kv_begin(f, "local");
	td_str(f, "start.session.local", p->local);
	tw_html_tr_end(f);
	kv_begin(f, "mode");
	td_str(f, "start.session.mode", p->mode);
	tw_html_tr_end(f);
	kv_begin(f, "started (UTC)");
	td_str(f, "start.timestamp", iso[0] ? iso : NULL);
	tw_html_tr_end(f);
	kv_begin(f, "packets planned");
	td_u64(f, "start.session.count", p->count);
	tw_html_tr_end(f);
	kv_begin(f, "interval");
	td_ns(f, "start.session.tx_interval_ns", p->tx_interval_ns > 0, p->tx_interval_ns);
	tw_html_tr_end(f);
	kv_begin(f, "padding (octets)");
	td_u64(f, "start.session.padding_octets", p->padding);
	tw_html_tr_end(f);
	kv_begin(f, "DSCP");
	td_u64(f, "start.session.dscp", p->dscp);
	tw_html_tr_end(f);
	kv_begin(f, "measured for");
	td_ns(f, "end.summary.end_ns", true, t_end);
	tw_html_tr_end(f);
	tw_html_table_end(f);
}

static void run_table(struct tw_report *r, FILE *f)
{
	const struct tw_report_run *u = &r->run;
	char b[256];
	if (!r->have_run)
		return;
	static const char *const heads[] = {"the run", ""};
	tw_html_table_begin(f, "kv", heads, 2);
	kv_begin(f, "rate requested");
	td_pps(f, "end.run.rate_requested_pps", u->rate_requested_pps);
	tw_html_tr_end(f);
	kv_begin(f, "rate achieved");
	td_pps(f, "end.run.rate_achieved_pps", u->rate_achieved_pps);
	tw_html_tr_end(f);
	if (u->host_known) {
		kv_begin(f, "UDP receive buffer drops on this host");
		td_u64(f, "end.run.host_drops.udp_rcvbuf_errors", u->host_rcvbuf_errors);
		tw_html_tr_end(f);
		kv_begin(f, "UDP send buffer drops on this host");
		td_u64(f, "end.run.host_drops.udp_sndbuf_errors", u->host_sndbuf_errors);
		tw_html_tr_end(f);
	}
	kv_begin(f, "engine drops");
	td_u64(f, "end.run.engine_drops", u->engine_drops);
	tw_html_tr_end(f);
	for (unsigned i = 0; i < u->n_engine_drop_by && i < TW_REPORT_DROP_REASONS; i++) {
		char key[128];
		snprintf(key, sizeof(key), "end.run.engine_drop_reasons.%s",
		         u->engine_drop_by[i].name);
		kv_begin(f, u->engine_drop_by[i].name);
		td_u64(f, key, u->engine_drop_by[i].n);
		tw_html_tr_end(f);
	}
	tw_html_table_end(f);
	if (rep_run_short(u)) {
		snprintf(b, sizeof(b), "Rate shortfall: %.0f of %.0f packets per second reached.",
		         u->rate_achieved_pps, u->rate_requested_pps);
		tw_html_p(f, "warn", b);
	}
	if (u->advice)
		tw_html_p(f, "note", u->advice);
}

static void packets_table(FILE *f, const struct tw_stats_summary *s)
{
	static const char *const heads[] = {"sent",           "received",       "lost",
	                                    "loss",           "lost forward",   "lost backward",
	                                    "late",           "dup. forward",   "dup. backward",
	                                    "reord. forward", "reord. backward"};
	tw_html_table_begin(f, "packets", heads, sizeof(heads) / sizeof(heads[0]));
	tw_html_tr_begin(f);
	td_u64(f, "end.summary.sent", s->sent);
	td_u64(f, "end.summary.received", s->received);
	td_u64(f, "end.summary.loss.round_trip.count", s->lost);
	td_ratio(f, "end.summary.loss.round_trip.ratio", s->lost, s->settled);
	td_u64(f, "end.summary.loss.forward.count", s->lost_fwd);
	td_u64(f, "end.summary.loss.backward.count", s->lost_bwd);
	td_u64(f, "end.summary.loss.late", s->late);
	td_u64(f, "end.summary.duplicates.forward", s->dup_fwd);
	td_u64(f, "end.summary.duplicates.backward", s->dup_bwd);
	td_u64(f, "end.summary.reordering.forward.count", s->reord_fwd);
	td_u64(f, "end.summary.reordering.backward.count", s->reord_bwd);
	tw_html_tr_end(f);
	tw_html_table_end(f);
}

static void delay_table(FILE *f, const struct tw_stats_summary *s)
{
	static const char *const heads[] = {"delay", "samples", "min", "p50", "p90",
	                                    "p99",   "p99.9",   "max", "mean"};
	const struct {
		const char *name, *key;
		const struct tw_stats_dist *d;
	} rows[] = {
	    {"round trip", "end.summary.rtt", &s->rtt},
	    {"forward one-way", "end.summary.forward_owd", &s->fwd},
	    {"backward one-way", "end.summary.backward_owd", &s->bwd},
	    {"IPDV of the round trip", "end.summary.ipdv.rtt", &s->ipdv},
	};
	static const char *const cols[] = {"min_ns",  "p50_ns", "p90_ns", "p99_ns",
	                                   "p999_ns", "max_ns", "mean_ns"};
	char key[128];
	tw_html_table_begin(f, "delay", heads, sizeof(heads) / sizeof(heads[0]));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct tw_stats_dist *d = rows[i].d;
		const int64_t v[] = {d->min, d->p50, d->p90, d->p99, d->p999, d->max, d->mean};
		tw_html_tr_begin(f);
		tw_html_th(f, rows[i].name);
		snprintf(key, sizeof(key), "%s.n", rows[i].key);
		td_u64(f, key, d->n);
		for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
			snprintf(key, sizeof(key), "%s.%s", rows[i].key, cols[c]);
			td_ns(f, key, d->n != 0, v[c]);
		}
		tw_html_tr_end(f);
	}
	tw_html_table_end(f);
	static const char *const jheads[] = {"jitter (RFC 3550)", "round trip", "forward",
	                                     "backward"};
	tw_html_table_begin(f, "jitter", jheads, 4);
	tw_html_tr_begin(f);
	tw_html_th(f, "session");
	td_ns(f, "end.summary.jitter_rfc3550.rtt_ns", true, s->jitter_rtt);
	td_ns(f, "end.summary.jitter_rfc3550.forward_ns", true, s->jitter_fwd);
	td_ns(f, "end.summary.jitter_rfc3550.backward_ns", true, s->jitter_bwd);
	tw_html_tr_end(f);
	tw_html_table_end(f);
	if (s->unsync)
		tw_html_p(f, "note",
		          "Some one-way delays were measured with an unsynchronised clock: "
		          "their absolute values are not meaningful.");
}

static void events_table(struct tw_report *r, FILE *f)
{
	static const char *const heads[] = {"event", "time", "kind", "state", "value"};
	char key[64], t[NB], val[NB];
	if (!r->nev)
		return;
	tw_html_table_begin(f, "events", heads, 5);
	for (size_t i = 0; i < r->nev; i++) {
		const struct rep_event *e = &r->ev[i];
		tw_html_tr_begin(f);
		snprintf(t, sizeof(t), "%zu", i + 1);
		tw_html_th(f, t);
		snprintf(key, sizeof(key), "end.events.%zu.t_ns", i);
		td_ns(f, key, true, e->t_ns);
		snprintf(key, sizeof(key), "end.events.%zu.kind", i);
		td_str(f, key, rep_thr_name(e->ev.kind));
		snprintf(key, sizeof(key), "end.events.%zu.state", i);
		td_str(f, key, e->ev.raised ? "raised" : "cleared");
		snprintf(key, sizeof(key), "end.events.%zu.value", i);
		snprintf(val, sizeof(val), "%" PRId64, e->ev.value);
		if (e->ev.kind == TW_STATS_THR_LOSS)
			snprintf(t, sizeof(t), "%" PRId64 " ppm", e->ev.value);
		else
			tw_report_fmt_ns(t, sizeof(t), e->ev.value, false);
		tw_html_td_val(f, t, key, val);
		tw_html_tr_end(f);
	}
	tw_html_table_end(f);
	if (r->ev_dropped) {
		snprintf(t, sizeof(t), "%" PRIu64 " more events not kept.", r->ev_dropped);
		tw_html_p(f, "note", t);
	}
}

/* ---- charts ---- */

/* Element ids: the session name with anything but [A-Za-z0-9_-] as '_'. */
static void chart_id(char *out, size_t cap, const char *session, const char *what)
{
	char s[64];
	size_t i = 0;
	for (const char *p = session ? session : "session"; *p && i + 1 < sizeof(s); p++)
		s[i++] = (char)(((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		                 (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')
		                    ? *p
		                    : '_');
	s[i] = '\0';
	snprintf(out, cap, "%s-%s", s, what);
}

static enum tw_err interval_charts(struct tw_report *r, FILE *f, const char *session)
{
	struct rep_html *h = r->html;
	char id[96], b[160];
	enum tw_err e = TW_OK;
	tw_html_h3(f, "Per interval");
	if (!h->seen)
		tw_html_p(f, "note",
		          "This run has no interval reports (they are on for runs planned "
		          "longer than 2 s, or with --report-interval).");
	else if (h->stride > 1) {
		snprintf(b, sizeof(b),
		         "Showing one interval in %" PRIu64 " (%zu of %" PRIu64 "), to keep the "
		         "page small.",
		         h->stride, h->n, h->seen);
		tw_html_p(f, "note", b);
	}
	struct tw_html_point *p50 = calloc(h->n ? h->n : 1, sizeof(*p50));
	struct tw_html_point *p99 = calloc(h->n ? h->n : 1, sizeof(*p99));
	struct tw_html_point *loss = calloc(h->n ? h->n : 1, sizeof(*loss));
	if (!p50 || !p99 || !loss) {
		e = TW_E_SYS;
		goto out;
	}
	for (size_t i = 0; i < h->n; i++) {
		const struct rep_html_intv *v = &h->v[i];
		double x = (double)v->t_end;
		int64_t k = (int64_t)v->idx;
		p50[i] = (struct tw_html_point){x, 0, v->rtt ? (double)v->p50 : NAN, k};
		p99[i] = (struct tw_html_point){x, 0, v->rtt ? (double)v->p99 : NAN, k};
		loss[i] = (struct tw_html_point){
		    x, 0, v->settled ? (double)v->lost / (double)v->settled : NAN, k};
	}
	const struct tw_html_series rs[] = {
	    {"p50", p50, h->n, "intervals.", ".rtt.p50_ns", 0},
	    {"p99", p99, h->n, "intervals.", ".rtt.p99_ns", 0},
	};
	chart_id(id, sizeof(id), session, "rtt-intervals");
	const struct tw_html_chart rc = {
	    .id = id,
	    .title = "Round-trip delay per interval (p50, p99)",
	    .kind = TW_HTML_LINES,
	    .x = {.label = "time since the start (end of the interval)",
	          .unit = TW_HTML_UNIT_NS,
	          .zero = true},
	    .y = {.label = "round-trip delay", .unit = TW_HTML_UNIT_NS, .log = true},
	};
	e = tw_html_chart(f, &rc, rs, 2);
	const struct tw_html_series ls = {
	    "loss", loss, h->n, "intervals.", ".loss.round_trip.ratio", 9};
	chart_id(id, sizeof(id), session, "loss-intervals");
	const struct tw_html_chart lc = {
	    .id = id,
	    .title = "Round-trip loss per interval",
	    .kind = TW_HTML_LINES,
	    .x = {.label = "time since the start (end of the interval)",
	          .unit = TW_HTML_UNIT_NS,
	          .zero = true},
	    .y = {.label = "lost / settled", .unit = TW_HTML_UNIT_RATIO, .zero = true},
	};
	if (e == TW_OK)
		e = tw_html_chart(f, &lc, &ls, 1);
out:
	free(p50);
	free(p99);
	free(loss);
	return e;
}

/* Non-empty buckets of h (or sh) as bars [lo, hi + 1) and as CDF points
 * (hi, share of samples <= hi). */
static size_t buckets(const struct tw_hist *h, const struct tw_shist *sh, struct tw_html_point *bar,
                      struct tw_html_point *cdf, size_t cap)
{
	struct tw_hist_iter it = {0};
	struct tw_hist_bucket b;
	uint64_t total = sh ? tw_shist_count(sh) : tw_hist_count(h);
	size_t n = 0;
	while (n < cap && (sh ? tw_shist_next(sh, &it, &b) : tw_hist_next(h, &it, &b))) {
		bar[n] =
		    (struct tw_html_point){(double)b.lo, (double)b.hi + 1, (double)b.count, -1};
		cdf[n] = (struct tw_html_point){(double)b.hi, 0,
		                                (double)b.cumulative / (double)total, -1};
		n++;
	}
	return n;
}

static enum tw_err hist_chart(FILE *f, const char *session, const char *what, const char *title,
                              const char *xlabel, const struct tw_html_point *bar, size_t n)
{
	char id[96];
	chart_id(id, sizeof(id), session, what);
	const struct tw_html_series s = {"packets", bar, n, NULL, NULL, 0};
	const struct tw_html_chart c = {
	    .id = id,
	    .title = title,
	    .kind = TW_HTML_BARS,
	    .x = {.label = xlabel, .unit = TW_HTML_UNIT_NS, .log = true},
	    .y = {.label = "packets", .unit = TW_HTML_UNIT_NUM, .zero = true},
	};
	return tw_html_chart(f, &c, &s, 1);
}

/* A CDF of one or more series (lines, log delay axis, share on y). */
static enum tw_err cdf_chart(FILE *f, const char *session, const char *what, const char *title,
                             const char *xlabel, const struct tw_html_series *s, size_t ns)
{
	char id[96];
	chart_id(id, sizeof(id), session, what);
	const struct tw_html_chart c = {
	    .id = id,
	    .title = title,
	    .kind = TW_HTML_LINES,
	    .x = {.label = xlabel, .unit = TW_HTML_UNIT_NS, .log = true},
	    .y = {.label = "share of packets at or below",
	          .unit = TW_HTML_UNIT_RATIO,
	          .zero = true},
	};
	return tw_html_chart(f, &c, s, ns);
}

static enum tw_err delay_charts(FILE *f, const char *session, const struct tw_stats_acc *acc)
{
	/* A signed histogram has two halves of TW_STATS_HIST_BUCKETS. */
	const size_t cap = 2 * (size_t)TW_STATS_HIST_BUCKETS;
	struct tw_html_point *mem = calloc(6 * cap, sizeof(*mem));
	enum tw_err e = TW_OK;
	if (!mem)
		return TW_E_SYS;
	struct tw_html_point *rb = mem, *rc = mem + cap, *fb = mem + 2 * cap, *fc = mem + 3 * cap;
	struct tw_html_point *bb = mem + 4 * cap, *bc = mem + 5 * cap;
	size_t nr = 0, nf = 0, nb = 0;
	if (acc) {
		nr = buckets(&acc->rtt, NULL, rb, rc, cap);
		nf = buckets(NULL, &acc->fwd, fb, fc, cap);
		nb = buckets(NULL, &acc->bwd, bb, bc, cap);
	}
	tw_html_h3(f, "Distributions");
	if (!acc)
		tw_html_p(f, "note", "No histograms were passed to this report.");
	e = hist_chart(f, session, "rtt-hist", "Round-trip delay histogram", "round-trip delay", rb,
	               nr);
	const struct tw_html_series rcs = {"round trip", rc, nr, NULL, NULL, 6};
	if (e == TW_OK)
		e = cdf_chart(f, session, "rtt-cdf", "Round-trip delay CDF", "round-trip delay", &rcs,
		              1);
	if (e == TW_OK)
		e = hist_chart(f, session, "fwd-hist", "Forward one-way delay histogram",
		               "forward one-way delay", fb, nf);
	if (e == TW_OK)
		e = hist_chart(f, session, "bwd-hist", "Backward one-way delay histogram",
		               "backward one-way delay", bb, nb);
	const struct tw_html_series ocs[] = {
	    {"forward", fc, nf, NULL, NULL, 6},
	    {"backward", bc, nb, NULL, NULL, 6},
	};
	if (e == TW_OK)
		e = cdf_chart(f, session, "owd-cdf", "One-way delay CDF", "one-way delay", ocs, 2);
	free(mem);
	return e;
}

static enum tw_err html_end(struct tw_report *r, int64_t t_end, const struct tw_stats_summary *s,
                            const struct tw_stats_acc *acc)
{
	const struct tw_report_params *p = &r->par.p;
	FILE *f = r->out;
	char id[96], head[160];
	chart_id(id, sizeof(id), p->session, "section");
	snprintf(head, sizeof(head), "Session %s to %s", p->session ? p->session : "-",
	         p->peer ? p->peer : "-");
	tw_html_section_begin(f, id, head);
	session_table(r, f, t_end);
	run_table(r, f);
	tw_html_h3(f, "Packets");
	packets_table(f, s);
	tw_html_h3(f, "Delay");
	delay_table(f, s);
	events_table(r, f);
	enum tw_err e = interval_charts(r, f, p->session);
	if (e == TW_OK)
		e = delay_charts(f, p->session, acc);
	tw_html_section_end(f);
	if (e == TW_OK && ferror(f))
		e = TW_E_SYS;
	return e;
}

const struct rep_ops rep_html_ops = {
    .start = html_start,
    .interval = html_interval,
    .end = html_end,
};
