/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

size_t ctl_json_utf8_len(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xbf; /* range of the second octet */
	size_t len;

	if (n == 0)
		return 0;
	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		len = 2;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		len = 3;
		if (u[0] == 0xe0)
			lo = 0xa0; /* overlong */
		else if (u[0] == 0xed)
			hi = 0x9f; /* UTF-16 surrogates */
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		len = 4;
		if (u[0] == 0xf0)
			lo = 0x90; /* overlong */
		else if (u[0] == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0; /* continuation octet, C0/C1 (overlong), F5..FF */
	}
	/* Octet by octet, so that a NUL ends a cut sequence before we read
	 * past it (the writer passes strnlen(s, 4)). */
	for (size_t i = 1; i < len; i++) {
		if (i >= n)
			return 0;
		if (u[i] < (i == 1 ? lo : 0x80) || u[i] > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return len;
}

static const char *parse_string(const char *p, const char *end, char *out, size_t cap,
                                const char **why)
{
	size_t n = 0;

	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end && *p != '"'; p++) {
		char c = *p;
		if ((unsigned char)c < 0x20)
			return NULL;
		if ((unsigned char)c >= 0x80) {
			/* RFC 8259 §8.1: JSON between systems is UTF-8.  Refused
			 * here, so that nothing a client sent can make a reply
			 * that is not (it would be echoed in an error message,
			 * or kept as a session's name). */
			size_t k = ctl_json_utf8_len(p, (size_t)(end - p));
			if (!k) {
				*why = "invalid UTF-8 in a string";
				return NULL;
			}
			if (n + k >= cap)
				return NULL;
			memcpy(out + n, p, k);
			n += k;
			p += k - 1;
			continue;
		}
		if (c == '\\') {
			if (++p >= end)
				return NULL;
			switch (*p) {
			case '"':
				c = '"';
				break;
			case '\\':
				c = '\\';
				break;
			case '/':
				c = '/';
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'u': {
				unsigned v = 0;
				if (end - p < 5)
					return NULL;
				for (int i = 1; i <= 4; i++) {
					char h = p[i];
					v <<= 4;
					if (h >= '0' && h <= '9')
						v |= (unsigned)(h - '0');
					else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f')
						v |= (unsigned)((h | 0x20) - 'a' + 10);
					else
						return NULL;
				}
				if (v == 0 || v > 0x7f)
					return NULL; /* ASCII only in requests */
				c = (char)v;
				p += 4;
				break;
			}
			default:
				return NULL;
			}
		}
		if (n + 1 >= cap)
			return NULL;
		out[n++] = c;
	}
	if (p >= end)
		return NULL;
	out[n] = '\0';
	return p + 1;
}

int ctl_json_parse(const char *text, size_t len, struct ctl_json_obj *o, const char **why)
{
	const char *p = text, *end = text + len;

	o->n = 0;
	*why = NULL;
	p = skip_ws(p, end);
	if (p >= end || *p != '{') {
		*why = "expected an object";
		return -1;
	}
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		goto done;
	for (;;) {
		struct ctl_json_member *m;
		if (o->n == CTL_JSON_MAX_MEMBERS) {
			*why = "too many members";
			return -1;
		}
		m = &o->m[o->n];
		memset(m, 0, sizeof(*m));
		p = parse_string(p, end, m->key, sizeof(m->key), why);
		if (!p) {
			if (!*why)
				*why = "bad member name";
			return -1;
		}
		p = skip_ws(p, end);
		if (p >= end || *p != ':') {
			*why = "expected ':'";
			return -1;
		}
		p = skip_ws(p + 1, end);
		if (p < end && *p == '"') {
			m->type = CTL_JSON_STR;
			p = parse_string(p, end, m->str, sizeof(m->str), why);
			if (!p) {
				if (!*why)
					*why = "bad string";
				return -1;
			}
		} else if (p < end && (*p == '-' || (*p >= '0' && *p <= '9'))) {
			m->type = CTL_JSON_INT;
			if (*p == '-') {
				m->neg = true;
				p++;
			}
			if (p >= end || *p < '0' || *p > '9') {
				*why = "bad number";
				return -1;
			}
			for (; p < end && *p >= '0' && *p <= '9'; p++) {
				unsigned dig = (unsigned)(*p - '0');
				/* exact: the whole uint64 range is valid (ids,
				 * counters), 2^64 and up are not */
				if (m->u > UINT64_MAX / 10 ||
				    (m->u == UINT64_MAX / 10 && dig > UINT64_MAX % 10)) {
					*why = "number too large";
					return -1;
				}
				m->u = m->u * 10 + dig;
			}
			if (p < end && (*p == '.' || *p == 'e' || *p == 'E')) {
				*why = "only integers are accepted";
				return -1;
			}
		} else if (end - p >= 4 && !memcmp(p, "true", 4)) {
			m->type = CTL_JSON_BOOL;
			m->u = 1;
			p += 4;
		} else if (end - p >= 5 && !memcmp(p, "false", 5)) {
			m->type = CTL_JSON_BOOL;
			p += 5;
		} else if (end - p >= 4 && !memcmp(p, "null", 4)) {
			m->type = CTL_JSON_NULL;
			p += 4;
		} else {
			*why = "values must be strings, integers or booleans";
			return -1;
		}
		o->n++;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}')
			break;
		*why = "expected ',' or '}'";
		return -1;
	}
done:
	p = skip_ws(p + 1, end);
	if (p != end) {
		*why = "trailing characters";
		return -1;
	}
	return 0;
}

const struct ctl_json_member *ctl_json_get(const struct ctl_json_obj *o, const char *key)
{
	for (unsigned i = 0; i < o->n; i++)
		if (!strcmp(o->m[i].key, key))
			return &o->m[i];
	return NULL;
}

/* ---- writer --------------------------------------------------------------------------- */

void ctl_jb_init(struct ctl_jb *b)
{
	memset(b, 0, sizeof(*b));
}
void ctl_jb_free(struct ctl_jb *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void put(struct ctl_jb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void ctl_jb_raw(struct ctl_jb *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_escaped(struct ctl_jb *b, const char *s)
{
	put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[8];
		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			put(b, e, 2);
		} else if (c < 0x20) {
			snprintf(e, sizeof(e), "\\u%04x", c);
			put(b, e, 6);
		} else if (c >= 0x80) {
			/* Our lines are always UTF-8 (RFC 8259 §8.1), whatever the
			 * text came from (a message cut at its buffer's end, a
			 * configuration word): an octet that does not start a
			 * well-formed sequence is written as U+FFFD. */
			size_t k = ctl_json_utf8_len(s, strnlen(s, 4));
			if (k) {
				put(b, s, k);
				s += k - 1;
			} else {
				put(b, "\xef\xbf\xbd", 3);
			}
		} else {
			put(b, (const char *)&c, 1);
		}
	}
	put(b, "\"", 1);
}

void ctl_jb_key(struct ctl_jb *b, const char *key)
{
	if (b->comma)
		put(b, ",", 1);
	b->comma = true;
	if (key) {
		put_escaped(b, key);
		put(b, ":", 1);
	}
}

void ctl_jb_obj_begin(struct ctl_jb *b, const char *key)
{
	ctl_jb_key(b, key);
	put(b, "{", 1);
	b->comma = false;
}

void ctl_jb_obj_end(struct ctl_jb *b)
{
	put(b, "}", 1);
	b->comma = true;
}

void ctl_jb_arr_begin(struct ctl_jb *b, const char *key)
{
	ctl_jb_key(b, key);
	put(b, "[", 1);
	b->comma = false;
}

void ctl_jb_arr_end(struct ctl_jb *b)
{
	put(b, "]", 1);
	b->comma = true;
}

void ctl_jb_str(struct ctl_jb *b, const char *key, const char *v)
{
	ctl_jb_key(b, key);
	put_escaped(b, v);
}

void ctl_jb_u64(struct ctl_jb *b, const char *key, uint64_t v)
{
	char n[24];
	ctl_jb_key(b, key);
	put(b, n, (size_t)snprintf(n, sizeof(n), "%" PRIu64, v));
}

void ctl_jb_i64(struct ctl_jb *b, const char *key, int64_t v)
{
	char n[24];
	ctl_jb_key(b, key);
	put(b, n, (size_t)snprintf(n, sizeof(n), "%" PRId64, v));
}

void ctl_jb_bool(struct ctl_jb *b, const char *key, bool v)
{
	ctl_jb_key(b, key);
	put(b, v ? "true" : "false", v ? 4 : 5);
}
