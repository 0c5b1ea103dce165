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
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "fp_counters.h"
#include "fp_net.h"
#include "fp_port.h"
#include "tw_time.h"

#define FP_BURST 32
#define FP_MAX_LIGHT 16

struct fp_light;
struct fp_light_peer;
struct fp_sess_table;
struct fp_exc;
struct fp_ctl;

/* Per-lcore state, cache aligned, indexed by rte_lcore_id(). */
struct fp_lcore {
	uint16_t rxq, txq; /* port queues owned by this lcore (same index) */
	uint16_t exc_txq;  /* TAP Tx queue owned by this lcore */
	bool main;	   /* runs the periodic control work */
	bool active;
	struct fp_counters *cnt;
	unsigned index;			/* 0..nb_lcores-1 */
	unsigned lcore_id;
	struct rte_hash *light_state;	/* stateful TWAMP-Light peers (per lcore) */
	struct fp_light_peer *light_peer; /* values, by light_state position */
	uint64_t idle_iters;
	/* the burst's T2 on the wire: one TSC -> NTP conversion per burst */
	uint64_t t2_tsc, t2_ntp;
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
	uint8_t gw4[4], gw6[16];
	bool have_gw4, have_gw6;
	struct rte_ether_addr mac;
	int vlan; /* -1: untagged */

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

	struct fp_sess_table *sess;
	struct fp_exc *exc;
	struct fp_ctl *ctl;
	uint16_t light_idx[65536]; /* local UDP port -> 1 + index in light[], 0 = none */
	unsigned n_light;
	struct fp_light *light;

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

/* NTP timestamp of a TSC value with the published clock. */
static inline uint64_t fp_tsc_ntp(uint64_t tsc)
{
	return tw_tsc_to_ntp(__atomic_load_n(&fp.clk_cur, __ATOMIC_ACQUIRE), tsc);
}

#endif
