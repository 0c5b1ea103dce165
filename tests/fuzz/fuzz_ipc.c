/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "ipc": tw_ipc_validate() (lib/tw_ipc.c), the one check the
 * fast path (root) runs on each command a control process wrote into shared
 * memory before acting on it (issue 8 §6).
 *
 * Input: [dir:1][hdr:16][payload...]
 *   dir % 3 is the ring direction (NONE, CMD, EVT); the header is taken as
 *   it is (host order), except that with dir & 0x80 clear its version and
 *   length are forced to TW_IPC_VERSION and the payload's size, so most
 *   inputs reach the field checks.
 *
 *   With dir & 0x40 set and a SENDER_ADD, everything but the STAMP TLV
 *   template (tlv_len, tlv[]) and sec is overwritten with a valid STAMP
 *   sender, so hostile templates reach tw_stlv_scan() (version 9).
 *
 * Invariants (abort() on violation):
 *  - validate never reads beyond the payload (ASan) and accepts only what
 *    tw_ipc_check() accepts;
 *  - an accepted command has every field the fast path computes with in
 *    range: padding_len <= TW_PKT_MAX_LEN (so base + padding never wraps),
 *    hmac_len <= 32 (the key array), 32 for TWAMP AUTH/ENC, dscp <= 63,
 *    n_addrs <= TW_IPC_PORT_ADDRS, VLAN <= 4094, sessions != 0;
 *  - a refused message reports an offset inside the payload;
 *  - an accepted SENDER_ADD template is STAMP only, at most TW_IPC_STLV_MAX
 *    octets, and tw_stlv_fill() (Direct Measurement, HMAC TLV) stays
 *    inside a packet of exactly base + tlv_len octets (ASan);
 *  - an accepted SENDER_ADD never carries TW_IPC_SF_SEQ_RESYNC (version
 *    15, a reflector's flag);
 *  - an accepted SENDER_ADD with TW_IPC_SF_MICRO (version 11) is TWAMP
 *    with a Sender Micro-session ID, and the IDs fit both its packet and
 *    the reply (ASan); without the flag both IDs are 0.
 */
#include "fuzz_common.h"

#include "tw_ipc.h"
#include "tw_pkt.h"
#include "tw_stlv.h"

static void keys_in_range(uint8_t proto, uint8_t sec, const struct tw_ipc_keys *k)
{
	FUZZ_ASSERT(k->hmac_len <= sizeof(k->hmac));
	if ((sec == TW_IPC_SEC_AUTH || sec == TW_IPC_SEC_ENC) && proto != TW_IPC_PROTO_STAMP)
		FUZZ_ASSERT(k->hmac_len == 32);
}

/* Keep the fuzzed sec (open/auth), tlv_len and tlv[]; make the rest a good
 * STAMP sender so the template check is what decides. */
static void valid_stamp_sender(uint8_t *pl)
{
	struct tw_ipc_sender_add m, g;
	memcpy(&m, pl, sizeof(m));
	memset(&g, 0, sizeof(g));
	g.session = 1;
	g.proto = TW_IPC_PROTO_STAMP;
	g.sec = (m.sec & 1) ? TW_IPC_SEC_AUTH : TW_IPC_SEC_OPEN;
	g.keys.hmac_len = 16;
	g.flow.local.family = g.flow.peer.family = 4;
	g.flow.local_port = g.flow.peer_port = 862;
	g.sched = TW_IPC_SCHED_PERIODIC;
	g.interval_ns = 1000000;
	g.tlv_len = m.tlv_len;
	memcpy(g.tlv, m.tlv, sizeof(g.tlv));
	memcpy(pl, &g, sizeof(g));
}

/* An accepted template, filled per packet as the fast path does. */
static void fill_template(const struct tw_ipc_sender_add *m)
{
	if (!m->tlv_len)
		return;
	FUZZ_ASSERT(m->proto == TW_IPC_PROTO_STAMP && m->tlv_len <= TW_IPC_STLV_MAX);
	bool auth = m->sec == TW_IPC_SEC_AUTH;
	enum tw_pkt_layout lay = auth ? TW_PKT_STAMP_AUTH : TW_PKT_STAMP_OPEN;
	size_t base = tw_pkt_sender_base(lay);
	static struct tw_stlv_tmpl t;
	t.len = m->tlv_len;
	memcpy(t.b, m->tlv, m->tlv_len);
	FUZZ_ASSERT(tw_stlv_scan(&t, auth) == TW_OK);
	uint8_t *pkt = calloc(1, base + t.len);
	FUZZ_ASSERT(pkt);
	memcpy(pkt + base, t.b, t.len);
	static struct tw_stamp_auth sa;
	static bool sa_ok;
	if (!sa_ok) {
		static const uint8_t key[16] = {1, 2, 3};
		FUZZ_ASSERT(tw_stamp_auth_init(&sa, key, sizeof(key)) == TW_OK);
		sa_ok = true;
	}
	FUZZ_ASSERT(tw_stlv_fill(&t, pkt, base, 1, auth ? &sa : NULL) == TW_OK);
	free(pkt);
}

/* RFC 9533 (version 11): an accepted micro-session sender is TWAMP with a
 * Sender ID, and its IDs fit both its packet (base + padding) and the
 * reply (tw_pkt_reflect_len): written and read back at exactly that
 * length (ASan); without the flag both IDs are 0. */
static void micro_ids(const struct tw_ipc_sender_add *m)
{
	/* version 15: the reflector's numbering flag never reaches a sender */
	FUZZ_ASSERT(!(m->flags & TW_IPC_SF_SEQ_RESYNC));
	if (!(m->flags & TW_IPC_SF_MICRO)) {
		FUZZ_ASSERT(m->micro_sid == 0 && m->micro_rid == 0);
		return;
	}
	FUZZ_ASSERT((m->proto == TW_IPC_PROTO_TWAMP || m->proto == TW_IPC_PROTO_STAMP) &&
	            m->micro_sid != 0);
	if (m->proto == TW_IPC_PROTO_STAMP) {
		/* RFC 9534: the TLV area holds a Micro-session ID TLV, which a
		 * packet built from it carries where the sender finds it */
		enum tw_pkt_layout sl =
		    m->sec == TW_IPC_SEC_AUTH ? TW_PKT_STAMP_AUTH : TW_PKT_STAMP_OPEN;
		size_t b = tw_pkt_sender_base(sl), n = b + m->tlv_len;
		uint8_t *q = calloc(1, n);
		FUZZ_ASSERT(q && m->tlv_len <= TW_IPC_STLV_MAX);
		memcpy(q + b, m->tlv, m->tlv_len);
		uint16_t s2 = 0, r2 = 0;
		FUZZ_ASSERT(tw_pkt_micro_put(q, n, sl, false, m->micro_sid, m->micro_rid));
		FUZZ_ASSERT(tw_pkt_micro_get(q, n, sl, true, &s2, &r2) && s2 == m->micro_sid &&
		            r2 == m->micro_rid);
		free(q);
		return;
	}
	bool auth = m->sec == TW_IPC_SEC_AUTH || m->sec == TW_IPC_SEC_ENC;
	bool sym = (m->flags & TW_IPC_SF_SYMMETRIC) != 0;
	enum tw_pkt_layout l = auth ? (sym ? TW_PKT_TWAMP_SYM_AUTH : TW_PKT_TWAMP_AUTH)
	                            : (sym ? TW_PKT_TWAMP_SYM_OPEN : TW_PKT_TWAMP_OPEN);
	size_t slen = tw_pkt_sender_base(l) + m->pad.padding_len;
	size_t rlen = tw_pkt_reflector_base(l) > slen ? tw_pkt_reflector_base(l) : slen;
	uint8_t *p = calloc(1, rlen);
	FUZZ_ASSERT(p);
	uint16_t gs = 0, gr = 0;
	FUZZ_ASSERT(tw_pkt_micro_put(p, slen, l, false, m->micro_sid, m->micro_rid));
	FUZZ_ASSERT(tw_pkt_micro_get(p, slen, l, false, &gs, &gr) && gs == m->micro_sid);
	FUZZ_ASSERT(tw_pkt_micro_put(p, rlen, l, true, m->micro_sid, 7));
	FUZZ_ASSERT(tw_pkt_micro_get(p, rlen, l, true, &gs, &gr) && gr == 7);
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	uint8_t d = fz_u8(&f);
	struct tw_ipc_hdr h;
	memset(&h, 0, sizeof(h));
	size_t n = f.len < sizeof(h) ? f.len : sizeof(h);
	memcpy(&h, f.p, n);
	f.p += n;
	f.len -= n;
	if (f.len > TW_IPC_PAYLOAD_MAX)
		f.len = TW_IPC_PAYLOAD_MAX;
	if (!(d & 0x80)) {
		h.version = TW_IPC_VERSION;
		h.length = (uint32_t)f.len;
	}
	/* The payload buffer holds exactly h.length octets (ASan sees any
	 * read past it); a header claiming more than we have is refused by
	 * the caller's framing in real use, so clamp it here. */
	if (h.length > f.len)
		h.length = (uint32_t)f.len;
	uint8_t *pl = malloc(h.length ? h.length : 1);
	FUZZ_ASSERT(pl);
	memcpy(pl, f.p, h.length);
	if ((d & 0x40) && h.type == TW_IPC_SENDER_ADD &&
	    h.length == sizeof(struct tw_ipc_sender_add))
		valid_stamp_sender(pl);
	enum tw_ipc_dir dir = (enum tw_ipc_dir)(d % 3);
	uint32_t bad = 0xdeadbeef;
	enum tw_err e = tw_ipc_validate(&h, pl, dir, &bad);
	enum tw_err chk = tw_ipc_check(&h, pl, dir);
	if (chk != TW_OK) {
		FUZZ_ASSERT(e == chk);
		free(pl);
		return 0;
	}
	if (e != TW_OK) {
		FUZZ_ASSERT(bad < h.length);
		free(pl);
		return 0;
	}
	switch (h.type) {
	case TW_IPC_SENDER_ADD: {
		struct tw_ipc_sender_add m;
		memcpy(&m, pl, sizeof(m));
		FUZZ_ASSERT(m.session && m.pad.padding_len <= TW_PKT_MAX_LEN && m.dscp <= 63);
		FUZZ_ASSERT(m.flow.vlan <= 4094 && m.interval_ns >= TW_IPC_INTERVAL_MIN_NS);
		keys_in_range(m.proto, m.sec, &m.keys);
		fill_template(&m);
		micro_ids(&m);
		break;
	}
	case TW_IPC_REFLECTOR_ADD: {
		struct tw_ipc_reflector_add m;
		memcpy(&m, pl, sizeof(m));
		FUZZ_ASSERT(m.session && m.pad.padding_len <= TW_PKT_MAX_LEN && m.dscp <= 63);
		FUZZ_ASSERT(m.flow.local.family == m.flow.peer.family && m.flow.vlan <= 4094);
		keys_in_range(m.proto, m.sec, &m.keys);
		break;
	}
	case TW_IPC_LIGHT_LISTEN: {
		struct tw_ipc_light_listen m;
		memcpy(&m, pl, sizeof(m));
		FUZZ_ASSERT(m.session && m.flow.local_port && m.dscp <= 63);
		FUZZ_ASSERT(m.proto == TW_IPC_PROTO_LIGHT || m.proto == TW_IPC_PROTO_STAMP);
		keys_in_range(m.proto, m.sec, &m.keys);
		break;
	}
	case TW_IPC_PORT_CONFIG: {
		struct tw_ipc_port_config m;
		memcpy(&m, pl, sizeof(m));
		FUZZ_ASSERT(m.n_addrs <= TW_IPC_PORT_ADDRS && m.vlan <= 4094);
		break;
	}
	case TW_IPC_HELLO: {
		struct tw_ipc_hello m;
		memcpy(&m, pl, sizeof(m));
		FUZZ_ASSERT(m.ipc_version == TW_IPC_VERSION && memchr(m.name, 0, sizeof(m.name)));
		FUZZ_ASSERT(m.grace_ms == 0 ||
		            (m.grace_ms >= TW_IPC_GRACE_MIN_MS && m.grace_ms <= TW_IPC_GRACE_MAX_MS));
		break;
	}
	default:
		break;
	}
	free(pl);
	return 0;
}
