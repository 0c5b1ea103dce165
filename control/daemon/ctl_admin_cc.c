/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_admin_cc: the admin commands of twinhopd's own Control-Clients
 * (ctl_cc, docs/admin-protocol.md "Control-client connections") and the
 * daemon side of ctl_cc's ops: sockets, keys, and the senders, which go
 * into the session registry like every sender-add so results, /metrics
 * and the fast-path restart treat them alike.
 */
#include "ctl_admin_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_admin_args.h"
#include "ctl_cc.h"
#include "ctl_client.h"
#include "ctl_daemon.h"
#include "ctl_log.h"
#include "ctl_reg.h"

/* ---- ctl_cc ops ------------------------------------------------------------------------ */

static int op_connect(void *ctx, const struct sockaddr_storage *server)
{
	(void)ctx;
	int fd = socket(server->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	socklen_t len = server->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                              : sizeof(struct sockaddr_in);
	if (connect(fd, (const struct sockaddr *)server, len) < 0 && errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static bool op_key_lookup(void *ctx, const char *key_id, const uint8_t **secret, size_t *len)
{
	struct ctl_admin *a = ctx;
	uint8_t kid[CTL_KEYS_ID_MAX] = {0};
	size_t n = strnlen(key_id, sizeof(kid));
	memcpy(kid, key_id, n);
	return a->d->keys && ctl_keys_lookup(a->d->keys, kid, secret, len);
}

struct cc_pending {
	struct ctl_admin *a;
	uint32_t session;
};

static void sender_reply(void *arg, uint32_t req, enum tw_err err, const struct tw_ipc_hdr *h,
                         const void *payload)
{
	struct cc_pending *p = arg;
	struct ctl_daemon *d = p->a->d;
	(void)req;
	(void)h;
	(void)payload;
	struct ctl_reg_sess *s = ctl_reg_find(d->reg, p->session);
	if (err == TW_E_OK) {
		if (s)
			s->live = true;
	} else {
		adm_sess_remove(p->a, p->session);
	}
	ctl_cc_sender_reply(d->cc, p->session, err == TW_E_OK,
	                    err == TW_E_EMPTY ? "no answer"
	                    : err == TW_E_SYS ? "the fast path went away"
	                                      : tw_errname(err),
	                    ctl_now_ms());
	free(p);
}

static bool op_sender_add(void *ctx, const char *name, const char *group,
                          struct tw_ipc_sender_add *sa)
{
	struct ctl_admin *a = ctx;
	struct ctl_daemon *d = a->d;
	struct cc_pending *p = calloc(1, sizeof(*p));
	if (!p || ctl_reg_count(d->reg) == CTL_REG_MAX_SESS) {
		free(p);
		return false;
	}
	struct ctl_reg_sess *s = ctl_reg_add(d->reg, ctl_daemon_session_id(d));
	if (!s) {
		free(p);
		return false;
	}
	sa->session = s->id;
	s->kind = CTL_REG_SENDER;
	s->proto = sa->proto;
	s->sec = sa->sec;
	s->flow = sa->flow;
	s->loss_timeout_ns = (int64_t)sa->loss_timeout_ns;
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->group, sizeof(s->group), "%s", group);
	s->cfg = (struct ctl_reg_cfg){.interval_ns = sa->interval_ns,
	                              .count = sa->count,
	                              .duration_ns = sa->duration_ns,
	                              .padding = sa->pad.padding_len,
	                              .flags = sa->flags,
	                              .dscp = sa->dscp,
	                              .ttl = sa->ttl,
	                              .sched = sa->sched,
	                              .started = true};
	ctl_reg_stats_on(d->reg, s);
	s->req.sa = *sa; /* programmed again after a fast-path restart */
	*p = (struct cc_pending){a, s->id};
	if (!ctl_fp_send(d->fp, TW_IPC_SENDER_ADD, sa, sizeof(*sa), sender_reply, p,
	                 ctl_now_ms())) {
		free(p);
		adm_sess_remove(a, sa->session);
		return false;
	}
	return true;
}

static void del_done(void *arg, uint32_t session, enum tw_err err)
{
	(void)arg;
	(void)session;
	(void)err;
}

static void op_sender_del(void *ctx, uint32_t session)
{
	struct ctl_admin *a = ctx;
	if (!ctl_reg_find(a->d->reg, session))
		return;
	adm_sess_remove(a, session);
	ctl_fp_del_at(a->d->fp, session, 0, del_done, NULL);
}

static bool op_sender_ended(void *ctx, uint32_t session)
{
	struct ctl_admin *a = ctx;
	const struct ctl_reg_sess *s = ctl_reg_find(a->d->reg, session);
	return !s || s->state == TW_IPC_EV_ENDED || s->state == TW_IPC_EV_ERROR;
}

static const struct ctl_cc_ops cc_ops = {
    .connect = op_connect,
    .key_lookup = op_key_lookup,
    .sender_add = op_sender_add,
    .sender_del = op_sender_del,
    .sender_ended = op_sender_ended,
};

struct ctl_cc *adm_cc_new(struct ctl_admin *a)
{
	struct ctl_cc_env env = {.ops = &cc_ops, .ctx = a, .loop = a->d->loop, .cnt = &a->d->cnt};
	return ctl_cc_new(&env);
}

/* ---- commands -------------------------------------------------------------------------- */

static void sa_set(struct sockaddr_storage *ss, const struct tw_ipc_addr *ad, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (ad->family == 6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, ad->addr, 16);
		s6->sin6_port = htons(port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, ad->addr, 4);
		s4->sin_port = htons(port);
	}
}

static uint32_t client_arg(struct adm_client *c, uint64_t id, struct ctl_args *g)
{
	char name[CTL_CC_NAME_MAX];
	ctl_arg_label(g, "client", true, name, sizeof(name));
	if (g->bad) {
		adm_reply_err(c, id, "arg", "%s", g->err);
		return 0;
	}
	uint32_t k = ctl_cc_find(c->a->d->cc, name);
	if (!k)
		adm_reply_err(c, id, "not-found", "no control-client '%s'", name);
	return k;
}

static void cmd_client_add(struct adm_client *c, uint64_t id, const struct ctl_json_obj *o)
{
	struct ctl_args g = {.o = o};
	struct ctl_cc_cfg cfg = {0};
	struct tw_ipc_addr srv;
	ctl_arg_label(&g, "name", true, cfg.name, sizeof(cfg.name));
	ctl_arg_addr(&g, "server", true, &srv);
	uint16_t port = (uint16_t)ctl_arg_u64(&g, "server_port", 862, 1, 65535, false);
	ctl_arg_addr(&g, "local", false, &cfg.local);
	const char *m = ctl_arg_str(&g, "modes", false);
	cfg.modes = TW_CTL_MODE_OPEN;
	if (m && !g.bad) {
		/* In order of preference (RFC 8913 mode-preference-chain). */
		unsigned n = 0;
		cfg.modes = 0;
		for (const char *p = m; *p && !g.bad;) {
			char one[32];
			size_t l = strcspn(p, ",");
			snprintf(one, sizeof(one), "%.*s", (int)(l < 31 ? l : 31), p);
			uint32_t b = ctl_client_parse_modes(one) & TW_CTL_MODE_BASE_MASK;
			if (!b || (b & (b - 1)) || (cfg.modes & b) || n == 4)
				g.bad = true;
			else
				cfg.prefer[n++] = b;
			cfg.modes |= b;
			p += l + (p[l] == ',');
		}
		if (g.bad || !cfg.modes) {
			snprintf(g.err, sizeof(g.err),
			         "arg modes: a list of open, auth, enc, mixed, each once");
			g.bad = true;
		}
	}
	cfg.max_count_exp = (uint8_t)ctl_arg_u64(&g, "max_count_exp", 15, 10, 20, false);
	const char *k = ctl_arg_str(&g, "key_id", false);
	if (k && !g.bad) {
		if (!*k || strlen(k) > TW_CTL_KEYID_LEN) {
			snprintf(g.err, sizeof(g.err), "arg key_id: 1 to %d octets",
			         TW_CTL_KEYID_LEN);
			g.bad = true;
		} else {
			snprintf(cfg.key_id, sizeof(cfg.key_id), "%s", k);
		}
	}
	if (g.bad) {
		adm_reply_err(c, id, "arg", "%s", g.err);
		return;
	}
	sa_set(&cfg.server, &srv, port);
	char err[160];
	uint32_t cid;
	if (ctl_cc_add(c->a->d->cc, &cfg, &cid, err, sizeof(err)) < 0) {
		adm_reply_err(c, id, strstr(err, "at most") ? "limit" : "arg", "%s", err);
		return;
	}
	struct ctl_jb b;
	adm_reply_begin(&b, id, true);
	ctl_jb_u64(&b, "client", cid);
	adm_reply_end(c, &b);
}

static void cmd_client_session_add(struct adm_client *c, uint64_t id, const struct ctl_json_obj *o)
{
	struct ctl_args g = {.o = o};
	struct ctl_cc_sess_cfg s = {0};
	uint32_t cid = client_arg(c, id, &g);
	if (!cid)
		return;
	ctl_arg_label(&g, "name", true, s.name, sizeof(s.name));
	ctl_arg_addr(&g, "peer", false, &s.peer);
	s.local_port = (uint16_t)ctl_arg_u64(&g, "local_port", 0, 1, 65535, true);
	s.peer_port = (uint16_t)ctl_arg_u64(&g, "peer_port", 0, 0, 65535, false);
	s.padding = (uint32_t)ctl_arg_u64(&g, "padding", 0, 0, 65000, false);
	s.dscp = (uint8_t)ctl_arg_u64(&g, "dscp", 0, 0, 63, false);
	s.interval_ns = ctl_arg_u64(&g, "interval_us", 1000000, 1, 3600000000ull, false) * 1000u;
	s.poisson = ctl_arg_bool(&g, "poisson", false);
	s.count = ctl_arg_u64(&g, "count", 0, 0, UINT64_MAX, false);
	s.duration_ns = ctl_arg_u64(&g, "duration_ms", 0, 0, 86400000ull * 365, false) * 1000000u;
	s.loss_timeout_ns = ctl_arg_u64(&g, "loss_timeout_ms", 2000, 1, 3600000, false) * 1000000u;
	if (g.bad) {
		adm_reply_err(c, id, "arg", "%s", g.err);
		return;
	}
	/* One namespace of names with the other admin sessions. */
	const struct ctl_reg *reg = c->a->d->reg;
	for (unsigned i = 0; i < ctl_reg_count(reg); i++)
		if (!strcmp(ctl_reg_at_const(reg, i)->name, s.name)) {
			adm_reply_err(c, id, "arg", "arg name: '%.40s' is session %u's", s.name,
			              ctl_reg_at_const(reg, i)->id);
			return;
		}
	char err[160];
	if (ctl_cc_sess_add(c->a->d->cc, cid, &s, err, sizeof(err)) < 0) {
		adm_reply_err(c, id, strstr(err, "at most") ? "limit" : "arg", "%s", err);
		return;
	}
	adm_reply_ok(c, id);
}

void adm_cmd_client(struct adm_client *c, uint64_t id, const struct ctl_json_obj *o,
                    const char *cmd)
{
	struct ctl_daemon *d = c->a->d;
	if (!strcmp(cmd, "client-add")) {
		cmd_client_add(c, id, o);
		return;
	}
	if (!strcmp(cmd, "client-session-add")) {
		cmd_client_session_add(c, id, o);
		return;
	}
	struct ctl_args g = {.o = o};
	uint32_t cid = client_arg(c, id, &g);
	if (!cid)
		return;
	if (!strcmp(cmd, "client-start")) {
		char err[160];
		if (ctl_cc_start(d->cc, cid, ctl_now_ms(), err, sizeof(err)) < 0) {
			adm_reply_err(c, id, "arg", "%s", err);
			return;
		}
	} else {
		(void)ctl_cc_del(d->cc, cid, ctl_now_ms());
	}
	adm_reply_ok(c, id);
}

static void addr_str(const struct tw_ipc_addr *ad, char *buf, size_t len)
{
	buf[0] = '\0';
	if (ad->family)
		inet_ntop(ad->family == 6 ? AF_INET6 : AF_INET, ad->addr, buf, (socklen_t)len);
}

void adm_clients_json(struct ctl_jb *b, struct ctl_daemon *d)
{
	struct ctl_cc_info in;
	char s[80];
	uint64_t now = ctl_now_ms();
	ctl_jb_arr_begin(b, "clients");
	for (unsigned i = 0; ctl_cc_info(d->cc, i, &in); i++) {
		const struct ctl_cc_cfg *k = in.cfg;
		ctl_jb_obj_begin(b, NULL);
		ctl_jb_u64(b, "client", in.id);
		ctl_jb_str(b, "name", k->name);
		ctl_conf_addrport_str(&k->server, s, sizeof(s));
		ctl_jb_str(b, "server", s);
		addr_str(&k->local, s, sizeof(s));
		if (s[0])
			ctl_jb_str(b, "local", s);
		ctl_jb_arr_begin(b, "modes"); /* in order of preference */
		static const char *const mn[] = {"open", "auth", "enc", "mixed"};
		for (unsigned m = 0; m < 4 && k->prefer[m]; m++)
			for (unsigned x = 0; x < 4; x++)
				if (k->prefer[m] == 1u << x)
					ctl_jb_str(b, NULL, mn[x]);
		if (!k->prefer[0])
			ctl_jb_str(b, NULL, "open");
		ctl_jb_arr_end(b);
		ctl_jb_u64(b, "max_count_exp", k->max_count_exp);
		if (k->key_id[0])
			ctl_jb_str(b, "key_id", k->key_id);
		ctl_jb_str(b, "state", ctl_cc_state_name(in.state));
		ctl_jb_bool(b, "started", in.started);
		if (in.mode)
			ctl_jb_str(b, "mode",
			           ctl_reg_sec_name((uint8_t)(in.mode & TW_CTL_MODE_BASE_MASK)));
		ctl_jb_u64(b, "attempts", in.attempts);
		if (in.error[0])
			ctl_jb_str(b, "error", in.error);
		if (in.retry_at)
			ctl_jb_u64(b, "retry_in_ms", in.retry_at > now ? in.retry_at - now : 0);
		ctl_jb_arr_begin(b, "sessions");
		for (unsigned j = 0; j < in.n_sess; j++) {
			const struct ctl_cc_sess_cfg *t = &in.sess[j];
			ctl_jb_obj_begin(b, NULL);
			ctl_jb_str(b, "name", t->name);
			if (in.sender[j])
				ctl_jb_u64(b, "session", in.sender[j]);
			addr_str(&t->peer, s, sizeof(s));
			if (s[0])
				ctl_jb_str(b, "peer", s);
			ctl_jb_u64(b, "local_port", t->local_port);
			ctl_jb_u64(b, "peer_port", t->peer_port);
			if (in.port[j]) {
				char hex[33];
				for (int x = 0; x < 16; x++)
					snprintf(hex + 2 * x, 3, "%02x", in.sid[j][x]);
				ctl_jb_u64(b, "accepted_port", in.port[j]);
				ctl_jb_str(b, "sid", hex);
			}
			ctl_jb_u64(b, "padding", t->padding);
			ctl_jb_u64(b, "dscp", t->dscp);
			ctl_jb_u64(b, "interval_us", t->interval_ns / 1000u);
			ctl_jb_bool(b, "poisson", t->poisson);
			ctl_jb_u64(b, "count", t->count);
			ctl_jb_u64(b, "duration_ms", t->duration_ns / 1000000u);
			ctl_jb_u64(b, "loss_timeout_ms", t->loss_timeout_ns / 1000000u);
			ctl_jb_obj_end(b);
		}
		ctl_jb_arr_end(b);
		ctl_jb_obj_end(b);
	}
	ctl_jb_arr_end(b);
}
