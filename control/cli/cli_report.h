/* SPDX-License-Identifier: BSD-3-Clause */
/* cli_report: turning lib/tw_stats results into text and JSON. */
#ifndef CLI_REPORT_H
#define CLI_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "cli_engine.h"
#include "tw_stats.h"

struct cli_report_sess {
	unsigned idx;
	const char *sid_hex; /* "" for light sessions */
	unsigned local_port, peer_port;
	const struct tw_stats_summary *sum;
	const struct cli_engine_counters *cnt;
};

/* One progress line for an interval summary (stderr). */
void cli_report_interval(FILE *f, double t_s, unsigned sess, const struct tw_stats_summary *s);
void cli_report_text(FILE *f, const struct cli_report_sess *r);
/* JSON object for one session (no trailing newline). */
void cli_report_json(FILE *f, const struct cli_report_sess *r);

#endif
