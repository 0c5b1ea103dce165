/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_stamp_tlv: the Session-Reflector's RFC 8972 / RFC 9503 / RFC 9534 TLV pass
 * against hand-computed bytes, open and authenticated, IPv4 and IPv6.
 * The HMAC TLV values were computed apart from this code (Python's hmac
 * module: HMAC-SHA-256 with 32 octets of 0x0b, first 16 octets, over the
 * 4-octet Sequence Number and the TLVs before the HMAC TLV).
 */
#include <stdio.h>
#include <string.h>

#include "tw_stamp_tlv.h"
#include "tw_unit.h"

static const uint8_t v4_src[4] = {192, 0, 2, 1}, v4_dst[4] = {198, 51, 100, 7};
static const uint8_t v6_src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t v6_dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};

static struct tw_stamp_tlv_in ctx(int family, bool with_mac)
{
	struct tw_stamp_tlv_in in = {
	    .family = (uint8_t)family,
	    .src_addr = family == 4 ? v4_src : v6_src,
	    .dst_addr = family == 4 ? v4_dst : v6_dst,
	    .src_port = 50000,
	    .dst_port = 862,
	    .src_mac = with_mac ? mac : NULL,
	    .local4 = v4_dst,
	    .local6 = v6_dst,
	    .tos = 0xb9, /* DSCP 46, ECN 1 */
	    .ts_info = {TW_STAMP_SYNC_NTP, TW_STAMP_TSM_SW_LOCAL, TW_STAMP_SYNC_NTP,
	                TW_STAMP_TSM_SW_LOCAL},
	    .dm_count = 7,
	    .fu_have = true,
	    .fu_mode = TW_STAMP_TSM_SW_LOCAL,
	    .fu_seq = 5,
	    .fu_ts = 0x1122334455667788ull,
	};
	return in;
}

#define Z16 "00000000 00000000 00000000 00000000"

struct open_case {
	const char *name;
	int family;
	bool mac;
	bool no_fu;
	const char *in, *want;
	uint32_t ev;
	unsigned n_tlv;
	int dscp; /* -1: no CoS */
	bool no_reply;
};

static const struct open_case open_cases[] = {
    {"location v4", 4, true, false,
     "80 02 0038 0000 0000  80 04 0010 " Z16 "  80 07 0010 " Z16 "  80 01 0008 0000000000000000",
     "00 02 0038 035e c350  00 05 0010 c6336407 000000000000000000000000"
     "  00 08 0010 c0000201 000000000000000000000000  00 02 0008 020000000001 0000",
     0, 1, -1, false},
    {"location v6", 6, true, false,
     "80 02 0038 0000 0000  80 04 0010 " Z16 "  80 07 0010 " Z16 "  80 01 0008 0000000000000000",
     "00 02 0038 035e c350  00 06 0010 20010db8000000000000000000000007"
     "  00 09 0010 20010db8000000000000000000000001  00 02 0008 020000000001 0000",
     0, 1, -1, false},
    {"location no mac: EUI-64 zero", 4, false, false,
     "80 02 0010 ffff ffff  80 01 0008 1111111111111111",
     "00 02 0010 035e c350  00 03 0008 0000000000000000", 0, 1, -1, false},
    {"location specific v4 types, Length 4", 4, true, false,
     "80 02 0014 0000 0000  80 05 0004 00000000  80 08 0004 00000000",
     "00 02 0014 035e c350  00 05 0004 c6336407  00 08 0004 c0000201", 0, 1, -1, false},
    {"location v4 type in a v6 packet", 6, true, false,
     "80 02 0020 0000 0000  80 05 0004 00000000  80 08 0010 " Z16,
     "00 02 0020 035e c350  80 05 0004 00000000  00 09 0010 20010db8000000000000000000000001",
     TW_STAMP_TLV_EV_UNKNOWN, 1, -1, false},
    {"location ports only", 6, true, false, "80 02 0004 0000 0000", "00 02 0004 035e c350", 0, 1,
     -1, false},
    {"location unknown and bad sub", 4, true, false,
     "80 02 0014 0000 0000  80 20 0002 abcd  80 04 0002 0000  80 07 0000",
     "00 02 0014 035e c350  80 20 0002 abcd  40 04 0002 0000  80 07 0000",
     TW_STAMP_TLV_EV_UNKNOWN | TW_STAMP_TLV_EV_MALFORMED, 1, -1, false},
    {"location sub overrun", 4, true, false, "80 02 0008 0000 0000  80 04 0010",
     "00 02 0008 035e c350  c0 04 0010", TW_STAMP_TLV_EV_MALFORMED, 1, -1, false},
    {"location too short", 4, true, false, "80 02 0002 abcd", "40 02 0002 abcd",
     TW_STAMP_TLV_EV_MALFORMED, 1, -1, false},
    {"timestamp info", 4, true, false, "80 03 0004 00000000", "00 03 0004 01020102", 0, 1, -1,
     false},
    {"timestamp info short", 4, true, false, "80 03 0002 0000", "40 03 0002 0000",
     TW_STAMP_TLV_EV_MALFORMED, 1, -1, false},
    {"class of service", 4, true, false, "80 04 0004 a0 00 00 00", "00 04 0004 a2 e4 00 00", 0,
     1, 40, false},
    {"class of service length 3", 4, true, false, "80 04 0003 a00000", "40 04 0003 a00000",
     TW_STAMP_TLV_EV_MALFORMED, 1, -1, false},
    {"direct measurement", 4, true, false, "80 05 000c 00000003 00000000 00000000",
     "00 05 000c 00000003 00000007 00000007", 0, 1, -1, false},
    {"direct measurement length 8", 4, true, false, "80 05 0008 00000003 00000000",
     "40 05 0008 00000003 00000000", TW_STAMP_TLV_EV_MALFORMED, 1, -1, false},
    {"access report 3GPP", 4, true, false, "80 06 0004 10 01 0000", "00 06 0004 10 01 0000", 0, 1,
     -1, false},
    {"access report non-3GPP", 4, true, false, "80 06 0004 20 02 0000", "00 06 0004 20 02 0000",
     0, 1, -1, false},
    {"access report bad id", 4, true, false, "80 06 0004 30 01 0000", "80 06 0004 30 01 0000",
     TW_STAMP_TLV_EV_ACCESS_ID, 1, -1, false},
    {"access report length 2", 4, true, false, "80 06 0002 1001", "40 06 0002 1001",
     TW_STAMP_TLV_EV_MALFORMED, 1, -1, false},
    {"follow-up", 4, true, false, "80 07 0010 " Z16,
     "00 07 0010 00000005 1122334455667788 02 000000", 0, 1, -1, false},
    {"follow-up none yet", 4, true, true, "80 07 0010 ffffffff ffffffffffffffff ff ffffff",
     "00 07 0010 " Z16, 0, 1, -1, false},
    {"follow-up length 12", 4, true, false, "80 07 000c 000000000000000000000000",
     "40 07 000c 000000000000000000000000", TW_STAMP_TLV_EV_MALFORMED, 1, -1, false},
    {"hmac in open mode", 4, true, false, "80 08 0010 " Z16, "80 08 0010 " Z16,
     TW_STAMP_TLV_EV_HMAC_OPEN, 1, -1, false},
    {"dna v4 ours", 4, true, false, "80 09 0004 c6336407", "00 09 0004 c6336407", 0, 1, -1,
     false},
    {"dna v4 not ours", 4, true, false, "80 09 0004 c6336408", "80 09 0004 c6336408",
     TW_STAMP_TLV_EV_DNA_MISMATCH, 1, -1, false},
    {"dna v6 ours", 6, true, false, "80 09 0010 20010db8000000000000000000000007",
     "00 09 0010 20010db8000000000000000000000007", 0, 1, -1, false},
    {"dna v6 not ours", 6, true, false, "80 09 0010 20010db8000000000000000000000009",
     "80 09 0010 20010db8000000000000000000000009", TW_STAMP_TLV_EV_DNA_MISMATCH, 1, -1, false},
    {"dna length 8", 4, true, false, "80 09 0008 c6336407c6336407",
     "40 09 0008 c6336407c6336407", TW_STAMP_TLV_EV_MALFORMED, 1, -1, false},
    {"return path same link", 4, true, false, "80 0a 0008 80 01 0004 00000001",
     "00 0a 0008 00 01 0004 00000001", 0, 1, -1, false},
    {"return path no reply", 4, true, false, "80 0a 0008 80 01 0004 fffffffe",
     "00 0a 0008 00 01 0004 fffffffe", TW_STAMP_TLV_EV_NO_REPLY, 1, -1, true},
    {"return path address", 4, true, false, "80 0a 0008 80 02 0004 c0000209",
     "80 0a 0008 80 02 0004 c0000209", TW_STAMP_TLV_EV_RP_UNSUPPORTED, 1, -1, false},
    {"return path srv6", 6, true, false, "80 0a 0014 80 04 0010 20010db8000000000000000000000009",
     "80 0a 0014 80 04 0010 20010db8000000000000000000000009", TW_STAMP_TLV_EV_RP_UNSUPPORTED, 1,
     -1, false},
    {"return path empty", 4, true, false, "80 0a 0000", "80 0a 0000",
     TW_STAMP_TLV_EV_RP_UNSUPPORTED, 1, -1, false},
    {"return path cc length 2", 4, true, false, "80 0a 0006 80 01 0002 0001",
     "00 0a 0006 40 01 0002 0001", TW_STAMP_TLV_EV_MALFORMED, 1, -1, false},
    {"unknown types keep U", 4, true, false, "00 20 0002 abcd  80 0b 0004 00010000",
     "80 20 0002 abcd  80 0b 0004 00010000", TW_STAMP_TLV_EV_UNKNOWN, 2, -1, false},
    {"extra padding", 4, true, false, "80 01 0003 000000", "00 01 0003 000000", 0, 1, -1, false},
    {"overrun after a good one", 4, true, false, "80 03 0004 00000000  80 01 0009 aa",
     "00 03 0004 01020102  c0 01 0009 aa", TW_STAMP_TLV_EV_MALFORMED, 2, -1, false},
    {"3-octet tail", 4, true, false, "80 01 0000  80 01 00", "00 01 0000  c0 01 00",
     TW_STAMP_TLV_EV_MALFORMED, 2, -1, false},
    {"no TLVs", 4, true, false, "", "", 0, 0, -1, false},
};

static void test_open(void)
{
	for (size_t c = 0; c < sizeof(open_cases) / sizeof(open_cases[0]); c++) {
		const struct open_case *k = &open_cases[c];
		uint8_t pkt[512], want[512];
		memset(pkt, 0x5a, TW_PKT_STAMP_OPEN_LEN);
		size_t n = TW_PKT_STAMP_OPEN_LEN +
			   tw_unit_hex(k->in, pkt + TW_PKT_STAMP_OPEN_LEN, 400);
		memcpy(want, pkt, TW_PKT_STAMP_OPEN_LEN);
		size_t wn = TW_PKT_STAMP_OPEN_LEN +
			    tw_unit_hex(k->want, want + TW_PKT_STAMP_OPEN_LEN, 400);
		CU_ASSERT_EQUAL_FATAL(n, wn);
		struct tw_stamp_tlv_in in = ctx(k->family, k->mac);
		in.fu_have = !k->no_fu;
		struct tw_stamp_tlv_out out;
		enum tw_err e = tw_stamp_tlv_reflect(pkt, n, TW_PKT_STAMP_OPEN, &in, &out);
		if (e != TW_OK || memcmp(pkt, want, n) || out.ev != k->ev || out.n_tlv != k->n_tlv)
			printf("\n  case %s: e %d ev %#x n_tlv %u\n", k->name, (int)e, out.ev,
			       out.n_tlv);
		CU_ASSERT_EQUAL(e, TW_OK);
		TW_ASSERT_BYTES(pkt, want, n);
		CU_ASSERT_EQUAL(out.ev, k->ev);
		CU_ASSERT_EQUAL(out.n_tlv, k->n_tlv);
		CU_ASSERT_EQUAL(out.cos, k->dscp >= 0);
		if (k->dscp >= 0)
			CU_ASSERT_EQUAL(out.dscp, k->dscp);
		CU_ASSERT_EQUAL(out.no_reply, k->no_reply);
		CU_ASSERT_FALSE(out.hmac);
	}
}

/* Authenticated: reflector Sequence Number 9 at 0, Session-Sender
 * Sequence Number 4 echoed at 48 (spec §6.2). */
struct auth_case {
	const char *name;
	const char *in, *want;
	uint32_t ev;
	bool hmac;
};

static const struct auth_case auth_cases[] = {
    {"hmac ok", "80 05 000c 00000003 00000000 00000000  80 08 0010 55cc0da6fc4743a57f7b346e646986a4",
     "00 05 000c 00000003 00000007 00000007  00 08 0010 3bff45bd5b941f04f471fbe26b717e2a", 0,
     true},
    {"hmac wrong: I on all",
     "80 05 000c 00000003 00000000 00000000  80 08 0010 55cc0da6fc4743a57f7b346e646986a5",
     "20 05 000c 00000003 00000007 00000007  20 08 0010 a074798a928b7d608dfbd1e75b5aef3b",
     TW_STAMP_TLV_EV_HMAC_FAIL, true},
    {"hmac not last: I on all",
     "80 08 0010 b5c8e8e5d192ca1fcd251996514769c8  80 05 000c 00000003 00000000 00000000",
     "20 08 0010 ca0e56de54888609a5a6994b9eb2cdc1  20 05 000c 00000003 00000007 00000007",
     TW_STAMP_TLV_EV_HMAC_FAIL, true},
    {"hmac then padding", "80 08 0010 b5c8e8e5d192ca1fcd251996514769c8  80 01 0004 00000000",
     "00 08 0010 ca0e56de54888609a5a6994b9eb2cdc1  00 01 0004 00000000", 0, true},
    {"hmac length 8", "80 08 0008 0000000000000000", "60 08 0008 0000000000000000",
     TW_STAMP_TLV_EV_MALFORMED | TW_STAMP_TLV_EV_HMAC_FAIL, false},
    {"no hmac tlv", "80 05 000c 00000003 00000000 00000000",
     "00 05 000c 00000003 00000007 00000007", 0, false},
};

static void test_auth(void)
{
	struct tw_stamp_auth sa;
	uint8_t key[32];
	memset(key, 0x0b, sizeof(key));
	CU_ASSERT_EQUAL_FATAL(tw_stamp_auth_init(&sa, key, sizeof(key)), TW_OK);
	for (size_t c = 0; c < sizeof(auth_cases) / sizeof(auth_cases[0]); c++) {
		const struct auth_case *k = &auth_cases[c];
		uint8_t pkt[512], want[512];
		memset(pkt, 0, TW_PKT_STAMP_AUTH_LEN);
		pkt[3] = 9;
		pkt[51] = 4;
		size_t n = TW_PKT_STAMP_AUTH_LEN +
			   tw_unit_hex(k->in, pkt + TW_PKT_STAMP_AUTH_LEN, 400);
		memcpy(want, pkt, TW_PKT_STAMP_AUTH_LEN);
		size_t wn = TW_PKT_STAMP_AUTH_LEN +
			    tw_unit_hex(k->want, want + TW_PKT_STAMP_AUTH_LEN, 400);
		CU_ASSERT_EQUAL_FATAL(n, wn);
		struct tw_stamp_tlv_in in = ctx(4, true);
		in.sa = &sa;
		struct tw_stamp_tlv_out out;
		enum tw_err e = tw_stamp_tlv_reflect(pkt, n, TW_PKT_STAMP_AUTH, &in, &out);
		if (e != TW_OK || memcmp(pkt, want, n) || out.ev != k->ev)
			printf("\n  case %s: e %d ev %#x\n", k->name, (int)e, out.ev);
		CU_ASSERT_EQUAL(e, TW_OK);
		TW_ASSERT_BYTES(pkt, want, n);
		CU_ASSERT_EQUAL(out.ev, k->ev);
		CU_ASSERT_EQUAL(out.hmac, k->hmac);
	}
	/* an open-layout packet never gets an HMAC, even with a key */
	uint8_t p[TW_PKT_STAMP_OPEN_LEN + 20] = {0};
	tw_unit_hex("80 08 0010 " Z16, p + TW_PKT_STAMP_OPEN_LEN, 20);
	struct tw_stamp_tlv_in in = ctx(4, true);
	in.sa = &sa;
	struct tw_stamp_tlv_out out;
	CU_ASSERT_EQUAL(tw_stamp_tlv_reflect(p, sizeof(p), TW_PKT_STAMP_OPEN, &in, &out), TW_OK);
	CU_ASSERT_EQUAL(out.ev, TW_STAMP_TLV_EV_HMAC_OPEN);
	tw_stamp_auth_free(&sa);
}

/* The sender's side: sign, then check, then a flipped octet fails. */
static void test_sign_check(void)
{
	struct tw_stamp_auth sa;
	uint8_t key[32], pkt[TW_PKT_STAMP_AUTH_LEN + 36] = {0};
	const uint8_t want[16] = {0x55, 0xcc, 0x0d, 0xa6, 0xfc, 0x47, 0x43, 0xa5,
	                          0x7f, 0x7b, 0x34, 0x6e, 0x64, 0x69, 0x86, 0xa4};
	memset(key, 0x0b, sizeof(key));
	CU_ASSERT_EQUAL_FATAL(tw_stamp_auth_init(&sa, key, sizeof(key)), TW_OK);
	pkt[3] = 4;
	tw_unit_hex("80 05 000c 00000003 00000000 00000000  80 08 0010 " Z16,
	            pkt + TW_PKT_STAMP_AUTH_LEN, 36);
	const size_t b = TW_PKT_STAMP_AUTH_LEN;
	CU_ASSERT_EQUAL(tw_stamp_tlv_sign(&sa, pkt, sizeof(pkt), TW_PKT_STAMP_AUTH), TW_OK);
	TW_ASSERT_BYTES(pkt + b + 20, want, 16);
	CU_ASSERT_EQUAL(tw_stamp_tlv_hmac_verify(&sa, pkt, b, b + 16, pkt + b + 20), TW_OK);
	pkt[b + 7] ^= 1;
	CU_ASSERT_EQUAL(tw_stamp_tlv_hmac_verify(&sa, pkt, b, b + 16, pkt + b + 20), TW_E_HMAC);
	/* no HMAC TLV, or one of the wrong Length: nothing to sign */
	CU_ASSERT_EQUAL(tw_stamp_tlv_sign(&sa, pkt, TW_PKT_STAMP_AUTH_LEN + 16,
	                                       TW_PKT_STAMP_AUTH),
	                TW_E_TLV_END);
	CU_ASSERT_EQUAL(tw_stamp_tlv_sign(&sa, pkt, 50, TW_PKT_STAMP_AUTH), TW_E_TRUNCATED);
	CU_ASSERT_EQUAL(tw_stamp_tlv_sign(&sa, pkt, sizeof(pkt), TW_PKT_TWAMP_AUTH), TW_E_ARG);
	tw_stamp_auth_free(&sa);
}

static void test_args(void)
{
	uint8_t p[TW_PKT_STAMP_OPEN_LEN] = {0};
	struct tw_stamp_tlv_in in = ctx(4, true);
	struct tw_stamp_tlv_out out;
	CU_ASSERT_EQUAL(tw_stamp_tlv_reflect(p, 43, TW_PKT_STAMP_OPEN, &in, &out), TW_E_TRUNCATED);
	CU_ASSERT_EQUAL(tw_stamp_tlv_reflect(p, 44, TW_PKT_TWAMP_OPEN, &in, &out), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_stamp_tlv_reflect(NULL, 44, TW_PKT_STAMP_OPEN, &in, &out), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_stamp_tlv_reflect(p, 44, TW_PKT_STAMP_OPEN, NULL, &out), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_stamp_tlv_reflect(p, 44, TW_PKT_STAMP_OPEN, &in, &out), TW_OK);
	CU_ASSERT_EQUAL(out.n_tlv, 0);
	/* the Follow-Up value read back by a sender */
	const uint8_t v[16] = {0, 0, 0, 5, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 2};
	struct tw_stamp_fu f = tw_stamp_fu_get(v);
	CU_ASSERT_EQUAL(f.seq, 5);
	CU_ASSERT_EQUAL(f.ts, 0x1122334455667788ull);
	CU_ASSERT_EQUAL(f.mode, 2);
}

/* §4.7: out.fu_ts_off names the Follow-Up Timestamp of the first
 * Follow-Up Telemetry TLV (the reflector writes a later-known T3 there). */
static void test_fu_ts_off(void)
{
	/* base 44, Extra Padding (4 + 8), Follow-Up (4 + 16), Follow-Up again */
	uint8_t p[TW_PKT_STAMP_OPEN_LEN + 12 + 20 + 20] = {0};
	uint8_t *a = p + TW_PKT_STAMP_OPEN_LEN;
	const uint8_t tl[3][4] = {{0x80, 1, 0, 8}, {0x80, 7, 0, 16}, {0x80, 7, 0, 16}};
	memcpy(a, tl[0], 4);
	memcpy(a + 12, tl[1], 4);
	memcpy(a + 32, tl[2], 4);
	struct tw_stamp_tlv_in in = ctx(4, true);
	struct tw_stamp_tlv_out out;
	CU_ASSERT_EQUAL(tw_stamp_tlv_reflect(p, sizeof(p), TW_PKT_STAMP_OPEN, &in, &out), TW_OK);
	CU_ASSERT_EQUAL(out.fu_ts_off, TW_PKT_STAMP_OPEN_LEN + 12 + 4 + 4);
	const uint8_t want[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
	TW_ASSERT_BYTES(p + out.fu_ts_off, want, 8);
	/* a malformed Follow-Up (Length 12) is not one to write into */
	uint8_t q[TW_PKT_STAMP_OPEN_LEN + 16] = {0};
	const uint8_t bad[4] = {0x80, 7, 0, 12};
	memcpy(q + TW_PKT_STAMP_OPEN_LEN, bad, 4);
	CU_ASSERT_EQUAL(tw_stamp_tlv_reflect(q, sizeof(q), TW_PKT_STAMP_OPEN, &in, &out), TW_OK);
	CU_ASSERT_EQUAL(out.fu_ts_off, 0);
}

/* RFC 9534 §3.2: the Micro-session ID TLV at a reflector on member link 7. */
struct micro_case {
	const char *name;
	uint16_t link;
	const char *in, *want;
	uint32_t ev;
	bool discard, rewrote;
};

static const struct micro_case micro_cases[] = {
    {"reflector ID 0: ours written", 7, "80 0b 0004 0001 0000", "00 0b 0004 0001 0007", 0, false,
     true},
    {"reflector ID ours", 7, "80 0b 0004 0001 0007", "00 0b 0004 0001 0007", 0, false, false},
    {"another member link: discard", 7, "80 0b 0004 0001 0008", NULL, TW_STAMP_TLV_EV_MICRO_LINK,
     true, false},
    {"sender ID echoed as received", 7, "80 0b 0004 fffe 0000", "00 0b 0004 fffe 0007", 0, false,
     true},
    {"length 2: M", 7, "80 0b 0002 0001", "40 0b 0002 0001", TW_STAMP_TLV_EV_MALFORMED, false,
     false},
    {"length 6: M", 7, "80 0b 0006 0001 0007 0000", "40 0b 0006 0001 0007 0000",
     TW_STAMP_TLV_EV_MALFORMED, false, false},
    {"no member link here: U", 0, "80 0b 0004 0001 0008", "80 0b 0004 0001 0008",
     TW_STAMP_TLV_EV_UNKNOWN, false, false},
    {"beside other TLVs", 7, "80 03 0004 00000000  80 0b 0004 0002 0000  80 01 0004 00000000",
     "00 03 0004 01020102  00 0b 0004 0002 0007  00 01 0004 00000000", 0, false, true},
};

static void test_micro(void)
{
	for (size_t c = 0; c < sizeof(micro_cases) / sizeof(micro_cases[0]); c++) {
		const struct micro_case *k = &micro_cases[c];
		uint8_t pkt[128], want[128];
		memset(pkt, 0x5a, TW_PKT_STAMP_OPEN_LEN);
		size_t n =
		    TW_PKT_STAMP_OPEN_LEN + tw_unit_hex(k->in, pkt + TW_PKT_STAMP_OPEN_LEN, 80);
		struct tw_stamp_tlv_in in = ctx(4, true);
		in.member_link = k->link;
		struct tw_stamp_tlv_out out;
		enum tw_err e = tw_stamp_tlv_reflect(pkt, n, TW_PKT_STAMP_OPEN, &in, &out);
		if (e != TW_OK || out.ev != k->ev || out.discard != k->discard)
			printf("\n  case %s: e %d ev %#x discard %d\n", k->name, (int)e, out.ev,
			       out.discard);
		CU_ASSERT_EQUAL(e, TW_OK);
		CU_ASSERT_EQUAL(out.ev, k->ev);
		CU_ASSERT_EQUAL(out.discard, k->discard);
		if (!k->want)
			continue; /* nothing is sent: the bytes do not matter */
		CU_ASSERT_EQUAL(out.rewrote, k->rewrote);
		memcpy(want, pkt, TW_PKT_STAMP_OPEN_LEN);
		size_t wn =
		    TW_PKT_STAMP_OPEN_LEN + tw_unit_hex(k->want, want + TW_PKT_STAMP_OPEN_LEN, 80);
		CU_ASSERT_EQUAL_FATAL(n, wn);
		TW_ASSERT_BYTES(pkt, want, n);
	}
}

/* Authenticated: the check uses the TLV only once the sender's HMAC holds
 * (RFC 8972 §4.8); a packet whose HMAC fails is answered (I set), never
 * discarded on the strength of an ID nobody vouched for. */
static void test_micro_auth(void)
{
	struct tw_stamp_auth sa;
	uint8_t key[32];
	memset(key, 0x0b, sizeof(key));
	CU_ASSERT_EQUAL_FATAL(tw_stamp_auth_init(&sa, key, sizeof(key)), TW_OK);
	const size_t b = TW_PKT_STAMP_AUTH_LEN;
	for (int bad = 0; bad < 2; bad++) {
		/* the sender's packet (Sequence Number 4), signed */
		uint8_t snd[TW_PKT_STAMP_AUTH_LEN + 28] = {0};
		snd[3] = 4;
		tw_unit_hex("80 0b 0004 0001 0008  80 08 0010 " Z16, snd + b, 28);
		CU_ASSERT_EQUAL_FATAL(tw_stamp_tlv_sign(&sa, snd, sizeof(snd), TW_PKT_STAMP_AUTH),
		                      TW_OK);
		/* as the reflector has it: its own Sequence Number 9 at 0,
		 * the sender's 4 echoed at 48, the TLVs as received */
		uint8_t pkt[sizeof(snd)] = {0};
		pkt[3] = 9;
		pkt[51] = 4;
		memcpy(pkt + b, snd + b, 28);
		if (bad)
			pkt[b + 8 + 4] ^= 1; /* a flipped HMAC octet */
		struct tw_stamp_tlv_in in = ctx(4, true);
		in.sa = &sa;
		in.member_link = 7;
		struct tw_stamp_tlv_out out;
		CU_ASSERT_EQUAL(
		    tw_stamp_tlv_reflect(pkt, sizeof(pkt), TW_PKT_STAMP_AUTH, &in, &out), TW_OK);
		CU_ASSERT_EQUAL(out.discard, !bad);
		CU_ASSERT_EQUAL(out.ev,
		                bad ? TW_STAMP_TLV_EV_HMAC_FAIL : TW_STAMP_TLV_EV_MICRO_LINK);
		if (bad) {
			/* echoed as received, I on it */
			const uint8_t w[8] = {0x20, 0x0b, 0, 4, 0, 1, 0, 8};
			TW_ASSERT_BYTES(pkt + b, w, 8);
		}
	}
	tw_stamp_auth_free(&sa);
}

int main(void)
{
	static const struct tw_unit_case cases[] = {
	    {"Follow-Up Timestamp offset reported", test_fu_ts_off},
	    {"open layout, every TLV type", test_open},
	    {"authenticated: HMAC TLV check and answer", test_auth},
	    {"HMAC TLV sign and check", test_sign_check},
	    {"arguments and follow-up read-back", test_args},
	    {"RFC 9534 Micro-session ID at a member link", test_micro},
	    {"RFC 9534 Micro-session ID, authenticated", test_micro_auth},
	    {NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS || tw_unit_suite("stamp_tlv", cases))
		return 2;
	return tw_unit_run("test_stamp_tlv");
}
