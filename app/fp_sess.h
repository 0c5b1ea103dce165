/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sess: the session table.
 *
 * One rte_hash keyed by the 40-octet struct fp_key (local addr, peer addr,
 * local port, peer port, family), created for --max-sessions entries at
 * start with lock-free reader/writer concurrency: the main lcore is the only
 * writer (IPC commands), every lcore reads.  The hash position indexes a
 * fixed array of struct fp_session, so per-session memory is fixed and
 * allocated once; crypto contexts are built in the slot at add time.
 *
 * A deleted slot is not reused until FP_SESS_GRACE_MS later, so an lcore
 * that looked the key up just before the delete still reads a valid slot
 * (the lcore loop never holds a session across iterations).
 */
#ifndef FP_SESS_H
#define FP_SESS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_hash.h>

#include "fp_net.h"
#include "tw_crypto.h"
#include "tw_pkt.h"

#define FP_SESS_GRACE_MS 100

enum fp_role { FP_ROLE_REFLECTOR = 1, FP_ROLE_SENDER = 2 };

enum fp_sess_state {
	FP_SS_FREE = 0,
	FP_SS_ADDED,	/* known, not reflecting yet (before Start-Sessions) */
	FP_SS_ACTIVE,	/* reflecting / sending */
	FP_SS_STOPPING, /* Stop-Sessions seen: reflect until expire_tsc (REFWAIT) */
	FP_SS_DEAD,	/* deleted, slot waits for the grace period */
};

struct fp_sender;

/* Test crypto of a session.  A context is single-threaded: tc/sa serve the
 * reflector (or the sender's Tx on the main lcore), tc_rx/sa_rx the
 * sender's reply path on whichever lcore RSS delivers replies to. */
struct fp_sess_crypto {
	bool have_tc, have_sa;
	struct tw_test_crypto tc, tc_rx;
	struct tw_stamp_auth sa, sa_rx;
};

struct fp_session {
	/* hot, read per packet */
	uint8_t state;
	uint8_t role;
	uint8_t layout; /* enum tw_pkt_layout */
	uint8_t prot;	/* enum tw_pkt_prot */
	uint8_t dscp;
	bool z;		/* PTP timestamps (RFC 8186) */
	bool t3_late;	/* T3 outside the protected region: stamp once per burst */
	bool copy_dscp;
	uint8_t ttl;	  /* sent TTL / Hop Limit (255 unless told) */
	uint8_t min_ttl;  /* 0 = no check */
	uint32_t pad_len; /* Padding Length from the request */
	uint32_t seq;	  /* reflector: own counter (RFC 5357 §4.2.1) */
	uint32_t id;	  /* control-plane handle */
	uint64_t last_rx_tsc;
	uint64_t expire_tsc; /* STOPPING: min(Timeout, REFWAIT) after stop; 0 = none */
	uint64_t refwait_tsc;
	uint64_t rx, tx, drop, rx_octets, tx_octets;
	uint64_t timeout_tsc; /* Request-TW-Session Timeout */
	struct fp_key key;
	struct fp_sender *snd; /* role SENDER */
	uint64_t free_after_tsc;
	struct fp_sess_crypto crypto; /* built at add; allocation-free per packet */
} __rte_cache_aligned;

struct fp_sess_table {
	struct rte_hash *h;
	struct rte_hash *ids; /* control-plane id -> position (main lcore only) */
	struct fp_session *s; /* [cap] indexed by hash position */
	uint32_t *dead; /* positions waiting for their grace period, FIFO */
	uint32_t dead_head, dead_n;
	uint32_t cap;
	uint32_t n;
};

int fp_sess_table_init(struct fp_sess_table *t, uint32_t cap, int socket);

/* Add (main lcore only).  Returns the slot or NULL (table full / exists:
 * *err set to -ENOSPC / -EEXIST). */
struct fp_session *fp_sess_add(struct fp_sess_table *t, const struct fp_key *k, int *err);
struct fp_session *fp_sess_find_id(struct fp_sess_table *t, uint32_t id);
/* Name a slot with its control-plane id (main lcore, once per session).
 * -EEXIST if a live session already has it. */
int fp_sess_set_id(struct fp_sess_table *t, struct fp_session *s, uint32_t id);
/* Octets of memory the table takes per slot (measured at init). */
extern size_t fp_sess_bytes_per_slot;
/* Delete (main lcore only): key removed now, slot freed after the grace. */
void fp_sess_del(struct fp_sess_table *t, struct fp_session *s, uint64_t now);
/* Free slots whose grace period is over (main lcore, periodic). */
void fp_sess_reap(struct fp_sess_table *t, uint64_t now);

/* Bulk lookup of n keys (n <= 32); out[i] = session or NULL. */
static inline void fp_sess_lookup_bulk(struct fp_sess_table *t, const struct fp_key **keys,
				       unsigned n, struct fp_session **out)
{
	int32_t pos[RTE_HASH_LOOKUP_BULK_MAX];
	if (n == 0)
		return;
	rte_hash_lookup_bulk(t->h, (const void **)keys, n, pos);
	for (unsigned i = 0; i < n; i++)
		out[i] = pos[i] >= 0 ? &t->s[pos[i]] : NULL;
}

#endif
