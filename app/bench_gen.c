/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twinhop-benchgen: a TWAMP-shaped traffic generator for the reflector
 * benchmarks (tools/bench-reflector.sh, tools/bench-sessions.sh).  Not part
 * of the appliance.
 *
 * One lcore, one port (any vdev, e.g. a memif client).  Each iteration it
 * drains its Rx queue (counting and freeing the replies, so they never back
 * up into the reflector's Tx) and transmits one burst of pre-built frames:
 * Ethernet + IPv4 + UDP + a valid TWAMP-Test sender packet.  Every frame is
 * built once at start, one per flow, in an mbuf the generator keeps; a burst
 * only takes a reference on each (a plain increment of its count: only this
 * lcore touches it) and the PMD drops it after its copy, or once the peer
 * hands the buffer back (zero-copy), so the generator writes nothing to a
 * frame per packet and can
 * outrun the reflector it measures (docs/performance.md).
 * --stamp sends the open STAMP sender packet (RFC 8762 §4.2, 44 octets, SSID
 * 0, no TLVs) instead, for a STAMP listener (--light-port N:stamp).
 * In authenticated mode (--sec auth|enc) the payload is protected once at
 * start with the given test keys (lib/tw_crypto), so every copy passes the
 * reflector's HMAC check: the reflector does the real verify + protect work.
 * The reflector does not check sender sequence numbers or T1 for replay, so
 * reusing one protected payload is legitimate for a throughput benchmark.
 *
 * --flows N (at most GEN_MAX_FLOWS) spreads packets over N UDP port pairs:
 * flow i uses source port sport + i % span and destination port
 * dport + i / span, visited with a large odd stride so that consecutive
 * packets hit unrelated table entries.  Each flow's frame has its UDP
 * checksum patched once, at build time (RFC 1624).
 *
 * Once a second it prints "GEN <t_s> tx=<cum> rx=<cum>", and at the end
 * "GENWIN <tsc_first_tx> <tsc_last_tx> <tsc_hz> tx=<n> rx=<n>", the window
 * in which it offered traffic (the TSC is the machine's, shared with the
 * reflector), from which tools/bench-reflector.sh computes the offered rate
 * and how much of the window the reflector was busy.  A benchmark tool, not
 * the fast path: printing here is fine.
 *
 * --linger: after "GENDONE", stop polling and keep the port open until the
 * peer has gone (link down) or SIGINT/SIGTERM, and only then close it.  The
 * DPDK 22.11 memif PMD handles a peer's disconnect in its interrupt thread
 * and unmaps the shared rings there, without waiting for an lcore of its own
 * process that is inside rx/tx burst on them: the side still polling when
 * the other closes can crash (SIGSEGV in librte_net_memif).  So the
 * benchmark scripts stop the reflector first (its lcores stop, then it
 * closes) while this generator no longer polls, and close this one last
 * (docs/performance.md, "Stopping a memif pair").
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "tw_crypto.h"
#include "tw_hex.h"
#include "tw_pkt.h"

#define BURST 32
#define GEN_MAX_FLOWS 131072u

static volatile int quit;
static void on_sig(int s)
{
	(void)s;
	quit = 1;
}

static int hexkey(const char *s, uint8_t *out, size_t n)
{
	/* lib/tw_hex.h: strict (sscanf("%2x") took " f" or "+f") */
	if (strlen(s) != 2 * n)
		return -1;
	return tw_hex_decode(s, 2 * n, out, n, NULL) == TW_OK ? 0 : -1;
}

static uint16_t csum_adj(uint16_t c, uint16_t old, uint16_t new)
{
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), network-order words */
	uint32_t s = (uint16_t)~c;
	s += (uint16_t)~old;
	s += new;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	uint16_t r = (uint16_t)~s;
	return r ? r : 0xffff;
}

int main(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);
	if (n < 0)
		rte_exit(1, "EAL init\n");
	argc -= n;
	argv += n;
	struct rte_ether_addr dmac = {{0x02, 0, 0, 0, 0, 1}};
	uint32_t sip = htonl(0xc6120001), dip = htonl(0xc6120002); /* 198.18.0.1 -> .2 */
	uint16_t sport = 6000, dport = 5000;
	uint32_t flows = 1, span = 50000, pad = 27;
	double seconds = 0;
	int linger = 0;
	int sec = 0; /* 0 open, 1 auth, 2 enc */
	int stamp = 0; /* RFC 8762 open STAMP instead of TWAMP-Test */
	int pad_given = 0;
	uint8_t aes[16] = {0}, hmac[32] = {0};
	static const struct option lo[] = {
		{"dst-mac", 1, 0, 'm'}, {"src-ip", 1, 0, 's'}, {"dst-ip", 1, 0, 'd'},
		{"sport", 1, 0, 'p'},	{"dport", 1, 0, 'q'},  {"flows", 1, 0, 'f'},
		{"span", 1, 0, 'S'},	{"pad", 1, 0, 'P'},    {"seconds", 1, 0, 't'},
		{"sec", 1, 0, 'x'},	{"aes", 1, 0, 'a'},    {"hmac", 1, 0, 'h'},
		{"linger", 0, 0, 'L'},	{"stamp", 0, 0, 'T'},  {0, 0, 0, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (rte_ether_unformat_addr(optarg, &dmac))
				rte_exit(2, "bad --dst-mac\n");
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &sip) != 1)
				rte_exit(2, "bad --src-ip\n");
			break;
		case 'd':
			if (inet_pton(AF_INET, optarg, &dip) != 1)
				rte_exit(2, "bad --dst-ip\n");
			break;
		case 'p':
			sport = (uint16_t)atoi(optarg);
			break;
		case 'q':
			dport = (uint16_t)atoi(optarg);
			break;
		case 'f':
			flows = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'S':
			span = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'P':
			pad = (uint32_t)strtoul(optarg, NULL, 0);
			pad_given = 1;
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 'L':
			linger = 1;
			break;
		case 'T':
			stamp = 1;
			break;
		case 'x':
			sec = !strcmp(optarg, "auth") ? 1 : !strcmp(optarg, "enc") ? 2 : 0;
			break;
		case 'a':
			if (hexkey(optarg, aes, 16))
				rte_exit(2, "bad --aes\n");
			break;
		case 'h':
			if (hexkey(optarg, hmac, 32))
				rte_exit(2, "bad --hmac\n");
			break;
		default:
			rte_exit(2, "bad option\n");
		}
	}
	if (!flows || !span || flows > GEN_MAX_FLOWS)
		rte_exit(2, "--flows must be 1..%u and --span > 0\n", GEN_MAX_FLOWS);
	if (stamp && sec)
		rte_exit(2, "--stamp sends open STAMP only (no --sec auth|enc)\n");
	/* octets after a STAMP packet's 44 would be read as TLVs (RFC 8972) */
	if (stamp && pad_given && pad)
		rte_exit(2, "--stamp sends the 44-octet base packet only (no --pad)\n");
	if (stamp)
		pad = 0;
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);

	uint16_t port = 0;
	/* Rx: replies, freed at once. */
	struct rte_mempool *mp = rte_pktmbuf_pool_create("gen", 16383, 256, 0,
							 RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (!mp)
		rte_exit(1, "mempool\n");
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(port, 1, 1, &conf) || rte_eth_rx_queue_setup(port, 0, 1024,
									     rte_socket_id(), NULL, mp) ||
	    rte_eth_tx_queue_setup(port, 0, 1024, rte_socket_id(), NULL) || rte_eth_dev_start(port))
		rte_exit(1, "port setup\n");
	struct rte_ether_addr smac;
	rte_eth_macaddr_get(port, &smac);

	/* The frame: Ethernet + IPv4 + UDP + TWAMP-Test (or STAMP) sender
	 * packet. */
	enum tw_pkt_layout l = stamp ? TW_PKT_STAMP_OPEN : sec ? TW_PKT_TWAMP_AUTH : TW_PKT_TWAMP_OPEN;
	size_t pl_len = tw_pkt_sender_base(l) + pad;
	size_t flen = sizeof(struct rte_ether_hdr) + 20 + 8 + pl_len;
	static uint8_t frame[2048];
	if (flen > sizeof(frame))
		rte_exit(2, "--pad too large\n");
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)frame;
	eh->dst_addr = dmac;
	eh->src_addr = smac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	ip->version_ihl = 0x45;
	ip->total_length = htons((uint16_t)(20 + 8 + pl_len));
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 255;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = sip;
	ip->dst_addr = dip;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	uh->src_port = htons(sport);
	uh->dst_port = htons(dport);
	uh->dgram_len = htons((uint16_t)(8 + pl_len));
	uint8_t *pl = (uint8_t *)(uh + 1);
	struct tw_pkt_sender sp = {.seq = 1, .ts = 0x1234567800000000ull, .errest = 0x8001};
	if (tw_pkt_sender_encode(l, &sp, pl, pl_len) < 0)
		rte_exit(2, "encode\n");
	if (sec) {
		struct tw_test_crypto tc;
		size_t enc_len, hmac_off;
		if (tw_test_crypto_init(&tc, aes, hmac) != TW_OK ||
		    tw_test_crypto_layout(sec == 1 ? 2 : 4, false, false, &enc_len, &hmac_off) !=
			    TW_OK ||
		    tw_test_protect(&tc, pl, pl_len, enc_len, hmac_off) != TW_OK)
			rte_exit(2, "protect\n");
		tw_test_crypto_free(&tc);
	}
	uint16_t c0 = rte_ipv4_udptcp_cksum(ip, uh);
	uh->dgram_cksum = c0 ? c0 : 0xffff;
	uint16_t base_ck = uh->dgram_cksum;
	const uint16_t sport_be = htons(sport), dport_be = htons(dport);

	/* One pre-built frame per flow, at least a burst's worth so that a
	 * burst never holds the same mbuf twice (memif copies each entry, but
	 * other PMDs may not like it).  Small data rooms: 131072 flows take
	 * about 64 MB. */
	uint32_t nfr = flows < BURST ? BURST : flows;
	struct rte_mempool *fmp = rte_pktmbuf_pool_create(
		"gen_frames", nfr, 0, 0, (uint16_t)(RTE_PKTMBUF_HEADROOM + flen), rte_socket_id());
	struct rte_mbuf **fr = calloc(nfr, sizeof(*fr));
	if (!fmp || !fr || rte_pktmbuf_alloc_bulk(fmp, fr, nfr) != 0)
		rte_exit(1, "frame pool\n");
	for (uint32_t f = 0; f < nfr; f++) {
		uint32_t fl = f % flows;
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(fr[f], (uint16_t)flen);
		memcpy(d, frame, flen);
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)(d + sizeof(*eh) + 20);
		uint16_t ps = htons((uint16_t)(sport + fl % span));
		uint16_t pd = htons((uint16_t)(dport + fl / span));
		u->dgram_cksum = csum_adj(csum_adj(base_ck, sport_be, ps), dport_be, pd);
		u->src_port = ps;
		u->dst_port = pd;
	}

	printf("GENREADY frame=%zu payload=%zu flows=%u sec=%d%s\n", flen, pl_len, flows, sec,
	       stamp ? " stamp" : "");
	fflush(stdout);
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc(), next = t0 + hz;
	uint64_t end = seconds > 0 ? t0 + (uint64_t)(seconds * (double)hz) : 0;
	uint64_t tx = 0, rx = 0, first_tx = 0, last_tx = 0;
	uint32_t fi = 0;
	/* an odd stride, prime to any flow count we use, spreads the visits */
	const uint32_t stride = 40503u % nfr ? 40503u % nfr : 1;
	struct rte_mbuf *b[BURST];
	while (!quit) {
		uint16_t k = rte_eth_rx_burst(port, 0, b, BURST);
		if (k) {
			rx += k;
			rte_pktmbuf_free_bulk(b, k);
		}
		for (unsigned i = 0; i < BURST; i++) {
			b[i] = fr[fi];
			/* Only this lcore takes or drops references to the
			 * frames (the memif PMD frees sent mbufs in our Tx
			 * call), so a plain increment is safe: no locked
			 * read-modify-write per packet. */
			rte_mbuf_refcnt_set(b[i], (uint16_t)(rte_mbuf_refcnt_read(b[i]) + 1));
			fi += stride;
			if (fi >= nfr)
				fi -= nfr;
		}
		uint16_t s = rte_eth_tx_burst(port, 0, b, BURST);
		tx += s;
		for (unsigned i = s; i < BURST; i++)
			rte_mbuf_refcnt_set(b[i], (uint16_t)(rte_mbuf_refcnt_read(b[i]) - 1));
		uint64_t now = rte_rdtsc();
		if (s) {
			if (!first_tx)
				first_tx = now;
			last_tx = now;
		}
		if (now >= next) {
			printf("GEN %.3f tx=%" PRIu64 " rx=%" PRIu64 "\n", (double)(now - t0) / (double)hz,
			       tx, rx);
			fflush(stdout);
			next += hz;
		}
		if (end && now >= end)
			break;
	}
	printf("GENWIN %" PRIu64 " %" PRIu64 " %" PRIu64 " tx=%" PRIu64 " rx=%" PRIu64 "\n",
	       first_tx, last_tx, hz, tx, rx);
	printf("GENDONE tx=%" PRIu64 " rx=%" PRIu64 "\n", tx, rx);
	fflush(stdout);
	/* --linger (see the top): no Rx/Tx burst from here on, so the peer's
	 * disconnect can unmap the rings under us safely */
	while (linger && !quit) {
		struct rte_eth_link lk;
		if (rte_eth_link_get_nowait(port, &lk) == 0 && lk.link_status == RTE_ETH_LINK_DOWN) {
			/* memif_disconnect() in the interrupt thread marks the
			 * link down first and only then closes the queues' fds
			 * and frees the regions; our close runs the same
			 * teardown, so let that one finish (microseconds; a
			 * 100 ms margin for a preempted thread) */
			rte_delay_us_sleep(100000);
			break;
		}
		rte_delay_us_sleep(10000);
	}
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rte_eal_cleanup();
	return 0;
}
