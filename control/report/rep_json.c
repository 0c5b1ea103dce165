/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rep_json: streaming JSON writer (RFC 8259).  No allocation; nesting is
 * checked so that a caller bug gives TW_E_ARG instead of invalid JSON.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "rep_priv.h"

/* A hard error stops output; TW_E_NOSPACE only stops copying. */
static bool broken(const struct rep_json *w)
{
	return w->err != TW_OK && w->err != TW_E_NOSPACE;
}

static void sink(struct rep_json *w, const char *s, size_t n)
{
	if (broken(w))
		return;
	if (w->f) {
		if (n && fwrite(s, 1, n, w->f) != n)
			w->err = TW_E_SYS;
		w->len += n;
		return;
	}
	if (w->len < w->cap) {
		size_t room = w->cap - 1 - w->len; /* keep one octet for the NUL */
		size_t k = n < room ? n : room;
		memcpy(w->buf + w->len, s, k);
		w->buf[w->len + k] = '\0';
		if (k < n)
			w->err = TW_E_NOSPACE;
	} else {
		w->err = TW_E_NOSPACE;
	}
	w->len += n; /* keeps counting what would be needed */
}

static void puts_(struct rep_json *w, const char *s)
{
	sink(w, s, strlen(s));
}

void rep_json_init_buf(struct rep_json *w, char *buf, size_t cap, unsigned flags)
{
	memset(w, 0, sizeof *w);
	w->buf = buf;
	w->cap = cap;
	w->flags = flags;
	w->first[0] = true;
	w->err = (buf && cap) ? TW_OK : TW_E_ARG;
	if (buf && cap)
		buf[0] = '\0';
}

void rep_json_init_file(struct rep_json *w, FILE *f, unsigned flags)
{
	memset(w, 0, sizeof *w);
	w->f = f;
	w->flags = flags;
	w->first[0] = true;
	w->err = f ? TW_OK : TW_E_ARG;
}

static void indent(struct rep_json *w)
{
	static const char tabs[] = "\t\t\t\t\t\t\t\t";
	if (!(w->flags & REP_JSON_F_PRETTY))
		return;
	sink(w, "\n", 1);
	for (unsigned d = w->depth; d > 0;) {
		unsigned k = d < 8 ? d : 8;
		sink(w, tabs, k);
		d -= k;
	}
}

static void put_string(struct rep_json *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	sink(w, "\"", 1);
	while (*p) {
		const unsigned char *run = p;
		/* copy plain ASCII in runs */
		while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			sink(w, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			sink(w, e, 2);
			p++;
		} else if (c < 0x20) {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			const char *sh = NULL;
			switch (c) {
			case '\b':
				sh = "\\b";
				break;
			case '\f':
				sh = "\\f";
				break;
			case '\n':
				sh = "\\n";
				break;
			case '\r':
				sh = "\\r";
				break;
			case '\t':
				sh = "\\t";
				break;
			default:
				break;
			}
			if (sh)
				sink(w, sh, 2);
			else
				sink(w, e, 6);
			p++;
		} else {
			size_t n = tw_utf8_seq(p);
			bool ok = n != 0;
			if (ok) {
				sink(w, (const char *)p, n);
				p += n;
			} else {
				sink(w, "\xef\xbf\xbd", 3); /* U+FFFD, skip one octet */
				p++;
			}
		}
	}
	sink(w, "\"", 1);
}

/* Separator, indentation and key before a value; false on a nesting error. */
static bool prefix(struct rep_json *w, const char *key)
{
	if (broken(w))
		return false;
	if (w->done) {
		w->err = TW_E_ARG;
		return false;
	}
	bool in_obj = w->depth > 0 && w->kind[w->depth] == '{';
	if (in_obj != (key != NULL)) {
		w->err = TW_E_ARG;
		return false;
	}
	if (w->depth > 0) {
		if (!w->first[w->depth])
			sink(w, ",", 1);
		w->first[w->depth] = false;
		indent(w);
	}
	if (key) {
		put_string(w, key);
		sink(w, (w->flags & REP_JSON_F_PRETTY) ? ": " : ":",
		     (w->flags & REP_JSON_F_PRETTY) ? 2 : 1);
	}
	return true;
}

static enum tw_err after_value(struct rep_json *w)
{
	if (w->depth == 0 && !broken(w))
		w->done = true;
	return w->err;
}

static enum tw_err open_(struct rep_json *w, const char *key, char kind)
{
	if (!prefix(w, key))
		return w->err;
	if (w->depth >= REP_JSON_DEPTH_MAX) {
		w->err = TW_E_ARG;
		return w->err;
	}
	sink(w, &kind, 1);
	w->depth++;
	w->kind[w->depth] = kind;
	w->first[w->depth] = true;
	return w->err;
}

static enum tw_err close_(struct rep_json *w, char kind)
{
	if (broken(w))
		return w->err;
	if (w->depth == 0 || w->kind[w->depth] != kind) {
		w->err = TW_E_ARG;
		return w->err;
	}
	bool empty = w->first[w->depth];
	w->depth--;
	if (!empty)
		indent(w);
	char c = kind == '{' ? '}' : ']';
	sink(w, &c, 1);
	return after_value(w);
}

enum tw_err rep_json_obj_begin(struct rep_json *w, const char *key)
{
	return open_(w, key, '{');
}

enum tw_err rep_json_obj_end(struct rep_json *w)
{
	return close_(w, '{');
}

enum tw_err rep_json_arr_begin(struct rep_json *w, const char *key)
{
	return open_(w, key, '[');
}

enum tw_err rep_json_arr_end(struct rep_json *w)
{
	return close_(w, '[');
}

static enum tw_err raw(struct rep_json *w, const char *key, const char *s)
{
	if (prefix(w, key))
		puts_(w, s);
	return after_value(w);
}

enum tw_err rep_json_str(struct rep_json *w, const char *key, const char *s)
{
	if (!s)
		return raw(w, key, "null");
	if (prefix(w, key))
		put_string(w, s);
	return after_value(w);
}

enum tw_err rep_json_i64(struct rep_json *w, const char *key, int64_t v)
{
	char b[24];
	snprintf(b, sizeof b, "%" PRId64, v);
	return raw(w, key, b);
}

enum tw_err rep_json_u64(struct rep_json *w, const char *key, uint64_t v)
{
	char b[24];
	snprintf(b, sizeof b, "%" PRIu64, v);
	return raw(w, key, b);
}

enum tw_err rep_json_double(struct rep_json *w, const char *key, double v, unsigned decimals)
{
	char b[352]; /* DBL_MAX with 17 decimals fits */
	if (!isfinite(v))
		return raw(w, key, "null");
	if (decimals > 17)
		decimals = 17;
	snprintf(b, sizeof b, "%.*f", (int)decimals, v);
	char *dot = strchr(b, '.');
	if (dot) {
		char *e = b + strlen(b) - 1;
		while (e > dot && *e == '0')
			*e-- = '\0';
		if (e == dot)
			*e = '\0';
	}
	if (strcmp(b, "-0") == 0)
		strcpy(b, "0");
	return raw(w, key, b);
}

enum tw_err rep_json_bool(struct rep_json *w, const char *key, bool v)
{
	return raw(w, key, v ? "true" : "false");
}

enum tw_err rep_json_null(struct rep_json *w, const char *key)
{
	return raw(w, key, "null");
}

enum tw_err rep_json_finish(struct rep_json *w)
{
	if (w->err == TW_OK && (!w->done || w->depth))
		w->err = TW_E_ARG;
	if (w->err == TW_OK && w->f && fflush(w->f) != 0)
		w->err = TW_E_SYS;
	return w->err;
}

size_t rep_json_len(const struct rep_json *w)
{
	return w->len;
}
