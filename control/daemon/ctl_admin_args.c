/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_admin_args.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "tw_hex.h"

uint64_t ctl_arg_u64(struct ctl_args *g, const char *key, uint64_t def, uint64_t min, uint64_t max,
                     bool required)
{
	const struct ctl_json_member *m = ctl_json_get(g->o, key);
	if (g->bad)
		return def;
	if (!m) {
		if (required) {
			snprintf(g->err, sizeof(g->err), "arg %s: missing", key);
			g->bad = true;
		}
		return def;
	}
	if (m->type != CTL_JSON_INT || m->neg || m->u < min || m->u > max) {
		snprintf(g->err, sizeof(g->err), "arg %s: must be an integer %llu..%llu", key,
		         (unsigned long long)min, (unsigned long long)max);
		g->bad = true;
		return def;
	}
	return m->u;
}

bool ctl_arg_bool(struct ctl_args *g, const char *key, bool def)
{
	const struct ctl_json_member *m = ctl_json_get(g->o, key);
	if (g->bad || !m)
		return def;
	if (m->type != CTL_JSON_BOOL) {
		snprintf(g->err, sizeof(g->err), "arg %s: must be true or false", key);
		g->bad = true;
		return def;
	}
	return m->u != 0;
}

const char *ctl_arg_str(struct ctl_args *g, const char *key, bool required)
{
	const struct ctl_json_member *m = ctl_json_get(g->o, key);
	if (g->bad)
		return NULL;
	if (!m) {
		if (required) {
			snprintf(g->err, sizeof(g->err), "arg %s: missing", key);
			g->bad = true;
		}
		return NULL;
	}
	if (m->type != CTL_JSON_STR) {
		snprintf(g->err, sizeof(g->err), "arg %s: must be a string", key);
		g->bad = true;
		return NULL;
	}
	return m->str;
}

void ctl_arg_label(struct ctl_args *g, const char *key, bool required, char *out, size_t cap)
{
	const char *v = ctl_arg_str(g, key, required);
	out[0] = '\0';
	if (!v || g->bad)
		return;
	size_t n = strlen(v);
	bool ctl = false;
	for (size_t i = 0; i < n; i++)
		ctl |= (unsigned char)v[i] < 0x20 || v[i] == 0x7f;
	if (!n || n >= cap || ctl) {
		snprintf(g->err, sizeof(g->err),
		         "arg %s: 1 to %zu characters, no control characters", key, cap - 1);
		g->bad = true;
		return;
	}
	memcpy(out, v, n + 1);
}

void ctl_arg_addr(struct ctl_args *g, const char *key, bool required, struct tw_ipc_addr *out)
{
	const char *s = ctl_arg_str(g, key, required);
	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	if (inet_pton(AF_INET, s, out->addr) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, s, out->addr) == 1)
		out->family = 6;
	else {
		snprintf(g->err, sizeof(g->err), "arg %s: '%s' is not an IP address", key, s);
		g->bad = true;
	}
}

/* "twamp" is a Session-Sender of a TWAMP-Control session run by a client
 * elsewhere (twinhop measure --engine fastpath): it carries the SID and the
 * test keys that client derived (spec §3.5).  Listeners are Light/STAMP only. */
uint8_t ctl_arg_proto(struct ctl_args *g, bool allow_twamp)
{
	const char *p = ctl_arg_str(g, "proto", true);
	if (!p)
		return 0;
	if (!strcmp(p, "light"))
		return TW_IPC_PROTO_LIGHT;
	if (!strcmp(p, "stamp"))
		return TW_IPC_PROTO_STAMP;
	if (allow_twamp && !strcmp(p, "twamp"))
		return TW_IPC_PROTO_TWAMP;
	snprintf(g->err, sizeof(g->err), "arg proto: must be %s",
	         allow_twamp ? "\"light\", \"stamp\" or \"twamp\"" : "\"light\" or \"stamp\"");
	g->bad = true;
	return 0;
}

/* Exactly `len` octets as 2*len hex digits (len 0: 2..2*cap digits, returns
 * the octet count).  Returns the octets written, or 0 after setting g->err. */
size_t ctl_arg_hex(struct ctl_args *g, const char *key, bool required, uint8_t *out, size_t len,
                   size_t cap)
{
	const char *k = ctl_arg_str(g, key, required);
	if (!k)
		return 0;
	size_t n = strlen(k);
	if (len ? n != 2 * len : (!n || n % 2 || n / 2 > cap)) {
		if (len)
			snprintf(g->err, sizeof(g->err), "arg %s: %zu hex digits", key, 2 * len);
		else
			snprintf(g->err, sizeof(g->err), "arg %s: 2..%zu hex digits", key, 2 * cap);
		g->bad = true;
		return 0;
	}
	size_t got;
	if (tw_hex_decode(k, n, out, len ? len : cap, &got) != TW_OK) {
		snprintf(g->err, sizeof(g->err), "arg %s: not hexadecimal", key);
		g->bad = true;
		return 0;
	}
	return got;
}

/* TWAMP test-packet security of a twamp sender: the four modes of spec §2.2;
 * authenticated and encrypted need both test keys (§3.5, §3.6). */
void ctl_arg_sec_twamp(struct ctl_args *g, uint8_t *sec, struct tw_ipc_keys *keys, uint8_t sid[16])
{
	const char *s = ctl_arg_str(g, "sec", false);
	*sec = TW_IPC_SEC_OPEN;
	if (s && !strcmp(s, "mixed"))
		*sec = TW_IPC_SEC_MIXED;
	else if (s && !strcmp(s, "auth"))
		*sec = TW_IPC_SEC_AUTH;
	else if (s && !strcmp(s, "enc"))
		*sec = TW_IPC_SEC_ENC;
	else if (s && strcmp(s, "open")) {
		snprintf(g->err, sizeof(g->err),
		         "arg sec: must be \"open\", \"mixed\", \"auth\" or \"enc\"");
		g->bad = true;
		return;
	}
	(void)ctl_arg_hex(g, "sid", false, sid, 16, 16);
	if (*sec != TW_IPC_SEC_AUTH && *sec != TW_IPC_SEC_ENC)
		return;
	if (ctl_arg_hex(g, "aes_key", true, keys->aes, sizeof(keys->aes), 0) &&
	    ctl_arg_hex(g, "hmac_key", true, keys->hmac, sizeof(keys->hmac), 0))
		keys->hmac_len = (uint8_t)sizeof(keys->hmac);
}

void ctl_arg_sec(struct ctl_args *g, uint8_t *sec, struct tw_ipc_keys *keys)
{
	const char *s = ctl_arg_str(g, "sec", false);
	*sec = TW_IPC_SEC_OPEN;
	if (!s || !strcmp(s, "open"))
		return;
	if (strcmp(s, "auth")) {
		snprintf(g->err, sizeof(g->err), "arg sec: must be \"open\" or \"auth\"");
		g->bad = true;
		return;
	}
	*sec = TW_IPC_SEC_AUTH;
	keys->hmac_len = (uint8_t)ctl_arg_hex(g, "key", true, keys->hmac, 0, sizeof(keys->hmac));
}
