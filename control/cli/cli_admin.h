/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_admin: client side of twinhopd's admin socket (docs/admin-protocol.md):
 * newline-delimited flat JSON requests, replies matched by "id", event lines
 * (with "event", no "id") handed to a callback.  The JSON helpers read only
 * what the CLI needs from one reply line; they are not a general parser.
 */
#ifndef CLI_ADMIN_H
#define CLI_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_ADMIN_DEFAULT_SOCK "/run/twinhop/twinhopd.sock"
#define CLI_ADMIN_LINE_MAX     (1u << 20)

struct cli_admin {
	int fd;
	uint64_t next_id;
	char *buf; /* received, not yet returned */
	size_t len, cap;
};

/* 0 or -1 with err filled ("cannot connect to twinhopd at PATH: ..."). */
int cli_admin_open(struct cli_admin *a, const char *path, char *err, size_t errlen);
void cli_admin_close(struct cli_admin *a);
/* Send one request line (without id: one is added) and wait up to
 * timeout_ms for its reply; event lines that arrive meanwhile go to ev.
 * Returns a malloc'd reply line (caller frees) or NULL with err filled. */
char *cli_admin_call(struct cli_admin *a, const char *req, int timeout_ms,
                     void (*ev)(void *arg, const char *line), void *arg, char *err, size_t errlen);
/* Next line (reply or event) within timeout_ms: 1 line, 0 timeout, -1 error/EOF. */
int cli_admin_read_line(struct cli_admin *a, int timeout_ms, char **line, char *err, size_t errlen);

/* From a reply line: true if "ok":true; otherwise fills err with error/message. */
bool cli_admin_ok(const char *line, char *err, size_t errlen);
bool cli_json_u64(const char *line, const char *key, uint64_t *v);
bool cli_json_i64(const char *line, const char *key, int64_t *v);
bool cli_json_str(const char *line, const char *key, char *out, size_t cap);
/* Escape s as a JSON string body into out. */
void cli_json_escape(const char *s, char *out, size_t cap);

#endif
