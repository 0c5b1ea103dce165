/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_admin: the admin UNIX sockets -- listeners, clients, line framing,
 * output buffering with back-pressure, subscriptions.  What a request line
 * means is ctl_admin_cmd.c's business (ctl_admin_priv.h has the map).
 */
#define _GNU_SOURCE
#include "ctl_admin_priv.h"

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_cc.h"
#include "ctl_daemon.h"
#include "ctl_log.h"

/* ---- output ---------------------------------------------------------------------- */

void adm_send_line(struct adm_client *c, struct ctl_jb *b)
{
	if (c->dead || b->oom)
		return;
	if (c->out.len - c->out_off + b->len > ADM_OUT_MAX) {
		c->dropped++;
		return;
	}
	if (c->dropped) {
		char tmp[80];
		snprintf(tmp, sizeof(tmp), "{\"event\":\"overflow\",\"dropped\":%llu}\n",
		         (unsigned long long)c->dropped);
		ctl_jb_raw(&c->out, tmp);
		c->dropped = 0;
	}
	ctl_jb_raw(&c->out, b->p);
	ctl_jb_raw(&c->out, "\n");
}

void adm_flush(struct adm_client *c)
{
	if (!c->dead && ctl_send_pending(c->io.fd, c->out.p, c->out.len, &c->out_off) < 0)
		c->dead = true;
	if (c->out_off == c->out.len) {
		c->out.len = c->out_off = 0;
		if (c->out.p)
			c->out.p[0] = '\0';
	}
	if (!c->dead)
		(void)ctl_loop_mod(c->a->d->loop, &c->io,
		                   EPOLLIN | (c->out.len ? (uint32_t)EPOLLOUT : 0u));
}

void adm_reply_begin(struct ctl_jb *b, uint64_t id, bool ok)
{
	ctl_jb_init(b);
	ctl_jb_obj_begin(b, NULL);
	ctl_jb_u64(b, "id", id);
	ctl_jb_bool(b, "ok", ok);
}

void adm_reply_end(struct adm_client *c, struct ctl_jb *b)
{
	ctl_jb_obj_end(b);
	adm_send_line(c, b);
	ctl_jb_free(b);
	adm_flush(c);
}

void adm_reply_err(struct adm_client *c, uint64_t id, const char *code, const char *fmt, ...)
{
	struct ctl_jb b;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	adm_reply_begin(&b, id, false);
	ctl_jb_str(&b, "error", code);
	ctl_jb_str(&b, "message", msg);
	adm_reply_end(c, &b);
}

void adm_reply_ok(struct adm_client *c, uint64_t id)
{
	struct ctl_jb b;
	adm_reply_begin(&b, id, true);
	adm_reply_end(c, &b);
}

/* ---- clients and subscriptions ---------------------------------------------------------- */

struct adm_client *adm_client_by_serial(struct ctl_admin *a, uint64_t serial)
{
	for (struct adm_client *c = a->clients; c; c = c->next)
		if (c->serial == serial && !c->dead)
			return c;
	return NULL;
}

void adm_broadcast(struct ctl_admin *a, uint32_t session, struct ctl_jb *b)
{
	for (struct adm_client *c = a->clients; c; c = c->next)
		for (unsigned i = 0; i < c->n_subs; i++)
			if (c->subs[i] == 0 || c->subs[i] == session) {
				adm_send_line(c, b);
				break;
			}
}

bool adm_subscribe(struct adm_client *c, uint32_t session)
{
	for (unsigned i = 0; i < c->n_subs; i++)
		if (c->subs[i] == session)
			return true;
	if (c->n_subs == ADM_MAX_SUBS)
		return false;
	c->subs[c->n_subs++] = session;
	return true;
}

void adm_unsubscribe(struct adm_client *c, uint32_t session)
{
	for (unsigned i = 0; i < c->n_subs;)
		if (!session || c->subs[i] == session)
			c->subs[i] = c->subs[--c->n_subs];
		else
			i++;
}

void adm_flush_all(struct ctl_admin *a)
{
	for (struct adm_client *c = a->clients; c; c = c->next)
		if (c->out.len && !c->dead)
			adm_flush(c);
}

/* ---- sockets ------------------------------------------------------------------------------ */

static void client_io(struct ctl_io *io, uint32_t events)
{
	struct adm_client *c = (struct adm_client *)io;

	if (c->dead)
		return;
	if (events & EPOLLOUT)
		adm_flush(c);
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		ssize_t n = recv(io->fd, c->in + c->in_len, ADM_LINE_MAX - c->in_len, 0);
		if (n == 0 ||
		    (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			c->dead = true;
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		c->in_len += (size_t)n;
		char *start = c->in, *nl;
		while (!c->dead &&
		       (nl = memchr(start, '\n', c->in_len - (size_t)(start - c->in)))) {
			c->last_ms = ctl_now_ms();
			if (!c->skipping)
				adm_handle_line(c, start, (size_t)(nl - start));
			c->skipping = false;
			start = nl + 1;
		}
		c->in_len -= (size_t)(start - c->in);
		memmove(c->in, start, c->in_len);
		if (c->in_len == ADM_LINE_MAX) {
			/* no newline in 4096 octets: one answer and one count per
			 * line, however long the rest of it */
			if (!c->skipping) {
				c->a->d->cnt.c[CTL_CNT_ADMIN_BAD_LINE]++;
				adm_reply_err(c, 0, "too-long", "request line over %u octets",
				              ADM_LINE_MAX);
			}
			c->skipping = true;
			c->in_len = 0;
		}
	}
}

/* Whether a new client of listener l (peer uid) stays within the limits. */
static bool client_fits(const struct adm_listener *l, uid_t uid)
{
	if (l->n_clients >= ADM_MAX_CLIENT)
		return false;
	if (!l->ro)
		return true;
	unsigned same = 0;
	for (const struct adm_client *c = l->a->clients; c; c = c->next)
		if (c->ro && !c->dead && c->uid == uid)
			same++;
	return same < ADM_RO_PER_UID;
}

static void listener_io(struct ctl_io *io, uint32_t events)
{
	struct adm_listener *l = (struct adm_listener *)io;
	struct ctl_admin *a = l->a;
	(void)events;

	for (;;) {
		int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct ucred cr = {.uid = (uid_t)-1};
		socklen_t crl = sizeof(cr);
		(void)getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crl);
		if (!client_fits(l, cr.uid)) {
			a->d->cnt.c[CTL_CNT_ADMIN_REFUSED]++;
			uint64_t now = ctl_now_ms();
			if (now - a->refused_log_ms >= 1000) {
				a->refused_log_ms = now;
				log_warnx("admin socket %s: client of uid %u refused (%u clients%s)",
				             l->path, (unsigned)cr.uid, l->n_clients,
				             l->ro ? ", or this uid's limit" : "");
			}
			close(fd);
			continue;
		}
		struct adm_client *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->a = a;
		c->lst = l;
		c->ro = l->ro;
		c->uid = cr.uid;
		c->last_ms = ctl_now_ms();
		c->serial = ++a->next_serial;
		c->io.fd = fd;
		c->io.cb = client_io;
		ctl_jb_init(&c->out);
		if (ctl_loop_add(a->d->loop, &c->io, EPOLLIN) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = a->clients;
		a->clients = c;
		l->n_clients++;
	}
}

static int open_socket(struct ctl_admin *a, const char *path, bool ro)
{
	struct adm_listener *l = &a->lst[a->n_lst];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		log_warn("admin socket %s", path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	(void)unlink(path);
	mode_t old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 16) < 0) {
		umask(old);
		log_warn("admin socket %s", path);
		close(fd);
		return -1;
	}
	umask(old);
	if (!ro && a->d->conf.admin_group[0]) {
		struct group *gr = getgrnam(a->d->conf.admin_group);
		if (!gr || chown(path, (uid_t)-1, gr->gr_gid) < 0)
			log_warn("admin socket %s: group %s", path, a->d->conf.admin_group);
	}
	if (chmod(path, ro ? 0666 : 0660) < 0)
		log_warn("chmod %s", path);
	l->a = a;
	l->ro = ro;
	l->io.fd = fd;
	l->io.cb = listener_io;
	snprintf(l->path, sizeof(l->path), "%s", path);
	if (ctl_loop_add(a->d->loop, &l->io, EPOLLIN) < 0) {
		close(fd);
		return -1;
	}
	a->n_lst++;
	log_info("admin socket %s%s", path, ro ? " (read-only)" : "");
	return 0;
}

struct ctl_admin *ctl_admin_new(struct ctl_daemon *d)
{
	struct ctl_admin *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->d = d;
	if (open_socket(a, d->conf.admin_socket, false) < 0 ||
	    (d->conf.admin_socket_ro[0] && open_socket(a, d->conf.admin_socket_ro, true) < 0)) {
		ctl_admin_free(a);
		return NULL;
	}
	d->cc = adm_cc_new(a);
	if (!d->cc) {
		ctl_admin_free(a);
		return NULL;
	}
	return a;
}

static void client_free(struct ctl_admin *a, struct adm_client *c)
{
	ctl_loop_del(a->d->loop, &c->io);
	close(c->io.fd);
	ctl_jb_free(&c->out);
	c->lst->n_clients--;
	free(c);
}

void ctl_admin_free(struct ctl_admin *a)
{
	if (!a)
		return;
	ctl_cc_free(a->d->cc);
	a->d->cc = NULL;
	while (a->clients) {
		struct adm_client *c = a->clients;
		a->clients = c->next;
		client_free(a, c);
	}
	for (unsigned i = 0; i < a->n_lst; i++) {
		ctl_loop_del(a->d->loop, &a->lst[i].io);
		close(a->lst[i].io.fd);
		(void)unlink(a->lst[i].path);
	}
	free(a);
}

void ctl_admin_poll(struct ctl_admin *a, uint64_t now_ms)
{
	for (struct adm_client **pc = &a->clients; *pc;) {
		struct adm_client *c = *pc;
		if (!c->dead && c->out.len)
			adm_flush(c);
		if (!c->dead && c->ro && !c->n_subs && 
		    now_ms - c->last_ms >= (uint64_t)a->d->conf.admin_idle_timeout_s * 1000u) {
			a->d->cnt.c[CTL_CNT_ADMIN_IDLE]++;
			c->dead = true;
		}
		if (c->dead) {
			*pc = c->next;
			client_free(a, c);
			continue;
		}
		pc = &c->next;
	}
}
