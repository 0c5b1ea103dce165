/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_fp: the control plane's end of the fast-path contract (lib/tw_ipc.h
 * over lib/tw_ring.h).  Attaches (and re-attaches) to the shared region,
 * sends HELLO, enqueues commands with request ids, routes ACK/NACK back to
 * whoever sent the command, expires requests the fast path never answers,
 * delivers unsolicited events, and runs deferred SESSION_DELs (the drain
 * after Stop-Sessions outlives the control connection, §2.14).
 * Polled from the event loop: rings have no file descriptor.
 */
#ifndef CTL_FP_H
#define CTL_FP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_err.h"
#include "tw_ipc.h"

struct ctl_fp;

/* Attach attempts while detached: every 100 ms.  show-status gives it as
 * fp.attach_retry_ms. */
#define CTL_FP_ATTACH_EVERY_MS 100u

/* ACK (TW_E_OK), NACK (its err) or no answer in time (TW_E_EMPTY). */
typedef void (*ctl_fp_reply_cb)(void *arg, uint32_t req, enum tw_err err,
                                const struct tw_ipc_hdr *h, const void *payload);

struct ctl_fp_hooks {
	/* Unsolicited messages (SESSION_EVENT, SENDER_RESULT, SENDER_SUMMARY,
	 * LOG, STATS without a requester). */
	void (*event)(void *arg, const struct tw_ipc_hdr *h, const void *payload);
	/* Attached, HELLO RESET queued: program what must live on (may be NULL). */
	void (*attached)(void *arg);
	/* Detached: the fast path and every session in it are gone (may be NULL). */
	void (*detached)(void *arg);
	void *arg;
};

/* grace_ms: HELLO grace_ms (tw_ipc.h): the fast path removes our sessions
 * when our heartbeat stops for that long; 0 = never. */
struct ctl_fp *ctl_fp_new(const char *region, uint64_t timeout_ms, uint32_t grace_ms,
                          const struct ctl_fp_hooks *hk);
/* A new grace, sent with the next HELLO (configuration reload). */
void ctl_fp_set_grace(struct ctl_fp *fp, uint32_t grace_ms);
void ctl_fp_free(struct ctl_fp *fp);

/* Attach if not attached (at most every CTL_FP_ATTACH_EVERY_MS), detach from
 * a fast path that is gone or replaced, drain every event ring, expire
 * requests, send due deletes.  Call often (every few ms). */
void ctl_fp_poll(struct ctl_fp *fp, uint64_t now_ms);

bool ctl_fp_attached(const struct ctl_fp *fp);
/* When detached: the time of the next attach attempt (ctl_now_ms clock). */
uint64_t ctl_fp_next_attach(const struct ctl_fp *fp);
/* ms since the fast path's heartbeat last moved, on our clock (0 = detached). */
uint64_t ctl_fp_heartbeat_age_ms(const struct ctl_fp *fp, uint64_t now_ms);
/* The attached region (NULL if not attached), for counters and status. */
struct tw_ring *ctl_fp_ring(struct ctl_fp *fp);
const char *ctl_fp_region(const struct ctl_fp *fp);
/* Why the last attach failed ("" when attached or not tried yet):
 * show-status says it beside "NOT attached", since the log may be far. */
const char *ctl_fp_attach_error(const struct ctl_fp *fp);

/* Enqueue a command; the reply goes to cb(arg).  Returns the request id
 * (!= 0) or 0 when not attached or the ring is full. */
uint32_t ctl_fp_send(struct ctl_fp *fp, uint16_t type, const void *payload, uint32_t len,
                     ctl_fp_reply_cb cb, void *arg, uint64_t now_ms);
/* Forget every pending reply addressed to arg (its owner is going away). */
void ctl_fp_cancel(struct ctl_fp *fp, void *arg);
/* A deferred delete is over: err TW_E_OK (ACK), the NACK's error (the
 * session was already gone), or TW_E_SYS (the fast path is gone, and its
 * sessions with it).  Called exactly once per ctl_fp_del_at(). */
typedef void (*ctl_fp_del_cb)(void *arg, uint32_t session, enum tw_err err);
/* SESSION_DEL session at at_ms (0 = at the next poll); cb(arg) once the
 * fast path has answered (an unanswered delete is sent again). */
void ctl_fp_del_at(struct ctl_fp *fp, uint32_t session, uint64_t at_ms, ctl_fp_del_cb cb,
                   void *arg);
/* Deletes scheduled or in flight. */
size_t ctl_fp_del_pending(const struct ctl_fp *fp);

/* Counters of this bridge (show-status). */
struct ctl_fp_stats {
	uint64_t attaches, sent, send_fail, acks, nacks, timeouts, events, malformed;
	uint64_t tsc_hz; /* from the last HELLO_REPLY (0: none yet); turns busy cycles into % */
	uint64_t lost;   /* detached because the fast path released our claim (silent too long) */
	/* Now, for leak checks: requests awaiting an answer, and octets
	 * published but not yet consumed in the command ring and the event
	 * rings (0 when detached). */
	uint64_t pending, cmd_ring_used, evt_ring_used;
	uint32_t grace_ms;
	/* RFC 9533 member-link ID of the fast path's port (HELLO_REPLY
	 * TW_IPC_CAP_MICRO), 0 = none: micro-sessions refused */
	uint32_t member_link;
	/* every port's member link, port order (IPC version 12); 0 = none */
	uint16_t member_links[TW_IPC_MEMBER_LINKS];
	/* octets of the largest whole IP packet (HELLO_REPLY ip_mtu, IPC
	 * version 14); 0 = unknown */
	uint16_t ip_mtu;
};
void ctl_fp_stats(const struct ctl_fp *fp, struct ctl_fp_stats *st);

#endif
