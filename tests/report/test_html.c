/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control/report/tw_html (escaping, charts: point counts, gaps, empty data,
 * bad arguments, nothing outside the page) and the HTML report driver fed
 * from real tw_stats accumulators (rep_scen.c): every number it shows with a
 * data-key equals the JSON driver's value at that path for the same
 * scenario (read back with jansson), and the interval series stays bounded.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include "rep_scen.h"
#include "tw_html.h"
#include "tw_unit.h"

/* Output of fn(f, arg) as a string; caller frees. */
static char *capture(void (*fn)(FILE *, const void *), const void *arg)
{
	char *mem = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&mem, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fn(f, arg);
	fclose(f);
	return mem;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Out of line: GCC's -Wformat-overflow misfires on these under -fsanitize. */
__attribute__((noinline)) static void show_diff(const char *what, size_t i, const char *got,
                                                const char *want)
{
	printf("\n  %s %zu: got '%s' want '%s'\n", what, i, got, want);
}

static void text_fn(FILE *f, const void *arg)
{
	tw_html_text(f, arg);
}

static void test_escape(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"},
	    {"a & b \"c\"", "a &amp; b &quot;c&quot;"},
	    {"tab\tnew\nline", "tab\tnew\nline"},
	    {"ctl\x01\x1b\x7f.", "ctl\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd."},
	    {"c1 \xc2\x85 nbsp \xc2\xa0", "c1 \xef\xbf\xbd nbsp \xc2\xa0"},
	    {"bad \xff \xc3 \xe2\x82", "bad \xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd"},
	    {"overlong \xc0\xaf surrogate \xed\xa0\x80",
	     "overlong \xef\xbf\xbd\xef\xbf\xbd surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
	    {"\xc2\xb5s \xe2\x82\xac \xf0\x9f\x98\x80", "\xc2\xb5s \xe2\x82\xac \xf0\x9f\x98\x80"},
	    {"", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = capture(text_fn, cases[i].in);
		if (strcmp(got, cases[i].want) != 0)
			show_diff("escape", i, got, cases[i].want);
		CU_ASSERT_STRING_EQUAL(got, cases[i].want);
		free(got);
	}
	char *got = capture(text_fn, NULL);
	CU_ASSERT_STRING_EQUAL(got, "");
	free(got);
}

static void test_fmt(void)
{
	static const struct {
		double v;
		enum tw_html_unit u;
		const char *want;
	} cases[] = {
	    {0, TW_HTML_UNIT_NS, "0 ns"},
	    {1234, TW_HTML_UNIT_NS, "1.23 \xc2\xb5s"},
	    {20000, TW_HTML_UNIT_NS, "20 \xc2\xb5s"},
	    {-2500000, TW_HTML_UNIT_NS, "-2.5 ms"},
	    {2e9, TW_HTML_UNIT_NS, "2 s"},
	    {5e12, TW_HTML_UNIT_NS, "5000 s"},
	    {0.5, TW_HTML_UNIT_RATIO, "50 %"},
	    {0.0001, TW_HTML_UNIT_RATIO, "0.01 %"},
	    {1500, TW_HTML_UNIT_PPS, "1.5k pps"},
	    {1e6, TW_HTML_UNIT_PPS, "1M pps"},
	    {20, TW_HTML_UNIT_PPS, "20 pps"},
	    {42, TW_HTML_UNIT_NUM, "42"},
	};
	char b[64];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tw_html_fmt(b, sizeof(b), cases[i].v, cases[i].u);
		if (strcmp(b, cases[i].want) != 0)
			show_diff("fmt", i, b, cases[i].want);
		CU_ASSERT_STRING_EQUAL(b, cases[i].want);
	}
}

struct chart_arg {
	struct tw_html_chart c;
	const struct tw_html_series *s;
	size_t ns;
	enum tw_err err;
};

static void chart_fn(FILE *f, const void *arg)
{
	struct chart_arg *a = (struct chart_arg *)(uintptr_t)arg;
	a->err = tw_html_chart(f, &a->c, a->s, a->ns);
}

/* Nothing the browser could fetch, and no number that went wrong. */
static void assert_clean(const char *html)
{
	static const char *const bad[] = {"http", "url(",  "<script", "<link", "<img",
	                                  "src=", "href=", "nan",     "inf",   "@import"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (strstr(html, bad[i]))
			printf("\n  found '%s'\n", bad[i]);
		CU_ASSERT_PTR_NULL(strstr(html, bad[i]));
	}
}

static void test_chart_lines(void)
{
	struct tw_html_point a[5], b[5];
	for (int i = 0; i < 5; i++) {
		a[i] = (struct tw_html_point){1e9 * (i + 1), 0, 1000.0 * (i + 1), i};
		b[i] = (struct tw_html_point){1e9 * (i + 1), 0, 5000.0 * (i + 1), i};
	}
	b[2].y = NAN; /* a gap: no point, the line restarts */
	const struct tw_html_series s[] = {
	    {"p50", a, 5, "intervals.", ".rtt.p50_ns", 0},
	    {"<p99>", b, 5, NULL, NULL, 0},
	};
	struct chart_arg arg = {
	    .c = {.id = "t1",
	          .title = "RTT & loss",
	          .kind = TW_HTML_LINES,
	          .x = {.label = "time", .unit = TW_HTML_UNIT_NS},
	          .y = {.label = "rtt", .unit = TW_HTML_UNIT_NS, .log = true}},
	    .s = s,
	    .ns = 2,
	};
	char *out = capture(chart_fn, &arg);
	CU_ASSERT_EQUAL(arg.err, TW_OK);
	CU_ASSERT_EQUAL(count(out, "<circle "), 9);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "data-name=\"p50\" data-n=\"5\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "data-name=\"&lt;p99&gt;\" data-n=\"4\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "data-points=\"9\""));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(out, "data-key=\"intervals.3.rtt.p50_ns\" data-value=\"4000\""));
	CU_ASSERT_EQUAL(count(out, "data-key="), 5);
	CU_ASSERT_EQUAL(count(out, "<path d=\""), 2);
	CU_ASSERT_EQUAL(count(out, " M"), 3); /* one for a, two for b (the gap) */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "RTT &amp; loss"));
	CU_ASSERT_PTR_NULL(strstr(out, "no data"));
	assert_clean(out);
	free(out);
}

static void test_chart_bars(void)
{
	/* Histogram buckets [lo, hi + 1); one at 0 makes a log axis linear. */
	const struct tw_html_point p[] = {
	    {0, 1, 3, -1}, {1000, 1016, 10, -1}, {2048, 2080, 7, -1}, {1e6, 1.1e6, 1, -1}};
	const struct tw_html_series s = {"packets", p, 4, NULL, NULL, 0};
	struct chart_arg arg = {
	    .c = {.id = "h",
	          .title = "hist",
	          .kind = TW_HTML_BARS,
	          .x = {.unit = TW_HTML_UNIT_NS, .log = true},
	          .y = {.unit = TW_HTML_UNIT_NUM}},
	    .s = &s,
	    .ns = 1,
	};
	char *out = capture(chart_fn, &arg);
	CU_ASSERT_EQUAL(arg.err, TW_OK);
	CU_ASSERT_EQUAL(count(out, "<rect x="), 4);
	CU_ASSERT_EQUAL(count(out, "<rect class=\"frame\""), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "data-n=\"4\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "data-y=\"10\""));
	assert_clean(out);
	free(out);
}

static void test_chart_empty(void)
{
	const struct tw_html_point nan_only[] = {{1, 0, NAN, 0}, {INFINITY, 0, 1, 1}};
	const struct tw_html_series s[] = {
	    {"none", NULL, 0, NULL, NULL, 0},
	    {"gaps", nan_only, 2, "x.", ".y", 0},
	};
	for (size_t ns = 0; ns <= 2; ns++) {
		struct chart_arg arg = {
		    .c = {.id = "e",
		          .title = "empty",
		          .kind = TW_HTML_LINES,
		          .y = {.unit = TW_HTML_UNIT_RATIO, .log = true}},
		    .s = ns ? s : NULL,
		    .ns = ns,
		};
		char *out = capture(chart_fn, &arg);
		CU_ASSERT_EQUAL(arg.err, TW_OK);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, ">no data</text>"));
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "data-points=\"0\""));
		CU_ASSERT_EQUAL(count(out, "<circle"), 0);
		CU_ASSERT_EQUAL(count(out, "data-key"), 0);
		assert_clean(out);
		free(out);
	}
}

static void test_chart_args(void)
{
	const struct tw_html_point p = {1, 0, 1, -1};
	const struct tw_html_series s[TW_HTML_SERIES_MAX + 1] = {{"a", &p, 1, NULL, NULL, 0},
	                                                         {"b", &p, 1, NULL, NULL, 0},
	                                                         {"c", &p, 1, NULL, NULL, 0},
	                                                         {"d", &p, 1, NULL, NULL, 0},
	                                                         {"e", &p, 1, NULL, NULL, 0}};
	const struct tw_html_series nopts = {"x", NULL, 3, NULL, NULL, 0};
	const struct tw_html_chart ok = {.id = "a", .title = "t", .kind = TW_HTML_LINES};
	struct tw_html_chart c = ok;
	FILE *f = fopen("/dev/null", "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(tw_html_chart(f, &c, s, TW_HTML_SERIES_MAX), TW_OK);
	CU_ASSERT_EQUAL(tw_html_chart(f, &c, s, TW_HTML_SERIES_MAX + 1), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_html_chart(f, &c, &nopts, 1), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_html_chart(f, &c, NULL, 1), TW_E_ARG);
	c.id = NULL;
	CU_ASSERT_EQUAL(tw_html_chart(f, &c, s, 1), TW_E_ARG);
	c = ok;
	c.kind = (enum tw_html_kind)7;
	CU_ASSERT_EQUAL(tw_html_chart(f, &c, s, 1), TW_E_ARG);
	c = ok;
	c.x.ncats = 2; /* categories without names */
	CU_ASSERT_EQUAL(tw_html_chart(f, &c, s, 1), TW_E_ARG);
	fclose(f);
}

static void doc_fn(FILE *f, const void *arg)
{
	(void)arg;
	tw_html_begin(f, "twinhop <x>", "sub \"title\"");
	tw_html_section_begin(f, "s1", "Session & co");
	static const char *const heads[] = {"a", "b<"};
	tw_html_table_begin(f, "kv", heads, 2);
	tw_html_tr_begin(f);
	tw_html_th(f, "row'");
	tw_html_td_val(f, "1.23 ms", "end.summary.rtt.p50_ns", "1230000");
	tw_html_td_val(f, NULL, "end.summary.rtt.p99_ns", NULL);
	tw_html_td(f, "plain");
	tw_html_tr_end(f);
	tw_html_table_end(f);
	tw_html_section_end(f);
	CU_ASSERT_EQUAL(tw_html_end(f), TW_OK);
}

static void test_document(void)
{
	char *out = capture(doc_fn, NULL);
	CU_ASSERT(strncmp(out, "<!DOCTYPE html>\n", 16) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "<meta charset=\"utf-8\">"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "<title>twinhop &lt;x&gt;</title>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "<p class=\"sub\">sub &quot;title&quot;</p>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "<th>b&lt;</th>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "<th>row&#39;</th>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    out, "<td data-key=\"end.summary.rtt.p50_ns\" data-value=\"1230000\">1.23 ms</td>"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(out, "<td data-key=\"end.summary.rtt.p99_ns\" data-value=\"null\">-</td>"));
	CU_ASSERT_EQUAL(count(out, "<style>"), 1);
	size_t n = strlen(out);
	CU_ASSERT(n > 16 && strcmp(out + n - 16, "</body>\n</html>\n") == 0);
	assert_clean(out);
	free(out);

	FILE *f = fopen("/dev/full", "w");
	if (f) {
		tw_html_begin(f, "t", NULL);
		CU_ASSERT_EQUAL(tw_html_end(f), TW_E_SYS);
		fclose(f);
	}
}

/* ---- the HTML report driver against the JSON driver ---- */

static char *render_run(enum tw_report_format fmt, enum rep_scen sc, bool hostile,
                        const struct tw_report_run *run)
{
	char *mem = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&mem, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	struct tw_report *r = tw_report_new(fmt, f, TW_REPORT_F_COMPACT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	if (run)
		tw_report_set_run(r, run);
	if (fmt == TW_REPORT_HTML)
		tw_html_begin(f, "t", NULL);
	CU_ASSERT_EQUAL(rep_scen_run(sc, r, hostile), TW_OK);
	if (fmt == TW_REPORT_HTML)
		CU_ASSERT_EQUAL(tw_html_end(f), TW_OK);
	tw_report_free(r);
	fclose(f);
	return mem;
}

static char *render(enum tw_report_format fmt, enum rep_scen sc, bool hostile)
{
	return render_run(fmt, sc, hostile, NULL);
}

/* The quoted attribute value after `name="` at p, entities decoded. */
static void attr_value(const char *p, const char *name, char *out, size_t cap)
{
	char pat[32];
	snprintf(pat, sizeof(pat), "%s=\"", name);
	const char *s = strstr(p, pat);
	size_t n = 0;
	out[0] = '\0';
	if (!s)
		return;
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
	for (s += strlen(pat); *s && *s != '"' && n + 1 < cap;) {
		size_t k = 0;
		for (; k < sizeof(ents) / sizeof(ents[0]); k++)
			if (!strncmp(s, ents[k].ent, strlen(ents[k].ent)))
				break;
		if (k < sizeof(ents) / sizeof(ents[0])) {
			out[n++] = ents[k].c;
			s += strlen(ents[k].ent);
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
}

/* The JSON value at a dotted path ("end.events.1.value"). */
static json_t *lookup(json_t *doc, const char *path)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *v = doc;
	for (char *t = strtok_r(buf, ".", &save); t && v; t = strtok_r(NULL, ".", &save))
		v = json_is_array(v) ? json_array_get(v, strtoul(t, NULL, 10))
		                     : json_object_get(v, t);
	return v;
}

/* Every data-key of html against doc; returns how many were compared. */
static size_t compare_keys(const char *html, json_t *doc)
{
	size_t n = 0;
	char key[256], val[512];
	for (const char *p = html; (p = strstr(p, " data-key=\"")); p++) {
		attr_value(p, "data-key", key, sizeof(key));
		attr_value(p, "data-value", val, sizeof(val));
		json_t *j = lookup(doc, key);
		bool ok;
		if (!j)
			ok = false;
		else if (json_is_null(j))
			ok = !strcmp(val, "null");
		else if (json_is_string(j))
			ok = !strcmp(val, json_string_value(j));
		else if (json_is_boolean(j))
			ok = !strcmp(val, json_is_true(j) ? "true" : "false");
		else if (json_is_integer(j) && !strchr(val, '.'))
			ok = strtoll(val, NULL, 10) == json_integer_value(j);
		else
			ok = fabs(strtod(val, NULL) - json_number_value(j)) <= 1e-9;
		if (!ok)
			printf("\n  %s: html %s, json %s\n", key, val,
			       j ? (json_is_string(j) ? json_string_value(j) : "(number/null)")
			         : "(missing)");
		CU_ASSERT(ok);
		n++;
	}
	return n;
}

static void test_driver_equals_json(void)
{
	for (int sc = 0; sc < REP_SCEN__COUNT; sc++) {
		char *html = render(TW_REPORT_HTML, (enum rep_scen)sc, false);
		char *js = render(TW_REPORT_JSON, (enum rep_scen)sc, false);
		json_error_t je;
		json_t *doc = json_loads(js, 0, &je);
		CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
		size_t n = compare_keys(html, doc);
		/* 10 session/run rows, 11 packet cells, 4 x 8 delay cells, 3 jitter */
		CU_ASSERT(n >= 9 + 11 + 32 + 3);
		/* One RTT p50 point per interval that had RTT samples. */
		size_t with_rtt = 0, nint = json_array_size(json_object_get(doc, "intervals"));
		for (size_t i = 0; i < nint; i++)
			with_rtt +=
			    json_integer_value(lookup(
			        json_array_get(json_object_get(doc, "intervals"), i), "rtt.n")) > 0;
		char needle[64];
		size_t pts = 0;
		for (size_t i = 0; i < nint; i++) {
			snprintf(needle, sizeof(needle), "data-key=\"intervals.%zu.rtt.p50_ns\"",
			         i);
			pts += strstr(html, needle) != NULL;
		}
		CU_ASSERT_EQUAL(pts, with_rtt);
		CU_ASSERT_EQUAL(count(html, "<figure class=\"chart\""), 7);
		/* Events: as many rows as the JSON has. */
		size_t nev = json_array_size(lookup(doc, "end.events"));
		snprintf(needle, sizeof(needle), "data-key=\"end.events.%zu.kind\"", nev);
		CU_ASSERT_PTR_NULL(strstr(html, needle));
		if (nev) {
			snprintf(needle, sizeof(needle), "data-key=\"end.events.%zu.kind\"",
			         nev - 1);
			CU_ASSERT_PTR_NOT_NULL(strstr(html, needle));
		}
		assert_clean(html);
		if (sc == REP_SCEN_EMPTY) /* no delay at all: every chart says so */
			CU_ASSERT_EQUAL(count(html, ">no data</text>"), 7);
		if (sc == REP_SCEN_LOSSY) {
			CU_ASSERT(nev >= 2); /* the RTT threshold raised and cleared */
			CU_ASSERT_EQUAL(with_rtt, 2);
			CU_ASSERT_PTR_NOT_NULL(strstr(html, "unsynchronised clock"));
		}
		json_decref(doc);
		free(html);
		free(js);
	}
}

/* The run's facts (rate, host and engine drops, advice), as the JSON has them. */
static void test_driver_run(void)
{
	const struct tw_report_run run = {
	    .rate_requested_pps = 1000,
	    .rate_achieved_pps = 812.3456,
	    .rate_judged = true,
	    .host_known = true,
	    .host_rcvbuf_errors = 7,
	    .host_sndbuf_errors = 2,
	    .engine_drops = 5,
	    .n_engine_drop_by = 2,
	    .engine_drop_by = {{"DROP_PORT_MISSED", 3}, {"DROP_RING_FULL", 2}},
	    .advice = "use <the> fast path",
	};
	char *html = render_run(TW_REPORT_HTML, REP_SCEN_CLEAN, false, &run);
	char *js = render_run(TW_REPORT_JSON, REP_SCEN_CLEAN, false, &run);
	json_error_t je;
	json_t *doc = json_loads(js, 0, &je);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	compare_keys(html, doc);
	static const char *const keys[] = {"end.run.rate_requested_pps",
	                                   "end.run.rate_achieved_pps",
	                                   "end.run.host_drops.udp_rcvbuf_errors",
	                                   "end.run.host_drops.udp_sndbuf_errors",
	                                   "end.run.engine_drops",
	                                   "end.run.engine_drop_reasons.DROP_PORT_MISSED",
	                                   "end.run.engine_drop_reasons.DROP_RING_FULL"};
	char needle[128];
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(needle, sizeof(needle), "data-key=\"%s\"", keys[i]);
		CU_ASSERT_PTR_NOT_NULL(strstr(html, needle));
		CU_ASSERT_PTR_NOT_NULL(lookup(doc, keys[i]));
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "<p class=\"warn\">Rate shortfall: 812 of 1000"));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "<p class=\"note\">use &lt;the&gt; fast path</p>"));
	json_decref(doc);
	free(html);
	free(js);
}

static void test_driver_hostile(void)
{
	char *html = render(TW_REPORT_HTML, REP_SCEN_LOSSY, true);
	/* The session name s"1\x<LF>y<TAB><01>z é <FF> in text, attribute and id. */
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "data-value=\"s&quot;1\\x\ny\t\xef\xbf\xbdz \xc3\xa9 "
	                                    "\xef\xbf\xbd\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "id=\"s_1_x_y__z_____-rtt-hist\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(html, "unauth&quot;enticated"));
	CU_ASSERT_PTR_NULL(strstr(html, "\x01"));
	CU_ASSERT_PTR_NULL(strstr(html, "\xff"));
	assert_clean(html);
	free(html);
}

static void intervals_fn(FILE *f, const void *arg)
{
	const size_t *n = arg;
	struct tw_report *r = tw_report_new(TW_REPORT_HTML, f, 0);
	struct tw_report_params p;
	rep_scen_params(&p, false);
	struct tw_stats_summary s = {0};
	s.rtt.n = 1;
	s.settled = 10;
	CU_ASSERT_EQUAL_FATAL(tw_report_start(r, &p), TW_OK);
	for (size_t i = 0; i < *n; i++) {
		s.rtt.p50 = s.rtt.p99 = (int64_t)(1000 + i);
		s.lost = i % 3;
		CU_ASSERT_EQUAL(tw_report_interval(r, (int64_t)i, (int64_t)i + 1, &s), TW_OK);
	}
	CU_ASSERT_EQUAL(tw_report_end(r, (int64_t)*n, &s, NULL), TW_OK);
	tw_report_free(r);
}

static void test_driver_bounded(void)
{
	/* 2048 points at most: past that one interval in 2, then in 4 ... */
	static const struct {
		size_t n, stride, kept;
	} cases[] = {{2048, 1, 2048}, {2049, 2, 1025}, {5000, 4, 1250}};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char *out = capture(intervals_fn, &cases[c].n);
		bool *seen = calloc(cases[c].n, sizeof(*seen));
		CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
		size_t got = 0, bad = 0;
		static const char pat[] = "data-key=\"intervals.";
		for (const char *p = out; (p = strstr(p, pat)); p++) {
			char *end;
			size_t i = strtoul(p + strlen(pat), &end, 10);
			if (strncmp(end, ".rtt.p50_ns\"", 12) != 0)
				continue;
			char val[32];
			attr_value(p, "data-value", val, sizeof(val));
			bad += i >= cases[c].n || i % cases[c].stride || seen[i] ||
			       strtoull(val, NULL, 10) != 1000 + i;
			if (i < cases[c].n)
				seen[i] = true;
			got++;
		}
		free(seen);
		CU_ASSERT_EQUAL(got, cases[c].kept);
		CU_ASSERT_EQUAL(count(out, "data-key=\"intervals."), 3 * cases[c].kept);
		CU_ASSERT_EQUAL(bad, 0);
		CU_ASSERT_EQUAL(strstr(out, "Showing one interval in") != NULL,
		                cases[c].stride > 1);
		free(out);
	}
}

static void test_driver_write_error(void)
{
	FILE *f = fopen("/dev/full", "w");
	if (!f)
		return; /* no /dev/full: nothing to test */
	struct tw_report *r = tw_report_new(TW_REPORT_HTML, f, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(rep_scen_run(REP_SCEN_CLEAN, r, false), TW_E_SYS);
	tw_report_free(r);
	fclose(f);
	CU_ASSERT_EQUAL(tw_report_format_parse("html"), TW_REPORT_HTML);
}

static const struct tw_unit_case cases[] = {
    {"escape", test_escape},
    {"number labels", test_fmt},
    {"line chart points and gaps", test_chart_lines},
    {"bar chart", test_chart_bars},
    {"empty charts", test_chart_empty},
    {"chart arguments", test_chart_args},
    {"document", test_document},
    {"driver numbers equal JSON", test_driver_equals_json},
    {"driver run facts", test_driver_run},
    {"driver hostile strings", test_driver_hostile},
    {"driver interval series bounded", test_driver_bounded},
    {"driver write error", test_driver_write_error},
    {NULL, NULL},
};

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS || tw_unit_suite("tw_html", cases))
		return 1;
	return tw_unit_run("report_html");
}
