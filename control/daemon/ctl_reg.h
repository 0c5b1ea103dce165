/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_reg: the registry of the sessions created through the admin socket
 * (TWAMP Light / STAMP listeners and senders), with the sender statistics
 * (lib/tw_stats) fed from the fast path's result stream.  No sockets: the
 * admin socket (ctl_admin) and /metrics (ctl_metrics) both read it, and it
 * imports neither.
 */
#ifndef CTL_REG_H
#define CTL_REG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_conf.h"
#include "tw_ipc.h"
#include "tw_stats.h"

#define CTL_REG_MAX_SESS 1024
/* Senders with per-packet results keep a lib/tw_stats accumulator (for
 * /metrics), at most this many at a time (357 KiB each); others only count. */
#define CTL_REG_MAX_STATS 64

enum ctl_reg_kind { CTL_REG_LIGHT = 1, CTL_REG_SENDER = 2 };

/* An admin session's optional name and group (`twinhop config import`
 * gives the RFC 8913 test-session and ctrl-connection names), with NUL. */
#define CTL_REG_NAME_MAX 64

/* What the session was created with, as `show-sessions` reports it back
 * ("config", docs/admin-protocol.md) so `twinhop config export` can write
 * the running configuration without a second store. */
struct ctl_reg_cfg {
	uint64_t interval_ns, count, duration_ns; /* sender */
	uint64_t idle_ns;                         /* light */
	uint32_t padding;                         /* sender, octets */
	uint32_t max_peers;                       /* light */
	uint32_t flags;                           /* TW_IPC_SF_* */
	uint16_t ssid;
	uint8_t dscp, ttl, sched;
	bool started; /* sender: started at add or by sender-start */
};

/* One admin session.  Owned by the registry; the pointer stays valid until
 * the next ctl_reg_add() or ctl_reg_remove(). */
struct ctl_reg_sess {
	uint32_t id;
	uint8_t kind;  /* enum ctl_reg_kind */
	uint8_t proto; /* enum tw_ipc_proto */
	uint8_t sec;   /* enum tw_ipc_sec */
	uint8_t state; /* enum tw_ipc_event of the last event, 0 = added */
	bool live;     /* ACKed by the fast path */
	struct tw_ipc_flow flow;
	uint64_t rx_pkts, tx_pkts;
	int64_t loss_timeout_ns;
	char name[CTL_REG_NAME_MAX];  /* "" = none */
	char group[CTL_REG_NAME_MAX]; /* "" = none */
	struct ctl_reg_cfg cfg;
	/* sender statistics from the result stream (NULL: none) */
	struct tw_stats *st;
	bool seq_valid;
	uint32_t next_seq;
	/* The summary (fast-path ring 0) may overtake the last results (a
	 * worker's ring, split mode): the statistics are settled once the
	 * results it counts are in, or a second after it (ctl_reg_tick). */
	bool settle_pending;
	uint64_t nres, want_res;
	int64_t summary_ns;
	/* The command that programmed it (test keys included, wiped on
	 * removal), sent again when the fast path restarts (issue 8 §6b). */
	union {
		struct tw_ipc_light_listen ll; /* kind LIGHT */
		struct tw_ipc_sender_add sa;   /* kind SENDER */
	} req;
	bool started; /* sender: a STARTED event was seen (re-added started) */
};

struct ctl_reg;

/* conf: its thresholds apply to sender statistics; read at every
 * ctl_reg_stats_on(), so a reload applies to sessions added after it. */
struct ctl_reg *ctl_reg_new(const struct ctl_conf *conf);
void ctl_reg_free(struct ctl_reg *r);

unsigned ctl_reg_count(const struct ctl_reg *r);
struct ctl_reg_sess *ctl_reg_at(struct ctl_reg *r, unsigned i);
const struct ctl_reg_sess *ctl_reg_at_const(const struct ctl_reg *r, unsigned i);
struct ctl_reg_sess *ctl_reg_find(struct ctl_reg *r, uint32_t id);
/* A zeroed entry with this id; NULL when CTL_REG_MAX_SESS are registered. */
struct ctl_reg_sess *ctl_reg_add(struct ctl_reg *r, uint32_t id);
/* Forget a session; false if unknown.  *out (may be NULL) gets a copy of
 * the entry (its st already freed) so the caller can release its port. */
bool ctl_reg_remove(struct ctl_reg *r, uint32_t id, struct ctl_reg_sess *out);

/* Give a sender a statistics accumulator (at most CTL_REG_MAX_STATS). */
void ctl_reg_stats_on(struct ctl_reg *r, struct ctl_reg_sess *s);
/* The fast path lost the session (it restarted) and it is about to be
 * programmed again: forget its state, and for a sender start its
 * statistics afresh (its sequence numbers start again at 0). */
void ctl_reg_rearm(struct ctl_reg *r, struct ctl_reg_sess *s);
/* One result record from the fast path. */
void ctl_reg_result(struct ctl_reg *r, const struct tw_ipc_result *res);
/* A session event / a sender's summary. */
void ctl_reg_event(struct ctl_reg *r, const struct tw_ipc_session_event *ev);
void ctl_reg_summary(struct ctl_reg *r, const struct tw_ipc_sender_summary *sm);
/* Settle sender statistics whose loss timeout passed (wall clock ns); log
 * threshold crossings. */
void ctl_reg_tick(struct ctl_reg *r, int64_t now_ns);

/* Names as the admin protocol and /metrics write them. */
const char *ctl_reg_kind_name(uint8_t kind);
const char *ctl_reg_sec_name(uint8_t sec);
const char *ctl_reg_proto_name(uint8_t proto);
const char *ctl_reg_event_name(unsigned ev);
/* "adding" until the fast path ACKed, then the last event's name. */
const char *ctl_reg_state_name(const struct ctl_reg_sess *s);

#endif
