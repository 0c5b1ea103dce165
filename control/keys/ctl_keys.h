/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_keys: KeyID -> shared secret, from a perfSONAR pass-phrase file
 * (wire ref §3.1: one "identity<whitespace>hex-passphrase" per line, '#'
 * comments; the decoded octets are the secret).  Loaded before privileges
 * are dropped; secrets are wiped on free.
 */
#ifndef CTL_KEYS_H
#define CTL_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_KEYS_ID_MAX     80  /* KeyID field, octets (§2.3) */
#define CTL_KEYS_SECRET_MAX 512 /* octets of decoded pass-phrase */

struct ctl_keys;

/* Parse text (named `name` in messages); 0 and *out, or -1 and
 * "name:line: what" in err. */
int ctl_keys_parse(const char *name, const char *text, struct ctl_keys **out, char *err,
                   size_t errlen);
int ctl_keys_load(const char *path, struct ctl_keys **out, char *err, size_t errlen);
void ctl_keys_free(struct ctl_keys *k);
unsigned ctl_keys_count(const struct ctl_keys *k);

/* KeyID as on the wire: 80 octets, the identity then NUL padding.  A KeyID
 * with anything but NULs after the first NUL matches nothing. */
bool ctl_keys_lookup(const struct ctl_keys *k, const uint8_t key_id[CTL_KEYS_ID_MAX],
                     const uint8_t **secret, size_t *len);

/* Entry i (0 .. count-1) in file order: identity and secret; false past
 * the end.  The client picks its key with this (same parser as the server,
 * so one .pfs file reads the same on both sides). */
bool ctl_keys_get(const struct ctl_keys *k, unsigned i, const char **id, const uint8_t **secret,
                  size_t *len);

/* Read a whole small file into a NUL-terminated malloc'd string (shared
 * with ctl_conf); NULL with err filled on failure. */
char *ctl_read_file(const char *path, size_t max, char *err, size_t errlen);

#endif
