/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "conf": the twinhopd configuration parser
 * (control/daemon/ctl_conf.c), which reads a file an operator may have
 * copied from anywhere.
 *
 * Input: the file's text (at most 64 KiB; a NUL ends it early).
 *
 * Invariants (abort() on violation; ASan/UBSan catch memory errors):
 *  - a rejected file leaves a NUL-terminated, non-empty error message;
 *  - an accepted file prints a canonical form that parses again and prints
 *    identically (the printer and the parser agree, `twinhopd -nv`).
 */
#define _GNU_SOURCE
#include "fuzz_common.h"

#include "ctl_conf.h"

static char *print(const struct ctl_conf *c)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	FUZZ_ASSERT(f);
	ctl_conf_print(c, f);
	fclose(f);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctl_conf c, c2;
	char err[512];

	if (size > 65536)
		return 0;
	char *text = malloc(size + 1);
	FUZZ_ASSERT(text);
	memcpy(text, data, size);
	text[size] = '\0';
	ctl_conf_defaults(&c);
	memset(err, 'x', sizeof(err));
	if (ctl_conf_parse("f.conf", text, &c, err, sizeof(err)) != 0) {
		FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) && err[0] != '\0');
	} else {
		char *out = print(&c);
		ctl_conf_defaults(&c2);
		FUZZ_ASSERT(ctl_conf_parse("p.conf", out, &c2, err, sizeof(err)) == 0);
		char *out2 = print(&c2);
		FUZZ_ASSERT(strcmp(out, out2) == 0);
		free(out2);
		free(out);
	}
	free(text);
	return 0;
}
