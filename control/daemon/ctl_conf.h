/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_conf: twinhopd configuration: a line-per-directive file parser with
 * file:line error messages and a canonical printer (`twinhopd -n`/`-nv`,
 * style anchor 12).  Every directive is documented in docs/control.md; the
 * printed form parses again to the same configuration.
 */
#ifndef CTL_CONF_H
#define CTL_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define CTL_CONF_MAX_LISTEN 16
#define CTL_CONF_MAX_ALLOW  256
#define CTL_CONF_PATH_MAX   256
#define CTL_CONF_NAME_MAX   64
#define CTL_CONF_UNIX_MAX   108 /* sun_path */

#define CTL_CONF_PBKDF2_MIN 1024u
#define CTL_CONF_PBKDF2_MAX (1u << 20)

struct ctl_conf_listen {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* allow PREFIX [modes MODE...] [third-party]: a client network, the base
 * modes offered to it, and whether its clients may name a Sender Address
 * other than their own (RFC 5357 §3.5 third-party senders; off by default:
 * an exposed reflector must not be aimed at someone else). */
struct ctl_conf_allow {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t plen;
	uint8_t addr[16];
	bool third_party;
	uint32_t modes; /* base modes; 0 = every configured mode */
};

/* Thresholds on sender sessions' statistics (tw_stats_thr_kind order):
 * rtt, forward, backward, ipdv in microseconds, loss in ppm. */
#define CTL_CONF_THR_KINDS 5

struct ctl_conf_thr {
	uint32_t raise, clear; /* raise 0 = off; clear <= raise */
};

struct ctl_conf {
	struct ctl_conf_listen listen[CTL_CONF_MAX_LISTEN];
	unsigned n_listen;
	uint32_t modes;    /* base modes offered (TW_CTL_MODE_OPEN...) */
	uint32_t features; /* feature bits offered (TW_CTL_MODE_INDIV_SESSIONS...) */
	char keyfile[CTL_CONF_PATH_MAX];
	uint32_t pbkdf2_count;
	uint32_t max_connections;
	uint32_t max_connections_per_address;
	uint32_t setup_timeout_s; /* pre-authentication deadline (Set-Up-Response) */
	uint32_t admin_idle_timeout_s; /* read-only admin client without request or subscription */
	uint32_t ended_timeout_s; /* after the last session of a connection ended */
	uint32_t tcp_keepalive_s; /* TCP_KEEPIDLE; 0 = no keepalive */
	uint32_t max_sessions_per_connection;
	uint32_t max_sessions_per_client;
	uint32_t max_sessions; /* held daemon-wide, until the fast path deleted them */
	struct ctl_conf_allow allow[CTL_CONF_MAX_ALLOW];
	unsigned n_allow;
	uint16_t test_port_min, test_port_max;
	uint32_t servwait_s;
	uint32_t refwait_s;
	uint32_t fp_timeout_ms;
	uint32_t fp_grace_s; /* fast path drops our sessions after this much silence */
	char fp_region[CTL_CONF_NAME_MAX];
	char user[CTL_CONF_NAME_MAX];
	char admin_group[CTL_CONF_NAME_MAX]; /* "" = keep the daemon's group */
	bool seccomp;
	char admin_socket[CTL_CONF_UNIX_MAX];
	char admin_socket_ro[CTL_CONF_UNIX_MAX]; /* "" = none */
	int log_level;                           /* syslog priority */
	/* OpenMetrics endpoint (docs/control.md "Metrics"); off unless set. */
	bool metrics_on;
	struct ctl_conf_listen metrics;
	uint32_t stats_interval_ms; /* STATS_REQUEST period; 0 = never */
	struct ctl_conf_thr thr[CTL_CONF_THR_KINDS];
};

/* "rtt", "forward", "backward", "ipdv", "loss". */
const char *ctl_conf_thr_name(unsigned kind);

/* Built-in defaults (docs/control.md). */
void ctl_conf_defaults(struct ctl_conf *c);

/* Parse text (named `name` in messages) over the defaults already in *c.
 * 0 on success; -1 with "name:line: what" (or "name: what") in err. */
int ctl_conf_parse(const char *name, const char *text, struct ctl_conf *c, char *err,
                   size_t errlen);
/* Read and parse a file (defaults applied first). */
int ctl_conf_load(const char *path, struct ctl_conf *c, char *err, size_t errlen);

/* Canonical form: every directive, defaults included, one per line. */
void ctl_conf_print(const struct ctl_conf *c, FILE *f);

/* Modes offered to a client address: base modes of the longest matching
 * allow rule (or the global ones without allow rules) | features;
 * 0 when allow rules exist and none matches. */
uint32_t ctl_conf_modes_for(const struct ctl_conf *c, const struct sockaddr_storage *ss);

/* May a client at this address request sessions whose Sender Address is
 * neither zero nor its own?  Only when its longest matching allow rule says
 * third-party. */
bool ctl_conf_third_party(const struct ctl_conf *c, const struct sockaddr_storage *ss);

/* Format an address (without port) / address:port ([v6]:port). */
void ctl_conf_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len);
void ctl_conf_addrport_str(const struct sockaddr_storage *ss, char *buf, size_t len);
/* A fast-path flow end (tw_ipc.h): "addr:port", "[v6]:port", "*:port"
 * (family 0: any). */
struct tw_ipc_addr;
void ctl_conf_flow_str(const struct tw_ipc_addr *ad, uint16_t port, char *buf, size_t len);

#endif
