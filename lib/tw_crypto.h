/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_crypto: all TWAMP/OWAMP and STAMP cryptography, over OpenSSL 3.
 *
 * What is here (wire reference §3, §6.2):
 *   - KEK derivation and the Set-Up-Response Token (§3.1, §3.2);
 *   - the TWAMP-Control channel: two continuing AES-128-CBC streams and two
 *     running HMAC-SHA1/128 contexts, including the Server-Start exception
 *     (§3.3, §3.4) — an opaque handle, one per control connection;
 *   - test-session key derivation from the SID (§3.5);
 *   - per-packet TWAMP-Test protection for modes 2 and 4 (§3.6) and STAMP
 *     HMAC-SHA-256 (§6.2) — exposed structs, built once per session, whose
 *     per-packet functions neither allocate nor re-key.
 *
 * Mode 1 (open) and mode 8 (mixed) test sessions use no test crypto at all:
 * callers simply do not create a struct tw_test_crypto.  Mode 1 control
 * connections use no crypto either (no struct tw_ctl_crypto; HMAC fields are
 * sent as zeros, §3.3).  Mode 8 control is protected exactly like modes 2/4.
 *
 * HMAC implementation note.  On OpenSSL 3.0 every EVP digest/MAC re-use path
 * allocates per call (EVP_MD_CTX_copy_ex and EVP_DigestInit_ex free and
 * re-create the provider context; EVP_MAC_init(ctx, NULL, ...) does the same
 * internally; the provider's dupctx mallocs), which the fast path forbids.
 * So the HMAC (RFC 2104) runs on OpenSSL's low-level SHA1_* / SHA256_*
 * functions, whose contexts are plain structs: the states after hashing
 * K ^ ipad and K ^ opad are computed once per key, and each MAC starts from a
 * struct copy of them — no allocation, and two fewer compression-function
 * calls per MAC than re-hashing the pads.  Those functions are deprecated in
 * OpenSSL 3, so only tw_crypto.c uses them (see there).  They are still
 * OpenSSL's SHA (including its SHA-NI assembly); no SHA or AES code is
 * written here.
 *
 * Per-packet AES stays on EVP (AES-NI); AES-CBC with IV 0 never re-runs
 * EVP_CipherInit_ex per packet (see tw_crypto.c).
 *
 * Thread safety: a handle or struct is used by one thread at a time (one
 * lcore owns a session).  Different handles may be used concurrently.
 */
#ifndef TW_CRYPTO_H
#define TW_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "tw_err.h"
#include "tw_shani.h"

#define TW_CRYPTO_BLOCK_LEN     16 /* AES block; control messages are whole blocks */
#define TW_CRYPTO_AES_KEY_LEN   16
#define TW_CRYPTO_HMAC_KEY_LEN  32 /* TWAMP HMAC Session-key and test HMAC key */
#define TW_CRYPTO_IV_LEN        16
#define TW_CRYPTO_KEK_LEN       16
#define TW_CRYPTO_SALT_LEN      16
#define TW_CRYPTO_CHALLENGE_LEN 16
#define TW_CRYPTO_TOKEN_LEN     64 /* Set-Up-Response 84..147 */
#define TW_CRYPTO_SID_LEN       16
#define TW_CRYPTO_HMAC_LEN      16 /* truncated HMAC carried on the wire */
#define TW_CRYPTO_MD_BLOCK_MAX  64 /* SHA-1 and SHA-256 block size */
#define TW_CRYPTO_AES_ROUND_KEYS (11 * 16) /* AES-128 expanded key */

/* Server-Start (§2.4): octets 32..47 are the first block of the server's stream. */
#define TW_CRYPTO_SERVER_START_LEN     48
#define TW_CRYPTO_SERVER_START_ENC_OFF 32

/* TWAMP-Test layouts (§3.6, §4.2, §4.4).  enc_len octets from offset 0 are
 * encrypted and are exactly what the HMAC covers; the HMAC sits at hmac_off. */
#define TW_TEST_AUTH_ENC_LEN          16 /* mode 2, both directions (AES-ECB) */
#define TW_TEST_ENC_SENDER_ENC_LEN    32 /* mode 4 sender (AES-CBC, IV 0) */
#define TW_TEST_ENC_REFLECTOR_ENC_LEN 96 /* mode 4 reflector (AES-CBC, IV 0) */
#define TW_TEST_SENDER_HMAC_OFF       32
#define TW_TEST_REFLECTOR_HMAC_OFF    96
/* RFC 6038 Symmetrical Size sender, modes 2/4: HMAC at 96 and, in mode 4,
 * 0..95 encrypted — UNVERIFIED (§4.6), hence lengths are parameters. */
#define TW_TEST_SYM_HMAC_OFF    96
#define TW_TEST_SYM_ENC_ENC_LEN 96

/* STAMP authenticated packets (§6.2): HMAC-SHA-256/128 of 0..95 at 96..111. */
#define TW_STAMP_AUTH_COVER_LEN 96
#define TW_STAMP_AUTH_HMAC_OFF  96
#define TW_STAMP_AUTH_MIN_LEN   112

/* ---- Utilities -------------------------------------------------------- */

/* Cryptographically secure random octets (keys, IVs, challenges, salts). */
enum tw_err tw_crypto_random(void *buf, size_t len);
/* Zeroise key material in a way the compiler cannot elide. */
void tw_crypto_cleanse(void *buf, size_t len);

/* ---- Key derivation and Token (§3.1, §3.2) ------------------------------ */

/* KEK = PBKDF2-HMAC-SHA1(secret, salt, count, 16).  count must be >= 1 (the
 * caller enforces its own minimum/maximum policy, §2.1). */
enum tw_err tw_kek_derive(const void *secret, size_t secret_len,
                          const uint8_t salt[TW_CRYPTO_SALT_LEN], uint32_t count,
                          uint8_t kek[TW_CRYPTO_KEK_LEN]);

/* Client: token = AES-128-CBC(KEK, IV 0, challenge || aes_key || hmac_key). */
enum tw_err tw_token_encrypt(const uint8_t kek[TW_CRYPTO_KEK_LEN],
                             const uint8_t challenge[TW_CRYPTO_CHALLENGE_LEN],
                             const uint8_t aes_key[TW_CRYPTO_AES_KEY_LEN],
                             const uint8_t hmac_key[TW_CRYPTO_HMAC_KEY_LEN],
                             uint8_t token[TW_CRYPTO_TOKEN_LEN]);

/* Server: decrypt the token and compare (constant time) its first block with
 * the challenge sent in the greeting.  TW_E_CHALLENGE on mismatch, in which
 * case aes_key and hmac_key are zeroed. */
enum tw_err tw_token_decrypt(const uint8_t kek[TW_CRYPTO_KEK_LEN],
                             const uint8_t token[TW_CRYPTO_TOKEN_LEN],
                             const uint8_t challenge[TW_CRYPTO_CHALLENGE_LEN],
                             uint8_t aes_key[TW_CRYPTO_AES_KEY_LEN],
                             uint8_t hmac_key[TW_CRYPTO_HMAC_KEY_LEN]);

/* ---- TWAMP-Control channel (§3.3, §3.4) --------------------------------- */

enum tw_ctl_crypto_role {
	TW_CTL_CRYPTO_CLIENT,
	TW_CTL_CRYPTO_SERVER,
};

struct tw_ctl_crypto;

/* One handle per control connection in modes 2/4/8, created once both IVs
 * are known (the client: after reading Server-Start).  The keys are copied;
 * the caller may cleanse its copies.  NULL on failure. */
struct tw_ctl_crypto *tw_ctl_crypto_new(enum tw_ctl_crypto_role role,
                                        const uint8_t aes_key[TW_CRYPTO_AES_KEY_LEN],
                                        const uint8_t hmac_key[TW_CRYPTO_HMAC_KEY_LEN],
                                        const uint8_t client_iv[TW_CRYPTO_IV_LEN],
                                        const uint8_t server_iv[TW_CRYPTO_IV_LEN]);
/* Zeroises all key material.  NULL is a no-op. */
void tw_ctl_crypto_free(struct tw_ctl_crypto *c);

/* Server only, exactly once, before any tw_ctl_crypto_seal(): encrypt
 * Server-Start octets 32..47 in place as the first block of the server
 * stream and feed their plaintext into the send HMAC without emitting a
 * digest, so the server's first HMAC covers them (§2.4, §3.4).  msg is the
 * whole Server-Start message (len >= 48). */
enum tw_err tw_ctl_crypto_server_start_seal(struct tw_ctl_crypto *c, uint8_t *msg, size_t len);
/* Client only, exactly once, before any receive call: decrypt Server-Start
 * octets 32..47 in place and feed their plaintext into the receive HMAC. */
enum tw_err tw_ctl_crypto_server_start_open(struct tw_ctl_crypto *c, uint8_t *msg, size_t len);

/* Seal an outgoing message in place: msg holds the plaintext, whose last
 * 16 octets are the HMAC slot; HMAC-SHA1/128 of the preceding octets is
 * written there and the whole message is encrypted, continuing this
 * direction's CBC stream.  len: multiple of 16, >= 32. */
enum tw_err tw_ctl_crypto_seal(struct tw_ctl_crypto *c, uint8_t *msg, size_t len);

/* Decrypt received blocks in place, continuing the receive CBC stream.  May
 * be called block by block (e.g. first block to dispatch on the command,
 * then the rest of the message, §2.0).  len: multiple of 16. */
enum tw_err tw_ctl_crypto_decrypt(struct tw_ctl_crypto *c, uint8_t *buf, size_t len);

/* Verify a received message that has been completely decrypted: the HMAC in
 * its last 16 octets must match the receive HMAC over (pending Server-Start
 * prefix, first time on the client) || the octets before it.  TW_E_HMAC on
 * mismatch (constant-time compare); the receive HMAC restarts either way.
 * Callers must drop the connection on TW_E_HMAC. */
enum tw_err tw_ctl_crypto_verify(struct tw_ctl_crypto *c, const uint8_t *msg, size_t len);

/* tw_ctl_crypto_decrypt() of the whole message, then tw_ctl_crypto_verify(). */
enum tw_err tw_ctl_crypto_open(struct tw_ctl_crypto *c, uint8_t *msg, size_t len);

/* ---- Test-session keys (§3.5) --------------------------------------------- */

/* test_aes = AES-128-ECB(key = SID, aes_key);
 * test_hmac = AES-128-CBC(key = SID, IV 0, hmac_key). */
enum tw_err tw_crypto_test_keys(const uint8_t sid[TW_CRYPTO_SID_LEN],
                                const uint8_t aes_key[TW_CRYPTO_AES_KEY_LEN],
                                const uint8_t hmac_key[TW_CRYPTO_HMAC_KEY_LEN],
                                uint8_t test_aes_key[TW_CRYPTO_AES_KEY_LEN],
                                uint8_t test_hmac_key[TW_CRYPTO_HMAC_KEY_LEN]);

/* ---- Per-packet protection: shared HMAC state ------------------------------ */

struct tw_crypto_md; /* digest descriptor, private to tw_crypto.c */

/* Room for OpenSSL's SHA_CTX (96 octets) and SHA256_CTX (112); tw_crypto.c
 * checks at compile time that they fit. */
#define TW_CRYPTO_MD_STATE_MAX 128

/* Private: an HMAC key schedule — the digest states after the key pads
 * (key-equivalent: zeroised by the free functions).  Exposed only so it can
 * be embedded; per-MAC state lives on the caller's stack. */
struct tw_crypto_hmac {
	const struct tw_crypto_md *md;              /* NULL: not initialised */
	uint64_t inner[TW_CRYPTO_MD_STATE_MAX / 8]; /* after K ^ ipad */
	uint64_t outer[TW_CRYPTO_MD_STATE_MAX / 8]; /* after K ^ opad */
	/* The same two states in intel-ipsec-mb's format (its one-block
	 * digests), for the burst engine; valid when mb_ready. */
	bool mb_ready;
	_Alignas(16) uint8_t mb_ipad[32];
	_Alignas(16) uint8_t mb_opad[32];
};

/* A stand-alone HMAC on the same allocation-free code the per-packet paths
 * use (e.g. for tests and tools).  sha256: false = HMAC-SHA1, true =
 * HMAC-SHA-256.  key: any length (longer than 64 octets is hashed first,
 * RFC 2104; zero length is allowed here).  Set-up may allocate nothing
 * either, but is not meant to be per packet. */
enum tw_err tw_crypto_hmac_init(struct tw_crypto_hmac *h, bool sha256, const void *key,
                                size_t key_len);
/* Zeroises the key schedule.  NULL is a no-op. */
void tw_crypto_hmac_free(struct tw_crypto_hmac *h);
/* Write the first out_len octets of HMAC(key, data) to out.  out_len: 1 ..
 * the digest size (20 or 32), else TW_E_LENGTH.  Never allocates. */
enum tw_err tw_crypto_hmac_compute(const struct tw_crypto_hmac *h, const void *data, size_t len,
                                   uint8_t *out, size_t out_len);

/* ---- TWAMP-Test, modes 2 and 4 (§3.6) -------------------------------------- */

/* Per-session state; fields are private.  Embed it in the session and call
 * tw_test_crypto_init() at set-up; protect/verify never allocate. */
struct tw_test_crypto {
	EVP_CIPHER_CTX *ecb_enc, *ecb_dec; /* one-block case (mode 2) */
	EVP_CIPHER_CTX *cbc_enc, *cbc_dec; /* IV 0 per packet (mode 4), never re-initialised */
	struct tw_crypto_hmac mac;         /* HMAC-SHA1 with the test HMAC key */
	/* The CBC block each cbc_* context last chained on: its current IV. */
	uint8_t cbc_enc_chain[TW_CRYPTO_BLOCK_LEN], cbc_dec_chain[TW_CRYPTO_BLOCK_LEN];
	/* AES-128 round keys in intel-ipsec-mb's format (burst engine only):
	 * valid when mac.mb_ready.  Key-equivalent: zeroised on free. */
	_Alignas(16) uint8_t mb_aes_enc[TW_CRYPTO_AES_ROUND_KEYS];
	_Alignas(16) uint8_t mb_aes_dec[TW_CRYPTO_AES_ROUND_KEYS];
	/* The same key for lib/tw_shani's AES lanes: valid when sn_ready (the
	 * CPU has SHA-NI and AES-NI).  Key-equivalent: zeroised on free. */
	bool sn_ready;
	struct tw_shani_aes sn_aes;
};

/* Keys are the test keys from tw_crypto_test_keys().  On failure the struct
 * is left freed (tw_test_crypto_free() is still safe). */
enum tw_err tw_test_crypto_init(struct tw_test_crypto *tc,
                                const uint8_t test_aes_key[TW_CRYPTO_AES_KEY_LEN],
                                const uint8_t test_hmac_key[TW_CRYPTO_HMAC_KEY_LEN]);
void tw_test_crypto_free(struct tw_test_crypto *tc);

/* enc_len and hmac_off for a mode (2 or 4), direction, and RFC 6038
 * Symmetrical Size sender (UNVERIFIED layout).  TW_E_MODE for other modes. */
enum tw_err tw_test_crypto_layout(unsigned mode, bool reflector, bool symmetric, size_t *enc_len,
                                  size_t *hmac_off);

/* Protect a plaintext packet in place: HMAC-SHA1/128 over octets
 * 0..enc_len-1 written at hmac_off, then octets 0..enc_len-1 encrypted
 * (enc_len 16: AES-ECB; more: AES-CBC with IV 0).  enc_len: non-zero multiple
 * of 16, hmac_off >= enc_len, hmac_off + 16 <= len.
 * Mode 2 ("HMAC now, timestamp later"): neither the timestamp (16..25) nor
 * anything past octet 15 other than the HMAC is touched, so the sender may
 * call this before reading the clock and write the timestamp afterwards. */
enum tw_err tw_test_protect(struct tw_test_crypto *tc, uint8_t *pkt, size_t len, size_t enc_len,
                            size_t hmac_off);
/* Decrypt octets 0..enc_len-1 in place and check the HMAC (constant time).
 * TW_E_HMAC on mismatch: drop the packet (its head is then garbage). */
enum tw_err tw_test_verify(struct tw_test_crypto *tc, uint8_t *pkt, size_t len, size_t enc_len,
                           size_t hmac_off);

/* ---- STAMP authenticated mode (§6.2) --------------------------------------- */

struct tw_stamp_auth {
	struct tw_crypto_hmac mac; /* HMAC-SHA-256, private */
};

/* key: provisioned out of band, any non-zero length (longer than 64 octets
 * is hashed first, RFC 2104). */
enum tw_err tw_stamp_auth_init(struct tw_stamp_auth *sa, const void *key, size_t key_len);
void tw_stamp_auth_free(struct tw_stamp_auth *sa);
/* Write HMAC-SHA-256/128 of octets 0..95 at 96..111 (len >= 112). */
enum tw_err tw_stamp_auth_sign(struct tw_stamp_auth *sa, uint8_t *pkt, size_t len);
/* TW_E_HMAC if octets 96..111 are not HMAC-SHA-256/128 of 0..95. */
enum tw_err tw_stamp_auth_verify(struct tw_stamp_auth *sa, const uint8_t *pkt, size_t len);

/*
 * RFC 8972 §4.8 HMAC TLV: HMAC-SHA-256 truncated to 16 octets, keyed like
 * the authenticated base packet (§6.2), over the base packet's Sequence
 * Number (octets 0..3) followed by every TLV before the HMAC TLV (headers
 * and values, octets tlv_start..hmac_tlv-1 of pkt).  Both ends compute it
 * over the packet they send, so a reflector's U/M flag changes are covered
 * by its own reply HMAC.  pkt must hold at least hmac_tlv octets;
 * 4 <= tlv_start <= hmac_tlv.
 */
enum tw_err tw_stamp_tlv_hmac(struct tw_stamp_auth *sa, const uint8_t *pkt, size_t tlv_start,
                              size_t hmac_tlv, uint8_t out[TW_CRYPTO_HMAC_LEN]);
/* TW_E_HMAC if the 16 octets at mac are not tw_stamp_tlv_hmac() (constant time). */
enum tw_err tw_stamp_tlv_hmac_verify(struct tw_stamp_auth *sa, const uint8_t *pkt, size_t tlv_start,
                                     size_t hmac_tlv, const uint8_t *mac);

/* ---- Bursts: many packets per call, on the fastest implementation ---------
 *
 * The fast path protects and verifies a whole Rx burst at once.  An engine
 * (one per thread: an lcore) runs every op on lib/tw_shani where the CPU
 * has SHA-NI and AES-NI: TWAMP's HMAC-SHA1 and AES, STAMP's HMAC-SHA-256,
 * three SHA blocks side by side, which no library offers (tw_shani.h).
 * Otherwise it runs the burst on intel-ipsec-mb's job API when twinhop was
 * built with that library and the CPU has AES-NI, and on the OpenSSL
 * functions above otherwise.  With SHA-NI the library path uses the
 * library's SSE manager (SHA-NI and AES-NI, two SHA lanes: as fast for one
 * packet as for 32); without it, the AVX-512/AVX2 multi-buffer manager,
 * which only beats OpenSSL with many packets in flight, so bursts shorter
 * than TW_CRYPTO_MB_MIN_SIMD go to OpenSSL there.  All give the same
 * octets: tests/unit/test_crypto.c compares them on every layout.  Measured
 * by twinhop-cryptobench (docs/performance.md, docs/architecture.md).
 *
 * Per-session state is the same struct tw_test_crypto / tw_stamp_auth: their
 * init functions also build intel-ipsec-mb's and the lanes' key schedules
 * when they can run here, so a session works with any engine. */

enum tw_crypto_impl {
	TW_CRYPTO_IMPL_AUTO,     /* SHA-NI lanes, else intel-ipsec-mb, else OpenSSL */
	TW_CRYPTO_IMPL_OPENSSL,  /* OpenSSL, one packet at a time */
	TW_CRYPTO_IMPL_IPSEC_MB, /* intel-ipsec-mb, best manager for this CPU
	                          * (fails when unusable here) */
	/* intel-ipsec-mb's widest SIMD manager (AVX-512/AVX2 multi-buffer
	 * lanes) even where SHA-NI is faster: for benchmarks only. */
	TW_CRYPTO_IMPL_IPSEC_MB_SIMD,
	/* TWAMP's HMAC-SHA1 and AES on lib/tw_shani's lanes (three SHA-1
	 * blocks side by side); STAMP's HMAC-SHA-256 on intel-ipsec-mb when
	 * usable, else OpenSSL.  Fails where the CPU lacks SHA-NI/AES-NI. */
	TW_CRYPTO_IMPL_SHANI,
};

struct tw_crypto_engine;

/* Most ops one call submits to the library at once; larger bursts are
 * processed in chunks of this many. */
#define TW_CRYPTO_BURST_MAX 64
/* Shortest burst the SIMD multi-buffer manager gets (measured crossover
 * with OpenSSL, twinhop-cryptobench --burst N). */
#define TW_CRYPTO_MB_MIN_SIMD 16

/* Is intel-ipsec-mb built in and usable on this CPU (AES-NI)? */
bool tw_crypto_ipsec_mb_usable(void);

/* Set-up only (allocates).  NULL when the implementation asked for cannot
 * run here (TW_CRYPTO_IMPL_IPSEC_MB without the library or AES-NI) or on
 * allocation failure. */
struct tw_crypto_engine *tw_crypto_engine_new(enum tw_crypto_impl want);
void tw_crypto_engine_free(struct tw_crypto_engine *e);
/* TW_CRYPTO_IMPL_OPENSSL, TW_CRYPTO_IMPL_IPSEC_MB or TW_CRYPTO_IMPL_SHANI. */
enum tw_crypto_impl tw_crypto_engine_impl(const struct tw_crypto_engine *e);
/* Human-readable: "openssl (...)", "intel-ipsec-mb 1.3.0 sse sha-ni",
 * "sha-ni lanes + ...", ... */
const char *tw_crypto_engine_name(const struct tw_crypto_engine *e);

/* One packet of a burst.  TWAMP modes 2/4: tc set, sa NULL, enc_len and
 * hmac_off from tw_test_crypto_layout().  STAMP authenticated: sa set, tc
 * NULL (enc_len, hmac_off unused).  rc is the result, exactly what
 * tw_test_protect/verify or tw_stamp_auth_sign/verify return for it. */
struct tw_crypto_op {
	struct tw_test_crypto *tc;
	struct tw_stamp_auth *sa;
	uint8_t *pkt;
	size_t len, enc_len, hmac_off;
	enum tw_err rc;
};

/* Protect (TWAMP) or sign (STAMP) n packets in place; sets every ops[i].rc.
 * e NULL: OpenSSL.  Never allocates.  Ops are independent: they may belong
 * to different sessions, and one session may appear several times. */
void tw_crypto_protect_burst(struct tw_crypto_engine *e, struct tw_crypto_op *ops, unsigned n);
/* Verify (TWAMP: decrypt in place, then check) n packets; sets ops[i].rc
 * (TW_E_HMAC: drop). */
void tw_crypto_verify_burst(struct tw_crypto_engine *e, struct tw_crypto_op *ops, unsigned n);

#endif
