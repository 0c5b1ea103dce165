/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal to control/report: the report object and the per-format driver
 * table (style anchor 15, bgpctl's struct output).
 */
#ifndef REP_PRIV_H
#define REP_PRIV_H

#include "tw_config.h"
#include "tw_report.h"
#include "tw_utf8.h"

#define TW_REPORT_VERSION TW_VERSION

#define REP_EVENTS_MAX 4096u /* events kept for the end section; more are counted */

struct rep_event {
	int64_t t_ns;
	struct tw_stats_event ev;
};

struct tw_report;
struct rep_html;

struct rep_ops {
	enum tw_err (*start)(struct tw_report *r);
	enum tw_err (*interval)(struct tw_report *r, int64_t t0, int64_t t1,
	                        const struct tw_stats_summary *s);
	enum tw_err (*packet)(struct tw_report *r, const struct tw_report_pkt *p);
	enum tw_err (*event)(struct tw_report *r, const struct rep_event *e);
	enum tw_err (*end)(struct tw_report *r, int64_t t_end, const struct tw_stats_summary *s,
	                   const struct tw_stats_acc *acc);
};

enum rep_state { REP_NEW, REP_STARTED, REP_ENDED };

/* Copies of the parameter strings, so the caller's may go away. */
struct rep_params {
	struct tw_report_params p;
	char *session, *peer, *local, *mode;
};

struct tw_report {
	enum tw_report_format fmt;
	const struct rep_ops *ops;
	FILE *out;
	unsigned flags;
	enum rep_state state;
	enum tw_err err; /* sticky write error */
	struct rep_params par;
	struct rep_json json; /* JSON driver: the document being streamed */
	struct rep_event *ev; /* events, in arrival order */
	size_t nev, ev_cap;
	uint64_t ev_dropped;
	uint64_t rows; /* CSV rows written */
	struct rep_html *html; /* HTML driver: what the charts need, kept to the end */
	bool have_run;
	struct tw_report_run run;
	char run_advice[256];
	bool have_stamp;
	struct tw_report_stamp stamp;
};

/* The run's rate fell short of the requested one by more than 5 %. */
bool rep_run_short(const struct tw_report_run *run);

extern const struct rep_ops rep_text_ops, rep_json_ops, rep_csv_ops, rep_om_ops, rep_html_ops;
/* Frees the HTML driver's state (r->html). */
void rep_html_free(struct tw_report *r);

/* Short names of the threshold kinds ("rtt", "forward_owd", ...) and the
 * unit of their value ("ns" or "ppm"). */
const char *rep_thr_name(enum tw_stats_thr_kind k);
const char *rep_thr_unit(enum tw_stats_thr_kind k);
/* ISO 8601 UTC with nanoseconds, "2026-12-06T00:01:02.000000003Z", of ns
 * since 1970; "" if it cannot be represented. */
void rep_iso_time(char *buf, size_t cap, int64_t ns);
/* Effective planned duration (duration_ns or count * tx_interval_ns). */
int64_t rep_duration(const struct tw_report_params *p);

#endif
