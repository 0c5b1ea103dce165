/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_http.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 §5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static enum ctl_http_result bad(struct ctl_http_req *req, const char *why)
{
	req->why = why;
	return CTL_HTTP_BAD;
}

/* One line of buf starting at *pos: [*pos, end) without the CR LF / LF. */
static bool next_line(const char *buf, size_t len, size_t *pos, size_t *lstart, size_t *lend)
{
	const char *nl = memchr(buf + *pos, '\n', len - *pos);
	if (!nl)
		return false;
	*lstart = *pos;
	*lend = (size_t)(nl - buf);
	if (*lend > *lstart && buf[*lend - 1] == '\r')
		(*lend)--;
	*pos = (size_t)(nl - buf) + 1;
	return true;
}

/* Does an Accept field value (RFC 9110 §12.5.1) list the OpenMetrics media
 * type with a q-value above 0?  This is the negotiation Prometheus client
 * libraries do: a scraper that asks for OpenMetrics gets it, anything else
 * (curl, promtool's input) the Prometheus text format 0.0.4. */
static bool accepts_openmetrics(const char *v, size_t vl)
{
	static const char om[] = "application/openmetrics-text";
	const size_t oml = sizeof(om) - 1;

	for (size_t i = 0; i < vl;) {
		size_t e = i;
		while (e < vl && v[e] != ',')
			e++;
		/* one element: media-range *( OWS ";" OWS parameter ) */
		size_t s = i;
		while (s < e && (v[s] == ' ' || v[s] == '\t'))
			s++;
		size_t t = s;
		while (t < e && v[t] != ';' && v[t] != ' ' && v[t] != '\t')
			t++;
		if (t - s == oml && !strncasecmp(v + s, om, oml)) {
			bool zero = false;
			for (size_t p = t; p + 2 <= e; p++)
				if (v[p] == ';') {
					size_t q = p + 1;
					while (q < e && (v[q] == ' ' || v[q] == '\t'))
						q++;
					if (q + 2 <= e && (v[q] == 'q' || v[q] == 'Q') &&
					    v[q + 1] == '=') {
						/* q=0, q=0., q=0.0.. is "not acceptable" */
						zero = true;
						for (size_t k = q + 2; k < e && v[k] != ';'; k++)
							if (v[k] >= '1' && v[k] <= '9')
								zero = false;
					}
				}
			if (!zero)
				return true;
		}
		i = e + 1;
	}
	return false;
}

enum ctl_http_result ctl_http_parse(const char *buf, size_t len, const char *path,
                                    struct ctl_http_req *req)
{
	size_t pos = 0, ls = 0, le = 0;
	const char *head_end = NULL;

	memset(req, 0, sizeof(*req));
	if (len > CTL_HTTP_HEAD_MAX)
		len = CTL_HTTP_HEAD_MAX;
	/* Only examine a complete head: an empty line ends it. */
	for (size_t p = 0;;) {
		const char *nl = memchr(buf + p, '\n', len - p);
		if (!nl)
			break;
		size_t q = (size_t)(nl - buf) + 1;
		if (q < len && buf[q] == '\n') {
			head_end = buf + q + 1;
			break;
		}
		if (q + 1 < len && buf[q] == '\r' && buf[q + 1] == '\n') {
			head_end = buf + q + 2;
			break;
		}
		p = q;
	}
	if (!head_end) {
		/* A request line that is already wrong need not wait (a client
		 * talking another protocol gets its 400 at once). */
		for (size_t i = 0; i < len && buf[i] != ' ' && buf[i] != '\n'; i++)
			if (!is_tchar((unsigned char)buf[i]))
				return bad(req, "bad method");
		if (memchr(buf, '\0', len))
			return bad(req, "NUL octet");
		return len >= CTL_HTTP_HEAD_MAX ? bad(req, "request head too large")
		                                : CTL_HTTP_MORE;
	}
	size_t hlen = (size_t)(head_end - buf);
	if (memchr(buf, '\0', hlen))
		return bad(req, "NUL octet");

	/* Request line: METHOD SP request-target SP HTTP-version. */
	(void)next_line(buf, hlen, &pos, &ls, &le);
	const char *l = buf + ls;
	size_t n = le - ls;
	const char *sp1 = memchr(l, ' ', n);
	if (!sp1 || sp1 == l)
		return bad(req, "bad request line");
	const char *sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - l));
	if (!sp2 || sp2 == sp1 + 1)
		return bad(req, "bad request line");
	size_t mlen = (size_t)(sp1 - l), tlen = (size_t)(sp2 - sp1 - 1),
	       vlen = n - (size_t)(sp2 + 1 - l);
	for (size_t i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)l[i]))
			return bad(req, "bad method");
	const char *tgt = sp1 + 1, *ver = sp2 + 1;
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)tgt[i] <= ' ' || (unsigned char)tgt[i] >= 0x7f)
			return bad(req, "bad request target");
	if (vlen != 8 || memcmp(ver, "HTTP/1.", 7) || (ver[7] != '0' && ver[7] != '1'))
		return bad(req, "not HTTP/1.0 or HTTP/1.1");
	if (tgt[0] != '/')
		return bad(req, "request target not in origin form");

	/* Header fields. */
	bool host = false, om = false;
	while (next_line(buf, hlen, &pos, &ls, &le) && le > ls) {
		const char *h = buf + ls;
		size_t hl = le - ls;
		if (h[0] == ' ' || h[0] == '\t')
			return bad(req, "obsolete line folding");
		const char *colon = memchr(h, ':', hl);
		if (!colon || colon == h)
			return bad(req, "header field without a name");
		for (const char *c = h; c < colon; c++)
			if (!is_tchar((unsigned char)*c))
				return bad(req, "bad header field name");
		size_t nl = (size_t)(colon - h);
		const char *v = colon + 1;
		size_t vl = hl - nl - 1;
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		for (size_t i = 0; i < vl; i++)
			if ((unsigned char)v[i] < ' ' && v[i] != '\t')
				return bad(req, "control character in a header field");
		if (nl == 14 && !strncasecmp(h, "content-length", 14)) {
			if (vl != 1 || v[0] != '0')
				return bad(req, "request with a body");
		} else if (nl == 17 && !strncasecmp(h, "transfer-encoding", 17)) {
			return bad(req, "request with a body");
		} else if (nl == 4 && !strncasecmp(h, "host", 4)) {
			if (host)
				return bad(req, "two Host fields");
			host = true;
		} else if (nl == 6 && !strncasecmp(h, "accept", 6)) {
			om = om || accepts_openmetrics(v, vl);
		}
	}
	/* RFC 9112 §3.2: HTTP/1.1 requires Host. */
	if (ver[7] == '1' && !host)
		return bad(req, "HTTP/1.1 request without Host");

	if (!(mlen == 3 && !memcmp(l, "GET", 3)) && !(mlen == 4 && !memcmp(l, "HEAD", 4)))
		return CTL_HTTP_BAD_METHOD;
	memcpy(req->method, l, mlen);
	req->method[mlen] = '\0';
	req->openmetrics = om;
	size_t plen = strlen(path);
	if (tlen < plen || memcmp(tgt, path, plen) || (tlen > plen && tgt[plen] != '?'))
		return CTL_HTTP_NOT_FOUND;
	return CTL_HTTP_OK;
}

const char *ctl_http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}
