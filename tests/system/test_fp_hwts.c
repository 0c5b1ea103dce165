/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hardware Rx timestamps above the PMD (issue 10 §4).  No NIC on a test
 * machine exposes timestamps, so this runs the fast path's own code on a
 * net_ring port in one process (EAL --no-huge):
 *
 *  - fp_port_init() asked for hw-dynfield on a device without
 *    RTE_ETH_RX_OFFLOAD_TIMESTAMP (net_ring) falls back to the TSC;
 *  - with the Rx timestamp dynamic field registered and a device clock fit
 *    published (fp_port_hw_fit_set, what clock_fit() computes from
 *    rte_eth_read_clock on a real NIC), mbufs carrying known device
 *    timestamps go through rte_eth_rx_burst() and fp_lcore_rx_burst(): the
 *    reflector's T2 and the sender's T4 are the device time converted to
 *    NTP, to the nanosecond, also at an ice-style PHC value of 1.8e18 ns;
 *    a packet without the dynamic-field flag keeps the burst's TSC;
 *  - the Error Estimate of those packets adds the fit's error bound to the
 *    clock's (docs/fastpath.md, "Timestamps and their error budget").
 * The same harness also checks what needs a burst of known content: STAMP
 * Follow-Up Telemetry (RFC 8972 §4.7) when two requests of one session
 * arrive in one burst.
 */
#include <stdlib.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf_dyn.h>
#include <rte_udp.h>

#include "../../app/fp.h"
#include "../../app/fp_ctl.h"
#include "../../app/fp_exc.h"
#include "../../app/fp_lcore.h"
#include "../../app/fp_port.h"
#include "../../app/fp_reflector.h"
#include "../../app/fp_sender.h"
#include "../../app/fp_sess.h"
#include "../unit/tw_unit.h"
#include "twt_eal.h"
#include "tw_crypto.h"
#include "tw_pkt.h"
#include "tw_stamp_tlv.h"
#include "tw_time.h"

/* What app/main.c defines for twinhop-fp. */
struct fp_ctx fp;
struct fp_counters fp_cnt[RTE_MAX_LCORE];

#define LIGHT_PORT  20862
#define STAMP_PORT  20863
#define SENDER_PORT 30000
static const uint8_t LOCAL4[4] = {10, 9, 8, 1};
static const uint8_t PEER4[4] = {10, 9, 8, 2};
static const uint8_t PEER_MAC[6] = {0x02, 0, 0, 0, 0, 0x02};

/* A device clock counting ns since 1970, like ice's PHC: 1.8e18 ns is
 * 2027; a double holds it to 256 ns only. */
#define HW_HZ 1000000000ull
#define HW0   1800000000123456789ull

static struct rte_ring *rxr, *txr;
static uint16_t port_id;
static struct fp_lcore *lc;
static struct fp_sess_table sess;
static struct fp_exc exc;
static struct fp_light light[FP_MAX_LIGHT];
static int port_rc = -1;
static enum fp_ts_mode mode_after_init = FP_TS_HW_DYNFIELD;
static const struct fp_hw_fit *fit_after_init;
static uint64_t tsc0;
static uint64_t fit_err_tsc; /* the bracket of the published fit */

static uint64_t rdtsc_fn(void)
{
	return rte_rdtsc();
}

/* The TSC value a device reading must map to, computed independently of
 * fp_port_hw_to_tsc (128-bit integers, rounded to nearest). */
static uint64_t want_tsc(uint64_t hw)
{
	__int128 d = (__int128)(int64_t)(hw - HW0) * (__int128)fp.tsc_hz;
	__int128 q = d >= 0 ? (d + HW_HZ / 2) / HW_HZ : -((-d + HW_HZ / 2) / HW_HZ);
	return tsc0 + (uint64_t)(int64_t)q;
}

/* |NTP a - NTP b| in ns. */
static uint64_t ntp_gap_ns(uint64_t a, uint64_t b)
{
	int64_t d = tw_ntp_diff_ns(a, b);
	return d < 0 ? (uint64_t)-d : (uint64_t)d;
}

/* Ethernet + IPv4 + UDP frame with payload pl[len]; the device timestamp
 * hw goes into the dynamic field (with its flag) unless hw is 0. */
static struct rte_mbuf *frame(const uint8_t *src, const uint8_t *dst, uint16_t sport,
			      uint16_t dport, const void *pl, uint16_t len, uint64_t hw)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(fp.mp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	uint16_t tot = (uint16_t)(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
				  sizeof(struct rte_udp_hdr) + len);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, tot);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(p, 0, tot);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	rte_ether_addr_copy(&fp.mac, &eh->dst_addr);
	memcpy(eh->src_addr.addr_bytes, PEER_MAC, 6);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ih = (struct rte_ipv4_hdr *)(eh + 1);
	ih->version_ihl = RTE_IPV4_VHL_DEF;
	ih->total_length = rte_cpu_to_be_16((uint16_t)(tot - sizeof(*eh)));
	ih->time_to_live = 64;
	ih->next_proto_id = IPPROTO_UDP;
	memcpy(&ih->src_addr, src, 4);
	memcpy(&ih->dst_addr, dst, 4);
	ih->hdr_checksum = rte_ipv4_cksum(ih);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ih + 1);
	uh->src_port = rte_cpu_to_be_16(sport);
	uh->dst_port = rte_cpu_to_be_16(dport);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*uh) + len));
	memcpy(uh + 1, pl, len);
	if (hw) {
		*RTE_MBUF_DYNFIELD(m, fp.port.ts_dynfield_off, uint64_t *) = hw;
		m->ol_flags |= fp.port.ts_dynflag;
	}
	return m;
}

/* The UDP payload of a frame we built or the fast path wrote. */
static const uint8_t *payload(struct rte_mbuf *m, size_t *len)
{
	size_t off = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
		     sizeof(struct rte_udp_hdr);
	*len = rte_pktmbuf_data_len(m) - off;
	return rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
}

/* Put frames on the net_ring Rx queue, take them back through the PMD and
 * hand them to the fast path's burst code as its loop does.  Returns the
 * TSC read of the iteration (the burst's T2/T4 without a device stamp). */
static uint64_t rx_through_port(struct rte_mbuf **in, unsigned n)
{
	CU_ASSERT_EQUAL_FATAL(rte_ring_enqueue_bulk(rxr, (void **)in, n, NULL), n);
	struct rte_mbuf *pkts[FP_BURST];
	uint16_t got = rte_eth_rx_burst(port_id, 0, pkts, FP_BURST);
	CU_ASSERT_EQUAL_FATAL(got, n);
	uint64_t now = rte_rdtsc();
	fp_lcore_rx_burst(lc, pkts, got, now);
	return now;
}

static void tx_drop_all(void)
{
	rte_pktmbuf_free_bulk(lc->tx, lc->n_tx);
	lc->n_tx = 0;
}

/* Switch the port to hw-dynfield as fp_port_init does on a NIC that offers
 * the offload and read_clock: the dynamic field, then a fit. */
static void use_device_clock(void)
{
	CU_ASSERT_EQUAL_FATAL(
	    rte_mbuf_dyn_rx_timestamp_register(&fp.port.ts_dynfield_off, &fp.port.ts_dynflag),
	    0);
	fp.port.ts_mode = FP_TS_HW_DYNFIELD;
	tsc0 = rte_rdtsc();
	fit_err_tsc = fp.tsc_hz / 1000000; /* a 1 us bracket */
	CU_ASSERT_EQUAL_FATAL(
	    fp_port_hw_fit_set(&fp.port, HW_HZ, HW0, tsc0, fit_err_tsc, fp.tsc_hz), 0);
	fp.errest[0] = fp_clock_errest(fp.clk_cur, false);
	fp.errest[1] = fp_clock_errest(fp.clk_cur, true);
}

static void test_fallback_without_capability(void)
{
	/* net_ring has no RTE_ETH_RX_OFFLOAD_TIMESTAMP: the profile's
	 * hw-dynfield request falls back to one TSC read per burst */
	CU_ASSERT_EQUAL(port_rc, 0);
	CU_ASSERT_EQUAL(mode_after_init, FP_TS_TSC);
	CU_ASSERT_PTR_NULL(fit_after_init);
	struct rte_eth_dev_info info;
	CU_ASSERT_EQUAL(rte_eth_dev_info_get(port_id, &info), 0);
	CU_ASSERT_FALSE(info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP);
	CU_ASSERT_FALSE(fp.port.rx_offloads & RTE_ETH_RX_OFFLOAD_TIMESTAMP);
}

static void test_fit_error_bound(void)
{
	use_device_clock();
	/* 1 us bracket -> 500 ns (its half) + 1 ns (one tick at 1 GHz) */
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp.port.fit_cur);
	CU_ASSERT_EQUAL(fp.port.fit_cur->err_ns, 501);
	/* a 25 MHz device clock: one tick is 40 ns */
	struct fp_port p;
	memset(&p, 0, sizeof(p));
	CU_ASSERT_EQUAL(fp_port_hw_fit_set(&p, 25000000, 0, 0, 0, fp.tsc_hz), 0);
	CU_ASSERT_EQUAL(p.fit_cur->err_ns, 40);
	CU_ASSERT_EQUAL(fp_port_hw_fit_set(&p, 0, 0, 0, 0, fp.tsc_hz), -1);
	/* a refit publishes the other copy */
	const struct fp_hw_fit *before = p.fit_cur;
	CU_ASSERT_EQUAL(fp_port_hw_fit_set(&p, 25000000, 5, 7, 0, fp.tsc_hz), 0);
	CU_ASSERT_PTR_NOT_EQUAL(p.fit_cur, before);
	CU_ASSERT_EQUAL(p.fit_cur->hw0, 5);
}

static void test_reflector_t2_from_device(void)
{
	struct tw_ipc_light_listen l;
	memset(&l, 0, sizeof(l));
	l.session = 0x4c000001;
	l.proto = TW_IPC_PROTO_LIGHT;
	l.sec = TW_IPC_SEC_OPEN;
	l.flags = TW_IPC_SF_STATELESS | TW_IPC_SF_START_NOW;
	l.flow.local_port = LIGHT_PORT;
	uint32_t detail;
	CU_ASSERT_EQUAL_FATAL(fp_ctl_apply(TW_IPC_LIGHT_LISTEN, &l, sizeof(l), rte_rdtsc(), &detail),
			      TW_OK);

	/* Three packets in one burst: stamped 2 ms before the fit's pair,
	 * 5 s + 1 ns after it, and one without a device stamp. */
	const uint64_t hw[3] = {HW0 - 2000000, HW0 + 5000000001ull, 0};
	struct rte_mbuf *in[3];
	for (unsigned i = 0; i < 3; i++) {
		uint8_t pl[TW_PKT_SENDER_OPEN_LEN + 27];
		memset(pl, 0, sizeof(pl));
		struct tw_pkt_sender sp = {.seq = 100 + i, .ts = 0x1234567800000000ull,
					   .errest = 0x8001};
		CU_ASSERT_EQUAL(tw_pkt_sender_encode(TW_PKT_TWAMP_OPEN, &sp, pl, sizeof(pl)),
				TW_PKT_SENDER_OPEN_LEN);
		in[i] = frame(PEER4, LOCAL4, 40000, LIGHT_PORT, pl, sizeof(pl), hw[i]);
	}
	uint64_t now = rx_through_port(in, 3);
	CU_ASSERT_EQUAL_FATAL(lc->n_tx, 3);
	const struct tw_tsc_clock *clk = fp.clk_cur;
	for (unsigned i = 0; i < 3; i++) {
		size_t len;
		const uint8_t *pl = payload(lc->tx[i], &len);
		struct tw_pkt_reflector rp;
		CU_ASSERT_EQUAL_FATAL(tw_pkt_reflector_decode(TW_PKT_TWAMP_OPEN, pl, len, &rp),
				      TW_OK);
		CU_ASSERT_EQUAL(rp.sender_seq, 100 + i);
		uint64_t want = tw_tsc_to_ntp(clk, hw[i] ? want_tsc(hw[i]) : now);
		uint64_t gap = ntp_gap_ns(rp.t2, want);
		/* the NTP fraction's resolution, and one TSC cycle of rounding */
		if (gap > 2)
			printf("\n  packet %u: T2 off by %" PRIu64 " ns\n", i, gap);
		CU_ASSERT(gap <= 2);
		/* the Error Estimate covers the device fit */
		CU_ASSERT_EQUAL(rp.errest, fp.errest[0]);
	}
	/* 2 ms before the fit and 5 s after it, as stamped */
	size_t l0, l1;
	struct tw_pkt_reflector r0, r1;
	const uint8_t *p0 = payload(lc->tx[0], &l0), *p1 = payload(lc->tx[1], &l1);
	CU_ASSERT_EQUAL(tw_pkt_reflector_decode(TW_PKT_TWAMP_OPEN, p0, l0, &r0), TW_OK);
	CU_ASSERT_EQUAL(tw_pkt_reflector_decode(TW_PKT_TWAMP_OPEN, p1, l1, &r1), TW_OK);
	int64_t span = tw_ntp_diff_ns(r1.t2, r0.t2);
	CU_ASSERT(span >= 5002000001 - 2 && span <= 5002000001 + 2);
	tx_drop_all();
}

static void test_error_estimate_adds_fit(void)
{
	/* clock: synchronised, 1 ms bound; fit: 501 ns */
	uint64_t clk_ns = 0, with_fit = 0;
	struct tw_ts ts = {.err_ns = fp.clk_cur->err_ns, .synced = true};
	CU_ASSERT_EQUAL(tw_errest_decode(tw_ts_errest(&ts, false), &clk_ns), TW_OK);
	CU_ASSERT_EQUAL(tw_errest_decode(fp.errest[0], &with_fit), TW_OK);
	CU_ASSERT(fp.clk_cur->err_ns + 501 <= with_fit);
	CU_ASSERT(with_fit > clk_ns || fp.clk_cur->err_ns + 501 <= clk_ns);
	/* S bit kept, Z only in the PTP copy */
	CU_ASSERT(fp.errest[0] & 0x8000);
	CU_ASSERT_FALSE(fp.errest[0] & TW_ERREST_Z);
	CU_ASSERT(fp.errest[1] & TW_ERREST_Z);
	/* back in TSC mode the fit no longer counts */
	fp.port.ts_mode = FP_TS_TSC;
	CU_ASSERT_EQUAL(fp_clock_errest(fp.clk_cur, false), tw_ts_errest(&ts, false));
	fp.port.ts_mode = FP_TS_HW_DYNFIELD;
}

/* An open TWAMP Light sender from LOCAL4:port to PEER4's Light port, one
 * packet a millisecond, count packets, 2 s loss timeout. */
static void light_sender_req(struct tw_ipc_sender_add *q, uint32_t session, uint16_t port,
			     uint64_t count)
{
	memset(q, 0, sizeof(*q));
	q->session = session;
	q->proto = TW_IPC_PROTO_LIGHT;
	q->sec = TW_IPC_SEC_OPEN;
	q->flow.local.family = 4;
	memcpy(q->flow.local.addr, LOCAL4, 4);
	q->flow.peer.family = 4;
	memcpy(q->flow.peer.addr, PEER4, 4);
	q->flow.local_port = port;
	q->flow.peer_port = LIGHT_PORT;
	memcpy(q->next_hop_mac, PEER_MAC, 6);
	q->sched = TW_IPC_SCHED_PERIODIC;
	q->interval_ns = 1000000;
	q->count = count;
	q->loss_timeout_ns = 2000000000ull;
}

static void test_sender_t4_from_device(void)
{
	CU_ASSERT_EQUAL_FATAL(fp_sender_pool_init(4), 0);
	struct tw_ipc_sender_add q;
	light_sender_req(&q, 0x53000001, SENDER_PORT, 1);
	enum tw_err e;
	struct fp_sender *s = fp_sender_add(&q, 4, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	uint64_t now = rte_rdtsc();
	CU_ASSERT_EQUAL_FATAL(fp_sender_start(s, now), 0);
	struct rte_mbuf *sp[FP_BURST];
	struct fp_sender *who[FP_BURST];
	unsigned n = fp_sender_tx(lc, now + fp.tsc_hz / 100, sp, who, FP_BURST, 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	size_t len;
	const uint8_t *spl = payload(sp[0], &len);
	struct tw_pkt_sender sent;
	CU_ASSERT_EQUAL_FATAL(tw_pkt_sender_decode(TW_PKT_TWAMP_OPEN, spl, len, &sent), TW_OK);
	rte_pktmbuf_free(sp[0]);

	/* The reply, stamped by the device 3 ms + 7 ns after the fit's pair. */
	uint8_t pl[TW_PKT_REFL_OPEN_LEN];
	memset(pl, 0, sizeof(pl));
	struct tw_pkt_reflector rp = {.seq = 1, .t3 = sent.ts, .errest = 0x8001, .t2 = sent.ts,
				      .sender_seq = sent.seq, .t1 = sent.ts,
				      .sender_errest = sent.errest, .sender_ttl = 255};
	CU_ASSERT_EQUAL(tw_pkt_reflector_encode(TW_PKT_TWAMP_OPEN, &rp, pl, sizeof(pl)),
			TW_PKT_REFL_OPEN_LEN);
	const uint64_t hw = HW0 + 3000007;
	struct rte_mbuf *in = frame(PEER4, LOCAL4, LIGHT_PORT, SENDER_PORT, pl, sizeof(pl), hw);
	(void)rx_through_port(&in, 1);
	CU_ASSERT_EQUAL(lc->n_tx, 0);
	CU_ASSERT_EQUAL_FATAL(s->rec_n, 1);
	const struct tw_ipc_result *r = &s->rec[0].r;
	CU_ASSERT_EQUAL(r->sender_seq, sent.seq);
	uint64_t gap = ntp_gap_ns(r->t4, tw_tsc_to_ntp(fp.clk_cur, want_tsc(hw)));
	if (gap > 2)
		printf("\n  T4 off by %" PRIu64 " ns\n", gap);
	CU_ASSERT(gap <= 2);
	CU_ASSERT_EQUAL(r->err4, fp.errest[0]);
}

/*
 * A burst the port refused in part (TX ring full: fp_lcore's sender_tx hands
 * the refused suffix to fp_sender_tx_failed): those packets never left, so
 * they are tx_drops, not sent, and their Sequence Numbers go to the next
 * packets.  Before, the numbers were spent and the receiving side counted a
 * gap of packets that were never sent as lost (a CI run under load 15 saw
 * 14,441 such "losses" in demo-smoke).
 */
static void test_sender_tx_refused_keeps_seqs(void)
{
	struct tw_ipc_sender_add q;
	light_sender_req(&q, 0x53000002, SENDER_PORT + 1, 10);
	enum tw_err e;
	struct fp_sender *s = fp_sender_add(&q, 16, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	uint64_t now = rte_rdtsc(), ms = fp.tsc_hz / 1000;
	CU_ASSERT_EQUAL_FATAL(fp_sender_start(s, now), 0);
	struct rte_mbuf *sp[FP_BURST];
	struct fp_sender *who[FP_BURST];
	size_t len;
	struct tw_pkt_sender pk;
	/* 5.5 ms in: six packets due, the port takes the first two. */
	unsigned n = fp_sender_tx(lc, now + 5 * ms + ms / 2, sp, who, FP_BURST, 0);
	CU_ASSERT_EQUAL_FATAL(n, 6);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *pl = payload(sp[i], &len);
		CU_ASSERT_EQUAL_FATAL(tw_pkt_sender_decode(TW_PKT_TWAMP_OPEN, pl, len, &pk), TW_OK);
		CU_ASSERT_EQUAL(pk.seq, i);
	}
	rte_pktmbuf_free_bulk(sp, 2);
	fp_sender_tx_failed(lc, &sp[2], &who[2], n - 2);
	CU_ASSERT_EQUAL(s->sent, 2);
	CU_ASSERT_EQUAL(s->tx_drops, 4);
	/* Later, the rest of the count: Sequence Numbers 2..9, no gap. */
	n = fp_sender_tx(lc, now + 30 * ms, sp, who, FP_BURST, 0);
	CU_ASSERT_EQUAL_FATAL(n, 8);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *pl = payload(sp[i], &len);
		CU_ASSERT_EQUAL_FATAL(tw_pkt_sender_decode(TW_PKT_TWAMP_OPEN, pl, len, &pk), TW_OK);
		CU_ASSERT_EQUAL(pk.seq, 2 + i);
	}
	rte_pktmbuf_free_bulk(sp, n);
	CU_ASSERT_EQUAL(s->sent, 10);
	CU_ASSERT_EQUAL(s->tx_drops, 4);
	fp_sender_stop(s, now + 30 * ms);
}

/*
 * The schedule carries the fraction of a tick: at 2.6897 GHz 1 us is
 * 2689.7 ticks, and a periodic sender due every 2689.7 ticks has exactly
 * 100,000 packets due in 100,000 intervals less two ticks.  On the
 * truncated 2689 ticks it had 100,027 (0.03 % fast).
 */
static void test_sender_schedule_keeps_fraction(void)
{
	uint64_t hz = fp.tsc_hz;
	fp.tsc_hz = 2689700000ull;
	struct tw_ipc_sender_add q;
	light_sender_req(&q, 0x53000003, SENDER_PORT + 2, 200000);
	q.interval_ns = 1000;
	q.loss_timeout_ns = 3600000000000ull; /* no loss report in the window */
	enum tw_err e;
	struct fp_sender *s = fp_sender_add(&q, 0, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	uint64_t now = rte_rdtsc();
	CU_ASSERT_EQUAL_FATAL(fp_sender_start(s, now), 0);
	struct rte_mbuf *sp[FP_BURST];
	struct fp_sender *who[FP_BURST];
	/* 100,000 x 2689.7 ticks is 268,970,000: two ticks short of it (the
	 * fraction is carried in 2^-32 tick, so the due time may round down
	 * by one tick there) */
	const uint64_t until = now + 268970000ull - 2;
	uint64_t sent = 0;
	unsigned n;
	while ((n = fp_sender_tx(lc, until, sp, who, FP_BURST, 0)) > 0) {
		rte_pktmbuf_free_bulk(sp, n);
		sent += n;
	}
	if (sent != 100000)
		printf("\n  sent %" PRIu64 ", next due %" PRIu64 " ticks after start\n", sent,
		       s->next_tsc - now);
	CU_ASSERT_EQUAL(sent, 100000);
	CU_ASSERT_EQUAL(s->sent, 100000);
	/* and the next one is due at 100,000 x 2689.7 ticks (to the tick) */
	CU_ASSERT(s->next_tsc - now >= 268970000ull - 1 && s->next_tsc - now <= 268970000ull);
	fp_sender_stop(s, until);
	fp.tsc_hz = hz;
}

/*
 * RFC 8972 §4.7 with two requests of one session in one burst: the second
 * reply names the first reply of that burst (its Sequence Number, and its
 * real T3: the burst's one Tx-time read, the T3 the first reply carries),
 * not again the reply before the burst; the UDP checksum still holds
 * after the late write.
 */
static void test_stamp_followup_same_burst(void)
{
	struct tw_ipc_light_listen l;
	memset(&l, 0, sizeof(l));
	l.session = 0x4c000002;
	l.proto = TW_IPC_PROTO_STAMP;
	l.sec = TW_IPC_SEC_OPEN;
	l.flags = TW_IPC_SF_START_NOW; /* stateful: per-peer Follow-Up state */
	l.flow.local_port = STAMP_PORT;
	l.max_peers = 8;
	l.idle_ns = 60000000000ull;
	uint32_t detail;
	CU_ASSERT_EQUAL_FATAL(fp_ctl_apply(TW_IPC_LIGHT_LISTEN, &l, sizeof(l), rte_rdtsc(), &detail),
			      TW_OK);
	fp.port.ts_mode = FP_TS_TSC;
	struct tw_pkt_reflector rp[3];
	struct tw_stamp_fu fu[3];
	uint16_t cks_ok[3];
	for (unsigned b = 0; b < 2; b++) {
		/* burst 0: request 0 alone; burst 1: requests 1 and 2 */
		unsigned first = b ? 1 : 0, n = b ? 2 : 1;
		struct rte_mbuf *in[2];
		for (unsigned i = 0; i < n; i++) {
			uint8_t pl[TW_PKT_STAMP_OPEN_LEN + 20];
			memset(pl, 0, sizeof(pl));
			struct tw_pkt_sender sp = {.seq = first + i, .ts = 0x1234567800000000ull,
						   .errest = 0x8001, .ssid = 9};
			CU_ASSERT_EQUAL(tw_pkt_sender_encode(TW_PKT_STAMP_OPEN, &sp, pl, sizeof(pl)),
					TW_PKT_STAMP_OPEN_LEN);
			/* Follow-Up Telemetry TLV, U set as a sender sends it */
			const uint8_t h[4] = {0x80, TW_PKT_TLV_FOLLOWUP_TELEMETRY, 0, 16};
			memcpy(pl + TW_PKT_STAMP_OPEN_LEN, h, 4);
			in[i] = frame(PEER4, LOCAL4, 40001, STAMP_PORT, pl, sizeof(pl), 0);
		}
		(void)rx_through_port(in, n);
		CU_ASSERT_EQUAL_FATAL(lc->n_tx, n);
		for (unsigned i = 0; i < n; i++) {
			size_t len;
			const uint8_t *pl = payload(lc->tx[i], &len);
			CU_ASSERT_EQUAL_FATAL(len, TW_PKT_STAMP_OPEN_LEN + 20);
			CU_ASSERT_EQUAL_FATAL(
			    tw_pkt_reflector_decode(TW_PKT_STAMP_OPEN, pl, len, &rp[first + i]),
			    TW_OK);
			fu[first + i] = tw_stamp_fu_get(pl + TW_PKT_STAMP_OPEN_LEN + 4);
			struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod_offset(
			    lc->tx[i], struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
			cks_ok[first + i] = (uint16_t)(fp.port.tx_cksum ||
						       rte_ipv4_udptcp_cksum_verify(ih, ih + 1) == 0);
		}
		tx_drop_all();
	}
	/* the reflector's own Sequence Numbers: one per reply of the peer */
	CU_ASSERT_EQUAL(rp[1].seq, rp[0].seq + 1);
	CU_ASSERT_EQUAL(rp[2].seq, rp[0].seq + 2);
	/* reply 1 (first of its burst) names reply 0, with reply 0's T3 */
	CU_ASSERT_EQUAL(fu[1].seq, rp[0].seq);
	CU_ASSERT_EQUAL(fu[1].ts, rp[0].t3);
	/* reply 2 names reply 1 of the same burst, with reply 1's T3 */
	if (fu[2].seq != rp[1].seq || fu[2].ts != rp[1].t3)
		printf("\n  reply 2 names seq %u ts %016" PRIx64 ", want seq %u ts %016" PRIx64 "\n",
		       fu[2].seq, fu[2].ts, rp[1].seq, rp[1].t3);
	CU_ASSERT_EQUAL(fu[2].seq, rp[1].seq);
	CU_ASSERT_EQUAL(fu[2].ts, rp[1].t3);
	CU_ASSERT_NOT_EQUAL(fu[2].ts, 0);
	CU_ASSERT_EQUAL(fu[2].mode, TW_STAMP_TSM_SW_LOCAL);
	for (unsigned i = 0; i < 3; i++)
		CU_ASSERT(cks_ok[i]);
	fp.port.ts_mode = FP_TS_HW_DYNFIELD;
}

static int setup(void)
{
	char pfx[64];
	snprintf(pfx, sizeof(pfx), "--file-prefix=twh-hwts-%d", (int)getpid());
	char *argv[] = {"test_fp_hwts", "--no-huge", "-m", "256", "--no-pci", "-l", "0",
			pfx,		"--log-level=*:warning", NULL};
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "test_fp_hwts: EAL init failed: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	fp.vlan = -1;
	fp.tsc_hz = rte_get_tsc_hz();
	struct tw_tsc_cfg tcfg = {.read = rdtsc_fn, .hz = fp.tsc_hz, .resync_ms = 1000};
	if (tw_tsc_clock_init(&fp.clk[0], &tcfg) != TW_OK)
		return -1;
	/* a synchronised clock with a 1 ms bound, so the fit's share shows
	 * (an unsynchronised one sends the maximum whatever is added) */
	struct tw_sync sync = {.synced = true, .state = 0, .maxerror_ns = 1000000,
			       .err_ns = 1000000};
	tw_tsc_clock_set_sync(&fp.clk[0], &sync);
	fp.clk_cur = &fp.clk[0];

	lc = &fp.lc[rte_lcore_id()];
	lc->main = true;
	lc->active = true;
	lc->cnt = &fp_cnt[rte_lcore_id()];
	lc->lcore_id = rte_lcore_id();
	fp.lc_by_index[0] = lc;
	fp.nb_lcores = 1;

	rxr = rte_ring_create("hwts_rx", 256, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	txr = rte_ring_create("hwts_tx", 256, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	fp.mp = rte_pktmbuf_pool_create("hwts_mb", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (!rxr || !txr || !fp.mp)
		return -1;
	int p = rte_eth_from_rings("hwts", &rxr, 1, &txr, 1, 0);
	if (p < 0)
		return -1;
	port_id = (uint16_t)p;
	struct fp_profile prof;
	memset(&prof, 0, sizeof(prof));
	prof.ts_mode = FP_TS_HW_DYNFIELD; /* what a NIC profile asks for */
	snprintf(prof.rx_offloads, sizeof(prof.rx_offloads), "timestamp");
	prof.rx_desc = prof.tx_desc = 256;
	prof.mtu = 1500;
	port_rc = fp_port_init(&fp.port, port_id, &prof, 1, fp.mp);
	mode_after_init = fp.port.ts_mode;
	fit_after_init = fp.port.fit_cur;
	fp.mac = fp.port.mac;

	struct tw_ipc_port_config pc;
	memset(&pc, 0, sizeof(pc));
	pc.n_addrs = 1;
	pc.addrs[0].family = 4;
	pc.addrs[0].prefix_len = 24;
	memcpy(pc.addrs[0].addr, LOCAL4, 4);
	uint32_t detail;
	if (fp_ctl_apply(TW_IPC_PORT_CONFIG, &pc, sizeof(pc), rte_rdtsc(), &detail) != TW_OK)
		return -1;
	fp.sess = &sess;
	fp.exc = &exc;
	exc.max_frame = 1518; /* as fp_exc_init() sets it for a 1500-octet MTU */
	fp.ip_mtu = 1500;     /* as main() finds it on the ports */
	fp.light = light;
	if (fp_sess_table_init(&sess, 64, 0) != 0)
		return -1;
	lc->crypto = tw_crypto_engine_new(TW_CRYPTO_IMPL_AUTO);
	if (!lc->crypto || fp_crypto_lcore_init(lc) != 0 || fp_light_lcore_init(lc, lc->lcore_id, 64))
		return -1;
	return 0;
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (setup() != 0) {
		fprintf(stderr, "test_fp_hwts: set-up failed\n");
		printf("TWRESULT fp_hwts 0 1\n");
		return 1;
	}
	static const struct tw_unit_case cases[] = {
	    {"fallback_without_capability", test_fallback_without_capability},
	    {"fit_error_bound", test_fit_error_bound},
	    {"reflector_t2_from_device", test_reflector_t2_from_device},
	    {"error_estimate_adds_fit", test_error_estimate_adds_fit},
	    {"sender_t4_from_device", test_sender_t4_from_device},
	    {"sender_tx_refused_keeps_seqs", test_sender_tx_refused_keeps_seqs},
	    {"sender_schedule_keeps_fraction", test_sender_schedule_keeps_fraction},
	    {"stamp_followup_same_burst", test_stamp_followup_same_burst},
	    {NULL, NULL},
	};
	if (tw_unit_suite("fp_hwts", cases) != 0)
		return 1;
	int rc = tw_unit_run("fp_hwts");
	twt_eal_cleanup();
	return rc;
}
