/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_bench: profile steps -> cli_run sessions -> one result row per step.
 *
 * Mixes.  Every engine sends one Padding Length and one DSCP per session, so
 * an imix / dscp-mix step runs one session per (size, DSCP) pair, each at
 * rate x weight_size/sum x weight_dscp/sum, all at once (docs/profiles.md,
 * "Mixes"): the proportions hold, but sizes and DSCPs interleave by timing
 * rather than by the profile's deterministic per-packet sequence.
 *
 * Warm-up.  Each session sends rate x warmup extra packets first; cli_meas
 * discards those first sequence numbers (not "what was sent before a
 * time": a warm-up packet sent late on a busy machine would count), so only
 * the measured packets are counted.
 */
#include "cli_host.h"
#include "cli_bench.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tw_crypto.h"
#include "tw_ctl.h"
#include "tw_html.h"
#include "tw_profile.h"
#include "tw_report.h"

#ifndef TW_PROFILES_DIR
#define TW_PROFILES_DIR "/usr/share/twinhop/profiles"
#endif

/* The checkout's bundled profiles, searched only by a twinhop that runs
 * from its build tree (not installed): `twinhop bench rate-steps HOST`
 * works from a checkout as it does once installed. */
static const char *build_tree_profiles(void)
{
#ifdef TW_SRC_PROFILES_DIR
	if (cli_host_in_build_tree())
		return TW_SRC_PROFILES_DIR;
#endif
	return NULL;
}

static bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* out = a b c, -1 if it does not fit.  (Not snprintf: with UBSan, GCC's
 * format-truncation check misfires on these arguments.) */
static int join3(char *out, size_t cap, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	if (la + lb + lc >= cap)
		return -1;
	memcpy(out, a, la);
	memcpy(out + la, b, lb);
	memcpy(out + la + lb, c, lc + 1);
	return 0;
}

int cli_bench_resolve(const char *profile, const char *dir, char *out, size_t cap)
{
	if (is_file(profile) || strchr(profile, '/'))
		return join3(out, cap, profile, "", "") == 0 && is_file(profile) ? 0 : -1;
	const char *dirs[] = {dir, getenv("TWINHOP_PROFILES"), TW_PROFILES_DIR,
	                      build_tree_profiles()};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!dirs[i] || !*dirs[i])
			continue;
		char name[512];
		if (join3(name, sizeof(name), "/", profile, ".profile") == 0 &&
		    join3(out, cap, dirs[i], name, "") == 0 && is_file(out))
			return 0;
		if (join3(out, cap, dirs[i], "/", profile) == 0 && is_file(out))
			return 0;
	}
	return -1;
}

struct step_res {
	char name[TW_PROFILE_STEP_NAME_MAX];
	const char *mode;
	char negotiated[96];
	unsigned sessions;
	double rate_req, rate_ach, l1_bps;
	uint64_t planned; /* measured packets the step asked for */
	bool shortfall;   /* achieved rate or packets sent short of the step's */
	char advice[320]; /* what fell short, when it did */
	uint64_t sent, received, lost;
	uint64_t settled;
	bool have_rtt;
	int64_t p50, p99, max;
	uint64_t duration_ns, warmup_ns;
};

static uint32_t ctl_mode_of(enum tw_profile_mode m)
{
	switch (m) {
	case TW_PROFILE_MODE_AUTH:
		return TW_CTL_MODE_AUTH;
	case TW_PROFILE_MODE_ENC:
		return TW_CTL_MODE_ENCRYPTED;
	case TW_PROFILE_MODE_MIXED:
		return TW_CTL_MODE_MIXED;
	default:
		return TW_CTL_MODE_OPEN;
	}
}

static bool is_light(enum tw_profile_mode m)
{
	return m == TW_PROFILE_MODE_LIGHT || m == TW_PROFILE_MODE_STAMP ||
	       m == TW_PROFILE_MODE_STAMP_AUTH;
}

/* Packets a session sends in `ns` at `pps` (at least one). */
static uint64_t pkts(uint64_t ns, double pps)
{
	double n = ceil((double)ns * pps / 1e9 - 1e-9);
	return n < 1 ? 1 : (uint64_t)n;
}

static int run_step(const struct cli_bench_args *a, const struct tw_profile_step *st,
                    volatile sig_atomic_t *stop, struct step_res *res)
{
	unsigned n = (unsigned)(st->n_sizes * st->n_dscps);
	if (n > CLI_ENGINE_SESSIONS_MAX) {
		cli_err("step %s: %zu sizes x %zu DSCPs need %u sessions, at most %u", st->name,
		        st->n_sizes, st->n_dscps, n, CLI_ENGINE_SESSIONS_MAX);
		return 1;
	}
	if (st->mode == TW_PROFILE_MODE_STAMP_AUTH && !a->stamp_key_len) {
		cli_err("step %s: mode stamp-auth needs --stamp-key", st->name);
		return 2;
	}
	uint64_t wsz = 0, wds = 0;
	for (size_t k = 0; k < st->n_sizes; k++)
		wsz += st->sizes[k].weight;
	for (size_t j = 0; j < st->n_dscps; j++)
		wds += st->dscps[j].weight;
	struct cli_plan plan[CLI_ENGINE_SESSIONS_MAX];
	uint64_t planned = 0;
	unsigned i = 0;
	for (size_t k = 0; k < st->n_sizes; k++) {
		for (size_t j = 0; j < st->n_dscps; j++, i++) {
			struct cli_plan *pl = &plan[i];
			memset(pl, 0, sizeof(*pl));
			double share = (double)st->sizes[k].weight / (double)wsz *
			               (double)st->dscps[j].weight / (double)wds;
			double pps = st->rate_pps * share;
			pl->interval_ns = (uint64_t)llround(1e9 / pps);
			if (!pl->interval_ns)
				pl->interval_ns = 1;
			pl->padding = st->sizes[k].padding_len;
			pl->dscp = st->dscps[j].dscp;
			pl->poisson = st->sched == TW_IPC_SCHED_POISSON;
			uint64_t meas = 0;
			if (st->duration_ns)
				meas = pkts(st->duration_ns, pps);
			if (st->count) {
				uint64_t c = (uint64_t)llround((double)st->count * share);
				c = c ? c : 1;
				meas = meas && meas < c ? meas : c;
			}
			uint64_t warm = st->warmup_ns ? pkts(st->warmup_ns, pps) : 0;
			pl->count = warm + meas;
			pl->warmup_ns = (int64_t)(warm * pl->interval_ns);
			/* The step keeps its duration: an engine that cannot
			 * reach the rate stops sending on time (the shortfall is
			 * reported) instead of running until `count` is sent. */
			if (st->duration_ns)
				pl->duration_ns = pl->warmup_ns + (int64_t)st->duration_ns;
			planned += meas;
			pl->sender_port = a->sender_port ? (uint16_t)(a->sender_port + i) : 0;
			pl->layout = st->layout;
			pl->prot = st->mode == TW_PROFILE_MODE_STAMP_AUTH ? TW_PKT_PROT_AUTH
			                                                  : TW_PKT_PROT_NONE;
			pl->stamp_key = a->stamp_key;
			pl->stamp_key_len = pl->prot ? a->stamp_key_len : 0;
			pl->ssid = (uint16_t)(i + 1);
		}
	}
	char err[512];
	struct cli_meas_cfg mc = {0};
	mc.loss_timeout_ns = a->loss_timeout_ns;
	struct cli_meas *m = calloc(1, sizeof(*m));
	struct cli_engine *e = cli_engine_new(a->engine, a->admin, err, sizeof(err));
	struct tw_stats_acc *acc = malloc(sizeof(*acc));
	int rc = 1;
	if (!m || !e || !acc) {
		cli_err("%s", e ? "out of memory" : err);
		goto out;
	}
	if (cli_meas_init(m, &mc, n, err, sizeof(err)) < 0) {
		cli_err("%s", err);
		goto out;
	}
	struct cli_conn conn = a->conn;
	conn.ctl.modes = ctl_mode_of(st->mode);
	conn.quiet = true;
	struct cli_run_out ro = {0};
	rc = is_light(st->mode) ? cli_run_light(&conn, plan, n, e, m, stop, &ro)
	                        : cli_run_twamp(&conn, plan, n, e, m, stop, &ro);
	tw_crypto_cleanse(&conn, sizeof(conn));
	if (rc)
		goto out;
	memset(res, 0, sizeof(*res));
	snprintf(res->name, sizeof(res->name), "%s", st->name);
	res->mode = st->mode_name;
	snprintf(res->negotiated, sizeof(res->negotiated), "%s", ro.mode);
	res->sessions = n;
	res->planned = planned;
	res->rate_req = st->rate_pps;
	res->l1_bps = st->l1_bps;
	res->duration_ns = st->duration_ns;
	res->warmup_ns = st->warmup_ns;
	for (i = 0; i < n; i++) {
		const struct cli_meas_sess *s = &m->s[i];
		if (i == 0)
			tw_stats_acc_copy(acc, &s->st->total);
		else
			tw_stats_acc_merge(acc, &s->st->total);
		/* Achieved: packets per second between this session's first and
		 * last measured send. */
		if (s->nsent >= 2 && s->last_t1 > s->first_t1)
			res->rate_ach +=
			    (double)(s->nsent - 1) * 1e9 / (double)(s->last_t1 - s->first_t1);
		else if (s->nsent == 1)
			res->rate_ach += 1e9 / (double)plan[i].interval_ns;
	}
	struct tw_stats_summary sum;
	tw_stats_summary_fill(m->s[0].st, acc, &sum);
	/* Short: more than TW_REPORT_RATE_SHORTFALL (5 %, the measure
	 * report's rule) below the step.  A step with a duration is judged by
	 * the packets it got out within it (the schedule catches up after a
	 * stall, so only an engine that cannot keep the rate falls behind; one
	 * packet of slack for the last one's timing); a count-only step by its
	 * achieved rate.  A Poisson schedule's count and mean gap vary by
	 * chance (about 1/sqrt(n)): three of those are not a shortfall. */
	double tol = TW_REPORT_RATE_SHORTFALL;
	if (st->sched == TW_IPC_SCHED_POISSON && sum.sent)
		tol = fmax(tol, 3.0 / sqrt((double)sum.sent));
	if (st->duration_ns)
		res->shortfall = (double)sum.sent + 1 < (double)planned * (1 - tol);
	else
		res->shortfall = sum.sent >= 2 && res->rate_ach < res->rate_req * (1 - tol);
	if (res->shortfall) {
		bool sock = !strcmp(cli_engine_name(e), "socket");
		char within[64] = "";
		if (st->duration_ns)
			snprintf(within, sizeof(within), " within the step's %.3f s",
			         (double)st->duration_ns / 1e9);
		snprintf(res->advice, sizeof(res->advice),
		         "the %s engine reached %.0f of %.0f pps and sent %" PRIu64 " of %" PRIu64
		         " packets%s%s",
		         cli_engine_name(e), res->rate_ach, res->rate_req, sum.sent, planned,
		         within, sock ? "; --engine fastpath sends from the DPDK fast path" : "");
	}
	res->sent = sum.sent;
	res->received = sum.received;
	res->lost = sum.lost;
	res->settled = sum.settled;
	res->have_rtt = sum.rtt.n > 0;
	res->p50 = sum.rtt.p50;
	res->p99 = sum.rtt.p99;
	res->max = sum.rtt.max;
out:
	if (m)
		cli_meas_free(m);
	free(m);
	free(acc);
	cli_engine_free(e);
	return rc;
}

static void text_head(FILE *f)
{
	fprintf(f, "%-20s %-10s %4s %11s %11s %9s %9s %8s %8s %10s %10s %10s\n", "STEP", "MODE",
	        "SESS", "RATE REQ", "RATE ACH", "SENT", "RCVD", "LOST", "LOSS", "RTT P50",
	        "RTT P99", "RTT MAX");
}

static void text_row(FILE *f, const struct step_res *r)
{
	char a[32] = "-", b[32] = "-", c[32] = "-", l[32] = "-";
	if (r->have_rtt) {
		tw_report_fmt_ns(a, sizeof(a), r->p50, true);
		tw_report_fmt_ns(b, sizeof(b), r->p99, true);
		tw_report_fmt_ns(c, sizeof(c), r->max, true);
	}
	if (r->settled)
		snprintf(l, sizeof(l), "%.3f%%", 100.0 * (double)r->lost / (double)r->settled);
	fprintf(f,
	        "%-20s %-10s %4u %7.0f pps %7.0f pps %9" PRIu64 " %9" PRIu64 " %8" PRIu64
	        " %8s %10s %10s %10s\n",
	        r->name, r->mode, r->sessions, r->rate_req, r->rate_ach, r->sent, r->received,
	        r->lost, l, a, b, c);
	if (r->shortfall)
		fprintf(f, "  ** SHORTFALL: %s\n", r->advice);
	fflush(f);
}

static void json_row(struct rep_json *w, const struct step_res *r, unsigned idx)
{
	rep_json_obj_begin(w, NULL);
	rep_json_u64(w, "index", idx);
	rep_json_str(w, "name", r->name);
	rep_json_str(w, "mode", r->mode);
	rep_json_str(w, "negotiated_mode", r->negotiated);
	rep_json_u64(w, "sessions", r->sessions);
	rep_json_double(w, "rate_requested_pps", r->rate_req, 3);
	rep_json_double(w, "rate_achieved_pps", r->rate_ach, 3);
	rep_json_bool(w, "rate_shortfall", r->shortfall);
	rep_json_u64(w, "sent_planned", r->planned);
	if (r->shortfall)
		rep_json_str(w, "advice", r->advice);
	else
		rep_json_null(w, "advice");
	rep_json_double(w, "l1_bps_requested", r->l1_bps, 0);
	rep_json_u64(w, "duration_ns", r->duration_ns);
	rep_json_u64(w, "warmup_ns", r->warmup_ns);
	rep_json_u64(w, "sent", r->sent);
	rep_json_u64(w, "received", r->received);
	rep_json_u64(w, "lost", r->lost);
	if (r->settled)
		rep_json_double(w, "loss_ratio", (double)r->lost / (double)r->settled, 9);
	else
		rep_json_null(w, "loss_ratio");
	if (r->have_rtt) {
		rep_json_i64(w, "rtt_p50_ns", r->p50);
		rep_json_i64(w, "rtt_p99_ns", r->p99);
		rep_json_i64(w, "rtt_max_ns", r->max);
	} else {
		rep_json_null(w, "rtt_p50_ns");
		rep_json_null(w, "rtt_p99_ns");
		rep_json_null(w, "rtt_max_ns");
	}
	rep_json_obj_end(w);
}

/* ---- --html: the JSON document's numbers, each with its JSON path ---- */

static void td_u64(FILE *f, const char *key, uint64_t v)
{
	char t[32];
	snprintf(t, sizeof(t), "%" PRIu64, v);
	tw_html_td_val(f, t, key, t);
}

static void td_ns(FILE *f, const char *key, bool valid, int64_t v)
{
	char t[32], val[32];
	if (!valid) {
		tw_html_td_val(f, NULL, key, NULL);
		return;
	}
	snprintf(val, sizeof(val), "%" PRId64, v);
	tw_html_td_val(f, tw_report_fmt_ns(t, sizeof(t), v, false), key, val);
}

static void td_pps(FILE *f, const char *key, double v)
{
	char t[32], val[48];
	snprintf(val, sizeof(val), "%.3f", v);
	snprintf(t, sizeof(t), "%.0f pps", v);
	tw_html_td_val(f, t, key, val);
}

static void html_steps_table(FILE *f, const struct step_res *res, size_t n)
{
	static const char *const heads[] = {
	    "#",    "step",     "mode", "negotiated", "sessions", "rate req.", "rate ach.",
	    "sent", "received", "lost", "loss",       "RTT p50",  "RTT p99",   "RTT max"};
	char key[96], t[48], val[48];
	tw_html_table_begin(f, "steps", heads, sizeof(heads) / sizeof(heads[0]));
	for (size_t i = 0; i < n; i++) {
		const struct step_res *r = &res[i];
#define KEY(name) (snprintf(key, sizeof(key), "steps.%zu." name, i), key)
		tw_html_tr_begin(f);
		td_u64(f, KEY("index"), i);
		tw_html_td_val(f, r->name, KEY("name"), r->name);
		tw_html_td_val(f, r->mode, KEY("mode"), r->mode);
		tw_html_td_val(f, r->negotiated, KEY("negotiated_mode"), r->negotiated);
		td_u64(f, KEY("sessions"), r->sessions);
		td_pps(f, KEY("rate_requested_pps"), r->rate_req);
		td_pps(f, KEY("rate_achieved_pps"), r->rate_ach);
		td_u64(f, KEY("sent"), r->sent);
		td_u64(f, KEY("received"), r->received);
		td_u64(f, KEY("lost"), r->lost);
		if (r->settled) {
			double v = (double)r->lost / (double)r->settled;
			snprintf(val, sizeof(val), "%.9f", v);
			tw_html_td_val(f, tw_html_fmt(t, sizeof(t), v, TW_HTML_UNIT_RATIO),
			               KEY("loss_ratio"), val);
		} else {
			tw_html_td_val(f, NULL, KEY("loss_ratio"), NULL);
		}
		td_ns(f, KEY("rtt_p50_ns"), r->have_rtt, r->p50);
		td_ns(f, KEY("rtt_p99_ns"), r->have_rtt, r->p99);
		td_ns(f, KEY("rtt_max_ns"), r->have_rtt, r->max);
#undef KEY
		tw_html_tr_end(f);
	}
	tw_html_table_end(f);
}

/* One chart per quantity, a point per step (x: the step, by name). */
static enum tw_err html_steps_charts(FILE *f, const struct step_res *res, size_t n)
{
	const char **names = calloc(n ? n : 1, sizeof(*names));
	struct tw_html_point *pt = calloc(6 * (n ? n : 1), sizeof(*pt));
	enum tw_err e = TW_E_SYS;
	if (!names || !pt)
		goto out;
	struct tw_html_point *p50 = pt, *p99 = pt + n, *max = pt + 2 * n, *req = pt + 3 * n,
	                     *ach = pt + 4 * n, *loss = pt + 5 * n;
	for (size_t i = 0; i < n; i++) {
		const struct step_res *r = &res[i];
		double x = (double)i;
		int64_t k = (int64_t)i;
		names[i] = r->name;
		p50[i] = (struct tw_html_point){x, 0, r->have_rtt ? (double)r->p50 : NAN, k};
		p99[i] = (struct tw_html_point){x, 0, r->have_rtt ? (double)r->p99 : NAN, k};
		max[i] = (struct tw_html_point){x, 0, r->have_rtt ? (double)r->max : NAN, k};
		req[i] = (struct tw_html_point){x, 0, r->rate_req, k};
		ach[i] = (struct tw_html_point){x, 0, r->rate_ach, k};
		loss[i] = (struct tw_html_point){
		    x, 0, r->settled ? (double)r->lost / (double)r->settled : NAN, k};
	}
	const struct tw_html_axis steps = {.label = "step", .cats = names, .ncats = n};
	const struct tw_html_series rtt[] = {
	    {"p50", p50, n, "steps.", ".rtt_p50_ns", 0},
	    {"p99", p99, n, "steps.", ".rtt_p99_ns", 0},
	    {"max", max, n, "steps.", ".rtt_max_ns", 0},
	};
	const struct tw_html_chart rc = {
	    .id = "steps-rtt",
	    .title = "Round-trip delay per step (p50, p99, max)",
	    .kind = TW_HTML_LINES,
	    .x = steps,
	    .y = {.label = "round-trip delay", .unit = TW_HTML_UNIT_NS, .log = true},
	};
	const struct tw_html_series rate[] = {
	    {"requested", req, n, "steps.", ".rate_requested_pps", 3},
	    {"achieved", ach, n, "steps.", ".rate_achieved_pps", 3},
	};
	const struct tw_html_chart ratec = {
	    .id = "steps-rate",
	    .title = "Rate per step (requested, achieved)",
	    .kind = TW_HTML_LINES,
	    .x = steps,
	    .y = {.label = "packets per second", .unit = TW_HTML_UNIT_PPS, .log = true},
	};
	const struct tw_html_series ls = {"loss", loss, n, "steps.", ".loss_ratio", 9};
	const struct tw_html_chart lc = {
	    .id = "steps-loss",
	    .title = "Round-trip loss per step",
	    .kind = TW_HTML_LINES,
	    .x = steps,
	    .y = {.label = "lost / settled", .unit = TW_HTML_UNIT_RATIO, .zero = true},
	};
	e = tw_html_chart(f, &rc, rtt, 3);
	if (e == TW_OK)
		e = tw_html_chart(f, &ratec, rate, 2);
	if (e == TW_OK)
		e = tw_html_chart(f, &lc, &ls, 1);
out:
	free(names);
	free(pt);
	return e;
}

static int html_write(const struct cli_bench_args *a, FILE *f, const struct tw_profile *p,
                      const struct step_res *res, size_t done, size_t nsteps)
{
	char title[256], sub[512];
	const char *desc = tw_profile_description(p);
	snprintf(title, sizeof(title), "twinhop bench: profile %s", tw_profile_name(p));
	snprintf(sub, sizeof(sub), "%s%starget %s, engine %s, %zu of %zu step%s run", desc,
	         *desc ? "; " : "", a->conn.target, a->engine, done, nsteps,
	         nsteps == 1 ? "" : "s");
	tw_html_begin(f, title, sub);
	tw_html_section_begin(f, "bench", "Profile");
	static const char *const heads[] = {"bench", ""};
	tw_html_table_begin(f, "kv", heads, 2);
	const struct {
		const char *head, *key, *val;
	} kv[] = {
	    {"profile", "profile", tw_profile_name(p)},
	    {"description", "description", desc},
	    {"target", "target", a->conn.target},
	    {"engine", "engine", a->engine},
	};
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
		tw_html_tr_begin(f);
		tw_html_th(f, kv[i].head);
		tw_html_td_val(f, kv[i].val, kv[i].key, kv[i].val);
		tw_html_tr_end(f);
	}
	tw_html_tr_begin(f);
	tw_html_th(f, "all steps run");
	tw_html_td_val(f, done == nsteps ? "yes" : "no", "complete",
	               done == nsteps ? "true" : "false");
	tw_html_tr_end(f);
	tw_html_table_end(f);
	tw_html_section_end(f);
	tw_html_section_begin(f, "steps", "Steps");
	html_steps_table(f, res, done);
	enum tw_err e = html_steps_charts(f, res, done);
	tw_html_section_end(f);
	if (tw_html_end(f) != TW_OK || e != TW_OK) {
		cli_err("--html %s: cannot write", a->html);
		return 1;
	}
	return 0;
}

int cli_bench(const struct cli_bench_args *a, volatile sig_atomic_t *stop)
{
	char path[4096];
	if (cli_bench_resolve(a->profile, a->profiles_dir, path, sizeof(path)) < 0) {
		const char *bt = build_tree_profiles();
		cli_err("profile '%s' not found (a path, or a name in --profiles-dir, "
		        "$TWINHOP_PROFILES, %s%s%s)",
		        a->profile, TW_PROFILES_DIR, bt ? " or " : "", bt ? bt : "");
		return 2;
	}
	struct tw_profile *p = NULL;
	struct tw_profile_error perr = {0};
	if (tw_profile_parse_file(path, &p, &perr) != TW_OK) {
		cli_err("%s", perr.text[0] ? perr.text : "cannot read the profile");
		return 2;
	}
	size_t nsteps = tw_profile_step_count(p);
	struct step_res *res = calloc(nsteps ? nsteps : 1, sizeof(*res));
	int rc = 0;
	if (!res) {
		cli_err("out of memory");
		tw_profile_free(p);
		return 1;
	}
	FILE *hf = NULL;
	if (a->html && !(hf = fopen(a->html, "w"))) {
		cli_err("--html %s: %s", a->html, strerror(errno));
		free(res);
		tw_profile_free(p);
		return 1;
	}
	if (!a->json) {
		printf("twinhop bench: profile %s", tw_profile_name(p));
		if (*tw_profile_description(p))
			printf(" (%s)", tw_profile_description(p));
		printf(", target %s, engine %s, %zu step%s\n", a->conn.target, a->engine, nsteps,
		       nsteps == 1 ? "" : "s");
		text_head(stdout);
	}
	size_t done = 0;
	for (size_t i = 0; i < nsteps && !*stop; i++) {
		struct tw_profile_step st;
		if (tw_profile_step(p, i, &st) != TW_OK) {
			rc = 1;
			break;
		}
		if (!a->quiet)
			fprintf(stderr,
			        "twinhop: step %zu/%zu %s: %.0f pps for %.3f s (+%.3f s warm-up)\n",
			        i + 1, nsteps, st.name, st.rate_pps, (double)st.duration_ns / 1e9,
			        (double)st.warmup_ns / 1e9);
		rc = run_step(a, &st, stop, &res[i]);
		if (rc)
			break;
		done++;
		if (!a->json)
			text_row(stdout, &res[i]);
	}
	if (a->json) {
		struct rep_json w;
		rep_json_init_file(&w, stdout, REP_JSON_F_PRETTY);
		rep_json_obj_begin(&w, NULL);
		rep_json_str(&w, "profile", tw_profile_name(p));
		rep_json_str(&w, "description", tw_profile_description(p));
		rep_json_str(&w, "target", a->conn.target);
		rep_json_str(&w, "engine", a->engine);
		rep_json_bool(&w, "complete", done == nsteps);
		rep_json_arr_begin(&w, "steps");
		for (size_t i = 0; i < done; i++)
			json_row(&w, &res[i], (unsigned)i);
		rep_json_arr_end(&w);
		rep_json_obj_end(&w);
		if (rep_json_finish(&w) != TW_OK)
			rc = 1;
		putchar('\n');
		fflush(stdout);
	}
	if (hf) {
		if (html_write(a, hf, p, res, done, nsteps))
			rc = 1;
		if (fclose(hf) != 0)
			rc = 1;
	}
	free(res);
	tw_profile_free(p);
	return rc;
}
