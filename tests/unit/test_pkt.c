/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/tw_pkt: TWAMP-Test / STAMP codecs, the reflected-length
 * rule and in-place reflection (spec §4.5), and RFC 8972 TLV framing.
 *
 * Expected packets are built from literal offsets typed from the wire
 * reference tables (spec §4.1-4.4, §4.6, §6.2), not from the library's
 * geometry table, so a wrong offset in either place shows up.  Inputs that a
 * function must not read past are copied into exactly-sized heap blocks so
 * ASan catches any over-read.
 */
#include <stdlib.h>

#include "tw_pkt.h"
#include "tw_unit.h"

static const enum tw_pkt_layout all_layouts[] = {
    TW_PKT_TWAMP_OPEN,     TW_PKT_TWAMP_AUTH, TW_PKT_TWAMP_SYM_OPEN,
    TW_PKT_TWAMP_SYM_AUTH, TW_PKT_STAMP_OPEN, TW_PKT_STAMP_AUTH,
};
#define N_LAYOUTS (sizeof all_layouts / sizeof all_layouts[0])

/* Literal field offsets per layout, spec §4.1-4.4, §4.6, §6.2 (0 = absent). */
struct lit {
	enum tw_pkt_layout l;
	size_t s_base, r_base, s_ts, s_err, s_ssid;
	size_t r_t3, r_err, r_ssid, r_t2, r_sseq, r_t1, r_serr, r_ttl;
};
static const struct lit lits[] = {
    {TW_PKT_TWAMP_OPEN, 14, 41, 4, 12, 0, 4, 12, 0, 16, 24, 28, 36, 40},
    {TW_PKT_TWAMP_AUTH, 48, 112, 16, 24, 0, 16, 24, 0, 32, 48, 64, 72, 80},
    {TW_PKT_TWAMP_SYM_OPEN, 41, 41, 4, 12, 0, 4, 12, 0, 16, 24, 28, 36, 40},
    {TW_PKT_TWAMP_SYM_AUTH, 112, 112, 16, 24, 0, 16, 24, 0, 32, 48, 64, 72, 80},
    {TW_PKT_STAMP_OPEN, 44, 44, 4, 12, 14, 4, 12, 14, 16, 24, 28, 36, 40},
    {TW_PKT_STAMP_AUTH, 112, 112, 16, 24, 26, 16, 24, 26, 32, 48, 64, 72, 80},
};

static const struct lit *lit_of(enum tw_pkt_layout l)
{
	for (size_t i = 0; i < sizeof lits / sizeof lits[0]; i++)
		if (lits[i].l == l)
			return &lits[i];
	return NULL;
}

static uint8_t *dup_exact(const void *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

static size_t count_nonzero(const uint8_t *p, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += p[i] != 0;
	return c;
}

/* ---------------------------------------------------------------------- */

static void test_sizes_and_regions(void)
{
	for (size_t i = 0; i < N_LAYOUTS; i++) {
		const struct lit *L = lit_of(all_layouts[i]);
		CU_ASSERT_EQUAL(tw_pkt_sender_base(L->l), L->s_base);
		CU_ASSERT_EQUAL(tw_pkt_reflector_base(L->l), L->r_base);
	}
	CU_ASSERT_EQUAL(tw_pkt_sender_base(TW_PKT_LAYOUT__COUNT), 0);
	CU_ASSERT_EQUAL(tw_pkt_reflector_base((enum tw_pkt_layout) - 1), 0);

	/* spec §3.6 */
	static const struct {
		enum tw_pkt_layout l;
		bool refl;
		enum tw_pkt_prot p;
		uint16_t enc, cover, hoff;
	} t[] = {
	    {TW_PKT_TWAMP_OPEN, false, TW_PKT_PROT_AUTH, 0, 0, 0},
	    {TW_PKT_TWAMP_OPEN, true, TW_PKT_PROT_ENC, 0, 0, 0},
	    {TW_PKT_TWAMP_AUTH, false, TW_PKT_PROT_NONE, 0, 0, 0},
	    {TW_PKT_TWAMP_AUTH, false, TW_PKT_PROT_AUTH, 16, 16, 32},
	    {TW_PKT_TWAMP_AUTH, true, TW_PKT_PROT_AUTH, 16, 16, 96},
	    {TW_PKT_TWAMP_AUTH, false, TW_PKT_PROT_ENC, 32, 32, 32},
	    {TW_PKT_TWAMP_AUTH, true, TW_PKT_PROT_ENC, 96, 96, 96},
	    {TW_PKT_TWAMP_SYM_AUTH, false, TW_PKT_PROT_AUTH, 16, 16, 96},
	    {TW_PKT_TWAMP_SYM_AUTH, false, TW_PKT_PROT_ENC, 96, 96, 96},
	    {TW_PKT_TWAMP_SYM_AUTH, true, TW_PKT_PROT_ENC, 96, 96, 96},
	    {TW_PKT_STAMP_OPEN, false, TW_PKT_PROT_AUTH, 0, 0, 0},
	    {TW_PKT_STAMP_AUTH, false, TW_PKT_PROT_AUTH, 0, 96, 96},
	    {TW_PKT_STAMP_AUTH, true, TW_PKT_PROT_AUTH, 0, 96, 96},
	    {TW_PKT_STAMP_AUTH, true, TW_PKT_PROT_ENC, 0, 96, 96},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct tw_pkt_region r = tw_pkt_region(t[i].l, t[i].refl, t[i].p);
		CU_ASSERT_EQUAL(r.enc_len, t[i].enc);
		CU_ASSERT_EQUAL(r.hmac_cover, t[i].cover);
		CU_ASSERT_EQUAL(r.hmac_off, t[i].hoff);
	}
	CU_ASSERT_EQUAL(TW_PKT_AUTH_SENDER_HMAC_OFF + TW_PKT_HMAC_LEN, TW_PKT_SENDER_AUTH_LEN);
	CU_ASSERT_EQUAL(TW_PKT_AUTH_REFL_HMAC_OFF + TW_PKT_HMAC_LEN, TW_PKT_REFL_AUTH_LEN);
	CU_ASSERT_EQUAL(TW_PKT_STAMP_HMAC_OFF + TW_PKT_HMAC_LEN, TW_PKT_STAMP_AUTH_LEN);
}

static void test_sender_roundtrip(void)
{
	const struct tw_pkt_sender in = {0x01020304u, 0x1122334455667788ull, 0x8001, 0xbeef};
	for (size_t i = 0; i < N_LAYOUTS; i++) {
		const struct lit *L = lit_of(all_layouts[i]);
		uint8_t buf[160];
		memset(buf, 0xaa, sizeof buf);
		int n = tw_pkt_sender_encode(L->l, &in, buf, sizeof buf);
		CU_ASSERT_EQUAL(n, (int)L->s_base);
		/* fields where the spec puts them */
		CU_ASSERT_EQUAL(tw_be32(buf), in.seq);
		CU_ASSERT_EQUAL(tw_be64(buf + L->s_ts), in.ts);
		CU_ASSERT_EQUAL(tw_be16(buf + L->s_err), in.errest);
		if (L->s_ssid)
			CU_ASSERT_EQUAL(tw_be16(buf + L->s_ssid), in.ssid);
		/* every other octet of the base is MBZ; nothing written beyond */
		CU_ASSERT_EQUAL(count_nonzero(buf, L->s_base), L->s_ssid ? 16u : 14u);
		CU_ASSERT_EQUAL(buf[L->s_base], 0xaa);

		struct tw_pkt_sender out;
		memset(&out, 0x55, sizeof out);
		CU_ASSERT_EQUAL(tw_pkt_sender_decode(L->l, buf, L->s_base, &out), TW_OK);
		CU_ASSERT_EQUAL(out.seq, in.seq);
		CU_ASSERT_EQUAL(out.ts, in.ts);
		CU_ASSERT_EQUAL(out.errest, in.errest);
		CU_ASSERT_EQUAL(out.ssid, L->s_ssid ? in.ssid : 0);
		/* with padding after the base */
		CU_ASSERT_EQUAL(tw_pkt_sender_decode(L->l, buf, sizeof buf, &out), TW_OK);
	}
}

static void test_reflector_roundtrip(void)
{
	const struct tw_pkt_reflector in = {
	    .seq = 0x0a0b0c0du,
	    .t3 = 0x8182838485868788ull,
	    .errest = 0x3f01,
	    .t2 = 0x9192939495969798ull,
	    .sender_seq = 0x01020304u,
	    .t1 = 0xa1a2a3a4a5a6a7a8ull,
	    .sender_errest = 0x0101,
	    .sender_ttl = 0xfe,
	    .ssid = 0x1234,
	};
	for (size_t i = 0; i < N_LAYOUTS; i++) {
		const struct lit *L = lit_of(all_layouts[i]);
		uint8_t buf[160];
		memset(buf, 0xaa, sizeof buf);
		int n = tw_pkt_reflector_encode(L->l, &in, buf, sizeof buf);
		CU_ASSERT_EQUAL(n, (int)L->r_base);
		CU_ASSERT_EQUAL(tw_be32(buf), in.seq);
		CU_ASSERT_EQUAL(tw_be64(buf + L->r_t3), in.t3);
		CU_ASSERT_EQUAL(tw_be16(buf + L->r_err), in.errest);
		CU_ASSERT_EQUAL(tw_be64(buf + L->r_t2), in.t2);
		CU_ASSERT_EQUAL(tw_be32(buf + L->r_sseq), in.sender_seq);
		CU_ASSERT_EQUAL(tw_be64(buf + L->r_t1), in.t1);
		CU_ASSERT_EQUAL(tw_be16(buf + L->r_serr), in.sender_errest);
		CU_ASSERT_EQUAL(buf[L->r_ttl], in.sender_ttl);
		if (L->r_ssid)
			CU_ASSERT_EQUAL(tw_be16(buf + L->r_ssid), in.ssid);
		CU_ASSERT_EQUAL(count_nonzero(buf, L->r_base), L->r_ssid ? 39u : 37u);
		CU_ASSERT_EQUAL(buf[L->r_base], 0xaa);

		struct tw_pkt_reflector out;
		memset(&out, 0x55, sizeof out);
		CU_ASSERT_EQUAL(tw_pkt_reflector_decode(L->l, buf, L->r_base, &out), TW_OK);
		CU_ASSERT_EQUAL(out.seq, in.seq);
		CU_ASSERT_EQUAL(out.t3, in.t3);
		CU_ASSERT_EQUAL(out.errest, in.errest);
		CU_ASSERT_EQUAL(out.t2, in.t2);
		CU_ASSERT_EQUAL(out.sender_seq, in.sender_seq);
		CU_ASSERT_EQUAL(out.t1, in.t1);
		CU_ASSERT_EQUAL(out.sender_errest, in.sender_errest);
		CU_ASSERT_EQUAL(out.sender_ttl, in.sender_ttl);
		CU_ASSERT_EQUAL(out.ssid, L->r_ssid ? in.ssid : 0);
	}
}

/* Open reflector (spec §4.3) and STAMP reflector (spec §6.2), byte for byte. */
static void test_reflector_bytes(void)
{
	static const struct {
		enum tw_pkt_layout l;
		const char *hex;
	} t[] = {
	    {TW_PKT_TWAMP_OPEN, "00000005"         /* seq */
	                        "eeb34ece02346562" /* T3 */
	                        "0001"             /* errest */
	                        "0000"             /* MBZ */
	                        "eeb34ece01020304" /* T2 */
	                        "00000007"         /* sender seq */
	                        "eeb34ecd0a0b0c0d" /* T1 */
	                        "3fff"             /* sender errest */
	                        "0000"             /* MBZ */
	                        "ff"},             /* TTL */
	    {TW_PKT_STAMP_OPEN, "00000005"
	                        "eeb34ece02346562"
	                        "0001"
	                        "cafe" /* SSID */
	                        "eeb34ece01020304"
	                        "00000007"
	                        "eeb34ecd0a0b0c0d"
	                        "3fff"
	                        "0000"
	                        "ff"
	                        "000000"}, /* MBZ */
	};
	const struct tw_pkt_reflector r = {
	    .seq = 5,
	    .t3 = 0xeeb34ece02346562ull,
	    .errest = 0x0001,
	    .t2 = 0xeeb34ece01020304ull,
	    .sender_seq = 7,
	    .t1 = 0xeeb34ecd0a0b0c0dull,
	    .sender_errest = 0x3fff,
	    .sender_ttl = 255,
	    .ssid = 0xcafe,
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint8_t want[64], got[64];
		size_t wn = tw_unit_hex(t[i].hex, want, sizeof want);
		memset(got, 0xee, sizeof got);
		CU_ASSERT_EQUAL(tw_pkt_reflector_encode(t[i].l, &r, got, sizeof got), (int)wn);
		TW_ASSERT_BYTES(got, want, wn);
	}
}

/* Spec §3.8: twping sender packet seq 1, mode 2, plaintext after decrypting
 * block 0 (the HMAC field is opaque to the codec). */
static void test_spec_3_8_sender(void)
{
	uint8_t pkt[48 + 64];
	size_t n = tw_unit_hex("00000001 000000000000000000000000"
	                       "eeb34ece02346562 0001 000000000000"
	                       "6b80bb1cf2fdc393e3c27a981f82d238",
	                       pkt, sizeof pkt);
	CU_ASSERT_EQUAL_FATAL(n, 48);
	for (size_t i = 48; i < sizeof pkt; i++)
		pkt[i] = (uint8_t)(i * 7);
	struct tw_pkt_sender s;
	CU_ASSERT_EQUAL(tw_pkt_sender_decode(TW_PKT_TWAMP_AUTH, pkt, sizeof pkt, &s), TW_OK);
	CU_ASSERT_EQUAL(s.seq, 1);
	CU_ASSERT_EQUAL(s.ts, 0xeeb34ece02346562ull);
	CU_ASSERT_EQUAL(s.errest, 0x0001);
	CU_ASSERT_EQUAL(tw_pkt_sender_check(&s), TW_OK);
	/* Padding Length 0x40 in that session: the reply is 112 octets. */
	CU_ASSERT_EQUAL(tw_pkt_reflect_len(TW_PKT_TWAMP_AUTH, 0x40, sizeof pkt), 112);
	/* Re-encoding gives the same plaintext up to the HMAC field. */
	uint8_t re[48];
	CU_ASSERT_EQUAL(tw_pkt_sender_encode(TW_PKT_TWAMP_AUTH, &s, re, sizeof re), 48);
	TW_ASSERT_BYTES(re, pkt, 32);
	CU_ASSERT_EQUAL(count_nonzero(re + 32, 16), 0);
}

/* Spec §4.5 observed twampd lengths, plus the RFC 6038 and STAMP rules. */
static void test_length_rule(void)
{
	static const struct {
		enum tw_pkt_layout l;
		uint32_t pad;
		size_t in, out;
	} t[] = {
	    {TW_PKT_TWAMP_OPEN, 0, 14, 41},       {TW_PKT_TWAMP_OPEN, 27, 41, 41},
	    {TW_PKT_TWAMP_OPEN, 100, 114, 114},   {TW_PKT_TWAMP_AUTH, 0, 48, 112}, /* auth */
	    {TW_PKT_TWAMP_AUTH, 200, 248, 248}, /* enc shares the layout */
	    {TW_PKT_TWAMP_AUTH, 64, 112, 112},    {TW_PKT_TWAMP_SYM_OPEN, 0, 41, 41},
	    {TW_PKT_TWAMP_SYM_OPEN, 10, 51, 51},  {TW_PKT_TWAMP_SYM_AUTH, 0, 112, 112},
	    {TW_PKT_TWAMP_SYM_AUTH, 5, 117, 117},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		CU_ASSERT_EQUAL(tw_pkt_sender_base(t[i].l) + t[i].pad, t[i].in);
		CU_ASSERT_EQUAL(tw_pkt_reflect_len(t[i].l, t[i].pad, t[i].in), t[i].out);
	}
	/* TWAMP: the received length does not matter (spec §4.5, [L]). */
	CU_ASSERT_EQUAL(tw_pkt_reflect_len(TW_PKT_TWAMP_OPEN, 27, 14), 41);
	CU_ASSERT_EQUAL(tw_pkt_reflect_len(TW_PKT_TWAMP_OPEN, 27, 60), 41);
	/* STAMP: same length as received (RFC 8762 §4). */
	CU_ASSERT_EQUAL(tw_pkt_reflect_len(TW_PKT_STAMP_OPEN, 999, 44), 44);
	CU_ASSERT_EQUAL(tw_pkt_reflect_len(TW_PKT_STAMP_OPEN, 0, 60), 60);
	CU_ASSERT_EQUAL(tw_pkt_reflect_len(TW_PKT_STAMP_AUTH, 0, 132), 132);
	CU_ASSERT_EQUAL(tw_pkt_reflect_len(TW_PKT_LAYOUT__COUNT, 0, 60), 0);
	/* no wrap with a hostile Padding Length */
	CU_ASSERT(tw_pkt_reflect_len(TW_PKT_TWAMP_OPEN, UINT32_MAX, 14) >= UINT32_MAX);
}

/* Hand-built in-place reflection, open mode P=30 with 30 octets of padding:
 * out = max(14+30, 41) = 44, reflected padding = the first 3 octets. */
static void test_reflect_inplace_exact_bytes(void)
{
	uint8_t buf[64];
	size_t n = tw_unit_hex("00000009 eeb34ecd11223344 0001"
	                       "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
	                       buf, sizeof buf);
	CU_ASSERT_EQUAL_FATAL(n, 44);
	uint8_t *p = dup_exact(buf, n);
	int r = tw_pkt_reflect_inplace(p, n, n, TW_PKT_TWAMP_OPEN, 30, 0x42, 0xeeb34ece00000001ull,
	                               0xeeb34ece00000002ull, 0x8003, 64);
	CU_ASSERT_EQUAL(r, 44);
	uint8_t want[64];
	size_t wn = tw_unit_hex("00000042 eeb34ece00000002 8003 0000 eeb34ece00000001"
	                        "00000009 eeb34ecd11223344 0001 0000 40"
	                        "010203",
	                        want, sizeof want);
	CU_ASSERT_EQUAL(wn, 44);
	TW_ASSERT_BYTES(p, want, wn);
	free(p);

	/* Authenticated, P=70, 118 in: 112 + the first 6 padding octets; the
	 * sender's HMAC field does not survive and the reflector's is zero. */
	uint8_t a[118];
	memset(a, 0, sizeof a);
	tw_put_be32(a, 3);
	tw_put_be64(a + 16, 0x1111111111111111ull);
	tw_put_be16(a + 24, 0x0001);
	memset(a + 32, 0xcc, 16); /* HMAC */
	for (size_t i = 48; i < sizeof a; i++)
		a[i] = (uint8_t)(i - 47);
	p = dup_exact(a, sizeof a);
	r = tw_pkt_reflect_inplace(p, sizeof a, sizeof a, TW_PKT_TWAMP_AUTH, 70, 1, 2, 3, 0x0004,
	                           255);
	CU_ASSERT_EQUAL(r, 118);
	uint8_t aw[118];
	memset(aw, 0, sizeof aw);
	aw[3] = 1;                /* seq */
	aw[23] = 3;               /* T3 @16 */
	aw[25] = 4;               /* errest @24 */
	aw[39] = 2;               /* T2 @32 */
	aw[51] = 3;               /* sender seq @48 */
	memset(aw + 64, 0x11, 8); /* T1 */
	aw[73] = 1;               /* sender errest @72 */
	aw[80] = 255;             /* TTL */
	for (size_t i = 0; i < 6; i++)
		aw[112 + i] = (uint8_t)(i + 1);
	TW_ASSERT_BYTES(p, aw, sizeof aw);
	free(p);
}

/*
 * RFC 9533 §4.2 micro-session IDs (tw_pkt_micro_tab, the RFC's Figures 2-5):
 * the offsets, the smallest Padding Length, and packets in open and
 * authenticated mode against bytes written out by hand from those figures.
 */
static void test_micro(void)
{
	static const struct {
		enum tw_pkt_layout l;
		size_t s_sid, s_rid, r_sid, r_rid;
		uint32_t min_pad;
	} t[] = {
	    {TW_PKT_TWAMP_OPEN, 16, 18, 38, 42, 30},
	    {TW_PKT_TWAMP_AUTH, 28, 30, 28, 30, 0},
	    {TW_PKT_TWAMP_SYM_OPEN, 16, 18, 38, 42, 3},
	    {TW_PKT_TWAMP_SYM_AUTH, 28, 30, 28, 30, 0},
	    {TW_PKT_STAMP_OPEN, 0, 0, 0, 0, UINT32_MAX},
	    {TW_PKT_STAMP_AUTH, 0, 0, 0, 0, UINT32_MAX},
	    {(enum tw_pkt_layout)99, 0, 0, 0, 0, UINT32_MAX},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		CU_ASSERT_EQUAL(tw_pkt_micro_off(t[i].l, false), t[i].s_sid);
		CU_ASSERT_EQUAL(tw_pkt_micro_roff(t[i].l, false), t[i].s_rid);
		CU_ASSERT_EQUAL(tw_pkt_micro_off(t[i].l, true), t[i].r_sid);
		CU_ASSERT_EQUAL(tw_pkt_micro_roff(t[i].l, true), t[i].r_rid);
		CU_ASSERT_EQUAL(tw_pkt_micro_min_pad(t[i].l), t[i].min_pad);
		if (t[i].min_pad == UINT32_MAX)
			continue;
		/* with the smallest padding both packets hold the IDs, with one
		 * octet less one of them does not */
		size_t sb = tw_pkt_sender_base(t[i].l);
		size_t slen = sb + t[i].min_pad;
		size_t rlen = tw_pkt_reflect_len(t[i].l, t[i].min_pad, slen);
		size_t se = tw_pkt_micro_end(t[i].l, false), re = tw_pkt_micro_end(t[i].l, true);
		CU_ASSERT(slen >= se && rlen >= re);
		if (t[i].min_pad) {
			size_t rl1 = tw_pkt_reflect_len(t[i].l, t[i].min_pad - 1, slen - 1);
			CU_ASSERT(slen - 1 < se || rl1 < re);
		}
	}
	/* Mode 4 encrypts and HMACs both pairs; mode 2 covers neither
	 * (octets 0..15 only, spec §3.6). */
	struct tw_pkt_region e4s = tw_pkt_region(TW_PKT_TWAMP_AUTH, false, TW_PKT_PROT_ENC);
	struct tw_pkt_region e4r = tw_pkt_region(TW_PKT_TWAMP_AUTH, true, TW_PKT_PROT_ENC);
	struct tw_pkt_region a2s = tw_pkt_region(TW_PKT_TWAMP_AUTH, false, TW_PKT_PROT_AUTH);
	CU_ASSERT(e4s.enc_len >= 28 + 4 && e4s.hmac_cover >= 28 + 4);
	CU_ASSERT(e4r.enc_len >= 28 + 4 && e4r.hmac_cover >= 28 + 4 && e4r.hmac_off >= 28 + 4);
	CU_ASSERT(a2s.enc_len <= 28);

	/* Open sender packet, P = 34 (48 octets): Sender ID 3, Reflector ID 0
	 * (not known yet) at 16..19, after Error Estimate and 2 MBZ octets. */
	uint8_t s[64];
	memset(s, 0, sizeof s);
	for (size_t i = 20; i < 48; i++)
		s[i] = (uint8_t)i; /* padding */
	struct tw_pkt_sender ps = {.seq = 9, .ts = 0xeeb34ecd11223344ull, .errest = 0x0001};
	CU_ASSERT_EQUAL_FATAL(tw_pkt_sender_encode(TW_PKT_TWAMP_OPEN, &ps, s, 48), 14);
	CU_ASSERT_TRUE(tw_pkt_micro_put(s, 48, TW_PKT_TWAMP_OPEN, false, 3, 0));
	uint8_t want[112];
	size_t wn = tw_unit_hex("00000009 eeb34ecd11223344 0001 0000 0003 0000"
	                        "1415161718191a1b1c1d1e1f2021222324252627"
	                        "28292a2b2c2d2e2f",
	                        want, sizeof want);
	CU_ASSERT_EQUAL_FATAL(wn, 48);
	TW_ASSERT_BYTES(s, want, wn);
	uint16_t sid = 0, rid = 0xffff;
	CU_ASSERT_TRUE(tw_pkt_micro_get(s, 48, TW_PKT_TWAMP_OPEN, false, &sid, &rid));
	CU_ASSERT_EQUAL(sid, 3);
	CU_ASSERT_EQUAL(rid, 0);
	/* the reflector of member link 9 accepts it (0 = any), reflects it and
	 * writes 3 at 38 (Sender ID, before Sender TTL at 40) and 9 at 42
	 * (Reflector ID, after the MBZ octet 41) of the 48-octet reply
	 * (RFC 9533 Figure 4) */
	CU_ASSERT_TRUE(tw_pkt_micro_refl_accept(rid, 9));
	int r = tw_pkt_reflect_inplace(s, 48, sizeof s, TW_PKT_TWAMP_OPEN, 34, 0x42,
	                               0xeeb34ece00000001ull, 0xeeb34ece00000002ull, 0x8003, 64);
	CU_ASSERT_EQUAL_FATAL(r, 48);
	CU_ASSERT_TRUE(tw_pkt_micro_put(s, (size_t)r, TW_PKT_TWAMP_OPEN, true, sid, 9));
	wn = tw_unit_hex("00000042 eeb34ece00000002 8003 0000 eeb34ece00000001"
	                 "00000009 eeb34ecd11223344 0001 0003 40 00 0009"
	                 "03000014", /* padding: the sender's from octet 17 on (spec §4.5) */
	                 want, sizeof want);
	CU_ASSERT_EQUAL_FATAL(wn, 48);
	TW_ASSERT_BYTES(s, want, wn);
	CU_ASSERT_TRUE(tw_pkt_micro_get(s, 48, TW_PKT_TWAMP_OPEN, true, &sid, &rid));
	CU_ASSERT_EQUAL(sid, 3);
	CU_ASSERT_EQUAL(rid, 9);
	/* With RFC 7750 as well: its octet is 41, RFC 9533's MBZ there; its
	 * row's MBZ (42..43, RFC 7750 Figure 2) is RFC 9533's Reflector ID.
	 * The reflector writes the octet first and the IDs after
	 * (fp_reflector.c), so both hold. */
	CU_ASSERT_TRUE(tw_pkt_set_dscp_ecn(s, 48, TW_PKT_TWAMP_OPEN, 0x8b));
	CU_ASSERT_TRUE(tw_pkt_micro_put(s, 48, TW_PKT_TWAMP_OPEN, true, 3, 9));
	CU_ASSERT_TRUE(tw_pkt_micro_get(s, 48, TW_PKT_TWAMP_OPEN, true, &sid, &rid));
	CU_ASSERT_EQUAL(sid, 3);
	CU_ASSERT_EQUAL(rid, 9);
	CU_ASSERT_EQUAL(s[41], 0x8b);
	/* a 43-octet reply cannot hold them: nothing read or written */
	CU_ASSERT_FALSE(tw_pkt_micro_get(s, 43, TW_PKT_TWAMP_OPEN, true, &sid, &rid));
	CU_ASSERT_FALSE(tw_pkt_micro_put(s, 43, TW_PKT_TWAMP_OPEN, true, 1, 1));
	CU_ASSERT_FALSE(tw_pkt_micro_put(s, 48, TW_PKT_STAMP_OPEN, true, 1, 1));

	/* Authenticated sender (48 octets): IDs 0x0102 / 0x0304 at 28..31,
	 * HMAC field at 32 untouched. */
	uint8_t as[48];
	struct tw_pkt_sender aps = {.seq = 1, .ts = 0x1111111111111111ull, .errest = 0x0001};
	CU_ASSERT_EQUAL_FATAL(tw_pkt_sender_encode(TW_PKT_TWAMP_AUTH, &aps, as, sizeof as), 48);
	CU_ASSERT_TRUE(tw_pkt_micro_put(as, sizeof as, TW_PKT_TWAMP_AUTH, false, 0x0102, 0x0304));
	wn = tw_unit_hex("00000001 000000000000000000000000 1111111111111111 0001 0000"
	                 "0102 0304 00000000000000000000000000000000",
	                 want, sizeof want);
	CU_ASSERT_EQUAL_FATAL(wn, 48);
	TW_ASSERT_BYTES(as, want, wn);
	/* Authenticated reflector (112 octets): 28..31, the MBZ after Error
	 * Estimate, before Receive Timestamp (RFC 9533 Figure 5) */
	uint8_t a[112];
	struct tw_pkt_reflector rr = {.seq = 1, .t3 = 3, .errest = 4, .t2 = 2, .sender_seq = 3,
	                              .t1 = 0x1111111111111111ull, .sender_errest = 1,
	                              .sender_ttl = 255};
	CU_ASSERT_EQUAL_FATAL(tw_pkt_reflector_encode(TW_PKT_TWAMP_AUTH, &rr, a, sizeof a), 112);
	CU_ASSERT_TRUE(tw_pkt_micro_put(a, sizeof a, TW_PKT_TWAMP_AUTH, true, 0x0102, 0x0009));
	uint8_t aw[112];
	memset(aw, 0, sizeof aw);
	aw[3] = 1;
	aw[23] = 3;
	aw[25] = 4;
	aw[39] = 2;
	aw[51] = 3;
	memset(aw + 64, 0x11, 8);
	aw[73] = 1;
	aw[80] = 255;
	aw[28] = 0x01, aw[29] = 0x02, aw[30] = 0x00, aw[31] = 0x09;
	TW_ASSERT_BYTES(a, aw, sizeof aw);

	/* The drop cases (RFC 9533 §4.2). Reflector: 0 or our link. */
	CU_ASSERT_TRUE(tw_pkt_micro_refl_accept(0, 7));
	CU_ASSERT_TRUE(tw_pkt_micro_refl_accept(7, 7));
	CU_ASSERT_FALSE(tw_pkt_micro_refl_accept(8, 7));
	/* Sender: micro-sessions 3:any and 4:7 */
	static const uint16_t sids[] = {3, 4}, rids[] = {0, 7};
	unsigned idx = 99;
	CU_ASSERT_EQUAL(tw_pkt_micro_match(sids, rids, 2, 3, 12, &idx), TW_PKT_MICRO_OK);
	CU_ASSERT_EQUAL(idx, 0);
	CU_ASSERT_EQUAL(tw_pkt_micro_match(sids, rids, 2, 4, 7, &idx), TW_PKT_MICRO_OK);
	CU_ASSERT_EQUAL(idx, 1);
	CU_ASSERT_EQUAL(tw_pkt_micro_match(sids, rids, 2, 4, 8, &idx), TW_PKT_MICRO_WRONG_REF);
	CU_ASSERT_EQUAL(idx, 1);
	CU_ASSERT_EQUAL(tw_pkt_micro_match(sids, rids, 2, 5, 7, &idx), TW_PKT_MICRO_UNKNOWN);
	CU_ASSERT_EQUAL(tw_pkt_micro_match(sids, rids, 0, 3, 7, &idx), TW_PKT_MICRO_UNKNOWN);
	/* One member link testing two of the reflector's: 1:7, 2:8, 1:8 (the
	 * pair decides, whatever the order) */
	static const uint16_t s3[] = {1, 2, 1}, r3[] = {7, 8, 8};
	CU_ASSERT_EQUAL(tw_pkt_micro_match(s3, r3, 3, 1, 7, &idx), TW_PKT_MICRO_OK);
	CU_ASSERT_EQUAL(idx, 0);
	CU_ASSERT_EQUAL(tw_pkt_micro_match(s3, r3, 3, 1, 8, &idx), TW_PKT_MICRO_OK);
	CU_ASSERT_EQUAL(idx, 2);
	CU_ASSERT_EQUAL(tw_pkt_micro_match(s3, r3, 3, 2, 8, &idx), TW_PKT_MICRO_OK);
	CU_ASSERT_EQUAL(idx, 1);
	CU_ASSERT_EQUAL(tw_pkt_micro_match(s3, r3, 3, 1, 9, &idx), TW_PKT_MICRO_WRONG_REF);
	CU_ASSERT_EQUAL(idx, 0);
	CU_ASSERT_EQUAL(tw_pkt_micro_match(s3, r3, 3, 2, 7, &idx), TW_PKT_MICRO_WRONG_REF);
	CU_ASSERT_EQUAL(idx, 1);
	/* pairs: unique, and S with R = 0 alone */
	CU_ASSERT_TRUE(tw_pkt_micro_pairs_ok(s3, r3, 2, 1, 8));
	CU_ASSERT_FALSE(tw_pkt_micro_pairs_ok(s3, r3, 3, 1, 8));
	CU_ASSERT_FALSE(tw_pkt_micro_pairs_ok(s3, r3, 3, 1, 0));
	CU_ASSERT_FALSE(tw_pkt_micro_pairs_ok(sids, rids, 2, 3, 5));
	CU_ASSERT_TRUE(tw_pkt_micro_pairs_ok(sids, rids, 2, 5, 0));
	CU_ASSERT_TRUE(tw_pkt_micro_pairs_ok(s3, r3, 0, 1, 0));
}

/* RFC 7750 §3: the Sender DSCP and ECN octet follows Sender TTL; bytes
 * computed by hand from the figures, per layout. */
static void test_dscp_ecn(void)
{
	/* offsets and the padding a sender needs for the whole row */
	CU_ASSERT_EQUAL(tw_pkt_dscp_ecn_off(TW_PKT_TWAMP_OPEN), 41);
	CU_ASSERT_EQUAL(tw_pkt_dscp_ecn_off(TW_PKT_TWAMP_SYM_OPEN), 41);
	CU_ASSERT_EQUAL(tw_pkt_dscp_ecn_off(TW_PKT_TWAMP_AUTH), 81);
	CU_ASSERT_EQUAL(tw_pkt_dscp_ecn_off(TW_PKT_TWAMP_SYM_AUTH), 81);
	CU_ASSERT_EQUAL(tw_pkt_dscp_ecn_off(TW_PKT_STAMP_OPEN), 0);
	CU_ASSERT_EQUAL(tw_pkt_dscp_ecn_off(TW_PKT_STAMP_AUTH), 0);
	CU_ASSERT_EQUAL(tw_pkt_dscp_ecn_off((enum tw_pkt_layout)99), 0);
	CU_ASSERT_EQUAL(tw_pkt_dscp_ecn_min_pad(TW_PKT_TWAMP_OPEN), 30);
	CU_ASSERT_EQUAL(tw_pkt_dscp_ecn_min_pad(TW_PKT_TWAMP_SYM_OPEN), 3);
	CU_ASSERT_EQUAL(tw_pkt_dscp_ecn_min_pad(TW_PKT_TWAMP_AUTH), 0);
	CU_ASSERT_EQUAL(tw_pkt_dscp_ecn_min_pad(TW_PKT_TWAMP_SYM_AUTH), 0);
	CU_ASSERT_EQUAL(tw_pkt_dscp_ecn_min_pad(TW_PKT_STAMP_OPEN), 0);
	CU_ASSERT_EQUAL(tw_pkt_reflect_len(TW_PKT_TWAMP_OPEN, 30, 44), 44);
	/* Where the octet meets RFC 6038's reflected padding (refused then):
	 * open/mixed, Symmetrical Size or not (41 = reflector base); not in
	 * the authenticated layouts (81 < 112), not in STAMP (no octet). */
	CU_ASSERT_TRUE(tw_pkt_dscp_ecn_in_padding(TW_PKT_TWAMP_OPEN));
	CU_ASSERT_TRUE(tw_pkt_dscp_ecn_in_padding(TW_PKT_TWAMP_SYM_OPEN));
	CU_ASSERT_FALSE(tw_pkt_dscp_ecn_in_padding(TW_PKT_TWAMP_AUTH));
	CU_ASSERT_FALSE(tw_pkt_dscp_ecn_in_padding(TW_PKT_TWAMP_SYM_AUTH));
	CU_ASSERT_FALSE(tw_pkt_dscp_ecn_in_padding(TW_PKT_STAMP_OPEN));
	CU_ASSERT_FALSE(tw_pkt_dscp_ecn_in_padding(TW_PKT_STAMP_AUTH));

	/* Open, P=30: AF41 (34) + CE received = 0x8b at 41, after TTL 0x40,
	 * then MBZ at 42..43 (RFC 7750 Figure 2).  The sender's first padding
	 * octets (01 02 03), which RFC 6038 would have reflected there, are
	 * gone: why the pair is refused. */
	uint8_t buf[64];
	size_t n = tw_unit_hex("00000009 eeb34ecd11223344 0001"
	                       "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
	                       buf, sizeof buf);
	CU_ASSERT_EQUAL_FATAL(n, 44);
	int r = tw_pkt_reflect_inplace(buf, n, sizeof buf, TW_PKT_TWAMP_OPEN, 30, 0x42,
	                               0xeeb34ece00000001ull, 0xeeb34ece00000002ull, 0x8003, 64);
	CU_ASSERT_EQUAL_FATAL(r, 44);
	CU_ASSERT_TRUE(tw_pkt_set_dscp_ecn(buf, (size_t)r, TW_PKT_TWAMP_OPEN, 34 << 2 | 3));
	uint8_t want[64];
	size_t wn = tw_unit_hex("00000042 eeb34ece00000002 8003 0000 eeb34ece00000001"
	                        "00000009 eeb34ecd11223344 0001 0000 40"
	                        "8b0000",
	                        want, sizeof want);
	CU_ASSERT_EQUAL(wn, 44);
	TW_ASSERT_BYTES(buf, want, wn);
	uint8_t tos = 0;
	CU_ASSERT_TRUE(tw_pkt_get_dscp_ecn(buf, 44, TW_PKT_TWAMP_OPEN, &tos));
	CU_ASSERT_EQUAL(tos, 0x8b);
	/* a 41-octet open reply has no room: nothing written, nothing read */
	uint8_t guard[42];
	memset(guard, 0xee, sizeof guard);
	CU_ASSERT_FALSE(tw_pkt_set_dscp_ecn(guard, 41, TW_PKT_TWAMP_OPEN, 0x8b));
	CU_ASSERT_EQUAL(guard[41], 0xee);
	CU_ASSERT_FALSE(tw_pkt_get_dscp_ecn(guard, 41, TW_PKT_TWAMP_OPEN, &tos));
	CU_ASSERT_TRUE(tw_pkt_set_dscp_ecn(guard, 42, TW_PKT_TWAMP_OPEN, 0x01));
	CU_ASSERT_EQUAL(guard[41], 0x01);
	/* STAMP has no such field (RFC 8972 §4.4 CoS TLV instead) */
	CU_ASSERT_FALSE(tw_pkt_set_dscp_ecn(buf, 44, TW_PKT_STAMP_OPEN, 0x8b));

	/* Authenticated/encrypted (and Symmetrical Size auth), 112 octets:
	 * EF (46) + ECT(0) = 0xba at 81, inside the MBZ after TTL @80. */
	static const enum tw_pkt_layout al[] = {TW_PKT_TWAMP_AUTH, TW_PKT_TWAMP_SYM_AUTH};
	for (size_t k = 0; k < 2; k++) {
		uint8_t a[112];
		struct tw_pkt_reflector rr = {.seq = 1, .t3 = 3, .errest = 4, .t2 = 2,
		                              .sender_seq = 3, .t1 = 0x1111111111111111ull,
		                              .sender_errest = 1, .sender_ttl = 255};
		CU_ASSERT_EQUAL_FATAL(tw_pkt_reflector_encode(al[k], &rr, a, sizeof a), 112);
		CU_ASSERT_TRUE(tw_pkt_set_dscp_ecn(a, sizeof a, al[k], 46 << 2 | 2));
		uint8_t aw[112];
		memset(aw, 0, sizeof aw);
		aw[3] = 1;
		aw[23] = 3;
		aw[25] = 4;
		aw[39] = 2;
		aw[51] = 3;
		memset(aw + 64, 0x11, 8);
		aw[73] = 1;
		aw[80] = 255;
		aw[81] = 0xba;
		TW_ASSERT_BYTES(a, aw, sizeof aw);
	}
	/* Symmetrical Size open, P=3: 44 octets, the field at 41 */
	uint8_t so[44];
	memset(so, 0, sizeof so);
	CU_ASSERT_EQUAL(tw_pkt_reflect_len(TW_PKT_TWAMP_SYM_OPEN, 3, 44), 44);
	CU_ASSERT_TRUE(tw_pkt_set_dscp_ecn(so, sizeof so, TW_PKT_TWAMP_SYM_OPEN, 0xff));
	CU_ASSERT_EQUAL(so[41], 0xff);
	CU_ASSERT_EQUAL(so[40], 0);
	CU_ASSERT_EQUAL(so[42], 0);
}

/* Table-driven in-place reflection for every layout and padding situation. */
static void test_reflect_inplace_table(void)
{
	static const struct {
		enum tw_pkt_layout l;
		uint32_t pad;
		size_t rx, out;
		bool stateless;
	} t[] = {
	    {TW_PKT_TWAMP_OPEN, 0, 14, 41, false},
	    {TW_PKT_TWAMP_OPEN, 27, 41, 41, true},
	    {TW_PKT_TWAMP_OPEN, 100, 114, 114, false},
	    {TW_PKT_TWAMP_OPEN, 100, 14, 114, false}, /* padding never sent: zeros */
	    {TW_PKT_TWAMP_OPEN, 100, 50, 114, false}, /* partly sent */
	    {TW_PKT_TWAMP_OPEN, 27, 60, 41, false},   /* longer than announced */
	    {TW_PKT_TWAMP_AUTH, 0, 48, 112, false},
	    {TW_PKT_TWAMP_AUTH, 64, 112, 112, true},
	    {TW_PKT_TWAMP_AUTH, 200, 248, 248, false},
	    {TW_PKT_TWAMP_AUTH, 100, 60, 148, false},
	    {TW_PKT_TWAMP_SYM_OPEN, 0, 41, 41, false},
	    {TW_PKT_TWAMP_SYM_OPEN, 10, 51, 51, false},
	    {TW_PKT_TWAMP_SYM_OPEN, 10, 45, 51, false},
	    {TW_PKT_TWAMP_SYM_AUTH, 20, 132, 132, false},
	    {TW_PKT_STAMP_OPEN, 0, 44, 44, true},
	    {TW_PKT_STAMP_OPEN, 0, 60, 60, true},
	    {TW_PKT_STAMP_AUTH, 0, 112, 112, true},
	    {TW_PKT_STAMP_AUTH, 0, 140, 140, false},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const struct lit *L = lit_of(t[i].l);
		size_t cap = t[i].rx > t[i].out ? t[i].rx : t[i].out;
		uint8_t *p = malloc(cap);
		uint8_t *w = calloc(1, cap);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_PTR_NOT_NULL_FATAL(w);
		memset(p, 0x77, cap); /* stale contents */
		/* sender packet: MBZ filled with junk, which must be ignored */
		memset(p, 0xdd, L->s_base);
		tw_put_be32(p, 0x10000000u + (uint32_t)i);
		tw_put_be64(p + L->s_ts, 0xeeb34ecd00000000ull + i);
		tw_put_be16(p + L->s_err, 0x0001);
		if (L->s_ssid)
			tw_put_be16(p + L->s_ssid, 0x5000 + (uint16_t)i);
		for (size_t k = L->s_base; k < t[i].rx; k++)
			p[k] = (uint8_t)(0x80 + k);

		/* expected reflector packet */
		uint32_t seq = t[i].stateless ? 0x10000000u + (uint32_t)i : 77;
		tw_put_be32(w, seq);
		tw_put_be64(w + L->r_t3, 0x3333333333333333ull);
		tw_put_be16(w + L->r_err, 0x8002);
		if (L->r_ssid)
			tw_put_be16(w + L->r_ssid, 0x5000 + (uint16_t)i);
		tw_put_be64(w + L->r_t2, 0x2222222222222222ull);
		tw_put_be32(w + L->r_sseq, 0x10000000u + (uint32_t)i);
		tw_put_be64(w + L->r_t1, 0xeeb34ecd00000000ull + i);
		tw_put_be16(w + L->r_serr, 0x0001);
		w[L->r_ttl] = 61;
		for (size_t k = L->r_base; k < t[i].out; k++) {
			size_t src = L->s_base + (k - L->r_base);
			w[k] = src < t[i].rx ? (uint8_t)(0x80 + src) : 0;
		}

		uint32_t rseq = t[i].stateless ? tw_pkt_peek_seq(p) : 77;
		if (L->s_ssid)
			CU_ASSERT_EQUAL(tw_pkt_peek_ssid(p, t[i].l), 0x5000 + i);
		int r = tw_pkt_reflect_inplace(p, t[i].rx, cap, t[i].l, t[i].pad, rseq,
		                               0x2222222222222222ull, 0x3333333333333333ull, 0x8002,
		                               61);
		CU_ASSERT_EQUAL(r, (int)t[i].out);
		if (r == (int)t[i].out)
			TW_ASSERT_BYTES(p, w, t[i].out);
		/* and it decodes as what we meant */
		struct tw_pkt_reflector d;
		CU_ASSERT_EQUAL(tw_pkt_reflector_decode(t[i].l, p, t[i].out, &d), TW_OK);
		CU_ASSERT_EQUAL(d.sender_seq, 0x10000000u + i);
		CU_ASSERT_EQUAL(d.seq, seq);
		free(p);
		free(w);
	}
}

/* Error paths leave the buffer untouched. */
static void test_reflect_inplace_errors(void)
{
	for (size_t i = 0; i < N_LAYOUTS; i++) {
		const struct lit *L = lit_of(all_layouts[i]);
		uint8_t ref[256], buf[256];
		for (size_t k = 0; k < sizeof ref; k++)
			ref[k] = (uint8_t)(k ^ 0x5a);
		for (size_t rx = 0; rx < L->s_base; rx++) {
			memcpy(buf, ref, sizeof buf);
			CU_ASSERT_EQUAL(
			    tw_pkt_reflect_inplace(buf, rx, sizeof buf, L->l, 0, 1, 2, 3, 1, 64),
			    -TW_E_TRUNCATED);
			TW_ASSERT_BYTES(buf, ref, sizeof buf);
		}
		/* reflected packet one octet larger than the buffer (for STAMP,
		 * whose size never changes, that is rx_len > cap: a caller bug) */
		size_t out = tw_pkt_reflect_len(L->l, 60, L->s_base);
		memcpy(buf, ref, sizeof buf);
		CU_ASSERT_EQUAL(
		    tw_pkt_reflect_inplace(buf, L->s_base, out - 1, L->l, 60, 1, 2, 3, 1, 64),
		    tw_pkt_is_stamp(L->l) ? -TW_E_ARG : -TW_E_NOSPACE);
		TW_ASSERT_BYTES(buf, ref, sizeof buf);
		memcpy(buf, ref, sizeof buf);
		/* rx_len beyond the capacity is a caller bug */
		CU_ASSERT_EQUAL(tw_pkt_reflect_inplace(buf, 200, 199, L->l, 0, 1, 2, 3, 1, 64),
		                -TW_E_ARG);
		/* hostile Padding Length */
		if (!tw_pkt_is_stamp(L->l))
			CU_ASSERT_EQUAL(tw_pkt_reflect_inplace(buf, L->s_base, sizeof buf, L->l,
			                                       UINT32_MAX, 1, 2, 3, 1, 64),
			                -TW_E_NOSPACE);
		TW_ASSERT_BYTES(buf, ref, sizeof buf);
	}
	uint8_t b[64] = {0};
	CU_ASSERT_EQUAL(tw_pkt_reflect_inplace(b, 44, 64, TW_PKT_LAYOUT__COUNT, 0, 1, 2, 3, 1, 64),
	                -TW_E_ARG);
}

/* Writing T3 late gives the same packet as writing it in the reflect call. */
static void test_set_t3(void)
{
	for (size_t i = 0; i < N_LAYOUTS; i++) {
		const struct lit *L = lit_of(all_layouts[i]);
		uint8_t a[200], b[200];
		struct tw_pkt_sender s = {9, 0x0102030405060708ull, 1, 7};
		CU_ASSERT_EQUAL(tw_pkt_sender_encode(L->l, &s, a, sizeof a), (int)L->s_base);
		memcpy(b, a, sizeof a);
		int ra = tw_pkt_reflect_inplace(a, L->s_base, sizeof a, L->l, 8, 1, 2,
		                                0xfedcba9876543210ull, 0x8005, 9);
		int rb = tw_pkt_reflect_inplace(b, L->s_base, sizeof b, L->l, 8, 1, 2, 0, 0, 9);
		CU_ASSERT_EQUAL(ra, rb);
		CU_ASSERT(ra > 0);
		tw_pkt_set_t3(b, L->l, 0xfedcba9876543210ull, 0x8005);
		TW_ASSERT_BYTES(b, a, (size_t)ra);
		CU_ASSERT_EQUAL(tw_be64(b + L->r_t3), 0xfedcba9876543210ull);
		CU_ASSERT_EQUAL(tw_be16(b + L->r_err), 0x8005);
	}
}

/* Every length below the base is TW_E_TRUNCATED; encoders need the base. */
static void test_truncation(void)
{
	uint8_t full[TW_PKT_BASE_MAX];
	for (size_t k = 0; k < sizeof full; k++)
		full[k] = (uint8_t)(k + 1);
	for (size_t i = 0; i < N_LAYOUTS; i++) {
		const struct lit *L = lit_of(all_layouts[i]);
		struct tw_pkt_sender s;
		struct tw_pkt_reflector r;
		for (size_t len = 0; len <= L->s_base; len++) {
			uint8_t *p = dup_exact(full, len);
			CU_ASSERT_EQUAL(tw_pkt_sender_decode(L->l, p, len, &s),
			                len < L->s_base ? TW_E_TRUNCATED : TW_OK);
			free(p);
		}
		for (size_t len = 0; len <= L->r_base; len++) {
			uint8_t *p = dup_exact(full, len);
			CU_ASSERT_EQUAL(tw_pkt_reflector_decode(L->l, p, len, &r),
			                len < L->r_base ? TW_E_TRUNCATED : TW_OK);
			free(p);
		}
		memset(&s, 0, sizeof s);
		memset(&r, 0, sizeof r);
		for (size_t cap = 0; cap < L->s_base; cap++) {
			uint8_t *p = dup_exact(full, cap);
			CU_ASSERT_EQUAL(tw_pkt_sender_encode(L->l, &s, p, cap), -TW_E_NOSPACE);
			TW_ASSERT_BYTES(p, full, cap);
			free(p);
		}
		for (size_t cap = 0; cap < L->r_base; cap++) {
			uint8_t *p = dup_exact(full, cap);
			CU_ASSERT_EQUAL(tw_pkt_reflector_encode(L->l, &r, p, cap), -TW_E_NOSPACE);
			TW_ASSERT_BYTES(p, full, cap);
			free(p);
		}
	}
	struct tw_pkt_sender s;
	CU_ASSERT_EQUAL(tw_pkt_sender_decode(TW_PKT_LAYOUT__COUNT, full, sizeof full, &s),
	                TW_E_ARG);
	CU_ASSERT_EQUAL(tw_pkt_sender_encode(TW_PKT_LAYOUT__COUNT, &s, full, sizeof full),
	                -TW_E_ARG);
}

static void test_errest(void)
{
	static const struct {
		uint16_t e;
		enum tw_err want;
	} t[] = {
	    {0x0000, TW_E_ERREST}, {0x0001, TW_OK},       {0x3fff, TW_OK}, {0x3f00, TW_E_ERREST},
	    {0x8000, TW_E_ERREST}, {0xff00, TW_E_ERREST}, {0x4001, TW_OK}, {0x80ff, TW_OK},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		CU_ASSERT_EQUAL(tw_pkt_errest_check(t[i].e), t[i].want);
		struct tw_pkt_sender s = {0, 0, t[i].e, 0};
		CU_ASSERT_EQUAL(tw_pkt_sender_check(&s), t[i].want);
		struct tw_pkt_reflector r = {.errest = 1, .sender_errest = t[i].e};
		CU_ASSERT_EQUAL(tw_pkt_reflector_check(&r), t[i].want);
		r.errest = t[i].e;
		r.sender_errest = 1;
		CU_ASSERT_EQUAL(tw_pkt_reflector_check(&r), t[i].want);
	}
	/* Decoding and reflecting are not blocked by a zero multiplier. */
	uint8_t p[41] = {0};
	tw_put_be16(p + 12, 0x3f00);
	struct tw_pkt_sender s;
	CU_ASSERT_EQUAL(tw_pkt_sender_decode(TW_PKT_TWAMP_OPEN, p, 14, &s), TW_OK);
	CU_ASSERT_EQUAL(tw_pkt_sender_check(&s), TW_E_ERREST);
	CU_ASSERT_EQUAL(
	    tw_pkt_reflect_inplace(p, 14, sizeof p, TW_PKT_TWAMP_OPEN, 0, 0, 1, 2, 1, 64), 41);
	struct tw_pkt_reflector r;
	CU_ASSERT_EQUAL(tw_pkt_reflector_decode(TW_PKT_TWAMP_OPEN, p, 41, &r), TW_OK);
	CU_ASSERT_EQUAL(r.sender_errest, 0x3f00);
	CU_ASSERT_EQUAL(tw_pkt_reflector_check(&r), TW_E_ERREST);
}

/*
 * Wire ref §11b.7: a nokia/twampy Light responder reply, written out by hand
 * from its layout: reflector seq 7, T3, Error Estimate 0x0001, MBZ, T2, then
 * the first 14 octets of our sender packet (seq 5, T1, 0x3fff) and no Sender
 * TTL.  38 octets, 3 short of RFC 5357 §4.2.1's 41.
 */
static void test_reflector_liberal(void)
{
	static const char twampy38[] = "00000007 eb0b8a6f 40000000 0001 0000"
	                               "eb0b8a6f 3ff00000"
	                               "00000005 eb0b8a6f 3fe00000 3fff";
	uint8_t p[64];
	size_t n = tw_unit_hex(twampy38, p, sizeof p);
	CU_ASSERT_EQUAL(n, 38);
	struct tw_pkt_reflector r;
	size_t short_by = 99;
	CU_ASSERT_EQUAL(tw_pkt_reflector_decode(TW_PKT_TWAMP_OPEN, p, n, &r), TW_E_TRUNCATED);
	CU_ASSERT_EQUAL(tw_pkt_reflector_echo_len(TW_PKT_TWAMP_OPEN), 38);
	CU_ASSERT_EQUAL(tw_pkt_reflector_decode_liberal(TW_PKT_TWAMP_OPEN, p, n, &r, &short_by),
	                TW_OK);
	CU_ASSERT_EQUAL(short_by, 3);
	CU_ASSERT_EQUAL(r.seq, 7);
	CU_ASSERT_EQUAL(r.t3, UINT64_C(0xeb0b8a6f40000000));
	CU_ASSERT_EQUAL(r.errest, 1);
	CU_ASSERT_EQUAL(r.t2, UINT64_C(0xeb0b8a6f3ff00000));
	CU_ASSERT_EQUAL(r.sender_seq, 5);
	CU_ASSERT_EQUAL(r.t1, UINT64_C(0xeb0b8a6f3fe00000));
	CU_ASSERT_EQUAL(r.sender_errest, 0x3fff);
	CU_ASSERT_EQUAL(r.sender_ttl, 0); /* hop count unknown */
	CU_ASSERT_EQUAL(tw_pkt_reflector_check(&r), TW_OK);

	/* One octet less loses the Error Estimate: refused.  With the MBZ
	 * octets (40) it is accepted; with the TTL (41) it is a normal reply. */
	static const struct {
		enum tw_pkt_layout l;
		size_t len, short_by;
		enum tw_err want;
	} t[] = {
	    {TW_PKT_TWAMP_OPEN, 37, 0, TW_E_TRUNCATED},
	    {TW_PKT_TWAMP_OPEN, 38, 3, TW_OK},
	    {TW_PKT_TWAMP_OPEN, 40, 1, TW_OK},
	    {TW_PKT_TWAMP_OPEN, 41, 0, TW_OK},
	    {TW_PKT_TWAMP_SYM_OPEN, 38, 3, TW_OK},
	    {TW_PKT_STAMP_OPEN, 38, 6, TW_OK},
	    /* An authenticated reply below its base cannot be verified. */
	    {TW_PKT_TWAMP_AUTH, 111, 0, TW_E_TRUNCATED},
	    {TW_PKT_STAMP_AUTH, 96, 0, TW_E_TRUNCATED},
	    {TW_PKT_TWAMP_AUTH, 112, 0, TW_OK},
	    {TW_PKT_LAYOUT__COUNT, 64, 0, TW_E_ARG},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint8_t b[112];
		memset(b, 0, sizeof b);
		memcpy(b, p, n);
		b[40] = 200; /* a Sender TTL, seen only if the reply reaches it */
		short_by = 99;
		CU_ASSERT_EQUAL(tw_pkt_reflector_decode_liberal(t[i].l, b, t[i].len, &r, &short_by),
		                t[i].want);
		CU_ASSERT_EQUAL(short_by, t[i].short_by);
		if (t[i].want == TW_OK && t[i].l == TW_PKT_TWAMP_OPEN) {
			CU_ASSERT_EQUAL(r.sender_ttl, t[i].len > 40 ? 200 : 0);
			CU_ASSERT_EQUAL(r.t1, UINT64_C(0xeb0b8a6f3fe00000));
		}
	}
}

/* RFC 8972 §4.4 Class of Service, bytes worked out by hand:
 * DSCP1 46 = 101110, DSCP2 10 = 001010, ECN 01, RP 00
 *   -> 1011 1000 1010 0100 = b8 a4. */
static void test_tlv_cos(void)
{
	static const struct {
		const char *in;
		uint8_t tos;
		const char *out;
		uint8_t dscp1;
	} t[] = {
	    {"b8000000", 10 << 2 | 1, "b8a40000", 46},
	    /* RP from the sender cleared, Reserved echoed as received */
	    {"b803c001", 10 << 2 | 1, "b8a4c001", 46},
	    {"00000000", 0xff, "03fc0000", 0}, /* DSCP2 63, ECN 3 (CE) */
	    {"fc000000", 0, "fc000000", 63},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint8_t v[4], want[4];
		CU_ASSERT_EQUAL(tw_unit_hex(t[i].in, v, sizeof v), 4);
		CU_ASSERT_EQUAL(tw_unit_hex(t[i].out, want, sizeof want), 4);
		CU_ASSERT_EQUAL(tw_pkt_cos_reflect(v, t[i].tos), t[i].dscp1);
		TW_ASSERT_BYTES(v, want, 4);
	}
	uint8_t v[4] = {0xb8, 0xa6, 0, 0};
	struct tw_pkt_cos c = tw_pkt_cos_get(v);
	CU_ASSERT_EQUAL(c.dscp1, 46);
	CU_ASSERT_EQUAL(c.dscp2, 10);
	CU_ASSERT_EQUAL(c.ecn, 1);
	CU_ASSERT_EQUAL(c.rp, 2);
	uint8_t w[4] = {0, 0, 0x12, 0x34};
	tw_pkt_cos_put(w, &c);
	CU_ASSERT_EQUAL(w[0], 0xb8);
	CU_ASSERT_EQUAL(w[1], 0xa6);
	CU_ASSERT_EQUAL(w[2], 0x12);
}

static void test_reflect_octets(void)
{
	uint8_t snd[14 + 20], refl[41 + 10];
	memset(snd, 0, sizeof snd);
	for (size_t i = 0; i < 20; i++)
		snd[14 + i] = (uint8_t)(0xc0 + i);
	static const struct {
		size_t n, copied;
		enum tw_err want;
	} t[] = {{0, 0, TW_OK}, {8, 8, TW_OK}, {10, 10, TW_OK}, {12, 10, TW_E_LENGTH}};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		memset(refl, 0xee, sizeof refl);
		CU_ASSERT_EQUAL(tw_pkt_reflect_octets(TW_PKT_TWAMP_OPEN, refl, sizeof refl, snd,
		                                      sizeof snd, t[i].n),
		                t[i].want);
		TW_ASSERT_BYTES(refl + 41, snd + 14, t[i].copied);
		if (t[i].copied < 10)
			CU_ASSERT_EQUAL(refl[41 + t[i].copied], 0xee);
		CU_ASSERT_EQUAL(count_nonzero(refl, 41), 41); /* fixed part untouched */
	}
	/* sender padding shorter than n */
	CU_ASSERT_EQUAL(tw_pkt_reflect_octets(TW_PKT_TWAMP_OPEN, refl, sizeof refl, snd, 14 + 4, 8),
	                TW_E_LENGTH);
	CU_ASSERT_EQUAL(tw_pkt_reflect_octets(TW_PKT_TWAMP_OPEN, refl, 40, snd, sizeof snd, 8),
	                TW_E_TRUNCATED);
	/* in-place reflection keeps the leading octets: Reflect Octets for free */
	uint8_t a[48 + 100];
	for (size_t i = 0; i < sizeof a; i++)
		a[i] = (uint8_t)i;
	CU_ASSERT_EQUAL(
	    tw_pkt_reflect_inplace(a, sizeof a, sizeof a, TW_PKT_TWAMP_AUTH, 100, 0, 0, 0, 1, 1),
	    148);
	for (size_t i = 0; i < 36; i++)
		CU_ASSERT_EQUAL(a[112 + i], (uint8_t)(48 + i));
}

/* ---------------------------------------------------------------------- */
/* TLVs                                                                    */

struct want_tlv {
	uint8_t flags, type;
	uint16_t len;
	size_t off;
};

static void test_tlv_iter(void)
{
	static const struct {
		const char *name, *hex;
		unsigned n_ok;
		struct want_tlv tlv[4];
		enum tw_err last;
		struct want_tlv bad; /* for TW_E_TLV_LENGTH */
	} t[] = {
	    {"empty", "", 0, {{0}}, TW_E_TLV_END, {0}},
	    {"one", "80 01 0004 aabbccdd", 1, {{0x80, 1, 4, 0}}, TW_E_TLV_END, {0}},
	    {"chain",
	     "80 01 0000  00 05 000c 000000010000000200000003  80 fe 0002 abcd",
	     3,
	     {{0x80, 1, 0, 0}, {0x00, 5, 12, 4}, {0x80, 0xfe, 2, 20}},
	     TW_E_TLV_END,
	     {0}},
	    {"overrun by 1", "80 01 0005 aabbccdd", 0, {{0}}, TW_E_TLV_LENGTH, {0x80, 1, 5, 0}},
	    {"good then overrun",
	     "80 01 0000  80 02 0003 aabb",
	     1,
	     {{0x80, 1, 0, 0}},
	     TW_E_TLV_LENGTH,
	     {0x80, 2, 3, 4}},
	    {"max length overrun",
	     "80 01 ffff 00",
	     0,
	     {{0}},
	     TW_E_TLV_LENGTH,
	     {0x80, 1, 0xffff, 0}},
	    {"1 octet header", "80", 0, {{0}}, TW_E_TLV_LENGTH, {0x80, 0, 0, 0}},
	    {"2 octet header", "8001", 0, {{0}}, TW_E_TLV_LENGTH, {0x80, 0, 0, 0}},
	    {"3 octet header", "800100", 0, {{0}}, TW_E_TLV_LENGTH, {0x80, 0, 0, 0}},
	    {"good then 3 octets",
	     "80 01 0000  20 08 00",
	     1,
	     {{0x80, 1, 0, 0}},
	     TW_E_TLV_LENGTH,
	     {0x20, 0, 0, 4}},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint8_t raw[64];
		size_t n = tw_unit_hex(t[i].hex, raw, sizeof raw);
		uint8_t *p = dup_exact(raw, n);
		struct tw_pkt_tlv_iter it;
		struct tw_pkt_tlv v;
		unsigned k = 0;
		enum tw_err e;
		tw_pkt_tlv_iter_init(&it, p, n);
		while ((e = tw_pkt_tlv_next(&it, &v)) == TW_OK) {
			CU_ASSERT_FATAL(k < t[i].n_ok);
			CU_ASSERT_EQUAL(v.flags, t[i].tlv[k].flags);
			CU_ASSERT_EQUAL(v.type, t[i].tlv[k].type);
			CU_ASSERT_EQUAL(v.len, t[i].tlv[k].len);
			CU_ASSERT_EQUAL(v.off, t[i].tlv[k].off);
			CU_ASSERT_PTR_EQUAL(v.value, p + v.off + 4);
			k++;
		}
		if (k != t[i].n_ok || e != t[i].last)
			printf("\n  case %s: %u TLVs, %s\n", t[i].name, k, tw_errname(e));
		CU_ASSERT_EQUAL(k, t[i].n_ok);
		CU_ASSERT_EQUAL(e, t[i].last);
		if (e == TW_E_TLV_LENGTH) {
			CU_ASSERT_EQUAL(v.flags, t[i].bad.flags);
			CU_ASSERT_EQUAL(v.type, t[i].bad.type);
			CU_ASSERT_EQUAL(v.len, t[i].bad.len);
			CU_ASSERT_EQUAL(v.off, t[i].bad.off);
			CU_ASSERT_PTR_NULL(v.value);
		}
		/* the end state is sticky */
		CU_ASSERT_EQUAL(tw_pkt_tlv_next(&it, &v), t[i].last);
		free(p);
	}
}

static void test_tlv_iter_pkt(void)
{
	/* STAMP open sender: 44-octet base, then one Extra Padding TLV. */
	uint8_t pkt[44 + 8];
	struct tw_pkt_sender s = {1, 2, 1, 3};
	CU_ASSERT_EQUAL(tw_pkt_sender_encode(TW_PKT_STAMP_OPEN, &s, pkt, sizeof pkt), 44);
	struct tw_wr w;
	tw_wr_init(&w, pkt + 44, 8);
	CU_ASSERT_EQUAL(tw_pkt_tlv_put(&w, TW_PKT_TLV_F_U, TW_PKT_TLV_EXTRA_PADDING, NULL, 4),
	                TW_OK);
	struct tw_pkt_tlv_iter it;
	struct tw_pkt_tlv v;
	tw_pkt_tlv_iter_init_pkt(&it, TW_PKT_STAMP_OPEN, pkt, sizeof pkt);
	CU_ASSERT_EQUAL(tw_pkt_tlv_next(&it, &v), TW_OK);
	CU_ASSERT_EQUAL(v.type, TW_PKT_TLV_EXTRA_PADDING);
	CU_ASSERT_PTR_EQUAL(v.value, pkt + 48);
	CU_ASSERT_EQUAL(tw_pkt_tlv_next(&it, &v), TW_E_TLV_END);
	/* a packet shorter than the base has no TLV area */
	tw_pkt_tlv_iter_init_pkt(&it, TW_PKT_STAMP_OPEN, pkt, 20);
	CU_ASSERT_EQUAL(tw_pkt_tlv_next(&it, &v), TW_E_TLV_END);
}

static void test_tlv_put(void)
{
	uint8_t buf[32];
	struct tw_wr w;
	static const uint8_t ms[4] = {0x00, 0x07, 0x00, 0x09};
	memset(buf, 0xee, sizeof buf);
	tw_wr_init(&w, buf, 22);
	CU_ASSERT_EQUAL(tw_pkt_tlv_put(&w, TW_PKT_TLV_F_U, TW_PKT_TLV_MICRO_SESSION_ID, ms, 4),
	                TW_OK);
	CU_ASSERT_EQUAL(tw_pkt_tlv_put(&w, TW_PKT_TLV_F_U, TW_PKT_TLV_EXTRA_PADDING, NULL, 6),
	                TW_OK);
	CU_ASSERT_EQUAL(tw_pkt_tlv_put(&w, 0, TW_PKT_TLV_HMAC, NULL, 0), TW_OK);
	CU_ASSERT_EQUAL(tw_wr_off(&w), 22);
	uint8_t want[22];
	CU_ASSERT_EQUAL(tw_unit_hex("80 0b 0004 00070009  80 01 0006 000000000000  00 08 0000",
	                            want, sizeof want),
	                22);
	TW_ASSERT_BYTES(buf, want, 22);
	/* full: nothing written, sticky error */
	CU_ASSERT_EQUAL(tw_pkt_tlv_put(&w, 0, 1, NULL, 0), TW_E_NOSPACE);
	CU_ASSERT_FALSE(tw_wr_ok(&w));
	CU_ASSERT_EQUAL(buf[22], 0xee);
	/* a TLV that fits only partly writes nothing */
	tw_wr_init(&w, buf, sizeof buf);
	CU_ASSERT_EQUAL(tw_pkt_tlv_put(&w, 0, 1, NULL, 29), TW_E_NOSPACE);
	TW_ASSERT_BYTES(buf, want, 22);
	/* round trip through the iterator */
	struct tw_pkt_tlv_iter it;
	struct tw_pkt_tlv v;
	unsigned n = 0;
	tw_pkt_tlv_iter_init(&it, want, sizeof want);
	while (tw_pkt_tlv_next(&it, &v) == TW_OK)
		n++;
	CU_ASSERT_EQUAL(n, 3);
}

static void test_tlv_reflect_flags(void)
{
	static const struct {
		const char *in, *out;
		enum tw_err want;
		unsigned count;
	} t[] = {
	    {"", "", TW_OK, 0},
	    /* known 1 and 5 get U cleared, unknown 7 and 254 get U set */
	    {"80 01 0002 aaaa  00 07 0000  80 05 0004 00000000  00 fe 0001 bb",
	     "00 01 0002 aaaa  80 07 0000  00 05 0004 00000000  80 fe 0001 bb", TW_OK, 4},
	    /* overrun: M on the malformed one, the rest echoed as is */
	    {"80 01 0000  00 09 0010 aabb", "00 01 0000  40 09 0010 aabb", TW_E_TLV_LENGTH, 2},
	    {"80 01 0001", "c0 01 0001", TW_E_TLV_LENGTH, 1},
	    /* header fragments of 1..3 octets */
	    {"80 05 0000  00 03", "00 05 0000  40 03", TW_E_TLV_LENGTH, 2},
	    {"80 05 0000  20", "00 05 0000  60", TW_E_TLV_LENGTH, 2},
	    {"80 05 0000  00 03 00", "00 05 0000  40 03 00", TW_E_TLV_LENGTH, 2},
	};
	struct tw_pkt_tlv_set known;
	memset(&known, 0, sizeof known);
	tw_pkt_tlv_set_add(&known, TW_PKT_TLV_EXTRA_PADDING);
	tw_pkt_tlv_set_add(&known, TW_PKT_TLV_DIRECT_MEASUREMENT);
	tw_pkt_tlv_set_add(&known, TW_PKT_TLV_HMAC);
	CU_ASSERT_TRUE(tw_pkt_tlv_set_has(&known, 8));
	CU_ASSERT_FALSE(tw_pkt_tlv_set_has(&known, 7));
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint8_t in[64], out[64];
		size_t n = tw_unit_hex(t[i].in, in, sizeof in);
		CU_ASSERT_EQUAL_FATAL(tw_unit_hex(t[i].out, out, sizeof out), n);
		uint8_t *p = dup_exact(in, n);
		unsigned count = 99;
		CU_ASSERT_EQUAL(tw_pkt_tlv_reflect(p, n, &known, &count), t[i].want);
		CU_ASSERT_EQUAL(count, t[i].count);
		TW_ASSERT_BYTES(p, out, n);
		free(p);
	}
	/* NULL known set: every type is unknown */
	uint8_t a[] = {0x00, 0x01, 0x00, 0x00};
	CU_ASSERT_EQUAL(tw_pkt_tlv_reflect(a, sizeof a, NULL, NULL), TW_OK);
	CU_ASSERT_EQUAL(a[0], 0x80);

	/* I on all TLVs (HMAC TLV failed) */
	uint8_t b[16], bw[16];
	size_t n = tw_unit_hex("80 01 0000  00 08 0004 01020304  00 02", b, sizeof b);
	tw_unit_hex("a0 01 0000  20 08 0004 01020304  20 02", bw, sizeof bw);
	uint8_t *p = dup_exact(b, n);
	CU_ASSERT_EQUAL(tw_pkt_tlv_set_flags(p, n, TW_PKT_TLV_F_I), TW_E_TLV_LENGTH);
	TW_ASSERT_BYTES(p, bw, n);
	CU_ASSERT_EQUAL(tw_pkt_tlv_set_flags(p, 12, TW_PKT_TLV_F_I), TW_OK);
	free(p);
}

/* A whole STAMP reflection: base rewritten, TLVs flagged in place. */
static void test_stamp_reflect_with_tlvs(void)
{
	uint8_t raw[44 + 16];
	struct tw_pkt_sender s = {42, 0xeeb34ece00000000ull, 0x0001, 0x0a0b};
	CU_ASSERT_EQUAL(tw_pkt_sender_encode(TW_PKT_STAMP_OPEN, &s, raw, sizeof raw), 44);
	CU_ASSERT_EQUAL(tw_unit_hex("80 01 0004 01020304  80 63 0004 05060708", raw + 44, 16), 16);
	uint8_t *p = dup_exact(raw, sizeof raw);
	int n = tw_pkt_reflect_inplace(p, sizeof raw, sizeof raw, TW_PKT_STAMP_OPEN, 0,
	                               tw_pkt_peek_seq(p), 5, 6, 1, 250);
	CU_ASSERT_EQUAL_FATAL(n, (int)sizeof raw);
	struct tw_pkt_tlv_set known = {{1u << TW_PKT_TLV_EXTRA_PADDING, 0, 0, 0}};
	CU_ASSERT_EQUAL(tw_pkt_tlv_reflect(p + 44, (size_t)n - 44, &known, NULL), TW_OK);
	struct tw_pkt_reflector r;
	CU_ASSERT_EQUAL(tw_pkt_reflector_decode(TW_PKT_STAMP_OPEN, p, (size_t)n, &r), TW_OK);
	CU_ASSERT_EQUAL(r.seq, 42);
	CU_ASSERT_EQUAL(r.sender_seq, 42);
	CU_ASSERT_EQUAL(r.ssid, 0x0a0b);
	CU_ASSERT_EQUAL(r.sender_ttl, 250);
	uint8_t tw[16];
	tw_unit_hex("00 01 0004 01020304  80 63 0004 05060708", tw, sizeof tw);
	TW_ASSERT_BYTES(p + 44, tw, 16);
	free(p);
}

int main(void)
{
	static const struct tw_unit_case cases[] = {
	    {"sizes and crypto regions", test_sizes_and_regions},
	    {"sender round trip, every layout", test_sender_roundtrip},
	    {"reflector round trip, every layout", test_reflector_roundtrip},
	    {"reflector bytes (open, STAMP)", test_reflector_bytes},
	    {"spec 3.8 sender packet", test_spec_3_8_sender},
	    {"reflected length rule (spec 4.5)", test_length_rule},
	    {"in-place reflect, hand-built bytes", test_reflect_inplace_exact_bytes},
	    {"in-place reflect, table", test_reflect_inplace_table},
	    {"RFC 7750 Sender DSCP and ECN, every layout", test_dscp_ecn},
	    {"RFC 9533 micro-session IDs (RFC Figures 2-5)", test_micro},
	    {"in-place reflect, errors", test_reflect_inplace_errors},
	    {"late T3", test_set_t3},
	    {"truncation, every layout and length", test_truncation},
	    {"error estimate multiplier 0", test_errest},
	    {"RFC 6038 reflect octets", test_reflect_octets},
	    {"liberal reply decoding (twampy, spec 11b.7)", test_reflector_liberal},
	    {"Class of Service TLV (RFC 8972 4.4)", test_tlv_cos},
	    {"TLV iterator", test_tlv_iter},
	    {"TLV iterator over a packet", test_tlv_iter_pkt},
	    {"TLV writer", test_tlv_put},
	    {"TLV reflector flags", test_tlv_reflect_flags},
	    {"STAMP reflect with TLVs", test_stamp_reflect_with_tlvs},
	    {NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS || tw_unit_suite("pkt", cases))
		return 2;
	return tw_unit_run("pkt");
}
