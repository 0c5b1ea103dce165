/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_http: the request side of the minimal HTTP/1.1 server behind the
 * OpenMetrics endpoint (docs/control.md "Metrics").  Sans-I/O: the caller
 * accumulates octets and asks whether a complete, valid request head is
 * there; unit-tested with crafted requests (tests/control/test_ctl_http.c).
 *
 * Deliberately small (RFC 9112 subset): a request line `METHOD SP target SP
 * HTTP/1.x`, header fields `name: value`, CRLF (a bare LF is tolerated, RFC
 * 9112 §2.2), no body (Content-Length other than 0 or Transfer-Encoding is
 * refused), no obsolete line folding, no keep-alive (every answer closes).
 */
#ifndef CTL_HTTP_H
#define CTL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define CTL_HTTP_HEAD_MAX 4096 /* octets of request line + header fields */

enum ctl_http_result {
	CTL_HTTP_MORE = 0,         /* incomplete: read more */
	CTL_HTTP_OK = 200,         /* GET or HEAD /metrics */
	CTL_HTTP_BAD = 400,        /* malformed, body, too large, bad version */
	CTL_HTTP_NOT_FOUND = 404,  /* another path */
	CTL_HTTP_BAD_METHOD = 405, /* another method (well formed) */
};

struct ctl_http_req {
	char method[8];   /* "GET", "HEAD" when the result is OK */
	const char *why;  /* reason for CTL_HTTP_BAD, for logs */
	bool openmetrics; /* an Accept field lists application/openmetrics-text
	                   * (q > 0); otherwise the Prometheus text format */
};

/* Examine buf[0..len).  CTL_HTTP_MORE while the head is incomplete and len
 * < CTL_HTTP_HEAD_MAX; then one of the final results.  `path` is the
 * served path ("/metrics"); a query string is ignored. */
enum ctl_http_result ctl_http_parse(const char *buf, size_t len, const char *path,
                                    struct ctl_http_req *req);

/* Status line reason phrase ("Not Found"). */
const char *ctl_http_reason(int status);

#endif
