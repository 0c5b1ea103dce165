/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_sess.h"

#include <errno.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "fp_counters.h"
#include "fp_mem.h"

size_t fp_sess_bytes_per_slot;

static size_t heap_used(int socket)
{
	struct rte_malloc_socket_stats st;
	if (rte_malloc_get_socket_stats(socket < 0 ? 0 : socket, &st) != 0)
		return 0;
	return st.heap_allocsz_bytes;
}

int fp_sess_table_init(struct fp_sess_table *t, uint32_t cap, int socket)
{
	size_t before = heap_used(socket);
	if (cap == 0 || cap > (1u << 30))
		return -EINVAL;
	uint32_t nb = fp_sess_nbuckets(cap);
	t->bk = fp_zalloc("fp_sess_index", sizeof(struct fp_sess_bucket) * nb, RTE_CACHE_LINE_SIZE,
	                  socket);
	t->bmask = nb - 1;
	t->seed = (uint32_t)rte_rand();
	t->moves = 0;
	t->cap = cap;
	t->n = 0;
	/* both lines of an entry in one 128-octet block (the adjacent-line
	 * prefetchers pair them) */
	t->s = fp_zalloc("fp_sessions", sizeof(struct fp_session) * cap, 2 * RTE_CACHE_LINE_SIZE,
	                 socket);
	t->c = fp_zalloc("fp_sess_cold", sizeof(struct fp_sess_cold) * cap, RTE_CACHE_LINE_SIZE,
	                 socket);
	t->dead = fp_zalloc("fp_sess_dead", sizeof(uint32_t) * cap, 0, socket);
	t->free_pos = rte_malloc_socket("fp_sess_free", sizeof(uint32_t) * cap, 0, socket);
	t->fu = fp_zalloc("fp_sess_fu", sizeof(struct fp_fu) * cap, 0, socket);
	t->socket = socket;
	t->crypto_free = NULL;
	t->crypto_n = t->crypto_used = 0;
	/* Ids are looked up by control-rate commands only (never per
	 * packet), but a linear scan made adding 100k sessions quadratic. */
	static unsigned n_tables; /* rte_hash names are unique per process */
	char idn[RTE_HASH_NAMESIZE];
	snprintf(idn, sizeof(idn), "fp_sess_ids%u", n_tables++);
	struct rte_hash_parameters ip = {
		.name = idn,
		.entries = cap,
		.key_len = sizeof(uint32_t),
		.hash_func = rte_jhash,
		.hash_func_init_val = 0x1d5e55,
		.socket_id = socket,
	};
	t->ids = rte_hash_create(&ip);
	if (!t->bk || !t->s || !t->c || !t->dead || !t->free_pos || !t->fu || !t->ids)
		return -ENOMEM;
	/* positions handed out from 0 up: a small table stays dense */
	for (uint32_t i = 0; i < cap; i++)
		t->free_pos[i] = cap - 1 - i;
	t->n_free = cap;
	size_t after = heap_used(socket);
	fp_sess_bytes_per_slot = after > before ? (after - before) / cap : 0;
	return 0;
}

int fp_sess_set_id(struct fp_sess_table *t, struct fp_session *s, uint32_t id)
{
	if (fp_sess_find_id(t, id))
		return -EEXIST;
	int r = rte_hash_add_key_data(t->ids, &id, (void *)(uintptr_t)(s - t->s));
	if (r < 0)
		return r;
	s->id = id;
	return 0;
}

struct fp_session *fp_sess_lookup(struct fp_sess_table *t, const struct fp_key *k, uint32_t h)
{
	const struct fp_sess_bucket *b[2] = {&t->bk[fp_sess_b1(t, h)], &t->bk[fp_sess_b2(t, h)]};
	for (;;) {
		uint32_t mv = __atomic_load_n(&t->moves, __ATOMIC_ACQUIRE);
		for (unsigned j = 0; j < 2; j++)
			for (unsigned i = 0; i < FP_SESS_BUCKET_SLOTS; i++) {
				uint64_t v = fp_sess_slot_ld(b[j], i);
				if ((uint32_t)(v >> 32) != h || !(uint32_t)v)
					continue;
				struct fp_session *s = &t->s[(uint32_t)v - 1];
				if (fp_key_eq(&s->key, k))
					return s;
			}
		/* a key moved from the bucket read second to the one read
		 * first while we looked: look again */
		if (__atomic_load_n(&t->moves, __ATOMIC_ACQUIRE) == mv)
			return NULL;
	}
}

/* A free slot of bucket bi, made by moving one of its entries to that
 * entry's other bucket if need be (one cuckoo step; main lcore only), or -1. */
static int slot_free(struct fp_sess_table *t, uint32_t bi, bool move)
{
	struct fp_sess_bucket *b = &t->bk[bi];
	for (unsigned i = 0; i < FP_SESS_BUCKET_SLOTS; i++)
		if (!b->slot[i])
			return (int)i;
	if (!move)
		return -1;
	for (unsigned i = 0; i < FP_SESS_BUCKET_SLOTS; i++) {
		uint64_t v = b->slot[i];
		uint32_t h = (uint32_t)(v >> 32);
		uint32_t alt = fp_sess_b1(t, h) == bi ? fp_sess_b2(t, h) : fp_sess_b1(t, h);
		int j = slot_free(t, alt, false);
		if (j < 0)
			continue;
		/* The entry is in both buckets, then the move count changes,
		 * then it leaves this one: a reader that read this bucket
		 * after it left sees the new count and looks again. */
		__atomic_store_n(&t->bk[alt].slot[j], v, __ATOMIC_RELEASE);
		__atomic_add_fetch(&t->moves, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&b->slot[i], 0, __ATOMIC_RELEASE);
		return (int)i;
	}
	return -1;
}

struct fp_session *fp_sess_add(struct fp_sess_table *t, const struct fp_key *k, int *err)
{
	uint32_t h = fp_sess_hash(t, k);
	if (fp_sess_lookup(t, k, h)) {
		*err = -EEXIST;
		return NULL;
	}
	if (!t->n_free) {
		*err = -ENOSPC;
		return NULL;
	}
	/* the primary bucket if it has room, else the secondary, else
	 * room made in either by moving one entry */
	uint32_t bi = fp_sess_b1(t, h);
	int si = slot_free(t, bi, false);
	if (si < 0) {
		bi = fp_sess_b2(t, h);
		si = slot_free(t, bi, false);
	}
	if (si < 0) {
		bi = fp_sess_b1(t, h);
		si = slot_free(t, bi, true);
	}
	if (si < 0) {
		bi = fp_sess_b2(t, h);
		si = slot_free(t, bi, true);
	}
	if (si < 0) {
		*err = -ENOSPC;
		return NULL;
	}
	uint32_t pos = t->free_pos[--t->n_free];
	struct fp_session *s = &t->s[pos];
	memset(s, 0, sizeof(*s));
	s->key = *k;
	memset(fp_sess_cold(t, s), 0, sizeof(struct fp_sess_cold));
	memset(fp_sess_fu(t, s), 0, sizeof(struct fp_fu));
	/* published last: a reader that finds the slot finds the key */
	__atomic_store_n(&t->bk[bi].slot[si], (uint64_t)h << 32 | (pos + 1), __ATOMIC_RELEASE);
	t->n++;
	/* SESS_ADDED - SESS_DELETED is the table's use, for leak checks. */
	FP_INC(&fp_cnt[rte_lcore_id()], SESS_ADDED);
	return s;
}

struct fp_sess_crypto *fp_sess_crypto_get(struct fp_sess_table *t, struct fp_session *s)
{
	if (s->crypto)
		return s->crypto;
	if (!t->crypto_free) {
		/* Set-up path (IPC command), one allocation per chunk. */
		struct fp_sess_crypto *c = rte_malloc_socket(
			"fp_sess_crypto", sizeof(*c) * FP_SESS_CRYPTO_CHUNK, RTE_CACHE_LINE_SIZE,
			t->socket);
		if (!c)
			return NULL;
		for (unsigned i = 0; i < FP_SESS_CRYPTO_CHUNK; i++) {
			c[i].next_free = t->crypto_free;
			t->crypto_free = &c[i];
		}
		t->crypto_n += FP_SESS_CRYPTO_CHUNK;
	}
	struct fp_sess_crypto *c = t->crypto_free;
	t->crypto_free = c->next_free;
	memset(c, 0, sizeof(*c));
	t->crypto_used++;
	/* Published with the session state (release store) by the caller. */
	s->crypto = c;
	return c;
}

struct fp_session *fp_sess_find_id(struct fp_sess_table *t, uint32_t id)
{
	void *data;
	if (!id || rte_hash_lookup_data(t->ids, &id, &data) < 0)
		return NULL;
	struct fp_session *s = &t->s[(uintptr_t)data];
	return s->state != FP_SS_DEAD && s->state != FP_SS_FREE && s->id == id ? s : NULL;
}

void fp_sess_del(struct fp_sess_table *t, struct fp_session *s, uint64_t now)
{
	uint32_t pos = (uint32_t)(s - t->s);
	uint32_t h = fp_sess_hash(t, &s->key);
	uint64_t v = (uint64_t)h << 32 | (pos + 1);
	uint32_t bs[2] = {fp_sess_b1(t, h), fp_sess_b2(t, h)};
	for (unsigned j = 0; j < 2; j++)
		for (unsigned i = 0; i < FP_SESS_BUCKET_SLOTS; i++)
			if (t->bk[bs[j]].slot[i] == v)
				__atomic_store_n(&t->bk[bs[j]].slot[i], 0, __ATOMIC_RELEASE);
	if (s->id)
		(void)rte_hash_del_key(t->ids, &s->id);
	s->state = FP_SS_DEAD;
	FP_INC(&fp_cnt[rte_lcore_id()], SESS_DELETED);
	fp_sess_cold(t, s)->free_after_tsc = now + rte_get_tsc_hz() / 1000 * FP_SESS_GRACE_MS;
	t->dead[(t->dead_head + t->dead_n) % t->cap] = (uint32_t)(s - t->s);
	t->dead_n++;
}

void fp_sess_reap(struct fp_sess_table *t, uint64_t now)
{
	/* FIFO in deletion order, so the grace deadlines are sorted. */
	while (t->dead_n) {
		uint32_t pos = t->dead[t->dead_head];
		struct fp_session *s = &t->s[pos];
		if (now < fp_sess_cold(t, s)->free_after_tsc)
			break;
		struct fp_sess_crypto *c = s->crypto;
		if (c) {
			if (c->have_tc) {
				tw_test_crypto_free(&c->tc);
				tw_test_crypto_free(&c->tc_rx);
			}
			if (c->have_sa) {
				tw_stamp_auth_free(&c->sa);
				tw_stamp_auth_free(&c->sa_rx);
			}
			s->crypto = NULL;
			c->next_free = t->crypto_free;
			t->crypto_free = c;
			t->crypto_used--;
		}
		s->state = FP_SS_FREE;
		t->free_pos[t->n_free++] = pos;
		t->n--;
		t->dead_head = (t->dead_head + 1) % t->cap;
		t->dead_n--;
	}
}
