/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_exc: the exception path.
 *
 * Every frame that is not TWAMP-Test for a known session or light port goes
 * to a kernel TAP interface (a net_tap vdev created at start, with the
 * port's MAC, the --addr addresses and the port's MTU), and every frame the
 * kernel sends on the TAP goes out the port.  The kernel therefore answers
 * ARP/ND, ping and runs the TWAMP-Control TCP connection on the same
 * address as the test traffic.
 *
 * Next-hop resolution for the Session-Sender: the main lcore snoops ARP and
 * ND (NS/NA with a link-layer option) seen in either direction into a small
 * neighbour table, and when a sender needs a MAC that is not there it sends
 * its own ARP request / neighbour solicitation out the port, retried on a
 * deadline.  The reply is both learnt and handed to the kernel.
 */
#ifndef FP_EXC_H
#define FP_EXC_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#define FP_NEIGH_MAX 256

struct fp_neigh {
	uint8_t ipv;
	bool valid;
	uint8_t addr[16];
	struct rte_ether_addr mac;
	uint64_t updated_tsc;
};

struct fp_exc {
	uint16_t tap_port;
	/* octets of the longest frame the kernel interface takes (its MTU,
	 * Ethernet and 802.1Q); the TAP PMD refuses longer ones */
	uint32_t max_frame;
	char ifname[32];
	unsigned n_neigh;
	struct fp_neigh neigh[FP_NEIGH_MAX];
};

/* Create the TAP vdev, configure nq Tx queues (one per lcore) and 1 Rx
 * queue, give the kernel interface our MAC, MTU and addresses, bring it up. */
int fp_exc_init(struct fp_exc *x, const char *ifname, uint16_t nq, uint16_t mtu);
void fp_exc_close(struct fp_exc *x);

/* Main lcore: learn from an ARP / NS / NA frame (any direction). */
void fp_exc_snoop(struct fp_exc *x, const struct rte_mbuf *m, uint64_t now);

/* Look up a neighbour; NULL if unresolved. */
const struct fp_neigh *fp_exc_neigh(const struct fp_exc *x, uint8_t ipv, const uint8_t *addr);

/* Build an ARP request / NS for addr into a fresh mbuf (NULL if the pool is
 * empty).  Main lcore sends it on the port. */
struct rte_mbuf *fp_exc_solicit(struct rte_mempool *mp, uint8_t ipv, const uint8_t *addr);

/* Poll the TAP (main lcore): up to n frames the kernel sent, returned in
 * pkts for transmission on the port (VLAN tag inserted if configured). */
uint16_t fp_exc_from_kernel(struct fp_exc *x, struct rte_mbuf **pkts, uint16_t n, uint64_t now);

#endif
