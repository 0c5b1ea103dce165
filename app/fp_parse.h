/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_parse: the fast path's Ethernet / 802.1Q / IPv4 / IPv6 / UDP header
 * parser, on a plain buffer.  Pure C, no DPDK: app/fp_net.h wraps it for an
 * mbuf, and tests/fuzz/fuzz_net.c fuzzes it without EAL (issue 8 §8).
 * Every field is read at an offset checked against the frame length first;
 * multi-octet fields are big-endian on the wire (RFC 791, 8200, 768).
 */
#ifndef FP_PARSE_H
#define FP_PARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define FP_ETH_HLEN   14u
#define FP_VLAN_HLEN  4u
#define FP_IPV4_HLEN  20u /* without options */
#define FP_IPV6_HLEN  40u
#define FP_UDP_HLEN   8u
#define FP_ET_IPV4    0x0800u
#define FP_ET_IPV6    0x86ddu
#define FP_ET_VLAN    0x8100u
#define FP_PROTO_UDP  17u
#define FP_PROTO_FRAG 44u /* IPv6 Fragment header (RFC 8200 §4.5) */

/* Address of either family, stored as 16 octets (IPv4 in the first four). */
struct fp_addr {
	uint8_t a[16];
};

/* Session lookup key: what identifies a TWAMP-Test flow at the reflector
 * (RFC 5357 §4.2: only the registered sender address and port are
 * reflected).  Fixed 48 octets, zero-padded, compared as six 8-octet words
 * (fp_key_eq); fp_sess_hash hashes an IPv4 key's 13 varying octets only. */
struct fp_key {
	struct fp_addr local;
	struct fp_addr peer;
	uint16_t local_port; /* host order */
	uint16_t peer_port;
	uint8_t ipv;	     /* 4 or 6 */
	uint8_t pad[11];
};
_Static_assert(sizeof(struct fp_key) == 48, "fp_key_eq compares six words");

/* Key equality, as rte_hash compares keys (all 48 octets, padding zeroed). */
static inline bool fp_key_eq(const struct fp_key *a, const struct fp_key *b)
{
	uint64_t x[6], y[6], d = 0;
	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	for (unsigned i = 0; i < 6; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* Is the key's peer (the source of the frame) an address no single host
 * sends from?  IPv4: "this network" 0/8, loopback 127/8, multicast 224/4
 * and the reserved 240/4 with the limited broadcast (RFC 1812 §5.3.7,
 * RFC 1122 §3.2.1.3); IPv6: unspecified ::, loopback ::1 and multicast
 * ff00::/8 (RFC 4291 §2.5.2, §2.5.3, §2.7).  A reflector answers the
 * source, so such a packet would be answered to many hosts, or to none. */
static inline bool fp_src_martian(const struct fp_key *k)
{
	const uint8_t *a = k->peer.a;
	if (k->ipv == 4)
		return a[0] == 0 || a[0] == 127 || a[0] >= 224;
	if (a[0] == 0xff)
		return true;
	static const uint8_t z[15] = {0};
	return memcmp(a, z, 15) == 0 && a[15] <= 1;
}

/* Result of parsing one frame. */
struct fp_pinfo {
	uint16_t l3_off;
	uint16_t l4_off;
	uint16_t pl_off; /* UDP payload */
	uint16_t pl_len;
	uint8_t ipv;
	uint8_t ttl; /* IPv4 TTL / IPv6 Hop Limit as received (RFC 5357 §4.2.1 Sender TTL) */
	uint8_t tos; /* IPv4 TOS / IPv6 traffic class */
	bool vlan;
	uint16_t vlan_tci;
	struct fp_key key; /* local = destination of the frame */
};

enum fp_parse_res {
	FP_PARSE_UDP,	  /* a well-formed unfragmented UDP datagram: key valid */
	FP_PARSE_OTHER,	  /* anything else: belongs to the kernel */
	FP_PARSE_BAD_L3,  /* counted, then given to the kernel (which drops it) */
	FP_PARSE_BAD_UDP, /* counted, then given to the kernel (which drops it) */
	FP_PARSE_FRAG,	  /* fragment of a UDP datagram: the kernel reassembles */
};

static inline uint16_t fp_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Parse one frame of len octets at p (one contiguous segment).  ip_max is
 * the ports' IP MTU: a UDP datagram longer than that arrived in fragments
 * (net_af_packet reassembles them before we see the frame: DPDK opens its
 * sockets with PACKET_FANOUT_FLAG_DEFRAG), so it is FP_PARSE_FRAG too. */
/* The IPv4 header's checksum is right (RFC 791 §3.1: the one's complement
 * sum of its 16-bit words, the checksum included, is all ones).  ihl is a
 * multiple of 4, at least 20, and lies inside the frame. */
static inline bool fp_ipv4_hdr_ok(const uint8_t *ip, uint32_t ihl)
{
	/* 32-bit words in a 64-bit sum (RFC 1071 §2(C): byte order and word
	 * size do not change the folded sum's test against all ones) */
	uint64_t w[2], s;
	memcpy(w, ip, 16);
	uint32_t last;
	memcpy(&last, ip + 16, 4);
	s = (w[0] & 0xffffffffu) + (w[0] >> 32) + (w[1] & 0xffffffffu) + (w[1] >> 32) + last;
	for (uint32_t i = 20; i < ihl; i += 4) { /* options, rare */
		uint32_t o;
		memcpy(&o, ip + i, 4);
		s += o;
	}
	s = (s & 0xffffffffu) + (s >> 32); /* < 2^33 */
	s = (s & 0xffffu) + (s >> 16);     /* < 2^17 + 2^16 */
	s = (s & 0xffffu) + (s >> 16);     /* <= 0x10001 */
	s = (s & 0xffffu) + (s >> 16);
	return s == 0xffffu;
}

static inline enum fp_parse_res fp_parse_buf(const uint8_t *p, uint32_t len, uint32_t ip_max,
					     struct fp_pinfo *pi)
{
	if (len < FP_ETH_HLEN)
		return FP_PARSE_OTHER;
	uint16_t et = fp_be16(p + 12);
	uint32_t off = FP_ETH_HLEN;
	pi->vlan = false;
	if (et == FP_ET_VLAN) {
		if (len < off + FP_VLAN_HLEN)
			return FP_PARSE_OTHER;
		pi->vlan = true;
		pi->vlan_tci = fp_be16(p + off);
		et = fp_be16(p + off + 2);
		off += FP_VLAN_HLEN;
	}
	pi->l3_off = (uint16_t)off;
	memset(&pi->key, 0, sizeof(pi->key));
	uint32_t l4len;
	if (et == FP_ET_IPV4) {
		if (len < off + FP_IPV4_HLEN)
			return FP_PARSE_BAD_L3;
		const uint8_t *ip = p + off;
		uint32_t ihl = (uint32_t)(ip[0] & 0xf) * 4;
		uint32_t tot = fp_be16(ip + 2);
		if ((ip[0] >> 4) != 4 || ihl < FP_IPV4_HLEN || tot < ihl || len < off + tot)
			return FP_PARSE_BAD_L3;
		if (ip[9] != FP_PROTO_UDP)
			return FP_PARSE_OTHER;
		/* RFC 1122 §3.2.1.2: a host verifies the header checksum of
		 * every datagram and discards it when wrong; a reflector would
		 * answer whatever source the damaged header names */
		if (!fp_ipv4_hdr_ok(ip, ihl))
			return FP_PARSE_BAD_L3;
		if ((fp_be16(ip + 6) & 0x3fffu) /* MF flag or a fragment offset */ || tot > ip_max)
			return FP_PARSE_FRAG;
		pi->ipv = 4;
		pi->ttl = ip[8];
		pi->tos = ip[1];
		memcpy(pi->key.local.a, ip + 16, 4);
		memcpy(pi->key.peer.a, ip + 12, 4);
		off += ihl;
		l4len = tot - ihl;
	} else if (et == FP_ET_IPV6) {
		if (len < off + FP_IPV6_HLEN)
			return FP_PARSE_BAD_L3;
		const uint8_t *ip6 = p + off;
		uint32_t plen = fp_be16(ip6 + 4);
		if ((ip6[0] >> 4) != 6 || len < off + FP_IPV6_HLEN + plen)
			return FP_PARSE_BAD_L3;
		/* Extension headers are not followed: TWAMP-Test never uses them,
		 * and the kernel handles whatever does.  A Fragment header right
		 * after the fixed one, in front of UDP, is told apart so that it
		 * is counted like an IPv4 fragment. */
		if (ip6[6] == FP_PROTO_FRAG && plen >= 8 && ip6[FP_IPV6_HLEN] == FP_PROTO_UDP)
			return FP_PARSE_FRAG;
		if (ip6[6] != FP_PROTO_UDP)
			return FP_PARSE_OTHER;
		if (FP_IPV6_HLEN + plen > ip_max)
			return FP_PARSE_FRAG;
		pi->ipv = 6;
		pi->ttl = ip6[7];
		pi->tos = (uint8_t)((ip6[0] & 0xf) << 4 | ip6[1] >> 4);
		memcpy(pi->key.local.a, ip6 + 24, 16);
		memcpy(pi->key.peer.a, ip6 + 8, 16);
		off += FP_IPV6_HLEN;
		l4len = plen;
	} else {
		return FP_PARSE_OTHER;
	}
	pi->key.ipv = pi->ipv;
	pi->l4_off = (uint16_t)off;
	if (l4len < FP_UDP_HLEN)
		return FP_PARSE_BAD_UDP;
	const uint8_t *uh = p + off;
	uint32_t ulen = fp_be16(uh + 4);
	if (ulen < FP_UDP_HLEN || ulen > l4len)
		return FP_PARSE_BAD_UDP;
	/* RFC 8200 §8.1: over IPv6 a zero UDP checksum is not "none", and the
	 * datagram is discarded */
	if (pi->ipv == 6 && uh[6] == 0 && uh[7] == 0)
		return FP_PARSE_BAD_UDP;
	pi->key.local_port = fp_be16(uh + 2);
	pi->key.peer_port = fp_be16(uh);
	pi->pl_off = (uint16_t)(off + FP_UDP_HLEN);
	pi->pl_len = (uint16_t)(ulen - FP_UDP_HLEN);
	return FP_PARSE_UDP;
}

#endif
