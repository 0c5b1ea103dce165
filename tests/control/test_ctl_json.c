/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The admin protocol's JSON (control/daemon/ctl_json.c,
 * docs/admin-protocol.md "Framing"): requests whose strings are not UTF-8
 * are refused, and the reply writer never emits anything but UTF-8,
 * whatever octets it is handed.
 */
#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ctl_json.h"
#include "tw_unit.h"

static struct ctl_json_obj obj;

static int parse(const char *text, const char **why)
{
	*why = NULL;
	return ctl_json_parse(text, strlen(text), &obj, why);
}

/* Every string value and member name as the parser returned it. */
static void test_parse_utf8(void)
{
	static const char *const bad[] = {
	    "{\"cmd\":\"\xff\xfe\x80\"}",         /* the audit's command name */
	    "{\"cmd\":\"hello\",\"\xc3\x28\":1}", /* a member name: bad continuation */
	    "{\"a\":\"\x80\"}",                   /* lone continuation octet */
	    "{\"a\":\"\xc0\xaf\"}",               /* overlong '/' */
	    "{\"a\":\"\xc1\xbf\"}",               /* overlong */
	    "{\"a\":\"\xe0\x80\xaf\"}",           /* overlong, 3 octets */
	    "{\"a\":\"\xf0\x80\x80\xaf\"}",       /* overlong, 4 octets */
	    "{\"a\":\"\xed\xa0\x80\"}",           /* UTF-16 surrogate D800 */
	    "{\"a\":\"\xed\xbf\xbf\"}",           /* surrogate DFFF */
	    "{\"a\":\"\xf4\x90\x80\x80\"}",       /* U+110000 */
	    "{\"a\":\"\xf5\x80\x80\x80\"}",       /* F5 never appears */
	    "{\"a\":\"\xe2\x82\"}",               /* cut before the closing quote */
	    "{\"a\":\"\xe2\x82\xac\xac\"}",       /* one continuation too many */
	};
	const char *why;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(bad[i], &why);
		if (r == 0 || !why || strcmp(why, "invalid UTF-8 in a string"))
			printf("\n  bad case %zu: r %d, why %s\n", i, r, why ? why : "(none)");
		CU_ASSERT_EQUAL(r, -1);
		CU_ASSERT(why && !strcmp(why, "invalid UTF-8 in a string"));
	}

	/* Well-formed sequences of every length and at the range ends pass
	 * through unchanged. */
	static const char good[] = "\x7f\xc2\x80\xc3\xa9\xdf\xbf\xe0\xa0\x80\xe2\x82\xac"
	                           "\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbd\xf0\x90\x80\x80"
	                           "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf";
	char text[256];
	snprintf(text, sizeof(text), "{\"k\xc3\xa9y\":\"%s\"}", good);
	CU_ASSERT_EQUAL_FATAL(parse(text, &why), 0);
	CU_ASSERT_EQUAL(obj.n, 1);
	CU_ASSERT_STRING_EQUAL(obj.m[0].key, "k\xc3\xa9y");
	CU_ASSERT_STRING_EQUAL(obj.m[0].str, good);

	/* Other refusals keep their own reasons. */
	CU_ASSERT_EQUAL(parse("{\"a\":\"\\u00e9\"}", &why), -1);
	CU_ASSERT_STRING_EQUAL(why, "bad string");
}

/* Integers: the whole uint64 range, nothing beyond (docs/admin-protocol.md). */
static void test_parse_u64(void)
{
	static const struct {
		const char *in;
		uint64_t u;
		bool neg;
	} ok[] = {
	    {"{\"a\":0}", 0, false},
	    {"{\"a\":-1}", 1, true},
	    {"{\"a\":18446744073709551609}", UINT64_MAX - 6, false},
	    {"{\"a\":18446744073709551610}", UINT64_MAX - 5, false},
	    {"{\"a\":18446744073709551615}", UINT64_MAX, false},
	    {"{\"a\":-18446744073709551615}", UINT64_MAX, true},
	};
	static const char *const big[] = {
	    "{\"a\":18446744073709551616}",
	    "{\"a\":18446744073709551620}",
	    "{\"a\":99999999999999999999}",
	    "{\"a\":184467440737095516150}",
	};
	const char *why;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int r = parse(ok[i].in, &why);
		if (r)
			printf("\n  %s: %s\n", ok[i].in, why ? why : "?");
		CU_ASSERT_EQUAL_FATAL(r, 0);
		CU_ASSERT_EQUAL(obj.m[0].type, CTL_JSON_INT);
		CU_ASSERT(obj.m[0].u == ok[i].u && obj.m[0].neg == ok[i].neg);
	}
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		CU_ASSERT_EQUAL(parse(big[i], &why), -1);
		CU_ASSERT(why && !strcmp(why, "number too large"));
	}
}

/* What ctl_jb_str() writes for v, as a NUL-terminated string. */
static char out[512];
static const char *written(const char *key, const char *v)
{
	struct ctl_jb b;
	ctl_jb_init(&b);
	ctl_jb_str(&b, key, v);
	snprintf(out, sizeof(out), "%s", b.oom ? "(oom)" : b.p);
	ctl_jb_free(&b);
	return out;
}

#define FFFD "\xef\xbf\xbd"

static void test_writer_utf8(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    /* what "no command '%s'" echoed before requests were checked */
	    {"no command '\xff\xfe\x80'", "\"no command '" FFFD FFFD FFFD "'\""},
	    {"\xe2\x82", "\"" FFFD FFFD "\""}, /* a message cut by vsnprintf */
	    {"a\xe2\x82\xac\xac", "\"a\xe2\x82\xac" FFFD "\""},
	    {"\xc0\xaf", "\"" FFFD FFFD "\""},
	    {"\xed\xa0\x80", "\"" FFFD FFFD FFFD "\""},
	    {"\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\""},
	    {"caf\xc3\xa9 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\""},
	    {"\x01\"\\\x7f", "\"\\u0001\\\"\\\\\x7f\""},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *got = written(NULL, t[i].in);
		if (strcmp(got, t[i].want))
			printf("\n  writer case %zu: got %s\n", i, got);
		CU_ASSERT_STRING_EQUAL(got, t[i].want);
	}
	/* member names go through the same escaping */
	CU_ASSERT_STRING_EQUAL(written("\xff", "x"), "\"" FFFD "\":\"x\"");
}

/* A reply that carries any octets re-parses: the writer's output is always
 * a request the parser takes. */
static void test_writer_output_parses(void)
{
	char v[256];
	const char *why;
	for (unsigned i = 0; i < 255; i++)
		v[i] = (char)(i + 1);
	v[255] = '\0';

	struct ctl_jb b;
	ctl_jb_init(&b);
	ctl_jb_obj_begin(&b, NULL);
	ctl_jb_str(&b, "message", v);
	ctl_jb_obj_end(&b);
	CU_ASSERT_FATAL(!b.oom);
	why = NULL;
	int r = ctl_json_parse(b.p, b.len, &obj, &why);
	if (r)
		printf("\n  re-parse: %s\n", why ? why : "?");
	CU_ASSERT_EQUAL(r, 0);
	ctl_jb_free(&b);
}

int main(void)
{
	static const struct tw_unit_case c[] = {
	    {"parse_utf8", test_parse_utf8},
	    {"parse_u64", test_parse_u64},
	    {"writer_utf8", test_writer_utf8},
	    {"writer_output_parses", test_writer_output_parses},
	    {NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	tw_unit_suite("json", c);
	return tw_unit_run("ctl_json");
}
