/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rep_text: the human-readable driver.  Units scale per value (ns, µs, ms,
 * s with 3 significant digits); ratios are percentages.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>

#include "rep_priv.h"

#define NSB 32

static void text_stamp(struct tw_report *r);

static const char *dur(struct tw_report *r, char *b, int64_t ns)
{
	return tw_report_fmt_ns(b, NSB, ns, (r->flags & TW_REPORT_F_ASCII) != 0);
}

/* ppm -> "0.10%"; more digits for small non-zero ratios. */
static const char *pct(char *b, size_t cap, uint32_t ppm)
{
	if (ppm > 0 && ppm < 100)
		snprintf(b, cap, "%.4f%%", ppm / 1e4);
	else
		snprintf(b, cap, "%.2f%%", ppm / 1e4);
	return b;
}

static void progress(struct tw_report *r, int64_t t)
{
	int64_t d = rep_duration(&r->par.p);
	if (d > 0)
		fprintf(r->out, "[%5.1f s / %5.1f s]", t / 1e9, d / 1e9);
	else
		fprintf(r->out, "[%5.1f s]", t / 1e9);
}

/* A name for a terminal: control characters, backslash and invalid UTF-8 as \xNN. */
static void put_safe(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "-");
	while (*p) {
		size_t n = *p >= 0x20 && *p != 0x7f && *p != '\\' ? tw_utf8_seq(p) : 0;
		if (n) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			fprintf(f, "\\x%02x", *p++);
		}
	}
}

static enum tw_err status(struct tw_report *r)
{
	return ferror(r->out) ? TW_E_SYS : TW_OK;
}

static enum tw_err text_start(struct tw_report *r)
{
	const struct tw_report_params *p = &r->par.p;
	char a[NSB], b[NSB];
	fprintf(r->out, "twinhop %s: session ", TW_REPORT_VERSION);
	put_safe(r->out, p->session);
	fputs(" to ", r->out);
	put_safe(r->out, p->peer);
	fputs(" from ", r->out);
	put_safe(r->out, p->local);
	fputs(", mode ", r->out);
	put_safe(r->out, p->mode);
	fputc('\n', r->out);
	fprintf(r->out, "  %" PRIu64 " packets", p->count);
	if (p->tx_interval_ns > 0)
		fprintf(r->out, " every %s (%.0f pps)", dur(r, a, p->tx_interval_ns),
		        1e9 / (double)p->tx_interval_ns);
	fprintf(r->out, ", padding %" PRIu32 " octets, DSCP %u", p->padding, p->dscp);
	if (p->loss_timeout_ns > 0)
		fprintf(r->out, ", loss timeout %s", dur(r, b, p->loss_timeout_ns));
	fputc('\n', r->out);
	return status(r);
}

static enum tw_err text_interval(struct tw_report *r, int64_t t0, int64_t t1,
                                 const struct tw_stats_summary *s)
{
	char a[NSB], b[NSB], c[NSB], d[NSB], l[NSB];
	(void)t0;
	if (r->flags & TW_REPORT_F_NOINTV)
		return TW_OK;
	progress(r, t1);
	fprintf(r->out, " sent %" PRIu64 " rcvd %" PRIu64 " loss %s", s->sent, s->received,
	        pct(l, sizeof l, s->loss_ppm));
	if (s->rtt.n)
		fprintf(r->out, " rtt p50 %s p99 %s max %s jitter %s", dur(r, a, s->rtt.p50),
		        dur(r, b, s->rtt.p99), dur(r, c, s->rtt.max), dur(r, d, s->jitter_rtt));
	else
		fputs(" rtt -", r->out);
	if (s->dup_fwd + s->dup_bwd)
		fprintf(r->out, " dup %" PRIu64, s->dup_fwd + s->dup_bwd);
	if (s->reord_fwd + s->reord_bwd)
		fprintf(r->out, " reord %" PRIu64, s->reord_fwd + s->reord_bwd);
	fputc('\n', r->out);
	return status(r);
}

static void event_value(struct tw_report *r, char *b, size_t cap, const struct tw_stats_event *ev)
{
	if (ev->kind == TW_STATS_THR_LOSS)
		pct(b, cap,
		    ev->value < 0            ? 0
		    : ev->value > UINT32_MAX ? UINT32_MAX
		                             : (uint32_t)ev->value);
	else
		tw_report_fmt_ns(b, cap, ev->value, (r->flags & TW_REPORT_F_ASCII) != 0);
}

static enum tw_err text_event(struct tw_report *r, const struct rep_event *e)
{
	char v[NSB];
	event_value(r, v, sizeof v, &e->ev);
	fprintf(r->out, "[%5.1f s] event %s %s: %s", e->t_ns / 1e9, rep_thr_name(e->ev.kind),
	        e->ev.raised ? "raised" : "cleared", v);
	if (e->ev.kind != TW_STATS_THR_LOSS)
		fprintf(r->out, " (seq %" PRIu32 ")", e->ev.seq);
	fputc('\n', r->out);
	return status(r);
}

static void line_dist(struct tw_report *r, const char *name, const struct tw_stats_dist *d,
                      bool pdv)
{
	char b[7][NSB];
	fprintf(r->out, "%-12s", name);
	if (!d->n) {
		fputs("-\n", r->out);
		return;
	}
	if (pdv) {
		fprintf(r->out, "p50 %s  p99 %s  max %s\n", dur(r, b[0], d->pdv_p50),
		        dur(r, b[1], d->pdv_p99), dur(r, b[2], d->pdv_max));
		return;
	}
	fprintf(
	    r->out, "min %s  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  mean %s  (n %" PRIu64 ")",
	    dur(r, b[0], d->min), dur(r, b[1], d->p50), dur(r, b[2], d->p90), dur(r, b[3], d->p99),
	    dur(r, b[4], d->p999), dur(r, b[5], d->max), dur(r, b[6], d->mean), d->n);
}

static void line_mm(struct tw_report *r, const char *name, const struct tw_stats_mmsum *m)
{
	char b[3][NSB];
	fprintf(r->out, "%-12s", name);
	if (!m->n)
		fputs("-\n", r->out);
	else
		fprintf(r->out, "min %s  mean %s  max %s\n", dur(r, b[0], m->min),
		        dur(r, b[1], m->mean), dur(r, b[2], m->max));
}

/* Error bounds of 2^40 ns (18 minutes) and more only come from "unknown"
 * error estimates (0x3fff, RFC 4656 §4.1.2) or from callers capping them:
 * saying so is more honest than printing a number. */
#define ERR_UNBOUNDED_NS (INT64_C(1) << 40)

static void line_err(struct tw_report *r, const char *name, const struct tw_stats_mmsum *m)
{
	if (m->n && m->max >= ERR_UNBOUNDED_NS) {
		fprintf(r->out, "%-12sunbounded (a clock reports an unknown error estimate)\n", name);
		return;
	}
	line_mm(r, name, m);
}

static enum tw_err text_end(struct tw_report *r, int64_t t_end, const struct tw_stats_summary *s,
                            const struct tw_stats_acc *acc)
{
	const struct tw_report_params *p = &r->par.p;
	char a[NSB], b[NSB], c[NSB];
	(void)acc;
	fputs("--- ", r->out);
	put_safe(r->out, p->peer ? p->peer : "twinhop");
	fprintf(r->out, " summary over %.1f s ---\n", t_end / 1e9);
	fprintf(r->out,
	        "%-12ssent %" PRIu64 ", received %" PRIu64 ", lost %" PRIu64
	        " (%s; forward %" PRIu64 ", backward %" PRIu64 "), late %" PRIu64 "\n",
	        "packets", s->sent, s->received, s->lost, pct(a, sizeof a, s->loss_ppm),
	        s->lost_fwd, s->lost_bwd, s->late);
	fprintf(r->out, "%-12sforward %" PRIu64 ", backward %" PRIu64 "\n", "duplicates",
	        s->dup_fwd, s->dup_bwd);
	fprintf(r->out, "%-12sforward %" PRIu64 " (%s), backward %" PRIu64 " (%s)\n", "reordering",
	        s->reord_fwd, pct(a, sizeof a, s->reord_fwd_ppm), s->reord_bwd,
	        pct(b, sizeof b, s->reord_bwd_ppm));
	if (s->forced + s->unknown + s->too_old + s->refl_too_old)
		fprintf(r->out,
		        "%-12sforced %" PRIu64 ", unknown %" PRIu64 ", too old %" PRIu64
		        ", reflector seq too old %" PRIu64 "\n",
		        "anomalies", s->forced, s->unknown, s->too_old, s->refl_too_old);
	line_dist(r, "rtt", &s->rtt, false);
	if (s->rtt.n)
		fputc('\n', r->out);
	line_dist(r, "forward", &s->fwd, false);
	if (s->fwd.n)
		fputs(s->unsync ? "  [unsynchronised]\n" : "\n", r->out);
	line_dist(r, "backward", &s->bwd, false);
	if (s->bwd.n)
		fputs(s->unsync ? "  [unsynchronised]\n" : "\n", r->out);
	line_dist(r, "ipdv", &s->ipdv, false);
	if (s->ipdv.n)
		fputc('\n', r->out);
	line_dist(r, "pdv", &s->rtt, true);
	fprintf(r->out, "%-12srtt %s, forward %s, backward %s (RFC 3550)\n", "jitter",
	        dur(r, a, s->jitter_rtt), dur(r, b, s->jitter_fwd), dur(r, c, s->jitter_bwd));
	line_mm(r, "dwell", &s->dwell);
	/* A direction without a known TTL (a reply with no Sender TTL, wire
	 * ref §11b.7) is "unknown", never a number. */
	fprintf(r->out, "%-12s", "hops");
	if (s->hops_fwd.n || s->hops_bwd.n) {
		fputs("forward ", r->out);
		if (s->hops_fwd.n)
			fprintf(r->out, "%" PRId64 "..%" PRId64, s->hops_fwd.min, s->hops_fwd.max);
		else
			fputs("unknown", r->out);
		fputs(", backward ", r->out);
		if (s->hops_bwd.n)
			fprintf(r->out, "%" PRId64 "..%" PRId64 "\n", s->hops_bwd.min,
			        s->hops_bwd.max);
		else
			fputs("unknown\n", r->out);
	} else {
		fputs("-\n", r->out);
	}
	/* RFC 7750: forward as the reflector saw it, backward as we did */
	if (s->tos.fwd_n || s->tos.bwd_n) {
		static const char *const ecn[4] = {"Not-ECT", "ECT(1)", "ECT(0)", "CE"};
		const struct tw_stats_tos *t = &s->tos;
		fprintf(r->out, "%-12ssent %u/%s; forward ", "dscp/ecn", t->tx >> 2, ecn[t->tx & 3u]);
		if (t->fwd_n)
			fprintf(r->out,
			        "%u/%s (%" PRIu64 " replies: %" PRIu64 " DSCP remarked, %" PRIu64
			        " ECT->CE, %" PRIu64 " other ECN)",
			        t->fwd_last >> 2, ecn[t->fwd_last & 3u], t->fwd_n, t->fwd_dscp_changed,
			        t->fwd_ce, t->fwd_ecn_other);
		else
			fputs("unknown (RFC 7750 not negotiated)", r->out);
		fputs("; backward ", r->out);
		if (t->bwd_n)
			fprintf(r->out,
			        "%u/%s (%" PRIu64 " replies: %" PRIu64 " DSCP remarked, %" PRIu64
			        " CE)\n",
			        t->bwd_last >> 2, ecn[t->bwd_last & 3u], t->bwd_n, t->bwd_dscp_changed,
			        t->bwd_ce);
		else
			fputs("unknown\n", r->out);
	}
	line_err(r, "rtt error", &s->rtt_err);
	size_t up = 0;
	for (size_t i = 0; i < r->nev; i++)
		up += r->ev[i].ev.raised;
	fprintf(r->out, "%-12s%zu (%zu raised, %zu cleared)", "events", r->nev, up, r->nev - up);
	if (r->ev_dropped)
		fprintf(r->out, ", %" PRIu64 " not kept", r->ev_dropped);
	fputc('\n', r->out);
	if (r->have_run) {
		const struct tw_report_run *u = &r->run;
		if (u->rate_achieved_pps > 0)
			fprintf(r->out, "%-12srequested %.0f pps, achieved %.0f pps (%.1f %%)%s\n",
			        "rate", u->rate_requested_pps, u->rate_achieved_pps,
			        u->rate_requested_pps > 0
			            ? 100.0 * u->rate_achieved_pps / u->rate_requested_pps
			            : 100.0,
			        rep_run_short(u) ? "  ** SHORTFALL: the sender could not keep up **"
			                         : "");
		if (u->host_known) {
			fprintf(r->out,
			        "%-12s%" PRIu64 " packets dropped on this host (UDP receive buffers %" PRIu64
			        ", send buffers %" PRIu64 ", host-wide",
			        "host loss", u->host_rcvbuf_errors + u->host_sndbuf_errors + u->engine_drops,
			        u->host_rcvbuf_errors, u->host_sndbuf_errors);
			if (u->engine_drops) {
				fprintf(r->out, "; engine %" PRIu64, u->engine_drops);
				for (unsigned i = 0;
				     i < u->n_engine_drop_by && i < TW_REPORT_DROP_REASONS; i++)
					fprintf(r->out, "%s%s %" PRIu64, i ? ", " : ": ",
					        u->engine_drop_by[i].name, u->engine_drop_by[i].n);
			}
			fputs("); the rest of the loss is on the network or the reflector\n", r->out);
		}
		if (u->cpu_shared > 0)
			fprintf(r->out,
			        "%-12sshared: this client runs on CPU %s, where the fast path's lcores "
			        "poll; delays include waiting for that CPU\n",
			        "cpus", u->cpus_shared);
		if (u->advice)
			fprintf(r->out, "%-12s%s\n", "note", u->advice);
	}
	if (r->have_stamp)
		text_stamp(r);
	return status(r);
}

/* What the STAMP TLVs brought back (RFC 8972 §4, RFC 9503): one line per
 * kind sent, docs/output.md "STAMP TLVs". */
static void text_stamp(struct tw_report *r)
{
	const struct tw_report_stamp *st = &r->stamp;
	const struct tw_stlv_res *x = &st->res;
	FILE *o = r->out;
	char a[NSB], b[NSB], c[NSB], d[NSB];
	fprintf(o,
	        "%-12ssent %s; %" PRIu64 " replies read, TLVs flagged U %" PRIu64 ", M %" PRIu64
	        ", I %" PRIu64 "%s\n",
	        "stamp tlvs", st->sent, x->replies, x->flag_u, x->flag_m, x->flag_i,
	        x->area_short ? "  ** replies shorter than sent **" : "");
	if (tw_report_stamp_sent(st, "cos")) {
		if (x->cos_n)
			fprintf(o,
			        "%-12s%" PRIu64 " replies; forward: sent DSCP %u ECN %u, reflector "
			        "received DSCP %u ECN %u (%" PRIu64 " remarked, %" PRIu64
			        " ECN changed, %" PRIu64 " CE); reverse: asked DSCP %u, ",
			        "cos", x->cos_n, st->dscp, st->ecn < 0 ? 0 : st->ecn, x->cos_dscp2,
			        x->cos_ecn2, x->cos_fwd_remarked, x->cos_fwd_ecn_changed,
			        x->cos_fwd_ce, x->cos_dscp1);
		else
			fprintf(o, "%-12sno Class of Service TLV came back filled in", "cos");
		if (x->cos_n && x->cos_rev_known)
			fprintf(o,
			        "reply DSCP %u ECN %u (%" PRIu64 " not as asked); RP %" PRIu64 "\n",
			        x->cos_rx_dscp, x->cos_rx_ecn, x->cos_rev_remarked, x->cos_rp);
		else if (x->cos_n)
			fprintf(o, "reply DSCP unknown; RP %" PRIu64 "\n", x->cos_rp);
		else
			fputc('\n', o);
	}
	if (tw_report_stamp_sent(st, "followup")) {
		if (x->fu_n) {
			int64_t n = (int64_t)x->fu_n;
			fprintf(o,
			        "%-12s%" PRIu64
			        " matched: the real T3 is %s later on average (min %s, "
			        "max %s); RTT %s with the in-packet T3, ",
			        "followup", x->fu_n, dur(r, a, x->fu_corr_sum_ns / n),
			        dur(r, b, x->fu_corr_min_ns), dur(r, c, x->fu_corr_max_ns),
			        dur(r, d, x->fu_rtt_pkt_sum_ns / n));
			fprintf(o,
			        "%s with the real T3 (timestamp mode %u; %" PRIu64 " repeated)\n",
			        dur(r, a, x->fu_rtt_real_sum_ns / n), x->fu_mode, x->fu_repeated);
		} else {
			fprintf(o, "%-12snone matched (%" PRIu64 " empty, %" PRIu64 " unmatched)\n",
			        "followup", x->fu_zero, x->fu_unmatched);
		}
	}
	if (tw_report_stamp_sent(st, "dm")) {
		if (x->dm_n)
			fprintf(
			    o,
			    "%-12slast counters S_TxC %u R_RxC %u R_TxC %u: forward loss %" PRId64
			    ", backward loss %" PRId64 "\n",
			    "dm", x->dm_last[0], x->dm_last[1], x->dm_last[2], x->dm_fwd_lost,
			    x->dm_bwd_lost);
		else
			fprintf(o, "%-12sno Direct Measurement TLV came back filled in\n", "dm");
	}
	if (tw_report_stamp_sent(st, "location")) {
		char s1[64] = "?", d1[64] = "?";
		if (x->loc_have_src)
			inet_ntop(x->loc_family == 6 ? AF_INET6 : AF_INET, x->loc_src, s1,
			          sizeof(s1));
		if (x->loc_have_dst)
			inet_ntop(x->loc_family == 6 ? AF_INET6 : AF_INET, x->loc_dst, d1,
			          sizeof(d1));
		if (x->loc_n)
			fprintf(o, "%-12sthe reflector saw %s port %u -> %s port %u; %s\n",
			        "location", s1, x->loc_src_port, d1, x->loc_dst_port,
			        x->loc_nat ? "** not what we sent: NAT on the way **"
			                   : "as we sent it (no NAT)");
		else
			fprintf(o, "%-12sno Location TLV came back filled in\n", "location");
		if (x->loc_nat)
			fprintf(
			    o, "%-12swe sent from %s (%" PRIu64 " of %" PRIu64 " replies differ)\n",
			    "", st->local, x->loc_nat, x->loc_n);
	}
	if (tw_report_stamp_sent(st, "tsinfo")) {
		if (x->tsi_n)
			fprintf(o, "%-12sreflector receive: %s, %s; transmit: %s, %s\n", "tsinfo",
			        tw_stlv_sync_name(x->tsi[0]), tw_stlv_tsmethod_name(x->tsi[1]),
			        tw_stlv_sync_name(x->tsi[2]), tw_stlv_tsmethod_name(x->tsi[3]));
		else
			fprintf(o, "%-12sno Timestamp Information TLV came back filled in\n",
			        "tsinfo");
	}
	if (tw_report_stamp_sent(st, "access"))
		fprintf(o, "%-12s%" PRIu64 " echoed as sent, %" PRIu64 " changed or flagged\n",
		        "access", x->access_echo, x->access_bad);
	if (tw_report_stamp_sent(st, "dna"))
		fprintf(o, "%-12s%" PRIu64 " accepted, %" PRIu64 " flagged (not this reflector)\n",
		        "dna", x->dna_ok, x->dna_u);
	if (tw_report_stamp_sent(st, "return-path"))
		fprintf(o, "%-12s%" PRIu64 " accepted, %" PRIu64 " flagged (not supported)\n",
		        "return path", x->rp_ok, x->rp_u);
	if (tw_report_stamp_sent(st, "hmac"))
		fprintf(o, "%-12s%" PRIu64 " verified, %" PRIu64 " failed\n", "hmac tlv",
		        x->hmac_ok, x->hmac_bad);
}

const struct rep_ops rep_text_ops = {
    .start = text_start,
    .interval = text_interval,
    .event = text_event,
    .end = text_end,
};
