/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared helpers of the libFuzzer targets (docs/fuzzing.md).  Every target is
 * also linked with replay.c into a plain program for the gcc test suites, so
 * nothing here may depend on clang or libFuzzer.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a bug: say which one, then abort() so libFuzzer (and
 * the replay driver) records the input. */
#define FUZZ_ASSERT(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__,  \
			        #cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Consumes parameters from the front of the input; past the end it yields
 * zeros, so short inputs still reach the parsers. */
struct fz {
	const uint8_t *p;
	size_t len;
};

static inline uint8_t fz_u8(struct fz *f)
{
	if (!f->len)
		return 0;
	uint8_t v = f->p[0];
	f->p++;
	f->len--;
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint16_t v = fz_u8(f);
	return (uint16_t)(v << 8 | fz_u8(f));
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t v = fz_u16(f);
	return v << 16 | fz_u16(f);
}

static inline uint64_t fz_u64(struct fz *f)
{
	uint64_t v = fz_u32(f);
	return v << 32 | fz_u32(f);
}

/* Copy n octets (zero-filled past the end of the input). */
static inline void fz_bytes(struct fz *f, void *dst, size_t n)
{
	size_t k = n < f->len ? n : f->len;
	memcpy(dst, f->p, k);
	memset((uint8_t *)dst + k, 0, n - k);
	f->p += k;
	f->len -= k;
}

/* A heap copy of exactly n octets (at least 1 allocated), so that ASan flags
 * any access past the message: a stack or static buffer would hide it. */
static inline uint8_t *fz_dup(const uint8_t *src, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	if (!b)
		abort();
	if (n)
		memcpy(b, src, n);
	return b;
}

#endif
