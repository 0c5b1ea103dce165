/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_stamp_tlv: the STAMP Session-Reflector's TLV processing (RFC 8972 §4,
 * RFC 9503 §3-§4) and the HMAC TLV (RFC 8972 §4.8).  See tw_stamp_tlv.h
 * for the behaviour, type by type.
 *
 * Every read goes through the tw_pkt TLV iterator (a tw_rd bounded by the
 * area or by the enclosing value), so nothing past pkt+len is touched;
 * writes go only to octets the iterator has just handed out.
 */
#include "tw_stamp_tlv.h"

#include <string.h>

enum verdict { V_KNOWN, V_UNKNOWN, V_MALFORMED };

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

/* Where the HMAC TLV is, and whether its placement lets it be checked:
 * RFC 8972 §4.8 wants it after every TLV but Extra Padding, once. */
struct hmac_pos {
	bool found;   /* a TLV of type HMAC */
	bool usable;  /* ... the first one has Length 16 */
	bool bad;     /* second HMAC TLV, non-padding TLV after it, bad Length */
	size_t off;   /* offset of the first one in the area */
};

static void hmac_find(const uint8_t *area, size_t alen, struct hmac_pos *h)
{
	struct tw_pkt_tlv_iter it;
	struct tw_pkt_tlv t;
	enum tw_err e;

	memset(h, 0, sizeof(*h));
	tw_pkt_tlv_iter_init(&it, area, alen);
	while ((e = tw_pkt_tlv_next(&it, &t)) == TW_OK) {
		if (t.type == TW_PKT_TLV_HMAC) {
			if (h->found) {
				h->bad = true;
				continue;
			}
			h->found = true;
			h->off = t.off;
			h->usable = t.len == TW_STAMP_HMAC_TLV_LEN;
			if (!h->usable)
				h->bad = true;
		} else if (h->found && t.type != TW_PKT_TLV_EXTRA_PADDING) {
			h->bad = true;
		}
	}
	/* a malformed tail after the HMAC TLV is not covered either */
	if (e == TW_E_TLV_LENGTH && h->found)
		h->bad = true;
}

static enum tw_err area_of(const uint8_t *pkt, size_t len, enum tw_pkt_layout l, size_t *base)
{
	if (!pkt || !tw_pkt_is_stamp(l))
		return TW_E_ARG;
	*base = tw_pkt_reflector_base(l);
	return len < *base ? TW_E_TRUNCATED : TW_OK;
}

enum tw_err tw_stamp_tlv_sign(struct tw_stamp_auth *sa, uint8_t *pkt, size_t len,
			      enum tw_pkt_layout l)
{
	size_t base;
	struct hmac_pos h;
	enum tw_err e = area_of(pkt, len, l, &base);

	if (e != TW_OK)
		return e;
	hmac_find(pkt + base, len - base, &h);
	if (!h.usable)
		return TW_E_TLV_END;
	return tw_stamp_tlv_hmac(sa, pkt, base, base + h.off,
				 pkt + base + h.off + TW_PKT_TLV_HDR_LEN);
}

/* The sender's HMAC TLV of a packet already turned into our reply: its
 * Sequence Number is echoed at sseq, octets 0..3 hold ours.  The HMAC
 * covers octets 0..3, so the sender's number goes back there for the
 * check (tw_crypto's constant-time compare) and ours is restored. */
static enum tw_err sender_check(struct tw_stamp_auth *sa, uint8_t *pkt, size_t base, size_t hoff,
				const uint8_t *sseq)
{
	uint8_t ours[4];
	memcpy(ours, pkt, 4);
	memcpy(pkt, sseq, 4);
	enum tw_err e = tw_stamp_tlv_hmac_verify(sa, pkt, base, base + hoff,
						 pkt + base + hoff + TW_PKT_TLV_HDR_LEN);
	memcpy(pkt, ours, 4);
	return e;
}

/* RFC 8972 §4.2: answer the sender's Location sub-TLVs in place.  The
 * sub-TLVs have the 4-octet STAMP TLV header; the answer keeps each Length,
 * so the TLV and the packet keep theirs. */
static void location_subs(uint8_t *sub, size_t slen, const struct tw_stamp_tlv_in *in,
			  uint32_t *ev)
{
	struct tw_pkt_tlv_iter it;
	struct tw_pkt_tlv s;
	enum tw_err e;
	size_t alen = in->family == 4 ? 4 : 16;

	tw_pkt_tlv_iter_init(&it, sub, slen);
	while ((e = tw_pkt_tlv_next(&it, &s)) == TW_OK) {
		uint8_t *h = sub + s.off, *v = h + TW_PKT_TLV_HDR_LEN;
		uint8_t f = (uint8_t)(s.flags & ~TW_PKT_TLV_F_U);
		const uint8_t *addr = NULL;
		uint8_t t4 = 0, t6 = 0;
		switch (s.type) {
		case TW_STAMP_LOC_SRC_MAC:
		case TW_STAMP_LOC_SRC_EUI48:
		case TW_STAMP_LOC_SRC_EUI64:
			if (s.len != TW_STAMP_LOC_MAC_LEN)
				goto malformed;
			memset(v, 0, TW_STAMP_LOC_MAC_LEN);
			if (in->src_mac) {
				/* §4.2: the frame's source MAC as EUI-48 */
				h[1] = TW_STAMP_LOC_SRC_EUI48;
				memcpy(v, in->src_mac, 6);
			} else {
				/* not known: EUI-64 all zero, "not reported" */
				h[1] = TW_STAMP_LOC_SRC_EUI64;
			}
			break;
		case TW_STAMP_LOC_DST_IP:
		case TW_STAMP_LOC_DST_IPV4:
		case TW_STAMP_LOC_DST_IPV6:
			addr = in->dst_addr;
			t4 = TW_STAMP_LOC_DST_IPV4;
			t6 = TW_STAMP_LOC_DST_IPV6;
			goto ip;
		case TW_STAMP_LOC_SRC_IP:
		case TW_STAMP_LOC_SRC_IPV4:
		case TW_STAMP_LOC_SRC_IPV6:
			addr = in->src_addr;
			t4 = TW_STAMP_LOC_SRC_IPV4;
			t6 = TW_STAMP_LOC_SRC_IPV6;
		ip:
			if (s.len != TW_STAMP_LOC_IP_LEN && s.len != 4)
				goto malformed;
			if (!addr || (in->family != 4 && in->family != 6) ||
			    s.len < alen) {
				/* nothing to answer with, or no room for it */
				f |= TW_PKT_TLV_F_U;
				*ev |= TW_STAMP_TLV_EV_UNKNOWN;
				break;
			}
			/* answered by the family seen; an IPv4 address fills
			 * the first 4 octets, the rest are zero (the Length
			 * is the sender's) */
			h[1] = in->family == 4 ? t4 : t6;
			memset(v, 0, s.len);
			memcpy(v, addr, alen);
			break;
		default:
			/* a sub-TLV type we do not know: §4, U */
			f |= TW_PKT_TLV_F_U;
			*ev |= TW_STAMP_TLV_EV_UNKNOWN;
			break;
		}
		h[0] = f;
		continue;
	malformed:
		/* §4: a known type with a Length not valid for it: M (U
		 * clear: the type is known), the rest echoed as received */
		h[0] = (uint8_t)((s.flags & ~TW_PKT_TLV_F_U) | TW_PKT_TLV_F_M);
		*ev |= TW_STAMP_TLV_EV_MALFORMED;
		return;
	}
	if (e == TW_E_TLV_LENGTH) {
		sub[s.off] |= TW_PKT_TLV_F_M;
		*ev |= TW_STAMP_TLV_EV_MALFORMED;
	}
}

/* RFC 9503 §4: what an IP reflector on one port does with a Return Path. */
static enum verdict return_path(uint8_t *sub, size_t slen, struct tw_stamp_tlv_out *out)
{
	struct tw_pkt_tlv_iter it;
	struct tw_pkt_tlv s;
	enum tw_err e;
	bool any = false, unsup = false;

	tw_pkt_tlv_iter_init(&it, sub, slen);
	while ((e = tw_pkt_tlv_next(&it, &s)) == TW_OK) {
		uint8_t *h = sub + s.off, *v = h + TW_PKT_TLV_HDR_LEN;
		uint8_t f = (uint8_t)(s.flags & ~TW_PKT_TLV_F_U);
		any = true;
		switch (s.type) {
		case TW_STAMP_RP_CONTROL_CODE:
			if (s.len != TW_STAMP_RP_CC_LEN) {
				f |= TW_PKT_TLV_F_M;
				out->ev |= TW_STAMP_TLV_EV_MALFORMED;
				break;
			}
			/* Reply Request clear: no reply.  Set: reply on the
			 * incoming link, which is the only one we have. */
			if (!(v[3] & TW_STAMP_RP_CC_REPLY)) {
				out->no_reply = true;
				out->ev |= TW_STAMP_TLV_EV_NO_REPLY;
			}
			break;
		case TW_STAMP_RP_RETURN_ADDR:
		case TW_STAMP_RP_SR_MPLS:
		case TW_STAMP_RP_SRV6:
		default:
			/* another destination or a segment list: not for an
			 * IP reflector (and never a redirector) */
			f |= TW_PKT_TLV_F_U;
			unsup = true;
			break;
		}
		h[0] = f;
	}
	if (e == TW_E_TLV_LENGTH) {
		sub[s.off] |= TW_PKT_TLV_F_M;
		out->ev |= TW_STAMP_TLV_EV_MALFORMED;
	}
	if (unsup || !any) {
		out->ev |= TW_STAMP_TLV_EV_RP_UNSUPPORTED;
		return V_UNKNOWN;
	}
	return V_KNOWN;
}

static bool addr_is(const uint8_t *a, const uint8_t *local, size_t n)
{
	return local && memcmp(a, local, n) == 0;
}

/* RFC 9534 §3.2, Session-Reflector: "if the Reflector Micro-session ID is
 * not zero, [it] MUST use the Reflector member link identifier to check
 * whether it is associated with the micro STAMP session.  If the validation
 * fails, the test packet MUST be discarded."  The reply carries the
 * Sender's ID as received and ours.  verified: false when the sender's HMAC
 * failed, whose TLV data RFC 8972 §4.8 forbids using: echoed as received. */
static enum verdict micro_session(uint8_t *v, size_t len, bool verified,
				  const struct tw_stamp_tlv_in *in, struct tw_stamp_tlv_out *out)
{
	if (len != TW_STAMP_MICRO_LEN)
		return V_MALFORMED;
	if (!in->member_link) {
		/* not on a LAG's member links: not understood here */
		out->ev |= TW_STAMP_TLV_EV_UNKNOWN;
		return V_UNKNOWN;
	}
	if (!verified)
		return V_KNOWN;
	uint16_t rid = (uint16_t)(v[2] << 8 | v[3]);
	if (rid != 0 && rid != in->member_link) {
		out->ev |= TW_STAMP_TLV_EV_MICRO_LINK;
		out->discard = true;
		return V_KNOWN;
	}
	if (rid == 0)
		out->rewrote = true;
	put_be16(v + 2, in->member_link);
	return V_KNOWN;
}

/* One well-formed TLV (header at h, value v of t->len octets). */
static enum verdict one_tlv(uint8_t *v, const struct tw_pkt_tlv *t, bool auth, bool verified,
			    const struct tw_stamp_tlv_in *in, struct tw_stamp_tlv_out *out)
{
	switch (t->type) {
	case TW_PKT_TLV_EXTRA_PADDING:
		return V_KNOWN;
	case TW_PKT_TLV_LOCATION:
		if (t->len < TW_STAMP_LOC_PORTS_LEN)
			return V_MALFORMED;
		out->rewrote = true;
		put_be16(v, in->dst_port);
		put_be16(v + 2, in->src_port);
		location_subs(v + TW_STAMP_LOC_PORTS_LEN, t->len - TW_STAMP_LOC_PORTS_LEN, in,
			      &out->ev);
		return V_KNOWN;
	case TW_PKT_TLV_TIMESTAMP_INFO:
		if (t->len < TW_STAMP_TSINFO_LEN)
			return V_MALFORMED;
		out->rewrote = true;
		memcpy(v, in->ts_info, 4);
		return V_KNOWN;
	case TW_PKT_TLV_COS:
		if (t->len != TW_PKT_TLV_COS_LEN)
			return V_MALFORMED;
		out->rewrote = true;
		out->dscp = tw_pkt_cos_reflect(v, in->tos);
		out->cos = true;
		return V_KNOWN;
	case TW_PKT_TLV_DIRECT_MEASUREMENT:
		if (t->len != TW_STAMP_DM_LEN)
			return V_MALFORMED;
		out->rewrote = true;
		put_be32(v + 4, in->dm_count);
		put_be32(v + 8, in->dm_count);
		return V_KNOWN;
	case TW_PKT_TLV_ACCESS_REPORT:
		if (t->len != TW_STAMP_ACCESS_LEN)
			return V_MALFORMED;
		if ((v[0] >> 4) != TW_STAMP_ACCESS_3GPP && (v[0] >> 4) != TW_STAMP_ACCESS_NON_3GPP) {
			out->ev |= TW_STAMP_TLV_EV_ACCESS_ID;
			return V_UNKNOWN;
		}
		return V_KNOWN;
	case TW_PKT_TLV_FOLLOWUP_TELEMETRY:
		if (t->len != TW_STAMP_FU_LEN)
			return V_MALFORMED;
		out->rewrote = true;
		memset(v, 0, TW_STAMP_FU_LEN);
		if (in->fu_have) {
			put_be32(v, in->fu_seq);
			put_be64(v + 4, in->fu_ts);
			v[12] = in->fu_mode;
		}
		return V_KNOWN;
	case TW_PKT_TLV_HMAC:
		if (!auth) {
			out->ev |= TW_STAMP_TLV_EV_HMAC_OPEN;
			return V_UNKNOWN;
		}
		return t->len == TW_STAMP_HMAC_TLV_LEN ? V_KNOWN : V_MALFORMED;
	case TW_PKT_TLV_DEST_NODE_ADDR:
		if (t->len == 4 ? addr_is(v, in->local4, 4)
		    : t->len == 16 ? addr_is(v, in->local6, 16)
				   : false)
			return V_KNOWN;
		if (t->len != 4 && t->len != 16)
			return V_MALFORMED;
		out->ev |= TW_STAMP_TLV_EV_DNA_MISMATCH;
		return V_UNKNOWN;
	case TW_PKT_TLV_RETURN_PATH:
		out->rewrote = true;
		return return_path(v, t->len, out);
	case TW_PKT_TLV_MICRO_SESSION_ID:
		return micro_session(v, t->len, verified, in, out);
	default:
		out->ev |= TW_STAMP_TLV_EV_UNKNOWN;
		return V_UNKNOWN;
	}
}

enum tw_err tw_stamp_tlv_reflect(uint8_t *pkt, size_t len, enum tw_pkt_layout l,
				 const struct tw_stamp_tlv_in *in, struct tw_stamp_tlv_out *out)
{
	size_t base;
	enum tw_err e;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!in || !out)
		return TW_E_ARG;
	e = area_of(pkt, len, l, &base);
	if (e != TW_OK)
		return e;
	uint8_t *area = pkt + base;
	size_t alen = len - base;
	bool auth = l == TW_PKT_STAMP_AUTH && in->sa;

	/* §4.8: the sender's HMAC TLV covers its Sequence Number (now echoed
	 * at the Session-Sender Sequence Number offset) and the TLVs exactly
	 * as received: check it before anything below changes them. */
	struct hmac_pos hp;
	bool integrity_fail = false;
	hmac_find(area, alen, &hp);
	if (auth && hp.found) {
		if (hp.bad) {
			integrity_fail = true;
		} else {
			e = sender_check(in->sa, pkt, base, hp.off, pkt + tw_pkt_geom(l)->r_sseq);
			if (e == TW_E_HMAC)
				integrity_fail = true;
			else if (e != TW_OK)
				return e;
		}
	}

	struct tw_pkt_tlv_iter it;
	struct tw_pkt_tlv t;
	tw_pkt_tlv_iter_init(&it, area, alen);
	while ((e = tw_pkt_tlv_next(&it, &t)) == TW_OK) {
		uint8_t *h = area + t.off;
		uint8_t f = (uint8_t)(t.flags & ~TW_PKT_TLV_F_U);
		out->n_tlv++;
		switch (one_tlv(h + TW_PKT_TLV_HDR_LEN, &t, auth, !integrity_fail, in, out)) {
		case V_KNOWN:
			/* §4.7: where the Follow-Up Timestamp went (after the
			 * 4-octet Sequence Number), for a late write */
			if (t.type == TW_PKT_TLV_FOLLOWUP_TELEMETRY && !out->fu_ts_off)
				out->fu_ts_off = (uint16_t)(h + TW_PKT_TLV_HDR_LEN + 4 - pkt);
			break;
		case V_UNKNOWN:
			f |= TW_PKT_TLV_F_U;
			break;
		case V_MALFORMED:
			/* §4: a Length not valid for the type */
			f |= TW_PKT_TLV_F_M;
			out->ev |= TW_STAMP_TLV_EV_MALFORMED;
			break;
		}
		h[0] = f;
	}
	if (e == TW_E_TLV_LENGTH) {
		/* §4: overruns the packet (or a 1-3 octet tail): M, and the
		 * walk ends; the octets are echoed as received */
		area[t.off] |= TW_PKT_TLV_F_M;
		out->ev |= TW_STAMP_TLV_EV_MALFORMED;
		out->n_tlv++;
	}
	if (integrity_fail) {
		/* §4.8: I on every TLV, the HMAC TLV and a malformed one too */
		(void)tw_pkt_tlv_set_flags(area, alen, TW_PKT_TLV_F_I);
		out->ev |= TW_STAMP_TLV_EV_HMAC_FAIL;
	}
	if (auth && hp.usable) {
		/* the reflector's own, over the reply's Sequence Number and
		 * its final TLVs (flags included) */
		e = tw_stamp_tlv_sign(in->sa, pkt, len, l);
		if (e != TW_OK)
			return e == TW_E_TLV_END ? TW_OK : e;
		out->hmac = true;
		out->rewrote = true;
	}
	return TW_OK;
}
