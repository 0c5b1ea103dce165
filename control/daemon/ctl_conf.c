/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_conf: hand-written line parser, one branch per directive (chrony's
 * CNF_ParseLine shape), and the canonical printer.
 */
#include "ctl_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "ctl_keys.h"
#include "tw_config.h"
#include "tw_ctl.h"
#include "tw_ipc.h"

#define MAX_TOK 32

struct parse {
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
	unsigned seen[32]; /* line of the first occurrence, per directive */
};

static int perr(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct parse *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line)
		snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->name, msg);
	return -1;
}

void ctl_conf_defaults(struct ctl_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->modes = TW_CTL_MODE_OPEN;
	c->pbkdf2_count = 2048; /* twampd's default (§2.1) */
	c->max_connections = 64;
	/* Connection limits (docs/control.md "Connection limits"): one address
	 * holds a few connections, a client that has not authenticated within
	 * setup-timeout is closed, and so is one whose sessions all ended. */
	c->max_connections_per_address = 8;
	c->setup_timeout_s = 10;
	c->ended_timeout_s = 60;
	c->tcp_keepalive_s = 60;
	c->admin_idle_timeout_s = 60; /* read-only admin socket (docs/admin-protocol.md) */
	c->max_sessions_per_connection = 16;
	c->max_sessions_per_client = 64;
	/* Sessions held daemon-wide, lingering ones included: 64 clients at
	 * their max-sessions-per-client, a 32nd of the fast path's default
	 * table (--max-sessions 131072), so clients from many addresses (one
	 * IPv6 /64 is 2^64 of them) cannot fill it (docs/control.md). */
	c->max_sessions = 4096;
	c->test_port_min = 20000;
	c->test_port_max = 39999;
	c->servwait_s = 900; /* §2.14 */
	c->refwait_s = 900;
	c->fp_timeout_ms = 2000;
	/* Issue 8 §6b: a twinhopd killed with -9 leaves its sessions in the
	 * fast path; they go after this long without its heartbeat. */
	c->fp_grace_s = 10;
	snprintf(c->fp_region, sizeof(c->fp_region), "/twinhop-fp0");
	snprintf(c->user, sizeof(c->user), "nobody");
	c->seccomp = true;
	snprintf(c->admin_socket, sizeof(c->admin_socket), "%s/twinhopd.sock", TW_RUNSTATEDIR);
	c->log_level = LOG_INFO;
	c->stats_interval_ms = 1000;
	/* Both families on port 862 (§1) until the file names a listen. */
	struct sockaddr_in *s4 = (struct sockaddr_in *)&c->listen[0].ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(862);
	c->listen[0].len = sizeof(*s4);
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&c->listen[1].ss;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(862);
	c->listen[1].len = sizeof(*s6);
	c->n_listen = 2;
}

/* ---- values ---------------------------------------------------------------------- */

static int parse_u32(struct parse *p, const char *what, const char *s, uint32_t min, uint32_t max,
                     uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s == '-' || *s == '+' || !*s)
		return perr(p, "%s: '%s' is not a number", what, s);
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return perr(p, "%s: '%s' is not a number", what, s);
	if (v < min || v > max)
		return perr(p, "%s: %llu out of range %u..%u", what, v, min, max);
	*out = (uint32_t)v;
	return 0;
}

static int parse_addr(const char *s, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

static const struct {
	const char *name;
	uint32_t bit;
} mode_names[] =
    {
        {"open", TW_CTL_MODE_OPEN},
        {"authenticated", TW_CTL_MODE_AUTH},
        {"encrypted", TW_CTL_MODE_ENCRYPTED},
        {"mixed", TW_CTL_MODE_MIXED},
},
  feature_names[] = {
      {"individual-sessions", TW_CTL_MODE_INDIV_SESSIONS},
      {"reflect-octets", TW_CTL_MODE_REFLECT_OCTETS},
      {"symmetrical-size", TW_CTL_MODE_SYMMETRICAL},
      {"dscp-ecn", TW_CTL_MODE_DSCP_ECN},
      {"ptpv2", TW_CTL_MODE_PTPV2},
};

static int parse_modes(struct parse *p, const char *what, char **tok, int nt, uint32_t *out)
{
	uint32_t m = 0;

	if (nt == 0)
		return perr(p, "%s: expected at least one of open, authenticated, encrypted, mixed",
		            what);
	for (int i = 0; i < nt; i++) {
		size_t k;
		for (k = 0; k < sizeof(mode_names) / sizeof(mode_names[0]); k++)
			if (!strcmp(tok[i], mode_names[k].name))
				break;
		if (k == sizeof(mode_names) / sizeof(mode_names[0]))
			return perr(p,
			            "%s: unknown mode '%s' (open, authenticated, encrypted, mixed)",
			            what, tok[i]);
		m |= mode_names[k].bit;
	}
	*out = m;
	return 0;
}

static int parse_bool(struct parse *p, const char *what, const char *s, bool *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "on"))
		*out = true;
	else if (!strcmp(s, "no") || !strcmp(s, "off"))
		*out = false;
	else
		return perr(p, "%s: expected yes or no, not '%s'", what, s);
	return 0;
}

static int parse_str(struct parse *p, const char *what, const char *s, char *out, size_t cap)
{
	if (strlen(s) >= cap)
		return perr(p, "%s: longer than %zu characters", what, cap - 1);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static const char *const log_levels[] = {"error", "warning", "info", "debug"};
static const int log_prios[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

/* ---- directives ------------------------------------------------------------------- */

enum dir_id {
	D_ADMIN_GROUP,
	D_ADMIN_IDLE,
	D_ADMIN_SOCKET,
	D_ADMIN_SOCKET_RO,
	D_ALLOW,
	D_ENDED_TIMEOUT,
	D_FEATURES,
	D_FP_GRACE,
	D_FP_REGION,
	D_FP_TIMEOUT,
	D_KEYFILE,
	D_LISTEN,
	D_LOG_LEVEL,
	D_MAX_CONN,
	D_MAX_CONN_ADDR,
	D_MAX_SESS,
	D_MAX_SESS_CLIENT,
	D_MAX_SESS_CONN,
	D_METRICS_LISTEN,
	D_MODES,
	D_PBKDF2,
	D_REFWAIT,
	D_SECCOMP,
	D_SERVWAIT,
	D_SETUP_TIMEOUT,
	D_STATS_INTERVAL,
	D_TCP_KEEPALIVE,
	D_TEST_PORTS,
	D_THRESHOLD,
	D_USER,
	D__COUNT
};

static const struct {
	const char *name;
	int min_args, max_args; /* -1: unbounded */
	bool repeat;
} dirs[D__COUNT] = {
    [D_ADMIN_GROUP] = {"admin-group", 1, 1, false},
    [D_ADMIN_IDLE] = {"admin-idle-timeout", 1, 1, false},
    [D_ADMIN_SOCKET] = {"admin-socket", 1, 1, false},
    [D_ADMIN_SOCKET_RO] = {"admin-socket-ro", 1, 1, false},
    [D_ALLOW] = {"allow", 1, -1, true},
    [D_ENDED_TIMEOUT] = {"ended-timeout", 1, 1, false},
    [D_FEATURES] = {"features", 1, -1, false},
    [D_FP_GRACE] = {"fp-grace", 1, 1, false},
    [D_FP_REGION] = {"fp-region", 1, 1, false},
    [D_FP_TIMEOUT] = {"fp-timeout", 1, 1, false},
    [D_KEYFILE] = {"keyfile", 1, 1, false},
    [D_LISTEN] = {"listen", 1, 2, true},
    [D_LOG_LEVEL] = {"log-level", 1, 1, false},
    [D_MAX_CONN] = {"max-connections", 1, 1, false},
    [D_MAX_CONN_ADDR] = {"max-connections-per-address", 1, 1, false},
    [D_MAX_SESS] = {"max-sessions", 1, 1, false},
    [D_MAX_SESS_CLIENT] = {"max-sessions-per-client", 1, 1, false},
    [D_MAX_SESS_CONN] = {"max-sessions-per-connection", 1, 1, false},
    [D_METRICS_LISTEN] = {"metrics-listen", 1, 2, false},
    [D_MODES] = {"modes", 1, -1, false},
    [D_PBKDF2] = {"pbkdf2-count", 1, 1, false},
    [D_REFWAIT] = {"refwait", 1, 1, false},
    [D_SECCOMP] = {"seccomp", 1, 1, false},
    [D_SERVWAIT] = {"servwait", 1, 1, false},
    [D_SETUP_TIMEOUT] = {"setup-timeout", 1, 1, false},
    [D_STATS_INTERVAL] = {"stats-interval", 1, 1, false},
    [D_TCP_KEEPALIVE] = {"tcp-keepalive", 1, 1, false},
    [D_TEST_PORTS] = {"test-ports", 1, 1, false},
    [D_THRESHOLD] = {"threshold", 2, 3, true},
    [D_USER] = {"user", 1, 1, false},
};

static const char *const thr_names[CTL_CONF_THR_KINDS] = {"rtt", "forward", "backward", "ipdv",
                                                          "loss"};

const char *ctl_conf_thr_name(unsigned kind)
{
	return kind < CTL_CONF_THR_KINDS ? thr_names[kind] : "?";
}

/* threshold KIND RAISE [CLEAR]: delays in microseconds, loss in ppm. */
static int do_threshold(struct parse *p, struct ctl_conf *c, char **a, int na)
{
	unsigned k;
	uint32_t raise, clear;

	for (k = 0; k < CTL_CONF_THR_KINDS; k++)
		if (!strcmp(a[0], thr_names[k]))
			break;
	if (k == CTL_CONF_THR_KINDS)
		return perr(p, "threshold: unknown kind '%s' (rtt, forward, backward, ipdv, loss)",
		            a[0]);
	if (parse_u32(p, "threshold", a[1], 1, k == 4 ? 1000000u : 60000000u, &raise))
		return -1;
	clear = raise;
	if (na == 3 && parse_u32(p, "threshold", a[2], 0, raise, &clear))
		return -1;
	c->thr[k].raise = raise;
	c->thr[k].clear = clear;
	return 0;
}

static int do_listen_addr(struct parse *p, const char *what, struct ctl_conf_listen *l, char **a,
                          int na, uint32_t port)
{
	if (parse_addr(a[0], &l->ss))
		return perr(p, "%s: '%s' is not an IPv4 or IPv6 address", what, a[0]);
	if (na == 2 && parse_u32(p, what, a[1], 1, 65535, &port))
		return -1;
	if (l->ss.ss_family == AF_INET) {
		((struct sockaddr_in *)&l->ss)->sin_port = htons((uint16_t)port);
		l->len = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&l->ss)->sin6_port = htons((uint16_t)port);
		l->len = sizeof(struct sockaddr_in6);
	}
	return 0;
}

static int do_listen(struct parse *p, struct ctl_conf *c, char **a, int na)
{
	struct ctl_conf_listen *l;
	uint32_t port = 862;

	if (c->n_listen == CTL_CONF_MAX_LISTEN)
		return perr(p, "listen: more than %u addresses", CTL_CONF_MAX_LISTEN);
	l = &c->listen[c->n_listen];
	if (parse_addr(a[0], &l->ss))
		return perr(p, "listen: '%s' is not an IPv4 or IPv6 address", a[0]);
	if (na == 2 && parse_u32(p, "listen", a[1], 1, 65535, &port))
		return -1;
	if (l->ss.ss_family == AF_INET) {
		((struct sockaddr_in *)&l->ss)->sin_port = htons((uint16_t)port);
		l->len = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&l->ss)->sin6_port = htons((uint16_t)port);
		l->len = sizeof(struct sockaddr_in6);
	}
	c->n_listen++;
	return 0;
}

static int do_allow(struct parse *p, struct ctl_conf *c, char **a, int na)
{
	struct ctl_conf_allow *al;
	struct sockaddr_storage ss;
	char buf[64];
	char *slash;
	uint32_t plen;

	if (c->n_allow == CTL_CONF_MAX_ALLOW)
		return perr(p, "allow: more than %u rules", CTL_CONF_MAX_ALLOW);
	al = &c->allow[c->n_allow];
	if (parse_str(p, "allow", a[0], buf, sizeof(buf)))
		return -1;
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (parse_addr(buf, &ss))
		return perr(p, "allow: '%s' is not an address prefix", a[0]);
	al->family = (uint8_t)ss.ss_family;
	uint32_t maxp = ss.ss_family == AF_INET ? 32 : 128;
	plen = maxp;
	if (slash && parse_u32(p, "allow prefix length", slash + 1, 0, maxp, &plen))
		return -1;
	al->plen = (uint8_t)plen;
	uint8_t bytes[16] = {0};
	if (ss.ss_family == AF_INET)
		memcpy(bytes, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	else
		memcpy(bytes, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	for (unsigned i = 0; i < maxp; i++)
		if (i >= plen && (bytes[i / 8] >> (7 - i % 8) & 1))
			return perr(p, "allow: '%s' has host bits set", a[0]);
	memcpy(al->addr, bytes, 16);
	al->modes = 0;
	al->third_party = false;
	/* After the prefix: "modes M..." and/or "third-party", in any order. */
	for (int i = 1; i < na;) {
		if (!strcmp(a[i], "third-party")) {
			al->third_party = true;
			i++;
			continue;
		}
		if (strcmp(a[i], "modes"))
			return perr(p,
			            "allow: expected 'modes' or 'third-party' after the prefix, "
			            "not '%s'",
			            a[i]);
		int j = i + 1;
		while (j < na && strcmp(a[j], "third-party"))
			j++;
		if (parse_modes(p, "allow modes", a + i + 1, j - i - 1, &al->modes))
			return -1;
		i = j;
	}
	c->n_allow++;
	return 0;
}

static int do_directive(struct parse *p, struct ctl_conf *c, enum dir_id d, char **a, int na)
{
	uint32_t v;

	switch (d) {
	case D_ADMIN_GROUP:
		return parse_str(p, "admin-group", a[0], c->admin_group, sizeof(c->admin_group));
	case D_ADMIN_IDLE:
		return parse_u32(p, "admin-idle-timeout", a[0], 1, 86400, &c->admin_idle_timeout_s);
	case D_ADMIN_SOCKET:
	case D_ADMIN_SOCKET_RO: {
		char *dst = d == D_ADMIN_SOCKET ? c->admin_socket : c->admin_socket_ro;
		if (d == D_ADMIN_SOCKET_RO && !strcmp(a[0], "none")) {
			dst[0] = '\0';
			return 0;
		}
		if (a[0][0] != '/')
			return perr(p, "%s: '%s' is not an absolute path", dirs[d].name, a[0]);
		return parse_str(p, dirs[d].name, a[0], dst, CTL_CONF_UNIX_MAX);
	}
	case D_ALLOW:
		return do_allow(p, c, a, na);
	case D_FEATURES:
		c->features = 0;
		if (na == 1 && !strcmp(a[0], "none"))
			return 0;
		for (int i = 0; i < na; i++) {
			size_t k;
			for (k = 0; k < sizeof(feature_names) / sizeof(feature_names[0]); k++)
				if (!strcmp(a[i], feature_names[k].name))
					break;
			if (k == sizeof(feature_names) / sizeof(feature_names[0]))
				return perr(p,
				            "features: unknown feature '%s' (individual-sessions, "
				            "reflect-octets, symmetrical-size, dscp-ecn, ptpv2, none)",
				            a[i]);
			c->features |= feature_names[k].bit;
		}
		return 0;
	case D_FP_GRACE:
		return parse_u32(p, "fp-grace", a[0], TW_IPC_GRACE_MIN_MS / 1000,
		                 TW_IPC_GRACE_MAX_MS / 1000, &c->fp_grace_s);
	case D_FP_REGION:
		return parse_str(p, "fp-region", a[0], c->fp_region, sizeof(c->fp_region));
	case D_FP_TIMEOUT:
		return parse_u32(p, "fp-timeout", a[0], 10, 60000, &c->fp_timeout_ms);
	case D_KEYFILE:
		return parse_str(p, "keyfile", a[0], c->keyfile, sizeof(c->keyfile));
	case D_LISTEN:
		return do_listen(p, c, a, na);
	case D_LOG_LEVEL:
		for (unsigned i = 0; i < 4; i++)
			if (!strcmp(a[0], log_levels[i])) {
				c->log_level = log_prios[i];
				return 0;
			}
		return perr(p, "log-level: expected error, warning, info or debug, not '%s'", a[0]);
	case D_MAX_CONN:
		return parse_u32(p, "max-connections", a[0], 1, 65536, &c->max_connections);
	case D_MAX_CONN_ADDR:
		return parse_u32(p, "max-connections-per-address", a[0], 1, 65536,
		                 &c->max_connections_per_address);
	case D_SETUP_TIMEOUT:
		return parse_u32(p, "setup-timeout", a[0], 1, 3600, &c->setup_timeout_s);
	case D_ENDED_TIMEOUT:
		return parse_u32(p, "ended-timeout", a[0], 1, 86400, &c->ended_timeout_s);
	case D_TCP_KEEPALIVE:
		return parse_u32(p, "tcp-keepalive", a[0], 0, 86400, &c->tcp_keepalive_s);
	case D_MAX_SESS:
		return parse_u32(p, "max-sessions", a[0], 1, 1048576, &c->max_sessions);
	case D_MAX_SESS_CLIENT:
		return parse_u32(p, "max-sessions-per-client", a[0], 1, 65536,
		                 &c->max_sessions_per_client);
	case D_MAX_SESS_CONN:
		return parse_u32(p, "max-sessions-per-connection", a[0], 1, 4096,
		                 &c->max_sessions_per_connection);
	case D_METRICS_LISTEN:
		if (na == 1 && !strcmp(a[0], "none")) {
			c->metrics_on = false;
			return 0;
		}
		c->metrics_on = true;
		return do_listen_addr(p, "metrics-listen", &c->metrics, a, na, 9862);
	case D_MODES:
		return parse_modes(p, "modes", a, na, &c->modes);
	case D_PBKDF2:
		if (parse_u32(p, "pbkdf2-count", a[0], CTL_CONF_PBKDF2_MIN, CTL_CONF_PBKDF2_MAX,
		              &v))
			return -1;
		if (v & (v - 1))
			return perr(p, "pbkdf2-count: %u is not a power of two (RFC 4656 §3.1)", v);
		c->pbkdf2_count = v;
		return 0;
	case D_REFWAIT:
		return parse_u32(p, "refwait", a[0], 1, 86400, &c->refwait_s);
	case D_SECCOMP:
		return parse_bool(p, "seccomp", a[0], &c->seccomp);
	case D_SERVWAIT:
		return parse_u32(p, "servwait", a[0], 0, 86400, &c->servwait_s);
	case D_STATS_INTERVAL:
		return parse_u32(p, "stats-interval", a[0], 0, 3600000, &c->stats_interval_ms);
	case D_THRESHOLD:
		return do_threshold(p, c, a, na);
	case D_TEST_PORTS: {
		char buf[32];
		char *dash;
		uint32_t lo, hi;
		if (parse_str(p, "test-ports", a[0], buf, sizeof(buf)))
			return -1;
		dash = strchr(buf, '-');
		if (!dash)
			return perr(p, "test-ports: expected MIN-MAX, not '%s'", a[0]);
		*dash = '\0';
		if (parse_u32(p, "test-ports", buf, 1, 65535, &lo) ||
		    parse_u32(p, "test-ports", dash + 1, 1, 65535, &hi))
			return -1;
		if (lo > hi)
			return perr(p, "test-ports: %u is above %u", lo, hi);
		c->test_port_min = (uint16_t)lo;
		c->test_port_max = (uint16_t)hi;
		return 0;
	}
	case D_USER:
		return parse_str(p, "user", a[0], c->user, sizeof(c->user));
	default:
		return perr(p, "internal error");
	}
}

int ctl_conf_parse(const char *name, const char *text, struct ctl_conf *c, char *err, size_t errlen)
{
	struct parse p = {.name = name, .err = err, .errlen = errlen};
	const char *s = text;
	bool listen_seen = false;

	while (*s) {
		const char *eol = strchr(s, '\n');
		size_t ll = eol ? (size_t)(eol - s) : strlen(s);
		char line[1024];
		char *tok[MAX_TOK];
		int nt = 0;

		p.line++;
		if (ll >= sizeof(line))
			return perr(&p, "line longer than %zu characters", sizeof(line) - 1);
		memcpy(line, s, ll);
		line[ll] = '\0';
		s += ll + (eol ? 1 : 0);
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		for (char *save = NULL, *t = strtok_r(line, " \t\r", &save); t;
		     t = strtok_r(NULL, " \t\r", &save)) {
			if (nt == MAX_TOK)
				return perr(&p, "more than %d words", MAX_TOK - 1);
			tok[nt++] = t;
		}
		if (!nt)
			continue;
		unsigned d;
		for (d = 0; d < D__COUNT; d++)
			if (!strcmp(tok[0], dirs[d].name))
				break;
		if (d == D__COUNT)
			return perr(&p, "unknown directive '%s'", tok[0]);
		int na = nt - 1;
		if (na < dirs[d].min_args || (dirs[d].max_args >= 0 && na > dirs[d].max_args)) {
			if (dirs[d].max_args == dirs[d].min_args)
				return perr(&p, "%s: expected %d argument%s, got %d", tok[0],
				            dirs[d].min_args, dirs[d].min_args == 1 ? "" : "s", na);
			if (dirs[d].max_args < 0)
				return perr(&p, "%s: expected at least %d argument%s, got %d",
				            tok[0], dirs[d].min_args,
				            dirs[d].min_args == 1 ? "" : "s", na);
			return perr(&p, "%s: expected %d to %d arguments, got %d", tok[0],
			            dirs[d].min_args, dirs[d].max_args, na);
		}
		if (!dirs[d].repeat && p.seen[d])
			return perr(&p, "%s: already set at line %u", tok[0], p.seen[d]);
		if (!p.seen[d])
			p.seen[d] = p.line;
		if (d == D_LISTEN && !listen_seen) {
			c->n_listen = 0; /* the first listen replaces the default */
			listen_seen = true;
		}
		if (do_directive(&p, c, (enum dir_id)d, tok + 1, na))
			return -1;
	}
	/* Whole-file checks. */
	p.line = 0;
	if (!c->n_listen)
		return perr(&p, "no listen address");
	if ((c->modes & ~TW_CTL_MODE_OPEN) && !c->keyfile[0])
		return perr(&p, "modes authenticated, encrypted and mixed need a keyfile");
	for (unsigned i = 0; i < c->n_allow; i++)
		if (c->allow[i].modes & ~c->modes) {
			char m[64];
			tw_ctl_mode_format(c->allow[i].modes & ~c->modes, m, sizeof(m));
			return perr(&p, "allow rule %u names mode %s, which 'modes' does not offer",
			            i + 1, m);
		}
	if (!strcmp(c->admin_socket, c->admin_socket_ro))
		return perr(&p, "admin-socket and admin-socket-ro are the same path");
	return 0;
}

int ctl_conf_load(const char *path, struct ctl_conf *c, char *err, size_t errlen)
{
	char *text = ctl_read_file(path, 1u << 20, err, errlen);
	int rc;

	ctl_conf_defaults(c);
	if (!text)
		return -1;
	rc = ctl_conf_parse(path, text, c, err, errlen);
	free(text);
	return rc;
}

/* ---- printing ---------------------------------------------------------------------- */

void ctl_conf_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET
	                    ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
	                    : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (!inet_ntop(ss->ss_family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void ctl_conf_flow_str(const struct tw_ipc_addr *ad, uint16_t port, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN] = "*";
	if (ad->family == 4)
		inet_ntop(AF_INET, ad->addr, s, sizeof(s));
	else if (ad->family == 6)
		inet_ntop(AF_INET6, ad->addr, s, sizeof(s));
	if (ad->family == 6)
		snprintf(buf, len, "[%s]:%u", s, port);
	else
		snprintf(buf, len, "%s:%u", s, port);
}

void ctl_conf_addrport_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	uint16_t port;

	ctl_conf_addr_str(ss, a, sizeof(a));
	if (ss->ss_family == AF_INET) {
		port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
		snprintf(buf, len, "%s:%u", a, port);
	} else {
		port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
		snprintf(buf, len, "[%s]:%u", a, port);
	}
}

static unsigned listen_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static void print_modes(FILE *f, uint32_t m)
{
	for (size_t k = 0; k < sizeof(mode_names) / sizeof(mode_names[0]); k++)
		if (m & mode_names[k].bit)
			fprintf(f, " %s", mode_names[k].name);
}

void ctl_conf_print(const struct ctl_conf *c, FILE *f)
{
	char a[INET6_ADDRSTRLEN];

	if (c->admin_group[0])
		fprintf(f, "admin-group %s\n", c->admin_group);
	fprintf(f, "admin-idle-timeout %u\n", c->admin_idle_timeout_s);
	fprintf(f, "admin-socket %s\n", c->admin_socket);
	fprintf(f, "admin-socket-ro %s\n", c->admin_socket_ro[0] ? c->admin_socket_ro : "none");
	for (unsigned i = 0; i < c->n_allow; i++) {
		struct sockaddr_storage ss = {.ss_family = c->allow[i].family};
		if (ss.ss_family == AF_INET)
			memcpy(&((struct sockaddr_in *)&ss)->sin_addr, c->allow[i].addr, 4);
		else
			memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, c->allow[i].addr, 16);
		ctl_conf_addr_str(&ss, a, sizeof(a));
		fprintf(f, "allow %s/%u", a, c->allow[i].plen);
		if (c->allow[i].modes) {
			fprintf(f, " modes");
			print_modes(f, c->allow[i].modes);
		}
		if (c->allow[i].third_party)
			fprintf(f, " third-party");
		fprintf(f, "\n");
	}
	fprintf(f, "ended-timeout %u\n", c->ended_timeout_s);
	fprintf(f, "features");
	if (!c->features)
		fprintf(f, " none");
	for (size_t k = 0; k < sizeof(feature_names) / sizeof(feature_names[0]); k++)
		if (c->features & feature_names[k].bit)
			fprintf(f, " %s", feature_names[k].name);
	fprintf(f, "\n");
	fprintf(f, "fp-grace %u\n", c->fp_grace_s);
	fprintf(f, "fp-region %s\n", c->fp_region);
	fprintf(f, "fp-timeout %u\n", c->fp_timeout_ms);
	if (c->keyfile[0])
		fprintf(f, "keyfile %s\n", c->keyfile);
	for (unsigned i = 0; i < c->n_listen; i++) {
		ctl_conf_addr_str(&c->listen[i].ss, a, sizeof(a));
		fprintf(f, "listen %s %u\n", a, listen_port(&c->listen[i].ss));
	}
	for (unsigned i = 0; i < 4; i++)
		if (c->log_level == log_prios[i])
			fprintf(f, "log-level %s\n", log_levels[i]);
	fprintf(f, "max-connections %u\n", c->max_connections);
	fprintf(f, "max-connections-per-address %u\n", c->max_connections_per_address);
	fprintf(f, "max-sessions %u\n", c->max_sessions);
	fprintf(f, "max-sessions-per-client %u\n", c->max_sessions_per_client);
	fprintf(f, "max-sessions-per-connection %u\n", c->max_sessions_per_connection);
	if (c->metrics_on) {
		ctl_conf_addr_str(&c->metrics.ss, a, sizeof(a));
		fprintf(f, "metrics-listen %s %u\n", a, listen_port(&c->metrics.ss));
	} else {
		fprintf(f, "metrics-listen none\n");
	}
	fprintf(f, "modes");
	print_modes(f, c->modes);
	fprintf(f, "\n");
	fprintf(f, "pbkdf2-count %u\n", c->pbkdf2_count);
	fprintf(f, "refwait %u\n", c->refwait_s);
	fprintf(f, "seccomp %s\n", c->seccomp ? "yes" : "no");
	fprintf(f, "servwait %u\n", c->servwait_s);
	fprintf(f, "setup-timeout %u\n", c->setup_timeout_s);
	fprintf(f, "stats-interval %u\n", c->stats_interval_ms);
	fprintf(f, "tcp-keepalive %u\n", c->tcp_keepalive_s);
	fprintf(f, "test-ports %u-%u\n", c->test_port_min, c->test_port_max);
	for (unsigned k = 0; k < CTL_CONF_THR_KINDS; k++)
		if (c->thr[k].raise)
			fprintf(f, "threshold %s %u %u\n", thr_names[k], c->thr[k].raise,
			        c->thr[k].clear);
	fprintf(f, "user %s\n", c->user);
}

static bool prefix_match(const struct ctl_conf_allow *al, const uint8_t *addr)
{
	for (unsigned i = 0; i < al->plen; i++)
		if ((al->addr[i / 8] ^ addr[i / 8]) >> (7 - i % 8) & 1)
			return false;
	return true;
}

/* The longest allow rule matching a client address; NULL if none. */
static const struct ctl_conf_allow *allow_best(const struct ctl_conf *c,
                                               const struct sockaddr_storage *ss)
{
	const struct ctl_conf_allow *best = NULL;
	uint8_t addr[16] = {0};

	if (ss->ss_family == AF_INET)
		memcpy(addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		memcpy(addr, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	else
		return NULL;
	for (unsigned i = 0; i < c->n_allow; i++) {
		const struct ctl_conf_allow *al = &c->allow[i];
		if (al->family == ss->ss_family && prefix_match(al, addr) &&
		    (!best || al->plen > best->plen))
			best = al;
	}
	return best;
}

uint32_t ctl_conf_modes_for(const struct ctl_conf *c, const struct sockaddr_storage *ss)
{
	if (!c->n_allow)
		return c->modes | c->features;
	const struct ctl_conf_allow *best = allow_best(c, ss);
	if (!best)
		return 0;
	return (best->modes ? best->modes : c->modes) | c->features;
}

bool ctl_conf_third_party(const struct ctl_conf *c, const struct sockaddr_storage *ss)
{
	const struct ctl_conf_allow *best = allow_best(c, ss);
	return best && best->third_party;
}
