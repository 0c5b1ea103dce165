/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_json: just enough JSON for the admin protocol (docs/admin-protocol.md):
 * a parser for flat request objects and an appending writer for replies.
 */
#ifndef CTL_JSON_H
#define CTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_JSON_MAX_MEMBERS 48
/* String values up to 1039 octets: sender-add's "tlv", a STAMP TLV template
 * of up to TW_IPC_STLV_MAX (512) octets as hex, is the longest. */
#define CTL_JSON_STR_MAX     1040

enum ctl_json_type { CTL_JSON_STR, CTL_JSON_INT, CTL_JSON_BOOL, CTL_JSON_NULL };

struct ctl_json_member {
	char key[64];
	enum ctl_json_type type;
	char str[CTL_JSON_STR_MAX];
	bool neg;   /* CTL_JSON_INT: negative */
	uint64_t u; /* CTL_JSON_INT: magnitude; CTL_JSON_BOOL: 0/1 */
};

struct ctl_json_obj {
	struct ctl_json_member m[CTL_JSON_MAX_MEMBERS];
	unsigned n;
};

/* Parse one flat object; -1 with a short reason on error.  Strings must be
 * UTF-8; \u escapes are ASCII only (\u0001..\u007f). */
int ctl_json_parse(const char *text, size_t len, struct ctl_json_obj *o, const char **why);
const struct ctl_json_member *ctl_json_get(const struct ctl_json_obj *o, const char *key);
/* Length of the well-formed UTF-8 sequence (RFC 3629) that starts s, of at
 * most n octets; 0 if none does.  The parser refuses strings that are not
 * UTF-8, the writer replaces what is not by U+FFFD. */
size_t ctl_json_utf8_len(const char *s, size_t n);

/* Growing output buffer. */
struct ctl_jb {
	char *p;
	size_t len, cap;
	bool comma; /* a member/element was written at this level */
	bool oom;
};

void ctl_jb_init(struct ctl_jb *b);
void ctl_jb_free(struct ctl_jb *b);
void ctl_jb_raw(struct ctl_jb *b, const char *s);
void ctl_jb_key(struct ctl_jb *b, const char *key);       /* "key": (with comma) */
void ctl_jb_obj_begin(struct ctl_jb *b, const char *key); /* key NULL in arrays/top */
void ctl_jb_obj_end(struct ctl_jb *b);
void ctl_jb_arr_begin(struct ctl_jb *b, const char *key);
void ctl_jb_arr_end(struct ctl_jb *b);
void ctl_jb_str(struct ctl_jb *b, const char *key, const char *v);
void ctl_jb_u64(struct ctl_jb *b, const char *key, uint64_t v);
void ctl_jb_i64(struct ctl_jb *b, const char *key, int64_t v);
void ctl_jb_bool(struct ctl_jb *b, const char *key, bool v);

#endif
