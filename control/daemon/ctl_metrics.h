/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_metrics: live session counters and the OpenMetrics endpoint of
 * twinhopd (docs/control.md "Metrics").
 *
 * Live counters: every `stats-interval` ms one STATS_REQUEST (session 0,
 * every session) goes to the fast path; the latest STATS per session is
 * kept until a poll no longer reports the session.  show-sessions and
 * /metrics read them.
 *
 * Endpoint: `metrics-listen ADDR [PORT]` opens a TCP listener on the same
 * epoll loop; GET or HEAD /metrics answers the exposition (content type
 * application/openmetrics-text; version=1.0.0; charset=utf-8), then closes.
 */
#ifndef CTL_METRICS_H
#define CTL_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "tw_ipc.h"

struct ctl_daemon;
struct ctl_metrics;

#define CTL_METRICS_CLIENTS    16    /* concurrent HTTP clients; more are closed at once */
#define CTL_METRICS_TIMEOUT_MS 5000u /* whole request head within this, else closed */

/* Open the listener if configured (before privileges are dropped).
 * NULL on failure (logged). */
struct ctl_metrics *ctl_metrics_new(struct ctl_daemon *d);
void ctl_metrics_free(struct ctl_metrics *m);
/* Timeouts, finished clients, the STATS poll. */
void ctl_metrics_poll(struct ctl_metrics *m, uint64_t now_ms);
/* Next deadline (monotonic ms; UINT64_MAX if none). */
uint64_t ctl_metrics_deadline(const struct ctl_metrics *m);

/* Latest STATS of a session (NULL if none) and its age in ms. */
const struct tw_ipc_stats *ctl_metrics_live(const struct ctl_metrics *m, uint32_t session,
                                            uint64_t *age_ms);

/* Write the whole exposition, "# EOF" included.  0, or -1 on a write or
 * format error. */
int ctl_metrics_render(struct ctl_daemon *d, FILE *f);

#endif
