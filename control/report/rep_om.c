/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rep_om: OpenMetrics text exposition (OpenMetrics 1.0.0).  Family list and
 * label conventions: docs/output.md.
 *
 * Rules this file keeps: every family appears once and its samples are
 * contiguous (so families are emitted for all sessions together); counter
 * samples end in _total; histogram buckets are cumulative, ascending, end
 * with le="+Inf" equal to _count; signed distributions (one-way delay, IPDV)
 * are gaugehistograms, the only type allowed negative buckets (_gcount,
 * _gsum); label values are valid UTF-8 with \\, \" and \n escaped.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "rep_priv.h"

struct om_sess {
	const struct tw_report_label *labels;
	size_t nlabels;
	const struct tw_stats_acc *acc; /* NULL: no histograms */
	struct tw_stats_summary sum;
};

static bool name_ok(const char *s, bool metric)
{
	if (!s || !*s)
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		             (metric && c == ':');
		if (!alpha && !(p > s && c >= '0' && c <= '9'))
			return false;
	}
	return metric || strncmp(s, "__", 2) != 0;
}

static bool labels_ok(const struct tw_report_label *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!name_ok(l[i].name, false) || strcmp(l[i].name, "le") == 0)
			return false;
		for (size_t j = 0; j < i; j++)
			if (strcmp(l[i].name, l[j].name) == 0)
				return false;
	}
	return true;
}

/* Escaped text: \\ and \n always, \" in label values; invalid UTF-8 -> U+FFFD. */
static void put_escaped(FILE *f, const char *s, bool quote)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		if (*p == '\\') {
			fputs("\\\\", f);
			p++;
		} else if (*p == '\n') {
			fputs("\\n", f);
			p++;
		} else if (*p == '"' && quote) {
			fputs("\\\"", f);
			p++;
		} else {
			size_t n = tw_utf8_seq(p);
			if (n) {
				fwrite(p, 1, n, f);
				p += n;
			} else {
				fputs("\xef\xbf\xbd", f);
				p++;
			}
		}
	}
}

/* {labels..., k="v"}; labels with a NULL value are left out. */
static void put_labels(FILE *f, const struct tw_report_label *l, size_t n, const char *k,
                       const char *v)
{
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (!l[i].value)
			continue;
		fputc(any ? ',' : '{', f);
		fprintf(f, "%s=\"", l[i].name);
		put_escaped(f, l[i].value, true);
		fputc('"', f);
		any = true;
	}
	if (k) {
		fputc(any ? ',' : '{', f);
		fprintf(f, "%s=\"", k);
		put_escaped(f, v, true);
		fputc('"', f);
		any = true;
	}
	if (any)
		fputc('}', f);
}

static void family(FILE *f, const char *name, const char *type, const char *unit, const char *help)
{
	fprintf(f, "# TYPE %s %s\n", name, type);
	if (unit)
		fprintf(f, "# UNIT %s %s\n", name, unit);
	if (help) {
		fprintf(f, "# HELP %s ", name);
		put_escaped(f, help, false);
		fputc('\n', f);
	}
}

/* Exact decimal seconds of an ns value: "0.000123", "-1.5", "0". */
static void fmt_sec(char *b, size_t cap, int64_t ns)
{
	uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	int n = snprintf(b, cap, "%s%" PRIu64 ".%09" PRIu64, ns < 0 ? "-" : "", a / 1000000000u,
	                 a % 1000000000u);
	if (n <= 0 || (size_t)n >= cap)
		return;
	char *e = b + n - 1;
	while (*e == '0')
		*e-- = '\0';
	if (*e == '.')
		*e = '\0';
}

static void sample_u(FILE *f, const char *name, const char *sfx, const struct om_sess *s,
                     const char *k, const char *v, uint64_t val)
{
	fprintf(f, "%s%s", name, sfx);
	put_labels(f, s->labels, s->nlabels, k, v);
	fprintf(f, " %" PRIu64 "\n", val);
}

static void sample_s(FILE *f, const char *name, const char *sfx, const struct om_sess *s,
                     const char *k, const char *v, const char *val)
{
	fprintf(f, "%s%s", name, sfx);
	put_labels(f, s->labels, s->nlabels, k, v);
	fprintf(f, " %s\n", val);
}

/* Bucket lines of one histogram (h) or signed histogram (sh). */
static void buckets(FILE *f, const char *name, const struct om_sess *s, const struct tw_hist *h,
                    const struct tw_shist *sh)
{
	struct tw_hist_iter it = {0};
	struct tw_hist_bucket b;
	char le[40];
	while (sh ? tw_shist_next(sh, &it, &b) : tw_hist_next(h, &it, &b)) {
		fmt_sec(le, sizeof le, b.hi);
		sample_u(f, name, "_bucket", s, "le", le, b.cumulative);
	}
	sample_u(f, name, "_bucket", s, "le", "+Inf", sh ? tw_shist_count(sh) : tw_hist_count(h));
}

static void hist_family(FILE *f, const char *name, const char *help, const struct om_sess *ss,
                        size_t n, size_t off, bool is_signed)
{
	char v[40];
	family(f, name, is_signed ? "gaugehistogram" : "histogram", "seconds", help);
	for (size_t i = 0; i < n; i++) {
		const struct om_sess *s = &ss[i];
		if (!s->acc)
			continue;
		const void *p = (const char *)s->acc + off;
		if (is_signed) {
			const struct tw_shist *sh = p;
			buckets(f, name, s, NULL, sh);
			sample_u(f, name, "_gcount", s, NULL, NULL, tw_shist_count(sh));
			fmt_sec(v, sizeof v, (int64_t)(sh->pos.sum - sh->neg.sum));
			sample_s(f, name, "_gsum", s, NULL, NULL, v);
		} else {
			const struct tw_hist *h = p;
			buckets(f, name, s, h, NULL);
			sample_u(f, name, "_count", s, NULL, NULL, tw_hist_count(h));
			fmt_sec(v, sizeof v, (int64_t)h->sum);
			sample_s(f, name, "_sum", s, NULL, NULL, v);
		}
	}
}

static void ratio(char *b, size_t cap, uint32_t ppm)
{
	snprintf(b, cap, "%.6f", ppm / 1e6);
}

static enum tw_err emit_sessions(FILE *f, const struct om_sess *ss, size_t n)
{
	char v[40];
	bool hist = false;
	for (size_t i = 0; i < n; i++)
		hist |= ss[i].acc != NULL;
	if (hist) {
		hist_family(f, "twinhop_rtt_seconds", "Round-trip delay (T4-T1)-(T3-T2)", ss, n,
		            offsetof(struct tw_stats_acc, rtt), false);
		hist_family(f, "twinhop_forward_owd_seconds", "Forward one-way delay T2-T1", ss, n,
		            offsetof(struct tw_stats_acc, fwd), true);
		hist_family(f, "twinhop_backward_owd_seconds", "Backward one-way delay T4-T3", ss,
		            n, offsetof(struct tw_stats_acc, bwd), true);
		hist_family(f, "twinhop_ipdv_seconds", "IPDV of the round-trip delay (RFC 5481)",
		            ss, n, offsetof(struct tw_stats_acc, ipdv), true);
	}
#define COUNTER(nm, help, field)                                                                   \
	do {                                                                                       \
		family(f, nm, "counter", NULL, help);                                              \
		for (size_t i = 0; i < n; i++)                                                     \
			sample_u(f, nm, "_total", &ss[i], NULL, NULL, ss[i].sum.field);            \
	} while (0)
#define COUNTER_DIR(nm, help, ffield, bfield)                                                      \
	do {                                                                                       \
		family(f, nm, "counter", NULL, help);                                              \
		for (size_t i = 0; i < n; i++) {                                                   \
			sample_u(f, nm, "_total", &ss[i], "direction", "forward",                  \
			         ss[i].sum.ffield);                                                \
			sample_u(f, nm, "_total", &ss[i], "direction", "backward",                 \
			         ss[i].sum.bfield);                                                \
		}                                                                                  \
	} while (0)
	COUNTER("twinhop_packets_sent", "Test packets sent", sent);
	COUNTER("twinhop_packets_received", "Distinct test packets answered in time", received);
	COUNTER("twinhop_packets_lost", "Packets lost on the round trip (RFC 7680)", lost);
	COUNTER("twinhop_packets_late", "Replies after the loss timeout (counted lost)", late);
	COUNTER_DIR("twinhop_packets_duplicated", "Duplicate replies", dup_fwd, dup_bwd);
	COUNTER_DIR("twinhop_packets_reordered", "Reordered packets (RFC 4737)", reord_fwd,
	            reord_bwd);
	COUNTER("twinhop_unsynchronised_samples", "One-way delays from an unsynchronised clock",
	        unsync_n);
	/* RFC 7750 DSCP and ECN per direction: only when some session knows it
	 * (forward needs the mode negotiated; backward the reply's own TOS). */
	bool any_tos = false;
	for (size_t i = 0; i < n; i++)
		any_tos |= ss[i].sum.tos.fwd_n || ss[i].sum.tos.bwd_n;
	if (any_tos) {
		COUNTER_DIR("twinhop_dscp_ecn_replies",
		            "Replies whose DSCP/ECN was known (forward: the reflector's RFC 7750 "
		            "report)",
		            tos.fwd_n, tos.bwd_n);
		COUNTER_DIR("twinhop_dscp_remarked", "Replies whose DSCP differed from the one sent",
		            tos.fwd_dscp_changed, tos.bwd_dscp_changed);
		COUNTER_DIR("twinhop_ecn_ce_marked",
		            "Replies marked CE on the way (forward: sent ECT, RFC 3168)", tos.fwd_ce,
		            tos.bwd_ce);
		COUNTER("twinhop_ecn_rewritten",
		        "Forward ECN changes other than ECT to CE (e.g. ECT cleared)",
		        tos.fwd_ecn_other);
		family(f, "twinhop_dscp_received", "gauge", NULL,
		       "DSCP last received (forward: at the reflector)");
		for (size_t i = 0; i < n; i++) {
			const struct tw_stats_tos *t = &ss[i].sum.tos;
			if (t->fwd_n)
				sample_u(f, "twinhop_dscp_received", "", &ss[i], "direction",
				         "forward", t->fwd_last >> 2);
			if (t->bwd_n)
				sample_u(f, "twinhop_dscp_received", "", &ss[i], "direction",
				         "backward", t->bwd_last >> 2);
		}
		family(f, "twinhop_ecn_received", "gauge", NULL,
		       "ECN codepoint last received, 0..3 (3 = CE)");
		for (size_t i = 0; i < n; i++) {
			const struct tw_stats_tos *t = &ss[i].sum.tos;
			if (t->fwd_n)
				sample_u(f, "twinhop_ecn_received", "", &ss[i], "direction",
				         "forward", t->fwd_last & 3u);
			if (t->bwd_n)
				sample_u(f, "twinhop_ecn_received", "", &ss[i], "direction",
				         "backward", t->bwd_last & 3u);
		}
	}
#undef COUNTER
#undef COUNTER_DIR

	family(f, "twinhop_packets_lost_direction", "gauge", NULL,
	       "Round-trip loss split by direction (estimate, wire reference 7)");
	for (size_t i = 0; i < n; i++) {
		sample_u(f, "twinhop_packets_lost_direction", "", &ss[i], "direction", "forward",
		         ss[i].sum.lost_fwd);
		sample_u(f, "twinhop_packets_lost_direction", "", &ss[i], "direction", "backward",
		         ss[i].sum.lost_bwd);
	}
	family(f, "twinhop_loss_ratio", "gauge", NULL, "Round-trip lost / settled packets");
	for (size_t i = 0; i < n; i++) {
		ratio(v, sizeof v, ss[i].sum.loss_ppm);
		sample_s(f, "twinhop_loss_ratio", "", &ss[i], NULL, NULL, v);
	}
	family(f, "twinhop_reordering_ratio", "gauge", NULL, "Reordered / received packets");
	for (size_t i = 0; i < n; i++) {
		ratio(v, sizeof v, ss[i].sum.reord_fwd_ppm);
		sample_s(f, "twinhop_reordering_ratio", "", &ss[i], "direction", "forward", v);
		ratio(v, sizeof v, ss[i].sum.reord_bwd_ppm);
		sample_s(f, "twinhop_reordering_ratio", "", &ss[i], "direction", "backward", v);
	}
	family(f, "twinhop_jitter_seconds", "gauge", "seconds", "RFC 3550 interarrival jitter");
	for (size_t i = 0; i < n; i++) {
		static const char *const dir[3] = {"round_trip", "forward", "backward"};
		const int64_t val[3] = {ss[i].sum.jitter_rtt, ss[i].sum.jitter_fwd,
		                        ss[i].sum.jitter_bwd};
		for (int d = 0; d < 3; d++) {
			fmt_sec(v, sizeof v, val[d]);
			sample_s(f, "twinhop_jitter_seconds", "", &ss[i], "direction", dir[d], v);
		}
	}
	family(f, "twinhop_hops", "gauge", NULL, "Largest hop count seen (initial TTL - TTL)");
	for (size_t i = 0; i < n; i++) {
		if (ss[i].sum.hops_fwd.n)
			sample_u(f, "twinhop_hops", "", &ss[i], "direction", "forward",
			         (uint64_t)ss[i].sum.hops_fwd.max);
		if (ss[i].sum.hops_bwd.n)
			sample_u(f, "twinhop_hops", "", &ss[i], "direction", "backward",
			         (uint64_t)ss[i].sum.hops_bwd.max);
	}
	return ferror(f) ? TW_E_SYS : TW_OK;
}

enum tw_err tw_report_om_sessions(FILE *f, const struct tw_report_om_session *s, size_t n)
{
	if (!f || (n && !s))
		return TW_E_ARG;
	for (size_t i = 0; i < n; i++)
		if (!labels_ok(s[i].labels, s[i].nlabels) || (!s[i].acc && !s[i].st))
			return TW_E_ARG;
	struct om_sess *ss = calloc(n ? n : 1, sizeof *ss);
	if (!ss)
		return TW_E_SYS;
	for (size_t i = 0; i < n; i++) {
		ss[i].labels = s[i].labels;
		ss[i].nlabels = s[i].nlabels;
		ss[i].acc = s[i].acc ? s[i].acc : &s[i].st->total;
		tw_stats_summary_fill(s[i].st, ss[i].acc, &ss[i].sum);
	}
	enum tw_err e = emit_sessions(f, ss, n);
	free(ss);
	return e;
}

/* Lower-cased, [a-z0-9_] only. */
static void sanitize(char *dst, size_t cap, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < cap; i++) {
		char c = src[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '_';
		dst[i] = c;
	}
	dst[i] = '\0';
}

#define OM_NAME_MAX 200

enum tw_err tw_report_om_counters(FILE *f, const char *fam, const char *help,
                                  const char *label_name, const char *const *names,
                                  const uint64_t *values, size_t n,
                                  const struct tw_report_label *labels, size_t nlabels)
{
	size_t fl = fam ? strlen(fam) : 0;
	if (!f || !name_ok(fam, true) || fl > OM_NAME_MAX / 2 || (n && (!names || !values)) ||
	    !labels_ok(labels, nlabels) || (fl >= 6 && strcmp(fam + fl - 6, "_total") == 0))
		return TW_E_ARG;
	for (size_t i = 0; i < n; i++)
		if (!names[i] || !names[i][0])
			return TW_E_ARG;
	struct om_sess s = {.labels = labels, .nlabels = nlabels};
	if (label_name) {
		if (!name_ok(label_name, false) || strcmp(label_name, "le") == 0)
			return TW_E_ARG;
		for (size_t i = 0; i < nlabels; i++)
			if (strcmp(labels[i].name, label_name) == 0)
				return TW_E_ARG;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < i; j++)
				if (strcmp(names[i], names[j]) == 0)
					return TW_E_ARG;
		family(f, fam, "counter", NULL, help);
		for (size_t i = 0; i < n; i++)
			sample_u(f, fam, "_total", &s, label_name, names[i], values[i]);
		return ferror(f) ? TW_E_SYS : TW_OK;
	}
	char a[OM_NAME_MAX + 1], b[OM_NAME_MAX + 1];
	for (size_t i = 0; i < n; i++) {
		sanitize(a, sizeof a - fl - 1, names[i]);
		for (size_t j = 0; j < i; j++) {
			sanitize(b, sizeof b - fl - 1, names[j]);
			if (strcmp(a, b) == 0)
				return TW_E_ARG; /* two families of the same name */
		}
		size_t al = strlen(a);
		if (al >= 6 && strcmp(a + al - 6, "_total") == 0)
			return TW_E_ARG;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(a, sizeof a, "%s_", fam);
		sanitize(a + fl + 1, sizeof a - fl - 1, names[i]);
		family(f, a, "counter", NULL, help);
		sample_u(f, a, "_total", &s, NULL, NULL, values[i]);
	}
	return ferror(f) ? TW_E_SYS : TW_OK;
}

/* ---- STAMP TLVs (RFC 8972, RFC 9503): docs/output.md "STAMP TLVs" ---------------- */

enum om_stamp_m {
	OMS_REPLIES,
	OMS_FLAGGED,
	OMS_COS_REPLIES,
	OMS_COS_FWD_REMARKED,
	OMS_COS_FWD_ECN,
	OMS_COS_FWD_CE,
	OMS_COS_REV_REMARKED,
	OMS_COS_DSCP,
	OMS_COS_ECN,
	OMS_FU_MATCHED,
	OMS_FU_CORR,
	OMS_FU_RTT,
	OMS_DM_LOST,
	OMS_LOC_NAT,
	OMS_ACCESS,
	OMS_DNA,
	OMS_RP,
	OMS_HMAC,
};

static const struct {
	enum om_stamp_m m;
	const char *fam, *type, *unit, *kind, *key, *vals[4], *help;
} om_stamp_fams[] = {
    {OMS_REPLIES,
     "twinhop_stamp_tlv_replies",
     "counter",
     NULL,
     NULL,
     NULL,
     {NULL},
     "STAMP replies whose TLVs were read"},
    {OMS_FLAGGED,
     "twinhop_stamp_tlv_flagged",
     "counter",
     NULL,
     NULL,
     "flag",
     {"u", "m", "i"},
     "TLVs the reflector flagged Unrecognized, Malformed or Integrity-failed (RFC 8972 4)"},
    {OMS_COS_REPLIES,
     "twinhop_stamp_cos_replies",
     "counter",
     NULL,
     "cos",
     NULL,
     {NULL},
     "replies with a filled Class of Service TLV (RFC 8972 4.4)"},
    {OMS_COS_FWD_REMARKED,
     "twinhop_stamp_cos_forward_remarked",
     "counter",
     NULL,
     "cos",
     NULL,
     {NULL},
     "replies whose reflector received another DSCP than we sent"},
    {OMS_COS_FWD_ECN,
     "twinhop_stamp_cos_forward_ecn_changed",
     "counter",
     NULL,
     "cos",
     NULL,
     {NULL},
     "replies whose reflector received another ECN than we sent"},
    {OMS_COS_FWD_CE,
     "twinhop_stamp_cos_forward_ce",
     "counter",
     NULL,
     "cos",
     NULL,
     {NULL},
     "replies whose request arrived CE-marked"},
    {OMS_COS_REV_REMARKED,
     "twinhop_stamp_cos_reverse_remarked",
     "counter",
     NULL,
     "cos",
     NULL,
     {NULL},
     "replies that arrived with another DSCP than asked for"},
    {OMS_COS_DSCP,
     "twinhop_stamp_cos_dscp",
     "gauge",
     NULL,
     "cos",
     "which",
     {"sent", "requested", "received", "reply"},
     "DSCP we sent, asked for on the reply, the reflector received, the last reply carried"},
    {OMS_COS_ECN,
     "twinhop_stamp_cos_ecn",
     "gauge",
     NULL,
     "cos",
     "which",
     {"sent", "received", "reply"},
     "ECN we sent, the reflector received, the last reply carried"},
    {OMS_FU_MATCHED,
     "twinhop_stamp_followup_matched",
     "counter",
     NULL,
     "followup",
     NULL,
     {NULL},
     "Follow-Up Telemetry TLVs matched with an earlier reply (RFC 8972 4.7)"},
    {OMS_FU_CORR,
     "twinhop_stamp_followup_t3_correction_seconds",
     "gauge",
     "seconds",
     "followup",
     NULL,
     {NULL},
     "mean of the real T3 minus the in-packet T3"},
    {OMS_FU_RTT,
     "twinhop_stamp_followup_rtt_seconds",
     "gauge",
     "seconds",
     "followup",
     "t3",
     {"in_packet", "real"},
     "mean round-trip time of the matched replies with either T3"},
    {OMS_DM_LOST,
     "twinhop_stamp_dm_lost_packets",
     "gauge",
     "packets",
     "dm",
     "direction",
     {"forward", "backward"},
     "loss from the Direct Measurement counters (RFC 8972 4.5)"},
    {OMS_LOC_NAT,
     "twinhop_stamp_location_nat",
     "counter",
     NULL,
     "location",
     NULL,
     {NULL},
     "replies whose Location TLV shows other addresses or ports than we sent (RFC 8972 4.2)"},
    {OMS_ACCESS,
     "twinhop_stamp_access_report",
     "counter",
     NULL,
     "access",
     "result",
     {"echoed", "changed"},
     "Access Report TLVs echoed as sent or not (RFC 8972 4.6)"},
    {OMS_DNA,
     "twinhop_stamp_dna",
     "counter",
     NULL,
     "dna",
     "result",
     {"accepted", "flagged"},
     "Destination Node Address TLVs accepted or flagged U (RFC 9503 3)"},
    {OMS_RP,
     "twinhop_stamp_return_path",
     "counter",
     NULL,
     "return-path",
     "result",
     {"accepted", "flagged"},
     "Return Path TLVs accepted or flagged U (RFC 9503 4)"},
    {OMS_HMAC,
     "twinhop_stamp_hmac_tlv",
     "counter",
     NULL,
     "hmac",
     "result",
     {"verified", "failed"},
     "reply HMAC TLVs verified or failed (RFC 8972 4.8)"},
};

/* Value i of metric m for one session into b; false: no sample. */
static bool om_stamp_val(enum om_stamp_m m, unsigned i, const struct tw_report_stamp *st, char *b,
                         size_t cap)
{
	const struct tw_stlv_res *x = &st->res;
	int64_t n = x->fu_n ? (int64_t)x->fu_n : 1;
	uint64_t u;
	switch (m) {
	case OMS_REPLIES:
		u = x->replies;
		break;
	case OMS_FLAGGED:
		u = i == 0 ? x->flag_u : i == 1 ? x->flag_m : x->flag_i;
		break;
	case OMS_COS_REPLIES:
		u = x->cos_n;
		break;
	case OMS_COS_FWD_REMARKED:
		u = x->cos_fwd_remarked;
		break;
	case OMS_COS_FWD_ECN:
		u = x->cos_fwd_ecn_changed;
		break;
	case OMS_COS_FWD_CE:
		u = x->cos_fwd_ce;
		break;
	case OMS_COS_REV_REMARKED:
		u = x->cos_rev_remarked;
		break;
	case OMS_COS_DSCP:
		if ((i == 2 && !x->cos_n) || (i == 3 && !x->cos_rev_known))
			return false;
		u = i == 0   ? st->dscp
		    : i == 1 ? x->cos_dscp1
		    : i == 2 ? x->cos_dscp2
		             : x->cos_rx_dscp;
		break;
	case OMS_COS_ECN:
		if ((i == 1 && !x->cos_n) || (i == 2 && !x->cos_rev_known))
			return false;
		u = i == 0   ? (uint64_t)(st->ecn < 0 ? 0 : st->ecn)
		    : i == 1 ? x->cos_ecn2
		             : x->cos_rx_ecn;
		break;
	case OMS_FU_MATCHED:
		u = x->fu_n;
		break;
	case OMS_FU_CORR:
		if (!x->fu_n)
			return false;
		fmt_sec(b, cap, x->fu_corr_sum_ns / n);
		return true;
	case OMS_FU_RTT:
		if (!x->fu_n)
			return false;
		fmt_sec(b, cap, (i ? x->fu_rtt_real_sum_ns : x->fu_rtt_pkt_sum_ns) / n);
		return true;
	case OMS_DM_LOST:
		if (!x->dm_n)
			return false;
		snprintf(b, cap, "%" PRId64, i ? x->dm_bwd_lost : x->dm_fwd_lost);
		return true;
	case OMS_LOC_NAT:
		u = x->loc_nat;
		break;
	case OMS_ACCESS:
		u = i ? x->access_bad : x->access_echo;
		break;
	case OMS_DNA:
		u = i ? x->dna_u : x->dna_ok;
		break;
	case OMS_RP:
		u = i ? x->rp_u : x->rp_ok;
		break;
	case OMS_HMAC:
		u = i ? x->hmac_bad : x->hmac_ok;
		break;
	default:
		return false;
	}
	snprintf(b, cap, "%" PRIu64, u);
	return true;
}

enum tw_err tw_report_om_stamp(FILE *f, const struct tw_report_om_stamp *s, size_t n)
{
	if (!f || (n && !s))
		return TW_E_ARG;
	for (size_t k = 0; k < n; k++)
		if (!s[k].st || !labels_ok(s[k].labels, s[k].nlabels))
			return TW_E_ARG;
	for (size_t j = 0; j < sizeof(om_stamp_fams) / sizeof(om_stamp_fams[0]); j++) {
		const __typeof__(om_stamp_fams[0]) *fm = &om_stamp_fams[j];
		bool any = false, counter = !strcmp(fm->type, "counter");
		for (size_t k = 0; k < n; k++)
			any |= !fm->kind || tw_report_stamp_sent(s[k].st, fm->kind);
		if (!any)
			continue;
		family(f, fm->fam, fm->type, fm->unit, fm->help);
		for (size_t k = 0; k < n; k++) {
			if (fm->kind && !tw_report_stamp_sent(s[k].st, fm->kind))
				continue;
			struct om_sess os = {.labels = s[k].labels, .nlabels = s[k].nlabels};
			for (unsigned i = 0; i < 4 && (i == 0 || fm->vals[i]); i++) {
				char v[64];
				if (!om_stamp_val(fm->m, i, s[k].st, v, sizeof(v)))
					continue;
				sample_s(f, fm->fam, counter ? "_total" : "", &os, fm->key,
				         fm->key ? fm->vals[i] : NULL, v);
			}
		}
	}
	return ferror(f) ? TW_E_SYS : TW_OK;
}

enum tw_err tw_report_om_eof(FILE *f)
{
	if (!f)
		return TW_E_ARG;
	fputs("# EOF\n", f);
	return fflush(f) != 0 || ferror(f) ? TW_E_SYS : TW_OK;
}

/* The report driver: the end summary of one session, then # EOF. */
static enum tw_err om_end(struct tw_report *r, int64_t t_end, const struct tw_stats_summary *sum,
                          const struct tw_stats_acc *acc)
{
	const struct tw_report_params *p = &r->par.p;
	(void)t_end;
	const struct tw_report_label labels[] = {
	    {"session", p->session}, {"peer", p->peer}, {"mode", p->mode}};
	struct om_sess s = {.labels = labels, .nlabels = 3, .acc = acc, .sum = *sum};
	enum tw_err e = emit_sessions(r->out, &s, 1);
	if (e == TW_OK)
		e = tw_report_om_eof(r->out);
	return e;
}

const struct rep_ops rep_om_ops = {
    .end = om_end,
};
