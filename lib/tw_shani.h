/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_shani: HMAC-SHA1, HMAC-SHA-256 and AES-128-CBC (IV 0) for many short
 * TWAMP-Test and STAMP packets at once, on the x86 SHA and AES instructions
 * (SHA-NI, AES-NI).
 *
 * Why this exists beside OpenSSL and intel-ipsec-mb (docs/architecture.md,
 * "Test-packet crypto"): a TWAMP mode-2 reflected packet needs four SHA-1
 * compressions (RFC 2104 inner and outer block, once to verify the sender's
 * HMAC and once to sign the reply, §3.6 of the wire notes) and two AES
 * blocks.  SHA1RNDS4 is latency-bound: one block alone costs ~100 cycles on
 * the CPUs we measured, in OpenSSL and in intel-ipsec-mb's SHA-NI manager
 * (which interleaves at most two).  Three independent blocks interleaved
 * cost ~45 cycles each (twinhop-cryptobench, docs/performance.md).  Neither
 * library has an interface that runs three or more short HMACs side by
 * side on SHA-NI, so this module does only that, and nothing else:
 * key pads, long messages and everything on the control path stay in
 * OpenSSL.  STAMP's HMAC-SHA-256 (two inner blocks and an outer one per
 * MAC over octets 0..95) gets the same lanes: ~60 cycles a block against
 * ~106 one at a time.  Every output is checked against OpenSSL in
 * tests/unit/test_shani.c and, through the burst engine, in
 * tests/unit/test_crypto.c.
 *
 * Call nothing but tw_shani_usable() where it returns false (another CPU, or
 * not x86-64).  No function allocates, locks or makes a system call.
 */
#ifndef TW_SHANI_H
#define TW_SHANI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Does this CPU have SHA, AES-NI, SSSE3 and SSE4.1 (CPUID), and was this
 * module built for x86-64? */
bool tw_shani_usable(void);

/* ---- AES-128 ----------------------------------------------------------------- */

#define TW_SHANI_AES_ROUNDS 10

/* Round keys: enc in FIPS-197 order; dec for the Equivalent Inverse Cipher
 * (FIPS-197 §5.3.5), as AESDEC wants them.  Key-equivalent: zeroise. */
struct tw_shani_aes {
	_Alignas(16) uint8_t enc[TW_SHANI_AES_ROUNDS + 1][16];
	_Alignas(16) uint8_t dec[TW_SHANI_AES_ROUNDS + 1][16];
};

void tw_shani_aes_init(struct tw_shani_aes *k, const uint8_t key[16]);

/* One region to encrypt or decrypt in place: AES-128-CBC with IV 0 over len
 * octets (a non-zero multiple of 16; one block is AES-ECB). */
struct tw_shani_cbc {
	const struct tw_shani_aes *key;
	uint8_t *data;
	size_t len;
};

/* n regions, independent of each other (they must not overlap). */
void tw_shani_cbc_encrypt(const struct tw_shani_cbc *ops, unsigned n);
void tw_shani_cbc_decrypt(const struct tw_shani_cbc *ops, unsigned n);

/* ---- HMAC-SHA1 (RFC 2104) of short messages ----------------------------------- */

/* Longest message: the inner hash then takes at most two blocks (a message,
 * 0x80, and the 8-octet length after the 64-octet key pad). */
#define TW_SHANI_MAC_MAX  119
#define TW_SHANI_SHA1_LEN 20

/* One MAC.  ipad and opad: the five SHA-1 state words (h0..h4, native
 * order) after compressing K ^ ipad and K ^ opad, i.e. the key schedule
 * every HMAC implementation keeps.  msg is copied before out is written, so
 * the two may overlap. */
struct tw_shani_mac {
	const uint32_t *ipad, *opad;
	const uint8_t *msg;
	size_t len;   /* <= TW_SHANI_MAC_MAX; longer: the op is skipped, out untouched */
	uint8_t *out; /* TW_SHANI_SHA1_LEN octets */
};

/* n MACs, three compressions at a time. */
void tw_shani_hmac_sha1(const struct tw_shani_mac *ops, unsigned n);
/* The same with SHA-256 (STAMP, RFC 8762 §4.1.2): ipad/opad are the eight
 * state words, out gets TW_SHANI_SHA256_LEN octets. */
#define TW_SHANI_SHA256_LEN 32
void tw_shani_hmac_sha256(const struct tw_shani_mac *ops, unsigned n);

/* One compression of a 64-octet block into a state (native words), for
 * tests and for building the pad states. */
void tw_shani_sha1_block(uint32_t state[5], const uint8_t block[64]);
void tw_shani_sha256_block(uint32_t state[8], const uint8_t block[64]);

#endif
