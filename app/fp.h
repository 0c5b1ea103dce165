/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp: process-wide fast-path context shared by the modules of twinhop-fp.
 *
 * Written by the main lcore during init (and by its periodic control work);
 * the lcore loops only read it, except for their own struct fp_lcore.
 */
#ifndef FP_H
#define FP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "fp_counters.h"
#include "fp_net.h"
#include "fp_peers.h"
#include "fp_port.h"
#include "fp_stages.h"
#include "tw_time.h"

#define FP_BURST 32
#define FP_MAX_LIGHT 16
#define FP_MAX_PORTS 8 /* member links of one LAG driven by one twinhop-fp */

struct fp_light;
struct fp_peers;
struct fp_sess_table;
struct fp_exc;
struct fp_ctl;

/* One lcore's share of one TWAMP-Light/STAMP listener's statistics
 * (STATS role 3).  Written only by that lcore; the main lcore sums the
 * shares whose gen is the listener's current one, so a reused slot starts
 * from zero without a cross-lcore write. */
struct fp_light_cnt {
	uint32_t gen; /* fp_light.gen these values belong to */
	uint32_t pad;
	uint64_t rx;          /* packets accepted and reflected */
	uint64_t rx_octets;   /* octets of UDP payload of those */
	uint64_t drops;       /* packets dropped by the listener, any DROP_* reason */
	uint64_t last_rx_tsc; /* TSC of the last accepted packet */
};

/* Per-lcore state, cache aligned, indexed by rte_lcore_id(). */
struct tw_crypto_engine;
struct fp_crypto_batch;

struct fp_lcore {
	uint16_t rxq, txq; /* port queues owned by this lcore (same index) */
	uint16_t exc_txq;  /* TAP Tx queue owned by this lcore */
	bool main;	   /* runs the periodic control work */
	bool active;
	/* Split mode (--ctl-lcore) only: a worker's exception frames go to
	 * the control lcore through this SPSC ring (never a TAP write here),
	 * and the first worker also transmits what the control lcore hands
	 * it through fp.to_port[] (one ring per port). */
	struct rte_ring *exc_ring;
	bool tx_from_ctl;
	struct fp_counters *cnt;
	unsigned index;			/* 0..nb_lcores-1 */
	unsigned lcore_id;
	struct fp_peers *peers; /* stateful TWAMP-Light/STAMP peers (per lcore, fixed size) */
	uint64_t light_seen;	/* fp_light_epoch at this lcore's last iteration start */
	struct fp_light_cnt light_cnt[FP_MAX_LIGHT]; /* by listener slot */
	uint64_t idle_iters;
	/* the burst's T2 on the wire: one TSC -> NTP conversion per burst */
	uint64_t t2_tsc, t2_ntp;
#ifdef FP_STAGES
	uint64_t stage[FP_ST__COUNT]; /* cycles per stage (fp_stages.h) */
	uint64_t stage_pkts;	      /* packets of the bursts measured */
#endif
	/* Test-packet crypto of this lcore: verify/protect whole bursts
	 * (lib/tw_crypto.h engine, built at start); cb: the burst being
	 * processed (fp_lcore_rx_burst's stack), NULL outside it. */
	struct tw_crypto_engine *crypto;
	struct fp_crypto_batch *cb;
	/* STAMP Follow-Up Telemetry (RFC 8972 §4.7): this burst's replies
	 * whose session or peer records their transmit time at Tx
	 * (fp_reflect_fu_tx) */
	struct fp_fu_pend {
		struct fp_fu *fu;
		uint32_t seq;
	} fu_pend[FP_BURST];
	unsigned n_fu;
	/* the Sequence Number a TW_IPC_SF_SEQ_RESYNC session's reply took
	 * (reflect_body), for fp_reflect_session to count on from */
	uint32_t resync_seq;
	/* tx buffers drained each iteration / on deadline */
	uint16_t n_tx, n_exc, n_late;
	struct rte_mbuf *tx[FP_BURST * 2];
	struct rte_mbuf *exc[FP_BURST];
} __rte_cache_aligned;

struct fp_ctx {
	struct fp_port port;
	struct rte_mempool *mp;
	unsigned nb_lcores;
	struct fp_lcore lc[RTE_MAX_LCORE];	      /* by lcore id */
	struct fp_lcore *lc_by_index[RTE_MAX_LCORE]; /* by queue index */
	unsigned idle_spin;	/* empty iterations before rte_pause */
	unsigned idle_sleep_us;	/* then sleeps of this length */
	bool exit_when_done;
	uint64_t run_until_tsc;

	/* local identity (the kernel owns it on the TAP; we answer as it) */
	bool have4, have6;
	uint8_t addr4[4], addr6[16];
	uint8_t plen4, plen6;
	uint32_t bcast4; /* addr4's directed broadcast, network order; 0: none (fp_set_addr4) */
	uint8_t gw4[4], gw6[16];
	bool have_gw4, have_gw6;
	struct rte_ether_addr mac;
	int vlan; /* -1: untagged */
	/* RFC 9533 member-link ID of the port (--member-link-id, 1..65535);
	 * 0 = none: micro-session reflectors are refused.  Port 0's. */
	uint16_t member_link;
	/* RFC 9533 LAG: `--member-link-id A,B,...` drives one port per ID
	 * (port 0 = the profile's, then the EAL --vdev/-a ports in DPDK
	 * order), each one member link of the same LAG: same MAC, same
	 * profile, the same queue per lcore.  One ID (or none): one port, as
	 * always.  The exception path (TAP) and neighbour resolution use port
	 * 0 only. */
	uint16_t n_ports;
	uint16_t port_ids[FP_MAX_PORTS];  /* DPDK port id of port i */
	uint16_t port_links[FP_MAX_PORTS]; /* member link of port i */
	struct fp_port xport[FP_MAX_PORTS]; /* ports 1.. (xport[0] unused: fp.port) */
	/* member link by DPDK port id (a reflector answers with the link the
	 * request came in on: mbuf->port); 0 = none */
	uint16_t link_of[RTE_MAX_ETHPORTS];
	/* octets of the largest IP packet every port sends and receives
	 * whole (the smallest port MTU, at most what one mbuf holds after
	 * Ethernet and 802.1Q): test packets must fit it, since IP fragments
	 * go to the kernel (IP_FRAG).  HELLO_REPLY ip_mtu. */
	uint16_t ip_mtu;

	/* timestamps */
	/* Two copies: the main lcore resyncs the idle one and flips clk_cur
	 * (tw_time.h: single writer, publish a copy to readers). */
	struct tw_tsc_clock clk[2];
	struct tw_tsc_clock *clk_cur;
	uint16_t errest[2]; /* wire Error Estimate of our timestamps, [z] */
	uint64_t tsc_hz;

	/* loop behaviour */
	bool idle_backoff;
	uint64_t stats_interval_tsc;
	uint64_t drain_tsc;
	uint64_t ipc_poll_tsc;
	uint64_t tap_poll_tsc; /* combined mode: TAP -> port poll period */

	struct fp_sess_table *sess;
	struct fp_exc *exc;
	struct fp_ctl *ctl;
	uint16_t light_idx[65536]; /* local UDP port -> 1 + index in light[], 0 = none */
	unsigned n_light;
	struct fp_light *light;

	/* Split mode (--ctl-lcore): the EAL main lcore does only control
	 * work and owns no port queue; frames it puts on the port (from the
	 * TAP, ARP/NS solicitations, sender packets) go to the first worker
	 * through an SPSC ring per port: to_port[i] holds frames for port i
	 * (RFC 9533: a micro-session's packets leave on their member link). */
	bool split;
	struct rte_ring *to_port[FP_MAX_PORTS];

	volatile bool quit;
};

extern struct fp_ctx fp;

/* Is a (family, address) one of ours? */
static inline bool fp_is_local(const struct fp_key *k)
{
	if (k->ipv == 4)
		return fp.have4 && memcmp(k->local.a, fp.addr4, 4) == 0;
	return fp.have6 && memcmp(k->local.a, fp.addr6, 16) == 0;
}

/* Our IPv4 address and prefix length, with its subnet's directed
 * broadcast (RFC 1812 §4.2.3.1; /31 and /32 have none, RFC 3021). */
static inline void fp_set_addr4(const uint8_t *a, uint8_t plen)
{
	uint32_t o;
	memcpy(&o, a, 4);
	o = rte_be_to_cpu_32(o);
	uint32_t host = plen >= 1 && plen <= 30 ? (1u << (32 - plen)) - 1 : 0;
	memcpy(fp.addr4, a, 4);
	fp.plen4 = plen;
	fp.bcast4 = host ? rte_cpu_to_be_32(o | host) : 0;
	fp.have4 = true;
}

/* May a packet to one of our addresses from this source be answered?  A
 * reflector answers the source of what it receives (RFC 5357 §4.2, RFC
 * 8762 §4.3), so one spoofed packet from a source that is not one unicast
 * host would become a reply to every host on a segment (a group source
 * MAC, a martian or our subnet's directed broadcast: fp_src_martian) or a
 * reply to ourselves, which a hairpin or a second reflector turns into a
 * loop with no end: each reply leaves with TTL 255 again. */
static inline bool fp_src_ok(const struct rte_ether_addr *smac, const struct fp_key *k)
{
	if (!rte_is_unicast_ether_addr(smac) || fp_src_martian(k))
		return false;
	if (k->ipv == 4) {
		/* without an IPv4 address, addr4 is 0.0.0.0 and bcast4 0:
		 * both martians, so they match no source that got here */
		uint32_t a, o;
		memcpy(&a, k->peer.a, 4);
		memcpy(&o, fp.addr4, 4);
		return a != o && a != fp.bcast4;
	}
	return !(fp.have6 && memcmp(k->peer.a, fp.addr6, 16) == 0);
}

/* Wire Error Estimate of timestamps taken with clock c (z: PTP format).
 * Goes through tw_ts_errest(), so err_ns == TW_TS_ERR_UNKNOWN (">= 4.29 s
 * or unknown", e.g. an unsynchronised kernel clock with maxerror 16 s)
 * encodes as TW_ERREST_MAX, not as 4.29 s (interop bug 3).  With device
 * (hw-dynfield) Rx timestamps, T2/T4 also carry the error of relating the
 * device clock to the TSC (fp_port_hw_fit_set), so it is added: one Error
 * Estimate covers every timestamp of a packet (RFC 4656 §4.1.2). */
static inline uint16_t fp_clock_errest(const struct tw_tsc_clock *c, bool z)
{
	uint64_t e = c->err_ns;
	const struct fp_hw_fit *f = __atomic_load_n(&fp.port.fit_cur, __ATOMIC_ACQUIRE);
	if (fp.port.ts_mode == FP_TS_HW_DYNFIELD && f && e != TW_TS_ERR_UNKNOWN)
		e += f->err_ns;
	struct tw_ts ts = {.err_ns = e < TW_TS_ERR_UNKNOWN ? (uint32_t)e : TW_TS_ERR_UNKNOWN,
			   .synced = c->synced};
	return tw_ts_errest(&ts, z);
}

/* Control work putting frames on the port (kernel frames, solicitations,
 * sender packets): on the lcore's own Tx queue, or in split mode handed to
 * the first worker.  Returns how many were taken; the caller owns the rest. */
static inline uint16_t fp_ctl_port_tx(const struct fp_lcore *lc, struct rte_mbuf **m, uint16_t n)
{
	if (fp.split)
		return (uint16_t)rte_ring_sp_enqueue_burst(fp.to_port[0], (void **)m, n, NULL);
	return rte_eth_tx_burst(fp.port.port_id, lc->txq, m, n);
}

/* The same onto port i (RFC 9533 member link, main.c lag_ports): port 0 is
 * fp_ctl_port_tx; in split mode through that port's own hand-off ring. */
static inline uint16_t fp_ctl_port_tx_on(const struct fp_lcore *lc, unsigned i,
					 struct rte_mbuf **m, uint16_t n)
{
	if (i == 0)
		return fp_ctl_port_tx(lc, m, n);
	if (fp.split)
		return (uint16_t)rte_ring_sp_enqueue_burst(fp.to_port[i], (void **)m, n, NULL);
	return rte_eth_tx_burst(fp.port_ids[i], lc->txq, m, n);
}

/* NTP timestamp of a TSC value with the published clock. */
static inline uint64_t fp_tsc_ntp(uint64_t tsc)
{
	return tw_tsc_to_ntp(__atomic_load_n(&fp.clk_cur, __ATOMIC_ACQUIRE), tsc);
}

#endif
