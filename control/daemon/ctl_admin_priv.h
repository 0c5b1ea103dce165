/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_admin internals, shared by its files (split by concern):
 *   ctl_admin.c        the UNIX sockets: listeners, clients, line framing,
 *                      output buffering and back-pressure, subscriptions;
 *   ctl_admin_args.c   argument readers (JSON members -> checked values);
 *   ctl_admin_cmd.c    the commands and their fast-path requests;
 *   ctl_admin_event.c  fast-path events -> registry and subscribers.
 * The sessions themselves live in ctl_reg, the live counters in ctl_live.
 */
#ifndef CTL_ADMIN_PRIV_H
#define CTL_ADMIN_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl_admin.h"
#include "ctl_conf.h"
#include "ctl_json.h"
#include "ctl_loop.h"

#define ADM_LINE_MAX   4096
#define ADM_OUT_MAX    (1u << 20) /* subscriber back-pressure limit (doc) */
/* Client limits per socket, so the world-writable read-only socket cannot
 * lock out the group-restricted full one (bgpd keeps a restricted control
 * socket the same way).  On the read-only socket one local user holds at
 * most ADM_RO_PER_UID connections, and a client that neither sends a
 * request nor follows a session for admin-idle-timeout is closed. */
#define ADM_MAX_CLIENT  32 /* per socket */
#define ADM_RO_PER_UID  8
#define ADM_MAX_SUBS   16

struct adm_listener;

struct adm_client {
	struct ctl_io io;
	struct ctl_admin *a;
	struct adm_listener *lst; /* the socket it came through (its client count) */
	uint64_t serial;
	uint64_t last_ms; /* accept, or the last complete request line (CLOCK_MONOTONIC ms) */
	uid_t uid;        /* SO_PEERCRED */
	bool ro, dead, skipping;
	char in[ADM_LINE_MAX + 1];
	size_t in_len;
	struct ctl_jb out;
	size_t out_off;
	uint64_t dropped;
	uint32_t subs[ADM_MAX_SUBS]; /* subscribed session ids; 0 = every session */
	unsigned n_subs;
	struct adm_client *next;
};

struct adm_listener {
	struct ctl_io io;
	struct ctl_admin *a;
	bool ro;
	unsigned n_clients;
	char path[CTL_CONF_UNIX_MAX];
};

struct ctl_admin {
	struct ctl_daemon *d;
	struct adm_listener lst[2];
	unsigned n_lst;
	struct adm_client *clients;
	uint64_t next_serial;
	uint64_t refused_log_ms; /* last "refused" log line (one a second at most) */
};

/* ctl_admin.c: output to one client, or to every subscriber of a session. */
void adm_send_line(struct adm_client *c, struct ctl_jb *b);
void adm_flush(struct adm_client *c);
void adm_broadcast(struct ctl_admin *a, uint32_t session, struct ctl_jb *b);
void adm_flush_all(struct ctl_admin *a);
struct adm_client *adm_client_by_serial(struct ctl_admin *a, uint64_t serial);
/* Add a subscription; false when the client has ADM_MAX_SUBS. */
bool adm_subscribe(struct adm_client *c, uint32_t session);
void adm_unsubscribe(struct adm_client *c, uint32_t session);

/* Replies: {"id":N,"ok":B, ...}. */
void adm_reply_begin(struct ctl_jb *b, uint64_t id, bool ok);
void adm_reply_end(struct adm_client *c, struct ctl_jb *b);
void adm_reply_err(struct adm_client *c, uint64_t id, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void adm_reply_ok(struct adm_client *c, uint64_t id);

/* ctl_admin_cmd.c: one request line; forget a session (and free the test
 * port of a listener). */
void adm_handle_line(struct adm_client *c, const char *line, size_t len);
void adm_sess_remove(struct ctl_admin *a, uint32_t id);

/* ctl_admin_cc.c: twinhopd's Control-Clients (ctl_cc) and their commands
 * client-add, client-session-add, client-start, client-del; their part of
 * show-sessions. */
struct ctl_cc *adm_cc_new(struct ctl_admin *a);
void adm_cmd_client(struct adm_client *c, uint64_t id, const struct ctl_json_obj *o,
                    const char *cmd);
void adm_clients_json(struct ctl_jb *b, struct ctl_daemon *d);

#endif
