/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_hex: the one hex-string decoder for keys, SIDs and pass-phrases given
 * on command lines, in config files (perfSONAR .pfs) and on the admin socket.
 *
 * Strict: only [0-9a-fA-F], an even count, nothing else (sscanf("%2x")
 * would take " f" or "+f").  Header-only, no allocation.
 */
#ifndef TW_HEX_H
#define TW_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "tw_err.h"

static inline int tw_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode the n characters at s into out (at most cap octets); *len gets the
 * octet count.  TW_E_LENGTH: n odd or more than 2*cap; TW_E_FIELD: a
 * character that is not a hex digit.  out is untouched on error.
 */
static inline enum tw_err tw_hex_decode(const char *s, size_t n, uint8_t *out, size_t cap,
                                        size_t *len)
{
	if (n % 2 || n / 2 > cap)
		return TW_E_LENGTH;
	for (size_t i = 0; i < n; i++)
		if (tw_hex_digit((unsigned char)s[i]) < 0)
			return TW_E_FIELD;
	for (size_t i = 0; i < n / 2; i++)
		out[i] = (uint8_t)(tw_hex_digit((unsigned char)s[2 * i]) << 4 |
		                   tw_hex_digit((unsigned char)s[2 * i + 1]));
	if (len)
		*len = n / 2;
	return TW_OK;
}

#endif
