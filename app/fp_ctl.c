/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_ctl.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "fp_mem.h"
#include "fp_peers.h"
#include "fp_reflector.h"
#include "fp_sender.h"
#include "fp_sess.h"

#define LOG(lvl, ...) RTE_LOG(lvl, USER1, "ctl: " __VA_ARGS__)

static struct fp_ctl ctl;

static inline struct tw_ring_q *evt_q(unsigned index)
{
	return ctl.ring ? tw_ring_evt(ctl.ring, index) : NULL;
}

int fp_ctl_init(const char *shm_name, unsigned n_lcores, bool set_gid, uint32_t gid,
		unsigned mode)
{
	fp.ctl = &ctl;
	for (unsigned i = 0; i < n_lcores; i++) {
		ctl.batch[i] =
		    fp_zalloc("fp_ctl_batch", sizeof(struct fp_ctl_batch), 64, SOCKET_ID_ANY);
		if (!ctl.batch[i])
			return -ENOMEM;
	}
	if (!shm_name)
		return 0;
	struct tw_ring_cfg cfg = {
		.name = shm_name,
		.n_evt = (uint16_t)n_lcores,
		.n_lcores = (uint16_t)n_lcores,
		.n_ports = fp.n_ports,
		.mode = mode,
		.set_gid = set_gid,
		.gid = gid,
	};
	char why[TW_RING_WHY_MAX] = "";
	enum tw_err e = tw_ring_create(&cfg, &ctl.ring, why, sizeof(why));
	if (e != TW_OK) {
		LOG(ERR, "cannot create IPC region %s: %s (%s)\n", shm_name, tw_strerror(e), why);
		return -1;
	}
	LOG(INFO, "IPC region %s: %u event ring(s), version %u\n", tw_ring_name(ctl.ring),
	    n_lcores, TW_IPC_VERSION);
	return 0;
}

void fp_ctl_close(void)
{
	if (ctl.ring)
		(void)tw_ring_destroy(ctl.ring);
	ctl.ring = NULL;
}

static void send_evt(unsigned lcidx, uint16_t type, uint32_t id, uint16_t flags, const void *pl,
		     uint32_t len)
{
	struct tw_ring_q *q = evt_q(lcidx);
	if (!q)
		return;
	struct tw_ipc_hdr h = {.version = TW_IPC_VERSION, .type = type, .flags = flags, .id = id,
			       .length = len};
	if (tw_ring_enqueue(q, &h, pl) != TW_OK)
		FP_INC(&fp_cnt[rte_lcore_id()], DROP_RING_FULL);
}

static void ack(uint16_t req_type, uint32_t id, enum tw_err err, uint32_t session, uint32_t detail)
{
	struct tw_ipc_ack a = {.req_type = req_type, .err = (uint16_t)err, .session = session,
			       .detail = detail};
	send_evt(0, err == TW_OK ? TW_IPC_ACK : TW_IPC_NACK, id, 0, &a, sizeof(a));
}

void fp_ctl_event(uint32_t session, uint16_t event, uint16_t err, uint64_t rx, uint64_t tx)
{
	struct tw_ipc_session_event ev = {.session = session, .event = event, .err = err,
					  .at_ntp = fp_tsc_ntp(rte_rdtsc()), .rx_pkts = rx,
					  .tx_pkts = tx};
	send_evt(0, TW_IPC_SESSION_EVENT, 0, 0, &ev, sizeof(ev));
}

int fp_ctl_summary(struct fp_lcore *lc, const struct tw_ipc_sender_summary *sum)
{
	send_evt(lc->index, TW_IPC_SENDER_SUMMARY, 0, 0, sum, sizeof(*sum));
	return 0;
}

int fp_ctl_stlv(struct fp_lcore *lc, const struct tw_ipc_sender_stlv *m)
{
	send_evt(lc->index, TW_IPC_SENDER_STLV, 0, 0, m, sizeof(*m));
	return 0;
}

int fp_ctl_flush(struct fp_lcore *lc)
{
	struct fp_ctl_batch *b = ctl.batch[lc->index];
	if (!b->n)
		return 0;
	struct tw_ring_q *q = evt_q(lc->index);
	if (!q) {
		b->n = 0;
		return 0;
	}
	/* Zero-copy into the ring; on TW_E_FULL keep the batch (retry). */
	struct tw_ipc_hdr *h;
	uint32_t len = (uint32_t)(sizeof(struct tw_ipc_result_batch) +
				  b->n * sizeof(struct tw_ipc_result));
	if (tw_ring_reserve(q, len, &h) != TW_OK)
		return -1;
	h->version = TW_IPC_VERSION;
	h->type = TW_IPC_SENDER_RESULT;
	h->flags = 0;
	h->pad0 = 0;
	h->id = 0;
	h->length = len;
	struct tw_ipc_result_batch hdr = {.count = b->n, .lcore = (uint16_t)lc->index};
	memcpy(h + 1, &hdr, sizeof(hdr));
	memcpy((uint8_t *)(h + 1) + sizeof(hdr), b->rec, b->n * sizeof(struct tw_ipc_result));
	tw_ring_commit(q);
	FP_ADD(lc->cnt, IPC_RESULTS, b->n);
	b->n = 0;
	return 0;
}

int fp_ctl_result(struct fp_lcore *lc, const struct tw_ipc_result *r)
{
	struct fp_ctl_batch *b = ctl.batch[lc->index];
	if (b->n == TW_IPC_RESULTS_MAX && fp_ctl_flush(lc) != 0) {
		/* Ring still full and the batch too: this record is lost,
		 * and said so. */
		FP_INC(lc->cnt, DROP_RING_FULL);
		return -1;
	}
	b->rec[b->n++] = *r;
	if (b->n == TW_IPC_RESULTS_MAX)
		(void)fp_ctl_flush(lc);
	return 0;
}

/* Every port's own statistics into its shared block (tw_ipc.h version 13),
 * field by field, for control to read at any time.  Returns what the ports
 * lost before the fast path saw a frame: their missed and no-mbuf drops,
 * and for af_packet the kernel socket ring's (kernel_drops, port 0). */
static uint64_t publish_ports(uint64_t kernel_drops, uint64_t now_ns)
{
	uint64_t missed = 0;
	for (unsigned i = 0; i < fp.n_ports; i++) {
		struct tw_ipc_port_stats *ps = tw_ring_port_stats(ctl.ring, i);
		uint16_t pid = i ? fp.port_ids[i] : fp.port.port_id;
		struct rte_eth_stats st;
		struct rte_eth_link link;
		if (!ps || rte_eth_stats_get(pid, &st) != 0)
			continue;
		uint64_t imissed = st.imissed + (i ? 0 : kernel_drops);
		missed += imissed + st.rx_nombuf;
		memset(&link, 0, sizeof(link));
		(void)rte_eth_link_get_nowait(pid, &link);
		ps->member_link = fp.port_links[i];
		ps->dpdk_port = pid;
		__atomic_store_n(&ps->link_up, link.link_status == RTE_ETH_LINK_UP,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&ps->speed_mbps,
				 link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&ps->rx_pkts, st.ipackets, __ATOMIC_RELAXED);
		__atomic_store_n(&ps->tx_pkts, st.opackets, __ATOMIC_RELAXED);
		__atomic_store_n(&ps->rx_octets, st.ibytes, __ATOMIC_RELAXED);
		__atomic_store_n(&ps->tx_octets, st.obytes, __ATOMIC_RELAXED);
		__atomic_store_n(&ps->rx_missed, imissed, __ATOMIC_RELAXED);
		__atomic_store_n(&ps->rx_nombuf, st.rx_nombuf, __ATOMIC_RELAXED);
		__atomic_store_n(&ps->rx_errors, st.ierrors, __ATOMIC_RELAXED);
		__atomic_store_n(&ps->tx_errors, st.oerrors, __ATOMIC_RELAXED);
		__atomic_store_n(&ps->published_ns, now_ns, __ATOMIC_RELAXED);
	}
	return missed;
}

void fp_ctl_publish(uint64_t now)
{
	if (!ctl.ring)
		return;
	uint64_t now_ns = (uint64_t)((double)now * 1e9 / (double)fp.tsc_hz);
	/* Loss before the fast path saw a frame (an Rx ring that overflowed:
	 * the NIC's, or the kernel socket ring of af_packet/af_xdp) is only
	 * in the ports' statistics, and for af_packet in the kernel socket's
	 * (fp_port_kernel_ring_drops): publish it, summed over the ports, as
	 * a drop counter of lcore index 0, the main lcore that runs this (its
	 * own block), so every drop has a name.  Control work, on a deadline;
	 * one rte_eth_stats read per port serves both. */
	uint64_t missed = publish_ports(fp_port_kernel_ring_drops(), now_ns);
	if (fp.nb_lcores)
		__atomic_store_n(&fp.lc_by_index[0]->cnt->c[TW_IPC_CNT_DROP_PORT_MISSED], missed,
				 __ATOMIC_RELAXED);
	for (unsigned i = 0; i < fp.nb_lcores; i++) {
		struct tw_ipc_counters *dst = tw_ring_counters(ctl.ring, i);
		const struct fp_counters *src = fp.lc_by_index[i]->cnt;
		for (unsigned k = 0; dst && k < TW_IPC_CNT__COUNT; k++)
			__atomic_store_n(&dst->c[k], src->c[k], __ATOMIC_RELAXED);
	}
	tw_ring_fp_heartbeat(ctl.ring, now_ns);
}

/* ---- commands ---- */

static enum tw_err sec_layout(uint8_t proto, uint8_t sec, bool sym, enum tw_pkt_layout *l,
			      enum tw_pkt_prot *p)
{
	bool auth = sec == TW_IPC_SEC_AUTH || sec == TW_IPC_SEC_ENC;
	if (sec != TW_IPC_SEC_OPEN && sec != TW_IPC_SEC_AUTH && sec != TW_IPC_SEC_ENC &&
	    sec != TW_IPC_SEC_MIXED)
		return TW_E_MODE;
	if (proto == TW_IPC_PROTO_STAMP) {
		if (sec == TW_IPC_SEC_ENC)
			return TW_E_MODE;
		*l = auth ? TW_PKT_STAMP_AUTH : TW_PKT_STAMP_OPEN;
	} else if (sym) {
		*l = auth ? TW_PKT_TWAMP_SYM_AUTH : TW_PKT_TWAMP_SYM_OPEN;
	} else {
		*l = auth ? TW_PKT_TWAMP_AUTH : TW_PKT_TWAMP_OPEN;
	}
	*p = sec == TW_IPC_SEC_AUTH ? TW_PKT_PROT_AUTH
	     : sec == TW_IPC_SEC_ENC ? TW_PKT_PROT_ENC
				     : TW_PKT_PROT_NONE;
	return TW_OK;
}

static uint64_t ns2tsc(uint64_t ns)
{
	return (uint64_t)((double)ns * (double)fp.tsc_hz / 1e9);
}

static enum tw_err reflector_add(const struct tw_ipc_reflector_add *q, uint64_t now)
{
	uint8_t fam = q->flow.local.family;
	if (!q->session || (fam != 4 && fam != 6) || q->flow.peer.family != fam ||
	    !q->flow.local_port || !q->flow.peer_port || q->dscp > 63)
		return TW_E_ARG;
	if (q->pad.padding_len > TW_PKT_MAX_LEN)
		return TW_E_LENGTH; /* spec §11.2: no UDP datagram carries it */
	if (fp_sess_find_id(fp.sess, q->session))
		return TW_E_ARG;
	enum tw_pkt_layout l;
	enum tw_pkt_prot p;
	enum tw_err e = sec_layout(q->proto, q->sec, (q->flags & TW_IPC_SF_SYMMETRIC) != 0, &l, &p);
	if (e != TW_OK)
		return e;
	/* RFC 9533 §4.2: a micro-session reflector answers with our port's
	 * member link, so it needs one, and packets that hold the IDs. */
	bool micro = (q->flags & TW_IPC_SF_MICRO) != 0;
	if (micro && (!fp.member_link || q->proto != TW_IPC_PROTO_TWAMP))
		return TW_E_ARG;
	if (micro && q->pad.padding_len < tw_pkt_micro_min_pad(l))
		return TW_E_LENGTH;
	struct fp_key k;
	memset(&k, 0, sizeof(k));
	k.ipv = fam;
	memcpy(k.local.a, q->flow.local.addr, fam == 4 ? 4 : 16);
	memcpy(k.peer.a, q->flow.peer.addr, fam == 4 ? 4 : 16);
	k.local_port = q->flow.local_port;
	k.peer_port = q->flow.peer_port;
	int err;
	struct fp_session *s = fp_sess_add(fp.sess, &k, &err);
	if (!s) {
		if (err != -EEXIST)
			FP_INC(&fp_cnt[rte_lcore_id()], DROP_SESSION_FULL);
		return err == -EEXIST ? TW_E_ARG : TW_E_NOSPACE;
	}
	/* Crypto contexts built once, here (never per packet), in the
	 * crypto pool: open sessions carry none. */
	if (p != TW_PKT_PROT_NONE) {
		struct fp_sess_crypto *cr = fp_sess_crypto_get(fp.sess, s);
		if (!cr) {
			e = TW_E_NOSPACE;
		} else if (l == TW_PKT_STAMP_AUTH) {
			e = tw_stamp_auth_init(&cr->sa, q->keys.hmac, q->keys.hmac_len);
			cr->have_sa = e == TW_OK;
		} else if (q->keys.hmac_len == 0) {
			e = TW_E_ARG;
		} else {
			/* the reflector verifies and protects with one
			 * context (tc_rx is the sender's reply path) */
			e = tw_test_crypto_init(&cr->tc, q->keys.aes, q->keys.hmac);
			cr->have_tc = e == TW_OK;
		}
		if (e != TW_OK) {
			fp_sess_del(fp.sess, s, now);
			return e;
		}
	}
	if (fp_sess_set_id(fp.sess, s, q->session) != 0) {
		fp_sess_del(fp.sess, s, now);
		return TW_E_ARG;
	}
	s->role = FP_ROLE_REFLECTOR;
	s->layout = (uint8_t)l;
	s->prot = (uint8_t)p;
	s->dscp = q->dscp;
	s->copy_dscp = (q->flags & TW_IPC_SF_COPY_DSCP) != 0;
	s->z = (q->flags & TW_IPC_SF_PTP_TS) != 0;
	s->dscp_ecn = (q->flags & TW_IPC_SF_DSCP_ECN) != 0;
	s->micro = micro;
	s->ttl = q->ttl ? q->ttl : 255;
	s->min_ttl = q->min_ttl;
	s->pad_len = q->pad.padding_len;
	s->seq = 0;
	struct fp_sess_cold *sc = fp_sess_cold(fp.sess, s);
	sc->timeout_tsc = ns2tsc(q->timeout_ns);
	sc->resync = (q->flags & TW_IPC_SF_SEQ_RESYNC) != 0;
	sc->refwait_tsc = ns2tsc(q->refwait_ns ? q->refwait_ns : 900ull * 1000000000ull);
	s->last_rx_tsc = now;
	/* Publish the state last (readers check it first). */
	__atomic_store_n(&s->state,
			 (q->flags & TW_IPC_SF_START_NOW) ? FP_SS_ACTIVE : FP_SS_ADDED,
			 __ATOMIC_RELEASE);
	return TW_OK;
}

/* START/STOP with a future at_ntp: kept here until due, then applied by
 * fp_ctl_sched_run() from the main lcore's loop (checked every iteration
 * against one deadline, so a scheduled sender starts within one loop
 * iteration of its time).  The role is checked when the command arrives,
 * so the ACK/NACK means what it says; STARTED/STOPPING events go out when
 * the action happens. */
#define FP_CTL_SCHED_MAX 1024
static struct {
	uint16_t type;
	uint32_t session;
	uint64_t at_tsc;
} sched[FP_CTL_SCHED_MAX];
static unsigned n_sched;
uint64_t fp_ctl_next_sched = UINT64_MAX;

static enum tw_err session_ctl(uint16_t type, const struct tw_ipc_session_ctl *q, uint64_t now);
static const struct fp_light *light_find(uint32_t id);
static void light_sum(const struct fp_light *l, struct tw_ipc_stats *out);

static void sched_recompute(void)
{
	uint64_t m = UINT64_MAX;
	for (unsigned i = 0; i < n_sched; i++)
		if (sched[i].at_tsc < m)
			m = sched[i].at_tsc;
	fp_ctl_next_sched = m;
}

void fp_ctl_sched_run(uint64_t now)
{
	for (unsigned i = 0; i < n_sched;) {
		if (sched[i].at_tsc > now) {
			i++;
			continue;
		}
		struct tw_ipc_session_ctl q = {.session = sched[i].session, .at_ntp = 0};
		uint16_t type = sched[i].type;
		sched[i] = sched[--n_sched];
		(void)session_ctl(type, &q, now); /* deleted meanwhile: nothing to do */
	}
	sched_recompute();
}

static void sched_forget(uint32_t session)
{
	for (unsigned i = 0; i < n_sched;)
		if (sched[i].session == session)
			sched[i] = sched[--n_sched];
		else
			i++;
	sched_recompute();
}

int fp_ctl_mark_static(uint32_t id)
{
	for (unsigned i = 0; i < fp.n_light; i++)
		if (fp.light[i].active && fp.light[i].id == id) {
			fp.light[i].fixed = true;
			return 0;
		}
	struct fp_session *s = fp_sess_find_id(fp.sess, id);
	if (!s)
		return -1;
	fp_sess_cold(fp.sess, s)->fixed = true;
	return 0;
}

/* Listeners count in SESS_ADDED/SESS_DELETED like table sessions (those
 * are counted by fp_sess_add/fp_sess_del). */
static int light_del(uint32_t id)
{
	if (fp_light_del(id) != 0)
		return -1;
	FP_INC(&fp_cnt[rte_lcore_id()], SESS_DELETED);
	return 0;
}

static bool light_fixed(uint32_t id)
{
	for (unsigned i = 0; i < fp.n_light; i++)
		if (fp.light[i].active && fp.light[i].id == id)
			return fp.light[i].fixed;
	return false;
}

static enum tw_err session_ctl(uint16_t type, const struct tw_ipc_session_ctl *q, uint64_t now)
{
	/* The command line's sessions are not control's to delete: they must
	 * outlive any control process (issue 8 §6, docs/ipc.md life cycle). */
	if (type == TW_IPC_SESSION_DEL && light_fixed(q->session))
		return TW_E_COMMAND;
	/* DELETED carries the final counts: the last word on the session,
	 * which control logs (docs/ipc.md). */
	const struct fp_light *l = type == TW_IPC_SESSION_DEL ? light_find(q->session) : NULL;
	if (l) {
		struct tw_ipc_stats st;
		light_sum(l, &st);
		if (light_del(q->session) == 0) {
			fp_ctl_event(q->session, TW_IPC_EV_DELETED, 0, st.rx_pkts, st.tx_pkts);
			return TW_OK;
		}
	}
	struct fp_session *s = fp_sess_find_id(fp.sess, q->session);
	if (!s)
		return TW_E_ARG;
	if (type == TW_IPC_SESSION_DEL && fp_sess_cold(fp.sess, s)->fixed)
		return TW_E_COMMAND;
	if (type == TW_IPC_SESSION_DEL)
		sched_forget(q->session);
	if (q->at_ntp && type != TW_IPC_SESSION_DEL) {
		int64_t d = (int64_t)(q->at_ntp - fp_tsc_ntp(now)); /* NTP 32.32 */
		if (d > 0) {
			bool refl = type == TW_IPC_REFLECTOR_START || type == TW_IPC_REFLECTOR_STOP;
			if (s->role != (refl ? FP_ROLE_REFLECTOR : FP_ROLE_SENDER))
				return TW_E_COMMAND;
			if (n_sched == FP_CTL_SCHED_MAX)
				return TW_E_NOSPACE;
			sched[n_sched].type = type;
			sched[n_sched].session = q->session;
			sched[n_sched].at_tsc =
				now + (uint64_t)((double)d / 4294967296.0 * (double)fp.tsc_hz);
			n_sched++;
			sched_recompute();
			return TW_OK;
		}
		/* in the past: act now */
	}
	switch (type) {
	case TW_IPC_REFLECTOR_START:
		if (s->role != FP_ROLE_REFLECTOR)
			return TW_E_COMMAND;
		s->last_rx_tsc = now;
		__atomic_store_n(&s->state, FP_SS_ACTIVE, __ATOMIC_RELEASE);
		fp_ctl_event(s->id, TW_IPC_EV_STARTED, 0, s->rx, fp_sess_tx(fp.sess, s));
		return TW_OK;
	case TW_IPC_REFLECTOR_STOP: {
		if (s->role != FP_ROLE_REFLECTOR)
			return TW_E_COMMAND;
		/* §4.7: keep reflecting for min(Timeout, REFWAIT) after stop. */
		struct fp_sess_cold *sc = fp_sess_cold(fp.sess, s);
		uint64_t d = sc->timeout_tsc < sc->refwait_tsc ? sc->timeout_tsc : sc->refwait_tsc;
		/* The drain counts from when control received Stop-Sessions
		 * (at_ntp, tw_ipc.h), not from when this message got here, so
		 * the end is Stop + Timeout exactly; a stamp older than 1 s is
		 * not believed. */
		uint64_t from = now;
		if (q->at_ntp) {
			int64_t ago = (int64_t)(fp_tsc_ntp(now) - q->at_ntp); /* NTP 32.32 */
			if (ago > 0 && ago <= (int64_t)1 << 32)
				from = now -
				       (uint64_t)((double)ago / 4294967296.0 * (double)fp.tsc_hz);
		}
		sc->expire_tsc = from + d;
		__atomic_store_n(&s->state, FP_SS_STOPPING, __ATOMIC_RELEASE);
		fp_ctl_event(s->id, TW_IPC_EV_STOPPING, 0, s->rx, fp_sess_tx(fp.sess, s));
		return TW_OK;
	}
	case TW_IPC_SENDER_START:
		if (s->role != FP_ROLE_SENDER)
			return TW_E_COMMAND;
		if (fp_sender_start(fp_sess_cold(fp.sess, s)->snd, now) != 0)
			return TW_E_COMMAND;
		fp_ctl_event(s->id, TW_IPC_EV_STARTED, 0, 0, 0);
		return TW_OK;
	case TW_IPC_SENDER_STOP:
		if (s->role != FP_ROLE_SENDER)
			return TW_E_COMMAND;
		fp_sender_stop(fp_sess_cold(fp.sess, s)->snd, now);
		return TW_OK;
	case TW_IPC_SESSION_DEL: {
		uint32_t id = s->id;
		uint64_t rx = s->rx, tx = fp_sess_tx(fp.sess, s);
		if (s->role == FP_ROLE_SENDER)
			fp_sender_free(fp_sess_cold(fp.sess, s)->snd);
		else
			fp_sess_del(fp.sess, s, now);
		fp_ctl_event(id, TW_IPC_EV_DELETED, 0, rx, tx);
		return TW_OK;
	}
	default:
		return TW_E_COMMAND;
	}
}

/* Delete every session and listener a control process programmed (HELLO
 * RESET, or its liveness watch expired); the command line's own stay.
 * Control-lcore work: the same deletes as SESSION_DEL.  Returns how many. */
static uint64_t drop_ctl_sessions(uint64_t now)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < fp.sess->cap; i++) {
		struct fp_session *s = &fp.sess->s[i];
		/* a LAG's group session (RFC 9533) goes with its last member */
		if (s->state == FP_SS_FREE || s->state == FP_SS_DEAD ||
		    fp_sess_cold(fp.sess, s)->fixed || fp_sess_cold(fp.sess, s)->grp)
			continue;
		sched_forget(s->id);
		struct fp_sender *snd = fp_sess_cold(fp.sess, s)->snd;
		if (s->role == FP_ROLE_SENDER && snd)
			fp_sender_free(snd);
		else
			fp_sess_del(fp.sess, s, now);
		n++;
	}
	for (unsigned i = 0; i < fp.n_light; i++)
		if (fp.light[i].active && !fp.light[i].fixed && light_del(fp.light[i].id) == 0)
			n++;
	return n;
}

/*
 * Liveness of the control process that sent the last HELLO (tw_ipc.h,
 * docs/ipc.md "Either process restarts").  Pure memory on a TSC deadline:
 * one load of its heartbeat per call, no clock of its own to compare with,
 * so the age is measured on our TSC from when the value last changed.
 */
static struct {
	uint64_t grace_tsc; /* TSC cycles; 0 = no watch */
	uint64_t hb;        /* ctl_heartbeat_ns last seen */
	uint64_t hb_tsc;    /* TSC when it last changed */
	uint32_t pid;       /* HELLO ctl_pid */
} watch;

void fp_ctl_watch(struct fp_lcore *lc, uint64_t now)
{
	if (!ctl.ring || !watch.grace_tsc)
		return;
	uint64_t hb = tw_ring_ctl_heartbeat_get(ctl.ring);
	if (hb != watch.hb) {
		watch.hb = hb;
		watch.hb_tsc = now;
		return;
	}
	if (now - watch.hb_tsc < watch.grace_tsc)
		return;
	/* Silent for its grace period: dead (kill -9) or gone without
	 * cleaning up.  Its sessions go, the claim is freed for a successor,
	 * and the watch stays off until the next HELLO. */
	FP_ADD(lc->cnt, SESS_CTL_LOST, drop_ctl_sessions(now));
	FP_INC(lc->cnt, CTL_LOST);
	(void)tw_ring_ctl_release(ctl.ring, watch.pid);
	watch.grace_tsc = 0;
}

static void stats_reply(uint32_t id, const struct fp_session *s, uint16_t flags)
{
	struct tw_ipc_stats st;
	memset(&st, 0, sizeof(st));
	st.session = s->id;
	st.proto = tw_pkt_is_stamp((enum tw_pkt_layout)s->layout) ? TW_IPC_PROTO_STAMP
								  : TW_IPC_PROTO_TWAMP;
	st.role = s->role;
	st.rx_pkts = s->rx;
	st.tx_pkts = fp_sess_tx(fp.sess, s);
	st.rx_octets = s->rx_octets;
	/* a reflector's replies: each as long as the request it answers
	 * (rx_octets counts the reply payloads) */
	st.tx_octets = s->role == FP_ROLE_SENDER ? fp_sess_cold(fp.sess, s)->tx_octets
						 : s->rx_octets;
	st.drops = s->drop;
	st.last_rx_ntp = s->rx ? fp_tsc_ntp(s->last_rx_tsc) : 0;
	st.next_seq = s->role == FP_ROLE_SENDER ? fp_sess_cold(fp.sess, s)->snd->next_seq : s->seq;
	send_evt(0, TW_IPC_STATS, id, flags, &st, sizeof(st));
}

/* A TWAMP-Light/STAMP listener (role 3): the sum of every lcore's share
 * (struct fp_light_cnt) of the listener now in the slot.  Read while the
 * lcores write: each value is a whole 64-bit word, at most a burst old. */
static void light_sum(const struct fp_light *l, struct tw_ipc_stats *out)
{
	struct tw_ipc_stats st;
	memset(&st, 0, sizeof(st));
	unsigned slot = (unsigned)(l - fp.light);
	uint64_t last = 0;
	st.session = l->id;
	st.proto = l->stamp ? TW_IPC_PROTO_STAMP : TW_IPC_PROTO_LIGHT;
	st.state = TW_IPC_EV_STARTED; /* a listener reflects from LIGHT_LISTEN on */
	st.role = 3;
	for (unsigned i = 0; i < fp.nb_lcores; i++) {
		const struct fp_lcore *lc = fp.lc_by_index[i];
		const struct fp_light_cnt *k = &lc->light_cnt[slot];
		if (__atomic_load_n(&k->gen, __ATOMIC_ACQUIRE) == l->gen) {
			st.rx_pkts += __atomic_load_n(&k->rx, __ATOMIC_RELAXED);
			st.rx_octets += __atomic_load_n(&k->rx_octets, __ATOMIC_RELAXED);
			st.drops += __atomic_load_n(&k->drops, __ATOMIC_RELAXED);
			uint64_t t = __atomic_load_n(&k->last_rx_tsc, __ATOMIC_RELAXED);
			last = t > last ? t : last;
		}
		const struct fp_peers_owner *o = lc->peers ? &lc->peers->own[slot] : NULL;
		if (!l->stateless && o && __atomic_load_n(&o->gen, __ATOMIC_RELAXED) == l->gen)
			st.peers += __atomic_load_n(&o->n, __ATOMIC_RELAXED);
	}
	/* every accepted request is answered with a reply of its length */
	st.tx_pkts = st.rx_pkts;
	st.tx_octets = st.rx_octets;
	st.last_rx_ntp = last ? fp_tsc_ntp(last) : 0;
	*out = st;
}

static void light_stats_reply(uint32_t id, const struct fp_light *l, uint16_t flags)
{
	struct tw_ipc_stats st;
	light_sum(l, &st);
	send_evt(0, TW_IPC_STATS, id, flags, &st, sizeof(st));
}

static const struct fp_light *light_find(uint32_t id)
{
	for (unsigned i = 0; i < fp.n_light; i++)
		if (fp.light[i].active && fp.light[i].id == id)
			return &fp.light[i];
	return NULL;
}

/* One STATS message: a session's, or (s NULL) a listener's. */
static void stats_emit(uint32_t id, const struct fp_session *s, const struct fp_light *l,
                       uint16_t flags)
{
	if (s)
		stats_reply(id, s, flags);
	else
		light_stats_reply(id, l, flags);
}

enum tw_err fp_ctl_apply(uint16_t type, const void *pl, uint32_t len, uint64_t now,
			 uint32_t *detail)
{
	(void)len;
	*detail = 0;
	switch (type) {
	case TW_IPC_PORT_CONFIG: {
		struct tw_ipc_port_config q;
		memcpy(&q, pl, sizeof(q));
		if (q.port_id != 0 || q.n_addrs > TW_IPC_PORT_ADDRS)
			return TW_E_ARG;
		/* The kernel owns the addresses on the TAP; this tells the fast
		 * path which destinations are its own. */
		for (unsigned i = 0; i < q.n_addrs; i++) {
			if (q.addrs[i].family == 4) {
				fp_set_addr4(q.addrs[i].addr, q.addrs[i].prefix_len);
			} else if (q.addrs[i].family == 6) {
				memcpy(fp.addr6, q.addrs[i].addr, 16);
				fp.plen6 = q.addrs[i].prefix_len;
				fp.have6 = true;
			}
		}
		return TW_OK;
	}
	case TW_IPC_REFLECTOR_ADD: {
		struct tw_ipc_reflector_add q;
		memcpy(&q, pl, sizeof(q));
		return reflector_add(&q, now);
	}
	case TW_IPC_SENDER_ADD: {
		struct tw_ipc_sender_add q;
		memcpy(&q, pl, sizeof(q));
		enum tw_err e;
		(void)fp_sender_add(&q, 0, &e);
		return e;
	}
	case TW_IPC_LIGHT_LISTEN: {
		struct tw_ipc_light_listen q;
		memcpy(&q, pl, sizeof(q));
		enum tw_err e;
		if (fp_light_add(&q, &e) == 0)
			FP_INC(&fp_cnt[rte_lcore_id()], SESS_ADDED);
		return e;
	}
	case TW_IPC_REFLECTOR_START:
	case TW_IPC_REFLECTOR_STOP:
	case TW_IPC_SENDER_START:
	case TW_IPC_SENDER_STOP:
	case TW_IPC_SESSION_DEL: {
		struct tw_ipc_session_ctl q;
		memcpy(&q, pl, sizeof(q));
		return session_ctl(type, &q, now);
	}
	default:
		return TW_E_COMMAND;
	}
}

/* h and pl are this process' copy of the message, validated by
 * tw_ipc_validate(): nothing here reads the shared region again. */
static void handle(struct fp_lcore *lc, const struct tw_ipc_hdr *h, const void *pl, uint64_t now)
{
	FP_INC(lc->cnt, IPC_CMDS);
	switch (h->type) {
	case TW_IPC_HELLO: {
		struct tw_ipc_hello q;
		memcpy(&q, pl, sizeof(q));
		if (q.flags & TW_IPC_HELLO_F_RESET) {
			/* Control restarted (docs/ipc.md, life cycle 5): drop every
			 * session and listener it programmed; it re-registers what it
			 * still wants.  The command line's own stay (issue 8 §6). */
			FP_ADD(lc->cnt, SESS_RESET, drop_ctl_sessions(now));
		}
		/* The liveness watch of this control process (tw_ipc.h HELLO),
		 * counted from now. */
		watch.grace_tsc = ns2tsc((uint64_t)q.grace_ms * 1000000u);
		watch.pid = q.ctl_pid;
		watch.hb = tw_ring_ctl_heartbeat_get(ctl.ring);
		watch.hb_tsc = now;
		struct tw_ipc_hello_reply r;
		memset(&r, 0, sizeof(r));
		r.fp_pid = (uint32_t)getpid();
		r.caps = TW_IPC_CAP_IPV6 | TW_IPC_CAP_CRYPTO | TW_IPC_CAP_SENDER |
			 (fp.port.ts_mode == FP_TS_HW_DYNFIELD ? TW_IPC_CAP_HW_RX_TS : 0) |
			 (fp.member_link ? TW_IPC_CAP_MICRO : 0);
		r.member_link = fp.member_link; /* RFC 9533 */
		r.n_lcores = (uint16_t)fp.nb_lcores;
		r.n_ports = fp.n_ports ? fp.n_ports : 1; /* RFC 9533 member-link ports */
		r.member_links[0] = fp.member_link;
		for (unsigned i = 1; i < fp.n_ports && i < TW_IPC_MEMBER_LINKS; i++)
			r.member_links[i] = fp.port_links[i];
		r.n_evt_rings = (uint16_t)fp.nb_lcores;
		r.max_sessions = fp.sess->cap;
		r.ip_mtu = fp.ip_mtu;
		r.tsc_hz = fp.tsc_hz;
		r.clock_err_ns = fp.clk_cur->err_ns;
		send_evt(0, TW_IPC_HELLO_REPLY, h->id, 0, &r, sizeof(r));
		return;
	}
	case TW_IPC_STATS_REQUEST: {
		struct tw_ipc_stats_request q;
		memcpy(&q, pl, sizeof(q));
		if (q.session) {
			const struct fp_session *s = fp_sess_find_id(fp.sess, q.session);
			const struct fp_light *l = s ? NULL : light_find(q.session);
			if (!s && !l) {
				ack(h->type, h->id, TW_E_ARG, q.session, 0);
				return;
			}
			stats_emit(h->id, s, l, 0);
			return;
		}
		/* Every session, then every listener: a F_MORE chain; the last
		 * one without. */
		const struct fp_session *prev = NULL;
		const struct fp_light *prev_l = NULL;
		for (uint32_t i = 0; i < fp.sess->cap; i++) {
			const struct fp_session *s = &fp.sess->s[i];
			/* a LAG's group session has no id: its members report */
			if (s->state == FP_SS_FREE || s->state == FP_SS_DEAD ||
			    fp_sess_cold(fp.sess, s)->grp)
				continue;
			if (prev)
				stats_reply(h->id, prev, TW_IPC_F_MORE);
			prev = s;
		}
		for (unsigned i = 0; i < fp.n_light; i++) {
			if (!fp.light[i].active)
				continue;
			if (prev || prev_l)
				stats_emit(h->id, prev, prev_l, TW_IPC_F_MORE);
			prev = NULL;
			prev_l = &fp.light[i];
		}
		if (prev || prev_l)
			stats_emit(h->id, prev, prev_l, 0);
		else
			ack(h->type, h->id, TW_OK, 0, 0);
		return;
	}
	case TW_IPC_COUNTERS_REQUEST: {
		struct tw_ipc_counters_request q;
		memcpy(&q, pl, sizeof(q));
		unsigned lo = 0, hi = fp.nb_lcores;
		if (q.lcore != TW_IPC_LCORE_ALL) {
			if (q.lcore >= fp.nb_lcores) {
				ack(h->type, h->id, TW_E_ARG, 0, 0);
				return;
			}
			lo = q.lcore;
			hi = q.lcore + 1u;
		}
		for (unsigned i = lo; i < hi; i++) {
			struct tw_ipc_counters_msg m;
			memset(&m, 0, sizeof(m));
			m.lcore = (uint16_t)i;
			m.n_counters = TW_IPC_CNT__COUNT;
			m.at_ns = (uint64_t)((double)now * 1e9 / (double)fp.tsc_hz);
			memcpy(m.c, fp.lc_by_index[i]->cnt->c, sizeof(m.c));
			send_evt(0, TW_IPC_COUNTERS, h->id, i + 1 < hi ? TW_IPC_F_MORE : 0, &m,
				 sizeof(m));
		}
		return;
	}
	default: {
		uint32_t detail = 0;
		enum tw_err e = fp_ctl_apply(h->type, pl, h->length, now, &detail);
		const uint32_t *sess = (const uint32_t *)pl; /* every session payload starts with it */
		uint32_t sid;
		memcpy(&sid, sess, sizeof(sid));
		if (h->type == TW_IPC_PORT_CONFIG)
			sid = 0;
		if (e != TW_OK)
			FP_INC(lc->cnt, DROP_IPC_BAD);
		ack(h->type, h->id, e, sid, detail);
	}
	}
}

void fp_ctl_poll(struct fp_lcore *lc, uint64_t now, unsigned max)
{
	if (!ctl.ring)
		return;
	/* One private copy per command (docs/ipc.md, trust boundary): the
	 * region is writable by the control plane's user, so the fast path
	 * (root) copies each message out once, validates the copy, and acts
	 * only on the copy.  Static: the control lcore is the only consumer. */
	static _Alignas(64) uint8_t buf[TW_IPC_PAYLOAD_MAX];
	struct tw_ring_q *q = tw_ring_cmd(ctl.ring);
	for (unsigned i = 0; i < max; i++) {
		struct tw_ipc_hdr h;
		enum tw_err e = tw_ring_dequeue(q, &h, buf, sizeof(buf));
		if (e == TW_E_EMPTY)
			return;
		if (e != TW_OK) {
			/* discarded and counted by the ring (malformed) */
			FP_INC(lc->cnt, DROP_IPC_BAD);
			continue;
		}
		uint32_t detail = 0;
		e = tw_ipc_validate(&h, buf, TW_IPC_DIR_CMD, &detail);
		if (e != TW_OK) {
			uint32_t sid = 0;
			if (h.type != TW_IPC_PORT_CONFIG && h.length >= sizeof(sid))
				memcpy(&sid, buf, sizeof(sid));
			FP_INC(lc->cnt, IPC_CMDS);
			FP_INC(lc->cnt, DROP_IPC_BAD);
			ack(h.type, h.id, e, sid, detail);
			continue;
		}
		handle(lc, &h, buf, now);
	}
}
