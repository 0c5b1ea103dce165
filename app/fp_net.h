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

#include "fp_parse.h"

static inline enum fp_parse_res fp_parse(struct rte_mbuf *m, uint32_t ip_max, struct fp_pinfo *pi)
{
	/* a multi-segment frame is not a test packet: the kernel's */
	if (m->nb_segs != 1)
		return FP_PARSE_OTHER;
	return fp_parse_buf(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), ip_max,
			    pi);
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
static inline int fp_turn_around(struct rte_mbuf *m, const struct fp_pinfo *pi, uint16_t new_pl_len,
				 const struct rte_ether_addr *self)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	/* from our own MAC, not the request's destination: that may be a
	 * group address (a broadcast frame to our IP), which no frame may
	 * carry as its source (IEEE 802.3 §3.2.3) */
	eh->dst_addr = eh->src_addr;
	eh->src_addr = *self;
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
