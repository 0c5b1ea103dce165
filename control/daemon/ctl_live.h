/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_live: live session counters.  Every `stats-interval` ms one
 * STATS_REQUEST (session 0, every session) goes to the fast path; the
 * latest STATS per session is kept until a poll no longer reports the
 * session.  show-sessions (ctl_admin) and /metrics (ctl_metrics) read it.
 */
#ifndef CTL_LIVE_H
#define CTL_LIVE_H

#include <stdint.h>

#include "tw_ipc.h"

struct ctl_daemon;
struct ctl_live;

struct ctl_live *ctl_live_new(struct ctl_daemon *d);
void ctl_live_free(struct ctl_live *l);
/* Send the next STATS poll when due. */
void ctl_live_poll(struct ctl_live *l, uint64_t now_ms);
/* Next poll (monotonic ms; UINT64_MAX if none due). */
uint64_t ctl_live_deadline(const struct ctl_live *l);
/* Latest STATS of a session (NULL if none) and its age in ms (may be NULL). */
const struct tw_ipc_stats *ctl_live_get(const struct ctl_live *l, uint32_t session,
                                        uint64_t *age_ms);

#endif
