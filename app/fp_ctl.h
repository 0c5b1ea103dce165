/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl: the fast path's end of the IPC region (lib/tw_ring.h, tw_ipc.h).
 *
 * The main lcore polls the command ring on a TSC deadline and applies
 * commands; every lcore produces on its own event ring (results, and for
 * the main lcore ACK/NACK, events and counters).  Nothing here blocks: a
 * full event ring refuses the message, the lcore keeps a result batch and
 * retries on the next drain, and whatever is finally discarded is counted
 * (DROP_RING_FULL, and results_dropped in the sender's summary).
 *
 * Command-line sessions (--reflector, --sender, --light-port) are applied
 * through fp_ctl_apply(), the same code as IPC commands.
 */
#ifndef FP_CTL_H
#define FP_CTL_H

#include <stdint.h>

#include "fp.h"
#include "tw_ipc.h"
#include "tw_ring.h"

struct fp_sender;

/* Per-lcore result batch (one SENDER_RESULT message being filled). */
struct fp_ctl_batch {
	uint16_t n;
	struct tw_ipc_result rec[TW_IPC_RESULTS_MAX];
};

struct fp_ctl {
	struct tw_ring *ring; /* NULL without --shm */
	struct fp_ctl_batch *batch[RTE_MAX_LCORE];
};

/* Create the IPC region (shm_name NULL: none), with group gid when set_gid
 * and mode (0 = 0600), so that twinhopd can attach after dropping to its
 * unprivileged user (docs/ipc.md, trust boundary). */
int fp_ctl_init(const char *shm_name, unsigned n_lcores, bool set_gid, uint32_t gid,
		unsigned mode);
void fp_ctl_close(void);

/* Scheduled START/STOP (at_ntp in the future): the earliest due TSC, and
 * the main lcore's call when it is reached. */
extern uint64_t fp_ctl_next_sched;
void fp_ctl_sched_run(uint64_t now);
/* Apply one command; returns TW_OK or the NACK reason.  *detail may be set. */
/* Mark session or listener `id` as the fast path's own (command line):
 * HELLO RESET and SESSION_DEL leave it alone.  -1 if no such id. */
int fp_ctl_mark_static(uint32_t id);

enum tw_err fp_ctl_apply(uint16_t type, const void *payload, uint32_t len, uint64_t now,
			 uint32_t *detail);
/* Main lcore, on its deadline: up to max commands. */
void fp_ctl_poll(struct fp_lcore *lc, uint64_t now, unsigned max);
/* Main lcore: copy every lcore's counters to the region, heartbeat. */
void fp_ctl_publish(uint64_t now);
/* Control lcore, on a TSC deadline: when the control process that said
 * HELLO with grace_ms has not moved its heartbeat for that long, delete the
 * sessions it programmed and release its claim (tw_ipc.h HELLO).  Pure
 * memory and the same deletes as SESSION_DEL: no syscall, no log. */
void fp_ctl_watch(struct fp_lcore *lc, uint64_t now);

/* Any lcore: queue a result record; flushes a full batch.  Returns 0, or
 * -1 if the record was dropped (counted). */
int fp_ctl_result(struct fp_lcore *lc, const struct tw_ipc_result *r);
/* Flush the lcore's batch (drain deadline).  0 if empty afterwards. */
int fp_ctl_flush(struct fp_lcore *lc);
/* Main lcore: unsolicited event / summary (counted if the ring is full). */
void fp_ctl_event(uint32_t session, uint16_t event, uint16_t err, uint64_t rx, uint64_t tx);
int fp_ctl_summary(struct fp_lcore *lc, const struct tw_ipc_sender_summary *sum);
/* Main lcore: a sender's STAMP TLV results, before its summary. */
int fp_ctl_stlv(struct fp_lcore *lc, const struct tw_ipc_sender_stlv *m);

#endif
