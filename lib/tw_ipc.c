/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_ipc_validate(): the one place where a received IPC message is checked
 * field by field against the ranges lib/tw_ipc.h documents.  The fast path
 * runs as root and the command ring lives in memory that the control plane
 * (an unprivileged user) writes, so every length, count, enum and key size
 * it will act on is checked here, on a private copy, before any use
 * (docs/ipc.md, "Trust boundary").
 *
 * Only ranges are checked: whether a session id exists, a port is free or a
 * lcore index is in use is the fast path's own state and stays there.
 * Flag words are not checked: the fast path tests known bits only, so an
 * unknown bit cannot make it read or write out of bounds.
 */
#include "tw_ipc.h"

#include <stddef.h>

#include "tw_pkt.h"
#include "tw_stlv.h"

/* Fail with the payload offset of the offending field (ACK/NACK .detail). */
#define BAD(err, type, field)                                                                      \
	do {                                                                                       \
		*bad = (uint32_t)offsetof(type, field);                                            \
		return (err);                                                                      \
	} while (0)

static int addr_ok(const struct tw_ipc_addr *a, int allow_any)
{
	if (a->family == 0)
		return allow_any;
	if (a->family == 4)
		return a->prefix_len <= 32;
	if (a->family == 6)
		return a->prefix_len <= 128;
	return 0;
}

static int vlan_ok(uint16_t vlan)
{
	return vlan <= 4094; /* 0 = untagged; 4095 is reserved (IEEE 802.1Q) */
}

/* A session's flow: both addresses of one family, both ports set. */
static uint32_t flow_bad(const struct tw_ipc_flow *f)
{
	if (f->local.family != 4 && f->local.family != 6)
		return offsetof(struct tw_ipc_flow, local) + 1;
	if (!addr_ok(&f->local, 0))
		return offsetof(struct tw_ipc_flow, local);
	if (f->peer.family != f->local.family || !addr_ok(&f->peer, 0))
		return offsetof(struct tw_ipc_flow, peer);
	if (!f->local_port)
		return offsetof(struct tw_ipc_flow, local_port);
	if (!f->peer_port)
		return offsetof(struct tw_ipc_flow, peer_port);
	if (!vlan_ok(f->vlan))
		return offsetof(struct tw_ipc_flow, vlan);
	return UINT32_MAX;
}

static int sec_ok(uint8_t proto, uint8_t sec)
{
	if (sec != TW_IPC_SEC_OPEN && sec != TW_IPC_SEC_AUTH && sec != TW_IPC_SEC_ENC &&
	    sec != TW_IPC_SEC_MIXED)
		return 0;
	/* STAMP has no encrypted mode (RFC 8762 §4.2). */
	return !(proto == TW_IPC_PROTO_STAMP && sec == TW_IPC_SEC_ENC);
}

/* Key sizes: hmac[] holds 32 octets and the TWAMP test HMAC key is always
 * 32 (RFC 4656 §6.10 via RFC 5357 §6); a STAMP key is 1..32 (§6.2). */
static int keys_ok(uint8_t proto, uint8_t sec, const struct tw_ipc_keys *k)
{
	if (k->hmac_len > sizeof(k->hmac))
		return 0;
	if (sec != TW_IPC_SEC_AUTH && sec != TW_IPC_SEC_ENC)
		return 1;
	if (proto == TW_IPC_PROTO_STAMP)
		return k->hmac_len >= 1;
	return k->hmac_len == sizeof(k->hmac);
}

static int proto_ok(uint8_t proto)
{
	return proto == TW_IPC_PROTO_TWAMP || proto == TW_IPC_PROTO_LIGHT ||
	       proto == TW_IPC_PROTO_STAMP;
}

static enum tw_err v_hello(const struct tw_ipc_hello *m, uint32_t *bad)
{
	if (m->ipc_version != TW_IPC_VERSION)
		BAD(TW_E_VERSION, struct tw_ipc_hello, ipc_version);
	if (!memchr(m->name, 0, sizeof(m->name)))
		BAD(TW_E_ARG, struct tw_ipc_hello, name);
	/* 0 = no watch; otherwise long enough for several heartbeats, and
	 * bounded so that the TSC deadline arithmetic cannot overflow. */
	if (m->grace_ms && (m->grace_ms < TW_IPC_GRACE_MIN_MS || m->grace_ms > TW_IPC_GRACE_MAX_MS))
		BAD(TW_E_ARG, struct tw_ipc_hello, grace_ms);
	return TW_OK;
}

static enum tw_err v_port_config(const struct tw_ipc_port_config *m, uint32_t *bad)
{
	if (m->n_addrs > TW_IPC_PORT_ADDRS)
		BAD(TW_E_ARG, struct tw_ipc_port_config, n_addrs);
	if (!vlan_ok(m->vlan))
		BAD(TW_E_ARG, struct tw_ipc_port_config, vlan);
	for (unsigned i = 0; i < m->n_addrs; i++)
		if (!addr_ok(&m->addrs[i], 0)) {
			*bad = (uint32_t)(offsetof(struct tw_ipc_port_config, addrs) +
			                  i * sizeof(struct tw_ipc_addr));
			return TW_E_ARG;
		}
	return TW_OK;
}

/* The checks REFLECTOR_ADD and SENDER_ADD share: both carry a session id,
 * protocol, security mode, flow, padding, keys and DSCP under the same
 * field names, so one macro names the offending field in either struct. */
#define V_SESSION_COMMON(T, m)                                                                     \
	do {                                                                                       \
		if (!(m)->session)                                                                 \
			BAD(TW_E_ARG, T, session);                                                 \
		if (!proto_ok((m)->proto))                                                         \
			BAD(TW_E_ARG, T, proto);                                                   \
		if (!sec_ok((m)->proto, (m)->sec))                                                 \
			BAD(TW_E_MODE, T, sec);                                                    \
		uint32_t f_ = flow_bad(&(m)->flow);                                                \
		if (f_ != UINT32_MAX) {                                                            \
			*bad = (uint32_t)offsetof(T, flow) + f_;                                   \
			return TW_E_ARG;                                                           \
		}                                                                                  \
		/* Spec §11.2: no UDP datagram carries more padding; bounded before any \
		 * arithmetic, so base + padding_len cannot wrap. */                               \
		if ((m)->pad.padding_len > TW_PKT_MAX_LEN)                                         \
			BAD(TW_E_LENGTH, T, pad.padding_len);                                      \
		if (!keys_ok((m)->proto, (m)->sec, &(m)->keys))                                    \
			BAD(TW_E_ARG, T, keys.hmac_len);                                           \
		if ((m)->dscp > 63)                                                                \
			BAD(TW_E_ARG, T, dscp);                                                    \
	} while (0)

/* The TWAMP test-packet layout of a session's security mode and flags. */
static enum tw_pkt_layout tw_ipc_twamp_layout(uint8_t sec, uint16_t flags)
{
	bool auth = sec == TW_IPC_SEC_AUTH || sec == TW_IPC_SEC_ENC;
	if (flags & TW_IPC_SF_SYMMETRIC)
		return auth ? TW_PKT_TWAMP_SYM_AUTH : TW_PKT_TWAMP_SYM_OPEN;
	return auth ? TW_PKT_TWAMP_AUTH : TW_PKT_TWAMP_OPEN;
}

static enum tw_err v_reflector_add(const struct tw_ipc_reflector_add *m, uint32_t *bad)
{
	V_SESSION_COMMON(struct tw_ipc_reflector_add, m);
	/* RFC 7750 is a TWAMP-Control mode: no Light/STAMP packet has the field */
	if ((m->flags & TW_IPC_SF_DSCP_ECN) && m->proto != TW_IPC_PROTO_TWAMP)
		BAD(TW_E_ARG, struct tw_ipc_reflector_add, flags);
	/* RFC 6038 reflected padding and RFC 7750's octet would share octet 41
	 * of the open/mixed reflector packet: twinhopd refuses the request
	 * (REQ_DSCP_ECN_REFLECT), so such a message is not twinhopd's. */
	if ((m->flags & TW_IPC_SF_DSCP_ECN) && m->pad.reflect_pad_len &&
	    tw_pkt_dscp_ecn_in_padding(tw_ipc_twamp_layout(m->sec, m->flags)))
		BAD(TW_E_ARG, struct tw_ipc_reflector_add, pad.reflect_pad_len);
	if (m->flags & TW_IPC_SF_MICRO) {
		/* RFC 9533 §4.2: TWAMP only, and both packets must hold the
		 * micro-session IDs, or the fast path would read or write them
		 * past the packet (RFC 9533 Figures 2-5, tw_pkt_micro_tab). */
		if (m->proto != TW_IPC_PROTO_TWAMP)
			BAD(TW_E_ARG, struct tw_ipc_reflector_add, flags);
		if (m->pad.padding_len < tw_pkt_micro_min_pad(tw_ipc_twamp_layout(m->sec, m->flags)))
			BAD(TW_E_LENGTH, struct tw_ipc_reflector_add, pad.padding_len);
	}
	return TW_OK;
}

/*
 * The STAMP TLV template of a sender (version 9): only STAMP packets carry
 * TLVs (RFC 8972 §4), after a base with no padding (Extra Padding is a TLV
 * then, §4.1); the area must be what tw_stlv_fill() can fill per packet:
 * well formed to its last octet, at most one Direct Measurement TLV of 12
 * octets (§4.5), at most one HMAC TLV of 16 which is the last and only in
 * the authenticated mode (§4.8).  tw_stlv_scan() is that check, the one the
 * fast path also runs to find the offsets.
 */
static enum tw_err v_sender_tlv(const struct tw_ipc_sender_add *m, uint32_t *bad)
{
	typedef struct tw_ipc_sender_add T;
	if (m->tlv_len == 0)
		return TW_OK;
	if (m->tlv_len > TW_IPC_STLV_MAX)
		BAD(TW_E_LENGTH, T, tlv_len);
	if (m->proto != TW_IPC_PROTO_STAMP)
		BAD(TW_E_ARG, T, tlv_len);
	if (m->pad.padding_len)
		BAD(TW_E_ARG, T, pad.padding_len);
	struct tw_stlv_tmpl t;
	t.len = m->tlv_len;
	memcpy(t.b, m->tlv, m->tlv_len);
	enum tw_err e = tw_stlv_scan(&t, m->sec == TW_IPC_SEC_AUTH);
	if (e != TW_OK)
		BAD(e, T, tlv);
	return TW_OK;
}

static enum tw_err v_sender_add(const struct tw_ipc_sender_add *m, uint32_t *bad)
{
	typedef struct tw_ipc_sender_add T;
	V_SESSION_COMMON(T, m);
	if (m->sched != TW_IPC_SCHED_PERIODIC && m->sched != TW_IPC_SCHED_POISSON)
		BAD(TW_E_ARG, T, sched);
	if (m->interval_ns < TW_IPC_INTERVAL_MIN_NS)
		BAD(TW_E_ARG, T, interval_ns);
	if (m->ecn > 3) /* a 2-bit field (RFC 3168 §5) */
		BAD(TW_E_ARG, T, ecn);
	if ((m->flags & TW_IPC_SF_DSCP_ECN) && m->proto != TW_IPC_PROTO_TWAMP)
		BAD(TW_E_ARG, T, flags);
	/* a reflector's flag (version 15): a sender numbers its own packets */
	if (m->flags & TW_IPC_SF_SEQ_RESYNC)
		BAD(TW_E_ARG, T, flags);
	if (m->flags & TW_IPC_SF_MICRO) {
		/* RFC 9533 §4.2 (version 11): TWAMP, a member link as the
		 * Sender ID (0 is "not known"), and both packets long enough
		 * for the IDs, or the sender would write them past its packet
		 * and read them past the reply (RFC 9533 Figures 2-5).  RFC 9534
		 * STAMP: the IDs go in a Micro-session ID TLV of the session's
		 * TLV area, which must have one. */
		if (m->proto != TW_IPC_PROTO_TWAMP && m->proto != TW_IPC_PROTO_STAMP)
			BAD(TW_E_ARG, T, flags);
		if (!m->micro_sid)
			BAD(TW_E_ARG, T, micro_sid);
		if (m->proto == TW_IPC_PROTO_TWAMP &&
		    m->pad.padding_len <
		        tw_pkt_micro_min_pad(tw_ipc_twamp_layout(m->sec, m->flags)))
			BAD(TW_E_LENGTH, T, pad.padding_len);
	} else {
		/* IDs without the flag would be silently not sent */
		if (m->micro_sid)
			BAD(TW_E_ARG, T, micro_sid);
		if (m->micro_rid)
			BAD(TW_E_ARG, T, micro_rid);
	}
	enum tw_err e = v_sender_tlv(m, bad);
	if (e != TW_OK)
		return e;
	/* once the area is known to be in bounds and well formed */
	if ((m->flags & TW_IPC_SF_MICRO) && m->proto == TW_IPC_PROTO_STAMP &&
	    tw_pkt_micro_tlv_in(m->tlv, m->tlv_len, NULL) < 0)
		BAD(TW_E_FIELD, T, tlv);
	return TW_OK;
}

static enum tw_err v_light_listen(const struct tw_ipc_light_listen *m, uint32_t *bad)
{
	typedef struct tw_ipc_light_listen T;
	if (!m->session)
		BAD(TW_E_ARG, T, session);
	if (m->proto != TW_IPC_PROTO_LIGHT && m->proto != TW_IPC_PROTO_STAMP)
		BAD(TW_E_ARG, T, proto);
	if (!sec_ok(m->proto, m->sec))
		BAD(TW_E_MODE, T, sec);
	if (!addr_ok(&m->flow.local, 1))
		BAD(TW_E_ARG, T, flow.local);
	if (!addr_ok(&m->flow.peer, 1))
		BAD(TW_E_ARG, T, flow.peer);
	if (!m->flow.local_port)
		BAD(TW_E_ARG, T, flow.local_port);
	if (!vlan_ok(m->flow.vlan))
		BAD(TW_E_ARG, T, flow.vlan);
	if (!keys_ok(m->proto, m->sec, &m->keys))
		BAD(TW_E_ARG, T, keys.hmac_len);
	if (m->dscp > 63)
		BAD(TW_E_ARG, T, dscp);
	/* PTP timestamps: a STAMP reflector's setting (RFC 8762 §4.2.1) */
	if ((m->flags & TW_IPC_SF_PTP_TS) && m->proto != TW_IPC_PROTO_STAMP)
		BAD(TW_E_ARG, T, flags);
	return TW_OK;
}

static enum tw_err v_session_ctl(const struct tw_ipc_session_ctl *m, uint32_t *bad)
{
	if (!m->session)
		BAD(TW_E_ARG, struct tw_ipc_session_ctl, session);
	return TW_OK;
}

enum tw_err tw_ipc_validate(const struct tw_ipc_hdr *h, const void *payload, enum tw_ipc_dir dir,
                            uint32_t *bad_off)
{
	uint32_t dummy;
	uint32_t *bad = bad_off ? bad_off : &dummy;
	*bad = 0;
	enum tw_err e = tw_ipc_check(h, payload, dir);
	if (e != TW_OK)
		return e;
	/* Aligned private copies: payload may sit at any address. */
	union {
		struct tw_ipc_hello hello;
		struct tw_ipc_port_config port;
		struct tw_ipc_reflector_add refl;
		struct tw_ipc_sender_add snd;
		struct tw_ipc_light_listen light;
		struct tw_ipc_session_ctl ctl;
	} u;
	switch (h->type) {
	case TW_IPC_HELLO:
		memcpy(&u.hello, payload, sizeof(u.hello));
		return v_hello(&u.hello, bad);
	case TW_IPC_PORT_CONFIG:
		memcpy(&u.port, payload, sizeof(u.port));
		return v_port_config(&u.port, bad);
	case TW_IPC_REFLECTOR_ADD:
		memcpy(&u.refl, payload, sizeof(u.refl));
		return v_reflector_add(&u.refl, bad);
	case TW_IPC_SENDER_ADD:
		memcpy(&u.snd, payload, sizeof(u.snd));
		return v_sender_add(&u.snd, bad);
	case TW_IPC_LIGHT_LISTEN:
		memcpy(&u.light, payload, sizeof(u.light));
		return v_light_listen(&u.light, bad);
	case TW_IPC_REFLECTOR_START:
	case TW_IPC_REFLECTOR_STOP:
	case TW_IPC_SENDER_START:
	case TW_IPC_SENDER_STOP:
	case TW_IPC_SESSION_DEL:
		memcpy(&u.ctl, payload, sizeof(u.ctl));
		return v_session_ctl(&u.ctl, bad);
	default:
		/* STATS_REQUEST, COUNTERS_REQUEST: every value is meaningful
		 * (the fast path range-checks the lcore against its own count).
		 * Events: tw_ipc_check() has bounded the element counts. */
		return TW_OK;
	}
}

void tw_ipc_stlv_from_res(struct tw_ipc_sender_stlv *m, uint32_t session,
                          const struct tw_stlv_res *r)
{
	memset(m, 0, sizeof(*m));
	m->session = session;
#define CP(n, units, d) m->n = r->n;
	TW_IPC_STLV_U64_LIST(CP)
	TW_IPC_STLV_I64_LIST(CP)
	TW_IPC_STLV_U8_LIST(CP)
#undef CP
	memcpy(m->dm_first, r->dm_first, sizeof(m->dm_first));
	memcpy(m->dm_last, r->dm_last, sizeof(m->dm_last));
	m->loc_src_port = r->loc_src_port;
	m->loc_dst_port = r->loc_dst_port;
	memcpy(m->loc_src, r->loc_src, sizeof(m->loc_src));
	memcpy(m->loc_dst, r->loc_dst, sizeof(m->loc_dst));
	memcpy(m->tsi, r->tsi, sizeof(m->tsi));
}

void tw_ipc_stlv_to_res(struct tw_stlv_res *r, const struct tw_ipc_sender_stlv *m)
{
	memset(r, 0, sizeof(*r));
#define CP(n, units, d) r->n = m->n;
	TW_IPC_STLV_U64_LIST(CP)
	TW_IPC_STLV_I64_LIST(CP)
	TW_IPC_STLV_U8_LIST(CP)
#undef CP
	memcpy(r->dm_first, m->dm_first, sizeof(r->dm_first));
	memcpy(r->dm_last, m->dm_last, sizeof(r->dm_last));
	r->loc_src_port = m->loc_src_port;
	r->loc_dst_port = m->loc_dst_port;
	memcpy(r->loc_src, m->loc_src, sizeof(r->loc_src));
	memcpy(r->loc_dst, m->loc_dst, sizeof(r->loc_dst));
	memcpy(r->tsi, m->tsi, sizeof(r->tsi));
}
