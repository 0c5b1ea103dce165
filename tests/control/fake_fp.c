/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fake_fp: a stand-in fast path for twinhopd system tests (style anchor 13,
 * FRR's fake data plane).  Creates the shared region, answers HELLO, ACKs
 * every command, emits a session event per START/DEL and, for SENDER_START,
 * three result records (two replies, one loss) and a summary; answers
 * STATS_REQUEST with one STATS per live session (rx = 100 + id, tx = 200 +
 * id, octets x 64, drops = id) or an ACK when there is none.  Prints one
 * line per command on
 * stdout ("CMD REFLECTOR_ADD session=1 port=30000") for the test to check.
 * usage: fake_fp REGION [mute-add]   (mute-add: never answer REFLECTOR_ADD)
 * environment: FAKE_FP_QUIET, FAKE_FP_HB_OFFSET_NS (below), FAKE_FP_SHM_GID
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tw_ipc.h"
#include "tw_ring.h"

static volatile sig_atomic_t stop;
static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void emit(struct tw_ring *r, uint16_t type, uint32_t id, const void *p, uint32_t len)
{
	struct tw_ipc_hdr h = {.version = TW_IPC_VERSION, .type = type, .id = id, .length = len};
	(void)tw_ring_enqueue(tw_ring_evt(r, 0), &h, p);
}

/* Live sessions by id (the daemon's ids are sequential): a bitmap, so the
 * churn test can hold tens of thousands and check that all are deleted. */
#define LIVE_BITS (1u << 20)
static uint8_t live_map[LIVE_BITS / 8];
static unsigned n_live, max_live;

static bool live_has(uint32_t s)
{
	return live_map[(s % LIVE_BITS) / 8] >> (s % 8) & 1;
}

static void live_add(uint32_t s)
{
	if (live_has(s))
		return;
	live_map[(s % LIVE_BITS) / 8] |= (uint8_t)(1u << (s % 8));
	if (++n_live > max_live)
		max_live = n_live;
}

static bool live_del(uint32_t s)
{
	if (!live_has(s))
		return false;
	live_map[(s % LIVE_BITS) / 8] &= (uint8_t)~(1u << (s % 8));
	n_live--;
	return true;
}

static volatile sig_atomic_t want_live;
static void on_usr1(int s)
{
	(void)s;
	want_live = 1;
}

/* Wall clock as NTP 32.32 (RFC 5905). */
static uint64_t ntp_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec + 2208988800u) << 32 |
	       (uint64_t)(((uint64_t)ts.tv_nsec << 32) / 1000000000u);
}

static void event(struct tw_ring *r, uint32_t session, uint16_t what)
{
	struct tw_ipc_session_event ev = {.session = session, .event = what};
	emit(r, TW_IPC_SESSION_EVENT, 0, &ev, sizeof(ev));
}

int main(int argc, char **argv)
{
	struct tw_ring_cfg cfg = {.name = argc > 1 ? argv[1] : "/twinhop-fake",
	                          .n_evt = 1,
	                          .n_lcores = 1,
	                          .n_ports = 2,
	                          .cmd_size = 1u << 16,
	                          .evt_size = 1u << 18};
	int mute_add = argc > 2 && !strcmp(argv[2], "mute-add");
	struct tw_ring *r;
	char why[TW_RING_WHY_MAX];
	_Alignas(16) uint8_t buf[TW_IPC_MSG_MAX];

	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	signal(SIGUSR1, on_usr1);
	int quiet = getenv("FAKE_FP_QUIET") != NULL;
	/* FAKE_FP_SHM_GID=gid: the region as the shipped units make it
	 * (--shm-group, --shm-mode 0660), for a daemon that drops privileges */
	const char *gid_env = getenv("FAKE_FP_SHM_GID");
	if (gid_env) {
		cfg.set_gid = 1;
		cfg.gid = (uint32_t)strtoul(gid_env, NULL, 10);
		cfg.mode = 0660;
	}
	if (tw_ring_create(&cfg, &r, why, sizeof(why)) != TW_OK) {
		fprintf(stderr, "fake_fp: %s\n", why);
		return 1;
	}
	/* A real fast path counts its heartbeat in TSC nanoseconds, not in the
	 * control plane's CLOCK_MONOTONIC: the offset lets a test check that
	 * twinhopd never compares the two clocks. */
	const char *off_env = getenv("FAKE_FP_HB_OFFSET_NS");
	uint64_t hb_off = off_env ? strtoull(off_env, NULL, 0) : 0;
	/* Capacity counters of a busy lcore: 64 packets in 4 bursts that
	 * took 6400 TSC cycles (100 cycles/packet, 16 packets/burst). */
	struct tw_ipc_counters *k = tw_ring_counters(r, 0);
	tw_ipc_cnt_add(k, TW_IPC_CNT_RX_PKTS, 64);
	tw_ipc_cnt_add(k, TW_IPC_CNT_RX_BURSTS, 4);
	tw_ipc_cnt_add(k, TW_IPC_CNT_BUSY_CYCLES, 6400);
	/* Two ports of a LAG (member links 7 and 8), as the fast path
	 * publishes them (tw_ipc.h version 13): port 1 is down and missed 3. */
	for (unsigned p = 0; p < 2; p++) {
		struct tw_ipc_port_stats *ps = tw_ring_port_stats(r, p);
		ps->member_link = (uint16_t)(7 + p);
		ps->link_up = p == 0;
		ps->speed_mbps = p == 0 ? 10000 : 0;
		ps->rx_pkts = 100 + p;
		ps->tx_pkts = 200 + p;
		ps->rx_octets = 6400 + p;
		ps->tx_octets = 12800 + p;
		ps->rx_missed = 3 * p;
	}
	printf("READY\n");
	fflush(stdout);
	while (!stop) {
		struct tw_ipc_hdr h;
		if (want_live) {
			want_live = 0;
			printf("LIVE %u MAX %u\n", n_live, max_live);
			fflush(stdout);
		}
		tw_ring_fp_heartbeat(r, mono_ns() - hb_off);
		if (tw_ring_dequeue(tw_ring_cmd(r), &h, buf, sizeof(buf)) != TW_OK) {
			usleep(1000);
			continue;
		}
		if (tw_ipc_check(&h, buf, TW_IPC_DIR_CMD) != TW_OK) {
			printf("BAD type=%u\n", h.type);
			fflush(stdout);
			continue;
		}
		uint32_t session;
		memcpy(&session, buf, sizeof(session)); /* first field of every session payload */
		if (h.type == TW_IPC_HELLO) {
			struct tw_ipc_hello_reply hr = {.fp_pid = (uint32_t)getpid(),
			                                .n_lcores = 1,
			                                .n_evt_rings = 1,
			                                .max_sessions = 1024,
			                                .ip_mtu = 1500};
			printf("CMD HELLO\n");
			emit(r, TW_IPC_HELLO_REPLY, h.id, &hr, sizeof(hr));
			fflush(stdout);
			continue;
		}
		if (h.type == TW_IPC_REFLECTOR_ADD) {
			struct tw_ipc_reflector_add ra;
			memcpy(&ra, buf, sizeof(ra));
			if (!quiet)
				printf(
			    "CMD REFLECTOR_ADD session=%u port=%u sec=%u dscp=%u timeout_ms=%llu\n",
			    ra.session, ra.flow.local_port, ra.sec, ra.dscp,
			    (unsigned long long)(ra.timeout_ns / 1000000u));
			fflush(stdout);
		} else if (!quiet) {
			printf("CMD %s session=%u\n", tw_ipc_type_name(h.type), session);
			fflush(stdout);
		}
		/* mute-add: a fast path that takes adds but never answers them
		 * (they do take effect: twinhopd must delete what it gave up on) */
		if (mute_add && (h.type == TW_IPC_REFLECTOR_ADD || h.type == TW_IPC_LIGHT_LISTEN ||
		                 h.type == TW_IPC_SENDER_ADD)) {
			live_add(session);
			continue;
		}
		if (h.type == TW_IPC_STATS_REQUEST && n_live) {
			unsigned left = n_live;
			for (uint32_t id = 0; id < LIVE_BITS && left; id++) {
				if (!live_has(id))
					continue;
				left--;
				struct tw_ipc_stats st = {.session = id,
				                          .proto = TW_IPC_PROTO_TWAMP,
				                          .state = TW_IPC_EV_STARTED,
				                          .role = 1,
				                          .rx_pkts = 100 + id,
				                          .tx_pkts = 200 + id,
				                          .rx_octets = (100 + id) * 64,
				                          .tx_octets = (200 + id) * 64,
				                          .drops = id};
				struct tw_ipc_hdr sh = {.version = TW_IPC_VERSION,
				                        .type = TW_IPC_STATS,
				                        .flags = left ? TW_IPC_F_MORE : 0,
				                        .id = h.id,
				                        .length = sizeof(st)};
				(void)tw_ring_enqueue(tw_ring_evt(r, 0), &sh, &st);
			}
			continue;
		}
		if (h.type == TW_IPC_REFLECTOR_ADD || h.type == TW_IPC_LIGHT_LISTEN ||
		    h.type == TW_IPC_SENDER_ADD)
			live_add(session);
		if (h.type == TW_IPC_SESSION_DEL && !live_del(session)) {
			/* as the real fast path: no such session, NACK TW_E_ARG */
			struct tw_ipc_ack nack = {
			    .req_type = h.type, .err = TW_E_ARG, .session = session};
			emit(r, TW_IPC_NACK, h.id, &nack, sizeof(nack));
			continue;
		}
		struct tw_ipc_ack ack = {.req_type = h.type, .session = session};
		emit(r, TW_IPC_ACK, h.id, &ack, sizeof(ack));
		if (h.type == TW_IPC_REFLECTOR_START)
			event(r, session, TW_IPC_EV_STARTED);
		if (h.type == TW_IPC_SESSION_DEL)
			event(r, session, TW_IPC_EV_DELETED);
		if (h.type == TW_IPC_SENDER_START) {
			event(r, session, TW_IPC_EV_STARTED);
			struct {
				struct tw_ipc_result_batch b;
				struct tw_ipc_result rec[3];
			} res = {.b = {.count = 3}};
			/* real NTP times: 1 ms out, 0.1 ms dwell, 2 ms back (x i+1) */
			uint64_t t0 = ntp_now() - (5ull << 32), ms = (1ull << 32) / 1000;
			for (uint32_t i = 0; i < 3; i++) {
				uint64_t t1 = t0 + i * 10 * ms;
				res.rec[i] =
				    (struct tw_ipc_result){.session = session,
				                           .sender_seq = i,
				                           .reflector_seq = i,
				                           .t1 = t1,
				                           .t2 = t1 + (i + 1) * ms,
				                           .t3 = t1 + (i + 1) * ms + ms / 10,
				                           .t4 = t1 + (i + 1) * 3 * ms + ms / 10,
				                           .err1 = 0x8001,
				                           .err2 = 0x8001,
				                           .err3 = 0x8001,
				                           .err4 = 0x8001,
				                           .ttl_fwd = 255,
				                           .ttl_back = 254};
			}
			res.rec[2].flags = TW_IPC_RES_LOST;
			res.rec[2].t2 = res.rec[2].t3 = res.rec[2].t4 = 0;
			/* As in split mode, where a worker's ring lags ring 0: seq
			 * 1's reply comes after the summary, which counts it. */
			struct tw_ipc_result late = res.rec[1];
			res.rec[1] = res.rec[2];
			res.b.count = 2;
			emit(r, TW_IPC_SENDER_RESULT, 0, &res,
			     sizeof(res.b) + 2 * sizeof(struct tw_ipc_result));
			struct tw_ipc_sender_summary sm = {.session = session,
			                                   .reason = TW_IPC_END_COUNT,
			                                   .sent = 3,
			                                   .replies = 2,
			                                   .lost = 1,
			                                   .results_sent = 3};
			emit(r, TW_IPC_SENDER_SUMMARY, 0, &sm, sizeof(sm));
			res.b.count = 1;
			res.rec[0] = late;
			emit(r, TW_IPC_SENDER_RESULT, 0, &res,
			     sizeof(res.b) + sizeof(struct tw_ipc_result));
		}
	}
	tw_ring_destroy(r);
	return 0;
}
