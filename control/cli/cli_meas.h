/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_meas: the measurement side of the CLI.  Engine callbacks feed
 * lib/tw_stats (one per session) and every output goes through
 * control/report (tw_report): text or JSON on the main stream, raw
 * per-packet CSV (lost packets included), an OpenMetrics file, an HTML page
 * with charts, threshold events and per-interval reports.  No formatting of results lives here.
 *
 *   cli_meas_init() -> cli_meas_session() per session -> cli_meas_start()
 *   -> engine run with cli_meas_callbacks() -> cli_meas_finish()
 *   -> cli_meas_free()
 *
 * Several sessions: text goes to the main stream as it comes, each line
 * prefixed "sN: "; JSON is one schema document per session, written at the
 * end one per line (JSON Lines).  One session: the document is streamed
 * as is (pretty-printed).
 */
#ifndef CLI_MEAS_H
#define CLI_MEAS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_engine.h"
#include "cli_host.h"
#include "tw_report.h"
#include "tw_stats.h"

struct cli_meas_cfg {
	int64_t loss_timeout_ns;
	struct tw_stats_thr thr[TW_STATS_THR__COUNT];
	int64_t report_interval_ns; /* 0: no interval reports */
	FILE *out;                  /* text/JSON report; NULL: none (bench) */
	bool json;                  /* out gets JSON (else text) */
	bool progress;              /* JSON mode: one progress line per interval on stderr */
	const char *csv_path;       /* NULL: no CSV */
	const char *om_path;        /* NULL: no OpenMetrics file */
	const char *html_path;      /* NULL: no HTML page (one section per session) */
	const char *html_title;     /* its title; NULL: "twinhop: " and the first peer */
	const char *engine;         /* "socket", "fastpath"; for the report's advice */
};

/* Per-session description for the "start" section. */
struct cli_meas_sess_info {
	const char *name; /* SID hex or "s1" */
	const char *peer, *local, *mode;
	uint32_t padding;
	uint8_t dscp;
	uint64_t count;
	int64_t interval_ns;
	uint64_t warm_pkts; /* bench warm-up: sequence numbers below are discarded */
};

struct cli_meas_lost { /* one sent packet, for CSV lost rows */
	int64_t t1;
	bool rx;
};

struct cli_meas_sess {
	struct tw_stats *st;
	struct tw_report *rep, *csv, *html;
	FILE *mem; /* several sessions: this session's report */
	char *memp;
	size_t memn, emitted;
	FILE *csvf;
	struct cli_meas_lost *ring; /* CSV only */
	uint64_t settle_next, sent_hi;
	struct cli_meas_sess_info info;
	char name[48], peer[80], local[80], mode[64];
	bool measuring;     /* first measured packet sent */
	uint32_t first_seq; /* packets below were warm-up */
	int64_t first_t1, last_t1;
	uint64_t nsent;
	bool has_stamp; /* STAMP TLV results (cli_meas_set_stamp) */
	struct tw_report_stamp stamp;
};

struct cli_meas {
	struct cli_meas_cfg cfg;
	unsigned n;
	struct cli_meas_sess s[CLI_ENGINE_SESSIONS_MAX];
	int64_t t0;        /* wall clock at start, ns */
	int64_t last_intv; /* end of the last interval, wall ns */
	bool started, failed;
	bool host_ok; /* host0 read at the start */
	FILE *htmlf;  /* --html: the page; sections are written at the end */
	struct cli_host_udp host0;
	/* the engine's host-side drops over the run; set before finish */
	struct cli_engine_drops engine_drops;
	struct cli_engine_cpus engine_cpus;
	struct cli_engine_cb cb;
	/* Called from every tick (e.g. to pump TWAMP-Control); may be NULL. */
	void (*on_tick)(void *arg, int64_t now);
	void *on_tick_arg;
};

int cli_meas_init(struct cli_meas *m, const struct cli_meas_cfg *cfg, unsigned n, char *err,
                  size_t errlen);
void cli_meas_session(struct cli_meas *m, unsigned i, const struct cli_meas_sess_info *info);
/* Opens the outputs and writes the start sections; -1 with err on failure. */
int cli_meas_start(struct cli_meas *m, char *err, size_t errlen);
const struct cli_engine_cb *cli_meas_callbacks(struct cli_meas *m);
/* Settles everything, writes the end sections, the CSV lost rows and the
 * OpenMetrics file.  -1 with err if an output could not be written. */
/* STAMP TLV results of session i for its report (before finish). */
void cli_meas_set_stamp(struct cli_meas *m, unsigned i, const struct tw_report_stamp *st);
int cli_meas_finish(struct cli_meas *m, char *err, size_t errlen);
void cli_meas_free(struct cli_meas *m);
/* Session totals (after finish). */
void cli_meas_summary(const struct cli_meas *m, unsigned i, struct tw_stats_summary *sum);

/* "rtt=5ms:4ms", "owd=10ms", "ipdv=1ms:500us", "loss=1%:0.5%" (several
 * separated by commas) into thr[]; owd sets forward and backward.  -1 with
 * err on a syntax error. */
int cli_meas_parse_threshold(const char *s, struct tw_stats_thr thr[TW_STATS_THR__COUNT], char *err,
                             size_t errlen);
/* "5ms", "250us", "1.5s", "100ns" or bare seconds; -1 if invalid. */
int64_t cli_parse_duration_ns(const char *s);

#endif
