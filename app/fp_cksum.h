/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_cksum: incremental UDP checksum for reflected TWAMP/STAMP packets
 * (RFC 1624: HC' = ~(~HC + ~m + m')).  Pure C, no DPDK, so
 * tests/system/test_fp_cksum.c checks it against a full checksum.
 *
 * All sums are one's complement sums of 16-bit words loaded in host order
 * ("native"); RFC 1071 §2(B): the sum is byte-order independent, so a
 * native sum stored with a native store is the right wire checksum.  A run
 * of octets that starts at an odd offset of the checksummed data contributes
 * its even-aligned sum byte-swapped (RFC 1071 §2(B) again), which is how a
 * padding block moved by an odd distance (TWAMP open: 14 -> 41) is handled.
 *
 * What the reflector changes (fp_net.h fp_turn_around, tw_pkt_reflect_inplace):
 *   - addresses and ports swapped: both in the sum, order irrelevant;
 *   - UDP Length (pseudo-header and header: counted twice);
 *   - payload [0, s_base) of the request is replaced by [0, r_base) of the
 *     reply; padding [s_base, s_base+n) moves to [r_base, r_base+n); the
 *     request's [s_base+n, in) is dropped; the reply's [r_base+n, out) is
 *     zeros (adds nothing);
 *   - STAMP: the flag octet of each echoed TLV (recorded before, compared
 *     after);
 *   - T3/Error Estimate written after the checksum (late T3): fp_cs_patch16.
 * The received checksum is trusted as it is, as RFC 1624 updates do: a
 * request corrupted in transit yields a reply whose checksum is still wrong
 * (the corruption is not laundered).  A received 0 ("no checksum", IPv4
 * only) always takes the full computation.
 */
#ifndef FP_CKSUM_H
#define FP_CKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tw_pkt.h"

#define FP_CS_MAX_TLV 16

/* Native one's complement partial sum of len octets starting at an even
 * offset (a trailing odd octet is the high-order octet of a zero-padded
 * word, RFC 768). */
static inline uint64_t fp_cs_raw(const void *p, size_t len)
{
	const uint8_t *b = (const uint8_t *)p;
	uint64_t s = 0;
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, b, 8);
		/* two 32-bit halves: no carry is lost in 64 bits */
		s += (w & 0xffffffffu) + (w >> 32);
		b += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t w;
		memcpy(&w, b, 4);
		s += w;
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;
		memcpy(&w, b, 2);
		s += w;
		b += 2;
		len -= 2;
	}
	if (len) {
		uint16_t w = 0;
		memcpy(&w, b, 1);
		s += w;
	}
	return s;
}

/* One's complement fold of a 64-bit partial sum to 16 bits: 0 only for a
 * zero sum, else the value in 1..0xffff congruent to it modulo 0xffff.
 * The reflector folds several times per packet (perf: the folds were a
 * fifth of the open reflect), so the chain is short: the two 32-bit halves
 * added with the end-around carry (2^32 - 1 is a multiple of 0xffff, so
 * the class modulo 0xffff is kept, and a nonzero sum stays nonzero), then
 * t + (t rotated by 16) carries the sum of t's halves, with its
 * end-around carry, into the upper 16 bits. */
static inline uint16_t fp_cs_fold(uint64_t s)
{
	uint32_t lo = (uint32_t)s;
	uint32_t t = lo + (uint32_t)(s >> 32);
	t += t < lo;
	t += (t << 16) | (t >> 16);
	return (uint16_t)(t >> 16);
}

static inline uint16_t fp_cs_swap(uint16_t v)
{
	return (uint16_t)((v >> 8) | (v << 8));
}

/* Folded sum of len octets that sit at offset off of the checksummed data. */
static inline uint16_t fp_cs_at(const uint8_t *p, size_t len, size_t off)
{
	uint16_t s = fp_cs_fold(fp_cs_raw(p, len));
	return (off & 1) ? fp_cs_swap(s) : s;
}

/* One's complement subtraction a - b. */
static inline uint16_t fp_cs_sub(uint16_t a, uint16_t b)
{
	return fp_cs_fold((uint64_t)a + (uint16_t)~b);
}

/* Stored checksum of a final sum: never 0 on the wire (RFC 768: 0 means
 * "none", and is not allowed over IPv6, RFC 8200 §8.1). */
static inline uint16_t fp_cs_final(uint16_t sum)
{
	uint16_t c = (uint16_t)~sum;
	return c ? c : 0xffff;
}

/* Every field offset of the layout even (RFC 1071 word alignment). */
static inline bool fp_cs_geom_even(const struct tw_pkt_geom *g)
{
	return !((g->s_ts | g->s_errest | g->s_ssid | g->r_t3 | g->r_errest | g->r_ssid | g->r_t2 |
	          g->r_sseq | g->r_t1 | g->r_serrest | g->r_ttl) &
	         1);
}

/* A sum of big-endian 16-bit words, as a native sum. */
static inline uint16_t fp_cs_be_to_native(uint16_t be_sum)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return fp_cs_swap(be_sum);
#else
	return be_sum;
#endif
}

/* What the pre-pass records about a request, before anything is rewritten
 * (before the mode-4 decryption too: the old checksum covers the wire
 * octets). */
struct fp_cs_ref {
	bool incr;        /* false: compute the reply's checksum in full */
	bool odd;         /* padding moves by an odd distance */
	bool fresh;       /* no request octet survives: sum the reply from scratch */
	bool arith;       /* open layout: the reply base can be summed from values */
	bool have_base;   /* base: set by fp_cs_set_base() */
	uint16_t snd;     /* open layouts: the request fields the reply copies */
	uint16_t base;    /* sum of the reply's [0, r_base) */
	uint16_t ip_rest; /* IPv4: fp_cs_ipv4_rest() of the request */
	uint8_t ntlv;
	uint16_t sum_old;                /* ~HC of the request */
	uint16_t ulen_old;               /* UDP Length as stored (native load of the BE field) */
	uint16_t removed;                /* request octets that do not survive: [0,s_base) + tail */
	uint16_t tlv_off[FP_CS_MAX_TLV]; /* payload offsets of STAMP TLV flag octets */
	uint8_t tlv_old[FP_CS_MAX_TLV];
};

/*
 * Pre-pass.  udp: the request's UDP header (payload follows it), pl_len its
 * payload length; l/pad_len as given to tw_pkt_reflect_inplace.  Decides
 * whether the incremental path applies and sums what will disappear.
 */
static inline void fp_cs_pre(struct fp_cs_ref *c, const uint8_t *udp, size_t pl_len,
                             enum tw_pkt_layout l, uint32_t pad_len)
{
	uint16_t hc;
	memcpy(&hc, udp + 6, 2);
	c->incr = false;
	c->odd = false;
	c->fresh = false;
	c->arith = false;
	c->have_base = false;
	c->ntlv = 0;
	if (!tw_pkt_layout_valid(l))
		return;
	const struct tw_pkt_geom *g = tw_pkt_geom(l);
	const uint8_t *rq = udp + 8;
	if (!g->s_hmac && pl_len >= g->s_base && fp_cs_geom_even(g)) {
		/* Sequence Number, T1, its Error Estimate (and SSID) move to
		 * even offsets of the reply: their sum carries over. */
		c->arith = true;
		c->snd = fp_cs_fold(fp_cs_raw(rq, 4) + fp_cs_raw(rq + g->s_ts, 8) +
		                    fp_cs_raw(rq + g->s_errest, 2) +
		                    (g->s_ssid ? fp_cs_raw(rq + g->s_ssid, 2) : 0));
	}
	size_t sb = g->s_base, rb = g->r_base;
	if (pl_len < sb)
		return; /* dropped anyway */
	size_t out = tw_pkt_reflect_len(l, pad_len, pl_len);
	if (out < rb || out > TW_PKT_MAX_LEN)
		return;
	const uint8_t *pl = udp + 8;
	size_t have = pl_len - sb, want = out - rb;
	size_t n = have < want ? have : want;
	if (n == 0 && !tw_pkt_is_stamp(l)) {
		/* Nothing of the request's payload survives (TWAMP open with
		 * Padding Length <= 27, the benchmark's packet): the old sum
		 * is no help, and the reply's is a pseudo-header, a header and
		 * r_base octets.  Needs no valid request checksum either. */
		c->fresh = c->incr = true;
		return;
	}
	if (hc == 0)
		return;
	if (tw_pkt_is_stamp(l) && pl_len > sb) {
		/* Echoed TLVs get their flag octets rewritten: record them
		 * with the walker tw_pkt_tlv_reflect uses.  Only when the
		 * area is the same before and after (STAMP keeps the length
		 * and the bases are equal). */
		if (out != pl_len || sb != rb)
			return;
		struct tw_pkt_tlv_iter it;
		struct tw_pkt_tlv t = {0};
		enum tw_err e;
		tw_pkt_tlv_iter_init(&it, pl + sb, pl_len - sb);
		while ((e = tw_pkt_tlv_next(&it, &t)) == TW_OK || e == TW_E_TLV_LENGTH) {
			if (c->ntlv == FP_CS_MAX_TLV)
				return;
			c->tlv_off[c->ntlv] = (uint16_t)(sb + t.off);
			c->tlv_old[c->ntlv++] = pl[sb + t.off];
			if (e != TW_OK)
				break;
		}
	}
	memcpy(&c->ulen_old, udp + 4, 2);
	c->sum_old = (uint16_t)~hc;
	/* payload offset p is UDP offset 8 + p: same parity */
	uint16_t rm = fp_cs_fold(fp_cs_raw(pl, sb));
	if (sb + n < pl_len)
		rm = fp_cs_fold((uint64_t)rm + fp_cs_at(pl + sb + n, pl_len - sb - n, sb + n));
	c->removed = rm;
	c->odd = ((rb - sb) & 1) && n;
	c->incr = true;
}

/*
 * Open layouts (c->arith): the sum of the reply base that
 * tw_pkt_reflect_inplace() writes (zeros, then seq, T3, Error Estimate,
 * [SSID,] T2, the sender's seq, T1 and Error Estimate, Sender TTL), from
 * the values instead of re-reading octets just stored (8-octet loads
 * across 2/4/8-octet stores defeat store-to-load forwarding: perf showed
 * the stall).  Same arguments as given to tw_pkt_reflect_inplace().
 */
static inline void fp_cs_set_base(struct fp_cs_ref *c, uint32_t seq, uint64_t t2, uint64_t t3,
                                  uint16_t errest, uint8_t ttl)
{
	if (!c->incr || !c->arith)
		return;
	uint64_t be = (seq >> 16) + (seq & 0xffff) + (t2 >> 48) + ((t2 >> 32) & 0xffff) +
	              ((t2 >> 16) & 0xffff) + (t2 & 0xffff) + (t3 >> 48) + ((t3 >> 32) & 0xffff) +
	              ((t3 >> 16) & 0xffff) + (t3 & 0xffff) + errest + ((uint32_t)ttl << 8);
	c->base = fp_cs_fold((uint64_t)fp_cs_be_to_native(fp_cs_fold(be)) + c->snd);
	c->have_base = true;
}

/*
 * Post-pass, on the finished reply (addresses/ports swapped, UDP Length set,
 * payload reflected).  addrs: the IP source and destination addresses
 * (contiguous in both IPv4 and IPv6), alen 8 or 32.  Returns the one's
 * complement sum of the reply (store fp_cs_final() of it).  Always inlined:
 * with the layout a constant (the open instances of fp_reflector.c) the
 * geometry folds away, and GCC's size limits left it out of line in the
 * Light listener's instance even under flatten.
 */
static inline __attribute__((always_inline)) uint16_t
fp_cs_post(const struct fp_cs_ref *c, const uint8_t *udp, const uint8_t *addrs, size_t alen,
	   enum tw_pkt_layout l)
{
	const struct tw_pkt_geom *g = tw_pkt_geom(l);
	const uint8_t *pl = udp + 8;
	uint16_t ulen_new;
	memcpy(&ulen_new, udp + 4, 2);
	uint16_t added = c->have_base ? c->base : fp_cs_fold(fp_cs_raw(pl, g->r_base));
	static const uint8_t proto[2] = {0, 17};
	uint16_t pw;
	memcpy(&pw, proto, 2);
	if (c->fresh) /* addresses, protocol, ports, UDP Length twice, payload */
		return fp_cs_fold(fp_cs_raw(addrs, alen) + pw + fp_cs_raw(udp, 4) +
		                  2 * (uint64_t)ulen_new + added);
	for (unsigned i = 0; i < c->ntlv; i++) {
		uint16_t o = c->tlv_off[i];
		uint8_t nw = pl[o];
		if (nw == c->tlv_old[i])
			continue;
		/* a lone octet at offset o: high byte of its word if o is even */
		uint16_t wo = 0, wn = 0;
		memcpy((uint8_t *)&wo + (o & 1), &c->tlv_old[i], 1);
		memcpy((uint8_t *)&wn + (o & 1), &nw, 1);
		added = fp_cs_fold((uint64_t)added + wn + (uint16_t)~wo);
	}
	/* pseudo-header and UDP header: the length appears twice */
	uint64_t dlen = 2 * (uint64_t)ulen_new + 2 * (uint64_t)(uint16_t)~c->ulen_old;
	if (!c->odd)
		return fp_cs_fold((uint64_t)c->sum_old + (uint16_t)~c->removed + added + dlen);
	/* Padding moved by an odd distance: isolate its sum M from the old
	 * total and add it back byte-swapped.  X = pseudo-header + UDP header
	 * of the request (addresses and ports: sum unchanged by the swap). */
	uint64_t x = fp_cs_raw(addrs, alen) + pw + fp_cs_raw(udp, 4) + 2 * (uint64_t)c->ulen_old;
	uint16_t xf = fp_cs_fold(x);
	uint16_t m = fp_cs_sub(fp_cs_sub(c->sum_old, xf), c->removed);
	return fp_cs_fold((uint64_t)xf + dlen + added + fp_cs_swap(m));
}

/* IPv4 header checksum over hlen octets (RFC 791), the field zeroed first;
 * 64-bit loads instead of DPDK 22.11's 16-bit loop (perf: 6 % of the open
 * reflector). */
static inline uint16_t fp_cs_ipv4_hdr(uint8_t *ip, size_t hlen)
{
	memset(ip + 10, 0, 2);
	return (uint16_t)~fp_cs_fold(fp_cs_raw(ip, hlen));
}

/* IPv4 header checksum of a turned-around header from values: rest is the
 * native sum of what the turn-around does not change (Identification,
 * the addresses — swapped, same sum — and options: octets 4-5 and 12..),
 * taken before any write; the other words are rebuilt from the values
 * written.  Reading the header back after the byte-wide writes would stall
 * on store-to-load forwarding. */
static inline uint16_t fp_cs_ipv4_rest(const uint8_t *ip, size_t hlen)
{
	return fp_cs_fold(fp_cs_raw(ip + 4, 2) + fp_cs_raw(ip + 12, hlen - 12));
}

static inline uint16_t fp_cs_ipv4_values(uint16_t rest, uint8_t ver_ihl, uint8_t tos,
                                         uint16_t tot_len, uint16_t frag, uint8_t ttl,
                                         uint8_t proto)
{
	uint32_t be =
	    ((uint32_t)ver_ihl << 8 | tos) + tot_len + frag + ((uint32_t)ttl << 8 | proto);
	return (uint16_t)~fp_cs_fold((uint64_t)fp_cs_be_to_native(fp_cs_fold(be)) + rest);
}

/* Update a stored checksum for 16-bit-aligned words at an even offset that
 * changed from old to new (RFC 1624 eqn. 3); n words. */
static inline uint16_t fp_cs_patch(uint16_t stored, const uint16_t *old, const uint16_t *nw,
                                   unsigned n)
{
	uint64_t s = (uint16_t)~stored;
	for (unsigned i = 0; i < n; i++)
		s += (uint16_t)~old[i] + (uint64_t)nw[i];
	return fp_cs_final(fp_cs_fold(s));
}

#endif
