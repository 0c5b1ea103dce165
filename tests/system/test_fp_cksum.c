/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app/fp_cksum.h against a full RFC 768 checksum: random IPv4/IPv6 UDP
 * datagrams of every layout are reflected the way fp_reflector.c does it
 * (pre-pass, tw_pkt_reflect_inplace, STAMP TLV echo, simulated decrypt and
 * protect, address/port swap, new UDP Length, then late T3), and the
 * incremental checksum must equal the one computed from scratch.
 */
#include <stdlib.h>

#include "../../app/fp_cksum.h"
#include "../unit/tw_unit.h"

/* Reference: big-endian words, RFC 1071 straight. */
static uint16_t ref_cksum(const uint8_t *addrs, size_t alen, const uint8_t *udp, size_t ulen)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < alen; i += 2)
		s += (uint32_t)(addrs[i] << 8 | addrs[i + 1]);
	s += 17 + (uint32_t)ulen;
	for (size_t i = 0; i < ulen; i += 2) {
		if (i == 6)
			continue; /* the checksum field counts as zero */
		s += (uint32_t)(udp[i] << 8 | (i + 1 < ulen ? udp[i + 1] : 0));
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	uint16_t c = (uint16_t)~s;
	return c ? c : 0xffff;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned long n_incr, n_full, n_odd, n_tlv, n_fresh, n_arith;

/* Build a random STAMP TLV area (sometimes malformed) of exactly len octets. */
static void random_tlvs(uint8_t *a, size_t len)
{
	size_t o = 0;
	while (o + 4 <= len) {
		size_t room = len - o - 4;
		size_t vl = room ? (size_t)rand() % (room + 1) : 0;
		if (rand() % 8 == 0)
			vl = room + 1 + (size_t)(rand() % 5); /* malformed: overruns */
		a[o] = (uint8_t)rand();
		a[o + 1] = (uint8_t)(rand() % 8);
		put16(a + o + 2, (uint16_t)vl);
		for (size_t i = 0; i < vl && o + 4 + i < len; i++)
			a[o + 4 + i] = (uint8_t)rand();
		o += 4 + vl;
	}
	for (; o < len; o++)
		a[o] = (uint8_t)rand();
}

static int one_case(enum tw_pkt_layout l, int ipv, bool zero_ck)
{
	static uint8_t buf[2048];
	const struct tw_pkt_geom *g = tw_pkt_geom(l);
	size_t alen = ipv == 4 ? 8 : 32;
	uint8_t *addrs = buf;
	uint8_t *udp = buf + 64;
	size_t cap = sizeof(buf) - 64 - 8;
	size_t sb = g->s_base;
	size_t in = sb + (size_t)(rand() % 300);
	uint32_t pad = (uint32_t)(rand() % 320);
	if (rand() % 4 == 0 && !tw_pkt_is_stamp(l) && in >= sb)
		pad = (uint32_t)(in - sb); /* equal length: the common case */
	if (rand() % 8 == 0 && !tw_pkt_is_stamp(l)) {
		/* the benchmark's packet: sender base + Padding to reach the
		 * reflector base, nothing of the request survives */
		in = g->r_base;
		pad = (uint32_t)(g->r_base - sb);
	}
	for (size_t i = 0; i < alen; i++)
		addrs[i] = (uint8_t)rand();
	for (size_t i = 0; i < 8 + in; i++)
		udp[i] = (uint8_t)rand();
	uint8_t *pl = udp + 8;
	if (tw_pkt_is_stamp(l) && rand() % 4)
		random_tlvs(pl + sb, in - sb);
	put16(udp + 4, (uint16_t)(8 + in));
	put16(udp + 6, zero_ck ? 0 : ref_cksum(addrs, alen, udp, 8 + in));

	struct fp_cs_ref c;
	fp_cs_pre(&c, udp, in, l, pad);
	/* verify/decrypt of mode 4 rewrites the sender's first octets */
	if (sb >= 48)
		for (size_t i = 0; i < 48; i++)
			pl[i] = (uint8_t)rand();
	uint32_t rseq = (uint32_t)rand();
	uint64_t t2 = (uint64_t)rand() << 33 ^ (uint64_t)rand();
	uint8_t ttl = (uint8_t)rand();
	int r = tw_pkt_reflect_inplace(pl, in, cap, l, pad, rseq, t2, 0, 0x8001, ttl);
	if (r < 0)
		return 0; /* the reflector drops it; nothing to check */
	/* the fast path's open layouts: the base summed from the values (half
	 * the time here, so the memory path stays covered too) */
	if (!g->r_hmac && rand() % 2)
		fp_cs_set_base(&c, rseq, t2, 0, 0x8001, ttl);
	if (tw_pkt_is_stamp(l) && (size_t)r > g->r_base) {
		static const struct tw_pkt_tlv_set known = {
		    {1u << TW_PKT_TLV_EXTRA_PADDING, 0, 0, 0}};
		(void)tw_pkt_tlv_reflect(pl + g->r_base, (size_t)r - g->r_base, &known, NULL);
	}
	if (g->r_hmac) /* protect: the base changes arbitrarily */
		for (size_t i = 0; i < g->r_base; i++)
			if (i != g->r_t3 && rand() % 2)
				pl[i] = (uint8_t)rand();
	/* turn around */
	uint8_t t[16];
	memcpy(t, addrs, alen / 2);
	memmove(addrs, addrs + alen / 2, alen / 2);
	memcpy(addrs + alen / 2, t, alen / 2);
	uint16_t sp = get16(udp);
	put16(udp, get16(udp + 2));
	put16(udp + 2, sp);
	put16(udp + 4, (uint16_t)(8 + r));
	uint16_t want = ref_cksum(addrs, alen, udp, 8 + (size_t)r);
	if (c.incr) {
		uint16_t got = fp_cs_final(fp_cs_post(&c, udp, addrs, alen, l));
		memcpy(udp + 6, &got, 2); /* native store, as the fast path does */
		n_incr++;
		n_odd += c.odd;
		n_fresh += c.fresh;
		n_arith += c.have_base;
		n_tlv += c.ntlv > 0;
	} else {
		put16(udp + 6, want); /* the fast path's full computation */
		n_full++;
		CU_ASSERT_TRUE(zero_ck || tw_pkt_is_stamp(l));
		CU_ASSERT_FALSE(c.fresh);
	}
	if (get16(udp + 6) != want) {
		printf("\n  layout %d ipv%d in %zu pad %u out %d odd %d: got %04x want %04x\n", l,
		       ipv, in, pad, r, c.odd, get16(udp + 6), want);
		return -1;
	}
	/* late T3: T3 (8 octets) and Error Estimate rewritten after the sum */
	uint16_t old[5], nw[5];
	memcpy(old, pl + g->r_t3, 10);
	for (int i = 0; i < 10; i++)
		pl[g->r_t3 + i] = (uint8_t)rand();
	memcpy(nw, pl + g->r_t3, 10);
	uint16_t st;
	memcpy(&st, udp + 6, 2);
	st = fp_cs_patch(st, old, nw, 5);
	memcpy(udp + 6, &st, 2);
	want = ref_cksum(addrs, alen, udp, 8 + (size_t)r);
	if (get16(udp + 6) != want) {
		printf("\n  late T3 layout %d: got %04x want %04x\n", l, get16(udp + 6), want);
		return -1;
	}
	return 0;
}

static void test_random(void)
{
	srand(12345);
	int bad = 0;
	for (int k = 0; k < 200000; k++) {
		enum tw_pkt_layout l = (enum tw_pkt_layout)(k % TW_PKT_LAYOUT__COUNT);
		int ipv = (k / TW_PKT_LAYOUT__COUNT) % 2 ? 6 : 4;
		bool zero = ipv == 4 && rand() % 16 == 0;
		if (one_case(l, ipv, zero) != 0 && ++bad > 10)
			break;
	}
	printf("\n  incremental %lu (odd shift %lu, with TLVs %lu, from scratch %lu, base from "
	       "values %lu), full %lu\n",
	       n_incr, n_odd, n_tlv, n_fresh, n_arith, n_full);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_TRUE(n_incr > 100000 && n_odd > 10000 && n_tlv > 1000 && n_fresh > 1000 &&
	               n_arith > 10000);
}

/* IPv4 header: the turn-around's checksum from values == RFC 791 over the
 * rewritten header (with options, swapped addresses). */
static void test_ipv4_values(void)
{
	srand(777);
	int bad = 0;
	for (int k = 0; k < 100000; k++) {
		uint8_t h[60] = {0};
		size_t hlen = 20 + 4 * (size_t)(rand() % 11);
		for (size_t i = 0; i < hlen; i++)
			h[i] = (uint8_t)rand();
		h[0] = (uint8_t)(0x40 | hlen / 4);
		uint16_t rest = fp_cs_ipv4_rest(h, hlen);
		uint8_t tos = (uint8_t)rand(), ttl = (uint8_t)rand();
		uint16_t len = (uint16_t)rand();
		h[1] = tos;
		put16(h + 2, len);
		put16(h + 6, 0);
		h[8] = ttl;
		h[9] = 17;
		uint8_t a[4];
		memcpy(a, h + 12, 4);
		memcpy(h + 12, h + 16, 4);
		memcpy(h + 16, a, 4);
		uint16_t c = fp_cs_ipv4_values(rest, h[0], tos, len, 0, ttl, 17);
		memcpy(h + 10, &c, 2);
		uint32_t s = 0;
		for (size_t i = 0; i < hlen; i += 2)
			s += (uint32_t)(h[i] << 8 | h[i + 1]);
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		bad += s != 0xffff;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_patch_zero(void)
{
	/* A stored 0xffff (sum 0) patched back to the same words stays valid. */
	uint16_t o = 0x1234, n = 0x1234;
	CU_ASSERT_EQUAL(fp_cs_patch(0xffff, &o, &n, 1), 0xffff);
	/* fold of a zero sum and of a long run of 0xff */
	uint8_t ff[64];
	memset(ff, 0xff, sizeof(ff));
	CU_ASSERT_EQUAL(fp_cs_fold(fp_cs_raw(ff, sizeof(ff))), 0xffff);
	CU_ASSERT_EQUAL(fp_cs_fold(0), 0);
}

/* The straightforward fold (end-around carries until nothing is left). */
static uint16_t ref_fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* fp_cs_fold's short chain == the straightforward fold, on the edges of
 * each carry (halves at 0, 0xffff, 0xffffffff) and on random sums of
 * every magnitude. */
static void test_fold(void)
{
	static const uint64_t edge[] = {
	    0, 1, 0xfffe, 0xffff, 0x10000, 0x1fffe, 0x1ffff, 0xfffeffff, 0xffff0000, 0xffffffff,
	    0x100000000ull, 0x1fffffffeull, 0xffffffff00000000ull, 0xfffffffffffffffeull,
	    0xffffffffffffffffull, 0x8000000080000000ull, 0x0000ffff0000ffffull,
	    0xffff0000ffff0000ull, 0xfffeffffffffffffull};
	int bad = 0;
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		if (fp_cs_fold(edge[i]) != ref_fold(edge[i])) {
			printf("\n  fold(0x%llx) = 0x%x, want 0x%x", (unsigned long long)edge[i],
			       fp_cs_fold(edge[i]), ref_fold(edge[i]));
			bad++;
		}
	srand(4242);
	for (int k = 0; k < 1000000; k++) {
		uint64_t v = (uint64_t)rand() << 62 ^ (uint64_t)rand() << 31 ^ (uint64_t)rand();
		v >>= rand() % 64;
		if (fp_cs_fold(v) != ref_fold(v) && ++bad < 10)
			printf("\n  fold(0x%llx) = 0x%x, want 0x%x", (unsigned long long)v,
			       fp_cs_fold(v), ref_fold(v));
	}
	CU_ASSERT_EQUAL(bad, 0);
}

int main(void)
{
	static const struct tw_unit_case cases[] = {
	    {"incremental == full, random packets", test_random},
	    {"IPv4 header from values", test_ipv4_values},
	    {"edge values", test_patch_zero},
	    {"fold == straightforward fold", test_fold},
	    {NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS || tw_unit_suite("fp_cksum", cases) != 0)
		return 2;
	return tw_unit_run("fp_cksum");
}
