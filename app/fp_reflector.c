/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_reflector.h"

#include <errno.h>

#include <rte_cycles.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "fp_cksum.h"
#include "fp_mem.h"
#include "fp_peers.h"
#include "tw_stamp_tlv.h"
#include "tw_time.h"

/* Wire value of a TSC reading (NTP, or truncated PTP with the Z bit). */
static inline uint64_t wire_ts(uint64_t tsc, bool z)
{
	uint64_t ntp = fp_tsc_ntp(tsc);
	return z ? tw_time_ntp_to_ptp(ntp) : ntp;
}

/* T2 of a packet: the burst shares one TSC value, so convert it once. */
static inline uint64_t t2_wire(struct fp_lcore *lc, uint64_t tsc, bool z)
{
	if (tsc != lc->t2_tsc) {
		lc->t2_tsc = tsc;
		lc->t2_ntp = fp_tsc_ntp(tsc);
	}
	return z ? tw_time_ntp_to_ptp(lc->t2_ntp) : lc->t2_ntp;
}

/* Room after the UDP payload start in this (single-segment) mbuf. */
static inline size_t pl_cap(const struct rte_mbuf *m, const struct fp_pinfo *pi)
{
	return (size_t)(m->buf_len - m->data_off) - pi->pl_off;
}

/* A new stateful peer's first Sender Sequence Number from which it is taken
 * as a session under way (reflect_light); below it, a new session whose
 * first packets may have been lost on the way out. */
#define FP_PEER_RESYNC 16

/* What one reflection needs besides the packet: the session's (or Light
 * listener's) parameters, gathered once per packet by fp_reflect_session()
 * and fp_reflect_light() so the helpers below take one pointer.  It lives
 * on the caller's stack; with reflect_body() always inlined, the compiler
 * keeps its fields in registers and folds the constant ones (layout and
 * protection of the open TWAMP instance). */
struct fp_refl {
	enum tw_pkt_layout layout;
	enum tw_pkt_prot prot;
	uint32_t pad_len; /* Padding Length (RFC 5357 §4.2.1) */
	uint32_t seq;	  /* reflector sequence number of this reply */
	uint32_t dm_cnt;  /* RFC 8972 §4.5 Direct Measurement count, 0 = none */
	struct fp_fu *fu; /* RFC 8972 §4.7 Follow-Up state, NULL = stateless */
	bool z;		  /* PTP timestamps (RFC 8186) */
	bool dscp_ecn;	  /* RFC 7750 Sender DSCP and ECN field */
	bool micro;	  /* RFC 9533 micro-session IDs (generic instance only) */
	/* Number this reply from the Sender Sequence Number when that is at
	 * least resync ahead of seq; 0 = never (generic instance only) */
	uint8_t resync;
	uint8_t dscp, ttl;
	struct tw_test_crypto *tc; /* TWAMP modes 2/4 */
	struct tw_stamp_auth *sa;  /* STAMP authenticated */
	uint16_t fu_off; /* Follow-Up Timestamp the late pass writes, 0 = none */
};

static inline uint8_t reply_dscp(bool copy, uint8_t dscp, const struct fp_pinfo *pi)
{
	return copy ? (uint8_t)(pi->tos >> 2) : dscp;
}

/* Checksums of a finished reply.  Tx offload when the port has it (chosen
 * by capability in fp_port); otherwise RFC 1624 incremental from the
 * request's checksum when fp_cs_pre() allowed it, else in full. */
static inline void reply_cksum(struct rte_mbuf *m, uint8_t *f, const struct fp_pinfo *pi,
			       const struct fp_cs_ref *cs, const struct fp_refl *rf)
{
	enum tw_pkt_layout l = rf->layout;
	uint8_t tos = (uint8_t)(rf->dscp << 2), ttl = rf->ttl;
	if (fp.port.tx_cksum || !cs->incr) {
		fp_l4_cksum(f, pi, fp.port.tx_cksum, m);
		return;
	}
	uint8_t *udp = f + pi->l4_off;
	const uint8_t *addrs;
	size_t alen;
	if (pi->ipv == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + pi->l3_off);
		/* fp_turn_around: total length set, fragment offset 0;
		 * fp_set_dscp_ttl + finish: TOS and TTL */
		ip->hdr_checksum = fp_cs_ipv4_values(
			cs->ip_rest, ip->version_ihl, tos,
			(uint16_t)(pi->pl_off + pi->pl_len - pi->l3_off), 0, ttl, IPPROTO_UDP);
		addrs = (const uint8_t *)&ip->src_addr;
		alen = 8;
	} else {
		addrs = ((struct rte_ipv6_hdr *)(f + pi->l3_off))->src_addr;
		alen = 32;
	}
	uint16_t c = fp_cs_final(fp_cs_post(cs, udp, addrs, alen, l));
	memcpy(udp + 6, &c, 2);
}

/* Common tail: addresses/ports swapped, DSCP and TTL 255 set, checksums;
 * T3 is left to the late-T3 pass when it lies outside the protection. */
static inline enum fp_rx_verdict finish(struct fp_lcore *lc, struct rte_mbuf *m,
					struct fp_pinfo *pi, int rlen, const struct fp_refl *rf,
					bool late_t3, struct fp_late_t3 *late,
					const struct fp_cs_ref *cs)
{
	uint8_t ttl = rf->ttl;
	if (fp_turn_around(m, pi, (uint16_t)rlen, &fp.mac) != 0)
		return FP_RX_DROP;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	fp_set_dscp_ttl(f, pi, rf->dscp);
	if (ttl != 255) {
		if (pi->ipv == 4)
			((struct rte_ipv4_hdr *)(f + pi->l3_off))->time_to_live = ttl;
		else
			((struct rte_ipv6_hdr *)(f + pi->l3_off))->hop_limits = ttl;
	}
	pi->pl_len = (uint16_t)rlen;
	/* With T3 = 0 for now: the late pass patches T3 in (RFC 1624). */
	FP_STAGE_T0(st);
	reply_cksum(m, f, pi, cs, rf);
	FP_STAGE_NESTED(lc, checksum, st);
	if (late_t3) {
		/* the addresses the late pass writes, so it follows no mbuf
		 * or pinfo pointer */
		late->t3 = f + pi->pl_off + tw_pkt_geom(rf->layout)->r_t3;
		late->ck = f + pi->l4_off + 6;
		late->z = rf->z;
		late->fu = rf->fu_off ? f + pi->pl_off + rf->fu_off : NULL;
		return FP_RX_TX_T3;
	}
	return FP_RX_TX;
}

void fp_reflect_late_t3(struct fp_late_t3 *v, unsigned n, uint64_t t3_tsc)
{
	/* One clock read for the burst, immediately before Tx: T3 error is
	 * only this loop and the PMD Tx (spec §4.7).  T3 and the Error
	 * Estimate (5 words at an even offset) are patched into the UDP
	 * checksum computed in finish() (RFC 1624 eqn. 3: HC' = ~(~HC + ~m +
	 * m')); with Tx offload there is nothing to patch: the device sums
	 * the payload.  The new words are the same for every reply of the
	 * burst (one per timestamp format), so their sum m' is taken once
	 * here; per reply only the old words are summed (one's complement:
	 * ~(sum of m) is the sum of the ~m, and fp_cs_final maps both zeros
	 * to 0xffff, so the result is fp_cs_patch's). */
	uint64_t ntp = fp_tsc_ntp(t3_tsc);
	uint64_t wt[2] = {rte_cpu_to_be_64(ntp), rte_cpu_to_be_64(tw_time_ntp_to_ptp(ntp))};
	uint16_t we[2] = {rte_cpu_to_be_16(fp.errest[0]), rte_cpu_to_be_16(fp.errest[1])};
	uint16_t sum_new[2];
	for (unsigned z = 0; z < 2; z++)
		sum_new[z] = fp_cs_fold((wt[z] & 0xffffffffu) + (wt[z] >> 32) + we[z]);
	bool sw = !fp.port.tx_cksum;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *t3 = v[i].t3;
		unsigned z = v[i].z;
		uint64_t ot;
		uint16_t oe;
		memcpy(&ot, t3, 8);
		memcpy(&oe, t3 + 8, 2);
		memcpy(t3, &wt[z], 8);
		memcpy(t3 + 8, &we[z], 2);
		/* RFC 8972 §4.7: a reply that names the one before it in the
		 * burst gets that one's real T3, this same read */
		uint64_t of = 0;
		if (v[i].fu) {
			memcpy(&of, v[i].fu, 8);
			memcpy(v[i].fu, &wt[z], 8);
		}
		if (sw) {
			uint16_t hc;
			memcpy(&hc, v[i].ck, 2);
			uint64_t o = (ot & 0xffffffffu) + (ot >> 32) + oe;
			uint64_t s = sum_new[z];
			if (v[i].fu) {
				o += (of & 0xffffffffu) + (of >> 32);
				s += (wt[z] & 0xffffffffu) + (wt[z] >> 32);
			}
			hc = fp_cs_final(fp_cs_fold((uint64_t)(uint16_t)~hc +
						    (uint16_t)~fp_cs_fold(o) + s));
			memcpy(v[i].ck, &hc, 2);
		}
	}
}

/* Verify (and for mode 4 decrypt) a protected sender packet in place. */
static inline int verify_sender(struct fp_counters *c, const struct fp_refl *rf, uint8_t *pl,
				size_t len)
{
	enum tw_pkt_layout l = rf->layout;
	enum tw_pkt_prot p = rf->prot;
	if (p == TW_PKT_PROT_NONE)
		return 0;
	if (len < tw_pkt_sender_base(l)) {
		FP_INC(c, DROP_BAD_LENGTH);
		return -1;
	}
	enum tw_err e;
	if (tw_pkt_is_stamp(l)) {
		e = tw_stamp_auth_verify(rf->sa, pl, len);
	} else {
		struct tw_pkt_region r = tw_pkt_region(l, false, p);
		e = tw_test_verify(rf->tc, pl, len, r.enc_len, r.hmac_off);
	}
	if (e == TW_OK)
		return 0;
	if (e == TW_E_HMAC)
		FP_INC(c, DROP_BAD_HMAC);
	else
		FP_INC(c, DROP_CRYPTO);
	return -1;
}

/* Protect a finished reflector packet.  T3 must already be in place when
 * it is inside the protected region (mode 4, STAMP auth). */
static inline int protect_reply(struct fp_counters *c, const struct fp_refl *rf, uint8_t *pl,
				size_t len)
{
	enum tw_pkt_layout l = rf->layout;
	enum tw_err e;
	if (tw_pkt_is_stamp(l)) {
		e = tw_stamp_auth_sign(rf->sa, pl, len);
	} else {
		struct tw_pkt_region r = tw_pkt_region(l, true, rf->prot);
		e = tw_test_protect(rf->tc, pl, len, r.enc_len, r.hmac_off);
	}
	if (e != TW_OK) {
		FP_INC(c, DROP_CRYPTO);
		return -1;
	}
	return 0;
}

/*
 * Burst crypto (issue 9 §3).  Verifying and protecting one packet at a time
 * leaves the crypto library idle between packets; lib/tw_crypto's engine
 * (intel-ipsec-mb, docs/architecture.md) takes a whole burst at once.  So:
 *
 *   - verify: the first protected packet of a burst (reflector or sender
 *     session, or protected Light/STAMP listener) triggers one
 *     tw_crypto_verify_burst() over it and every later protected packet of
 *     the burst (fp_crypto_verified); each keeps its result, and the
 *     checksum pre-pass fp_cs_pre() runs first, on the request as
 *     received, exactly as the one-packet path does;
 *   - protect: reflect_body() parks each finished protected reply
 *     (FP_RX_CONSUMED) and fp_crypto_burst_end() stamps T3 where it is
 *     inside the protection (one TSC read for them all), protects them all
 *     with one tw_crypto_protect_burst(), then turns each around and sums
 *     it (finish()), and hands the replies to Tx.
 *
 * Open sessions never enter this code: the open instance of reflect_body()
 * has the protection as a constant and folds it away.
 */
struct fp_crypto_pre {
	uint8_t state; /* PRE_NONE: not handled here; PRE_DONE: rc (and cs) valid */
	enum tw_err rc;
	struct fp_cs_ref cs; /* reflector requests: fp_cs_pre() before the decrypt */
};
enum { PRE_UNSEEN, PRE_NONE, PRE_DONE };

/* A protected reply waiting for the burst's protect call. */
struct fp_crypto_pend {
	struct rte_mbuf *m;
	struct fp_pinfo *pi;
	int rlen;
	bool late_t3;
	unsigned i; /* packet index in the burst: its pre[] entry */
	struct fp_refl rf;
};

struct fp_crypto_batch {
	struct rte_mbuf **pkts;
	struct fp_pinfo *pi; /* fp_lcore_rx_burst's pi[]: pi - this = packet index */
	const uint8_t *idx;
	struct fp_session **sess;
	unsigned nk;
	bool scanned;
	unsigned n_pend;
	struct fp_crypto_pre pre[FP_BURST];
	struct fp_crypto_pend pend[FP_BURST];
	struct tw_crypto_op ops[FP_BURST];
	unsigned op_pkt[FP_BURST];
};

int fp_crypto_lcore_init(struct fp_lcore *lc)
{
	lc->cb = fp_zalloc("fp_crypto_batch", sizeof(*lc->cb), RTE_CACHE_LINE_SIZE,
	                   (int)rte_lcore_to_socket_id(lc->lcore_id));
	return lc->cb ? 0 : -ENOMEM;
}

void fp_crypto_burst_begin(struct fp_lcore *lc, struct rte_mbuf **pkts, struct fp_pinfo *pi,
			   const uint8_t *idx, struct fp_session **sess, unsigned nk)
{
	struct fp_crypto_batch *cb = lc->cb;
	cb->pkts = pkts;
	cb->pi = pi;
	cb->idx = idx;
	cb->sess = sess;
	cb->nk = nk;
	cb->scanned = false;
	cb->n_pend = 0;
}

/* What a packet of the key list needs verified, if anything: the same
 * choices (and cheap early drops) as fp_reflect_session, fp_reflect_light
 * and fp_sender_rx, so a packet is never decrypted in place that would go
 * to the kernel, and one that is dropped before its verify costs none. */
static bool pre_op(struct fp_lcore *lc, struct fp_session *s, struct rte_mbuf *m,
		   struct fp_pinfo *pi, struct tw_crypto_op *op, bool *refl, uint32_t *pad,
		   enum tw_pkt_layout *lay)
{
	enum tw_pkt_layout l;
	enum tw_pkt_prot p;
	uint8_t *pl = rte_pktmbuf_mtod(m, uint8_t *) + pi->pl_off;
	bool reflector;
	if (s) {
		if (!s->crypto || s->prot == TW_PKT_PROT_NONE)
			return false;
		l = (enum tw_pkt_layout)s->layout;
		p = (enum tw_pkt_prot)s->prot;
		if (s->role == FP_ROLE_REFLECTOR) {
			if ((s->state != FP_SS_ACTIVE && s->state != FP_SS_STOPPING) ||
			    (s->min_ttl && pi->ttl < s->min_ttl) ||
			    (!tw_pkt_is_stamp(l) &&
			     pi->pl_len < tw_pkt_sender_base(l) + s->pad_len))
				return false; /* fp_reflect_session drops it unverified */
			reflector = true;
			*pad = s->pad_len;
			op->tc = &s->crypto->tc;
			op->sa = &s->crypto->sa;
		} else if (s->role == FP_ROLE_SENDER) {
			reflector = false;
			op->tc = &s->crypto->tc_rx;
			op->sa = &s->crypto->sa_rx;
		} else {
			return false;
		}
	} else {
		uint16_t li = __atomic_load_n(&fp.light_idx[pi->key.local_port], __ATOMIC_ACQUIRE);
		if (!li)
			return false;
		const struct fp_light *fl = &fp.light[li - 1];
		if (fl->prot == TW_PKT_PROT_NONE || (fl->family && fl->family != pi->ipv) ||
		    (fl->peer_family &&
		     (fl->peer_family != pi->ipv ||
		      memcmp(fl->peer_addr, pi->key.peer.a, pi->ipv == 4 ? 4 : 16) != 0)) ||
		    (fl->min_ttl && pi->ttl < fl->min_ttl))
			return false;
		l = (enum tw_pkt_layout)fl->layout;
		p = (enum tw_pkt_prot)fl->prot;
		if (pi->pl_len < tw_pkt_sender_base(l))
			return false;
		reflector = true;
		*pad = (uint32_t)(pi->pl_len - tw_pkt_sender_base(l));
		op->tc = fl->tc ? &fl->tc[lc->index] : NULL;
		op->sa = fl->sa ? &fl->sa[lc->index] : NULL;
	}
	/* verify_sender / fp_sender_rx count a short packet themselves */
	if (pi->pl_len < (reflector ? tw_pkt_sender_base(l) : tw_pkt_reflector_base(l)))
		return false;
	if (tw_pkt_is_stamp(l)) {
		op->tc = NULL;
	} else {
		struct tw_pkt_region r = tw_pkt_region(l, !reflector, p);
		op->sa = NULL;
		op->enc_len = r.enc_len;
		op->hmac_off = r.hmac_off;
	}
	op->pkt = pl;
	op->len = pi->pl_len;
	*refl = reflector;
	*lay = l;
	return true;
}

/* Verify, in one engine call, every protected packet of the burst from
 * packet index `from` on (the first one that asked). */
static void crypto_scan(struct fp_lcore *lc, unsigned from)
{
	struct fp_crypto_batch *cb = lc->cb;
	unsigned n = 0;
	cb->scanned = true;
	for (unsigned j = 0; j < cb->nk; j++) {
		unsigned i = cb->idx[j];
		if (i < from)
			continue;
		struct fp_crypto_pre *pr = &cb->pre[i];
		struct rte_mbuf *m = cb->pkts[i];
		struct fp_pinfo *pi = &cb->pi[i];
		bool refl = false;
		uint32_t pad = 0;
		enum tw_pkt_layout l;
		pr->state = PRE_NONE;
		if (!pre_op(lc, cb->sess[j], m, pi, &cb->ops[n], &refl, &pad, &l))
			continue;
		pr->cs.incr = false;
		if (refl && !fp.port.tx_cksum) {
			/* before the decrypt, as reflect_body() does */
			uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
			fp_cs_pre(&pr->cs, f + pi->l4_off, pi->pl_len, l, pad);
			if (pi->ipv == 4)
				pr->cs.ip_rest =
					fp_cs_ipv4_rest(f + pi->l3_off, (size_t)(pi->l4_off - pi->l3_off));
		}
		pr->state = PRE_DONE;
		cb->op_pkt[n++] = i;
	}
	tw_crypto_verify_burst(lc->crypto, cb->ops, n);
	for (unsigned k = 0; k < n; k++)
		cb->pre[cb->op_pkt[k]].rc = cb->ops[k].rc;
}

bool fp_crypto_verified(struct fp_lcore *lc, const struct fp_pinfo *pi, enum tw_err *rc)
{
	struct fp_crypto_batch *cb = lc->cb;
	if (!cb || !cb->pi || pi < cb->pi || pi >= cb->pi + FP_BURST)
		return false;
	unsigned i = (unsigned)(pi - cb->pi);
	if (!cb->scanned)
		crypto_scan(lc, i);
	const struct fp_crypto_pre *pr = &cb->pre[i];
	if (pr->state != PRE_DONE)
		return false;
	*rc = pr->rc;
	return true;
}

/* Park a finished protected reply for the burst's protect call. */
static inline bool crypto_defer(struct fp_lcore *lc, struct rte_mbuf *m, struct fp_pinfo *pi,
				int rlen, const struct fp_refl *rf, bool late_t3, bool cs_full)
{
	struct fp_crypto_batch *cb = lc->cb;
	if (!cb || !cb->pi || pi < cb->pi || pi >= cb->pi + FP_BURST ||
	    cb->pre[pi - cb->pi].state != PRE_DONE || cb->n_pend >= FP_BURST)
		return false;
	struct fp_crypto_pend *pd = &cb->pend[cb->n_pend++];
	pd->m = m;
	pd->pi = pi;
	pd->rlen = rlen;
	pd->late_t3 = late_t3;
	pd->i = (unsigned)(pi - cb->pi);
	pd->rf = *rf;
	/* STAMP TLV values were rewritten: the incremental checksum recorded
	 * before them no longer holds (reflect_body sets cs.incr false too). */
	if (cs_full)
		cb->pre[pd->i].cs.incr = false;
	return true;
}

/* Is T3 outside what protection covers, so it can be stamped after it?
 * Open layouts: yes.  TWAMP mode 2: the region is octets 0..15 and T3 is at
 * 16 (spec §3.6).  Mode 4 (0..95) and STAMP auth (0..95): no. */
static inline bool t3_is_late(enum tw_pkt_layout l, enum tw_pkt_prot p)
{
	if (p == TW_PKT_PROT_NONE)
		return true;
	struct tw_pkt_region r = tw_pkt_region(l, true, p);
	unsigned t3 = tw_pkt_geom(l)->r_t3;
	return r.hmac_cover <= t3 && r.enc_len <= t3;
}

/* Which lib/tw_stamp_tlv event goes to which counter (lib/tw_ipc.h). */
static const struct {
	uint32_t ev;
	enum tw_ipc_cnt cnt;
} stamp_ev_cnt[] = {
	{TW_STAMP_TLV_EV_UNKNOWN, TW_IPC_CNT_STAMP_TLV_UNKNOWN},
	{TW_STAMP_TLV_EV_MALFORMED, TW_IPC_CNT_STAMP_TLV_MALFORMED},
	{TW_STAMP_TLV_EV_HMAC_FAIL, TW_IPC_CNT_STAMP_TLV_HMAC_FAIL},
	{TW_STAMP_TLV_EV_HMAC_OPEN, TW_IPC_CNT_STAMP_TLV_HMAC_OPEN},
	{TW_STAMP_TLV_EV_ACCESS_ID, TW_IPC_CNT_STAMP_TLV_ACCESS_ID},
	{TW_STAMP_TLV_EV_DNA_MISMATCH, TW_IPC_CNT_STAMP_DNA_MISMATCH},
	{TW_STAMP_TLV_EV_RP_UNSUPPORTED, TW_IPC_CNT_STAMP_RP_UNSUPPORTED},
	{TW_STAMP_TLV_EV_NO_REPLY, TW_IPC_CNT_STAMP_NO_REPLY},
	{TW_STAMP_TLV_EV_MICRO_LINK, TW_IPC_CNT_DROP_MICRO_LINK},
};

/*
 * The STAMP TLVs of a reply (RFC 8972 §4, RFC 9503; lib/tw_stamp_tlv.h does
 * the work): what this reflector saw (addresses, ports and source MAC from
 * the request, its TOS), how it takes timestamps (Timestamp Information:
 * T2 from the NIC clock or the TSC, T3 from the TSC read right before Tx),
 * the session's Direct Measurement count and the previous reply's real
 * transmit time (Follow-Up Telemetry, see fp_reflect_fu_tx).  rs is the
 * reply's copy of the parameters: a Class of Service TLV sets its DSCP.
 * Returns 0 to send the reply, 1 when the Return Path TLV asked for none,
 * -1 to drop it (the HMAC library failed).  *rewrote: octets other than
 * TLV flags changed, so the incremental checksum no longer holds.
 */
static int stamp_tlvs(struct fp_lcore *lc, struct rte_mbuf *m, const struct fp_pinfo *pi,
		      uint8_t *pl, size_t len, struct fp_refl *rs, bool late_t3, bool *rewrote)
{
	const struct tw_tsc_clock *clk = __atomic_load_n(&fp.clk_cur, __ATOMIC_ACQUIRE);
	uint8_t sync = clk->synced ? TW_STAMP_SYNC_NTP : TW_STAMP_SYNC_FREE;
	struct tw_stamp_tlv_in in = {
		.family = pi->ipv,
		.src_addr = pi->key.peer.a,
		.dst_addr = pi->key.local.a,
		.src_port = pi->key.peer_port,
		.dst_port = pi->key.local_port,
		/* the request's Ethernet source: finish() has not turned the
		 * frame around yet */
		.src_mac = rte_pktmbuf_mtod_offset(m, const uint8_t *, 6),
		.local4 = fp.have4 ? fp.addr4 : NULL,
		.local6 = fp.have6 ? fp.addr6 : NULL,
		.tos = pi->tos,
		.ts_info = {sync,
			    fp.port.ts_mode == FP_TS_HW_DYNFIELD ? TW_STAMP_TSM_HW_ASSIST
								 : TW_STAMP_TSM_SW_LOCAL,
			    sync, TW_STAMP_TSM_SW_LOCAL},
		.dm_count = rs->dm_cnt,
		.sa = rs->prot != TW_PKT_PROT_NONE ? rs->sa : NULL,
		/* RFC 9534: the member link it came in on (0: no
		 * --member-link-id, the Micro-session ID TLV gets U) */
		.member_link = fp.link_of[m->port],
	};
	if (rs->fu && rs->fu->tsc) {
		in.fu_have = true;
		in.fu_seq = rs->fu->seq;
		in.fu_ts = wire_ts(rs->fu->tsc, rs->z);
		in.fu_mode = TW_STAMP_TSM_SW_LOCAL;
	}
	/* §4.7 "the previous reply": when one of this session is already in
	 * the burst, that one, its real T3 being the burst's Tx-time read,
	 * which the late pass writes into this reply too (open layouts: the
	 * authenticated reply's HMAC TLV covers the value, so it keeps the
	 * reply before the burst). */
	int prev = -1;
	if (rs->fu && late_t3)
		for (unsigned i = lc->n_fu; i-- > 0 && prev < 0;)
			if (lc->fu_pend[i].fu == rs->fu)
				prev = (int)i;
	if (prev >= 0) {
		in.fu_have = true;
		in.fu_seq = lc->fu_pend[prev].seq;
		in.fu_ts = 0;
		in.fu_mode = TW_STAMP_TSM_SW_LOCAL;
	}
	struct tw_stamp_tlv_out o;
	enum tw_err e = tw_stamp_tlv_reflect(pl, len, rs->layout, &in, &o);
	for (unsigned k = 0; k < RTE_DIM(stamp_ev_cnt); k++)
		if (o.ev & stamp_ev_cnt[k].ev)
			lc->cnt->c[stamp_ev_cnt[k].cnt]++;
	if (e != TW_OK) {
		FP_INC(lc->cnt, DROP_CRYPTO);
		return -1;
	}
	if (o.discard)
		return -1; /* RFC 9534 §3.2, counted as DROP_MICRO_LINK above */
	if (o.cos)
		rs->dscp = o.dscp; /* RFC 8972 §4.4: DSCP1 on the reply */
	rs->fu_off = prev >= 0 ? o.fu_ts_off : 0; /* offsets in the UDP payload */
	*rewrote = o.rewrote;
	return o.no_reply ? 1 : 0;
}

void fp_reflect_fu_tx(struct fp_lcore *lc, uint64_t tx_tsc)
{
	/* RFC 8972 §4.7: the "real T3" of each reply of the burst, for the
	 * next reply of its session.  tx_tsc is the TSC read right before
	 * rte_eth_tx_burst (the late-T3 read): for open sessions it is the T3
	 * the reply carries; for authenticated ones, whose T3 had to be in
	 * place before the HMAC, it is later and closer to the wire. */
	for (unsigned i = 0; i < lc->n_fu; i++) {
		lc->fu_pend[i].fu->tsc = tx_tsc;
		lc->fu_pend[i].fu->seq = lc->fu_pend[i].seq;
	}
	lc->n_fu = 0;
}

/* The body of a reflection, always inlined: reflect() is the generic
 * instance, and fp_reflect_session() instantiates it with the open TWAMP
 * layout and no protection as constants, so the geometry table, the
 * checksum pre/post passes, the crypto and TLV branches and the late-T3
 * test all fold away for the common (and benchmarked) session kind. */
static __rte_always_inline enum fp_rx_verdict reflect_body(struct fp_lcore *lc, struct rte_mbuf *m,
							  struct fp_pinfo *pi,
							  const struct fp_refl *rf,
							  uint64_t t2_tsc,
							  struct fp_late_t3 *late)
{
	const enum tw_pkt_layout l = rf->layout;
	const enum tw_pkt_prot p = rf->prot;
	const uint32_t pad_len = rf->pad_len;
	uint32_t seq = rf->seq;
	const bool z = rf->z;
	struct fp_counters *c = lc->cnt;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *pl = f + pi->pl_off;
	/* The reply's parameters: rf itself, or for STAMP a copy whose DSCP
	 * a Class of Service TLV may set (RFC 8972 §4.4).  For the constant
	 * open instance fr == rf folds away. */
	const struct fp_refl *fr = rf;
	struct fp_refl rs;
	FP_STAGE_T0(st);
	/* Before anything changes the request (mode 4 decrypts in place). */
	struct fp_cs_ref cs = {.incr = false};
	enum tw_err vrc = TW_OK;
	/* protected: verified with the rest of the burst (fp_crypto_verified) */
	bool batched = p != TW_PKT_PROT_NONE && fp_crypto_verified(lc, pi, &vrc);
	if (batched) {
		/* the first one ran the burst's verify (and checksum pre-passes) */
		FP_STAGE_NESTED(lc, crypto, st);
		cs = lc->cb->pre[pi - lc->cb->pi].cs;
		if (vrc != TW_OK) {
			if (vrc == TW_E_HMAC)
				FP_INC(c, DROP_BAD_HMAC);
			else
				FP_INC(c, DROP_CRYPTO);
			return FP_RX_DROP;
		}
	} else {
		if (!fp.port.tx_cksum) {
			fp_cs_pre(&cs, f + pi->l4_off, pi->pl_len, l, pad_len);
			if (pi->ipv == 4)
				cs.ip_rest = fp_cs_ipv4_rest(f + pi->l3_off,
							     (size_t)(pi->l4_off - pi->l3_off));
		}
		FP_STAGE_NESTED(lc, checksum, st);
		if (verify_sender(c, rf, pl, pi->pl_len) != 0)
			return FP_RX_DROP;
		FP_STAGE_NESTED(lc, crypto, st);
	}
	/* The first reply after a fast-path restart (tw_ipc.h
	 * TW_IPC_SF_SEQ_RESYNC): number it from the Sender Sequence Number,
	 * which is in the clear now (verified, mode 4 decrypted), so that no
	 * number the sender saw before the restart comes again. */
	if (rf->resync) {
		uint32_t sseq = rte_be_to_cpu_32(*(const unaligned_uint32_t *)pl);
		if ((int32_t)(sseq - seq) >= (int32_t)rf->resync)
			seq = sseq;
		lc->resync_seq = seq;
	}
	/* RFC 9533 §4.2.4 (Figures 2-5, tw_pkt_micro_tab): a packet for
	 * another member link is discarded; else its Sender Micro-session ID
	 * goes back with ours.  Read before the reflection moves the padding. */
	uint16_t micro_sid = 0;
	if (rf->micro) {
		uint16_t micro_rid;
		if (!tw_pkt_micro_get(pl, pi->pl_len, l, false, &micro_sid, &micro_rid)) {
			FP_INC(c, DROP_BAD_LENGTH);
			return FP_RX_DROP;
		}
		/* the member link it came in on (--member-link-id A,B,...) */
		if (!tw_pkt_micro_refl_accept(micro_rid, fp.link_of[m->port])) {
			FP_INC(c, DROP_MICRO_LINK);
			return FP_RX_DROP;
		}
	}
	bool late_t3 = t3_is_late(l, p);
	uint64_t t2 = t2_wire(lc, t2_tsc, z);
	size_t cap = pl_cap(m, pi);
	int r;
	/* The common layouts with a constant argument, so the compiler folds
	 * the geometry table into immediate offsets (the generic call costs
	 * table loads, a memmove and variable-length memsets per packet). */
	if (l == TW_PKT_TWAMP_OPEN)
		r = tw_pkt_reflect_inplace(pl, pi->pl_len, cap, TW_PKT_TWAMP_OPEN, pad_len, seq,
					   t2, 0, fp.errest[z], pi->ttl);
	else if (l == TW_PKT_TWAMP_AUTH)
		r = tw_pkt_reflect_inplace(pl, pi->pl_len, cap, TW_PKT_TWAMP_AUTH, pad_len, seq,
					   t2, 0, fp.errest[z], pi->ttl);
	else
		r = tw_pkt_reflect_inplace(pl, pi->pl_len, cap, l, pad_len, seq, t2, 0,
					   fp.errest[z], pi->ttl);
	if (p == TW_PKT_PROT_NONE)
		fp_cs_set_base(&cs, seq, t2, 0, fp.errest[z], pi->ttl);
	if (r < 0) {
		if (r == -TW_E_TRUNCATED)
			FP_INC(c, DROP_BAD_LENGTH);
		else
			FP_INC(c, DROP_NO_ROOM);
		return FP_RX_DROP;
	}
	/* RFC 7750 §3: the DSCP and ECN this packet arrived with, in the
	 * octet after Sender TTL (before protection: inside mode 4's
	 * encrypted region).  In open layouts it lies past the 41-octet base,
	 * in what the incremental checksum takes for moved padding, so the
	 * checksum is summed in full for such sessions. */
	if (rf->dscp_ecn && tw_pkt_set_dscp_ecn(pl, (size_t)r, l, pi->tos))
		cs.incr = false;
	if (rf->micro) {
		/* before protection (inside mode 4's encrypted region); past
		 * the open base, so the checksum is summed in full */
		if (!tw_pkt_micro_put(pl, (size_t)r, l, true, micro_sid, fp.link_of[m->port])) {
			FP_INC(c, DROP_NO_ROOM);
			return FP_RX_DROP;
		}
		cs.incr = false;
	}
	if (tw_pkt_is_stamp(l)) {
		/* RFC 8972 §4: echo every TLV, answer the ones we process */
		if ((size_t)r > tw_pkt_reflector_base(l)) {
			bool rewrote = false;
			rs = *rf;
			fr = &rs;
			int k = stamp_tlvs(lc, m, pi, pl, (size_t)r, &rs, late_t3, &rewrote);
			/* values changed: fp_cs_pre recorded only the flags */
			if (rewrote)
				cs.incr = false;
			if (k < 0)
				return FP_RX_DROP;
			if (k > 0) {
				/* RFC 9503 §4: no reply requested */
				rte_pktmbuf_free(m);
				return FP_RX_CONSUMED;
			}
		}
		if (rf->fu && lc->n_fu < RTE_DIM(lc->fu_pend)) {
			/* this reply's transmit time goes to its session at
			 * Tx (fp_reflect_fu_tx) */
			lc->fu_pend[lc->n_fu].fu = rf->fu;
			lc->fu_pend[lc->n_fu++].seq = seq;
		}
	}
	if (p != TW_PKT_PROT_NONE) {
		/* the burst's protect call: fp_crypto_burst_end() */
		if (batched && crypto_defer(lc, m, pi, r, fr, late_t3, !cs.incr))
			return FP_RX_CONSUMED;
		if (!late_t3)
			tw_pkt_set_t3(pl, l, wire_ts(rte_rdtsc(), z), fp.errest[z]);
		FP_STAGE_RESTART(st);
		if (protect_reply(c, fr, pl, (size_t)r) != 0)
			return FP_RX_DROP;
		FP_STAGE_NESTED(lc, crypto, st);
	}
	return finish(lc, m, pi, r, fr, late_t3, late, &cs);
}

static __rte_noinline enum fp_rx_verdict reflect(struct fp_lcore *lc, struct rte_mbuf *m,
						 struct fp_pinfo *pi, const struct fp_refl *rf,
						 uint64_t t2_tsc, struct fp_late_t3 *late)
{
	return reflect_body(lc, m, pi, rf, t2_tsc, late);
}

/* flatten: the open-TWAMP instance of reflect_body() gets every helper it
 * calls (checksum passes, tw_pkt_reflect_inplace, finish) inlined with the
 * constant layout, which the compiler's size heuristics would otherwise
 * leave as generic out-of-line calls; the generic path stays a call to
 * reflect() (noinline). */
__attribute__((flatten)) enum fp_rx_verdict
fp_reflect_session(struct fp_lcore *lc, struct rte_mbuf *m, struct fp_pinfo *pi,
		   struct fp_session *s, uint64_t t2_tsc, struct fp_late_t3 *late)
{
	struct fp_counters *c = lc->cnt;
	if (unlikely(s->state != FP_SS_ACTIVE)) {
		/* RFC 5357 §3.8: nothing is reflected after Stop-Sessions +
		 * Timeout; checked per packet against the end time (the cold
		 * part is read only while stopping), not left to the expiry
		 * scan or the SESSION_DEL. */
		if (s->state == FP_SS_ENDED || (s->state == FP_SS_STOPPING &&
		                                t2_tsc >= fp_sess_cold(fp.sess, s)->expire_tsc)) {
			FP_INC(c, DROP_AFTER_STOP);
			s->drop++;
			return FP_RX_DROP;
		}
		if (s->state != FP_SS_STOPPING) {
			FP_INC(c, DROP_NOT_STARTED);
			s->drop++;
			return FP_RX_DROP;
		}
	}
	if (s->min_ttl && pi->ttl < s->min_ttl) {
		FP_INC(c, DROP_TTL);
		s->drop++;
		return FP_RX_DROP;
	}
	/* No amplifier: a TWAMP reply is as long as the session's Padding
	 * Length says (spec §4.5), so a request shorter than that is dropped
	 * rather than answered with more octets than it carried (STAMP
	 * replies are as long as the request). */
	if (!tw_pkt_is_stamp((enum tw_pkt_layout)s->layout) &&
	    pi->pl_len < tw_pkt_sender_base((enum tw_pkt_layout)s->layout) + s->pad_len) {
		FP_INC(c, DROP_SHORT_REQUEST);
		s->drop++;
		return FP_RX_DROP;
	}
	enum fp_rx_verdict v;
	/* TW_IPC_SF_SEQ_RESYNC: only a session that has not reflected yet
	 * (seq 0) can have it, so the cold line is read only then */
	bool resync = unlikely(s->seq == 0) && fp_sess_cold(fp.sess, s)->resync;
	/* RFC 9533 micro-sessions and a resync take the generic instance below */
	if (s->layout == TW_PKT_TWAMP_OPEN && s->prot == TW_PKT_PROT_NONE && !s->micro &&
	    !resync) {
		/* the same as below, with the layout and protection as
		 * constants (open sessions carry no crypto entry) */
		const struct fp_refl rf = {
			.layout = TW_PKT_TWAMP_OPEN,
			.prot = TW_PKT_PROT_NONE,
			.pad_len = s->pad_len,
			.seq = s->seq,
			.dm_cnt = (uint32_t)s->rx + 1,
			.z = s->z,
			.dscp_ecn = s->dscp_ecn,
			.dscp = reply_dscp(s->copy_dscp, s->dscp, pi),
			.ttl = s->ttl,
		};
		v = reflect_body(lc, m, pi, &rf, t2_tsc, late);
	} else {
		const struct fp_refl rf = {
			.layout = (enum tw_pkt_layout)s->layout,
			.prot = (enum tw_pkt_prot)s->prot,
			.pad_len = s->pad_len,
			.seq = s->seq,
			.dm_cnt = (uint32_t)s->rx + 1,
			.fu = tw_pkt_is_stamp((enum tw_pkt_layout)s->layout) ? fp_sess_fu(fp.sess, s)
									     : NULL,
			.z = s->z,
			.dscp_ecn = s->dscp_ecn,
			.micro = s->micro,
			.resync = resync, /* 1: any number ahead */
			.dscp = reply_dscp(s->copy_dscp, s->dscp, pi),
			.ttl = s->ttl,
			.tc = s->crypto ? &s->crypto->tc : NULL,
			.sa = s->crypto ? &s->crypto->sa : NULL,
		};
		v = reflect(lc, m, pi, &rf, t2_tsc, late);
	}
	if (v == FP_RX_DROP) {
		s->drop++;
		return v;
	}
	/* RFC 5357 §4.2.1: the reflector's own counter, one per reflected
	 * packet, independent of the sender's numbers (after a restart, from
	 * where the first reply put it: TW_IPC_SF_SEQ_RESYNC). */
	if (unlikely(resync)) {
		s->seq = lc->resync_seq;
		fp_sess_cold(fp.sess, s)->resync = false;
	}
	s->seq++;
	s->rx++; /* and tx: fp_sess_tx() */
	s->rx_octets += pi->pl_len;
	s->last_rx_tsc = t2_tsc;
	FP_INC(c, REFLECTED);
	return v;
}

/* What tells apart the stateful listener's peers (fp_peers) that share a
 * 5-tuple, as the tag fp_peers_get() puts into the key: nothing for TWAMP
 * Light; for STAMP the SSID (RFC 8972 §3) and, when the packet has a
 * Micro-session ID TLV, its Sender Micro-session ID and the member link it
 * came in on (RFC 9534 §3: the micro-sessions of a LAG share the 5-tuple,
 * each is the STAMP session of one pair of member links, numbered from 0 on
 * its own).  Not the Reflector Micro-session ID the packet carries: a sender
 * that starts with 0 may learn ours from the replies.  Read before the HMAC
 * is checked, as the ports are, and it bounds nothing new: a flood of SSIDs
 * or IDs takes entries as a flood of source ports does, within the
 * listener's share of the table (app/fp_peers.h). */
static inline uint64_t peer_tag(const struct fp_light *l, const uint8_t *pl, size_t len,
				uint16_t link)
{
	if (!l->stamp)
		return 0;
	enum tw_pkt_layout lay = (enum tw_pkt_layout)l->layout;
	uint16_t ssid = tw_pkt_peek_ssid(pl, lay), sid = 0, rid;
	bool micro = len > tw_pkt_sender_base(lay) && tw_pkt_micro_get(pl, len, lay, false, &sid, &rid);
	/* a STAMP peer's tag is never 0, a micro-session's never a plain one's */
	return (micro ? 2ull : 1ull) << 48 | (uint64_t)ssid << 32 | (uint64_t)sid << 16 |
	       (micro ? link : 0);
}

/* The unprotected instances of reflect_body() for a Light listener, as
 * fp_reflect_session() has one for a session: with the layout a constant
 * the geometry table and the protection branches fold away, and flatten
 * inlines the helpers the generic instance calls out of line.
 * Unauthenticated TWAMP Light (RFC 5357 Appendix I) and STAMP (RFC 8762)
 * are what routers send.  A peer's first reply (resync) takes the generic
 * instance. */
static __rte_always_inline enum fp_rx_verdict
reflect_light_plain(struct fp_lcore *lc, struct rte_mbuf *m, struct fp_pinfo *pi,
		    const struct fp_light *l, enum tw_pkt_layout lay, uint32_t pad, uint32_t seq,
		    uint32_t dm_cnt, struct fp_fu *fu, uint64_t t2_tsc, struct fp_late_t3 *late)
{
	const struct fp_refl rf = {
		.layout = lay,
		.prot = TW_PKT_PROT_NONE,
		.pad_len = pad,
		.seq = seq,
		.dm_cnt = dm_cnt,
		.fu = fu,
		.z = l->z,
		.dscp = reply_dscp(l->copy_dscp, l->dscp, pi),
		.ttl = l->ttl,
	};
	return reflect_body(lc, m, pi, &rf, t2_tsc, late);
}

static __attribute__((flatten, noinline)) enum fp_rx_verdict
reflect_light_twamp(struct fp_lcore *lc, struct rte_mbuf *m, struct fp_pinfo *pi,
		    const struct fp_light *l, uint32_t pad, uint32_t seq, uint64_t t2_tsc,
		    struct fp_late_t3 *late)
{
	return reflect_light_plain(lc, m, pi, l, TW_PKT_TWAMP_OPEN, pad, seq, 0, NULL, t2_tsc,
				   late);
}

static __attribute__((flatten, noinline)) enum fp_rx_verdict
reflect_light_stamp(struct fp_lcore *lc, struct rte_mbuf *m, struct fp_pinfo *pi,
		    const struct fp_light *l, uint32_t pad, uint32_t seq, uint32_t dm_cnt,
		    struct fp_fu *fu, uint64_t t2_tsc, struct fp_late_t3 *late)
{
	return reflect_light_plain(lc, m, pi, l, TW_PKT_STAMP_OPEN, pad, seq, dm_cnt, fu, t2_tsc,
				   late);
}

static enum fp_rx_verdict reflect_light(struct fp_lcore *lc, struct rte_mbuf *m,
                                        struct fp_pinfo *pi, struct fp_light *l, uint64_t t2_tsc,
                                        struct fp_late_t3 *late)
{
	struct fp_counters *c = lc->cnt;
	if (l->peer_family && (l->peer_family != pi->ipv ||
			       memcmp(l->peer_addr, pi->key.peer.a, pi->ipv == 4 ? 4 : 16) != 0)) {
		FP_INC(c, DROP_NOT_REGISTERED_SENDER);
		return FP_RX_DROP;
	}
	if (l->family && l->family != pi->ipv)
		return FP_RX_EXCEPTION;
	if (l->min_ttl && pi->ttl < l->min_ttl) {
		FP_INC(c, DROP_TTL);
		return FP_RX_DROP;
	}
	enum tw_pkt_layout lay = (enum tw_pkt_layout)l->layout;
	size_t sbase = tw_pkt_sender_base(lay);
	if (pi->pl_len < sbase) {
		/* Spec §11.3: drop and count what is shorter than the base. */
		FP_INC(c, DROP_BAD_LENGTH);
		return FP_RX_DROP;
	}
	uint8_t *pl = rte_pktmbuf_mtod(m, uint8_t *) + pi->pl_off;
	uint32_t seq, dm_cnt = 0;
	struct fp_fu *fu = NULL;
	struct fp_peer *pe = NULL;
	struct fp_fu fu_kept;
	uint32_t rx = 0; /* the peer's replies before this one */
	bool again = false;
	if ((enum tw_pkt_prot)l->prot != TW_PKT_PROT_NONE) {
		/* Verified before the peer table sees the packet: anyone can
		 * send one with a wrong HMAC from a fresh port, and in the
		 * table it would take an entry, evicting (and so renumbering)
		 * a keyed sender's.  The burst's verify runs here if it has not
		 * yet; reflect_body() reads the same result again. */
		enum tw_err vrc = TW_OK;
		if (fp_crypto_verified(lc, pi, &vrc) && vrc != TW_OK) {
			if (vrc == TW_E_HMAC)
				FP_INC(c, DROP_BAD_HMAC);
			else
				FP_INC(c, DROP_CRYPTO);
			return FP_RX_DROP;
		}
	}
	if (l->stateless) {
		/* Spec §6.1 / RFC 8762 §4: stateless copies the sender's seq. */
		seq = tw_pkt_peek_seq(pl);
	} else {
		/* Stateful: own counter per sender address/port, per lcore
		 * (RSS keeps one sender on one queue).  The table is fixed and
		 * bounded per listener; a new peer takes an idle or the least
		 * recently used entry, so a flood of source ports never locks
		 * out a peer that keeps sending (app/fp_peers.h, issue 8 §5). */
		struct fp_peers *pt = lc->peers;
		unsigned li = (unsigned)(l - fp.light);
		if (pt->own[li].gen != l->gen) {
			/* the slot was reused: its old listener's peers go */
			fp_peers_flush_owner(pt, li);
			pt->own[li].gen = l->gen;
		}
		bool fresh;
		uint64_t lru = pt->evicted_lru;
		pe = fp_peers_get(pt, &pi->key, peer_tag(l, pl, pi->pl_len, fp.link_of[m->port]), li,
				  l->max_peers, l->idle_tsc, t2_tsc, &fresh);
		if (!pe) {
			FP_INC(c, DROP_SESSION_FULL); /* --max-peers 0: no stateful peers */
			return FP_RX_DROP;
		}
		/* a peer that was still sending lost its entry (and its count):
		 * worth an operator's look (--max-light-peers, max_peers) */
		if (unlikely(pt->evicted_lru != lru))
			FP_INC(c, LIGHT_PEER_EVICTED);
		/* A known peer whose Sender Sequence Number is 0 again has
		 * started a new session from the same ports and SSID (twampy's
		 * sender always uses port 20000): count it from 0 again, as
		 * twampy's own reflector does, or the sender's loss figures are
		 * our old count.  Only where the number is in the clear and
		 * nothing is verified (open listeners): a forged packet of an
		 * authenticated peer must not reset its count.  Micro-sessions
		 * sharing the 5-tuple (RFC 9534), each numbered from 0, are
		 * peers of their own (peer_tag).  The entry changes only if the
		 * packet is reflected (below): one the reflector drops, a
		 * micro-session packet meant for another member link say,
		 * leaves its count and its Follow-Up state as they were. */
		again = !fresh && pe->rx && (enum tw_pkt_prot)l->prot == TW_PKT_PROT_NONE &&
			tw_pkt_peek_seq(pl) == 0;
		if (again)
			fu_kept = pe->fu;
		if (fresh || again)
			memset(&pe->fu, 0, sizeof(pe->fu)); /* no previous reply */
		rx = again ? 0 : pe->rx;
		seq = again ? 0 : pe->seq;
		dm_cnt = rx + 1; /* RFC 8972 §4.5: this one included */
		fu = l->stamp ? &pe->fu : NULL;
	}
	/* Light has no Padding Length: reflect what was sent (twampd rule with
	 * P = received padding, spec §4.5). */
	uint32_t pad = (uint32_t)(pi->pl_len - sbase);
	/* RFC 8762 §4.2.1: a stateful reflector's number counts the packets it
	 * got before this one, so that the sender can tell loss on the way out
	 * (its number minus ours) from loss on the way back; a peer new to us
	 * is numbered from 0.  But a peer whose first packet here carries a
	 * Sender Sequence Number of FP_PEER_RESYNC or more is a session
	 * already under way that we lost track of (a fast-path restart, an
	 * idle timeout, an eviction): numbering it from 0 would give it
	 * numbers it has seen.  Its first reply takes its number instead, as a
	 * TWAMP session's after a restart (TW_IPC_SF_SEQ_RESYNC). */
	uint8_t resync = pe && rx == 0 ? FP_PEER_RESYNC : 0;
	enum fp_rx_verdict v;
	bool plain = (enum tw_pkt_prot)l->prot == TW_PKT_PROT_NONE && !resync;
	if (plain && lay == TW_PKT_TWAMP_OPEN) {
		v = reflect_light_twamp(lc, m, pi, l, pad, seq, t2_tsc, late);
	} else if (plain && lay == TW_PKT_STAMP_OPEN) {
		v = reflect_light_stamp(lc, m, pi, l, pad, seq, dm_cnt, fu, t2_tsc, late);
	} else {
		unsigned li = lc->index;
		const struct fp_refl rf = {
			.layout = lay,
			.prot = (enum tw_pkt_prot)l->prot,
			.pad_len = pad,
			.seq = seq,
			.dm_cnt = dm_cnt,
			.fu = fu,
			.z = l->z,
			.resync = resync,
			.dscp = reply_dscp(l->copy_dscp, l->dscp, pi),
			.ttl = l->ttl,
			.tc = l->tc ? &l->tc[li] : NULL,
			.sa = l->sa ? &l->sa[li] : NULL,
		};
		v = reflect(lc, m, pi, &rf, t2_tsc, late);
	}
	if (v == FP_RX_DROP) {
		/* RFC 8762 §4.2 (stateful): the reflector numbers what it
		 * reflects; a dropped request takes no number, or the sender
		 * would count the gap as loss on the way back */
		if (again)
			pe->fu = fu_kept;
		return v;
	}
	FP_INC(c, LIGHT_REFLECTED);
	if (pe) {
		pe->seq = (resync ? lc->resync_seq : seq) + 1;
		pe->rx = rx + 1;
	}
	return v;
}

/* The listener's own statistics (STATS role 3, so twinhopd's sessions and
 * /metrics show them): this lcore's share, in its own block. */
enum fp_rx_verdict fp_reflect_light(struct fp_lcore *lc, struct rte_mbuf *m, struct fp_pinfo *pi,
                                    struct fp_light *l, uint64_t t2_tsc, struct fp_late_t3 *late)
{
	uint32_t len = pi->pl_len; /* the request's, before the reply rewrites it */
	enum fp_rx_verdict v = reflect_light(lc, m, pi, l, t2_tsc, late);
	if (v == FP_RX_EXCEPTION)
		return v; /* not the listener's: another family */
	struct fp_light_cnt *k = &lc->light_cnt[l - fp.light];
	if (k->gen != l->gen) {
		/* the slot holds a new listener: its counts start at zero */
		k->rx = k->rx_octets = k->drops = 0;
		k->last_rx_tsc = 0;
		/* after the zeroes: a reader that sees the new gen sees them */
		__atomic_store_n(&k->gen, l->gen, __ATOMIC_RELEASE);
	}
	if (v == FP_RX_DROP) {
		k->drops++;
	} else {
		k->rx++;
		k->rx_octets += len;
		k->last_rx_tsc = t2_tsc;
	}
	return v;
}

int fp_light_lcore_init(struct fp_lcore *lc, unsigned lcore_id, uint32_t max_peers)
{
	/* Allocated once here; the lcore loop only reuses entries. */
	int sock = (int)rte_lcore_to_socket_id(lcore_id);
	lc->peers = fp_zalloc("fp_peers", sizeof(struct fp_peers), 64, sock);
	struct fp_peer *e =
	    fp_zalloc("fp_peer", sizeof(*e) * (max_peers ? max_peers : 1), 64, sock);
	uint32_t *b = fp_zalloc("fp_peer_b", sizeof(*b) * fp_peers_nbuckets(max_peers), 64, sock);
	if (!lc->peers || !e || !b)
		return -ENOMEM;
	fp_peers_init(lc->peers, e, b, max_peers, rte_rand()); /* not the TSC: fp_peers.h */
	return 0;
}

uint64_t fp_light_epoch;

int fp_light_add(const struct tw_ipc_light_listen *req, enum tw_err *err)
{
	*err = TW_E_ARG;
	if (!req->session || !req->flow.local_port || fp.light_idx[req->flow.local_port])
		return -1;
	if (req->proto != TW_IPC_PROTO_LIGHT && req->proto != TW_IPC_PROTO_STAMP)
		return -1;
	for (unsigned i = 0; i < fp.n_light; i++)
		if (fp.light[i].active && fp.light[i].id == req->session)
			return -1;
	/* A free slot: never used, or deleted before every other lcore began
	 * its current iteration (one that read light_idx just before the
	 * delete has finished with it). */
	uint64_t quiet = UINT64_MAX;
	for (unsigned i = 0; i < fp.nb_lcores; i++) {
		const struct fp_lcore *o = fp.lc_by_index[i];
		uint64_t s = __atomic_load_n(&o->light_seen, __ATOMIC_ACQUIRE);
		if (o->lcore_id != rte_lcore_id() && s < quiet)
			quiet = s;
	}
	unsigned slot = FP_MAX_LIGHT;
	for (unsigned i = 0; i < fp.n_light && slot == FP_MAX_LIGHT; i++)
		if (!fp.light[i].active && fp.light[i].del_epoch <= quiet)
			slot = i;
	if (slot == FP_MAX_LIGHT) {
		if (fp.n_light >= FP_MAX_LIGHT) {
			*err = TW_E_NOSPACE;
			return -1;
		}
		slot = fp.n_light;
	}
	struct fp_light *l = &fp.light[slot];
	/* The old listener's contexts: built at set-up, freed at reuse. */
	rte_free(l->sa);
	rte_free(l->tc);
	static uint32_t gen;
	memset(l, 0, sizeof(*l));
	l->gen = ++gen;
	l->id = req->session;
	l->port = req->flow.local_port;
	l->stamp = req->proto == TW_IPC_PROTO_STAMP;
	l->stateless = (req->flags & TW_IPC_SF_STATELESS) != 0;
	l->copy_dscp = (req->flags & TW_IPC_SF_COPY_DSCP) != 0;
	/* RFC 8762 §4.2.1: an operator may configure a STAMP Session-
	 * Reflector for the truncated PTP format (Z = 1); TWAMP Light has no
	 * such setting (RFC 8186 negotiates it in TWAMP-Control). */
	l->z = (req->flags & TW_IPC_SF_PTP_TS) != 0;
	if (l->z && !l->stamp) {
		*err = TW_E_ARG;
		return -1;
	}
	l->dscp = req->dscp & 63;
	l->ttl = req->ttl ? req->ttl : 255;
	l->min_ttl = req->min_ttl;
	l->family = req->flow.local.family;
	l->peer_family = req->flow.peer.family;
	memcpy(l->peer_addr, req->flow.peer.addr, 16);
	l->idle_tsc = req->idle_ns ? req->idle_ns * (fp.tsc_hz / 1000000) / 1000 : 30 * fp.tsc_hz;
	l->max_peers = req->max_peers;
	bool auth = req->sec == TW_IPC_SEC_AUTH || req->sec == TW_IPC_SEC_ENC;
	if (l->stamp) {
		if (req->sec == TW_IPC_SEC_ENC) {
			*err = TW_E_MODE; /* STAMP defines no encryption (RFC 8762) */
			return -1;
		}
		l->layout = auth ? TW_PKT_STAMP_AUTH : TW_PKT_STAMP_OPEN;
	} else {
		l->layout = auth ? TW_PKT_TWAMP_AUTH : TW_PKT_TWAMP_OPEN;
	}
	l->prot = req->sec == TW_IPC_SEC_AUTH ? TW_PKT_PROT_AUTH
		  : req->sec == TW_IPC_SEC_ENC ? TW_PKT_PROT_ENC
					       : TW_PKT_PROT_NONE;
	if (auth) {
		if (!req->keys.hmac_len) {
			*err = TW_E_ARG;
			return -1;
		}
		/* Control-path allocation, at set-up only. */
		if (l->stamp) {
			l->sa = fp_zalloc("fp_light_sa", sizeof(*l->sa) * fp.nb_lcores, 0,
			                  SOCKET_ID_ANY);
			for (unsigned i = 0; l->sa && i < fp.nb_lcores; i++)
				if ((*err = tw_stamp_auth_init(&l->sa[i], req->keys.hmac,
							       req->keys.hmac_len)) != TW_OK)
					return -1;
		} else {
			l->tc = fp_zalloc("fp_light_tc", sizeof(*l->tc) * fp.nb_lcores, 0,
			                  SOCKET_ID_ANY);
			for (unsigned i = 0; l->tc && i < fp.nb_lcores; i++)
				if ((*err = tw_test_crypto_init(&l->tc[i], req->keys.aes,
								req->keys.hmac)) != TW_OK)
					return -1;
		}
		if (!l->sa && !l->tc) {
			*err = TW_E_SYS;
			return -1;
		}
	}
	l->active = true;
	if (slot == fp.n_light)
		fp.n_light++;
	/* Publish last: lcores index light[] through light_idx. */
	__atomic_store_n(&fp.light_idx[l->port], (uint16_t)(slot + 1), __ATOMIC_RELEASE);
	*err = TW_OK;
	return 0;
}

int fp_light_del(uint32_t id)
{
	for (unsigned i = 0; i < fp.n_light; i++)
		if (fp.light[i].id == id && fp.light[i].active) {
			/* The slot is reused only after the grace period, so an
			 * lcore that read the index a moment ago stays valid. */
			__atomic_store_n(&fp.light_idx[fp.light[i].port], 0, __ATOMIC_RELEASE);
			fp.light[i].active = false;
			fp.light[i].del_epoch =
				__atomic_add_fetch(&fp_light_epoch, 1, __ATOMIC_ACQ_REL);
			return 0;
		}
	return -1;
}

unsigned fp_crypto_burst_end(struct fp_lcore *lc, struct fp_late_t3 *late)
{
	struct fp_crypto_batch *cb = lc->cb;
	unsigned n = cb->n_pend, n_late = 0;
	cb->pi = NULL; /* the burst's arrays end with fp_lcore_rx_burst */
	if (!n)
		return 0;
	cb->n_pend = 0;
	/* T3 inside the protection (mode 4, STAMP auth): one clock read,
	 * right before the burst's crypto and Tx. */
	uint64_t t3 = rte_rdtsc();
	for (unsigned k = 0; k < n; k++) {
		struct fp_crypto_pend *pd = &cb->pend[k];
		uint8_t *pl = rte_pktmbuf_mtod(pd->m, uint8_t *) + pd->pi->pl_off;
		struct tw_crypto_op *op = &cb->ops[k];
		if (!pd->late_t3)
			tw_pkt_set_t3(pl, pd->rf.layout, wire_ts(t3, pd->rf.z), fp.errest[pd->rf.z]);
		op->pkt = pl;
		op->len = (size_t)pd->rlen;
		if (tw_pkt_is_stamp(pd->rf.layout)) {
			op->tc = NULL;
			op->sa = pd->rf.sa;
		} else {
			struct tw_pkt_region r = tw_pkt_region(pd->rf.layout, true, pd->rf.prot);
			op->tc = pd->rf.tc;
			op->sa = NULL;
			op->enc_len = r.enc_len;
			op->hmac_off = r.hmac_off;
		}
	}
	tw_crypto_protect_burst(lc->crypto, cb->ops, n);
	for (unsigned k = 0; k < n; k++) {
		struct fp_crypto_pend *pd = &cb->pend[k];
		enum fp_rx_verdict v = FP_RX_DROP;
		if (cb->ops[k].rc != TW_OK)
			FP_INC(lc->cnt, DROP_CRYPTO);
		else
			v = finish(lc, pd->m, pd->pi, pd->rlen, &pd->rf, pd->late_t3,
				   &late[n_late], &cb->pre[pd->i].cs);
		if (v == FP_RX_DROP) {
			rte_pktmbuf_free(pd->m);
			continue;
		}
		if (v == FP_RX_TX_T3)
			n_late++;
		lc->tx[lc->n_tx++] = pd->m;
	}
	return n_late;
}
