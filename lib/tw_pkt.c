/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_pkt: out-of-line parts of the TWAMP-Test / STAMP codecs (encoders,
 * decoders, TLV writer and reflector TLV pass).  The per-packet fast-path
 * helpers are static inline in tw_pkt.h.
 */
#include "tw_pkt.h"

/* Fields are visited in ascending offset order, so a forward skip reaches
 * each one; the length was checked against the base size up front. */
static inline void rd_at(struct tw_rd *r, size_t off)
{
	tw_rd_skip(r, off - tw_rd_off(r));
}

int tw_pkt_sender_encode(enum tw_pkt_layout l, const struct tw_pkt_sender *s, void *buf, size_t cap)
{
	if (!tw_pkt_layout_valid(l) || !s || !buf)
		return -TW_E_ARG;
	const struct tw_pkt_geom *g = tw_pkt_geom(l);
	struct tw_wr w;
	tw_wr_init(&w, buf, cap);
	uint8_t *q = tw_wr_take(&w, g->s_base);
	if (!q)
		return -TW_E_NOSPACE;
	/* MBZ and the HMAC field are zero; crypto fills the HMAC afterwards
	 * (RFC 5357 §4.1.2, RFC 8762 §4, spec §3.6). */
	memset(q, 0, g->s_base);
	tw_put_be32(q, s->seq);
	tw_put_be64(q + g->s_ts, s->ts);
	tw_put_be16(q + g->s_errest, s->errest);
	if (g->s_ssid)
		tw_put_be16(q + g->s_ssid, s->ssid);
	return (int)tw_wr_off(&w);
}

int tw_pkt_reflector_encode(enum tw_pkt_layout l, const struct tw_pkt_reflector *r, void *buf,
                            size_t cap)
{
	if (!tw_pkt_layout_valid(l) || !r || !buf)
		return -TW_E_ARG;
	const struct tw_pkt_geom *g = tw_pkt_geom(l);
	struct tw_wr w;
	tw_wr_init(&w, buf, cap);
	uint8_t *q = tw_wr_take(&w, g->r_base);
	if (!q)
		return -TW_E_NOSPACE;
	/* RFC 5357 §4.2.1 / RFC 8762 §4: MBZ zero, HMAC left to crypto. */
	memset(q, 0, g->r_base);
	tw_put_be32(q, r->seq);
	tw_put_be64(q + g->r_t3, r->t3);
	tw_put_be16(q + g->r_errest, r->errest);
	if (g->r_ssid)
		tw_put_be16(q + g->r_ssid, r->ssid);
	tw_put_be64(q + g->r_t2, r->t2);
	tw_put_be32(q + g->r_sseq, r->sender_seq);
	tw_put_be64(q + g->r_t1, r->t1);
	tw_put_be16(q + g->r_serrest, r->sender_errest);
	q[g->r_ttl] = r->sender_ttl;
	return (int)tw_wr_off(&w);
}

enum tw_err tw_pkt_sender_decode(enum tw_pkt_layout l, const void *buf, size_t len,
                                 struct tw_pkt_sender *s)
{
	if (!tw_pkt_layout_valid(l) || !s || (!buf && len))
		return TW_E_ARG;
	const struct tw_pkt_geom *g = tw_pkt_geom(l);
	if (len < g->s_base)
		return TW_E_TRUNCATED;
	struct tw_rd r;
	tw_rd_init(&r, buf, g->s_base);
	s->seq = tw_rd_u32(&r);
	rd_at(&r, g->s_ts);
	s->ts = tw_rd_u64(&r);
	rd_at(&r, g->s_errest);
	s->errest = tw_rd_u16(&r);
	s->ssid = 0;
	if (g->s_ssid) {
		rd_at(&r, g->s_ssid);
		s->ssid = tw_rd_u16(&r);
	}
	/* Errest multiplier 0 is not rejected here: see tw_pkt.h. */
	return tw_rd_ok(&r) ? TW_OK : TW_E_TRUNCATED;
}

enum tw_err tw_pkt_reflector_decode(enum tw_pkt_layout l, const void *buf, size_t len,
                                    struct tw_pkt_reflector *out)
{
	if (!tw_pkt_layout_valid(l) || !out || (!buf && len))
		return TW_E_ARG;
	const struct tw_pkt_geom *g = tw_pkt_geom(l);
	if (len < g->r_base)
		return TW_E_TRUNCATED;
	struct tw_rd r;
	tw_rd_init(&r, buf, g->r_base);
	out->seq = tw_rd_u32(&r);
	rd_at(&r, g->r_t3);
	out->t3 = tw_rd_u64(&r);
	rd_at(&r, g->r_errest);
	out->errest = tw_rd_u16(&r);
	out->ssid = 0;
	if (g->r_ssid) {
		rd_at(&r, g->r_ssid);
		out->ssid = tw_rd_u16(&r);
	}
	rd_at(&r, g->r_t2);
	out->t2 = tw_rd_u64(&r);
	rd_at(&r, g->r_sseq);
	out->sender_seq = tw_rd_u32(&r);
	rd_at(&r, g->r_t1);
	out->t1 = tw_rd_u64(&r);
	rd_at(&r, g->r_serrest);
	out->sender_errest = tw_rd_u16(&r);
	rd_at(&r, g->r_ttl);
	out->sender_ttl = tw_rd_u8(&r);
	return tw_rd_ok(&r) ? TW_OK : TW_E_TRUNCATED;
}

enum tw_err tw_pkt_reflector_decode_liberal(enum tw_pkt_layout l, const void *buf, size_t len,
                                            struct tw_pkt_reflector *out, size_t *short_by)
{
	if (short_by)
		*short_by = 0;
	if (!tw_pkt_layout_valid(l) || !out || (!buf && len))
		return TW_E_ARG;
	const struct tw_pkt_geom *g = tw_pkt_geom(l);
	if (len >= g->r_base)
		return tw_pkt_reflector_decode(l, buf, len, out);
	if (len < tw_pkt_reflector_echo_len(l))
		return TW_E_TRUNCATED;
	/* Wire ref §11b.7: the reply ends inside the Sender TTL tail.  Decode
	 * a zero-extended copy so the one decoder reads every field; the
	 * missing TTL reads 0 = unknown. */
	uint8_t tmp[TW_PKT_BASE_MAX];
	memset(tmp, 0, sizeof(tmp));
	memcpy(tmp, buf, len);
	enum tw_err e = tw_pkt_reflector_decode(l, tmp, g->r_base, out);
	if (e == TW_OK && short_by)
		*short_by = g->r_base - len;
	return e;
}

enum tw_err tw_pkt_reflect_octets(enum tw_pkt_layout l, uint8_t *refl, size_t refl_len,
                                  const uint8_t *snd, size_t snd_len, size_t n)
{
	if (!tw_pkt_layout_valid(l) || !refl || !snd)
		return TW_E_ARG;
	const struct tw_pkt_geom *g = tw_pkt_geom(l);
	if (refl_len < g->r_base || snd_len < g->s_base)
		return TW_E_TRUNCATED;
	size_t room = refl_len - g->r_base;
	size_t have = snd_len - g->s_base;
	size_t c = n;
	if (c > room)
		c = room;
	if (c > have)
		c = have;
	/* The two buffers are separate by contract, but memmove costs nothing
	 * extra and keeps a caller who passes the same buffer safe. */
	if (c)
		memmove(refl + g->r_base, snd + g->s_base, c);
	return c == n ? TW_OK : TW_E_LENGTH;
}

enum tw_err tw_pkt_tlv_put(struct tw_wr *w, uint8_t flags, uint8_t type, const void *value,
                           uint16_t len)
{
	if (!w)
		return TW_E_ARG;
	/* Check the whole TLV first so a failed put leaves no half header. */
	if (w->err || w->cap - w->off < (size_t)TW_PKT_TLV_HDR_LEN + len) {
		w->err = true;
		return TW_E_NOSPACE;
	}
	tw_wr_u8(w, flags);
	tw_wr_u8(w, type);
	tw_wr_u16(w, len);
	if (value)
		tw_wr_bytes(w, value, len);
	else
		tw_wr_zero(w, len);
	return tw_wr_ok(w) ? TW_OK : TW_E_NOSPACE;
}

/*
 * Shared walk for the in-place flag passes.  The iterator reads through a
 * tw_rd bounded by len, so the walk can never touch octets past the area;
 * writes go only to flag octets the iterator has just read.
 */
static enum tw_err tlv_walk(uint8_t *area, size_t len, const struct tw_pkt_tlv_set *known,
                            uint8_t or_flags, unsigned *count)
{
	struct tw_pkt_tlv_iter it;
	struct tw_pkt_tlv t;
	unsigned n = 0;
	enum tw_err e;

	if (!area && len)
		return TW_E_ARG;
	tw_pkt_tlv_iter_init(&it, area, len);
	while ((e = tw_pkt_tlv_next(&it, &t)) == TW_OK) {
		uint8_t f = t.flags | or_flags;
		if (known) {
			/* RFC 8972 §4: U=1 iff the reflector does not know the type. */
			if (tw_pkt_tlv_set_has(known, t.type))
				f &= (uint8_t)~TW_PKT_TLV_F_U;
			else
				f |= TW_PKT_TLV_F_U;
		}
		area[t.off] = f;
		n++;
	}
	if (e == TW_E_TLV_LENGTH) {
		/* RFC 8972 §4: mark the malformed TLV, echo it otherwise unchanged.
		 * t.off < len here: the iterator saw at least one octet there. */
		if (known)
			area[t.off] |= TW_PKT_TLV_F_M;
		else
			area[t.off] |= or_flags;
		n++;
	}
	if (count)
		*count = n;
	return e == TW_E_TLV_END ? TW_OK : e;
}

enum tw_err tw_pkt_tlv_reflect(uint8_t *area, size_t len, const struct tw_pkt_tlv_set *known,
                               unsigned *count)
{
	static const struct tw_pkt_tlv_set none = {{0, 0, 0, 0}};
	return tlv_walk(area, len, known ? known : &none, 0, count);
}

enum tw_err tw_pkt_tlv_set_flags(uint8_t *area, size_t len, uint8_t flags)
{
	return tlv_walk(area, len, NULL, flags, NULL);
}
