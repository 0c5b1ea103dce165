/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast path's session table (app/fp_sess.c, issue 9 §5): its own
 * bucketized cuckoo index, run with EAL (--no-huge) on the real code.
 *
 *  - 131,072 sessions in a table of 131,072 (the index full to its design
 *    load), IPv4 and IPv6 keys: every add succeeds, one more is refused
 *    (-ENOSPC), a duplicate is refused (-EEXIST);
 *  - the burst lookup (fp_sess_lookup_bulk) finds every key in bursts of
 *    32 that mix runs of one key, unknown keys and keys of both families,
 *    and returns NULL for the unknown ones;
 *  - in a small table, a key whose two buckets are full makes the add
 *    move an entry to its other bucket (cuckoo): every key is still found,
 *    by the burst and by the one-key lookup;
 *  - deleted keys are not found, their entries come back only after the
 *    grace period (fp_sess_reap), and re-added keys are found again;
 *  - the memory per session measured at init is at least the fixed figure
 *    computed from the sizes (FP_SESS_FIXED_BYTES, docs/fastpath.md).
 * The index seed is fixed after init, so every run builds the same table.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "../../app/fp.h"
#include "../../app/fp_sess.h"
#include "../unit/tw_unit.h"
#include "twt_eal.h"

/* What app/main.c defines for twinhop-fp. */
struct fp_ctx fp;
struct fp_counters fp_cnt[RTE_MAX_LCORE];

#define BIG 131072u

static struct fp_sess_table big, small;

/* Key number i: IPv4 for even i, IPv6 for odd i, ports as
 * tools/bench-sessions.sh spreads them. */
static void key_of(uint32_t i, struct fp_key *k)
{
	memset(k, 0, sizeof(*k));
	k->ipv = i & 1 ? 6 : 4;
	if (k->ipv == 4) {
		k->local.a[0] = 198, k->local.a[1] = 18, k->local.a[3] = 2;
		k->peer.a[0] = 198, k->peer.a[1] = 18, k->peer.a[3] = 1;
	} else {
		k->local.a[0] = 0x20, k->local.a[1] = 0x01, k->local.a[15] = 2;
		k->peer.a[0] = 0x20, k->peer.a[1] = 0x01, k->peer.a[15] = 1;
		k->peer.a[8] = (uint8_t)(i >> 24);
	}
	k->local_port = (uint16_t)(5000 + (i >> 1) / 50000);
	k->peer_port = (uint16_t)(10000 + (i >> 1) % 50000);
}

/* Look up keys first..first+n-1 (stride apart, wrapping at total) in bursts
 * of 32, every fourth one preceded by an unknown key and every eighth one
 * repeated; count wrong answers. */
static unsigned check_bulk(struct fp_sess_table *t, uint32_t total, uint32_t stride,
			   const bool *gone)
{
	static struct fp_key kb[32];
	const struct fp_key *kp[32];
	struct fp_session *out[32];
	int32_t want[32]; /* key number, -1 = unknown */
	unsigned bad = 0, nb = 0;
	uint32_t idx = 0;
	for (uint32_t done = 0; done < total;) {
		if (done % 4 == 0 && nb < 32) {
			key_of(total + done, &kb[nb]); /* never added */
			kb[nb].local.a[2] = 0x77; /* no added key has it */
			want[nb++] = -1;
		}
		if (nb < 32) {
			key_of(idx, &kb[nb]);
			want[nb++] = gone && gone[idx] ? -1 : (int32_t)idx;
		}
		if (done % 8 == 0 && nb < 32) {
			kb[nb] = kb[nb - 1];
			want[nb] = want[nb - 1];
			nb++;
		}
		done++;
		idx = (idx + stride) % total;
		if (nb == 32 || done == total) {
			for (unsigned j = 0; j < nb; j++)
				kp[j] = &kb[j];
			fp_sess_lookup_bulk(t, kp, nb, out);
			for (unsigned j = 0; j < nb; j++) {
				if (want[j] < 0) {
					bad += out[j] != NULL;
					continue;
				}
				struct fp_key k;
				key_of((uint32_t)want[j], &k);
				bad += !out[j] || !fp_key_eq(&out[j]->key, &k) ||
				       out[j]->id != (uint32_t)want[j] + 1;
			}
			nb = 0;
		}
	}
	return bad;
}

static void test_full_table(void)
{
	unsigned failed = 0;
	for (uint32_t i = 0; i < BIG; i++) {
		struct fp_key k;
		int err = 0;
		key_of(i, &k);
		struct fp_session *s = fp_sess_add(&big, &k, &err);
		if (!s) {
			failed++;
			continue;
		}
		s->id = i + 1;
	}
	CU_ASSERT_EQUAL(failed, 0);
	CU_ASSERT_EQUAL(big.n, BIG);
	struct fp_key k;
	int err = 0;
	key_of(BIG + 7, &k);
	CU_ASSERT_PTR_NULL(fp_sess_add(&big, &k, &err));
	CU_ASSERT_EQUAL(err, -ENOSPC);
	/* burst lookups: in order, and with a large stride (unrelated keys) */
	CU_ASSERT_EQUAL(check_bulk(&big, BIG, 1, NULL), 0);
	CU_ASSERT_EQUAL(check_bulk(&big, BIG, 40503, NULL), 0);
	printf("\n  %u sessions: %u cuckoo moves, %zu octets per session measured, %.1f fixed\n",
	       BIG, big.moves, fp_sess_bytes_per_slot, (double)FP_SESS_FIXED_BYTES(BIG));
	CU_ASSERT(fp_sess_bytes_per_slot >= (size_t)FP_SESS_FIXED_BYTES(BIG));
}

static void test_duplicate(void)
{
	struct fp_key k;
	int err = 0;
	key_of(12345, &k);
	/* the table is full: a duplicate is still named as such */
	CU_ASSERT_PTR_NULL(fp_sess_add(&big, &k, &err));
	CU_ASSERT_EQUAL(err, -EEXIST);
	struct fp_session *s = fp_sess_lookup(&big, &k, fp_sess_hash(&big, &k));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->id, 12346);
}

static void test_delete_reap_readd(void)
{
	static bool gone[BIG];
	uint64_t now = 1000;
	for (uint32_t i = 0; i < BIG; i += 3) {
		struct fp_key k;
		key_of(i, &k);
		struct fp_session *s = fp_sess_lookup(&big, &k, fp_sess_hash(&big, &k));
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		fp_sess_del(&big, s, now);
		gone[i] = true;
	}
	CU_ASSERT_EQUAL(check_bulk(&big, BIG, 40503, gone), 0);
	/* within the grace period the entries stay taken */
	fp_sess_reap(&big, now);
	CU_ASSERT_EQUAL(big.n, BIG);
	struct fp_key k;
	int err = 0;
	key_of(BIG + 7, &k);
	CU_ASSERT_PTR_NULL(fp_sess_add(&big, &k, &err));
	fp_sess_reap(&big, now + 3600 * rte_get_tsc_hz());
	CU_ASSERT_EQUAL(big.n, BIG - (BIG + 2) / 3);
	unsigned failed = 0;
	for (uint32_t i = 0; i < BIG; i += 3) {
		key_of(i, &k);
		struct fp_session *s = fp_sess_add(&big, &k, &err);
		if (!s) {
			failed++;
			continue;
		}
		s->id = i + 1;
	}
	CU_ASSERT_EQUAL(failed, 0);
	CU_ASSERT_EQUAL(check_bulk(&big, BIG, 40503, NULL), 0);
}

/* A key whose two buckets are full: fp_sess_add moves an entry of one of
 * them to that entry's other bucket.  In the 16 buckets of a 64-session
 * table: eight keys whose primary bucket is X, eight whose primary is Y,
 * then a key whose buckets are X and Y. */
static void test_cuckoo_moves(void)
{
	struct fp_sess_table *t = &small;
	struct fp_key k;
	uint32_t star = 0, nx = 0, ny = 0, added[17], na = 0;
	key_of(star, &k);
	uint32_t h = fp_sess_hash(t, &k);
	uint32_t x = fp_sess_b1(t, h), y = fp_sess_b2(t, h);
	for (uint32_t i = 1; i < 100000 && (nx < 8 || ny < 8); i++) {
		key_of(i, &k);
		uint32_t b = fp_sess_b1(t, fp_sess_hash(t, &k));
		if ((b == x && nx < 8) || (b == y && ny < 8)) {
			nx += b == x;
			ny += b == y;
			added[na++] = i;
		}
	}
	CU_ASSERT_EQUAL_FATAL(na, 16);
	added[na++] = star;
	unsigned failed = 0;
	for (uint32_t j = 0; j < na; j++) {
		int err = 0;
		key_of(added[j], &k);
		struct fp_session *s = fp_sess_add(t, &k, &err);
		if (!s) {
			failed++;
			continue;
		}
		s->id = added[j] + 1;
	}
	printf("\n  buckets %u and %u full, then a key of both: %u cuckoo moves, %u failed adds\n",
	       x, y, t->moves, failed);
	CU_ASSERT_EQUAL(failed, 0);
	CU_ASSERT(t->moves > 0);
	for (uint32_t j = 0; j < na; j++) {
		key_of(added[j], &k);
		const struct fp_key *kp = &k;
		struct fp_session *out = NULL;
		fp_sess_lookup_bulk(t, &kp, 1, &out);
		CU_ASSERT(out && out->id == added[j] + 1);
		CU_ASSERT(fp_sess_lookup(t, &k, fp_sess_hash(t, &k)) == out);
	}
}

/* The IPv4 key is hashed from its 13 varying octets only (fp_sess_hash):
 * each of them must still move the hash, and keys that differ in one
 * field only must spread over the buckets. */
static void test_hash_ipv4(void)
{
	struct fp_key k, v;
	key_of(0, &k);
	uint32_t h = fp_sess_hash(&big, &k);
	static const size_t off[] = {
	    offsetof(struct fp_key, local) + 0,  offsetof(struct fp_key, local) + 1,
	    offsetof(struct fp_key, local) + 2,  offsetof(struct fp_key, local) + 3,
	    offsetof(struct fp_key, peer) + 0,   offsetof(struct fp_key, peer) + 1,
	    offsetof(struct fp_key, peer) + 2,   offsetof(struct fp_key, peer) + 3,
	    offsetof(struct fp_key, local_port), offsetof(struct fp_key, local_port) + 1,
	    offsetof(struct fp_key, peer_port),  offsetof(struct fp_key, peer_port) + 1};
	unsigned same = 0;
	for (size_t i = 0; i < RTE_DIM(off); i++)
		for (unsigned bit = 0; bit < 8; bit++) {
			v = k;
			((uint8_t *)&v)[off[i]] ^= (uint8_t)(1u << bit);
			same += fp_sess_hash(&big, &v) == h;
		}
	CU_ASSERT_EQUAL(same, 0);
	/* 100,000 keys that differ only in the peer address, then only in the
	 * local address: the fullest primary bucket of 32,768 (a mean of 3.05) */
	static uint16_t cnt[2][1u << 15];
	unsigned maxc[2] = {0, 0};
	CU_ASSERT_EQUAL_FATAL(big.bmask + 1, RTE_DIM(cnt[0]));
	for (uint32_t i = 0; i < 100000; i++)
		for (unsigned w = 0; w < 2; w++) {
			key_of(0, &v);
			uint8_t *a = w ? v.local.a : v.peer.a;
			a[1] = (uint8_t)(i >> 16), a[2] = (uint8_t)(i >> 8), a[3] = (uint8_t)i;
			unsigned c = ++cnt[w][fp_sess_b1(&big, fp_sess_hash(&big, &v))];
			if (c > maxc[w])
				maxc[w] = c;
		}
	printf("\n  100000 IPv4 keys by peer address, by local address: fullest bucket %u, %u\n",
	       maxc[0], maxc[1]);
	CU_ASSERT(maxc[0] <= 16 && maxc[1] <= 16);
}

static int setup(void)
{
	char pfx[64];
	snprintf(pfx, sizeof(pfx), "--file-prefix=twh-sess-%d", (int)getpid());
	char *argv[] = {"test_fp_sess", "--no-huge", "-m", "512",		 "--no-pci",
			"-l",		"0",	     pfx,  "--log-level=*:warning", NULL};
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "test_fp_sess: EAL init failed: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	if (fp_sess_table_init(&big, BIG, 0) != 0 || fp_sess_table_init(&small, 64, 0) != 0)
		return -1;
	/* fixed seeds: the same index every run (the tables are empty) */
	big.seed = 0x5eed0001;
	small.seed = 0x5eed0003;
	return 0;
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (setup() != 0) {
		fprintf(stderr, "test_fp_sess: set-up failed\n");
		printf("TWRESULT fp_sess 0 1\n");
		return 1;
	}
	static const struct tw_unit_case cases[] = {
	    {"full_table", test_full_table},
	    {"duplicate", test_duplicate},
	    {"delete_reap_readd", test_delete_reap_readd},
	    {"cuckoo_moves", test_cuckoo_moves},
	    {"hash_ipv4", test_hash_ipv4},
	    {NULL, NULL},
	};
	if (tw_unit_suite("fp_sess", cases) != 0)
		return 1;
	int rc = tw_unit_run("fp_sess");
	twt_eal_cleanup();
	return rc;
}
