/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_counters: per-lcore fast-path counters.
 *
 * The list of events and drop reasons is declared once, in the IPC contract
 * (TW_IPC_COUNTER_LIST in lib/tw_ipc.h), so the names control prints are the
 * enum the fast path increments.  Each lcore owns one cache-aligned block in
 * its own memory (single writer, plain increments, no atomics, no sharing
 * of a line with another lcore or with the reader); the main lcore copies
 * every block into the shared-memory counter area on a TSC deadline
 * (--stats-interval), and once more at exit.
 */
#ifndef FP_COUNTERS_H
#define FP_COUNTERS_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_lcore.h>

#include "tw_ipc.h"

#define FP_C__COUNT TW_IPC_CNT__COUNT

/* One block per lcore, written only by that lcore. */
struct fp_counters {
	uint64_t c[TW_IPC_CNT__COUNT];
} __rte_cache_aligned;

#define FP_INC(cnt, name) ((cnt)->c[TW_IPC_CNT_##name]++)
#define FP_ADD(cnt, name, n) ((cnt)->c[TW_IPC_CNT_##name] += (n))

extern struct fp_counters fp_cnt[RTE_MAX_LCORE];

/* Sum of all lcores into out[FP_C__COUNT]. */
void fp_counters_sum(uint64_t *out);

#endif
