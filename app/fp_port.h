/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_port: bring up the test port from a driver profile.
 *
 * Offloads and the Rx hardware timestamp asked for by the profile are
 * masked by the device's capabilities; what remains is recorded here so the
 * lcore loop knows whether to compute checksums in software and where T2/T4
 * come from.
 */
#ifndef FP_PORT_H
#define FP_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#include "fp_profile.h"

struct fp_port {
	uint16_t port_id;
	uint16_t nb_rxq, nb_txq;
	struct rte_ether_addr mac;
	uint64_t rx_offloads, tx_offloads; /* enabled */
	bool tx_cksum;			   /* IPv4 + UDP Tx checksum offload enabled */
	enum fp_ts_mode ts_mode;	   /* effective */
	int ts_dynfield_off;		   /* valid when ts_mode == HW_DYNFIELD */
	uint64_t ts_dynflag;
	uint64_t hw_clock_hz;		   /* device ticks per second (hw mode) */
	int64_t hw_to_tsc_off;		   /* tsc = hw * tsc_hz/hw_hz + off (fit at start) */
};

/* Configure and start port_id with nq Rx and Tx queues (one per lcore) from
 * profile; mtu is from the profile.  Logs and returns -1 on failure. */
int fp_port_init(struct fp_port *pt, uint16_t port_id, const struct fp_profile *prof,
		 uint16_t nq, struct rte_mempool *mp);
/* Re-fit the hardware clock to the TSC (hw-dynfield mode, main lcore, on a
 * deadline).  No-op in TSC mode. */
void fp_port_clock_sync(struct fp_port *pt);
void fp_port_close(struct fp_port *pt);
/* af_packet / af_xdp (init only): the port is a kernel interface whose
 * frames the namespace's stack still receives.  Warn, without changing
 * anything, when that stack can deliver them: an IPv4 address or IPv6 on
 * the interface, net.ipv4.ip_early_demux on (interop bug 2).  Returns the
 * number of warnings. */
int fp_port_check_kernel_iface(const struct fp_profile *prof);
/* net_af_packet (init): find the PMD's AF_PACKET sockets on the profile's
 * interface, whose ring overflows DPDK 22.11 does not report as imissed.
 * Returns how many were found (0 for other drivers). */
int fp_port_kernel_ring_init(const struct fp_profile *prof);
/* Frames the kernel dropped because a socket ring found above was full,
 * since start (PACKET_STATISTICS tp_drops, summed: the kernel resets them
 * on every read).  A system call per socket: control work on a deadline. */
uint64_t fp_port_kernel_ring_drops(void);

#endif
