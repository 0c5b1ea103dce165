/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_net: Ethernet / 802.1Q / IPv4 / IPv6 / UDP parsing and rewriting for the
 * fast path.  Everything is static inline and works on one contiguous mbuf
 * segment (test packets are small; a multi-segment frame is not a test
 * packet and goes to the kernel).
 */
#ifndef FP_NET_H
#define FP_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

/* Address of either family, stored as 16 octets (IPv4 in the first four). */
struct fp_addr {
	uint8_t a[16];
};

/* Session lookup key: what identifies a TWAMP-Test flow at the reflector
 * (RFC 5357 §4.2: only the registered sender address and port are
 * reflected).  Fixed 48 octets, zero-padded, hashed as raw bytes: 48 (not
 * the 37 used) so rte_hash compares keys with its 48-octet vector compare
 * instead of calling memcmp. */
struct fp_key {
	struct fp_addr local;
	struct fp_addr peer;
	uint16_t local_port; /* host order */
	uint16_t peer_port;
	uint8_t ipv;	     /* 4 or 6 */
	uint8_t pad[11];
};
_Static_assert(sizeof(struct fp_key) == 48, "rte_hash has a vector compare for 48 octets");

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
	FP_PARSE_BAD_L3,  /* counted, then still given to the kernel */
	FP_PARSE_BAD_UDP, /* counted, then still given to the kernel */
	FP_PARSE_FRAG,	  /* IPv4 fragment: kernel reassembles */
};

static inline enum fp_parse_res fp_parse(struct rte_mbuf *m, struct fp_pinfo *pi)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	if (m->nb_segs != 1 || len < sizeof(struct rte_ether_hdr))
		return FP_PARSE_OTHER;
	uint16_t et = ((const struct rte_ether_hdr *)p)->ether_type;
	uint32_t off = sizeof(struct rte_ether_hdr);
	pi->vlan = false;
	if (et == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
		if (len < off + 4)
			return FP_PARSE_OTHER;
		const struct rte_vlan_hdr *vh = (const struct rte_vlan_hdr *)(p + off);
		pi->vlan = true;
		pi->vlan_tci = rte_be_to_cpu_16(vh->vlan_tci);
		et = vh->eth_proto;
		off += 4;
	}
	pi->l3_off = (uint16_t)off;
	memset(&pi->key, 0, sizeof(pi->key));
	uint32_t l4len;
	if (et == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		if (len < off + sizeof(struct rte_ipv4_hdr))
			return FP_PARSE_BAD_L3;
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(p + off);
		uint32_t ihl = (uint32_t)(ip->version_ihl & 0xf) * 4;
		uint32_t tot = rte_be_to_cpu_16(ip->total_length);
		if ((ip->version_ihl >> 4) != 4 || ihl < 20 || tot < ihl || len < off + tot)
			return FP_PARSE_BAD_L3;
		if (ip->next_proto_id != IPPROTO_UDP)
			return FP_PARSE_OTHER;
		if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
			return FP_PARSE_FRAG;
		pi->ipv = 4;
		pi->ttl = ip->time_to_live;
		pi->tos = ip->type_of_service;
		memcpy(pi->key.local.a, &ip->dst_addr, 4);
		memcpy(pi->key.peer.a, &ip->src_addr, 4);
		off += ihl;
		l4len = tot - ihl;
	} else if (et == RTE_BE16(RTE_ETHER_TYPE_IPV6)) {
		if (len < off + sizeof(struct rte_ipv6_hdr))
			return FP_PARSE_BAD_L3;
		const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(p + off);
		uint32_t plen = rte_be_to_cpu_16(ip6->payload_len);
		if ((rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6 ||
		    len < off + sizeof(*ip6) + plen)
			return FP_PARSE_BAD_L3;
		/* Extension headers are not followed: TWAMP-Test never uses them,
		 * and the kernel handles whatever does. */
		if (ip6->proto != IPPROTO_UDP)
			return FP_PARSE_OTHER;
		pi->ipv = 6;
		pi->ttl = ip6->hop_limits;
		pi->tos = (uint8_t)(rte_be_to_cpu_32(ip6->vtc_flow) >> 20);
		memcpy(pi->key.local.a, ip6->dst_addr, 16);
		memcpy(pi->key.peer.a, ip6->src_addr, 16);
		off += sizeof(*ip6);
		l4len = plen;
	} else {
		return FP_PARSE_OTHER;
	}
	pi->key.ipv = pi->ipv;
	pi->l4_off = (uint16_t)off;
	if (l4len < sizeof(struct rte_udp_hdr))
		return FP_PARSE_BAD_UDP;
	const struct rte_udp_hdr *uh = (const struct rte_udp_hdr *)(p + off);
	uint32_t ulen = rte_be_to_cpu_16(uh->dgram_len);
	if (ulen < sizeof(*uh) || ulen > l4len)
		return FP_PARSE_BAD_UDP;
	pi->key.local_port = rte_be_to_cpu_16(uh->dst_port);
	pi->key.peer_port = rte_be_to_cpu_16(uh->src_port);
	pi->pl_off = (uint16_t)(off + sizeof(*uh));
	pi->pl_len = (uint16_t)(ulen - sizeof(*uh));
	return FP_PARSE_UDP;
}

/* Software IPv4 header and UDP checksums after a rewrite.  With a Tx
 * checksum offload the caller sets ol_flags instead (fp_port decides). */
static inline void fp_l4_cksum(uint8_t *frame, const struct fp_pinfo *pi, bool offload,
			       struct rte_mbuf *m)
{
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(frame + pi->l4_off);
	uh->dgram_cksum = 0;
	if (pi->ipv == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + pi->l3_off);
		ip->hdr_checksum = 0;
		if (offload) {
			m->l2_len = pi->l3_off;
			m->l3_len = (uint64_t)(pi->l4_off - pi->l3_off);
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
				       RTE_MBUF_F_TX_UDP_CKSUM;
			uh->dgram_cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
			return;
		}
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		uint16_t c = rte_ipv4_udptcp_cksum(ip, uh);
		uh->dgram_cksum = c ? c : 0xffff;
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(frame + pi->l3_off);
		if (offload) {
			m->l2_len = pi->l3_off;
			m->l3_len = sizeof(*ip6);
			m->ol_flags |= RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
			uh->dgram_cksum = rte_ipv6_phdr_cksum(ip6, m->ol_flags);
			return;
		}
		/* RFC 8200 §8.1: a zero UDP checksum is not allowed over IPv6. */
		uint16_t c = rte_ipv6_udptcp_cksum(ip6, uh);
		uh->dgram_cksum = c ? c : 0xffff;
	}
}

/* Set TOS/traffic class to DSCP<<2 (ECN cleared) and TTL/Hop Limit 255
 * (RFC 5357 §4.2: test packets are sent with TTL 255). */
static inline void fp_set_dscp_ttl(uint8_t *frame, const struct fp_pinfo *pi, uint8_t dscp)
{
	if (pi->ipv == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + pi->l3_off);
		ip->type_of_service = (uint8_t)(dscp << 2);
		ip->time_to_live = 255;
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(frame + pi->l3_off);
		uint32_t v = rte_be_to_cpu_32(ip6->vtc_flow);
		v = (v & 0xf00fffffu) | ((uint32_t)(dscp << 2) << 20);
		ip6->vtc_flow = rte_cpu_to_be_32(v);
		ip6->hop_limits = 255;
	}
}

/* Turn a received frame around: swap MACs, IP addresses and UDP ports and
 * set the new UDP payload length (the reply may be longer or shorter,
 * RFC 5357 §4.2.1 truncation rule).  The mbuf length follows. */
static inline int fp_turn_around(struct rte_mbuf *m, const struct fp_pinfo *pi, uint16_t new_pl_len)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	struct rte_ether_addr t = eh->src_addr;
	eh->src_addr = eh->dst_addr;
	eh->dst_addr = t;
	uint32_t newlen = (uint32_t)pi->pl_off + new_pl_len;
	if (newlen > m->buf_len - m->data_off)
		return -1;
	m->data_len = (uint16_t)newlen;
	m->pkt_len = newlen;
	uint16_t udp_len = (uint16_t)(new_pl_len + sizeof(struct rte_udp_hdr));
	if (pi->ipv == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + pi->l3_off);
		rte_be32_t a = ip->src_addr;
		ip->src_addr = ip->dst_addr;
		ip->dst_addr = a;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(newlen - pi->l3_off));
		ip->fragment_offset = 0;
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(p + pi->l3_off);
		uint8_t a[16];
		memcpy(a, ip6->src_addr, 16);
		memcpy(ip6->src_addr, ip6->dst_addr, 16);
		memcpy(ip6->dst_addr, a, 16);
		ip6->payload_len = rte_cpu_to_be_16(udp_len);
	}
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(p + pi->l4_off);
	rte_be16_t port = uh->src_port;
	uh->src_port = uh->dst_port;
	uh->dst_port = port;
	uh->dgram_len = rte_cpu_to_be_16(udp_len);
	return 0;
}

#endif
