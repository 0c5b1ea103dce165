/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twinhop: the command-line client.
 *
 *   twinhop measure HOST[:PORT] [options]   TWAMP client (RFC 5357): control
 *                                           via ctl_client, test packets via
 *                                           a cli_engine, metrics via tw_stats
 *   twinhop light-send HOST:PORT [options]  TWAMP Light / STAMP sender, no control
 *   twinhop status|sessions|counters|light|sender|admin ...
 *                                           twinhopd admin socket
 * See docs/client.md.  Exit status: 0 success, 1 failure (message on stderr),
 * 2 usage error, 3 measurement ran but no reply came back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli_admin.h"
#include "cli_engine.h"
#include "cli_report.h"
#include "ctl_client.h"
#include "tw_config.h"
#include "tw_crypto.h"
#include "tw_time.h"

#define EXIT_USAGE   2
#define EXIT_NOREPLY 3

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

__attribute__((format(printf, 1, 2))) static void die_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("twinhop: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- options --------------------------------------------------------------- */

struct opts {
	const char *target;
	uint32_t modes;
	char key_id[TW_CTL_KEYID_LEN + 1];
	const char *keyfile;
	const char *secret;
	uint64_t count;
	double interval;
	bool poisson;
	long padding; /* -1: default for the mode (wire ref §4.5) */
	int dscp;
	unsigned sessions;
	double timeout;
	double loss_timeout;
	int family;
	const char *engine;
	const char *local;
	unsigned sender_port;
	bool json, quiet;
	uint32_t pbkdf2_max;
	uint32_t features;
	const char *admin;
	/* light-send */
	bool stamp;
	unsigned ssid;
	const char *stamp_key;
};

static void usage(FILE *f)
{
	fputs("usage:\n"
	      "  twinhop measure HOST[:PORT] [options]     TWAMP client (control port 862)\n"
	      "  twinhop light-send HOST:PORT [options]    TWAMP Light / STAMP sender\n"
	      "  twinhop status | sessions | counters [--fp]\n"
	      "  twinhop light add --proto light|stamp --port N [--KEY VALUE ...]\n"
	      "  twinhop light del ID\n"
	      "  twinhop sender add --proto light|stamp --peer A --peer-port N --local A\n"
	      "                     --local-port N [--KEY VALUE ...]\n"
	      "  twinhop sender start|stop|del|watch ID\n"
	      "  twinhop admin '{\"cmd\":...}'               raw admin request\n"
	      "measure / light-send options:\n"
	      "  --mode LIST        allowed modes: open,auth,enc,mixed (default all)\n"
	      "  --keyid ID         KeyID (identity)\n"
	      "  --keyfile FILE     perfSONAR pass-phrase file (identity hex-passphrase)\n"
	      "  --secret TEXT      shared secret as text\n"
	      "  --count N          packets per session (default 100; 0 = until Ctrl-C)\n"
	      "  --interval S       mean seconds between packets (default 0.1)\n"
	      "  --rate PPS         packets per second (instead of --interval)\n"
	      "  --poisson          exponential gaps instead of periodic\n"
	      "  --padding N        Padding Length (default 27 open/mixed, 64 auth/enc)\n"
	      "  --dscp N           DSCP of test packets (Type-P)\n"
	      "  --sessions N       parallel test sessions (default 1)\n"
	      "  --timeout S        control reply deadline (default 10)\n"
	      "  --loss-timeout S   a packet is lost after this (default 2)\n"
	      "  -4, -6             address family\n"
	      "  --engine E         socket (default) or fastpath\n"
	      "  --local ADDR       local address for control and test\n"
	      "  --sender-port N    first local test port (default: any)\n"
	      "  --pbkdf2-max N     largest PBKDF2 count accepted (default 32768)\n"
	      "  --features LIST    ask for indiv,reflect-octets,symmetrical if offered\n"
	      "  --admin PATH       twinhopd admin socket (fastpath engine, appliance cmds)\n"
	      "  --stamp            light-send: STAMP packets (default TWAMP Light)\n"
	      "  --ssid N           light-send: STAMP SSID\n"
	      "  --stamp-key HEX    light-send: STAMP authenticated mode key\n"
	      "  --json             JSON result on stdout\n"
	      "  --quiet            no per-second progress on stderr\n",
	      f);
}

static int parse_target(const char *t, bool need_port, char *host, size_t hcap, char *port,
                        size_t pcap)
{
	const char *p;
	if (t[0] == '[') {
		const char *e = strchr(t, ']');
		if (!e || (size_t)(e - t - 1) >= hcap)
			return -1;
		memcpy(host, t + 1, (size_t)(e - t - 1));
		host[e - t - 1] = '\0';
		p = e[1] == ':' ? e + 2 : NULL;
		if (e[1] && e[1] != ':')
			return -1;
	} else {
		const char *c = strchr(t, ':');
		if (c && strchr(c + 1, ':'))
			c = NULL; /* bare IPv6 address */
		size_t n = c ? (size_t)(c - t) : strlen(t);
		if (n >= hcap || n == 0)
			return -1;
		memcpy(host, t, n);
		host[n] = '\0';
		p = c ? c + 1 : NULL;
	}
	if (!p && need_port)
		return -1;
	snprintf(port, pcap, "%s", p ? p : "862");
	return 0;
}

static int parse_hex(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

enum {
	O_MODE = 256,
	O_KEYID,
	O_KEYFILE,
	O_SECRET,
	O_COUNT,
	O_INTERVAL,
	O_RATE,
	O_POISSON,
	O_PADDING,
	O_DSCP,
	O_SESSIONS,
	O_TIMEOUT,
	O_LOSS,
	O_ENGINE,
	O_LOCAL,
	O_SPORT,
	O_JSON,
	O_QUIET,
	O_PBKDF2,
	O_FEATURES,
	O_ADMIN,
	O_STAMP,
	O_SSID,
	O_STAMPKEY,
	O_HELP,
};

static const struct option long_opts[] = {
    {"mode", required_argument, 0, O_MODE},
    {"keyid", required_argument, 0, O_KEYID},
    {"keyfile", required_argument, 0, O_KEYFILE},
    {"secret", required_argument, 0, O_SECRET},
    {"count", required_argument, 0, O_COUNT},
    {"interval", required_argument, 0, O_INTERVAL},
    {"rate", required_argument, 0, O_RATE},
    {"poisson", no_argument, 0, O_POISSON},
    {"padding", required_argument, 0, O_PADDING},
    {"dscp", required_argument, 0, O_DSCP},
    {"sessions", required_argument, 0, O_SESSIONS},
    {"timeout", required_argument, 0, O_TIMEOUT},
    {"loss-timeout", required_argument, 0, O_LOSS},
    {"engine", required_argument, 0, O_ENGINE},
    {"local", required_argument, 0, O_LOCAL},
    {"sender-port", required_argument, 0, O_SPORT},
    {"json", no_argument, 0, O_JSON},
    {"quiet", no_argument, 0, O_QUIET},
    {"pbkdf2-max", required_argument, 0, O_PBKDF2},
    {"features", required_argument, 0, O_FEATURES},
    {"admin", required_argument, 0, O_ADMIN},
    {"stamp", no_argument, 0, O_STAMP},
    {"ssid", required_argument, 0, O_SSID},
    {"stamp-key", required_argument, 0, O_STAMPKEY},
    {"help", no_argument, 0, O_HELP},
    {0, 0, 0, 0},
};

static bool num(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return false;
	*out = v;
	return true;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->count = 100;
	o->interval = 0.1;
	o->padding = -1;
	o->sessions = 1;
	o->timeout = 10;
	o->loss_timeout = 2;
	o->engine = "socket";
	o->family = AF_UNSPEC;
	o->admin = getenv("TWINHOP_ADMIN");
	optind = 1;
	int c;
	double v;
	while ((c = getopt_long(argc, argv, "46hq", long_opts, NULL)) != -1) {
		switch (c) {
		case '4':
			o->family = AF_INET;
			break;
		case '6':
			o->family = AF_INET6;
			break;
		case O_MODE:
			if (!(o->modes = ctl_client_parse_modes(optarg))) {
				die_msg("--mode: '%s' is not a list of open,auth,enc,mixed",
				        optarg);
				return -1;
			}
			break;
		case O_KEYID:
			if (strlen(optarg) > TW_CTL_KEYID_LEN) {
				die_msg("--keyid: longer than 80 octets");
				return -1;
			}
			snprintf(o->key_id, sizeof(o->key_id), "%s", optarg);
			break;
		case O_KEYFILE:
			o->keyfile = optarg;
			break;
		case O_SECRET:
			o->secret = optarg;
			break;
		case O_COUNT:
			if (!num(optarg, 0, 4e9, &v)) {
				die_msg("--count: need 0..4000000000");
				return -1;
			}
			o->count = (uint64_t)v;
			break;
		case O_INTERVAL:
			if (!num(optarg, 1e-6, 3600, &v)) {
				die_msg("--interval: need 0.000001..3600 seconds");
				return -1;
			}
			o->interval = v;
			break;
		case O_RATE:
			if (!num(optarg, 1e-3, 1e6, &v)) {
				die_msg("--rate: need 0.001..1000000 packets per second");
				return -1;
			}
			o->interval = 1.0 / v;
			break;
		case O_POISSON:
			o->poisson = true;
			break;
		case O_PADDING:
			if (!num(optarg, 0, 65000, &v)) {
				die_msg("--padding: need 0..65000");
				return -1;
			}
			o->padding = (long)v;
			break;
		case O_DSCP:
			if (!num(optarg, 0, 63, &v)) {
				die_msg("--dscp: need 0..63");
				return -1;
			}
			o->dscp = (int)v;
			break;
		case O_SESSIONS:
			if (!num(optarg, 1, CLI_ENGINE_SESSIONS_MAX, &v)) {
				die_msg("--sessions: need 1..%d", CLI_ENGINE_SESSIONS_MAX);
				return -1;
			}
			o->sessions = (unsigned)v;
			break;
		case O_TIMEOUT:
			if (!num(optarg, 0.01, 3600, &v)) {
				die_msg("--timeout: need 0.01..3600 seconds");
				return -1;
			}
			o->timeout = v;
			break;
		case O_LOSS:
			if (!num(optarg, 0.001, 3600, &v)) {
				die_msg("--loss-timeout: need 0.001..3600 seconds");
				return -1;
			}
			o->loss_timeout = v;
			break;
		case O_ENGINE:
			o->engine = optarg;
			break;
		case O_LOCAL:
			o->local = optarg;
			break;
		case O_SPORT:
			if (!num(optarg, 1, 65535, &v)) {
				die_msg("--sender-port: need 1..65535");
				return -1;
			}
			o->sender_port = (unsigned)v;
			break;
		case O_JSON:
			o->json = true;
			break;
		case 'q':
		case O_QUIET:
			o->quiet = true;
			break;
		case O_PBKDF2:
			if (!num(optarg, 1, 4294967295.0, &v)) {
				die_msg("--pbkdf2-max: need a positive count");
				return -1;
			}
			o->pbkdf2_max = (uint32_t)v;
			break;
		case O_FEATURES: {
			char *dup = strdup(optarg), *save = NULL;
			for (char *t = strtok_r(dup, ",", &save); t;
			     t = strtok_r(NULL, ",", &save)) {
				if (!strcmp(t, "indiv") || !strcmp(t, "individual"))
					o->features |= TW_CTL_MODE_INDIV_SESSIONS;
				else if (!strcmp(t, "reflect-octets"))
					o->features |= TW_CTL_MODE_REFLECT_OCTETS;
				else if (!strcmp(t, "symmetrical"))
					o->features |= TW_CTL_MODE_SYMMETRICAL;
				else {
					die_msg("--features: unknown '%s'", t);
					free(dup);
					return -1;
				}
			}
			free(dup);
			break;
		}
		case O_ADMIN:
			o->admin = optarg;
			break;
		case O_STAMP:
			o->stamp = true;
			break;
		case O_SSID:
			if (!num(optarg, 0, 65535, &v)) {
				die_msg("--ssid: need 0..65535");
				return -1;
			}
			o->ssid = (unsigned)v;
			break;
		case O_STAMPKEY:
			o->stamp_key = optarg;
			break;
		case 'h':
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind + 1 != argc) {
		die_msg(optind >= argc ? "missing HOST" : "unexpected argument '%s'",
		        optind < argc ? argv[optind + 1] : "");
		usage(stderr);
		return -1;
	}
	o->target = argv[optind];
	return 0;
}

/* ---- measurement state --------------------------------------------------------- */

struct meas {
	const struct opts *o;
	unsigned n;
	struct tw_stats *st[CLI_ENGINE_SESSIONS_MAX];
	int64_t t0_ns, last_tick;
};

static void cb_sent(void *arg, unsigned i, uint32_t seq, int64_t t1)
{
	struct meas *m = arg;
	tw_stats_sent(m->st[i], seq, t1);
}

static void cb_reply(void *arg, unsigned i, const struct tw_stats_reply *r)
{
	struct meas *m = arg;
	struct tw_stats_sample s;
	tw_stats_reply(m->st[i], r, &s);
}

static void cb_tick(void *arg, int64_t now)
{
	struct meas *m = arg;
	if (now - m->last_tick < 900000000)
		return;
	m->last_tick = now;
	for (unsigned i = 0; i < m->n; i++) {
		tw_stats_expire(m->st[i], now);
		struct tw_stats_summary sum;
		tw_stats_interval_take(m->st[i], &sum, NULL);
		if (!m->o->quiet)
			cli_report_interval(stderr, (double)(now - m->t0_ns) / 1e9, i, &sum);
	}
}

static int meas_init(struct meas *m, const struct opts *o, unsigned n)
{
	memset(m, 0, sizeof(*m));
	m->o = o;
	m->n = n;
	struct tw_stats_config sc = {0};
	sc.loss_timeout_ns = (int64_t)(o->loss_timeout * 1e9);
	for (unsigned i = 0; i < n; i++) {
		m->st[i] = malloc(sizeof(struct tw_stats));
		if (!m->st[i] || tw_stats_init(m->st[i], &sc) != TW_OK) {
			die_msg("cannot set up statistics");
			return -1;
		}
	}
	m->t0_ns = tw_time_now_ns();
	m->last_tick = m->t0_ns;
	return 0;
}

static void meas_free(struct meas *m)
{
	for (unsigned i = 0; i < m->n; i++)
		free(m->st[i]);
}

/* Print the results; returns the exit status. */
static int meas_report(struct meas *m, struct cli_engine *e, const char *target, const char *mode,
                       const struct ctl_client *cc)
{
	uint64_t received = 0;
	if (m->o->json)
		printf("{\"target\":\"%s\",\"mode\":\"%s\",\"engine\":\"%s\",\"sessions\":[",
		       target, mode, cli_engine_name(e));
	else
		printf("--- twinhop %s: mode %s, engine %s, %u session%s ---\n", target, mode,
		       cli_engine_name(e), m->n, m->n == 1 ? "" : "s");
	for (unsigned i = 0; i < m->n; i++) {
		tw_stats_flush(m->st[i]);
		struct tw_stats_summary sum;
		tw_stats_summary_fill(m->st[i], &m->st[i]->total, &sum);
		received += sum.received;
		char sid[33] = "";
		const struct ctl_client_sess *cs = cc ? ctl_client_session(cc, i) : NULL;
		if (cs)
			for (int k = 0; k < 16; k++)
				snprintf(sid + 2 * k, 3, "%02x", cs->sid[k]);
		const struct cli_sess_cfg *sc = &e->cfg[i];
		struct cli_report_sess r = {
		    .idx = i,
		    .sid_hex = sid,
		    .local_port = ntohs(((const struct sockaddr_in *)&sc->local)->sin_port),
		    .peer_port = ntohs(((const struct sockaddr_in *)&sc->peer)->sin_port),
		    .sum = &sum,
		    .cnt = cli_engine_counters(e, i),
		};
		if (m->o->json) {
			if (i)
				putchar(',');
			cli_report_json(stdout, &r);
		} else {
			cli_report_text(stdout, &r);
		}
	}
	if (m->o->json)
		printf("]}\n");
	fflush(stdout);
	if (!received && !g_stop) {
		die_msg("no reply received from %s (reflector unreachable, or test packets "
		        "filtered?)",
		        target);
		return EXIT_NOREPLY;
	}
	return 0;
}

/* ---- TWAMP-Control driver ------------------------------------------------------- */

static int tcp_connect(const char *host, const char *port, const struct opts *o,
                       struct sockaddr_storage *peer, socklen_t *plen, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = o->family, .ai_socktype = SOCK_STREAM}, *res, *ai;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "cannot resolve %s port %s: %s", host, port,
		         gai_strerror(rc));
		return -1;
	}
	int fd = -1;
	char last[160] = "no address";
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (o->local) {
			struct addrinfo lh = {.ai_family = ai->ai_family,
			                      .ai_flags = AI_NUMERICHOST | AI_PASSIVE},
			                *lr;
			if (getaddrinfo(o->local, NULL, &lh, &lr) == 0) {
				int b = bind(fd, lr->ai_addr, lr->ai_addrlen);
				freeaddrinfo(lr);
				if (b < 0) {
					snprintf(last, sizeof(last), "bind %s: %s", o->local,
					         strerror(errno));
					close(fd);
					fd = -1;
					continue;
				}
			} else {
				snprintf(last, sizeof(last),
				         "--local %s is not a numeric address "
				         "of this family",
				         o->local);
				close(fd);
				fd = -1;
				continue;
			}
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
			snprintf(last, sizeof(last), "%s", strerror(errno));
			close(fd);
			fd = -1;
			continue;
		}
		struct pollfd p = {fd, POLLOUT, 0};
		int r = poll(&p, 1, (int)(o->timeout * 1000));
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (r == 1)
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (r != 1 || soerr) {
			snprintf(last, sizeof(last), "%s",
			         r == 0 ? "connection timed out" : strerror(soerr ? soerr : errno));
			close(fd);
			fd = -1;
			continue;
		}
		memcpy(peer, ai->ai_addr, ai->ai_addrlen);
		*plen = ai->ai_addrlen;
		break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "cannot connect to %s port %s: %s", host, port, last);
	return fd;
}

/* Send what the FSM queued (Stop-Sessions has no reply to wait for). */
static void flush_tx(int fd, struct ctl_client *c)
{
	size_t n;
	const uint8_t *p = ctl_client_tx(c, &n);
	for (int tries = 0; n && tries < 100; tries++) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return;
		if (w < 0) {
			struct pollfd pf = {fd, POLLOUT, 0};
			poll(&pf, 1, 10);
			continue;
		}
		ctl_client_tx_done(c, (size_t)w);
		p = ctl_client_tx(c, &n);
	}
}

/* Send what the FSM queued, then read until it leaves `while_state` or fails. */
static int drive(int fd, struct ctl_client *c, enum ctl_client_state while_state, double timeout)
{
	int64_t deadline = cli_mono_ns() + (int64_t)(timeout * 1e9);
	for (;;) {
		size_t n;
		const uint8_t *p = ctl_client_tx(c, &n);
		while (n) {
			ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
			if (w < 0 && errno == EAGAIN) {
				struct pollfd pf = {fd, POLLOUT, 0};
				poll(&pf, 1, 1000);
				continue;
			}
			if (w < 0) {
				char m[160];
				snprintf(m, sizeof(m), "sending to the server: %s",
				         strerror(errno));
				ctl_client_fail(c, CTL_CLIENT_E_IO, m);
				return -1;
			}
			ctl_client_tx_done(c, (size_t)w);
			p = ctl_client_tx(c, &n);
		}
		enum ctl_client_state s = ctl_client_state(c);
		if (s == CTL_CLIENT_FAILED)
			return -1;
		if (s != while_state)
			return 0;
		int64_t left = deadline - cli_mono_ns();
		if (left <= 0 || g_stop) {
			ctl_client_timeout(c);
			return -1;
		}
		struct pollfd pf = {fd, POLLIN, 0};
		int r = poll(&pf, 1, (int)(left / 1000000) + 1);
		if (r <= 0)
			continue;
		uint8_t buf[4096];
		ssize_t rd = recv(fd, buf, sizeof(buf), 0);
		if (rd < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (rd <= 0) {
			ctl_client_eof(c, rd < 0);
			return -1;
		}
		ctl_client_feed(c, buf, (size_t)rd);
	}
}

static void sa_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static uint16_t sa_get_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
	                                       : ((const struct sockaddr_in *)ss)->sin_port);
}

static void sa_addr(const struct sockaddr_storage *ss, uint8_t out[16])
{
	memset(out, 0, 16);
	if (ss->ss_family == AF_INET6)
		memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	else
		memcpy(out, &((const struct sockaddr_in *)ss)->sin_addr, 4);
}

static int cmd_measure(int argc, char **argv)
{
	struct opts o;
	if (parse_opts(argc, argv, &o) < 0)
		return EXIT_USAGE;
	char host[256], port[16], err[512];
	if (parse_target(o.target, false, host, sizeof(host), port, sizeof(port)) < 0) {
		die_msg("bad target '%s' (HOST, HOST:PORT or [IPv6]:PORT)", o.target);
		return EXIT_USAGE;
	}
	struct ctl_client_cfg cfg = {0};
	cfg.modes = o.modes;
	cfg.features = o.features;
	cfg.pbkdf2_max = o.pbkdf2_max;
	snprintf(cfg.key_id, sizeof(cfg.key_id), "%s", o.key_id);
	if (o.keyfile) {
		if (ctl_client_read_pfs(o.keyfile, cfg.key_id, cfg.secret, sizeof(cfg.secret),
		                        &cfg.secret_len, err, sizeof(err)) < 0) {
			die_msg("%s", err);
			return 1;
		}
	} else if (o.secret) {
		cfg.secret_len = strlen(o.secret);
		if (cfg.secret_len > sizeof(cfg.secret)) {
			die_msg("--secret too long");
			return EXIT_USAGE;
		}
		memcpy(cfg.secret, o.secret, cfg.secret_len);
	}
	if (cfg.secret_len && !cfg.key_id[0]) {
		die_msg("a shared secret needs --keyid");
		return EXIT_USAGE;
	}
	struct sockaddr_storage srv, loc;
	socklen_t srvlen = 0, loclen = sizeof(loc);
	int fd = tcp_connect(host, port, &o, &srv, &srvlen, err, sizeof(err));
	if (fd < 0) {
		die_msg("%s", err);
		return 1;
	}
	getsockname(fd, (struct sockaddr *)&loc, &loclen);

	int rc = 1;
	struct ctl_client *c = ctl_client_new(&cfg);
	tw_crypto_cleanse(&cfg, sizeof(cfg));
	struct cli_engine *e = NULL;
	struct meas m = {0};
	if (!c) {
		die_msg("cannot create the control client");
		goto out;
	}
	if (drive(fd, c, CTL_CLIENT_GREETING, o.timeout) < 0 ||
	    drive(fd, c, CTL_CLIENT_SERVER_START, o.timeout) < 0)
		goto fail;
	uint32_t mode = ctl_client_mode(c);
	uint32_t base = mode & TW_CTL_MODE_BASE_MASK;
	char modestr[96];
	tw_ctl_mode_format(mode, modestr, sizeof(modestr));
	bool secure_test = base == TW_CTL_MODE_AUTH || base == TW_CTL_MODE_ENCRYPTED;
	bool sym = mode & TW_CTL_MODE_SYMMETRICAL;
	enum tw_pkt_layout layout = secure_test ? (sym ? TW_PKT_TWAMP_SYM_AUTH : TW_PKT_TWAMP_AUTH)
	                                        : (sym ? TW_PKT_TWAMP_SYM_OPEN : TW_PKT_TWAMP_OPEN);
	/* Default padding makes both directions the same size (§4.5). */
	uint32_t pad = o.padding >= 0
	                   ? (uint32_t)o.padding
	                   : (uint32_t)(tw_pkt_reflector_base(layout) - tw_pkt_sender_base(layout));

	e = cli_engine_new(o.engine, o.admin, err, sizeof(err));
	if (!e) {
		die_msg("%s", err);
		goto out;
	}
	if (meas_init(&m, &o, o.sessions) < 0)
		goto out;
	for (unsigned i = 0; i < o.sessions; i++) {
		struct cli_sess_cfg sc = {0};
		sc.local = loc;
		sc.local_len = loclen;
		sa_port(&sc.local, o.sender_port ? (uint16_t)(o.sender_port + i) : 0);
		sc.layout = layout;
		sc.prot = base == TW_CTL_MODE_AUTH        ? TW_PKT_PROT_AUTH
		          : base == TW_CTL_MODE_ENCRYPTED ? TW_PKT_PROT_ENC
		                                          : TW_PKT_PROT_NONE;
		sc.padding = pad;
		sc.dscp = (uint8_t)o.dscp;
		sc.count = o.count;
		sc.interval_ns = (uint64_t)(o.interval * 1e9);
		if (!sc.interval_ns)
			sc.interval_ns = 1;
		sc.poisson = o.poisson;
		sc.loss_timeout_ns = (int64_t)(o.loss_timeout * 1e9);
		if (cli_engine_add(e, &sc, err, sizeof(err)) < 0) {
			die_msg("%s", err);
			goto out;
		}
		struct ctl_client_req r = {0};
		r.ipvn = loc.ss_family == AF_INET6 ? 6 : 4;
		sa_addr(&sc.local, r.sender_addr);
		sa_addr(&srv, r.receiver_addr);
		r.sender_port = sa_get_port(&sc.local);
		r.receiver_port = r.sender_port; /* as twping; the server decides (§2.7) */
		r.padding = pad;
		r.dscp = (uint8_t)o.dscp;
		/* Start soon; TWAMP has no schedule, the reflector ignores it (§2.14). */
		r.start_time = tw_ntp_from_unix_ns(tw_time_now_ns() + 1000000000);
		r.timeout = tw_ntp_dur_from_ns((uint64_t)(o.loss_timeout * 1e9));
		if (ctl_client_request(c, &r) != CTL_CLIENT_E_NONE) {
			die_msg("internal: cannot encode Request-TW-Session");
			goto out;
		}
		if (drive(fd, c, CTL_CLIENT_ACCEPT, o.timeout) < 0)
			goto fail;
		const struct ctl_client_sess *cs = ctl_client_session(c, i);
		struct sockaddr_storage peer = srv;
		sa_port(&peer, cs->port);
		/* Keys and Server Octets exist only now; engines apply them in set_peer. */
		if (secure_test) {
			memcpy(e->cfg[i].test_aes_key, cs->test_aes_key, 16);
			memcpy(e->cfg[i].test_hmac_key, cs->test_hmac_key, 32);
		}
		e->cfg[i].server_octets = cs->server_octets;
		if (cli_engine_set_peer(e, i, (struct sockaddr *)&peer, srvlen, err, sizeof(err)) <
		    0) {
			die_msg("%s", err);
			goto out;
		}
	}
	if (ctl_client_start(c) != CTL_CLIENT_E_NONE ||
	    drive(fd, c, CTL_CLIENT_START_ACK, o.timeout) < 0)
		goto fail;
	if (!o.quiet)
		fprintf(stderr, "twinhop: %s: mode %s, %u session%s started (engine %s)\n",
		        o.target, modestr, o.sessions, o.sessions == 1 ? "" : "s", o.engine);
	struct cli_engine_cb cb = {&m, cb_sent, cb_reply, cb_tick};
	int er = cli_engine_run(e, &cb, &g_stop, err, sizeof(err));
	/* Stop-Sessions even after an engine error, so the server cleans up. */
	ctl_client_stop(c, er < 0 ? 1 : 0);
	flush_tx(fd, c);
	if (er < 0) {
		die_msg("%s", err);
		goto out;
	}
	rc = meas_report(&m, e, o.target, modestr, c);
	goto out;
fail:
	die_msg("%s [%s]", ctl_client_errmsg(c), ctl_client_err_name(ctl_client_error(c)));
out:
	meas_free(&m);
	cli_engine_free(e);
	ctl_client_free(c);
	close(fd);
	return rc;
}

/* ---- light-send ---------------------------------------------------------------- */

static int cmd_light_send(int argc, char **argv)
{
	struct opts o;
	if (parse_opts(argc, argv, &o) < 0)
		return EXIT_USAGE;
	char host[256], port[16], err[512];
	if (parse_target(o.target, true, host, sizeof(host), port, sizeof(port)) < 0) {
		die_msg("bad target '%s' (HOST:PORT or [IPv6]:PORT)", o.target);
		return EXIT_USAGE;
	}
	struct addrinfo hints = {.ai_family = o.family, .ai_socktype = SOCK_DGRAM}, *res;
	int g = getaddrinfo(host, port, &hints, &res);
	if (g) {
		die_msg("cannot resolve %s: %s", host, gai_strerror(g));
		return 1;
	}
	struct cli_sess_cfg sc = {0};
	memcpy(&sc.peer, res->ai_addr, res->ai_addrlen);
	sc.peer_len = res->ai_addrlen;
	sc.local.ss_family = (sa_family_t)res->ai_family;
	sc.local_len = res->ai_addrlen;
	freeaddrinfo(res);
	if (o.local) {
		struct addrinfo lh = {.ai_family = sc.local.ss_family, .ai_flags = AI_NUMERICHOST},
		                *lr;
		if (getaddrinfo(o.local, NULL, &lh, &lr)) {
			die_msg("--local %s: not a numeric address of the target's family",
			        o.local);
			return EXIT_USAGE;
		}
		memcpy(&sc.local, lr->ai_addr, lr->ai_addrlen);
		freeaddrinfo(lr);
	}
	int rc = 1;
	struct meas m = {0};
	struct cli_engine *e = cli_engine_new(o.engine, o.admin, err, sizeof(err));
	if (!e) {
		die_msg("%s", err);
		return 1;
	}
	sc.layout = o.stamp ? TW_PKT_STAMP_OPEN : TW_PKT_TWAMP_OPEN;
	if (o.stamp_key) {
		if (!o.stamp) {
			die_msg("--stamp-key needs --stamp");
			rc = EXIT_USAGE;
			goto out;
		}
		if (parse_hex(o.stamp_key, sc.stamp_key, sizeof(sc.stamp_key), &sc.stamp_key_len) <
		        0 ||
		    !sc.stamp_key_len) {
			die_msg("--stamp-key: need 1..64 octets of hex");
			rc = EXIT_USAGE;
			goto out;
		}
		sc.layout = TW_PKT_STAMP_AUTH;
		sc.prot = TW_PKT_PROT_AUTH;
	}
	sc.padding =
	    o.padding >= 0
	        ? (uint32_t)o.padding
	        : (uint32_t)(tw_pkt_reflector_base(sc.layout) - tw_pkt_sender_base(sc.layout));
	sc.dscp = (uint8_t)o.dscp;
	sc.ssid = (uint16_t)o.ssid;
	sc.count = o.count;
	sc.interval_ns = (uint64_t)(o.interval * 1e9) ? (uint64_t)(o.interval * 1e9) : 1;
	sc.poisson = o.poisson;
	sc.loss_timeout_ns = (int64_t)(o.loss_timeout * 1e9);
	sa_port(&sc.local, (uint16_t)o.sender_port);
	struct sockaddr_storage peer = sc.peer;
	socklen_t plen = sc.peer_len;
	if (meas_init(&m, &o, 1) < 0 || cli_engine_add(e, &sc, err, sizeof(err)) < 0 ||
	    cli_engine_set_peer(e, 0, (struct sockaddr *)&peer, plen, err, sizeof(err)) < 0) {
		die_msg("%s", err);
		goto out;
	}
	struct cli_engine_cb cb = {&m, cb_sent, cb_reply, cb_tick};
	if (cli_engine_run(e, &cb, &g_stop, err, sizeof(err)) < 0) {
		die_msg("%s", err);
		goto out;
	}
	rc = meas_report(&m, e, o.target,
	                 o.stamp ? (o.stamp_key ? "stamp-auth" : "stamp") : "light", NULL);
out:
	meas_free(&m);
	cli_engine_free(e);
	return rc;
}

/* ---- appliance commands (docs/admin-protocol.md) --------------------------------- */

static const char *admin_path(int *argc, char **argv)
{
	const char *p = getenv("TWINHOP_ADMIN");
	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--admin") && i + 1 < *argc) {
			p = argv[i + 1];
			memmove(argv + i, argv + i + 2, (size_t)(*argc - i - 2) * sizeof(char *));
			*argc -= 2;
			break;
		}
	}
	return p ? p : CLI_ADMIN_DEFAULT_SOCK;
}

static bool has_flag(int *argc, char **argv, const char *flag)
{
	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], flag)) {
			memmove(argv + i, argv + i + 1, (size_t)(*argc - i - 1) * sizeof(char *));
			(*argc)--;
			return true;
		}
	}
	return false;
}

static void print_event(void *arg, const char *line)
{
	(void)arg;
	printf("%s\n", line);
	fflush(stdout);
}

/* One request, print the reply; returns the exit status. */
static int admin_once(const char *path, const char *req, bool json, const char *list_key)
{
	struct cli_admin a;
	char err[512];
	if (cli_admin_open(&a, path, err, sizeof(err)) < 0) {
		die_msg("%s", err);
		return 1;
	}
	char *rep = cli_admin_call(&a, req, 15000, NULL, NULL, err, sizeof(err));
	cli_admin_close(&a);
	if (!rep) {
		die_msg("%s", err);
		return 1;
	}
	if (!cli_admin_ok(rep, err, sizeof(err))) {
		die_msg("%s", err);
		free(rep);
		return 1;
	}
	if (json || !list_key) {
		printf("%s\n", rep);
	} else {
		/* Text: one member per line ("NAME value"), one array element per line. */
		const char *p = strstr(rep, list_key);
		p = p ? p + strlen(list_key) : rep;
		int depth = 0;
		for (; *p; p++) {
			if (*p == '{' || *p == '[') {
				depth++;
				if (depth == 1)
					continue;
			}
			if (*p == '}' || *p == ']') {
				if (--depth <= 0)
					break;
			}
			if (depth == 1 && *p == ',') {
				putchar('\n');
				continue;
			}
			if (*p == '"')
				continue;
			putchar(*p == ':' && depth == 1 ? ' ' : *p);
		}
		putchar('\n');
	}
	free(rep);
	return 0;
}

/* show-sessions as a table, one session object per line. */
static int admin_sessions(const char *path)
{
	struct cli_admin a;
	char err[512];
	if (cli_admin_open(&a, path, err, sizeof(err)) < 0) {
		die_msg("%s", err);
		return 1;
	}
	char *rep =
	    cli_admin_call(&a, "{\"cmd\":\"show-sessions\"}", 15000, NULL, NULL, err, sizeof(err));
	cli_admin_close(&a);
	if (!rep || !cli_admin_ok(rep, err, sizeof(err))) {
		die_msg("%s", err);
		free(rep);
		return 1;
	}
	printf("%-6s %-9s %-6s %-8s %-13s %-24s %-24s %10s %10s\n", "ID", "KIND", "PROTO", "STATE",
	       "MODE", "LOCAL", "PEER", "RX", "TX");
	const char *p = strstr(rep, "\"sessions\":[");
	while (p && (p = strchr(p + 1, '{')) != NULL) {
		const char *q = strchr(p, '}');
		if (!q)
			break;
		char obj[1024], kind[16] = "", proto[16] = "", st[16] = "", mode[16] = "-";
		char loc[64] = "", peer[64] = "";
		uint64_t id = 0, rx = 0, tx = 0;
		snprintf(obj, sizeof(obj), "%.*s", (int)(q - p + 1), p);
		cli_json_u64(obj, "session", &id);
		cli_json_str(obj, "kind", kind, sizeof(kind));
		cli_json_str(obj, "proto", proto, sizeof(proto));
		cli_json_str(obj, "state", st, sizeof(st));
		cli_json_str(obj, "mode", mode, sizeof(mode));
		cli_json_str(obj, "local", loc, sizeof(loc));
		cli_json_str(obj, "peer", peer, sizeof(peer));
		cli_json_u64(obj, "rx_pkts", &rx);
		cli_json_u64(obj, "tx_pkts", &tx);
		printf("%-6" PRIu64 " %-9s %-6s %-8s %-13s %-24s %-24s %10" PRIu64 " %10" PRIu64
		       "\n",
		       id, kind, proto, st, mode, loc, peer, rx, tx);
		p = q;
	}
	free(rep);
	return 0;
}

/* --key value / --flag arguments to a flat JSON request (dashes -> underscores). */
static int build_req(const char *cmd, int argc, char **argv, int first, char *out, size_t cap)
{
	int n = snprintf(out, cap, "{\"cmd\":\"%s\"", cmd);
	for (int i = first; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) || !argv[i][2]) {
			die_msg("expected --KEY [VALUE], got '%s'", argv[i]);
			return -1;
		}
		char key[64];
		snprintf(key, sizeof(key), "%s", argv[i] + 2);
		for (char *k = key; *k; k++)
			if (*k == '-')
				*k = '_';
		const char *val = "true";
		if (i + 1 < argc && strncmp(argv[i + 1], "--", 2))
			val = argv[++i];
		char *end;
		strtoll(val, &end, 10);
		bool isnum = *val && !*end;
		bool isbool = !strcmp(val, "true") || !strcmp(val, "false");
		char esc[512];
		cli_json_escape(val, esc, sizeof(esc));
		n += snprintf(out + n, cap - (size_t)n,
		              isnum || isbool ? ",\"%s\":%s" : ",\"%s\":\"%s\"", key, esc);
		if ((size_t)n >= cap) {
			die_msg("request too long");
			return -1;
		}
	}
	snprintf(out + n, cap - (size_t)n, "}");
	return 0;
}

static int cmd_admin(int argc, char **argv)
{
	const char *path = admin_path(&argc, argv);
	bool json = has_flag(&argc, argv, "--json");
	bool fp = has_flag(&argc, argv, "--fp");
	const char *sub = argv[0];
	char req[4096];
	if (!strcmp(sub, "status"))
		return admin_once(path, "{\"cmd\":\"show-status\"}", json, NULL);
	if (!strcmp(sub, "sessions"))
		return json ? admin_once(path, "{\"cmd\":\"show-sessions\"}", true, NULL)
		            : admin_sessions(path);
	if (!strcmp(sub, "counters"))
		return admin_once(
		    path, fp ? "{\"cmd\":\"show-fp-counters\"}" : "{\"cmd\":\"show-counters\"}",
		    json, fp ? "\"total\":" : "\"counters\":");
	if (!strcmp(sub, "admin")) {
		if (argc != 2) {
			die_msg("usage: twinhop admin '{\"cmd\":\"NAME\",...}'");
			return EXIT_USAGE;
		}
		return admin_once(path, argv[1], true, NULL);
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *verb = argv[1];
	if (!strcmp(sub, "light") || !strcmp(sub, "sender")) {
		bool light = !strcmp(sub, "light");
		if (!strcmp(verb, "add")) {
			if (build_req(light ? "light-add" : "sender-add", argc, argv, 2, req,
			              sizeof(req)) < 0)
				return EXIT_USAGE;
			return admin_once(path, req, json, NULL);
		}
		const char *cmd = !strcmp(verb, "del")               ? "session-del"
		                  : !light && !strcmp(verb, "start") ? "sender-start"
		                  : !light && !strcmp(verb, "stop")  ? "sender-stop"
		                  : !light && !strcmp(verb, "watch") ? "subscribe"
		                                                     : NULL;
		if (!cmd || argc != 3) {
			die_msg("usage: twinhop %s %s ID", sub, verb);
			return EXIT_USAGE;
		}
		char *end;
		unsigned long long id = strtoull(argv[2], &end, 10);
		if (*end || !*argv[2]) {
			die_msg("session ID must be a number");
			return EXIT_USAGE;
		}
		snprintf(req, sizeof(req), "{\"cmd\":\"%s\",\"session\":%llu}", cmd, id);
		if (strcmp(verb, "watch"))
			return admin_once(path, req, json, NULL);
		/* watch: subscribe and print event lines until the summary or Ctrl-C. */
		struct cli_admin a;
		char err[512];
		if (cli_admin_open(&a, path, err, sizeof(err)) < 0) {
			die_msg("%s", err);
			return 1;
		}
		char *rep = cli_admin_call(&a, req, 10000, print_event, NULL, err, sizeof(err));
		int rc = 1;
		if (!rep || !cli_admin_ok(rep, err, sizeof(err))) {
			die_msg("%s", err);
		} else {
			rc = 0;
			while (!g_stop) {
				char *l = NULL;
				int r = cli_admin_read_line(&a, 1000, &l, err, sizeof(err));
				if (r < 0) {
					die_msg("%s", err);
					rc = 1;
					break;
				}
				if (r > 0) {
					print_event(NULL, l);
					bool fin = strstr(l, "\"summary\"") != NULL;
					free(l);
					if (fin)
						break;
				}
			}
		}
		free(rep);
		cli_admin_close(&a);
		return rc;
	}
	usage(stderr);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "measure"))
		return cmd_measure(argc - 1, argv + 1);
	if (!strcmp(cmd, "light-send"))
		return cmd_light_send(argc - 1, argv + 1);
	if (!strcmp(cmd, "status") || !strcmp(cmd, "sessions") || !strcmp(cmd, "counters") ||
	    !strcmp(cmd, "light") || !strcmp(cmd, "sender") || !strcmp(cmd, "admin"))
		return cmd_admin(argc - 1, argv + 1);
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("twinhop %s\n", TW_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	die_msg("unknown command '%s'", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
