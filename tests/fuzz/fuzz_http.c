/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "http": the request parser of the metrics endpoint
 * (control/daemon/ctl_http.c, ctl_http_parse), which anyone who can reach
 * the metrics port talks to.
 *
 * Input: [k:1][k x split:2][request octets].  k % 8 split points cut the
 * request into reads, as TCP may deliver it; twinhopd (ctl_metrics.c)
 * appends each read to a CTL_HTTP_HEAD_MAX buffer and parses the whole
 * buffer after every read, answering at the first result other than MORE.
 *
 * Invariants (abort() on violation; ASan/UBSan catch memory errors):
 *  - the result is one of the documented ones; BAD has a reason; OK has
 *    method GET or HEAD, the request's own; MORE only below
 *    CTL_HTTP_HEAD_MAX octets; parsing twice gives the same answer;
 *  - incremental feeding: every prefix the daemon would parse answers MORE
 *    or exactly what the whole request answers (result, method, OpenMetrics
 *    choice), and once a prefix has a final answer every longer one has it.
 */
#include "fuzz_common.h"

#include <stdbool.h>

#include "ctl_http.h"

#define PATH "/metrics"

static int cmp_sz(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* Parse an exact-size heap copy of buf[0..len) (ASan sees any overread). */
static enum ctl_http_result parse(const uint8_t *buf, size_t len, struct ctl_http_req *rq)
{
	char *c = malloc(len ? len : 1);
	FUZZ_ASSERT(c);
	c[0] = '\0'; /* len 0: nothing may be read, but gcc cannot know */
	if (len)
		memcpy(c, buf, len);
	memset(rq, 0xa5, sizeof(*rq)); /* the parser must set every field */
	enum ctl_http_result r = ctl_http_parse(c, len, PATH, rq);
	free(c);

	switch (r) {
	case CTL_HTTP_MORE:
		FUZZ_ASSERT(len < CTL_HTTP_HEAD_MAX);
		break;
	case CTL_HTTP_OK:
		FUZZ_ASSERT(!strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD"));
		FUZZ_ASSERT(!memcmp(buf, rq->method, strlen(rq->method)) &&
		            buf[strlen(rq->method)] == ' ');
		FUZZ_ASSERT(rq->why == NULL);
		break;
	case CTL_HTTP_BAD:
		FUZZ_ASSERT(rq->why && rq->why[0]);
		break;
	case CTL_HTTP_NOT_FOUND:
	case CTL_HTTP_BAD_METHOD:
		FUZZ_ASSERT(rq->why == NULL);
		break;
	default:
		FUZZ_ASSERT(!"unknown result");
	}
	return r;
}

static bool same(enum ctl_http_result a, const struct ctl_http_req *ra, enum ctl_http_result b,
                 const struct ctl_http_req *rb)
{
	if (a != b)
		return false;
	if (a == CTL_HTTP_OK)
		return !strcmp(ra->method, rb->method) && ra->openmetrics == rb->openmetrics;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	size_t cuts[9];
	unsigned k = fz_u8(&f) % 8;

	for (unsigned i = 0; i < k; i++)
		cuts[i] = fz_u16(&f);
	const uint8_t *req = f.p;
	/* The daemon reads at most CTL_HTTP_HEAD_MAX octets of a request. */
	size_t len = f.len < CTL_HTTP_HEAD_MAX ? f.len : CTL_HTTP_HEAD_MAX;
	for (unsigned i = 0; i < k; i++)
		cuts[i] %= len + 1;
	cuts[k++] = len;
	qsort(cuts, k, sizeof(cuts[0]), cmp_sz);

	struct ctl_http_req whole, again;
	enum ctl_http_result rw = parse(req, len, &whole);
	FUZZ_ASSERT(same(rw, &whole, parse(req, len, &again), &again));

	bool final = false;
	for (unsigned i = 0; i < k; i++) {
		struct ctl_http_req rq;
		enum ctl_http_result r = parse(req, cuts[i], &rq);
		if (r == CTL_HTTP_MORE) {
			FUZZ_ASSERT(!final); /* a final answer never turns back into MORE */
			continue;
		}
		FUZZ_ASSERT(same(r, &rq, rw, &whole));
		final = true;
	}
	return 0;
}
