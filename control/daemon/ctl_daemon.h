/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_daemon: the daemon context.  twinhopd.c builds it and passes it down
 * to the modules that serve it (ctl_admin, ctl_metrics, ctl_live); it names
 * only modules below them (configuration, keys, loop, fast-path bridge,
 * TWAMP-Control server, session registry), so nothing reaches back up.
 */
#ifndef CTL_DAEMON_H
#define CTL_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_conf.h"
#include "ctl_flows.h"
#include "ctl_fp.h"
#include "ctl_keys.h"
#include "ctl_loop.h"
#include "ctl_server.h"

struct ctl_reg;
struct ctl_live;
struct ctl_peers;
struct ctl_cc;

/* One TWAMP-Control connection. */
struct ctl_conn {
	struct ctl_io io;
	struct ctl_daemon *d;
	struct ctl_srv *srv;
	bool dead;
	bool counted;   /* holds a count in ctl_daemon.peers */
	bool uncounted; /* evicted: already left n_conns */
	uint64_t deadline; /* ctl_srv_deadline() after the last service */
	struct ctl_conn *next;
};

struct ctl_listener {
	struct ctl_io io;
	struct ctl_daemon *d;
};

struct ctl_daemon {
	struct ctl_conf conf;
	struct ctl_keys *keys;
	struct ctl_loop *loop;
	struct ctl_fp *fp;
	struct ctl_reg *reg;   /* sessions created through the admin socket */
	struct ctl_live *live; /* latest STATS per session */
	struct ctl_cc *cc;     /* our own Control-Clients (RFC 8913 control-client) */
	struct ctl_counters cnt;
	struct ctl_srv_env env;
	struct ctl_listener lst[CTL_CONF_MAX_LISTEN];
	unsigned n_lst;
	struct ctl_conn *conns;
	unsigned n_conns;
	uint8_t port_used[65536]; /* a listener's, or carrying flows */
	struct ctl_flows *flows;  /* reflector flows and their ports */
	struct ctl_peers *peers;      /* open connections per source address */
	uint64_t accept_paused_until; /* listeners off until then (EMFILE), 0 = on */
	uint64_t accept_warn_ms;      /* rate limit of the accept() warning */
	uint32_t sessions_held;       /* TWAMP-Control sessions until deleted (max-sessions) */
	uint32_t next_session;
	uint64_t start_ms;
	volatile int stop;
	volatile int reload; /* SIGHUP seen */
	bool debug;          /* -D: log level debug whatever the file says */
};

/* Release a UDP port an admin listener held. */
void ctl_daemon_port_free(struct ctl_daemon *d, uint16_t port);
uint32_t ctl_daemon_session_id(struct ctl_daemon *d);
/* Derive the TWAMP-Control server's settings (env) and the log level from
 * d->conf: after start-up, a reload (SIGHUP) and an admin `config-set`. */
void ctl_daemon_apply_env(struct ctl_daemon *d);

#endif
