/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_stages: per-stage cycle breakdown of the packet loop, for profiling
 * only (meson option fp_stages, off by default: every stage boundary reads
 * the TSC, which costs the loop about 10 cycles a read, per burst and, for
 * checksum and crypto, per packet).  docs/performance.md.
 *
 * Each lcore adds the cycles of a stage to its own array; twinhop-fp
 * prints cycles/packet per stage at exit with --counters.  With the option
 * off every macro is empty.
 */
#ifndef FP_STAGES_H
#define FP_STAGES_H

#include <stdint.h>

#include <rte_cycles.h>

/* X(name): in loop order.  reflect is the per-packet handling loop minus
 * what checksum and crypto took inside it; other is what a busy iteration
 * does between its burst and the Tx (combined mode: TAP poll, senders).
 * The periodic control work is in none of them.  Replies protected a
 * burst at a time (fp_crypto_burst_end) get their checksum inside the
 * crypto span: there it is counted in checksum and in crypto, and taken
 * off reflect, so reflect reads low by that much in authenticated mode. */
#define FP_STAGE_LIST(X) X(rx) X(parse) X(lookup) X(reflect) X(checksum) X(crypto) X(tx) X(other)

enum fp_stage {
#define FP_STAGE_ENUM(n) FP_ST_##n,
	FP_STAGE_LIST(FP_STAGE_ENUM)
#undef FP_STAGE_ENUM
	FP_ST__COUNT
};

#ifdef FP_STAGES
/* start a span: t = now */
#define FP_STAGE_T0(t) uint64_t t = rte_rdtsc()
/* close a span into stage st of lcore lc and start the next one */
#define FP_STAGE_ADD(lc, st, t)                                                                    \
	do {                                                                                       \
		uint64_t now_ = rte_rdtsc();                                                       \
		(lc)->stage[FP_ST_##st] += now_ - (t);                                             \
		(t) = now_;                                                                        \
	} while (0)
/* a stage nested in the per-packet loop (reflect): move its cycles out */
#define FP_STAGE_NESTED(lc, st, t)                                                                 \
	do {                                                                                       \
		uint64_t now_ = rte_rdtsc();                                                       \
		(lc)->stage[FP_ST_##st] += now_ - (t);                                             \
		(lc)->stage[FP_ST_reflect] -= now_ - (t);                                          \
		(t) = now_;                                                                        \
	} while (0)
/* restart a span (the cycles since belong to the enclosing stage) */
#define FP_STAGE_RESTART(t) ((t) = rte_rdtsc())
#else
#define FP_STAGE_NESTED(lc, st, t)                                                                 \
	do {                                                                                       \
	} while (0)
#define FP_STAGE_RESTART(t)                                                                        \
	do {                                                                                       \
	} while (0)
#define FP_STAGE_T0(t)                                                                             \
	do {                                                                                       \
	} while (0)
#define FP_STAGE_ADD(lc, st, t)                                                                    \
	do {                                                                                       \
	} while (0)
#endif

#endif
