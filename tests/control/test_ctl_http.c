/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The request parser of the metrics endpoint (control/daemon/ctl_http.c): every
 * answer class with crafted requests, incremental feeding, size limit.
 */
#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ctl_http.h"
#include "tw_unit.h"

static const struct {
	const char *in;
	int want;
} cases[] = {
    {"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", CTL_HTTP_OK},
    {"HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", CTL_HTTP_OK},
    {"GET /metrics HTTP/1.0\r\n\r\n", CTL_HTTP_OK},
    {"GET /metrics?x=1 HTTP/1.0\n\n", CTL_HTTP_OK}, /* bare LF, query ignored */
    {"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;"
     " version=1.0.0\r\nContent-Length: 0\r\n\r\n",
     CTL_HTTP_OK},
    {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", CTL_HTTP_NOT_FOUND},
    {"GET /metricsX HTTP/1.1\r\nHost: x\r\n\r\n", CTL_HTTP_NOT_FOUND},
    {"GET /metric HTTP/1.1\r\nHost: x\r\n\r\n", CTL_HTTP_NOT_FOUND},
    {"POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n", CTL_HTTP_BAD_METHOD},
    {"DELETE /metrics HTTP/1.0\r\n\r\n", CTL_HTTP_BAD_METHOD},
    {"get /metrics HTTP/1.0\r\n\r\n", CTL_HTTP_BAD_METHOD}, /* methods are case-sensitive */
    {"GET /metrics HTTP/1.1\r\n\r\n", CTL_HTTP_BAD},        /* no Host */
    {"GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", CTL_HTTP_BAD},
    {"GET /metrics HTTP/2.0\r\n\r\n", CTL_HTTP_BAD},
    {"GET /metrics HTTP/1.10\r\n\r\n", CTL_HTTP_BAD},
    {"GET /metrics\r\n\r\n", CTL_HTTP_BAD},
    {"GET  /metrics HTTP/1.0\r\n\r\n", CTL_HTTP_BAD},
    {"GET http://h/metrics HTTP/1.0\r\n\r\n", CTL_HTTP_BAD},
    {"GET /met\x01rics HTTP/1.0\r\n\r\n", CTL_HTTP_BAD},
    {"GET /metrics HTTP/1.0\r\nNoColon\r\n\r\n", CTL_HTTP_BAD},
    {"GET /metrics HTTP/1.0\r\n: empty\r\n\r\n", CTL_HTTP_BAD},
    {"GET /metrics HTTP/1.0\r\nBad Name: x\r\n\r\n", CTL_HTTP_BAD},
    {"GET /metrics HTTP/1.0\r\nA: b\r\n folded\r\n\r\n", CTL_HTTP_BAD},
    {"GET /metrics HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", CTL_HTTP_BAD},
    {"GET /metrics HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", CTL_HTTP_BAD},
    {"GET /metrics HTTP/1.0\r\nX: a\x02z\r\n\r\n", CTL_HTTP_BAD},
    {"\x16\x03\x01\x02\x00\x01", CTL_HTTP_BAD}, /* TLS ClientHello: at once */
    {"GE\x00T", CTL_HTTP_BAD},
    {"GET /metrics HTTP/1.1\r\nHost: x\r\n", CTL_HTTP_MORE},
    {"GET /metr", CTL_HTTP_MORE},
    {"", CTL_HTTP_MORE},
};

static void test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctl_http_req rq;
		size_t len = strlen(cases[i].in);
		/* "GE\0T" has an embedded NUL: feed its four octets */
		if (!strncmp(cases[i].in, "GE", 2) && len == 2)
			len = 4;
		int got = ctl_http_parse(cases[i].in, len, "/metrics", &rq);
		if (got != cases[i].want)
			printf("\n  case %zu: got %d want %d (%s)\n", i, got, cases[i].want,
			       rq.why ? rq.why : "-");
		CU_ASSERT_EQUAL(got, cases[i].want);
		if (got == CTL_HTTP_BAD)
			CU_ASSERT_PTR_NOT_NULL(rq.why);
	}
}

/* Octet by octet: MORE until the last octet, then OK. */
static void test_incremental(void)
{
	const char *r = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9862\r\nUser-Agent: t\r\n\r\n";
	size_t n = strlen(r);
	struct ctl_http_req rq;
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(ctl_http_parse(r, i, "/metrics", &rq), CTL_HTTP_MORE);
	CU_ASSERT_EQUAL(ctl_http_parse(r, n, "/metrics", &rq), CTL_HTTP_OK);
	CU_ASSERT_STRING_EQUAL(rq.method, "GET");
}

static void test_limit(void)
{
	static char big[CTL_HTTP_HEAD_MAX + 16];
	struct ctl_http_req rq;
	int n = snprintf(big, sizeof(big), "GET /metrics HTTP/1.1\r\nHost: x\r\nX: ");
	memset(big + n, 'a', sizeof(big) - (size_t)n - 1);
	CU_ASSERT_EQUAL(ctl_http_parse(big, CTL_HTTP_HEAD_MAX - 1, "/metrics", &rq), CTL_HTTP_MORE);
	CU_ASSERT_EQUAL(ctl_http_parse(big, CTL_HTTP_HEAD_MAX, "/metrics", &rq), CTL_HTTP_BAD);
	CU_ASSERT_EQUAL(ctl_http_parse(big, sizeof(big) - 1, "/metrics", &rq), CTL_HTTP_BAD);
	CU_ASSERT_STRING_EQUAL(ctl_http_reason(405), "Method Not Allowed");
	CU_ASSERT_STRING_EQUAL(ctl_http_reason(404), "Not Found");
}

/* Content negotiation: which Accept values select OpenMetrics. */
static void test_accept(void)
{
	static const struct {
		const char *accept; /* NULL: no Accept field */
		bool om;
	} t[] = {
	    {NULL, false},
	    {"*/*", false},
	    {"text/plain;version=0.0.4", false},
	    /* what Prometheus 2.42 sends */
	    {"application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
	     "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
	     true},
	    {"text/plain, Application/OpenMetrics-Text ; version=1.0.0", true},
	    {"application/openmetrics-text;q=0", false},
	    {"application/openmetrics-text; q=0.000", false},
	    {"application/openmetrics-text;q=0.01", true},
	    {"application/openmetrics-textual", false},
	    {"xapplication/openmetrics-text", false},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char buf[512];
		struct ctl_http_req rq;
		snprintf(buf, sizeof(buf), "GET /metrics HTTP/1.1\r\nHost: x\r\n%s%s%s\r\n",
		         t[i].accept ? "Accept: " : "", t[i].accept ? t[i].accept : "",
		         t[i].accept ? "\r\n" : "");
		CU_ASSERT_EQUAL_FATAL(ctl_http_parse(buf, strlen(buf), "/metrics", &rq),
		                      CTL_HTTP_OK);
		if (rq.openmetrics != t[i].om)
			printf("\n  accept case %zu: got %d\n", i, rq.openmetrics);
		CU_ASSERT_EQUAL(rq.openmetrics, t[i].om);
	}
}

int main(void)
{
	static const struct tw_unit_case c[] = {
	    {"table", test_table}, {"incremental", test_incremental},
	    {"limit", test_limit}, {"accept", test_accept},
	    {NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	tw_unit_suite("http", c);
	return tw_unit_run("ctl_http");
}
