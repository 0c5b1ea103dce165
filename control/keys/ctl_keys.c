/* SPDX-License-Identifier: BSD-3-Clause */
#include "ctl_keys.h"
#include "tw_hex.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_crypto.h"

struct ctl_key {
	char id[CTL_KEYS_ID_MAX + 1];
	size_t id_len;
	uint8_t secret[CTL_KEYS_SECRET_MAX];
	size_t len;
};

struct ctl_keys {
	struct ctl_key *k;
	unsigned n, cap;
};

char *ctl_read_file(const char *path, size_t max, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max) {
		snprintf(err, errlen, "%s: %s", path, n > max ? "file too large" : strerror(errno));
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (strlen(buf) != n) {
		snprintf(err, errlen, "%s: file contains a NUL octet", path);
		free(buf);
		return NULL;
	}
	return buf;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int ctl_keys_parse(const char *name, const char *text, struct ctl_keys **out, char *err,
                   size_t errlen)
{
	struct ctl_keys *ks = calloc(1, sizeof(*ks));
	unsigned lineno = 0;
	const char *p = text;

	if (!ks)
		return fail(err, errlen, "%s: out of memory", name);
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		char line[1200];
		char *tok[3] = {0};
		int nt = 0;

		lineno++;
		if (ll >= sizeof(line)) {
			ctl_keys_free(ks);
			return fail(err, errlen, "%s:%u: line too long", name, lineno);
		}
		memcpy(line, p, ll);
		line[ll] = '\0';
		p += ll + (eol ? 1 : 0);
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		for (char *save = NULL, *t = strtok_r(line, " \t\r", &save); t;
		     t = strtok_r(NULL, " \t\r", &save)) {
			if (nt == 3)
				break;
			tok[nt++] = t;
		}
		if (nt == 0)
			continue;
		if (nt != 2) {
			ctl_keys_free(ks);
			return fail(err, errlen, "%s:%u: expected \"identity hex-passphrase\"",
			            name, lineno);
		}
		size_t idl = strlen(tok[0]), hl = strlen(tok[1]);
		if (idl > CTL_KEYS_ID_MAX) {
			ctl_keys_free(ks);
			return fail(err, errlen, "%s:%u: identity longer than %u octets", name,
			            lineno, CTL_KEYS_ID_MAX);
		}
		if (hl % 2 || hl / 2 > CTL_KEYS_SECRET_MAX) {
			ctl_keys_free(ks);
			return fail(err, errlen,
			            "%s:%u: pass-phrase must be an even number of hex digits (at "
			            "most %u octets)",
			            name, lineno, CTL_KEYS_SECRET_MAX);
		}
		for (unsigned i = 0; i < ks->n; i++)
			if (!strcmp(ks->k[i].id, tok[0])) {
				ctl_keys_free(ks);
				return fail(err, errlen, "%s:%u: identity '%s' given twice", name,
				            lineno, tok[0]);
			}
		if (ks->n == ks->cap) {
			/* Not realloc(): it may move the table and free the old
			 * block with every secret still in it.  Copy, then cleanse
			 * the old block before it goes back to the allocator. */
			unsigned cap = ks->cap ? 2 * ks->cap : 8;
			struct ctl_key *nk = calloc(cap, sizeof(*nk));
			if (!nk) {
				ctl_keys_free(ks);
				return fail(err, errlen, "%s: out of memory", name);
			}
			if (ks->k) {
				memcpy(nk, ks->k, ks->n * sizeof(*nk));
				tw_crypto_cleanse(ks->k, ks->cap * sizeof(*ks->k));
				free(ks->k);
			}
			ks->k = nk;
			ks->cap = cap;
		}
		struct ctl_key *k = &ks->k[ks->n];
		memset(k, 0, sizeof(*k));
		memcpy(k->id, tok[0], idl);
		k->id_len = idl;
		if (tw_hex_decode(tok[1], hl, k->secret, sizeof(k->secret), NULL) != TW_OK) {
			tw_crypto_cleanse(k, sizeof(*k));
			ctl_keys_free(ks);
			return fail(err, errlen, "%s:%u: pass-phrase is not hexadecimal", name,
			            lineno);
		}
		k->len = hl / 2;
		tw_crypto_cleanse(tok[1], hl);
		ks->n++;
	}
	*out = ks;
	return 0;
}

int ctl_keys_load(const char *path, struct ctl_keys **out, char *err, size_t errlen)
{
	char *text = ctl_read_file(path, 1u << 20, err, errlen);
	int rc;

	if (!text)
		return -1;
	rc = ctl_keys_parse(path, text, out, err, errlen);
	tw_crypto_cleanse(text, strlen(text));
	free(text);
	return rc;
}

void ctl_keys_free(struct ctl_keys *ks)
{
	if (!ks)
		return;
	if (ks->k)
		tw_crypto_cleanse(ks->k, ks->cap * sizeof(*ks->k));
	free(ks->k);
	free(ks);
}

unsigned ctl_keys_count(const struct ctl_keys *ks)
{
	return ks ? ks->n : 0;
}

bool ctl_keys_get(const struct ctl_keys *ks, unsigned i, const char **id, const uint8_t **secret,
                  size_t *len)
{
	if (!ks || i >= ks->n)
		return false;
	*id = ks->k[i].id;
	*secret = ks->k[i].secret;
	*len = ks->k[i].len;
	return true;
}

bool ctl_keys_lookup(const struct ctl_keys *ks, const uint8_t key_id[CTL_KEYS_ID_MAX],
                     const uint8_t **secret, size_t *len)
{
	size_t idl = 0;

	if (!ks)
		return false;
	while (idl < CTL_KEYS_ID_MAX && key_id[idl])
		idl++;
	for (size_t i = idl; i < CTL_KEYS_ID_MAX; i++)
		if (key_id[i])
			return false;
	for (unsigned i = 0; i < ks->n; i++)
		if (ks->k[i].id_len == idl && !memcmp(ks->k[i].id, key_id, idl)) {
			*secret = ks->k[i].secret;
			*len = ks->k[i].len;
			return true;
		}
	return false;
}
