/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sess: the session table.
 *
 * Sessions live in a dense array of struct fp_session, allocated once for
 * --max-sessions entries at start; the main lcore is the only writer (IPC
 * commands), every lcore reads, without locks.  Each entry is two cache
 * lines, aligned together: the per-packet state, and the 48-octet lookup
 * key (struct fp_key) the lookup compares.  A parallel array of struct
 * fp_sess_cold holds what only the control work touches.  Crypto contexts
 * (key schedules) are built at add time in an entry of a separate pool,
 * only for authenticated/encrypted sessions.
 *
 * The lookup index is our own bucketized cuckoo hash (issue 9 §5): buckets
 * of eight 8-octet slots, one cache line each, a slot holding the key's
 * 32-bit hash (CRC32C with a per-table random seed) and the entry's
 * position.  A key is in its primary bucket, or in its secondary one when
 * the primary was full at insertion.  So a packet touches one bucket line
 * and its session's two lines, no separate key store: with 100,000
 * sessions, where each of them is a cache miss, the lookup of a burst is
 * two waves of prefetches (the buckets, then the sessions) overlapped over
 * the burst (fp_sess_lookup_bulk), where rte_hash took three (buckets,
 * key store, then our session).  docs/fastpath.md gives the memory per
 * session.
 *
 * A deleted entry is not reused until FP_SESS_GRACE_MS later, so an lcore
 * that looked the key up just before the delete still reads a valid entry
 * (the lcore loop never holds a session across iterations).
 */
#ifndef FP_SESS_H
#define FP_SESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
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
 * OpenSSL, intel-ipsec-mb and the SHA-NI lanes), about 2200 octets, so they
 * live in a separate pool (fp_sess_crypto_get) and only
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
	/* Second line: the lookup key, compared once the hash matched (so
	 * the index needs no key store of its own).  Both lines are
	 * prefetched together by the lookup. */
	struct fp_key key;
} __rte_aligned(2 * RTE_CACHE_LINE_SIZE);
_Static_assert(offsetof(struct fp_session, key) == RTE_CACHE_LINE_SIZE,
	       "the per-packet state of a session is its first cache line");
_Static_assert(sizeof(struct fp_session) == 2 * RTE_CACHE_LINE_SIZE,
	       "a session entry is two cache lines: state, then key");

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
	/* reflector: TW_IPC_SF_SEQ_RESYNC until its first reply; read by the
	 * lcore only while the session's seq is 0 (fp_reflect_session), so
	 * it costs the per-packet path a compare, and cleared there */
	bool resync;
};

/* Index bucket: eight slots, one cache line.  A slot is 0 (empty) or the
 * key's hash << 32 | (position + 1). */
#define FP_SESS_BUCKET_SLOTS 8
struct fp_sess_bucket {
	uint64_t slot[FP_SESS_BUCKET_SLOTS];
} __rte_cache_aligned;
_Static_assert(sizeof(struct fp_sess_bucket) == RTE_CACHE_LINE_SIZE, "a bucket is one line");

struct fp_sess_table {
	struct fp_sess_bucket *bk; /* [bmask + 1] the lookup index */
	uint32_t bmask;
	uint32_t seed;	       /* CRC32C seed, random per table */
	uint32_t moves;	       /* bumped by every cuckoo move: readers that
				* missed a key retry if it changed */
	struct rte_hash *ids; /* control-plane id -> position (main lcore only) */
	struct fp_session *s; /* [cap] indexed by position */
	struct fp_sess_cold *c; /* [cap] cold, same index */
	struct fp_fu *fu;	/* [cap] STAMP Follow-Up state (owning lcore), same index */
	uint32_t *free_pos; /* positions not in use, a stack of n_free */
	uint32_t n_free;
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

/* Buckets for cap sessions: a power of two with at least two slots per
 * session (load <= 1/2 when full), so a key nearly always goes to its
 * primary bucket and the lookup reads one bucket line (16 octets per
 * session at 100,000 of 131,072). */
static inline uint32_t fp_sess_nbuckets(uint32_t cap)
{
	uint32_t n = 2;
	while (n < (cap + 3) / 4 && n < (1u << 28))
		n <<= 1;
	return n;
}

/* Fixed memory of the table per session entry, from the sizes (octets):
 * the entry, its cold part, its Follow-Up state, its place in the free and
 * dead lists, and its share of the index (docs/fastpath.md).  The id index
 * (an rte_hash, control only) comes on top: fp_sess_bytes_per_slot
 * measures the whole at init. */
#define FP_SESS_FIXED_BYTES(cap)                                                                   \
	(sizeof(struct fp_session) + sizeof(struct fp_sess_cold) + sizeof(struct fp_fu) +          \
	 2 * sizeof(uint32_t) +                                                                    \
	 (double)fp_sess_nbuckets(cap) * sizeof(struct fp_sess_bucket) / (cap))

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

static inline uint32_t fp_sess_hash(const struct fp_sess_table *t, const struct fp_key *k)
{
	/* CRC32C (SSE4.2 / ARMv8 instructions, software fallback); the seed
	 * is random per table, so the sessions a peer sets up cannot be
	 * chosen to share buckets.  An IPv4 key has 13 octets that vary (the
	 * two addresses in the first 4 octets of their 16, the ports, ipv):
	 * two 8-octet steps instead of the six of the whole key.  With many
	 * sessions every packet of a burst hashes its own key (issue 9 §5). */
	if (likely(k->ipv == 4)) {
		uint32_t l, p;
		uint64_t rest;
		memcpy(&l, k->local.a, sizeof(l));
		memcpy(&p, k->peer.a, sizeof(p));
		memcpy(&rest, &k->local_port, sizeof(rest)); /* ports, ipv, pad */
		return rte_hash_crc_8byte(rest,
					  rte_hash_crc_8byte((uint64_t)l | (uint64_t)p << 32, t->seed));
	}
	return rte_hash_crc(k, sizeof(*k), t->seed);
}
static inline uint32_t fp_sess_b1(const struct fp_sess_table *t, uint32_t h)
{
	return h & t->bmask;
}
/* The secondary bucket, from the high bits mixed down, never the primary. */
static inline uint32_t fp_sess_b2(const struct fp_sess_table *t, uint32_t h)
{
	uint32_t b = ((h >> 16 | h << 16) * 0x9e3779b1u) & t->bmask;
	return b == (h & t->bmask) ? b ^ 1 : b;
}
static inline uint64_t fp_sess_slot_ld(const struct fp_sess_bucket *b, unsigned i)
{
	return __atomic_load_n(&b->slot[i], __ATOMIC_ACQUIRE);
}
/* The first slot of b whose hash is h: its position, or -1. */
static inline int32_t fp_sess_scan(const struct fp_sess_bucket *b, uint32_t h)
{
	for (unsigned i = 0; i < FP_SESS_BUCKET_SLOTS; i++) {
		uint64_t v = fp_sess_slot_ld(b, i);
		if ((uint32_t)(v >> 32) == h && (uint32_t)v)
			return (int32_t)((uint32_t)v - 1);
	}
	return -1;
}

/* One key, every candidate compared (the control path, and the bulk
 * lookup's rare cases: a hash shared by two keys, a key in its secondary
 * bucket, a miss while the writer moved entries). */
struct fp_session *fp_sess_lookup(struct fp_sess_table *t, const struct fp_key *k, uint32_t h);

/* The session lookup of one Rx burst, once the burst is parsed:
 * fp_sess_burst_add() for each key in turn (it hashes the key and starts
 * its primary bucket on its way), then fp_sess_burst_lookup() once.  The
 * adds run back to back, not one per parsed frame: on the AMD EPYC VM of
 * docs/performance.md a prefetch that misses holds up the core for a while
 * when it is alone, much less when many are issued together; and a key
 * read right after fp_parse() wrote it field by field waits for those
 * stores (store forwarding fails for the wide loads of the hash and the
 * compare).  A burst is mostly runs of one flow: each run's key is hashed
 * and looked up once (the same key has one answer anyway). */
struct fp_sess_burst {
	unsigned n, nu;
	const struct fp_key *uk[RTE_HASH_LOOKUP_BULK_MAX]; /* one per run */
	uint32_t uh[RTE_HASH_LOOKUP_BULK_MAX];		    /* its hash */
	uint8_t map[RTE_HASH_LOOKUP_BULK_MAX];		    /* key -> its run */
};

static inline void fp_sess_burst_init(struct fp_sess_burst *b)
{
	b->n = b->nu = 0;
}

/* Add the next key (at most RTE_HASH_LOOKUP_BULK_MAX per burst). */
static inline void fp_sess_burst_add(struct fp_sess_table *t, struct fp_sess_burst *b,
				     const struct fp_key *k)
{
	if (b->nu == 0 || !fp_key_eq(k, b->uk[b->nu - 1])) {
		uint32_t h = fp_sess_hash(t, k);
		/* wave 1: the primary bucket */
		rte_prefetch0(&t->bk[fp_sess_b1(t, h)]);
		b->uk[b->nu] = k;
		b->uh[b->nu++] = h;
	}
	b->map[b->n++] = (uint8_t)(b->nu - 1);
}

/* out[i] = the session of the i-th key added, or NULL. */
static inline void fp_sess_burst_lookup(struct fp_sess_table *t, const struct fp_sess_burst *b,
					struct fp_session **out)
{
	int32_t pos[RTE_HASH_LOOKUP_BULK_MAX];
	struct fp_session *us[RTE_HASH_LOOKUP_BULK_MAX];
	unsigned nu = b->nu;
	const uint32_t *h = b->uh;
	if (b->n == 0)
		return;
	/* A miss in both buckets is final only if the writer moved no entry
	 * meanwhile (fp_sess_add's cuckoo move).  Read before the buckets:
	 * the prefetches of wave 1 only warm the cache. */
	uint32_t mv = __atomic_load_n(&t->moves, __ATOMIC_ACQUIRE);
	/* With 100k sessions each bucket and each session is a cache miss:
	 * they are started for the whole burst, in waves, so that their
	 * latencies overlap instead of adding up packet by packet.  Wave 2:
	 * the session the hash names (both its lines: the key for the
	 * compare below, the state for the reflection); the secondary bucket
	 * if the primary has no such hash (rare for a session, the rule for
	 * TWAMP Light and unknown flows). */
	bool sec = false;
	for (unsigned i = 0; i < nu; i++) {
		pos[i] = fp_sess_scan(&t->bk[fp_sess_b1(t, h[i])], h[i]);
		if (pos[i] >= 0) {
			rte_prefetch0(&t->s[pos[i]]);
			rte_prefetch0(&t->s[pos[i]].key);
		} else {
			rte_prefetch0(&t->bk[fp_sess_b2(t, h[i])]);
			sec = true;
		}
	}
	if (unlikely(sec)) {
		for (unsigned i = 0; i < nu; i++) {
			if (pos[i] >= 0)
				continue;
			pos[i] = fp_sess_scan(&t->bk[fp_sess_b2(t, h[i])], h[i]);
			if (pos[i] >= 0) {
				rte_prefetch0(&t->s[pos[i]]);
				rte_prefetch0(&t->s[pos[i]].key);
			}
		}
	}
	bool moved = __atomic_load_n(&t->moves, __ATOMIC_ACQUIRE) != mv;
	for (unsigned i = 0; i < nu; i++) {
		int32_t p = pos[i];
		if (likely(p >= 0 && fp_key_eq(&t->s[p].key, b->uk[i])))
			us[i] = &t->s[p];
		else if (p < 0 && !moved)
			us[i] = NULL;
		else
			us[i] = fp_sess_lookup(t, b->uk[i], h[i]);
	}
	for (unsigned i = 0; i < b->n; i++)
		out[i] = us[b->map[i]];
}

/* Bulk lookup of n keys (n <= 32); out[i] = session or NULL. */
static inline void fp_sess_lookup_bulk(struct fp_sess_table *t, const struct fp_key **keys,
				       unsigned n, struct fp_session **out)
{
	struct fp_sess_burst b;
	fp_sess_burst_init(&b);
	for (unsigned i = 0; i < n; i++)
		fp_sess_burst_add(t, &b, keys[i]);
	fp_sess_burst_lookup(t, &b, out);
}

#endif
