/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_crypto: TWAMP/OWAMP and STAMP cryptography over OpenSSL 3 (see tw_crypto.h).
 */
#include "tw_crypto.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

static const uint8_t zero_iv[TW_CRYPTO_IV_LEN];

/* ---- Utilities -------------------------------------------------------------- */

enum tw_err tw_crypto_random(void *buf, size_t len)
{
	if (!buf && len)
		return TW_E_ARG;
	if (len > INT_MAX)
		return TW_E_LENGTH;
	if (len && RAND_bytes(buf, (int)len) != 1)
		return TW_E_CRYPTO;
	return TW_OK;
}

void tw_crypto_cleanse(void *buf, size_t len)
{
	if (buf && len)
		OPENSSL_cleanse(buf, len);
}

/* One-shot AES-128 (ECB or CBC), no padding, whole blocks: set-up paths only. */
static enum tw_err aes_oneshot(const EVP_CIPHER *cipher, int enc, const uint8_t *key,
                               const uint8_t *iv, const uint8_t *in, uint8_t *out, size_t len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0;
	enum tw_err rc = TW_E_CRYPTO;

	if (!ctx)
		return TW_E_CRYPTO;
	if (EVP_CipherInit_ex2(ctx, cipher, key, iv, enc, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_CipherUpdate(ctx, out, &l1, in, (int)len) == 1 &&
	    EVP_CipherFinal_ex(ctx, out + l1, &l2) == 1 && (size_t)(l1 + l2) == len)
		rc = TW_OK;
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* ---- KEK and Token (§3.1, §3.2) ---------------------------------------------- */

enum tw_err tw_kek_derive(const void *secret, size_t secret_len,
                          const uint8_t salt[TW_CRYPTO_SALT_LEN], uint32_t count,
                          uint8_t kek[TW_CRYPTO_KEK_LEN])
{
	if ((!secret && secret_len) || !salt || !kek || count == 0)
		return TW_E_ARG;
	if (secret_len > INT_MAX || count > INT_MAX)
		return TW_E_LENGTH;
	if (PKCS5_PBKDF2_HMAC(secret, (int)secret_len, salt, TW_CRYPTO_SALT_LEN, (int)count,
	                      EVP_sha1(), TW_CRYPTO_KEK_LEN, kek) != 1)
		return TW_E_CRYPTO;
	return TW_OK;
}

enum tw_err tw_token_encrypt(const uint8_t kek[TW_CRYPTO_KEK_LEN],
                             const uint8_t challenge[TW_CRYPTO_CHALLENGE_LEN],
                             const uint8_t aes_key[TW_CRYPTO_AES_KEY_LEN],
                             const uint8_t hmac_key[TW_CRYPTO_HMAC_KEY_LEN],
                             uint8_t token[TW_CRYPTO_TOKEN_LEN])
{
	uint8_t plain[TW_CRYPTO_TOKEN_LEN];
	enum tw_err rc;

	if (!kek || !challenge || !aes_key || !hmac_key || !token)
		return TW_E_ARG;
	memcpy(plain, challenge, TW_CRYPTO_CHALLENGE_LEN);
	memcpy(plain + 16, aes_key, TW_CRYPTO_AES_KEY_LEN);
	memcpy(plain + 32, hmac_key, TW_CRYPTO_HMAC_KEY_LEN);
	rc = aes_oneshot(EVP_aes_128_cbc(), 1, kek, zero_iv, plain, token, sizeof(plain));
	OPENSSL_cleanse(plain, sizeof(plain));
	return rc;
}

enum tw_err tw_token_decrypt(const uint8_t kek[TW_CRYPTO_KEK_LEN],
                             const uint8_t token[TW_CRYPTO_TOKEN_LEN],
                             const uint8_t challenge[TW_CRYPTO_CHALLENGE_LEN],
                             uint8_t aes_key[TW_CRYPTO_AES_KEY_LEN],
                             uint8_t hmac_key[TW_CRYPTO_HMAC_KEY_LEN])
{
	uint8_t plain[TW_CRYPTO_TOKEN_LEN];
	enum tw_err rc;

	if (!kek || !token || !challenge || !aes_key || !hmac_key)
		return TW_E_ARG;
	rc = aes_oneshot(EVP_aes_128_cbc(), 0, kek, zero_iv, token, plain, sizeof(plain));
	if (rc == TW_OK && CRYPTO_memcmp(plain, challenge, TW_CRYPTO_CHALLENGE_LEN) != 0)
		rc = TW_E_CHALLENGE;
	if (rc == TW_OK) {
		memcpy(aes_key, plain + 16, TW_CRYPTO_AES_KEY_LEN);
		memcpy(hmac_key, plain + 32, TW_CRYPTO_HMAC_KEY_LEN);
	} else {
		OPENSSL_cleanse(aes_key, TW_CRYPTO_AES_KEY_LEN);
		OPENSSL_cleanse(hmac_key, TW_CRYPTO_HMAC_KEY_LEN);
	}
	OPENSSL_cleanse(plain, sizeof(plain));
	return rc;
}

/* ---- Test-session keys (§3.5) ------------------------------------------------- */

enum tw_err tw_crypto_test_keys(const uint8_t sid[TW_CRYPTO_SID_LEN],
                                const uint8_t aes_key[TW_CRYPTO_AES_KEY_LEN],
                                const uint8_t hmac_key[TW_CRYPTO_HMAC_KEY_LEN],
                                uint8_t test_aes_key[TW_CRYPTO_AES_KEY_LEN],
                                uint8_t test_hmac_key[TW_CRYPTO_HMAC_KEY_LEN])
{
	enum tw_err rc;

	if (!sid || !aes_key || !hmac_key || !test_aes_key || !test_hmac_key)
		return TW_E_ARG;
	rc = aes_oneshot(EVP_aes_128_ecb(), 1, sid, NULL, aes_key, test_aes_key,
	                 TW_CRYPTO_AES_KEY_LEN);
	if (rc == TW_OK)
		rc = aes_oneshot(EVP_aes_128_cbc(), 1, sid, zero_iv, hmac_key, test_hmac_key,
		                 TW_CRYPTO_HMAC_KEY_LEN);
	if (rc != TW_OK) {
		OPENSSL_cleanse(test_aes_key, TW_CRYPTO_AES_KEY_LEN);
		OPENSSL_cleanse(test_hmac_key, TW_CRYPTO_HMAC_KEY_LEN);
	}
	return rc;
}

/* ---- Allocation-free HMAC over provider digest functions ------------------------
 *
 * Why not EVP: on OpenSSL 3.0, EVP_MD_CTX_copy_ex() and EVP_DigestInit_ex()
 * free and re-create the provider's digest context on every call, and the
 * HMAC provider behind EVP_MAC does the same internally (measured: 2 mallocs
 * per HMAC either way).  The provider's own init/update/final on a context we
 * keep re-use it in place.  The key pads are precomputed per key; each HMAC
 * then costs the two pad blocks plus the message blocks, which measured
 * faster than the EVP copies of pre-fed states on this machine.
 */
struct tw_crypto_md {
	EVP_MD *md; /* held for the process lifetime: keeps the provider loaded */
	void *provctx;
	OSSL_FUNC_digest_newctx_fn *newctx;
	OSSL_FUNC_digest_freectx_fn *freectx;
	OSSL_FUNC_digest_init_fn *init;
	OSSL_FUNC_digest_update_fn *update;
	OSSL_FUNC_digest_final_fn *final;
	size_t block;
	size_t size;
};

static struct tw_crypto_md md_sha1, md_sha256;
static int md_ready;
static CRYPTO_ONCE md_once = CRYPTO_ONCE_STATIC_INIT;

/* Does the ':'-separated provider name list name the fetched digest? */
static int names_match(const EVP_MD *md, const char *names)
{
	char buf[128];
	size_t n;

	while (*names) {
		n = strcspn(names, ":");
		if (n < sizeof(buf)) {
			memcpy(buf, names, n);
			buf[n] = '\0';
			if (EVP_MD_is_a(md, buf))
				return 1;
		}
		names += n;
		if (*names == ':')
			names++;
	}
	return 0;
}

static int md_load(struct tw_crypto_md *d, const char *name)
{
	const OSSL_PROVIDER *prov;
	const OSSL_ALGORITHM *algs, *a;
	const OSSL_DISPATCH *f;
	int no_cache = 0;

	d->md = EVP_MD_fetch(NULL, name, NULL);
	if (!d->md)
		return 0;
	prov = EVP_MD_get0_provider(d->md);
	if (!prov)
		return 0;
	algs = OSSL_PROVIDER_query_operation(prov, OSSL_OP_DIGEST, &no_cache);
	if (!algs)
		return 0;
	for (a = algs; a->algorithm_names; a++)
		if (names_match(d->md, a->algorithm_names))
			break;
	for (f = a->algorithm_names ? a->implementation : NULL; f && f->function_id; f++) {
		switch (f->function_id) {
		case OSSL_FUNC_DIGEST_NEWCTX:
			d->newctx = OSSL_FUNC_digest_newctx(f);
			break;
		case OSSL_FUNC_DIGEST_FREECTX:
			d->freectx = OSSL_FUNC_digest_freectx(f);
			break;
		case OSSL_FUNC_DIGEST_INIT:
			d->init = OSSL_FUNC_digest_init(f);
			break;
		case OSSL_FUNC_DIGEST_UPDATE:
			d->update = OSSL_FUNC_digest_update(f);
			break;
		case OSSL_FUNC_DIGEST_FINAL:
			d->final = OSSL_FUNC_digest_final(f);
			break;
		default:
			break;
		}
	}
	OSSL_PROVIDER_unquery_operation(prov, OSSL_OP_DIGEST, algs);
	d->provctx = OSSL_PROVIDER_get0_provider_ctx(prov);
	d->block = (size_t)EVP_MD_get_block_size(d->md);
	d->size = (size_t)EVP_MD_get_size(d->md);
	return d->newctx && d->freectx && d->init && d->update && d->final &&
	       d->block >= TW_CRYPTO_HMAC_LEN && d->block <= TW_CRYPTO_MD_BLOCK_MAX &&
	       d->size >= TW_CRYPTO_HMAC_LEN && d->size <= EVP_MAX_MD_SIZE;
}

static void md_load_all(void)
{
	md_ready = md_load(&md_sha1, "SHA1") && md_load(&md_sha256, "SHA2-256");
}

static const struct tw_crypto_md *md_get(int sha256)
{
	if (!CRYPTO_THREAD_run_once(&md_once, md_load_all) || !md_ready)
		return NULL;
	return sha256 ? &md_sha256 : &md_sha1;
}

static void hmac_free(struct tw_crypto_hmac *h)
{
	if (h->md && h->algctx)
		h->md->freectx(h->algctx); /* provider frees with OPENSSL_clear_free */
	h->algctx = NULL;
	h->md = NULL;
	OPENSSL_cleanse(h->ipad, sizeof(h->ipad));
	OPENSSL_cleanse(h->opad, sizeof(h->opad));
}

static enum tw_err hmac_init(struct tw_crypto_hmac *h, int sha256, const void *key, size_t key_len)
{
	const struct tw_crypto_md *d = md_get(sha256);
	uint8_t k[TW_CRYPTO_MD_BLOCK_MAX] = {0};
	unsigned int kl = 0;
	size_t i;

	memset(h, 0, sizeof(*h));
	if (!d)
		return TW_E_CRYPTO;
	if (key_len > d->block) { /* RFC 2104: long keys are hashed first */
		if (EVP_Digest(key, key_len, k, &kl, d->md, NULL) != 1)
			return TW_E_CRYPTO;
	} else if (key_len) {
		memcpy(k, key, key_len);
	}
	for (i = 0; i < d->block; i++) {
		h->ipad[i] = k[i] ^ 0x36;
		h->opad[i] = k[i] ^ 0x5c;
	}
	OPENSSL_cleanse(k, sizeof(k));
	h->algctx = d->newctx(d->provctx);
	if (!h->algctx) {
		hmac_free(h);
		return TW_E_CRYPTO;
	}
	h->md = d;
	return TW_OK;
}

/* Start a MAC: the running context then holds H(K ^ ipad || ...). */
static inline int hmac_begin(struct tw_crypto_hmac *h)
{
	return h->md->init(h->algctx, NULL) && h->md->update(h->algctx, h->ipad, h->md->block);
}

static inline int hmac_feed(struct tw_crypto_hmac *h, const uint8_t *p, size_t n)
{
	return n == 0 || h->md->update(h->algctx, p, n);
}

/* Finish the running MAC and write its first TW_CRYPTO_HMAC_LEN octets. */
static inline int hmac_end(struct tw_crypto_hmac *h, uint8_t out[TW_CRYPTO_HMAC_LEN])
{
	const struct tw_crypto_md *d = h->md;
	uint8_t inner[EVP_MAX_MD_SIZE], full[EVP_MAX_MD_SIZE];
	size_t il = 0, fl = 0;

	if (!d->final(h->algctx, inner, &il, sizeof(inner)) || !d->init(h->algctx, NULL) ||
	    !d->update(h->algctx, h->opad, d->block) || !d->update(h->algctx, inner, il) ||
	    !d->final(h->algctx, full, &fl, sizeof(full)) || fl < TW_CRYPTO_HMAC_LEN)
		return 0;
	memcpy(out, full, TW_CRYPTO_HMAC_LEN);
	return 1;
}

static inline int hmac_oneshot(struct tw_crypto_hmac *h, const uint8_t *p, size_t n,
                               uint8_t out[TW_CRYPTO_HMAC_LEN])
{
	return hmac_begin(h) && hmac_feed(h, p, n) && hmac_end(h, out);
}

/* ---- Control channel (§3.3, §3.4) ----------------------------------------------- */

struct tw_ctl_crypto {
	enum tw_ctl_crypto_role role;
	EVP_CIPHER_CTX *tx; /* continuing CBC stream, own direction */
	EVP_CIPHER_CTX *rx; /* continuing CBC stream, peer's direction */
	struct tw_crypto_hmac tx_mac, rx_mac;
	bool tx_ready; /* server: Server-Start block sent; client: always */
	bool rx_ready; /* client: Server-Start block read; server: always */
};

static EVP_CIPHER_CTX *cbc_stream(int enc, const uint8_t *key, const uint8_t *iv)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (ctx && EVP_CipherInit_ex2(ctx, EVP_aes_128_cbc(), key, iv, enc, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1)
		return ctx;
	EVP_CIPHER_CTX_free(ctx);
	return NULL;
}

void tw_ctl_crypto_free(struct tw_ctl_crypto *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->tx); /* cleanses the key schedule */
	EVP_CIPHER_CTX_free(c->rx);
	hmac_free(&c->tx_mac);
	hmac_free(&c->rx_mac);
	OPENSSL_clear_free(c, sizeof(*c));
}

struct tw_ctl_crypto *tw_ctl_crypto_new(enum tw_ctl_crypto_role role,
                                        const uint8_t aes_key[TW_CRYPTO_AES_KEY_LEN],
                                        const uint8_t hmac_key[TW_CRYPTO_HMAC_KEY_LEN],
                                        const uint8_t client_iv[TW_CRYPTO_IV_LEN],
                                        const uint8_t server_iv[TW_CRYPTO_IV_LEN])
{
	struct tw_ctl_crypto *c;
	bool server = role == TW_CTL_CRYPTO_SERVER;

	if ((role != TW_CTL_CRYPTO_CLIENT && !server) || !aes_key || !hmac_key || !client_iv ||
	    !server_iv)
		return NULL;
	c = OPENSSL_zalloc(sizeof(*c));
	if (!c)
		return NULL;
	c->role = role;
	c->tx = cbc_stream(1, aes_key, server ? server_iv : client_iv);
	c->rx = cbc_stream(0, aes_key, server ? client_iv : server_iv);
	if (!c->tx || !c->rx ||
	    hmac_init(&c->tx_mac, 0, hmac_key, TW_CRYPTO_HMAC_KEY_LEN) != TW_OK ||
	    hmac_init(&c->rx_mac, 0, hmac_key, TW_CRYPTO_HMAC_KEY_LEN) != TW_OK ||
	    !hmac_begin(&c->tx_mac) || !hmac_begin(&c->rx_mac)) {
		tw_ctl_crypto_free(c);
		return NULL;
	}
	c->tx_ready = !server;
	c->rx_ready = server;
	return c;
}

static enum tw_err cbc_run(EVP_CIPHER_CTX *ctx, uint8_t *buf, size_t len)
{
	int outl = 0;

	if (len == 0)
		return TW_OK;
	if (EVP_CipherUpdate(ctx, buf, &outl, buf, (int)len) != 1 || (size_t)outl != len)
		return TW_E_CRYPTO;
	return TW_OK;
}

enum tw_err tw_ctl_crypto_server_start_seal(struct tw_ctl_crypto *c, uint8_t *msg, size_t len)
{
	uint8_t *blk;

	if (!c || !msg || c->role != TW_CTL_CRYPTO_SERVER || c->tx_ready)
		return TW_E_ARG;
	if (len < TW_CRYPTO_SERVER_START_LEN)
		return TW_E_TRUNCATED;
	blk = msg + TW_CRYPTO_SERVER_START_ENC_OFF;
	/* §3.4: the plaintext joins the send HMAC; no digest is emitted now. */
	if (!hmac_feed(&c->tx_mac, blk, TW_CRYPTO_BLOCK_LEN))
		return TW_E_CRYPTO;
	if (cbc_run(c->tx, blk, TW_CRYPTO_BLOCK_LEN) != TW_OK)
		return TW_E_CRYPTO;
	c->tx_ready = true;
	return TW_OK;
}

enum tw_err tw_ctl_crypto_server_start_open(struct tw_ctl_crypto *c, uint8_t *msg, size_t len)
{
	uint8_t *blk;

	if (!c || !msg || c->role != TW_CTL_CRYPTO_CLIENT || c->rx_ready)
		return TW_E_ARG;
	if (len < TW_CRYPTO_SERVER_START_LEN)
		return TW_E_TRUNCATED;
	blk = msg + TW_CRYPTO_SERVER_START_ENC_OFF;
	if (cbc_run(c->rx, blk, TW_CRYPTO_BLOCK_LEN) != TW_OK)
		return TW_E_CRYPTO;
	/* The pending prefix of the server's first HMAC (§3.9 step 4). */
	if (!hmac_feed(&c->rx_mac, blk, TW_CRYPTO_BLOCK_LEN))
		return TW_E_CRYPTO;
	c->rx_ready = true;
	return TW_OK;
}

static enum tw_err ctl_msg_check(const struct tw_ctl_crypto *c, const uint8_t *msg, size_t len)
{
	if (!c || !msg)
		return TW_E_ARG;
	if (len % TW_CRYPTO_BLOCK_LEN)
		return TW_E_NOT_BLOCK;
	if (len < 2 * TW_CRYPTO_BLOCK_LEN)
		return TW_E_TRUNCATED;
	if (len > INT_MAX)
		return TW_E_LENGTH;
	return TW_OK;
}

enum tw_err tw_ctl_crypto_seal(struct tw_ctl_crypto *c, uint8_t *msg, size_t len)
{
	enum tw_err rc = ctl_msg_check(c, msg, len);
	size_t body = len - TW_CRYPTO_HMAC_LEN;
	int ok;

	if (rc != TW_OK)
		return rc;
	if (!c->tx_ready)
		return TW_E_ARG; /* server must send the Server-Start block first */
	ok = hmac_feed(&c->tx_mac, msg, body) && hmac_end(&c->tx_mac, msg + body);
	/* Re-arm even after a failure so the context never holds stale input. */
	ok = hmac_begin(&c->tx_mac) && ok;
	if (!ok)
		return TW_E_CRYPTO;
	return cbc_run(c->tx, msg, len);
}

enum tw_err tw_ctl_crypto_decrypt(struct tw_ctl_crypto *c, uint8_t *buf, size_t len)
{
	if (!c || (!buf && len))
		return TW_E_ARG;
	if (len % TW_CRYPTO_BLOCK_LEN)
		return TW_E_NOT_BLOCK;
	if (len > INT_MAX)
		return TW_E_LENGTH;
	if (!c->rx_ready)
		return TW_E_ARG; /* client must open the Server-Start block first */
	return cbc_run(c->rx, buf, len);
}

enum tw_err tw_ctl_crypto_verify(struct tw_ctl_crypto *c, const uint8_t *msg, size_t len)
{
	enum tw_err rc = ctl_msg_check(c, msg, len);
	size_t body = len - TW_CRYPTO_HMAC_LEN;
	uint8_t mac[TW_CRYPTO_HMAC_LEN];
	int ok;

	if (rc != TW_OK)
		return rc;
	if (!c->rx_ready)
		return TW_E_ARG;
	ok = hmac_feed(&c->rx_mac, msg, body) && hmac_end(&c->rx_mac, mac);
	ok = hmac_begin(&c->rx_mac) && ok;
	if (!ok)
		return TW_E_CRYPTO;
	return CRYPTO_memcmp(mac, msg + body, TW_CRYPTO_HMAC_LEN) ? TW_E_HMAC : TW_OK;
}

enum tw_err tw_ctl_crypto_open(struct tw_ctl_crypto *c, uint8_t *msg, size_t len)
{
	enum tw_err rc = ctl_msg_check(c, msg, len);

	if (rc == TW_OK)
		rc = tw_ctl_crypto_decrypt(c, msg, len);
	if (rc == TW_OK)
		rc = tw_ctl_crypto_verify(c, msg, len);
	return rc;
}

/* ---- TWAMP-Test (§3.6) ------------------------------------------------------------ */

void tw_test_crypto_free(struct tw_test_crypto *tc)
{
	if (!tc)
		return;
	EVP_CIPHER_CTX_free(tc->ecb_enc);
	EVP_CIPHER_CTX_free(tc->ecb_dec);
	EVP_CIPHER_CTX_free(tc->cbc_enc);
	EVP_CIPHER_CTX_free(tc->cbc_dec);
	tc->ecb_enc = tc->ecb_dec = tc->cbc_enc = tc->cbc_dec = NULL;
	hmac_free(&tc->mac);
}

static EVP_CIPHER_CTX *cipher_ctx(const EVP_CIPHER *cipher, int enc, const uint8_t *key)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (ctx && EVP_CipherInit_ex2(ctx, cipher, key, zero_iv, enc, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1)
		return ctx;
	EVP_CIPHER_CTX_free(ctx);
	return NULL;
}

enum tw_err tw_test_crypto_init(struct tw_test_crypto *tc,
                                const uint8_t test_aes_key[TW_CRYPTO_AES_KEY_LEN],
                                const uint8_t test_hmac_key[TW_CRYPTO_HMAC_KEY_LEN])
{
	enum tw_err rc;

	if (!tc)
		return TW_E_ARG;
	memset(tc, 0, sizeof(*tc));
	if (!test_aes_key || !test_hmac_key)
		return TW_E_ARG;
	/* Key schedules are built once here; packets only reset the IV. */
	tc->ecb_enc = cipher_ctx(EVP_aes_128_ecb(), 1, test_aes_key);
	tc->ecb_dec = cipher_ctx(EVP_aes_128_ecb(), 0, test_aes_key);
	tc->cbc_enc = cipher_ctx(EVP_aes_128_cbc(), 1, test_aes_key);
	tc->cbc_dec = cipher_ctx(EVP_aes_128_cbc(), 0, test_aes_key);
	rc = hmac_init(&tc->mac, 0, test_hmac_key, TW_CRYPTO_HMAC_KEY_LEN);
	if (rc == TW_OK && (!tc->ecb_enc || !tc->ecb_dec || !tc->cbc_enc || !tc->cbc_dec))
		rc = TW_E_CRYPTO;
	if (rc != TW_OK)
		tw_test_crypto_free(tc);
	return rc;
}

enum tw_err tw_test_crypto_layout(unsigned mode, bool reflector, bool symmetric, size_t *enc_len,
                                  size_t *hmac_off)
{
	size_t e, h;

	if (!enc_len || !hmac_off)
		return TW_E_ARG;
	if (mode != 2 && mode != 4)
		return TW_E_MODE;
	if (reflector) {
		e = mode == 2 ? TW_TEST_AUTH_ENC_LEN : TW_TEST_ENC_REFLECTOR_ENC_LEN;
		h = TW_TEST_REFLECTOR_HMAC_OFF;
	} else if (symmetric) { /* RFC 6038 §4.6: UNVERIFIED */
		e = mode == 2 ? TW_TEST_AUTH_ENC_LEN : TW_TEST_SYM_ENC_ENC_LEN;
		h = TW_TEST_SYM_HMAC_OFF;
	} else {
		e = mode == 2 ? TW_TEST_AUTH_ENC_LEN : TW_TEST_ENC_SENDER_ENC_LEN;
		h = TW_TEST_SENDER_HMAC_OFF;
	}
	*enc_len = e;
	*hmac_off = h;
	return TW_OK;
}

static inline enum tw_err test_check(const struct tw_test_crypto *tc, const uint8_t *pkt,
                                     size_t len, size_t enc_len, size_t hmac_off)
{
	if (!tc || !tc->mac.md || !pkt)
		return TW_E_ARG;
	if (enc_len == 0 || enc_len % TW_CRYPTO_BLOCK_LEN)
		return TW_E_NOT_BLOCK;
	if (enc_len > INT_MAX || hmac_off < enc_len)
		return TW_E_ARG; /* the HMAC block never overlaps what it covers */
	if (hmac_off > len || len - hmac_off < TW_CRYPTO_HMAC_LEN)
		return TW_E_TRUNCATED;
	return TW_OK;
}

/* AES over 0..enc_len-1 with IV 0: a single block is plain ECB (mode 2) and
 * needs no IV reset; longer regions restart CBC from IV 0 without re-keying. */
static inline enum tw_err test_cipher(EVP_CIPHER_CTX *ecb, EVP_CIPHER_CTX *cbc, uint8_t *pkt,
                                      size_t enc_len)
{
	EVP_CIPHER_CTX *ctx = ecb;
	int outl = 0;

	if (enc_len != TW_CRYPTO_BLOCK_LEN) {
		ctx = cbc;
		if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, zero_iv, -1) != 1)
			return TW_E_CRYPTO;
	}
	if (EVP_CipherUpdate(ctx, pkt, &outl, pkt, (int)enc_len) != 1 || (size_t)outl != enc_len)
		return TW_E_CRYPTO;
	return TW_OK;
}

enum tw_err tw_test_protect(struct tw_test_crypto *tc, uint8_t *pkt, size_t len, size_t enc_len,
                            size_t hmac_off)
{
	enum tw_err rc = test_check(tc, pkt, len, enc_len, hmac_off);

	if (rc != TW_OK)
		return rc;
	if (!hmac_oneshot(&tc->mac, pkt, enc_len, pkt + hmac_off))
		return TW_E_CRYPTO;
	return test_cipher(tc->ecb_enc, tc->cbc_enc, pkt, enc_len);
}

enum tw_err tw_test_verify(struct tw_test_crypto *tc, uint8_t *pkt, size_t len, size_t enc_len,
                           size_t hmac_off)
{
	enum tw_err rc = test_check(tc, pkt, len, enc_len, hmac_off);
	uint8_t mac[TW_CRYPTO_HMAC_LEN];

	if (rc != TW_OK)
		return rc;
	rc = test_cipher(tc->ecb_dec, tc->cbc_dec, pkt, enc_len);
	if (rc != TW_OK)
		return rc;
	if (!hmac_oneshot(&tc->mac, pkt, enc_len, mac))
		return TW_E_CRYPTO;
	return CRYPTO_memcmp(mac, pkt + hmac_off, TW_CRYPTO_HMAC_LEN) ? TW_E_HMAC : TW_OK;
}

/* ---- STAMP (§6.2) ------------------------------------------------------------------ */

enum tw_err tw_stamp_auth_init(struct tw_stamp_auth *sa, const void *key, size_t key_len)
{
	if (!sa)
		return TW_E_ARG;
	memset(sa, 0, sizeof(*sa));
	if (!key || key_len == 0)
		return TW_E_ARG;
	return hmac_init(&sa->mac, 1, key, key_len);
}

void tw_stamp_auth_free(struct tw_stamp_auth *sa)
{
	if (sa)
		hmac_free(&sa->mac);
}

enum tw_err tw_stamp_auth_sign(struct tw_stamp_auth *sa, uint8_t *pkt, size_t len)
{
	if (!sa || !sa->mac.md || !pkt)
		return TW_E_ARG;
	if (len < TW_STAMP_AUTH_MIN_LEN)
		return TW_E_TRUNCATED;
	if (!hmac_oneshot(&sa->mac, pkt, TW_STAMP_AUTH_COVER_LEN, pkt + TW_STAMP_AUTH_HMAC_OFF))
		return TW_E_CRYPTO;
	return TW_OK;
}

enum tw_err tw_stamp_auth_verify(struct tw_stamp_auth *sa, const uint8_t *pkt, size_t len)
{
	uint8_t mac[TW_CRYPTO_HMAC_LEN];

	if (!sa || !sa->mac.md || !pkt)
		return TW_E_ARG;
	if (len < TW_STAMP_AUTH_MIN_LEN)
		return TW_E_TRUNCATED;
	if (!hmac_oneshot(&sa->mac, pkt, TW_STAMP_AUTH_COVER_LEN, mac))
		return TW_E_CRYPTO;
	return CRYPTO_memcmp(mac, pkt + TW_STAMP_AUTH_HMAC_OFF, TW_CRYPTO_HMAC_LEN) ? TW_E_HMAC
	                                                                            : TW_OK;
}
