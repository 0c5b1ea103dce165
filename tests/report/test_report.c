/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_report drivers on crafted packet sequences fed through lib/tw_stats
 * (rep_scen.c): text golden output, CSV rows and values, JSON content,
 * OpenMetrics label handling, call order and write errors.
 */
#include <stdlib.h>

#include "rep_scen.h"
#include "tw_config.h"
#include "tw_unit.h"

/* Out of line: GCC's -Wformat-overflow misfires on these under -fsanitize. */
__attribute__((noinline)) static void show_diff(const char *what, const char *got, const char *want)
{
	printf("\n  %s: got %s want %s\n", what, got, want);
}

/* Run a scenario into a memory buffer; caller frees. */
static char *render(enum tw_report_format fmt, unsigned flags, enum rep_scen sc, bool hostile)
{
	char *mem = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&mem, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	struct tw_report *r = tw_report_new(fmt, f, flags);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(rep_scen_run(sc, r, hostile), TW_OK);
	tw_report_free(r);
	fclose(f);
	return mem;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_fmt_ns(void)
{
	static const struct {
		int64_t ns;
		const char *want;
	} cases[] = {
	    {0, "0 ns"},
	    {999, "999 ns"},
	    {1000, "1.00 us"},
	    {1234, "1.23 us"},
	    {12345, "12.3 us"},
	    {999499, "999 us"},
	    {999500, "1.00 ms"},
	    {3046000, "3.05 ms"},
	    {50920000, "50.9 ms"},
	    {-50000000, "-50.0 ms"},
	    {1500000000, "1.50 s"},
	    {INT64_C(3600000000000), "3600 s"},
	};
	char b[32];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tw_report_fmt_ns(b, sizeof b, cases[i].ns, true);
		if (strcmp(b, cases[i].want) != 0)
			show_diff("fmt_ns", b, cases[i].want);
		CU_ASSERT_STRING_EQUAL(b, cases[i].want);
	}
	CU_ASSERT_STRING_EQUAL(tw_report_fmt_ns(b, sizeof b, 1234, false), "1.23 \xc2\xb5s");
}

static void test_formats(void)
{
	for (int f = TW_REPORT_TEXT; f <= TW_REPORT_OPENMETRICS; f++)
		CU_ASSERT_EQUAL(tw_report_format_parse(tw_report_format_name(f)), f);
	CU_ASSERT_EQUAL(tw_report_format_parse("xml"), -1);
	CU_ASSERT_EQUAL(tw_report_format_parse(NULL), -1);
	CU_ASSERT_PTR_NULL(tw_report_new((enum tw_report_format)42, stdout, 0));
	CU_ASSERT_PTR_NULL(tw_report_new(TW_REPORT_TEXT, NULL, 0));
}

static void test_call_order(void)
{
	struct tw_stats_summary s = {0};
	struct tw_report_params p;
	struct tw_stats_event ev = {.kind = TW_STATS_THR_RTT, .raised = true, .value = 1};
	struct tw_report_pkt pkt = {0};
	rep_scen_params(&p, false);
	FILE *f = fopen("/dev/null", "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	struct tw_report *r = tw_report_new(TW_REPORT_JSON, f, 0);
	CU_ASSERT_EQUAL(tw_report_interval(r, 0, 1, &s), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_report_packet(r, &pkt), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_report_event(r, 0, &ev), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_report_end(r, 1, &s, NULL), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_report_start(r, &p), TW_OK);
	CU_ASSERT_EQUAL(tw_report_start(r, &p), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_report_interval(r, 2, 1, &s), TW_E_ARG); /* end before start */
	ev.kind = TW_STATS_THR__COUNT;
	CU_ASSERT_EQUAL(tw_report_event(r, 0, &ev), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_report_end(r, 1, &s, NULL), TW_OK);
	CU_ASSERT_EQUAL(tw_report_interval(r, 0, 1, &s), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_report_end(r, 1, &s, NULL), TW_E_ARG);
	tw_report_free(r);
	tw_report_free(NULL);
	fclose(f);
}

/* Every value checked by hand in the comment of rep_scen.c clean(): RTT
 * 3 ms + i * 10 us, i = 0..9; percentiles within 2^-7 (HDR bucket midpoints);
 * jitter 10 us * (1 - (15/16)^9) = 4.41 us; hops 255-250, 255-252;
 * error bound 100 + 200 + 200 + 100 ns. */
static const char golden_clean[] =
    "twinhop " TW_VERSION
    ": session s1 to 192.0.2.1:862 from 192.0.2.2:20000, mode unauthenticated\n"
    "  10 packets every 100 ms (10 pps), padding 64 octets, DSCP 46, loss timeout 200 ms\n"
    "[  1.0 s /   1.0 s] sent 10 rcvd 10 loss 0.00% rtt p50 3.03 ms p99 3.09 ms max 3.09 ms "
    "jitter 4.41 us\n"
    "--- 192.0.2.1:862 summary over 1.0 s ---\n"
    "packets     sent 10, received 10, lost 0 (0.00%; forward 0, backward 0), late 0\n"
    "duplicates  forward 0, backward 0\n"
    "reordering  forward 0 (0.00%), backward 0 (0.00%)\n"
    "rtt         min 3.00 ms  p50 3.03 ms  p90 3.06 ms  p99 3.09 ms  p99.9 3.09 ms  max 3.09 ms  "
    "mean 3.04 ms  (n 10)\n"
    "forward     min 1.00 ms  p50 1.04 ms  p90 1.07 ms  p99 1.09 ms  p99.9 1.09 ms  max 1.09 ms  "
    "mean 1.04 ms  (n 10)\n"
    "backward    min 2.00 ms  p50 2.00 ms  p90 2.00 ms  p99 2.00 ms  p99.9 2.00 ms  max 2.00 ms  "
    "mean 2.00 ms  (n 10)\n"
    "ipdv        min 10.0 us  p50 10.0 us  p90 10.0 us  p99 10.0 us  p99.9 10.0 us  max 10.0 us  "
    "mean 10.0 us  (n 9)\n"
    "pdv         p50 31.0 us  p99 90.0 us  max 90.0 us\n"
    "jitter      rtt 4.41 us, forward 4.41 us, backward 0 ns (RFC 3550)\n"
    "dwell       min 50.0 us  mean 50.0 us  max 50.0 us\n"
    "hops        forward 5..5, backward 3..3\n"
    "rtt error   min 600 ns  mean 600 ns  max 600 ns\n"
    "events      0 (0 raised, 0 cleared)\n";

static void assert_text(const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		size_t i = 0;
		while (got[i] && got[i] == want[i])
			i++;
		printf("\n  text differs at %zu:\n--- got\n%s\n--- want\n%s\n", i, got + i,
		       want + i);
	}
	CU_ASSERT_STRING_EQUAL(got, want);
}

static void test_text_clean(void)
{
	char *out = render(TW_REPORT_TEXT, TW_REPORT_F_ASCII, REP_SCEN_CLEAN, false);
	assert_text(out, golden_clean);
	free(out);
}

static void test_text_lossy(void)
{
	char *out = render(TW_REPORT_TEXT, TW_REPORT_F_ASCII, REP_SCEN_LOSSY, false);
	static const char *const want[] = {
	    "[  0.5 s] event rtt raised: 50.9 ms (seq 9)\n",
	    "[  0.6 s] event rtt cleared: 930 us (seq 11)\n",
	    "[  1.0 s] event loss raised: 11.76%\n",
	    "[  1.0 s /   2.0 s] sent 20 rcvd 18 loss 11.76% rtt p50 922 us p99 50.9 ms max 50.9 "
	    "ms "
	    "jitter 3.86 ms dup 1 reord 1\n",
	    "[  2.0 s] event loss cleared: 0.00%\n",
	    "packets     sent 40, received 38, lost 2 (5.00%; forward 1, backward 1), late 0\n",
	    "duplicates  forward 0, backward 1\n",
	    "reordering  forward 0 (0.00%), backward 1 (2.63%)\n",
	    "  [unsynchronised]\n",
	    "events      6 (3 raised, 3 cleared)\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		if (!strstr(out, want[i]))
			printf("\n  missing: %s", want[i]);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, want[i]));
	}
	free(out);
	/* no per-interval lines on request */
	out = render(TW_REPORT_TEXT, TW_REPORT_F_NOINTV, REP_SCEN_LOSSY, false);
	CU_ASSERT_PTR_NULL(strstr(out, " / "));
	free(out);
}

/* Unknown error estimates make the error bound meaningless: say so. */
static void test_text_unbounded_error(void)
{
	static const int64_t bounds[][2] = {{12000, 0}, {INT64_C(1) << 40, 1}, {INT64_MAX, 1}};
	for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
		char *mem = NULL;
		size_t n = 0;
		FILE *f = open_memstream(&mem, &n);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		struct tw_report *r = tw_report_new(TW_REPORT_TEXT, f, TW_REPORT_F_ASCII);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		struct tw_report_params par = {.peer = "p"};
		CU_ASSERT_EQUAL(tw_report_start(r, &par), TW_OK);
		struct tw_stats_summary sum;
		memset(&sum, 0, sizeof sum);
		sum.rtt_err.n = 1;
		sum.rtt_err.min = sum.rtt_err.mean = sum.rtt_err.max = bounds[i][0];
		CU_ASSERT_EQUAL(tw_report_end(r, 1000000000, &sum, NULL), TW_OK);
		tw_report_free(r);
		fclose(f);
		bool unb = strstr(mem, "rtt error   unbounded") != NULL;
		CU_ASSERT_EQUAL(unb, bounds[i][1] != 0);
		if (!bounds[i][1])
			CU_ASSERT_PTR_NOT_NULL(strstr(mem, "rtt error   min 12.0 us"));
		free(mem);
	}
}

static void test_text_hostile(void)
{
	char *out = render(TW_REPORT_TEXT, 0, REP_SCEN_CLEAN, true);
	const char *want = "session s\"1\\x5cx\\x0ay\\x09\\x01z \xc3\xa9 \\xff to ";
	CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
	for (const char *p = out; *p; p++) /* no control character but newline */
		CU_ASSERT_FATAL(*p == '\n' || (unsigned char)*p >= 0x20);
	free(out);
}

static void test_csv(void)
{
	char *out = render(TW_REPORT_CSV, 0, REP_SCEN_CLEAN, false);
	CU_ASSERT_EQUAL(count_lines(out), 11);
	CU_ASSERT_EQUAL(strncmp(out, "sender_seq,reflector_seq,t1_ns,t2_ns,t3_ns,t4_ns,", 49), 0);
	/* seq 3: T1 = 0.3 s, forward 1.03 ms, dwell 50 us, backward 2 ms */
	CU_ASSERT_PTR_NOT_NULL(strstr(out,
	                              "\n3,3,1704067200300000000,1704067200301030000,"
	                              "1704067200301080000,1704067200303080000,100,200,200,100,"
	                              "1,1,250,252,0,0,0,0,0,0\n"));
	free(out);

	out = render(TW_REPORT_CSV, 0, REP_SCEN_LOSSY, false);
	/* header + 38 on-time replies + 1 duplicate + 2 lost */
	CU_ASSERT_EQUAL(count_lines(out), 42);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(out, "\n5,,1704067200250000000,,,,100,,,,1,,,,0,0,0,0,0,1\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(out, "\n12,,1704067200600000000,,,,100,,,,1,,,,0,0,0,0,0,1\n"));
	/* the duplicate (backward) and the reordered reply of seq 9 */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, ",250,252,0,1,0,0,0,0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n9,8,1704067200450000000,"));
	const char *nine = strstr(out, "\n9,8,");
	CU_ASSERT_PTR_NOT_NULL_FATAL(nine);
	CU_ASSERT_EQUAL(strncmp(strchr(nine + 1, '\n') - 12, ",0,0,0,1,0,0", 12), 0);
	/* the unsynchronised sender clock from seq 30 on */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, ",100,200,200,100,0,1,250,252,"));
	free(out);
}

static void test_json(void)
{
	char *out = render(TW_REPORT_JSON, TW_REPORT_F_COMPACT, REP_SCEN_LOSSY, false);
	static const char *const want[] = {
	    "{\"start\":{\"schema_version\":1,\"version\":\"" TW_VERSION "\","
	    "\"timestamp_ns\":1704067200000000000,\"timestamp\":\"2024-01-01T00:00:00.000000000Z\"",
	    "\"rate_pps\":20,\"duration_ns\":2000000000,",
	    "\"end\":{\"summary\":{\"start_ns\":0,\"end_ns\":2000000000,\"sent\":40,\"received\":"
	    "38,"
	    "\"loss\":{\"settled\":40,\"round_trip\":{\"count\":2,\"ratio\":0.05},"
	    "\"forward\":{\"count\":1,\"ratio\":0.025},\"backward\":{\"count\":1,\"ratio\":0.025},"
	    "\"late\":0},\"duplicates\":{\"forward\":0,\"backward\":1},",
	    "\"hops\":{\"forward\":{\"n\":38,\"min\":5,\"max\":5,\"mean\":5},",
	    "\"error_bound\":{\"rtt\":{\"n\":38,\"min_ns\":600,\"max_ns\":600,\"mean_ns\":600},",
	    "{\"t_ns\":1350950000,\"kind\":\"rtt\",\"state\":\"cleared\",\"value\":930000,"
	    "\"unit\":\"ns\",\"seq\":27}",
	    "\"kind\":\"loss\",\"state\":\"raised\",\"value\":117647,\"unit\":\"ppm\",\"seq\":"
	    "null}",
	    "\"events_dropped\":0}}\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		if (!strstr(out, want[i]))
			printf("\n  missing: %s\n", want[i]);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, want[i]));
	}
	CU_ASSERT_EQUAL(count_lines(out), 1);
	free(out);

	out = render(TW_REPORT_JSON, TW_REPORT_F_COMPACT, REP_SCEN_EMPTY, true);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"name\":\"s\\\"1\\\\x\\ny\\t\\u0001z \xc3\xa9 "
	                                   "\xef\xbf\xbd\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"rtt\":{\"n\":0,\"min_ns\":null,\"p50_ns\":null,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"round_trip\":{\"count\":0,\"ratio\":null}"));
	free(out);
}

static void test_openmetrics(void)
{
	char *out = render(TW_REPORT_OPENMETRICS, 0, REP_SCEN_CLEAN, true);
	size_t n = strlen(out);
	CU_ASSERT(n > 6 && strcmp(out + n - 6, "# EOF\n") == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out,
	                              "twinhop_packets_sent_total{session=\"s\\\"1\\\\x\\ny\t\x01z "
	                              "\xc3\xa9 \xef\xbf\xbd\",peer=\"[2001:db8::1]:862\","
	                              "mode=\"unauth\\\"enticated\"} 10\n"));
	/* all 10 RTTs are <= 3.09 ms: the bucket holding 3.09 ms counts 10 */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "le=\"+Inf\"} 10\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "_sum{session="));
	free(out);

	/* label and family validation */
	FILE *f = fopen("/dev/null", "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	static const char *const names[] = {"A-b", "a_b"};
	static const uint64_t vals[] = {1, 2};
	const struct tw_report_label bad[][2] = {
	    {{"1x", "v"}, {"y", "v"}}, {{"__x", "v"}, {"y", "v"}}, {{"le", "v"}, {"y", "v"}},
	    {{"x", "v"}, {"x", "w"}},  {{"x-y", "v"}, {"y", "v"}}, {{NULL, "v"}, {"y", "v"}},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct tw_report_om_session s = {
		    .labels = bad[i], .nlabels = 2, .st = rep_scen_stats()};
		CU_ASSERT_EQUAL(tw_report_om_sessions(f, &s, 1), TW_E_ARG);
		CU_ASSERT_EQUAL(
		    tw_report_om_counters(f, "fam", NULL, "reason", names, vals, 1, bad[i], 2),
		    TW_E_ARG);
	}
	/* "A-b" and "a_b" are the same family once sanitised; fine as label values */
	CU_ASSERT_EQUAL(tw_report_om_counters(f, "fam", NULL, NULL, names, vals, 2, NULL, 0),
	                TW_E_ARG);
	CU_ASSERT_EQUAL(tw_report_om_counters(f, "fam", NULL, "reason", names, vals, 2, NULL, 0),
	                TW_OK);
	CU_ASSERT_EQUAL(tw_report_om_counters(f, "fam_total", NULL, "r", names, vals, 2, NULL, 0),
	                TW_E_ARG);
	CU_ASSERT_EQUAL(tw_report_om_counters(f, "9fam", NULL, "r", names, vals, 2, NULL, 0),
	                TW_E_ARG);
	CU_ASSERT_EQUAL(tw_report_om_counters(f, "fam", NULL, "r", names, vals, 2,
	                                      (const struct tw_report_label[]){{"r", "x"}}, 1),
	                TW_E_ARG);
	fclose(f);

	/* counters, exact text */
	char *mem = NULL;
	size_t len = 0;
	f = open_memstream(&mem, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	const struct tw_report_label lc[] = {{"lcore", "2"}};
	CU_ASSERT_EQUAL(tw_report_om_counters(f, "tw_drops", "Drops\\by \"reason\"\n", "reason",
	                                      names, vals, 2, lc, 1),
	                TW_OK);
	CU_ASSERT_EQUAL(tw_report_om_counters(f, "tw", NULL, NULL, names, vals, 1, NULL, 0), TW_OK);
	CU_ASSERT_EQUAL(tw_report_om_eof(f), TW_OK);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(mem, "# TYPE tw_drops counter\n"
	                            "# HELP tw_drops Drops\\\\by \"reason\"\\n\n"
	                            "tw_drops_total{lcore=\"2\",reason=\"A-b\"} 1\n"
	                            "tw_drops_total{lcore=\"2\",reason=\"a_b\"} 2\n"
	                            "# TYPE tw_a_b counter\n"
	                            "tw_a_b_total 1\n"
	                            "# EOF\n");
	free(mem);
}

static void test_write_error(void)
{
	FILE *f = fopen("/dev/full", "w");
	if (!f)
		return; /* no /dev/full: nothing to test */
	for (int fmt = TW_REPORT_TEXT; fmt <= TW_REPORT_OPENMETRICS; fmt++) {
		struct tw_report *r = tw_report_new((enum tw_report_format)fmt, f, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		enum tw_err e = rep_scen_run(REP_SCEN_CLEAN, r, false);
		if (e != TW_E_SYS)
			printf("\n  %s: %s\n", tw_report_format_name(fmt), tw_errname(e));
		CU_ASSERT_EQUAL(e, TW_E_SYS);
		tw_report_free(r);
		clearerr(f);
	}
	fclose(f);
}

static const struct tw_unit_case cases[] = {
    {"fmt_ns units", test_fmt_ns},
    {"format names", test_formats},
    {"call order", test_call_order},
    {"text golden clean", test_text_clean},
    {"text lossy lines", test_text_lossy},
    {"text unbounded error bound", test_text_unbounded_error},
    {"text hostile strings", test_text_hostile},
    {"csv rows", test_csv},
    {"json content", test_json},
    {"openmetrics labels and counters", test_openmetrics},
    {"write error", test_write_error},
    {NULL, NULL},
};

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS || tw_unit_suite("tw_report", cases))
		return 1;
	return tw_unit_run("report");
}
