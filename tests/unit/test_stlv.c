/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tw_stlv: the STAMP Session-Sender's TLVs (RFC 8972 §4, RFC 9503)
 * against hand-computed bytes; the HMAC TLV against OpenSSL's HMAC() over
 * the octets RFC 8972 §4.8 names, computed here independently.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tw_cursor.h"
#include "tw_stlv.h"
#include "tw_unit.h"

static struct tw_stlv_spec P(const char *w) {
	struct tw_stlv_spec s;
	char err[200] = "";
	enum tw_err e = tw_stlv_parse(w, &s, err, sizeof(err));
	if (e != TW_OK)
		printf("\n  parse %s: %s\n", w, err);
	CU_ASSERT_EQUAL(e, TW_OK);
	return s;
}

static void
test_parse(void)
{
	static const char *const good[] = {
	    "pad=0",       "pad=1396",     "location",    "tsinfo",        "cos=46",
	    "cos=0,ecn=3", "dm",           "access=1,1",  "access=2,2",    "followup",
	    "hmac",        "dna=10.0.0.1", "dna=fd00::1", "return-path=0", "return-path=1",
	    "type=200",    "type=0,len=3"};
	static const char *const badw[] = {
	    "pad=",      "pad=1397",   "pad=-1",        "cos=64",     "cos=1,ecn=4",
	    "cos=1,x=1", "access=3,1", "access=1",      "access=1,3", "access=0,1",
	    "dna=host",  "dna=",       "return-path=x", "type=256",   "type=1,len=",
	    "foo",       "",           "cos",           "dm=1",       "hmac=1"};
	struct tw_stlv_spec s;
	char err[200];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err[0] = 0;
		enum tw_err e = tw_stlv_parse(good[i], &s, err, sizeof(err));
		if (e != TW_OK)
			printf("\n  %s refused: %s\n", good[i], err);
		CU_ASSERT_EQUAL(e, TW_OK);
	}
	for (size_t i = 0; i < sizeof(badw) / sizeof(badw[0]); i++) {
		err[0] = 0;
		enum tw_err e = tw_stlv_parse(badw[i], &s, err, sizeof(err));
		if (e == TW_OK)
			printf("\n  %s accepted\n", badw[i]);
		CU_ASSERT_EQUAL(e, TW_E_FIELD);
		CU_ASSERT(strstr(err, "--tlv") != NULL);
	}
	s = P("cos=46,ecn=2");
	CU_ASSERT_EQUAL(s.kind, TW_STLV_COS);
	CU_ASSERT_EQUAL(s.dscp1, 46);
	CU_ASSERT_EQUAL(s.ecn, 2);
	s = P("cos=10");
	CU_ASSERT_EQUAL(s.ecn, -1);
	s = P("dna=fd00::1");
	CU_ASSERT_EQUAL(s.family, 6);
	CU_ASSERT_EQUAL(s.addr[0], 0xfd);
	CU_ASSERT_EQUAL(s.addr[15], 1);
	s = P("type=200,len=3");
	CU_ASSERT_EQUAL(s.type, 200);
	CU_ASSERT_EQUAL(s.len, 3);
	s = P("return-path=1");
	CU_ASSERT_EQUAL(s.rp_code, 1);
}

/* Every kind, IPv4, in the order given, the HMAC moved last. */
static void test_build_v4(void)
{
	const char *words[] = {
	    "hmac",       "pad=5",    "location",     "tsinfo",        "cos=46,ecn=1",  "dm",
	    "access=1,2", "followup", "dna=10.0.0.1", "return-path=1", "type=200,len=3"};
	struct tw_stlv_spec sp[16];
	unsigned n = 0;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		sp[n++] = P(words[i]);
	struct tw_stlv_tmpl t;
	char err[200] = "";
	CU_ASSERT_EQUAL_FATAL(tw_stlv_build(sp, n, 4, true, false, &t, err, sizeof(err)), TW_OK);
	uint8_t want[400];
	size_t wl = tw_unit_hex(
	    /* Extra Padding, 5 zero octets (§4.1) */
	    "80 01 0005 0000000000"
	    /* Location (§4.2): ports 0, Dest IPv4 sub-TLV 5, Source IPv4 sub-TLV 8 */
	    "80 02 0014 0000 0000 80 05 0004 00000000 80 08 0004 00000000"
	    /* Timestamp Information (§4.3) */
	    "80 03 0004 00000000"
	    /* Class of Service (§4.4): DSCP1 46 = 101110 -> b8 00 */
	    "80 04 0004 b8 00 0000"
	    /* Direct Measurement (§4.5), 12 octets */
	    "80 05 000c 00000000 00000000 00000000"
	    /* Access Report (§4.6): ID 1 << 4, Return Code 2 */
	    "80 06 0004 10 02 0000"
	    /* Follow-Up Telemetry (§4.7), 16 octets */
	    "80 07 0010 00000000 0000000000000000 00 000000"
	    /* Destination Node Address (RFC 9503 §3): 10.0.0.1 */
	    "80 09 0004 0a000001"
	    /* Return Path (RFC 9503 §4): Control Code sub-TLV 1, flags 1 */
	    "80 0a 0008 80 01 0004 00000001"
	    /* raw type 200, 3 octets */
	    "80 c8 0003 000000"
	    /* HMAC (§4.8), last */
	    "80 08 0010 00000000000000000000000000000000",
	    want, sizeof(want));
	CU_ASSERT_EQUAL(t.len, wl);
	TW_ASSERT_BYTES(t.b, want, wl);
	CU_ASSERT_EQUAL(t.ntlv, 11);
	CU_ASSERT_EQUAL(t.dm_off, 9 + 24 + 8 + 8);
	CU_ASSERT_EQUAL(t.hmac_off, wl - 20);
	/* scan finds the same offsets in what build made */
	struct tw_stlv_tmpl u = t;
	u.dm_off = u.hmac_off = 0;
	CU_ASSERT_EQUAL(tw_stlv_scan(&u, true), TW_OK);
	CU_ASSERT_EQUAL(u.dm_off, t.dm_off);
	CU_ASSERT_EQUAL(u.hmac_off, t.hmac_off);
	CU_ASSERT_EQUAL(u.ntlv, 11);
	CU_ASSERT_EQUAL(tw_stlv_scan(&u, false), TW_E_FIELD); /* HMAC needs auth */
}

static void test_build_v6_and_refusals(void)
{
	struct tw_stlv_spec sp[3] = {P("location"), P("dna=fd00::2")};
	struct tw_stlv_tmpl t;
	char err[200] = "";
	CU_ASSERT_EQUAL_FATAL(tw_stlv_build(sp, 2, 6, false, false, &t, err, sizeof(err)), TW_OK);
	uint8_t want[200];
	size_t wl = tw_unit_hex("80 02 002c 0000 0000 80 06 0010 00000000000000000000000000000000"
	                        " 80 09 0010 00000000000000000000000000000000"
	                        "80 09 0010 fd000000000000000000000000000002",
	                        want, sizeof(want));
	CU_ASSERT_EQUAL(t.len, wl);
	TW_ASSERT_BYTES(t.b, want, wl);
	CU_ASSERT_EQUAL(t.dm_off, TW_STLV_NONE);
	CU_ASSERT_EQUAL(t.hmac_off, TW_STLV_NONE);
	/* dna of the other family */
	CU_ASSERT_EQUAL(tw_stlv_build(sp, 2, 4, false, false, &t, err, sizeof(err)), TW_E_FIELD);
	/* hmac without the authenticated mode */
	sp[0] = P("hmac");
	CU_ASSERT_EQUAL(tw_stlv_build(sp, 1, 4, false, false, &t, err, sizeof(err)), TW_E_MODE);
	CU_ASSERT(strstr(err, "--stamp-key") != NULL);
	/* two HMACs, two DMs */
	sp[1] = P("hmac");
	CU_ASSERT_EQUAL(tw_stlv_build(sp, 2, 4, true, false, &t, err, sizeof(err)), TW_E_FIELD);
	sp[0] = sp[1] = P("dm");
	CU_ASSERT_EQUAL(tw_stlv_build(sp, 2, 4, true, false, &t, err, sizeof(err)), TW_E_FIELD);
	/* too long: 1396 + 4, then one more */
	sp[0] = P("pad=1396");
	CU_ASSERT_EQUAL(tw_stlv_build(sp, 1, 4, false, false, &t, err, sizeof(err)), TW_OK);
	CU_ASSERT_EQUAL(t.len, TW_STLV_MAX);
	sp[1] = P("tsinfo");
	CU_ASSERT_EQUAL(tw_stlv_build(sp, 2, 4, false, false, &t, err, sizeof(err)), TW_E_NOSPACE);
	/* random padding is not all zeros (1 in 2^256 to fail) */
	sp[0] = P("pad=32");
	CU_ASSERT_EQUAL(tw_stlv_build(sp, 1, 4, false, true, &t, err, sizeof(err)), TW_OK);
	static const uint8_t z[32];
	CU_ASSERT(memcmp(t.b + 4, z, 32) != 0);
}

static void test_scan_refusals(void)
{
	static const char *const bad[] = {
	    "80 05 0008 0000000000000000", /* DM of 8 octets */
	    "80 05 000c 000000000000000000000000 80 05 000c 000000000000000000000000",
	    "80 08 0010 00000000000000000000000000000000 80 03 0004 00000000", /* after HMAC */
	    "80 08 000f 000000000000000000000000000000",                       /* HMAC of 15 */
	    "80 03 0005 00000000",                                             /* overrun */
	    "80 03 00",                                                        /* cut header */
	};
	struct tw_stlv_tmpl t;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&t, 0, sizeof(t));
		t.len = (uint16_t)tw_unit_hex(bad[i], t.b, sizeof(t.b));
		enum tw_err e = tw_stlv_scan(&t, true);
		if (e == TW_OK)
			printf("\n  case %zu accepted\n", i);
		CU_ASSERT_NOT_EQUAL(e, TW_OK);
	}
	memset(&t, 0, sizeof(t));
	CU_ASSERT_EQUAL(tw_stlv_scan(&t, false), TW_OK); /* empty */
	t.len = TW_STLV_MAX + 1;
	CU_ASSERT_EQUAL(tw_stlv_scan(&t, false), TW_E_LENGTH);
}

static const uint8_t key[] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                              0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

/* RFC 8972 §4.8, independently: HMAC-SHA-256(key, seq || TLVs before), 16 octets. */
static void ref_hmac(const uint8_t *pkt, size_t base, size_t hoff, uint8_t out[16])
{
	uint8_t msg[2048], md[32];
	unsigned mdl = 0;
	memcpy(msg, pkt, 4);
	memcpy(msg + 4, pkt + base, hoff - base);
	HMAC(EVP_sha256(), key, sizeof(key), msg, 4 + hoff - base, md, &mdl);
	memcpy(out, md, 16);
}

static void test_fill(void)
{
	struct tw_stlv_spec sp[3] = {P("dm"), P("hmac"), P("tsinfo")};
	struct tw_stlv_tmpl t;
	char err[200];
	CU_ASSERT_EQUAL_FATAL(tw_stlv_build(sp, 3, 4, true, false, &t, err, sizeof(err)), TW_OK);
	struct tw_stamp_auth sa;
	CU_ASSERT_EQUAL_FATAL(tw_stamp_auth_init(&sa, key, sizeof(key)), TW_OK);
	uint8_t pkt[TW_PKT_STAMP_AUTH_LEN + 64] = {0};
	size_t base = TW_PKT_STAMP_AUTH_LEN;
	tw_put_be32(pkt, 0x01020304); /* Sequence Number */
	memcpy(pkt + base, t.b, t.len);
	CU_ASSERT_EQUAL(tw_stlv_fill(&t, pkt, base, 7, &sa), TW_OK);
	/* DM first, tsinfo second, HMAC last */
	uint8_t want[64];
	size_t wl = tw_unit_hex("80 05 000c 00000007 00000000 00000000 80 03 0004 00000000"
	                        "80 08 0010",
	                        want, sizeof(want));
	TW_ASSERT_BYTES(pkt + base, want, wl);
	uint8_t mac[16];
	ref_hmac(pkt, base, base + t.hmac_off, mac);
	TW_ASSERT_BYTES(pkt + base + t.hmac_off + 4, mac, 16);
	/* the verifier agrees, and notices a change in a covered octet */
	CU_ASSERT_EQUAL(tw_stamp_tlv_hmac_verify(&sa, pkt, base, base + t.hmac_off,
	                                         pkt + base + t.hmac_off + 4),
	                TW_OK);
	pkt[3] ^= 1;
	CU_ASSERT_EQUAL(tw_stamp_tlv_hmac_verify(&sa, pkt, base, base + t.hmac_off,
	                                         pkt + base + t.hmac_off + 4),
	                TW_E_HMAC);
	pkt[3] ^= 1;
	pkt[base + 20] ^= 0x80; /* the tsinfo flags octet */
	CU_ASSERT_EQUAL(tw_stamp_tlv_hmac_verify(&sa, pkt, base, base + t.hmac_off,
	                                         pkt + base + t.hmac_off + 4),
	                TW_E_HMAC);
	/* the base packet's octets 4..111 are not covered (§4.8) */
	pkt[base + 20] ^= 0x80;
	pkt[50] ^= 0xff;
	CU_ASSERT_EQUAL(tw_stamp_tlv_hmac_verify(&sa, pkt, base, base + t.hmac_off,
	                                         pkt + base + t.hmac_off + 4),
	                TW_OK);
	CU_ASSERT_EQUAL(tw_stlv_fill(&t, pkt, base, 8, NULL), TW_E_ARG);
	tw_stamp_auth_free(&sa);
}

/* A reply as our reflector would write it (hand-made): everything filled. */
static size_t reply(uint8_t *pkt, uint32_t seq, const char *tlvs)
{
	memset(pkt, 0, TW_PKT_STAMP_OPEN_LEN);
	tw_put_be32(pkt, seq);
	return TW_PKT_STAMP_OPEN_LEN + tw_unit_hex(tlvs, pkt + TW_PKT_STAMP_OPEN_LEN, 400);
}

static void test_reply(void)
{
	struct tw_stlv_spec sp[2] = {P("access=2,1")};
	struct tw_stlv_tmpl t;
	char err[200];
	CU_ASSERT_EQUAL_FATAL(tw_stlv_build(sp, 1, 4, false, false, &t, err, sizeof(err)), TW_OK);
	struct tw_stlv_ctx c = {
	    .dscp = 10, .ecn = 2, .family = 4, .local_port = 40000, .peer_port = 862, .sent = &t};
	memcpy(c.local, "\x0a\x00\x00\x02", 4);
	memcpy(c.peer, "\x0a\x00\x00\x01", 4);
	struct tw_stlv_rx *rx = calloc(1, sizeof(*rx));
	tw_stlv_rx_init(rx);
	uint8_t pkt[600];
	/* reply 0: CoS DSCP1 46, DSCP2 10 (001010), ECN 3 (CE), RP 0 ->
	 * b8 | 00 ; 1010 11 00 = 0xac; DM 1,1,1; follow-up zeros; Location
	 * ports 862 <- 40000 and the right addresses; tsinfo NTP/SW; Access
	 * Report echoed; DNA flagged U; Return Path clean; an unknown type U */
	size_t n = reply(pkt, 0,
	                 "00 04 0004 b8 ac 0000"
	                 "00 05 000c 00000001 00000001 00000001"
	                 "00 07 0010 00000000 0000000000000000 00 000000"
	                 "00 02 0014 035e 9c40 00 05 0004 0a000001 00 08 0004 0a000002"
	                 "00 03 0004 01 02 01 02"
	                 "00 06 0004 20 01 0000"
	                 "80 09 0004 0a000001"
	                 "00 0a 0008 00 01 0004 00000001"
	                 "80 c8 0000");
	struct tw_stlv_reply_in in = {.pkt = pkt,
	                              .len = n,
	                              .base = TW_PKT_STAMP_OPEN_LEN,
	                              .refl_seq = 0,
	                              .t3 = (uint64_t)1000 << 32,
	                              .rtt_ns = 500000,
	                              .tos = (46 << 2) | 0};
	tw_stlv_reply(rx, &c, &in);
	const struct tw_stlv_res *r = &rx->res;
	CU_ASSERT_EQUAL(r->replies, 1);
	CU_ASSERT_EQUAL(r->flag_u, 2);
	CU_ASSERT_EQUAL(r->flag_m, 0);
	CU_ASSERT_EQUAL(r->cos_n, 1);
	CU_ASSERT_EQUAL(r->cos_dscp1, 46);
	CU_ASSERT_EQUAL(r->cos_dscp2, 10);
	CU_ASSERT_EQUAL(r->cos_ecn2, 3);
	CU_ASSERT_EQUAL(r->cos_fwd_remarked, 0);
	CU_ASSERT_EQUAL(r->cos_fwd_ecn_changed, 1);
	CU_ASSERT_EQUAL(r->cos_fwd_ce, 1);
	CU_ASSERT_EQUAL(r->cos_rev_remarked, 0);
	CU_ASSERT_EQUAL(r->cos_rx_dscp, 46);
	CU_ASSERT_EQUAL(r->fu_zero, 1);
	CU_ASSERT_EQUAL(r->fu_n, 0);
	CU_ASSERT_EQUAL(r->dm_n, 1);
	CU_ASSERT_EQUAL(r->loc_n, 1);
	CU_ASSERT_EQUAL(r->loc_nat, 0);
	CU_ASSERT_EQUAL(r->loc_src_port, 40000);
	CU_ASSERT_EQUAL(r->loc_dst_port, 862);
	CU_ASSERT(r->loc_have_src && r->loc_have_dst);
	CU_ASSERT_EQUAL(r->tsi_n, 1);
	CU_ASSERT_EQUAL(r->tsi[0], 1);
	CU_ASSERT_EQUAL(r->tsi[3], 2);
	CU_ASSERT_EQUAL(r->access_echo, 1);
	CU_ASSERT_EQUAL(r->dna_u, 1);
	CU_ASSERT_EQUAL(r->rp_ok, 1);

	/* reply 2 (reply 1 lost on the way back): the reflector sent 3,
	 * received 3 of our 4 (S_TxC 4); follow-up names reply 0 with a real
	 * T3 250 us after the in-packet one; Location shows a NAT (source
	 * 192.0.2.9:1024); the Access Report comes back changed; one TLV M. */
	n = reply(pkt, 2,
	          "00 05 000c 00000004 00000003 00000003"
	          "00 07 0010 00000000 000003e8 00418937 01 000000"
	          "00 02 0014 035e 0400 00 05 0004 0a000001 00 08 0004 c0000209"
	          "00 06 0004 20 02 0000"
	          "40 04 0004 b8 00 0000");
	in.len = n;
	in.refl_seq = 2;
	in.rtt_ns = 700000;
	tw_stlv_reply(rx, &c, &in);
	CU_ASSERT_EQUAL(r->dm_n, 2);
	CU_ASSERT_EQUAL(r->dm_fwd_lost, 1); /* 3 sent after the first, 2 received */
	CU_ASSERT_EQUAL(r->dm_bwd_lost, 1); /* 2 sent after the first, 1 came back */
	CU_ASSERT_EQUAL(r->fu_n, 1);
	/* 0x00418937 / 2^32 s = 999999.9 ns ... 0x00418937 = 4294967 -> 999999 ns */
	CU_ASSERT(r->fu_corr_sum_ns >= 999999 && r->fu_corr_sum_ns <= 1000000);
	CU_ASSERT_EQUAL(r->fu_rtt_pkt_sum_ns, 500000);
	CU_ASSERT_EQUAL(r->fu_rtt_real_sum_ns, 500000 - r->fu_corr_sum_ns);
	CU_ASSERT_EQUAL(r->fu_mode, 1);
	CU_ASSERT_EQUAL(r->loc_nat, 1);
	CU_ASSERT_EQUAL(r->loc_src_port, 1024);
	CU_ASSERT_EQUAL(r->loc_src[0], 192);
	CU_ASSERT_EQUAL(r->access_bad, 1);
	CU_ASSERT_EQUAL(r->flag_m, 1);
	CU_ASSERT_EQUAL(r->cos_n, 1); /* the flagged one is not read */
	/* the same follow-up again (two requests in one reflector burst) */
	n = reply(pkt, 6, "00 07 0010 00000000 000003e8 00418937 01 000000");
	in.len = n;
	in.refl_seq = 6;
	tw_stlv_reply(rx, &c, &in);
	CU_ASSERT_EQUAL(r->fu_n, 1);
	CU_ASSERT_EQUAL(r->fu_repeated, 1);
	CU_ASSERT_EQUAL(r->fu_unmatched, 0);
	/* an IPv4 answer in 16-octet values (the generic request's room) */
	n = reply(pkt, 5,
	          "00 02 002c 035e 9c40 00 05 0010 0a000001000000000000000000000000"
	          " 00 08 0010 0a000002000000000000000000000000");
	in.len = n;
	in.refl_seq = 5;
	tw_stlv_reply(rx, &c, &in);
	CU_ASSERT_EQUAL(r->loc_n, 3);
	CU_ASSERT_EQUAL(r->loc_nat, 1); /* this one as sent */
	CU_ASSERT_EQUAL(r->loc_family, 4);
	CU_ASSERT_EQUAL(r->loc_src[0], 10);
	CU_ASSERT_EQUAL(r->loc_src[3], 2);
	/* a follow-up naming a reply never seen */
	n = reply(pkt, 3, "00 07 0010 00000063 000003e8 00000001 01 000000");
	in.len = n;
	in.refl_seq = 3;
	tw_stlv_reply(rx, &c, &in);
	CU_ASSERT_EQUAL(r->fu_unmatched, 1);
	/* a follow-up naming reply 5 (remembered, not yet followed up) with a
	 * T3 decades away: not that reply's T3, unmatched, no sum touched
	 * (fuzz stlv found the signed overflow of the sums) */
	int64_t corr_sum = r->fu_corr_sum_ns;
	n = reply(pkt, 7, "00 07 0010 00000005 7fffffff ffffffff 01 000000");
	in.len = n;
	in.refl_seq = 7;
	tw_stlv_reply(rx, &c, &in);
	CU_ASSERT_EQUAL(r->fu_unmatched, 2);
	CU_ASSERT_EQUAL(r->fu_n, 1);
	CU_ASSERT_EQUAL(r->fu_corr_sum_ns, corr_sum);
	/* a cut area: M counted once, I flags counted */
	n = reply(pkt, 4, "20 03 0004 00000000 20 05 00");
	in.len = n;
	in.refl_seq = 4;
	tw_stlv_reply(rx, &c, &in);
	CU_ASSERT_EQUAL(r->flag_i, 1);
	CU_ASSERT_EQUAL(r->flag_m, 2);
	free(rx);
}

static void test_reply_hmac(void)
{
	struct tw_stamp_auth sa;
	CU_ASSERT_EQUAL_FATAL(tw_stamp_auth_init(&sa, key, sizeof(key)), TW_OK);
	struct tw_stlv_ctx c = {.family = 4, .sa = &sa};
	struct tw_stlv_rx *rx = calloc(1, sizeof(*rx));
	uint8_t pkt[400] = {0};
	size_t base = TW_PKT_STAMP_AUTH_LEN;
	tw_put_be32(pkt, 77);
	size_t tl = tw_unit_hex("00 03 0004 01020102 00 08 0010", pkt + base, 100);
	ref_hmac(pkt, base, base + 8, pkt + base + tl);
	struct tw_stlv_reply_in in = {.pkt = pkt, .len = base + tl + 16, .base = base};
	tw_stlv_reply(rx, &c, &in);
	CU_ASSERT_EQUAL(rx->res.hmac_ok, 1);
	CU_ASSERT_EQUAL(rx->res.hmac_bad, 0);
	pkt[base + 4] ^= 1;
	tw_stlv_reply(rx, &c, &in);
	CU_ASSERT_EQUAL(rx->res.hmac_bad, 1);
	free(rx);
	tw_stamp_auth_free(&sa);
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(tw_stlv_kind_name(TW_STLV_RETURN_PATH), "return-path");
	CU_ASSERT_STRING_EQUAL(tw_stlv_kind_name(99), "?");
	CU_ASSERT_STRING_EQUAL(tw_stlv_sync_name(1), "NTP");
	CU_ASSERT_STRING_EQUAL(tw_stlv_sync_name(5), "local free-running");
	CU_ASSERT_STRING_EQUAL(tw_stlv_sync_name(200), "unassigned");
	CU_ASSERT_STRING_EQUAL(tw_stlv_tsmethod_name(2), "SW local");
}

int main(void)
{
	static const struct tw_unit_case cases[] = {
	    {"parse every --tlv word, refuse bad ones", test_parse},
	    {"build: every kind, IPv4, hand-computed bytes", test_build_v4},
	    {"build: IPv6 location/dna; refusals", test_build_v6_and_refusals},
	    {"scan: malformed templates refused", test_scan_refusals},
	    {"fill: DM S_TxC and HMAC TLV vs OpenSSL", test_fill},
	    {"reply: CoS, DM loss, follow-up, location/NAT, access, U/M/I", test_reply},
	    {"reply: HMAC TLV verified", test_reply_hmac},
	    {"names", test_names},
	    {NULL, NULL}};
	if (CU_initialize_registry() != CUE_SUCCESS || tw_unit_suite("stlv", cases))
		return 2;
	return tw_unit_run("stlv");
}
