/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_report: the report object; dispatches to one driver per format.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rep_priv.h"

static const struct {
	const char *name;
	const struct rep_ops *ops;
} formats[] = {
    [TW_REPORT_TEXT] = {"text", &rep_text_ops},
    [TW_REPORT_JSON] = {"json", &rep_json_ops},
    [TW_REPORT_CSV] = {"csv", &rep_csv_ops},
    [TW_REPORT_OPENMETRICS] = {"openmetrics", &rep_om_ops},
    [TW_REPORT_HTML] = {"html", &rep_html_ops},
};
#define NFORMATS (sizeof formats / sizeof formats[0])

const char *tw_report_format_name(enum tw_report_format fmt)
{
	return (unsigned)fmt < NFORMATS ? formats[fmt].name : "unknown";
}

int tw_report_format_parse(const char *name)
{
	for (unsigned i = 0; name && i < NFORMATS; i++)
		if (strcmp(name, formats[i].name) == 0)
			return (int)i;
	return -1;
}

struct tw_report *tw_report_new(enum tw_report_format fmt, FILE *out, unsigned flags)
{
	if ((unsigned)fmt >= NFORMATS || !out)
		return NULL;
	struct tw_report *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->fmt = fmt;
	r->ops = formats[fmt].ops;
	r->out = out;
	r->flags = flags;
	return r;
}

static void params_free(struct rep_params *rp)
{
	free(rp->session);
	free(rp->peer);
	free(rp->local);
	free(rp->mode);
	memset(rp, 0, sizeof *rp);
}

void tw_report_free(struct tw_report *r)
{
	if (!r)
		return;
	params_free(&r->par);
	rep_html_free(r);
	free(r->ev);
	free(r);
}

enum tw_report_format tw_report_format(const struct tw_report *r)
{
	return r->fmt;
}

static bool dup_str(char **dst, const char **field, const char *src)
{
	*dst = NULL;
	if (src && !(*dst = strdup(src)))
		return false;
	*field = *dst;
	return true;
}

void rep_iso_time(char *buf, size_t cap, int64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000);
	int64_t frac = ns % 1000000000;
	if (frac < 0) {
		frac += 1000000000;
		sec--;
	}
	struct tm tm;
	size_t n;
	if (cap && gmtime_r(&sec, &tm) && (n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm)))
		snprintf(buf + n, cap - n, ".%09" PRId64 "Z", frac);
	else if (cap)
		buf[0] = '\0';
}

int64_t rep_duration(const struct tw_report_params *p)
{
	if (p->duration_ns > 0)
		return p->duration_ns;
	if (p->tx_interval_ns > 0 && p->count &&
	    p->count < (uint64_t)(INT64_MAX / p->tx_interval_ns))
		return (int64_t)p->count * p->tx_interval_ns;
	return 0;
}

static enum tw_err done(struct tw_report *r, enum tw_err e)
{
	if (e != TW_OK && r->err == TW_OK)
		r->err = e;
	return r->err;
}

enum tw_err tw_report_start(struct tw_report *r, const struct tw_report_params *p)
{
	if (!r || !p || r->state != REP_NEW)
		return TW_E_ARG;
	struct rep_params *rp = &r->par;
	rp->p = *p;
	if (!dup_str(&rp->session, &rp->p.session, p->session) ||
	    !dup_str(&rp->peer, &rp->p.peer, p->peer) ||
	    !dup_str(&rp->local, &rp->p.local, p->local) ||
	    !dup_str(&rp->mode, &rp->p.mode, p->mode)) {
		params_free(rp);
		return TW_E_SYS;
	}
	if (rp->p.start_ns == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		rp->p.start_ns = (int64_t)ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec;
	}
	r->state = REP_STARTED;
	return done(r, r->ops->start ? r->ops->start(r) : TW_OK);
}

enum tw_err tw_report_interval(struct tw_report *r, int64_t t_start_ns, int64_t t_end_ns,
                               const struct tw_stats_summary *sum)
{
	if (!r || !sum || r->state != REP_STARTED || t_end_ns < t_start_ns)
		return TW_E_ARG;
	if (r->err != TW_OK)
		return r->err;
	return done(r, r->ops->interval ? r->ops->interval(r, t_start_ns, t_end_ns, sum) : TW_OK);
}

enum tw_err tw_report_packet(struct tw_report *r, const struct tw_report_pkt *pkt)
{
	if (!r || !pkt || r->state != REP_STARTED)
		return TW_E_ARG;
	if (r->err != TW_OK)
		return r->err;
	return done(r, r->ops->packet ? r->ops->packet(r, pkt) : TW_OK);
}

enum tw_err tw_report_event(struct tw_report *r, int64_t t_ns, const struct tw_stats_event *ev)
{
	if (!r || !ev || r->state != REP_STARTED || (unsigned)ev->kind >= TW_STATS_THR__COUNT)
		return TW_E_ARG;
	if (r->err != TW_OK)
		return r->err;
	struct rep_event e = {.t_ns = t_ns, .ev = *ev};
	if (r->nev == r->ev_cap && r->ev_cap < REP_EVENTS_MAX) {
		size_t cap = r->ev_cap ? r->ev_cap * 2 : 16;
		struct rep_event *n = realloc(r->ev, cap * sizeof *n);
		if (n) {
			r->ev = n;
			r->ev_cap = cap;
		}
	}
	if (r->nev < r->ev_cap)
		r->ev[r->nev++] = e;
	else
		r->ev_dropped++;
	return done(r, r->ops->event ? r->ops->event(r, &e) : TW_OK);
}

enum tw_err tw_report_end(struct tw_report *r, int64_t t_end_ns, const struct tw_stats_summary *sum,
                          const struct tw_stats_acc *acc)
{
	if (!r || !sum || r->state != REP_STARTED || t_end_ns < 0)
		return TW_E_ARG;
	r->state = REP_ENDED;
	if (r->err != TW_OK)
		return r->err;
	enum tw_err e = r->ops->end ? r->ops->end(r, t_end_ns, sum, acc) : TW_OK;
	if (e == TW_OK && fflush(r->out) != 0)
		e = TW_E_SYS;
	return done(r, e);
}

void tw_report_pkt_from_reply(struct tw_report_pkt *pkt, const struct tw_stats_reply *rp,
                              uint32_t flags)
{
	memset(pkt, 0, sizeof *pkt);
	pkt->snd_seq = rp->snd_seq;
	pkt->refl_seq = rp->refl_seq;
	pkt->t1 = rp->t1;
	pkt->t2 = rp->t2;
	pkt->t3 = rp->t3;
	pkt->t4 = rp->t4;
	pkt->e1 = rp->e1;
	pkt->e2 = rp->e2;
	pkt->e3 = rp->e3;
	pkt->e4 = rp->e4;
	pkt->snd_sync = rp->snd_sync;
	pkt->refl_sync = rp->refl_sync;
	pkt->snd_ttl = rp->snd_ttl;
	pkt->rx_ttl = rp->rx_ttl;
	pkt->flags = flags;
}

static const char *const thr_names[TW_STATS_THR__COUNT] = {
    [TW_STATS_THR_RTT] = "rtt",          [TW_STATS_THR_FWD] = "forward_owd",
    [TW_STATS_THR_BWD] = "backward_owd", [TW_STATS_THR_IPDV] = "ipdv",
    [TW_STATS_THR_LOSS] = "loss",
};

const char *rep_thr_name(enum tw_stats_thr_kind k)
{
	return (unsigned)k < TW_STATS_THR__COUNT ? thr_names[k] : "unknown";
}

const char *rep_thr_unit(enum tw_stats_thr_kind k)
{
	return k == TW_STATS_THR_LOSS ? "ppm" : "ns";
}

const char *tw_report_fmt_ns(char *buf, size_t cap, int64_t ns, bool ascii)
{
	static const struct {
		double div;
		const char *u, *ua;
	} units[] = {{1e0, "ns", "ns"}, {1e3, "µs", "us"}, {1e6, "ms", "ms"}, {1e9, "s", "s"}};
	double a = ns < 0 ? -(double)ns : (double)ns;
	unsigned i = 0;
	/* pick the unit in which the rounded value stays below 1000 */
	while (i < 3 && a >= units[i].div * 999.5)
		i++;
	double v = (double)ns / units[i].div;
	double av = v < 0 ? -v : v;
	int prec = i == 0 ? 0 : av < 9.995 ? 2 : av < 99.95 ? 1 : 0;
	snprintf(buf, cap, "%.*f %s", prec, v, ascii ? units[i].ua : units[i].u);
	return buf;
}

void tw_report_set_run(struct tw_report *r, const struct tw_report_run *run)
{
	r->have_run = true;
	r->run = *run;
	r->run_advice[0] = '\0';
	if (run->advice)
		snprintf(r->run_advice, sizeof(r->run_advice), "%s", run->advice);
	r->run.advice = r->run_advice[0] ? r->run_advice : NULL;
}

bool rep_run_short(const struct tw_report_run *run)
{
	return run->rate_requested_pps > 0 && run->rate_achieved_pps > 0 && run->rate_judged &&
	       run->rate_achieved_pps < run->rate_requested_pps * (1 - TW_REPORT_RATE_SHORTFALL);
}

void tw_report_set_stamp(struct tw_report *r, const struct tw_report_stamp *st)
{
	r->have_stamp = true;
	r->stamp = *st;
	r->stamp.sent[sizeof(r->stamp.sent) - 1] = '\0';
	r->stamp.local[sizeof(r->stamp.local) - 1] = '\0';
}

bool tw_report_stamp_sent(const struct tw_report_stamp *st, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = st->sent; *p;) {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : strlen(p);
		if (l == n && !strncmp(p, name, n))
			return true;
		p += l + (c != NULL);
	}
	return false;
}
