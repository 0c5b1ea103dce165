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
	/* The device clock related to the TSC (hw mode).  Two copies: the
	 * main lcore refits the idle one and publishes it (the fp.clk
	 * pattern), so a worker never reads a half-written fit. */
	struct fp_hw_fit {
		uint64_t hw0, tsc0;   /* one (device, TSC) reading pair */
		double tsc_per_tick;  /* TSC cycles per device tick */
		uint32_t err_ns;      /* bound on the error a conversion adds, ns */
	} fit[2];
	struct fp_hw_fit *fit_cur;
};

/*
 * TSC value of a device timestamp (hw mode).  Relative to the fit's pair so
 * the double carries only the offset (seconds at most between refits):
 * converting the absolute reading, e.g. an ice PHC at ~1.8e18 ns since
 * 1970, would round to 256 ns (a double's 53-bit mantissa).  A reading
 * before the pair (a packet stamped before the refit) gives a negative
 * offset, which the signed difference keeps.
 */
static inline uint64_t fp_port_hw_to_tsc(const struct fp_hw_fit *f, uint64_t hw)
{
	int64_t d = (int64_t)(hw - f->hw0);
	return f->tsc0 + (uint64_t)(int64_t)((double)d * f->tsc_per_tick);
}

/*
 * Publish a fit of the device clock: at device reading hw the TSC read
 * tsc (the middle of a bracket win_tsc cycles wide), the device counts
 * hw_hz ticks per second.  The error bound is half the bracket (the reading
 * lies somewhere inside it) plus one device tick, rounded up to ns; it is
 * added to the clock's in every Error Estimate we send
 * (docs/fastpath.md, "Timestamps and their error budget").  Returns -1 if
 * hw_hz or tsc_hz is 0.
 */
int fp_port_hw_fit_set(struct fp_port *pt, uint64_t hw_hz, uint64_t hw, uint64_t tsc,
		       uint64_t win_tsc, uint64_t tsc_hz);

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
