/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_admin: the admin UNIX sockets (docs/admin-protocol.md): one JSON
 * object per line, a full-access socket and an optional read-only one that
 * accepts only SHOW-type requests (style anchor 10, bgpd's restricted
 * control socket).  It creates TWAMP Light / STAMP listeners and senders
 * (kept in the session registry, ctl_reg) and streams their events to
 * subscribers.  It serves the daemon context it is given and imports no
 * module above it; ctl_admin_priv.h maps its files.
 */
#ifndef CTL_ADMIN_H
#define CTL_ADMIN_H

#include <stdint.h>

#include "tw_ipc.h"

struct ctl_daemon;
struct ctl_admin;

/* Create the sockets (before privileges are dropped). NULL on failure. */
struct ctl_admin *ctl_admin_new(struct ctl_daemon *d);
void ctl_admin_free(struct ctl_admin *a);
/* Flush subscriber output, reap closed clients. */
void ctl_admin_poll(struct ctl_admin *a, uint64_t now_ms);
/* The fast path went away: the admin sessions wait to be programmed again. */
void ctl_admin_fp_detached(struct ctl_admin *a);
/* Attached (again) after HELLO RESET: program every admin listener and
 * every sender that had not ended into the fast path again (issue 8 §6b). */
void ctl_admin_fp_attached(struct ctl_admin *a);
/* Unsolicited fast-path messages (results, summaries, session events). */
void ctl_admin_fp_event(struct ctl_admin *a, const struct tw_ipc_hdr *h, const void *payload);

#endif
