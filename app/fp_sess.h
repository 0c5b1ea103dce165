/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sess: the session table.
 *
 * One rte_hash keyed by the 48-octet struct fp_key (local addr, peer addr,
 * local port, peer port, family), created for --max-sessions entries at
 * start with lock-free reader/writer concurrency: the main lcore is the only
 * writer (IPC commands), every lcore reads.  The hash position indexes a
 * dense array of one-cache-line struct fp_session (the hot part) and a
 * parallel array of struct fp_sess_cold, both allocated once.  Crypto
 * contexts (key schedules) are built at add time in an entry of a separate
 * pool, only for authenticated/encrypted sessions.
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
#include <rte_prefetch.h>

#include "fp_net.h"
#include "fp_peers.h"
#include "tw_crypto.h"
#include "tw_pkt.h"

#define FP_SESS_GRACE_MS 100

enum fp_role { FP_ROLE_REFLECTOR = 1, FP_ROLE_SENDER = 2 };

enum fp_sess_state {
	FP_SS_FREE = 0,
	FP_SS_ADDED,    /* known, not reflecting yet (before Start-Sessions) */
	FP_SS_ACTIVE,   /* reflecting / sending */
	FP_SS_STOPPING, /* Stop-Sessions seen: reflect until expire_tsc (REFWAIT) */
	FP_SS_DEAD,     /* deleted, slot waits for the grace period */
	FP_SS_ENDED,    /* Timeout or REFWAIT over: drop (DROP_AFTER_STOP) until deleted */
};

struct fp_sender;
struct fp_micro_grp;

/* Test crypto of a session: key schedules and cipher/HMAC contexts (for
 * OpenSSL and intel-ipsec-mb), about 1500 octets, so they live in a separate pool (fp_sess_crypto_get) and only
 * authenticated/encrypted sessions have one.  A context is single-threaded:
 * tc/sa serve the reflector (or the sender's Tx on the main lcore),
 * tc_rx/sa_rx the sender's reply path on whichever lcore RSS delivers
 * replies to.  A session is TWAMP or STAMP, so the two sets share memory. */
struct fp_sess_crypto {
	struct fp_sess_crypto *next_free; /* pool free list (unused while owned) */
	bool have_tc, have_sa;		  /* exclusive: TWAMP or STAMP */
	union {
		struct {
			struct tw_test_crypto tc, tc_rx; /* tc_rx: senders only */
		};
		struct {
			struct tw_stamp_auth sa, sa_rx; /* sa_rx: senders only */
		};
	};
};

/* The hot part: everything the packet path reads or writes, one cache line,
 * in a dense array indexed by the hash position.  Whatever only the control
 * work touches is in struct fp_sess_cold at the same index; the lookup key
 * stays in the hash (rte_hash_get_key_with_position). */
struct fp_session {
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
	bool dscp_ecn;	  /* RFC 7750: report the received DSCP and ECN */
	bool micro;	  /* RFC 9533: micro-session IDs checked and written */
	uint32_t pad_len; /* Padding Length from the request */
	uint32_t seq;	  /* reflector: own counter (RFC 5357 §4.2.1) */
	uint32_t id;	  /* control-plane handle */
	uint64_t last_rx_tsc;
	/* Packets: a reflector transmits exactly what it receives and reflects
	 * (drops are counted apart), so its tx is rx; a sender's tx and
	 * tx_octets are in the cold part (main lcore only). */
	uint64_t rx, drop, rx_octets;
	struct fp_sess_crypto *crypto; /* NULL for open sessions */
} __rte_cache_aligned;
_Static_assert(sizeof(struct fp_session) == RTE_CACHE_LINE_SIZE,
	       "the hot part of a session is one cache line");

/* The cold part (control work on the main lcore only). */
struct fp_sess_cold {
	uint64_t expire_tsc; /* STOPPING: min(Timeout, REFWAIT) after stop; the lcores
	                      * read it (STOPPING only) to drop at the end exactly */
	uint64_t refwait_tsc;
	uint64_t timeout_tsc; /* Request-TW-Session Timeout */
	uint64_t free_after_tsc;
	uint64_t tx, tx_octets; /* role SENDER */
	struct fp_sender *snd;	/* role SENDER */
	/* RFC 9533: set on a LAG's group session only (the plain 5-tuple key,
	 * no id): the micro-session senders its replies are shared out to
	 * (fp_sender.c); NULL on every other session */
	struct fp_micro_grp *grp;
	bool fixed; /* the fast path's own (--reflector, --sender): control cannot delete it */
};

struct fp_sess_table {
	struct rte_hash *h;
	struct rte_hash *ids; /* control-plane id -> position (main lcore only) */
	struct fp_session *s; /* [cap] hot, indexed by hash position */
	struct fp_sess_cold *c; /* [cap] cold, same index */
	struct fp_fu *fu;	/* [cap] STAMP Follow-Up state (owning lcore), same index */
	uint32_t *dead; /* positions waiting for their grace period, FIFO */
	uint32_t dead_head, dead_n;
	uint32_t cap;
	uint32_t n;
	int socket;
	/* crypto pool: grown by FP_SESS_CRYPTO_CHUNK at session set-up (never
	 * per packet), entries recycled through the free list, never returned */
	struct fp_sess_crypto *crypto_free;
	uint32_t crypto_n, crypto_used;
};

#define FP_SESS_CRYPTO_CHUNK 64

static inline struct fp_sess_cold *fp_sess_cold(struct fp_sess_table *t,
						const struct fp_session *s)
{
	return &t->c[s - t->s];
}

static inline struct fp_fu *fp_sess_fu(struct fp_sess_table *t, const struct fp_session *s)
{
	return &t->fu[s - t->s];
}

/* Packets sent by a session (reflector: = reflected). */
static inline uint64_t fp_sess_tx(struct fp_sess_table *t, const struct fp_session *s)
{
	return s->role == FP_ROLE_SENDER ? fp_sess_cold(t, s)->tx : s->rx;
}

/* Give a session its crypto entry (main lcore, set-up only); NULL when the
 * memory is exhausted. */
struct fp_sess_crypto *fp_sess_crypto_get(struct fp_sess_table *t, struct fp_session *s);

int fp_sess_table_init(struct fp_sess_table *t, uint32_t cap, int socket);

/* Add (main lcore only).  Returns the slot or NULL (table full / exists:
 * *err set to -ENOSPC / -EEXIST). */
struct fp_session *fp_sess_add(struct fp_sess_table *t, const struct fp_key *k, int *err);
struct fp_session *fp_sess_find_id(struct fp_sess_table *t, uint32_t id);
/* Name a slot with its control-plane id (main lcore, once per session).
 * -EEXIST if a live session already has it. */
int fp_sess_set_id(struct fp_sess_table *t, struct fp_session *s, uint32_t id);
/* Octets of memory the table takes per slot (measured at init), and what
 * an authenticated session adds (its crypto pool entry). */
extern size_t fp_sess_bytes_per_slot;
#define FP_SESS_CRYPTO_BYTES sizeof(struct fp_sess_crypto)
/* Delete (main lcore only): key removed now, slot freed after the grace. */
void fp_sess_del(struct fp_sess_table *t, struct fp_session *s, uint64_t now);
/* Free slots whose grace period is over (main lcore, periodic). */
void fp_sess_reap(struct fp_sess_table *t, uint64_t now);

/* Bulk lookup of n keys (n <= 32); out[i] = session or NULL. */
static inline void fp_sess_lookup_bulk(struct fp_sess_table *t, const struct fp_key **keys,
				       unsigned n, struct fp_session **out)
{
	int32_t pos[RTE_HASH_LOOKUP_BULK_MAX];
	const struct fp_key *uk[RTE_HASH_LOOKUP_BULK_MAX];
	uint8_t map[RTE_HASH_LOOKUP_BULK_MAX];
	unsigned nu = 0;
	if (n == 0)
		return;
	/* A burst is mostly runs of one flow: look each run's key up once
	 * (the same key in one bulk lookup has one answer anyway), so the
	 * hash, the bucket scan and the key compare are paid per run, not
	 * per packet. */
	for (unsigned i = 0; i < n; i++) {
		if (nu == 0 || !fp_key_eq(keys[i], uk[nu - 1]))
			uk[nu++] = keys[i];
		map[i] = (uint8_t)(nu - 1);
	}
	rte_hash_lookup_bulk(t->h, (const void **)uk, nu, pos);
	/* Start every session's (one-line) hot part on its way now: with 100k
	 * sessions it is a cache miss per packet, overlapped this way with the
	 * work on the packets before it. */
	for (unsigned i = 0; i < nu; i++)
		if (pos[i] >= 0)
			rte_prefetch0(&t->s[pos[i]]);
	for (unsigned i = 0; i < n; i++) {
		int32_t p = pos[map[i]];
		out[i] = p >= 0 ? &t->s[p] : NULL;
	}
}

#endif
