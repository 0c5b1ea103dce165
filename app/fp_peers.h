/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_peers: the stateful TWAMP Light / STAMP peer table of one lcore
 * (RFC 5357 Appendix I; RFC 8762 §4.2: a stateful reflector keeps its own
 * sequence counter per sender).  Pure C, no DPDK, so that
 * tests/system/test_fp_peers.c runs it without EAL.
 *
 * The senders are whoever sends UDP to a listener port, so the table is
 * bounded twice (issue 8 §5):
 *  - a fixed number of entries, allocated once by the caller at start-up;
 *    the lcore loop never allocates;
 *  - per listener ("owner", the listener's slot), at most its max_peers
 *    entries.
 * Each owner keeps its entries on a least-recently-used list.  A new peer
 * takes, in this order: an idle entry of its owner (silent for idle_tsc),
 * a free entry (the owner under max_peers), its owner's least recently
 * used entry when the owner is at max_peers; when the table is full, an
 * idle entry of another owner (by that owner's idle time), else the least
 * recently used entry of the owner holding the most if that one holds
 * more than the newcomer's, else its owner's own.  So a flood of new
 * source ports churns through its own listener's entries: a peer that
 * keeps sending stays near the head of its list and keeps its sequence;
 * and a listener whose peers went quiet, or that holds the most, gives
 * entries to the others, so no listener keeps another's peers out.
 *
 * Lookup is a chained hash keyed with per-table random words: the senders
 * pick their source ports (and a STAMP sender its SSID), so the hash must
 * keep them from choosing one chain.  It is NH, the first layer of UMAC
 * (RFC 4418 §5.2.2; Black et al., "UMAC: Fast and Secure Message
 * Authentication", CRYPTO '99): for any two distinct keys, the chance over
 * uniformly random words that their 64-bit sums are equal is at most
 * 2^-32.  Here the words are expanded from one random 64-bit seed
 * (fp_peers_init), which a sender never sees.  Its six multiplies are
 * independent of each other, so the hash takes about half the latency of
 * a chain of six multiply steps, and a lookup per packet waits on it.
 */
#ifndef FP_PEERS_H
#define FP_PEERS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define FP_PEERS_OWNERS 16u  /* listener slots (FP_MAX_LIGHT) */
#define FP_PEERS_NONE   UINT32_MAX
#define FP_PEERS_KEY_WORDS 6 /* 48-octet key (struct fp_key) */

/* RFC 8972 §4.7 Follow-Up Telemetry: the latest reply of a STAMP peer or
 * session whose actual transmit time is known (fp_reflect_fu_tx).  Written
 * and read by the lcore that owns the peer or session only. */
struct fp_fu {
	uint64_t tsc; /* its Tx TSC; 0 = none yet */
	uint32_t seq; /* its reflector Sequence Number */
	uint32_t pad;
};

struct fp_peer {
	uint64_t key[FP_PEERS_KEY_WORDS];
	uint64_t last_tsc; /* last packet from this peer */
	uint32_t seq;      /* next reflector Sequence Number */
	uint32_t prev, next; /* owner's LRU list: prev towards the head (most recent) */
	uint32_t hnext;      /* hash chain, or free list */
	uint8_t owner;
	uint8_t used;
	uint8_t pad[2];
	uint32_t rx; /* packets reflected since the entry was made (0: numbering not started) */
	struct fp_fu fu; /* STAMP Follow-Up Telemetry state */
};

struct fp_peers_owner {
	uint32_t head, tail; /* most / least recently used */
	uint32_t n;          /* entries held */
	uint32_t gen;        /* listener generation these entries belong to */
	uint64_t idle_tsc;   /* its listener's idle time, as of its last packet */
};

struct fp_peers {
	struct fp_peer *e;  /* [cap] */
	uint32_t *bucket;   /* [mask + 1] chain heads */
	uint32_t mask;
	uint32_t cap, n;
	uint32_t free_head;
	uint64_t nh[FP_PEERS_KEY_WORDS]; /* NH key words (fp_peers_hash) */
	uint64_t evicted_lru, evicted_idle; /* entries taken over (telemetry) */
	struct fp_peers_owner own[FP_PEERS_OWNERS];
};

/* Chain heads for `cap` entries: the power of two >= cap (load <= 1). */
static inline uint32_t fp_peers_nbuckets(uint32_t cap)
{
	uint32_t n = 1;
	while (n < cap && n < (1u << 31))
		n <<= 1;
	return n;
}

/* e[cap] and bucket[fp_peers_nbuckets(cap)] are the caller's, allocated
 * once; seed must be unpredictable to senders (a random number, not the
 * TSC, which follows the uptime).  The NH key words are expanded from it
 * with SplitMix64. */
static inline void fp_peers_init(struct fp_peers *t, struct fp_peer *e, uint32_t *bucket,
				 uint32_t cap, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	t->e = e;
	t->bucket = bucket;
	t->cap = cap;
	t->mask = fp_peers_nbuckets(cap) - 1;
	for (unsigned i = 0; i < FP_PEERS_KEY_WORDS; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		t->nh[i] = z ^ (z >> 31);
	}
	for (uint32_t i = 0; i <= t->mask; i++)
		bucket[i] = FP_PEERS_NONE;
	for (uint32_t i = 0; i < cap; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].hnext = i + 1 < cap ? i + 1 : FP_PEERS_NONE;
	}
	t->free_head = cap ? 0 : FP_PEERS_NONE;
	for (unsigned o = 0; o < FP_PEERS_OWNERS; o++)
		t->own[o].head = t->own[o].tail = FP_PEERS_NONE;
}

/* NH over the key's twelve 32-bit words (RFC 4418 §5.2.2): each pair,
 * plus its key words mod 2^32, multiplied to 64 bits, and the products
 * summed mod 2^64.  A product's low bits depend only on its factors' low
 * bits, so the sum is mixed (a bijection) before its low bits pick the
 * chain. */
static inline uint32_t fp_peers_hash(const struct fp_peers *t, const uint64_t *k)
{
	uint64_t h = 0;
	for (unsigned i = 0; i < FP_PEERS_KEY_WORDS; i++) {
		uint32_t lo = (uint32_t)k[i] + (uint32_t)t->nh[i];
		uint32_t hi = (uint32_t)(k[i] >> 32) + (uint32_t)(t->nh[i] >> 32);
		h += (uint64_t)lo * hi;
	}
	h ^= h >> 32;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return (uint32_t)h & t->mask;
}

static inline void fp_peers_unlink_lru(struct fp_peers *t, uint32_t i)
{
	struct fp_peer *p = &t->e[i];
	struct fp_peers_owner *o = &t->own[p->owner];
	if (p->prev != FP_PEERS_NONE)
		t->e[p->prev].next = p->next;
	else
		o->head = p->next;
	if (p->next != FP_PEERS_NONE)
		t->e[p->next].prev = p->prev;
	else
		o->tail = p->prev;
	o->n--;
}

static inline void fp_peers_push_head(struct fp_peers *t, uint32_t i, uint8_t owner)
{
	struct fp_peer *p = &t->e[i];
	struct fp_peers_owner *o = &t->own[owner];
	p->owner = owner;
	p->prev = FP_PEERS_NONE;
	p->next = o->head;
	if (o->head != FP_PEERS_NONE)
		t->e[o->head].prev = i;
	else
		o->tail = i;
	o->head = i;
	o->n++;
}

/* Remove entry i from its chain and its list (it stays allocated: the
 * caller reuses it or puts it on the free list). */
static inline void fp_peers_unhash(struct fp_peers *t, uint32_t i)
{
	uint32_t *pp = &t->bucket[fp_peers_hash(t, t->e[i].key)];
	while (*pp != i)
		pp = &t->e[*pp].hnext;
	*pp = t->e[i].hnext;
	fp_peers_unlink_lru(t, i);
	t->e[i].used = 0;
	t->n--;
}

/* Forget every entry of `owner` (its listener was deleted or the slot
 * reused): O(entries of that owner), on the lcore that owns the table. */
static inline void fp_peers_flush_owner(struct fp_peers *t, unsigned owner)
{
	while (t->own[owner].tail != FP_PEERS_NONE) {
		uint32_t i = t->own[owner].tail;
		fp_peers_unhash(t, i);
		t->e[i].hnext = t->free_head;
		t->free_head = i;
	}
}

/* The entry a new peer of `owner` takes (see the header comment). */
static inline uint32_t fp_peers_victim(struct fp_peers *t, unsigned owner, uint32_t max,
				       uint64_t idle_tsc, uint64_t now)
{
	struct fp_peers_owner *o = &t->own[owner];
	uint32_t v = o->tail;
	if (v != FP_PEERS_NONE && idle_tsc && now - t->e[v].last_tsc > idle_tsc) {
		t->evicted_idle++;
		fp_peers_unhash(t, v);
		return v;
	}
	if (o->n < max && t->free_head != FP_PEERS_NONE) {
		v = t->free_head;
		t->free_head = t->e[v].hnext;
		return v;
	}
	if (o->n < max) {
		/* The table is full and this owner is under its own cap: an
		 * entry another listener's peer left idle (by that listener's
		 * idle time) first, else the least recently used entry of the
		 * listener holding the most, if it holds more than this one.
		 * Owners that flood share the table; none can keep another's
		 * peers out with entries it no longer uses. */
		uint32_t most = o->n, mv = FP_PEERS_NONE;
		for (unsigned k = 0; k < FP_PEERS_OWNERS; k++) {
			const struct fp_peers_owner *ok = &t->own[k];
			if (k == owner || ok->tail == FP_PEERS_NONE)
				continue;
			if (ok->idle_tsc && now - t->e[ok->tail].last_tsc > ok->idle_tsc) {
				v = ok->tail;
				t->evicted_idle++;
				fp_peers_unhash(t, v);
				return v;
			}
			if (ok->n > most) {
				most = ok->n;
				mv = ok->tail;
			}
		}
		if (mv != FP_PEERS_NONE)
			v = mv;
	}
	if (v == FP_PEERS_NONE)
		return FP_PEERS_NONE; /* cap 0 */
	t->evicted_lru++;
	fp_peers_unhash(t, v);
	return v;
}

/*
 * The entry of peer `key` (48 octets) tagged with `tag` on listener `owner`,
 * created if needed, and made the owner's most recently used.  The tag tells
 * apart peers that share the key (0: none); it goes into the key's last
 * word, which the caller's key leaves zero (struct fp_key's padding).  It is
 * a value, not octets the caller writes into its copy of the key: a key
 * assembled from narrower stores right before the wide loads below would
 * stall them (no store-to-load forwarding).  *fresh is set when the
 * peer is new to the table or was idle for more than idle_tsc (0 = never
 * idle): its sequence and count start again at 0, as for a new sender (the
 * reflector may number its first reply from the Sender Sequence Number
 * instead: fp_reflector.c, FP_PEER_RESYNC).  NULL only when the table has no
 * entries at all.
 */
static inline struct fp_peer *fp_peers_get(struct fp_peers *t, const void *key, uint64_t tag,
					   unsigned owner, uint32_t max_peers, uint64_t idle_tsc,
					   uint64_t now, bool *fresh)
{
	uint64_t k[FP_PEERS_KEY_WORDS];
	memcpy(k, key, sizeof(k));
	k[FP_PEERS_KEY_WORDS - 1] ^= tag;
	if (owner >= FP_PEERS_OWNERS)
		return NULL;
	if (max_peers == 0 || max_peers > t->cap)
		max_peers = t->cap;
	t->own[owner].idle_tsc = idle_tsc; /* for other owners' newcomers */
	uint32_t b = fp_peers_hash(t, k);
	for (uint32_t i = t->bucket[b]; i != FP_PEERS_NONE; i = t->e[i].hnext) {
		struct fp_peer *p = &t->e[i];
		if (p->owner != owner || memcmp(p->key, k, sizeof(k)) != 0)
			continue;
		*fresh = idle_tsc && now - p->last_tsc > idle_tsc;
		if (*fresh)
			p->seq = p->rx = 0;
		p->last_tsc = now;
		if (t->own[owner].head != i) { /* a peer sending alone is there already */
			fp_peers_unlink_lru(t, i);
			fp_peers_push_head(t, i, (uint8_t)owner);
		}
		return p;
	}
	uint32_t v = fp_peers_victim(t, owner, max_peers, idle_tsc, now);
	if (v == FP_PEERS_NONE)
		return NULL;
	struct fp_peer *p = &t->e[v];
	memcpy(p->key, k, sizeof(k));
	p->seq = p->rx = 0;
	p->last_tsc = now;
	p->used = 1;
	p->hnext = t->bucket[b];
	t->bucket[b] = v;
	t->n++;
	fp_peers_push_head(t, v, (uint8_t)owner);
	*fresh = true;
	return p;
}

#endif
