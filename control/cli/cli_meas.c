/* SPDX-License-Identifier: BSD-3-Clause */
/* cli_meas: engine results -> lib/tw_stats -> control/report.  See cli_meas.h. */
#include "cli_meas.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tw_html.h"
#include "tw_time.h"

#define LOST_RING ((uint32_t)TW_STATS_SEQ_WINDOW) /* tw_stats forgets older seqs too */

int cli_meas_init(struct cli_meas *m, const struct cli_meas_cfg *cfg, unsigned n, char *err,
                  size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->n = n;
	struct tw_stats_config sc = {0};
	sc.loss_timeout_ns = cfg->loss_timeout_ns > 0 ? cfg->loss_timeout_ns : 1;
	memcpy(sc.thr, cfg->thr, sizeof(sc.thr));
	for (unsigned i = 0; i < n; i++) {
		struct cli_meas_sess *s = &m->s[i];
		s->st = malloc(sizeof(struct tw_stats));
		if (!s->st || tw_stats_init(s->st, &sc) != TW_OK) {
			snprintf(err, errlen, "cannot set up statistics");
			return -1;
		}
		if (cfg->csv_path) {
			s->ring = calloc(LOST_RING, sizeof(*s->ring));
			if (!s->ring) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
		snprintf(s->name, sizeof(s->name), "s%u", i + 1);
		s->info.name = s->name;
	}
	return 0;
}

static void cp(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

void cli_meas_session(struct cli_meas *m, unsigned i, const struct cli_meas_sess_info *info)
{
	struct cli_meas_sess *s = &m->s[i];
	s->info = *info;
	/* Light/STAMP sessions have no SID: "s1", "s2", ... (docs/client.md),
	 * so that their reports, OpenMetrics series and HTML sections differ. */
	if (info->name)
		cp(s->name, sizeof(s->name), info->name);
	else
		snprintf(s->name, sizeof(s->name), "s%u", i + 1);
	cp(s->peer, sizeof(s->peer), info->peer);
	cp(s->local, sizeof(s->local), info->local);
	cp(s->mode, sizeof(s->mode), info->mode);
	s->info.name = s->name;
	s->info.peer = info->peer ? s->peer : NULL;
	s->info.local = info->local ? s->local : NULL;
	s->info.mode = info->mode ? s->mode : NULL;
}

static void params_of(const struct cli_meas *m, const struct cli_meas_sess *s,
                      struct tw_report_params *p)
{
	memset(p, 0, sizeof(*p));
	p->session = s->info.name;
	p->peer = s->info.peer;
	p->local = s->info.local;
	p->mode = s->info.mode;
	p->padding = s->info.padding;
	p->dscp = s->info.dscp;
	p->count = s->info.count;
	p->tx_interval_ns = s->info.interval_ns;
	p->report_interval_ns = m->cfg.report_interval_ns;
	p->loss_timeout_ns = m->cfg.loss_timeout_ns;
	p->start_ns = m->t0;
}

/* Several sessions: copy what the session's text report wrote since the last
 * call to the main stream, whole lines only, each prefixed with the session. */
static void forward(struct cli_meas *m, unsigned i, bool all)
{
	struct cli_meas_sess *s = &m->s[i];
	if (!s->mem)
		return;
	fflush(s->mem);
	if (m->cfg.json && !all)
		return;
	while (s->emitted < s->memn) {
		const char *p = s->memp + s->emitted;
		const char *nl = memchr(p, '\n', s->memn - s->emitted);
		size_t len = nl ? (size_t)(nl - p) + 1 : s->memn - s->emitted;
		if (!nl && !all)
			break;
		if (!m->cfg.json)
			fprintf(m->cfg.out, "s%u: ", i + 1);
		fwrite(p, 1, len, m->cfg.out);
		s->emitted += len;
	}
	fflush(m->cfg.out);
}

/* --html: the page's head now (so a bad path fails before the run), one
 * section per session at the end (docs/output.md "HTML"). */
static int html_open(struct cli_meas *m, char *err, size_t errlen)
{
	m->htmlf = fopen(m->cfg.html_path, "w");
	if (!m->htmlf) {
		snprintf(err, errlen, "--html %s: %s", m->cfg.html_path, strerror(errno));
		return -1;
	}
	const struct cli_meas_sess *s = &m->s[0];
	char title[320], sub[256], iso[32];
	time_t t = (time_t)(m->t0 / 1000000000);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(iso, sizeof(iso), "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(iso, sizeof(iso), "?");
	if (m->cfg.html_title)
		snprintf(title, sizeof(title), "%s", m->cfg.html_title);
	else
		snprintf(title, sizeof(title), "twinhop: %s",
		         s->info.peer ? s->info.peer : s->name);
	snprintf(sub, sizeof(sub), "%u session%s, mode %s, engine %s, started %s", m->n,
	         m->n == 1 ? "" : "s", s->info.mode ? s->info.mode : "-",
	         m->cfg.engine ? m->cfg.engine : "socket", iso);
	tw_html_begin(m->htmlf, title, sub);
	return 0;
}

int cli_meas_start(struct cli_meas *m, char *err, size_t errlen)
{
	m->host_ok = cli_host_udp_read(&m->host0);
	m->t0 = tw_time_now_ns();
	m->last_intv = m->t0;
	if (m->cfg.html_path && html_open(m, err, errlen) < 0)
		return -1;
	for (unsigned i = 0; i < m->n; i++) {
		struct cli_meas_sess *s = &m->s[i];
		struct tw_report_params p;
		params_of(m, s, &p);
		if (m->cfg.out) {
			FILE *f = m->cfg.out;
			unsigned fl = 0;
			if (m->n > 1) {
				s->mem = open_memstream(&s->memp, &s->memn);
				if (!s->mem) {
					snprintf(err, errlen, "open_memstream: %s",
					         strerror(errno));
					return -1;
				}
				f = s->mem;
				if (m->cfg.json)
					fl |= TW_REPORT_F_COMPACT;
			}
			if (!m->cfg.report_interval_ns)
				fl |= TW_REPORT_F_NOINTV;
			s->rep =
			    tw_report_new(m->cfg.json ? TW_REPORT_JSON : TW_REPORT_TEXT, f, fl);
			if (!s->rep || tw_report_start(s->rep, &p) != TW_OK) {
				snprintf(err, errlen, "cannot write the report");
				return -1;
			}
			forward(m, i, false);
		}
		if (m->cfg.csv_path) {
			char path[4096];
			if (m->n > 1)
				snprintf(path, sizeof(path), "%s.%u", m->cfg.csv_path, i + 1);
			else
				snprintf(path, sizeof(path), "%s", m->cfg.csv_path);
			s->csvf = fopen(path, "w");
			if (!s->csvf) {
				snprintf(err, errlen, "--csv %s: %s", path, strerror(errno));
				return -1;
			}
			s->csv = tw_report_new(TW_REPORT_CSV, s->csvf, 0);
			if (!s->csv || tw_report_start(s->csv, &p) != TW_OK) {
				snprintf(err, errlen, "--csv %s: cannot write", path);
				return -1;
			}
		}
		if (m->htmlf) {
			s->html = tw_report_new(TW_REPORT_HTML, m->htmlf, 0);
			if (!s->html || tw_report_start(s->html, &p) != TW_OK) {
				snprintf(err, errlen, "--html %s: cannot write", m->cfg.html_path);
				return -1;
			}
		}
	}
	m->started = true;
	return 0;
}

static void emit_lost(struct cli_meas_sess *s, uint64_t seq, int64_t t1)
{
	struct tw_report_pkt pk = {0};
	pk.snd_seq = (uint32_t)seq;
	pk.t1 = t1;
	pk.lost = true;
	tw_report_packet(s->csv, &pk);
}

/* CSV lost rows: tw_stats does not name the seqs it declares lost, so keep
 * our own window of sent seqs (docs/output.md, CSV). */
static void settle(struct cli_meas *m, struct cli_meas_sess *s, int64_t now, bool all)
{
	if (!s->ring)
		return;
	while (s->settle_next < s->sent_hi) {
		struct cli_meas_lost *l = &s->ring[s->settle_next % LOST_RING];
		if (!all && l->t1 + m->cfg.loss_timeout_ns > now)
			break;
		if (!l->rx)
			emit_lost(s, s->settle_next, l->t1);
		s->settle_next++;
	}
}

static void pop_events(struct cli_meas *m, unsigned i, int64_t at)
{
	struct cli_meas_sess *s = &m->s[i];
	struct tw_stats_event ev;
	bool any = false;
	while (tw_stats_event_pop(s->st, &ev)) {
		any = true;
		if (s->rep)
			tw_report_event(s->rep, at - m->t0, &ev);
		if (s->html)
			tw_report_event(s->html, at - m->t0, &ev);
	}
	if (any)
		forward(m, i, false);
}

static void cb_sent(void *arg, unsigned i, uint32_t seq, int64_t t1)
{
	struct cli_meas *m = arg;
	struct cli_meas_sess *s = &m->s[i];
	if (!s->measuring) {
		if (seq < s->info.warm_pkts)
			return; /* warm-up: not measured */
		s->measuring = true;
		s->first_seq = seq;
		s->first_t1 = t1;
		s->settle_next = s->sent_hi = seq;
	}
	if (seq < s->first_seq)
		return;
	tw_stats_sent(s->st, seq, t1);
	s->last_t1 = t1;
	s->nsent++;
	if (s->ring) {
		/* Window full: settle the oldest now. */
		while (s->settle_next + LOST_RING <= seq) {
			struct cli_meas_lost *l = &s->ring[s->settle_next % LOST_RING];
			if (!l->rx)
				emit_lost(s, s->settle_next, l->t1);
			s->settle_next++;
		}
		s->ring[seq % LOST_RING] = (struct cli_meas_lost){t1, false};
		if (seq + 1 > s->sent_hi)
			s->sent_hi = (uint64_t)seq + 1;
	}
}

/* A lost packet's own send time, for its CSV row (not yet written). */
static void cb_sent_t1(void *arg, unsigned i, uint32_t seq, int64_t t1)
{
	struct cli_meas *m = arg;
	struct cli_meas_sess *s = &m->s[i];
	if (s->ring && s->measuring && seq >= s->settle_next && seq < s->sent_hi)
		s->ring[seq % LOST_RING].t1 = t1;
}

static void cb_reply(void *arg, unsigned i, const struct tw_stats_reply *r)
{
	struct cli_meas *m = arg;
	struct cli_meas_sess *s = &m->s[i];
	if (!s->measuring || r->snd_seq < s->first_seq)
		return; /* reply to a warm-up packet */
	struct tw_stats_sample smp;
	uint32_t fl = tw_stats_reply(s->st, r, &smp);
	if (s->csv) {
		struct tw_report_pkt pk;
		tw_report_pkt_from_reply(&pk, r, fl);
		tw_report_packet(s->csv, &pk);
	}
	/* A late reply stays lost (RFC 7680 §2.4): its lost row still comes. */
	if (s->ring && !(fl & (TW_STATS_F_LATE | TW_STATS_F_UNKNOWN | TW_STATS_F_TOO_OLD)) &&
	    r->snd_seq >= s->settle_next && r->snd_seq < s->sent_hi)
		s->ring[r->snd_seq % LOST_RING].rx = true;
	pop_events(m, i, r->t4 ? r->t4 : tw_time_now_ns());
}

static void progress_line(struct cli_meas *m, unsigned i, int64_t now,
                          const struct tw_stats_summary *sum)
{
	char a[32];
	fprintf(stderr,
	        "[%6.1f s] %s sent %" PRIu64 " rcvd %" PRIu64 " lost %" PRIu64 " rtt p50 %s\n",
	        (double)(now - m->t0) / 1e9, m->s[i].name, sum->sent, sum->received, sum->lost,
	        sum->rtt.n ? tw_report_fmt_ns(a, sizeof(a), sum->rtt.p50, true) : "-");
}

static void cb_tick(void *arg, int64_t now)
{
	struct cli_meas *m = arg;
	if (m->on_tick)
		m->on_tick(m->on_tick_arg, now);
	bool intv =
	    m->cfg.report_interval_ns > 0 && now - m->last_intv >= m->cfg.report_interval_ns;
	for (unsigned i = 0; i < m->n; i++) {
		struct cli_meas_sess *s = &m->s[i];
		tw_stats_expire(s->st, now);
		settle(m, s, now, false);
		pop_events(m, i, now);
		if (!intv)
			continue;
		struct tw_stats_summary sum;
		tw_stats_interval_take(s->st, &sum, NULL);
		if (s->rep)
			tw_report_interval(s->rep, m->last_intv - m->t0, now - m->t0, &sum);
		if (s->html)
			tw_report_interval(s->html, m->last_intv - m->t0, now - m->t0, &sum);
		forward(m, i, false);
		if (m->cfg.json && m->cfg.progress)
			progress_line(m, i, now, &sum);
	}
	if (intv) {
		m->last_intv = now;
		/* progress as it happens, also into a pipe or a file (stdout
		 * is fully buffered there) */
		fflush(m->cfg.out);
	}
}

const struct cli_engine_cb *cli_meas_callbacks(struct cli_meas *m)
{
	m->cb = (struct cli_engine_cb){m, cb_sent, cb_reply, cb_tick, cb_sent_t1};
	return &m->cb;
}

void cli_meas_summary(const struct cli_meas *m, unsigned i, struct tw_stats_summary *sum)
{
	tw_stats_summary_fill(m->s[i].st, &m->s[i].st->total, sum);
}

static int write_om(struct cli_meas *m, char *err, size_t errlen)
{
	FILE *f = fopen(m->cfg.om_path, "w");
	if (!f) {
		snprintf(err, errlen, "--openmetrics %s: %s", m->cfg.om_path, strerror(errno));
		return -1;
	}
	struct tw_report_label lab[CLI_ENGINE_SESSIONS_MAX][3];
	struct tw_report_om_session os[CLI_ENGINE_SESSIONS_MAX];
	for (unsigned i = 0; i < m->n; i++) {
		const struct cli_meas_sess *s = &m->s[i];
		lab[i][0] = (struct tw_report_label){"session", s->info.name};
		lab[i][1] = (struct tw_report_label){"peer", s->info.peer ? s->info.peer : ""};
		lab[i][2] = (struct tw_report_label){"mode", s->info.mode ? s->info.mode : ""};
		os[i] = (struct tw_report_om_session){lab[i], 3, s->st, &s->st->total};
	}
	enum tw_err e = tw_report_om_sessions(f, os, m->n);
	/* STAMP TLV families: the sessions that sent TLVs. */
	struct tw_report_om_stamp ost[CLI_ENGINE_SESSIONS_MAX];
	size_t nst = 0;
	for (unsigned i = 0; i < m->n; i++)
		if (m->s[i].has_stamp)
			ost[nst++] = (struct tw_report_om_stamp){lab[i], 3, &m->s[i].stamp};
	if (e == TW_OK && nst)
		e = tw_report_om_stamp(f, ost, nst);
	if (e == TW_OK)
		e = tw_report_om_eof(f);
	if (fclose(f) != 0 && e == TW_OK)
		e = TW_E_SYS;
	if (e != TW_OK) {
		snprintf(err, errlen, "--openmetrics %s: cannot write (%s)", m->cfg.om_path,
		         tw_errname(e));
		return -1;
	}
	return 0;
}

static bool rep_short(const struct tw_report_run *u)
{
	return u->rate_requested_pps > 0 && u->rate_achieved_pps > 0 && u->rate_judged &&
	       u->rate_achieved_pps < u->rate_requested_pps * (1 - TW_REPORT_RATE_SHORTFALL);
}

/* The run's own facts for the report: the rate reached against the one
 * asked for, and what this host dropped (docs/output.md "The run"). */
static void run_facts(const struct cli_meas *m, const struct cli_meas_sess *s,
                      const struct cli_host_udp *h1, bool h1_ok, struct tw_report_run *u,
                      char *advice, size_t cap)
{
	memset(u, 0, sizeof(*u));
	if (s->info.interval_ns > 0)
		u->rate_requested_pps = 1e9 / (double)s->info.interval_ns;
	if (s->nsent >= 2 && s->last_t1 > s->first_t1)
		u->rate_achieved_pps =
		    (double)(s->nsent - 1) * 1e9 / (double)(s->last_t1 - s->first_t1);
	/* A few packets' timing jitter is not a shortfall: judge from 20
	 * packets and 100 ms on. */
	u->rate_judged = s->nsent >= 20 && s->last_t1 - s->first_t1 >= 100000000;
	u->host_known = m->host_ok && h1_ok;
	if (u->host_known) {
		u->host_rcvbuf_errors = h1->rcvbuf_errors >= m->host0.rcvbuf_errors
		                            ? h1->rcvbuf_errors - m->host0.rcvbuf_errors
		                            : 0;
		u->host_sndbuf_errors = h1->sndbuf_errors >= m->host0.sndbuf_errors
		                            ? h1->sndbuf_errors - m->host0.sndbuf_errors
		                            : 0;
	}
	if (m->engine_drops.known) {
		/* the fast path's drops are host-wide, like the UDP counters */
		u->engine_drops = m->engine_drops.total;
		u->n_engine_drop_by = m->engine_drops.n;
		for (unsigned i = 0; i < m->engine_drops.n && i < TW_REPORT_DROP_REASONS; i++) {
			u->engine_drop_by[i].name = m->engine_drops.by[i].name;
			u->engine_drop_by[i].n = m->engine_drops.by[i].n;
		}
	}
	u->cpu_shared = m->engine_cpus.known ? m->engine_cpus.shared : -1;
	snprintf(u->cpus_shared, sizeof(u->cpus_shared), "%s", m->engine_cpus.list);
	bool sock = !m->cfg.engine || !strcmp(m->cfg.engine, "socket");
	advice[0] = '\0';
	if (rep_short(u))
		snprintf(advice, cap,
		         "the %s engine reached %.0f of %.0f pps: the rates, delays and loss above "
		         "are for that rate%s",
		         sock ? "socket" : "fastpath", u->rate_achieved_pps, u->rate_requested_pps,
		         sock ? "; --engine fastpath sends from the DPDK fast path" : "");
	else if (u->host_rcvbuf_errors + u->host_sndbuf_errors)
		snprintf(advice, cap,
		         "this host's UDP socket buffers dropped packets: some of the loss is "
		         "ours, not the network's%s",
		         sock ? " (raise net.core.rmem_max, or use --engine fastpath)" : "");
	else if (u->engine_drops)
		snprintf(advice, cap,
		         "this host's fast path dropped %" PRIu64
		         " packets during the run: some of "
		         "the loss may be ours, not the network's (twinhop counters --fp)",
		         u->engine_drops);
	u->advice = advice[0] ? advice : NULL;
}

void cli_meas_set_stamp(struct cli_meas *m, unsigned i, const struct tw_report_stamp *st)
{
	if (i >= m->n)
		return;
	m->s[i].has_stamp = true;
	m->s[i].stamp = *st;
}

int cli_meas_finish(struct cli_meas *m, char *err, size_t errlen)
{
	int rc = 0;
	int64_t now = tw_time_now_ns();
	struct cli_host_udp h1;
	bool h1_ok = cli_host_udp_read(&h1);
	for (unsigned i = 0; i < m->n; i++) {
		struct cli_meas_sess *s = &m->s[i];
		tw_stats_expire(s->st, now);
		settle(m, s, now, false);
		pop_events(m, i, now);
		tw_stats_flush(s->st);
		settle(m, s, now, true); /* what flush declared lost */
		pop_events(m, i, now);
		if (!m->started)
			continue;
		struct tw_stats_summary sum;
		tw_stats_summary_fill(s->st, &s->st->total, &sum);
		struct tw_report_run run;
		char advice[256];
		run_facts(m, s, &h1, h1_ok, &run, advice, sizeof(advice));
		/* The main report and the HTML section get the same calls: the
		 * last partial interval, then the totals. */
		struct tw_report *reps[2] = {s->rep, s->html};
		struct tw_stats_summary is;
		bool last = false;
		if ((s->rep || s->html) && m->cfg.report_interval_ns > 0 && now > m->last_intv) {
			tw_stats_interval_take(s->st, &is, NULL);
			last = is.sent || is.received;
		}
		for (unsigned k = 0; k < 2; k++) {
			if (!reps[k])
				continue;
			tw_report_set_run(reps[k], &run);
			if (s->has_stamp)
				tw_report_set_stamp(reps[k], &s->stamp);
			if (last)
				tw_report_interval(reps[k], m->last_intv - m->t0, now - m->t0, &is);
			if (tw_report_end(reps[k], now - m->t0, &sum, &s->st->total) != TW_OK) {
				if (k)
					snprintf(err, errlen, "--html %s: cannot write",
					         m->cfg.html_path);
				else
					snprintf(err, errlen, "cannot write the report");
				rc = -1;
			}
		}
		if (s->csv && tw_report_end(s->csv, now - m->t0, &sum, NULL) != TW_OK) {
			snprintf(err, errlen, "--csv %s: cannot write", m->cfg.csv_path);
			rc = -1;
		}
	}
	/* Several sessions: the documents / remaining text in session order. */
	for (unsigned i = 0; i < m->n; i++)
		forward(m, i, true);
	if (m->started && m->cfg.om_path && write_om(m, err, errlen) < 0)
		rc = -1;
	if (m->started && m->htmlf) {
		enum tw_err e = tw_html_end(m->htmlf);
		if (fclose(m->htmlf) != 0 && e == TW_OK)
			e = TW_E_SYS;
		m->htmlf = NULL;
		if (e != TW_OK) {
			snprintf(err, errlen, "--html %s: cannot write", m->cfg.html_path);
			rc = -1;
		}
	}
	return rc;
}

void cli_meas_free(struct cli_meas *m)
{
	for (unsigned i = 0; i < m->n; i++) {
		struct cli_meas_sess *s = &m->s[i];
		tw_report_free(s->rep);
		tw_report_free(s->csv);
		tw_report_free(s->html);
		if (s->mem)
			fclose(s->mem);
		free(s->memp);
		if (s->csvf)
			fclose(s->csvf);
		free(s->ring);
		free(s->st);
		memset(s, 0, sizeof(*s));
	}
	if (m->htmlf)
		fclose(m->htmlf);
	m->htmlf = NULL;
}

int64_t cli_parse_duration_ns(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !(v >= 0) || !isfinite(v))
		return -1;
	double mul = !*end                ? 1e9
	             : !strcmp(end, "s")  ? 1e9
	             : !strcmp(end, "ms") ? 1e6
	             : !strcmp(end, "us") ? 1e3
	             : !strcmp(end, "ns") ? 1
	                                  : -1;
	if (mul < 0 || v * mul > 9e18)
		return -1;
	return (int64_t)llround(v * mul);
}

static int64_t parse_loss_ppm(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !(v >= 0))
		return -1;
	if (!strcmp(end, "%"))
		v *= 1e4;
	else if (!strcmp(end, "ppm"))
		;
	else if (!*end && v <= 1)
		v *= 1e6; /* a fraction */
	else
		return -1;
	if (v > 1e6)
		return -1;
	return (int64_t)llround(v);
}

int cli_meas_parse_threshold(const char *s, struct tw_stats_thr thr[TW_STATS_THR__COUNT], char *err,
                             size_t errlen)
{
	char *dup = strdup(s), *save = NULL;
	if (!dup) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = 0;
	for (char *t = strtok_r(dup, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		if (!eq) {
			rc = -1;
			break;
		}
		*eq = '\0';
		char *raise = eq + 1, *clear = strchr(raise, ':');
		if (clear)
			*clear++ = '\0';
		bool loss = !strcmp(t, "loss");
		int64_t r = loss ? parse_loss_ppm(raise) : cli_parse_duration_ns(raise);
		int64_t c =
		    clear ? (loss ? parse_loss_ppm(clear) : cli_parse_duration_ns(clear)) : r;
		if (r <= 0 || c < 0 || c > r) {
			rc = -1;
			break;
		}
		struct tw_stats_thr v = {r, c};
		if (!strcmp(t, "rtt"))
			thr[TW_STATS_THR_RTT] = v;
		else if (!strcmp(t, "owd"))
			thr[TW_STATS_THR_FWD] = thr[TW_STATS_THR_BWD] = v;
		else if (!strcmp(t, "fwd") || !strcmp(t, "forward"))
			thr[TW_STATS_THR_FWD] = v;
		else if (!strcmp(t, "bwd") || !strcmp(t, "backward"))
			thr[TW_STATS_THR_BWD] = v;
		else if (!strcmp(t, "ipdv"))
			thr[TW_STATS_THR_IPDV] = v;
		else if (loss)
			thr[TW_STATS_THR_LOSS] = v;
		else
			rc = -1;
	}
	if (rc)
		snprintf(err, errlen,
		         "--threshold '%s': need KIND=RAISE[:CLEAR] with KIND rtt, owd, fwd, bwd, "
		         "ipdv (times: 5ms, 250us, 1s) or loss (1%%, 500ppm), CLEAR <= RAISE",
		         s);
	free(dup);
	return rc;
}
