/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_shani: HMAC-SHA1, HMAC-SHA-256 and AES-128-CBC for bursts of short test
 * packets on SHA-NI and AES-NI (see tw_shani.h for why).
 *
 * SHA-1 (FIPS 180-4 §6.1.2) on the SHA extensions (Intel SDM vol. 2,
 * SHA1RNDS4/SHA1NEXTE/SHA1MSG1/SHA1MSG2): the 80 rounds run four at a time
 * on the state {A,B,C,D} in one register; SHA1NEXTE derives E for the next
 * four from A four rounds back and adds it to the next four schedule words;
 * SHA1MSG1/SHA1MSG2 extend the schedule four words at a time:
 *   W[t..t+3] = SHA1MSG2(SHA1MSG1(W[t-16..], W[t-12..]) ^ W[t-8..], W[t-4..]).
 * Three blocks go through the rounds side by side (LANES): each SHA1RNDS4
 * waits for the one before it in its own block only, so the three chains
 * overlap.  Three, not four: the SHA instructions have only a legacy-SSE
 * encoding and so only xmm0..xmm15, and four lanes' state and schedule no
 * longer fit (measured: 4 lanes 54 cycles a block, 3 lanes 45, 1 lane 104).
 */
#include "tw_shani.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define TW_SHANI_X86 1
#define TARGET       __attribute__((target("sha,aes,ssse3,sse4.1")))
#endif

#ifdef TW_SHANI_X86
static bool cpu_has_all(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return false;
	if (!(c & bit_AES) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
		return false;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return false;
	return (b & bit_SHA) != 0;
}
#endif

bool tw_shani_usable(void)
{
#ifdef TW_SHANI_X86
	/* Asked once: CPUID traps to the hypervisor on a virtual machine, and
	 * every authenticated session's set-up asks.  0 unknown, 1 no, 2 yes;
	 * racing first callers compute the same answer. */
	static int known;
	int k = __atomic_load_n(&known, __ATOMIC_RELAXED);

	if (!k) {
		k = cpu_has_all() ? 2 : 1;
		__atomic_store_n(&known, k, __ATOMIC_RELAXED);
	}
	return k == 2;
#else
	return false;
#endif
}

#ifdef TW_SHANI_X86

/* ---- AES-128 (FIPS-197) ---------------------------------------------------------- */

/* One step of the key expansion (§5.2): w[i] = w[i-4] ^ SubWord(RotWord(w[i-1])) ^ Rcon
 * for the first word, and the running XOR for the other three. */
TARGET static inline __m128i aes_expand(__m128i k, __m128i assist)
{
	assist = _mm_shuffle_epi32(assist, 0xff);
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	return _mm_xor_si128(k, assist);
}

TARGET void tw_shani_aes_init(struct tw_shani_aes *k, const uint8_t key[16])
{
	__m128i r[TW_SHANI_AES_ROUNDS + 1];

	r[0] = _mm_loadu_si128((const __m128i *)key);
	/* AESKEYGENASSIST takes Rcon as an immediate. */
	r[1] = aes_expand(r[0], _mm_aeskeygenassist_si128(r[0], 0x01));
	r[2] = aes_expand(r[1], _mm_aeskeygenassist_si128(r[1], 0x02));
	r[3] = aes_expand(r[2], _mm_aeskeygenassist_si128(r[2], 0x04));
	r[4] = aes_expand(r[3], _mm_aeskeygenassist_si128(r[3], 0x08));
	r[5] = aes_expand(r[4], _mm_aeskeygenassist_si128(r[4], 0x10));
	r[6] = aes_expand(r[5], _mm_aeskeygenassist_si128(r[5], 0x20));
	r[7] = aes_expand(r[6], _mm_aeskeygenassist_si128(r[6], 0x40));
	r[8] = aes_expand(r[7], _mm_aeskeygenassist_si128(r[7], 0x80));
	r[9] = aes_expand(r[8], _mm_aeskeygenassist_si128(r[8], 0x1b));
	r[10] = aes_expand(r[9], _mm_aeskeygenassist_si128(r[9], 0x36));
	for (int i = 0; i <= TW_SHANI_AES_ROUNDS; i++)
		_mm_store_si128((__m128i *)k->enc[i], r[i]);
	/* Equivalent Inverse Cipher: the round keys in reverse, with
	 * InvMixColumns applied to all but the first and last. */
	_mm_store_si128((__m128i *)k->dec[0], r[TW_SHANI_AES_ROUNDS]);
	for (int i = 1; i < TW_SHANI_AES_ROUNDS; i++)
		_mm_store_si128((__m128i *)k->dec[i], _mm_aesimc_si128(r[TW_SHANI_AES_ROUNDS - i]));
	_mm_store_si128((__m128i *)k->dec[TW_SHANI_AES_ROUNDS], r[0]);
	/* r[] is key material on the stack */
	for (int i = 0; i <= TW_SHANI_AES_ROUNDS; i++)
		r[i] = _mm_setzero_si128();
	__asm__ __volatile__("" : : "m"(r) : "memory");
}

/* Blocks in flight at once: AESENC has a latency of ~4 cycles and a
 * throughput of 1-2 a cycle, so four independent blocks keep it busy. */
#define AES_LANES 4

/* CBC encryption is a chain inside each region, so the lanes are regions:
 * up to four regions advance one block per step.  A lane that has no block
 * left at a step encrypts into scratch. */
TARGET void tw_shani_cbc_encrypt(const struct tw_shani_cbc *ops, unsigned n)
{
	_Alignas(16) uint8_t scratch[AES_LANES][16] = {{0}};

	for (unsigned g = 0; g < n; g += AES_LANES) {
		unsigned m = n - g < AES_LANES ? n - g : AES_LANES;
		const __m128i *rk[AES_LANES];
		size_t blocks[AES_LANES], most = 0;
		__m128i chain[AES_LANES];

		for (unsigned l = 0; l < AES_LANES; l++) {
			const struct tw_shani_cbc *o = l < m ? &ops[g + l] : NULL;
			rk[l] = (const __m128i *)(o ? o->key->enc[0] : ops[g].key->enc[0]);
			blocks[l] = o ? o->len / 16 : 0;
			most = blocks[l] > most ? blocks[l] : most;
			chain[l] = _mm_setzero_si128(); /* IV 0 */
		}
		for (size_t b = 0; b < most; b++) {
			uint8_t *p[AES_LANES];
			__m128i x[AES_LANES];
			_Pragma("GCC unroll 4") for (unsigned l = 0; l < AES_LANES; l++)
			{
				p[l] = b < blocks[l] ? ops[g + l].data + 16 * b : scratch[l];
				x[l] =
				    _mm_xor_si128(_mm_loadu_si128((const __m128i *)p[l]), chain[l]);
				x[l] = _mm_xor_si128(x[l], _mm_load_si128(&rk[l][0]));
			}
			for (int r = 1; r < TW_SHANI_AES_ROUNDS; r++)
				_Pragma("GCC unroll 4") for (unsigned l = 0; l < AES_LANES; l++)
				    x[l] = _mm_aesenc_si128(x[l], _mm_load_si128(&rk[l][r]));
			_Pragma("GCC unroll 4") for (unsigned l = 0; l < AES_LANES; l++)
			{
				x[l] = _mm_aesenclast_si128(
				    x[l], _mm_load_si128(&rk[l][TW_SHANI_AES_ROUNDS]));
				_mm_storeu_si128((__m128i *)p[l], x[l]);
				chain[l] = x[l];
			}
		}
	}
}

/* CBC decryption has no chain: P[i] = D(C[i]) ^ C[i-1] (C[-1] = IV = 0), so
 * the lanes are single blocks from any region.  In place, C[i-1] must still
 * be ciphertext when block i reads it: each region's blocks are taken last
 * first, and every lane of a step loads before any lane stores. */
TARGET void tw_shani_cbc_decrypt(const struct tw_shani_cbc *ops, unsigned n)
{
	_Alignas(16) uint8_t scratch[AES_LANES][16] = {{0}};
	unsigned op = 0;
	size_t next = n ? ops[0].len / 16 : 0; /* blocks of ops[op] not yet taken */

	while (op < n) {
		uint8_t *p[AES_LANES];
		const __m128i *rk[AES_LANES];
		__m128i x[AES_LANES], prev[AES_LANES];

		for (unsigned l = 0; l < AES_LANES; l++) {
			while (op < n && next == 0 && ++op < n)
				next = ops[op].len / 16;
			if (op < n) {
				next--;
				p[l] = ops[op].data + 16 * next;
				rk[l] = (const __m128i *)ops[op].key->dec[0];
				prev[l] = next ? _mm_loadu_si128((const __m128i *)(p[l] - 16))
				               : _mm_setzero_si128();
			} else {
				p[l] = scratch[l];
				rk[l] = (const __m128i *)ops[0].key->dec[0];
				prev[l] = _mm_setzero_si128();
			}
		}
		_Pragma("GCC unroll 4") for (unsigned l = 0; l < AES_LANES; l++) x[l] =
		    _mm_xor_si128(_mm_loadu_si128((const __m128i *)p[l]),
		                  _mm_load_si128(&rk[l][0]));
		for (int r = 1; r < TW_SHANI_AES_ROUNDS; r++)
			_Pragma("GCC unroll 4") for (unsigned l = 0; l < AES_LANES; l++) x[l] =
			    _mm_aesdec_si128(x[l], _mm_load_si128(&rk[l][r]));
		_Pragma("GCC unroll 4") for (unsigned l = 0; l < AES_LANES; l++)
		{
			x[l] =
			    _mm_aesdeclast_si128(x[l], _mm_load_si128(&rk[l][TW_SHANI_AES_ROUNDS]));
			_mm_storeu_si128((__m128i *)p[l], _mm_xor_si128(x[l], prev[l]));
		}
		while (op < n && next == 0)
			if (++op < n)
				next = ops[op].len / 16;
	}
}

/* ---- SHA-1 --------------------------------------------------------------------------- */

#define LANES 3

/* Four rounds with function/constant f (0..3 = rounds 0-19, 20-39, 40-59,
 * 60-79) on every lane.  g is the group of four rounds (0..19); from the
 * second group on, E comes from SHA1NEXTE on the state four rounds back. */
#define SHA1_ROUNDS4(f)                                                                            \
	_Pragma("GCC unroll 3") for (int l = 0; l < nl; l++)                                       \
	{                                                                                          \
		if (g > 0)                                                                         \
			e[l] = _mm_sha1nexte_epu32(back[l], w[l][g & 3]);                          \
		back[l] = abcd[l];                                                                 \
		abcd[l] = _mm_sha1rnds4_epu32(abcd[l], e[l], f);                                   \
	}

/* Compress blk[l] into st[l] for nl (1..LANES, a constant once inlined)
 * lanes.  The state words are native h0..h4; the register holds A in its
 * top lane, hence the reversal. */
TARGET static inline __attribute__((always_inline)) void
sha1_lanes(uint32_t *const *st, const uint8_t *const *blk, const int nl)
{
	const __m128i bswap = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
	__m128i abcd[LANES], e[LANES], back[LANES], w[LANES][4], abcd0[LANES], e0[LANES];

	_Pragma("GCC unroll 3") for (int l = 0; l < nl; l++)
	{
		abcd[l] = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)st[l]), 0x1b);
		e0[l] = _mm_set_epi32((int)st[l][4], 0, 0, 0);
		abcd0[l] = abcd[l];
		_Pragma("GCC unroll 4") for (int k = 0; k < 4; k++) w[l][k] =
		    _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blk[l] + 16 * k)), bswap);
		e[l] = _mm_add_epi32(e0[l], w[l][0]);
		back[l] = abcd[l];
	}
	_Pragma("GCC unroll 20") for (int g = 0; g < 20; g++)
	{
		if (g >= 4)
			_Pragma("GCC unroll 3") for (int l = 0; l < nl; l++) w[l][g & 3] =
			    _mm_sha1msg2_epu32(
			        _mm_xor_si128(_mm_sha1msg1_epu32(w[l][g & 3], w[l][(g + 1) & 3]),
			                      w[l][(g + 2) & 3]),
			        w[l][(g + 3) & 3]);
		/* SHA1RNDS4 takes the round function as an immediate */
		if (g < 5)
			SHA1_ROUNDS4(0)
		else if (g < 10)
			SHA1_ROUNDS4(1)
		else if (g < 15)
			SHA1_ROUNDS4(2)
		else
			SHA1_ROUNDS4(3)
	}
	_Pragma("GCC unroll 3") for (int l = 0; l < nl; l++)
	{
		e[l] = _mm_sha1nexte_epu32(back[l], e0[l]);
		abcd[l] = _mm_add_epi32(abcd[l], abcd0[l]);
		_mm_storeu_si128((__m128i *)st[l], _mm_shuffle_epi32(abcd[l], 0x1b));
		st[l][4] = (uint32_t)_mm_extract_epi32(e[l], 3);
	}
}

TARGET static void sha1_x1(uint32_t *const *st, const uint8_t *const *blk)
{
	sha1_lanes(st, blk, 1);
}

TARGET static void sha1_x2(uint32_t *const *st, const uint8_t *const *blk)
{
	sha1_lanes(st, blk, 2);
}

TARGET static void sha1_x3(uint32_t *const *st, const uint8_t *const *blk)
{
	sha1_lanes(st, blk, 3);
}

/* ---- SHA-256 ------------------------------------------------------------------------- */

/* FIPS 180-4 §4.2.2. */
static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

/* SHA-256 (FIPS 180-4 §6.2.2) on SHA256RNDS2, two rounds per instruction:
 * the state lives as {A,B,E,F} and {C,D,G,H}; each group of four rounds
 * adds K to four schedule words and runs two SHA256RNDS2, the second on
 * the upper half of the sum.  The schedule, four words at a time:
 *   W[t..t+3] = SHA256MSG2(SHA256MSG1(W[t-16..], W[t-12..]) + W[t-7..t-4],
 *                          W[t-4..]).
 * Lanes as for SHA-1; the two state halves are saved to memory (st[])
 * rather than kept in registers, so three lanes spill less. */
TARGET static inline __attribute__((always_inline)) void
sha256_lanes(uint32_t *const *st, const uint8_t *const *blk, const int nl)
{
	const __m128i bswap32 = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i abef[LANES], cdgh[LANES], w[LANES][4];

	_Pragma("GCC unroll 3") for (int l = 0; l < nl; l++)
	{
		__m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)st[l]), 0xb1);
		__m128i efgh =
		    _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(st[l] + 4)), 0x1b);
		abef[l] = _mm_alignr_epi8(dcba, efgh, 8);
		cdgh[l] = _mm_blend_epi16(efgh, dcba, 0xf0);
	}
	_Pragma("GCC unroll 16") for (int g = 0; g < 16; g++)
	{
		_Pragma("GCC unroll 3") for (int l = 0; l < nl; l++)
		{
			if (g < 4)
				w[l][g] = _mm_shuffle_epi8(
				    _mm_loadu_si128((const __m128i *)(blk[l] + 16 * g)), bswap32);
			else
				w[l][g & 3] = _mm_sha256msg2_epu32(
				    _mm_add_epi32(
				        _mm_sha256msg1_epu32(w[l][g & 3], w[l][(g + 1) & 3]),
				        _mm_alignr_epi8(w[l][(g + 3) & 3], w[l][(g + 2) & 3], 4)),
				    w[l][(g + 3) & 3]);
			__m128i wk = _mm_add_epi32(
			    w[l][g & 3], _mm_loadu_si128((const __m128i *)&sha256_k[4 * g]));
			cdgh[l] = _mm_sha256rnds2_epu32(cdgh[l], abef[l], wk);
			abef[l] =
			    _mm_sha256rnds2_epu32(abef[l], cdgh[l], _mm_shuffle_epi32(wk, 0x0e));
		}
	}
	_Pragma("GCC unroll 3") for (int l = 0; l < nl; l++)
	{
		__m128i feba = _mm_shuffle_epi32(abef[l], 0x1b);
		__m128i dchg = _mm_shuffle_epi32(cdgh[l], 0xb1);
		__m128i dcba = _mm_blend_epi16(feba, dchg, 0xf0);
		__m128i hgfe = _mm_alignr_epi8(dchg, feba, 8);
		_mm_storeu_si128((__m128i *)st[l],
		                 _mm_add_epi32(dcba, _mm_loadu_si128((const __m128i *)st[l])));
		_mm_storeu_si128(
		    (__m128i *)(st[l] + 4),
		    _mm_add_epi32(hgfe, _mm_loadu_si128((const __m128i *)(st[l] + 4))));
	}
}

TARGET static void sha256_x1(uint32_t *const *st, const uint8_t *const *blk)
{
	sha256_lanes(st, blk, 1);
}

TARGET static void sha256_x2(uint32_t *const *st, const uint8_t *const *blk)
{
	sha256_lanes(st, blk, 2);
}

TARGET static void sha256_x3(uint32_t *const *st, const uint8_t *const *blk)
{
	sha256_lanes(st, blk, 3);
}

void tw_shani_sha256_block(uint32_t state[8], const uint8_t block[64])
{
	sha256_x1(&state, &block);
}

/* ---- HMAC of short messages, in lanes ---------------------------------------------- */

/* One step: nl (1..3) independent compressions side by side. */
static inline void sha_step(bool sha256, uint32_t *const *st, const uint8_t *const *blk,
                            unsigned nl)
{
	if (sha256)
		(nl == 3 ? sha256_x3 : nl == 2 ? sha256_x2 : sha256_x1)(st, blk);
	else
		(nl == 3 ? sha1_x3 : nl == 2 ? sha1_x2 : sha1_x1)(st, blk);
}

void tw_shani_sha1_block(uint32_t state[5], const uint8_t block[64])
{
	sha1_x1(&state, &block);
}

/* Work per MAC: its running state, the inner blocks (message and padding)
 * and the outer block (inner digest and padding). */
struct mac_work {
	_Alignas(16) uint32_t st[8]; /* SHA-1 uses 5 */
	_Alignas(16) uint8_t inner[2][64];
	_Alignas(16) uint8_t outer[64];
};

/* MACs per pass: the work area stays on the stack (~6 KB) and in L1. */
#define MAC_CHUNK 24

/* The digest (FIPS 180-4: the state words big-endian) of a state, in
 * 16-octet stores (and a 4-octet one for SHA-1's fifth word).  Not one
 * store per word: the next reader loads 16 octets at once, and a load
 * that spans several smaller stores still in the store buffer cannot be
 * forwarded and waits for them (measured in the reflector: a quarter of
 * this file's cycles outside the compressions). */
TARGET static inline void put_digest(bool sha256, uint8_t *out, const uint32_t *st)
{
	const __m128i bswap32 = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);

	_mm_storeu_si128((__m128i *)out,
	                 _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)st), bswap32));
	if (sha256) {
		_mm_storeu_si128(
		    (__m128i *)(out + 16),
		    _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(st + 4)), bswap32));
	} else {
		uint32_t e = __builtin_bswap32(st[4]);
		memcpy(out + 16, &e, sizeof(e));
	}
}

/* FIPS 180-4 §5.1.1 padding of a message that follows one 64-octet block
 * (the key pad): 0x80, zeros, and the total length in bits in the last 8
 * octets of the last block.  len <= TW_SHANI_MAC_MAX.  Returns the number
 * of blocks (1 or 2). */
static inline unsigned sha_pad(uint8_t *blocks, const uint8_t *msg, size_t len)
{
	unsigned nb = len + 9 <= 64 ? 1 : 2;
	uint64_t be = __builtin_bswap64((uint64_t)(64 + len) * 8);

	if (blocks != msg)
		memcpy(blocks, msg, len);
	blocks[len] = 0x80;
	memset(blocks + len + 1, 0, (size_t)nb * 64 - 8 - len - 1);
	memcpy(blocks + (size_t)nb * 64 - 8, &be, sizeof(be)); /* one store, as above */
	return nb;
}

/* Compress block `which` (0, 1: inner; 2: outer) of the MACs listed in
 * idx[0..n-1], three at a time. */
static void sha_pass(bool sha256, struct mac_work *w, const uint8_t *idx, unsigned n,
                     unsigned which)
{
	for (unsigned i = 0; i < n; i += LANES) {
		unsigned nl = n - i < LANES ? n - i : LANES;
		uint32_t *st[LANES];
		const uint8_t *blk[LANES];
		for (unsigned l = 0; l < nl; l++) {
			struct mac_work *m = &w[idx[i + l]];
			st[l] = m->st;
			blk[l] = which == 2 ? m->outer : m->inner[which];
		}
		sha_step(sha256, st, blk, nl);
	}
}

TARGET static void hmac_chunk(bool sha256, const struct tw_shani_mac *ops, unsigned n,
                              struct mac_work *w)
{
	static const uint8_t all[MAC_CHUNK] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
	                                       12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};
	size_t words = sha256 ? 8 : 5, dlen = sha256 ? TW_SHANI_SHA256_LEN : TW_SHANI_SHA1_LEN;
	uint8_t two[MAC_CHUNK] = {0};
	unsigned ntwo = 0;

	for (unsigned i = 0; i < n; i++) {
		memcpy(w[i].st, ops[i].ipad, words * 4);
		if (sha_pad(w[i].inner[0], ops[i].msg, ops[i].len) == 2)
			two[ntwo++] = (uint8_t)i;
	}
	/* Every first inner block, then the second ones: a state's two blocks
	 * are never in one step. */
	sha_pass(sha256, w, all, n, 0);
	sha_pass(sha256, w, two, ntwo, 1);
	for (unsigned i = 0; i < n; i++) {
		put_digest(sha256, w[i].outer, w[i].st);
		sha_pad(w[i].outer, w[i].outer, dlen);
		memcpy(w[i].st, ops[i].opad, words * 4);
	}
	sha_pass(sha256, w, all, n, 2);
	for (unsigned i = 0; i < n; i++) {
		put_digest(sha256, ops[i].out, w[i].st);
		/* The inner digest and the MAC's states: leave none of them
		 * on the stack (the caller's barrier keeps these stores). */
		memset(w[i].st, 0, sizeof(w[i].st));
		memset(w[i].outer, 0, dlen);
	}
}

static void hmac(bool sha256, const struct tw_shani_mac *ops, unsigned n)
{
	struct mac_work w[MAC_CHUNK];
	struct tw_shani_mac ok[MAC_CHUNK];
	unsigned m = 0;

	_Static_assert(MAC_CHUNK <= 255, "MAC_CHUNK indexes fit an octet");
	for (unsigned i = 0; i < n; i++) {
		if (ops[i].len > TW_SHANI_MAC_MAX)
			continue;
		ok[m++] = ops[i];
		if (m == MAC_CHUNK) {
			hmac_chunk(sha256, ok, m, w);
			m = 0;
		}
	}
	if (m)
		hmac_chunk(sha256, ok, m, w);
	__asm__ __volatile__("" : : "m"(w) : "memory");
}

void tw_shani_hmac_sha1(const struct tw_shani_mac *ops, unsigned n)
{
	hmac(false, ops, n);
}

void tw_shani_hmac_sha256(const struct tw_shani_mac *ops, unsigned n)
{
	hmac(true, ops, n);
}

#else /* not x86-64: tw_shani_usable() is false and nothing else may be called */

void tw_shani_aes_init(struct tw_shani_aes *k, const uint8_t key[16])
{
	(void)key;
	memset(k, 0, sizeof(*k));
}

void tw_shani_cbc_encrypt(const struct tw_shani_cbc *ops, unsigned n)
{
	(void)ops;
	(void)n;
}

void tw_shani_cbc_decrypt(const struct tw_shani_cbc *ops, unsigned n)
{
	(void)ops;
	(void)n;
}

void tw_shani_hmac_sha1(const struct tw_shani_mac *ops, unsigned n)
{
	(void)ops;
	(void)n;
}

void tw_shani_hmac_sha256(const struct tw_shani_mac *ops, unsigned n)
{
	(void)ops;
	(void)n;
}

void tw_shani_sha1_block(uint32_t state[5], const uint8_t block[64])
{
	(void)state;
	(void)block;
}

void tw_shani_sha256_block(uint32_t state[8], const uint8_t block[64])
{
	(void)state;
	(void)block;
}

#endif
