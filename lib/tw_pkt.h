/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_pkt: TWAMP-Test and STAMP packet codecs (plaintext only, no I/O, no
 * allocation).
 *
 * Layouts come from the wire reference §4 (RFC 5357 §4.1.2 sender, §4.2.1
 * reflector), §4.6 (RFC 6038 Symmetrical Size) and §6.2 (RFC 8762 §4 with the
 * RFC 8972 SSID).  Crypto (tw_crypto) protects packets after the encoder and
 * verifies/decrypts them before the decoder; the regions it works on are
 * exported here (struct tw_pkt_region) so crypto and the fast path share one
 * definition.
 *
 * Return conventions:
 *   - decoders and checks return enum tw_err (TW_OK on success);
 *   - encoders and the in-place reflector return the packet length (> 0) or
 *     a negated enum tw_err (e.g. -TW_E_NOSPACE).  TW_OK is 0 and no packet is
 *     empty, so the two ranges never collide.
 *
 * Everything a 10 Mpps reflector touches per packet (tw_pkt_reflect_len,
 * tw_pkt_reflect_inplace, tw_pkt_set_t3, the peek helpers) is static inline
 * and driven by a constant geometry table, so with a compile-time layout the
 * compiler folds every offset.
 */
#ifndef TW_PKT_H
#define TW_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tw_cursor.h"
#include "tw_err.h"

/* ------------------------------------------------------------------------ */
/* Layouts and sizes                                                         */

enum tw_pkt_layout {
	TW_PKT_TWAMP_OPEN,     /* TWAMP modes 1 (open) and 8 (mixed): spec §4.1/§4.3 */
	TW_PKT_TWAMP_AUTH,     /* TWAMP modes 2 (auth) and 4 (encrypted): spec §4.2/§4.4 */
	TW_PKT_TWAMP_SYM_OPEN, /* RFC 6038 Symmetrical Size, modes 1/8: spec §4.6 */
	TW_PKT_TWAMP_SYM_AUTH, /* RFC 6038 Symmetrical Size, modes 2/4: spec §4.6 */
	TW_PKT_STAMP_OPEN,     /* RFC 8762 §4 unauthenticated + RFC 8972 SSID: spec §6.2 */
	TW_PKT_STAMP_AUTH,     /* RFC 8762 §4 authenticated + RFC 8972 SSID: spec §6.2 */
	TW_PKT_LAYOUT__COUNT
};

/* Base (fixed-part) sizes, spec §4.5 / §4.6 / §6.2. */
#define TW_PKT_SENDER_OPEN_LEN     14
#define TW_PKT_SENDER_AUTH_LEN     48
#define TW_PKT_SENDER_SYM_OPEN_LEN 41
#define TW_PKT_SENDER_SYM_AUTH_LEN 112
#define TW_PKT_REFL_OPEN_LEN       41
#define TW_PKT_REFL_AUTH_LEN       112
#define TW_PKT_STAMP_OPEN_LEN      44
#define TW_PKT_STAMP_AUTH_LEN      112
#define TW_PKT_BASE_MAX            112

/* Largest UDP payload over IPv4 (65535 - 20 - 8); used to bound lengths. */
#define TW_PKT_MAX_LEN 65507

#define TW_PKT_HMAC_LEN 16

/* Error Estimate multiplier (spec §5.2): zero is forbidden. */
#define TW_PKT_ERREST_MULT_MASK 0x00ffu

/*
 * Protection geometry, spec §3.6 (verified against twampd/twping).  Padding is
 * never encrypted nor authenticated.
 *   TWAMP mode 2: octets 0..15 AES-ECB, HMAC over the same 16 plaintext octets.
 *   TWAMP mode 4: sender 0..31 / reflector 0..95 AES-CBC (IV 0), HMAC over the
 *                 same plaintext.
 *   HMAC at sender 32..47, reflector 96..111.
 *   STAMP auth:   no encryption; HMAC-SHA-256/16 over 0..95 at 96, both ways.
 */
#define TW_PKT_AUTH_SENDER_HMAC_OFF 32
#define TW_PKT_AUTH_REFL_HMAC_OFF   96
#define TW_PKT_MODE2_COVER_LEN      16 /* encrypted == HMAC-covered, both directions */
#define TW_PKT_MODE4_SENDER_COVER   32
#define TW_PKT_MODE4_REFL_COVER     96
#define TW_PKT_SYM_SENDER_HMAC_OFF  96
/* UNVERIFIED (spec §4.6): presumed to match the reflector (0..95). */
#define TW_PKT_SYM_MODE4_SENDER_COVER 96
#define TW_PKT_STAMP_HMAC_OFF         96
#define TW_PKT_STAMP_HMAC_COVER       96

/* Which protection a session applies to its test packets. */
enum tw_pkt_prot {
	TW_PKT_PROT_NONE, /* modes 1, 8; STAMP unauthenticated */
	TW_PKT_PROT_AUTH, /* mode 2; STAMP authenticated */
	TW_PKT_PROT_ENC,  /* mode 4 (STAMP defines no encryption: treated as AUTH) */
};

/* The octets crypto works on for one packet direction; all zero = nothing. */
struct tw_pkt_region {
	uint16_t enc_len;    /* octets [0, enc_len) are encrypted */
	uint16_t hmac_cover; /* HMAC input = plaintext octets [0, hmac_cover) */
	uint16_t hmac_off;   /* HMAC_LEN octets at this offset; 0 = no HMAC */
};

/*
 * Per-layout field offsets.  Sequence Number is always at 0.  An ssid offset
 * of 0 means "no SSID" (TWAMP); an hmac offset of 0 means "no HMAC field".
 */
struct tw_pkt_geom {
	uint8_t s_base, r_base;
	uint8_t s_ts, s_errest, s_ssid, s_hmac;
	uint8_t r_t3, r_errest, r_ssid, r_t2, r_sseq, r_t1, r_serrest, r_ttl, r_hmac;
	/* [0] = mode-2/STAMP-auth region, [1] = mode-4 region; enc, cover */
	uint8_t s_enc[2], s_cover[2], r_enc[2], r_cover[2];
};

static const struct tw_pkt_geom tw_pkt_geom_tab[TW_PKT_LAYOUT__COUNT] = {
    [TW_PKT_TWAMP_OPEN] = {.s_base = 14,
                           .r_base = 41,
                           .s_ts = 4,
                           .s_errest = 12,
                           .r_t3 = 4,
                           .r_errest = 12,
                           .r_t2 = 16,
                           .r_sseq = 24,
                           .r_t1 = 28,
                           .r_serrest = 36,
                           .r_ttl = 40},
    [TW_PKT_TWAMP_AUTH] = {.s_base = 48,
                           .r_base = 112,
                           .s_ts = 16,
                           .s_errest = 24,
                           .s_hmac = TW_PKT_AUTH_SENDER_HMAC_OFF,
                           .r_t3 = 16,
                           .r_errest = 24,
                           .r_t2 = 32,
                           .r_sseq = 48,
                           .r_t1 = 64,
                           .r_serrest = 72,
                           .r_ttl = 80,
                           .r_hmac = TW_PKT_AUTH_REFL_HMAC_OFF,
                           .s_enc = {TW_PKT_MODE2_COVER_LEN, TW_PKT_MODE4_SENDER_COVER},
                           .s_cover = {TW_PKT_MODE2_COVER_LEN, TW_PKT_MODE4_SENDER_COVER},
                           .r_enc = {TW_PKT_MODE2_COVER_LEN, TW_PKT_MODE4_REFL_COVER},
                           .r_cover = {TW_PKT_MODE2_COVER_LEN, TW_PKT_MODE4_REFL_COVER}},
    [TW_PKT_TWAMP_SYM_OPEN] = {.s_base = 41,
                               .r_base = 41,
                               .s_ts = 4,
                               .s_errest = 12,
                               .r_t3 = 4,
                               .r_errest = 12,
                               .r_t2 = 16,
                               .r_sseq = 24,
                               .r_t1 = 28,
                               .r_serrest = 36,
                               .r_ttl = 40},
    /* Sym auth sender coverage UNVERIFIED (spec §4.6): mode 2 as for TWAMP
     * auth, mode 4 presumed 0..95 like the reflector. */
    [TW_PKT_TWAMP_SYM_AUTH] = {.s_base = 112,
                               .r_base = 112,
                               .s_ts = 16,
                               .s_errest = 24,
                               .s_hmac = TW_PKT_SYM_SENDER_HMAC_OFF,
                               .r_t3 = 16,
                               .r_errest = 24,
                               .r_t2 = 32,
                               .r_sseq = 48,
                               .r_t1 = 64,
                               .r_serrest = 72,
                               .r_ttl = 80,
                               .r_hmac = TW_PKT_AUTH_REFL_HMAC_OFF,
                               .s_enc = {TW_PKT_MODE2_COVER_LEN, TW_PKT_SYM_MODE4_SENDER_COVER},
                               .s_cover = {TW_PKT_MODE2_COVER_LEN, TW_PKT_SYM_MODE4_SENDER_COVER},
                               .r_enc = {TW_PKT_MODE2_COVER_LEN, TW_PKT_MODE4_REFL_COVER},
                               .r_cover = {TW_PKT_MODE2_COVER_LEN, TW_PKT_MODE4_REFL_COVER}},
    [TW_PKT_STAMP_OPEN] = {.s_base = 44,
                           .r_base = 44,
                           .s_ts = 4,
                           .s_errest = 12,
                           .s_ssid = 14,
                           .r_t3 = 4,
                           .r_errest = 12,
                           .r_ssid = 14,
                           .r_t2 = 16,
                           .r_sseq = 24,
                           .r_t1 = 28,
                           .r_serrest = 36,
                           .r_ttl = 40},
    [TW_PKT_STAMP_AUTH] = {.s_base = 112,
                           .r_base = 112,
                           .s_ts = 16,
                           .s_errest = 24,
                           .s_ssid = 26,
                           .s_hmac = TW_PKT_STAMP_HMAC_OFF,
                           .r_t3 = 16,
                           .r_errest = 24,
                           .r_ssid = 26,
                           .r_t2 = 32,
                           .r_sseq = 48,
                           .r_t1 = 64,
                           .r_serrest = 72,
                           .r_ttl = 80,
                           .r_hmac = TW_PKT_STAMP_HMAC_OFF,
                           .s_enc = {0, 0},
                           .s_cover = {TW_PKT_STAMP_HMAC_COVER, TW_PKT_STAMP_HMAC_COVER},
                           .r_enc = {0, 0},
                           .r_cover = {TW_PKT_STAMP_HMAC_COVER, TW_PKT_STAMP_HMAC_COVER}},
};

static inline bool tw_pkt_layout_valid(enum tw_pkt_layout l)
{
	return (unsigned)l < TW_PKT_LAYOUT__COUNT;
}

/* Geometry of a layout; the caller has checked tw_pkt_layout_valid(). */
static inline const struct tw_pkt_geom *tw_pkt_geom(enum tw_pkt_layout l)
{
	return &tw_pkt_geom_tab[l];
}

static inline bool tw_pkt_is_stamp(enum tw_pkt_layout l)
{
	return l == TW_PKT_STAMP_OPEN || l == TW_PKT_STAMP_AUTH;
}

/* Base sizes; 0 for an invalid layout. */
static inline size_t tw_pkt_sender_base(enum tw_pkt_layout l)
{
	return tw_pkt_layout_valid(l) ? tw_pkt_geom_tab[l].s_base : 0;
}
static inline size_t tw_pkt_reflector_base(enum tw_pkt_layout l)
{
	return tw_pkt_layout_valid(l) ? tw_pkt_geom_tab[l].r_base : 0;
}

/*
 * Crypto region for one direction of a layout under a protection, spec §3.6.
 * Open layouts (and PROT_NONE) yield all zeros.  STAMP has no encryption
 * (RFC 8762 §4), so PROT_ENC on a STAMP layout gives the AUTH region.
 */
static inline struct tw_pkt_region tw_pkt_region(enum tw_pkt_layout l, bool reflector,
                                                 enum tw_pkt_prot p)
{
	struct tw_pkt_region r = {0, 0, 0};
	if (!tw_pkt_layout_valid(l) || p == TW_PKT_PROT_NONE)
		return r;
	const struct tw_pkt_geom *g = &tw_pkt_geom_tab[l];
	unsigned i = p == TW_PKT_PROT_ENC ? 1 : 0;
	r.hmac_off = reflector ? g->r_hmac : g->s_hmac;
	if (!r.hmac_off)
		return r;
	r.enc_len = reflector ? g->r_enc[i] : g->s_enc[i];
	r.hmac_cover = reflector ? g->r_cover[i] : g->s_cover[i];
	return r;
}

/* ------------------------------------------------------------------------ */
/* Decoded packets                                                           */

struct tw_pkt_sender {
	uint32_t seq;
	uint64_t ts;     /* T1, raw NTP (or PTP if the Z bit is set, spec §5.2) */
	uint16_t errest; /* raw Error Estimate, spec §5.2 */
	uint16_t ssid;   /* STAMP only (RFC 8972); ignored/0 for TWAMP */
};

struct tw_pkt_reflector {
	uint32_t seq;    /* reflector's own counter, or the sender's (stateless) */
	uint64_t t3;     /* transmit timestamp */
	uint16_t errest; /* applies to T3 and T2 (RFC 5357 §4.2.1) */
	uint64_t t2;     /* receive timestamp */
	uint32_t sender_seq;
	uint64_t t1;
	uint16_t sender_errest;
	uint8_t sender_ttl;
	uint16_t ssid; /* STAMP only; ignored/0 for TWAMP */
};

/*
 * Encoders write the fixed part only (sender or reflector base size), with
 * every MBZ octet and the HMAC field zeroed; padding / TLVs after it are the
 * caller's.  Return the base size or -TW_E_NOSPACE / -TW_E_ARG.
 */
int tw_pkt_sender_encode(enum tw_pkt_layout l, const struct tw_pkt_sender *s, void *buf,
                         size_t cap);
int tw_pkt_reflector_encode(enum tw_pkt_layout l, const struct tw_pkt_reflector *r, void *buf,
                            size_t cap);

/*
 * Decoders accept any length >= the base size (padding/TLVs follow) and return
 * TW_E_TRUNCATED below it, TW_E_ARG for a bad layout.  MBZ octets are ignored
 * (spec §0).
 *
 * They deliberately do NOT reject an Error Estimate multiplier of 0: a
 * reflector must still reflect such a packet (it only copies the sender's
 * fields, RFC 5357 §4.2.1), and the party that consumes the timestamp decides
 * what to do with it.  Call tw_pkt_sender_check() / tw_pkt_reflector_check()
 * where the timestamps are used (spec §5.2: treat as corrupt).
 */
enum tw_err tw_pkt_sender_decode(enum tw_pkt_layout l, const void *buf, size_t len,
                                 struct tw_pkt_sender *s);
enum tw_err tw_pkt_reflector_decode(enum tw_pkt_layout l, const void *buf, size_t len,
                                    struct tw_pkt_reflector *r);

/*
 * Liberal reply decoding (RFC 1122 §1.2.2 robustness principle; wire ref
 * §11b.7).  nokia/twampy's Light responder omits the MBZ + Sender TTL tail of
 * the RFC 5357 §4.2.1 reflector packet: its reply is the 24-octet reflector
 * header and the first 14 octets of the sender packet, 38 octets without
 * padding, 3 short of the 41-octet minimum.  Every timestamp is still there.
 *
 * tw_pkt_reflector_echo_len() is the shortest reply that carries the whole
 * echoed sender part (Sender Sequence Number, Timestamp and Error Estimate),
 * i.e. up to the MBZ octets before the Sender TTL.  Only layouts without an HMAC have one
 * below the base size: an authenticated reply shorter than its base cannot
 * be verified, so there it equals the base (0 for an invalid layout).
 */
static inline size_t tw_pkt_reflector_echo_len(enum tw_pkt_layout l)
{
	if (!tw_pkt_layout_valid(l))
		return 0;
	const struct tw_pkt_geom *g = &tw_pkt_geom_tab[l];
	return g->r_hmac ? g->r_base : (size_t)g->r_serrest + 2;
}

/*
 * As tw_pkt_reflector_decode(), but a reply of at least
 * tw_pkt_reflector_echo_len() octets and shorter than the base is accepted
 * too: its fields are decoded, sender_ttl is 0 (hop count unknown, the value
 * tw_stats already reads as "unknown") and *short_by (if not NULL) is the
 * shortfall in octets; it is 0 for a full-length reply.
 */
enum tw_err tw_pkt_reflector_decode_liberal(enum tw_pkt_layout l, const void *buf, size_t len,
                                            struct tw_pkt_reflector *r, size_t *short_by);

/* TW_E_ERREST if the Error Estimate multiplier is 0 (spec §5.2, RFC 4656). */
static inline enum tw_err tw_pkt_errest_check(uint16_t errest)
{
	return (errest & TW_PKT_ERREST_MULT_MASK) ? TW_OK : TW_E_ERREST;
}
static inline enum tw_err tw_pkt_sender_check(const struct tw_pkt_sender *s)
{
	return tw_pkt_errest_check(s->errest);
}
/* Checks both the reflector's and the copied sender's estimate. */
static inline enum tw_err tw_pkt_reflector_check(const struct tw_pkt_reflector *r)
{
	enum tw_err e = tw_pkt_errest_check(r->errest);
	return e != TW_OK ? e : tw_pkt_errest_check(r->sender_errest);
}

/* ------------------------------------------------------------------------ */
/* Reflection (fast path)                                                    */

/*
 * Length of the reflected packet, spec §4.5 (twampd-exact):
 *   TWAMP (incl. RFC 6038 Symmetrical Size, where the bases are equal):
 *       max(sender_base + pad_len, reflector_base) -- depends only on the
 *       session's Padding Length, never on the received datagram length;
 *   STAMP: the received length (RFC 8762 §4: equal size both ways).
 * Returns 0 for an invalid layout; saturates instead of wrapping.
 */
static inline size_t tw_pkt_reflect_len(enum tw_pkt_layout l, uint32_t pad_len, size_t rx_len)
{
	if (!tw_pkt_layout_valid(l))
		return 0;
	if (tw_pkt_is_stamp(l))
		return rx_len;
	const struct tw_pkt_geom *g = &tw_pkt_geom_tab[l];
	uint64_t n = (uint64_t)g->s_base + pad_len;
	if (n < g->r_base)
		n = g->r_base;
	return n > SIZE_MAX ? SIZE_MAX : (size_t)n;
}

/* Sequence Number of a received packet (always offset 0); len >= 4 checked by
 * the caller.  Stateless TWAMP Light / STAMP reflectors pass it back as the
 * reflector seq (spec §6.1, RFC 8762 §4). */
static inline uint32_t tw_pkt_peek_seq(const uint8_t *buf)
{
	return tw_be32(buf);
}

/* SSID of a received STAMP sender packet (len >= base checked); 0 for TWAMP. */
static inline uint16_t tw_pkt_peek_ssid(const uint8_t *buf, enum tw_pkt_layout l)
{
	uint8_t o = tw_pkt_layout_valid(l) ? tw_pkt_geom_tab[l].s_ssid : 0;
	return o ? tw_be16(buf + o) : 0;
}

/*
 * Turn a received sender packet into the reflector packet in the same buffer.
 *
 *   buf/rx_len/cap  received payload, its length, the buffer's capacity
 *   pad_len         the session's Padding Length (TWAMP; ignored for STAMP)
 *   seq             reflector Sequence Number (own counter, or
 *                   tw_pkt_peek_seq(buf) when stateless)
 *   t2, t3, errest  receive/transmit timestamps and their Error Estimate;
 *                   t3/errest may be rewritten later with tw_pkt_set_t3()
 *   ttl             TTL / Hop Limit of the received datagram (spec §4.7)
 *
 * The sender's fields are read before anything is written; the padding is
 * then moved with memmove (open TWAMP moves 14 -> 41, auth 48 -> 112, ranges
 * overlap) and the fixed part rewritten with MBZ and HMAC zeroed.  The
 * reflected padding is the LEADING octets of the sender's padding (spec §4.5),
 * which also implements RFC 6038 Reflect Octets for any N up to the reflected
 * padding length.  If the datagram carried less padding than the session's
 * Padding Length, the missing octets are zeroed (twampd leaks stale buffer
 * contents there, spec §11.3).  For STAMP the length is unchanged, the SSID is
 * kept and the TLVs are left in place (see tw_pkt_tlv_reflect()).
 *
 * Returns the reflected length, or (buffer untouched) -TW_E_TRUNCATED if
 * rx_len is below the sender base (spec §11.3: drop and count),
 * -TW_E_NOSPACE if the reflected packet does not fit in cap (or exceeds
 * TW_PKT_MAX_LEN), -TW_E_ARG for a bad layout or rx_len > cap.
 */
static inline int tw_pkt_reflect_inplace(uint8_t *buf, size_t rx_len, size_t cap,
                                         enum tw_pkt_layout l, uint32_t pad_len, uint32_t seq,
                                         uint64_t t2, uint64_t t3, uint16_t errest, uint8_t ttl)
{
	if (!tw_pkt_layout_valid(l))
		return -TW_E_ARG;
	const struct tw_pkt_geom *g = &tw_pkt_geom_tab[l];
	if (rx_len > cap)
		return -TW_E_ARG;
	if (rx_len < g->s_base)
		return -TW_E_TRUNCATED;
	size_t out = tw_pkt_reflect_len(l, pad_len, rx_len);
	if (out > cap || out > TW_PKT_MAX_LEN)
		return -TW_E_NOSPACE;

	/* 1. Read everything we copy before any write can clobber it. */
	uint32_t sseq = tw_be32(buf);
	uint64_t t1 = tw_be64(buf + g->s_ts);
	uint16_t serr = tw_be16(buf + g->s_errest);
	uint16_t ssid = g->s_ssid ? tw_be16(buf + g->s_ssid) : 0;

	/* 2. Padding: keep the leading octets, zero what was never received. */
	if (g->r_base != g->s_base || out != rx_len) {
		size_t want = out - g->r_base;
		size_t have = rx_len - g->s_base;
		size_t n = have < want ? have : want;
		if (n && g->r_base != g->s_base)
			memmove(buf + g->r_base, buf + g->s_base, n);
		if (want > n)
			memset(buf + g->r_base + n, 0, want - n);
	}

	/* 3. Fixed part, MBZ and HMAC zeroed (RFC 5357 §4.2.1, RFC 8762 §4). */
	memset(buf, 0, g->r_base);
	tw_put_be32(buf, seq);
	tw_put_be64(buf + g->r_t3, t3);
	tw_put_be16(buf + g->r_errest, errest);
	if (g->r_ssid)
		tw_put_be16(buf + g->r_ssid, ssid);
	tw_put_be64(buf + g->r_t2, t2);
	tw_put_be32(buf + g->r_sseq, sseq);
	tw_put_be64(buf + g->r_t1, t1);
	tw_put_be16(buf + g->r_serrest, serr);
	buf[g->r_ttl] = ttl;
	return (int)out;
}

/*
 * Write T3 and its Error Estimate into a reflector packet (length >= the
 * reflector base, checked by the caller), as late as possible before TX
 * (spec §4.7: twampd reads the clock right before sending).  In modes 2/4
 * this must precede tw_crypto protection: T3 is inside the encrypted region
 * in mode 4, and outside it in mode 2 (spec §3.6).
 */
static inline void tw_pkt_set_t3(uint8_t *buf, enum tw_pkt_layout l, uint64_t t3, uint16_t errest)
{
	const struct tw_pkt_geom *g = &tw_pkt_geom_tab[l];
	tw_put_be64(buf + g->r_t3, t3);
	tw_put_be16(buf + g->r_errest, errest);
}

/*
 * RFC 7750 DSCP and ECN Monitoring (Modes bit 256, negotiated in
 * TWAMP-Control).  RFC 7750 §3 gives the Session-
 * Reflector packet one more field, "Sender DSCP and ECN", in the octet that
 * follows Sender TTL, laid out as the IP header's octet (RFC 2474 §3,
 * RFC 3168 §5):
 *
 *     0   1   2   3   4   5   6   7
 *   +---+---+---+---+---+---+---+---+
 *   |         DSCP          |  ECN  |
 *   +---+---+---+---+---+---+---+---+
 *
 * The reflector copies what it received in the IPv4 TOS / IPv6 Traffic Class
 * of the Session-Sender's packet.  The octets after it are untouched: MBZ
 * in the authenticated/encrypted layouts, the reflected padding (RFC 5357
 * §4.2.1) in the open ones.  RFC 6038 §4.2 puts the reflected octets at the
 * start of that padding, octet 41 of the open/mixed reflector packet, where
 * this field lies too: tw_pkt_dscp_ecn_in_padding() tells that case, and
 * the session asking for both is refused (Accept=3, docs/control.md).
 * TWAMP layouts only: offset 41 in the open/mixed packets, 81 in the
 * authenticated/encrypted ones (inside the MBZ octets, and inside the mode-4
 * encrypted region, so it is written before protection).  STAMP carries the
 * same information in its Class of Service TLV (RFC 8972 §4.4): 0 there.
 *
 * Evidence: the search tool reached RFC 7750's abstract and the IANA
 * registry (bit 8 = 256, "DSCP and ECN Monitoring Capability") but not the
 * body, so this layout is our recollection of its §3, corroborated by two
 * independent implementations that put the received TOS octet right after
 * Sender TTL (emirica/twamp-protocol after its "Support RFC7750" change by
 * Orange, and domoslabs/twamp-light: `uint8_t sender_tos` at offset 41).
 * Not verified against a router (docs/interop.md).
 *
 * The open reflector base (41 octets) ends at Sender TTL, so the field lies
 * in what RFC 5357 calls padding: a reply shorter than 42 octets has no room
 * for it.  A Session-Sender that negotiated the mode pads its packets so the
 * reply reaches the end of that row: tw_pkt_dscp_ecn_min_pad().
 */
static inline size_t tw_pkt_dscp_ecn_off(enum tw_pkt_layout l)
{
	if (!tw_pkt_layout_valid(l) || tw_pkt_is_stamp(l))
		return 0;
	return (size_t)tw_pkt_geom_tab[l].r_ttl + 1;
}

/*
 * true when the Sender DSCP and ECN octet lies in the reflector's Packet
 * Padding (open/mixed layouts, Symmetrical Size or not: offset 41 = the
 * reflector base), i.e. where RFC 6038 §4.2 puts the first reflected
 * octet; false in the authenticated/encrypted layouts (offset 81, inside
 * the MBZ octets before the padding at 112) and for STAMP.  We found no
 * rule for the pair (RFC 7750 postdates RFC 6038, and neither RFC's text
 * speaks of the other; docs/interop.md), so rather than
 * move one of them to a place no other implementation expects, a
 * Request-TW-Session asking for padding reflection with DSCP and ECN
 * Monitoring in such a layout is refused (RFC 5357 §3.5 Accept=3, "some
 * aspect of request is not supported"), the fast path refuses such a
 * REFLECTOR_ADD, and our client never asks for it.
 */
static inline bool tw_pkt_dscp_ecn_in_padding(enum tw_pkt_layout l)
{
	size_t off = tw_pkt_dscp_ecn_off(l);
	return off && off >= tw_pkt_geom_tab[l].r_base;
}

/* Smallest Padding Length whose reflected packet (tw_pkt_reflect_len) holds
 * the whole row of the Sender DSCP and ECN field (offset + 3 octets): 30 for
 * the open layout, 3 for the open Symmetrical Size layout, 0 when the
 * reflector base already holds it (authenticated/encrypted, STAMP). */
static inline uint32_t tw_pkt_dscp_ecn_min_pad(enum tw_pkt_layout l)
{
	size_t off = tw_pkt_dscp_ecn_off(l);
	if (!off)
		return 0;
	size_t end = off + 3, sb = tw_pkt_geom_tab[l].s_base;
	if (end <= tw_pkt_geom_tab[l].r_base)
		return 0;
	return (uint32_t)(end - sb);
}

/* Reflector: write the received TOS / Traffic Class octet into a reflector
 * packet of len octets (RFC 7750 §2.2.1 Figure 1: S-DSCP in the high six
 * bits, S-ECN in the low two, i.e. the octet as received), and zero the two
 * MBZ octets after it that end its row (Figure 2: 42..43 of the open
 * reply, where the reflected padding would otherwise lie; Figure 3: 82..83,
 * already MBZ).  false (nothing written) when the layout has no such field
 * or the packet is too short to hold it. */
static inline bool tw_pkt_set_dscp_ecn(uint8_t *buf, size_t len, enum tw_pkt_layout l, uint8_t tos)
{
	size_t off = tw_pkt_dscp_ecn_off(l);
	if (!off || len <= off)
		return false;
	buf[off] = tos;
	for (size_t i = off + 1; i < off + 3 && i < len; i++)
		buf[i] = 0;
	return true;
}

/* Session-Sender: the Sender DSCP and ECN octet of a (decrypted) reply of
 * len octets into *tos; false when the reply has none. */
static inline bool tw_pkt_get_dscp_ecn(const uint8_t *buf, size_t len, enum tw_pkt_layout l,
                                       uint8_t *tos)
{
	size_t off = tw_pkt_dscp_ecn_off(l);
	if (!off || len <= off)
		return false;
	*tos = buf[off];
	return true;
}

/*
 * RFC 9533 §4.2 LAG micro-sessions: every TWAMP-Test packet of a
 * micro-session carries a 16-bit Sender Micro-session ID (the Session-
 * Sender's member link) and a 16-bit Reflector Micro-session ID (the
 * Session-Reflector's member link; 0 = not known to the sender), in octets
 * that are MBZ or padding in RFC 5357.  Every micro-session of a LAG shares
 * one IP/UDP 5-tuple and one SID (Request-TW-Micro-Sessions, RFC 9533
 * §4.1), so these IDs are what tells their packets apart.
 *
 * The offsets are RFC 9533's figures (read from the RFC text, 2026-12-07;
 * docs/interop.md), octets from the start of the UDP payload:
 *   sender, open/mixed (Figure 2):     Sender ID 16, Reflector ID 18
 *                                      (after Error Estimate and 2 MBZ
 *                                      octets, in what RFC 5357 calls
 *                                      padding);
 *   sender, auth/encrypted (Figure 3): 28, 30 (the last 4 of the 6 MBZ
 *                                      octets after Error Estimate, before
 *                                      the HMAC at 32);
 *   reflector, open/mixed (Figure 4):  Sender ID 38 (RFC 5357's MBZ after
 *                                      Sender Error Estimate), Sender TTL
 *                                      stays at 40, MBZ at 41 (where RFC
 *                                      7750 puts its octet), Reflector ID
 *                                      42: the fixed part grows from 41 to
 *                                      44 octets;
 *   reflector, auth/enc (Figure 5):    28, 30 (in the MBZ after Error
 *                                      Estimate, before Receive Timestamp).
 * RFC 9533 has no Symmetrical Size (RFC 6038) figures: those layouts take
 * the same places (in the sender packet's MBZ octets); our choice.  STAMP
 * has none: RFC 9534 carries the IDs in a TLV (TW_PKT_TLV_MICRO_SESSION_ID,
 * tw_pkt_micro_tlv).  THIS TABLE IS THE ONE PLACE THE OFFSETS LIVE: the
 * fast path, the socket engine, the tests and the fuzz targets all read it.
 */
struct tw_pkt_micro_geom {
	uint8_t s_sid, s_rid; /* Sender / Reflector Micro-session ID in the sender packet */
	uint8_t r_sid, r_rid; /* the same in the reflector packet */
};

static const struct tw_pkt_micro_geom tw_pkt_micro_tab[TW_PKT_LAYOUT__COUNT] = {
    [TW_PKT_TWAMP_OPEN] = {16, 18, 38, 42},     /* RFC 9533 Figures 2 and 4 */
    [TW_PKT_TWAMP_AUTH] = {28, 30, 28, 30},     /* RFC 9533 Figures 3 and 5 */
    [TW_PKT_TWAMP_SYM_OPEN] = {16, 18, 38, 42}, /* RFC 6038: our extension of the same */
    [TW_PKT_TWAMP_SYM_AUTH] = {28, 30, 28, 30}, /* RFC 6038: our extension of the same */
};

#define TW_PKT_MICRO_IDS_LEN 4 /* Sender + Reflector Micro-session ID */

/* Offset of the Sender Micro-session ID in the sender (reflector = false) or
 * reflector packet of a TWAMP layout; 0 when the layout has none (STAMP,
 * invalid). */
static inline size_t tw_pkt_micro_off(enum tw_pkt_layout l, bool reflector)
{
	if (!tw_pkt_layout_valid(l))
		return 0;
	return reflector ? tw_pkt_micro_tab[l].r_sid : tw_pkt_micro_tab[l].s_sid;
}

/* Offset of the Reflector Micro-session ID, likewise. */
static inline size_t tw_pkt_micro_roff(enum tw_pkt_layout l, bool reflector)
{
	if (!tw_pkt_layout_valid(l))
		return 0;
	return reflector ? tw_pkt_micro_tab[l].r_rid : tw_pkt_micro_tab[l].s_rid;
}

/* Octets a packet needs to hold both IDs of a TWAMP layout (0: none). */
static inline size_t tw_pkt_micro_end(enum tw_pkt_layout l, bool reflector)
{
	size_t so = tw_pkt_micro_off(l, reflector), ro = tw_pkt_micro_roff(l, reflector);
	if (!so || !ro)
		return 0;
	return (so > ro ? so : ro) + 2;
}

/*
 * Smallest Padding Length with which both the sender packet (base + P) and
 * the reflected packet (tw_pkt_reflect_len) hold the IDs: 30 for the open
 * layout (the reply must reach octet 44), 3 for open Symmetrical Size, 0 for
 * the authenticated/encrypted ones; UINT32_MAX when the layout has no IDs.
 * A server refuses a Request-TW-Micro-Sessions with less (RFC 9533 §4.1).
 */
static inline uint32_t tw_pkt_micro_min_pad(enum tw_pkt_layout l)
{
	size_t s_end = tw_pkt_micro_end(l, false), r_end = tw_pkt_micro_end(l, true);
	if (!s_end || !r_end)
		return UINT32_MAX;
	const struct tw_pkt_geom *g = &tw_pkt_geom_tab[l];
	size_t need = 0;
	if (s_end > g->s_base)
		need = s_end - g->s_base;
	/* the reply is max(s_base + P, r_base) long (spec §4.5) */
	if (r_end > g->r_base && r_end - g->s_base > need)
		need = r_end - g->s_base;
	return (uint32_t)need;
}

static inline size_t tw_pkt_micro_tlv(const uint8_t *buf, size_t len, enum tw_pkt_layout l,
                                      uint8_t *flags);

/* Where the two IDs of a packet of len octets are: TWAMP at its layout's
 * offsets, STAMP in its Micro-session ID TLV (RFC 9534 §3.1,
 * tw_pkt_micro_tlv); false when the packet has none or is too short. */
static inline bool tw_pkt_micro_where(const uint8_t *buf, size_t len, enum tw_pkt_layout l,
                                      bool reflector, size_t *so, size_t *ro)
{
	if (tw_pkt_is_stamp(l)) {
		*so = tw_pkt_micro_tlv(buf, len, l, NULL);
		*ro = *so + 2;
		return *so != 0;
	}
	*so = tw_pkt_micro_off(l, reflector);
	*ro = tw_pkt_micro_roff(l, reflector);
	size_t end = tw_pkt_micro_end(l, reflector);
	return end && len >= end;
}

/* Read the ID pair of a (decrypted) packet of len octets; false (nothing
 * read) when the layout has none or the packet is too short (STAMP: carries
 * no Micro-session ID TLV). */
static inline bool tw_pkt_micro_get(const uint8_t *buf, size_t len, enum tw_pkt_layout l,
                                    bool reflector, uint16_t *sender_id, uint16_t *reflector_id)
{
	size_t so, ro;
	if (!tw_pkt_micro_where(buf, len, l, reflector, &so, &ro))
		return false;
	*sender_id = tw_be16(buf + so);
	*reflector_id = tw_be16(buf + ro);
	return true;
}

/* Write the ID pair (before protection); false as for tw_pkt_micro_get(). */
static inline bool tw_pkt_micro_put(uint8_t *buf, size_t len, enum tw_pkt_layout l, bool reflector,
                                    uint16_t sender_id, uint16_t reflector_id)
{
	size_t so, ro;
	if (!tw_pkt_micro_where(buf, len, l, reflector, &so, &ro))
		return false;
	tw_put_be16(buf + so, sender_id);
	tw_put_be16(buf + ro, reflector_id);
	return true;
}

/*
 * Session-Reflector rule (RFC 9533 §4.2): a packet whose Reflector
 * Micro-session ID is non-zero and not the member link it arrived on was
 * meant for another member link: discard it (and count it).  0 = the sender
 * does not know our ID yet.
 */
static inline bool tw_pkt_micro_refl_accept(uint16_t reflector_id, uint16_t own_link)
{
	return reflector_id == 0 || reflector_id == own_link;
}

/* Session-Sender's verdict on a reply's ID pair (RFC 9533 §4.2). */
enum tw_pkt_micro_verdict {
	TW_PKT_MICRO_OK,        /* *idx = the micro-session it belongs to */
	TW_PKT_MICRO_UNKNOWN,   /* Sender ID is none of ours: discard */
	TW_PKT_MICRO_WRONG_REF, /* Reflector ID is not the one that micro-session expects */
};

/*
 * Match a reply to one of n micro-sessions whose Sender IDs are sids[] and
 * whose expected Reflector IDs are rids[] (0 = any: learn nothing, accept
 * any).  One member link of ours may test several of the reflector's (1:7
 * and 1:8: RFC 9533 §4.2 names a micro-session by both IDs), so the pair
 * decides: the micro-session with both IDs, else the one with that Sender
 * ID and R = 0; a Sender ID of ours with neither is WRONG_REF (*idx = the
 * first micro-session with it).  The caller keeps the pairs unique, and a
 * Sender ID with R = 0 alone (tw_pkt_micro_pairs_ok).
 */
static inline enum tw_pkt_micro_verdict tw_pkt_micro_match(const uint16_t *sids,
                                                           const uint16_t *rids, unsigned n,
                                                           uint16_t got_sid, uint16_t got_rid,
                                                           unsigned *idx)
{
	enum tw_pkt_micro_verdict v = TW_PKT_MICRO_UNKNOWN;
	for (unsigned i = 0; i < n; i++) {
		if (sids[i] != got_sid)
			continue;
		if (rids[i] == 0 || rids[i] == got_rid) {
			*idx = i;
			return TW_PKT_MICRO_OK;
		}
		if (v == TW_PKT_MICRO_UNKNOWN)
			*idx = i;
		v = TW_PKT_MICRO_WRONG_REF;
	}
	return v;
}

/* Whether adding micro-session s:r to n others keeps tw_pkt_micro_match()
 * unambiguous: no pair twice, and a Sender ID with R = 0 (any) in no other
 * micro-session. */
static inline bool tw_pkt_micro_pairs_ok(const uint16_t *sids, const uint16_t *rids, unsigned n,
                                         uint16_t s, uint16_t r)
{
	for (unsigned i = 0; i < n; i++)
		if (sids[i] == s && (rids[i] == r || rids[i] == 0 || r == 0))
			return false;
	return true;
}

/*
 * RFC 6038 Reflect Octets (spec §4.6) for a reflector packet built apart from
 * the sender packet: copy the first n octets of the sender's padding to the
 * start of the reflector's padding.  Copies what fits and returns TW_OK if all
 * n octets were copied, TW_E_LENGTH if either padding was shorter than n
 * (TW_E_TRUNCATED / TW_E_ARG if a packet is shorter than its base).
 * tw_pkt_reflect_inplace() needs no such step: it keeps the leading octets.
 */
enum tw_err tw_pkt_reflect_octets(enum tw_pkt_layout l, uint8_t *refl, size_t refl_len,
                                  const uint8_t *snd, size_t snd_len, size_t n);

/* ------------------------------------------------------------------------ */
/* RFC 8972 STAMP TLVs (spec §6.3)                                           */

#define TW_PKT_TLV_HDR_LEN 4
#define TW_PKT_TLV_F_U     0x80 /* Unrecognized: sender sets, reflector clears if known */
#define TW_PKT_TLV_F_M     0x40 /* Malformed: reflector sets */
#define TW_PKT_TLV_F_I     0x20 /* Integrity: reflector sets on all if HMAC TLV fails */

enum tw_pkt_tlv_type {
	TW_PKT_TLV_EXTRA_PADDING = 1,
	TW_PKT_TLV_LOCATION = 2,
	TW_PKT_TLV_TIMESTAMP_INFO = 3,
	TW_PKT_TLV_COS = 4,
	TW_PKT_TLV_DIRECT_MEASUREMENT = 5,
	TW_PKT_TLV_ACCESS_REPORT = 6,
	TW_PKT_TLV_FOLLOWUP_TELEMETRY = 7,
	TW_PKT_TLV_HMAC = 8,
	TW_PKT_TLV_DEST_NODE_ADDR = 9,    /* RFC 9503 */
	TW_PKT_TLV_RETURN_PATH = 10,      /* RFC 9503 */
	TW_PKT_TLV_MICRO_SESSION_ID = 11, /* RFC 9534 */
};

/* One TLV as seen by the iterator. */
struct tw_pkt_tlv {
	uint8_t flags;
	uint8_t type;
	uint16_t len;         /* Length field (value octets, header excluded) */
	const uint8_t *value; /* NULL when the TLV is malformed */
	size_t off;           /* offset of the TLV header within the TLV area */
};

struct tw_pkt_tlv_iter {
	struct tw_rd rd;
};

/* Iterate over a TLV area (the octets after the STAMP base, up to the end of
 * the UDP payload). */
static inline void tw_pkt_tlv_iter_init(struct tw_pkt_tlv_iter *it, const void *area, size_t len)
{
	tw_rd_init(&it->rd, area, len);
}

/* Iterate over the TLVs of a whole STAMP packet of pkt_len octets; a packet
 * shorter than its base yields an empty area (the decoder reports that). */
static inline void tw_pkt_tlv_iter_init_pkt(struct tw_pkt_tlv_iter *it, enum tw_pkt_layout l,
                                            const void *pkt, size_t pkt_len)
{
	size_t b = tw_pkt_sender_base(l);
	if (b > pkt_len)
		b = pkt_len;
	tw_rd_init(&it->rd, (const uint8_t *)pkt + b, pkt_len - b);
}

/*
 * Next TLV (RFC 8972 §4).  TW_OK with *t filled; TW_E_TLV_END when the area
 * is exhausted exactly; TW_E_TLV_LENGTH when the header is cut short (1-3
 * octets left: t->off set, t->len 0) or the Length overruns the area
 * (flags/type/len filled, value NULL).  A malformed TLV swallows the rest of
 * the area, so the error is sticky: further calls return TW_E_TLV_LENGTH.
 */
static inline enum tw_err tw_pkt_tlv_next(struct tw_pkt_tlv_iter *it, struct tw_pkt_tlv *t)
{
	struct tw_rd *r = &it->rd;
	if (!tw_rd_ok(r))
		return TW_E_TLV_LENGTH;
	size_t left = tw_rd_left(r);
	t->off = tw_rd_off(r);
	t->value = NULL;
	t->flags = 0;
	t->type = 0;
	t->len = 0;
	if (left == 0)
		return TW_E_TLV_END;
	if (left < TW_PKT_TLV_HDR_LEN) {
		t->flags = r->p[r->off];
		tw_rd_skip(r, left + 1); /* sets the sticky error */
		return TW_E_TLV_LENGTH;
	}
	t->flags = tw_rd_u8(r);
	t->type = tw_rd_u8(r);
	t->len = tw_rd_u16(r);
	t->value = tw_rd_take(r, t->len);
	return t->value ? TW_OK : TW_E_TLV_LENGTH;
}

/* The first Micro-session ID TLV (Type 11, Length 4) of a TLV area of len
 * octets (a packet's, or a sender's template): the offset of its header in
 * the area, -1 when there is none before the area ends or turns malformed;
 * *flags (unless NULL) its flag octet. */
static inline ptrdiff_t tw_pkt_micro_tlv_in(const uint8_t *area, size_t len, uint8_t *flags)
{
	struct tw_pkt_tlv_iter it;
	struct tw_pkt_tlv t;
	tw_pkt_tlv_iter_init(&it, area, len);
	while (tw_pkt_tlv_next(&it, &t) == TW_OK)
		if (t.type == TW_PKT_TLV_MICRO_SESSION_ID && t.len == TW_PKT_MICRO_IDS_LEN) {
			if (flags)
				*flags = t.flags;
			return (ptrdiff_t)t.off;
		}
	return -1;
}

/*
 * RFC 9534 §3.1: STAMP carries the micro-session ID pair in a Micro-session
 * ID TLV (Type 11, Length 4: Sender ID, then Reflector ID), in the sender
 * and the reflected packet alike (both TLV areas start at the base).  The
 * offset in buf of the first one's value, 0 when the packet has none before
 * its TLV area ends or turns malformed; *flags (unless NULL) its flag octet
 * (the sender reads a reply's IDs only with U, M and I clear: RFC 8972 §4).
 */
static inline size_t tw_pkt_micro_tlv(const uint8_t *buf, size_t len, enum tw_pkt_layout l,
                                      uint8_t *flags)
{
	if (!tw_pkt_is_stamp(l) || len < tw_pkt_sender_base(l))
		return 0;
	size_t b = tw_pkt_sender_base(l);
	ptrdiff_t o = tw_pkt_micro_tlv_in(buf + b, len - b, flags);
	return o < 0 ? 0 : b + (size_t)o + TW_PKT_TLV_HDR_LEN;
}

/*
 * Append a TLV to a writer: header, then len value octets copied from value
 * (or zeros if value is NULL, e.g. Extra Padding to be filled later).  Writes
 * nothing and returns TW_E_NOSPACE (and sets the writer's sticky error) if the
 * whole TLV does not fit.
 */
enum tw_err tw_pkt_tlv_put(struct tw_wr *w, uint8_t flags, uint8_t type, const void *value,
                           uint16_t len);

/* A set of TLV types a reflector recognises (one bit per type 0..255). */
struct tw_pkt_tlv_set {
	uint64_t bits[4];
};
static inline void tw_pkt_tlv_set_add(struct tw_pkt_tlv_set *s, uint8_t type)
{
	s->bits[type >> 6] |= UINT64_C(1) << (type & 63);
}
static inline bool tw_pkt_tlv_set_has(const struct tw_pkt_tlv_set *s, uint8_t type)
{
	return (s->bits[type >> 6] >> (type & 63)) & 1;
}

/*
 * Reflector flag pass over a TLV area, in place (RFC 8972 §4, spec §6.3):
 * for each well-formed TLV set U if its type is not in known and clear U if
 * it is; set M on the malformed TLV (Length overrun, or a 1-3 octet header
 * fragment: M goes on its flags octet).  Types, lengths and values are echoed
 * unchanged; nothing past area+len is read or written.  *count (if not NULL)
 * receives the number of TLVs visited, the malformed one included.
 * Returns TW_OK, or TW_E_TLV_LENGTH if a malformed TLV was flagged.
 */
enum tw_err tw_pkt_tlv_reflect(uint8_t *area, size_t len, const struct tw_pkt_tlv_set *known,
                               unsigned *count);

/*
 * RFC 8972 §4.4 Class of Service TLV, value of 4 octets:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   |   DSCP1   |   DSCP2   |ECN| RP|          Reserved             |
 *
 * DSCP1: the DSCP the Session-Sender asks for on the reflected packet;
 * DSCP2 and ECN: what the Session-Reflector received; RP (Reverse Path):
 * 0 when the reflected packet carries DSCP1.  The Reserved octets are left
 * as received, so a peer speaking a later revision that puts a requested
 * ECN there gets its bits back unchanged.  A Length other than 4 is
 * malformed (the reflector sets M and fills nothing).
 */
#define TW_PKT_TLV_COS_LEN 4

struct tw_pkt_cos {
	uint8_t dscp1, dscp2, ecn, rp;
};

static inline struct tw_pkt_cos tw_pkt_cos_get(const uint8_t *v)
{
	struct tw_pkt_cos c;
	c.dscp1 = (uint8_t)(v[0] >> 2);
	c.dscp2 = (uint8_t)((v[0] & 3u) << 4 | v[1] >> 4);
	c.ecn = (uint8_t)(v[1] >> 2 & 3u);
	c.rp = (uint8_t)(v[1] & 3u);
	return c;
}

/* Writes the first two octets; the Reserved ones are the caller's. */
static inline void tw_pkt_cos_put(uint8_t *v, const struct tw_pkt_cos *c)
{
	v[0] = (uint8_t)((c->dscp1 & 0x3fu) << 2 | (c->dscp2 & 0x3fu) >> 4);
	v[1] = (uint8_t)((c->dscp2 & 0x0fu) << 4 | (c->ecn & 3u) << 2 | (c->rp & 3u));
}

/*
 * Session-Reflector processing of one CoS value (RFC 8972 §4.4): record the
 * received TOS / Traffic Class octet as DSCP2 and ECN, RP 0 (we always send
 * the reply with DSCP1), and return DSCP1, the reply's DSCP.
 */
static inline uint8_t tw_pkt_cos_reflect(uint8_t *v, uint8_t tos_rx)
{
	struct tw_pkt_cos c = tw_pkt_cos_get(v);
	c.dscp2 = (uint8_t)(tos_rx >> 2);
	c.ecn = (uint8_t)(tos_rx & 3u);
	c.rp = 0;
	tw_pkt_cos_put(v, &c);
	return c.dscp1;
}

/* OR flags into every TLV's flags octet (e.g. I on all TLVs when the HMAC
 * TLV check fails, spec §6.3), the malformed one included; the walk stops
 * there.  Returns as tw_pkt_tlv_reflect(). */
enum tw_err tw_pkt_tlv_set_flags(uint8_t *area, size_t len, uint8_t flags);

#endif
