/* SPDX-License-Identifier: BSD-3-Clause */
/* tw_stlv: the Session-Sender side of STAMP TLVs (see tw_stlv.h). */
#include "tw_stlv.h"

#include <arpa/inet.h> /* inet_pton: parsing dna=ADDR, no socket */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h> /* AF_INET, AF_INET6 */

#include "tw_cursor.h"
#include "tw_time.h"

static const char *const kind_names[] = {
    [TW_STLV_PAD] = "pad",
    [TW_STLV_LOCATION] = "location",
    [TW_STLV_TSINFO] = "tsinfo",
    [TW_STLV_COS] = "cos",
    [TW_STLV_DM] = "dm",
    [TW_STLV_ACCESS] = "access",
    [TW_STLV_FOLLOWUP] = "followup",
    [TW_STLV_HMAC] = "hmac",
    [TW_STLV_DNA] = "dna",
    [TW_STLV_RETURN_PATH] = "return-path",
    [TW_STLV_RAW] = "type",
};

const char *tw_stlv_kind_name(unsigned kind)
{
	return kind < sizeof(kind_names) / sizeof(kind_names[0]) && kind_names[kind]
	           ? kind_names[kind]
	           : "?";
}

/* IANA "STAMP Synchronization Source" (RFC 8972 §5; the code points
 * app/fp_reflector.c writes, docs/fastpath.md). */
const char *tw_stlv_sync_name(uint8_t v)
{
	static const char *const n[] = {"reserved", "NTP",  "PTP",
	                                "SSU/BITS", "GNSS", "local free-running"};
	return v < sizeof(n) / sizeof(n[0]) ? n[v] : "unassigned";
}

/* IANA "STAMP Timestamping Method" (RFC 8972 §5.3). */
const char *tw_stlv_tsmethod_name(uint8_t v)
{
	static const char *const n[] = {"reserved", "HW assist", "SW local", "control plane"};
	return v < sizeof(n) / sizeof(n[0]) ? n[v] : "unassigned";
}

/* A decimal in [lo, hi], the whole of s..end (or up to a ','). */
static bool num(const char *s, const char **rest, unsigned long lo, unsigned long hi,
                unsigned long *v)
{
	char *end;
	if (*s < '0' || *s > '9')
		return false;
	unsigned long x = strtoul(s, &end, 0);
	if (x < lo || x > hi || (*end && *end != ','))
		return false;
	*v = x;
	if (rest)
		*rest = end;
	return true;
}

static enum tw_err bad(char *err, size_t errlen, const char *word, const char *want)
{
	snprintf(err, errlen, "--tlv %s: %s", word, want);
	return TW_E_FIELD;
}

enum tw_err tw_stlv_parse(const char *w, struct tw_stlv_spec *o, char *err, size_t errlen)
{
	unsigned long v, v2;
	const char *r;
	memset(o, 0, sizeof(*o));
	o->ecn = -1;
	if (!strncmp(w, "pad=", 4)) {
		if (!num(w + 4, &r, 0, TW_STLV_MAX - TW_PKT_TLV_HDR_LEN, &v) || *r)
			return bad(err, errlen, w, "need pad=N (value octets)");
		o->kind = TW_STLV_PAD;
		o->len = (uint16_t)v;
	} else if (!strcmp(w, "location")) {
		o->kind = TW_STLV_LOCATION;
	} else if (!strcmp(w, "tsinfo")) {
		o->kind = TW_STLV_TSINFO;
	} else if (!strncmp(w, "cos=", 4)) {
		if (!num(w + 4, &r, 0, 63, &v))
			return bad(err, errlen, w, "need cos=DSCP[,ecn=E] (DSCP 0..63, E 0..3)");
		o->kind = TW_STLV_COS;
		o->dscp1 = (uint8_t)v;
		if (*r) {
			if (strncmp(r, ",ecn=", 5) || !num(r + 5, &r, 0, 3, &v2) || *r)
				return bad(err, errlen, w,
				           "need cos=DSCP[,ecn=E] (DSCP 0..63, E 0..3)");
			o->ecn = (int8_t)v2;
		}
	} else if (!strcmp(w, "dm")) {
		o->kind = TW_STLV_DM;
	} else if (!strncmp(w, "access=", 7)) {
		/* §4.6: Access ID 1 (3GPP) or 2 (non-3GPP), Return Code 1
		 * (available) or 2 (unavailable); anything else the reflector
		 * must discard, so a test of that uses type=6. */
		if (!num(w + 7, &r, 1, 2, &v) || *r != ',' || !num(r + 1, &r, 1, 2, &v2) || *r)
			return bad(
			    err, errlen, w,
			    "need access=ID,CODE (ID 1 3GPP / 2 non-3GPP, CODE 1 available / "
			    "2 unavailable)");
		o->kind = TW_STLV_ACCESS;
		o->access_id = (uint8_t)v;
		o->access_rc = (uint8_t)v2;
	} else if (!strcmp(w, "followup")) {
		o->kind = TW_STLV_FOLLOWUP;
	} else if (!strcmp(w, "hmac")) {
		o->kind = TW_STLV_HMAC;
	} else if (!strncmp(w, "dna=", 4)) {
		o->kind = TW_STLV_DNA;
		if (inet_pton(AF_INET, w + 4, o->addr) == 1)
			o->family = 4;
		else if (inet_pton(AF_INET6, w + 4, o->addr) == 1)
			o->family = 6;
		else
			return bad(err, errlen, w,
			           "need dna=ADDR (a numeric IPv4 or IPv6 address)");
	} else if (!strncmp(w, "return-path=", 12)) {
		if (!num(w + 12, &r, 0, UINT32_MAX, &v) || *r)
			return bad(err, errlen, w,
			           "need return-path=CODE (Control Code flags: 0 no reply, 1 reply "
			           "on the same link)");
		o->kind = TW_STLV_RETURN_PATH;
		o->rp_code = (uint32_t)v;
	} else if (!strncmp(w, "type=", 5)) {
		if (!num(w + 5, &r, 0, 255, &v))
			return bad(err, errlen, w, "need type=N[,len=L] (N 0..255)");
		o->kind = TW_STLV_RAW;
		o->type = (uint8_t)v;
		if (*r) {
			if (strncmp(r, ",len=", 5) ||
			    !num(r + 5, &r, 0, TW_STLV_MAX - TW_PKT_TLV_HDR_LEN, &v2) || *r)
				return bad(err, errlen, w, "need type=N[,len=L]");
			o->len = (uint16_t)v2;
		}
	} else {
		return bad(err, errlen, w,
		           "unknown; one of pad=N, location, tsinfo, cos=DSCP[,ecn=E], dm, "
		           "access=ID,CODE, followup, hmac, dna=ADDR, return-path=CODE, "
		           "type=N[,len=L]");
	}
	return TW_OK;
}

/* Header with U set: RFC 8972 §4, the Session-Sender sets U, clears M, I. */
static uint8_t *put_hdr(struct tw_wr *w, uint8_t type, size_t len)
{
	if (len > UINT16_MAX || tw_wr_off(w) + TW_PKT_TLV_HDR_LEN + len > w->cap) {
		w->err = true;
		return NULL;
	}
	tw_wr_u8(w, TW_PKT_TLV_F_U);
	tw_wr_u8(w, type);
	tw_wr_u16(w, (uint16_t)len);
	uint8_t *v = tw_wr_take(w, len);
	if (v)
		memset(v, 0, len);
	return v;
}

static void put_one(struct tw_wr *w, const struct tw_stlv_spec *s, unsigned family, bool random_pad,
                    struct tw_stlv_tmpl *t)
{
	uint8_t *v;
	size_t a = family == 6 ? 16 : 4;
	switch (s->kind) {
	case TW_STLV_PAD:
		/* §4.1: the Extra Padding SHOULD be pseudo-random. */
		v = put_hdr(w, TW_PKT_TLV_EXTRA_PADDING, s->len);
		if (v && random_pad && s->len)
			(void)tw_crypto_random(v, s->len);
		break;
	case TW_STLV_LOCATION:
		/* §4.2: ports zero, then one address sub-TLV per direction in
		 * the session's family (flags U like any TLV, value zero): the
		 * reflector fills in what it saw. */
		v = put_hdr(w, TW_PKT_TLV_LOCATION, 4 + 2 * (TW_PKT_TLV_HDR_LEN + a));
		if (v) {
			v[4] = TW_PKT_TLV_F_U;
			v[5] = family == 6 ? TW_STLV_LOC_DST_IP6 : TW_STLV_LOC_DST_IP4;
			tw_put_be16(v + 6, (uint16_t)a);
			uint8_t *s2 = v + 8 + a;
			s2[0] = TW_PKT_TLV_F_U;
			s2[1] = family == 6 ? TW_STLV_LOC_SRC_IP6 : TW_STLV_LOC_SRC_IP4;
			tw_put_be16(s2 + 2, (uint16_t)a);
		}
		break;
	case TW_STLV_TSINFO:
		(void)put_hdr(w, TW_PKT_TLV_TIMESTAMP_INFO, TW_STLV_TSINFO_LEN);
		break;
	case TW_STLV_COS:
		v = put_hdr(w, TW_PKT_TLV_COS, TW_PKT_TLV_COS_LEN);
		if (v) {
			struct tw_pkt_cos c = {.dscp1 = s->dscp1};
			tw_pkt_cos_put(v, &c);
		}
		break;
	case TW_STLV_DM:
		t->dm_off = (uint16_t)tw_wr_off(w);
		(void)put_hdr(w, TW_PKT_TLV_DIRECT_MEASUREMENT, TW_STLV_DM_LEN);
		break;
	case TW_STLV_ACCESS:
		/* §4.6: ID(4 bits) Resv(4) Return Code(8) Reserved(16). */
		v = put_hdr(w, TW_PKT_TLV_ACCESS_REPORT, TW_STLV_ACCESS_LEN);
		if (v) {
			v[0] = (uint8_t)(s->access_id << 4);
			v[1] = s->access_rc;
		}
		break;
	case TW_STLV_FOLLOWUP:
		(void)put_hdr(w, TW_PKT_TLV_FOLLOWUP_TELEMETRY, TW_STLV_FOLLOWUP_LEN);
		break;
	case TW_STLV_DNA:
		v = put_hdr(w, TW_PKT_TLV_DEST_NODE_ADDR, s->family == 6 ? 16 : 4);
		if (v)
			memcpy(v, s->addr, s->family == 6 ? 16 : 4);
		break;
	case TW_STLV_RETURN_PATH:
		/* RFC 9503 §4: one Control Code sub-TLV (STAMP TLV header,
		 * Type 1, Length 4, the flags). */
		v = put_hdr(w, TW_PKT_TLV_RETURN_PATH, TW_STLV_RP_LEN);
		if (v) {
			v[0] = TW_PKT_TLV_F_U;
			v[1] = TW_STLV_RP_CONTROL_CODE;
			tw_put_be16(v + 2, 4);
			tw_put_be32(v + 4, s->rp_code);
		}
		break;
	case TW_STLV_RAW:
		(void)put_hdr(w, s->type, s->len);
		break;
	default:
		w->err = true;
		return;
	}
	t->ntlv++;
}

enum tw_err tw_stlv_build(const struct tw_stlv_spec *sp, unsigned n, unsigned family, bool auth,
                          bool random_pad, struct tw_stlv_tmpl *t, char *err, size_t errlen)
{
	struct tw_wr w;
	unsigned nhmac = 0, ndm = 0;
	memset(t, 0, sizeof(*t));
	t->dm_off = t->hmac_off = TW_STLV_NONE;
	if (family != 4 && family != 6)
		return TW_E_ARG;
	for (unsigned i = 0; i < n; i++) {
		nhmac += sp[i].kind == TW_STLV_HMAC;
		ndm += sp[i].kind == TW_STLV_DM;
		if (sp[i].kind == TW_STLV_DNA && sp[i].family != family) {
			snprintf(err, errlen,
			         "--tlv dna: the address is not of the session's family");
			return TW_E_FIELD;
		}
	}
	if (nhmac && !auth) {
		snprintf(err, errlen, "--tlv hmac needs the authenticated mode (--stamp-key)");
		return TW_E_MODE;
	}
	if (nhmac > 1 || ndm > 1) {
		snprintf(err, errlen, "--tlv: hmac and dm may each be given once");
		return TW_E_FIELD;
	}
	tw_wr_init(&w, t->b, sizeof(t->b));
	for (unsigned i = 0; i < n && !w.err; i++)
		if (sp[i].kind != TW_STLV_HMAC)
			put_one(&w, &sp[i], family, random_pad, t);
	if (nhmac && !w.err) {
		/* §4.8: the HMAC TLV MUST be the last one. */
		t->hmac_off = (uint16_t)tw_wr_off(&w);
		(void)put_hdr(&w, TW_PKT_TLV_HMAC, TW_STLV_HMAC_LEN);
		t->ntlv++;
	}
	if (w.err) {
		snprintf(err, errlen, "--tlv: more than %u octets of TLVs", TW_STLV_MAX);
		return TW_E_NOSPACE;
	}
	t->len = (uint16_t)tw_wr_off(&w);
	return TW_OK;
}

enum tw_err tw_stlv_scan(struct tw_stlv_tmpl *t, bool auth)
{
	struct tw_pkt_tlv_iter it;
	struct tw_pkt_tlv x;
	enum tw_err e;
	t->dm_off = t->hmac_off = TW_STLV_NONE;
	t->ntlv = 0;
	if (t->len > TW_STLV_MAX)
		return TW_E_LENGTH;
	tw_pkt_tlv_iter_init(&it, t->b, t->len);
	while ((e = tw_pkt_tlv_next(&it, &x)) == TW_OK) {
		if (t->hmac_off != TW_STLV_NONE)
			return TW_E_FIELD; /* a TLV after the HMAC TLV (§4.8) */
		if (x.type == TW_PKT_TLV_DIRECT_MEASUREMENT) {
			if (x.len != TW_STLV_DM_LEN || t->dm_off != TW_STLV_NONE)
				return TW_E_FIELD;
			t->dm_off = (uint16_t)x.off;
		} else if (x.type == TW_PKT_TLV_HMAC) {
			if (x.len != TW_STLV_HMAC_LEN || !auth)
				return TW_E_FIELD;
			t->hmac_off = (uint16_t)x.off;
		}
		t->ntlv++;
	}
	return e == TW_E_TLV_END ? TW_OK : TW_E_TLV_LENGTH;
}

enum tw_err tw_stlv_fill(const struct tw_stlv_tmpl *t, uint8_t *pkt, size_t base, uint32_t s_txc,
                         struct tw_stamp_auth *sa)
{
	if (t->dm_off != TW_STLV_NONE)
		tw_put_be32(pkt + base + t->dm_off + TW_PKT_TLV_HDR_LEN, s_txc);
	if (t->hmac_off == TW_STLV_NONE)
		return TW_OK;
	if (!sa)
		return TW_E_ARG;
	size_t h = base + t->hmac_off;
	return tw_stamp_tlv_hmac(sa, pkt, base, h, pkt + h + TW_PKT_TLV_HDR_LEN);
}

/* ---- replies ----------------------------------------------------------------- */

void tw_stlv_rx_init(struct tw_stlv_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

/* Wire timestamp (NTP, or PTP when ptp) to a 64-bit ns count; only
 * differences of two of these are used, so the era does not matter. */
static int64_t ts_ns(uint64_t ts, bool ptp)
{
	if (ptp)
		ts = tw_time_ptp_to_ntp(ts);
	return (int64_t)((ts >> 32) * 1000000000ull +
	                 (((ts & 0xffffffffull) * 1000000000ull) >> 32));
}

static void on_cos(struct tw_stlv_res *r, const struct tw_stlv_ctx *c, const uint8_t *v, int tos)
{
	struct tw_pkt_cos cos = tw_pkt_cos_get(v);
	uint8_t ecn = c->ecn < 0 ? 0 : (uint8_t)c->ecn;
	r->cos_n++;
	r->cos_dscp1 = cos.dscp1;
	r->cos_dscp2 = cos.dscp2;
	r->cos_ecn2 = cos.ecn;
	r->cos_rp_last = cos.rp;
	r->cos_fwd_remarked += cos.dscp2 != c->dscp;
	r->cos_fwd_ecn_changed += cos.ecn != ecn;
	r->cos_fwd_ce += cos.ecn == 3;
	r->cos_rp += cos.rp != 0;
	if (tos >= 0) {
		r->cos_rev_known++;
		r->cos_rx_dscp = (uint8_t)(tos >> 2);
		r->cos_rx_ecn = (uint8_t)(tos & 3);
		r->cos_rev_remarked += (uint8_t)(tos >> 2) != cos.dscp1;
	}
}

static void on_followup(struct tw_stlv_rx *rx, const uint8_t *v)
{
	struct tw_stlv_res *r = &rx->res;
	uint32_t seq = tw_be32(v);
	uint64_t t3r = tw_be64(v + 4);
	r->fu_mode = v[12];
	/* §4.7: zeros when the reflector has sent nothing before in this
	 * session (or keeps no state). */
	if (!t3r) {
		r->fu_zero++;
		return;
	}
	struct tw_stlv_fu *e = &rx->ring[seq % TW_STLV_FU_RING];
	if (!e->valid || e->refl_seq != seq) {
		r->fu_unmatched++;
		return;
	}
	if (e->used) {
		r->fu_repeated++;
		return;
	}
	int64_t corr = ts_ns(t3r, e->ptp) - ts_ns(e->t3, e->ptp);
	/* The real T3 follows the in-packet one by the reflector's own
	 * transmit latency (microseconds).  One that is a second or more
	 * away is not that reply's T3 (a buggy or hostile reflector): it is
	 * counted as unmatched, and the sums below stay far from overflow. */
	if (corr <= -TW_STLV_FU_MAX_CORR_NS || corr >= TW_STLV_FU_MAX_CORR_NS) {
		r->fu_unmatched++;
		return;
	}
	int64_t real = e->rtt_ns - corr;
	if (!r->fu_n || corr < r->fu_corr_min_ns)
		r->fu_corr_min_ns = corr;
	if (!r->fu_n || corr > r->fu_corr_max_ns)
		r->fu_corr_max_ns = corr;
	if (!r->fu_n || real < r->fu_rtt_real_min_ns)
		r->fu_rtt_real_min_ns = real;
	if (!r->fu_n || real > r->fu_rtt_real_max_ns)
		r->fu_rtt_real_max_ns = real;
	r->fu_n++;
	r->fu_corr_sum_ns += corr;
	r->fu_rtt_pkt_sum_ns += e->rtt_ns;
	r->fu_rtt_real_sum_ns += real;
	e->used = 1; /* one follow-up per reply */
}

static void on_dm(struct tw_stlv_res *r, const uint8_t *v)
{
	uint32_t c[3] = {tw_be32(v), tw_be32(v + 4), tw_be32(v + 8)};
	r->dm_n++;
	if (r->dm_n == 1) {
		memcpy(r->dm_first, c, sizeof(c));
		r->dm_rx_at_first = 1;
	}
	/* The latest counters are those of the highest S_TxC (replies may
	 * come back out of order); wrap-around is modular. */
	if (r->dm_n == 1 || (int32_t)(c[0] - r->dm_last[0]) > 0)
		memcpy(r->dm_last, c, sizeof(c));
	/* §4.5: forward loss = packets sent minus packets the reflector
	 * received, backward = replies it sent minus replies that arrived,
	 * both between the first and the latest counters seen. */
	uint32_t sent = r->dm_last[0] - r->dm_first[0];
	uint32_t rrx = r->dm_last[1] - r->dm_first[1];
	uint32_t rtx = r->dm_last[2] - r->dm_first[2];
	r->dm_fwd_lost = (int64_t)sent - (int64_t)rrx;
	r->dm_bwd_lost = (int64_t)rtx - (int64_t)(r->dm_n - r->dm_rx_at_first);
}

/* Location sub-TLVs (§4.2): the addresses the reflector filled in. */
static void on_location(struct tw_stlv_res *r, const struct tw_stlv_ctx *c, const uint8_t *v,
                        uint16_t len)
{
	struct tw_pkt_tlv_iter it;
	struct tw_pkt_tlv s;
	bool nat = false;
	r->loc_n++;
	r->loc_dst_port = tw_be16(v);
	r->loc_src_port = tw_be16(v + 2);
	r->loc_have_src = r->loc_have_dst = 0;
	r->loc_family = c->family;
	tw_pkt_tlv_iter_init(&it, v + 4, len - 4u);
	while (tw_pkt_tlv_next(&it, &s) == TW_OK) {
		if (s.flags & (TW_PKT_TLV_F_U | TW_PKT_TLV_F_M))
			continue;
		bool dst = s.type == TW_STLV_LOC_DST_IP4 || s.type == TW_STLV_LOC_DST_IP6;
		bool src = s.type == TW_STLV_LOC_SRC_IP4 || s.type == TW_STLV_LOC_SRC_IP6;
		bool v6 = s.type == TW_STLV_LOC_DST_IP6 || s.type == TW_STLV_LOC_SRC_IP6;
		/* The family is the type's; an IPv4 address may come in a
		 * 16-octet value (the generic request's room, zero-filled). */
		size_t a = v6 ? 16 : 4;
		if ((!dst && !src) || s.len < a)
			continue;
		uint8_t *to = dst ? r->loc_dst : r->loc_src;
		memset(to, 0, 16);
		memcpy(to, s.value, a);
		r->loc_family = v6 ? 6 : 4;
		if (dst)
			r->loc_have_dst = 1;
		else
			r->loc_have_src = 1;
		nat |= memcmp(to, dst ? c->peer : c->local, a) != 0;
	}
	/* What the reflector saw is not what we sent: a NAT (or a proxy) on
	 * the way.  Ports first: they change with every NAPT. */
	nat |= r->loc_src_port != c->local_port || r->loc_dst_port != c->peer_port;
	r->loc_nat += nat;
}

void tw_stlv_reply(struct tw_stlv_rx *rx, const struct tw_stlv_ctx *c,
                   const struct tw_stlv_reply_in *in)
{
	struct tw_stlv_res *r = &rx->res;
	struct tw_pkt_tlv_iter it;
	struct tw_pkt_tlv t;
	enum tw_err e;
	const struct tw_stlv_tmpl *sent = c->sent;
	if (in->len < in->base)
		return;
	size_t area = in->len - in->base;
	r->replies++;
	if (sent && area < sent->len)
		r->area_short++;
	tw_pkt_tlv_iter_init(&it, in->pkt + in->base, area);
	while ((e = tw_pkt_tlv_next(&it, &t)) == TW_OK) {
		r->flag_u += !!(t.flags & TW_PKT_TLV_F_U);
		r->flag_m += !!(t.flags & TW_PKT_TLV_F_M);
		r->flag_i += !!(t.flags & TW_PKT_TLV_F_I);
		bool clean = !(t.flags & (TW_PKT_TLV_F_U | TW_PKT_TLV_F_M | TW_PKT_TLV_F_I));
		switch (t.type) {
		case TW_PKT_TLV_COS:
			if (clean && t.len == TW_PKT_TLV_COS_LEN)
				on_cos(r, c, t.value, in->tos);
			break;
		case TW_PKT_TLV_FOLLOWUP_TELEMETRY:
			if (clean && t.len == TW_STLV_FOLLOWUP_LEN)
				on_followup(rx, t.value);
			break;
		case TW_PKT_TLV_DIRECT_MEASUREMENT:
			if (clean && t.len == TW_STLV_DM_LEN)
				on_dm(r, t.value);
			break;
		case TW_PKT_TLV_LOCATION:
			if (clean && t.len >= 4)
				on_location(r, c, t.value, t.len);
			break;
		case TW_PKT_TLV_TIMESTAMP_INFO:
			if (clean && t.len >= TW_STLV_TSINFO_LEN) {
				r->tsi_n++;
				memcpy(r->tsi, t.value, 4);
			}
			break;
		case TW_PKT_TLV_ACCESS_REPORT: {
			/* §4.6: echoed as sent (the sender's retransmission
			 * timer stops on it). */
			bool same = false;
			if (sent) {
				struct tw_pkt_tlv_iter i2;
				struct tw_pkt_tlv s;
				tw_pkt_tlv_iter_init(&i2, sent->b, sent->len);
				while (tw_pkt_tlv_next(&i2, &s) == TW_OK)
					if (s.type == TW_PKT_TLV_ACCESS_REPORT && s.len == t.len &&
					    !memcmp(s.value, t.value, t.len))
						same = true;
			}
			if (clean && same)
				r->access_echo++;
			else
				r->access_bad++;
			break;
		}
		case TW_PKT_TLV_DEST_NODE_ADDR:
			if (clean)
				r->dna_ok++;
			else
				r->dna_u++;
			break;
		case TW_PKT_TLV_RETURN_PATH:
			if (clean)
				r->rp_ok++;
			else
				r->rp_u++;
			break;
		case TW_PKT_TLV_HMAC:
			if (c->sa && t.len == TW_STLV_HMAC_LEN &&
			    tw_stamp_tlv_hmac_verify(c->sa, in->pkt, in->base, in->base + t.off,
			                             t.value) == TW_OK)
				r->hmac_ok++;
			else
				r->hmac_bad++;
			break;
		default:
			break;
		}
	}
	if (e == TW_E_TLV_LENGTH)
		r->flag_m++; /* the area itself is cut short */
	/* Remember this reply for the Follow-Up Telemetry of a later one. */
	struct tw_stlv_fu *s = &rx->ring[in->refl_seq % TW_STLV_FU_RING];
	s->refl_seq = in->refl_seq;
	s->valid = 1;
	s->used = 0;
	s->ptp = in->t3_ptp;
	s->t3 = in->t3;
	s->rtt_ns = in->rtt_ns;
}
