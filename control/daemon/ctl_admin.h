/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_admin: the admin UNIX sockets (docs/admin-protocol.md): one JSON
 * object per line, a full-access socket and an optional read-only one that
 * accepts only SHOW-type requests (style anchor 10, bgpd's restricted
 * control socket).  Also owns the sessions created through it (TWAMP Light
 * / STAMP listeners and senders) and streams their events to subscribers.
 */
#ifndef CTL_ADMIN_H
#define CTL_ADMIN_H

#include <stdint.h>

#include "tw_ipc.h"
#include "tw_stats.h"

struct ctl_daemon;
struct ctl_admin;

/* Create the sockets (before privileges are dropped). NULL on failure. */
struct ctl_admin *ctl_admin_new(struct ctl_daemon *d);
void ctl_admin_free(struct ctl_admin *a);
/* Flush subscriber output, reap closed clients. */
void ctl_admin_poll(struct ctl_admin *a, uint64_t now_ms);
/* Unsolicited fast-path messages (results, summaries, session events). */
void ctl_admin_fp_event(struct ctl_admin *a, const struct tw_ipc_hdr *h, const void *payload);

/* Senders with per-packet results keep a lib/tw_stats accumulator (for
 * /metrics), at most this many at a time (357 KiB each); others only count. */
#define CTL_ADMIN_MAX_STATS 64

/* One session created through the admin socket, for /metrics. */
struct ctl_admin_sess {
	uint32_t id;
	const char *kind, *proto, *state, *mode;
	char local[64], peer[64];
	uint64_t rx_pkts, tx_pkts;
	const struct tw_stats *st; /* sender statistics, or NULL */
};
unsigned ctl_admin_n_sessions(const struct ctl_admin *a);
void ctl_admin_session(const struct ctl_admin *a, unsigned i, struct ctl_admin_sess *out);
/* Settle sender statistics whose loss timeout passed (wall clock ns). */
void ctl_admin_tick(struct ctl_admin *a, int64_t now_ns);

#endif
