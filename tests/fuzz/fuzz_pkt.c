/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "pkt": TWAMP-Test / STAMP packet codecs of lib/tw_pkt.h.
 *
 * Input: [layout:1][pad_len:4][cap_delta:2][flags:1][n:2][known:8][packet...]
 * (missing header octets read as zero).  The layout octet is taken modulo 8,
 * so 6 and 7 exercise the invalid-layout paths.
 *
 * Invariants (abort() on violation):
 *  - sender/reflector decode: OK iff the layout is valid and len >= base;
 *    the decoded fields are the octets at the geometry's offsets, and
 *    encode(decode(x)) reproduces them (MBZ and HMAC zeroed);
 *  - tw_pkt_reflect_inplace on a heap buffer of exactly `cap` octets:
 *    never touches memory outside it (ASan); on error the buffer is
 *    untouched; on success it returns tw_pkt_reflect_len(), the result
 *    decodes as a reflector packet carrying the sender's seq/T1/errest/SSID
 *    and the TTL, and the padding is the sender's leading octets followed
 *    by zeros;
 *  - TLV iterator: terminates, every TLV lies inside the area, offsets
 *    strictly increase, errors are sticky;
 *  - tw_pkt_tlv_reflect / tw_pkt_tlv_set_flags on a heap copy of exactly the
 *    TLV area: change only flag octets, and exactly as RFC 8972 §4 says
 *    (U set iff unknown, M on the malformed TLV only), and agree with the
 *    iterator on the TLV count and the result;
 *  - tw_pkt_reflect_octets copies min(n, both paddings) octets;
 *  - RFC 9533 micro-session IDs (tw_pkt_micro_tab; RFC 9534's TLV for STAMP):
 *    get/put read and write exactly the two 2-octet IDs at the table's
 *    offsets (or in the first Micro-session ID TLV), only when the packet
 *    holds them; with the smallest padding both packets do;
 *    the reflector and sender verdicts follow the rules of tw_pkt.h (the
 *    sender's by the ID pair, tw_pkt_micro_pairs_ok agreeing).
 */
#include "fuzz_common.h"

#include "tw_pkt.h"

static void fuzz_decode(enum tw_pkt_layout l, const uint8_t *pkt, size_t len)
{
	int valid = tw_pkt_layout_valid(l);
	struct tw_pkt_sender s, s2;
	enum tw_err e = tw_pkt_sender_decode(l, pkt, len, &s);
	if (!valid) {
		FUZZ_ASSERT(e == TW_E_ARG);
	} else {
		const struct tw_pkt_geom *g = tw_pkt_geom(l);
		FUZZ_ASSERT(e == (len < g->s_base ? TW_E_TRUNCATED : TW_OK));
		if (e == TW_OK) {
			uint8_t out[TW_PKT_BASE_MAX];
			FUZZ_ASSERT(s.seq == tw_be32(pkt) && s.ts == tw_be64(pkt + g->s_ts) &&
			            s.errest == tw_be16(pkt + g->s_errest));
			FUZZ_ASSERT(s.ssid == (g->s_ssid ? tw_be16(pkt + g->s_ssid) : 0));
			FUZZ_ASSERT(tw_pkt_sender_encode(l, &s, out, g->s_base) == (int)g->s_base);
			FUZZ_ASSERT(tw_pkt_sender_encode(l, &s, out, g->s_base - 1u) ==
			            -TW_E_NOSPACE);
			FUZZ_ASSERT(tw_pkt_sender_decode(l, out, g->s_base, &s2) == TW_OK);
			FUZZ_ASSERT(s.seq == s2.seq && s.ts == s2.ts && s.errest == s2.errest &&
			            s.ssid == s2.ssid);
			if (g->s_hmac)
				for (unsigned i = 0; i < TW_PKT_HMAC_LEN; i++)
					FUZZ_ASSERT(out[g->s_hmac + i] == 0);
		}
	}

	struct tw_pkt_reflector r, r2;
	size_t short_by = 1;
	enum tw_err el = tw_pkt_reflector_decode_liberal(l, pkt, len, &r2, &short_by);
	e = tw_pkt_reflector_decode(l, pkt, len, &r);
	if (!valid) {
		FUZZ_ASSERT(e == TW_E_ARG && el == TW_E_ARG);
		return;
	}
	const struct tw_pkt_geom *g = tw_pkt_geom(l);
	/* Liberal decoding (wire ref §11b.7) agrees with the strict decoder on
	 * every full-length reply and, below it, reads the same fields with
	 * the Sender TTL unknown. */
	size_t echo = tw_pkt_reflector_echo_len(l);
	FUZZ_ASSERT(echo <= g->r_base && (g->r_hmac ? echo == g->r_base : echo == (size_t)g->r_serrest + 2));
	FUZZ_ASSERT(el == (len < echo ? TW_E_TRUNCATED : TW_OK));
	FUZZ_ASSERT(short_by == (el == TW_OK && len < g->r_base ? g->r_base - len : 0));
	if (el == TW_OK)
		FUZZ_ASSERT(r2.seq == tw_be32(pkt) && r2.t3 == tw_be64(pkt + g->r_t3) &&
		            r2.t2 == tw_be64(pkt + g->r_t2) && r2.t1 == tw_be64(pkt + g->r_t1) &&
		            r2.sender_seq == tw_be32(pkt + g->r_sseq) &&
		            r2.sender_errest == tw_be16(pkt + g->r_serrest) &&
		            r2.sender_ttl == (len > g->r_ttl ? pkt[g->r_ttl] : 0));
	FUZZ_ASSERT(e == (len < g->r_base ? TW_E_TRUNCATED : TW_OK));
	if (e != TW_OK)
		return;
	FUZZ_ASSERT(r.seq == tw_be32(pkt) && r.t3 == tw_be64(pkt + g->r_t3) &&
	            r.t2 == tw_be64(pkt + g->r_t2) && r.t1 == tw_be64(pkt + g->r_t1) &&
	            r.sender_seq == tw_be32(pkt + g->r_sseq) &&
	            r.errest == tw_be16(pkt + g->r_errest) &&
	            r.sender_errest == tw_be16(pkt + g->r_serrest) &&
	            r.sender_ttl == pkt[g->r_ttl]);
	uint8_t out[TW_PKT_BASE_MAX];
	FUZZ_ASSERT(tw_pkt_reflector_encode(l, &r, out, g->r_base) == (int)g->r_base);
	FUZZ_ASSERT(tw_pkt_reflector_decode(l, out, g->r_base, &r2) == TW_OK);
	FUZZ_ASSERT(r.seq == r2.seq && r.t3 == r2.t3 && r.errest == r2.errest && r.t2 == r2.t2 &&
	            r.sender_seq == r2.sender_seq && r.t1 == r2.t1 &&
	            r.sender_errest == r2.sender_errest && r.sender_ttl == r2.sender_ttl &&
	            r.ssid == r2.ssid);
	(void)tw_pkt_reflector_check(&r);
}

static void fuzz_reflect(enum tw_pkt_layout l, const uint8_t *pkt, size_t rx_len,
                         uint32_t pad_len, uint16_t cap_delta, uint8_t flags)
{
	/* cap_delta's top bit makes cap smaller than rx_len (the ARG path). */
	size_t cap = rx_len;
	size_t d = cap_delta & 0x7FFFu;
	if (cap_delta & 0x8000u)
		cap = d > rx_len ? 0 : rx_len - d;
	else
		cap += d;
	/* Sometimes make cap exactly the reflected length, the tightest fit. */
	size_t want = tw_pkt_reflect_len(l, pad_len, rx_len);
	if ((flags & 1) && want >= rx_len && want <= TW_PKT_MAX_LEN)
		cap = want;
	uint8_t *buf = malloc(cap ? cap : 1), *orig = malloc(cap ? cap : 1);
	FUZZ_ASSERT(buf && orig);
	size_t n = rx_len < cap ? rx_len : cap;
	memcpy(buf, pkt, n);
	memset(buf + n, 0xEE, cap - n); /* stale buffer contents past rx_len */
	memcpy(orig, buf, cap);

	const uint32_t seq = 0x01020304u;
	const uint64_t t2 = 0x1111111122222222ull, t3 = 0x3333333344444444ull;
	const uint16_t errest = 0x8001u;
	const uint8_t ttl = 0x7F;
	int rc = tw_pkt_reflect_inplace(buf, rx_len, cap, l, pad_len, seq, t2, t3, errest, ttl);
	if (rc <= 0) {
		FUZZ_ASSERT(rc != 0);
		FUZZ_ASSERT(memcmp(buf, orig, cap) == 0);
		if (!tw_pkt_layout_valid(l) || rx_len > cap)
			FUZZ_ASSERT(rc == -TW_E_ARG);
		else if (rx_len < tw_pkt_sender_base(l))
			FUZZ_ASSERT(rc == -TW_E_TRUNCATED);
		else
			FUZZ_ASSERT(rc == -TW_E_NOSPACE && (want > cap || want > TW_PKT_MAX_LEN));
		goto out;
	}
	const struct tw_pkt_geom *g = tw_pkt_geom(l);
	size_t out_len = (size_t)rc;
	FUZZ_ASSERT(out_len == want && out_len <= cap && out_len >= g->r_base);
	struct tw_pkt_reflector r;
	FUZZ_ASSERT(tw_pkt_reflector_decode(l, buf, out_len, &r) == TW_OK);
	FUZZ_ASSERT(r.seq == seq && r.t2 == t2 && r.t3 == t3 && r.errest == errest &&
	            r.sender_ttl == ttl);
	FUZZ_ASSERT(r.sender_seq == tw_be32(orig) && r.t1 == tw_be64(orig + g->s_ts) &&
	            r.sender_errest == tw_be16(orig + g->s_errest));
	FUZZ_ASSERT(r.ssid == (g->r_ssid ? tw_be16(orig + g->s_ssid) : 0));
	if (g->r_hmac)
		for (unsigned i = 0; i < TW_PKT_HMAC_LEN; i++)
			FUZZ_ASSERT(buf[g->r_hmac + i] == 0);
	/* Padding: the sender's leading octets, then zeros (never stale data). */
	size_t have = rx_len - g->s_base, pad_out = out_len - g->r_base;
	for (size_t i = 0; i < pad_out; i++) {
		if (i < have)
			FUZZ_ASSERT(buf[g->r_base + i] == orig[g->s_base + i]);
		else
			FUZZ_ASSERT(buf[g->r_base + i] == 0);
	}
	/* Past the reflected packet nothing was written. */
	for (size_t i = out_len > rx_len ? out_len : rx_len; i < cap; i++)
		FUZZ_ASSERT(buf[i] == orig[i]);
	tw_pkt_set_t3(buf, l, ~t3, 0x0102);
	FUZZ_ASSERT(tw_pkt_reflector_decode(l, buf, out_len, &r) == TW_OK && r.t3 == ~t3 &&
	            r.errest == 0x0102);
out:
	free(buf);
	free(orig);
}

#define MAX_TLVS 70000u

static void fuzz_tlv(enum tw_pkt_layout l, const uint8_t *pkt, size_t len,
                     const struct tw_pkt_tlv_set *known)
{
	size_t b = tw_pkt_sender_base(l);
	if (b > len)
		b = len;
	const uint8_t *area = pkt + b;
	size_t alen = len - b;

	struct tw_pkt_tlv_iter it;
	struct tw_pkt_tlv t;
	enum tw_err e;
	unsigned n = 0;
	size_t next = 0, bad_off = (size_t)-1;
	tw_pkt_tlv_iter_init_pkt(&it, l, pkt, len);
	while ((e = tw_pkt_tlv_next(&it, &t)) == TW_OK) {
		FUZZ_ASSERT(t.off == next && t.value == area + t.off + TW_PKT_TLV_HDR_LEN);
		FUZZ_ASSERT(t.off + TW_PKT_TLV_HDR_LEN + t.len <= alen);
		FUZZ_ASSERT(t.flags == area[t.off] && t.type == area[t.off + 1] &&
		            t.len == tw_be16(area + t.off + 2));
		next = t.off + TW_PKT_TLV_HDR_LEN + t.len;
		FUZZ_ASSERT(++n < MAX_TLVS);
		if (t.type == TW_PKT_TLV_COS && t.len == TW_PKT_TLV_COS_LEN) {
			/* RFC 8972 §4.4: the reflector's fill is a round trip
			 * of the codec and keeps DSCP1 and Reserved. */
			uint8_t v[4];
			memcpy(v, t.value, 4);
			struct tw_pkt_cos c0 = tw_pkt_cos_get(v);
			uint8_t tos = (uint8_t)(t.value[1] ^ t.value[3]);
			FUZZ_ASSERT(tw_pkt_cos_reflect(v, tos) == c0.dscp1);
			struct tw_pkt_cos c1 = tw_pkt_cos_get(v);
			FUZZ_ASSERT(c1.dscp1 == c0.dscp1 && c1.dscp2 == tos >> 2 &&
			            c1.ecn == (tos & 3) && c1.rp == 0);
			FUZZ_ASSERT(v[2] == t.value[2] && v[3] == t.value[3]);
		}
	}
	if (e == TW_E_TLV_END) {
		FUZZ_ASSERT(next == alen);
	} else {
		FUZZ_ASSERT(e == TW_E_TLV_LENGTH && t.value == NULL && t.off == next &&
		            t.off < alen);
		bad_off = t.off;
		n++;
		/* Sticky. */
		FUZZ_ASSERT(tw_pkt_tlv_next(&it, &t) == TW_E_TLV_LENGTH);
	}

	/* Reflector flag pass on an exact-size heap copy of the area. */
	uint8_t *a = fz_dup(area, alen);
	unsigned cnt = 12345;
	enum tw_err e2 = tw_pkt_tlv_reflect(a, alen, known, &cnt);
	FUZZ_ASSERT(e2 == (e == TW_E_TLV_END ? TW_OK : TW_E_TLV_LENGTH));
	FUZZ_ASSERT(cnt == n);
	/* Only flag octets changed, and as RFC 8972 §4 says. */
	tw_pkt_tlv_iter_init(&it, area, alen);
	size_t last = 0;
	int any = 0;
	while (tw_pkt_tlv_next(&it, &t) == TW_OK) {
		uint8_t f = known && tw_pkt_tlv_set_has(known, t.type)
		                ? (uint8_t)(t.flags & ~TW_PKT_TLV_F_U)
		                : (uint8_t)(t.flags | TW_PKT_TLV_F_U);
		FUZZ_ASSERT(a[t.off] == f);
		for (size_t i = t.off + 1; i < t.off + TW_PKT_TLV_HDR_LEN + t.len; i++)
			FUZZ_ASSERT(a[i] == area[i]);
		last = t.off + TW_PKT_TLV_HDR_LEN + t.len;
		any = 1;
	}
	(void)any;
	if (bad_off != (size_t)-1) {
		FUZZ_ASSERT(last == bad_off);
		FUZZ_ASSERT(a[bad_off] == (area[bad_off] | TW_PKT_TLV_F_M));
		for (size_t i = bad_off + 1; i < alen; i++)
			FUZZ_ASSERT(a[i] == area[i]);
	}
	free(a);

	/* OR-flags pass (HMAC TLV failure, spec §6.3). */
	a = fz_dup(area, alen);
	e2 = tw_pkt_tlv_set_flags(a, alen, TW_PKT_TLV_F_I);
	FUZZ_ASSERT(e2 == (e == TW_E_TLV_END ? TW_OK : TW_E_TLV_LENGTH));
	for (size_t i = 0; i < alen; i++)
		FUZZ_ASSERT(a[i] == area[i] || a[i] == (area[i] | TW_PKT_TLV_F_I));
	free(a);
}

static void fuzz_reflect_octets(enum tw_pkt_layout l, const uint8_t *pkt, size_t len, size_t n)
{
	if (!tw_pkt_layout_valid(l))
		return;
	/* Reflector buffer sized from the same input: a different split. */
	size_t rlen = len / 2 + tw_pkt_reflector_base(l) / 2;
	uint8_t *snd = fz_dup(pkt, len);
	uint8_t *refl = malloc(rlen ? rlen : 1);
	FUZZ_ASSERT(refl);
	memset(refl, 0x5A, rlen);
	enum tw_err e = tw_pkt_reflect_octets(l, refl, rlen, snd, len, n);
	const struct tw_pkt_geom *g = tw_pkt_geom(l);
	if (rlen < g->r_base || len < g->s_base) {
		FUZZ_ASSERT(e == TW_E_TRUNCATED);
	} else {
		size_t room = rlen - g->r_base, have = len - g->s_base;
		size_t c = n < room ? n : room;
		c = c < have ? c : have;
		FUZZ_ASSERT(e == (c == n ? TW_OK : TW_E_LENGTH));
		FUZZ_ASSERT(memcmp(refl + g->r_base, snd + g->s_base, c) == 0);
		for (size_t i = g->r_base + c; i < rlen; i++)
			FUZZ_ASSERT(refl[i] == 0x5A);
	}
	free(snd);
	free(refl);
}

static void fuzz_micro(enum tw_pkt_layout l, const uint8_t *pkt, size_t len, uint16_t n)
{
	for (int rf = 0; rf < 2; rf++) {
		/* TWAMP: the layout's offsets (RFC 9533); STAMP: the first
		 * Micro-session ID TLV's value (RFC 9534), which must be one */
		size_t so = 0, ro = 0;
		bool at = tw_pkt_micro_where(pkt, len, l, rf, &so, &ro);
		if (tw_pkt_is_stamp(l))
			FUZZ_ASSERT(!at || (so >= tw_pkt_sender_base(l) + TW_PKT_TLV_HDR_LEN &&
			                    ro == so + 2 && so + TW_PKT_MICRO_IDS_LEN <= len &&
			                    pkt[so - 3] == TW_PKT_TLV_MICRO_SESSION_ID &&
			                    tw_be16(pkt + so - 2) == TW_PKT_MICRO_IDS_LEN));
		else
			FUZZ_ASSERT(
			    at == (tw_pkt_micro_end(l, rf) && len >= tw_pkt_micro_end(l, rf)) &&
			    (!at ||
			     (so == tw_pkt_micro_off(l, rf) && ro == tw_pkt_micro_roff(l, rf) &&
			      so + 2 <= len && ro + 2 <= len && (so + 2 <= ro || ro + 2 <= so))));
		uint16_t sid = 0xAAAA, rid = 0xBBBB;
		bool got = tw_pkt_micro_get(pkt, len, l, rf, &sid, &rid);
		FUZZ_ASSERT(got == at);
		if (got)
			FUZZ_ASSERT(sid == tw_be16(pkt + so) && rid == tw_be16(pkt + ro));
		/* put on a heap copy of exactly len octets: only those 4 change */
		uint8_t *c = fz_dup(pkt, len);
		const uint16_t nn = (uint16_t)~n;
		FUZZ_ASSERT(tw_pkt_micro_put(c, len, l, rf, n, nn) == got);
		for (size_t i = 0; i < len; i++)
			if (!got || ((i < so || i >= so + 2) && (i < ro || i >= ro + 2)))
				FUZZ_ASSERT(c[i] == pkt[i]);
		if (got)
			FUZZ_ASSERT(tw_be16(c + so) == n && tw_be16(c + ro) == nn);
		free(c);
	}
	uint32_t mp = tw_pkt_micro_min_pad(l);
	if (mp != UINT32_MAX) {
		size_t sl = tw_pkt_sender_base(l) + mp;
		FUZZ_ASSERT(sl >= tw_pkt_micro_end(l, false) &&
		            tw_pkt_reflect_len(l, mp, sl) >= tw_pkt_micro_end(l, true));
	} else {
		FUZZ_ASSERT(!tw_pkt_micro_off(l, false) && !tw_pkt_micro_off(l, true));
	}
	/* verdicts: the packet's first octets as up to 4 micro-sessions */
	uint16_t sids[4], rids[4];
	unsigned k = len >= 16 ? 4 : (unsigned)(len / 4), idx = 99;
	for (unsigned i = 0; i < k; i++) {
		sids[i] = tw_be16(pkt + 4 * i);
		rids[i] = tw_be16(pkt + 4 * i + 2);
	}
	uint16_t gs = (uint16_t)(n >> 3), gr = n;
	enum tw_pkt_micro_verdict v = tw_pkt_micro_match(sids, rids, k, gs, gr, &idx);
	/* the pair decides: the first micro-session with this Sender ID whose
	 * Reflector ID is the reply's or 0, else WRONG_REF naming the first
	 * with this Sender ID (1:7 and 1:8 are two micro-sessions) */
	unsigned first = k, okv = k;
	for (unsigned i = 0; i < k; i++) {
		if (sids[i] != gs)
			continue;
		if (first == k)
			first = i;
		if (okv == k && (rids[i] == 0 || rids[i] == gr))
			okv = i;
	}
	if (first == k) {
		FUZZ_ASSERT(v == TW_PKT_MICRO_UNKNOWN);
	} else if (okv < k) {
		FUZZ_ASSERT(v == TW_PKT_MICRO_OK && idx == okv);
	} else {
		FUZZ_ASSERT(v == TW_PKT_MICRO_WRONG_REF && idx == first);
	}
	/* tw_pkt_micro_pairs_ok: the last pair against the others */
	if (k >= 1) {
		bool clash = false;
		for (unsigned i = 0; i + 1 < k; i++)
			clash |= sids[i] == sids[k - 1] &&
			         (rids[i] == rids[k - 1] || !rids[i] || !rids[k - 1]);
		FUZZ_ASSERT(tw_pkt_micro_pairs_ok(sids, rids, k - 1, sids[k - 1], rids[k - 1]) ==
		            !clash);
	}
	FUZZ_ASSERT(tw_pkt_micro_refl_accept(gr, gs) == (gr == 0 || gr == gs));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	enum tw_pkt_layout l = (enum tw_pkt_layout)(fz_u8(&f) % 8u);
	uint32_t pad_len = fz_u32(&f);
	uint16_t cap_delta = fz_u16(&f);
	uint8_t flags = fz_u8(&f);
	uint16_t n = fz_u16(&f);
	struct tw_pkt_tlv_set known;
	uint64_t k = fz_u64(&f);
	/* Spread 64 fuzzed bits over the 256 types; the first 12 are the
	 * assigned ones, so "known" is mostly decided by them. */
	known.bits[0] = k;
	known.bits[1] = k >> 7;
	known.bits[2] = k >> 13;
	known.bits[3] = k >> 29;
	/* Keep pad_len near the packet sizes most of the time. */
	if (!(flags & 2))
		pad_len &= 0xFFFFu;

	uint8_t *pkt = fz_dup(f.p, f.len);
	size_t len = f.len;
	fuzz_decode(l, pkt, len);
	fuzz_reflect(l, pkt, len, pad_len, cap_delta, flags);
	fuzz_tlv(l, pkt, len, (flags & 4) ? NULL : &known);
	fuzz_reflect_octets(l, pkt, len, n);
	fuzz_micro(l, pkt, len, n);
	if (len >= 4)
		FUZZ_ASSERT(tw_pkt_peek_seq(pkt) == tw_be32(pkt));
	if (tw_pkt_layout_valid(l) && len >= tw_pkt_sender_base(l))
		(void)tw_pkt_peek_ssid(pkt, l);
	for (int rf = 0; rf < 2; rf++)
		for (int p = 0; p < 3; p++) {
			struct tw_pkt_region rg = tw_pkt_region(l, rf, (enum tw_pkt_prot)p);
			if (rg.hmac_off)
				FUZZ_ASSERT(rg.enc_len <= rg.hmac_cover && rg.hmac_cover <= rg.hmac_off &&
				            (size_t)rg.hmac_off + TW_PKT_HMAC_LEN <=
				                (rf ? tw_pkt_reflector_base(l) : tw_pkt_sender_base(l)));
		}
	free(pkt);
	return 0;
}
