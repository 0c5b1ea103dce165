/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sender: TWAMP / TWAMP-Light / STAMP Session-Sender.
 *
 * Senders transmit from the main lcore (its port Tx queue), paced by the
 * TSC: periodic or Poisson (exponential gaps from rte_rand) schedules, with
 * up to one burst of catch-up packets per iteration when the loop was late.
 * Replies are matched on whichever lcore receives them: the sequence
 * number indexes a fixed window of per-packet state, so matching is O(1)
 * and allocation-free; results go to that lcore's event ring in batches.
 *
 * Every sender slot (window included) is allocated once at start
 * (--max-senders); SENDER_ADD only claims a free slot.
 */
#ifndef FP_SENDER_H
#define FP_SENDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "fp.h"
#include "fp_reflector.h"
#include "fp_sess.h"
#include "tw_ipc.h"
#include "tw_stlv.h"

/* Packets in flight tracked per sender; a packet still unanswered when it
 * leaves the window is reported LOST early (counted as such). */
#define FP_SND_WIN 16384u
#define FP_SND_HDR_MAX 64

enum fp_snd_state { FP_SND_IDLE, FP_SND_RESOLVING, FP_SND_RUN, FP_SND_DRAIN, FP_SND_DONE };

struct fp_snd_slot {
	uint64_t t1;	   /* wire T1 we sent (0 = never sent) */
	uint16_t err1;
	/* 0 free, 1 sent, 2 answered, 3 lost.  In split mode the sending
	 * lcore (1, 3) and the one that reads the replies (2) both write it:
	 * compare-and-swap there (fp_sender.c, settle). */
	uint8_t state;
	uint8_t pad[5];
	uint64_t tx_tsc;
};

/* Optional text record of every reply (--record, tests and debugging). */
struct fp_snd_rec {
	struct tw_ipc_result r;
	uint16_t raw_len;
	uint8_t raw[128]; /* reply UDP payload, after decryption */
};

struct fp_sender {
	uint32_t session; /* id */
	uint8_t state;
	uint8_t proto, sec, sched;
	enum tw_pkt_layout layout;
	enum tw_pkt_prot prot;
	bool z, no_results, resolve;
	bool dscp_ecn; /* RFC 7750 negotiated: read the reflector's Sender DSCP and ECN */
	uint8_t dscp, ttl;
	uint8_t ecn; /* ECN codepoint sent (RFC 3168 §5) */
	uint16_t ssid;
	uint32_t pl_len;	 /* sender UDP payload octets: base + padding */
	uint64_t interval_tsc;   /* periodic interval, or Poisson mean (whole ticks) */
	double interval_ticks;   /* the same, exact: the schedule adds its fraction */
	uint32_t next_frac;      /* fraction of a tick of next_tsc, in 2^-32 */
	uint64_t count, duration_tsc, loss_tsc;
	uint64_t start_tsc, next_tsc, end_tsc, drain_until;
	uint32_t next_seq;
	uint32_t loss_cursor;	 /* oldest seq whose fate is not reported */
	uint64_t next_solicit;
	uint64_t last_tx_tsc;
	uint64_t last_gap_tsc; /* the schedule's gap to next_tsc (--sched-stats) */
	uint8_t nh_family, nh[16];
	/* template: Ethernet (+VLAN) + IP + UDP, completed with the MAC */
	uint8_t hdr[FP_SND_HDR_MAX];
	struct fp_pinfo pi; /* offsets in the template */
	/* statistics (tw_ipc_sender_summary); each field has one writer: the
	 * sending lcore (sent, lost, tx_drops, results_*) or the one that
	 * reads the replies (replies, late, dup, rx_results_*), which in
	 * split mode is another lcore */
	uint64_t sent, replies, lost, late, dup, tx_drops, results_sent, results_dropped;
	uint64_t rx_results_sent, rx_results_dropped;
	uint64_t start_ntp;
	struct fp_session *sess;
	struct fp_snd_slot *win; /* [FP_SND_WIN] */
	struct fp_snd_rec *rec;	 /* [rec_cap] or NULL */
	uint64_t rec_n, rec_cap;
	bool summary_sent;
	/* Benchmark only (--sender ...,echo=1): the far end is a plain
	 * 5-tuple swapper (dpdk-testpmd 5tswap), so a reply is our own sender
	 * packet turned around: match it by its sequence number and T1 and
	 * report T2 = T3 = 0 (the round trip includes the forwarder). */
	bool echo;
	/* STAMP TLVs (RFC 8972 §4, SENDER_ADD tlv[]): the template copied
	 * after the base of every packet, and what the replies' TLVs said
	 * (lib/tw_stlv, as the socket engine).  Both allocated once per slot
	 * at start; has_tlv says this session uses them.  tlv_rx is written
	 * by the lcore that receives the replies: a session's replies share
	 * one 5-tuple, so one Rx queue (RSS) and one lcore. */
	bool has_tlv;
	struct tw_stlv_tmpl *tlv;
	struct tw_stlv_rx *tlv_rx;
	struct tw_stlv_ctx tlv_ctx;
	/* RFC 9533 §4.2 LAG micro-session (SENDER_ADD TW_IPC_SF_MICRO): the
	 * IDs written into every packet, and the group of micro-sessions that
	 * share this one's 5-tuple and SID (struct fp_micro_grp). */
	bool micro;
	uint16_t micro_sid, micro_rid;
	struct fp_micro_grp *grp;
	uint8_t port; /* port index it sends on: the one whose member link is micro_sid */
};

/*
 * The micro-sessions of one LAG (RFC 9533 §4.1: one SID, one UDP 5-tuple)
 * from this fast path.  Each micro-session is its own sender with its own
 * session slot (a key that no packet carries: the 5-tuple tagged with its
 * Sender ID) for its id, statistics and Tx crypto; the group owns the
 * slot under the plain 5-tuple, which the Rx lookup finds, with the
 * receive crypto, and shares each reply out by its Sender and Reflector
 * Micro-session IDs (tw_pkt_micro_match: 1:7 and 1:8 are two).  Written by the main lcore only; the lcore that receives the
 * replies reads it: a slot is published by storing its sid last (release)
 * and retired by zeroing its sid first (0 is never a member link), and n
 * only grows while the group lives.
 */
#define FP_MICRO_MAX 64
struct fp_micro_grp {
	struct fp_session *ss; /* the group's session (plain key, id 0); NULL = free */
	uint32_t n;	       /* slots in use or retired, 0..FP_MICRO_MAX */
	uint32_t live;	       /* members */
	uint16_t sid[FP_MICRO_MAX]; /* Sender Micro-session ID; 0 = retired slot */
	uint16_t rid[FP_MICRO_MAX]; /* Reflector Micro-session ID expected; 0 = any */
	struct fp_sender *m[FP_MICRO_MAX];
	uint8_t sec, layout;
	uint8_t keys[sizeof(struct tw_ipc_keys)]; /* every member's must be these */
};

int fp_sender_pool_init(unsigned n);
/* --sched-stats N: record the schedule of the first N packets (at start),
 * report it at exit (fp_sender.c). */
int fp_sched_init(uint64_t cap);
void fp_sched_report(FILE *out);
/* SENDER_ADD (main lcore).  rec_cap > 0 keeps text records (init only). */
struct fp_sender *fp_sender_add(const struct tw_ipc_sender_add *req, uint64_t rec_cap,
				enum tw_err *err);
int fp_sender_start(struct fp_sender *s, uint64_t now);
void fp_sender_stop(struct fp_sender *s, uint64_t now);
void fp_sender_free(struct fp_sender *s);
struct fp_sender *fp_sender_by_id(uint32_t id);

/* Main lcore, each iteration: build the due packets of the senders on port
 * index `port` into tx[] (room n); who[i] is the sender of tx[i] (for
 * fp_sender_tx_failed). */
unsigned fp_sender_tx(struct fp_lcore *lc, uint64_t now, struct rte_mbuf **tx,
		      struct fp_sender **who, unsigned room, unsigned port);
/* The port refused tx[0..n-1] (built by fp_sender_tx): free them and count
 * them as the sender's tx_drops, not as LOST (they never left). */
void fp_sender_tx_failed(struct fp_lcore *lc, struct rte_mbuf **tx, struct fp_sender **who,
			 unsigned n);
/* Main lcore, on a deadline: loss timeouts, end of sessions, summaries,
 * neighbour solicitation. */
void fp_sender_tick(struct fp_lcore *lc, uint64_t now);
/* Any lcore: a datagram for a SENDER session (a reply). */
enum fp_rx_verdict fp_sender_rx(struct fp_lcore *lc, struct rte_mbuf *m, struct fp_pinfo *pi,
				struct fp_session *s, uint64_t t4_tsc);
/* True when every sender is DONE (for --exit-when-done). */
bool fp_sender_all_done(void);
/* Write text records of every sender to path (at exit). */
int fp_sender_dump(const char *path);

/* True if a running sender is due before now + us (idle back-off). */
bool fp_sender_due_within(uint64_t now, unsigned us);

#endif
