/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rep_json: string escaping, number formatting, nesting checks, buffer and
 * FILE sinks (RFC 8259).
 */
#include <math.h>
#include <stdlib.h>

#include "tw_report.h"
#include "tw_unit.h"

static char g_buf[1024];

/* Out of line: GCC's -Wformat-overflow misfires on these under -fsanitize. */
__attribute__((noinline)) static void show_diff(const char *what, const char *got, const char *want)
{
	printf("\n  %s: got %s want %s\n", what, got, want);
}

static void test_escaping(void)
{
	static const struct {
		const char *what, *in, *want;
	} cases[] = {
	    {"plain", "abc", "\"abc\""},
	    {"quote and backslash", "a\"b\\c", "\"a\\\"b\\\\c\""},
	    {"short escapes", "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\""},
	    {"other control", "\x01\x1f", "\"\\u0001\\u001f\""},
	    {"DEL and slash pass", "\x7f/", "\"\x7f/\""},
	    {"2-, 3-, 4-octet UTF-8", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
	     "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""},
	    {"invalid octet",
	     "a\xff"
	     "b",
	     "\"a\xef\xbf\xbd"
	     "b\""},
	    {"overlong", "\xc0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\""},
	    {"surrogate", "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
	    {"truncated at end", "\xe2\x82", "\"\xef\xbf\xbd\xef\xbf\xbd\""},
	    {"above U+10FFFF", "\xf4\x90\x80\x80",
	     "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rep_json w;
		rep_json_init_buf(&w, g_buf, sizeof g_buf, 0);
		rep_json_str(&w, NULL, cases[i].in);
		CU_ASSERT_EQUAL(rep_json_finish(&w), TW_OK);
		if (strcmp(g_buf, cases[i].want) != 0)
			show_diff(cases[i].what, g_buf, cases[i].want);
		CU_ASSERT_STRING_EQUAL(g_buf, cases[i].want);
	}
}

static void test_numbers(void)
{
	static const struct {
		double v;
		unsigned dec;
		const char *want;
	} dbl[] = {
	    {1.5, 3, "1.5"},
	    {0.1234567, 3, "0.123"},
	    {-0.0001, 3, "0"},
	    {2.0, 6, "2"},
	    {1e20, 0, "100000000000000000000"},
	    {-2.25, 1, "-2.2"},
	    {0.05, 6, "0.05"},
	    {7, 40, "7"},
	};
	for (size_t i = 0; i < sizeof dbl / sizeof dbl[0]; i++) {
		struct rep_json w;
		rep_json_init_buf(&w, g_buf, sizeof g_buf, 0);
		rep_json_double(&w, NULL, dbl[i].v, dbl[i].dec);
		CU_ASSERT_EQUAL(rep_json_finish(&w), TW_OK);
		if (strcmp(g_buf, dbl[i].want) != 0)
			show_diff("double", g_buf, dbl[i].want);
		CU_ASSERT_STRING_EQUAL(g_buf, dbl[i].want);
	}
	struct rep_json w;
	rep_json_init_buf(&w, g_buf, sizeof g_buf, 0);
	rep_json_arr_begin(&w, NULL);
	rep_json_i64(&w, NULL, INT64_MIN);
	rep_json_i64(&w, NULL, INT64_MAX);
	rep_json_u64(&w, NULL, UINT64_MAX);
	rep_json_double(&w, NULL, NAN, 3);
	rep_json_double(&w, NULL, INFINITY, 3);
	rep_json_double(&w, NULL, -INFINITY, 3);
	rep_json_bool(&w, NULL, true);
	rep_json_bool(&w, NULL, false);
	rep_json_null(&w, NULL);
	rep_json_str(&w, NULL, NULL);
	rep_json_arr_end(&w);
	CU_ASSERT_EQUAL(rep_json_finish(&w), TW_OK);
	CU_ASSERT_STRING_EQUAL(g_buf, "[-9223372036854775808,9223372036854775807,"
	                              "18446744073709551615,null,null,null,true,false,null,null]");
}

static void build_doc(struct rep_json *w)
{
	rep_json_obj_begin(w, NULL);
	rep_json_i64(w, "a", 1);
	rep_json_obj_begin(w, "empty");
	rep_json_obj_end(w);
	rep_json_arr_begin(w, "list");
	rep_json_obj_begin(w, NULL);
	rep_json_str(w, "k", "v");
	rep_json_obj_end(w);
	rep_json_arr_begin(w, NULL);
	rep_json_arr_end(w);
	rep_json_arr_end(w);
	rep_json_obj_end(w);
}

static void test_structure(void)
{
	struct rep_json w;
	rep_json_init_buf(&w, g_buf, sizeof g_buf, 0);
	build_doc(&w);
	CU_ASSERT_EQUAL(rep_json_finish(&w), TW_OK);
	CU_ASSERT_STRING_EQUAL(g_buf, "{\"a\":1,\"empty\":{},\"list\":[{\"k\":\"v\"},[]]}");
	CU_ASSERT_EQUAL(rep_json_len(&w), strlen(g_buf));

	rep_json_init_buf(&w, g_buf, sizeof g_buf, REP_JSON_F_PRETTY);
	build_doc(&w);
	CU_ASSERT_EQUAL(rep_json_finish(&w), TW_OK);
	CU_ASSERT_STRING_EQUAL(g_buf, "{\n\t\"a\": 1,\n\t\"empty\": {},\n\t\"list\": [\n\t\t{\n"
	                              "\t\t\t\"k\": \"v\"\n\t\t},\n\t\t[]\n\t]\n}");
}

/* Each case makes one nesting mistake; the writer must report TW_E_ARG. */
static void nest_key_in_array(struct rep_json *w)
{
	rep_json_arr_begin(w, NULL);
	rep_json_i64(w, "k", 1);
}
static void nest_no_key_in_object(struct rep_json *w)
{
	rep_json_obj_begin(w, NULL);
	rep_json_i64(w, NULL, 1);
}
static void nest_key_at_top(struct rep_json *w)
{
	rep_json_i64(w, "k", 1);
}
static void nest_wrong_close(struct rep_json *w)
{
	rep_json_obj_begin(w, NULL);
	rep_json_arr_end(w);
}
static void nest_close_at_top(struct rep_json *w)
{
	rep_json_obj_end(w);
}
static void nest_two_values(struct rep_json *w)
{
	rep_json_i64(w, NULL, 1);
	rep_json_i64(w, NULL, 2);
}
static void nest_unclosed(struct rep_json *w)
{
	rep_json_arr_begin(w, NULL);
}
static void nest_empty(struct rep_json *w)
{
	(void)w;
}
static void nest_too_deep(struct rep_json *w)
{
	for (int i = 0; i <= REP_JSON_DEPTH_MAX; i++)
		rep_json_arr_begin(w, NULL);
	for (int i = 0; i <= REP_JSON_DEPTH_MAX; i++)
		rep_json_arr_end(w);
}

static void test_nesting_errors(void)
{
	static const struct {
		const char *what;
		void (*fn)(struct rep_json *);
	} cases[] = {
	    {"key in array", nest_key_in_array},
	    {"no key in object", nest_no_key_in_object},
	    {"key at top level", nest_key_at_top},
	    {"wrong close", nest_wrong_close},
	    {"close at top", nest_close_at_top},
	    {"two top-level values", nest_two_values},
	    {"unclosed", nest_unclosed},
	    {"nothing written", nest_empty},
	    {"deeper than REP_JSON_DEPTH_MAX", nest_too_deep},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rep_json w;
		rep_json_init_buf(&w, g_buf, sizeof g_buf, 0);
		cases[i].fn(&w);
		enum tw_err e = rep_json_finish(&w);
		if (e != TW_E_ARG)
			printf("\n  %s: got %s\n", cases[i].what, tw_errname(e));
		CU_ASSERT_EQUAL(e, TW_E_ARG);
	}
	/* exactly REP_JSON_DEPTH_MAX levels are fine */
	struct rep_json w;
	rep_json_init_buf(&w, g_buf, sizeof g_buf, 0);
	for (int i = 0; i < REP_JSON_DEPTH_MAX; i++)
		rep_json_arr_begin(&w, NULL);
	for (int i = 0; i < REP_JSON_DEPTH_MAX; i++)
		rep_json_arr_end(&w);
	CU_ASSERT_EQUAL(rep_json_finish(&w), TW_OK);
}

static void test_nospace(void)
{
	char small[8];
	struct rep_json w;
	rep_json_init_buf(&w, small, sizeof small, 0);
	build_doc(&w);
	CU_ASSERT_EQUAL(rep_json_finish(&w), TW_E_NOSPACE);
	CU_ASSERT_EQUAL(small[sizeof small - 1], '\0');
	CU_ASSERT_STRING_EQUAL(small, "{\"a\":1,");
	/* the length needed keeps counting */
	CU_ASSERT_EQUAL(rep_json_len(&w),
	                strlen("{\"a\":1,\"empty\":{},\"list\":[{\"k\":\"v\"},[]]}"));
}

static void test_file_sink(void)
{
	char *mem = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&mem, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	struct rep_json w;
	rep_json_init_file(&w, f, 0);
	build_doc(&w);
	CU_ASSERT_EQUAL(rep_json_finish(&w), TW_OK);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(mem, "{\"a\":1,\"empty\":{},\"list\":[{\"k\":\"v\"},[]]}");
	free(mem);

	/* a failing FILE gives TW_E_SYS (reported at the latest by finish) */
	f = fopen("/dev/full", "w");
	if (f) {
		rep_json_init_file(&w, f, 0);
		build_doc(&w);
		CU_ASSERT_EQUAL(rep_json_finish(&w), TW_E_SYS);
		fclose(f);
	}
}

static const struct tw_unit_case cases[] = {
    {"escaping", test_escaping},
    {"numbers", test_numbers},
    {"structure", test_structure},
    {"nesting errors", test_nesting_errors},
    {"buffer too small", test_nospace},
    {"FILE sink", test_file_sink},
    {NULL, NULL},
};

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS || tw_unit_suite("rep_json", cases))
		return 1;
	return tw_unit_run("report_json");
}
