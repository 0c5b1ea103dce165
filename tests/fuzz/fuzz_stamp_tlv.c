/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "stamp_tlv": the STAMP Session-Reflector's TLV pass
 * (lib/tw_stamp_tlv.h, RFC 8972 §4, RFC 9503), which the fast path runs on
 * every TLV a sender puts in a STAMP packet.
 *
 * Input: [ctl:1][tos:1][dm:4][fu_seq:4][fu_ts:8][sport:2][dport:2][packet...]
 * (missing header octets read as zero).  ctl bit 0: authenticated layout;
 * bit 1: with the session key; bit 2: IPv6; bit 3: source MAC known; bit 4:
 * a previous reply known (Follow-Up).  The packet is the reflected payload
 * (base + TLVs as the sender sent them), on a heap buffer of exactly its
 * length.
 *
 * Invariants (abort() on violation):
 *  - TW_OK iff the packet holds the base; nothing outside the buffer is
 *    touched (ASan); the base octets come back unchanged;
 *  - the top-level TLV walk is the same before and after: same offsets,
 *    Types and Lengths, out->n_tlv TLVs; flag octets differ only in U, M
 *    and I, I is set on every TLV iff TW_STAMP_TLV_EV_HMAC_FAIL;
 *  - values of Extra Padding, Access Report, Destination Node Address and
 *    unknown types are echoed unchanged;
 *  - no_reply only with TW_STAMP_TLV_EV_NO_REPLY; out->hmac only with the
 *    key on the authenticated layout, and then the reply's HMAC TLV checks
 *    (tw_stamp_tlv_hmac_verify over the reply's own Sequence Number).
 */
#include "fuzz_common.h"

#include "tw_stamp_tlv.h"

static const uint8_t key[32] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
static const uint8_t a4[2][4] = {{192, 0, 2, 1}, {198, 51, 100, 7}};
static const uint8_t a6[2][16] = {{0x20, 0x01, 0x0d, 0xb8, [15] = 1},
				  {0x20, 0x01, 0x0d, 0xb8, [15] = 7}};
static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};

/* Every TLV of the longest input run.sh feeds (-max_len=4096: at most
 * 1,018 four-octet TLVs after the 44-octet base) is recorded; past
 * WALK_MAX only the count is. */
#define WALK_MAX 1024u

struct walk {
	unsigned n;
	size_t off[WALK_MAX];
	uint8_t flags[WALK_MAX], type[WALK_MAX];
	uint16_t len[WALK_MAX];
};

static void walk(const uint8_t *area, size_t alen, struct walk *w)
{
	struct tw_pkt_tlv_iter it;
	struct tw_pkt_tlv t = {0};
	enum tw_err e;
	w->n = 0;
	tw_pkt_tlv_iter_init(&it, area, alen);
	while ((e = tw_pkt_tlv_next(&it, &t)) == TW_OK || e == TW_E_TLV_LENGTH) {
		if (w->n < WALK_MAX) {
			w->off[w->n] = t.off;
			w->flags[w->n] = area[t.off];
			w->type[w->n] = t.type;
			w->len[w->n] = t.len;
		}
		w->n++;
		if (e != TW_OK)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tw_stamp_auth sa;
	static int sa_ok;
	static struct walk w0, w1;
	struct fz f = {data, size};

	if (!sa_ok)
		sa_ok = tw_stamp_auth_init(&sa, key, sizeof(key)) == TW_OK ? 1 : -1;
	FUZZ_ASSERT(sa_ok == 1);
	uint8_t ctl = fz_u8(&f);
	bool auth = ctl & 1, v6 = ctl & 4;
	enum tw_pkt_layout l = auth ? TW_PKT_STAMP_AUTH : TW_PKT_STAMP_OPEN;
	struct tw_stamp_tlv_in in = {
		.family = v6 ? 6 : 4,
		.src_addr = v6 ? a6[0] : a4[0],
		.dst_addr = v6 ? a6[1] : a4[1],
		.src_mac = (ctl & 8) ? mac : NULL,
		.local4 = a4[1],
		.local6 = a6[1],
		.ts_info = {1, 2, 1, 2},
		.sa = (ctl & 2) ? &sa : NULL,
	};
	in.tos = fz_u8(&f);
	in.dm_count = fz_u32(&f);
	in.fu_have = ctl & 16;
	in.fu_seq = fz_u32(&f);
	in.fu_ts = fz_u64(&f);
	in.fu_mode = 2;
	in.src_port = fz_u16(&f);
	in.dst_port = fz_u16(&f);
	in.member_link = (ctl & 32) ? fz_u16(&f) : 0; /* RFC 9534: a LAG member link, or none */

	size_t len = f.len;
	uint8_t *pkt = malloc(len ? len : 1);
	uint8_t *orig = malloc(len ? len : 1);
	FUZZ_ASSERT(pkt && orig);
	if (len)
		memcpy(pkt, f.p, len);
	if (len)
		memcpy(orig, f.p, len);

	struct tw_stamp_tlv_out out;
	enum tw_err e = tw_stamp_tlv_reflect(pkt, len, l, &in, &out);
	size_t base = tw_pkt_reflector_base(l);
	if (len < base) {
		FUZZ_ASSERT(e == TW_E_TRUNCATED);
		FUZZ_ASSERT(memcmp(pkt, orig, len) == 0);
		goto done;
	}
	FUZZ_ASSERT(e == TW_OK);
	FUZZ_ASSERT(memcmp(pkt, orig, base) == 0);
	walk(orig + base, len - base, &w0);
	walk(pkt + base, len - base, &w1);
	FUZZ_ASSERT(w0.n == w1.n && w0.n == out.n_tlv);
	bool ifail = out.ev & TW_STAMP_TLV_EV_HMAC_FAIL;
	for (unsigned i = 0; i < w0.n && i < WALK_MAX; i++) {
		FUZZ_ASSERT(w0.off[i] == w1.off[i] && w0.type[i] == w1.type[i] &&
			    w0.len[i] == w1.len[i]);
		uint8_t d = (uint8_t)(w0.flags[i] ^ w1.flags[i]);
		FUZZ_ASSERT((d & ~(TW_PKT_TLV_F_U | TW_PKT_TLV_F_M | TW_PKT_TLV_F_I)) == 0);
		if (ifail)
			FUZZ_ASSERT(w1.flags[i] & TW_PKT_TLV_F_I);
		else
			FUZZ_ASSERT(!(d & TW_PKT_TLV_F_I));
		size_t v = base + w0.off[i] + TW_PKT_TLV_HDR_LEN;
		size_t vl = v + w0.len[i] <= len ? w0.len[i] : (v <= len ? len - v : 0);
		switch (w0.type[i]) {
		case TW_PKT_TLV_LOCATION:
		case TW_PKT_TLV_TIMESTAMP_INFO:
		case TW_PKT_TLV_COS:
		case TW_PKT_TLV_DIRECT_MEASUREMENT:
		case TW_PKT_TLV_FOLLOWUP_TELEMETRY:
		case TW_PKT_TLV_HMAC:
		case TW_PKT_TLV_RETURN_PATH:
			break;
		case TW_PKT_TLV_MICRO_SESSION_ID:
			/* RFC 9534: the Sender ID as received; the Reflector ID
			 * as received or ours */
			FUZZ_ASSERT(v > len || memcmp(pkt + v, orig + v, vl < 2 ? vl : 2) == 0);
			if (vl == TW_STAMP_MICRO_LEN && w0.len[i] == TW_STAMP_MICRO_LEN)
				FUZZ_ASSERT(memcmp(pkt + v + 2, orig + v + 2, 2) == 0 ||
				            (pkt[v + 2] << 8 | pkt[v + 3]) == in.member_link);
			else
				FUZZ_ASSERT(v > len || memcmp(pkt + v, orig + v, vl) == 0);
			break;
		default:
			FUZZ_ASSERT(v > len || memcmp(pkt + v, orig + v, vl) == 0);
		}
	}
	FUZZ_ASSERT(!out.no_reply || (out.ev & TW_STAMP_TLV_EV_NO_REPLY));
	FUZZ_ASSERT(!out.discard || ((out.ev & TW_STAMP_TLV_EV_MICRO_LINK) && in.member_link));
	if (out.hmac) {
		FUZZ_ASSERT(auth && in.sa);
		unsigned i;
		for (i = 0; i < w1.n && i < WALK_MAX && w1.type[i] != TW_PKT_TLV_HMAC; i++)
			;
		/* An HMAC TLV past WALK_MAX was not recorded: nothing to check. */
		if (i < WALK_MAX) {
			FUZZ_ASSERT(i < w1.n && w1.len[i] == TW_STAMP_HMAC_TLV_LEN);
			FUZZ_ASSERT(tw_stamp_tlv_hmac_verify(
					&sa, pkt, base, base + w1.off[i],
					pkt + base + w1.off[i] + TW_PKT_TLV_HDR_LEN) == TW_OK);
		}
	}
	if (!auth || !in.sa)
		FUZZ_ASSERT(!out.hmac && !ifail);
done:
	free(pkt);
	free(orig);
	return 0;
}
