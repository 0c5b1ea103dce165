/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rep_jsonout: the JSON driver, one document {"start", "intervals", "end"}
 * streamed as the test runs (iperf3's layout, style anchor 15).  Keys and
 * units: docs/output.md; schema: docs/schema/report.schema.json.
 * Convention: every time value is integer ns and its key ends in "_ns";
 * a statistic over no samples is null.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "rep_priv.h"

static void json_stamp(struct rep_json *w, const struct tw_report_stamp *st);

#define RATIO_DECIMALS 6 /* ratios come from ppm */

static void opt_i64(struct rep_json *w, const char *key, bool valid, int64_t v)
{
	if (valid)
		rep_json_i64(w, key, v);
	else
		rep_json_null(w, key);
}

static void ratio_ppm(struct rep_json *w, const char *key, bool valid, uint32_t ppm)
{
	if (valid)
		rep_json_double(w, key, ppm / 1e6, RATIO_DECIMALS);
	else
		rep_json_null(w, key);
}

/* Leaves the object open so that callers can add members. */
static void dist(struct rep_json *w, const char *key, const struct tw_stats_dist *d)
{
	bool v = d->n != 0;
	rep_json_obj_begin(w, key);
	rep_json_u64(w, "n", d->n);
	opt_i64(w, "min_ns", v, d->min);
	opt_i64(w, "p50_ns", v, d->p50);
	opt_i64(w, "p90_ns", v, d->p90);
	opt_i64(w, "p99_ns", v, d->p99);
	opt_i64(w, "p999_ns", v, d->p999);
	opt_i64(w, "max_ns", v, d->max);
	opt_i64(w, "mean_ns", v, d->mean);
}

static void pdv(struct rep_json *w, const char *key, const struct tw_stats_dist *d)
{
	bool v = d->n != 0;
	rep_json_obj_begin(w, key);
	opt_i64(w, "p50_ns", v, d->pdv_p50);
	opt_i64(w, "p99_ns", v, d->pdv_p99);
	opt_i64(w, "max_ns", v, d->pdv_max);
	rep_json_obj_end(w);
}

/* min/max/mean; ns selects the key suffix (times) or none (counts). */
static void mm(struct rep_json *w, const char *key, const struct tw_stats_mmsum *m, bool ns)
{
	bool v = m->n != 0;
	rep_json_obj_begin(w, key);
	rep_json_u64(w, "n", m->n);
	opt_i64(w, ns ? "min_ns" : "min", v, m->min);
	opt_i64(w, ns ? "max_ns" : "max", v, m->max);
	opt_i64(w, ns ? "mean_ns" : "mean", v, m->mean);
	rep_json_obj_end(w);
}

static void loss_dir(struct rep_json *w, const char *key, uint64_t n, uint64_t settled)
{
	rep_json_obj_begin(w, key);
	rep_json_u64(w, "count", n);
	if (settled)
		rep_json_double(w, "ratio", (double)n / (double)settled, 9);
	else
		rep_json_null(w, "ratio");
	rep_json_obj_end(w);
}

static void reord_dir(struct rep_json *w, const char *key, uint64_t n, uint32_t ppm, bool valid,
                      const struct tw_stats_mmsum *ext)
{
	rep_json_obj_begin(w, key);
	rep_json_u64(w, "count", n);
	ratio_ppm(w, "ratio", valid, ppm);
	mm(w, "extent", ext, false);
	rep_json_obj_end(w);
}

/* The members of one measurement object: an interval or the end summary. */
static void measurement(struct rep_json *w, int64_t t0, int64_t t1,
                        const struct tw_stats_summary *s)
{
	rep_json_i64(w, "start_ns", t0);
	rep_json_i64(w, "end_ns", t1);
	rep_json_u64(w, "sent", s->sent);
	rep_json_u64(w, "received", s->received);

	rep_json_obj_begin(w, "loss");
	rep_json_u64(w, "settled", s->settled);
	loss_dir(w, "round_trip", s->lost, s->settled);
	loss_dir(w, "forward", s->lost_fwd, s->settled);
	loss_dir(w, "backward", s->lost_bwd, s->settled);
	rep_json_u64(w, "late", s->late);
	rep_json_obj_end(w);

	rep_json_obj_begin(w, "duplicates");
	rep_json_u64(w, "forward", s->dup_fwd);
	rep_json_u64(w, "backward", s->dup_bwd);
	rep_json_obj_end(w);

	rep_json_obj_begin(w, "reordering");
	reord_dir(w, "forward", s->reord_fwd, s->reord_fwd_ppm, s->received != 0, &s->ext_fwd);
	reord_dir(w, "backward", s->reord_bwd, s->reord_bwd_ppm, s->received != 0, &s->ext_bwd);
	rep_json_obj_end(w);

	dist(w, "rtt", &s->rtt);
	rep_json_obj_end(w);
	dist(w, "forward_owd", &s->fwd);
	rep_json_bool(w, "unsynchronised", s->unsync);
	rep_json_obj_end(w);
	dist(w, "backward_owd", &s->bwd);
	rep_json_bool(w, "unsynchronised", s->unsync);
	rep_json_obj_end(w);
	rep_json_u64(w, "unsynchronised_samples", s->unsync_n);

	rep_json_obj_begin(w, "ipdv");
	dist(w, "rtt", &s->ipdv);
	rep_json_obj_end(w);
	mm(w, "forward", &s->ipdv_fwd, true);
	mm(w, "backward", &s->ipdv_bwd, true);
	rep_json_obj_end(w);

	rep_json_obj_begin(w, "pdv");
	pdv(w, "rtt", &s->rtt);
	pdv(w, "forward", &s->fwd);
	pdv(w, "backward", &s->bwd);
	rep_json_obj_end(w);

	rep_json_obj_begin(w, "jitter_rfc3550");
	rep_json_i64(w, "rtt_ns", s->jitter_rtt);
	rep_json_i64(w, "forward_ns", s->jitter_fwd);
	rep_json_i64(w, "backward_ns", s->jitter_bwd);
	rep_json_obj_end(w);

	mm(w, "dwell", &s->dwell, true);

	rep_json_obj_begin(w, "hops");
	mm(w, "forward", &s->hops_fwd, false);
	mm(w, "backward", &s->hops_bwd, false);
	rep_json_obj_end(w);

	/* RFC 7750 DSCP and ECN per direction: only when known */
	if (s->tos.fwd_n || s->tos.bwd_n) {
		static const char *const ecn[4] = {"not-ect", "ect1", "ect0", "ce"};
		const struct tw_stats_tos *t = &s->tos;
		rep_json_obj_begin(w, "dscp_ecn");
		rep_json_obj_begin(w, "sent");
		rep_json_u64(w, "dscp", t->tx >> 2);
		rep_json_str(w, "ecn", ecn[t->tx & 3u]);
		rep_json_obj_end(w);
		rep_json_obj_begin(w, "forward");
		rep_json_u64(w, "replies", t->fwd_n);
		if (t->fwd_n) {
			rep_json_u64(w, "dscp", t->fwd_last >> 2);
			rep_json_str(w, "ecn", ecn[t->fwd_last & 3u]);
		}
		rep_json_u64(w, "dscp_remarked", t->fwd_dscp_changed);
		rep_json_u64(w, "ecn_ce", t->fwd_ce);
		rep_json_u64(w, "ecn_other", t->fwd_ecn_other);
		rep_json_obj_end(w);
		rep_json_obj_begin(w, "backward");
		rep_json_u64(w, "replies", t->bwd_n);
		if (t->bwd_n) {
			rep_json_u64(w, "dscp", t->bwd_last >> 2);
			rep_json_str(w, "ecn", ecn[t->bwd_last & 3u]);
		}
		rep_json_u64(w, "dscp_remarked", t->bwd_dscp_changed);
		rep_json_u64(w, "ecn_ce", t->bwd_ce);
		rep_json_obj_end(w);
		rep_json_obj_end(w);
	}

	rep_json_obj_begin(w, "error_bound");
	mm(w, "rtt", &s->rtt_err, true);
	mm(w, "forward", &s->fwd_err, true);
	mm(w, "backward", &s->bwd_err, true);
	rep_json_obj_end(w);

	rep_json_obj_begin(w, "anomalies");
	rep_json_u64(w, "forced", s->forced);
	rep_json_u64(w, "unknown", s->unknown);
	rep_json_u64(w, "too_old", s->too_old);
	rep_json_u64(w, "refl_too_old", s->refl_too_old);
	rep_json_obj_end(w);
}

static enum tw_err json_start(struct tw_report *r)
{
	const struct tw_report_params *p = &r->par.p;
	struct rep_json *w = &r->json;
	char iso[48];
	rep_iso_time(iso, sizeof iso, p->start_ns);

	rep_json_init_file(w, r->out, (r->flags & TW_REPORT_F_COMPACT) ? 0 : REP_JSON_F_PRETTY);
	rep_json_obj_begin(w, NULL);
	rep_json_obj_begin(w, "start");
	rep_json_i64(w, "schema_version", TW_REPORT_SCHEMA_VERSION);
	rep_json_str(w, "version", TW_REPORT_VERSION);
	rep_json_i64(w, "timestamp_ns", p->start_ns);
	rep_json_str(w, "timestamp", iso[0] ? iso : NULL);
	rep_json_obj_begin(w, "session");
	rep_json_str(w, "name", p->session);
	rep_json_str(w, "peer", p->peer);
	rep_json_str(w, "local", p->local);
	rep_json_str(w, "mode", p->mode);
	rep_json_u64(w, "padding_octets", p->padding);
	rep_json_u64(w, "dscp", p->dscp);
	rep_json_u64(w, "count", p->count);
	opt_i64(w, "tx_interval_ns", p->tx_interval_ns > 0, p->tx_interval_ns);
	if (p->tx_interval_ns > 0)
		rep_json_double(w, "rate_pps", 1e9 / (double)p->tx_interval_ns, 3);
	else
		rep_json_null(w, "rate_pps");
	int64_t d = rep_duration(p);
	opt_i64(w, "duration_ns", d > 0, d);
	opt_i64(w, "report_interval_ns", p->report_interval_ns > 0, p->report_interval_ns);
	opt_i64(w, "loss_timeout_ns", p->loss_timeout_ns > 0, p->loss_timeout_ns);
	rep_json_obj_end(w);
	rep_json_obj_end(w);
	rep_json_arr_begin(w, "intervals");
	return w->err;
}

static enum tw_err json_interval(struct tw_report *r, int64_t t0, int64_t t1,
                                 const struct tw_stats_summary *s)
{
	struct rep_json *w = &r->json;
	rep_json_obj_begin(w, NULL);
	measurement(w, t0, t1, s);
	return rep_json_obj_end(w);
}

static enum tw_err json_end(struct tw_report *r, int64_t t_end, const struct tw_stats_summary *s,
                            const struct tw_stats_acc *acc)
{
	struct rep_json *w = &r->json;
	(void)acc;
	rep_json_arr_end(w);
	rep_json_obj_begin(w, "end");
	rep_json_obj_begin(w, "summary");
	measurement(w, 0, t_end, s);
	rep_json_obj_end(w);
	rep_json_arr_begin(w, "events");
	for (size_t i = 0; i < r->nev; i++) {
		const struct rep_event *e = &r->ev[i];
		rep_json_obj_begin(w, NULL);
		rep_json_i64(w, "t_ns", e->t_ns);
		rep_json_str(w, "kind", rep_thr_name(e->ev.kind));
		rep_json_str(w, "state", e->ev.raised ? "raised" : "cleared");
		rep_json_i64(w, "value", e->ev.value);
		rep_json_str(w, "unit", rep_thr_unit(e->ev.kind));
		if (e->ev.kind == TW_STATS_THR_LOSS)
			rep_json_null(w, "seq");
		else
			rep_json_u64(w, "seq", e->ev.seq);
		rep_json_obj_end(w);
	}
	rep_json_arr_end(w);
	rep_json_u64(w, "events_dropped", r->ev_dropped);
	if (r->have_run) {
		const struct tw_report_run *u = &r->run;
		rep_json_obj_begin(w, "run");
		if (u->rate_requested_pps > 0)
			rep_json_double(w, "rate_requested_pps", u->rate_requested_pps, 3);
		else
			rep_json_null(w, "rate_requested_pps");
		if (u->rate_achieved_pps > 0)
			rep_json_double(w, "rate_achieved_pps", u->rate_achieved_pps, 3);
		else
			rep_json_null(w, "rate_achieved_pps");
		rep_json_bool(w, "rate_shortfall", rep_run_short(u));
		if (u->host_known) {
			rep_json_obj_begin(w, "host_drops");
			rep_json_u64(w, "udp_rcvbuf_errors", u->host_rcvbuf_errors);
			rep_json_u64(w, "udp_sndbuf_errors", u->host_sndbuf_errors);
			rep_json_obj_end(w);
		} else {
			rep_json_null(w, "host_drops");
		}
		rep_json_u64(w, "engine_drops", u->engine_drops);
		rep_json_obj_begin(w, "engine_drop_reasons");
		for (unsigned i = 0; i < u->n_engine_drop_by && i < TW_REPORT_DROP_REASONS; i++)
			rep_json_u64(w, u->engine_drop_by[i].name, u->engine_drop_by[i].n);
		rep_json_obj_end(w);
		if (u->cpu_shared < 0)
			rep_json_null(w, "cpu_shared");
		else
			rep_json_bool(w, "cpu_shared", u->cpu_shared > 0);
		if (u->cpu_shared > 0)
			rep_json_str(w, "cpus_shared", u->cpus_shared);
		else
			rep_json_null(w, "cpus_shared");
		if (u->advice)
			rep_json_str(w, "advice", u->advice);
		else
			rep_json_null(w, "advice");
		rep_json_obj_end(w);
	}
	if (r->have_stamp)
		json_stamp(w, &r->stamp);
	rep_json_obj_end(w);
	rep_json_obj_end(w);
	if (w->err == TW_OK && fputc('\n', r->out) == EOF)
		return TW_E_SYS;
	return rep_json_finish(w);
}

static void json_addr(struct rep_json *w, const char *key, bool have, uint8_t fam, const uint8_t *a)
{
	char s[64];
	if (have && inet_ntop(fam == 6 ? AF_INET6 : AF_INET, a, s, sizeof(s)))
		rep_json_str(w, key, s);
	else
		rep_json_null(w, key);
}

/* end.stamp_tlvs (docs/output.md "STAMP TLVs"): null for kinds not sent. */
static void json_stamp(struct rep_json *w, const struct tw_report_stamp *st)
{
	const struct tw_stlv_res *x = &st->res;
	rep_json_obj_begin(w, "stamp_tlvs");
	rep_json_arr_begin(w, "sent");
	char tmp[sizeof(st->sent)];
	snprintf(tmp, sizeof(tmp), "%s", st->sent);
	for (char *p = strtok(tmp, ","); p; p = strtok(NULL, ","))
		rep_json_str(w, NULL, p);
	rep_json_arr_end(w);
	rep_json_u64(w, "dscp_sent", st->dscp);
	rep_json_u64(w, "ecn_sent", st->ecn < 0 ? 0 : (uint64_t)st->ecn);
	rep_json_u64(w, "replies", x->replies);
	rep_json_u64(w, "replies_short", x->area_short);
	rep_json_obj_begin(w, "flagged");
	rep_json_u64(w, "u", x->flag_u);
	rep_json_u64(w, "m", x->flag_m);
	rep_json_u64(w, "i", x->flag_i);
	rep_json_obj_end(w);
	if (tw_report_stamp_sent(st, "cos")) {
		rep_json_obj_begin(w, "cos");
		rep_json_u64(w, "replies", x->cos_n);
		rep_json_u64(w, "dscp_requested", x->cos_dscp1);
		if (x->cos_n) {
			rep_json_u64(w, "dscp_received", x->cos_dscp2);
			rep_json_u64(w, "ecn_received", x->cos_ecn2);
		} else {
			rep_json_null(w, "dscp_received");
			rep_json_null(w, "ecn_received");
		}
		if (x->cos_rev_known) {
			rep_json_u64(w, "reply_dscp", x->cos_rx_dscp);
			rep_json_u64(w, "reply_ecn", x->cos_rx_ecn);
		} else {
			rep_json_null(w, "reply_dscp");
			rep_json_null(w, "reply_ecn");
		}
		rep_json_u64(w, "forward_remarked", x->cos_fwd_remarked);
		rep_json_u64(w, "forward_ecn_changed", x->cos_fwd_ecn_changed);
		rep_json_u64(w, "forward_ce", x->cos_fwd_ce);
		rep_json_u64(w, "reverse_remarked", x->cos_rev_remarked);
		rep_json_u64(w, "rp", x->cos_rp);
		rep_json_obj_end(w);
	} else {
		rep_json_null(w, "cos");
	}
	if (tw_report_stamp_sent(st, "followup")) {
		int64_t n = x->fu_n ? (int64_t)x->fu_n : 1;
		rep_json_obj_begin(w, "followup");
		rep_json_u64(w, "matched", x->fu_n);
		rep_json_u64(w, "empty", x->fu_zero);
		rep_json_u64(w, "unmatched", x->fu_unmatched);
		rep_json_u64(w, "repeated", x->fu_repeated);
		if (x->fu_n) {
			rep_json_i64(w, "t3_correction_mean_ns", x->fu_corr_sum_ns / n);
			rep_json_i64(w, "t3_correction_min_ns", x->fu_corr_min_ns);
			rep_json_i64(w, "t3_correction_max_ns", x->fu_corr_max_ns);
			rep_json_i64(w, "rtt_in_packet_t3_mean_ns", x->fu_rtt_pkt_sum_ns / n);
			rep_json_i64(w, "rtt_real_t3_mean_ns", x->fu_rtt_real_sum_ns / n);
			rep_json_i64(w, "rtt_real_t3_min_ns", x->fu_rtt_real_min_ns);
			rep_json_i64(w, "rtt_real_t3_max_ns", x->fu_rtt_real_max_ns);
			rep_json_u64(w, "timestamp_mode", x->fu_mode);
		} else {
			static const char *const k[] = {
			    "t3_correction_mean_ns", "t3_correction_min_ns",
			    "t3_correction_max_ns",  "rtt_in_packet_t3_mean_ns",
			    "rtt_real_t3_mean_ns",   "rtt_real_t3_min_ns",
			    "rtt_real_t3_max_ns",    "timestamp_mode"};
			for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
				rep_json_null(w, k[i]);
		}
		rep_json_obj_end(w);
	} else {
		rep_json_null(w, "followup");
	}
	if (tw_report_stamp_sent(st, "dm")) {
		rep_json_obj_begin(w, "direct_measurement");
		rep_json_u64(w, "replies", x->dm_n);
		rep_json_u64(w, "s_txc", x->dm_last[0]);
		rep_json_u64(w, "r_rxc", x->dm_last[1]);
		rep_json_u64(w, "r_txc", x->dm_last[2]);
		rep_json_i64(w, "forward_lost", x->dm_fwd_lost);
		rep_json_i64(w, "backward_lost", x->dm_bwd_lost);
		rep_json_obj_end(w);
	} else {
		rep_json_null(w, "direct_measurement");
	}
	if (tw_report_stamp_sent(st, "location")) {
		rep_json_obj_begin(w, "location");
		rep_json_u64(w, "replies", x->loc_n);
		json_addr(w, "src", x->loc_n && x->loc_have_src, x->loc_family, x->loc_src);
		rep_json_u64(w, "src_port", x->loc_src_port);
		json_addr(w, "dst", x->loc_n && x->loc_have_dst, x->loc_family, x->loc_dst);
		rep_json_u64(w, "dst_port", x->loc_dst_port);
		rep_json_str(w, "local", st->local);
		rep_json_bool(w, "nat", x->loc_nat > 0);
		rep_json_u64(w, "nat_replies", x->loc_nat);
		rep_json_obj_end(w);
	} else {
		rep_json_null(w, "location");
	}
	if (tw_report_stamp_sent(st, "tsinfo")) {
		rep_json_obj_begin(w, "timestamp_info");
		rep_json_u64(w, "replies", x->tsi_n);
		rep_json_u64(w, "sync_in", x->tsi[0]);
		rep_json_u64(w, "method_in", x->tsi[1]);
		rep_json_u64(w, "sync_out", x->tsi[2]);
		rep_json_u64(w, "method_out", x->tsi[3]);
		rep_json_obj_end(w);
	} else {
		rep_json_null(w, "timestamp_info");
	}
	static const struct {
		const char *kind, *key, *ok, *bad;
		size_t off_ok, off_bad;
	} pairs[] = {
	    {"access", "access_report", "echoed", "changed",
	     offsetof(struct tw_stlv_res, access_echo), offsetof(struct tw_stlv_res, access_bad)},
	    {"dna", "dna", "accepted", "flagged", offsetof(struct tw_stlv_res, dna_ok),
	     offsetof(struct tw_stlv_res, dna_u)},
	    {"return-path", "return_path", "accepted", "flagged",
	     offsetof(struct tw_stlv_res, rp_ok), offsetof(struct tw_stlv_res, rp_u)},
	    {"hmac", "hmac", "verified", "failed", offsetof(struct tw_stlv_res, hmac_ok),
	     offsetof(struct tw_stlv_res, hmac_bad)},
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (!tw_report_stamp_sent(st, pairs[i].kind)) {
			rep_json_null(w, pairs[i].key);
			continue;
		}
		uint64_t a, b;
		memcpy(&a, (const char *)x + pairs[i].off_ok, sizeof(a));
		memcpy(&b, (const char *)x + pairs[i].off_bad, sizeof(b));
		rep_json_obj_begin(w, pairs[i].key);
		rep_json_u64(w, pairs[i].ok, a);
		rep_json_u64(w, pairs[i].bad, b);
		rep_json_obj_end(w);
	}
	rep_json_obj_end(w);
}

const struct rep_ops rep_json_ops = {
    .start = json_start,
    .interval = json_interval,
    .end = json_end,
};
