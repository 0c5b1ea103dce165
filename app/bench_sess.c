/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twinhop-sessbench: what the session lookup and the per-packet session
 * update cost per packet with 1 and with N sessions (issue 9 §5), two ways
 * side by side in one process, without the port, the generator or the
 * rest of the reflection around them:
 *
 *   fp_sess   the fast path's table (app/fp_sess.c): its own bucketized
 *             cuckoo index, hashed and the bucket prefetched as each key is
 *             added (fp_sess_burst_add), the session's two lines (state,
 *             key) prefetched in the burst lookup;
 *   rte_hash  the design before it: an rte_hash (CRC32C, lock-free
 *             readers, 48-octet keys in its key store) and a 64-octet state
 *             line per position, rte_hash_lookup_bulk on the burst's runs
 *             of one key, then the state lines prefetched.
 *
 * Each burst takes 32 keys in the order twinhop-benchgen sends them (flow
 * i = peer port 10000 + i % 50000, local port 5000 + i / 50000, visited
 * with the stride 40503), copies them to a stack array as the parser does,
 * looks them up, and for each packet reads the state as
 * fp_reflect_session() does and writes the sequence, counters and last Rx
 * time.  A round times BURSTS bursts of each case with the TSC; the cases
 * alternate within a round, their order alternating between rounds; the
 * figures are the median and the minimum over rounds of cycles per packet
 * (short rounds, many of them: on a shared machine a round the vCPU was
 * taken from only inflates that round, and the minimum is the round
 * nobody disturbed).
 *
 * A benchmark, not a test: the machine may be shared; compare the columns
 * of one invocation, and note the CPU model printed first.
 *
 * usage: twinhop-sessbench [EAL args] -- [--sessions N] [--rounds R] [--bursts B]
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "fp.h"
#include "fp_sess.h"

/* What app/main.c defines for twinhop-fp. */
struct fp_ctx fp;
struct fp_counters fp_cnt[RTE_MAX_LCORE];

#define BURST 32
#define CAP   131072u

/* The rte_hash design: one state line per hash position. */
struct old_sess {
	uint8_t state, role, layout, prot;
	uint32_t pad_len, seq, id;
	uint64_t last_rx_tsc, rx, drop, rx_octets;
	void *crypto;
} __rte_cache_aligned;

struct old_table {
	struct rte_hash *h;
	struct old_sess *s;
};

static void key_of(uint32_t i, struct fp_key *k)
{
	memset(k, 0, sizeof(*k));
	k->ipv = 4;
	k->local.a[0] = 198, k->local.a[1] = 18, k->local.a[3] = 2;
	k->peer.a[0] = 198, k->peer.a[1] = 18, k->peer.a[3] = 1;
	k->local_port = (uint16_t)(5000 + i / 50000);
	k->peer_port = (uint16_t)(10000 + i % 50000);
}

static int old_init(struct old_table *o, const char *name, uint32_t n)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = CAP,
		.key_len = sizeof(struct fp_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = 0x7a3d1e55,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_NO_FREE_ON_DEL,
	};
	o->h = rte_hash_create(&hp);
	o->s = rte_zmalloc("old_sess", sizeof(*o->s) * CAP, RTE_CACHE_LINE_SIZE);
	if (!o->h || !o->s)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		struct fp_key k;
		key_of(i, &k);
		int32_t p = rte_hash_add_key(o->h, &k);
		if (p < 0)
			return -1;
		o->s[p].state = FP_SS_ACTIVE;
		o->s[p].role = FP_ROLE_REFLECTOR;
		o->s[p].pad_len = 27;
	}
	return 0;
}

static int new_init(struct fp_sess_table *t, uint32_t n)
{
	if (fp_sess_table_init(t, CAP, (int)rte_socket_id()) != 0)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		struct fp_key k;
		int err;
		key_of(i, &k);
		struct fp_session *s = fp_sess_add(t, &k, &err);
		if (!s)
			return -1;
		s->state = FP_SS_ACTIVE;
		s->role = FP_ROLE_REFLECTOR;
		s->pad_len = 27;
	}
	return 0;
}

/* The per-packet session work of fp_reflect_session() on an open session. */
#define TOUCH(s, len, now, bad)                                                                    \
	do {                                                                                       \
		if ((s) == NULL || (s)->state != FP_SS_ACTIVE || (s)->role != FP_ROLE_REFLECTOR ||  \
		    (len) < 14 + (s)->pad_len) {                                                   \
			(bad)++;                                                                   \
			break;                                                                     \
		}                                                                                  \
		(s)->seq++;                                                                        \
		(s)->rx++;                                                                         \
		(s)->rx_octets += (len);                                                           \
		(s)->last_rx_tsc = (now);                                                          \
	} while (0)

/* The keys of the next burst, as the parser leaves them (fp_lcore_rx_burst
 * parses the whole burst before the lookup starts). */
static void next_keys(struct fp_key *kb, uint32_t n, uint32_t *fi)
{
	for (unsigned j = 0; j < BURST; j++) {
		key_of(*fi, &kb[j]);
		*fi += 40503u % n;
		if (*fi >= n)
			*fi -= n;
	}
}

static uint64_t run_new(struct fp_sess_table *t, uint32_t n, uint32_t *fi, unsigned bursts,
			uint64_t *bad)
{
	struct fp_key kb[BURST];
	struct fp_session *out[BURST];
	uint64_t t0 = rte_rdtsc();
	for (unsigned b = 0; b < bursts; b++) {
		struct fp_sess_burst sb;
		fp_sess_burst_init(&sb);
		next_keys(kb, n, fi);
		for (unsigned j = 0; j < BURST; j++)
			fp_sess_burst_add(t, &sb, &kb[j]);
		fp_sess_burst_lookup(t, &sb, out);
		for (unsigned j = 0; j < BURST; j++)
			TOUCH(out[j], 68u, t0, *bad);
	}
	return rte_rdtsc() - t0;
}

static uint64_t run_old(struct old_table *o, uint32_t n, uint32_t *fi, unsigned bursts,
			uint64_t *bad)
{
	struct fp_key kb[BURST];
	const struct fp_key *uk[BURST];
	int32_t pos[BURST];
	uint8_t map[BURST];
	uint64_t t0 = rte_rdtsc();
	for (unsigned b = 0; b < bursts; b++) {
		unsigned nu = 0;
		next_keys(kb, n, fi);
		for (unsigned j = 0; j < BURST; j++) {
			if (nu == 0 || !fp_key_eq(&kb[j], uk[nu - 1]))
				uk[nu++] = &kb[j];
			map[j] = (uint8_t)(nu - 1);
		}
		rte_hash_lookup_bulk(o->h, (const void **)uk, nu, pos);
		for (unsigned i = 0; i < nu; i++)
			if (pos[i] >= 0)
				rte_prefetch0(&o->s[pos[i]]);
		for (unsigned j = 0; j < BURST; j++) {
			int32_t p = pos[map[j]];
			struct old_sess *s = p >= 0 ? &o->s[p] : NULL;
			TOUCH(s, 68u, t0, *bad);
		}
	}
	return rte_rdtsc() - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int k = rte_eal_init(argc, argv);
	if (k < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	argc -= k;
	argv += k;
	uint32_t n = 100000;
	unsigned rounds = 31, bursts = 2000;
	static const struct option lo[] = {{"sessions", 1, 0, 'n'},
					   {"rounds", 1, 0, 'r'},
					   {"bursts", 1, 0, 'b'},
					   {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n': n = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'r': rounds = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'b': bursts = (unsigned)strtoul(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	if (n < 1 || n > CAP || rounds < 1 || rounds > 99 || bursts < 1)
		return 2;
	static struct fp_sess_table t1, tn;
	static struct old_table o1, on;
	if (new_init(&t1, 1) || new_init(&tn, n) || old_init(&o1, "sb_old1", 1) ||
	    old_init(&on, "sb_oldn", n)) {
		fprintf(stderr, "table set-up failed\n");
		return 1;
	}
	printf("twinhop-sessbench: %u bursts of %u per round, %u rounds, 1 vs %u sessions; "
	       "fp_sess %zu octets per entry, index %u buckets\n",
	       bursts, BURST, rounds, n, sizeof(struct fp_session), tn.bmask + 1);
	/* cases: 0 fp_sess 1, 1 rte_hash 1, 2 fp_sess N, 3 rte_hash N */
	static uint64_t cyc[4][99];
	uint32_t fi[4] = {0, 0, 0, 0};
	uint64_t bad = 0;
	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned q = 0; q < 4; q++) {
			unsigned cs = r & 1 ? 3 - q : q;
			uint64_t d;
			switch (cs) {
			case 0: d = run_new(&t1, 1, &fi[0], bursts, &bad); break;
			case 1: d = run_old(&o1, 1, &fi[1], bursts, &bad); break;
			case 2: d = run_new(&tn, n, &fi[2], bursts, &bad); break;
			default: d = run_old(&on, n, &fi[3], bursts, &bad); break;
			}
			cyc[cs][r] = d;
		}
	}
	static const char *name[4] = {"fp_sess", "rte_hash", "fp_sess", "rte_hash"};
	double med[4], mn[4];
	for (unsigned cs = 0; cs < 4; cs++) {
		uint64_t v[99];
		memcpy(v, cyc[cs], sizeof(v[0]) * rounds);
		qsort(v, rounds, sizeof(v[0]), cmp_u64);
		med[cs] = (double)v[rounds / 2] / ((double)bursts * BURST);
		mn[cs] = (double)v[0] / ((double)bursts * BURST);
		printf("%-9s %6u sessions  median %7.1f  min %7.1f cyc/pkt  [quartiles %.1f %.1f]\n",
		       name[cs], cs < 2 ? 1 : n, med[cs], mn[cs],
		       (double)v[rounds / 4] / ((double)bursts * BURST),
		       (double)v[rounds * 3 / 4] / ((double)bursts * BURST));
	}
	printf("median: fp_sess %u sessions cost %.1f cycles/packet more than 1, rte_hash %.1f more; "
	       "rte_hash / fp_sess at %u: %.2f, at 1: %.2f\n",
	       n, med[2] - med[0], med[3] - med[1], n, med[3] / med[2], med[1] / med[0]);
	printf("min:    fp_sess %u sessions cost %.1f cycles/packet more than 1, rte_hash %.1f more; "
	       "rte_hash / fp_sess at %u: %.2f, at 1: %.2f\n",
	       n, mn[2] - mn[0], mn[3] - mn[1], n, mn[3] / mn[2], mn[1] / mn[0]);
	if (bad) {
		printf("FAILED: %" PRIu64 " lookups did not find their session\n", bad);
		return 1;
	}
	rte_eal_cleanup();
	return 0;
}
