/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_ring: the shared-memory transport for lib/tw_ipc.h messages.
 *
 * One POSIX shared-memory region per fast-path process, created by the fast
 * path and attached by the control plane, neither of which needs DPDK to use
 * it.  The region holds (docs/ipc.md draws it):
 *
 *   superblock  magic, TW_IPC_VERSION, layout hash, sizes, offsets, the ready
 *               flag, creator pid, heartbeats
 *   1 command ring        control -> fast path (consumer: the fast path's
 *                         control lcore, which dispatches internally)
 *   N event rings         fast path lcore i -> control (N set at create;
 *                         ring 0 belongs to the control lcore: ACK/NACK,
 *                         HELLO_REPLY, STATS, COUNTERS, LOG, SESSION_EVENT)
 *   M counter blocks      struct tw_ipc_counters, one per lcore, written only
 *                         by that lcore, read by control at any time
 *   P port blocks         struct tw_ipc_port_stats, one per fast-path port,
 *                         written by the fast path's control work, read by
 *                         control at any time
 *
 * Every ring is single-producer/single-consumer (dpdk-facts: MP modes stall
 * when producers share a CPU).  Ordering holds within one ring only: a
 * sender's results and its SENDER_SUMMARY come on the same ring; the ACK of
 * SENDER_START may come on ring 0 before or after its first results.
 *
 * Records are variable length: a tw_ipc_hdr plus payload, rounded up to 16
 * octets.  A record never wraps; when it does not fit before the end of the
 * data area the producer writes a PAD record to the end, which the consumer
 * skips.  Messages up to TW_IPC_MSG_MAX octets always fit (ring >= 2 * that).
 *
 * Positions are 64-bit octet counters that never wrap in practice.  The
 * producer publishes `head` with a release store after writing the record;
 * the consumer publishes `tail` with a release store after it has finished
 * reading; each side reads the other's index with acquire.  head and tail
 * live on different cache lines, apart from the statistics, and each side
 * keeps a private copy of the other's index so the shared line is touched
 * only when needed (Lamport).
 *
 * No silent loss: enqueue never blocks; when the ring is full it returns
 * TW_E_FULL and counts the message in the ring's `full_msgs`, which lives in
 * the producer's statistics line in shared memory, readable by the consumer.
 *
 * After tw_ring_create()/tw_ring_attach() every queue function is a pure
 * memory operation (C11 atomics, no allocation, no syscall, no lock), so the
 * fast path may call them from an lcore loop.  create/attach/detach/destroy
 * make syscalls and belong to initialisation.
 *
 * Roles: the creator (fast path) produces on the event rings and consumes the
 * command ring; the attacher (control) the reverse.  Only one control process
 * may attach for writing (it claims ctl_pid); TW_RING_ATTACH_RO gives a
 * monitor view (superblock, counters, ring statistics) that cannot send.
 */
#ifndef TW_RING_H
#define TW_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_err.h"
#include "tw_ipc.h"

#define TW_RING_MAGIC        0x4d48535048574954ull /* "TIWHPSHM" in little-endian memory */
#define TW_RING_READY        0x59444552u           /* "REDY": region initialised */
#define TW_RING_GONE         0x454e4f47u           /* "GONE": creator destroyed it */
#define TW_RING_ALIGN        16u                   /* record alignment, octets */
#define TW_RING_MIN_SIZE     (2u * TW_IPC_MSG_MAX) /* smallest ring data area, octets */
#define TW_RING_MAX_SIZE     (1u << 30)
#define TW_RING_MAX_EVT      64u            /* event rings per region */
#define TW_RING_MAX_LCORE    256u           /* counter blocks per region */
#define TW_RING_NAME_MAX     64u            /* shm name, with the leading '/' */
#define TW_RING_DEFAULT_NAME "/twinhop-fp0" /* region of fast-path instance 0 */

/* Defaults for twinhop-fp: 256 KiB of commands, 4 MiB per event ring, which
 * holds about 62000 result records: 62 ms at 1 Mpps of drain stall. */
#define TW_RING_DEFAULT_CMD_SIZE (256u << 10)
#define TW_RING_DEFAULT_EVT_SIZE (4u << 20)

/* ------------------------------------------------------------------------ */
/* Shared layout (part of the contract: changing it bumps TW_IPC_VERSION)    */
/* ------------------------------------------------------------------------ */

/* Written only by a ring's producer.  head has a line of its own: the
 * consumer polls it, and statistics bumps (one per refused message while a
 * producer retries) must not invalidate that line. */
struct tw_ring_prod {
	_Atomic uint64_t head; /* octets ever published (release store) */
	uint64_t pad_head[7];
	_Atomic uint64_t enq_msgs;    /* messages enqueued */
	_Atomic uint64_t full_msgs;   /* messages refused with TW_E_FULL: lost unless retried */
	_Atomic uint64_t full_octets; /* octets of those messages (payload + header) */
	_Atomic uint64_t oversize;    /* messages refused with TW_E_NOSPACE (> TW_IPC_MSG_MAX) */
	uint64_t pad[4];
} __attribute__((aligned(64)));

/* Written only by a ring's consumer. */
struct tw_ring_cons {
	_Atomic uint64_t tail; /* octets ever consumed (release store) */
	uint64_t pad_tail[7];
	_Atomic uint64_t deq_msgs;  /* messages delivered */
	_Atomic uint64_t malformed; /* records rejected on dequeue (bad length/version/type) */
	_Atomic uint64_t discarded_octets; /* octets skipped to resync after a bad length */
	uint64_t pad[5];
} __attribute__((aligned(64)));

/* Control block of one ring: two writers, two lines each, plus constants. */
struct tw_ring_shm {
	struct tw_ring_prod prod;
	struct tw_ring_cons cons;
	uint64_t data_off; /* octets from the region start to the data area */
	uint32_t size;     /* octets in the data area, power of two */
	uint8_t dir;       /* enum tw_ipc_dir of the messages it carries */
	uint8_t pad0[3];
	uint64_t pad1[6];
} __attribute__((aligned(64)));

struct tw_ring_super {
	/* Line 0-1: written once by the creator, before `ready`. */
	uint64_t magic;           /* TW_RING_MAGIC */
	uint32_t ipc_version;     /* TW_IPC_VERSION */
	uint32_t super_size;      /* sizeof(struct tw_ring_super) */
	uint64_t layout_hash;     /* tw_ring_layout_hash() */
	uint64_t region_size;     /* octets mapped */
	uint32_t creator_pid;     /* fast-path pid */
	uint32_t n_evt;           /* event rings */
	uint32_t n_lcores;        /* counter blocks */
	uint32_t cmd_size;        /* octets in the command ring's data area */
	uint32_t evt_size;        /* octets in each event ring's data area */
	uint32_t n_counters;      /* TW_IPC_CNT__COUNT */
	uint64_t created_ns;      /* CLOCK_REALTIME ns at creation */
	uint64_t rings_off;       /* struct tw_ring_shm[1 + n_evt]: command ring, then events */
	uint64_t counters_off;    /* struct tw_ipc_counters[n_lcores] */
	uint32_t ring_stride;     /* sizeof(struct tw_ring_shm) */
	uint32_t counters_stride; /* sizeof(struct tw_ipc_counters) */
	uint64_t ports_off;       /* struct tw_ipc_port_stats[n_ports] (version 13) */
	uint32_t n_ports;         /* port blocks, 0..TW_IPC_PORTS_MAX */
	uint32_t port_stride;     /* sizeof(struct tw_ipc_port_stats) */
	uint64_t pad0[3];
	/* Line 2: written by the creator while it runs. */
	_Atomic uint32_t ready; /* 0, TW_RING_READY (release), TW_RING_GONE */
	uint32_t pad1;
	_Atomic uint64_t fp_heartbeat_ns; /* fast-path monotonic ns, every <= 100 ms */
	uint64_t pad2[6];
	/* Line 3: written by the attached control process; the creator only
	 * clears ctl_pid when it deems its holder dead (tw_ipc.h HELLO grace_ms). */
	_Atomic uint32_t ctl_pid; /* control pid holding the write side; 0 = none */
	uint32_t pad3;
	/* control monotonic ns, refreshed at least every TW_IPC_HEARTBEAT_MAX_MS
	 * by a control process that set HELLO grace_ms */
	_Atomic uint64_t ctl_heartbeat_ns;
	_Atomic uint64_t ctl_attaches;     /* successful write attaches since creation */
	uint64_t pad4[5];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct tw_ring_prod) == 128, "tw_ring_prod");
_Static_assert(sizeof(struct tw_ring_cons) == 128, "tw_ring_cons");
_Static_assert(sizeof(struct tw_ring_shm) == 320, "tw_ring_shm");
_Static_assert(sizeof(struct tw_ring_super) == 256, "tw_ring_super");

/* ------------------------------------------------------------------------ */
/* Process-local handles                                                     */
/* ------------------------------------------------------------------------ */

enum tw_ring_role {
	TW_RING_ROLE_NONE = 0, /* read-only view */
	TW_RING_ROLE_PRODUCER = 1,
	TW_RING_ROLE_CONSUMER = 2,
};

/* One end of one ring, private to the process using it.  Exposed so that
 * callers can embed it; use only the functions below on it. */
struct tw_ring_q {
	struct tw_ring_shm *sh;
	uint8_t *data;
	uint32_t size, mask;
	uint32_t max_rec; /* largest record, octets (header included, aligned) */
	uint8_t role;     /* enum tw_ring_role */
	uint8_t dir;      /* enum tw_ipc_dir */
	uint16_t pad0;
	uint64_t pos;     /* producer: next head; consumer: next tail */
	uint64_t other;   /* cached copy of the other side's index */
	uint32_t pending; /* octets reserved (producer) or peeked (consumer) */
	uint32_t pad1;
};

/* Opaque region handle. */
struct tw_ring;

struct tw_ring_cfg {
	const char *name;  /* shm name ("/twinhop-fp0"); a leading '/' is added if missing */
	uint32_t cmd_size; /* octets, power of two, >= TW_RING_MIN_SIZE; 0 = default */
	uint32_t evt_size; /* octets, power of two, >= TW_RING_MIN_SIZE; 0 = default */
	uint16_t n_evt;    /* event rings, 1..TW_RING_MAX_EVT (one per producing lcore) */
	uint16_t n_lcores; /* counter blocks, 1..TW_RING_MAX_LCORE */
	uint16_t n_ports;  /* port statistics blocks, 0..TW_IPC_PORTS_MAX */
	uint32_t mode;     /* file mode of the shm object; 0 = 0600; no bits for others */
	uint32_t set_gid;  /* 1: give the shm object group `gid` (the control plane's) */
	uint32_t gid;      /* group id, with set_gid */
};

/* Attach flags. */
#define TW_RING_ATTACH_RO 0x1u /* monitor: no ring roles, does not claim ctl_pid */

/* Longest message tw_ring_create/attach write into their `why` buffer. */
#define TW_RING_WHY_MAX 256

/* ------------------------------------------------------------------------ */
/* Region life cycle (initialisation only: these make syscalls)             */
/* ------------------------------------------------------------------------ */

/* Fast path: create the region (replacing a stale one of the same name),
 * initialise it and publish `ready`.  why (may be NULL) gets a message. */
enum tw_err tw_ring_create(const struct tw_ring_cfg *cfg, struct tw_ring **out, char *why,
                           size_t why_len);

/* Control: attach to an existing region.  TW_E_SYS with errno ENOENT (no
 * region), EAGAIN (not ready yet: retry), ESRCH (write attach only: the
 * creator is gone, a stale region that its successor will replace: retry),
 * EBUSY (another live control process
 * holds the write side), EINVAL (corrupt), EPERM (owner or mode not the
 * expected ones: the object must belong to root or to this process' user,
 * and give other users no access, so a local user who creates the name while
 * the fast path is down never receives test keys); TW_E_VERSION on a
 * version, layout or magic mismatch.  why (may be NULL) gets a sentence for
 * the operator. */
enum tw_err tw_ring_attach(const char *name, unsigned flags, struct tw_ring **out, char *why,
                           size_t why_len);

/* Unmap; an attacher also releases ctl_pid.  Does not unlink. */
void tw_ring_detach(struct tw_ring *r);

/* Creator: mark the region GONE, unmap and unlink it. */
enum tw_err tw_ring_destroy(struct tw_ring *r);

/* Unlink a region by name (cleanup of a crashed fast path). */
enum tw_err tw_ring_unlink(const char *name);

/* Control: 1 if the creator still runs the region (ready, not GONE, and its
 * pid exists: a kill(pid, 0) syscall), else 0.  Re-attach when 0. */
int tw_ring_live(const struct tw_ring *r);

/* Control: 1 if the region's name now names another object than the one
 * attached (a new fast path replaced it: tw_ring_create unlinks first),
 * else 0, also when the name names nothing or cannot be opened.  Three
 * syscalls.  tw_ring_live() cannot see a killed fast path until its parent
 * has reaped it (kill(pid, 0) succeeds on a zombie), its successor's region
 * can: ask this once the creator's heartbeat has stood still. */
int tw_ring_replaced(const struct tw_ring *r);

/* ------------------------------------------------------------------------ */
/* Region accessors (pure memory)                                            */
/* ------------------------------------------------------------------------ */

const struct tw_ring_super *tw_ring_super(const struct tw_ring *r);
/* Name the region was created/attached with, with its leading '/'. */
const char *tw_ring_name(const struct tw_ring *r);
/* This process' end of the command ring (control: producer, fast path: consumer). */
struct tw_ring_q *tw_ring_cmd(struct tw_ring *r);
/* This process' end of event ring i (fast path: producer, control: consumer); NULL if i >= n_evt.
 */
struct tw_ring_q *tw_ring_evt(struct tw_ring *r, unsigned i);
unsigned tw_ring_n_evt(const struct tw_ring *r);
/* Counter block of lcore i (fast path writes, control reads); NULL if out of range. */
struct tw_ipc_counters *tw_ring_counters(struct tw_ring *r, unsigned lcore);
/* Port statistics block `port` (0..tw_ring_n_ports()-1), or NULL. */
unsigned tw_ring_n_ports(const struct tw_ring *r);
struct tw_ipc_port_stats *tw_ring_port_stats(struct tw_ring *r, unsigned port);
unsigned tw_ring_n_lcores(const struct tw_ring *r);
/* Fast path: publish its monotonic time (at least every 100 ms). */
void tw_ring_fp_heartbeat(struct tw_ring *r, uint64_t now_ns);
/* Control: publish its monotonic time. */
void tw_ring_ctl_heartbeat(struct tw_ring *r, uint64_t now_ns);
/* Fast path: the control heartbeat as last published (0: never). */
uint64_t tw_ring_ctl_heartbeat_get(const struct tw_ring *r);
/* Control (write attach): 1 while ctl_pid still names this process, 0 once
 * the creator has released the claim (it deemed us dead: re-attach). */
int tw_ring_ctl_owned(const struct tw_ring *r);
/* Creator: clear ctl_pid if it still is `pid`; 1 if it was cleared. */
int tw_ring_ctl_release(struct tw_ring *r, uint32_t pid);
/* The layout hash stored in the superblock: tw_ipc_layout_hash() mixed with this header's sizes. */
uint64_t tw_ring_layout_hash(void);

/* ------------------------------------------------------------------------ */
/* Queue operations (pure memory, no syscall, no allocation)                */
/* ------------------------------------------------------------------------ */

/* Copy one message in.  h->length octets are read from payload (may be NULL
 * when 0); the version field is forced to TW_IPC_VERSION.  TW_E_FULL (counted
 * in full_msgs), TW_E_NOSPACE (larger than TW_IPC_MSG_MAX: counted in
 * oversize), TW_E_COMMAND (type not of this ring's direction), TW_E_ARG (not
 * the producer, or a reservation is open). */
enum tw_err tw_ring_enqueue(struct tw_ring_q *q, const struct tw_ipc_hdr *h, const void *payload);

/* Zero-copy: reserve room for a `len`-octet payload; *h points at the header
 * to fill (payload follows it, 16-octet aligned).  Same errors as enqueue;
 * nothing is visible until tw_ring_commit(). */
enum tw_err tw_ring_reserve(struct tw_ring_q *q, uint32_t len, struct tw_ipc_hdr **h);
/* Publish the reserved record.  Its header's length may have shrunk, not grown;
 * type must match the ring's direction or the record is delivered as malformed. */
void tw_ring_commit(struct tw_ring_q *q);

/* Look at the next message without copying: *h stays valid until
 * tw_ring_release().  TW_E_EMPTY when none.  A malformed record is discarded
 * and counted in `malformed`, and its reason returned: TW_E_LENGTH (length
 * beyond the record area: everything published is skipped, counted in
 * discarded_octets, since no boundary can be trusted; or a payload size wrong
 * for its type: only that record is skipped), TW_E_VERSION, TW_E_COMMAND.
 * On any error the caller simply calls again. */
enum tw_err tw_ring_peek(struct tw_ring_q *q, const struct tw_ipc_hdr **h);
/* Consume the message returned by the last successful peek. */
void tw_ring_release(struct tw_ring_q *q);

/* Copy the next message out: header into *h, payload into buf (cap octets).
 * TW_E_NOSPACE leaves the message in the ring (h->length tells the size).
 * The shared octets are read once; tw_ipc_check() runs again on the copy
 * (a record rewritten after peek is discarded as malformed).  A receiver
 * that acts on the message then runs tw_ipc_validate() on the same copy. */
enum tw_err tw_ring_dequeue(struct tw_ring_q *q, struct tw_ipc_hdr *h, void *buf, size_t cap);

/* Snapshot of a ring's counters and fill level, readable from either side. */
struct tw_ring_qstats {
	uint64_t enq_msgs, full_msgs, full_octets, oversize; /* producer's counters */
	uint64_t deq_msgs, malformed, discarded_octets;      /* consumer's counters */
	uint64_t used;                                       /* octets waiting */
	uint32_t size;                                       /* octets in the data area */
	uint32_t pad0;
};
void tw_ring_qstats(const struct tw_ring_q *q, struct tw_ring_qstats *st);

#endif
