/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "crypto": the verify paths of lib/tw_crypto.h, keyed with the
 * wire reference §3.8 capture values.
 *
 * Input: [op:1][params...][data...].  op % 5 selects:
 *   0  control channel, server side: tw_ctl_crypto_open() on each fuzzed
 *      chunk (arbitrary lengths, in one continuing CBC/HMAC stream);
 *   1  control channel, client side: Server-Start block open, then as 0;
 *   2  control round trip: client seals the fuzzed plaintext (rounded to
 *      blocks), server opens it -> must be OK and give the plaintext back;
 *      then the same with one fuzzed bit flipped -> must be TW_E_HMAC;
 *   3  TWAMP-Test: tw_test_verify() on the fuzzed packet, with the
 *      geometry of a mode/direction or raw fuzzed enc_len/hmac_off, plus a
 *      protect -> verify round trip; STAMP tw_stamp_auth_verify likewise;
 *   4  tw_token_decrypt() of a fuzzed token (with the §3.8 KEK and
 *      challenge, or a fuzzed one): OK only if re-encrypting the keys gives
 *      the token back; on TW_E_CHALLENGE the output keys are zeroed.
 * Every buffer handed to lib/ is a heap copy of exactly its length.
 */
#include "fuzz_common.h"

#include "tw_crypto.h"

static const uint8_t kek[16] = {0x43, 0xf9, 0xa7, 0x1a, 0xd4, 0xb2, 0x09, 0x68,
                                0x50, 0x18, 0xb5, 0x88, 0xbc, 0x79, 0xa9, 0xf5};
static const uint8_t challenge[16] = {0xda, 0x5c, 0x95, 0x56, 0x7a, 0x7e, 0x51, 0x40,
                                      0x96, 0xff, 0xd9, 0x9c, 0x14, 0x52, 0x15, 0x68};
static const uint8_t aes_key[16] = {0x52, 0x99, 0xf3, 0x08, 0x54, 0x01, 0x80, 0xad,
                                    0x6e, 0x35, 0xe9, 0x1e, 0x30, 0x36, 0x2a, 0x26};
static const uint8_t hmac_key[32] = {0xb7, 0x8d, 0x4b, 0xdf, 0x27, 0xc6, 0x47, 0x8d,
                                     0xda, 0x84, 0x3c, 0x1f, 0x04, 0xa5, 0xab, 0x05,
                                     0xba, 0x56, 0x52, 0xef, 0x47, 0xca, 0x3b, 0x92,
                                     0xf0, 0x17, 0x81, 0x4b, 0x71, 0xe6, 0xd6, 0x73};
static const uint8_t client_iv[16] = {0x8f, 0x85, 0x9d, 0x15, 0x6d, 0xd4, 0x46, 0xc0,
                                      0x2d, 0x70, 0x3b, 0x8b, 0xde, 0xa8, 0x92, 0x11};
static const uint8_t server_iv[16] = {0xec, 0x85, 0xea, 0x61, 0xa5, 0x10, 0x15, 0xf7,
                                      0xb6, 0x09, 0xf5, 0xfc, 0xc0, 0xf4, 0x7e, 0x5e};
static const uint8_t test_aes[16] = {0xe3, 0xa0, 0x95, 0xb1, 0x27, 0x95, 0x7d, 0xf6,
                                     0x58, 0x2a, 0xe6, 0xf1, 0x9b, 0xdf, 0x9e, 0xb0};
static const uint8_t test_hmac[32] = {0xf2, 0x1e, 0x26, 0x43, 0x84, 0x5a, 0x45, 0x1b,
                                      0x65, 0x6d, 0x6e, 0xe1, 0xba, 0x02, 0xaf, 0x59,
                                      0xd7, 0x72, 0x55, 0xec, 0xc9, 0x29, 0xfd, 0x8d,
                                      0x73, 0x87, 0x48, 0xd6, 0xc5, 0xda, 0x39, 0x9e};

/* Built once: per-packet state has no memory between packets. */
static struct tw_test_crypto tc;
static struct tw_stamp_auth sa;
static int ready;

static void init_once(void)
{
	if (ready)
		return;
	FUZZ_ASSERT(tw_test_crypto_init(&tc, test_aes, test_hmac) == TW_OK);
	FUZZ_ASSERT(tw_stamp_auth_init(&sa, test_hmac, sizeof test_hmac) == TW_OK);
	ready = 1;
}

static enum tw_err expect_ctl(size_t len)
{
	if (len % 16)
		return TW_E_NOT_BLOCK;
	if (len < 32)
		return TW_E_TRUNCATED;
	return TW_OK; /* then OK or HMAC */
}

/* op 0/1: a stream of fuzzed messages, each [len:2][octets] */
static void ctl_stream(int client, struct fz *f)
{
	struct tw_ctl_crypto *c =
	    tw_ctl_crypto_new(client ? TW_CTL_CRYPTO_CLIENT : TW_CTL_CRYPTO_SERVER, aes_key,
	                      hmac_key, client_iv, server_iv);
	FUZZ_ASSERT(c);
	if (client) {
		uint8_t ss[48];
		fz_bytes(f, ss, sizeof ss);
		size_t sl = 32 + (fz_u8(f) % 32); /* 32..63: short ones must be refused */
		uint8_t *m = fz_dup(ss, sl < 48 ? sl : 48);
		enum tw_err e = tw_ctl_crypto_server_start_open(c, m, sl < 48 ? sl : 48);
		FUZZ_ASSERT(e == (sl < 48 ? TW_E_TRUNCATED : TW_OK));
		free(m);
		if (e != TW_OK) {
			/* Receive calls before the Server-Start block: refused. */
			uint8_t blk[32] = {0};
			FUZZ_ASSERT(tw_ctl_crypto_open(c, blk, sizeof blk) == TW_E_ARG);
			tw_ctl_crypto_free(c);
			return;
		}
	}
	for (int i = 0; i < 8 && f->len; i++) {
		size_t len = fz_u16(f) % 512u;
		if (len > f->len)
			len = f->len;
		uint8_t *m = fz_dup(f->p, len);
		f->p += len;
		f->len -= len;
		enum tw_err e = tw_ctl_crypto_open(c, m, len);
		enum tw_err x = expect_ctl(len);
		if (x != TW_OK)
			FUZZ_ASSERT(e == x);
		else
			FUZZ_ASSERT(e == TW_OK || e == TW_E_HMAC);
		/* A block-wise decrypt of a split message must not crash either. */
		if (len >= 16 && (len % 16) == 0) {
			FUZZ_ASSERT(tw_ctl_crypto_decrypt(c, m, 16) == TW_OK);
			(void)tw_ctl_crypto_verify(c, m, len);
		}
		free(m);
	}
	tw_ctl_crypto_free(c);
}

static void ctl_roundtrip(struct fz *f)
{
	struct tw_ctl_crypto *cl =
	    tw_ctl_crypto_new(TW_CTL_CRYPTO_CLIENT, aes_key, hmac_key, client_iv, server_iv);
	struct tw_ctl_crypto *sv =
	    tw_ctl_crypto_new(TW_CTL_CRYPTO_SERVER, aes_key, hmac_key, client_iv, server_iv);
	FUZZ_ASSERT(cl && sv);
	uint16_t flip = fz_u16(f);
	for (int i = 0; i < 4 && f->len >= 32; i++) {
		size_t len = (fz_u8(f) % 16u + 2u) * 16u; /* 32..272 */
		if (len > f->len)
			len = f->len / 16 * 16;
		if (len < 32)
			break;
		uint8_t *m = fz_dup(f->p, len), *plain = fz_dup(f->p, len);
		f->p += len;
		f->len -= len;
		FUZZ_ASSERT(tw_ctl_crypto_seal(cl, m, len) == TW_OK);
		if (i == 3) {
			/* Tampered last message: HMAC must fail (the connection
			 * would be dropped, so no message follows). */
			m[(flip >> 3) % len] ^= (uint8_t)(1u << (flip & 7));
			FUZZ_ASSERT(tw_ctl_crypto_open(sv, m, len) == TW_E_HMAC);
		} else {
			FUZZ_ASSERT(tw_ctl_crypto_open(sv, m, len) == TW_OK);
			FUZZ_ASSERT(memcmp(m, plain, len - 16) == 0);
		}
		free(m);
		free(plain);
	}
	tw_ctl_crypto_free(cl);
	tw_ctl_crypto_free(sv);
}

static void test_paths(struct fz *f)
{
	uint8_t sel = fz_u8(f);
	size_t enc_len, hmac_off;
	if (sel & 0x80) {
		/* Raw geometry: test_check must refuse anything unsafe. */
		enc_len = fz_u16(f);
		hmac_off = fz_u16(f);
	} else {
		unsigned mode = (sel & 1) ? 4 : 2;
		FUZZ_ASSERT(tw_test_crypto_layout(mode, sel & 2, sel & 4, &enc_len, &hmac_off) ==
		            TW_OK);
	}
	size_t len = f->len;
	uint8_t *pkt = fz_dup(f->p, len);
	enum tw_err e = tw_test_verify(&tc, pkt, len, enc_len, hmac_off);
	int geom_ok = enc_len && enc_len % 16 == 0 && hmac_off >= enc_len &&
	              hmac_off + 16 <= len;
	if (!geom_ok)
		FUZZ_ASSERT(e != TW_OK && e != TW_E_HMAC);
	else
		FUZZ_ASSERT(e == TW_OK || e == TW_E_HMAC);
	/* Round trip on the original input. */
	memcpy(pkt, f->p, len);
	e = tw_test_protect(&tc, pkt, len, enc_len, hmac_off);
	FUZZ_ASSERT(geom_ok ? e == TW_OK : e != TW_OK);
	if (e == TW_OK) {
		/* Mode 2: octets past the first block other than the HMAC are
		 * untouched ("HMAC now, timestamp later"). */
		for (size_t i = enc_len; i < len; i++)
			if (i < hmac_off || i >= hmac_off + 16)
				FUZZ_ASSERT(pkt[i] == f->p[i]);
		FUZZ_ASSERT(tw_test_verify(&tc, pkt, len, enc_len, hmac_off) == TW_OK);
		FUZZ_ASSERT(memcmp(pkt, f->p, enc_len) == 0);
	}
	free(pkt);

	/* STAMP authenticated. */
	pkt = fz_dup(f->p, len);
	e = tw_stamp_auth_verify(&sa, pkt, len);
	FUZZ_ASSERT(len < TW_STAMP_AUTH_MIN_LEN ? e == TW_E_TRUNCATED
	                                        : (e == TW_OK || e == TW_E_HMAC));
	if (len >= TW_STAMP_AUTH_MIN_LEN) {
		FUZZ_ASSERT(tw_stamp_auth_sign(&sa, pkt, len) == TW_OK);
		FUZZ_ASSERT(tw_stamp_auth_verify(&sa, pkt, len) == TW_OK);
		pkt[sel % TW_STAMP_AUTH_MIN_LEN] ^= 1;
		FUZZ_ASSERT(tw_stamp_auth_verify(&sa, pkt, len) == TW_E_HMAC);
	}
	free(pkt);
}

static void token(struct fz *f)
{
	uint8_t sel = fz_u8(f);
	uint8_t tok[64], ch[16], k[16];
	fz_bytes(f, tok, sizeof tok);
	memcpy(ch, challenge, sizeof ch);
	memcpy(k, kek, sizeof k);
	if (sel & 1)
		fz_bytes(f, ch, sizeof ch);
	if (sel & 2)
		fz_bytes(f, k, sizeof k);
	uint8_t a[16], h[32], back[64];
	memset(a, 0xA5, sizeof a);
	memset(h, 0xA5, sizeof h);
	enum tw_err e = tw_token_decrypt(k, tok, ch, a, h);
	if (e == TW_OK) {
		FUZZ_ASSERT(tw_token_encrypt(k, ch, a, h, back) == TW_OK);
		FUZZ_ASSERT(memcmp(back, tok, sizeof tok) == 0);
	} else {
		FUZZ_ASSERT(e == TW_E_CHALLENGE);
		static const uint8_t z[32];
		FUZZ_ASSERT(memcmp(a, z, sizeof a) == 0 && memcmp(h, z, sizeof h) == 0);
	}
	/* The honest client's token always decrypts. */
	FUZZ_ASSERT(tw_token_encrypt(k, ch, tok, tok + 16, back) == TW_OK);
	FUZZ_ASSERT(tw_token_decrypt(k, back, ch, a, h) == TW_OK);
	FUZZ_ASSERT(memcmp(a, tok, 16) == 0 && memcmp(h, tok + 16, 32) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	init_once();
	switch (fz_u8(&f) % 5u) {
	case 0:
		ctl_stream(0, &f);
		break;
	case 1:
		ctl_stream(1, &f);
		break;
	case 2:
		ctl_roundtrip(&f);
		break;
	case 3:
		test_paths(&f);
		break;
	default:
		token(&f);
		break;
	}
	return 0;
}
