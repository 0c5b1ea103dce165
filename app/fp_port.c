/* SPDX-License-Identifier: BSD-3-Clause */
#include "fp_port.h"

#include <dirent.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mbuf_dyn.h>

#define LOG(lvl, ...) RTE_LOG(lvl, USER1, "port: " __VA_ARGS__)

/* Translate a comma list of offload names ("ipv4_cksum,udp_cksum") into
 * bits, using DPDK's own names so the profile vocabulary is the ethdev one. */
static uint64_t offload_bits(const char *list, bool rx)
{
	uint64_t bits = 0;
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		bool found = false;
		for (unsigned b = 0; b < 64; b++) {
			const char *n = rx ? rte_eth_dev_rx_offload_name(1ULL << b)
					   : rte_eth_dev_tx_offload_name(1ULL << b);
			if (n && strcasecmp(n, tok) == 0) {
				bits |= 1ULL << b;
				found = true;
			}
		}
		if (!found)
			LOG(WARNING, "unknown %s offload '%s' ignored\n", rx ? "Rx" : "Tx", tok);
	}
	return bits;
}

static uint64_t rss_bits(const char *list)
{
	uint64_t hf = 0;
	if (strstr(list, "ip"))
		hf |= RTE_ETH_RSS_IP;
	if (strstr(list, "udp"))
		hf |= RTE_ETH_RSS_UDP;
	if (strstr(list, "tcp"))
		hf |= RTE_ETH_RSS_TCP;
	return hf;
}

int fp_port_hw_fit_set(struct fp_port *pt, uint64_t hw_hz, uint64_t hw, uint64_t tsc,
		       uint64_t win_tsc, uint64_t tsc_hz)
{
	if (!hw_hz || !tsc_hz)
		return -1;
	struct fp_hw_fit *nxt = pt->fit_cur == &pt->fit[0] ? &pt->fit[1] : &pt->fit[0];
	nxt->hw0 = hw;
	nxt->tsc0 = tsc;
	nxt->tsc_per_tick = (double)tsc_hz / (double)hw_hz;
	/* ceil(win/2 in ns) + ceil(one tick in ns), saturated */
	uint64_t e = ((win_tsc + 1) / 2 * 1000000000u + tsc_hz - 1) / tsc_hz +
		     (1000000000u + hw_hz - 1) / hw_hz;
	nxt->err_ns = e < UINT32_MAX ? (uint32_t)e : UINT32_MAX - 1;
	pt->hw_clock_hz = hw_hz;
	__atomic_store_n(&pt->fit_cur, nxt, __ATOMIC_RELEASE);
	return 0;
}

/* Relate device clock to TSC: read both back to back a few times and keep
 * the pair with the smallest TSC window (chrony-style minimum-delay pick). */
static int clock_fit(struct fp_port *pt)
{
	uint64_t best_win = UINT64_MAX, hw0 = 0, tsc0 = 0;
	for (int i = 0; i < 8; i++) {
		uint64_t a = rte_rdtsc();
		uint64_t hw;
		if (rte_eth_read_clock(pt->port_id, &hw) != 0)
			return -1;
		uint64_t b = rte_rdtsc();
		if (b - a < best_win) {
			best_win = b - a;
			hw0 = hw;
			tsc0 = a + (b - a) / 2;
		}
	}
	uint64_t hz = pt->hw_clock_hz;
	if (!hz) {
		/* Frequency: two fits 10 ms apart. */
		rte_delay_ms(10);
		uint64_t hw1, a = rte_rdtsc();
		if (rte_eth_read_clock(pt->port_id, &hw1) != 0)
			return -1;
		double tsc_hz = (double)rte_get_tsc_hz();
		hz = (uint64_t)((double)(hw1 - hw0) * tsc_hz / (double)(a - tsc0));
	}
	return fp_port_hw_fit_set(pt, hz, hw0, tsc0, best_win, rte_get_tsc_hz());
}

void fp_port_clock_sync(struct fp_port *pt)
{
	if (pt->ts_mode == FP_TS_HW_DYNFIELD)
		(void)clock_fit(pt);
}

int fp_port_init(struct fp_port *pt, uint16_t port_id, const struct fp_profile *prof,
		 uint16_t nq, struct rte_mempool *mp)
{
	struct rte_eth_dev_info info;
	memset(pt, 0, sizeof(*pt));
	pt->port_id = port_id;
	int rc = rte_eth_dev_info_get(port_id, &info);
	if (rc) {
		LOG(ERR, "dev_info_get(%u): %s\n", port_id, rte_strerror(-rc));
		return -1;
	}
	if (nq > info.max_rx_queues || nq > info.max_tx_queues) {
		LOG(ERR, "%s offers %u/%u queues, %u lcores need one each\n", info.driver_name,
		    info.max_rx_queues, info.max_tx_queues, nq);
		return -1;
	}
	pt->nb_rxq = pt->nb_txq = nq;

	uint64_t want_rx = offload_bits(prof->rx_offloads, true);
	uint64_t want_tx = offload_bits(prof->tx_offloads, false);
	/* Tx checksums are offloaded whenever the device offers both IPv4
	 * and UDP (a capability, not a profile choice): NICs do, memif and
	 * af_packet do not, and then the reflector updates the request's UDP
	 * checksum incrementally (fp_cksum.h). */
	const uint64_t ck = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	if ((info.tx_offload_capa & ck) == ck)
		want_tx |= ck;
	pt->ts_mode = FP_TS_TSC;
	if (prof->ts_mode == FP_TS_HW_DYNFIELD)
		want_rx |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	else /* timestamp=tsc (or --rx-timestamp tsc) wins over rx_offloads */
		want_rx &= ~RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	if ((want_rx & ~info.rx_offload_capa) || (want_tx & ~info.tx_offload_capa))
		LOG(INFO, "%s: offloads not offered and left off: rx 0x%" PRIx64 " tx 0x%" PRIx64 "\n",
		    info.driver_name, want_rx & ~info.rx_offload_capa,
		    want_tx & ~info.tx_offload_capa);
	pt->rx_offloads = want_rx & info.rx_offload_capa;
	pt->tx_offloads = want_tx & info.tx_offload_capa;
	/* Software checksums unless both IPv4 and UDP are offloaded. */
	if ((pt->tx_offloads & ck) != ck)
		pt->tx_offloads &= ~ck;
	pt->tx_cksum = (pt->tx_offloads & ck) == ck;

	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.offloads = pt->rx_offloads;
	conf.txmode.offloads = pt->tx_offloads;
	if (nq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			rss_bits(prof->rss[0] ? prof->rss : "ip,udp") & info.flow_type_rss_offloads;
	}
	rc = rte_eth_dev_configure(port_id, nq, nq, &conf);
	if (rc) {
		LOG(ERR, "configure(%u): %s\n", port_id, rte_strerror(-rc));
		return -1;
	}
	uint16_t nrx = prof->rx_desc, ntx = prof->tx_desc;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nrx, &ntx);
	if (rc)
		return -1;
	int sock = rte_eth_dev_socket_id(port_id);
	for (uint16_t q = 0; q < nq; q++) {
		struct rte_eth_rxconf rxc = info.default_rxconf;
		rxc.offloads = pt->rx_offloads;
		rc = rte_eth_rx_queue_setup(port_id, q, nrx, sock < 0 ? 0 : (unsigned)sock, &rxc, mp);
		if (rc) {
			LOG(ERR, "rx_queue_setup(%u,%u): %s\n", port_id, q, rte_strerror(-rc));
			return -1;
		}
		struct rte_eth_txconf txc = info.default_txconf;
		txc.offloads = pt->tx_offloads;
		rc = rte_eth_tx_queue_setup(port_id, q, ntx, sock < 0 ? 0 : (unsigned)sock, &txc);
		if (rc) {
			LOG(ERR, "tx_queue_setup(%u,%u): %s\n", port_id, q, rte_strerror(-rc));
			return -1;
		}
	}
	if (prof->mtu != 1500 && rte_eth_dev_set_mtu(port_id, prof->mtu) != 0)
		LOG(WARNING, "set_mtu(%u) refused, keeping default\n", prof->mtu);
	if (pt->rx_offloads & RTE_ETH_RX_OFFLOAD_TIMESTAMP) {
		if (rte_mbuf_dyn_rx_timestamp_register(&pt->ts_dynfield_off, &pt->ts_dynflag) == 0)
			pt->ts_mode = FP_TS_HW_DYNFIELD;
	}
	rc = rte_eth_dev_start(port_id);
	if (rc) {
		LOG(ERR, "start(%u): %s\n", port_id, rte_strerror(-rc));
		return -1;
	}
	if (prof->promisc)
		(void)rte_eth_promiscuous_enable(port_id);
	rte_eth_macaddr_get(port_id, &pt->mac);
	if (pt->ts_mode == FP_TS_HW_DYNFIELD && clock_fit(pt) != 0) {
		/* A timestamp we cannot relate to the TSC is worse than none. */
		LOG(WARNING, "%s: Rx timestamps but no read_clock: falling back to TSC\n",
		    info.driver_name);
		pt->ts_mode = FP_TS_TSC;
	}
	LOG(INFO, "port %u (%s) up: %u queue(s), rx_offloads 0x%" PRIx64 " tx_offloads 0x%" PRIx64
	    ", checksums %s, timestamps %s%s\n", port_id, info.driver_name, nq, pt->rx_offloads,
	    pt->tx_offloads, pt->tx_cksum ? "Tx offload" : "software (incremental)",
	    fp_ts_mode_name(pt->ts_mode),
	    prof->ts_mode != pt->ts_mode ? " (profile asked hw-dynfield; not offered)" : "");
	return 0;
}

/* First line of a /proc/sys file as an integer, or -1. */
static int sysctl_read_int(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* The AF_PACKET sockets of the net_af_packet PMD (one per queue pair). */
static int kring_fd[RTE_MAX_QUEUES_PER_PORT];
static unsigned kring_n;
static uint64_t kring_drops;

int fp_port_kernel_ring_init(const struct fp_profile *prof)
{
	kring_n = 0;
	if (strcmp(prof->driver, "net_af_packet") != 0)
		return 0;
	const char *p = strstr(prof->vdev, "iface=");
	char ifname[IF_NAMESIZE];
	size_t n = p ? strcspn(p + 6, ",") : 0;
	if (n == 0 || n >= sizeof(ifname))
		return 0;
	memcpy(ifname, p + 6, n);
	ifname[n] = '\0';
	unsigned ifindex = if_nametoindex(ifname);
	DIR *d = opendir("/proc/self/fd");
	if (!ifindex || !d)
		return 0;
	/* The PMD keeps its socket descriptors private: find them among ours
	 * as the AF_PACKET sockets bound to the interface. */
	for (struct dirent *e; (e = readdir(d)) != NULL && kring_n < RTE_DIM(kring_fd);) {
		int fd = atoi(e->d_name);
		int dom = 0;
		socklen_t l = sizeof(dom);
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == dirfd(d) ||
		    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) != 0 || dom != AF_PACKET ||
		    getsockname(fd, (struct sockaddr *)&sll, &sl) != 0 ||
		    (unsigned)sll.sll_ifindex != ifindex)
			continue;
		struct tpacket_stats st;
		socklen_t stl = sizeof(st);
		/* read once: counts from before start are not ours */
		if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stl) == 0)
			kring_fd[kring_n++] = fd;
	}
	closedir(d);
	return (int)kring_n;
}

uint64_t fp_port_kernel_ring_drops(void)
{
	for (unsigned i = 0; i < kring_n; i++) {
		struct tpacket_stats st;
		socklen_t l = sizeof(st);
		if (getsockopt(kring_fd[i], SOL_PACKET, PACKET_STATISTICS, &st, &l) == 0)
			kring_drops += st.tp_drops;
	}
	return kring_drops;
}

/* ETHTOOL_GTXCSUM of a kernel interface in this namespace (the ioctl
 * behind `ethtool -k`): 1 on, 0 off, -1 unknown. */
static int iface_tx_csum(const char *ifname)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct ethtool_value ev = { .cmd = ETHTOOL_GTXCSUM };
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (char *)&ev;
	int on = ioctl(fd, SIOCETHTOOL, &ifr) == 0 ? ev.data != 0 : -1;
	close(fd);
	return on;
}

/* /sys/class/net/IFNAME/iflink: the ifindex of a veth's peer (its own
 * ifindex for other interfaces), -1 if unreadable. */
static int iface_iflink(const char *ifname)
{
	char path[IF_NAMESIZE + 32];
	snprintf(path, sizeof(path), "/sys/class/net/%s/iflink", ifname);
	FILE *f = fopen(path, "r");
	int v = -1;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Checksum offload.  When the peer end of a veth (or the interface itself)
 * transmits with tx checksum offload on, af_packet and af_xdp hand the fast
 * path frames whose L4 checksum is only the pseudo-header sum (the kernel's
 * CHECKSUM_PARTIAL never gets finalised on a veth).  Forwarded to the TAP,
 * the kernel drops them (TcpInCsumErrors: TWAMP-Control times out), and the
 * incremental update of a reflected packet keeps the checksum wrong.  A real
 * NIC finalises it on the wire.  docs/fastpath.md, "Checksum offload". */
static int check_tx_csum(const char *ifname, const char *driver)
{
	int problems = 0;
	if (iface_tx_csum(ifname) == 1) {
		LOG(WARNING, "%s (%s): tx checksum offload is on: frames it sends carry "
		    "partial checksums; turn it off (ethtool -K %s tx off; docs/fastpath.md)\n",
		    ifname, driver, ifname);
		problems++;
	}
	unsigned self = if_nametoindex(ifname);
	int peer = iface_iflink(ifname);
	if (self == 0 || peer <= 0 || (unsigned)peer == self)
		return problems; /* not a veth (or unknown): no peer to check */
	char pname[IF_NAMESIZE];
	/* The peer's index is only meaningful in this namespace if that
	 * interface links back to us; otherwise the peer lives elsewhere. */
	if (if_indextoname((unsigned)peer, pname) && iface_iflink(pname) == (int)self) {
		if (iface_tx_csum(pname) == 1) {
			LOG(WARNING, "%s (%s): its veth peer %s has tx checksum offload on: "
			    "the fast path receives partial checksums and the kernel drops "
			    "them behind the TAP; turn it off (ethtool -K %s tx off; "
			    "docs/fastpath.md)\n", ifname, driver, pname, pname);
			problems++;
		}
	} else {
		LOG(INFO, "%s: its veth peer (ifindex %d) is in another namespace: "
		    "make sure its tx checksum offload is off (docs/fastpath.md)\n",
		    ifname, peer);
	}
	return problems;
}

int fp_port_check_kernel_iface(const struct fp_profile *prof)
{
	if (strcmp(prof->driver, "net_af_packet") != 0 && strcmp(prof->driver, "net_af_xdp") != 0)
		return 0;
	const char *p = strstr(prof->vdev, "iface=");
	if (!p)
		return 0;
	char ifname[64];
	size_t n = strcspn(p + 6, ",");
	if (n == 0 || n >= sizeof(ifname))
		return 0;
	memcpy(ifname, p + 6, n);
	ifname[n] = '\0';
	int problems = 0;

	/* An address on the port interface makes the kernel answer for it
	 * next to the TAP. */
	struct ifaddrs *ifa0 = NULL;
	if (getifaddrs(&ifa0) == 0) {
		for (const struct ifaddrs *a = ifa0; a; a = a->ifa_next) {
			if (!a->ifa_addr || strcmp(a->ifa_name, ifname) != 0)
				continue;
			if (a->ifa_addr->sa_family == AF_INET) {
				LOG(WARNING, "%s (%s) has an IPv4 address: the kernel answers on "
				    "it too; remove it (docs/fastpath.md, Exception path)\n",
				    ifname, prof->driver);
				problems++;
				break;
			}
		}
		freeifaddrs(ifa0);
	}
	char path[160];
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	if (sysctl_read_int(path) == 0) {
		LOG(WARNING, "%s (%s): IPv6 is enabled on it: the kernel answers ND and "
		    "IPv6 on it too; set net.ipv6.conf.%s.disable_ipv6=1\n",
		    ifname, prof->driver, ifname);
		problems++;
	}
	/* Interop bug 2: the kernel still gets every frame of the port
	 * interface.  rp_filter drops the copies for the TAP's address, but
	 * IPv4 early demux delivers them to a connected UDP socket (cached
	 * sk_rx_dst) without the route lookup, so without rp_filter: such a
	 * socket in this namespace reads every reply twice.  The sysctl is
	 * global to the namespace, so it is checked, not changed. */
	if (sysctl_read_int("/proc/sys/net/ipv4/ip_early_demux") != 0) {
		LOG(WARNING, "%s (%s): net.ipv4.ip_early_demux is on in this namespace: "
		    "connected UDP sockets here receive every datagram twice (once from %s, "
		    "once from the TAP); set net.ipv4.ip_early_demux=0 in this namespace\n",
		    ifname, prof->driver, ifname);
		problems++;
	}
	return problems + check_tx_csum(ifname, prof->driver);
}

void fp_port_close(struct fp_port *pt)
{
	(void)rte_eth_dev_stop(pt->port_id);
	(void)rte_eth_dev_close(pt->port_id);
}
