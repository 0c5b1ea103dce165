/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_sess.h"

#include <errno.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "fp_counters.h"

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
	struct rte_hash_parameters hp = {
		.name = "fp_sessions",
		.entries = cap,
		.key_len = sizeof(struct fp_key),
		/* CRC32C (SSE4.2 / ARMv8 instructions, software fallback):
		 * 6 instructions for the 48-octet key instead of jhash's
		 * ~25 ns; the key is not attacker-chosen beyond the 5-tuple. */
		.hash_func = rte_hash_crc,
		.hash_func_init_val = 0x7a3d1e55,
		.socket_id = socket,
		/* Readers on every lcore, one writer (main lcore): lock-free
		 * lookups; positions are not recycled on delete so a slot
		 * stays valid for in-flight readers (freed after a grace). */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_NO_FREE_ON_DEL,
	};
	t->h = rte_hash_create(&hp);
	if (!t->h)
		return -rte_errno;
	t->cap = cap;
	t->n = 0;
	t->s = rte_zmalloc_socket("fp_sessions", sizeof(struct fp_session) * cap,
				  RTE_CACHE_LINE_SIZE, socket);
	t->c = rte_zmalloc_socket("fp_sess_cold", sizeof(struct fp_sess_cold) * cap,
				  RTE_CACHE_LINE_SIZE, socket);
	t->dead = rte_zmalloc_socket("fp_sess_dead", sizeof(uint32_t) * cap, 0, socket);
	t->fu = rte_zmalloc_socket("fp_sess_fu", sizeof(struct fp_fu) * cap, 0, socket);
	t->socket = socket;
	t->crypto_free = NULL;
	t->crypto_n = t->crypto_used = 0;
	/* Ids are looked up by control-rate commands only (never per
	 * packet), but a linear scan made adding 100k sessions quadratic. */
	struct rte_hash_parameters ip = {
		.name = "fp_sess_ids",
		.entries = cap,
		.key_len = sizeof(uint32_t),
		.hash_func = rte_jhash,
		.hash_func_init_val = 0x1d5e55,
		.socket_id = socket,
	};
	t->ids = rte_hash_create(&ip);
	if (!t->s || !t->c || !t->dead || !t->fu || !t->ids)
		return -ENOMEM;
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

struct fp_session *fp_sess_add(struct fp_sess_table *t, const struct fp_key *k, int *err)
{
	if (rte_hash_lookup(t->h, k) >= 0) {
		*err = -EEXIST;
		return NULL;
	}
	int32_t pos = rte_hash_add_key(t->h, k);
	if (pos < 0) {
		*err = pos;
		return NULL;
	}
	struct fp_session *s = &t->s[pos];
	if (s->state != FP_SS_FREE) {
		/* cannot happen: NO_FREE_ON_DEL keeps the position until reap */
		*err = -EBUSY;
		return NULL;
	}
	memset(s, 0, sizeof(*s));
	memset(fp_sess_cold(t, s), 0, sizeof(struct fp_sess_cold));
	memset(fp_sess_fu(t, s), 0, sizeof(struct fp_fu));
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
	void *key;
	int32_t pos = (int32_t)(s - t->s);
	if (rte_hash_get_key_with_position(t->h, pos, &key) == 0) {
		struct fp_key k;
		memcpy(&k, key, sizeof(k)); /* del_key must not read what it clears */
		(void)rte_hash_del_key(t->h, &k);
	}
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
		(void)rte_hash_free_key_with_position(t->h, (int32_t)pos);
		t->n--;
		t->dead_head = (t->dead_head + 1) % t->cap;
		t->dead_n--;
	}
}
