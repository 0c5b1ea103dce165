/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twinhopd: the TWAMP-Control server daemon (docs/control.md).
 *
 * One process, one epoll loop (ctl_loop), no thread or process per
 * connection.  Start-up order matters for privilege separation (style
 * anchor 10): read the configuration and keys, bind the TWAMP-Control
 * sockets (862 needs privilege), create the admin sockets, attach to the
 * fast path's shared memory, then drop to `user`, set no_new_privs and load
 * the seccomp allow-list.  Everything after that runs unprivileged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl_admin.h"
#include "ctl_cc.h"
#include "ctl_daemon.h"
#include "ctl_live.h"
#include "ctl_log.h"
#include "ctl_metrics.h"
#include "ctl_peers.h"
#include "ctl_reg.h"
#include "ctl_sandbox.h"
#include "tw_config.h"
#include "tw_time.h"

#define FP_POLL_MS   5    /* ring poll period while the fast path is attached */
#define CLIENT_TABLE 4096 /* distinct client addresses with live sessions */
/* Listen backlog: a burst of connections waits in the kernel rather than
 * being dropped (half-open ones are the SYN queue's and syncookies' job). */
#define LISTEN_BACKLOG 1024
#define ACCEPT_PAUSE_MS 100 /* after accept() failed for want of descriptors */

/* Log lines a peer can cause, at most one a second each, with the number
 * left out since the last one (the counters have every event). */
struct ratelog {
	uint64_t next_ms;
	uint64_t quiet;
};

/* May the line be logged now?  *quiet: how many were left out before it. */
static bool ratelog_ok(struct ratelog *r, uint64_t now_ms, unsigned long long *quiet)
{
	if (now_ms < r->next_ms) {
		r->quiet++;
		return false;
	}
	*quiet = r->quiet;
	r->quiet = 0;
	r->next_ms = now_ms + 1000;
	return true;
}

static struct ratelog log_sessions_full, log_idle_evicted, log_refused, log_evicted;

static struct ctl_daemon daemon_state;
/* The modules serving the daemon context: above it, so it does not name them. */
static struct ctl_admin *admin;
static struct ctl_metrics *metrics;

/* ---- per-client accounting (max-sessions-per-client) ------------------------------ */

static struct client_ent {
	uint8_t family;
	uint8_t addr[16];
	uint32_t n;
} clients[CLIENT_TABLE];

static struct client_ent *client_find(const struct ctl_peer *p, bool create)
{
	uint8_t a[16], fam;
	struct client_ent *free_e = NULL;

	ctl_peers_key(&p->remote, &fam, a); /* an IPv6 client is its /64 */
	for (unsigned i = 0; i < CLIENT_TABLE; i++) {
		if (clients[i].n && clients[i].family == fam && !memcmp(clients[i].addr, a, 16))
			return &clients[i];
		if (!clients[i].n && !free_e)
			free_e = &clients[i];
	}
	if (!create || !free_e)
		return NULL;
	free_e->family = fam;
	memcpy(free_e->addr, a, 16);
	return free_e;
}

static bool op_client_take(void *ctx, const struct ctl_peer *p)
{
	struct ctl_daemon *d = ctx;
	struct client_ent *e = client_find(p, true);
	if (!e || e->n >= d->conf.max_sessions_per_client)
		return false;
	e->n++;
	d->sessions_held++;
	return true;
}

/* Daemon-wide bound on sessions held (max-sessions): the per-address quotas
 * bound one source, this bounds them all, so many sources (an IPv6 /48 holds
 * 65,536 /64s) cannot fill the fast path's session table and turn every
 * later request into a NACK.  A session counts from its request until the
 * fast path deleted it (retire_done), drain and deferred delete included,
 * like the per-client quota. */
static bool op_server_full(void *ctx)
{
	struct ctl_daemon *d = ctx;
	if (d->sessions_held < d->conf.max_sessions)
		return false;
	unsigned long long quiet;
	if (ratelog_ok(&log_sessions_full, ctl_now_ms(), &quiet))
		log_warnx("max-sessions %u held: Request-TW-Session refused with Accept=5 "
		          "(%llu more not logged)",
		          d->conf.max_sessions, quiet);
	return true;
}

static bool op_third_party_ok(void *ctx, const struct ctl_peer *p)
{
	struct ctl_daemon *d = ctx;
	return ctl_conf_third_party(&d->conf, &p->remote);
}

/* What the attached fast path said in its HELLO_REPLY; all zero when
 * none is attached. */
static struct ctl_fp_stats fp_hello(const struct ctl_daemon *d)
{
	struct ctl_fp_stats st = {0};
	if (ctl_fp_attached(d->fp))
		ctl_fp_stats(d->fp, &st);
	return st;
}

/* RFC 9533: the member link of the attached fast path's port, 0 = none. */
static uint16_t op_member_link(void *ctx)
{
	return (uint16_t)fp_hello(ctx).member_link;
}

/* The attached fast path's IP MTU for test packets, 0 = unknown. */
static uint16_t op_test_mtu(void *ctx)
{
	return fp_hello(ctx).ip_mtu;
}

static void op_client_give(void *ctx, const struct ctl_peer *p)
{
	struct ctl_daemon *d = ctx;
	struct client_ent *e = client_find(p, false);
	if (e && e->n) {
		e->n--;
		d->sessions_held--;
	}
}

/* ---- ports, session ids, keys (ctl_daemon.c) ------------------------------------------------------- */

static uint16_t op_flow_reserve(void *ctx, struct tw_ipc_flow *flow, uint16_t wanted)
{
	struct ctl_daemon *d = ctx;
	/* The requested Receiver Port when that flow is free (twampd's
	 * _OWPEndpointInit honours it too, §2.7), else another (ctl_flows.h). */
	return ctl_flows_reserve(d->flows, flow, wanted, d->conf.test_port_min,
	                         d->conf.test_port_max);
}

static uint32_t op_session_id(void *ctx)
{
	return ctl_daemon_session_id(ctx);
}

static bool op_key_lookup(void *ctx, const uint8_t key_id[TW_CTL_KEYID_LEN], const uint8_t **secret,
                          size_t *len)
{
	struct ctl_daemon *d = ctx;
	return ctl_keys_lookup(d->keys, key_id, secret, len);
}

/* ---- fast-path glue ------------------------------------------------------------------- */

static struct ctl_conn *conn_of(struct ctl_daemon *d, struct ctl_srv *s)
{
	for (struct ctl_conn *c = d->conns; c; c = c->next)
		if (c->srv == s)
			return c;
	return NULL;
}

static void conn_service(struct ctl_conn *c);

static void conn_fp_reply(void *arg, uint32_t req, enum tw_err err, const struct tw_ipc_hdr *h,
                          const void *payload)
{
	struct ctl_conn *c = arg;
	(void)h;
	(void)payload;
	if (!c->dead) {
		ctl_srv_fp_reply(c->srv, req, err, ctl_now_ms());
		conn_service(c); /* the answer goes out now, its deadline is new */
	}
}

static uint32_t op_fp_send(void *ctx, struct ctl_srv *s, uint16_t type, const void *payload,
                           uint32_t len)
{
	struct ctl_daemon *d = ctx;
	struct ctl_conn *c = conn_of(d, s);
	if (!c)
		return 0;
	return ctl_fp_send(d->fp, type, payload, len, conn_fp_reply, c, ctl_now_ms());
}

/* A session on its way out: flow and quota stay taken until the fast path
 * has deleted it, so a port returns to the pool exactly then (§2.14). */
struct retire {
	struct ctl_daemon *d;
	struct tw_ipc_flow flow;
	struct ctl_peer client;
};

static void retire_done(void *arg, uint32_t session, enum tw_err err)
{
	struct retire *r = arg;
	struct ctl_daemon *d = r->d;

	if (err == TW_E_OK)
		d->cnt.c[CTL_CNT_FP_DELETED]++;
	else if (err == TW_E_SYS)
		d->cnt.c[CTL_CNT_FP_DELETED_GONE]++;
	else
		d->cnt.c[CTL_CNT_FP_DELETED_UNKNOWN]++;
	log_debug("session %u deleted (%s): port %u free", session, tw_errname(err),
	          r->flow.local_port);
	ctl_flows_release(d->flows, &r->flow);
	op_client_give(d, &r->client);
	free(r);
}

static void op_sess_retire(void *ctx, uint32_t session, const struct tw_ipc_flow *flow,
                           const struct ctl_peer *client, uint64_t at_ms)
{
	struct ctl_daemon *d = ctx;
	struct retire *r = malloc(sizeof(*r));

	if (!r) {
		/* Out of memory: give everything back now rather than never. */
		log_err("session %u: out of memory, released before its delete", session);
		struct retire tmp = {d, *flow, *client};
		ctl_flows_release(d->flows, &tmp.flow);
		op_client_give(d, &tmp.client);
		return;
	}
	*r = (struct retire){d, *flow, *client};
	ctl_fp_del_at(d->fp, session, at_ms, retire_done, r);
}

static void hook_event(void *arg, const struct tw_ipc_hdr *h, const void *payload)
{
	struct ctl_daemon *d = arg;
	uint64_t now = ctl_now_ms();

	if (h->type == TW_IPC_SESSION_EVENT) {
		struct tw_ipc_session_event ev;
		memcpy(&ev, payload, sizeof(ev));
		/* The fast path's final counts: the session's last trace in the
		 * log, after its "accepted" line (docs/user-guide.md, Logs). */
		if (ev.event == TW_IPC_EV_DELETED)
			log_info("session %u deleted: %llu packet(s) received, %llu sent",
			         ev.session, (unsigned long long)ev.rx_pkts,
			         (unsigned long long)ev.tx_pkts);
		for (struct ctl_conn *c = d->conns; c; c = c->next)
			if (!c->dead) {
				ctl_srv_fp_event(c->srv, &ev, now);
				c->deadline = ctl_srv_deadline(c->srv);
			}
	} else if (h->type == TW_IPC_LOG) {
		struct tw_ipc_log lg;
		memcpy(&lg, payload, sizeof(lg));
		ctl_log(lg.level > LOG_DEBUG ? LOG_DEBUG : lg.level, "fast path lcore %u: %.*s",
		        lg.lcore, (int)lg.text_len, (const char *)payload + sizeof(lg));
	}
	ctl_admin_fp_event(admin, h, payload);
}

/* The fast path (re)started, or we lost our claim: admin listeners and
 * senders, and the accepted or started sessions of every TWAMP-Control
 * connection, are programmed again (issue 8 §6b), so a test in progress
 * carries on after a restart instead of losing every packet until its
 * Stop-Sessions (docs/control.md, "Restarts"). */
static void hook_attached(void *arg)
{
	struct ctl_daemon *d = arg;
	uint64_t now = ctl_now_ms();
	unsigned n = 0;

	ctl_admin_fp_attached(admin);
	for (struct ctl_conn *c = d->conns; c; c = c->next)
		if (!c->dead) {
			n += ctl_srv_fp_reattached(c->srv, now);
			c->deadline = ctl_srv_deadline(c->srv);
		}
	if (n)
		log_info("fast path attached: %u TWAMP-Control session(s) programmed again", n);
}

static void hook_detached(void *arg)
{
	(void)arg;
	ctl_admin_fp_detached(admin);
}

static const struct ctl_srv_ops srv_ops = {
    .key_lookup = op_key_lookup,
    .flow_reserve = op_flow_reserve,
    .third_party_ok = op_third_party_ok,
    .server_full = op_server_full,
    .client_take = op_client_take,
    .client_give = op_client_give,
    .session_id = op_session_id,
    .fp_send = op_fp_send,
    .sess_retire = op_sess_retire,
    .member_link = op_member_link,
    .test_mtu = op_test_mtu,
};

/* ---- TWAMP-Control connections ------------------------------------------------------- */

static void conn_service(struct ctl_conn *c)
{
	struct ctl_daemon *d = c->d;
	const uint8_t *p;
	size_t len;

	if (c->dead)
		return;
	/* One message per send() (§8.1); a partial send continues later. */
	while (ctl_srv_out(c->srv, &p, &len)) {
		ssize_t n = send(c->io.fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			c->dead = true;
			return;
		}
		ctl_srv_out_done(c->srv, (size_t)n);
	}
	if (ctl_srv_done(c->srv)) {
		c->dead = true;
		return;
	}
	c->deadline = ctl_srv_deadline(c->srv);
	uint32_t ev = 0;
	if (ctl_srv_state(c->srv) != CTL_SRV_CLOSED && ctl_srv_in_space(c->srv))
		ev |= EPOLLIN;
	if (ctl_srv_out(c->srv, &p, &len))
		ev |= EPOLLOUT;
	(void)ctl_loop_mod(d->loop, &c->io, ev);
}

static void conn_io(struct ctl_io *io, uint32_t events)
{
	struct ctl_conn *c = (struct ctl_conn *)io;
	uint8_t buf[16384];

	if (c->dead)
		return;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		for (;;) {
			size_t room = ctl_srv_in_space(c->srv);
			if (!room)
				break;
			ssize_t n = recv(io->fd, buf, room < sizeof(buf) ? room : sizeof(buf), 0);
			if (n > 0) {
				ctl_srv_input(c->srv, buf, (size_t)n, ctl_now_ms());
				continue;
			}
			if (n == 0) {
				ctl_srv_eof(c->srv, ctl_now_ms());
				break;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				ctl_srv_eof(c->srv, ctl_now_ms());
				/* a reset peer reads nothing more: drop what is queued */
				c->dead = true;
				return;
			}
			break;
		}
	}
	conn_service(c);
}

static void conn_free(struct ctl_daemon *d, struct ctl_conn *c)
{
	if (c->counted)
		ctl_peers_dec(d->peers, &ctl_srv_peer(c->srv)->remote);
	ctl_loop_del(d->loop, &c->io);
	close(c->io.fd);
	ctl_fp_cancel(d->fp, c);
	ctl_srv_free(c->srv, ctl_now_ms());
	if (!c->uncounted)
		d->n_conns--;
	free(c);
}

/* Socket options of an accepted control connection. */
static void conn_sockopts(struct ctl_daemon *d, int fd)
{
	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		log_debug("TCP_NODELAY: %s", strerror(errno));
	if (!d->conf.tcp_keepalive_s)
		return;
	/* Keepalive: a peer that vanished (no FIN, no RST) is found after
	 * tcp-keepalive seconds of silence plus 3 unanswered probes 10 s
	 * apart, and its connection and sessions are released. */
	int idle = (int)d->conf.tcp_keepalive_s, intvl = 10, cnt = 3;
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) < 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) < 0)
		log_debug("TCP keepalive: %s", strerror(errno));
}

/* Close the oldest connection still waiting for its Set-Up-Response; false
 * if every connection has authenticated.  The list is newest first, so the
 * last match is the oldest.  O(connections), only when the table is full. */
static bool conn_evict_oldest(struct ctl_daemon *d)
{
	struct ctl_conn *old = NULL;
	for (struct ctl_conn *c = d->conns; c; c = c->next)
		if (!c->dead && ctl_srv_unauthenticated(c->srv))
			old = c;
	if (!old)
		return false;
	unsigned long long quiet;
	if (ratelog_ok(&log_evicted, ctl_now_ms(), &quiet)) {
		char a[80];
		ctl_conf_addrport_str(&ctl_srv_peer(old->srv)->remote, a, sizeof(a));
		log_info("connection table full: closing the oldest unauthenticated connection "
		         "(%s; %llu more such closes not logged)",
		         a, quiet);
	}
	d->cnt.c[CTL_CNT_CONN_EVICTED]++;
	old->dead = true;
	/* It no longer counts against the table: the newcomer takes its place
	 * now, the descriptor is closed at the end of this loop iteration. */
	d->n_conns--;
	old->uncounted = true;
	return true;
}

/* The table is full and every connection authenticated: close the open-mode
 * connection without sessions that has been idle the longest.  It proved no
 * shared secret and holds nothing, so 64 of them from 8 addresses (the
 * per-address cap) cannot keep everyone else out for SERVWAIT; one that
 * authenticated with a key, or holds a session, is never closed here.
 * O(connections), only when the table is full. */
static bool conn_evict_idle_open(struct ctl_daemon *d)
{
	struct ctl_conn *old = NULL;
	uint64_t old_since = UINT64_MAX, since;
	for (struct ctl_conn *c = d->conns; c; c = c->next)
		if (!c->dead && ctl_srv_idle_open(c->srv, &since) && since <= old_since) {
			old = c; /* newest first: "<=" keeps the oldest of a tie */
			old_since = since;
		}
	if (!old)
		return false;
	unsigned long long quiet;
	uint64_t now = ctl_now_ms();
	if (ratelog_ok(&log_idle_evicted, now, &quiet)) {
		char a[80];
		ctl_conf_addrport_str(&ctl_srv_peer(old->srv)->remote, a, sizeof(a));
		log_info("connection table full: closing %s, open mode, no session, idle %llu ms "
		         "(%llu more such closes not logged)",
		         a, (unsigned long long)(now - old_since), quiet);
	}
	d->cnt.c[CTL_CNT_CONN_IDLE_EVICTED]++;
	old->dead = true;
	d->n_conns--; /* as in conn_evict_oldest */
	old->uncounted = true;
	return true;
}

static void listeners_pause(struct ctl_daemon *d, uint64_t until)
{
	for (unsigned i = 0; i < d->n_lst; i++)
		(void)ctl_loop_mod(d->loop, &d->lst[i].io, 0);
	d->accept_paused_until = until;
}

static void listeners_resume(struct ctl_daemon *d, uint64_t now)
{
	if (!d->accept_paused_until || now < d->accept_paused_until)
		return;
	d->accept_paused_until = 0;
	for (unsigned i = 0; i < d->n_lst; i++)
		(void)ctl_loop_mod(d->loop, &d->lst[i].io, EPOLLIN);
}

static void listener_io(struct ctl_io *io, uint32_t events)
{
	struct ctl_listener *l = (struct ctl_listener *)io;
	struct ctl_daemon *d = l->d;
	(void)events;

	for (;;) {
		struct ctl_peer peer;
		socklen_t sl = sizeof(peer.remote);
		memset(&peer, 0, sizeof(peer));
		int fd = accept4(io->fd, (struct sockaddr *)&peer.remote, &sl,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			/* EMFILE/ENFILE/ENOMEM: the pending connection stays in the
			 * queue and the listener stays readable; pause accepting
			 * for a moment instead of spinning on it. */
			d->cnt.c[CTL_CNT_CONN_ACCEPT_FAILED]++;
			uint64_t now = ctl_now_ms();
			if (now >= d->accept_warn_ms) {
				log_warn("accept (paused %u ms)", ACCEPT_PAUSE_MS);
				d->accept_warn_ms = now + 1000;
			}
			listeners_pause(d, now + ACCEPT_PAUSE_MS);
			return;
		}
		sl = sizeof(peer.local);
		getsockname(fd, (struct sockaddr *)&peer.local, &sl);
		ctl_sa_unmap(&peer.remote);
		ctl_sa_unmap(&peer.local);
		conn_sockopts(d, fd);

		/* Every refusal is a greeting with Modes 0 and a close (RFC 4656
		 * §3.1), counted as CONN_REFUSED and under its own reason. */
		uint32_t offered = ctl_conf_modes_for(&d->conf, &peer.remote);
		const char *refused = NULL;
		if (!offered) {
			d->cnt.c[CTL_CNT_CONN_NOT_ALLOWED]++;
			refused = "no allow rule offers a mode";
		}
		/* One address holds at most max-connections-per-address. */
		uint32_t from_addr = ctl_peers_count(d->peers, &peer.remote);
		bool counted = false;
		if (offered && from_addr >= d->conf.max_connections_per_address) {
			d->cnt.c[CTL_CNT_CONN_PER_ADDRESS]++;
			offered = 0;
			refused = "max-connections-per-address reached";
		}
		/* Table full: drop the oldest connection that has not
		 * authenticated yet rather than the newcomer (OpenSSH
		 * MaxStartups), so idle or slow pre-authentication connections
		 * never lock a real client out; failing that, the longest-idle
		 * open-mode connection without sessions. */
		if (offered && d->n_conns >= d->conf.max_connections && !conn_evict_oldest(d) &&
		    !conn_evict_idle_open(d)) {
			d->cnt.c[CTL_CNT_CONN_FULL]++;
			offered = 0;
			refused = "max-connections open, every one authenticated with a key "
			          "or holding a session";
		}
		if (offered)
			counted = ctl_peers_inc(d->peers, &peer.remote) != 0;
		if (offered && !counted) {
			offered = 0; /* cannot happen: sized for the table */
			refused = "address table full";
		}
		struct ctl_conn *c = calloc(1, sizeof(*c));
		if (!c) {
			if (counted)
				ctl_peers_dec(d->peers, &peer.remote);
			close(fd);
			continue;
		}
		c->counted = counted;
		c->d = d;
		c->io.fd = fd;
		c->io.cb = conn_io;
		c->srv = ctl_srv_new(&d->env, &peer, offered, ctl_now_ms());
		if (!c->srv || ctl_loop_add(d->loop, &c->io, EPOLLIN) < 0) {
			if (counted)
				ctl_peers_dec(d->peers, &peer.remote);
			if (c->srv)
				ctl_srv_free(c->srv, ctl_now_ms());
			close(fd);
			free(c);
			continue;
		}
		char a[80];
		ctl_conf_addrport_str(&peer.remote, a, sizeof(a));
		unsigned long long quiet;
		/* A refusal costs the peer one connect: at most one line a
		 * second, or a flood of them floods the log (the counters
		 * CONN_REFUSED and the reason's have every one). */
		if (refused && ratelog_ok(&log_refused, ctl_now_ms(), &quiet)) {
			if (quiet)
				log_info("control connection from %s refused: %s (greeting with "
				         "Modes 0); %llu more refusals not logged",
				         a, refused, quiet);
			else
				log_info("control connection from %s refused: %s (greeting with "
				         "Modes 0)",
				         a, refused);
		} else if (!refused) {
			log_info("control connection from %s (modes 0x%x)", a, offered);
		}
		c->next = d->conns;
		d->conns = c;
		d->n_conns++;
		conn_service(c); /* the greeting goes out in its own send() */
	}
}

static int open_listeners(struct ctl_daemon *d)
{
	for (unsigned i = 0; i < d->conf.n_listen; i++) {
		const struct ctl_conf_listen *cl = &d->conf.listen[i];
		char a[80];
		int one = 1;
		int fd = socket(cl->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		ctl_conf_addrport_str(&cl->ss, a, sizeof(a));
		if (fd < 0) {
			log_warn("listen %s: socket", a);
			return -1;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (cl->ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)&cl->ss, cl->len) < 0 ||
		    listen(fd, LISTEN_BACKLOG) < 0) {
			log_warn("listen %s", a);
			close(fd);
			return -1;
		}
		d->lst[i].d = d;
		d->lst[i].io.fd = fd;
		d->lst[i].io.cb = listener_io;
		if (ctl_loop_add(d->loop, &d->lst[i].io, EPOLLIN) < 0) {
			close(fd);
			return -1;
		}
		d->n_lst++;
		log_info("TWAMP-Control listening on %s", a);
	}
	return 0;
}

/* ---- privileges ------------------------------------------------------------------------ */

/* The first attach happens as root (main); every later one, after a
 * fast-path restart, as c->user.  A region that user cannot open is only
 * found then, with sessions down: say so now (the OpenSSH StrictModes
 * idea, as a warning).  glibc's shm_open maps "/name" to /dev/shm/name. */
static void warn_region_access(const char *region, const struct passwd *pw)
{
	char path[96];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/shm%s%s", region[0] == '/' ? "" : "/", region);
	if (stat(path, &st) < 0 || st.st_uid == pw->pw_uid)
		return;
	if (st.st_gid == pw->pw_gid && (st.st_mode & 0060) == 0060)
		return;
	log_warnx("fast path region %s is uid %u gid %u mode %04o: as user %s (gid %u) twinhopd "
	          "cannot attach to it again after a fast-path restart; start twinhop-fp with "
	          "--shm-group %u --shm-mode 0660",
	          region, (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
	          pw->pw_name, (unsigned)pw->pw_gid, (unsigned)pw->pw_gid);
}

static int drop_privileges(const struct ctl_conf *c, const char *region)
{
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam(c->user);
		if (!pw) {
			log_err("user %s: no such user", c->user);
			return -1;
		}
		warn_region_access(region, pw);
		if (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
			log_warn("dropping privileges to %s", c->user);
			return -1;
		}
		log_info("running as user %s", c->user);
	} else {
		log_info("not started as root: keeping uid %u", (unsigned)getuid());
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_warn("PR_SET_NO_NEW_PRIVS");
		return -1;
	}
	if (c->seccomp) {
		if (!ctl_sandbox_available()) {
			log_info("built without libseccomp: no syscall filter");
		} else if (ctl_sandbox_load() < 0) {
			log_err("cannot load the seccomp filter");
			return -1;
		} else {
			log_info("seccomp allow-list loaded");
		}
	}
	return 0;
}

/* ---- main -------------------------------------------------------------------------------- */

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		daemon_state.reload = 1;
	else
		daemon_state.stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: twinhopd [-dDhnsv] [-f file] [-l logfile] [-p pidfile]\n"
	        "  -f, --config file   configuration (default " TW_SYSCONFDIR "/twinhopd.conf)\n"
	        "  -n, --check         check the configuration and exit (0 ok, 1 error)\n"
	        "  -v, --verbose       with -n: print the canonical configuration\n"
	        "  -d, --daemon        detach into the background (logs to syslog unless -l)\n"
	        "  -D, --debug         log debug messages\n"
	        "  -s, --syslog        log to syslog instead of stderr\n"
	        "  -l, --logfile file  append log lines to file\n"
	        "  -p, --pidfile file  write the process id to file\n"
	        "  -h, --help          this text\n"
	        "SIGHUP reloads the configuration and keys; SIGTERM stops.\n");
}

/* ---- daemon mode, pid file, reload ---------------------------------------------------- */

/* Fork into the background.  The parent waits until the child reports the
 * end of its start-up on a pipe, so its exit status says whether the daemon
 * came up (Type=forking, init scripts).  Returns the write end in the child. */
static int daemonize(void)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		log_warn("pipe");
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_warn("fork");
		return -1;
	}
	if (pid > 0) {
		char ok = 0;
		close(pfd[1]);
		while (read(pfd[0], &ok, 1) < 0 && errno == EINTR)
			;
		_exit(ok == '1' ? 0 : 1);
	}
	close(pfd[0]);
	if (setsid() < 0)
		log_warn("setsid");
	if (chdir("/") < 0)
		log_warn("chdir /");
	/* Logs go to syslog or the -l file from here on; stderr would be the
	 * terminal of whoever started us. */
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		if (!ctl_log_to_file())
			dup2(nul, 2);
		close(nul);
	}
	return pfd[1];
}

static void daemon_ready(int *fd)
{
	if (*fd < 0)
		return;
	if (write(*fd, "1", 1) < 0)
		log_warn("start-up pipe");
	close(*fd);
	*fd = -1;
}

static int pidfile_write(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			long old = strtol(buf, NULL, 10);
			if (old > 0 && old != (long)getpid() && kill((pid_t)old, 0) == 0) {
				log_err("pid file %s: twinhopd already runs as pid %ld", path, old);
				return -1;
			}
		}
	}
	/* O_NOFOLLOW: a symlink planted in a writable run directory must not
	 * make a root daemon truncate another file. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		log_warn("pid file %s", path);
		return -1;
	}
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		log_warn("pid file %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* SIGHUP: read the configuration and keys again.  Policy (modes, features,
 * allow, limits, timers, keys, thresholds, log level) applies to new
 * connections and sessions at once; running sessions are untouched.
 * Directives bound at start-up (sockets, user, seccomp, fast-path region)
 * keep their running value until a restart. */
static void reload(struct ctl_daemon *d, const char *path)
{
	struct ctl_conf *nc = malloc(sizeof(*nc));
	struct ctl_keys *nk = NULL;
	char err[512];

	if (!nc) {
		d->cnt.c[CTL_CNT_RELOAD_FAILED]++;
		return;
	}
	if (ctl_conf_load(path, nc, err, sizeof(err)) ||
	    (nc->keyfile[0] && ctl_keys_load(nc->keyfile, &nk, err, sizeof(err)))) {
		log_err("reload: %s; the running configuration stays", err);
		d->cnt.c[CTL_CNT_RELOAD_FAILED]++;
		free(nc);
		return;
	}
	const struct ctl_conf *oc = &d->conf;
	bool lst_same = nc->n_listen == oc->n_listen;
	for (unsigned i = 0; lst_same && i < nc->n_listen; i++)
		lst_same = nc->listen[i].len == oc->listen[i].len &&
		           !memcmp(&nc->listen[i].ss, &oc->listen[i].ss, nc->listen[i].len);
	bool met_same =
	    nc->metrics_on == oc->metrics_on &&
	    (!nc->metrics_on || (nc->metrics.len == oc->metrics.len &&
	                         !memcmp(&nc->metrics.ss, &oc->metrics.ss, nc->metrics.len)));
	const struct {
		bool same;
		const char *name;
	} fixed[] = {
	    {lst_same, "listen"},
	    {met_same, "metrics-listen"},
	    {!strcmp(nc->admin_socket, oc->admin_socket), "admin-socket"},
	    {!strcmp(nc->admin_socket_ro, oc->admin_socket_ro), "admin-socket-ro"},
	    {!strcmp(nc->admin_group, oc->admin_group), "admin-group"},
	    {!strcmp(nc->user, oc->user), "user"},
	    {nc->seccomp == oc->seccomp, "seccomp"},
	    {!strcmp(nc->fp_region, oc->fp_region), "fp-region"},
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!fixed[i].same)
			log_warnx("reload: %s changed; it takes effect at the next restart",
			          fixed[i].name);
	memcpy(nc->listen, oc->listen, sizeof(nc->listen));
	nc->n_listen = oc->n_listen;
	nc->metrics_on = oc->metrics_on;
	nc->metrics = oc->metrics;
	memcpy(nc->admin_socket, oc->admin_socket, sizeof(nc->admin_socket));
	memcpy(nc->admin_socket_ro, oc->admin_socket_ro, sizeof(nc->admin_socket_ro));
	memcpy(nc->admin_group, oc->admin_group, sizeof(nc->admin_group));
	memcpy(nc->user, oc->user, sizeof(nc->user));
	nc->seccomp = oc->seccomp;
	memcpy(nc->fp_region, oc->fp_region, sizeof(nc->fp_region));

	d->conf = *nc;
	free(nc);
	ctl_keys_free(d->keys);
	d->keys = nk;
	ctl_daemon_apply_env(d);
	d->cnt.c[CTL_CNT_RELOAD_OK]++;
	log_info("configuration reloaded from %s", path);
}

/* Every connection costs one descriptor: raise the soft RLIMIT_NOFILE to the
 * hard limit, and refuse to start when max-connections cannot fit (accept
 * would fail with EMFILE long before the table is full). */
#define FD_RESERVE 64 /* listeners, admin and metrics clients, files, the ring */
static int raise_nofile(const struct ctl_conf *c)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_warn("getrlimit(RLIMIT_NOFILE)");
		return -1;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("setrlimit(RLIMIT_NOFILE, %llu)", (unsigned long long)rl.rlim_max);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY &&
	    (uint64_t)c->max_connections + FD_RESERVE > (uint64_t)rl.rlim_cur) {
		log_err("max-connections %u needs %u descriptors, RLIMIT_NOFILE is %llu "
		        "(raise LimitNOFILE= or ulimit -n)",
		        c->max_connections, c->max_connections + FD_RESERVE,
		        (unsigned long long)rl.rlim_cur);
		return -1;
	}
	return 0;
}

static int check_config(const char *path, bool verbose)
{
	struct ctl_conf c;
	char err[512];

	if (ctl_conf_load(path, &c, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (c.keyfile[0]) {
		struct ctl_keys *k = NULL;
		if (ctl_keys_load(c.keyfile, &k, err, sizeof(err))) {
			/* A syntax error is an error; an absent file (the example
			 * config on a build host) is only a warning. */
			if (access(c.keyfile, R_OK) == 0) {
				fprintf(stderr, "%s\n", err);
				return 1;
			}
			fprintf(stderr, "warning: %s\n", err);
		}
		ctl_keys_free(k);
	}
	if (verbose)
		ctl_conf_print(&c, stdout);
	fprintf(stderr, "configuration OK\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct ctl_daemon *d = &daemon_state;
	const char *path = TW_SYSCONFDIR "/twinhopd.conf";
	const char *pidfile = NULL, *logfile = NULL;
	bool check = false, verbose = false, debug = false, use_syslog = false, bg = false;
	char err[512], abspath[PATH_MAX];
	int opt, ready_fd = -1;
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'f'},  {"check", no_argument, NULL, 'n'},
	    {"verbose", no_argument, NULL, 'v'},       {"daemon", no_argument, NULL, 'd'},
	    {"debug", no_argument, NULL, 'D'},         {"syslog", no_argument, NULL, 's'},
	    {"logfile", required_argument, NULL, 'l'}, {"pidfile", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};

	while ((opt = getopt_long(argc, argv, "dDf:hl:np:sv", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			bg = true;
			break;
		case 'D':
			debug = true;
			break;
		case 'l':
			logfile = optarg;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'f':
			path = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 's':
			use_syslog = true;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
			return opt == 'h' ? 0 : 1;
		}
	}
	if (optind != argc) {
		usage();
		return 1;
	}
	if (check)
		return check_config(path, verbose);

	if (ctl_conf_load(path, &d->conf, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* SIGHUP re-reads the file after chdir("/") (daemon mode). */
	if (realpath(path, abspath))
		path = abspath;
	if (bg && !logfile)
		use_syslog = true;
	if (logfile) {
		int lfd = open(logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		               0640); /* never through a planted symlink */
		if (lfd < 0) {
			fprintf(stderr, "twinhopd: %s: %s\n", logfile, strerror(errno));
			return 1;
		}
		dup2(lfd, 2);
		close(lfd);
		use_syslog = false;
	}
	d->debug = debug;
	ctl_log_init("twinhopd", debug ? LOG_DEBUG : d->conf.log_level, use_syslog);
	if (logfile)
		ctl_log_set_file(true);
	if (bg && (ready_fd = daemonize()) < 0)
		return 1;
	if (pidfile && pidfile_write(pidfile) < 0)
		return 1;
	if (d->conf.keyfile[0] && ctl_keys_load(d->conf.keyfile, &d->keys, err, sizeof(err))) {
		log_err("%s", err);
		return 1;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	d->start_ms = ctl_now_ms();
	d->env = (struct ctl_srv_env){
	    .pbkdf2_count = d->conf.pbkdf2_count,
	    .max_sessions = d->conf.max_sessions_per_connection,
	    .servwait_ms = (uint64_t)d->conf.servwait_s * 1000u,
	    .setup_ms = (uint64_t)d->conf.setup_timeout_s * 1000u,
	    .ended_ms = (uint64_t)d->conf.ended_timeout_s * 1000u,
	    .refwait_ms = (uint64_t)d->conf.refwait_s * 1000u,
	    .fp_timeout_ms = d->conf.fp_timeout_ms,
	    .start_time_ntp = tw_ntp_from_timespec(&ts),
	    .cnt = &d->cnt,
	    .ops = &srv_ops,
	    .ctx = d,
	};
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (raise_nofile(&d->conf) < 0)
		return 1;
	/* Sized for the largest max-connections a reload may set. */
	d->peers = ctl_peers_new(65536);
	d->loop = ctl_loop_new();
	struct ctl_fp_hooks hk = {
	    .event = hook_event, .attached = hook_attached, .detached = hook_detached, .arg = d};
	d->flows = ctl_flows_new(d->port_used);
	if (!d->flows)
		return 1;
	d->fp = ctl_fp_new(d->conf.fp_region, d->conf.fp_timeout_ms + 1000u,
	                   d->conf.fp_grace_s * 1000u, &hk);
	if (!d->peers || !d->loop || !d->fp || open_listeners(d) < 0)
		return 1;
	d->reg = ctl_reg_new(&d->conf);
	d->live = ctl_live_new(d);
	if (!d->reg || !d->live)
		return 1;
	admin = ctl_admin_new(d);
	if (!admin)
		return 1;
	metrics = ctl_metrics_new(d);
	if (!metrics)
		return 1;
	ctl_fp_poll(d->fp, ctl_now_ms()); /* attach while still privileged */
	if (drop_privileges(&d->conf, ctl_fp_region(d->fp)) < 0)
		return 1;
	log_info("twinhopd %s started", TW_VERSION);
	daemon_ready(&ready_fd);

	uint64_t next_tick = 0;
	while (!d->stop) {
		if (d->reload) {
			d->reload = 0;
			reload(d, path);
			for (struct ctl_conn *c = d->conns; c; c = c->next)
				c->deadline = 0; /* timers may have changed: re-evaluate */
		}
		uint64_t now = ctl_now_ms(), next = ctl_fp_attached(d->fp)
		                                        ? now + FP_POLL_MS
		                                        : ctl_fp_next_attach(d->fp);
		uint64_t mdl = ctl_metrics_deadline(metrics), ldl = ctl_live_deadline(d->live);
		if (ldl < mdl)
			mdl = ldl;
		uint64_t cdl = ctl_cc_deadline(d->cc);
		if (cdl < mdl)
			mdl = cdl;
		if (mdl < next)
			next = mdl > now ? mdl : now;
		/* Each connection's deadline is cached at its last service:
		 * with 10,000 connections a wake-up costs a list walk, not a
		 * call into every FSM. */
		for (struct ctl_conn *c = d->conns; c; c = c->next)
			if (c->deadline < next)
				next = c->deadline;
		int timeout = next > now ? (int)(next - now) : 0;
		if (ctl_loop_wait(d->loop, timeout) < 0) {
			log_warn("epoll_wait");
			break;
		}
		now = ctl_now_ms();
		ctl_fp_poll(d->fp, now);
		ctl_admin_poll(admin, now);
		ctl_live_poll(d->live, now);
		ctl_metrics_poll(metrics, now);
		ctl_cc_tick(d->cc, now);
		if (now >= next_tick) {
			next_tick = now + 1000;
			ctl_reg_tick(d->reg, tw_time_now_ns());
		}
		listeners_resume(d, now);
		for (struct ctl_conn **pc = &d->conns; *pc;) {
			struct ctl_conn *c = *pc;
			/* I/O and fast-path answers service a connection as they
			 * come; here only the ones whose timer is due. */
			if (!c->dead && now >= c->deadline) {
				ctl_srv_tick(c->srv, now);
				conn_service(c);
			}
			if (c->dead) {
				*pc = c->next;
				conn_free(d, c);
				continue;
			}
			pc = &c->next;
		}
	}
	log_info("twinhopd stopping");
	while (d->conns) {
		struct ctl_conn *c = d->conns;
		d->conns = c->next;
		conn_free(d, c);
	}
	ctl_fp_poll(d->fp, UINT64_MAX - 1); /* send the SESSION_DELs now */
	ctl_metrics_free(metrics);
	ctl_admin_free(admin);
	ctl_live_free(d->live);
	ctl_reg_free(d->reg);
	ctl_fp_free(d->fp);
	ctl_flows_free(d->flows);
	for (unsigned i = 0; i < d->n_lst; i++)
		close(d->lst[i].io.fd);
	ctl_loop_free(d->loop);
	ctl_peers_free(d->peers);
	ctl_keys_free(d->keys);
	if (pidfile && unlink(pidfile) < 0)
		log_debug("pid file %s not removed: %s", pidfile, strerror(errno));
	log_info("twinhopd stopped");
	return 0;
}
