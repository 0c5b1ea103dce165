/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_cc: twinhopd's own TWAMP-Control Control-Clients (RFC 5357 §3), the
 * RFC 8913 `control-client` ctrl-connections that `twinhop config import`
 * creates through the admin socket.  Each connection embeds the sans-I/O
 * Control-Client of control/client (ctl_client) in the daemon's epoll loop:
 *
 *   IDLE --start--> CONNECTING --TCP up--> NEGOTIATING --Server-Start 0-->
 *   NEGOTIATED (Request-TW-Session each test session, Start-Sessions)
 *   --Start-Ack 0, SENDER_ADD each--> RUNNING --every sender ended--> ENDED
 *   any failure --> RETRYING --backoff--> CONNECTING
 *
 * The senders are programmed exactly as `twinhop measure --engine fastpath`
 * programs them (SID, test keys and Accept-Session Port; spec §3.5), through
 * ops->sender_add, which the daemon implements with its session registry,
 * so they show up, report and survive a fast-path restart like any sender.
 * Deleting a connection sends Stop-Sessions (§2.11) and removes its
 * senders.  Every wait has a deadline, every failure a counter (CC_*).
 *
 * Owns its sockets (non-blocking connect, recv, send) but takes them from
 * ops->connect and its clock from the caller, so the unit tests drive it
 * over a socketpair against crafted server bytes.
 */
#ifndef CTL_CC_H
#define CTL_CC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ctl_loop.h"
#include "ctl_server.h"
#include "tw_ctl.h"
#include "tw_ipc.h"

#define CTL_CC_MAX_CONN       16    /* control-client connections */
#define CTL_CC_MAX_SESS       16    /* test sessions per connection */
#define CTL_CC_NAME_MAX       64    /* with NUL, as ctl_reg names */
#define CTL_CC_CONNECT_MS     10000 /* TCP connect */
#define CTL_CC_REPLY_MS       30000 /* each answer of the server */
#define CTL_CC_BACKOFF_MIN_MS 1000
#define CTL_CC_BACKOFF_MAX_MS 60000
#define CTL_CC_ERR_MAX        160

enum ctl_cc_state {
	CTL_CC_IDLE,        /* configured, not started */
	CTL_CC_CONNECTING,  /* TCP connect in progress */
	CTL_CC_NEGOTIATING, /* greeting .. Server-Start */
	CTL_CC_NEGOTIATED,  /* requesting and starting the sessions */
	CTL_CC_RUNNING,     /* Start-Ack 0: the senders run */
	CTL_CC_RETRYING,    /* failed; connects again at the deadline */
	CTL_CC_ENDED,       /* every sender ended: Stop-Sessions sent, closed */
};

/* A ctrl-connection. */
struct ctl_cc_cfg {
	char name[CTL_CC_NAME_MAX];
	struct sockaddr_storage server; /* address and TCP port */
	struct tw_ipc_addr local;       /* sender address; family 0: the TCP local one */
	uint32_t modes;                 /* allowed base modes (TW_CTL_MODE_*); 0 = open */
	uint32_t prefer[4];    /* the same in order of preference, 0-terminated (RFC 8913) */
	uint8_t max_count_exp; /* greeting Count accepted up to 2^this; 0 = 2^15 */
	char key_id[TW_CTL_KEYID_LEN + 1];
};

/* A test session of one (Request-TW-Session + the sender's schedule). */
struct ctl_cc_sess_cfg {
	char name[CTL_CC_NAME_MAX];
	struct tw_ipc_addr peer; /* reflector; family 0: the server's address */
	uint16_t local_port;     /* sender UDP port */
	uint16_t peer_port;      /* wish; the server picks (Accept-Session Port) */
	uint32_t padding;
	uint8_t dscp;
	bool poisson;
	uint64_t interval_ns, count, duration_ns;
	uint64_t loss_timeout_ns; /* also the Request-TW-Session Timeout */
};

struct ctl_cc_ops {
	/* Begin a non-blocking TCP connect: the socket, or -1 with errno. */
	int (*connect)(void *ctx, const struct sockaddr_storage *server);
	/* KeyID -> secret; false if unknown. */
	bool (*key_lookup)(void *ctx, const char *key_id, const uint8_t **secret, size_t *len);
	/* Program a sender (sa complete but for sa->session, which this sets);
	 * the fast path's answer comes back through ctl_cc_sender_reply().
	 * false when it cannot be queued. */
	bool (*sender_add)(void *ctx, const char *name, const char *group,
	                   struct tw_ipc_sender_add *sa);
	/* Remove a sender (and its registry entry). */
	void (*sender_del)(void *ctx, uint32_t session);
	/* Has the sender ended (count, duration, error, or gone)? */
	bool (*sender_ended)(void *ctx, uint32_t session);
};

struct ctl_cc_env {
	const struct ctl_cc_ops *ops;
	void *ctx;
	struct ctl_loop *loop;
	struct ctl_counters *cnt;
};

/* What show-sessions reports of one connection. */
struct ctl_cc_info {
	uint32_t id;
	const struct ctl_cc_cfg *cfg;
	enum ctl_cc_state state;
	bool started;
	uint32_t mode;     /* negotiated (0 before Server-Start) */
	unsigned attempts; /* connects so far */
	uint64_t retry_at; /* RETRYING: monotonic ms of the next connect */
	const char *error; /* the last failure, "" if none */
	unsigned n_sess;
	const struct ctl_cc_sess_cfg *sess; /* [n_sess] */
	const uint32_t *sender;             /* [n_sess] registry session, 0 = none */
	const uint16_t *port;               /* [n_sess] Accept-Session Port, 0 = none */
	const uint8_t (*sid)[TW_CTL_SID_LEN];
};

struct ctl_cc;

struct ctl_cc *ctl_cc_new(const struct ctl_cc_env *env);
/* Closes every connection (no Stop-Sessions: closing the control
 * connection ends the sessions at the server, RFC 5357 §3.8). */
void ctl_cc_free(struct ctl_cc *cc);

/* 0 and *id, or -1 and a message (name taken, limit, bad cfg). */
int ctl_cc_add(struct ctl_cc *cc, const struct ctl_cc_cfg *cfg, uint32_t *id, char *err,
               size_t errlen);
/* Only before ctl_cc_start(). */
int ctl_cc_sess_add(struct ctl_cc *cc, uint32_t id, const struct ctl_cc_sess_cfg *s, char *err,
                    size_t errlen);
int ctl_cc_start(struct ctl_cc *cc, uint32_t id, uint64_t now_ms, char *err, size_t errlen);
/* Stop-Sessions if running, close, remove the senders; false if unknown. */
bool ctl_cc_del(struct ctl_cc *cc, uint32_t id, uint64_t now_ms);

/* By name; 0 if none. */
uint32_t ctl_cc_find(const struct ctl_cc *cc, const char *name);
/* The connection owning a sender; 0 if none. */
uint32_t ctl_cc_owner(const struct ctl_cc *cc, uint32_t session);
unsigned ctl_cc_count(const struct ctl_cc *cc);
/* The i-th connection in use (0 .. count-1); false past the end. */
bool ctl_cc_info(const struct ctl_cc *cc, unsigned i, struct ctl_cc_info *out);

/* Timers: next deadline (monotonic ms, UINT64_MAX if none) and expiry
 * (connect/answer timeouts, retries, senders that ended). */
uint64_t ctl_cc_deadline(const struct ctl_cc *cc);
void ctl_cc_tick(struct ctl_cc *cc, uint64_t now_ms);
/* The fast path answered a sender_add: TW_E_OK or why not. */
void ctl_cc_sender_reply(struct ctl_cc *cc, uint32_t session, bool ok, const char *why,
                         uint64_t now_ms);

const char *ctl_cc_state_name(enum ctl_cc_state s);

#endif
