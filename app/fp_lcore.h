/* SPDX-License-Identifier: BSD-3-Clause */
/* fp_lcore: the lcore loop (l2fwd shape), one per forwarding lcore. */
#ifndef FP_LCORE_H
#define FP_LCORE_H

#include <stdint.h>

#include <rte_mbuf.h>

struct fp_lcore;

int fp_lcore_loop(void *arg);
/* One received burst of n packets on lc (the loop calls it after each
 * rte_eth_rx_burst, with the iteration's TSC read as now): parse,
 * classify, reflect or match in place; replies are left in lc->tx[] and
 * exceptions in lc->exc[] for the loop to flush.  Exposed for the
 * hardware-timestamp test (tests/system/test_fp_hwts.c), which feeds it
 * mbufs from a net_ring port. */
void fp_lcore_rx_burst(struct fp_lcore *lc, struct rte_mbuf **pkts, uint16_t n, uint64_t now);

#endif
