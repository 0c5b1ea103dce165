/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/tw_shani: known answers (FIPS-197 Appendix C.1, RFC
 * 2202 §3, RFC 4231 §4.2), then every function against OpenSSL's own SHA-1,
 * SHA-256, HMAC and AES-128-CBC on random keys and data, in bursts whose
 * length is not a multiple of the lane count and whose messages differ in
 * length, so that idle lanes, the two-block inner hashes and in-place CBC
 * decryption of neighbouring blocks are all exercised.
 *
 * On a CPU without SHA-NI/AES-NI the cases check only that
 * tw_shani_usable() says so (tw_crypto then never calls the rest); the CI
 * machines have both, and the "usable" case prints which it found.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA1_Transform: the raw compression */

#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "tw_shani.h"
#include "tw_unit.h"

static bool have;

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)random();
}

/* Does /proc/cpuinfo's first "flags" line list this flag? -1: unreadable. */
static int cpuinfo_flag(const char *flag)
{
	char line[4096];
	int found = -1;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5)) {
			char *tok, *save = NULL;
			found = 0;
			for (tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save))
				if (!strcmp(tok, flag))
					found = 1;
			break;
		}
	fclose(f);
	return found;
}

static void test_usable(void)
{
	have = tw_shani_usable();
	printf("\n  tw_shani_usable: %s\n", have ? "yes" : "no (SHA-NI/AES-NI missing)");
#if defined(__x86_64__)
	/* Cross-check CPUID against the kernel's view of it. */
	int sha = cpuinfo_flag("sha_ni"), aes = cpuinfo_flag("aes"), s41 = cpuinfo_flag("sse4_1"),
	    ss3 = cpuinfo_flag("ssse3");
	if (sha >= 0 && aes >= 0 && s41 >= 0 && ss3 >= 0)
		CU_ASSERT_EQUAL(have, sha && aes && s41 && ss3);
#else
	CU_ASSERT_FALSE(have);
#endif
}

static void ossl_cbc(int enc, const uint8_t key[16], const uint8_t *in, uint8_t *out, size_t len)
{
	static const uint8_t iv[16];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0;

	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(EVP_CipherInit_ex2(c, EVP_aes_128_cbc(), key, iv, enc, NULL), 1);
	CU_ASSERT_EQUAL(EVP_CIPHER_CTX_set_padding(c, 0), 1);
	CU_ASSERT_EQUAL(EVP_CipherUpdate(c, out, &l1, in, (int)len), 1);
	CU_ASSERT_EQUAL(EVP_CipherFinal_ex(c, out + l1, &l2), 1);
	CU_ASSERT_EQUAL((size_t)(l1 + l2), len);
	EVP_CIPHER_CTX_free(c);
}

/* FIPS-197 Appendix C.1, AES-128: one block, both directions. */
static void test_aes_known(void)
{
	uint8_t key[16], pt[16], ct[16], buf[16];
	struct tw_shani_aes k;

	if (!have)
		return;
	CU_ASSERT_EQUAL(tw_unit_hex("000102030405060708090a0b0c0d0e0f", key, 16), 16);
	CU_ASSERT_EQUAL(tw_unit_hex("00112233445566778899aabbccddeeff", pt, 16), 16);
	CU_ASSERT_EQUAL(tw_unit_hex("69c4e0d86a7b0430d8cdb78070b4c55a", ct, 16), 16);
	tw_shani_aes_init(&k, key);
	/* The last round key of FIPS-197 A.1's expansion of this key is
	 * 13111d7f e3944a17 f307a78b 4d2b30c5 (w[40..43]). */
	uint8_t last[16];
	CU_ASSERT_EQUAL(tw_unit_hex("13111d7fe3944a17f307a78b4d2b30c5", last, 16), 16);
	TW_ASSERT_BYTES(k.enc[10], last, 16);
	memcpy(buf, pt, 16);
	tw_shani_cbc_encrypt(&(struct tw_shani_cbc){&k, buf, 16}, 1);
	TW_ASSERT_BYTES(buf, ct, 16);
	tw_shani_cbc_decrypt(&(struct tw_shani_cbc){&k, buf, 16}, 1);
	TW_ASSERT_BYTES(buf, pt, 16);
}

#define NOPS 37 /* not a multiple of 3 or 4 */

/* Random regions of 1..8 blocks in one burst, against OpenSSL's CBC with
 * IV 0; decryption in place must give back the plaintext. */
static void test_cbc_random(void)
{
	uint8_t key[4][16], plain[NOPS][128], want[NOPS][128], buf[NOPS][128];
	struct tw_shani_aes k[4];
	struct tw_shani_cbc ops[NOPS];

	if (!have)
		return;
	srandom(7);
	for (int i = 0; i < 4; i++) {
		fill(key[i], 16);
		tw_shani_aes_init(&k[i], key[i]);
	}
	for (unsigned round = 0; round < 50; round++) {
		unsigned n = 1 + (unsigned)random() % NOPS;
		for (unsigned i = 0; i < n; i++) {
			size_t len = 16 * (1 + (size_t)random() % 8);
			unsigned kk = (unsigned)random() % 4;
			fill(plain[i], sizeof(plain[i]));
			memcpy(buf[i], plain[i], sizeof(buf[i]));
			ossl_cbc(1, key[kk], plain[i], want[i], len);
			ops[i] = (struct tw_shani_cbc){&k[kk], buf[i], len};
		}
		tw_shani_cbc_encrypt(ops, n);
		for (unsigned i = 0; i < n; i++) {
			TW_ASSERT_BYTES(buf[i], want[i], ops[i].len);
			/* octets past the region are untouched */
			TW_ASSERT_BYTES(buf[i] + ops[i].len, plain[i] + ops[i].len,
			                sizeof(buf[i]) - ops[i].len);
		}
		tw_shani_cbc_decrypt(ops, n);
		for (unsigned i = 0; i < n; i++)
			TW_ASSERT_BYTES(buf[i], plain[i], sizeof(buf[i]));
	}
}

static void sha1_iv(uint32_t st[5])
{
	static const uint32_t iv[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
	memcpy(st, iv, sizeof(iv));
}

/* The raw compression against OpenSSL's SHA1_Transform from random states. */
static void test_sha1_block(void)
{
	if (!have)
		return;
	srandom(11);
	for (int i = 0; i < 200; i++) {
		uint8_t blk[64];
		uint32_t st[5];
		SHA_CTX c;
		fill(blk, sizeof(blk));
		fill((uint8_t *)st, sizeof(st));
		SHA1_Init(&c);
		c.h0 = st[0], c.h1 = st[1], c.h2 = st[2], c.h3 = st[3], c.h4 = st[4];
		SHA1_Transform(&c, blk);
		tw_shani_sha1_block(st, blk);
		CU_ASSERT(st[0] == c.h0 && st[1] == c.h1 && st[2] == c.h2 && st[3] == c.h3 &&
		          st[4] == c.h4);
	}
}

/* Pad states of an HMAC key of at most 64 octets (SHA-1 or SHA-256). */
static void pads_alg(bool sha256, const uint8_t *key, size_t len, uint32_t *ipad, uint32_t *opad)
{
	static const uint32_t iv256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	uint8_t b[64];

	for (int j = 0; j < 2; j++) {
		uint32_t *st = j ? opad : ipad;
		memset(b, 0, sizeof(b));
		memcpy(b, key, len);
		for (int i = 0; i < 64; i++)
			b[i] ^= j ? 0x5c : 0x36;
		if (sha256) {
			memcpy(st, iv256, sizeof(iv256));
			tw_shani_sha256_block(st, b);
		} else {
			sha1_iv(st);
			tw_shani_sha1_block(st, b);
		}
	}
}

static void pads(const uint8_t *key, size_t len, uint32_t ipad[5], uint32_t opad[5])
{
	pads_alg(false, key, len, ipad, opad);
}

/* RFC 2202 §3, test cases 1 and 2. */
static void test_hmac_known(void)
{
	uint8_t key[20], want[20], out[20];
	uint32_t ip[5], op[5];

	if (!have)
		return;
	memset(key, 0x0b, sizeof(key));
	pads(key, 20, ip, op);
	tw_shani_hmac_sha1(&(struct tw_shani_mac){ip, op, (const uint8_t *)"Hi There", 8, out}, 1);
	CU_ASSERT_EQUAL(tw_unit_hex("b617318655057264e28bc0b6fb378c8ef146be00", want, 20), 20);
	TW_ASSERT_BYTES(out, want, 20);
	pads((const uint8_t *)"Jefe", 4, ip, op);
	tw_shani_hmac_sha1(&(struct tw_shani_mac){ip, op,
	                                          (const uint8_t *)"what do ya want for nothing?",
	                                          28, out},
	                   1);
	CU_ASSERT_EQUAL(tw_unit_hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", want, 20), 20);
	TW_ASSERT_BYTES(out, want, 20);
}

/* Bursts of 1..70 MACs (more than one work chunk) of 0..119 octets with
 * four keys, against OpenSSL's HMAC(); a message over the limit is skipped
 * and its output left alone. */
static void test_hmac_random(void)
{
	enum { N = 70 };
	uint8_t key[4][20], msg[N][128], out[N][20], want[20];
	uint32_t ip[4][5], op[4][5];
	struct tw_shani_mac ops[N];
	unsigned kk[N];

	if (!have)
		return;
	srandom(13);
	for (int i = 0; i < 4; i++) {
		fill(key[i], sizeof(key[i]));
		pads(key[i], sizeof(key[i]), ip[i], op[i]);
	}
	for (unsigned round = 0; round < 60; round++) {
		unsigned n = 1 + (unsigned)random() % N;
		for (unsigned i = 0; i < n; i++) {
			size_t len = (size_t)random() % (TW_SHANI_MAC_MAX + 1);
			if (round % 3 == 0) /* the TWAMP lengths: 16, 32, 96 */
				len = (size_t[]){16, 32, 96}[random() % 3];
			kk[i] = (unsigned)random() % 4;
			fill(msg[i], sizeof(msg[i]));
			memset(out[i], 0xee, sizeof(out[i]));
			ops[i] = (struct tw_shani_mac){ip[kk[i]], op[kk[i]], msg[i], len, out[i]};
		}
		unsigned skip = n > 2 ? (unsigned)random() % n : N;
		if (skip < N)
			ops[skip].len = TW_SHANI_MAC_MAX + 1;
		tw_shani_hmac_sha1(ops, n);
		for (unsigned i = 0; i < n; i++) {
			if (i == skip) {
				uint8_t ee[20];
				memset(ee, 0xee, sizeof(ee));
				TW_ASSERT_BYTES(out[i], ee, 20);
				continue;
			}
			unsigned wl = 0;
			CU_ASSERT_FATAL(HMAC(EVP_sha1(), key[kk[i]], 20, msg[i], ops[i].len, want,
			                     &wl) != NULL);
			if (memcmp(out[i], want, 20))
				printf(
				    "\n  round %u: MAC %u of %u (%zu octets, skipped %u) differs",
				    round, i, n, ops[i].len, skip);
			TW_ASSERT_BYTES(out[i], want, 20);
		}
	}
}

/* The SHA-256 compression against OpenSSL's SHA256_Transform. */
static void test_sha256_block(void)
{
	if (!have)
		return;
	srandom(17);
	for (int i = 0; i < 200; i++) {
		uint8_t blk[64];
		uint32_t st[8];
		SHA256_CTX c;
		fill(blk, sizeof(blk));
		fill((uint8_t *)st, sizeof(st));
		SHA256_Init(&c);
		memcpy(c.h, st, sizeof(st));
		SHA256_Transform(&c, blk);
		tw_shani_sha256_block(st, blk);
		TW_ASSERT_BYTES(st, c.h, sizeof(st));
	}
}

/* RFC 4231 §4.2 (test case 1) and bursts against OpenSSL's HMAC() with
 * SHA-256, as for SHA-1 (STAMP's 96-octet messages among them). */
static void test_hmac256(void)
{
	enum { N = 50 };
	uint8_t key[3][32], msg[N][128], out[N][32], want[32];
	uint32_t ip[3][8], op[3][8];
	struct tw_shani_mac ops[N];
	unsigned kk[N];

	if (!have)
		return;
	memset(key[0], 0x0b, 20);
	pads_alg(true, key[0], 20, ip[0], op[0]);
	tw_shani_hmac_sha256(
	    &(struct tw_shani_mac){ip[0], op[0], (const uint8_t *)"Hi There", 8, out[0]}, 1);
	CU_ASSERT_EQUAL(
	    tw_unit_hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", want,
	                32),
	    32);
	TW_ASSERT_BYTES(out[0], want, 32);
	srandom(19);
	for (int i = 0; i < 3; i++) {
		fill(key[i], sizeof(key[i]));
		pads_alg(true, key[i], sizeof(key[i]), ip[i], op[i]);
	}
	for (unsigned round = 0; round < 40; round++) {
		unsigned n = 1 + (unsigned)random() % N;
		for (unsigned i = 0; i < n; i++) {
			size_t len = round % 2 ? 96 : (size_t)random() % (TW_SHANI_MAC_MAX + 1);
			kk[i] = (unsigned)random() % 3;
			fill(msg[i], sizeof(msg[i]));
			ops[i] = (struct tw_shani_mac){ip[kk[i]], op[kk[i]], msg[i], len, out[i]};
		}
		tw_shani_hmac_sha256(ops, n);
		for (unsigned i = 0; i < n; i++) {
			unsigned wl = 0;
			CU_ASSERT_FATAL(HMAC(EVP_sha256(), key[kk[i]], 32, msg[i], ops[i].len, want,
			                     &wl) != NULL);
			TW_ASSERT_BYTES(out[i], want, 32);
		}
	}
}

/* A MAC written over its own message (msg == out) is still right: the
 * message is copied before any output is written. */
static void test_hmac_in_place(void)
{
	uint8_t key[20], buf[32], copy[32], want[20];
	uint32_t ip[5], op[5];
	unsigned wl = 0;

	if (!have)
		return;
	fill(key, sizeof(key));
	fill(buf, sizeof(buf));
	memcpy(copy, buf, sizeof(buf));
	pads(key, sizeof(key), ip, op);
	tw_shani_hmac_sha1(&(struct tw_shani_mac){ip, op, buf, 32, buf}, 1);
	CU_ASSERT_FATAL(HMAC(EVP_sha1(), key, 20, copy, 32, want, &wl) != NULL);
	TW_ASSERT_BYTES(buf, want, 20);
}

int main(void)
{
	static const struct tw_unit_case cases[] = {
	    {"usable", test_usable},
	    {"aes_known_answer", test_aes_known},
	    {"cbc_random_bursts", test_cbc_random},
	    {"sha1_block", test_sha1_block},
	    {"hmac_known_answer", test_hmac_known},
	    {"hmac_random_bursts", test_hmac_random},
	    {"hmac_in_place", test_hmac_in_place},
	    {"sha256_block", test_sha256_block},
	    {"hmac_sha256", test_hmac256},
	    {NULL, NULL},
	};

	if (CU_initialize_registry() != CUE_SUCCESS || tw_unit_suite("shani", cases))
		return 2;
	return tw_unit_run("test_shani");
}
