/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_utf8: UTF-8 validation for the writers that pass peer-controlled text
 * (session names, SIDs shown as text, error strings) into JSON,
 * OpenMetrics, HTML and the terminal: each copies a valid sequence and
 * replaces anything else.
 */
#ifndef TW_UTF8_H
#define TW_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Octets of the valid UTF-8 sequence at p, 0 if it is invalid or a NUL.
 * RFC 3629 §3-4: no overlong forms, no surrogates, nothing above
 * U+10FFFF.  Reads at most up to the first octet that is not a
 * continuation, so a NUL-terminated string is never read past its end. */
static inline size_t tw_utf8_seq(const unsigned char *p)
{
	unsigned c = p[0];
	if (c < 0x80)
		return c ? 1 : 0;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	unsigned n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
	uint32_t cp = c & (0x3fu >> n);
	for (unsigned i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp > 0x10ffff)
		return 0;
	return n + 1;
}

#endif
