/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_exc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ipv6.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_log.h>

#include "fp.h"

#define LOG(lvl, ...) RTE_LOG(lvl, USER1, "exc: " __VA_ARGS__)

/* ---- kernel side configuration (init only: ioctls are fine here) ---- */

static int if_set_flags_up(const char *ifname, uint16_t mtu)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return -1;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_mtu = mtu;
	(void)ioctl(s, SIOCSIFMTU, &ifr);
	int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return rc;
}

static int if_add_addr4(const char *ifname, const uint8_t *a, uint8_t plen)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return -1;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, a, 4);
	int rc = ioctl(s, SIOCSIFADDR, &ifr);
	if (rc == 0) {
		sin->sin_addr.s_addr = plen ? htonl(~0u << (32 - plen)) : 0;
		rc = ioctl(s, SIOCSIFNETMASK, &ifr);
	}
	close(s);
	return rc;
}

static void sysctl_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	if (fd >= 0) {
		ssize_t n = write(fd, val, strlen(val));
		(void)n;
		close(fd);
	}
}

static int if_add_addr6(const char *ifname, const uint8_t *a, uint8_t plen)
{
	/* No duplicate address detection: the address belongs to the port
	 * and a tentative address would not answer ND for a second. */
	char p[128];
	snprintf(p, sizeof(p), "/proc/sys/net/ipv6/conf/%s/accept_dad", ifname);
	sysctl_write(p, "0");
	int s = socket(AF_INET6, SOCK_DGRAM, 0);
	if (s < 0)
		return -1;
	struct in6_ifreq r;
	memset(&r, 0, sizeof(r));
	memcpy(&r.ifr6_addr, a, 16);
	r.ifr6_prefixlen = plen;
	r.ifr6_ifindex = (int)if_nametoindex(ifname);
	int rc = ioctl(s, SIOCSIFADDR, &r);
	close(s);
	return rc;
}

int fp_exc_init(struct fp_exc *x, const char *ifname, uint16_t nq, uint16_t mtu)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->ifname, sizeof(x->ifname), "%s", ifname);
	char devargs[256], name[64];
	snprintf(name, sizeof(name), "net_tap_twh");
	snprintf(devargs, sizeof(devargs), "%s,iface=%s,mac=" RTE_ETHER_ADDR_PRT_FMT, name, ifname,
		 RTE_ETHER_ADDR_BYTES(&fp.mac));
	int rc = rte_dev_probe(devargs);
	if (rc) {
		LOG(ERR, "cannot create %s: %s\n", devargs, rte_strerror(-rc));
		return -1;
	}
	if (rte_eth_dev_get_port_by_name(name, &x->tap_port) != 0)
		return -1;
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(x->tap_port, 1, nq, &conf);
	if (rc)
		goto fail;
	rc = rte_eth_rx_queue_setup(x->tap_port, 0, 512, (unsigned)rte_socket_id(), NULL, fp.mp);
	for (uint16_t q = 0; !rc && q < nq; q++)
		rc = rte_eth_tx_queue_setup(x->tap_port, q, 512, (unsigned)rte_socket_id(), NULL);
	if (rc)
		goto fail;
	rc = rte_eth_dev_start(x->tap_port);
	if (rc)
		goto fail;
	/* net_tap forwards only frames to its own MAC unless promiscuous;
	 * the kernel sees everything the port was given anyway. */
	(void)rte_eth_promiscuous_enable(x->tap_port);
	/* The PMD refuses frames past its own MTU (not the kernel
	 * interface's): both get the port's, and to_kernel() drops longer
	 * frames itself, with a counter, instead of losing them here. */
	uint16_t tap_mtu = mtu;
	if (rte_eth_dev_set_mtu(x->tap_port, mtu) != 0 &&
	    rte_eth_dev_get_mtu(x->tap_port, &tap_mtu) != 0)
		tap_mtu = RTE_ETHER_MTU;
	x->max_frame = (uint32_t)tap_mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
	if (if_set_flags_up(ifname, mtu) != 0)
		LOG(WARNING, "%s: cannot bring up: %s\n", ifname, strerror(errno));
	if (fp.have4 && if_add_addr4(ifname, fp.addr4, fp.plen4) != 0)
		LOG(WARNING, "%s: cannot add IPv4 address: %s\n", ifname, strerror(errno));
	if (fp.have6 && if_add_addr6(ifname, fp.addr6, fp.plen6) != 0 && errno != EEXIST)
		LOG(WARNING, "%s: cannot add IPv6 address: %s\n", ifname, strerror(errno));
	LOG(INFO, "kernel interface %s is port %u (exception path)\n", ifname, x->tap_port);
	return 0;
fail:
	LOG(ERR, "TAP setup failed: %s\n", rte_strerror(-rc));
	return -1;
}

void fp_exc_close(struct fp_exc *x)
{
	(void)rte_eth_dev_stop(x->tap_port);
	(void)rte_eth_dev_close(x->tap_port);
}

/* ---- neighbour table (main lcore only) ---- */

static void learn(struct fp_exc *x, uint8_t ipv, const uint8_t *addr,
		  const struct rte_ether_addr *mac, uint64_t now)
{
	if (rte_is_zero_ether_addr(mac) || !rte_is_unicast_ether_addr(mac))
		return;
	unsigned alen = ipv == 4 ? 4 : 16, oldest = 0;
	for (unsigned i = 0; i < x->n_neigh; i++) {
		struct fp_neigh *n = &x->neigh[i];
		if (n->ipv == ipv && memcmp(n->addr, addr, alen) == 0) {
			n->mac = *mac;
			n->updated_tsc = now;
			return;
		}
		if (n->updated_tsc < x->neigh[oldest].updated_tsc)
			oldest = i;
	}
	unsigned i = x->n_neigh < FP_NEIGH_MAX ? x->n_neigh++ : oldest;
	struct fp_neigh *n = &x->neigh[i];
	memset(n, 0, sizeof(*n));
	n->ipv = ipv;
	memcpy(n->addr, addr, alen);
	n->mac = *mac;
	n->updated_tsc = now;
	n->valid = true;
	FP_INC(fp.lc[rte_lcore_id()].cnt, NEIGH_LEARNT);
}

const struct fp_neigh *fp_exc_neigh(const struct fp_exc *x, uint8_t ipv, const uint8_t *addr)
{
	unsigned alen = ipv == 4 ? 4 : 16;
	for (unsigned i = 0; i < x->n_neigh; i++)
		if (x->neigh[i].valid && x->neigh[i].ipv == ipv &&
		    memcmp(x->neigh[i].addr, addr, alen) == 0)
			return &x->neigh[i];
	return NULL;
}

void fp_exc_snoop(struct fp_exc *x, const struct rte_mbuf *m, uint64_t now)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), off = sizeof(struct rte_ether_hdr);
	if (len < off)
		return;
	uint16_t et = ((const struct rte_ether_hdr *)p)->ether_type;
	if (et == RTE_BE16(RTE_ETHER_TYPE_VLAN) && len >= off + 4) {
		et = ((const struct rte_vlan_hdr *)(p + off))->eth_proto;
		off += 4;
	}
	if (et == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		if (len < off + sizeof(struct rte_arp_hdr))
			return;
		const struct rte_arp_hdr *a = (const struct rte_arp_hdr *)(p + off);
		if (a->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
		    a->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || a->arp_hlen != 6 ||
		    a->arp_plen != 4)
			return;
		/* Both requests and replies carry the sender's binding. */
		uint8_t ip[4];
		memcpy(ip, &a->arp_data.arp_sip, 4);
		if (!(fp.have4 && memcmp(ip, fp.addr4, 4) == 0))
			learn(x, 4, ip, &a->arp_data.arp_sha, now);
		return;
	}
	if (et != RTE_BE16(RTE_ETHER_TYPE_IPV6) || len < off + 40 + 24)
		return;
	const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(p + off);
	if (ip6->proto != IPPROTO_ICMPV6)
		return;
	const uint8_t *ic = p + off + 40;
	uint32_t iclen = len - off - 40;
	uint8_t type = ic[0];
	if (type != ND_NEIGHBOR_SOLICIT && type != ND_NEIGHBOR_ADVERT)
		return;
	/* RFC 4861 §4.3/4.4: options after the 24-octet body; NS carries
	 * the source link-layer address of ip6 src, NA the target's. */
	const uint8_t *target = ic + 8;
	for (uint32_t o = 24; o + 8 <= iclen;) {
		uint32_t olen = (uint32_t)ic[o + 1] * 8;
		if (!olen || o + olen > iclen)
			break;
		if (type == ND_NEIGHBOR_SOLICIT && ic[o] == ND_OPT_SOURCE_LINKADDR) {
			static const uint8_t zero[16];
			if (memcmp(ip6->src_addr, zero, 16) != 0)
				learn(x, 6, ip6->src_addr, (const struct rte_ether_addr *)(ic + o + 2),
				      now);
		} else if (type == ND_NEIGHBOR_ADVERT && ic[o] == ND_OPT_TARGET_LINKADDR) {
			if (!(fp.have6 && memcmp(target, fp.addr6, 16) == 0))
				learn(x, 6, target, (const struct rte_ether_addr *)(ic + o + 2), now);
		}
		o += olen;
	}
}

static uint8_t *push_l2(struct rte_mbuf *m, const struct rte_ether_addr *dst, uint16_t et,
			uint32_t l3len)
{
	uint32_t hl = sizeof(struct rte_ether_hdr) + (fp.vlan >= 0 ? 4 : 0);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hl + l3len));
	if (!p)
		return NULL;
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	eh->dst_addr = *dst;
	eh->src_addr = fp.mac;
	if (fp.vlan >= 0) {
		eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eh + 1);
		vh->vlan_tci = rte_cpu_to_be_16((uint16_t)fp.vlan);
		vh->eth_proto = rte_cpu_to_be_16(et);
	} else {
		eh->ether_type = rte_cpu_to_be_16(et);
	}
	return p + hl;
}

struct rte_mbuf *fp_exc_solicit(struct rte_mempool *mp, uint8_t ipv, const uint8_t *addr)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	if (!m)
		return NULL;
	if (ipv == 4) {
		struct rte_ether_addr bc;
		memset(&bc, 0xff, sizeof(bc));
		struct rte_arp_hdr *a =
			(struct rte_arp_hdr *)push_l2(m, &bc, RTE_ETHER_TYPE_ARP, sizeof(*a));
		if (!a)
			goto fail;
		a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
		a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
		a->arp_hlen = 6;
		a->arp_plen = 4;
		a->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
		a->arp_data.arp_sha = fp.mac;
		memcpy(&a->arp_data.arp_sip, fp.addr4, 4);
		memset(&a->arp_data.arp_tha, 0, 6);
		memcpy(&a->arp_data.arp_tip, addr, 4);
		return m;
	}
	/* RFC 4861 §4.3: to the solicited-node multicast address
	 * ff02::1:ffXX:XXXX, MAC 33:33:ff:XX:XX:XX, hop limit 255. */
	struct rte_ether_addr dst = {{0x33, 0x33, 0xff, addr[13], addr[14], addr[15]}};
	uint32_t icl = 24 + 8;
	uint8_t *l3 = push_l2(m, &dst, RTE_ETHER_TYPE_IPV6, 40 + icl);
	if (!l3)
		goto fail;
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)l3;
	ip6->vtc_flow = RTE_BE32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)icl);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	memcpy(ip6->src_addr, fp.addr6, 16);
	static const uint8_t snm[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
	memcpy(ip6->dst_addr, snm, 13);
	memcpy(ip6->dst_addr + 13, addr + 13, 3);
	uint8_t *ic = l3 + 40;
	memset(ic, 0, icl);
	ic[0] = ND_NEIGHBOR_SOLICIT;
	memcpy(ic + 8, addr, 16);
	ic[24] = ND_OPT_SOURCE_LINKADDR;
	ic[25] = 1;
	memcpy(ic + 26, &fp.mac, 6);
	/* ICMPv6 checksum uses the same pseudo header as UDP. */
	uint16_t ck = rte_ipv6_udptcp_cksum(ip6, ic);
	memcpy(ic + 2, &ck, 2);
	return m;
fail:
	rte_pktmbuf_free(m);
	return NULL;
}

uint16_t fp_exc_from_kernel(struct fp_exc *x, struct rte_mbuf **pkts, uint16_t n, uint64_t now)
{
	uint16_t k = rte_eth_rx_burst(x->tap_port, 0, pkts, n);
	for (uint16_t i = 0; i < k; i++) {
		/* The kernel answers ARP/NS for us: learn whom it talks to. */
		fp_exc_snoop(x, pkts[i], now);
		if (fp.vlan >= 0) {
			pkts[i]->vlan_tci = (uint16_t)fp.vlan;
			(void)rte_vlan_insert(&pkts[i]);
		}
	}
	return k;
}
