/* SPDX-License-Identifier: BSD-3-Clause */
/* cli_admin: twinhopd admin-socket client.  See cli_admin.h. */
#include "cli_admin.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int cli_admin_open(struct cli_admin *a, const char *path, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->next_id = 1;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "admin socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (a->fd < 0 || connect(a->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(err, errlen,
		         "cannot connect to twinhopd at %s: %s (is twinhopd running? "
		         "--admin PATH)",
		         path, strerror(errno));
		if (a->fd >= 0)
			close(a->fd);
		a->fd = -1;
		return -1;
	}
	return 0;
}

void cli_admin_close(struct cli_admin *a)
{
	if (a->fd >= 0)
		close(a->fd);
	free(a->buf);
	memset(a, 0, sizeof(*a));
	a->fd = -1;
}

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int cli_admin_read_line(struct cli_admin *a, int timeout_ms, char **line, char *err, size_t errlen)
{
	int64_t deadline = now_ms() + timeout_ms;
	for (;;) {
		char *nl = a->len ? memchr(a->buf, '\n', a->len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - a->buf);
			char *l = malloc(n + 1);
			if (!l) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			memcpy(l, a->buf, n);
			l[n] = '\0';
			memmove(a->buf, nl + 1, a->len - n - 1);
			a->len -= n + 1;
			*line = l;
			return 1;
		}
		if (a->len >= CLI_ADMIN_LINE_MAX) {
			snprintf(err, errlen, "twinhopd sent a line over %u octets",
			         CLI_ADMIN_LINE_MAX);
			return -1;
		}
		if (a->cap - a->len < 4096) {
			size_t nc = a->cap ? a->cap * 2 : 8192;
			char *nb = realloc(a->buf, nc);
			if (!nb) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			a->buf = nb;
			a->cap = nc;
		}
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = {a->fd, POLLIN, 0};
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			return 0;
		if (r <= 0)
			continue;
		ssize_t n = read(a->fd, a->buf + a->len, a->cap - a->len);
		if (n <= 0) {
			snprintf(err, errlen, "twinhopd closed the admin connection%s%s",
			         n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			return -1;
		}
		a->len += (size_t)n;
	}
}

char *cli_admin_call(struct cli_admin *a, const char *req, int timeout_ms,
                     void (*ev)(void *arg, const char *line), void *arg, char *err, size_t errlen)
{
	/* req is a flat object "{...}"; prepend our id. */
	uint64_t id = a->next_id++;
	size_t rl = strlen(req);
	char *line = malloc(rl + 64);
	if (!line) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	const char *body = req[0] == '{' ? req + 1 : req;
	int n = snprintf(line, rl + 64, "{\"id\":%" PRIu64 "%s%s\n", id, body[0] == '}' ? "" : ",",
	                 body);
	if (n > 4096) {
		free(line);
		snprintf(err, errlen, "admin request over 4096 octets");
		return NULL;
	}
	for (size_t off = 0; off < (size_t)n;) {
		ssize_t w = write(a->fd, line + off, (size_t)n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "writing to twinhopd: %s", strerror(errno));
			free(line);
			return NULL;
		}
		off += (size_t)w;
	}
	free(line);
	int64_t deadline = now_ms() + timeout_ms;
	for (;;) {
		int64_t left = deadline - now_ms();
		char *l = NULL;
		int r = left > 0 ? cli_admin_read_line(a, (int)left, &l, err, errlen) : 0;
		if (r < 0)
			return NULL;
		if (r == 0) {
			snprintf(err, errlen, "twinhopd did not answer within %d ms", timeout_ms);
			return NULL;
		}
		uint64_t rid;
		if (cli_json_u64(l, "id", &rid) && rid == id)
			return l;
		if (ev && strstr(l, "\"event\""))
			ev(arg, l);
		free(l);
	}
}

/* Pointer to the value of "key" in a flat-ish JSON line, or NULL. */
static const char *find(const char *line, const char *key)
{
	char pat[96];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(line, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	return p;
}

bool cli_json_u64(const char *line, const char *key, uint64_t *v)
{
	const char *p = find(line, key);
	if (!p || *p < '0' || *p > '9')
		return false;
	*v = strtoull(p, NULL, 10);
	return true;
}

bool cli_json_i64(const char *line, const char *key, int64_t *v)
{
	const char *p = find(line, key);
	if (!p || (*p != '-' && (*p < '0' || *p > '9')))
		return false;
	*v = strtoll(p, NULL, 10);
	return true;
}

bool cli_json_str(const char *line, const char *key, char *out, size_t cap)
{
	const char *p = find(line, key);
	if (!p || *p != '"' || !cap)
		return false;
	p++;
	size_t n = 0;
	while (*p && *p != '"') {
		char ch = *p++;
		if (ch == '\\' && *p)
			ch = *p++;
		if (n + 1 < cap)
			out[n++] = ch;
	}
	out[n] = '\0';
	return true;
}

bool cli_admin_ok(const char *line, char *err, size_t errlen)
{
	const char *p = find(line, "ok");
	if (p && !strncmp(p, "true", 4))
		return true;
	char code[64] = "?", msg[512] = "";
	cli_json_str(line, "error", code, sizeof(code));
	cli_json_str(line, "message", msg, sizeof(msg));
	snprintf(err, errlen, "twinhopd: %s%s%s", code, msg[0] ? ": " : "", msg);
	return false;
}

void cli_json_escape(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	for (; *s && n + 7 < cap; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			out[n++] = '\\';
			out[n++] = (char)ch;
		} else if (ch < 0x20) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", ch);
		} else {
			out[n++] = (char)ch;
		}
	}
	if (cap)
		out[n < cap ? n : cap - 1] = '\0';
}
