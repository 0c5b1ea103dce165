/* SPDX-License-Identifier: BSD-3-Clause */
/* cli_report: text and JSON output of lib/tw_stats summaries (wire ref §7). */
#include "cli_report.h"

#include <inttypes.h>

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

void cli_report_interval(FILE *f, double t_s, unsigned sess, const struct tw_stats_summary *s)
{
	fprintf(f, "[%6.1fs] s%u sent %" PRIu64 " rcvd %" PRIu64 " lost %" PRIu64, t_s, sess + 1,
	        s->sent, s->received, s->lost);
	if (s->rtt.n)
		fprintf(f, "  rtt min/med/max %.3f/%.3f/%.3f ms", ms(s->rtt.min), ms(s->rtt.p50),
		        ms(s->rtt.max));
	if (s->dup_fwd + s->dup_bwd)
		fprintf(f, " dup %" PRIu64, s->dup_fwd + s->dup_bwd);
	fputc('\n', f);
}

static void dist_text(FILE *f, const char *name, const struct tw_stats_dist *d)
{
	if (!d->n) {
		fprintf(f, "  %-18s no samples\n", name);
		return;
	}
	fprintf(f,
	        "  %-18s min %.3f  median %.3f  p99 %.3f  max %.3f  mean %.3f ms (n=%" PRIu64 ")\n",
	        name, ms(d->min), ms(d->p50), ms(d->p99), ms(d->max), ms(d->mean), d->n);
}

void cli_report_text(FILE *f, const struct cli_report_sess *r)
{
	const struct tw_stats_summary *s = r->sum;
	fprintf(f, "session %u: local port %u -> reflector port %u%s%s\n", r->idx + 1,
	        r->local_port, r->peer_port, r->sid_hex[0] ? ", SID " : "", r->sid_hex);
	double lp = s->settled ? 100.0 * (double)s->lost / (double)s->settled : 0.0;
	fprintf(f,
	        "  packets            sent %" PRIu64 ", received %" PRIu64 ", lost %" PRIu64
	        " (%.3f%%: forward %" PRIu64 ", backward %" PRIu64 "), late %" PRIu64 "\n",
	        s->sent, s->received, s->lost, lp, s->lost_fwd, s->lost_bwd, s->late);
	fprintf(f,
	        "  duplicates         forward %" PRIu64 ", backward %" PRIu64
	        "; reordered forward %" PRIu64 ", backward %" PRIu64 "\n",
	        s->dup_fwd, s->dup_bwd, s->reord_fwd, s->reord_bwd);
	dist_text(f, "round trip", &s->rtt);
	if (s->rtt.n)
		fprintf(f, "  %-18s %.3f ms p99 - p50 (RFC 5481 PDV), jitter %.3f ms (RFC 3550)\n",
		        "rtt variation", ms(s->rtt.pdv_p99), ms(s->jitter_rtt));
	const char *uns = s->unsync ? " [UNSYNCHRONISED clocks]" : "";
	char n1[64], n2[64];
	snprintf(n1, sizeof(n1), "forward one-way%s", s->unsync ? "*" : "");
	snprintf(n2, sizeof(n2), "backward one-way%s", s->unsync ? "*" : "");
	dist_text(f, n1, &s->fwd);
	dist_text(f, n2, &s->bwd);
	if (s->unsync)
		fprintf(f,
		        "  * one-way delays from unsynchronised clocks%s: offsets included, "
		        "indicative only\n",
		        uns);
	if (s->dwell.n)
		fprintf(f, "  %-18s min %.3f  mean %.3f  max %.3f ms\n", "reflector dwell",
		        ms(s->dwell.min), ms(s->dwell.mean), ms(s->dwell.max));
	if (s->hops_fwd.n || s->hops_bwd.n)
		fprintf(f,
		        "  %-18s forward %" PRId64 "..%" PRId64 ", backward %" PRId64 "..%" PRId64
		        " (255 - TTL)\n",
		        "hops", s->hops_fwd.min, s->hops_fwd.max, s->hops_bwd.min, s->hops_bwd.max);
	if (r->cnt && (r->cnt->rx_short || r->cnt->rx_hmac || r->cnt->rx_errest || r->cnt->tx_err))
		fprintf(f,
		        "  %-18s send errors %" PRIu64 ", short %" PRIu64 ", bad HMAC %" PRIu64
		        ", zero error estimate %" PRIu64 "\n",
		        "dropped", r->cnt->tx_err, r->cnt->rx_short, r->cnt->rx_hmac,
		        r->cnt->rx_errest);
}

static void dist_json(FILE *f, const char *name, const struct tw_stats_dist *d)
{
	fprintf(f, "\"%s\":{\"n\":%" PRIu64, name, d->n);
	if (d->n)
		fprintf(f,
		        ",\"min_ns\":%" PRId64 ",\"p50_ns\":%" PRId64 ",\"p90_ns\":%" PRId64
		        ",\"p99_ns\":%" PRId64 ",\"max_ns\":%" PRId64 ",\"mean_ns\":%" PRId64
		        ",\"pdv_p99_ns\":%" PRId64,
		        d->min, d->p50, d->p90, d->p99, d->max, d->mean, d->pdv_p99);
	fputc('}', f);
}

static void mm_json(FILE *f, const char *name, const struct tw_stats_mmsum *m)
{
	fprintf(f,
	        "\"%s\":{\"n\":%" PRIu64 ",\"min\":%" PRId64 ",\"max\":%" PRId64
	        ",\"mean\":%" PRId64 "}",
	        name, m->n, m->min, m->max, m->mean);
}

void cli_report_json(FILE *f, const struct cli_report_sess *r)
{
	const struct tw_stats_summary *s = r->sum;
	fprintf(f,
	        "{\"session\":%u,\"sid\":\"%s\",\"local_port\":%u,\"reflector_port\":%u,"
	        "\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64
	        ",\"lost_forward\":%" PRIu64 ",\"lost_backward\":%" PRIu64 ",\"loss_ppm\":%u"
	        ",\"late\":%" PRIu64 ",\"dup_forward\":%" PRIu64 ",\"dup_backward\":%" PRIu64
	        ",\"reordered_forward\":%" PRIu64 ",\"reordered_backward\":%" PRIu64
	        ",\"unsynchronised\":%s,",
	        r->idx + 1, r->sid_hex, r->local_port, r->peer_port, s->sent, s->received, s->lost,
	        s->lost_fwd, s->lost_bwd, s->loss_ppm, s->late, s->dup_fwd, s->dup_bwd,
	        s->reord_fwd, s->reord_bwd, s->unsync ? "true" : "false");
	dist_json(f, "rtt", &s->rtt);
	fputc(',', f);
	dist_json(f, "forward", &s->fwd);
	fputc(',', f);
	dist_json(f, "backward", &s->bwd);
	fputc(',', f);
	dist_json(f, "ipdv", &s->ipdv);
	fprintf(f, ",\"jitter_rtt_ns\":%" PRId64 ",", s->jitter_rtt);
	mm_json(f, "dwell_ns", &s->dwell);
	fputc(',', f);
	mm_json(f, "hops_forward", &s->hops_fwd);
	fputc(',', f);
	mm_json(f, "hops_backward", &s->hops_bwd);
	if (r->cnt)
		fprintf(f,
		        ",\"engine\":{\"tx\":%" PRIu64 ",\"tx_errors\":%" PRIu64 ",\"rx\":%" PRIu64
		        ",\"rx_short\":%" PRIu64 ",\"rx_bad_hmac\":%" PRIu64
		        ",\"rx_zero_errest\":%" PRIu64 "}",
		        r->cnt->tx, r->cnt->tx_err, r->cnt->rx, r->cnt->rx_short, r->cnt->rx_hmac,
		        r->cnt->rx_errest);
	fputc('}', f);
}
