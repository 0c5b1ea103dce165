/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app/fp_peers.h, the stateful Light/STAMP peer table (issue 8 §5): floods
 * of distinct source ports never lock a legitimate peer out, its sequence
 * continues, max_peers is honoured, idle entries are reclaimed, and a
 * deleted listener's entries are forgotten.  Pure C: no EAL.
 */
#include <stdlib.h>

#include "../../app/fp_peers.h"
#include "../unit/tw_unit.h"

/* A 48-octet key like struct fp_key: addresses, ports, family. */
static void key(uint64_t k[6], uint32_t peer_ip, uint16_t peer_port, uint16_t local_port)
{
	memset(k, 0, 48);
	k[0] = 0x0100000au;            /* local 10.0.0.1 */
	k[2] = peer_ip;                 /* peer */
	k[4] = (uint64_t)local_port | (uint64_t)peer_port << 16 | 4ull << 32;
}

struct tbl {
	struct fp_peers t;
	struct fp_peer *e;
	uint32_t *b;
};

static void tbl_init(struct tbl *x, uint32_t cap)
{
	x->e = calloc(cap, sizeof(*x->e));
	x->b = calloc(fp_peers_nbuckets(cap), sizeof(*x->b));
	CU_ASSERT_FATAL(x->e && x->b);
	fp_peers_init(&x->t, x->e, x->b, cap, 0x1234567887654321ull);
}

static void tbl_free(struct tbl *x)
{
	free(x->e);
	free(x->b);
}

/* Reflector sequence a peer gets for its next packet. */
static uint32_t next_seq(struct fp_peers *t, const uint64_t *k, unsigned owner, uint32_t max,
			 uint64_t idle, uint64_t now)
{
	bool fresh;
	struct fp_peer *p = fp_peers_get(t, k, 0, owner, max, idle, now, &fresh);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	return p->seq++;
}

/* Walk one owner's list both ways: the links and the count agree. */
static void check_lists(const struct fp_peers *t)
{
	uint32_t total = 0;
	for (unsigned o = 0; o < FP_PEERS_OWNERS; o++) {
		uint32_t n = 0, prev = FP_PEERS_NONE;
		for (uint32_t i = t->own[o].head; i != FP_PEERS_NONE && n <= t->cap;
		     i = t->e[i].next) {
			CU_ASSERT_EQUAL(t->e[i].prev, prev);
			CU_ASSERT_EQUAL(t->e[i].owner, o);
			CU_ASSERT_TRUE(t->e[i].used);
			prev = i;
			n++;
		}
		CU_ASSERT_EQUAL(prev, t->own[o].tail);
		CU_ASSERT_EQUAL(n, t->own[o].n);
		total += n;
	}
	CU_ASSERT_EQUAL(total, t->n);
	CU_ASSERT_TRUE(t->n <= t->cap);
}

/* The acceptance case: 200,000 distinct source ports on one listener (the
 * old table filled for good at its size and answered DROP_SESSION_FULL);
 * a legitimate peer sending throughout keeps one sequence, 0, 1, 2, ... */
static void test_flood_keeps_legit_sequence(void)
{
	struct tbl x;
	tbl_init(&x, 4096);
	uint64_t legit[6], k[6];
	key(legit, 0x0200000au, 5555, 862);
	uint32_t want = 0, bad = 0, max_n = 0;
	uint64_t now = 1000;
	for (uint32_t i = 0; i < 200000; i++) {
		/* ports 1..65535 from four source addresses: all distinct */
		key(k, 0x0300000au + (i / 65535), (uint16_t)(1 + i % 65535), 862);
		bool fresh;
		CU_ASSERT_PTR_NOT_NULL_FATAL(
		    fp_peers_get(&x.t, k, 0, 0, 1024, 30ull * 1000000000ull, now++, &fresh));
		if (x.t.own[0].n > max_n)
			max_n = x.t.own[0].n;
		if (i % 500 == 0 && next_seq(&x.t, legit, 0, 1024, 30ull * 1000000000ull, now++) !=
				     want++)
			bad++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(want, 400);
	/* max_peers (1024) honoured, not the table's 4096 */
	CU_ASSERT_EQUAL(max_n, 1024);
	CU_ASSERT_EQUAL(x.t.own[0].n, 1024);
	CU_ASSERT_TRUE(x.t.evicted_lru >= 200000 - 1024);
	/* after the flood the legitimate peer carries on */
	CU_ASSERT_EQUAL(next_seq(&x.t, legit, 0, 1024, 30ull * 1000000000ull, now++), want);
	check_lists(&x.t);
	tbl_free(&x);
}

/* A flood that fills the whole table on one listener does not lock out a
 * peer of another listener, and then churns only its own entries. */
static void test_flood_other_listener(void)
{
	struct tbl x;
	tbl_init(&x, 512);
	uint64_t k[6], other[6];
	key(other, 0x0200000au, 7000, 863);
	uint64_t now = 1;
	for (uint32_t i = 0; i < 600; i++) {
		key(k, 0x0300000au, (uint16_t)(1 + i), 862);
		bool fresh;
		CU_ASSERT_PTR_NOT_NULL(fp_peers_get(&x.t, k, 0, 0, 0, 0, now++, &fresh));
	}
	CU_ASSERT_EQUAL(x.t.n, 512);
	CU_ASSERT_EQUAL(next_seq(&x.t, other, 1, 64, 0, now++), 0);
	for (uint32_t i = 0; i < 20000; i++) {
		key(k, 0x0300000au, (uint16_t)(1000 + i), 862);
		bool fresh;
		CU_ASSERT_PTR_NOT_NULL(fp_peers_get(&x.t, k, 0, 0, 0, 0, now++, &fresh));
	}
	CU_ASSERT_EQUAL(next_seq(&x.t, other, 1, 64, 0, now++), 1);
	CU_ASSERT_EQUAL(x.t.own[1].n, 1);
	check_lists(&x.t);
	tbl_free(&x);
}

/* A listener whose peers went quiet, or that holds most of the table,
 * gives entries to another listener's senders: two senders alternating on
 * a second listener keep their numbering (before, the second listener
 * recycled its own one entry, so they evicted each other on every packet,
 * while the first listener kept entries it no longer used). */
static void test_share_between_listeners(void)
{
	for (int idle = 0; idle < 2; idle++) {
		struct tbl x;
		tbl_init(&x, 64);
		uint64_t k[6], a[6], b[6];
		/* listener 0: 200 ports once (idle time 100 when idle = 1, none
		 * otherwise), then silence */
		for (uint32_t i = 0; i < 200; i++) {
			key(k, 0x0300000au, (uint16_t)(1 + i), 862);
			bool fresh;
			CU_ASSERT_PTR_NOT_NULL(
			    fp_peers_get(&x.t, k, 0, 0, 0, idle ? 100 : 0, 1 + i, &fresh));
		}
		CU_ASSERT_EQUAL(x.t.own[0].n, 64);
		key(a, 0x0200000au, 7000, 864);
		key(b, 0x0200000au, 7001, 864);
		uint64_t now = 10000, lru0 = x.t.evicted_lru, idle0 = x.t.evicted_idle;
		unsigned bad = 0;
		for (uint32_t n = 0; n < 20; n++) {
			if (next_seq(&x.t, a, 1, 0, 30, now++) != n)
				bad++;
			if (next_seq(&x.t, b, 1, 0, 30, now++) != n)
				bad++;
		}
		CU_ASSERT_EQUAL(bad, 0);
		CU_ASSERT_EQUAL(x.t.own[1].n, 2);
		CU_ASSERT_EQUAL(x.t.own[0].n, 62);
		/* idle entries are reclaimed as idle, busy ones from the largest */
		if (idle) {
			CU_ASSERT_EQUAL(x.t.evicted_idle - idle0, 2);
			CU_ASSERT_EQUAL(x.t.evicted_lru, lru0);
		} else {
			CU_ASSERT_EQUAL(x.t.evicted_lru - lru0, 2);
		}
		check_lists(&x.t);
		tbl_free(&x);
	}
}

/* Idle: a peer silent for longer than idle starts again at 0 (a new
 * sender, RFC 8762 §4.2), and idle entries are reclaimed first. */
static void test_idle(void)
{
	struct tbl x;
	tbl_init(&x, 64);
	uint64_t a[6], k[6];
	key(a, 0x0200000au, 1, 862);
	CU_ASSERT_EQUAL(next_seq(&x.t, a, 0, 8, 100, 1000), 0);
	CU_ASSERT_EQUAL(next_seq(&x.t, a, 0, 8, 100, 1050), 1);
	CU_ASSERT_EQUAL(next_seq(&x.t, a, 0, 8, 100, 1300), 0);
	/* 8 peers, then all idle: a newcomer takes an idle entry, no LRU eviction */
	for (uint16_t p = 10; p < 17; p++) {
		key(k, 0x0200000au, p, 862);
		(void)next_seq(&x.t, k, 0, 8, 100, 1300u + p);
	}
	CU_ASSERT_EQUAL(x.t.own[0].n, 8);
	uint64_t lru_before = x.t.evicted_lru;
	key(k, 0x0200000au, 99, 862);
	CU_ASSERT_EQUAL(next_seq(&x.t, k, 0, 8, 100, 5000), 0);
	CU_ASSERT_EQUAL(x.t.evicted_lru, lru_before);
	CU_ASSERT_EQUAL(x.t.evicted_idle, 1);
	CU_ASSERT_EQUAL(x.t.own[0].n, 8);
	check_lists(&x.t);
	tbl_free(&x);
}

/* What the reflector keeps in an entry (its next number and its count of
 * replies) survives while the peer keeps sending and starts again at 0
 * after an idle: the count 0 is what makes the reflector number the next
 * reply from the Sender Sequence Number (fp_reflector.c). */
static void test_count_restarts(void)
{
	struct tbl x;
	tbl_init(&x, 16);
	uint64_t a[6];
	key(a, 0x0200000au, 7, 862);
	bool fresh = false;
	struct fp_peer *p = fp_peers_get(&x.t, a, 0, 0, 8, 100, 1000, &fresh);
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT_TRUE(fresh);
	CU_ASSERT_EQUAL(p->rx, 0);
	CU_ASSERT_EQUAL(p->seq, 0);
	p->seq = 5001; /* first reply numbered 5000 from the sender's */
	p->rx = 2;
	p = fp_peers_get(&x.t, a, 0, 0, 8, 100, 1050, &fresh);
	CU_ASSERT_FALSE(fresh);
	CU_ASSERT_EQUAL(p->rx, 2);
	CU_ASSERT_EQUAL(p->seq, 5001);
	p = fp_peers_get(&x.t, a, 0, 0, 8, 100, 1300, &fresh);
	CU_ASSERT_TRUE(fresh);
	CU_ASSERT_EQUAL(p->rx, 0);
	CU_ASSERT_EQUAL(p->seq, 0);
	tbl_free(&x);
}

/* Peers that share a key are told apart by the tag (a STAMP listener's
 * SSID and micro-session, fp_reflector.c peer_tag): each has its own entry
 * and count, and tag 0 is the untagged key. */
static void test_tags(void)
{
	struct tbl x;
	tbl_init(&x, 16);
	uint64_t a[6];
	key(a, 0x0200000au, 7, 862);
	const uint64_t tags[] = {0, 1ull << 48 | 0x1234ull << 32, 2ull << 48 | 1ull << 16 | 7,
	                         2ull << 48 | 2ull << 16 | 8};
	bool fresh = false;
	for (unsigned i = 0; i < 4; i++) {
		struct fp_peer *p = fp_peers_get(&x.t, a, tags[i], 0, 0, 0, 1000 + i, &fresh);
		CU_ASSERT_FATAL(p != NULL);
		CU_ASSERT_TRUE(fresh);
		p->rx = 10 + i;
	}
	CU_ASSERT_EQUAL(x.t.n, 4);
	for (unsigned i = 0; i < 4; i++) {
		struct fp_peer *p = fp_peers_get(&x.t, a, tags[i], 0, 0, 0, 2000 + i, &fresh);
		CU_ASSERT_FALSE(fresh);
		CU_ASSERT_EQUAL(p->rx, 10 + i);
	}
	CU_ASSERT_EQUAL(x.t.n, 4);
	check_lists(&x.t);
	tbl_free(&x);
}

/* Fullest chain when `n` keys, from make(i), go into a table of 65,536
 * chains keyed from `seed`. */
static unsigned fullest(uint64_t seed, unsigned n, void (*make)(uint64_t k[6], unsigned i))
{
	static uint32_t count[65536];
	struct fp_peers t;
	struct fp_peer e[1];
	static uint32_t b[65536];
	fp_peers_init(&t, e, b, 1, seed);
	t.mask = 65535;
	memset(count, 0, sizeof(count));
	unsigned most = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t k[6];
		make(k, i);
		uint32_t c = ++count[fp_peers_hash(&t, k)];
		most = c > most ? c : most;
	}
	return most;
}

/* The ways a sender varies its key: the source port (with the address),
 * only the high half of a 32-bit key word (an NH product's low bits do not
 * see it: the sum must be mixed before its low bits pick the chain), and
 * the STAMP tag (SSID) in the last word. */
static void by_port(uint64_t k[6], unsigned i)
{
	key(k, 0x0200000au + (i >> 16), (uint16_t)i, 862);
}
static void by_high_half(uint64_t k[6], unsigned i)
{
	key(k, 0x0200000au, 7, 862);
	k[2] |= (uint64_t)i << 48; /* peer address octets 6-7 (an IPv6 peer) */
}
static void by_ssid(uint64_t k[6], unsigned i)
{
	key(k, 0x0200000au, 7, 862);
	k[5] = 1ull << 48 | (uint64_t)(i & 0xffff) << 32 | (i >> 16);
}

/* 65,536 keys in 65,536 chains: a random function puts at most 8 or 9 in
 * the fullest (the balls-into-bins maximum, ln n / ln ln n ~ 4.5 times
 * more than once is rare); a hash that ignored what varies would put all
 * of them in one.  Three seeds each. */
static void test_hash_spread(void)
{
	void (*const makes[])(uint64_t k[6], unsigned i) = {by_port, by_high_half, by_ssid};
	for (unsigned m = 0; m < 3; m++)
		for (uint64_t seed = 1; seed <= 3; seed++) {
			unsigned most = fullest(seed * 0x9e3779b97f4a7c15ull, 65536, makes[m]);
			CU_ASSERT_TRUE(most <= 12);
		}
	/* Another seed, another table: the same keys in other chains. */
	uint64_t k[6];
	key(k, 0x0200000au, 7, 862);
	struct fp_peers t1, t2;
	struct fp_peer e[1];
	uint32_t b1[1024], b2[1024];
	fp_peers_init(&t1, e, b1, 1, 1);
	fp_peers_init(&t2, e, b2, 1, 2);
	t1.mask = t2.mask = 1023;
	unsigned same = 0;
	for (uint16_t p = 0; p < 256; p++) {
		key(k, 0x0200000au, p, 862);
		same += fp_peers_hash(&t1, k) == fp_peers_hash(&t2, k);
	}
	CU_ASSERT_TRUE(same < 16); /* ~0.25 expected */
}

/* A deleted listener's slot reused by a new listener starts empty. */
static void test_flush_owner(void)
{
	struct tbl x;
	tbl_init(&x, 128);
	uint64_t k[6];
	for (uint16_t p = 1; p <= 100; p++) {
		key(k, 0x0200000au, p, 862);
		(void)next_seq(&x.t, k, 3, 0, 0, p);
		key(k, 0x0200000au, p, 863);
		(void)next_seq(&x.t, k, 4, 20, 0, p);
	}
	CU_ASSERT_EQUAL(x.t.own[3].n, 100);
	CU_ASSERT_EQUAL(x.t.own[4].n, 20);
	fp_peers_flush_owner(&x.t, 3);
	CU_ASSERT_EQUAL(x.t.own[3].n, 0);
	CU_ASSERT_EQUAL(x.t.n, 20);
	key(k, 0x0200000au, 5, 862);
	bool fresh = false;
	CU_ASSERT_PTR_NOT_NULL(fp_peers_get(&x.t, k, 0, 3, 0, 0, 500, &fresh));
	CU_ASSERT_TRUE(fresh);
	check_lists(&x.t);
	tbl_free(&x);
}

int main(void)
{
	static const struct tw_unit_case cases[] = {
	    {"200,000 source ports: legitimate sequence continues",
	     test_flood_keeps_legit_sequence},
	    {"count and number kept while sending, 0 after an idle", test_count_restarts},
	    {"flood on one listener spares another", test_flood_other_listener},
	    {"idle peers restart and are reclaimed first", test_idle},
	    {"quiet or largest listener gives entries to another", test_share_between_listeners},
	    {"peers sharing a key told apart by their tags", test_tags},
	    {"hash spreads ports, high key halves and tags; seed matters", test_hash_spread},
	    {"deleted listener's peers forgotten", test_flush_owner},
	    {NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS || tw_unit_suite("fp_peers", cases) != 0)
		return 1;
	return tw_unit_run("fp_peers");
}
