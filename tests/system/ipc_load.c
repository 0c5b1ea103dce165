/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twh-ipc-load: a small control-plane driver for the system tests and
 * benchmarks; it speaks only the IPC contract (lib/tw_ipc.h, lib/tw_ring.h),
 * like twinhopd, without DPDK.
 *
 *   twh-ipc-load --shm NAME add-reflectors --n N --local IP --peer IP
 *       [--lport L0] [--pport P0] [--span S] [--first-id ID] [--pad P]
 *     Programs N open TWAMP reflector sessions (START_NOW), session i:
 *     local IP:(L0 + i / S), peer IP:(P0 + i % S), id first-id + i.
 *     Commands are pipelined (at most 256 unacknowledged) and every ACK or
 *     NACK is counted.  Prints "ADD n acked nacked seconds".
 *
 *   twh-ipc-load --shm NAME sender --local IP:PORT --peer IP:PORT --mac MAC
 *       --interval NS --count N [--pad P] [--id ID]
 *     SENDER_ADD (START_NOW) and then drains every event ring until the
 *     SENDER_SUMMARY: counts the SENDER_RESULT records (replied / LOST /
 *     LATE / DUP) and checks them against the summary: no record may go
 *     missing without being counted (results_dropped).  Prints "RESULTS ..."
 *     and exits 0 only when records == sent - results_dropped and
 *     records == results_sent.
 *
 * Exit status 0 on success, 1 on a failed check, 2 on usage/attach errors.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tw_ipc.h"
#include "tw_ring.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int ip4(const char *s, struct tw_ipc_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	return inet_pton(AF_INET, s, a->addr) == 1 ? 0 : -1;
}

static int ep4(const char *s, struct tw_ipc_addr *a, uint16_t *port)
{
	char b[64];
	snprintf(b, sizeof(b), "%s", s);
	char *c = strrchr(b, ':');
	if (!c)
		return -1;
	*c++ = '\0';
	*port = (uint16_t)atoi(c);
	return ip4(b, a);
}

static uint32_t seq;

static int send_cmd(struct tw_ring *r, uint16_t type, const void *pl, uint32_t len)
{
	struct tw_ipc_hdr h = {.version = TW_IPC_VERSION, .type = type, .id = ++seq, .length = len};
	uint64_t t0 = mono_ns();
	for (;;) {
		enum tw_err e = tw_ring_enqueue(tw_ring_cmd(r), &h, pl);
		if (e == TW_OK)
			return 0;
		if (e != TW_E_FULL || mono_ns() - t0 > 5000000000ull)
			return -1;
		usleep(100);
	}
}

struct counts {
	uint64_t acked, nacked, hello;
	uint64_t rec, replied, lost, late, dup, batches;
	/* the send window: first and last T1 of the fate records (wire NTP
	 * 32.32), so the send rate leaves out the loss timeout that the
	 * summary's end time includes */
	uint64_t t1_min, t1_max;
	int have_sum;
	struct tw_ipc_sender_summary sum;
};

/* Drain every event ring once; returns messages seen. */
static unsigned drain(struct tw_ring *r, struct counts *c)
{
	unsigned n = 0;
	for (unsigned i = 0; i < tw_ring_n_evt(r); i++) {
		struct tw_ring_q *q = tw_ring_evt(r, i);
		const struct tw_ipc_hdr *h;
		enum tw_err e;
		while ((e = tw_ring_peek(q, &h)) != TW_E_EMPTY) {
			if (e != TW_OK)
				continue;
			n++;
			const uint8_t *p = (const uint8_t *)(h + 1);
			switch (h->type) {
			case TW_IPC_ACK:
				c->acked++;
				break;
			case TW_IPC_NACK: {
				struct tw_ipc_ack a;
				memcpy(&a, p, sizeof(a));
				if (c->nacked < 5)
					fprintf(stderr, "NACK type %u session %u err %u\n", a.req_type,
						a.session, a.err);
				c->nacked++;
				break;
			}
			case TW_IPC_HELLO_REPLY:
				c->hello++;
				break;
			case TW_IPC_SENDER_RESULT: {
				struct tw_ipc_result_batch b;
				memcpy(&b, p, sizeof(b));
				c->batches++;
				for (unsigned k = 0; k < b.count; k++) {
					struct tw_ipc_result x;
					memcpy(&x, p + sizeof(b) + k * sizeof(x), sizeof(x));
					c->rec++;
					if (x.t1 &&
					    !(x.flags & (TW_IPC_RES_LATE | TW_IPC_RES_DUP))) {
						if (!c->t1_min || x.t1 < c->t1_min)
							c->t1_min = x.t1;
						if (x.t1 > c->t1_max)
							c->t1_max = x.t1;
					}
					if (x.flags & TW_IPC_RES_LOST)
						c->lost++;
					else if (x.flags & TW_IPC_RES_LATE)
						c->late++;
					else if (x.flags & TW_IPC_RES_DUP)
						c->dup++;
					else
						c->replied++;
				}
				break;
			}
			case TW_IPC_SENDER_SUMMARY:
				memcpy(&c->sum, p, sizeof(c->sum));
				c->have_sum = 1;
				break;
			default:
				break;
			}
			tw_ring_release(q);
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *shm = TW_RING_DEFAULT_NAME, *local = NULL, *peer = NULL, *mac = NULL;
	uint32_t n = 0, span = 50000, first = 1000000, pad = 27;
	uint16_t lport = 5000, pport = 10000;
	uint64_t interval = 1000, count = 1000;
	static const struct option lo[] = {
		{"shm", 1, 0, 'S'},   {"n", 1, 0, 'n'},	     {"local", 1, 0, 'l'},
		{"peer", 1, 0, 'p'},  {"lport", 1, 0, 'L'},  {"pport", 1, 0, 'P'},
		{"span", 1, 0, 's'},  {"first-id", 1, 0, 'f'}, {"id", 1, 0, 'f'},
		{"pad", 1, 0, 'd'},   {"mac", 1, 0, 'm'},    {"interval", 1, 0, 'i'},
		{"count", 1, 0, 'c'}, {0, 0, 0, 0}};
	int o;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'S': shm = optarg; break;
		case 'n': n = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'l': local = optarg; break;
		case 'p': peer = optarg; break;
		case 'L': lport = (uint16_t)atoi(optarg); break;
		case 'P': pport = (uint16_t)atoi(optarg); break;
		case 's': span = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'f': first = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'd': pad = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'm': mac = optarg; break;
		case 'i': interval = strtoull(optarg, NULL, 0); break;
		case 'c': count = strtoull(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	if (optind >= argc || !local || !peer || !span)
		return 2;
	const char *cmd = argv[optind];
	struct tw_ring *r = NULL;
	char why[TW_RING_WHY_MAX] = "";
	enum tw_err e = TW_E_SYS;
	for (int t = 0; t < 100 && e != TW_OK; t++) {
		e = tw_ring_attach(shm, 0, &r, why, sizeof(why));
		if (e != TW_OK)
			usleep(100000);
	}
	if (e != TW_OK) {
		fprintf(stderr, "attach %s: %s\n", shm, why);
		return 2;
	}
	struct counts c;
	memset(&c, 0, sizeof(c));
	int rc = 0;
	if (!strcmp(cmd, "add-reflectors")) {
		struct tw_ipc_reflector_add q;
		memset(&q, 0, sizeof(q));
		q.proto = TW_IPC_PROTO_TWAMP;
		q.sec = TW_IPC_SEC_OPEN;
		q.flags = TW_IPC_SF_START_NOW;
		q.pad.padding_len = pad;
		if (ip4(local, &q.flow.local) || ip4(peer, &q.flow.peer))
			return 2;
		uint64_t t0 = mono_ns();
		for (uint32_t i = 0; i < n; i++) {
			q.session = first + i;
			q.flow.local_port = (uint16_t)(lport + i / span);
			q.flow.peer_port = (uint16_t)(pport + i % span);
			while (i - (c.acked + c.nacked) >= 256)
				if (!drain(r, &c))
					usleep(50);
			if (send_cmd(r, TW_IPC_REFLECTOR_ADD, &q, sizeof(q))) {
				fprintf(stderr, "command ring stuck at %u\n", i);
				return 1;
			}
		}
		uint64_t t1 = mono_ns();
		while (c.acked + c.nacked < n && mono_ns() - t1 < 10000000000ull)
			if (!drain(r, &c))
				usleep(100);
		printf("ADD %u acked %" PRIu64 " nacked %" PRIu64 " %.2f s\n", n, c.acked, c.nacked,
		       (double)(mono_ns() - t0) / 1e9);
		rc = c.acked == n ? 0 : 1;
	} else if (!strcmp(cmd, "sender")) {
		struct tw_ipc_sender_add q;
		memset(&q, 0, sizeof(q));
		q.session = first;
		q.proto = TW_IPC_PROTO_TWAMP;
		q.sec = TW_IPC_SEC_OPEN;
		q.flags = TW_IPC_SF_START_NOW;
		q.sched = TW_IPC_SCHED_PERIODIC;
		q.interval_ns = interval;
		q.count = count;
		q.loss_timeout_ns = 200000000ull;
		q.pad.padding_len = pad;
		unsigned m[6];
		if (!mac || sscanf(mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
				   &m[5]) != 6)
			return 2;
		for (int i = 0; i < 6; i++)
			q.next_hop_mac[i] = (uint8_t)m[i];
		if (ep4(local, &q.flow.local, &q.flow.local_port) ||
		    ep4(peer, &q.flow.peer, &q.flow.peer_port))
			return 2;
		uint64_t t0 = mono_ns();
		if (send_cmd(r, TW_IPC_SENDER_ADD, &q, sizeof(q)))
			return 1;
		uint64_t limit = (uint64_t)((double)interval * (double)count * 3) + 20000000000ull;
		while (!c.have_sum && mono_ns() - t0 < limit)
			if (!drain(r, &c))
				usleep(200);
		for (int k = 0; k < 20; k++) { /* stragglers on other rings */
			drain(r, &c);
			usleep(1000);
		}
		/* The send rate is over the send window, first T1 to last T1
		 * (sent - 1 gaps); the session's span (Start to the end of its
		 * loss timeout) is printed beside it.  "scheduled" adds the
		 * packets the port refused (tx_drops): each took its slot of
		 * the schedule, and gave its Sequence Number to the next one. */
		double secs = (double)(c.sum.end_ntp - c.sum.start_ntp) / 4294967296.0;
		double win = (double)(c.t1_max - c.t1_min) / 4294967296.0;
		printf("RESULTS acked=%" PRIu64 " nacked=%" PRIu64 " sent=%" PRIu64
		       " replies=%" PRIu64 " lost=%" PRIu64 " late=%" PRIu64 " dup=%" PRIu64
		       " tx_drops=%" PRIu64 " results_sent=%" PRIu64 " results_dropped=%" PRIu64
		       " | records=%" PRIu64 " (replied %" PRIu64 " lost %" PRIu64 " late %" PRIu64
		       " dup %" PRIu64 ") batches=%" PRIu64
		       " rate=%.3f Mpps scheduled=%.3f Mpps over a send window of %.3f s"
		       " (session %.2f s with its %.2f s loss timeout)\n",
		       c.acked, c.nacked, c.sum.sent, c.sum.replies, c.sum.lost, c.sum.late,
		       c.sum.dup, c.sum.tx_drops, c.sum.results_sent, c.sum.results_dropped, c.rec,
		       c.replied, c.lost, c.late, c.dup, c.batches,
		       win > 0 && c.sum.sent > 1 ? (double)(c.sum.sent - 1) / win / 1e6 : 0.0,
		       win > 0 && c.sum.sent > 1
		           ? (double)(c.sum.sent + c.sum.tx_drops - 1) / win / 1e6
		           : 0.0,
		       win, secs, (double)q.loss_timeout_ns / 1e9);
		/* Every packet sent has exactly one fate record (replied or
		 * LOST), plus LATE/DUP records; every record is delivered or
		 * counted as dropped. */
		uint64_t fates = c.replied + c.lost;
		rc = c.have_sum && c.rec == c.sum.results_sent &&
				     fates + c.sum.results_dropped >= c.sum.sent &&
				     c.rec + c.sum.results_dropped ==
					     c.sum.sent + c.sum.late + c.sum.dup
			     ? 0
			     : 1;
	} else {
		return 2;
	}
	tw_ring_detach(r);
	return rc;
}
