/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "adminjson": the admin socket's request parser
 * (control/daemon/ctl_json.c, docs/admin-protocol.md "Framing"), fed any
 * octets a local client can send on one line.
 *
 * Invariants (abort() on violation):
 *  - ctl_json_parse() returns 0 or -1; -1 always comes with a reason;
 *  - on success: at most CTL_JSON_MAX_MEMBERS members, every key and string
 *    NUL-terminated inside its array and UTF-8 (invalid UTF-8 is refused),
 *    ctl_json_get() finds every key;
 *  - writing the parsed object back with the reply writer (ctl_jb_*) and
 *    parsing that again gives the same members (the writer's escaping and
 *    the parser's unescaping agree), and what the writer wrote is UTF-8.
 */
#include "fuzz_common.h"

#include "ctl_json.h"

static bool is_utf8(const char *s, size_t n)
{
	for (size_t i = 0, k; i < n; i += k)
		if (!(k = ctl_json_utf8_len(s + i, n - i)))
			return false;
	return true;
}

static void write_obj(struct ctl_jb *b, const struct ctl_json_obj *o)
{
	ctl_jb_obj_begin(b, NULL);
	for (unsigned i = 0; i < o->n; i++) {
		const struct ctl_json_member *m = &o->m[i];
		switch (m->type) {
		case CTL_JSON_STR:
			ctl_jb_str(b, m->key, m->str);
			break;
		case CTL_JSON_INT:
			if (m->neg && m->u)
				ctl_jb_i64(b, m->key, -(int64_t)m->u);
			else
				ctl_jb_u64(b, m->key, m->u);
			break;
		case CTL_JSON_BOOL:
			ctl_jb_bool(b, m->key, m->u != 0);
			break;
		case CTL_JSON_NULL:
			ctl_jb_key(b, m->key);
			ctl_jb_raw(b, "null");
			break;
		}
	}
	ctl_jb_obj_end(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctl_json_obj o, o2;
	const char *why = NULL;

	if (size > 4096) /* the admin protocol's line limit */
		return 0;
	int r = ctl_json_parse((const char *)data, size, &o, &why);
	FUZZ_ASSERT(r == 0 || r == -1);
	if (r < 0) {
		FUZZ_ASSERT(why != NULL);
		return 0;
	}
	FUZZ_ASSERT(o.n <= CTL_JSON_MAX_MEMBERS);
	for (unsigned i = 0; i < o.n; i++) {
		const struct ctl_json_member *m = &o.m[i];
		FUZZ_ASSERT(memchr(m->key, '\0', sizeof(m->key)) != NULL);
		FUZZ_ASSERT(memchr(m->str, '\0', sizeof(m->str)) != NULL);
		FUZZ_ASSERT(is_utf8(m->key, strlen(m->key)));
		FUZZ_ASSERT(is_utf8(m->str, strlen(m->str)));
		FUZZ_ASSERT(m->type <= CTL_JSON_NULL);
		FUZZ_ASSERT(ctl_json_get(&o, m->key) != NULL);
	}

	/* A negative integer beyond INT64_MIN cannot be written back by the
	 * writer's int64 call: the round trip covers everything else. */
	for (unsigned i = 0; i < o.n; i++)
		if (o.m[i].type == CTL_JSON_INT && o.m[i].neg && o.m[i].u > (uint64_t)INT64_MAX)
			return 0;
	struct ctl_jb b;
	ctl_jb_init(&b);
	write_obj(&b, &o);
	if (!b.oom) {
		FUZZ_ASSERT(is_utf8(b.p, b.len));
		why = NULL;
		r = ctl_json_parse(b.p, b.len, &o2, &why);
		if (r != 0)
			fprintf(stderr, "re-parse of %.*s: %s\n", (int)b.len, b.p, why ? why : "?");
		FUZZ_ASSERT(r == 0);
		FUZZ_ASSERT(o2.n == o.n);
		for (unsigned i = 0; i < o.n; i++) {
			const struct ctl_json_member *a = &o.m[i], *c = &o2.m[i];
			FUZZ_ASSERT(!strcmp(a->key, c->key));
			FUZZ_ASSERT(a->type == c->type);
			if (a->type == CTL_JSON_STR)
				FUZZ_ASSERT(!strcmp(a->str, c->str));
			if (a->type == CTL_JSON_INT || a->type == CTL_JSON_BOOL)
				FUZZ_ASSERT(a->u == c->u && (a->u == 0 || a->neg == c->neg));
		}
	}
	ctl_jb_free(&b);
	return 0;
}
