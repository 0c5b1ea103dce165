/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/tw_crypto.
 *
 * Known-answer tests use the real twping <-> twampd mode-2 capture of the
 * wire reference (§3.8); everything else is cross-checked against an
 * independent computation with OpenSSL's own one-shot AES and HMAC
 * (EVP_CipherInit_ex2 / EVP_Q_mac), so a mistake in the library's
 * allocation-free HMAC or CBC chaining cannot hide behind a round trip.
 */
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tw_crypto.h"
#include "tw_unit.h"

/* ---- Counting allocator -------------------------------------------------------- */

static unsigned long n_malloc, n_realloc;
static int counting; /* CRYPTO_set_mem_functions() succeeded */

static void *count_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	n_malloc++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	n_realloc++;
	return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

static unsigned long allocs(void)
{
	return n_malloc + n_realloc;
}

/* ---- §3.8 capture ----------------------------------------------------------- */

#define SECRET    "testsecret"
#define SALT      "a6a4384dfbd9a6bfa1354749b2b5b40c"
#define KEK       "43f9a71ad4b209685018b588bc79a9f5"
#define CHALLENGE "da5c95567a7e514096ffd99c14521568"
#define TOKEN                                                                                      \
	"16f684c1f11ec98a97981af7a4ca19fa 11b0120923f255920578586fb9a42320 "                       \
	"9a2e9acff6aaf824568f52c55340548f 2d2a2e625ee5a16e8a3e40a1c78f6690"
#define AES_KEY   "5299f308540180ad6e35e91e30362a26"
#define HMAC_KEY  "b78d4bdf27c6478dda843c1f04a5ab05ba5652ef47ca3b92f017814b71e6d673"
#define CLIENT_IV "8f859d156dd446c02d703b8bdea89211"
#define SERVER_IV "ec85ea61a51015f7b609f5fcc0f47e5e"
#define SS_PLAIN  "eeb34ec3eca4a05d 0000000000000000" /* Server-Start 32..47 */
#define SS_WIRE   "b6e5d9ba8495d48bc9cb8d7a5212c1d9"
#define REQ_PLAIN                                                                                  \
	"05040000 00000000 00000000 24f624f6"                                                      \
	"7f000001 00000000 00000000 00000000"                                                      \
	"7f000001 00000000 00000000 00000000"                                                      \
	"00000000 00000000 00000000 00000000"                                                      \
	"00000040 eeb34ecdde821f2a 0000000200000000 2e000000 0000000000000000"
#define REQ_HMAC   "5240b344b71d103c38ec5f937e706cb9"
#define REQ_WIRE32 "2f373f4aaf3681c9eb8de4efcfa5b744 9b03e24f35dbff9403b95dbdb7462ebd"
#define ACC_WIRE                                                                                   \
	"8ed18cf449554babab72ef5640f8876f cb8a8e66ce59ba58a853ef680efe550c "                       \
	"53c48df39029a0ac803c28b69d7c4526"
#define SID           "7f000001eeb34eccdbaa4766649584a3"
#define ACC_PLAIN     "00 00 4a9c" SID "000000000000000000000000"
#define ACC_HMAC      "13a9ec647d84880ba5d09be2e22bf46e"
#define TEST_AES_KEY  "e3a095b127957df6582ae6f19bdf9eb0"
#define TEST_HMAC_KEY "f21e2643845a451b656d6ee1ba02af59d77255ecc929fd8d738748d6c5da399e"
#define PKT1_TS       "eeb34ece02346562 0001 000000000000" /* 16..31 */
#define PKT1_WIRE     "7c5e48a3eaf2fc7d0e02dcb22fa50b48 " PKT1_TS " 6b80bb1cf2fdc393e3c27a981f82d238"

static size_t hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = tw_unit_hex(s, out, cap);
	CU_ASSERT_FATAL(n <= cap);
	return n;
}

/* Independent references: OpenSSL one-shot HMAC and AES. */
static void ref_hmac(const char *md, const uint8_t *key, size_t klen, const uint8_t *p, size_t n,
                     uint8_t out[16])
{
	uint8_t full[64];
	size_t fl = 0;
	CU_ASSERT_FATAL(EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, key, klen, p, n, full, sizeof(full),
	                          &fl) != NULL);
	memcpy(out, full, 16);
}

static void ref_aes(const EVP_CIPHER *c, int enc, const uint8_t *key, const uint8_t *iv,
                    uint8_t *buf, size_t n)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int l = 0;
	CU_ASSERT_FATAL(ctx != NULL);
	CU_ASSERT_FATAL(EVP_CipherInit_ex2(ctx, c, key, iv, enc, NULL) == 1);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	CU_ASSERT_FATAL(EVP_CipherUpdate(ctx, buf, &l, buf, (int)n) == 1 && (size_t)l == n);
	EVP_CIPHER_CTX_free(ctx);
}

struct keys {
	uint8_t aes[16], hmac[32], civ[16], siv[16], taes[16], thmac[32];
};

static void load_keys(struct keys *k)
{
	hex(AES_KEY, k->aes, 16);
	hex(HMAC_KEY, k->hmac, 32);
	hex(CLIENT_IV, k->civ, 16);
	hex(SERVER_IV, k->siv, 16);
	hex(TEST_AES_KEY, k->taes, 16);
	hex(TEST_HMAC_KEY, k->thmac, 32);
}

static struct tw_ctl_crypto *ctl(enum tw_ctl_crypto_role role, const struct keys *k)
{
	struct tw_ctl_crypto *c = tw_ctl_crypto_new(role, k->aes, k->hmac, k->civ, k->siv);
	CU_ASSERT_FATAL(c != NULL);
	return c;
}

/* A 48-octet Server-Start whose 32..47 hold the §3.8 plaintext. */
static void server_start_plain(uint8_t ss[48], const struct keys *k)
{
	memset(ss, 0, 48);
	memcpy(ss + 16, k->siv, 16);
	hex(SS_PLAIN, ss + 32, 16);
}

/* ---- §3.1 / §3.2 ---------------------------------------------------------------- */

static void test_kek(void)
{
	uint8_t salt[16], want[16], kek[16];
	hex(SALT, salt, 16);
	hex(KEK, want, 16);
	CU_ASSERT_EQUAL(tw_kek_derive(SECRET, strlen(SECRET), salt, 2048, kek), TW_OK);
	TW_ASSERT_BYTES(kek, want, 16);
	CU_ASSERT_EQUAL(tw_kek_derive(SECRET, strlen(SECRET), salt, 0, kek), TW_E_ARG);
}

static void test_token(void)
{
	struct keys k;
	uint8_t kek[16], chal[16], wire[64], tok[64], aes[16], hm[32];
	load_keys(&k);
	hex(KEK, kek, 16);
	hex(CHALLENGE, chal, 16);
	hex(TOKEN, wire, 64);

	CU_ASSERT_EQUAL(tw_token_decrypt(kek, wire, chal, aes, hm), TW_OK);
	TW_ASSERT_BYTES(aes, k.aes, 16);
	TW_ASSERT_BYTES(hm, k.hmac, 32);

	CU_ASSERT_EQUAL(tw_token_encrypt(kek, chal, k.aes, k.hmac, tok), TW_OK);
	TW_ASSERT_BYTES(tok, wire, 64);

	/* Wrong challenge (one bit): rejected, outputs zeroed. */
	static const uint8_t zero[32];
	chal[15] ^= 1;
	CU_ASSERT_EQUAL(tw_token_decrypt(kek, wire, chal, aes, hm), TW_E_CHALLENGE);
	TW_ASSERT_BYTES(aes, zero, 16);
	TW_ASSERT_BYTES(hm, zero, 32);
	/* Wrong KEK: the first block decrypts to garbage. */
	chal[15] ^= 1;
	kek[0] ^= 0x80;
	CU_ASSERT_EQUAL(tw_token_decrypt(kek, wire, chal, aes, hm), TW_E_CHALLENGE);
}

/* ---- §3.3 / §3.4 control channel ------------------------------------------------------ */

static void test_ctl_request(void)
{
	struct keys k;
	uint8_t msg[112], plain[112], want32[32], ref[16];
	load_keys(&k);
	CU_ASSERT_EQUAL_FATAL(hex(REQ_PLAIN, plain, sizeof(plain)), 96);
	hex(REQ_HMAC, plain + 96, 16);
	hex(REQ_WIRE32, want32, 32);

	/* The expected HMAC is what an independent HMAC-SHA1 gives, too. */
	ref_hmac("SHA1", k.hmac, 32, plain, 96, ref);
	TW_ASSERT_BYTES(ref, plain + 96, 16);

	struct tw_ctl_crypto *cli = ctl(TW_CTL_CRYPTO_CLIENT, &k);
	memcpy(msg, plain, 96);
	memset(msg + 96, 0xee, 16); /* the slot is overwritten */
	CU_ASSERT_EQUAL(tw_ctl_crypto_seal(cli, msg, sizeof(msg)), TW_OK);
	TW_ASSERT_BYTES(msg, want32, 32);

	/* The whole sealed message is Client-IV CBC of plaintext || HMAC. */
	uint8_t all[112];
	memcpy(all, plain, 112);
	ref_aes(EVP_aes_128_cbc(), 1, k.aes, k.civ, all, 112);
	TW_ASSERT_BYTES(msg, all, 112);

	/* Server: one block to dispatch, then the other six, then verify. */
	struct tw_ctl_crypto *srv = ctl(TW_CTL_CRYPTO_SERVER, &k);
	CU_ASSERT_EQUAL(tw_ctl_crypto_decrypt(srv, msg, 16), TW_OK);
	CU_ASSERT_EQUAL(msg[0], 5);
	CU_ASSERT_EQUAL(tw_ctl_crypto_decrypt(srv, msg + 16, 96), TW_OK);
	TW_ASSERT_BYTES(msg, plain, 112);
	CU_ASSERT_EQUAL(tw_ctl_crypto_verify(srv, msg, 112), TW_OK);
	tw_ctl_crypto_free(cli);
	tw_ctl_crypto_free(srv);
}

static void test_ctl_server_start_accept(void)
{
	struct keys k;
	uint8_t ss[48], ss_wire[16], acc[48], acc_wire[48], acc_plain[48], pre[48], ref[16];
	load_keys(&k);
	hex(SS_WIRE, ss_wire, 16);
	hex(ACC_WIRE, acc_wire, 48);
	CU_ASSERT_EQUAL_FATAL(hex(ACC_PLAIN, acc_plain, 48), 32);
	hex(ACC_HMAC, acc_plain + 32, 16);

	/* The HMAC covers Server-Start plain 32..47 || Accept 0..31 (§3.4). */
	hex(SS_PLAIN, pre, 16);
	memcpy(pre + 16, acc_plain, 32);
	ref_hmac("SHA1", k.hmac, 32, pre, 48, ref);
	TW_ASSERT_BYTES(ref, acc_plain + 32, 16);

	/* Server: Server-Start block, then the Accept-Session reproduces the wire. */
	struct tw_ctl_crypto *srv = ctl(TW_CTL_CRYPTO_SERVER, &k);
	memcpy(acc, acc_plain, 32);
	CU_ASSERT_EQUAL(tw_ctl_crypto_seal(srv, acc, 48), TW_E_ARG); /* before Server-Start */
	server_start_plain(ss, &k);
	uint8_t ss_clear[32];
	memcpy(ss_clear, ss, 32);
	CU_ASSERT_EQUAL(tw_ctl_crypto_server_start_seal(srv, ss, 48), TW_OK);
	TW_ASSERT_BYTES(ss + 32, ss_wire, 16);
	TW_ASSERT_BYTES(ss, ss_clear, 32); /* 0..31 stay clear */
	CU_ASSERT_EQUAL(tw_ctl_crypto_server_start_seal(srv, ss, 48), TW_E_ARG); /* only once */
	memcpy(acc, acc_plain, 32);
	CU_ASSERT_EQUAL(tw_ctl_crypto_seal(srv, acc, 48), TW_OK);
	TW_ASSERT_BYTES(acc, acc_wire, 48);

	/* Client: decrypt the captured Server-Start and Accept-Session. */
	struct tw_ctl_crypto *cli = ctl(TW_CTL_CRYPTO_CLIENT, &k);
	memcpy(acc, acc_wire, 48);
	CU_ASSERT_EQUAL(tw_ctl_crypto_decrypt(cli, acc, 48), TW_E_ARG); /* before Server-Start */
	memset(ss, 0, 48);
	memcpy(ss + 16, k.siv, 16);
	memcpy(ss + 32, ss_wire, 16);
	CU_ASSERT_EQUAL(tw_ctl_crypto_server_start_open(cli, ss, 48), TW_OK);
	TW_ASSERT_BYTES(ss + 32, pre, 16);
	CU_ASSERT_EQUAL(tw_ctl_crypto_open(cli, acc, 48), TW_OK);
	TW_ASSERT_BYTES(acc, acc_plain, 48);
	tw_ctl_crypto_free(srv);
	tw_ctl_crypto_free(cli);
}

/* Any flipped bit in Server-Start 32..47 or the Accept-Session fails the HMAC. */
static void test_ctl_tamper(void)
{
	struct keys k;
	uint8_t ss_wire[16], acc_wire[48];
	load_keys(&k);
	hex(SS_WIRE, ss_wire, 16);
	hex(ACC_WIRE, acc_wire, 48);
	for (size_t i = 0; i < 64; i++) {
		uint8_t ss[48] = {0}, acc[48];
		memcpy(ss + 32, ss_wire, 16);
		memcpy(acc, acc_wire, 48);
		if (i < 16)
			ss[32 + i] ^= 0x01;
		else
			acc[i - 16] ^= 0x40;
		struct tw_ctl_crypto *cli = ctl(TW_CTL_CRYPTO_CLIENT, &k);
		CU_ASSERT_EQUAL(tw_ctl_crypto_server_start_open(cli, ss, 48), TW_OK);
		enum tw_err rc = tw_ctl_crypto_open(cli, acc, 48);
		if (rc != TW_E_HMAC)
			printf("\n  tamper at %zu not detected\n", i);
		CU_ASSERT_EQUAL(rc, TW_E_HMAC);
		tw_ctl_crypto_free(cli);
	}
}

/* A conversation: both CBC streams chain across messages and the HMAC
 * restarts per message; checked against one independent CBC stream per
 * direction over the concatenated wire. */
static void test_ctl_conversation(void)
{
	struct keys k;
	load_keys(&k);
	struct tw_ctl_crypto *cli = ctl(TW_CTL_CRYPTO_CLIENT, &k);
	struct tw_ctl_crypto *srv = ctl(TW_CTL_CRYPTO_SERVER, &k);
	uint8_t c2s[112 + 32 + 32], s2c[16 + 48 + 32], ref_c2s[sizeof(c2s)], ref_s2c[sizeof(s2c)];
	uint8_t ss[48];

	server_start_plain(ss, &k);
	CU_ASSERT_EQUAL(tw_ctl_crypto_server_start_seal(srv, ss, 48), TW_OK);
	memcpy(s2c, ss + 32, 16); /* the wire block; the client decrypts ss in place */
	CU_ASSERT_EQUAL(tw_ctl_crypto_server_start_open(cli, ss, 48), TW_OK);

	/* Plaintexts: Request, Start-Sessions, Stop-Sessions / Accept, Start-Ack. */
	memset(c2s, 0, sizeof(c2s));
	hex(REQ_PLAIN, c2s, 96);
	c2s[112] = 2;
	c2s[144] = 3;
	memset(s2c + 16, 0, sizeof(s2c) - 16);
	hex(ACC_PLAIN, s2c + 16, 32);
	s2c[64] = 0;
	s2c[65] = 0x5a;
	/* Reference: plaintext with independently computed HMACs, then one CBC
	 * stream per direction. */
	memcpy(ref_c2s, c2s, sizeof(c2s));
	ref_hmac("SHA1", k.hmac, 32, ref_c2s, 96, ref_c2s + 96);
	ref_hmac("SHA1", k.hmac, 32, ref_c2s + 112, 16, ref_c2s + 128);
	ref_hmac("SHA1", k.hmac, 32, ref_c2s + 144, 16, ref_c2s + 160);
	memcpy(ref_s2c, s2c, sizeof(s2c));
	hex(SS_PLAIN, ref_s2c, 16);
	ref_hmac("SHA1", k.hmac, 32, ref_s2c, 48, ref_s2c + 48);
	ref_hmac("SHA1", k.hmac, 32, ref_s2c + 64, 16, ref_s2c + 80);
	uint8_t plain_c2s[sizeof(c2s)], plain_s2c[sizeof(s2c)];
	memcpy(plain_c2s, ref_c2s, sizeof(c2s));
	memcpy(plain_s2c, ref_s2c, sizeof(s2c));
	ref_aes(EVP_aes_128_cbc(), 1, k.aes, k.civ, ref_c2s, sizeof(c2s));
	ref_aes(EVP_aes_128_cbc(), 1, k.aes, k.siv, ref_s2c, sizeof(s2c));

	CU_ASSERT_EQUAL(tw_ctl_crypto_seal(cli, c2s, 112), TW_OK);
	CU_ASSERT_EQUAL(tw_ctl_crypto_seal(srv, s2c + 16, 48), TW_OK);
	CU_ASSERT_EQUAL(tw_ctl_crypto_seal(cli, c2s + 112, 32), TW_OK);
	CU_ASSERT_EQUAL(tw_ctl_crypto_seal(srv, s2c + 64, 32), TW_OK);
	CU_ASSERT_EQUAL(tw_ctl_crypto_seal(cli, c2s + 144, 32), TW_OK);
	TW_ASSERT_BYTES(c2s, ref_c2s, sizeof(c2s));
	TW_ASSERT_BYTES(s2c, ref_s2c, sizeof(s2c));

	/* Receivers, block by block as a server reads commands (§2.0). */
	for (size_t off = 0; off < sizeof(c2s); off += 16)
		CU_ASSERT_EQUAL(tw_ctl_crypto_decrypt(srv, c2s + off, 16), TW_OK);
	TW_ASSERT_BYTES(c2s, plain_c2s, sizeof(c2s));
	CU_ASSERT_EQUAL(tw_ctl_crypto_verify(srv, c2s, 112), TW_OK);
	CU_ASSERT_EQUAL(tw_ctl_crypto_verify(srv, c2s + 112, 32), TW_OK);
	CU_ASSERT_EQUAL(tw_ctl_crypto_verify(srv, c2s + 144, 32), TW_OK);
	CU_ASSERT_EQUAL(tw_ctl_crypto_open(cli, s2c + 16, 48), TW_OK);
	CU_ASSERT_EQUAL(tw_ctl_crypto_open(cli, s2c + 64, 32), TW_OK);
	TW_ASSERT_BYTES(s2c + 16, plain_s2c + 16, sizeof(s2c) - 16);

	/* The prefix applies to the first server HMAC only: verifying the
	 * Start-Ack again (a replay) fails. */
	CU_ASSERT_EQUAL(tw_ctl_crypto_verify(cli, s2c + 16, 48), TW_E_HMAC);
	tw_ctl_crypto_free(cli);
	tw_ctl_crypto_free(srv);
}

static void test_ctl_errors(void)
{
	struct keys k;
	uint8_t buf[64] = {0};
	load_keys(&k);
	struct tw_ctl_crypto *cli = ctl(TW_CTL_CRYPTO_CLIENT, &k);
	struct tw_ctl_crypto *srv = ctl(TW_CTL_CRYPTO_SERVER, &k);
	struct {
		enum tw_err got, want;
	} t[] = {
	    {tw_ctl_crypto_seal(cli, buf, 40), TW_E_NOT_BLOCK},
	    {tw_ctl_crypto_seal(cli, buf, 16), TW_E_TRUNCATED},
	    {tw_ctl_crypto_seal(NULL, buf, 32), TW_E_ARG},
	    {tw_ctl_crypto_decrypt(srv, buf, 17), TW_E_NOT_BLOCK},
	    {tw_ctl_crypto_verify(srv, buf, 0), TW_E_TRUNCATED},
	    {tw_ctl_crypto_server_start_seal(cli, buf, 48), TW_E_ARG},
	    {tw_ctl_crypto_server_start_open(srv, buf, 48), TW_E_ARG},
	    {tw_ctl_crypto_server_start_seal(srv, buf, 47), TW_E_TRUNCATED},
	    {tw_ctl_crypto_server_start_open(cli, buf, 32), TW_E_TRUNCATED},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].got != t[i].want)
			printf("\n  case %zu: %s\n", i, tw_errname(t[i].got));
		CU_ASSERT_EQUAL(t[i].got, t[i].want);
	}
	CU_ASSERT_PTR_NULL(
	    tw_ctl_crypto_new((enum tw_ctl_crypto_role)7, k.aes, k.hmac, k.civ, k.siv));
	tw_ctl_crypto_free(NULL);
	tw_ctl_crypto_free(cli);
	tw_ctl_crypto_free(srv);
}

/* ---- §3.5 / §3.6 test sessions -------------------------------------------------------------- */

static void test_test_keys(void)
{
	struct keys k;
	uint8_t sid[16], a[16], h[32];
	load_keys(&k);
	hex(SID, sid, 16);
	CU_ASSERT_EQUAL(tw_crypto_test_keys(sid, k.aes, k.hmac, a, h), TW_OK);
	TW_ASSERT_BYTES(a, k.taes, 16);
	TW_ASSERT_BYTES(h, k.thmac, 32);
}

static void pkt1_plain(uint8_t p[112])
{
	memset(p, 0, 112);
	p[3] = 1; /* Sequence Number 1 */
}

static void test_mode2_sender_vector(void)
{
	struct keys k;
	struct tw_test_crypto tc;
	uint8_t pkt[48 + 64], want[48], blk0[16];
	load_keys(&k);
	hex(PKT1_WIRE, want, 48);
	CU_ASSERT_EQUAL_FATAL(tw_test_crypto_init(&tc, k.taes, k.thmac), TW_OK);

	/* HMAC now, timestamp later (§3.6): protect first, then write 16..31. */
	pkt1_plain(pkt);
	memset(pkt + 48, 0xa5, 64);
	CU_ASSERT_EQUAL(
	    tw_test_protect(&tc, pkt, sizeof(pkt), TW_TEST_AUTH_ENC_LEN, TW_TEST_SENDER_HMAC_OFF),
	    TW_OK);
	hex(PKT1_TS, pkt + 16, 16);
	TW_ASSERT_BYTES(pkt, want, 48);

	/* Verifying the captured wire packet recovers block 0. */
	memcpy(pkt, want, 48);
	memset(blk0, 0, sizeof(blk0));
	blk0[3] = 1;
	CU_ASSERT_EQUAL(
	    tw_test_verify(&tc, pkt, sizeof(pkt), TW_TEST_AUTH_ENC_LEN, TW_TEST_SENDER_HMAC_OFF),
	    TW_OK);
	TW_ASSERT_BYTES(pkt, blk0, 16);
	tw_test_crypto_free(&tc);
	tw_test_crypto_free(&tc); /* idempotent */
}

/* §3.6: with equal sequence numbers the mode-2 reflector's block 0 and HMAC
 * equal the sender's (ECB is deterministic, the HMAC covers 0..15 only). */
static void test_mode2_reflector_vector(void)
{
	struct keys k;
	struct tw_test_crypto tc;
	uint8_t pkt[112], want[48];
	load_keys(&k);
	hex(PKT1_WIRE, want, 48);
	CU_ASSERT_EQUAL_FATAL(tw_test_crypto_init(&tc, k.taes, k.thmac), TW_OK);
	pkt1_plain(pkt);
	memset(pkt + 16, 0x33, 80); /* timestamps etc.: neither encrypted nor covered */
	CU_ASSERT_EQUAL(tw_test_protect(&tc, pkt, sizeof(pkt), TW_TEST_AUTH_ENC_LEN,
	                                TW_TEST_REFLECTOR_HMAC_OFF),
	                TW_OK);
	TW_ASSERT_BYTES(pkt, want, 16);
	TW_ASSERT_BYTES(pkt + 96, want + 32, 16);
	CU_ASSERT_EQUAL(pkt[16], 0x33);
	CU_ASSERT_EQUAL(pkt[95], 0x33);
	tw_test_crypto_free(&tc);
}

/* Every layout: independent reference bytes, round trip, and tamper detection
 * exactly on the covered octets (encrypted region and HMAC). */
static const struct layout_case {
	const char *name;
	size_t enc_len, hmac_off, len;
} layouts[] = {
    {"mode 2 sender", 16, 32, 48 + 64},
    {"mode 2 reflector", 16, 96, 112 + 8},
    {"mode 4 sender", 32, 32, 48 + 64},
    {"mode 4 reflector", 96, 96, 112 + 8},
    {"mode 4 symmetrical sender (UNVERIFIED)", 96, 96, 112},
    {NULL, 0, 0, 0},
};

static void test_layouts_roundtrip_tamper(void)
{
	struct keys k;
	struct tw_test_crypto tc;
	load_keys(&k);
	CU_ASSERT_EQUAL_FATAL(tw_test_crypto_init(&tc, k.taes, k.thmac), TW_OK);
	for (const struct layout_case *c = layouts; c->name; c++) {
		uint8_t plain[128], pkt[128], ref[128], t[128];
		for (size_t i = 0; i < c->len; i++)
			plain[i] = (uint8_t)(i * 7 + 3);
		memcpy(pkt, plain, c->len);
		memcpy(ref, plain, c->len);
		ref_hmac("SHA1", k.thmac, 32, ref, c->enc_len, ref + c->hmac_off);
		ref_aes(c->enc_len == 16 ? EVP_aes_128_ecb() : EVP_aes_128_cbc(), 1, k.taes,
		        (const uint8_t[16]){0}, ref, c->enc_len);
		CU_ASSERT_EQUAL(tw_test_protect(&tc, pkt, c->len, c->enc_len, c->hmac_off), TW_OK);
		TW_ASSERT_BYTES(pkt, ref, c->len);

		memcpy(t, pkt, c->len);
		CU_ASSERT_EQUAL(tw_test_verify(&tc, t, c->len, c->enc_len, c->hmac_off), TW_OK);
		memcpy(plain + c->hmac_off, ref + c->hmac_off, 16);
		TW_ASSERT_BYTES(t, plain, c->len);

		for (size_t i = 0; i < c->len; i++) {
			bool covered = i < c->enc_len || (i >= c->hmac_off && i < c->hmac_off + 16);
			memcpy(t, pkt, c->len);
			t[i] ^= 0x10;
			enum tw_err rc = tw_test_verify(&tc, t, c->len, c->enc_len, c->hmac_off);
			if (rc != (covered ? TW_E_HMAC : TW_OK))
				printf("\n  %s: octet %zu -> %s\n", c->name, i, tw_errname(rc));
			CU_ASSERT_EQUAL(rc, covered ? TW_E_HMAC : TW_OK);
		}
	}
	tw_test_crypto_free(&tc);
}

static void test_layout_table(void)
{
	static const struct {
		unsigned mode;
		bool refl, sym;
		enum tw_err rc;
		size_t enc, hoff;
	} t[] = {
	    {2, false, false, TW_OK, 16, 32},   {2, true, false, TW_OK, 16, 96},
	    {4, false, false, TW_OK, 32, 32},   {4, true, false, TW_OK, 96, 96},
	    {4, false, true, TW_OK, 96, 96},    {2, false, true, TW_OK, 16, 96},
	    {1, false, false, TW_E_MODE, 0, 0}, {8, true, false, TW_E_MODE, 0, 0},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t e = 0, h = 0;
		CU_ASSERT_EQUAL(tw_test_crypto_layout(t[i].mode, t[i].refl, t[i].sym, &e, &h),
		                t[i].rc);
		CU_ASSERT_EQUAL(e, t[i].enc);
		CU_ASSERT_EQUAL(h, t[i].hoff);
	}
}

static void test_test_errors(void)
{
	struct keys k;
	struct tw_test_crypto tc;
	uint8_t pkt[112] = {0};
	load_keys(&k);
	CU_ASSERT_EQUAL_FATAL(tw_test_crypto_init(&tc, k.taes, k.thmac), TW_OK);
	static const struct {
		size_t len, enc, hoff;
		enum tw_err rc;
	} t[] = {
	    {48, 0, 32, TW_E_NOT_BLOCK},  {48, 24, 32, TW_E_NOT_BLOCK},
	    {47, 16, 32, TW_E_TRUNCATED}, {111, 96, 96, TW_E_TRUNCATED},
	    {48, 32, 16, TW_E_ARG},       {48, 16, 200, TW_E_TRUNCATED},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CU_ASSERT_EQUAL(tw_test_protect(&tc, pkt, t[i].len, t[i].enc, t[i].hoff), t[i].rc);
		CU_ASSERT_EQUAL(tw_test_verify(&tc, pkt, t[i].len, t[i].enc, t[i].hoff), t[i].rc);
	}
	CU_ASSERT_EQUAL(tw_test_protect(NULL, pkt, 48, 16, 32), TW_E_ARG);
	tw_test_crypto_free(&tc);
	CU_ASSERT_EQUAL(tw_test_protect(&tc, pkt, 48, 16, 32), TW_E_ARG); /* after free */
}

/* ---- §6.2 STAMP ------------------------------------------------------------------------------ */

static void test_stamp(void)
{
	static const char *keys[] = {"stamp-key", NULL};
	uint8_t longkey[100];
	for (size_t i = 0; i < sizeof(longkey); i++)
		longkey[i] = (uint8_t)i;
	for (int ki = 0; ki < 2; ki++) { /* short key, and > 64 octets (hashed first) */
		const uint8_t *key = ki ? longkey : (const uint8_t *)keys[0];
		size_t klen = ki ? sizeof(longkey) : strlen(keys[0]);
		struct tw_stamp_auth sa;
		uint8_t pkt[120], want[120], t[120];
		CU_ASSERT_EQUAL_FATAL(tw_stamp_auth_init(&sa, key, klen), TW_OK);
		for (size_t i = 0; i < sizeof(pkt); i++)
			pkt[i] = (uint8_t)(i ^ 0x5a);
		memcpy(want, pkt, sizeof(pkt));
		ref_hmac("SHA256", key, klen, want, 96, want + 96);
		CU_ASSERT_EQUAL(tw_stamp_auth_sign(&sa, pkt, sizeof(pkt)), TW_OK);
		TW_ASSERT_BYTES(pkt, want, sizeof(pkt));
		CU_ASSERT_EQUAL(tw_stamp_auth_verify(&sa, pkt, sizeof(pkt)), TW_OK);
		for (size_t i = 0; i < sizeof(pkt); i++) {
			memcpy(t, pkt, sizeof(pkt));
			t[i] ^= 0x01;
			CU_ASSERT_EQUAL(tw_stamp_auth_verify(&sa, t, sizeof(t)),
			                i < 112 ? TW_E_HMAC : TW_OK);
		}
		CU_ASSERT_EQUAL(tw_stamp_auth_sign(&sa, pkt, 111), TW_E_TRUNCATED);
		tw_stamp_auth_free(&sa);
	}
	struct tw_stamp_auth sa;
	CU_ASSERT_EQUAL(tw_stamp_auth_init(&sa, "", 0), TW_E_ARG);
}

/* ---- Fast HMAC and CBC-IV-0 against OpenSSL one-shots, random inputs ----------------------
 *
 * The library's HMAC starts every MAC from precomputed pad states held in
 * plain SHA_CTX / SHA256_CTX copies, and its mode-4 CBC cancels the context's
 * running IV instead of re-initialising it.  Both are proven equal to
 * OpenSSL's own one-shot HMAC (EVP_Q_mac and HMAC()) and fresh-context AES
 * on random keys, key lengths (0..200, i.e. also longer than the 64-octet
 * block), data lengths (0..300, every padding boundary) and packet sequences.
 * A fixed-seed generator keeps a failure reproducible.
 */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void rng_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
}

/* Full-length HMAC two independent ways; both must agree. */
static size_t ref_hmac_full(bool sha256, const uint8_t *key, size_t klen, const uint8_t *p,
                            size_t n, uint8_t out[64])
{
	static const uint8_t nokey[1];
	uint8_t q[64];
	size_t ql = 0;
	unsigned int hl = 0;
	const uint8_t *k = klen ? key : nokey; /* EVP_Q_mac wants a non-NULL key */
	CU_ASSERT_FATAL(EVP_Q_mac(NULL, "HMAC", NULL, sha256 ? "SHA256" : "SHA1", NULL, k, klen, p,
	                          n, q, sizeof(q), &ql) != NULL);
	CU_ASSERT_FATAL(HMAC(sha256 ? EVP_sha256() : EVP_sha1(), k, (int)klen, n ? p : nokey, n,
	                     out, &hl) != NULL);
	CU_ASSERT_FATAL(ql == hl && ql == (sha256 ? 32u : 20u));
	CU_ASSERT_FATAL(memcmp(q, out, ql) == 0);
	return ql;
}

static void check_hmac(bool sha256, const uint8_t *key, size_t klen, const uint8_t *p, size_t n,
                       unsigned *bad)
{
	struct tw_crypto_hmac h;
	uint8_t want[64], got[64];
	size_t wl = ref_hmac_full(sha256, key, klen, p, n, want);
	CU_ASSERT_EQUAL_FATAL(tw_crypto_hmac_init(&h, sha256, key, klen), TW_OK);
	memset(got, 0, sizeof(got));
	CU_ASSERT_EQUAL(tw_crypto_hmac_compute(&h, p, n, got, wl), TW_OK);
	if (memcmp(got, want, wl) != 0) {
		if (*bad < 5)
			printf("\n  HMAC-%s key %zu data %zu differs\n", sha256 ? "SHA256" : "SHA1",
			       klen, n);
		(*bad)++;
	}
	/* Again on the same schedule: nothing carries over between MACs. */
	memset(got, 0, sizeof(got));
	CU_ASSERT_EQUAL(tw_crypto_hmac_compute(&h, p, n, got, TW_CRYPTO_HMAC_LEN), TW_OK);
	*bad += memcmp(got, want, TW_CRYPTO_HMAC_LEN) != 0;
	tw_crypto_hmac_free(&h);
}

static void test_hmac_crosscheck(void)
{
	static const size_t klens[] = {0, 1, 16, 20, 32, 63, 64, 65, 100, 128, 200};
	static const size_t dlens[] = {0, 1, 16, 32, 55, 56, 63, 64, 65, 96, 119, 120, 128, 300};
	uint8_t key[200], data[300];
	unsigned bad = 0;

	for (int sha256 = 0; sha256 < 2; sha256++)
		for (size_t i = 0; i < sizeof(klens) / sizeof(klens[0]); i++)
			for (size_t j = 0; j < sizeof(dlens) / sizeof(dlens[0]); j++) {
				rng_fill(key, klens[i]);
				rng_fill(data, dlens[j]);
				check_hmac(sha256, key, klens[i], data, dlens[j], &bad);
			}
	for (int r = 0; r < 2000; r++) {
		size_t kl = rng() % (sizeof(key) + 1), dl = rng() % (sizeof(data) + 1);
		rng_fill(key, kl);
		rng_fill(data, dl);
		check_hmac(rng() & 1, key, kl, data, dl, &bad);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_hmac_api_errors(void)
{
	struct tw_crypto_hmac h;
	uint8_t out[32];
	CU_ASSERT_EQUAL(tw_crypto_hmac_init(NULL, false, "k", 1), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_crypto_hmac_init(&h, false, NULL, 1), TW_E_ARG);
	/* h is not initialised: tw_crypto_hmac_init() cleared it on the error. */
	CU_ASSERT_EQUAL(tw_crypto_hmac_compute(&h, "x", 1, out, 16), TW_E_ARG);
	CU_ASSERT_EQUAL_FATAL(tw_crypto_hmac_init(&h, false, "k", 1), TW_OK);
	CU_ASSERT_EQUAL(tw_crypto_hmac_compute(&h, "x", 1, out, 0), TW_E_LENGTH);
	CU_ASSERT_EQUAL(tw_crypto_hmac_compute(&h, "x", 1, out, 21), TW_E_LENGTH);
	CU_ASSERT_EQUAL(tw_crypto_hmac_compute(&h, "x", 1, out, 20), TW_OK);
	CU_ASSERT_EQUAL(tw_crypto_hmac_compute(&h, NULL, 1, out, 20), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_crypto_hmac_compute(&h, NULL, 0, out, 20), TW_OK);
	CU_ASSERT_EQUAL(tw_crypto_hmac_compute(&h, "x", 1, NULL, 20), TW_E_ARG);
	tw_crypto_hmac_free(&h);
	CU_ASSERT_EQUAL(tw_crypto_hmac_compute(&h, "x", 1, out, 16), TW_E_ARG); /* after free */
	tw_crypto_hmac_free(NULL);
	CU_ASSERT_EQUAL_FATAL(tw_crypto_hmac_init(&h, true, "k", 1), TW_OK);
	CU_ASSERT_EQUAL(tw_crypto_hmac_compute(&h, "x", 1, out, 32), TW_OK);
	CU_ASSERT_EQUAL(tw_crypto_hmac_compute(&h, "x", 1, out, 33), TW_E_LENGTH);
	tw_crypto_hmac_free(&h);
}

/* STAMP with random keys of 1..200 octets: sign equals the reference, verify
 * accepts it and rejects one flipped bit. */
static void test_stamp_random_keys(void)
{
	uint8_t key[200], pkt[112], want[112];
	unsigned bad = 0;
	for (int r = 0; r < 300; r++) {
		struct tw_stamp_auth sa;
		size_t kl = 1 + rng() % sizeof(key);
		rng_fill(key, kl);
		rng_fill(pkt, sizeof(pkt));
		memcpy(want, pkt, sizeof(pkt));
		ref_hmac("SHA256", key, kl, want, 96, want + 96);
		CU_ASSERT_EQUAL_FATAL(tw_stamp_auth_init(&sa, key, kl), TW_OK);
		bad += tw_stamp_auth_sign(&sa, pkt, sizeof(pkt)) != TW_OK;
		bad += memcmp(pkt, want, sizeof(pkt)) != 0;
		bad += tw_stamp_auth_verify(&sa, pkt, sizeof(pkt)) != TW_OK;
		pkt[rng() % 112] ^= (uint8_t)(1u << (rng() % 8));
		bad += tw_stamp_auth_verify(&sa, pkt, sizeof(pkt)) != TW_E_HMAC;
		tw_stamp_auth_free(&sa);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* Long random sequences of protect and verify over all layouts on one session
 * (so ECB and CBC, encrypt and decrypt, and failed verifies interleave): every
 * packet must equal the reference computed with a fresh zero IV, and every
 * reference packet must verify back to its plaintext. */
static void test_test_random_sequence(void)
{
	unsigned bad = 0;
	for (int sess = 0; sess < 8; sess++) {
		struct tw_test_crypto tc;
		uint8_t taes[16], thmac[32];
		rng_fill(taes, 16);
		rng_fill(thmac, 32);
		CU_ASSERT_EQUAL_FATAL(tw_test_crypto_init(&tc, taes, thmac), TW_OK);
		for (int i = 0; i < 500; i++) {
			const struct layout_case *c = &layouts[rng() % 5];
			uint8_t plain[128], pkt[128], ref[128];
			rng_fill(plain, c->len);
			memcpy(ref, plain, c->len);
			ref_hmac("SHA1", thmac, 32, ref, c->enc_len, ref + c->hmac_off);
			ref_aes(c->enc_len == 16 ? EVP_aes_128_ecb() : EVP_aes_128_cbc(), 1, taes,
			        (const uint8_t[16]){0}, ref, c->enc_len);
			switch (rng() % 3) {
			case 0: /* protect */
				memcpy(pkt, plain, c->len);
				bad += tw_test_protect(&tc, pkt, c->len, c->enc_len, c->hmac_off) !=
				       TW_OK;
				bad += memcmp(pkt, ref, c->len) != 0;
				break;
			case 1: /* verify a good packet */
				memcpy(pkt, ref, c->len);
				bad += tw_test_verify(&tc, pkt, c->len, c->enc_len, c->hmac_off) !=
				       TW_OK;
				bad += memcmp(pkt, plain, c->enc_len) != 0;
				break;
			default: /* verify a tampered one: rejected, later packets unaffected */
				memcpy(pkt, ref, c->len);
				pkt[rng() % c->enc_len] ^= 0x01;
				bad += tw_test_verify(&tc, pkt, c->len, c->enc_len, c->hmac_off) !=
				       TW_E_HMAC;
				break;
			}
		}
		tw_test_crypto_free(&tc);
	}
	if (bad)
		printf("\n  %u mismatches\n", bad);
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_random(void)
{
	uint8_t a[32] = {0}, b[32] = {0}, z[32] = {0};
	CU_ASSERT_EQUAL(tw_crypto_random(a, sizeof(a)), TW_OK);
	CU_ASSERT_EQUAL(tw_crypto_random(b, sizeof(b)), TW_OK);
	CU_ASSERT_NOT_EQUAL(memcmp(a, b, 32), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(a, z, 32), 0);
	tw_crypto_cleanse(a, sizeof(a));
	TW_ASSERT_BYTES(a, z, 32);
}

/* ---- No allocation on the per-packet / per-message paths ----------------------------------
 *
 * main() installs counting allocators with CRYPTO_set_mem_functions() before
 * any other OpenSSL call (OpenSSL refuses the swap once it has allocated), so
 * every OPENSSL_malloc/realloc inside libcrypto — including provider digest
 * and cipher contexts — passes through count_malloc/count_realloc.  Set-up
 * (contexts, key schedules) may allocate; after it, 10000 protect/verify
 * rounds in modes 2 and 4 and for STAMP (and the stand-alone HMAC), and a
 * series of control seal / server-start / decrypt / verify calls must leave
 * both counters unchanged.
 * If the allocator could not be installed the test fails rather than
 * passing vacuously.
 */
static void test_no_alloc(void)
{
	struct keys k;
	struct tw_test_crypto tc;
	struct tw_stamp_auth sa;
	uint8_t pkt[112 + 64];
	CU_ASSERT_FATAL(counting);
	load_keys(&k);
	CU_ASSERT_EQUAL_FATAL(tw_test_crypto_init(&tc, k.taes, k.thmac), TW_OK);
	CU_ASSERT_EQUAL_FATAL(tw_stamp_auth_init(&sa, k.thmac, 32), TW_OK);
	struct tw_ctl_crypto *cli = ctl(TW_CTL_CRYPTO_CLIENT, &k);
	struct tw_ctl_crypto *srv = ctl(TW_CTL_CRYPTO_SERVER, &k);
	memset(pkt, 0, sizeof(pkt));

	unsigned long before = allocs();
	unsigned bad = 0;
	for (uint32_t i = 0; i < 10000; i++) {
		const struct layout_case *c = &layouts[i % 4];
		pkt[3] = (uint8_t)i;
		bad += tw_test_protect(&tc, pkt, c->len, c->enc_len, c->hmac_off) != TW_OK;
		bad += tw_test_verify(&tc, pkt, c->len, c->enc_len, c->hmac_off) != TW_OK;
		bad += tw_stamp_auth_sign(&sa, pkt, 112) != TW_OK;
		bad += tw_stamp_auth_verify(&sa, pkt, 112) != TW_OK;
		bad += tw_crypto_hmac_compute(&sa.mac, pkt, i % 150, pkt + 150, 20) != TW_OK;
	}
	uint8_t ss[48], msg[112];
	server_start_plain(ss, &k);
	bad += tw_ctl_crypto_server_start_seal(srv, ss, 48) != TW_OK;
	bad += tw_ctl_crypto_server_start_open(cli, ss, 48) != TW_OK;
	for (int i = 0; i < 100; i++) {
		size_t len = i % 2 ? 32 : 112;
		memset(msg, i, sizeof(msg));
		bad += tw_ctl_crypto_seal(cli, msg, len) != TW_OK;
		bad += tw_ctl_crypto_decrypt(srv, msg, 16) != TW_OK;
		bad += tw_ctl_crypto_decrypt(srv, msg + 16, len - 16) != TW_OK;
		bad += tw_ctl_crypto_verify(srv, msg, len) != TW_OK;
		bad += tw_ctl_crypto_seal(srv, msg, 48) != TW_OK;
		bad += tw_ctl_crypto_open(cli, msg, 48) != TW_OK;
	}
	unsigned long after = allocs();
	CU_ASSERT_EQUAL(bad, 0);
	if (after != before)
		printf("\n  %lu allocations on the per-packet/per-message path\n", after - before);
	CU_ASSERT_EQUAL(after, before);

	tw_test_crypto_free(&tc);
	tw_stamp_auth_free(&sa);
	tw_ctl_crypto_free(cli);
	tw_ctl_crypto_free(srv);
	/* The counter is live: freeing and re-creating a session allocates. */
	CU_ASSERT_EQUAL_FATAL(tw_test_crypto_init(&tc, k.taes, k.thmac), TW_OK);
	CU_ASSERT(allocs() > after);
	tw_test_crypto_free(&tc);
}

/* ---- Burst engines: intel-ipsec-mb = SHA-NI lanes = OpenSSL, bit for bit --------- */

/* The engines this machine can run: OpenSSL always; intel-ipsec-mb whenever
 * the library says it is usable here (built in and AES-NI).  Building with
 * TW_EXPECT_IPSEC_MB (meson found the library) and a CPU with AES-NI, its
 * absence is a failure, not a silent OpenSSL-only pass. */
static unsigned engines(struct tw_crypto_engine *e[3])
{
	unsigned n = 0;
	e[n] = tw_crypto_engine_new(TW_CRYPTO_IMPL_OPENSSL);
	CU_ASSERT_FATAL(e[n] != NULL);
	CU_ASSERT_EQUAL(tw_crypto_engine_impl(e[n]), TW_CRYPTO_IMPL_OPENSSL);
	n++;
#if defined(TW_EXPECT_IPSEC_MB) && defined(__x86_64__)
	CU_ASSERT(!__builtin_cpu_supports("aes") || tw_crypto_ipsec_mb_usable());
#endif
	if (tw_crypto_ipsec_mb_usable()) {
		e[n] = tw_crypto_engine_new(TW_CRYPTO_IMPL_IPSEC_MB);
		CU_ASSERT_FATAL(e[n] != NULL);
		CU_ASSERT_EQUAL(tw_crypto_engine_impl(e[n]), TW_CRYPTO_IMPL_IPSEC_MB);
		CU_ASSERT(strncmp(tw_crypto_engine_name(e[n]), "intel-ipsec-mb", 14) == 0);
		n++;
	} else {
		CU_ASSERT(tw_crypto_engine_new(TW_CRYPTO_IMPL_IPSEC_MB) == NULL);
	}
	/* lib/tw_shani's lanes wherever the CPU has SHA-NI and AES-NI; AUTO
	 * then picks them. */
	if (tw_shani_usable()) {
		e[n] = tw_crypto_engine_new(TW_CRYPTO_IMPL_SHANI);
		CU_ASSERT_FATAL(e[n] != NULL);
		CU_ASSERT_EQUAL(tw_crypto_engine_impl(e[n]), TW_CRYPTO_IMPL_SHANI);
		CU_ASSERT(strncmp(tw_crypto_engine_name(e[n]), "sha-ni lanes", 12) == 0);
		struct tw_crypto_engine *a = tw_crypto_engine_new(TW_CRYPTO_IMPL_AUTO);
		CU_ASSERT_EQUAL(tw_crypto_engine_impl(a), TW_CRYPTO_IMPL_SHANI);
		tw_crypto_engine_free(a);
		n++;
	} else {
		CU_ASSERT(tw_crypto_engine_new(TW_CRYPTO_IMPL_SHANI) == NULL);
	}
	return n;
}

/* §3.8 vector through every engine: the mode-2 sender packet and its
 * reflector twin (protect), and the captured wire packet (verify). */
static void test_burst_vector(void)
{
	struct keys k;
	struct tw_test_crypto tc;
	struct tw_crypto_engine *e[3];
	unsigned ne = engines(e);
	uint8_t want[48];
	load_keys(&k);
	hex(PKT1_WIRE, want, 48);
	CU_ASSERT_EQUAL_FATAL(tw_test_crypto_init(&tc, k.taes, k.thmac), TW_OK);
	for (unsigned x = 0; x < ne; x++) {
		uint8_t snd[112], refl[120] = {0}, wire[112];
		pkt1_plain(snd);
		pkt1_plain(refl);
		memset(refl + 16, 0x33, 80);
		memcpy(wire, want, 48);
		struct tw_crypto_op ops[3] = {
		    {&tc, NULL, snd, sizeof(snd), 16, 32, TW_E_ARG},
		    {&tc, NULL, refl, sizeof(refl), 16, 96, TW_E_ARG},
		};
		tw_crypto_protect_burst(e[x], ops, 2);
		CU_ASSERT_EQUAL(ops[0].rc, TW_OK);
		CU_ASSERT_EQUAL(ops[1].rc, TW_OK);
		hex(PKT1_TS, snd + 16, 16);
		TW_ASSERT_BYTES(snd, want, 48);
		TW_ASSERT_BYTES(refl, want, 16);
		TW_ASSERT_BYTES(refl + 96, want + 32, 16);
		CU_ASSERT_EQUAL(refl[16], 0x33);
		CU_ASSERT_EQUAL(refl[112], 0); /* nothing past the 16-octet HMAC field */
		ops[2] = (struct tw_crypto_op){&tc, NULL, wire, 48, 16, 32, TW_E_ARG};
		tw_crypto_verify_burst(e[x], &ops[2], 1);
		CU_ASSERT_EQUAL(ops[2].rc, TW_OK);
		CU_ASSERT_EQUAL(wire[3], 1);
		CU_ASSERT_EQUAL(wire[0] | wire[15], 0);
		tw_crypto_engine_free(e[x]);
	}
	tw_test_crypto_free(&tc);
}

#define BURST_SESS 5
#define BURST_OPS  150 /* more than TW_CRYPTO_BURST_MAX: chunks too */

/* Random bursts over several sessions mixing every TWAMP layout (modes 2
 * and 4, sender, reflector, symmetrical) and STAMP, a few argument errors,
 * and tampered packets: each engine's result codes and octets equal the
 * one-packet OpenSSL functions' on the same inputs, for protect and for
 * verify (including the decrypted head of a failed packet). */
static void test_burst_equals_openssl(void)
{
	static const struct {
		size_t enc_len, hmac_off, len;
	} lay[] = {{16, 32, 48},
	           {16, 96, 112},
	           {32, 32, 48},
	           {96, 96, 112},
	           {96, 96, 128},
	           {0, 0, 112} /* STAMP */,
	           {16, 32, 47} /* truncated */,
	           {24, 32, 64} /* not whole blocks */,
	           {128, 128, 160} /* longer than tw_shani's MACs: OpenSSL */};
	struct tw_test_crypto tc[BURST_SESS];
	struct tw_stamp_auth sa[BURST_SESS];
	struct tw_crypto_engine *e[3];
	unsigned ne = engines(e);
	static uint8_t in[BURST_OPS][160], ref[BURST_OPS][160], got[BURST_OPS][160];
	struct tw_crypto_op ops[BURST_OPS], rops[BURST_OPS];
	unsigned diff = 0, checked = 0;

	for (unsigned i = 0; i < BURST_SESS; i++) {
		uint8_t a[16], h[32], sk[80];
		rng_fill(a, sizeof(a));
		rng_fill(h, sizeof(h));
		rng_fill(sk, sizeof(sk));
		CU_ASSERT_EQUAL_FATAL(tw_test_crypto_init(&tc[i], a, h), TW_OK);
		/* STAMP keys of 1..80 octets: long ones are hashed first */
		CU_ASSERT_EQUAL_FATAL(tw_stamp_auth_init(&sa[i], sk, 1 + i * 19), TW_OK);
	}
	for (unsigned x = 0; x < ne; x++) {
		for (int round = 0; round < 4; round++) {
			for (unsigned i = 0; i < BURST_OPS; i++) {
				unsigned l = (unsigned)(rng() % (sizeof(lay) / sizeof(lay[0])));
				unsigned si = (unsigned)(rng() % BURST_SESS);
				rng_fill(in[i], sizeof(in[i]));
				ops[i] = (struct tw_crypto_op){
				    lay[l].enc_len ? &tc[si] : NULL, lay[l].enc_len ? NULL : &sa[si],
				    got[i], lay[l].len, lay[l].enc_len, lay[l].hmac_off, TW_E_ARG};
			}
			memcpy(got, in, sizeof(got));
			if (round % 2) { /* verify packets OpenSSL protected, a third tampered */
				tw_crypto_protect_burst(NULL, ops, BURST_OPS);
				for (unsigned i = 0; i < BURST_OPS; i++)
					if (i % 3 == 0)
						got[i][i % 16] ^= 1;
			}
			memcpy(ref, got, sizeof(ref));
			for (unsigned i = 0; i < BURST_OPS; i++)
				rops[i] = ops[i], rops[i].pkt = ref[i];
			if (round % 2 == 0) {
				tw_crypto_protect_burst(e[x], ops, BURST_OPS);
				for (unsigned i = 0; i < BURST_OPS; i++)
					rops[i].rc = rops[i].tc ? tw_test_protect(rops[i].tc, ref[i],
					                                          rops[i].len,
					                                          rops[i].enc_len,
					                                          rops[i].hmac_off)
					                        : tw_stamp_auth_sign(rops[i].sa, ref[i],
					                                             rops[i].len);
			} else {
				tw_crypto_verify_burst(e[x], ops, BURST_OPS);
				for (unsigned i = 0; i < BURST_OPS; i++)
					rops[i].rc = rops[i].tc ? tw_test_verify(rops[i].tc, ref[i],
					                                         rops[i].len,
					                                         rops[i].enc_len,
					                                         rops[i].hmac_off)
					                        : tw_stamp_auth_verify(rops[i].sa, ref[i],
					                                               rops[i].len);
			}
			for (unsigned i = 0; i < BURST_OPS; i++) {
				checked++;
				if (ops[i].rc != rops[i].rc || memcmp(got[i], ref[i], sizeof(got[i]))) {
					if (diff++ < 5)
						printf("\n  %s round %d op %u: rc %s, OpenSSL %s",
						       tw_crypto_engine_name(e[x]), round, i,
						       tw_errname(ops[i].rc), tw_errname(rops[i].rc));
				}
			}
			/* the verify rounds see real passes and real failures */
			if (round % 2) {
				unsigned ok = 0, bad = 0;
				for (unsigned i = 0; i < BURST_OPS; i++)
					ok += rops[i].rc == TW_OK, bad += rops[i].rc == TW_E_HMAC;
				CU_ASSERT(ok > BURST_OPS / 4);
				CU_ASSERT(bad > BURST_OPS / 8);
			}
		}
		tw_crypto_engine_free(e[x]);
	}
	CU_ASSERT_EQUAL(diff, 0);
	CU_ASSERT_EQUAL(checked, ne * 4 * BURST_OPS);
	for (unsigned i = 0; i < BURST_SESS; i++) {
		tw_test_crypto_free(&tc[i]);
		tw_stamp_auth_free(&sa[i]);
	}
}

static void test_burst_args(void)
{
	struct tw_crypto_engine *e[3];
	unsigned ne = engines(e);
	uint8_t pkt[112] = {0};
	struct tw_test_crypto tc;
	memset(&tc, 0, sizeof(tc)); /* never initialised */
	for (unsigned x = 0; x < ne; x++) {
		struct tw_crypto_op ops[3] = {
		    {NULL, NULL, pkt, 112, 16, 32, TW_OK},
		    {&tc, NULL, pkt, 112, 16, 32, TW_OK},
		    {NULL, NULL, NULL, 0, 0, 0, TW_OK},
		};
		tw_crypto_protect_burst(e[x], ops, 3);
		for (int i = 0; i < 3; i++)
			CU_ASSERT_EQUAL(ops[i].rc, TW_E_ARG);
		tw_crypto_verify_burst(e[x], NULL, 5); /* no-op */
		tw_crypto_verify_burst(e[x], ops, 0);
		tw_crypto_engine_free(e[x]);
	}
	CU_ASSERT(tw_crypto_engine_new((enum tw_crypto_impl)99) == NULL);
	tw_crypto_engine_free(NULL);
	CU_ASSERT_STRING_EQUAL(tw_crypto_engine_name(NULL), "openssl");
}

static const struct tw_unit_case cases[] = {
    {"KEK PBKDF2 (§3.8)", test_kek},
    {"Token decrypt/encrypt, challenge check (§3.8)", test_token},
    {"Request-TW-Session seal/open (§3.8)", test_ctl_request},
    {"Server-Start block + Accept-Session (§3.8)", test_ctl_server_start_accept},
    {"control HMAC tamper", test_ctl_tamper},
    {"control streams chain across messages", test_ctl_conversation},
    {"control argument errors", test_ctl_errors},
    {"test-session keys from SID (§3.8)", test_test_keys},
    {"mode 2 sender packet, HMAC before timestamp (§3.8)", test_mode2_sender_vector},
    {"mode 2 reflector equals sender (§3.6)", test_mode2_reflector_vector},
    {"modes 2/4 layouts: reference, round trip, tamper", test_layouts_roundtrip_tamper},
    {"layout table", test_layout_table},
    {"test protection argument errors", test_test_errors},
    {"STAMP HMAC-SHA-256", test_stamp},
    {"HMAC-SHA1/SHA-256 = EVP_Q_mac = HMAC(), random keys and lengths", test_hmac_crosscheck},
    {"stand-alone HMAC argument errors", test_hmac_api_errors},
    {"STAMP, random keys up to 200 octets", test_stamp_random_keys},
    {"modes 2/4 random packet sequences = fresh-IV reference", test_test_random_sequence},
    {"random and cleanse", test_random},
    {"no allocation per packet/message", test_no_alloc},
    {"burst engines: §3.8 mode 2 vector", test_burst_vector},
    {"burst engines = OpenSSL bit for bit: all layouts, STAMP, tamper", test_burst_equals_openssl},
    {"burst engines: argument errors", test_burst_args},
    {NULL, NULL},
};

int main(void)
{
	/* Must precede every other OpenSSL call; see test_no_alloc(). */
	counting = CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (tw_unit_suite("crypto", cases) != 0)
		return 2;
	return tw_unit_run("crypto");
}
