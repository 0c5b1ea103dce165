/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twinhop-ipc: a DPDK-free driver for the fast-path IPC region.
 *
 *   twinhop-ipc [--shm NAME] info                 superblock, rings, counters (read-only)
 *   twinhop-ipc [--shm NAME] counters             non-zero counters per lcore (read-only)
 *   twinhop-ipc [--shm NAME] hello [--reset]      HELLO, print HELLO_REPLY
 *   twinhop-ipc [--shm NAME] add-light-reflector --port P [--addr A] [--stamp]
 *               [--stateless] [--session N] [--vlan V] [--dscp D] [--port-id I]
 *   twinhop-ipc [--shm NAME] start|stop|del --session N [--sender]
 *   twinhop-ipc [--shm NAME] stats [--session N]
 *   twinhop-ipc [--shm NAME] counters-request [--lcore N]
 *   twinhop-ipc [--shm NAME] dump [--timeout MS]  print events as they arrive
 *   twinhop-ipc [--shm NAME] create [--evt N] [--lcores N] [--cmd-size B]
 *               [--evt-size B] [--count N] [--ports N]
 *                                                 fake fast path: ACK everything
 *   twinhop-ipc [--shm NAME] unlink
 *
 * A command waits --timeout ms (default 2000) for its reply, printing every
 * event that arrives meanwhile; exit status 0 on ACK/reply, 1 on NACK or
 * timeout, 2 on usage or attach errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tw_err.h"
#include "tw_ipc.h"
#include "tw_ring.h"

struct opts {
	const char *shm;
	const char *addr;
	long port, session, vlan, dscp, port_id, lcore, timeout_ms, count;
	long n_evt, n_lcores, cmd_size, evt_size, n_ports;
	int stamp, stateless, reset, sender;
};

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig, stop = 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ntp(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t sec = (uint64_t)ts.tv_sec + 2208988800ull;
	return (sec << 32) | (((uint64_t)ts.tv_nsec << 32) / 1000000000ull);
}

static void nap(void)
{
	struct timespec ts = {0, 1000000};
	nanosleep(&ts, NULL);
}

static const char *addr_str(const struct tw_ipc_addr *a, char *buf, size_t n)
{
	if (a->family == 4)
		return inet_ntop(AF_INET, a->addr, buf, (socklen_t)n);
	if (a->family == 6)
		return inet_ntop(AF_INET6, a->addr, buf, (socklen_t)n);
	return "any";
}

/* ======================================================================== */
/* Printing                                                                  */
/* ======================================================================== */

static void print_msg(const char *where, const struct tw_ipc_hdr *h, const void *p)
{
	char a1[64], a2[64];
	printf("%s %s id=%" PRIu32 " flags=0x%x len=%" PRIu32, where, tw_ipc_type_name(h->type),
	       h->id, h->flags, h->length);
	switch (h->type) {
	case TW_IPC_HELLO: {
		struct tw_ipc_hello m;
		memcpy(&m, p, sizeof(m));
		m.name[sizeof(m.name) - 1] = 0;
		printf(" ctl_pid=%u flags=0x%x grace_ms=%u name=%s", m.ctl_pid, m.flags, m.grace_ms,
		       m.name);
		break;
	}
	case TW_IPC_HELLO_REPLY: {
		struct tw_ipc_hello_reply m;
		memcpy(&m, p, sizeof(m));
		printf(" fp_pid=%u caps=0x%x lcores=%u ports=%u evt_rings=%u max_sessions=%u "
		       "ip_mtu=%u",
		       m.fp_pid, m.caps, m.n_lcores, m.n_ports, m.n_evt_rings, m.max_sessions,
		       m.ip_mtu);
		break;
	}
	case TW_IPC_ACK:
	case TW_IPC_NACK: {
		struct tw_ipc_ack m;
		memcpy(&m, p, sizeof(m));
		printf(" req=%s session=%u err=%s (%s) detail=%u", tw_ipc_type_name(m.req_type),
		       m.session, tw_errname((enum tw_err)m.err), tw_strerror((enum tw_err)m.err),
		       m.detail);
		break;
	}
	case TW_IPC_REFLECTOR_ADD:
	case TW_IPC_SENDER_ADD:
	case TW_IPC_LIGHT_LISTEN: {
		/* The three share session, proto, sec, flags at the start. */
		struct tw_ipc_light_listen m;
		memcpy(&m, p, sizeof(m) < h->length ? sizeof(m) : h->length);
		printf(" session=%u proto=%u sec=%u flags=0x%x", m.session, m.proto, m.sec,
		       m.flags);
		if (h->type == TW_IPC_LIGHT_LISTEN)
			printf(" local=%s:%u vlan=%u port_id=%u",
			       addr_str(&m.flow.local, a1, sizeof(a1)), m.flow.local_port,
			       m.flow.vlan, m.flow.port_id);
		if (h->type == TW_IPC_SENDER_ADD && h->length >= sizeof(struct tw_ipc_sender_add)) {
			struct tw_ipc_sender_add s;
			memcpy(&s, p, sizeof(s));
			printf(" tlv_len=%u", s.tlv_len); /* RFC 8972 §4 template, version 9 */
		}
		break;
	}
	case TW_IPC_REFLECTOR_START:
	case TW_IPC_REFLECTOR_STOP:
	case TW_IPC_SENDER_START:
	case TW_IPC_SENDER_STOP:
	case TW_IPC_SESSION_DEL: {
		struct tw_ipc_session_ctl m;
		memcpy(&m, p, sizeof(m));
		printf(" session=%u at_ntp=%016" PRIx64, m.session, m.at_ntp);
		break;
	}
	case TW_IPC_SESSION_EVENT: {
		struct tw_ipc_session_event m;
		memcpy(&m, p, sizeof(m));
		printf(" session=%u event=%u err=%s rx=%" PRIu64 " tx=%" PRIu64, m.session, m.event,
		       tw_errname((enum tw_err)m.err), m.rx_pkts, m.tx_pkts);
		break;
	}
	case TW_IPC_SENDER_RESULT: {
		struct tw_ipc_result_batch b;
		memcpy(&b, p, sizeof(b));
		printf(" count=%u lcore=%u\n", b.count, b.lcore);
		const uint8_t *q = (const uint8_t *)p + sizeof(b);
		for (unsigned i = 0; i < b.count; i++) {
			struct tw_ipc_result r;
			memcpy(&r, q + i * sizeof(r), sizeof(r));
			printf("  session=%u seq=%u rseq=%u flags=0x%x t1=%016" PRIx64
			       " t2=%016" PRIx64 " t3=%016" PRIx64 " t4=%016" PRIx64 " ttl=%u/%u\n",
			       r.session, r.sender_seq, r.reflector_seq, r.flags, r.t1, r.t2, r.t3,
			       r.t4, r.ttl_fwd, r.ttl_back);
		}
		return;
	}
	case TW_IPC_SENDER_SUMMARY: {
		struct tw_ipc_sender_summary m;
		memcpy(&m, p, sizeof(m));
		printf(" session=%u reason=%u sent=%" PRIu64 " replies=%" PRIu64 " lost=%" PRIu64
		       " results=%" PRIu64 " results_dropped=%" PRIu64,
		       m.session, m.reason, m.sent, m.replies, m.lost, m.results_sent,
		       m.results_dropped);
		break;
	}
	case TW_IPC_SENDER_STLV: {
		/* what the replies' STAMP TLVs said (RFC 8972 §4) */
		struct tw_ipc_sender_stlv m;
		memcpy(&m, p, sizeof(m));
		printf(" session=%u replies=%" PRIu64 " flagged_u/m/i=%" PRIu64 "/%" PRIu64
		       "/%" PRIu64 " short=%" PRIu64 " cos=%" PRIu64 " dm=%" PRIu64
		       " followup=%" PRIu64 " hmac_ok=%" PRIu64 " hmac_bad=%" PRIu64,
		       m.session, m.replies, m.flag_u, m.flag_m, m.flag_i, m.area_short, m.cos_n,
		       m.dm_n, m.fu_n, m.hmac_ok, m.hmac_bad);
		break;
	}
	case TW_IPC_STATS_REQUEST: {
		struct tw_ipc_stats_request m;
		memcpy(&m, p, sizeof(m));
		printf(" session=%u", m.session);
		break;
	}
	case TW_IPC_STATS: {
		struct tw_ipc_stats m;
		memcpy(&m, p, sizeof(m));
		printf(" session=%u role=%u state=%u rx=%" PRIu64 " tx=%" PRIu64 " drops=%" PRIu64,
		       m.session, m.role, m.state, m.rx_pkts, m.tx_pkts, m.drops);
		break;
	}
	case TW_IPC_COUNTERS: {
		struct tw_ipc_counters_msg m;
		memcpy(&m, p, sizeof(m));
		printf(" lcore=%u\n", m.lcore);
		for (unsigned i = 0; i < TW_IPC_CNT__COUNT && i < m.n_counters; i++)
			if (m.c[i])
				printf("  %-28s %" PRIu64 " %s\n", tw_ipc_cnt_name(i), m.c[i],
				       tw_ipc_cnt_units(i));
		return;
	}
	case TW_IPC_LOG: {
		struct tw_ipc_log m;
		memcpy(&m, p, sizeof(m));
		printf(" level=%u lcore=%u suppressed=%u: %.*s", m.level, m.lcore, m.suppressed,
		       (int)m.text_len, (const char *)p + sizeof(m));
		break;
	}
	case TW_IPC_PORT_CONFIG: {
		struct tw_ipc_port_config m;
		memcpy(&m, p, sizeof(m));
		printf(" port_id=%u vlan=%u n_addrs=%u", m.port_id, m.vlan, m.n_addrs);
		for (unsigned i = 0; i < m.n_addrs && i < TW_IPC_PORT_ADDRS; i++)
			printf(" %s/%u", addr_str(&m.addrs[i], a2, sizeof(a2)),
			       m.addrs[i].prefix_len);
		break;
	}
	default:
		break;
	}
	printf("\n");
}

/* ======================================================================== */
/* Read-only views                                                           */
/* ======================================================================== */

static void print_q(const char *what, const struct tw_ring_q *q)
{
	struct tw_ring_qstats st;
	tw_ring_qstats(q, &st);
	printf("  %-8s size=%u used=%" PRIu64 " enq=%" PRIu64 " deq=%" PRIu64 " full_drops=%" PRIu64
	       " oversize=%" PRIu64 " malformed=%" PRIu64 " discarded_octets=%" PRIu64 "\n",
	       what, st.size, st.used, st.enq_msgs, st.deq_msgs, st.full_msgs, st.oversize,
	       st.malformed, st.discarded_octets);
}

static void print_counters(struct tw_ring *r)
{
	uint64_t total[TW_IPC_CNT__COUNT] = {0};
	for (unsigned l = 0; l < tw_ring_n_lcores(r); l++) {
		const struct tw_ipc_counters *b = tw_ring_counters(r, l);
		for (unsigned i = 0; i < TW_IPC_CNT__COUNT; i++) {
			uint64_t v = tw_ipc_cnt_get(b, (enum tw_ipc_cnt)i);
			total[i] += v;
			if (v)
				printf("  lcore %-3u %-28s %" PRIu64 " %s\n", l, tw_ipc_cnt_name(i),
				       v, tw_ipc_cnt_units(i));
		}
	}
	for (unsigned i = 0; i < TW_IPC_CNT__COUNT; i++)
		if (total[i])
			printf("  total     %-28s %" PRIu64 " %s\n", tw_ipc_cnt_name(i), total[i],
			       tw_ipc_cnt_units(i));
}

/* Each port's own statistics (tw_ipc.h version 13). */
static void print_ports(struct tw_ring *r)
{
	for (unsigned p = 0; p < tw_ring_n_ports(r); p++) {
		const struct tw_ipc_port_stats *ps = tw_ring_port_stats(r, p);
		printf("  port %u (member link %u, DPDK port %u) link %s: rx %" PRIu64
		       " packets %" PRIu64 " octets, tx %" PRIu64 " packets %" PRIu64
		       " octets, missed %" PRIu64 ", nombuf %" PRIu64 ", errors rx %" PRIu64
		       " tx %" PRIu64 "\n",
		       p, ps->member_link, ps->dpdk_port,
		       __atomic_load_n(&ps->link_up, __ATOMIC_RELAXED) ? "up" : "down",
		       tw_ipc_port_get(&ps->rx_pkts), tw_ipc_port_get(&ps->rx_octets),
		       tw_ipc_port_get(&ps->tx_pkts), tw_ipc_port_get(&ps->tx_octets),
		       tw_ipc_port_get(&ps->rx_missed), tw_ipc_port_get(&ps->rx_nombuf),
		       tw_ipc_port_get(&ps->rx_errors), tw_ipc_port_get(&ps->tx_errors));
	}
}

static int cmd_info(struct tw_ring *r)
{
	const struct tw_ring_super *sb = tw_ring_super(r);
	printf("region %s: %" PRIu64 " octets, magic %016" PRIx64 ", IPC version %u, layout "
	       "%016" PRIx64 "\n",
	       tw_ring_name(r), sb->region_size, sb->magic, sb->ipc_version, sb->layout_hash);
	printf("  creator pid %u (%s), control pid %u, control attaches %" PRIu64 "\n",
	       sb->creator_pid, tw_ring_live(r) ? "live" : "GONE", sb->ctl_pid, sb->ctl_attaches);
	printf("  heartbeats: fast path %" PRIu64 " ns, control %" PRIu64 " ns\n",
	       sb->fp_heartbeat_ns, sb->ctl_heartbeat_ns);
	printf("  %u event rings of %u octets, command ring %u octets, %u counter blocks of "
	       "%u counters\n",
	       sb->n_evt, sb->evt_size, sb->cmd_size, sb->n_lcores, sb->n_counters);
	printf("  %u port blocks\n", sb->n_ports);
	print_q("cmd", tw_ring_cmd(r));
	for (unsigned i = 0; i < tw_ring_n_evt(r); i++) {
		char n[16];
		snprintf(n, sizeof(n), "evt%u", i);
		print_q(n, tw_ring_evt(r, i));
	}
	print_counters(r);
	print_ports(r);
	return 0;
}

/* ======================================================================== */
/* Control side: send one command and wait for its reply                    */
/* ======================================================================== */

static int send_wait(struct tw_ring *r, uint16_t type, const void *p, uint32_t len, long timeout_ms)
{
	static uint32_t seq;
	uint32_t id = ((uint32_t)getpid() << 8) | (++seq & 0xff);
	struct tw_ipc_hdr h = {.type = type, .id = id, .length = len};
	enum tw_err e = tw_ring_enqueue(tw_ring_cmd(r), &h, p);
	if (e) {
		fprintf(stderr, "twinhop-ipc: enqueue %s: %s\n", tw_ipc_type_name(type),
		        tw_strerror(e));
		return 1;
	}
	h.version = TW_IPC_VERSION;
	print_msg("->", &h, p);
	uint64_t deadline = mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	int rc = -1;
	while (rc < 0 && !stop && mono_ns() < deadline) {
		int idle = 1;
		tw_ring_ctl_heartbeat(r, mono_ns());
		for (unsigned i = 0; i < tw_ring_n_evt(r); i++) {
			const struct tw_ipc_hdr *g;
			e = tw_ring_peek(tw_ring_evt(r, i), &g);
			if (e == TW_E_EMPTY)
				continue;
			idle = 0;
			if (e) {
				printf("<- evt%u malformed: %s\n", i, tw_strerror(e));
				continue;
			}
			print_msg("<-", g, g + 1);
			if (g->id == id && !(g->flags & TW_IPC_F_MORE))
				rc = g->type == TW_IPC_NACK ? 1 : 0;
			tw_ring_release(tw_ring_evt(r, i));
		}
		if (idle)
			nap();
	}
	if (rc < 0) {
		fprintf(stderr, "twinhop-ipc: no reply to id %u within %ld ms\n", id, timeout_ms);
		rc = 1;
	}
	return rc;
}

static int cmd_dump(struct tw_ring *r, long timeout_ms)
{
	uint64_t deadline = timeout_ms > 0 ? mono_ns() + (uint64_t)timeout_ms * 1000000ull : 0;
	while (!stop && (!deadline || mono_ns() < deadline)) {
		int idle = 1;
		tw_ring_ctl_heartbeat(r, mono_ns());
		for (unsigned i = 0; i < tw_ring_n_evt(r); i++) {
			const struct tw_ipc_hdr *g;
			enum tw_err e = tw_ring_peek(tw_ring_evt(r, i), &g);
			if (e == TW_E_EMPTY)
				continue;
			idle = 0;
			if (e) {
				printf("<- evt%u malformed: %s\n", i, tw_strerror(e));
				continue;
			}
			print_msg("<-", g, g + 1);
			tw_ring_release(tw_ring_evt(r, i));
		}
		if (idle) {
			if (!tw_ring_live(r)) {
				printf("fast path gone\n");
				return 1;
			}
			nap();
		}
	}
	return 0;
}

static int parse_addr(const char *s, struct tw_ipc_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!s)
		return 0;
	if (inet_pton(AF_INET, s, a->addr) == 1)
		a->family = 4;
	else if (inet_pton(AF_INET6, s, a->addr) == 1)
		a->family = 6;
	else
		return -1;
	return 0;
}

/* ======================================================================== */
/* Fake fast path                                                            */
/* ======================================================================== */

#define FAKE_MAX 256
struct fake {
	struct tw_ring *r;
	uint32_t sessions[FAKE_MAX]; /* 0 = free */
	uint8_t roles[FAKE_MAX];
};

static int fake_find(struct fake *f, uint32_t s)
{
	for (int i = 0; i < FAKE_MAX; i++)
		if (s && f->sessions[i] == s)
			return i;
	return -1;
}

static void fake_send(struct fake *f, uint16_t type, uint32_t id, uint16_t flags, const void *p,
                      uint32_t len)
{
	struct tw_ipc_hdr h = {.type = type, .id = id, .flags = flags, .length = len};
	enum tw_err e = tw_ring_enqueue(tw_ring_evt(f->r, 0), &h, p);
	if (e) {
		/* Counted twice on purpose: by the ring (full_msgs) and by reason. */
		tw_ipc_cnt_add(tw_ring_counters(f->r, 0), TW_IPC_CNT_DROP_RING_FULL, 1);
		fprintf(stderr, "fake-fp: reply %s lost: %s\n", tw_ipc_type_name(type),
		        tw_strerror(e));
		return;
	}
	print_msg("<-", &h, p);
}

static void fake_ack(struct fake *f, const struct tw_ipc_hdr *h, uint32_t session, enum tw_err err,
                     uint32_t detail)
{
	struct tw_ipc_ack a = {
	    .req_type = h->type, .err = (uint16_t)err, .session = session, .detail = detail};
	if (err)
		tw_ipc_cnt_add(tw_ring_counters(f->r, 0), TW_IPC_CNT_DROP_IPC_BAD, 1);
	fake_send(f, err ? TW_IPC_NACK : TW_IPC_ACK, h->id, 0, &a, sizeof(a));
}

static void fake_event(struct fake *f, uint32_t session, uint16_t ev)
{
	struct tw_ipc_session_event m = {.session = session, .event = ev, .at_ntp = now_ntp()};
	fake_send(f, TW_IPC_SESSION_EVENT, 0, 0, &m, sizeof(m));
}

/* SENDER_START: three fake results then a summary, on the last event ring. */
static void fake_results(struct fake *f, uint32_t session)
{
	struct tw_ring_q *q = tw_ring_evt(f->r, tw_ring_n_evt(f->r) - 1);
	struct tw_ipc_hdr *h;
	uint32_t len = sizeof(struct tw_ipc_result_batch) + 3 * sizeof(struct tw_ipc_result);
	if (tw_ring_reserve(q, len, &h) == TW_OK) {
		struct tw_ipc_result_batch *b = (void *)(h + 1);
		struct tw_ipc_result *rec = (void *)(b + 1);
		*b = (struct tw_ipc_result_batch){.count = 3,
		                                  .lcore = (uint16_t)(tw_ring_n_evt(f->r) - 1)};
		uint64_t t = now_ntp();
		for (uint32_t i = 0; i < 3; i++)
			rec[i] = (struct tw_ipc_result){.session = session,
			                                .sender_seq = i,
			                                .reflector_seq = i,
			                                .ttl_fwd = 255,
			                                .ttl_back = 255,
			                                .t1 = t,
			                                .t2 = t + 4295,
			                                .t3 = t + 8590,
			                                .t4 = t + 12885,
			                                .err1 = 0x0001,
			                                .err2 = 0x0001,
			                                .err3 = 0x0001,
			                                .err4 = 0x0001};
		h->type = TW_IPC_SENDER_RESULT;
		tw_ring_commit(q);
	} else {
		tw_ipc_cnt_add(tw_ring_counters(f->r, 0), TW_IPC_CNT_DROP_RING_FULL, 3);
	}
	struct tw_ipc_sender_summary s = {.session = session,
	                                  .reason = TW_IPC_END_COUNT,
	                                  .sent = 3,
	                                  .replies = 3,
	                                  .results_sent = 3,
	                                  .start_ntp = now_ntp(),
	                                  .end_ntp = now_ntp()};
	struct tw_ipc_hdr sh = {.type = TW_IPC_SENDER_SUMMARY, .length = sizeof(s)};
	if (tw_ring_enqueue(q, &sh, &s))
		tw_ipc_cnt_add(tw_ring_counters(f->r, 0), TW_IPC_CNT_DROP_RING_FULL, 1);
}

static void fake_handle(struct fake *f, const struct tw_ipc_hdr *h, const void *p)
{
	uint32_t session = 0;
	if (h->type != TW_IPC_HELLO && h->type != TW_IPC_PORT_CONFIG &&
	    h->type != TW_IPC_COUNTERS_REQUEST)
		memcpy(&session, p, sizeof(session)); /* every other payload starts with it */
	int idx = fake_find(f, session);
	switch (h->type) {
	case TW_IPC_HELLO: {
		struct tw_ipc_hello m;
		memcpy(&m, p, sizeof(m));
		if (m.flags & TW_IPC_HELLO_F_RESET)
			memset(f->sessions, 0, sizeof(f->sessions));
		struct tw_ipc_hello_reply rep = {.fp_pid = (uint32_t)getpid(),
		                                 .caps = TW_IPC_CAP_IPV6 | TW_IPC_CAP_SENDER,
		                                 .n_lcores = (uint16_t)tw_ring_n_lcores(f->r),
		                                 .n_ports = (uint16_t)tw_ring_n_ports(f->r),
		                                 .n_evt_rings = (uint16_t)tw_ring_n_evt(f->r),
		                                 .max_sessions = FAKE_MAX,
		                                 .ip_mtu = 1500};
		fake_send(f, TW_IPC_HELLO_REPLY, h->id, 0, &rep, sizeof(rep));
		break;
	}
	case TW_IPC_PORT_CONFIG:
		fake_ack(f, h, 0, TW_OK, 0);
		break;
	case TW_IPC_REFLECTOR_ADD:
	case TW_IPC_SENDER_ADD:
	case TW_IPC_LIGHT_LISTEN: {
		if (!session || idx >= 0) {
			fake_ack(f, h, session, TW_E_FIELD, 0); /* detail: offset of session */
			break;
		}
		int free_i = fake_find(f, 0);
		for (int i = 0; i < FAKE_MAX && free_i < 0; i++)
			if (!f->sessions[i])
				free_i = i;
		if (free_i < 0) {
			fake_ack(f, h, session, TW_E_NOSPACE, 0);
			break;
		}
		f->sessions[free_i] = session;
		f->roles[free_i] = h->type == TW_IPC_REFLECTOR_ADD ? 1
		                   : h->type == TW_IPC_SENDER_ADD  ? 2
		                                                   : 3;
		fake_ack(f, h, session, TW_OK, 0);
		if (h->type == TW_IPC_LIGHT_LISTEN)
			fake_event(f, session, TW_IPC_EV_STARTED);
		break;
	}
	case TW_IPC_REFLECTOR_START:
	case TW_IPC_SENDER_START:
	case TW_IPC_REFLECTOR_STOP:
	case TW_IPC_SENDER_STOP:
	case TW_IPC_SESSION_DEL:
		if (idx < 0) {
			fake_ack(f, h, session, TW_E_ARG, 0);
			break;
		}
		fake_ack(f, h, session, TW_OK, 0);
		if (h->type == TW_IPC_REFLECTOR_START || h->type == TW_IPC_SENDER_START)
			fake_event(f, session, TW_IPC_EV_STARTED);
		if (h->type == TW_IPC_SENDER_START)
			fake_results(f, session);
		if (h->type == TW_IPC_REFLECTOR_STOP)
			fake_event(f, session, TW_IPC_EV_STOPPING);
		if (h->type == TW_IPC_REFLECTOR_STOP || h->type == TW_IPC_SENDER_STOP)
			fake_event(f, session, TW_IPC_EV_ENDED);
		if (h->type == TW_IPC_SESSION_DEL) {
			f->sessions[idx] = 0;
			fake_event(f, session, TW_IPC_EV_DELETED);
		}
		break;
	case TW_IPC_STATS_REQUEST: {
		int last = -1, n = 0;
		for (int i = 0; i < FAKE_MAX; i++)
			if (f->sessions[i] && (!session || f->sessions[i] == session))
				last = i, n++;
		if (session && idx < 0) {
			fake_ack(f, h, session, TW_E_ARG, 0);
			break;
		}
		if (!n) {
			fake_ack(f, h, session, TW_OK, 0);
			break;
		}
		for (int i = 0; i <= last; i++) {
			if (!f->sessions[i] || (session && f->sessions[i] != session))
				continue;
			struct tw_ipc_stats st = {.session = f->sessions[i], .role = f->roles[i]};
			fake_send(f, TW_IPC_STATS, h->id, i == last ? 0 : TW_IPC_F_MORE, &st,
			          sizeof(st));
		}
		break;
	}
	case TW_IPC_COUNTERS_REQUEST: {
		struct tw_ipc_counters_request m;
		memcpy(&m, p, sizeof(m));
		unsigned n = tw_ring_n_lcores(f->r);
		unsigned lo = m.lcore == TW_IPC_LCORE_ALL ? 0 : m.lcore;
		unsigned hi = m.lcore == TW_IPC_LCORE_ALL ? n : m.lcore + 1u;
		if (lo >= n) {
			fake_ack(f, h, 0, TW_E_ARG, 0);
			break;
		}
		for (unsigned l = lo; l < hi; l++) {
			struct tw_ipc_counters_msg c = {.lcore = (uint16_t)l,
			                                .n_counters = TW_IPC_CNT__COUNT,
			                                .at_ns = mono_ns()};
			for (unsigned i = 0; i < TW_IPC_CNT__COUNT; i++)
				c.c[i] =
				    tw_ipc_cnt_get(tw_ring_counters(f->r, l), (enum tw_ipc_cnt)i);
			fake_send(f, TW_IPC_COUNTERS, h->id, l + 1 < hi ? TW_IPC_F_MORE : 0, &c,
			          sizeof(c));
		}
		break;
	}
	default:
		fake_ack(f, h, session, TW_E_COMMAND, 0);
		break;
	}
}

static int cmd_create(const struct opts *o)
{
	if (o->n_ports < 0 || o->n_ports > TW_IPC_PORTS_MAX) {
		fprintf(stderr, "twinhop-ipc: create: --ports: 0..%u\n", TW_IPC_PORTS_MAX);
		return 2;
	}
	struct tw_ring_cfg cfg = {.name = o->shm,
	                          .cmd_size = (uint32_t)o->cmd_size,
	                          .evt_size = (uint32_t)o->evt_size,
	                          .n_evt = (uint16_t)o->n_evt,
	                          .n_lcores = (uint16_t)o->n_lcores,
	                          /* port blocks that stay at zero: a fake has
	                           * no ports to count, only their layout */
	                          .n_ports = (uint16_t)o->n_ports};
	struct fake f = {0};
	char why[TW_RING_WHY_MAX];
	enum tw_err e = tw_ring_create(&cfg, &f.r, why, sizeof(why));
	if (e) {
		fprintf(stderr, "twinhop-ipc: create: %s\n", why);
		return 2;
	}
	printf("fake fast path: region %s, %u event rings, %u lcores; Ctrl-C to stop\n",
	       tw_ring_name(f.r), tw_ring_n_evt(f.r), tw_ring_n_lcores(f.r));
	fflush(stdout);
	long handled = 0;
	while (!stop && (o->count <= 0 || handled < o->count)) {
		tw_ring_fp_heartbeat(f.r, mono_ns());
		const struct tw_ipc_hdr *h;
		e = tw_ring_peek(tw_ring_cmd(f.r), &h);
		if (e == TW_E_EMPTY) {
			fflush(stdout);
			nap();
			continue;
		}
		if (e) {
			printf("-> malformed command: %s\n", tw_strerror(e));
			tw_ipc_cnt_add(tw_ring_counters(f.r, 0), TW_IPC_CNT_DROP_IPC_BAD, 1);
			continue;
		}
		print_msg("->", h, h + 1);
		tw_ipc_cnt_add(tw_ring_counters(f.r, 0), TW_IPC_CNT_IPC_CMDS, 1);
		fake_handle(&f, h, h + 1);
		tw_ring_release(tw_ring_cmd(f.r));
		handled++;
	}
	/* Let the last replies be read before the region disappears. */
	for (int i = 0; i < 200 && !stop; i++) {
		struct tw_ring_qstats st;
		tw_ring_qstats(tw_ring_evt(f.r, 0), &st);
		if (!st.used)
			break;
		nap();
	}
	fflush(stdout);
	tw_ring_destroy(f.r);
	return 0;
}

/* ======================================================================== */

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: twinhop-ipc [--shm NAME] [--timeout MS] COMMAND [options]\n"
	        "  info | counters                     read-only views of the region\n"
	        "  hello [--reset]                     HELLO / HELLO_REPLY\n"
	        "  add-light-reflector --port P [--addr A] [--stamp] [--stateless]\n"
	        "                      [--session N] [--vlan V] [--dscp D] [--port-id I]\n"
	        "  start | stop | del --session N [--sender]\n"
	        "  stats [--session N]                 STATS_REQUEST\n"
	        "  counters-request [--lcore N]        COUNTERS_REQUEST\n"
	        "  dump                                print events (until --timeout or Ctrl-C)\n"
	        "  create [--evt N] [--lcores N] [--cmd-size B] [--evt-size B] [--count N]\n"
	        "         [--ports N]\n"
	        "                                      fake fast path answering every command\n"
	        "  unlink                              remove a stale region\n"
	        "default --shm is %s\n",
	        TW_RING_DEFAULT_NAME);
}

static int num(const char *s, long *v)
{
	char *end;
	errno = 0;
	*v = strtol(s, &end, 0);
	return errno || *end || end == s ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct opts o = {.shm = TW_RING_DEFAULT_NAME,
	                 .session = -1,
	                 .timeout_ms = 2000,
	                 .lcore = TW_IPC_LCORE_ALL,
	                 .n_evt = 2,
	                 .n_lcores = 2};
	enum {
		O_SHM = 256,
		O_ADDR,
		O_PORT,
		O_SESSION,
		O_VLAN,
		O_DSCP,
		O_PORTID,
		O_LCORE,
		O_TIMEOUT,
		O_COUNT,
		O_EVT,
		O_LCORES,
		O_CMDSIZE,
		O_EVTSIZE,
		O_PORTS,
	};
	const struct option lo[] = {
	    {"shm", required_argument, NULL, O_SHM},
	    {"addr", required_argument, NULL, O_ADDR},
	    {"port", required_argument, NULL, O_PORT},
	    {"session", required_argument, NULL, O_SESSION},
	    {"vlan", required_argument, NULL, O_VLAN},
	    {"dscp", required_argument, NULL, O_DSCP},
	    {"port-id", required_argument, NULL, O_PORTID},
	    {"lcore", required_argument, NULL, O_LCORE},
	    {"timeout", required_argument, NULL, O_TIMEOUT},
	    {"count", required_argument, NULL, O_COUNT},
	    {"evt", required_argument, NULL, O_EVT},
	    {"lcores", required_argument, NULL, O_LCORES},
	    {"cmd-size", required_argument, NULL, O_CMDSIZE},
	    {"evt-size", required_argument, NULL, O_EVTSIZE},
	    {"ports", required_argument, NULL, O_PORTS},
	    {"stamp", no_argument, &o.stamp, 1},
	    {"stateless", no_argument, &o.stateless, 1},
	    {"reset", no_argument, &o.reset, 1},
	    {"sender", no_argument, &o.sender, 1},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		long *dst = NULL;
		switch (c) {
		case 0:
			continue;
		case 'h':
			usage(stdout);
			return 0;
		case O_SHM:
			o.shm = optarg;
			continue;
		case O_ADDR:
			o.addr = optarg;
			continue;
		case O_PORT:
			dst = &o.port;
			break;
		case O_SESSION:
			dst = &o.session;
			break;
		case O_VLAN:
			dst = &o.vlan;
			break;
		case O_DSCP:
			dst = &o.dscp;
			break;
		case O_PORTID:
			dst = &o.port_id;
			break;
		case O_LCORE:
			dst = &o.lcore;
			break;
		case O_TIMEOUT:
			dst = &o.timeout_ms;
			break;
		case O_COUNT:
			dst = &o.count;
			break;
		case O_EVT:
			dst = &o.n_evt;
			break;
		case O_LCORES:
			dst = &o.n_lcores;
			break;
		case O_CMDSIZE:
			dst = &o.cmd_size;
			break;
		case O_EVTSIZE:
			dst = &o.evt_size;
			break;
		case O_PORTS:
			dst = &o.n_ports;
			break;
		default:
			usage(stderr);
			return 2;
		}
		if (num(optarg, dst)) {
			fprintf(stderr, "twinhop-ipc: bad number '%s'\n", optarg);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind];
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (!strcmp(cmd, "create"))
		return cmd_create(&o);
	if (!strcmp(cmd, "unlink")) {
		if (tw_ring_unlink(o.shm)) {
			fprintf(stderr, "twinhop-ipc: unlink %s: %s\n", o.shm, strerror(errno));
			return 1;
		}
		return 0;
	}

	if (o.session < 0)
		o.session = strcmp(cmd, "stats") ? 1 : 0; /* stats: all sessions */
	int ro = !strcmp(cmd, "info") || !strcmp(cmd, "counters");
	struct tw_ring *r = NULL;
	char why[TW_RING_WHY_MAX];
	enum tw_err e;
	for (int tries = 0;; tries++) {
		e = tw_ring_attach(o.shm, ro ? TW_RING_ATTACH_RO : 0, &r, why, sizeof(why));
		if (!(e == TW_E_SYS && errno == EAGAIN && tries < 50))
			break;
		nap(); /* the fast path is still initialising the region */
	}
	if (e) {
		fprintf(stderr, "twinhop-ipc: %s\n", why);
		return 2;
	}

	int rc = 2;
	if (!strcmp(cmd, "info")) {
		rc = cmd_info(r);
	} else if (!strcmp(cmd, "counters")) {
		print_counters(r);
		print_ports(r);
		rc = 0;
	} else if (!strcmp(cmd, "hello")) {
		struct tw_ipc_hello m = {.ctl_pid = (uint32_t)getpid(),
		                         .flags = o.reset ? TW_IPC_HELLO_F_RESET : 0,
		                         .ipc_version = TW_IPC_VERSION};
		snprintf(m.name, sizeof(m.name), "twinhop-ipc");
		rc = send_wait(r, TW_IPC_HELLO, &m, sizeof(m), o.timeout_ms);
	} else if (!strcmp(cmd, "add-light-reflector")) {
		struct tw_ipc_light_listen m = {
		    .session = (uint32_t)o.session,
		    .proto = o.stamp ? TW_IPC_PROTO_STAMP : TW_IPC_PROTO_LIGHT,
		    .sec = TW_IPC_SEC_OPEN,
		    .flags =
		        (uint16_t)(TW_IPC_SF_START_NOW | (o.stateless ? TW_IPC_SF_STATELESS : 0)),
		    .dscp = (uint8_t)o.dscp,
		    .max_peers = 1024,
		    .idle_ns = 30ull * 1000000000ull};
		if (o.port <= 0 || o.port > 65535 || parse_addr(o.addr, &m.flow.local) ||
		    o.vlan < 0 || o.vlan > 4094 || o.dscp < 0 || o.dscp > 63) {
			fprintf(stderr, "twinhop-ipc: need --port 1..65535, a valid --addr, "
			                "--vlan 0..4094, --dscp 0..63\n");
		} else {
			m.flow.local_port = (uint16_t)o.port;
			m.flow.vlan = (uint16_t)o.vlan;
			m.flow.port_id = (uint16_t)o.port_id;
			rc = send_wait(r, TW_IPC_LIGHT_LISTEN, &m, sizeof(m), o.timeout_ms);
		}
	} else if (!strcmp(cmd, "start") || !strcmp(cmd, "stop") || !strcmp(cmd, "del")) {
		struct tw_ipc_session_ctl m = {.session = (uint32_t)o.session};
		uint16_t t = !strcmp(cmd, "del") ? TW_IPC_SESSION_DEL
		             : !strcmp(cmd, "start")
		                 ? (o.sender ? TW_IPC_SENDER_START : TW_IPC_REFLECTOR_START)
		             : o.sender ? TW_IPC_SENDER_STOP
		                        : TW_IPC_REFLECTOR_STOP;
		rc = send_wait(r, t, &m, sizeof(m), o.timeout_ms);
	} else if (!strcmp(cmd, "stats")) {
		struct tw_ipc_stats_request m = {.session = (uint32_t)o.session};
		rc = send_wait(r, TW_IPC_STATS_REQUEST, &m, sizeof(m), o.timeout_ms);
	} else if (!strcmp(cmd, "counters-request")) {
		struct tw_ipc_counters_request m = {.lcore = (uint16_t)o.lcore};
		rc = send_wait(r, TW_IPC_COUNTERS_REQUEST, &m, sizeof(m), o.timeout_ms);
	} else if (!strcmp(cmd, "dump")) {
		rc = cmd_dump(r, o.timeout_ms);
	} else {
		usage(stderr);
	}
	tw_ring_detach(r);
	return rc;
}
