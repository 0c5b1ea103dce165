/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rep_gen FORMAT SCENARIO [hostile]: print one report of a crafted scenario,
 * for the python checks (check_report.py).  FORMAT "om-multi" prints the
 * daemon-style /metrics page: two sessions plus a counter array.
 */
#include <stdlib.h>
#include <string.h>

#include "rep_scen.h"

static struct tw_stats g_other;

static int om_multi(bool hostile)
{
	static const char *const names[] = {"DROP_BAD_LENGTH", "DROP_BAD_HMAC", "drop-ttl"};
	static const uint64_t values[] = {3, 0, 12};
	struct tw_report *r = tw_report_new(TW_REPORT_TEXT, stderr, TW_REPORT_F_NOINTV);
	/* session 2: the clean scenario, kept in g_other */
	if (!r || rep_scen_run(REP_SCEN_CLEAN, r, hostile) != TW_OK)
		return 1;
	tw_report_free(r);
	memcpy(&g_other, rep_scen_stats(), sizeof g_other);
	tw_stats_acc_copy(&g_other.total, &rep_scen_stats()->total);
	r = tw_report_new(TW_REPORT_TEXT, stderr, TW_REPORT_F_NOINTV);
	if (!r || rep_scen_run(REP_SCEN_LOSSY, r, hostile) != TW_OK)
		return 1;
	tw_report_free(r);
	struct tw_report_params p;
	rep_scen_params(&p, hostile);
	const struct tw_report_label l1[] = {
	    {"session", p.session}, {"peer", p.peer}, {"mode", p.mode}};
	const struct tw_report_label l2[] = {{"session", "s2"}, {"peer", "198.51.100.7:862"}};
	const struct tw_report_om_session ss[] = {
	    {.labels = l1, .nlabels = 3, .st = rep_scen_stats()},
	    {.labels = l2, .nlabels = 2, .st = &g_other, .acc = &g_other.total},
	};
	const struct tw_report_label lc[] = {{"lcore", "1"}};
	if (tw_report_om_sessions(stdout, ss, 2) != TW_OK ||
	    tw_report_om_counters(stdout, "twinhop_fp_drops", "Fast-path drops by reason", "reason",
	                          names, values, 3, lc, 1) != TW_OK ||
	    tw_report_om_counters(stdout, "twinhop_fp", "Fast-path counter", NULL, names, values, 3,
	                          NULL, 0) != TW_OK ||
	    tw_report_om_eof(stdout) != TW_OK)
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr,
		        "usage: rep_gen text|json|csv|openmetrics|om-multi SCENARIO [hostile]\n");
		return 2;
	}
	bool hostile = argc > 3 && strcmp(argv[3], "hostile") == 0;
	if (strcmp(argv[1], "om-multi") == 0)
		return om_multi(hostile);
	int fmt = tw_report_format_parse(argv[1]);
	int sc = -1;
	for (int i = 0; i < REP_SCEN__COUNT; i++)
		if (strcmp(argv[2], rep_scen_names[i]) == 0)
			sc = i;
	if (fmt < 0 || sc < 0) {
		fprintf(stderr, "rep_gen: unknown format or scenario\n");
		return 2;
	}
	struct tw_report *r = tw_report_new((enum tw_report_format)fmt, stdout, 0);
	if (!r)
		return 1;
	enum tw_err e = rep_scen_run((enum rep_scen)sc, r, hostile);
	tw_report_free(r);
	if (e != TW_OK) {
		fprintf(stderr, "rep_gen: %s\n", tw_strerror(e));
		return 1;
	}
	return 0;
}
