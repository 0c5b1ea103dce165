/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "ring": the consumer side of the lib/tw_ring.h IPC rings, i.e.
 * tw_ring_peek/tw_ring_dequeue/tw_ring_release (and tw_ipc_check under
 * them) on a ring whose data area and producer index are written by a
 * hostile or broken producer.
 *
 * No shared memory is created: struct tw_ring_q and struct tw_ring_shm are
 * public (lib/tw_ring.h), so the target builds one consumer end over a local
 * control block and a heap data area of exactly TW_RING_MIN_SIZE octets,
 * initialised the way tw_ring.c's q_init() does.  This depends on that
 * function staying as it is; if it changes, update ring_q_init() below.
 *
 * Input: [mode:1][tail:2][avail:4][cap:2][avail2:4][region bytes...]
 *   mode & 3  ring direction (0..3; 0 and 3 are not real directions)
 *   mode & 4  producer mode: the rest is a list of messages
 *             [type:1][flags:1][len:2][payload] enqueued through
 *             tw_ring_enqueue by a well-behaved producer on the same ring,
 *             then everything is dequeued and compared.
 *   otherwise the region bytes are copied into the data area starting at
 *   the tail (wrapping), and the producer head is tail + avail (any value);
 *   after the consumer has drained that, the producer publishes again
 *   (head += avail2) over the same data area and the consumer drains again.
 *
 * Invariants (abort() on violation):
 *  - the consumer terminates (every call either returns EMPTY or advances);
 *  - it never reads outside the data area (ASan) nor moves its tail past
 *    the producer's head;
 *  - every record it delivers lies inside the data area, fits max_rec and
 *    passes tw_ipc_check() for the ring's direction;
 *  - malformed == number of error returns; deq_msgs == deliveries;
 *  - producer mode: every message enqueue accepted comes out, in order and
 *    byte for byte; enqueue refuses what tw_ipc_check refuses.
 */
#include "fuzz_common.h"

#include "tw_ring.h"

#define RING_SIZE TW_RING_MIN_SIZE

static void ring_q_init(struct tw_ring_q *q, struct tw_ring_shm *sh, uint8_t *data,
                        enum tw_ring_role role)
{
	memset(q, 0, sizeof *q);
	q->sh = sh;
	q->data = data;
	q->size = sh->size;
	q->mask = sh->size - 1;
	q->max_rec = sh->size / 2 < TW_IPC_MSG_MAX ? sh->size / 2 : TW_IPC_MSG_MAX;
	q->role = (uint8_t)role;
	q->dir = sh->dir;
	uint64_t head = atomic_load(&sh->prod.head), tail = atomic_load(&sh->cons.tail);
	q->pos = role == TW_RING_ROLE_PRODUCER ? head : tail;
	q->other = role == TW_RING_ROLE_PRODUCER ? tail : head;
}

static _Alignas(64) struct tw_ring_shm sh;

/*
 * TW_FUZZ_RING_ALIGNED_HEADS=1 makes the hostile producer publish only
 * 16-octet aligned heads.  A head that is not a multiple of 16 makes
 * tw_ring_peek() read a header across the end of the data area
 * (corpus/ring/crash-unaligned-tail); while that is open, this lets a
 * fuzzing run get past it.  Never set in the regression suite.
 */
static int aligned_heads(void)
{
	static int v = -1;
	if (v < 0) {
		const char *e = getenv("TW_FUZZ_RING_ALIGNED_HEADS");
		v = e && *e == '1';
	}
	return v;
}

/* Checks one delivered record. */
static void check_record(const struct tw_ring_q *q, const uint8_t *data,
                         const struct tw_ipc_hdr *h)
{
	const uint8_t *p = (const uint8_t *)h;
	FUZZ_ASSERT(p >= data && p + sizeof *h <= data + RING_SIZE);
	FUZZ_ASSERT(((size_t)(p - data)) % TW_RING_ALIGN == 0);
	FUZZ_ASSERT(h->length <= TW_IPC_PAYLOAD_MAX);
	FUZZ_ASSERT(p + sizeof *h + h->length <= data + RING_SIZE);
	FUZZ_ASSERT(sizeof *h + h->length <= q->max_rec);
	FUZZ_ASSERT(tw_ipc_check(h, h + 1, (enum tw_ipc_dir)q->dir) == TW_OK);
}

/* Drain the consumer; returns the number of deliveries. */
static unsigned drain(struct tw_ring_q *c, uint8_t *data, uint16_t cap, uint64_t head,
                      uint8_t (*out)[TW_IPC_MSG_MAX], unsigned max_out)
{
	unsigned ok = 0, bad = 0;
	uint8_t *buf = malloc(cap ? cap : 1);
	FUZZ_ASSERT(buf);
	for (unsigned iter = 0;; iter++) {
		/* Every call consumes >= 16 octets or returns EMPTY. */
		FUZZ_ASSERT(iter <= RING_SIZE / TW_RING_ALIGN + 2);
		struct tw_ipc_hdr h;
		enum tw_err e = tw_ring_dequeue(c, &h, buf, cap);
		FUZZ_ASSERT(c->pos - atomic_load(&sh.cons.tail) == 0);
		FUZZ_ASSERT(head - c->pos <= RING_SIZE || c->pos == head);
		if (e == TW_E_EMPTY) {
			FUZZ_ASSERT(c->pos == head);
			break;
		}
		if (e == TW_E_NOSPACE) {
			/* Left in the ring: take it zero-copy instead. */
			const struct tw_ipc_hdr *p;
			FUZZ_ASSERT(h.length > cap);
			FUZZ_ASSERT(tw_ring_peek(c, &p) == TW_OK);
			check_record(c, data, p);
			FUZZ_ASSERT(memcmp(p, &h, sizeof h) == 0);
			if (out && ok < max_out)
				memcpy(out[ok], p, sizeof *p + p->length);
			tw_ring_release(c);
			ok++;
			continue;
		}
		if (e == TW_OK) {
			FUZZ_ASSERT(h.length <= cap);
			if (out && ok < max_out) {
				memcpy(out[ok], &h, sizeof h);
				memcpy(out[ok] + sizeof h, buf, h.length);
			}
			ok++;
			continue;
		}
		FUZZ_ASSERT(e == TW_E_LENGTH || e == TW_E_VERSION || e == TW_E_COMMAND);
		bad++;
	}
	FUZZ_ASSERT(atomic_load(&sh.cons.malformed) == bad);
	FUZZ_ASSERT(atomic_load(&sh.cons.deq_msgs) == ok);
	free(buf);
	return ok;
}

#define MAX_MSGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	uint8_t mode = fz_u8(&f);
	uint64_t tail = (uint64_t)fz_u16(&f) * TW_RING_ALIGN;
	uint32_t avail = fz_u32(&f);
	uint16_t cap = fz_u16(&f);
	uint32_t avail2 = fz_u32(&f);

	memset(&sh, 0, sizeof sh);
	sh.size = RING_SIZE;
	sh.dir = mode & 3;
	atomic_store(&sh.cons.tail, tail);
	atomic_store(&sh.prod.head, tail);
	uint8_t *ring = malloc(RING_SIZE);
	FUZZ_ASSERT(ring);
	memset(ring, 0, RING_SIZE);
	struct tw_ring_q c;

	if (!(mode & 4)) {
		/* Hostile producer: raw region, arbitrary head. */
		size_t n = f.len < RING_SIZE ? f.len : RING_SIZE;
		for (size_t i = 0; i < n; i++)
			ring[(tail + i) & (RING_SIZE - 1)] = f.p[i];
		uint64_t head = tail + ((mode & 8) ? (uint64_t)(int32_t)avail : avail % (2 * RING_SIZE));
		if (aligned_heads())
			head &= ~(uint64_t)(TW_RING_ALIGN - 1);
		atomic_store(&sh.prod.head, head);
		ring_q_init(&c, &sh, ring, TW_RING_ROLE_CONSUMER);
		/* The consumer's role is enforced. */
		struct tw_ring_q p;
		ring_q_init(&p, &sh, ring, TW_RING_ROLE_PRODUCER);
		const struct tw_ipc_hdr *hp;
		FUZZ_ASSERT(tw_ring_peek(&p, &hp) == TW_E_ARG);
		drain(&c, ring, cap, head, NULL, 0);
		/* The producer publishes again: the consumer must cope with
		 * wherever the first drain left its tail (the data area keeps
		 * its contents, as shared memory would). */
		head += avail2 % (2 * RING_SIZE);
		if (aligned_heads())
			head &= ~(uint64_t)(TW_RING_ALIGN - 1);
		atomic_store(&sh.prod.head, head);
		atomic_store(&sh.cons.deq_msgs, 0);
		atomic_store(&sh.cons.malformed, 0);
		drain(&c, ring, cap, head, NULL, 0);
		free(ring);
		return 0;
	}

	/* Well-behaved producer: what goes in must come out. */
	struct tw_ring_q p;
	ring_q_init(&p, &sh, ring, TW_RING_ROLE_PRODUCER);
	ring_q_init(&c, &sh, ring, TW_RING_ROLE_CONSUMER);
	static uint8_t in[MAX_MSGS][TW_IPC_MSG_MAX], out[MAX_MSGS][TW_IPC_MSG_MAX];
	unsigned nin = 0, rounds = 0;
	uint64_t full = 0;
	while (f.len && nin < MAX_MSGS && rounds++ < 4 * MAX_MSGS) {
		struct tw_ipc_hdr h = {.version = TW_IPC_VERSION};
		h.type = fz_u8(&f);
		h.flags = fz_u8(&f);
		uint16_t want = fz_u16(&f);
		/* Lengths near the type's size are the interesting ones. */
		const struct tw_ipc_type_info *ti = tw_ipc_type_info(h.type);
		if (ti && !(want & 0x8000u) && ti->elem)
			h.length = ti->size + (want & 0x3Fu) * ti->elem;
		else if (ti && !(want & 0x8000u))
			h.length = ti->size + ((want & 0x70u) ? 0u : (want & 7u));
		else
			h.length = want & 0x1FFFu;
		h.id = nin + 1;
		uint8_t payload[TW_IPC_MSG_MAX * 2];
		fz_bytes(&f, payload, h.length < sizeof payload ? h.length : sizeof payload);
		if (h.type == TW_IPC_SENDER_RESULT && ti && h.length >= ti->size &&
		    !(want & 0x4000u)) {
			/* Make the batch count consistent most of the time. */
			struct tw_ipc_result_batch b;
			memcpy(&b, payload, sizeof b);
			b.count = (uint16_t)((h.length - ti->size) / ti->elem);
			memcpy(payload, &b, sizeof b);
		}
		enum tw_err e = tw_ring_enqueue(&p, &h, payload);
		enum tw_err chk = tw_ipc_check(&h, payload, (enum tw_ipc_dir)sh.dir);
		if (h.length > TW_IPC_PAYLOAD_MAX) {
			FUZZ_ASSERT(e == TW_E_NOSPACE);
			continue;
		}
		if (chk != TW_OK) {
			FUZZ_ASSERT(e == chk);
			continue;
		}
		if (e == TW_E_FULL) {
			full++;
			/* Drain what is there and compare, then go on. */
			unsigned got = drain(&c, ring, 0xFFFF, atomic_load(&sh.prod.head), out, MAX_MSGS);
			FUZZ_ASSERT(got == nin);
			for (unsigned i = 0; i < nin; i++) {
				const struct tw_ipc_hdr *a = (const void *)in[i];
				FUZZ_ASSERT(memcmp(in[i], out[i], sizeof *a + a->length) == 0);
			}
			/* Counters are per drain call: reset the consumer's. */
			atomic_store(&sh.cons.deq_msgs, 0);
			atomic_store(&sh.cons.malformed, 0);
			nin = 0;
			continue;
		}
		FUZZ_ASSERT(e == TW_OK);
		memcpy(in[nin], &h, sizeof h);
		memcpy(in[nin] + sizeof h, payload, h.length);
		nin++;
	}
	FUZZ_ASSERT(atomic_load(&sh.prod.full_msgs) == full);
	unsigned got = drain(&c, ring, cap, atomic_load(&sh.prod.head), out, MAX_MSGS);
	FUZZ_ASSERT(got == nin);
	for (unsigned i = 0; i < nin; i++) {
		const struct tw_ipc_hdr *a = (const void *)in[i];
		FUZZ_ASSERT(memcmp(in[i], out[i], sizeof *a + a->length) == 0);
	}
	free(ring);
	return 0;
}
