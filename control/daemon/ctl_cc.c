/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_cc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"
#include "ctl_log.h"
#include "tw_crypto.h"
#include "tw_time.h"

struct cc_conn {
	struct ctl_io io; /* first: the loop hands back &io */
	struct ctl_cc *cc;
	bool used;
	uint32_t id;
	struct ctl_cc_cfg cfg;
	struct ctl_cc_sess_cfg sess[CTL_CC_MAX_SESS];
	unsigned n_sess;
	uint32_t sender[CTL_CC_MAX_SESS];
	bool acked[CTL_CC_MAX_SESS];
	uint16_t port[CTL_CC_MAX_SESS];
	uint8_t sid[CTL_CC_MAX_SESS][TW_CTL_SID_LEN];
	struct ctl_client *cl;
	enum ctl_cc_state st;
	enum ctl_client_state cst; /* the client's, at the last step */
	bool started;
	unsigned requested; /* Request-TW-Sessions sent this attempt */
	uint32_t mode;
	uint64_t deadline; /* UINT64_MAX: none */
	uint64_t backoff_ms;
	unsigned attempts;
	struct sockaddr_storage local; /* the TCP connection's */
	char err[CTL_CC_ERR_MAX];
};

struct ctl_cc {
	struct ctl_cc_env env;
	struct cc_conn c[CTL_CC_MAX_CONN];
	uint32_t next_id;
};

static const char *const state_names[] = {"idle",    "connecting", "negotiating", "negotiated",
                                          "running", "retrying",   "ended"};

const char *ctl_cc_state_name(enum ctl_cc_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

static void count(struct ctl_cc *cc, enum ctl_cnt c)
{
	if (cc->env.cnt)
		cc->env.cnt->c[c]++;
}

struct ctl_cc *ctl_cc_new(const struct ctl_cc_env *env)
{
	struct ctl_cc *cc = calloc(1, sizeof(*cc));
	if (!cc)
		return NULL;
	cc->env = *env;
	return cc;
}

static struct cc_conn *conn_of(struct ctl_cc *cc, uint32_t id)
{
	for (unsigned i = 0; i < CTL_CC_MAX_CONN; i++)
		if (cc->c[i].used && cc->c[i].id == id)
			return &cc->c[i];
	return NULL;
}

static void server_str(const struct cc_conn *k, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_storage *ss = &k->cfg.server;
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	}
}

/* Drop the socket and the client; del: remove the senders too. */
static void conn_close(struct cc_conn *k, bool del)
{
	struct ctl_cc *cc = k->cc;
	if (k->io.fd >= 0) {
		if (cc->env.loop)
			ctl_loop_del(cc->env.loop, &k->io);
		close(k->io.fd);
		k->io.fd = -1;
	}
	ctl_client_free(k->cl);
	k->cl = NULL;
	for (unsigned i = 0; del && i < k->n_sess; i++) {
		if (k->sender[i])
			cc->env.ops->sender_del(cc->env.ctx, k->sender[i]);
		k->sender[i] = 0;
		k->acked[i] = false;
	}
}

/* A failure: count it, say it, close, and try again after the backoff
 * (doubling from 1 s to at most 60 s; a run that got going resets it). */
__attribute__((format(printf, 4, 5))) static void conn_fail(struct cc_conn *k, enum ctl_cnt c,
                                                            uint64_t now, const char *fmt, ...)
{
	char srv[80];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->err, sizeof(k->err), fmt, ap);
	va_end(ap);
	count(k->cc, c);
	conn_close(k, true);
	server_str(k, srv, sizeof(srv));
	if (!k->backoff_ms)
		k->backoff_ms = CTL_CC_BACKOFF_MIN_MS;
	log_warnx("control-client '%s' to %s: %s (%s); connecting again in %llu s", k->cfg.name,
	          srv, k->err, ctl_cnt_name(c), (unsigned long long)(k->backoff_ms / 1000u));
	k->st = CTL_CC_RETRYING;
	k->deadline = now + k->backoff_ms;
	k->backoff_ms *= 2;
	if (k->backoff_ms > CTL_CC_BACKOFF_MAX_MS)
		k->backoff_ms = CTL_CC_BACKOFF_MAX_MS;
}

/* The counter of a Control-Client failure. */
static enum ctl_cnt client_cnt(enum ctl_client_err e)
{
	switch (e) {
	case CTL_CLIENT_E_SERVER_REFUSED:
	case CTL_CLIENT_E_NO_COMMON_MODE:
	case CTL_CLIENT_E_NO_SECRET:
	case CTL_CLIENT_E_PBKDF2_COUNT:
	case CTL_CLIENT_E_AUTH_REJECTED:
	case CTL_CLIENT_E_SERVER_START:
		return CTL_CNT_CC_REFUSED;
	case CTL_CLIENT_E_SESSION_REJECTED:
	case CTL_CLIENT_E_START_REJECTED:
		return CTL_CNT_CC_SESSION_REFUSED;
	case CTL_CLIENT_E_TIMEOUT:
		return CTL_CNT_CC_TIMEOUT;
	default:
		return CTL_CNT_CC_LOST;
	}
}

static void addr_bytes(const struct sockaddr_storage *ss, struct tw_ipc_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		a->family = 6;
		memcpy(a->addr, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	} else if (ss->ss_family == AF_INET) {
		a->family = 4;
		memcpy(a->addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	}
}

static void conn_service(struct cc_conn *k, uint64_t now);
static bool senders_ended(const struct cc_conn *k);
static void conn_ended(struct cc_conn *k);

static void conn_io(struct ctl_io *io, uint32_t events)
{
	struct cc_conn *k = (struct cc_conn *)io;
	uint64_t now = ctl_now_ms();

	if (k->st == CTL_CC_CONNECTING) {
		int e = 0;
		socklen_t l = sizeof(e);
		if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
			e = errno;
		if (!e && !(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (e || (events & (EPOLLERR | EPOLLHUP))) {
			conn_fail(k, CTL_CNT_CC_CONNECT_FAILED, now, "connect: %s",
			          strerror(e ? e : ECONNREFUSED));
			return;
		}
		conn_service(k, now);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		uint8_t buf[4096];
		for (;;) {
			ssize_t n = recv(io->fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n > 0) {
				if (ctl_client_feed(k->cl, buf, (size_t)n) == CTL_CLIENT_FAILED)
					break;
				continue;
			}
			if (n == 0)
				ctl_client_eof(k->cl, false);
			else if (errno == EINTR)
				continue;
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				ctl_client_eof(k->cl, true);
			break;
		}
	}
	conn_service(k, now);
}

/* Connect (again): a new socket, a new Control-Client. */
static void conn_connect(struct cc_conn *k, uint64_t now)
{
	struct ctl_cc *cc = k->cc;
	k->attempts++;
	k->requested = 0;
	k->mode = 0;
	int fd = cc->env.ops->connect(cc->env.ctx, &k->cfg.server);
	if (fd < 0) {
		conn_fail(k, CTL_CNT_CC_CONNECT_FAILED, now, "connect: %s", strerror(errno));
		return;
	}
	k->io = (struct ctl_io){.fd = fd, .cb = conn_io};
	if (cc->env.loop && ctl_loop_add(cc->env.loop, &k->io, EPOLLOUT) < 0) {
		close(fd);
		k->io.fd = -1;
		conn_fail(k, CTL_CNT_CC_CONNECT_FAILED, now, "epoll: %s", strerror(errno));
		return;
	}
	k->st = CTL_CC_CONNECTING;
	k->deadline = now + CTL_CC_CONNECT_MS;
}

/* TCP is up: start the Control-Client (RFC 4656 §3.1). */
static bool conn_up(struct cc_conn *k, uint64_t now)
{
	struct ctl_cc *cc = k->cc;
	struct ctl_client_cfg cfg = {0};
	cfg.modes = k->cfg.modes ? k->cfg.modes : TW_CTL_MODE_OPEN;
	memcpy(cfg.prefer, k->cfg.prefer, sizeof(cfg.prefer));
	/* RFC 8913 max-count-exponent (PBKDF2 runs in the event loop) */
	cfg.pbkdf2_max = k->cfg.max_count_exp ? 1u << k->cfg.max_count_exp : 0;
	if (k->cfg.key_id[0]) {
		const uint8_t *sec;
		size_t len;
		if (!cc->env.ops->key_lookup ||
		    !cc->env.ops->key_lookup(cc->env.ctx, k->cfg.key_id, &sec, &len) ||
		    len > sizeof(cfg.secret)) {
			conn_fail(k, CTL_CNT_CC_REFUSED, now, "KeyID '%s' is not in the keyfile",
			          k->cfg.key_id);
			return false;
		}
		memcpy(cfg.key_id, k->cfg.key_id, sizeof(cfg.key_id));
		memcpy(cfg.secret, sec, len);
		cfg.secret_len = len;
	}
	k->cl = ctl_client_new(&cfg);
	tw_crypto_cleanse(cfg.secret, sizeof(cfg.secret));
	if (!k->cl) {
		conn_fail(k, CTL_CNT_CC_LOST, now, "out of memory");
		return false;
	}
	socklen_t l = sizeof(k->local);
	if (getsockname(k->io.fd, (struct sockaddr *)&k->local, &l) < 0)
		memset(&k->local, 0, sizeof(k->local));
	ctl_sa_unmap(&k->local);
	k->st = CTL_CC_NEGOTIATING;
	k->cst = CTL_CLIENT_GREETING;
	k->deadline = now + CTL_CC_REPLY_MS;
	return true;
}

static void request_next(struct cc_conn *k)
{
	const struct ctl_cc_sess_cfg *s = &k->sess[k->requested];
	struct ctl_client_req r = {0};
	struct tw_ipc_addr la = k->cfg.local;
	if (!la.family)
		addr_bytes(&k->local, &la);
	r.ipvn = la.family;
	memcpy(r.sender_addr, la.addr, 16);
	if (s->peer.family)
		memcpy(r.receiver_addr, s->peer.addr, 16); /* zeros: the server's (§3.5) */
	r.sender_port = s->local_port;
	r.receiver_port = s->peer_port;
	r.padding = s->padding;
	r.dscp = s->dscp;
	/* Start soon; the reflector does not schedule (RFC 5357 §3.5). */
	r.start_time = tw_ntp_from_unix_ns(tw_time_now_ns() + 1000000000);
	r.timeout = tw_ntp_dur_from_ns(s->loss_timeout_ns);
	k->requested++;
	(void)ctl_client_request(k->cl, &r);
}

/* Start-Ack 0: one sender per accepted session, as `twinhop measure
 * --engine fastpath` asks for it (SID, test keys, Accept-Session Port). */
static void program_senders(struct cc_conn *k, uint64_t now)
{
	struct ctl_cc *cc = k->cc;
	uint32_t base = k->mode & TW_CTL_MODE_BASE_MASK;
	uint8_t sec = base == TW_CTL_MODE_AUTH        ? TW_IPC_SEC_AUTH
	              : base == TW_CTL_MODE_ENCRYPTED ? TW_IPC_SEC_ENC
	              : base == TW_CTL_MODE_MIXED     ? TW_IPC_SEC_MIXED
	                                              : TW_IPC_SEC_OPEN;
	for (unsigned i = 0; i < k->n_sess; i++) {
		const struct ctl_cc_sess_cfg *s = &k->sess[i];
		const struct ctl_client_sess *cs = ctl_client_session(k->cl, i);
		struct tw_ipc_sender_add sa = {0};
		sa.proto = TW_IPC_PROTO_TWAMP;
		sa.sec = sec;
		sa.flags = TW_IPC_SF_RESOLVE | TW_IPC_SF_START_NOW;
		memcpy(sa.sid, cs->sid, 16);
		sa.flow.local = k->cfg.local;
		if (!sa.flow.local.family)
			addr_bytes(&k->local, &sa.flow.local);
		sa.flow.local_port = s->local_port;
		sa.flow.peer = s->peer;
		if (!sa.flow.peer.family)
			addr_bytes(&k->cfg.server, &sa.flow.peer);
		sa.flow.peer_port = cs->port; /* always there (§2.7) */
		sa.pad.padding_len = s->padding;
		if (sec == TW_IPC_SEC_AUTH || sec == TW_IPC_SEC_ENC) {
			memcpy(sa.keys.aes, cs->test_aes_key, 16);
			memcpy(sa.keys.hmac, cs->test_hmac_key, 32);
			sa.keys.hmac_len = 32;
		}
		sa.dscp = s->dscp;
		sa.ttl = 255;
		sa.sched = s->poisson ? TW_IPC_SCHED_POISSON : TW_IPC_SCHED_PERIODIC;
		sa.interval_ns = s->interval_ns;
		sa.count = s->count;
		sa.duration_ns = s->duration_ns;
		sa.loss_timeout_ns = s->loss_timeout_ns;
		k->port[i] = cs->port;
		memcpy(k->sid[i], cs->sid, 16);
		bool ok = cc->env.ops->sender_add(cc->env.ctx, s->name, k->cfg.name, &sa);
		tw_crypto_cleanse(&sa.keys, sizeof(sa.keys));
		if (!ok) {
			conn_fail(k, CTL_CNT_CC_FP_FAILED, now,
			          "test session '%s': the fast path is not attached", s->name);
			return;
		}
		k->sender[i] = sa.session;
	}
	k->st = CTL_CC_RUNNING;
	k->deadline = UINT64_MAX;
}

static bool waiting(enum ctl_client_state s)
{
	return s == CTL_CLIENT_GREETING || s == CTL_CLIENT_SERVER_START || s == CTL_CLIENT_ACCEPT ||
	       s == CTL_CLIENT_START_ACK || s == CTL_CLIENT_STOP_N_ACK;
}

/* Advance after any event: the next command, the output, the deadline. */
static void conn_service(struct cc_conn *k, uint64_t now)
{
	if (k->st == CTL_CC_CONNECTING && !conn_up(k, now))
		return;
	if (!k->cl)
		return;
	enum ctl_client_state s = ctl_client_state(k->cl);
	if (s == CTL_CLIENT_FAILED) {
		enum ctl_client_err e = ctl_client_error(k->cl);
		/* The server closed after the test was over (its own timers):
		 * nothing to retry, the results stay. */
		if (k->st == CTL_CC_RUNNING && senders_ended(k)) {
			conn_ended(k);
			return;
		}
		conn_fail(k, client_cnt(e), now, "%s", ctl_client_errmsg(k->cl));
		return;
	}
	if (k->st == CTL_CC_NEGOTIATING && s == CTL_CLIENT_READY) {
		char srv[80];
		k->st = CTL_CC_NEGOTIATED;
		k->mode = ctl_client_mode(k->cl);
		server_str(k, srv, sizeof(srv));
		log_info("control-client '%s' to %s: mode %u negotiated", k->cfg.name, srv,
		         k->mode & TW_CTL_MODE_BASE_MASK);
	}
	if (k->st == CTL_CC_NEGOTIATED && s == CTL_CLIENT_READY) {
		if (k->requested < k->n_sess)
			request_next(k);
		else
			(void)ctl_client_start(k->cl);
		s = ctl_client_state(k->cl);
	}
	if (k->st == CTL_CC_NEGOTIATED && s == CTL_CLIENT_RUNNING) {
		program_senders(k, now);
		if (k->st != CTL_CC_RUNNING)
			return;
	}
	size_t len;
	const uint8_t *p;
	while ((p = ctl_client_tx(k->cl, &len)) && len) {
		ssize_t n = send(k->io.fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			conn_fail(k, CTL_CNT_CC_LOST, now, "send: %s", strerror(errno));
			return;
		}
		ctl_client_tx_done(k->cl, (size_t)n);
	}
	if (waiting(s) && (s != k->cst || k->deadline == UINT64_MAX))
		k->deadline = now + CTL_CC_REPLY_MS;
	else if (!waiting(s) && k->st == CTL_CC_RUNNING)
		k->deadline = UINT64_MAX;
	k->cst = s;
	(void)ctl_client_tx(k->cl, &len);
	if (k->cc->env.loop)
		(void)ctl_loop_mod(k->cc->env.loop, &k->io, EPOLLIN | (len ? EPOLLOUT : 0u));
}

void ctl_cc_free(struct ctl_cc *cc)
{
	if (!cc)
		return;
	for (unsigned i = 0; i < CTL_CC_MAX_CONN; i++)
		if (cc->c[i].used)
			conn_close(&cc->c[i], false); /* the senders go with the daemon */
	free(cc);
}

int ctl_cc_add(struct ctl_cc *cc, const struct ctl_cc_cfg *cfg, uint32_t *id, char *err,
               size_t errlen)
{
	struct cc_conn *k = NULL;
	if (!cfg->name[0] || strnlen(cfg->name, CTL_CC_NAME_MAX) == CTL_CC_NAME_MAX) {
		snprintf(err, errlen, "a name of 1 to %d characters", CTL_CC_NAME_MAX - 1);
		return -1;
	}
	if (ctl_cc_find(cc, cfg->name)) {
		snprintf(err, errlen, "control-client '%s' exists", cfg->name);
		return -1;
	}
	if (cfg->server.ss_family != AF_INET && cfg->server.ss_family != AF_INET6) {
		snprintf(err, errlen, "no server address");
		return -1;
	}
	if (cfg->local.family && cfg->local.family != (cfg->server.ss_family == AF_INET ? 4 : 6)) {
		snprintf(err, errlen, "the local address is not of the server's IP version");
		return -1;
	}
	if (cfg->max_count_exp > 20 || (cfg->max_count_exp && cfg->max_count_exp < 10)) {
		snprintf(err, errlen, "max-count-exponent 10 to 20");
		return -1;
	}
	if ((cfg->modes & ~TW_CTL_MODE_OPEN) && !cfg->key_id[0]) {
		snprintf(err, errlen, "modes other than open need a KeyID");
		return -1;
	}
	for (unsigned i = 0; i < CTL_CC_MAX_CONN && !k; i++)
		if (!cc->c[i].used)
			k = &cc->c[i];
	if (!k) {
		snprintf(err, errlen, "at most %u control-client connections", CTL_CC_MAX_CONN);
		return -1;
	}
	memset(k, 0, sizeof(*k));
	k->used = true;
	k->cc = cc;
	k->io.fd = -1;
	if (++cc->next_id == 0)
		cc->next_id = 1;
	k->id = cc->next_id;
	k->cfg = *cfg;
	k->st = CTL_CC_IDLE;
	k->deadline = UINT64_MAX;
	*id = k->id;
	return 0;
}

int ctl_cc_sess_add(struct ctl_cc *cc, uint32_t id, const struct ctl_cc_sess_cfg *s, char *err,
                    size_t errlen)
{
	struct cc_conn *k = conn_of(cc, id);
	if (!k) {
		snprintf(err, errlen, "no control-client %u", id);
		return -1;
	}
	if (k->started) {
		snprintf(err, errlen, "control-client '%s' is started: delete and add it again",
		         k->cfg.name);
		return -1;
	}
	if (k->n_sess == CTL_CC_MAX_SESS) {
		snprintf(err, errlen, "at most %u test sessions per control-client",
		         CTL_CC_MAX_SESS);
		return -1;
	}
	if (!s->name[0] || strnlen(s->name, CTL_CC_NAME_MAX) == CTL_CC_NAME_MAX || !s->local_port ||
	    s->interval_ns < TW_IPC_INTERVAL_MIN_NS || !s->loss_timeout_ns) {
		snprintf(err, errlen,
		         "a test session needs a name, a local port, an interval "
		         "and a loss timeout");
		return -1;
	}
	if (s->peer.family && s->peer.family != (k->cfg.server.ss_family == AF_INET ? 4 : 6)) {
		snprintf(err, errlen, "the reflector address is not of the server's IP version");
		return -1;
	}
	for (unsigned i = 0; i < k->n_sess; i++)
		if (!strcmp(k->sess[i].name, s->name)) {
			snprintf(err, errlen, "test session '%s' exists", s->name);
			return -1;
		}
	k->sess[k->n_sess++] = *s;
	return 0;
}

int ctl_cc_start(struct ctl_cc *cc, uint32_t id, uint64_t now_ms, char *err, size_t errlen)
{
	struct cc_conn *k = conn_of(cc, id);
	if (!k) {
		snprintf(err, errlen, "no control-client %u", id);
		return -1;
	}
	if (k->started)
		return 0;
	if (!k->n_sess) {
		snprintf(err, errlen, "control-client '%s' has no test session", k->cfg.name);
		return -1;
	}
	k->started = true;
	conn_connect(k, now_ms);
	return 0;
}

bool ctl_cc_del(struct ctl_cc *cc, uint32_t id, uint64_t now_ms)
{
	struct cc_conn *k = conn_of(cc, id);
	(void)now_ms;
	if (!k)
		return false;
	/* Stop-Sessions (RFC 5357 §3.8), best effort: it has no answer, and
	 * the close that follows ends the sessions at the server anyway. */
	if (k->cl && ctl_client_state(k->cl) == CTL_CLIENT_RUNNING &&
	    ctl_client_stop(k->cl, 0) == CTL_CLIENT_E_NONE) {
		size_t len;
		const uint8_t *p = ctl_client_tx(k->cl, &len);
		if (p && len && send(k->io.fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
			count(cc, CTL_CNT_CC_STOPPED);
	}
	conn_close(k, true);
	log_info("control-client '%s' deleted", k->cfg.name);
	k->used = false;
	return true;
}

uint32_t ctl_cc_find(const struct ctl_cc *cc, const char *name)
{
	for (unsigned i = 0; i < CTL_CC_MAX_CONN; i++)
		if (cc->c[i].used && !strcmp(cc->c[i].cfg.name, name))
			return cc->c[i].id;
	return 0;
}

uint32_t ctl_cc_owner(const struct ctl_cc *cc, uint32_t session)
{
	for (unsigned i = 0; session && i < CTL_CC_MAX_CONN; i++)
		for (unsigned j = 0; cc->c[i].used && j < cc->c[i].n_sess; j++)
			if (cc->c[i].sender[j] == session)
				return cc->c[i].id;
	return 0;
}

unsigned ctl_cc_count(const struct ctl_cc *cc)
{
	unsigned n = 0;
	for (unsigned i = 0; i < CTL_CC_MAX_CONN; i++)
		n += cc->c[i].used;
	return n;
}

bool ctl_cc_info(const struct ctl_cc *cc, unsigned i, struct ctl_cc_info *out)
{
	for (unsigned j = 0; j < CTL_CC_MAX_CONN; j++) {
		const struct cc_conn *k = &cc->c[j];
		if (!k->used || i--)
			continue;
		*out = (struct ctl_cc_info){.id = k->id,
		                            .cfg = &k->cfg,
		                            .state = k->st,
		                            .started = k->started,
		                            .mode = k->mode,
		                            .attempts = k->attempts,
		                            .retry_at = k->st == CTL_CC_RETRYING ? k->deadline : 0,
		                            .error = k->err,
		                            .n_sess = k->n_sess,
		                            .sess = k->sess,
		                            .sender = k->sender,
		                            .port = k->port,
		                            .sid = k->sid};
		return true;
	}
	return false;
}

uint64_t ctl_cc_deadline(const struct ctl_cc *cc)
{
	uint64_t d = UINT64_MAX;
	for (unsigned i = 0; i < CTL_CC_MAX_CONN; i++) {
		const struct cc_conn *k = &cc->c[i];
		if (!k->used)
			continue;
		if (k->deadline < d)
			d = k->deadline;
		/* Senders that end are noticed within a second. */
		if (k->st == CTL_CC_RUNNING && d == UINT64_MAX)
			d = ctl_now_ms() + 1000;
	}
	return d;
}

static bool senders_ended(const struct cc_conn *k)
{
	const struct ctl_cc *cc = k->cc;
	for (unsigned i = 0; i < k->n_sess; i++)
		if (!k->acked[i] || !cc->env.ops->sender_ended(cc->env.ctx, k->sender[i]))
			return false;
	return true;
}

/* Every sender of a running connection ended: Stop-Sessions (if the
 * connection is still up), close. */
static void conn_ended(struct cc_conn *k)
{
	struct ctl_cc *cc = k->cc;
	bool stopped = false;
	if (ctl_client_state(k->cl) == CTL_CLIENT_RUNNING &&
	    ctl_client_stop(k->cl, 0) == CTL_CLIENT_E_NONE) {
		size_t len;
		const uint8_t *p = ctl_client_tx(k->cl, &len);
		stopped = p && len && send(k->io.fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT) > 0;
		if (stopped)
			count(cc, CTL_CNT_CC_STOPPED);
	}
	conn_close(k, false); /* the senders stay, with their results */
	log_info("control-client '%s': every test session ended; %s", k->cfg.name,
	         stopped ? "Stop-Sessions sent" : "the server had closed the connection");
	k->st = CTL_CC_ENDED;
	k->deadline = UINT64_MAX;
}

void ctl_cc_tick(struct ctl_cc *cc, uint64_t now_ms)
{
	for (unsigned i = 0; i < CTL_CC_MAX_CONN; i++) {
		struct cc_conn *k = &cc->c[i];
		if (!k->used)
			continue;
		if (k->st == CTL_CC_RUNNING && senders_ended(k)) {
			conn_ended(k);
			continue;
		}
		if (now_ms < k->deadline)
			continue;
		if (k->st == CTL_CC_RETRYING)
			conn_connect(k, now_ms);
		else if (k->st == CTL_CC_CONNECTING)
			conn_fail(k, CTL_CNT_CC_CONNECT_FAILED, now_ms,
			          "connect: no answer in %u s", CTL_CC_CONNECT_MS / 1000);
		else if (k->cl) {
			ctl_client_timeout(k->cl);
			conn_service(k, now_ms);
		}
	}
}

void ctl_cc_sender_reply(struct ctl_cc *cc, uint32_t session, bool ok, const char *why,
                         uint64_t now_ms)
{
	for (unsigned i = 0; i < CTL_CC_MAX_CONN; i++) {
		struct cc_conn *k = &cc->c[i];
		for (unsigned j = 0; k->used && j < k->n_sess; j++) {
			if (k->sender[j] != session)
				continue;
			if (!ok) {
				/* the registry entry is gone with the NACK */
				k->sender[j] = 0;
				conn_fail(
				    k, CTL_CNT_CC_FP_FAILED, now_ms,
				    "test session '%s': the fast path refused the sender (%s)",
				    k->sess[j].name, why);
				return;
			}
			k->acked[j] = true;
			bool all = true;
			for (unsigned m = 0; m < k->n_sess; m++)
				all &= k->acked[m];
			if (all) {
				char srv[80];
				server_str(k, srv, sizeof(srv));
				count(cc, CTL_CNT_CC_STARTED);
				k->backoff_ms = CTL_CC_BACKOFF_MIN_MS;
				k->err[0] = '\0';
				log_info("control-client '%s' to %s: %u test session(s) running",
				         k->cfg.name, srv, k->n_sess);
			}
			return;
		}
	}
}
