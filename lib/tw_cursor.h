/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_cursor: the only way wire input is read and wire output is written.
 *
 * A reader (struct tw_rd) and a writer (struct tw_wr) walk a caller-owned
 * buffer.  Every access is bounds-checked; the first overrun sets a sticky
 * error flag, after which reads return zero and writes do nothing.  A codec
 * therefore reads a whole layout straight through and checks tw_rd_ok() once
 * at the end, instead of testing every field (the OpenBGPD ibuf idea).
 *
 * All integers are big-endian (network order), as in every TWAMP/OWAMP
 * message.  Header-only and allocation-free so the fast path can inline it.
 */
#ifndef TW_CURSOR_H
#define TW_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct tw_rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool err;
};

struct tw_wr {
	uint8_t *p;
	size_t cap;
	size_t off;
	bool err;
};

static inline void tw_rd_init(struct tw_rd *r, const void *p, size_t len)
{
	r->p = (const uint8_t *)p;
	r->len = len;
	r->off = 0;
	r->err = false;
}

static inline bool tw_rd_ok(const struct tw_rd *r) { return !r->err; }
static inline size_t tw_rd_left(const struct tw_rd *r) { return r->err ? 0 : r->len - r->off; }
static inline size_t tw_rd_off(const struct tw_rd *r) { return r->off; }

/* Reserve n octets; returns a pointer to them or NULL (and sets err). */
static inline const uint8_t *tw_rd_take(struct tw_rd *r, size_t n)
{
	if (r->err || n > r->len - r->off) {
		r->err = true;
		return NULL;
	}
	const uint8_t *q = r->p + r->off;
	r->off += n;
	return q;
}

static inline uint8_t tw_rd_u8(struct tw_rd *r)
{
	const uint8_t *q = tw_rd_take(r, 1);
	return q ? q[0] : 0;
}

static inline uint16_t tw_rd_u16(struct tw_rd *r)
{
	const uint8_t *q = tw_rd_take(r, 2);
	return q ? (uint16_t)((q[0] << 8) | q[1]) : 0;
}

static inline uint32_t tw_rd_u32(struct tw_rd *r)
{
	const uint8_t *q = tw_rd_take(r, 4);
	return q ? ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3] : 0;
}

static inline uint64_t tw_rd_u64(struct tw_rd *r)
{
	uint64_t hi = tw_rd_u32(r);
	return (hi << 32) | tw_rd_u32(r);
}

static inline void tw_rd_bytes(struct tw_rd *r, void *dst, size_t n)
{
	const uint8_t *q = tw_rd_take(r, n);
	if (q)
		memcpy(dst, q, n);
	else
		memset(dst, 0, n);
}

static inline void tw_rd_skip(struct tw_rd *r, size_t n) { (void)tw_rd_take(r, n); }

static inline void tw_wr_init(struct tw_wr *w, void *p, size_t cap)
{
	w->p = (uint8_t *)p;
	w->cap = cap;
	w->off = 0;
	w->err = false;
}

static inline bool tw_wr_ok(const struct tw_wr *w) { return !w->err; }
static inline size_t tw_wr_off(const struct tw_wr *w) { return w->off; }

static inline uint8_t *tw_wr_take(struct tw_wr *w, size_t n)
{
	if (w->err || n > w->cap - w->off) {
		w->err = true;
		return NULL;
	}
	uint8_t *q = w->p + w->off;
	w->off += n;
	return q;
}

static inline void tw_wr_u8(struct tw_wr *w, uint8_t v)
{
	uint8_t *q = tw_wr_take(w, 1);
	if (q)
		q[0] = v;
}

static inline void tw_wr_u16(struct tw_wr *w, uint16_t v)
{
	uint8_t *q = tw_wr_take(w, 2);
	if (q) {
		q[0] = (uint8_t)(v >> 8);
		q[1] = (uint8_t)v;
	}
}

static inline void tw_wr_u32(struct tw_wr *w, uint32_t v)
{
	uint8_t *q = tw_wr_take(w, 4);
	if (q) {
		q[0] = (uint8_t)(v >> 24);
		q[1] = (uint8_t)(v >> 16);
		q[2] = (uint8_t)(v >> 8);
		q[3] = (uint8_t)v;
	}
}

static inline void tw_wr_u64(struct tw_wr *w, uint64_t v)
{
	tw_wr_u32(w, (uint32_t)(v >> 32));
	tw_wr_u32(w, (uint32_t)v);
}

static inline void tw_wr_bytes(struct tw_wr *w, const void *src, size_t n)
{
	uint8_t *q = tw_wr_take(w, n);
	if (q && n)
		memcpy(q, src, n);
}

/* MBZ and unused fields: the protocol says send zeros. */
static inline void tw_wr_zero(struct tw_wr *w, size_t n)
{
	uint8_t *q = tw_wr_take(w, n);
	if (q && n)
		memset(q, 0, n);
}

/* Unaligned big-endian loads/stores at a known-valid offset, for fast-path code
 * that has already checked the length once. */
static inline uint32_t tw_be32(const uint8_t *q)
{
	return ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3];
}
static inline uint16_t tw_be16(const uint8_t *q) { return (uint16_t)((q[0] << 8) | q[1]); }
static inline uint64_t tw_be64(const uint8_t *q) { return ((uint64_t)tw_be32(q) << 32) | tw_be32(q + 4); }
static inline void tw_put_be16(uint8_t *q, uint16_t v)
{
	q[0] = (uint8_t)(v >> 8);
	q[1] = (uint8_t)v;
}
static inline void tw_put_be32(uint8_t *q, uint32_t v)
{
	q[0] = (uint8_t)(v >> 24);
	q[1] = (uint8_t)(v >> 16);
	q[2] = (uint8_t)(v >> 8);
	q[3] = (uint8_t)v;
}
static inline void tw_put_be64(uint8_t *q, uint64_t v)
{
	tw_put_be32(q, (uint32_t)(v >> 32));
	tw_put_be32(q + 4, (uint32_t)v);
}

#endif
