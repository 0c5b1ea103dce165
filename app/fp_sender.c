/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_sender.h"

#include <inttypes.h>
#include <stdlib.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <sys/mman.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "fp_ctl.h"
#include "fp_exc.h"
#include "fp_mem.h"

static struct fp_sender *pool;
static unsigned pool_n;
/* Slots in use (sess != NULL), compact: the per-iteration Tx scan walks
 * only these, not the whole pool (scanning 64 idle slots every iteration
 * cost the reflector ~30 % of its cycles). */
static struct fp_sender **act;
static unsigned act_n;
/* RFC 9533 LAG groups: at most one per sender (fp_micro_grp) */
static struct fp_micro_grp *grps;

/* RFC 9534 §3.1: the value of the first Micro-session ID TLV of a STAMP
 * session's TLV template, or NULL. */
static uint8_t *tmpl_micro(struct tw_stlv_tmpl *t)
{
	ptrdiff_t o = tw_pkt_micro_tlv_in(t->b, t->len, NULL);
	return o < 0 ? NULL : t->b + o + TW_PKT_TLV_HDR_LEN;
}

static void act_add(struct fp_sender *s)
{
	act[act_n++] = s;
}

static void act_del(struct fp_sender *s)
{
	for (unsigned i = 0; i < act_n; i++)
		if (act[i] == s) {
			act[i] = act[--act_n];
			return;
		}
}

int fp_sender_pool_init(unsigned n)
{
	pool = fp_zalloc("fp_senders", sizeof(*pool) * n, RTE_CACHE_LINE_SIZE, SOCKET_ID_ANY);
	act =
	    fp_zalloc("fp_senders_act", sizeof(*act) * (n + 1), RTE_CACHE_LINE_SIZE, SOCKET_ID_ANY);
	grps =
	    fp_zalloc("fp_micro_grps", sizeof(*grps) * (n + 1), RTE_CACHE_LINE_SIZE, SOCKET_ID_ANY);
	if (!pool || !act || !grps)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		pool[i].win = fp_zalloc("fp_snd_win", sizeof(struct fp_snd_slot) * FP_SND_WIN,
		                        RTE_CACHE_LINE_SIZE, SOCKET_ID_ANY);
		pool[i].tlv = fp_zalloc("fp_snd_tlv", sizeof(struct tw_stlv_tmpl),
		                        RTE_CACHE_LINE_SIZE, SOCKET_ID_ANY);
		pool[i].tlv_rx = fp_zalloc("fp_snd_tlv_rx", sizeof(struct tw_stlv_rx),
		                           RTE_CACHE_LINE_SIZE, SOCKET_ID_ANY);
		if (!pool[i].win || !pool[i].tlv || !pool[i].tlv_rx)
			return -ENOMEM;
		pool[i].state = FP_SND_DONE;
	}
	pool_n = n;
	return 0;
}

struct fp_sender *fp_sender_by_id(uint32_t id)
{
	for (unsigned i = 0; i < pool_n; i++)
		if (pool[i].session == id && pool[i].sess)
			return &pool[i];
	return NULL;
}

static inline uint64_t wire_ts(uint64_t tsc, bool z)
{
	uint64_t ntp = fp_tsc_ntp(tsc);
	return z ? tw_time_ntp_to_ptp(ntp) : ntp;
}

static uint64_t ns_to_tsc(uint64_t ns)
{
	return (uint64_t)((double)ns * (double)fp.tsc_hz / 1e9);
}

static bool on_link(uint8_t fam, const uint8_t *a)
{
	const uint8_t *mine = fam == 4 ? fp.addr4 : fp.addr6;
	unsigned plen = fam == 4 ? fp.plen4 : fp.plen6;
	for (unsigned b = 0; b < plen; b++) {
		uint8_t m = (uint8_t)(0x80 >> (b & 7));
		if ((a[b >> 3] & m) != (mine[b >> 3] & m))
			return false;
	}
	return true;
}

/* Ethernet (+802.1Q) + IP + UDP template for the sender's packets. */
static void build_template(struct fp_sender *s, const struct tw_ipc_sender_add *req)
{
	uint8_t *p = s->hdr;
	memset(p, 0, sizeof(s->hdr));
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	memcpy(&eh->dst_addr, req->next_hop_mac, 6);
	eh->src_addr = fp.mac;
	uint16_t off = sizeof(*eh);
	int vlan = req->flow.vlan ? req->flow.vlan : fp.vlan;
	uint16_t et = req->flow.local.family == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6;
	if (vlan > 0) {
		eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(p + off);
		vh->vlan_tci = rte_cpu_to_be_16((uint16_t)vlan);
		vh->eth_proto = rte_cpu_to_be_16(et);
		off += 4;
	} else {
		eh->ether_type = rte_cpu_to_be_16(et);
	}
	s->pi.l3_off = off;
	s->pi.ipv = req->flow.local.family;
	uint16_t udp_len = (uint16_t)(sizeof(struct rte_udp_hdr) + s->pl_len);
	if (s->pi.ipv == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + off);
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + udp_len));
		ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
		ip->next_proto_id = IPPROTO_UDP;
		memcpy(&ip->src_addr, req->flow.local.addr, 4);
		memcpy(&ip->dst_addr, req->flow.peer.addr, 4);
		off += 20;
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(p + off);
		ip6->vtc_flow = RTE_BE32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16(udp_len);
		ip6->proto = IPPROTO_UDP;
		memcpy(ip6->src_addr, req->flow.local.addr, 16);
		memcpy(ip6->dst_addr, req->flow.peer.addr, 16);
		off += 40;
	}
	fp_set_dscp_ttl(p, &s->pi, s->dscp);
	if (s->ecn) { /* RFC 3168 §5: the low two bits of the octet */
		if (s->pi.ipv == 4)
			((struct rte_ipv4_hdr *)(p + s->pi.l3_off))->type_of_service |= s->ecn;
		else
			((struct rte_ipv6_hdr *)(p + s->pi.l3_off))->vtc_flow |=
			    rte_cpu_to_be_32((uint32_t)s->ecn << 20);
	}
	if (s->ttl != 255) {
		if (s->pi.ipv == 4)
			((struct rte_ipv4_hdr *)(p + s->pi.l3_off))->time_to_live = s->ttl;
		else
			((struct rte_ipv6_hdr *)(p + s->pi.l3_off))->hop_limits = s->ttl;
	}
	s->pi.l4_off = off;
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(p + off);
	uh->src_port = rte_cpu_to_be_16(req->flow.local_port);
	uh->dst_port = rte_cpu_to_be_16(req->flow.peer_port);
	uh->dgram_len = rte_cpu_to_be_16(udp_len);
	s->pi.pl_off = (uint16_t)(off + sizeof(*uh));
	s->pi.pl_len = (uint16_t)s->pl_len;
}

/* The test crypto of a sender's session (or a LAG's group session): the
 * Tx and the Rx contexts, keyed once here (set-up, never per packet). */
static enum tw_err sess_crypto(struct fp_session *ss, const struct tw_ipc_sender_add *req)
{
	enum tw_err ce = TW_OK;
	struct fp_sess_crypto *cr = fp_sess_crypto_get(fp.sess, ss);
	if (!cr) {
		ce = TW_E_NOSPACE;
	} else if (req->proto == TW_IPC_PROTO_STAMP) {
		ce = tw_stamp_auth_init(&cr->sa, req->keys.hmac, req->keys.hmac_len);
		if (ce == TW_OK)
			ce = tw_stamp_auth_init(&cr->sa_rx, req->keys.hmac, req->keys.hmac_len);
		cr->have_sa = true;
	} else {
		ce = tw_test_crypto_init(&cr->tc, req->keys.aes, req->keys.hmac);
		if (ce == TW_OK)
			ce = tw_test_crypto_init(&cr->tc_rx, req->keys.aes, req->keys.hmac);
		cr->have_tc = true;
	}
	if (ce == TW_OK && req->proto != TW_IPC_PROTO_STAMP && req->keys.hmac_len == 0)
		ce = TW_E_ARG;
	return ce;
}

/* A LAG's group by its plain 5-tuple key k, or a new one (RFC 9533 §4.1:
 * every micro-session of the LAG has the same flow, SID, mode and keys; a
 * micro-session that differs, or a 5-tuple some other sender owns, is
 * refused with TW_E_ARG). */
static struct fp_micro_grp *grp_get(const struct fp_key *k, const struct tw_ipc_sender_add *req,
				    enum tw_pkt_layout l, enum tw_pkt_prot p, enum tw_err *err)
{
	const struct fp_key *kp = k;
	struct fp_session *gs = NULL;
	fp_sess_lookup_bulk(fp.sess, &kp, 1, &gs);
	*err = TW_E_ARG;
	if (gs) {
		struct fp_micro_grp *g = fp_sess_cold(fp.sess, gs)->grp;
		if (!g || g->sec != req->sec || g->layout != (uint8_t)l ||
		    memcmp(g->keys, &req->keys, sizeof(g->keys)) != 0)
			return NULL;
		return g;
	}
	struct fp_micro_grp *g = NULL;
	for (unsigned i = 0; i < pool_n && !g; i++)
		if (!grps[i].ss)
			g = &grps[i];
	if (!g) {
		*err = TW_E_NOSPACE;
		return NULL;
	}
	int e;
	gs = fp_sess_add(fp.sess, k, &e);
	if (!gs) {
		*err = TW_E_NOSPACE;
		return NULL;
	}
	if (p != TW_PKT_PROT_NONE && (*err = sess_crypto(gs, req)) != TW_OK) {
		fp_sess_del(fp.sess, gs, rte_rdtsc());
		return NULL;
	}
	memset(g, 0, sizeof(*g));
	g->sec = req->sec;
	g->layout = (uint8_t)l;
	memcpy(g->keys, &req->keys, sizeof(g->keys));
	gs->role = FP_ROLE_SENDER;
	gs->layout = (uint8_t)l;
	gs->prot = (uint8_t)p;
	gs->micro = true;
	fp_sess_cold(fp.sess, gs)->grp = g;
	gs->state = FP_SS_ACTIVE;
	g->ss = gs;
	return g;
}

/* The group session goes with its last member. */
static void grp_put(struct fp_micro_grp *g)
{
	if (g->live)
		return;
	fp_sess_del(fp.sess, g->ss, rte_rdtsc());
	tw_crypto_cleanse(g->keys, sizeof(g->keys));
	g->ss = NULL;
}

/* Whether s:r would make the group's matching ambiguous (a pair twice, or
 * a Sender ID with R = 0 beside another: tw_pkt_micro_pairs_ok). */
static bool grp_has(const struct fp_micro_grp *g, uint16_t sid, uint16_t rid)
{
	return !tw_pkt_micro_pairs_ok(g->sid, g->rid, g->n, sid, rid);
}

/* Publish s in g (the Rx lcore may be reading g: sid last). */
static void grp_join(struct fp_micro_grp *g, struct fp_sender *s)
{
	unsigned i = 0;
	while (i < g->n && g->m[i])
		i++;
	g->m[i] = s;
	g->rid[i] = s->micro_rid;
	__atomic_store_n(&g->sid[i], s->micro_sid, __ATOMIC_RELEASE);
	if (i == g->n)
		__atomic_store_n(&g->n, i + 1, __ATOMIC_RELEASE);
	g->live++;
	s->grp = g;
}

static void grp_leave(struct fp_sender *s)
{
	struct fp_micro_grp *g = s->grp;
	for (unsigned i = 0; i < g->n; i++)
		if (g->m[i] == s) {
			__atomic_store_n(&g->sid[i], 0, __ATOMIC_RELEASE);
			__atomic_store_n(&g->m[i], NULL, __ATOMIC_RELEASE);
		}
	g->live--;
	s->grp = NULL;
	grp_put(g);
}

struct fp_sender *fp_sender_add(const struct tw_ipc_sender_add *req, uint64_t rec_cap,
				enum tw_err *err)
{
	*err = TW_E_ARG;
	uint8_t fam = req->flow.local.family;
	if (!req->session || (fam != 4 && fam != 6) || req->flow.peer.family != fam ||
	    !req->flow.local_port || !req->flow.peer_port || req->interval_ns < 100 ||
	    (req->sched != TW_IPC_SCHED_PERIODIC && req->sched != TW_IPC_SCHED_POISSON) ||
	    fp_sender_by_id(req->session))
		return NULL;
	struct fp_sender *s = NULL;
	for (unsigned i = 0; i < pool_n && !s; i++)
		if (!pool[i].sess)
			s = &pool[i];
	if (!s) {
		*err = TW_E_NOSPACE;
		return NULL;
	}
	struct fp_snd_slot *win = s->win;
	struct tw_stlv_tmpl *tlv = s->tlv;
	struct tw_stlv_rx *tlv_rx = s->tlv_rx;
	memset(s, 0, sizeof(*s));
	s->win = win;
	s->tlv = tlv;
	s->tlv_rx = tlv_rx;
	memset(win, 0, sizeof(*win) * FP_SND_WIN);
	s->session = req->session;
	s->proto = req->proto;
	s->sec = req->sec;
	s->sched = req->sched;
	s->z = (req->flags & TW_IPC_SF_PTP_TS) != 0;
	s->no_results = (req->flags & TW_IPC_SF_NO_RESULTS) != 0;
	s->resolve = (req->flags & TW_IPC_SF_RESOLVE) != 0;
	s->dscp = req->dscp & 63;
	s->ecn = req->ecn & 3;
	s->dscp_ecn = (req->flags & TW_IPC_SF_DSCP_ECN) != 0;
	s->ttl = req->ttl ? req->ttl : 255;
	s->ssid = req->ssid;
	bool auth = req->sec == TW_IPC_SEC_AUTH || req->sec == TW_IPC_SEC_ENC;
	bool sym = (req->flags & TW_IPC_SF_SYMMETRIC) != 0;
	if (req->proto == TW_IPC_PROTO_STAMP) {
		if (req->sec == TW_IPC_SEC_ENC) {
			*err = TW_E_MODE;
			return NULL;
		}
		s->layout = auth ? TW_PKT_STAMP_AUTH : TW_PKT_STAMP_OPEN;
	} else if (sym) {
		s->layout = auth ? TW_PKT_TWAMP_SYM_AUTH : TW_PKT_TWAMP_SYM_OPEN;
	} else {
		s->layout = auth ? TW_PKT_TWAMP_AUTH : TW_PKT_TWAMP_OPEN;
	}
	s->prot = req->sec == TW_IPC_SEC_AUTH ? TW_PKT_PROT_AUTH
		  : req->sec == TW_IPC_SEC_ENC ? TW_PKT_PROT_ENC
					       : TW_PKT_PROT_NONE;
	/* RFC 8972 §4: the TLVs follow the STAMP base (tw_ipc_validate
	 * checked the template with tw_stlv_scan; scanned again here on our
	 * copy for the offsets tw_stlv_fill writes at). */
	if (req->tlv_len) {
		if (req->proto != TW_IPC_PROTO_STAMP || req->tlv_len > TW_IPC_STLV_MAX)
			return NULL;
		s->tlv->len = req->tlv_len;
		memcpy(s->tlv->b, req->tlv, req->tlv_len);
		if (tw_stlv_scan(s->tlv, req->sec == TW_IPC_SEC_AUTH) != TW_OK)
			return NULL;
		s->has_tlv = true;
		tw_stlv_rx_init(s->tlv_rx);
		struct tw_stlv_ctx *c = &s->tlv_ctx;
		memset(c, 0, sizeof(*c));
		c->dscp = s->dscp;
		c->ecn = (int8_t)s->ecn;
		c->family = fam;
		memcpy(c->local, req->flow.local.addr, 16);
		memcpy(c->peer, req->flow.peer.addr, 16);
		c->local_port = req->flow.local_port;
		c->peer_port = req->flow.peer_port;
		c->sent = s->tlv;
	}
	s->pl_len = (uint32_t)tw_pkt_sender_base(s->layout) + (s->has_tlv ? s->tlv->len : 0) +
		    req->pad.padding_len;
	/* One unfragmented IP packet on every port (fp.ip_mtu): the
	 * reflector's fast path, like ours, may reflect no fragment. */
	if (s->pl_len + FP_UDP_HLEN + (fam == 4 ? FP_IPV4_HLEN : FP_IPV6_HLEN) > fp.ip_mtu) {
		*err = TW_E_LENGTH;
		return NULL;
	}
	/* The interval in ticks is rarely whole (1 us is 2689.7 ticks at
	 * 2.6897 GHz): the schedule carries the fraction (next_gap), so a
	 * periodic sender keeps its rate exactly instead of running 0.03 %
	 * fast on the truncated tick count. */
	s->interval_ticks = (double)req->interval_ns * (double)fp.tsc_hz / 1e9;
	if (s->interval_ticks < 1.0)
		s->interval_ticks = 1.0;
	s->interval_tsc = (uint64_t)s->interval_ticks;
	s->next_frac = 0;
	s->count = req->count;
	s->duration_tsc = ns_to_tsc(req->duration_ns);
	s->loss_tsc = ns_to_tsc(req->loss_timeout_ns ? req->loss_timeout_ns : 2000000000ull);
	build_template(s, req);
	/* Next hop: the peer if on-link, else the gateway (RFC 4861 / RFC 826
	 * resolution through fp_exc). */
	s->nh_family = fam;
	bool have_gw = fam == 4 ? fp.have_gw4 : fp.have_gw6;
	if (on_link(fam, req->flow.peer.addr) || !have_gw)
		memcpy(s->nh, req->flow.peer.addr, 16);
	else
		memcpy(s->nh, fam == 4 ? fp.gw4 : fp.gw6, 16);

	struct fp_key k;
	memset(&k, 0, sizeof(k));
	k.ipv = fam;
	memcpy(k.local.a, req->flow.local.addr, fam == 4 ? 4 : 16);
	memcpy(k.peer.a, req->flow.peer.addr, fam == 4 ? 4 : 16);
	k.local_port = req->flow.local_port;
	k.peer_port = req->flow.peer_port;
	/* RFC 9533 §4.2: a micro-session's Sender ID is the member link it is
	 * sent from (one of our ports'), its pair of IDs unique in its LAG's
	 * group; its own slot is keyed by the 5-tuple tagged with that pair in
	 * the key's padding, which no parsed packet sets (fp_parse). */
	struct fp_micro_grp *g = NULL;
	if (req->flags & TW_IPC_SF_MICRO) {
		/* the port whose member link is the Sender ID (port 0's is
		 * fp.member_link; --member-link-id A,B,... adds ports) */
		unsigned np = fp.n_ports ? fp.n_ports : 1, pi = 0;
		while (pi < np && (pi ? fp.port_links[pi] : fp.member_link) != req->micro_sid)
			pi++;
		if ((req->proto != TW_IPC_PROTO_TWAMP && req->proto != TW_IPC_PROTO_STAMP) ||
		    !req->micro_sid || pi == np)
			return NULL;
		s->port = (uint8_t)pi;
		if (tw_pkt_is_stamp(s->layout)) {
			/* RFC 9534 §3.2: STAMP carries the IDs in the session's
			 * Micro-session ID TLV, written into its template once
			 * (every packet copies it) */
			uint8_t *v = s->has_tlv ? tmpl_micro(s->tlv) : NULL;
			if (!v) {
				*err = TW_E_FIELD;
				return NULL;
			}
			tw_put_be16(v, req->micro_sid);
			tw_put_be16(v + 2, req->micro_rid);
		} else {
			size_t end = tw_pkt_micro_end(s->layout, false);
			if (!end || s->pl_len < end) {
				*err = TW_E_LENGTH;
				return NULL;
			}
		}
		g = grp_get(&k, req, s->layout, s->prot, err);
		if (!g)
			return NULL;
		bool dup = grp_has(g, req->micro_sid, req->micro_rid);
		if (dup || g->live == FP_MICRO_MAX) {
			*err = dup ? TW_E_ARG : TW_E_NOSPACE;
			grp_put(g);
			return NULL;
		}
		s->micro = true;
		s->micro_sid = req->micro_sid;
		s->micro_rid = req->micro_rid;
		k.pad[0] = 1;
		k.pad[1] = (uint8_t)(req->micro_sid >> 8);
		k.pad[2] = (uint8_t)req->micro_sid;
		k.pad[3] = (uint8_t)(req->micro_rid >> 8);
		k.pad[4] = (uint8_t)req->micro_rid;
	}
	int e;
	struct fp_session *ss = fp_sess_add(fp.sess, &k, &e);
	if (!ss) {
		*err = e == -EEXIST ? TW_E_ARG : TW_E_NOSPACE;
		if (g)
			grp_put(g);
		return NULL;
	}
	if (auth) {
		enum tw_err ce = sess_crypto(ss, req);
		if (ce != TW_OK) {
			fp_sess_del(fp.sess, ss, rte_rdtsc());
			if (g)
				grp_put(g);
			*err = ce;
			return NULL;
		}
	}
	/* §4.8: the replies' HMAC TLV is checked with the receive context */
	if (s->has_tlv && auth)
		s->tlv_ctx.sa = &fp_sess_crypto_get(fp.sess, ss)->sa_rx;
	if (fp_sess_set_id(fp.sess, ss, req->session) != 0) {
		fp_sess_del(fp.sess, ss, rte_rdtsc());
		if (g)
			grp_put(g);
		return NULL;
	}
	ss->micro = s->micro;
	ss->role = FP_ROLE_SENDER;
	ss->layout = (uint8_t)s->layout;
	ss->prot = (uint8_t)s->prot;
	ss->z = s->z;
	fp_sess_cold(fp.sess, ss)->snd = s;
	ss->state = FP_SS_ADDED;
	s->sess = ss;
	if (rec_cap) {
		s->rec = fp_zalloc("fp_snd_rec", sizeof(*s->rec) * rec_cap, 0, SOCKET_ID_ANY);
		s->rec_cap = s->rec ? rec_cap : 0;
	}
	s->state = FP_SND_IDLE;
	if (g)
		grp_join(g, s);
	act_add(s);
	*err = TW_OK;
	if (req->flags & TW_IPC_SF_START_NOW)
		(void)fp_sender_start(s, rte_rdtsc());
	return s;
}

int fp_sender_start(struct fp_sender *s, uint64_t now)
{
	if (s->state != FP_SND_IDLE)
		return -1;
	s->sess->state = FP_SS_ACTIVE;
	s->state = s->resolve ? FP_SND_RESOLVING : FP_SND_RUN;
	s->start_tsc = s->next_tsc = now;
	s->next_frac = 0;
	s->next_solicit = now;
	s->end_tsc = s->duration_tsc ? now + s->duration_tsc : 0;
	return 0;
}

static void to_drain(struct fp_sender *s, uint64_t now)
{
	s->state = FP_SND_DRAIN;
	s->drain_until = (s->last_tx_tsc ? s->last_tx_tsc : now) + s->loss_tsc;
}

void fp_sender_stop(struct fp_sender *s, uint64_t now)
{
	if (s->state == FP_SND_RUN || s->state == FP_SND_RESOLVING || s->state == FP_SND_IDLE)
		to_drain(s, now);
}

void fp_sender_free(struct fp_sender *s)
{
	if (s->grp)
		grp_leave(s);
	if (s->sess) {
		fp_sess_del(fp.sess, s->sess, rte_rdtsc());
		act_del(s);
	}
	s->sess = NULL;
	s->session = 0;
	s->state = FP_SND_DONE;
	/* records (if any) stay until exit for fp_sender_dump */
}

static void record(struct fp_sender *s, const struct tw_ipc_result *r, const uint8_t *raw,
		   uint16_t raw_len)
{
	if (likely(!s->rec))
		return;
	/* split mode: the sending lcore (LOST) and the Rx lcore (replies)
	 * both record; each takes its own slot */
	uint64_t i = fp.split ? __atomic_fetch_add(&s->rec_n, 1, __ATOMIC_RELAXED) : s->rec_n++;
	if (i < s->rec_cap) {
		struct fp_snd_rec *x = &s->rec[i];
		x->r = *r;
		x->raw_len = raw_len > sizeof(x->raw) ? sizeof(x->raw) : raw_len;
		if (raw)
			memcpy(x->raw, raw, x->raw_len);
	}
}

/* rx: called by the lcore that read the reply (else the sending one):
 * each counts in its own fields (struct fp_sender). */
static void deliver(struct fp_lcore *lc, struct fp_sender *s, const struct tw_ipc_result *r,
		    const uint8_t *raw, uint16_t raw_len, bool rx)
{
	record(s, r, raw, raw_len);
	if (s->no_results || !fp.ctl || !fp.ctl->ring)
		return;
	bool ok = fp_ctl_result(lc, r) == 0;
	if (rx)
		++*(ok ? &s->rx_results_sent : &s->rx_results_dropped);
	else
		++*(ok ? &s->results_sent : &s->results_dropped);
}

/* Move a slot from state `from` to `to`; false when the other lcore moved
 * it first (split mode: a reply and its loss report at the same moment). */
static inline bool settle(struct fp_snd_slot *sl, uint8_t from, uint8_t to)
{
	if (!fp.split) {
		sl->state = to;
		return true;
	}
	return __atomic_compare_exchange_n(&sl->state, &from, to, false, __ATOMIC_RELAXED,
					   __ATOMIC_RELAXED);
}

/* Report the oldest outstanding packet as LOST. */
static void report_lost(struct fp_lcore *lc, struct fp_sender *s, uint32_t seq)
{
	struct fp_snd_slot *sl = &s->win[seq % FP_SND_WIN];
	if (!settle(sl, 1, 3))
		return; /* answered meanwhile: its reply is the result */
	s->lost++;
	struct tw_ipc_result r;
	memset(&r, 0, sizeof(r));
	r.session = s->session;
	r.sender_seq = seq;
	r.flags = TW_IPC_RES_LOST;
	r.t1 = sl->t1;
	r.err1 = sl->err1;
	r.dscp_tx = s->dscp;
	deliver(lc, s, &r, NULL, 0, false);
}

static void loss_scan(struct fp_lcore *lc, struct fp_sender *s, uint64_t now, bool force_one)
{
	while (s->loss_cursor != s->next_seq) {
		struct fp_snd_slot *sl = &s->win[s->loss_cursor % FP_SND_WIN];
		if (sl->state == 1) {
			if (!force_one && (int64_t)(now - sl->tx_tsc) < (int64_t)s->loss_tsc)
				break;
			report_lost(lc, s, s->loss_cursor);
		}
		force_one = false;
		s->loss_cursor++;
	}
}

/*
 * Schedule accuracy (--sched-stats N, a benchmark mode; issue 9 §4): for the
 * first N packets every sender sends, the schedule error (the TSC read
 * right before the packet is encoded, which is T1, minus the TSC the
 * schedule asked for), the actual gap since the sender's previous packet
 * and the gap the schedule drew, in TSC ticks.  The arrays are allocated at
 * start (fp_sched_init); the loop only stores into them.  fp_sched_report()
 * sorts them at exit for exact percentiles and the Kolmogorov-Smirnov
 * statistic of the gaps against the exponential (Poisson, RFC 3432).
 */
static struct {
	uint32_t *err, *gap, *sgap;
	uint64_t n, cap, skipped;
	uint32_t sched;	      /* the schedule of the recorded senders (the first one's) */
	double interval_ticks; /* their mean interval */
} sched_rec;

int fp_sched_init(uint64_t cap)
{
	/* Mapped and written here (MAP_POPULATE), so no page is faulted in
	 * inside the timed loop: calloc'ed arrays (and malloc + memset 0,
	 * which the compiler turns into calloc) are mapped to the zero page,
	 * and their first store per 4 KiB page trapped into the kernel
	 * (about 3,800 page faults a second at 1 Mpps). */
	size_t len = cap * sizeof(uint32_t);
	uint32_t *a[3];
	for (int i = 0; i < 3; i++) {
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED) {
			while (i-- > 0)
				munmap(a[i], len);
			return -ENOMEM;
		}
		a[i] = p;
	}
	sched_rec.err = a[0];
	sched_rec.gap = a[1];
	sched_rec.sgap = a[2];
	sched_rec.cap = cap;
	return 0;
}

static inline uint32_t ticks32(uint64_t t)
{
	return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* One packet: tsc its T1 read, due its scheduled TSC, gap_tsc the gap the
 * schedule drew to it (0 for a sender's first packet: no gap). */
static inline void sched_note(const struct fp_sender *s, uint64_t tsc, uint64_t due,
			      uint64_t gap_tsc)
{
	if (likely(!sched_rec.cap))
		return;
	if (!s->sent || sched_rec.n >= sched_rec.cap) {
		sched_rec.skipped += s->sent != 0;
		return;
	}
	if (!sched_rec.interval_ticks) {
		sched_rec.sched = s->sched;
		sched_rec.interval_ticks = s->interval_ticks;
	}
	uint64_t k = sched_rec.n++;
	sched_rec.err[k] = ticks32(tsc - due);
	sched_rec.gap[k] = ticks32(tsc - s->last_tx_tsc);
	sched_rec.sgap[k] = ticks32(gap_tsc);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Kolmogorov-Smirnov D of sorted samples v[0..n) (ticks) against the
 * exponential distribution of mean `mean` ticks. */
static double ks_exp(const uint32_t *v, uint64_t n, double mean)
{
	double d = 0;
	for (uint64_t i = 0; i < n; i++) {
		double f = 1.0 - exp(-(double)v[i] / mean);
		double lo = f - (double)i / (double)n, hi = (double)(i + 1) / (double)n - f;
		if (lo > d)
			d = lo;
		if (hi > d)
			d = hi;
	}
	return d;
}

void fp_sched_report(FILE *out)
{
	uint64_t n = sched_rec.n;
	if (!sched_rec.cap)
		return;
	if (!n) {
		fprintf(out, "sched: no samples\n");
		return;
	}
	double ns = 1e9 / (double)fp.tsc_hz;
	qsort(sched_rec.err, n, sizeof(uint32_t), cmp_u32);
	qsort(sched_rec.gap, n, sizeof(uint32_t), cmp_u32);
	qsort(sched_rec.sgap, n, sizeof(uint32_t), cmp_u32);
#define PCT(v, q) ((double)(v)[(uint64_t)((double)(n - 1) * (q))] * ns)
	fprintf(out, "sched: schedule=%s interval_ns=%.1f n=%" PRIu64 " not_recorded=%" PRIu64 "\n",
	        sched_rec.sched == TW_IPC_SCHED_PERIODIC ? "periodic" : "poisson",
	        sched_rec.interval_ticks * ns, n, sched_rec.skipped);
	fprintf(out, "sched: error_ns p50=%.1f p99=%.1f p999=%.1f max=%.1f\n", PCT(sched_rec.err, .5),
		PCT(sched_rec.err, .99), PCT(sched_rec.err, .999),
		(double)sched_rec.err[n - 1] * ns);
	double sum = 0;
	for (uint64_t i = 0; i < n; i++)
		sum += sched_rec.gap[i];
	fprintf(out, "sched: gap_ns mean=%.1f p1=%.1f p50=%.1f p99=%.1f max=%.1f\n",
		sum / (double)n * ns, PCT(sched_rec.gap, .01), PCT(sched_rec.gap, .5),
		PCT(sched_rec.gap, .99), (double)sched_rec.gap[n - 1] * ns);
	if (sched_rec.sched != TW_IPC_SCHED_PERIODIC) {
		double mean = sched_rec.interval_ticks;
		/* the gaps sent, and the gaps the schedule drew: telling the
		 * generator's quality from the loop's timing */
		fprintf(out,
			"sched: ks_D_sent=%.5f ks_D_drawn=%.5f ks_crit_5pct=%.5f (vs exponential, "
			"mean %.1f ns)\n",
			ks_exp(sched_rec.gap, n, mean), ks_exp(sched_rec.sgap, n, mean),
			1.358 / sqrt((double)n), mean * ns);
	}
#undef PCT
}

static inline uint64_t next_gap(struct fp_sender *s)
{
	double g = s->interval_ticks;
	if (s->sched != TW_IPC_SCHED_PERIODIC) {
		/* RFC 3432 / RFC 2330 Poisson: exponential gaps, mean interval. */
		double u = ((double)(rte_rand() >> 11) + 0.5) * (1.0 / 9007199254740992.0);
		g = -log(u) * s->interval_ticks;
		if (g < 1.0)
			g = 1.0;
	}
	/* whole ticks, plus the carry of the fractions so far (2^-32 tick) */
	uint64_t whole = (uint64_t)g;
	uint64_t acc = (uint64_t)s->next_frac + (uint64_t)((g - (double)whole) * 4294967296.0);
	s->next_frac = (uint32_t)acc;
	return whole + (acc >> 32);
}

/* The next due time; the gap drawn is kept for --sched-stats. */
static inline void advance(struct fp_sender *s)
{
	s->last_gap_tsc = next_gap(s);
	s->next_tsc += s->last_gap_tsc;
}

void fp_sender_tx_failed(struct fp_lcore *lc, struct rte_mbuf **tx, struct fp_sender **who,
			 unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct fp_sender *s = who[i];
		struct rte_mbuf *m = tx[i];
		uint32_t seq = m->hash.usr; /* set by fp_sender_tx (the payload may be encrypted) */
		struct fp_snd_slot *sl = &s->win[seq % FP_SND_WIN];
		if (sl->state == 1)
			sl->state = 0; /* no fate record: it is in tx_drops */
		/* A packet the port refused never left, so it was not sent and its
		 * Sequence Number is given to the next packet (RFC 4656 §4.1.2,
		 * for RFC 5357 §4.1.2: zero, then one more for each subsequent
		 * packet).  The port takes a prefix of the
		 * burst, so a session's refused packets are its last ones and the
		 * first refused is its lowest: rewind to it.  Without this the
		 * receiver saw a gap and counted packets that never left as lost. */
		if ((int32_t)(seq - s->next_seq) < 0)
			s->next_seq = seq;
		s->tx_drops++;
		s->sent--;
		struct fp_sess_cold *sc = fp_sess_cold(fp.sess, s->sess);
		sc->tx--;
		sc->tx_octets -= s->pl_len;
		rte_pktmbuf_free(m);
	}
	FP_ADD(lc->cnt, DROP_TX_FULL, n);
}

unsigned fp_sender_tx(struct fp_lcore *lc, uint64_t now, struct rte_mbuf **tx,
		      struct fp_sender **who, unsigned room, unsigned port)
{
	unsigned n = 0;
	for (unsigned i = 0; i < act_n && n < room; i++) {
		struct fp_sender *s = act[i];
		if (s->state != FP_SND_RUN || now < s->next_tsc || s->port != port)
			continue;
		while (n < room && now >= s->next_tsc) {
			if ((s->count && s->sent >= s->count) || (s->end_tsc && now >= s->end_tsc)) {
				to_drain(s, now);
				break;
			}
			if (now - s->next_tsc > s->interval_tsc)
				FP_INC(lc->cnt, SENDER_LATE);
			struct rte_mbuf *m = rte_pktmbuf_alloc(fp.mp);
			if (!m) {
				FP_INC(lc->cnt, DROP_MBUF_ALLOC);
				s->tx_drops++;
				advance(s);
				continue;
			}
			uint32_t seq = s->next_seq;
			if (seq - s->loss_cursor >= FP_SND_WIN)
				loss_scan(lc, s, now, true);
			uint16_t flen = (uint16_t)(s->pi.pl_off + s->pl_len);
			uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, flen);
			memcpy(f, s->hdr, s->pi.pl_off);
			uint8_t *pl = f + s->pi.pl_off;
			size_t base = tw_pkt_sender_base(s->layout);
			uint16_t tl = s->has_tlv ? s->tlv->len : 0;
			if (tl) /* RFC 8972 §4: the session's TLVs right after the base */
				memcpy(pl + base, s->tlv->b, tl);
			memset(pl + base + tl, 0, s->pl_len - base - tl);
			/* T1 as late as possible: read per packet, just
			 * before it is encoded and protected (mode 4 and STAMP
			 * auth cover T1). */
			uint64_t tsc = rte_rdtsc();
			sched_note(s, tsc, s->next_tsc, s->last_gap_tsc);
			struct tw_pkt_sender sp = {.seq = seq, .ts = wire_ts(tsc, s->z),
						   .errest = fp.errest[s->z], .ssid = s->ssid};
			(void)tw_pkt_sender_encode(s->layout, &sp, pl, s->pl_len);
			/* RFC 9533 §4.2, inside what is protected below (STAMP:
			 * in the template's Micro-session ID TLV already) */
			if (s->micro && !tw_pkt_is_stamp(s->layout))
				(void)tw_pkt_micro_put(pl, s->pl_len, s->layout, false, s->micro_sid,
						       s->micro_rid);
			/* §4.5 S_TxC (this packet included, as the socket engine)
			 * and the §4.8 HMAC TLV over the Sequence Number just
			 * written; both fixed-size writes, no allocation. */
			if (tl && tw_stlv_fill(s->tlv, pl, base, seq + 1,
					       s->prot != TW_PKT_PROT_NONE ? &s->sess->crypto->sa
									   : NULL) != TW_OK) {
				FP_INC(lc->cnt, DROP_CRYPTO);
				rte_pktmbuf_free(m);
				s->tx_drops++;
				advance(s);
				continue;
			}
			if (s->prot != TW_PKT_PROT_NONE) {
				/* one packet: T1 was just read (docs/fastpath.md) */
				struct tw_crypto_op op = {.pkt = pl, .len = s->pl_len};
				if (tw_pkt_is_stamp(s->layout)) {
					op.sa = &s->sess->crypto->sa;
				} else {
					struct tw_pkt_region r = tw_pkt_region(s->layout, false, s->prot);
					op.tc = &s->sess->crypto->tc;
					op.enc_len = r.enc_len;
					op.hmac_off = r.hmac_off;
				}
				tw_crypto_protect_burst(lc->crypto, &op, 1);
				enum tw_err e = op.rc;
				if (e != TW_OK) {
					FP_INC(lc->cnt, DROP_CRYPTO);
					rte_pktmbuf_free(m);
					s->tx_drops++;
					advance(s);
					continue;
				}
			}
			fp_l4_cksum(f, &s->pi, fp.port.tx_cksum, m);
			struct fp_snd_slot *sl = &s->win[seq % FP_SND_WIN];
			sl->t1 = sp.ts;
			sl->err1 = sp.errest;
			sl->tx_tsc = tsc;
			sl->state = 1;
			if (!s->sent)
				s->start_ntp = fp_tsc_ntp(tsc);
			s->next_seq++;
			s->sent++;
			struct fp_sess_cold *sc = fp_sess_cold(fp.sess, s->sess);
			sc->tx++;
			sc->tx_octets += s->pl_len;
			s->last_tx_tsc = tsc;
			advance(s);
			m->hash.usr = seq;
			who[n] = s;
			tx[n++] = m;
			FP_INC(lc->cnt, SENT);
		}
	}
	return n;
}

/* Wire timestamp (NTP, or PTP when ptp, RFC 8186) as NTP 32.32. */
static inline uint64_t as_ntp(uint64_t ts, bool ptp)
{
	return ptp ? tw_time_ptp_to_ntp(ts) : ts;
}

/*
 * RFC 8972 §4 / RFC 9503: what the reply's TLVs say, read by lib/tw_stlv
 * (lib/tw_cursor.h underneath) into the session's results, as the socket
 * engine does; a reply with a TLV flagged U/M/I, a short TLV area or a bad
 * HMAC TLV is counted (it still counts as a reply).
 */
static void read_tlvs(struct fp_lcore *lc, struct fp_sender *s, const struct tw_pkt_reflector *rp,
		      const struct tw_ipc_result *r, const uint8_t *pl, size_t len, uint8_t tos)
{
	struct tw_stlv_res *res = &s->tlv_rx->res;
	uint64_t flagged = res->flag_u + res->flag_m + res->flag_i, shrt = res->area_short,
		 hbad = res->hmac_bad;
	bool zr = tw_errest_z(rp->errest);
	uint64_t t1 = as_ntp(r->t1, s->z), t4 = as_ntp(r->t4, s->z);
	uint64_t t2 = as_ntp(rp->t2, zr), t3 = as_ntp(rp->t3, zr);
	struct tw_stlv_reply_in in = {.pkt = pl,
				      .len = len,
				      .base = tw_pkt_reflector_base(s->layout),
				      .refl_seq = rp->seq,
				      .t3 = rp->t3,
				      .t3_ptp = zr,
				      .rtt_ns = tw_ntp_diff_ns(t4, t1) - tw_ntp_diff_ns(t3, t2),
				      .tos = tos};
	tw_stlv_reply(s->tlv_rx, &s->tlv_ctx, &in);
	if (res->flag_u + res->flag_m + res->flag_i != flagged)
		FP_INC(lc->cnt, STAMP_REPLY_TLV_FLAGGED);
	if (res->area_short != shrt)
		FP_INC(lc->cnt, STAMP_REPLY_TLV_SHORT);
	if (res->hmac_bad != hbad)
		FP_INC(lc->cnt, STAMP_REPLY_TLV_HMAC_FAIL);
}

/*
 * RFC 9533 §4.2: the micro-session of a LAG's group that a (verified,
 * decoded) reply belongs to, by its Sender Micro-session ID, as the socket
 * engine's micro_demux; NULL when it is discarded, counted by name: the
 * Sender ID is none of the group's (DROP_MICRO_SENDER_ID), or the
 * Reflector ID is not the one that micro-session expects
 * (DROP_MICRO_REFLECTOR_ID, also a drop of that session); too short for
 * the IDs is DROP_REPLY_SHORT.
 */
static struct fp_sender *micro_demux(struct fp_counters *c, const struct fp_micro_grp *g,
				     const uint8_t *pl, size_t len, enum tw_pkt_layout l)
{
	uint16_t gs, gr, sids[FP_MICRO_MAX], rids[FP_MICRO_MAX];
	if (tw_pkt_is_stamp(l)) {
		/* RFC 9534 §3.2: the IDs of a STAMP reply are its
		 * Micro-session ID TLV's; one the reflector did not take up
		 * (U: no LAG there; M; I: RFC 8972 §4) names no member link
		 * of its, so its Sender ID identifies none of ours */
		uint8_t f = 0;
		size_t o = tw_pkt_micro_tlv(pl, len, l, &f);
		if (!o || (f & (TW_PKT_TLV_F_U | TW_PKT_TLV_F_M | TW_PKT_TLV_F_I))) {
			FP_INC(c, DROP_MICRO_SENDER_ID);
			return NULL;
		}
		gs = tw_be16(pl + o);
		gr = tw_be16(pl + o + 2);
	} else if (!tw_pkt_micro_get(pl, len, l, true, &gs, &gr)) {
		FP_INC(c, DROP_REPLY_SHORT);
		return NULL;
	}
	unsigned n = __atomic_load_n(&g->n, __ATOMIC_ACQUIRE), k = 0;
	for (unsigned i = 0; i < n; i++) {
		sids[i] = __atomic_load_n(&g->sid[i], __ATOMIC_ACQUIRE);
		rids[i] = g->rid[i];
	}
	/* 0 marks a retired slot: never a member link, so never a match */
	if (gs == 0) {
		FP_INC(c, DROP_MICRO_SENDER_ID);
		return NULL;
	}
	enum tw_pkt_micro_verdict v = tw_pkt_micro_match(sids, rids, n, gs, gr, &k);
	struct fp_sender *s = v == TW_PKT_MICRO_UNKNOWN ? NULL
							: __atomic_load_n(&g->m[k], __ATOMIC_ACQUIRE);
	if (!s) {
		FP_INC(c, DROP_MICRO_SENDER_ID);
		return NULL;
	}
	if (v == TW_PKT_MICRO_WRONG_REF) {
		FP_INC(c, DROP_MICRO_REFLECTOR_ID);
		struct fp_session *ms = __atomic_load_n(&s->sess, __ATOMIC_RELAXED);
		if (ms)
			ms->drop++;
		return NULL;
	}
	return s;
}

enum fp_rx_verdict fp_sender_rx(struct fp_lcore *lc, struct rte_mbuf *m, struct fp_pinfo *pi,
				struct fp_session *ss, uint64_t t4_tsc)
{
	const struct fp_sess_cold *sc = fp_sess_cold(fp.sess, ss);
	struct fp_sender *s = sc->snd;
	struct fp_counters *c = lc->cnt;
	uint8_t *pl = rte_pktmbuf_mtod(m, uint8_t *) + pi->pl_off;
	size_t len = pi->pl_len;
	/* A LAG's group session: every member has the group's layout, mode
	 * and keys, so any member serves until the IDs say which it is. */
	const struct fp_micro_grp *g = sc->grp;
	if (unlikely(g)) {
		unsigned n = __atomic_load_n(&g->n, __ATOMIC_ACQUIRE);
		s = NULL;
		for (unsigned i = 0; i < n && !s; i++)
			s = __atomic_load_n(&g->m[i], __ATOMIC_ACQUIRE);
	}
	if (unlikely(!s)) {
		FP_INC(c, DROP_REPLY_UNKNOWN);
		return FP_RX_DROP;
	}
	/* Liberal (wire ref §11b.7): a reply that ends inside the Sender TTL
	 * tail still carries every timestamp; tw_pkt_reflector_echo_len() is
	 * the base for authenticated layouts, whose HMAC needs the whole. */
	if (len < tw_pkt_reflector_echo_len(s->layout)) {
		FP_INC(c, DROP_REPLY_SHORT);
		return FP_RX_DROP;
	}
	if (s->prot != TW_PKT_PROT_NONE) {
		enum tw_err e;
		if (fp_crypto_verified(lc, pi, &e)) {
			/* verified with the rest of the burst (fp_reflector.c) */
		} else if (tw_pkt_is_stamp(s->layout)) {
			e = tw_stamp_auth_verify(&ss->crypto->sa_rx, pl, len);
		} else {
			struct tw_pkt_region r = tw_pkt_region(s->layout, true, s->prot);
			e = tw_test_verify(&ss->crypto->tc_rx, pl, len, r.enc_len, r.hmac_off);
		}
		if (e != TW_OK) {
			FP_INC(c, DROP_BAD_HMAC);
			return FP_RX_DROP;
		}
	}
	struct tw_pkt_reflector rp;
	size_t short_by = 0;
	if (unlikely(s->echo)) {
		struct tw_pkt_sender sp;
		if (tw_pkt_sender_decode(s->layout, pl, len, &sp) != TW_OK) {
			FP_INC(c, DROP_REPLY_SHORT);
			return FP_RX_DROP;
		}
		memset(&rp, 0, sizeof(rp));
		rp.sender_seq = sp.seq;
		rp.t1 = sp.ts;
		rp.sender_errest = sp.errest;
		rp.sender_ttl = pi->ttl;
		rp.ssid = sp.ssid;
	} else if (tw_pkt_reflector_decode_liberal(s->layout, pl, len, &rp, &short_by) != TW_OK) {
		FP_INC(c, DROP_REPLY_SHORT);
		return FP_RX_DROP;
	}
	struct fp_session *ms = ss;
	if (unlikely(g)) {
		s = micro_demux(c, g, pl, len, s->layout);
		ms = s ? __atomic_load_n(&s->sess, __ATOMIC_RELAXED) : NULL;
		if (!ms)
			return FP_RX_DROP;
	}
	uint32_t sseq = rp.sender_seq;
	struct fp_snd_slot *sl = &s->win[sseq % FP_SND_WIN];
	/* Only a number we sent within the window, carrying the T1 we sent
	 * (guards against stale slots and forged replies). */
	uint32_t age = s->next_seq - sseq;
	if (age == 0 || age > FP_SND_WIN || sl->state == 0 || sl->t1 != rp.t1) {
		FP_INC(c, DROP_REPLY_SEQ);
		return FP_RX_DROP;
	}
	struct tw_ipc_result r;
	memset(&r, 0, sizeof(r));
	uint8_t st = __atomic_load_n(&sl->state, __ATOMIC_RELAXED);
	if (st == 1 && !settle(sl, 1, 2))
		st = 3; /* reported lost a moment ago (split mode) */
	if (st == 2) {
		r.flags |= TW_IPC_RES_DUP;
		s->dup++;
		FP_INC(c, DUP_REPLIES);
	} else if (st == 3) {
		r.flags |= TW_IPC_RES_LATE;
		s->late++;
		FP_INC(c, LATE_REPLIES);
		__atomic_store_n(&sl->state, 2, __ATOMIC_RELAXED);
	} else {
		s->replies++;
		FP_INC(c, REPLIES);
	}
	if (unlikely(short_by)) {
		r.flags |= TW_IPC_RES_TTL_NONE;
		FP_INC(c, REPLY_NO_TTL);
	}
	r.session = s->session;
	r.sender_seq = sseq;
	r.reflector_seq = rp.seq;
	r.ttl_fwd = rp.sender_ttl;
	r.ttl_back = pi->ttl;
	r.t1 = rp.t1;
	r.t2 = rp.t2;
	r.t3 = rp.t3;
	r.t4 = wire_ts(t4_tsc, s->z);
	r.err1 = rp.sender_errest;
	r.err2 = rp.errest;
	r.err3 = rp.errest;
	r.err4 = fp.errest[s->z];
	r.dscp_tx = s->dscp;
	r.dscp_rx = (uint8_t)(pi->tos >> 2);
	r.tos_rx = pi->tos;
	if (s->dscp_ecn && tw_pkt_get_dscp_ecn(pl, len, s->layout, &r.tos_fwd))
		r.flags |= TW_IPC_RES_TOS_FWD;
	r.ssid = rp.ssid;
	r.rx_len = (uint16_t)len;
	if (s->has_tlv)
		read_tlvs(lc, s, &rp, &r, pl, len, pi->tos);
	ms->rx++;
	ms->rx_octets += len;
	ms->last_rx_tsc = t4_tsc;
	deliver(lc, s, &r, pl, (uint16_t)len, true);
	return FP_RX_DROP; /* consumed: the mbuf is freed by the caller */
}

static void summary(struct fp_lcore *lc, struct fp_sender *s, uint16_t reason, uint64_t now)
{
	/* What the replies' TLVs said, before the summary on the same ring,
	 * so control has it when the session ends. */
	if (s->has_tlv && fp.ctl && fp.ctl->ring) {
		struct tw_ipc_sender_stlv st;
		tw_ipc_stlv_from_res(&st, s->session, &s->tlv_rx->res);
		(void)fp_ctl_flush(lc);
		(void)fp_ctl_stlv(lc, &st);
	}
	struct tw_ipc_sender_summary sum;
	memset(&sum, 0, sizeof(sum));
	sum.session = s->session;
	sum.reason = reason;
	sum.sent = s->sent;
	sum.replies = s->replies;
	sum.lost = s->lost;
	sum.late = s->late;
	sum.dup = s->dup;
	sum.tx_drops = s->tx_drops;
	sum.results_sent = s->results_sent + s->rx_results_sent;
	sum.results_dropped = s->results_dropped + s->rx_results_dropped;
	sum.start_ntp = s->start_ntp;
	sum.end_ntp = fp_tsc_ntp(now);
	if (fp.ctl && fp.ctl->ring) {
		(void)fp_ctl_flush(lc);
		(void)fp_ctl_summary(lc, &sum);
	}
	s->summary_sent = true;
}

void fp_sender_tick(struct fp_lcore *lc, uint64_t now)
{
	for (unsigned i = 0; i < pool_n; i++) {
		struct fp_sender *s = &pool[i];
		if (!s->sess)
			continue;
		switch (s->state) {
		case FP_SND_RESOLVING: {
			const struct fp_neigh *n = fp_exc_neigh(fp.exc, s->nh_family, s->nh);
			if (n) {
				memcpy(s->hdr, &n->mac, 6);
				s->state = FP_SND_RUN;
				s->start_tsc = s->next_tsc = now;
				s->next_frac = 0;
				s->end_tsc = s->duration_tsc ? now + s->duration_tsc : 0;
			} else if (now >= s->next_solicit) {
				struct rte_mbuf *m = fp_exc_solicit(fp.mp, s->nh_family, s->nh);
				if (m && fp_ctl_port_tx(lc, &m, 1) == 1)
					FP_INC(lc->cnt, NEIGH_SOLICIT);
				else if (m)
					rte_pktmbuf_free(m);
				s->next_solicit = now + fp.tsc_hz / 5;
			}
			break;
		}
		case FP_SND_RUN:
			loss_scan(lc, s, now, false);
			if ((s->count && s->sent >= s->count) || (s->end_tsc && now >= s->end_tsc))
				to_drain(s, now);
			break;
		case FP_SND_DRAIN:
			loss_scan(lc, s, now, false);
			if (now >= s->drain_until) {
				while (s->loss_cursor != s->next_seq)
					loss_scan(lc, s, now, true);
				s->state = FP_SND_DONE;
				s->sess->state = FP_SS_ADDED;
				summary(lc, s,
					s->count && s->sent >= s->count ? TW_IPC_END_COUNT
					: s->end_tsc && now >= s->end_tsc ? TW_IPC_END_DURATION
									  : TW_IPC_END_STOP,
					now);
				fp_ctl_event(s->session, TW_IPC_EV_ENDED, 0, s->replies, s->sent);
			}
			break;
		default:
			break;
		}
	}
}

bool fp_sender_all_done(void)
{
	for (unsigned i = 0; i < pool_n; i++)
		if (pool[i].sess && pool[i].state != FP_SND_DONE)
			return false;
	return true;
}

int fp_sender_dump(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	for (unsigned i = 0; i < pool_n; i++) {
		struct fp_sender *s = &pool[i];
		if (!s->rec)
			continue;
		fprintf(f,
			"S session=%u sent=%" PRIu64 " replies=%" PRIu64 " lost=%" PRIu64
			" late=%" PRIu64 " dup=%" PRIu64 " tx_drops=%" PRIu64 " layout=%d prot=%d\n",
			s->session, s->sent, s->replies, s->lost, s->late, s->dup, s->tx_drops,
			(int)s->layout, (int)s->prot);
		for (uint64_t k = 0; k < s->rec_n && k < s->rec_cap; k++) {
			const struct fp_snd_rec *x = &s->rec[k];
			const struct tw_ipc_result *r = &x->r;
			fprintf(f,
				"R session=%u sseq=%u rseq=%u flags=%u ttl_fwd=%u ttl_back=%u"
				" t1=%016" PRIx64 " t2=%016" PRIx64 " t3=%016" PRIx64 " t4=%016" PRIx64
				" err1=%04x err2=%04x err3=%04x err4=%04x dscp_tx=%u dscp_rx=%u"
				" ssid=%u rx_len=%u raw=",
				r->session, r->sender_seq, r->reflector_seq, r->flags, r->ttl_fwd,
				r->ttl_back, r->t1, r->t2, r->t3, r->t4, r->err1, r->err2, r->err3,
				r->err4, r->dscp_tx, r->dscp_rx, r->ssid, r->rx_len);
			for (unsigned b = 0; b < x->raw_len; b++)
				fprintf(f, "%02x", x->raw[b]);
			fputc('\n', f);
		}
	}
	return fclose(f);
}

bool fp_sender_due_within(uint64_t now, unsigned us)
{
	uint64_t lim = now + (uint64_t)us * 2 * (fp.tsc_hz / 1000000);
	for (unsigned i = 0; i < act_n; i++)
		if (act[i]->state == FP_SND_RUN && act[i]->next_tsc < lim)
			return true;
	return false;
}
