/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_reflector: TWAMP Session-Reflector (RFC 5357 §4.2), TWAMP Light
 * (Appendix I) and STAMP (RFC 8762/8972) reflection, in place in the
 * received mbuf.
 */
#ifndef FP_REFLECTOR_H
#define FP_REFLECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_hash.h>
#include <rte_mbuf.h>

#include "fp.h"
#include "fp_sess.h"
#include "tw_crypto.h"
#include "tw_ipc.h"

/* A TWAMP-Light / STAMP listener (LIGHT_LISTEN, or --light-port). */
struct fp_light {
	uint32_t id;
	uint16_t port;
	uint8_t layout; /* enum tw_pkt_layout */
	uint8_t prot;	/* enum tw_pkt_prot */
	bool stamp, stateless, copy_dscp;
	bool z; /* STAMP: our timestamps in the PTP format (RFC 8762 §4.2.1) */
	uint8_t dscp, ttl, min_ttl;
	uint8_t family;	       /* 0 = every local address */
	uint8_t peer_family;   /* 0 = any peer */
	uint8_t peer_addr[16];
	uint64_t idle_tsc;
	uint32_t max_peers;	/* stateful peers per lcore; 0 = the whole table */
	uint32_t gen;		/* bumped at each add: lcores drop an older slot's peers */
	uint64_t del_epoch;	/* deleted at this fp_light_epoch: reusable once every
				 * lcore has started an iteration since */
	bool active;
	bool fixed; /* --light-port: the fast path's own, control cannot delete it */
	/* crypto: one context per lcore (a context is single-threaded) */
	struct tw_test_crypto *tc; /* [nb_lcores] for Light AUTH/ENC */
	struct tw_stamp_auth *sa;  /* [nb_lcores] for STAMP AUTH */
};

/* Outcome of handling one UDP datagram. */
enum fp_rx_verdict {
	FP_RX_TX,	 /* reply built in place: queue for Tx */
	FP_RX_TX_T3,	 /* reply built, T3 still to stamp (late-T3 list) */
	FP_RX_CONSUMED,	 /* consumed (freed or kept) by the handler */
	FP_RX_DROP,	 /* free it (counter already bumped) */
	FP_RX_EXCEPTION, /* not ours after all: kernel */
};

/* A reply whose T3 is outside its protected region (open layouts, TWAMP
 * mode 2): T3 and the checksums are written by fp_reflect_late_t3() right
 * before rte_eth_tx_burst, with one TSC read for the burst. */
struct fp_late_t3 {
	uint8_t *t3; /* the reply's T3, its Error Estimate right after it */
	uint8_t *ck; /* the reply's UDP checksum field */
	bool z;
	uint8_t *fu; /* STAMP Follow-Up Timestamp to write with T3, NULL = none */
};
/* Reflect one TWAMP-Test packet for session s.  t2 is the Rx TSC. */
enum fp_rx_verdict fp_reflect_session(struct fp_lcore *lc, struct rte_mbuf *m,
				      struct fp_pinfo *pi, struct fp_session *s, uint64_t t2_tsc,
				      struct fp_late_t3 *late);
/* Reflect one TWAMP-Light/STAMP packet for listener l. */
enum fp_rx_verdict fp_reflect_light(struct fp_lcore *lc, struct rte_mbuf *m, struct fp_pinfo *pi,
				    struct fp_light *l, uint64_t t2_tsc, struct fp_late_t3 *late);
void fp_reflect_late_t3(struct fp_late_t3 *v, unsigned n, uint64_t t3_tsc);
/* STAMP Follow-Up Telemetry (RFC 8972 §4.7): record tx_tsc, the TSC read
 * right before this burst's Tx, as the transmit time of every STAMP reply
 * the burst reflected (lc->fu_pend), for the next reply of its session. */
void fp_reflect_fu_tx(struct fp_lcore *lc, uint64_t tx_tsc);

/* Burst crypto of authenticated/encrypted packets (fp_reflector.c).  Per
 * lcore, at start: */
int fp_crypto_lcore_init(struct fp_lcore *lc);
/* fp_lcore_rx_burst: the burst's UDP packets for us (the lookup key list:
 * packet index idx[j], session sess[j] or NULL), before handling them... */
void fp_crypto_burst_begin(struct fp_lcore *lc, struct rte_mbuf **pkts, struct fp_pinfo *pi,
			   const uint8_t *idx, struct fp_session **sess, unsigned nk);
/* ...and after: protects the parked replies in one call, finishes them and
 * appends them to lc->tx; their late-T3 entries go to late[] (returns how
 * many).  Call before fp_reflect_late_t3(). */
unsigned fp_crypto_burst_end(struct fp_lcore *lc, struct fp_late_t3 *late);
/* Handlers: true when the packet (its pi from the burst's pi[]) was
 * verified with the burst; *rc is tw_test_verify/tw_stamp_auth_verify's. */
bool fp_crypto_verified(struct fp_lcore *lc, const struct fp_pinfo *pi, enum tw_err *rc);

/* Light listener table management (main lcore).  A deleted listener's slot
 * is reused once every other lcore has begun a new loop iteration (the loop
 * never holds a listener across iterations): a quiescent-state epoch. */
extern uint64_t fp_light_epoch;
static inline void fp_light_quiesce(struct fp_lcore *lc)
{
	__atomic_store_n(&lc->light_seen, __atomic_load_n(&fp_light_epoch, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELEASE);
}
int fp_light_add(const struct tw_ipc_light_listen *req, enum tw_err *err);
int fp_light_del(uint32_t id);

/* Per-lcore stateful peer table of max_peers entries (init; app/fp_peers.h). */
int fp_light_lcore_init(struct fp_lcore *lc, unsigned lcore_id, uint32_t max_peers);

#endif
