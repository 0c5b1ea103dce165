/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Crafted packet sequences fed through a real lib/tw_stats accumulator and
 * into a report, so the tests check real numbers (wire reference §7).
 */
#ifndef REP_SCEN_H
#define REP_SCEN_H

#include "tw_report.h"

enum rep_scen {
	REP_SCEN_CLEAN, /* 10 packets, no loss, 1 interval */
	REP_SCEN_LOSSY, /* 40 packets, 2 intervals: loss both ways, dup, reorder, events, unsync */
	REP_SCEN_EMPTY, /* nothing sent */
	REP_SCEN__COUNT
};

extern const char *const rep_scen_names[REP_SCEN__COUNT];

/* Parameters used by rep_scen_run(); hostile=true gives strings that need
 * escaping in every format. */
void rep_scen_params(struct tw_report_params *p, bool hostile);

/* Drive r (started here) through the scenario; returns the first error. */
enum tw_err rep_scen_run(enum rep_scen sc, struct tw_report *r, bool hostile);

/* The accumulator after the last rep_scen_run() (for OpenMetrics). */
struct tw_stats *rep_scen_stats(void);

#endif
