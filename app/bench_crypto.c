/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twinhop-cryptobench: what authenticated/encrypted reflection costs per
 * packet in crypto, three ways, side by side in one invocation (issue 9 §3):
 *
 *   openssl   lib/tw_crypto's one-packet functions (OpenSSL with precomputed
 *             HMAC states and re-used cipher contexts): the path before the
 *             burst engine, and its run-time fallback;
 *   ipsec-mb  lib/tw_crypto's burst engine on intel-ipsec-mb's multi-buffer
 *             job API (what twinhop-fp used before the lanes below, and
 *             still uses for STAMP's HMAC-SHA-256);
 *   sha-ni-lanes  the burst engine on lib/tw_shani for TWAMP (three SHA-1
 *             blocks side by side on SHA-NI; what twinhop-fp uses where the
 *             CPU has SHA-NI), intel-ipsec-mb for STAMP;
 *   cryptodev DPDK cryptodev with the crypto_ipsec_mb (aesni_mb) PMD:
 *             chained cipher+auth sessions, enqueue/dequeue bursts.
 *
 * Each case is the crypto of one reflected packet: verify the sender's
 * packet (decrypt, HMAC, compare) and protect the reply (HMAC, encrypt), for
 * TWAMP mode 2 (AES-ECB one block + HMAC-SHA1/128 over 16 octets), mode 4
 * (CBC 32 + HMAC over 32, then CBC 96 + HMAC over 96) and STAMP
 * authenticated (HMAC-SHA-256/128 over 96, both ways).  A burst of B packets
 * (default 32), each a different session, is timed with the TSC; every
 * round runs all implementations in turn (interleaved) and the figure is
 * the median over rounds of each round's median burst.  Every result code
 * is checked, so a number is never that of a failing path.
 *
 * A benchmark, not a test: the machine may be shared; compare the columns
 * of one invocation (the ratio), and note the CPU model printed first.
 *
 * usage: twinhop-cryptobench [--burst N] [--rounds N] [--bursts N] [--json]
 */
#define _GNU_SOURCE /* sched_getaffinity */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cryptodev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tw_crypto.h"

#define MAX_BURST 64
#define PKT_LEN   112 /* a reflector packet of modes 2/4 and STAMP auth */
#define IV_OFF    (sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))

enum impl { IMPL_OPENSSL, IMPL_MB, IMPL_MB_SIMD, IMPL_DEV, IMPL_SHANI, IMPL_N };
static const char *const impl_name[IMPL_N] = {"openssl", "ipsec-mb", "ipsec-mb-simd", "cryptodev",
					      "sha-ni-lanes"};

/* One case: verify with (v_enc, v_hmac), then protect with (p_enc, p_hmac);
 * enc 0 = STAMP (HMAC-SHA-256 over 0..95 at 96). */
struct bcase {
	const char *name;
	size_t v_enc, v_hmac, p_enc, p_hmac;
};
static const struct bcase cases[] = {
    {"twamp-mode2", 16, 32, 16, 96},
    {"twamp-mode4", 32, 32, 96, 96},
    {"stamp-auth", 0, 0, 0, 0},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static unsigned burst = 32, rounds = 7, bursts = 200;
static bool json;

static struct tw_test_crypto tc[MAX_BURST];
static struct tw_stamp_auth sa[MAX_BURST];
static uint8_t aes_key[MAX_BURST][16], hmac_key[MAX_BURST][32];
/* Sender packets, protected once by OpenSSL (the reference), copied into
 * the work buffers before every timed burst (outside the timing). */
static uint8_t tmpl[NCASES][MAX_BURST][PKT_LEN];
static uint8_t work[MAX_BURST][128];

/* ---- DPDK cryptodev --------------------------------------------------------- */

static struct {
	bool ok;
	char why[160];
	uint8_t id;
	struct rte_mempool *sess_mp, *op_mp, *mb_mp;
	void *vsess[NCASES][MAX_BURST], *psess[NCASES][MAX_BURST];
	struct rte_crypto_op *ops[MAX_BURST];
	struct rte_mbuf *m[MAX_BURST];
} dev;

static void *dev_session(const struct bcase *c, unsigned i, bool verify)
{
	struct rte_crypto_sym_xform ci = {0}, au = {0};
	size_t enc = verify ? c->v_enc : c->p_enc;

	au.type = RTE_CRYPTO_SYM_XFORM_AUTH;
	au.auth.op = verify ? RTE_CRYPTO_AUTH_OP_VERIFY : RTE_CRYPTO_AUTH_OP_GENERATE;
	au.auth.algo = enc ? RTE_CRYPTO_AUTH_SHA1_HMAC : RTE_CRYPTO_AUTH_SHA256_HMAC;
	au.auth.key.data = hmac_key[i];
	au.auth.key.length = 32;
	au.auth.digest_length = TW_CRYPTO_HMAC_LEN;
	if (!enc)
		return rte_cryptodev_sym_session_create(dev.id, &au, dev.sess_mp);
	ci.type = RTE_CRYPTO_SYM_XFORM_CIPHER;
	ci.cipher.op = verify ? RTE_CRYPTO_CIPHER_OP_DECRYPT : RTE_CRYPTO_CIPHER_OP_ENCRYPT;
	ci.cipher.algo = enc == 16 ? RTE_CRYPTO_CIPHER_AES_ECB : RTE_CRYPTO_CIPHER_AES_CBC;
	ci.cipher.key.data = aes_key[i];
	ci.cipher.key.length = 16;
	ci.cipher.iv.offset = IV_OFF;
	ci.cipher.iv.length = enc == 16 ? 0 : 16;
	/* §3.6: the HMAC covers the plaintext: decrypt then hash (verify),
	 * hash then encrypt (protect). */
	if (verify)
		ci.next = &au;
	else
		au.next = &ci;
	return rte_cryptodev_sym_session_create(dev.id, verify ? &ci : &au, dev.sess_mp);
}

static void dev_setup(void)
{
	int id = rte_cryptodev_get_dev_id("crypto_aesni_mb0");
	if (id < 0) {
		snprintf(dev.why, sizeof(dev.why), "no crypto_aesni_mb0 device (PMD not loaded?)");
		return;
	}
	dev.id = (uint8_t)id;
	struct rte_cryptodev_config conf = {.socket_id = (int)rte_socket_id(), .nb_queue_pairs = 1};
	unsigned n_sess = 2 * NCASES * MAX_BURST;
	dev.sess_mp = rte_cryptodev_sym_session_pool_create(
		"cb_sess", n_sess, rte_cryptodev_sym_get_private_session_size(dev.id), 0, 0,
		(int)rte_socket_id());
	dev.op_mp = rte_crypto_op_pool_create("cb_ops", RTE_CRYPTO_OP_TYPE_SYMMETRIC, 2 * MAX_BURST,
					      0, 16, (int)rte_socket_id());
	dev.mb_mp = rte_pktmbuf_pool_create("cb_mbuf", 2 * MAX_BURST, 0, 0, 2048,
					    (int)rte_socket_id());
	struct rte_cryptodev_qp_conf qp = {.nb_descriptors = 1024, .mp_session = dev.sess_mp};
	if (!dev.sess_mp || !dev.op_mp || !dev.mb_mp || rte_cryptodev_configure(dev.id, &conf) ||
	    rte_cryptodev_queue_pair_setup(dev.id, 0, &qp, (int)rte_socket_id()) ||
	    rte_cryptodev_start(dev.id)) {
		snprintf(dev.why, sizeof(dev.why), "cryptodev set-up failed: %s",
			 rte_strerror(rte_errno));
		return;
	}
	if (rte_crypto_op_bulk_alloc(dev.op_mp, RTE_CRYPTO_OP_TYPE_SYMMETRIC, dev.ops,
				     MAX_BURST) != MAX_BURST ||
	    rte_pktmbuf_alloc_bulk(dev.mb_mp, dev.m, MAX_BURST) != 0) {
		snprintf(dev.why, sizeof(dev.why), "cryptodev op/mbuf allocation failed");
		return;
	}
	for (unsigned c = 0; c < NCASES; c++)
		for (unsigned i = 0; i < MAX_BURST; i++) {
			dev.vsess[c][i] = dev_session(&cases[c], i, true);
			dev.psess[c][i] = dev_session(&cases[c], i, false);
			if (!dev.vsess[c][i] || !dev.psess[c][i]) {
				snprintf(dev.why, sizeof(dev.why),
					 "%s: session not supported by the PMD (%s)", cases[c].name,
					 rte_strerror(rte_errno));
				return;
			}
		}
	for (unsigned i = 0; i < MAX_BURST; i++) {
		uint8_t *iv = rte_crypto_op_ctod_offset(dev.ops[i], uint8_t *, IV_OFF);
		memset(iv, 0, 16);
		rte_pktmbuf_append(dev.m[i], 128);
	}
	dev.ok = true;
}

/* One enqueue/dequeue round trip of n ops; returns ops that failed. */
static unsigned dev_run(unsigned c, unsigned n, bool verify)
{
	const struct bcase *bc = &cases[c];
	size_t enc = verify ? bc->v_enc : bc->p_enc;
	size_t hoff = enc ? (verify ? bc->v_hmac : bc->p_hmac) : TW_STAMP_AUTH_HMAC_OFF;
	size_t cover = enc ? enc : TW_STAMP_AUTH_COVER_LEN;
	unsigned bad = 0;

	for (unsigned i = 0; i < n; i++) {
		struct rte_crypto_op *op = dev.ops[i];
		struct rte_crypto_sym_op *s = op->sym;
		op->status = RTE_CRYPTO_OP_STATUS_NOT_PROCESSED;
		rte_crypto_op_attach_sym_session(op, verify ? dev.vsess[c][i] : dev.psess[c][i]);
		s->m_src = dev.m[i];
		s->m_dst = NULL;
		s->cipher.data.offset = 0;
		s->cipher.data.length = (uint32_t)enc;
		s->auth.data.offset = 0;
		s->auth.data.length = (uint32_t)cover;
		s->auth.digest.data = rte_pktmbuf_mtod_offset(dev.m[i], uint8_t *, hoff);
		s->auth.digest.phys_addr = rte_pktmbuf_iova_offset(dev.m[i], hoff);
	}
	unsigned sent = rte_cryptodev_enqueue_burst(dev.id, 0, dev.ops, (uint16_t)n);
	unsigned got = 0;
	struct rte_crypto_op *out[MAX_BURST];
	while (got < sent) {
		unsigned k = rte_cryptodev_dequeue_burst(dev.id, 0, out, (uint16_t)(sent - got));
		for (unsigned i = 0; i < k; i++)
			bad += out[i]->status != RTE_CRYPTO_OP_STATUS_SUCCESS;
		got += k;
	}
	return bad + (n - sent);
}

/* ---- Timing ------------------------------------------------------------------- */

static struct tw_crypto_engine *eng[IMPL_N];

static void load(unsigned c, unsigned n, bool to_dev)
{
	for (unsigned i = 0; i < n; i++) {
		if (to_dev)
			memcpy(rte_pktmbuf_mtod(dev.m[i], uint8_t *), tmpl[c][i], PKT_LEN);
		else
			memcpy(work[i], tmpl[c][i], PKT_LEN);
	}
}

/* One burst of case c on implementation x: cycles, and failures in *bad. */
static uint64_t one_burst(unsigned c, enum impl x, unsigned *bad)
{
	const struct bcase *bc = &cases[c];
	struct tw_crypto_op ops[MAX_BURST];
	uint64_t t0, t1;

	load(c, burst, x == IMPL_DEV);
	if (x == IMPL_DEV) {
		t0 = rte_rdtsc_precise();
		*bad += dev_run(c, burst, true);
		*bad += dev_run(c, burst, false);
		t1 = rte_rdtsc_precise();
		return t1 - t0;
	}
	t0 = rte_rdtsc_precise();
	for (unsigned i = 0; i < burst; i++)
		ops[i] = (struct tw_crypto_op){bc->v_enc ? &tc[i] : NULL, bc->v_enc ? NULL : &sa[i],
					       work[i],  PKT_LEN,
					       bc->v_enc, bc->v_hmac,
					       TW_E_ARG};
	tw_crypto_verify_burst(eng[x], ops, burst);
	for (unsigned i = 0; i < burst; i++) {
		*bad += ops[i].rc != TW_OK;
		ops[i].enc_len = bc->p_enc;
		ops[i].hmac_off = bc->p_hmac;
	}
	tw_crypto_protect_burst(eng[x], ops, burst);
	t1 = rte_rdtsc_precise();
	for (unsigned i = 0; i < burst; i++)
		*bad += ops[i].rc != TW_OK;
	return t1 - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

static void cpu_info(char *model, size_t mlen, char *flags, size_t flen)
{
	static const char *const want[] = {"aes",     "vaes",     "pclmulqdq", "vpclmulqdq",
					   "sha_ni",  "avx2",     "avx512f",   "avx512bw",
					   "avx512vl", "gfni",    NULL};
	char line[8192];
	FILE *f = fopen("/proc/cpuinfo", "r");
	snprintf(model, mlen, "?");
	flags[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');
		if (!v)
			continue;
		v += 2;
		v[strcspn(v, "\n")] = 0;
		if (!strncmp(line, "model name", 10))
			snprintf(model, mlen, "%s", v);
		if (!strncmp(line, "flags", 5) && !flags[0]) {
			size_t o = 0;
			for (unsigned i = 0; want[i]; i++) {
				char pat[32];
				snprintf(pat, sizeof(pat), " %s ", want[i]);
				char padded[8200];
				snprintf(padded, sizeof(padded), " %s ", v);
				o += (size_t)snprintf(flags + o, flen - o, "%s%s%s", o ? " " : "",
						      strstr(padded, pat) ? "" : "-", want[i]);
				if (o >= flen)
					break;
			}
			break;
		}
	}
	fclose(f);
}

static void usage(const char *p)
{
	fprintf(stderr,
		"usage: %s [--burst N (1..%d, default 32)] [--rounds N (default 7)]\n"
		"          [--bursts N per round (default 200)] [--json]\n"
		"Runs its own EAL (--no-huge --no-pci --vdev crypto_aesni_mb0).\n",
		p, MAX_BURST);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"burst", 1, 0, 'b'}, {"rounds", 1, 0, 'r'},
					   {"bursts", 1, 0, 'n'}, {"json", 0, 0, 'j'},
					   {"help", 0, 0, 'h'},   {0, 0, 0, 0}};
	int o;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'b': burst = (unsigned)atoi(optarg); break;
		case 'r': rounds = (unsigned)atoi(optarg); break;
		case 'n': bursts = (unsigned)atoi(optarg); break;
		case 'j': json = true; break;
		default: usage(argv[0]); return o == 'h' ? 0 : 2;
		}
	}
	if (burst < 1 || burst > MAX_BURST || rounds < 1 || rounds > 1000 || bursts < 1 ||
	    bursts > 100000) {
		usage(argv[0]);
		return 2;
	}
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=twh-cb%d", (int)getpid());
	char *eal[] = {argv[0], "--no-huge", "-m", "128", "--no-pci", "--log-level=error",
		       "--vdev", "crypto_aesni_mb0", "-l", "0", prefix, NULL};
	/* the one lcore: whatever CPU this process may run on */
	char lcore[16];
	cpu_set_t cs;
	if (sched_getaffinity(0, sizeof(cs), &cs) == 0)
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &cs)) {
				snprintf(lcore, sizeof(lcore), "%d", c);
				eal[9] = lcore;
				break;
			}
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}

	for (unsigned i = 0; i < MAX_BURST; i++) {
		if (tw_crypto_random(aes_key[i], 16) != TW_OK ||
		    tw_crypto_random(hmac_key[i], 32) != TW_OK ||
		    tw_test_crypto_init(&tc[i], aes_key[i], hmac_key[i]) != TW_OK ||
		    tw_stamp_auth_init(&sa[i], hmac_key[i], 32) != TW_OK) {
			fprintf(stderr, "key set-up failed\n");
			return 1;
		}
	}
	/* Sender packets as a peer would send them (OpenSSL, the reference). */
	for (unsigned c = 0; c < NCASES; c++)
		for (unsigned i = 0; i < MAX_BURST; i++) {
			uint8_t *p = tmpl[c][i];
			if (tw_crypto_random(p, PKT_LEN) != TW_OK)
				return 1;
			enum tw_err e = cases[c].v_enc
						? tw_test_protect(&tc[i], p, PKT_LEN, cases[c].v_enc,
								  cases[c].v_hmac)
						: tw_stamp_auth_sign(&sa[i], p, PKT_LEN);
			if (e != TW_OK)
				return 1;
		}
	eng[IMPL_OPENSSL] = tw_crypto_engine_new(TW_CRYPTO_IMPL_OPENSSL);
	eng[IMPL_MB] = tw_crypto_engine_new(TW_CRYPTO_IMPL_IPSEC_MB);
	eng[IMPL_MB_SIMD] = tw_crypto_engine_new(TW_CRYPTO_IMPL_IPSEC_MB_SIMD);
	eng[IMPL_SHANI] = tw_crypto_engine_new(TW_CRYPTO_IMPL_SHANI);
	dev_setup();

	char model[128], flags[256];
	cpu_info(model, sizeof(model), flags, sizeof(flags));
	double ghz = (double)rte_get_tsc_hz() / 1e9;
	bool have[IMPL_N] = {eng[IMPL_OPENSSL] != NULL, eng[IMPL_MB] != NULL,
			     eng[IMPL_MB_SIMD] != NULL, dev.ok, eng[IMPL_SHANI] != NULL};
	const char *why[IMPL_N] = {"", "intel-ipsec-mb not built in or no AES-NI",
				   "intel-ipsec-mb not built in or no AES-NI", dev.why,
				   "no SHA-NI/AES-NI on this CPU"};
	if (!json) {
		printf("twinhop-cryptobench: crypto per reflected packet (verify + protect), "
		       "burst %u, %u sessions, median of %u rounds x %u bursts\n",
		       burst, burst, rounds, bursts);
		printf("cpu: %s, TSC %.3f GHz\n", model, ghz);
		printf("cpu flags: %s\n", flags);
		printf("openssl: %s\n", tw_crypto_engine_name(eng[IMPL_OPENSSL]));
		printf("ipsec-mb: %s\n",
		       have[IMPL_MB] ? tw_crypto_engine_name(eng[IMPL_MB]) : why[IMPL_MB]);
		printf("sha-ni-lanes: %s\n",
		       have[IMPL_SHANI] ? tw_crypto_engine_name(eng[IMPL_SHANI]) : why[IMPL_SHANI]);
		{
			struct tw_crypto_engine *a = tw_crypto_engine_new(TW_CRYPTO_IMPL_AUTO);
			printf("twinhop-fp --crypto auto uses: %s\n", tw_crypto_engine_name(a));
			tw_crypto_engine_free(a);
		}
		printf("ipsec-mb-simd: %s\n", have[IMPL_MB_SIMD]
							 ? tw_crypto_engine_name(eng[IMPL_MB_SIMD])
							 : why[IMPL_MB_SIMD]);
		if (have[IMPL_DEV]) {
			struct rte_cryptodev_info di;
			rte_cryptodev_info_get(dev.id, &di);
			printf("cryptodev: %s (%s)\n", rte_cryptodev_name_get(dev.id),
			       di.driver_name);
		} else {
			printf("cryptodev: %s\n", dev.why);
		}
	}

	/* Warm-up, and correctness: every implementation verifies OpenSSL's
	 * packets and its own protect passes (checked through bad). */
	uint64_t res[NCASES][IMPL_N];
	unsigned bad[NCASES][IMPL_N] = {{0}};
	uint64_t *per_round = calloc((size_t)rounds * NCASES * IMPL_N, sizeof(uint64_t));
	uint64_t *samp = calloc(bursts, sizeof(uint64_t));
	if (!per_round || !samp)
		return 1;
	for (unsigned c = 0; c < NCASES; c++)
		for (unsigned x = 0; x < IMPL_N; x++)
			if (have[x])
				for (unsigned k = 0; k < 20; k++)
					(void)one_burst(c, (enum impl)x, &bad[c][x]);
	for (unsigned r = 0; r < rounds; r++)
		for (unsigned c = 0; c < NCASES; c++)
			for (unsigned x = 0; x < IMPL_N; x++) {
				if (!have[x])
					continue;
				for (unsigned k = 0; k < bursts; k++)
					samp[k] = one_burst(c, (enum impl)x, &bad[c][x]);
				per_round[(r * NCASES + c) * IMPL_N + x] = median(samp, bursts);
			}
	for (unsigned c = 0; c < NCASES; c++)
		for (unsigned x = 0; x < IMPL_N; x++) {
			uint64_t v[1000];
			for (unsigned r = 0; r < rounds; r++)
				v[r] = per_round[(r * NCASES + c) * IMPL_N + x];
			res[c][x] = have[x] ? median(v, rounds) : 0;
		}

	if (json) {
		printf("{\"cpu\":\"%s\",\"cpu_flags\":\"%s\",\"tsc_ghz\":%.3f,\"burst\":%u,"
		       "\"rounds\":%u,\"openssl\":\"%s\",\"ipsec_mb\":\"%s\","
		       "\"ipsec_mb_simd\":\"%s\",\"sha_ni_lanes\":\"%s\",\"results\":[",
		       model, flags, ghz, burst, rounds, tw_crypto_engine_name(eng[IMPL_OPENSSL]),
		       have[IMPL_MB] ? tw_crypto_engine_name(eng[IMPL_MB]) : "",
		       have[IMPL_MB_SIMD] ? tw_crypto_engine_name(eng[IMPL_MB_SIMD]) : "",
		       have[IMPL_SHANI] ? tw_crypto_engine_name(eng[IMPL_SHANI]) : "");
		for (unsigned c = 0; c < NCASES; c++)
			for (unsigned x = 0; x < IMPL_N; x++) {
				double cyc = (double)res[c][x] / burst;
				printf("%s{\"case\":\"%s\",\"impl\":\"%s\",\"available\":%s", c + x ? "," : "",
				       cases[c].name, impl_name[x], have[x] ? "true" : "false");
				if (have[x])
					printf(",\"cycles_per_pkt\":%.1f,\"ns_per_pkt\":%.1f,"
					       "\"vs_openssl\":%.3f,\"failures\":%u",
					       cyc, cyc / ghz,
					       (double)res[c][IMPL_OPENSSL] / (double)res[c][x],
					       bad[c][x]);
				printf("}");
			}
		printf("]}\n");
	} else {
		printf("\n%-12s %-13s %11s %8s %9s %9s\n", "case", "impl", "cycles/pkt", "ns/pkt",
		       "speed-up", "failures");
		for (unsigned c = 0; c < NCASES; c++)
			for (unsigned x = 0; x < IMPL_N; x++) {
				if (!have[x]) {
					printf("%-12s %-13s %11s\n", cases[c].name, impl_name[x], "n/a");
					continue;
				}
				double cyc = (double)res[c][x] / burst;
				printf("%-12s %-13s %11.1f %8.1f %8.2fx %9u\n", cases[c].name,
				       impl_name[x], cyc, cyc / ghz,
				       (double)res[c][IMPL_OPENSSL] / (double)res[c][x], bad[c][x]);
			}
		printf("(speed-up: openssl's cycles / this row's; failures must be 0)\n");
	}
	unsigned total_bad = 0;
	for (unsigned c = 0; c < NCASES; c++)
		for (unsigned x = 0; x < IMPL_N; x++)
			total_bad += bad[c][x];
	free(per_round);
	free(samp);
	for (unsigned x = 0; x < IMPL_N; x++)
		tw_crypto_engine_free(eng[x]);
	if (dev.ok)
		rte_cryptodev_stop(dev.id);
	rte_eal_cleanup();
	return total_bad ? 1 : 0;
}
