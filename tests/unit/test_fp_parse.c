/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app/fp_parse.h, the fast path's frame parser (header-only pure C, so it
 * runs here without EAL, as in tests/fuzz/fuzz_net.c): which frames are
 * test packets, and that IP fragments of UDP, IPv4 and IPv6 (RFC 791
 * §3.2, RFC 8200 §4.5), are told apart: the fast path reflects none
 * (counter IP_FRAG) and the kernel reassembles them.
 */
#include "tw_unit.h"

#include "../../app/fp_parse.h"

/* UDP 40000 -> 862 with `pl` octets of payload. */
static void udp_hdr(uint8_t *u, uint32_t pl)
{
	u[0] = 40000 >> 8;
	u[1] = 40000 & 0xff;
	u[2] = 862 >> 8;
	u[3] = 862 & 0xff;
	u[4] = (uint8_t)((8 + pl) >> 8);
	u[5] = (uint8_t)(8 + pl);
	u[6] = 0x12; /* a checksum the parser does not verify, but not 0 */
	u[7] = 0x34;
}

/* The IPv4 header checksum (RFC 791 §3.1), computed the plain way. */
static void ip4_cksum(uint8_t *ip)
{
	ip[10] = ip[11] = 0;
	uint32_t s = 0;
	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	ip[10] = (uint8_t)(~s >> 8);
	ip[11] = (uint8_t)~s;
}

/* An Ethernet frame with an IPv4 (or IPv6) header and UDP 40000 -> 862 carrying
 * `pl` octets; returns the frame length. */
static uint32_t frame4(uint8_t *f, uint32_t pl)
{
	memset(f, 0, 2048);
	f[12] = 0x08;
	uint8_t *ip = f + 14;
	uint32_t tot = 20 + 8 + pl;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[6] = 0x40; /* DF: not a fragment */
	ip[8] = 64;
	ip[9] = FP_PROTO_UDP;
	memcpy(ip + 12, "\x0a\x00\x00\x02\x0a\x00\x00\x01", 8);
	udp_hdr(ip + 20, pl);
	ip4_cksum(ip);
	return 14 + tot;
}

static uint32_t frame6(uint8_t *f, uint32_t pl, bool frag_hdr)
{
	memset(f, 0, 2048);
	f[12] = 0x86;
	f[13] = 0xdd;
	uint8_t *ip = f + 14;
	uint32_t plen = (frag_hdr ? 8 : 0) + 8 + pl;
	ip[0] = 0x60;
	ip[4] = (uint8_t)(plen >> 8);
	ip[5] = (uint8_t)plen;
	ip[6] = frag_hdr ? FP_PROTO_FRAG : FP_PROTO_UDP;
	ip[7] = 64;
	ip[8] = 0xfd;
	ip[23] = 2;
	ip[24] = 0xfd;
	ip[39] = 1;
	uint8_t *u = ip + 40;
	if (frag_hdr) {
		u[0] = FP_PROTO_UDP; /* Next Header */
		u[3] = 1;            /* offset 0, M = 1: the first fragment */
		u += 8;
	}
	udp_hdr(u, pl);
	return 14 + 40 + plen;
}

static void test_whole_datagrams(void)
{
	static uint8_t f[2048];
	struct fp_pinfo pi;
	uint32_t n = frame4(f, 41);
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_UDP);
	CU_ASSERT_EQUAL(pi.ipv, 4);
	CU_ASSERT_EQUAL(pi.key.local_port, 862);
	CU_ASSERT_EQUAL(pi.key.peer_port, 40000);
	CU_ASSERT_EQUAL(pi.l3_off, 14);
	CU_ASSERT_EQUAL(pi.pl_off, 42);
	CU_ASSERT_EQUAL(pi.pl_len, 41);
	CU_ASSERT_EQUAL(pi.key.local.a[3], 1);
	n = frame6(f, 41, false);
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_UDP);
	CU_ASSERT_EQUAL(pi.ipv, 6);
	CU_ASSERT_EQUAL(pi.pl_off, 62);
	CU_ASSERT_EQUAL(pi.pl_len, 41);
	/* IP length = what fp_lcore compares with the port's IP MTU */
	CU_ASSERT_EQUAL(pi.pl_off + pi.pl_len - pi.l3_off, 40 + 8 + 41);
}

static void test_ipv4_fragments(void)
{
	static uint8_t f[2048];
	struct fp_pinfo pi;
	uint32_t n = frame4(f, 1472);
	uint8_t *ip = f + 14;
	ip[6] = 0x20; /* MF, offset 0: the first fragment */
	ip4_cksum(ip);
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_FRAG);
	ip[6] = 0x00;
	ip[7] = 185; /* offset 1480, the last fragment */
	ip4_cksum(ip);
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_FRAG);
	ip[6] = 0x1f; /* the highest offset */
	ip[7] = 0xff;
	ip4_cksum(ip);
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_FRAG);
	ip[6] = 0x40; /* DF alone is a whole datagram */
	ip[7] = 0;
	ip4_cksum(ip);
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_UDP);
	ip[6] = 0x20;
	ip[9] = 6; /* a TCP fragment is the kernel's, uncounted */
	ip4_cksum(ip);
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_OTHER);
	/* a frame shorter than its IPv4 Total Length (net_af_packet truncates
	 * a datagram it reassembled past its ring's frame size) */
	ip[9] = FP_PROTO_UDP;
	ip[6] = 0x40;
	ip4_cksum(ip);
	CU_ASSERT_EQUAL(fp_parse_buf(f, n - 1, 1500, &pi), FP_PARSE_BAD_L3);
}

/* RFC 1122 §3.2.1.2: a bad IPv4 header checksum is discarded (the kernel
 * gets it, counted DROP_L3_HDR); RFC 8200 §8.1: so is a UDP checksum of 0
 * over IPv6 (DROP_UDP_HDR).  Over IPv4, 0 means "none" and is taken. */
static void test_checksums(void)
{
	static uint8_t f[2048];
	struct fp_pinfo pi;
	uint32_t n = frame4(f, 41);
	uint8_t *ip = f + 14;
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_UDP);
	for (int bit = 0; bit < 16; bit++) {
		/* any one bit of the checksum, or of the addresses, flipped */
		ip[10 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_BAD_L3);
		ip[10 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ip[12 + bit / 2] ^= (uint8_t)(1u << (bit % 8));
		CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_BAD_L3);
		ip[12 + bit / 2] ^= (uint8_t)(1u << (bit % 8));
	}
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_UDP);
	/* with options (IHL 6): summed over the whole header */
	n = frame4(f, 45);
	memmove(ip + 24, ip + 20, 8 + 45);
	ip[0] = 0x46;
	ip[3] = (uint8_t)(ip[3] + 4);
	ip[20] = 1; /* NOP options */
	ip[21] = ip[22] = ip[23] = 1;
	ip4_cksum(ip);
	uint32_t s = 0; /* ip4_cksum covers 20 octets: add the options' word */
	for (int i = 0; i < 24; i += 2)
		s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	s -= (uint32_t)(ip[10] << 8 | ip[11]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	ip[10] = (uint8_t)(~s >> 8);
	ip[11] = (uint8_t)~s;
	CU_ASSERT_EQUAL(fp_parse_buf(f, n + 4, 1500, &pi), FP_PARSE_UDP);
	CU_ASSERT_EQUAL(pi.pl_off, 14 + 24 + 8);
	ip[22] = 0;
	CU_ASSERT_EQUAL(fp_parse_buf(f, n + 4, 1500, &pi), FP_PARSE_BAD_L3);
	/* UDP checksum 0 */
	n = frame4(f, 41);
	f[14 + 20 + 6] = f[14 + 20 + 7] = 0;
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_UDP);
	n = frame6(f, 41, false);
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_UDP);
	f[14 + 40 + 6] = f[14 + 40 + 7] = 0;
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_BAD_UDP);
}

/* A whole datagram longer than the IP MTU can only have come in fragments
 * (net_af_packet hands them up reassembled): a fragment too. */
static void test_longer_than_mtu(void)
{
	static uint8_t f[2048];
	struct fp_pinfo pi;
	uint32_t n = frame4(f, 1473); /* 1501 octets of IP */
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_FRAG);
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1501, &pi), FP_PARSE_UDP);
	n = frame6(f, 1453, false); /* 40 + 8 + 1453 = 1501 */
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_FRAG);
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1501, &pi), FP_PARSE_UDP);
	/* not UDP: the kernel's, whatever its length */
	f[14 + 6] = 6;
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_OTHER);
}

static void test_ipv6_fragments(void)
{
	static uint8_t f[2048];
	struct fp_pinfo pi;
	uint32_t n = frame6(f, 1400, true);
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_FRAG);
	f[14 + 40] = 6; /* a fragment of TCP */
	CU_ASSERT_EQUAL(fp_parse_buf(f, n, 1500, &pi), FP_PARSE_OTHER);
	/* a Fragment header with nothing after it */
	n = frame6(f, 0, true);
	f[14 + 4] = 0;
	f[14 + 5] = 0;
	CU_ASSERT_EQUAL(fp_parse_buf(f, 14 + 40, 1500, &pi), FP_PARSE_OTHER);
}

int main(void)
{
	static const struct tw_unit_case cases[] = {
	    {"whole UDP datagrams, IPv4 and IPv6", test_whole_datagrams},
	    {"IPv4 fragments of UDP (MF or an offset)", test_ipv4_fragments},
	    {"IPv4 header checksum; UDP checksum 0 over IPv6", test_checksums},
	    {"IPv6 Fragment header in front of UDP", test_ipv6_fragments},
	    {"UDP longer than the IP MTU: reassembled, so a fragment", test_longer_than_mtu},
	    {NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS || tw_unit_suite("fp_parse", cases))
		return 2;
	return tw_unit_run("fp_parse");
}
