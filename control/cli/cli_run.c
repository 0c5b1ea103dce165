/* SPDX-License-Identifier: BSD-3-Clause */
/* cli_run: one TWAMP or Light/STAMP measurement run.  See cli_run.h. */
#include "cli_run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tw_crypto.h"
#include "tw_time.h"

void cli_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("twinhop: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cli_parse_target(const char *t, bool need_port, char *host, size_t hcap, char *port,
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

int cli_parse_micro(const char *s, struct cli_conn *c, char *err, size_t errlen)
{
	c->n_micro = 0;
	const char *p = s;
	while (*p) {
		char *end;
		unsigned long sid = strtoul(p, &end, 10), rid;
		if (end == p || *end != ':' || sid < 1 || sid > 65535)
			goto bad;
		p = end + 1;
		rid = strtoul(p, &end, 10);
		if (end == p || (*end && *end != ',') || rid > 65535)
			goto bad;
		if (c->n_micro >= CLI_ENGINE_SESSIONS_MAX) {
			snprintf(err, errlen, "--micro-sessions: at most %d",
			         CLI_ENGINE_SESSIONS_MAX);
			return -1;
		}
		/* one member link of ours may test several of the
		 * reflector's (1:7,1:8), told apart by R: so no pair twice
		 * and no S with R = 0 beside another (tw_pkt_micro_match) */
		if (!tw_pkt_micro_pairs_ok(c->micro_s, c->micro_r, c->n_micro, (uint16_t)sid,
		                           (uint16_t)rid)) {
			snprintf(err, errlen,
			         "--micro-sessions: Sender Micro-session ID %lu twice with the same "
			         "Reflector ID, or once with 0 (any) and again",
			         sid);
			return -1;
		}
		c->micro_s[c->n_micro] = (uint16_t)sid;
		c->micro_r[c->n_micro++] = (uint16_t)rid;
		p = *end ? end + 1 : end;
		if (*end && !*p)
			goto bad;
	}
	if (c->n_micro)
		return 0;
bad:
	snprintf(err, errlen,
	         "--micro-sessions '%s': want S:R,S:R,... (S = our member link 1..65535, "
	         "R = the reflector's 0..65535, 0 = not known)",
	         s);
	return -1;
}

/* The bench warm-up in packets: cli_bench plans warmup_ns as a whole number
 * of intervals, the first sequence numbers of the session. */
static uint64_t plan_warm_pkts(const struct cli_plan *p)
{
	return p->warmup_ns > 0 && p->interval_ns ? (uint64_t)p->warmup_ns / p->interval_ns : 0;
}

static int tcp_connect(const char *host, const char *port, const struct cli_conn *o,
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
static int drive(int fd, struct ctl_client *c, enum ctl_client_state while_state, double timeout,
                 volatile sig_atomic_t *stop)
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
		if (left <= 0 || *stop) {
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

static void sa_str(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, a, sizeof(a));
		snprintf(out, cap, "[%s]:%u", a, sa_get_port(ss));
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, a, sizeof(a));
		snprintf(out, cap, "%s:%u", a, sa_get_port(ss));
	}
}

static void fill_cfg(struct cli_sess_cfg *sc, const struct cli_plan *pl, int64_t loss_timeout_ns)
{
	sc->dscp = pl->dscp;
	sc->ecn = pl->ecn;
	sc->count = pl->count;
	sc->duration_ns = pl->duration_ns;
	sc->interval_ns = pl->interval_ns ? pl->interval_ns : 1;
	sc->poisson = pl->poisson;
	sc->loss_timeout_ns = loss_timeout_ns;
}

static void sess_info(struct cli_meas *m, unsigned i, const struct cli_sess_cfg *sc,
                      const char *name, const char *mode)
{
	char peer[80], local[80];
	sa_str(&sc->peer, peer, sizeof(peer));
	sa_str(&sc->local, local, sizeof(local));
	struct cli_meas_sess_info in = {
	    .name = name,
	    .peer = peer,
	    .local = local,
	    .mode = mode,
	    .padding = sc->padding,
	    .dscp = sc->dscp,
	    .count = sc->count,
	    .interval_ns = (int64_t)sc->interval_ns,
	};
	cli_meas_session(m, i, &in);
}

/* Engine drops have no place in the report schema: one stderr line each. */
static void engine_drops(const struct cli_engine *e)
{
	for (unsigned i = 0; i < e->n; i++) {
		const struct cli_engine_counters *c = cli_engine_counters(e, i);
		if (c && (c->tx_err || c->rx_short || c->rx_hmac || c->rx_errest))
			cli_err(
			    "s%u: engine dropped: send errors %llu, short replies %llu, bad HMAC "
			    "%llu, zero error estimate %llu",
			    i + 1, (unsigned long long)c->tx_err, (unsigned long long)c->rx_short,
			    (unsigned long long)c->rx_hmac, (unsigned long long)c->rx_errest);
		/* RFC 9533 §4.2: replies discarded by their micro-session IDs */
		if (c && (c->rx_micro_unknown || c->rx_micro_ref))
			cli_err("s%u: micro-session %u:%u: discarded %llu replies whose Reflector "
			        "Micro-session ID was not %u, %llu with an unknown Sender "
			        "Micro-session ID (RFC 9533)",
			        i + 1, e->cfg[i].micro_sid, e->cfg[i].micro_rid,
			        (unsigned long long)c->rx_micro_ref, e->cfg[i].micro_rid,
			        (unsigned long long)c->rx_micro_unknown);
		/* Wire ref §11b.7: accepted, but say what was missing, once. */
		size_t base = tw_pkt_reflector_base(e->cfg[i].layout);
		if (c && c->rx_no_ttl && c->rx_no_ttl_len < base)
			cli_err("s%u: warning: %llu replies without a Sender TTL (shortest %zu "
			        "octets, %zu short of the %zu-octet reflector packet, RFC 5357 "
			        "§4.2.1): accepted, forward hop count unknown",
			        i + 1, (unsigned long long)c->rx_no_ttl, c->rx_no_ttl_len,
			        base - c->rx_no_ttl_len, base);
		if (c && c->rx_ptp_ntp_epoch)
			cli_err("s%u: warning: %llu replies with PTP timestamps (Z = 1) counting "
			        "seconds from 1900, not 1970 (RFC 8186 §2.3): accepted, read as "
			        "such",
			        i + 1, (unsigned long long)c->rx_ptp_ntp_epoch);
	}
}

/* What the STAMP TLVs brought back goes into the report (RFC 8972, RFC 9503). */
static void stamp_results(const struct cli_engine *e, struct cli_meas *m)
{
	for (unsigned i = 0; i < e->n; i++) {
		const struct cli_engine_counters *ec = cli_engine_counters(e, i);
		if (!ec || !ec->has_tlv)
			continue;
		struct tw_report_stamp st = {
		    .res = ec->tlv, .dscp = e->cfg[i].dscp, .ecn = ec->tlv_ecn};
		snprintf(st.sent, sizeof(st.sent), "%s", ec->tlv_sent);
		snprintf(st.local, sizeof(st.local), "%s", ec->tlv_local);
		cli_meas_set_stamp(m, i, &st);
	}
}

/* ---- RFC 5938 individual session control, pumped from the engine tick ---- */

#define START_LEAD_NS 200000000 /* Start-N this long before a session's first packet */

struct twamp_ctl {
	int fd;
	struct ctl_client *c;
	struct cli_engine *e;
	double timeout;
	volatile sig_atomic_t *stop;
	bool individual;
	int64_t t_run; /* wall clock when the engine started */
	bool started[CLI_ENGINE_SESSIONS_MAX], stopped[CLI_ENGINE_SESSIONS_MAX];
	bool failed;
};

static int ctl_n(struct twamp_ctl *t, bool start, const unsigned *idx, unsigned n)
{
	if (!n)
		return 0;
	enum ctl_client_err ce =
	    start ? ctl_client_start_n(t->c, idx, n) : ctl_client_stop_n(t->c, idx, n);
	if (ce != CTL_CLIENT_E_NONE ||
	    drive(t->fd, t->c, start ? CTL_CLIENT_START_ACK : CTL_CLIENT_STOP_N_ACK, t->timeout,
	          t->stop) < 0) {
		cli_err("%s-N-Sessions: %s [%s]", start ? "Start" : "Stop", ctl_client_errmsg(t->c),
		        ctl_client_err_name(ctl_client_error(t->c)));
		t->failed = true;
		*t->stop = 1;
		return -1;
	}
	for (unsigned k = 0; k < n; k++)
		(start ? t->started : t->stopped)[idx[k]] = true;
	return 0;
}

/* Start-N the sessions due by `rel` (ns after the run start); Stop-N those
 * whose last packet plus the loss timeout has passed. */
static void ctl_pump(struct twamp_ctl *t, int64_t rel, bool stop_all)
{
	unsigned idx[CLI_ENGINE_SESSIONS_MAX], n = 0;
	for (unsigned i = 0; i < t->e->n && !stop_all; i++)
		if (!t->started[i] && t->e->cfg[i].start_offset_ns - START_LEAD_NS <= rel)
			idx[n++] = i;
	if (ctl_n(t, true, idx, n) < 0)
		return;
	n = 0;
	unsigned running = 0;
	bool pending = false;
	for (unsigned i = 0; i < t->e->n; i++) {
		running += t->started[i] && !t->stopped[i];
		pending |= !t->started[i];
	}
	for (unsigned i = 0; i < t->e->n; i++) {
		const struct cli_sess_cfg *sc = &t->e->cfg[i];
		if (!t->started[i] || t->stopped[i])
			continue;
		int64_t end = sc->start_offset_ns + cli_engine_send_ns(sc) + sc->loss_timeout_ns +
		              CLI_ENGINE_TICK_NS;
		if (stop_all || ((sc->count || sc->duration_ns) && rel >= end))
			idx[n++] = i;
	}
	/* Stopping every running session ends the set in ctl_client (no Start-N
	 * after that), so while sessions are still to start, keep the last one
	 * running until the next has started. */
	if (!stop_all && pending && n == running)
		return;
	ctl_n(t, false, idx, n);
}

static void on_tick(void *arg, int64_t now)
{
	struct twamp_ctl *t = arg;
	if (t->individual && !t->failed)
		ctl_pump(t, now - t->t_run, false);
}

int cli_run_twamp(const struct cli_conn *o, const struct cli_plan *plan, unsigned n,
                  struct cli_engine *e, struct cli_meas *m, volatile sig_atomic_t *stop,
                  struct cli_run_out *out)
{
	char host[256], port[16], err[512];
	if (cli_parse_target(o->target, false, host, sizeof(host), port, sizeof(port)) < 0) {
		cli_err("bad target '%s' (HOST, HOST:PORT or [IPv6]:PORT)", o->target);
		return 1;
	}
	struct sockaddr_storage srv, loc;
	socklen_t srvlen = 0, loclen = sizeof(loc);
	int fd = tcp_connect(host, port, o, &srv, &srvlen, err, sizeof(err));
	if (fd < 0) {
		cli_err("%s", err);
		return 1;
	}
	getsockname(fd, (struct sockaddr *)&loc, &loclen);
	int rc = 1;
	struct ctl_client *c = ctl_client_new(&o->ctl);
	struct twamp_ctl t = {.fd = fd, .c = c, .e = e, .timeout = o->timeout, .stop = stop};
	snprintf(out->mode, sizeof(out->mode), "?");
	out->engine = cli_engine_name(e);
	if (!c) {
		cli_err("cannot create the control client");
		goto out;
	}
	if (drive(fd, c, CTL_CLIENT_GREETING, o->timeout, stop) < 0 ||
	    drive(fd, c, CTL_CLIENT_SERVER_START, o->timeout, stop) < 0)
		goto fail;
	uint32_t mode = ctl_client_mode(c);
	uint32_t base = mode & TW_CTL_MODE_BASE_MASK;
	tw_ctl_mode_format(mode, out->mode, sizeof(out->mode));
	bool secure_test = base == TW_CTL_MODE_AUTH || base == TW_CTL_MODE_ENCRYPTED;
	bool sym = mode & TW_CTL_MODE_SYMMETRICAL;
	/* RFC 9533 §4.1: one Request-TW-Micro-Sessions, one SID, for every
	 * micro-session; Start/Stop-Sessions as usual (so no Start-N/Stop-N
	 * per micro-session, even if RFC 5938 was negotiated). */
	bool micro = o->n_micro > 0;
	if (micro && n != o->n_micro) {
		cli_err("internal: %u sessions for %u micro-sessions", n, o->n_micro);
		goto out;
	}
	t.individual = out->individual = (mode & TW_CTL_MODE_INDIV_SESSIONS) != 0 && !micro;
	enum tw_pkt_layout layout = secure_test ? (sym ? TW_PKT_TWAMP_SYM_AUTH : TW_PKT_TWAMP_AUTH)
	                                        : (sym ? TW_PKT_TWAMP_SYM_OPEN : TW_PKT_TWAMP_OPEN);
	/* Default padding makes both directions the same size (§4.5). */
	uint32_t defpad = (uint32_t)(tw_pkt_reflector_base(layout) - tw_pkt_sender_base(layout));
	/* RFC 7750: the reply must reach past the Sender DSCP and ECN octet,
	 * which the open layouts put after their 41-octet base. */
	bool dscp_ecn = (mode & TW_CTL_MODE_DSCP_ECN) != 0;
	if (dscp_ecn && defpad < tw_pkt_dscp_ecn_min_pad(layout))
		defpad = tw_pkt_dscp_ecn_min_pad(layout);
	/* RFC 9533 §4.2: both packets must hold the micro-session IDs
	 * (RFC 9533 Figures 2-5, lib/tw_pkt.h tw_pkt_micro_tab) */
	uint32_t micro_pad = micro ? tw_pkt_micro_min_pad(layout) : 0;
	if (defpad < micro_pad)
		defpad = micro_pad;
	for (unsigned i = 0; i < n; i++) {
		const struct cli_plan *pl = &plan[i];
		struct cli_sess_cfg sc = {0};
		sc.local = loc;
		sc.local_len = loclen;
		sa_port(&sc.local, pl->sender_port);
		sc.layout = layout;
		sc.prot = base == TW_CTL_MODE_AUTH        ? TW_PKT_PROT_AUTH
		          : base == TW_CTL_MODE_ENCRYPTED ? TW_PKT_PROT_ENC
		                                          : TW_PKT_PROT_NONE;
		sc.padding = pl->padding == CLI_PAD_DEFAULT ? defpad : pl->padding;
		if (sc.padding < micro_pad) {
			cli_err(
			    "--padding %u: micro-sessions need at least %u in mode %s (RFC 9533 "
			    "IDs in both packets)",
			    sc.padding, micro_pad, out->mode);
			goto out;
		}
		fill_cfg(&sc, pl, m->cfg.loss_timeout_ns);
		sc.dscp_ecn = dscp_ecn;
		if (micro) {
			sc.micro = true;
			sc.micro_sid = o->micro_s[i];
			sc.micro_rid = o->micro_r[i];
			sc.micro_lead = 0; /* the LAG's one 5-tuple: session 0's socket */
		}
		/* RFC 8186 §2: negotiated, our Session-Sender timestamps in
		 * the truncated PTP format too (Z = 1 in its Error Estimate). */
		sc.ptp = (mode & TW_CTL_MODE_PTPV2) != 0;
		sc.start_offset_ns = (int64_t)i * o->stagger_ns;
		if (cli_engine_add(e, &sc, err, sizeof(err)) < 0) {
			cli_err("%s", err);
			goto out;
		}
		if (micro && i > 0)
			goto peer; /* the one Request-TW-Micro-Sessions was sent for session 0 */
		struct ctl_client_req r = {0};
		r.micro = micro;
		r.ipvn = loc.ss_family == AF_INET6 ? 6 : 4;
		/* Zero addresses mean "the control connection's" (RFC 4656
		 * §3.5), as twping -Z sends them. */
		if (!o->zero_addr) {
			sa_addr(&sc.local, r.sender_addr);
			sa_addr(&srv, r.receiver_addr);
		}
		r.sender_port = sa_get_port(&sc.local);
		r.receiver_port = r.sender_port; /* as twping; the server decides (§2.7) */
		r.padding = sc.padding;
		r.dscp = sc.dscp;
		/* Start soon; TWAMP has no schedule, the reflector ignores it (§2.14). */
		r.start_time =
		    tw_ntp_from_unix_ns(tw_time_now_ns() + 1000000000 + sc.start_offset_ns);
		r.timeout = tw_ntp_dur_from_ns((uint64_t)m->cfg.loss_timeout_ns);
		if (ctl_client_request(c, &r) != CTL_CLIENT_E_NONE) {
			cli_err("internal: cannot encode Request-TW-Session");
			goto out;
		}
		if (drive(fd, c, CTL_CLIENT_ACCEPT, o->timeout, stop) < 0) {
			if (micro && ctl_client_error(c) == CTL_CLIENT_E_SESSION_REJECTED &&
			    ctl_client_accept(c) == TW_CTL_ACCEPT_NOT_SUPPORTED)
				cli_err(
				    "%s refused Request-TW-Micro-Sessions (Accept=3): no RFC 9533 "
				    "micro-session support there, or the padding cannot hold "
				    "the IDs",
				    o->target);
			goto fail;
		}
	peer:;
		const struct ctl_client_sess *cs = ctl_client_session(c, micro ? 0 : i);
		struct sockaddr_storage peer = srv;
		sa_port(&peer, cs->port);
		/* Keys, SID and Server Octets exist only now; engines apply them in set_peer. */
		if (secure_test) {
			memcpy(e->cfg[i].test_aes_key, cs->test_aes_key, 16);
			memcpy(e->cfg[i].test_hmac_key, cs->test_hmac_key, 32);
		}
		memcpy(e->cfg[i].sid, cs->sid, 16);
		e->cfg[i].twamp_mode = mode;
		e->cfg[i].server_octets = cs->server_octets;
		if (cli_engine_set_peer(e, i, (struct sockaddr *)&peer, srvlen, err, sizeof(err)) <
		    0) {
			cli_err("%s", err);
			goto out;
		}
		char sid[48];
		for (int k = 0; k < 16; k++)
			snprintf(sid + 2 * k, 3, "%02x", cs->sid[k]);
		/* micro-sessions share the SID: the name adds their IDs */
		if (micro)
			snprintf(sid + 32, sizeof(sid) - 32, "/%u:%u", sc.micro_sid, sc.micro_rid);
		sess_info(m, i, &e->cfg[i], sid, out->mode);
	}
	if (cli_meas_start(m, err, sizeof(err)) < 0) {
		cli_err("%s", err);
		goto out;
	}
	for (unsigned i = 0; i < n; i++)
		m->s[i].info.warm_pkts = plan_warm_pkts(&plan[i]);
	t.t_run = m->t0;
	if (t.individual) {
		ctl_pump(&t, 0, false); /* Start-N for the sessions due now */
		if (t.failed)
			goto stopped;
	} else if (ctl_client_start(c) != CTL_CLIENT_E_NONE ||
	           drive(fd, c, CTL_CLIENT_START_ACK, o->timeout, stop) < 0) {
		goto fail;
	}
	if (!o->quiet && micro)
		fprintf(
		    stderr,
		    "twinhop: %s: mode %s, %u micro-session%s of one session started (RFC 9533, "
		    "engine %s)\n",
		    o->target, out->mode, n, n == 1 ? "" : "s", cli_engine_name(e));
	else if (!o->quiet)
		fprintf(stderr, "twinhop: %s: mode %s, %u session%s started (engine %s%s)\n",
		        o->target, out->mode, n, n == 1 ? "" : "s", cli_engine_name(e),
		        t.individual ? ", Start-N/Stop-N" : "");
	m->on_tick = on_tick;
	m->on_tick_arg = &t;
	int er = cli_engine_run(e, cli_meas_callbacks(m), stop, err, sizeof(err));
	m->on_tick = NULL;
	/* Stop even after an engine error, so the server cleans up. */
	if (t.individual) {
		if (!t.failed)
			ctl_pump(&t, 0, true);
	} else {
		ctl_client_stop(c, er < 0 ? 1 : 0);
		flush_tx(fd, c);
	}
	if (er < 0) {
		cli_err("%s", err);
		goto out;
	}
stopped:
	engine_drops(e);
	m->engine_drops = e->drops;
	m->engine_cpus = e->cpus;
	stamp_results(e, m);
	if (cli_meas_finish(m, err, sizeof(err)) < 0) {
		cli_err("%s", err);
		goto out;
	}
	rc = t.failed ? 1 : 0;
	goto out;
fail:
	cli_err("%s [%s]", ctl_client_errmsg(c), ctl_client_err_name(ctl_client_error(c)));
out:
	ctl_client_free(c);
	close(fd);
	return rc;
}

int cli_run_light(const struct cli_conn *o, const struct cli_plan *plan, unsigned n,
                  struct cli_engine *e, struct cli_meas *m, volatile sig_atomic_t *stop,
                  struct cli_run_out *out)
{
	char host[256], port[16], err[512];
	if (cli_parse_target(o->target, true, host, sizeof(host), port, sizeof(port)) < 0) {
		cli_err("bad target '%s' (HOST:PORT or [IPv6]:PORT)", o->target);
		return 1;
	}
	struct addrinfo hints = {.ai_family = o->family, .ai_socktype = SOCK_DGRAM}, *res;
	int g = getaddrinfo(host, port, &hints, &res);
	if (g) {
		cli_err("cannot resolve %s: %s", host, gai_strerror(g));
		return 1;
	}
	struct sockaddr_storage peer = {0}, local = {0};
	socklen_t plen = res->ai_addrlen;
	memcpy(&peer, res->ai_addr, res->ai_addrlen);
	local.ss_family = (sa_family_t)res->ai_family;
	freeaddrinfo(res);
	if (o->local) {
		struct addrinfo lh = {.ai_family = local.ss_family, .ai_flags = AI_NUMERICHOST},
		                *lr;
		if (getaddrinfo(o->local, NULL, &lh, &lr)) {
			cli_err("--local %s: not a numeric address of the target's family",
			        o->local);
			return 1;
		}
		memcpy(&local, lr->ai_addr, lr->ai_addrlen);
		freeaddrinfo(lr);
	}
	out->engine = cli_engine_name(e);
	out->individual = false;
	bool stamp = tw_pkt_is_stamp(plan[0].layout);
	snprintf(out->mode, sizeof(out->mode), "%s",
	         stamp ? (plan[0].prot != TW_PKT_PROT_NONE ? "stamp-auth" : "stamp") : "light");
	for (unsigned i = 0; i < n; i++) {
		const struct cli_plan *pl = &plan[i];
		struct cli_sess_cfg sc = {0};
		sc.peer = peer;
		sc.peer_len = plen;
		sc.local = local;
		sc.local_len = plen;
		sa_port(&sc.local, pl->sender_port);
		sc.layout = pl->layout;
		sc.prot = pl->prot;
		if (pl->stamp_key_len) {
			memcpy(sc.stamp_key, pl->stamp_key, pl->stamp_key_len);
			sc.stamp_key_len = pl->stamp_key_len;
		}
		sc.padding = pl->padding != CLI_PAD_DEFAULT
		                 ? pl->padding
		                 : (uint32_t)(tw_pkt_reflector_base(sc.layout) -
		                              tw_pkt_sender_base(sc.layout));
		sc.ssid = pl->ssid;
		/* RFC 8762 §4.2.1: a STAMP Session-Sender may be configured to
		 * write the truncated PTP format (Z = 1) whatever the reflector
		 * uses; no negotiation, so --features ptp is taken as asked. */
		sc.ptp = tw_pkt_is_stamp(sc.layout) && (o->ctl.features & TW_CTL_MODE_PTPV2);
		if (pl->ntlv && pl->ntlv <= TW_STLV_SPECS) {
			memcpy(sc.tlv, pl->tlv, pl->ntlv * sizeof(sc.tlv[0]));
			sc.ntlv = pl->ntlv;
		}
		fill_cfg(&sc, pl, m->cfg.loss_timeout_ns);
		sc.start_offset_ns = (int64_t)i * o->stagger_ns;
		/* RFC 9534 LAG micro-sessions: one 5-tuple (session 0's), each
		 * its own pair of IDs in its Micro-session ID TLV, named S:R */
		char mname[16];
		if (o->n_micro) {
			sc.micro = true;
			sc.micro_sid = o->micro_s[i];
			sc.micro_rid = o->micro_r[i];
			sc.micro_lead = 0;
			snprintf(mname, sizeof(mname), "%u:%u", sc.micro_sid, sc.micro_rid);
		}
		struct sockaddr_storage pc = peer;
		if (cli_engine_add(e, &sc, err, sizeof(err)) < 0 ||
		    cli_engine_set_peer(e, i, (struct sockaddr *)&pc, plen, err, sizeof(err)) < 0) {
			cli_err("%s", err);
			return 1;
		}
		sess_info(m, i, &e->cfg[i], o->n_micro ? mname : NULL, out->mode);
	}
	if (o->n_micro && !o->quiet)
		fprintf(stderr,
		        "twinhop: %s: mode %s, %u micro-session%s on one 5-tuple (RFC 9534, engine "
		        "%s)\n",
		        o->target, out->mode, n, n == 1 ? "" : "s", cli_engine_name(e));
	if (cli_meas_start(m, err, sizeof(err)) < 0) {
		cli_err("%s", err);
		return 1;
	}
	for (unsigned i = 0; i < n; i++)
		m->s[i].info.warm_pkts = plan_warm_pkts(&plan[i]);
	if (cli_engine_run(e, cli_meas_callbacks(m), stop, err, sizeof(err)) < 0) {
		cli_err("%s", err);
		return 1;
	}
	engine_drops(e);
	stamp_results(e, m);
	m->engine_drops = e->drops;
	m->engine_cpus = e->cpus;
	if (cli_meas_finish(m, err, sizeof(err)) < 0) {
		cli_err("%s", err);
		return 1;
	}
	return 0;
}
