/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_metrics: the OpenMetrics endpoint of twinhopd (docs/control.md
 * "Metrics").  It reads the daemon context it is given (sessions from
 * ctl_reg, live counters from ctl_live) and imports no module above it.
 *
 * Endpoint: `metrics-listen ADDR [PORT]` opens a TCP listener on the same
 * epoll loop; GET or HEAD /metrics answers the exposition (content type
 * application/openmetrics-text; version=1.0.0; charset=utf-8), then closes.
 */
#ifndef CTL_METRICS_H
#define CTL_METRICS_H

#include <stdint.h>
#include <stdio.h>

struct ctl_daemon;
struct ctl_metrics;

#define CTL_METRICS_CLIENTS    16    /* concurrent HTTP clients; more are closed at once */
/* From one source address (an IPv6 /64, ctl_peers_key): one address cannot
 * hold every slot with requests it never finishes. */
#define CTL_METRICS_PER_ADDRESS 4
#define CTL_METRICS_TIMEOUT_MS 5000u /* whole request head within this, else closed */

/* Open the listener if configured (before privileges are dropped).
 * NULL on failure (logged). */
struct ctl_metrics *ctl_metrics_new(struct ctl_daemon *d);
void ctl_metrics_free(struct ctl_metrics *m);
/* Timeouts, finished clients. */
void ctl_metrics_poll(struct ctl_metrics *m, uint64_t now_ms);
/* Next deadline (monotonic ms; UINT64_MAX if none). */
uint64_t ctl_metrics_deadline(const struct ctl_metrics *m);

/* Write the whole exposition, "# EOF" included.  0, or -1 on a write or
 * format error. */
int ctl_metrics_render(struct ctl_daemon *d, FILE *f);

#endif
