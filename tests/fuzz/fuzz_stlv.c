/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "stlv": the STAMP Session-Sender's reading of the TLVs of
 * replies (lib/tw_stlv.h, tw_stlv_reply: RFC 8972 §4, RFC 9503), which the
 * socket engine runs on every reply a reflector (or anybody who can reach
 * the test port) sends back, and tw_stlv_scan, the check of a TLV area a
 * sender is handed.
 *
 * Input: [ctl:1] then replies, each [len:2][packet...] (the last one takes
 * what is left).  ctl bit 0: authenticated layout with the session key;
 * bit 1: IPv6.  The session sent every TLV kind (tw_stlv_build), so each
 * reply is compared with that; the follow-up ring carries over replies.
 * Each packet sits on a heap buffer of exactly its length.
 *
 * Invariants (abort() on violation): nothing outside the buffers is read
 * (ASan); res.replies counts exactly the replies of at least the base;
 * a read-only pass (the packet is unchanged); without the key no HMAC TLV
 * verifies; matched + repeated + unmatched + empty follow-ups never exceed
 * the TLVs seen; tw_stlv_scan of the input as a template either refuses it
 * or finds the DM/HMAC TLVs where the iterator does, the HMAC TLV last.
 */
#include "fuzz_common.h"

#include "tw_stlv.h"

static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void scan_check(const uint8_t *d, size_t n, bool auth)
{
	static struct tw_stlv_tmpl t;
	if (n > TW_STLV_MAX)
		n = TW_STLV_MAX;
	memset(&t, 0, sizeof(t));
	memcpy(t.b, d, n);
	t.len = (uint16_t)n;
	if (tw_stlv_scan(&t, auth) != TW_OK)
		return;
	struct tw_pkt_tlv_iter it;
	struct tw_pkt_tlv x;
	unsigned k = 0;
	size_t last = TW_STLV_NONE;
	tw_pkt_tlv_iter_init(&it, t.b, t.len);
	while (tw_pkt_tlv_next(&it, &x) == TW_OK) {
		if (x.type == TW_PKT_TLV_DIRECT_MEASUREMENT)
			FUZZ_ASSERT(t.dm_off == x.off && x.len == TW_STLV_DM_LEN);
		last = x.off;
		k++;
	}
	FUZZ_ASSERT(k == t.ntlv);
	if (t.hmac_off != TW_STLV_NONE)
		FUZZ_ASSERT(auth && t.hmac_off == last);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	uint8_t ctl = fz_u8(&f);
	bool auth = ctl & 1;
	unsigned fam = ctl & 2 ? 6 : 4;
	static const char *const words[] = {
	    "location", "tsinfo",        "cos=46,ecn=1",   "dm",   "access=1,1",
	    "followup", "return-path=1", "type=200,len=2", "pad=3"};
	struct tw_stlv_spec sp[12];
	unsigned n = 0;
	char err[200];
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		FUZZ_ASSERT(tw_stlv_parse(words[i], &sp[n++], err, sizeof(err)) == TW_OK);
	FUZZ_ASSERT(tw_stlv_parse(fam == 6 ? "dna=2001:db8::1" : "dna=192.0.2.1", &sp[n++], err,
	                          sizeof(err)) == TW_OK);
	if (auth)
		FUZZ_ASSERT(tw_stlv_parse("hmac", &sp[n++], err, sizeof(err)) == TW_OK);
	static struct tw_stlv_tmpl t;
	FUZZ_ASSERT(tw_stlv_build(sp, n, fam, auth, false, &t, err, sizeof(err)) == TW_OK);
	FUZZ_ASSERT(tw_stlv_scan(&t, auth) == TW_OK);

	struct tw_stamp_auth sa;
	if (auth)
		FUZZ_ASSERT(tw_stamp_auth_init(&sa, key, sizeof(key)) == TW_OK);
	struct tw_stlv_ctx c = {.dscp = 10,
	                        .ecn = 1,
	                        .family = (uint8_t)fam,
	                        .local_port = 40000,
	                        .peer_port = 862,
	                        .sent = &t,
	                        .sa = auth ? &sa : NULL};
	c.local[0] = 192;
	c.peer[0] = 198;
	static struct tw_stlv_rx rx;
	tw_stlv_rx_init(&rx);
	size_t base = auth ? TW_PKT_STAMP_AUTH_LEN : TW_PKT_STAMP_OPEN_LEN;
	uint64_t fed = 0, tlvs = 0;
	while (f.len) {
		size_t l = fz_u16(&f);
		if (l > f.len || !f.len)
			l = f.len;
		uint8_t *pkt = malloc(l ? l : 1);
		if (!pkt)
			break;
		memcpy(pkt, f.p, l);
		f.p += l;
		f.len -= l;
		struct tw_stlv_reply_in in = {.pkt = pkt,
		                              .len = l,
		                              .base = base,
		                              .refl_seq = l >= 4 ? tw_be32(pkt) : 0,
		                              .t3 = l >= 24 ? tw_be64(pkt + 16) : 0,
		                              .t3_ptp = l > 12 && (pkt[12] & 0x40),
		                              .rtt_ns = (int64_t)(l * 1000),
		                              .tos = (int)(l & 0xff)};
		tw_stlv_reply(&rx, &c, &in);
		if (l >= base) {
			fed++;
			struct tw_pkt_tlv_iter it;
			struct tw_pkt_tlv x;
			tw_pkt_tlv_iter_init(&it, pkt + base, l - base);
			while (tw_pkt_tlv_next(&it, &x) == TW_OK)
				tlvs++;
			FUZZ_ASSERT(!memcmp(pkt, data + (f.p - data) - l, l));
		}
		free(pkt);
	}
	const struct tw_stlv_res *r = &rx.res;
	FUZZ_ASSERT(r->replies == fed);
	FUZZ_ASSERT(r->fu_n + r->fu_repeated + r->fu_unmatched + r->fu_zero <= tlvs);
	FUZZ_ASSERT(r->cos_n + r->dm_n + r->loc_n + r->tsi_n <= tlvs);
	FUZZ_ASSERT(r->flag_u <= tlvs && r->flag_i <= tlvs);
	if (!auth)
		FUZZ_ASSERT(r->hmac_ok == 0);
	if (auth)
		tw_stamp_auth_free(&sa);
	scan_check(data, size, ctl & 1);
	return 0;
}
