/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "keys": the perfSONAR pass-phrase file parser
 * (control/keys/ctl_keys.c; identity and hex secret per line).
 *
 * Input: the file's text (at most 64 KiB; a NUL ends it early).
 *
 * Invariants (abort() on violation):
 *  - a rejected file leaves a non-empty error message and no table;
 *  - in an accepted file every identity is at most CTL_KEYS_ID_MAX octets,
 *    every secret at most CTL_KEYS_SECRET_MAX, and looking each identity up
 *    by its 80-octet KeyID finds that same secret.
 */
#include "fuzz_common.h"

#include "ctl_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct ctl_keys *k = NULL;

	if (size > 65536)
		return 0;
	char *text = malloc(size + 1);
	FUZZ_ASSERT(text);
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	if (ctl_keys_parse("f.pfs", text, &k, err, sizeof(err)) != 0) {
		FUZZ_ASSERT(err[0] != '\0' && memchr(err, '\0', sizeof(err)));
		FUZZ_ASSERT(k == NULL);
	} else {
		const char *id;
		const uint8_t *sec, *sec2;
		size_t len, len2;
		for (unsigned i = 0; ctl_keys_get(k, i, &id, &sec, &len); i++) {
			size_t idl = strlen(id);
			FUZZ_ASSERT(idl <= CTL_KEYS_ID_MAX && len <= CTL_KEYS_SECRET_MAX);
			uint8_t kid[CTL_KEYS_ID_MAX] = {0};
			memcpy(kid, id, idl);
			FUZZ_ASSERT(ctl_keys_lookup(k, kid, &sec2, &len2));
			FUZZ_ASSERT(len2 == len && memcmp(sec, sec2, len) == 0);
		}
		ctl_keys_free(k);
	}
	free(text);
	return 0;
}
