/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/tw_ipc.h (the contract) and lib/tw_ring.c (its
 * shared-memory transport): same-process and cross-process attach, every
 * message type round trip, refusal of other versions and unready regions,
 * exact full-ring accounting, wrap-around, malformed records, and a
 * two-thread SPSC stress run checked by sequence and checksum.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tw_ipc.h"
#include "tw_ring.h"
#include "tw_stlv.h"
#include "tw_unit.h"

static char shm_name[64];

static const char *fresh_name(void)
{
	static unsigned n;
	snprintf(shm_name, sizeof(shm_name), "/twinhop-test-%d-%u", (int)getpid(), n++);
	return shm_name;
}

static struct tw_ring *mk(uint32_t cmd_size, uint32_t evt_size, uint16_t n_evt, uint16_t n_lc)
{
	struct tw_ring_cfg cfg = {.name = fresh_name(),
	                          .cmd_size = cmd_size,
	                          .evt_size = evt_size,
	                          .n_evt = n_evt,
	                          .n_lcores = n_lc};
	struct tw_ring *r = NULL;
	char why[TW_RING_WHY_MAX] = "";
	enum tw_err e = tw_ring_create(&cfg, &r, why, sizeof(why));
	if (e)
		printf("\n  create: %s: %s\n", tw_errname(e), why);
	CU_ASSERT_EQUAL_FATAL(e, TW_OK);
	return r;
}

static struct tw_ring *att(const char *name)
{
	struct tw_ring *a = NULL;
	char why[TW_RING_WHY_MAX] = "";
	enum tw_err e = tw_ring_attach(name, 0, &a, why, sizeof(why));
	if (e)
		printf("\n  attach: %s: %s\n", tw_errname(e), why);
	CU_ASSERT_EQUAL_FATAL(e, TW_OK);
	return a;
}

static struct tw_ring_super *wsuper(struct tw_ring *r)
{
	return (struct tw_ring_super *)(uintptr_t)tw_ring_super(r);
}

/* A valid payload for any type: a pattern, with element counts consistent. */
static uint32_t make_payload(unsigned type, uint32_t seed, uint8_t *buf)
{
	const struct tw_ipc_type_info *ti = tw_ipc_type_info(type);
	uint32_t len = ti->size;
	if (type == TW_IPC_SENDER_RESULT)
		len += 3 * ti->elem;
	else if (type == TW_IPC_LOG)
		len += 5;
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed * 31 + i * 7 + type);
	if (type == TW_IPC_SENDER_RESULT) {
		struct tw_ipc_result_batch b = {.count = 3, .lcore = 1};
		memcpy(buf, &b, sizeof(b));
	} else if (type == TW_IPC_LOG) {
		struct tw_ipc_log l = {.level = 6, .text_len = 5};
		memcpy(buf, &l, sizeof(l));
		memcpy(buf + sizeof(l), "hello", 5);
	}
	return len;
}

static enum tw_err send(struct tw_ring_q *q, uint16_t type, uint32_t id, const void *p,
                        uint32_t len)
{
	struct tw_ipc_hdr h = {.type = type, .id = id, .length = len};
	return tw_ring_enqueue(q, &h, p);
}

static enum tw_err send_del(struct tw_ring_q *q, uint32_t id, uint32_t session)
{
	struct tw_ipc_session_ctl c = {.session = session};
	return send(q, TW_IPC_SESSION_DEL, id, &c, sizeof(c));
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	nanosleep(&ts, NULL);
}

/* ======================================================================== */

static void test_contract_tables(void)
{
	unsigned n = 0;
	for (unsigned t = 1; t < TW_IPC_TYPE__END; t++) {
		const struct tw_ipc_type_info *ti = tw_ipc_type_info(t);
		if (!ti)
			continue;
		n++;
		CU_ASSERT(ti->dir == TW_IPC_DIR_CMD || ti->dir == TW_IPC_DIR_EVT);
		CU_ASSERT_EQUAL(ti->dir == TW_IPC_DIR_CMD, t < 0x40);
		CU_ASSERT(ti->size + sizeof(struct tw_ipc_hdr) <= TW_IPC_MSG_MAX);
		CU_ASSERT(ti->size % 8 == 0);
		for (unsigned u = 1; u < t; u++)
			CU_ASSERT(strcmp(tw_ipc_type_name(u), ti->name) || !tw_ipc_type_info(u));
	}
	CU_ASSERT_EQUAL(n, 22);
	CU_ASSERT_STRING_EQUAL(tw_ipc_type_name(TW_IPC_REFLECTOR_ADD), "REFLECTOR_ADD");
	CU_ASSERT_STRING_EQUAL(tw_ipc_type_name(0x3f), "?");
	CU_ASSERT_PTR_NULL(tw_ipc_type_info(0x200));
	CU_ASSERT(sizeof(struct tw_ipc_result) <= 64);
	for (unsigned c = 0; c < TW_IPC_CNT__COUNT; c++) {
		CU_ASSERT(strlen(tw_ipc_cnt_name(c)) > 0);
		CU_ASSERT(strlen(tw_ipc_cnt_descr(c)) > 0);
		CU_ASSERT(strlen(tw_ipc_cnt_units(c)) > 0);
		for (unsigned d = 0; d < c; d++)
			CU_ASSERT(strcmp(tw_ipc_cnt_name(c), tw_ipc_cnt_name(d)) != 0);
	}
	CU_ASSERT_STRING_EQUAL(tw_ipc_cnt_name(TW_IPC_CNT_DROP_RING_FULL), "DROP_RING_FULL");
	CU_ASSERT_EQUAL(tw_ipc_cnt_sev(TW_IPC_CNT_DROP_BAD_HMAC), TW_IPC_CNT_DROP);
	CU_ASSERT_EQUAL(tw_ipc_cnt_sev(TW_IPC_CNT_RX_PKTS), TW_IPC_CNT_INFO);
	CU_ASSERT_EQUAL(tw_ipc_layout_hash(), tw_ipc_layout_hash());
	CU_ASSERT_NOT_EQUAL(tw_ring_layout_hash(), tw_ipc_layout_hash());
}

/* Table of wrong lengths tw_ipc_check must refuse. */
static void test_contract_check(void)
{
	uint8_t buf[TW_IPC_MSG_MAX] = {0};
	struct tw_ipc_result_batch b = {.count = 2};
	struct {
		const char *what;
		uint16_t version, type;
		uint32_t len;
		uint16_t count; /* SENDER_RESULT count written into buf */
		enum tw_ipc_dir dir;
		enum tw_err want;
	} t[] = {
	    {"ok del", TW_IPC_VERSION, TW_IPC_SESSION_DEL, 16, 0, TW_IPC_DIR_CMD, TW_OK},
	    {"short del", TW_IPC_VERSION, TW_IPC_SESSION_DEL, 8, 0, TW_IPC_DIR_CMD, TW_E_LENGTH},
	    {"long del", TW_IPC_VERSION, TW_IPC_SESSION_DEL, 24, 0, TW_IPC_DIR_CMD, TW_E_LENGTH},
	    {"version", TW_IPC_VERSION + 1, TW_IPC_SESSION_DEL, 16, 0, TW_IPC_DIR_CMD, TW_E_VERSION},
	    {"direction", TW_IPC_VERSION, TW_IPC_SESSION_DEL, 16, 0, TW_IPC_DIR_EVT, TW_E_COMMAND},
	    {"unknown", TW_IPC_VERSION, 0x3f, 16, 0, TW_IPC_DIR_CMD, TW_E_COMMAND},
	    {"pad", TW_IPC_VERSION, TW_IPC_PAD, 8, 0, TW_IPC_DIR_CMD, TW_E_COMMAND},
	    /* PAD is the ring's own filler, never a message, even where its
	     * direction (NONE) matches (fuzz: corpus/ring/crash-pad-dir0). */
	    {"pad dir none", TW_IPC_VERSION, TW_IPC_PAD, 8, 0, TW_IPC_DIR_NONE, TW_E_COMMAND},
	    {"results ok", TW_IPC_VERSION, TW_IPC_SENDER_RESULT, 8 + 128, 2, TW_IPC_DIR_EVT, TW_OK},
	    {"results count", TW_IPC_VERSION, TW_IPC_SENDER_RESULT, 8 + 192, 2, TW_IPC_DIR_EVT,
	     TW_E_LENGTH},
	    {"results frac", TW_IPC_VERSION, TW_IPC_SENDER_RESULT, 8 + 100, 2, TW_IPC_DIR_EVT,
	     TW_E_LENGTH},
	    {"results zero", TW_IPC_VERSION, TW_IPC_SENDER_RESULT, 8, 0, TW_IPC_DIR_EVT,
	     TW_E_LENGTH},
	    {"huge", TW_IPC_VERSION, TW_IPC_LOG, 100000, 0, TW_IPC_DIR_EVT, TW_E_LENGTH},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tw_ipc_hdr h = {
		    .version = t[i].version, .type = t[i].type, .length = t[i].len};
		b.count = t[i].count;
		memcpy(buf, &b, sizeof(b));
		enum tw_err e = tw_ipc_check(&h, buf, t[i].dir);
		if (e != t[i].want)
			printf("\n  %s: got %s want %s\n", t[i].what, tw_errname(e),
			       tw_errname(t[i].want));
		CU_ASSERT_EQUAL(e, t[i].want);
	}
}

static void test_create_attach(void)
{
	struct tw_ring *r = mk(0, 1u << 16, 3, 4);
	struct tw_ring *a = att(shm_name);
	const struct tw_ring_super *sb = tw_ring_super(a);
	CU_ASSERT_EQUAL(sb->magic, TW_RING_MAGIC);
	CU_ASSERT_EQUAL(sb->ipc_version, TW_IPC_VERSION);
	CU_ASSERT_EQUAL(sb->layout_hash, tw_ring_layout_hash());
	CU_ASSERT_EQUAL(sb->creator_pid, (uint32_t)getpid());
	CU_ASSERT_EQUAL(sb->ctl_pid, (uint32_t)getpid());
	CU_ASSERT_EQUAL(sb->cmd_size, TW_RING_DEFAULT_CMD_SIZE);
	CU_ASSERT_EQUAL(sb->evt_size, 1u << 16);
	CU_ASSERT_EQUAL(tw_ring_n_evt(a), 3);
	CU_ASSERT_EQUAL(tw_ring_n_lcores(a), 4);
	CU_ASSERT_PTR_NULL(tw_ring_evt(a, 3));
	CU_ASSERT_PTR_NULL(tw_ring_counters(a, 4));
	CU_ASSERT(tw_ring_live(a));
	CU_ASSERT_STRING_EQUAL(tw_ring_name(a), shm_name);

	/* Counters: the fast path writes, control reads; blocks are separate lines. */
	struct tw_ipc_counters *w1 = tw_ring_counters(r, 1), *w2 = tw_ring_counters(r, 2);
	CU_ASSERT_EQUAL((uintptr_t)w1 % 64, 0);
	CU_ASSERT((uintptr_t)w2 - (uintptr_t)w1 >= 64);
	tw_ipc_cnt_add(w1, TW_IPC_CNT_DROP_BAD_HMAC, 5);
	tw_ipc_cnt_add(w1, TW_IPC_CNT_DROP_BAD_HMAC, 2);
	CU_ASSERT_EQUAL(tw_ipc_cnt_get(tw_ring_counters(a, 1), TW_IPC_CNT_DROP_BAD_HMAC), 7);
	CU_ASSERT_EQUAL(tw_ipc_cnt_get(tw_ring_counters(a, 2), TW_IPC_CNT_DROP_BAD_HMAC), 0);
	tw_ring_fp_heartbeat(r, 12345);
	CU_ASSERT_EQUAL(tw_ring_super(a)->fp_heartbeat_ns, 12345);

	/* Roles: each end can only do its side. */
	struct tw_ipc_hdr h;
	const struct tw_ipc_hdr *ph;
	CU_ASSERT_EQUAL(send_del(tw_ring_cmd(r), 1, 1), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_ring_peek(tw_ring_cmd(a), &ph), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_ring_dequeue(tw_ring_evt(r, 0), &h, NULL, 0), TW_E_ARG);

	/* Read-only monitor: allowed alongside control, cannot send. */
	struct tw_ring *m = NULL;
	CU_ASSERT_EQUAL(tw_ring_attach(shm_name, TW_RING_ATTACH_RO, &m, NULL, 0), TW_OK);
	CU_ASSERT_EQUAL(send_del(tw_ring_cmd(m), 1, 1), TW_E_ARG);
	CU_ASSERT_EQUAL(tw_ipc_cnt_get(tw_ring_counters(m, 1), TW_IPC_CNT_DROP_BAD_HMAC), 7);
	tw_ring_detach(m);

	tw_ring_detach(a);
	CU_ASSERT_EQUAL(tw_ring_super(r)->ctl_pid, 0);
	CU_ASSERT_EQUAL(tw_ring_super(r)->ctl_attaches, 1);

	/* After destroy: a mapping still held sees GONE; a new attach finds nothing. */
	a = att(shm_name);
	CU_ASSERT_EQUAL(tw_ring_destroy(r), TW_OK);
	CU_ASSERT_FALSE(tw_ring_live(a));
	tw_ring_detach(a);
	struct tw_ring *x = NULL;
	errno = 0;
	CU_ASSERT_EQUAL(tw_ring_attach(shm_name, 0, &x, NULL, 0), TW_E_SYS);
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_PTR_NULL(x);
}

/* Port statistics blocks (version 13): one per port, written by the fast
 * path, read by control; their own cache lines after the counter blocks. */
static void test_port_blocks(void)
{
	struct tw_ring_cfg cfg = {.name = fresh_name(), .n_evt = 2, .n_lcores = 2, .n_ports = 3};
	struct tw_ring *r = NULL;
	CU_ASSERT_EQUAL_FATAL(tw_ring_create(&cfg, &r, NULL, 0), TW_OK);
	struct tw_ring *a = att(shm_name);
	CU_ASSERT_EQUAL(tw_ring_n_ports(r), 3);
	CU_ASSERT_EQUAL(tw_ring_n_ports(a), 3);
	CU_ASSERT_PTR_NULL(tw_ring_port_stats(a, 3));
	struct tw_ipc_port_stats *w0 = tw_ring_port_stats(r, 0), *w2 = tw_ring_port_stats(r, 2);
	CU_ASSERT_EQUAL((uintptr_t)w0 % 64, 0);
	CU_ASSERT((uintptr_t)w0 >= (uintptr_t)(tw_ring_counters(r, 1) + 1));
	CU_ASSERT_EQUAL(tw_ring_port_stats(a, 2)->port, 2); /* set at create */
	w2->member_link = 8;
	__atomic_store_n(&w2->rx_pkts, 1000, __ATOMIC_RELAXED);
	__atomic_store_n(&w2->rx_missed, 3, __ATOMIC_RELAXED);
	const struct tw_ipc_port_stats *r2 = tw_ring_port_stats(a, 2);
	CU_ASSERT_EQUAL(r2->member_link, 8);
	CU_ASSERT_EQUAL(tw_ipc_port_get(&r2->rx_pkts), 1000);
	CU_ASSERT_EQUAL(tw_ipc_port_get(&r2->rx_missed), 3);
	CU_ASSERT_EQUAL(tw_ipc_port_get(&tw_ring_port_stats(a, 1)->rx_pkts), 0);
	/* the last block lies inside the region */
	CU_ASSERT((uintptr_t)(w2 + 1) <=
	          (uintptr_t)tw_ring_super(r) + tw_ring_super(r)->region_size);
	tw_ring_detach(a);
	tw_ring_destroy(r);

	/* no ports: no blocks */
	r = mk(0, 0, 1, 1);
	CU_ASSERT_EQUAL(tw_ring_n_ports(r), 0);
	CU_ASSERT_PTR_NULL(tw_ring_port_stats(r, 0));
	tw_ring_destroy(r);
}

static void test_bad_config(void)
{
	struct tw_ring *r = NULL;
	struct tw_ring_cfg bad[] = {
	    {.name = "/twinhop-bad", .cmd_size = 12288, .n_evt = 1, .n_lcores = 1},
	    {.name = "/twinhop-bad", .evt_size = 4096, .n_evt = 1, .n_lcores = 1},
	    {.name = "/twinhop-bad", .n_evt = 0, .n_lcores = 1},
	    {.name = "/twinhop-bad", .n_evt = 1, .n_lcores = 0},
	    {.name = "/twinhop-bad", .n_evt = 1, .n_lcores = 1, .n_ports = TW_IPC_PORTS_MAX + 1},
	    {.name = "/a/b", .n_evt = 1, .n_lcores = 1},
	    {.name = "", .n_evt = 1, .n_lcores = 1},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(tw_ring_create(&bad[i], &r, NULL, 0), TW_E_ARG);
		CU_ASSERT_PTR_NULL(r);
	}
}

/* Every message type, each on its own direction's ring, header and payload intact. */
static void test_roundtrip_all_types(void)
{
	struct tw_ring *r = mk(0, 1u << 16, 2, 1);
	struct tw_ring *a = att(shm_name);
	uint8_t out[TW_IPC_MSG_MAX], in[TW_IPC_MSG_MAX];
	unsigned done = 0;
	for (unsigned t = 1; t < TW_IPC_TYPE__END; t++) {
		const struct tw_ipc_type_info *ti = tw_ipc_type_info(t);
		if (!ti)
			continue;
		int cmd = ti->dir == TW_IPC_DIR_CMD;
		struct tw_ring_q *tx = cmd ? tw_ring_cmd(a) : tw_ring_evt(r, t % 2);
		struct tw_ring_q *rx = cmd ? tw_ring_cmd(r) : tw_ring_evt(a, t % 2);
		struct tw_ring_q *wrong = cmd ? tw_ring_evt(r, 0) : tw_ring_cmd(a);
		uint32_t len = make_payload(t, t, out);
		struct tw_ipc_hdr h = {.version = 0, /* forced by enqueue */
		                       .type = (uint16_t)t,
		                       .flags = TW_IPC_F_MORE,
		                       .id = 1000 + t,
		                       .length = len};
		CU_ASSERT_EQUAL(tw_ring_enqueue(wrong, &h, out), TW_E_COMMAND);
		CU_ASSERT_EQUAL(tw_ring_enqueue(tx, &h, out), TW_OK);
		struct tw_ipc_hdr g;
		memset(in, 0xee, sizeof(in));
		CU_ASSERT_EQUAL_FATAL(tw_ring_dequeue(rx, &g, in, sizeof(in)), TW_OK);
		CU_ASSERT_EQUAL(g.version, TW_IPC_VERSION);
		CU_ASSERT_EQUAL(g.type, t);
		CU_ASSERT_EQUAL(g.flags, TW_IPC_F_MORE);
		CU_ASSERT_EQUAL(g.pad0, 0);
		CU_ASSERT_EQUAL(g.id, 1000 + t);
		CU_ASSERT_EQUAL(g.length, len);
		TW_ASSERT_BYTES(in, out, len);
		CU_ASSERT_EQUAL(tw_ring_dequeue(rx, &g, in, sizeof(in)), TW_E_EMPTY);
		done++;
	}
	CU_ASSERT_EQUAL(done, 22);
	/* PAD is the ring's own and can never be sent. */
	CU_ASSERT_EQUAL(send(tw_ring_cmd(a), TW_IPC_PAD, 1, NULL, 0), TW_E_COMMAND);
	/* A buffer too small leaves the message queued. */
	CU_ASSERT_EQUAL(send_del(tw_ring_cmd(a), 9, 9), TW_OK);
	struct tw_ipc_hdr g;
	CU_ASSERT_EQUAL(tw_ring_dequeue(tw_ring_cmd(r), &g, in, 8), TW_E_NOSPACE);
	CU_ASSERT_EQUAL(g.length, 16);
	CU_ASSERT_EQUAL(tw_ring_dequeue(tw_ring_cmd(r), &g, in, 16), TW_OK);
	CU_ASSERT_EQUAL(g.id, 9);
	tw_ring_detach(a);
	tw_ring_destroy(r);
}

/* The fast path in the parent, control in a forked child that attaches by name. */
static void test_cross_process(void)
{
	struct tw_ring *r = mk(0, 0, 1, 1);
	char name[64];
	snprintf(name, sizeof(name), "%s", shm_name);
	pid_t child = fork();
	CU_ASSERT_FATAL(child >= 0);
	if (child == 0) {
		struct tw_ring *a = NULL;
		int rc = 10;
		if (tw_ring_attach(name, 0, &a, NULL, 0) != TW_OK)
			_exit(1);
		struct tw_ipc_hello hello = {.ctl_pid = (uint32_t)getpid(),
		                             .ipc_version = TW_IPC_VERSION};
		snprintf(hello.name, sizeof(hello.name), "test-child");
		if (send(tw_ring_cmd(a), TW_IPC_HELLO, 77, &hello, sizeof(hello)))
			_exit(2);
		if (send_del(tw_ring_cmd(a), 78, 4242))
			_exit(3);
		int got = 0;
		for (int i = 0; i < 5000 && got < 2; i++) {
			struct tw_ipc_hdr h;
			uint8_t buf[TW_IPC_MSG_MAX];
			enum tw_err e = tw_ring_dequeue(tw_ring_evt(a, 0), &h, buf, sizeof(buf));
			if (e == TW_E_EMPTY) {
				sleep_us(1000);
				continue;
			}
			if (e)
				_exit(4);
			if (h.type == TW_IPC_HELLO_REPLY && h.id == 77) {
				struct tw_ipc_hello_reply hr;
				memcpy(&hr, buf, sizeof(hr));
				if (hr.fp_pid != (uint32_t)getppid())
					_exit(5);
				got++;
			} else if (h.type == TW_IPC_ACK && h.id == 78) {
				struct tw_ipc_ack ack;
				memcpy(&ack, buf, sizeof(ack));
				if (ack.session != 4242 || ack.req_type != TW_IPC_SESSION_DEL)
					_exit(6);
				got++;
			}
		}
		if (got == 2)
			rc = 0;
		tw_ring_detach(a);
		_exit(rc);
	}
	/* Parent: serve commands until both are answered. */
	int served = 0;
	uint32_t hello_pid = 0;
	for (int i = 0; i < 5000 && served < 2; i++) {
		struct tw_ipc_hdr h;
		uint8_t buf[TW_IPC_MSG_MAX];
		enum tw_err e = tw_ring_dequeue(tw_ring_cmd(r), &h, buf, sizeof(buf));
		if (e == TW_E_EMPTY) {
			sleep_us(1000);
			continue;
		}
		CU_ASSERT_EQUAL_FATAL(e, TW_OK);
		if (h.type == TW_IPC_HELLO) {
			struct tw_ipc_hello hi;
			memcpy(&hi, buf, sizeof(hi));
			hello_pid = hi.ctl_pid;
			struct tw_ipc_hello_reply hr = {.fp_pid = (uint32_t)getpid(),
			                                .n_lcores = 1};
			CU_ASSERT_EQUAL(
			    send(tw_ring_evt(r, 0), TW_IPC_HELLO_REPLY, h.id, &hr, sizeof(hr)),
			    TW_OK);
		} else {
			struct tw_ipc_session_ctl c;
			memcpy(&c, buf, sizeof(c));
			struct tw_ipc_ack ack = {.req_type = h.type, .session = c.session};
			CU_ASSERT_EQUAL(
			    send(tw_ring_evt(r, 0), TW_IPC_ACK, h.id, &ack, sizeof(ack)), TW_OK);
		}
		served++;
	}
	int st = -1;
	CU_ASSERT_EQUAL(waitpid(child, &st, 0), child);
	CU_ASSERT(WIFEXITED(st));
	if (WEXITSTATUS(st))
		printf("\n  child exit %d\n", WEXITSTATUS(st));
	CU_ASSERT_EQUAL(WEXITSTATUS(st), 0);
	CU_ASSERT_EQUAL(served, 2);
	CU_ASSERT_EQUAL(hello_pid, (uint32_t)child);
	CU_ASSERT_EQUAL(tw_ring_super(r)->ctl_pid, 0); /* child detached */
	tw_ring_destroy(r);
}

/* A second live control process is refused; a dead one's claim is taken over. */
static void test_single_controller(void)
{
	struct tw_ring *r = mk(0, 0, 1, 1);
	struct tw_ring *a = att(shm_name);
	pid_t child = fork();
	CU_ASSERT_FATAL(child >= 0);
	if (child == 0) {
		struct tw_ring *b = NULL, *m = NULL;
		errno = 0;
		enum tw_err e = tw_ring_attach(shm_name, 0, &b, NULL, 0);
		if (e != TW_E_SYS || errno != EBUSY || b)
			_exit(1);
		if (tw_ring_attach(shm_name, TW_RING_ATTACH_RO, &m, NULL, 0) != TW_OK)
			_exit(2);
		tw_ring_detach(m);
		_exit(0);
	}
	int st = -1;
	waitpid(child, &st, 0);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	tw_ring_detach(a);

	/* A claim left by a process that no longer exists. */
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, &st, 0);
	atomic_store(&wsuper(r)->ctl_pid, (uint32_t)dead);
	a = att(shm_name);
	CU_ASSERT_EQUAL(tw_ring_super(r)->ctl_pid, (uint32_t)getpid());
	tw_ring_detach(a);
	tw_ring_destroy(r);
}

/*
 * Issue 8 §6b.  A fast path killed without tw_ring_destroy() leaves a READY
 * region behind: a write attach to it is refused (ESRCH, retry) while a
 * monitor may still read it.  The creator can release the claim of a
 * control process it deems dead, and the attacher sees that it lost it.
 */
static void test_restart_liveness(void)
{
	struct tw_ring *r = mk(0, 0, 1, 1);
	struct tw_ring *a = NULL, *m = NULL;
	char why[TW_RING_WHY_MAX] = "";
	uint32_t me = (uint32_t)getpid();

	/* Control liveness: heartbeat read back, claim owned until released. */
	a = att(shm_name);
	CU_ASSERT_EQUAL(tw_ring_ctl_heartbeat_get(r), 0);
	tw_ring_ctl_heartbeat(a, 777);
	CU_ASSERT_EQUAL(tw_ring_ctl_heartbeat_get(r), 777);
	CU_ASSERT_TRUE(tw_ring_ctl_owned(a));
	CU_ASSERT_FALSE(tw_ring_ctl_release(r, me + 1)); /* not the holder: kept */
	CU_ASSERT_FALSE(tw_ring_ctl_release(a, me));     /* only the creator releases */
	CU_ASSERT_TRUE(tw_ring_ctl_owned(a));
	CU_ASSERT_TRUE(tw_ring_ctl_release(r, me));
	CU_ASSERT_FALSE(tw_ring_ctl_owned(a));
	CU_ASSERT_EQUAL(tw_ring_super(r)->ctl_pid, 0);
	tw_ring_detach(a);
	a = att(shm_name); /* a released claim is free again */
	CU_ASSERT_TRUE(tw_ring_ctl_owned(a));
	tw_ring_detach(a);

	/* The creator is gone. */
	int st = -1;
	pid_t dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, &st, 0);
	uint32_t real = tw_ring_super(r)->creator_pid;
	wsuper(r)->creator_pid = (uint32_t)dead;
	a = NULL;
	errno = 0;
	CU_ASSERT_EQUAL(tw_ring_attach(shm_name, 0, &a, why, sizeof(why)), TW_E_SYS);
	CU_ASSERT_EQUAL(errno, ESRCH);
	CU_ASSERT_PTR_NULL(a);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "gone"));
	CU_ASSERT_EQUAL(tw_ring_super(r)->ctl_pid, 0); /* nothing claimed */
	CU_ASSERT_EQUAL(tw_ring_attach(shm_name, TW_RING_ATTACH_RO, &m, why, sizeof(why)), TW_OK);
	tw_ring_detach(m);
	wsuper(r)->creator_pid = real;
	tw_ring_destroy(r);
}

/*
 * A killed fast path is a zombie until its parent reaps it, and kill(pid, 0)
 * succeeds on a zombie: tw_ring_live() cannot tell.  Its successor's region
 * can: tw_ring_replaced() sees the name name another object.
 */
static void test_restart_replaced(void)
{
	struct tw_ring *r = mk(0, 0, 1, 1);
	char name[sizeof(shm_name)];
	memcpy(name, shm_name, sizeof(name));
	struct tw_ring *a = att(name);
	CU_ASSERT_FALSE(tw_ring_replaced(a));

	/* A zombie creator still looks live; reaped, it does not. */
	pid_t z = fork();
	if (z == 0)
		_exit(0);
	uint32_t real = tw_ring_super(r)->creator_pid;
	wsuper(r)->creator_pid = (uint32_t)z;
	usleep(50000); /* the child has exited, unreaped */
	CU_ASSERT_TRUE(tw_ring_live(a));
	int st;
	waitpid(z, &st, 0);
	CU_ASSERT_FALSE(tw_ring_live(a));
	wsuper(r)->creator_pid = real;

	/* The successor makes the region again under the same name. */
	struct tw_ring_cfg cfg = {.name = name, .n_evt = 1, .n_lcores = 1};
	struct tw_ring *r2 = NULL;
	CU_ASSERT_EQUAL_FATAL(tw_ring_create(&cfg, &r2, NULL, 0), TW_OK);
	CU_ASSERT_TRUE(tw_ring_replaced(a));
	struct tw_ring *b = att(name);
	CU_ASSERT_FALSE(tw_ring_replaced(b));
	tw_ring_detach(b);
	tw_ring_destroy(r2); /* unlinks the name: nothing to compare with */
	CU_ASSERT_FALSE(tw_ring_replaced(a));
	tw_ring_detach(a);
	tw_ring_destroy(r);
}

/* HELLO grace_ms: 0 (no watch) or TW_IPC_GRACE_MIN_MS..TW_IPC_GRACE_MAX_MS. */
static void test_hello_grace(void)
{
	static const struct {
		uint32_t grace_ms;
		enum tw_err want;
	} t[] = {
	    {0, TW_OK},
	    {1, TW_E_ARG},
	    {TW_IPC_GRACE_MIN_MS - 1, TW_E_ARG},
	    {TW_IPC_GRACE_MIN_MS, TW_OK},
	    {10000, TW_OK},
	    {TW_IPC_GRACE_MAX_MS, TW_OK},
	    {TW_IPC_GRACE_MAX_MS + 1, TW_E_ARG},
	    {UINT32_MAX, TW_E_ARG},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tw_ipc_hello m = {.ctl_pid = 1, .ipc_version = TW_IPC_VERSION,
		                         .grace_ms = t[i].grace_ms};
		snprintf(m.name, sizeof(m.name), "test");
		struct tw_ipc_hdr h = {.version = TW_IPC_VERSION, .type = TW_IPC_HELLO,
		                       .length = sizeof(m)};
		uint32_t off = 0;
		CU_ASSERT_EQUAL(tw_ipc_validate(&h, &m, TW_IPC_DIR_CMD, &off), t[i].want);
		if (t[i].want != TW_OK)
			CU_ASSERT_EQUAL(off, offsetof(struct tw_ipc_hello, grace_ms));
	}
}

/* A valid STAMP sender (version 9 template fields zero). */
static struct tw_ipc_sender_add stamp_sender(uint8_t sec)
{
	struct tw_ipc_sender_add m;
	memset(&m, 0, sizeof(m));
	m.session = 3;
	m.proto = TW_IPC_PROTO_STAMP;
	m.sec = sec;
	m.keys.hmac_len = 16;
	m.flow.local.family = m.flow.peer.family = 4;
	m.flow.local_port = 5000;
	m.flow.peer_port = 862;
	m.sched = TW_IPC_SCHED_PERIODIC;
	m.interval_ns = 1000000;
	return m;
}

/* Append one TLV (RFC 8972 §4: Flags, Type, Length, Value of zeros). */
static void put_tlv(struct tw_ipc_sender_add *m, uint8_t type, uint16_t len)
{
	uint8_t *p = m->tlv + m->tlv_len;
	p[0] = 0x80; /* U, as a Session-Sender sends it */
	p[1] = type;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	memset(p + 4, 0, len);
	m->tlv_len = (uint16_t)(m->tlv_len + 4 + len);
}

/*
 * SENDER_ADD's STAMP TLV template (version 9): tw_ipc_validate() accepts
 * only what tw_stlv_fill() can fill -- STAMP, no padding, at most
 * TW_IPC_STLV_MAX octets, well formed (tw_stlv_scan) -- and names the
 * field it refused.
 */
static void test_sender_tlv(void)
{
	enum { OK, LONG, LIGHT, PADDED, DM_LEN, OVERRUN, HMAC_OPEN, AFTER_HMAC, TWO_DM, SHORT_HDR };
	static const struct {
		int kind;
		uint8_t sec;
		enum tw_err want;
		uint32_t off;
	} t[] = {
	    {OK, TW_IPC_SEC_OPEN, TW_OK, 0},
	    {OK, TW_IPC_SEC_AUTH, TW_OK, 0},
	    {LONG, TW_IPC_SEC_OPEN, TW_E_LENGTH, offsetof(struct tw_ipc_sender_add, tlv_len)},
	    {LIGHT, TW_IPC_SEC_OPEN, TW_E_ARG, offsetof(struct tw_ipc_sender_add, tlv_len)},
	    {PADDED, TW_IPC_SEC_OPEN, TW_E_ARG,
	     offsetof(struct tw_ipc_sender_add, pad.padding_len)},
	    {DM_LEN, TW_IPC_SEC_OPEN, TW_E_FIELD, offsetof(struct tw_ipc_sender_add, tlv)},
	    {OVERRUN, TW_IPC_SEC_OPEN, TW_E_TLV_LENGTH, offsetof(struct tw_ipc_sender_add, tlv)},
	    {HMAC_OPEN, TW_IPC_SEC_OPEN, TW_E_FIELD, offsetof(struct tw_ipc_sender_add, tlv)},
	    {AFTER_HMAC, TW_IPC_SEC_AUTH, TW_E_FIELD, offsetof(struct tw_ipc_sender_add, tlv)},
	    {TWO_DM, TW_IPC_SEC_OPEN, TW_E_FIELD, offsetof(struct tw_ipc_sender_add, tlv)},
	    {SHORT_HDR, TW_IPC_SEC_OPEN, TW_E_TLV_LENGTH, offsetof(struct tw_ipc_sender_add, tlv)},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tw_ipc_sender_add m = stamp_sender(t[i].sec);
		switch (t[i].kind) {
		case OK: /* Location, DM, Follow-Up, (HMAC last) */
			put_tlv(&m, TW_PKT_TLV_LOCATION, 12);
			put_tlv(&m, TW_PKT_TLV_DIRECT_MEASUREMENT, TW_STLV_DM_LEN);
			put_tlv(&m, 7, TW_STLV_FOLLOWUP_LEN);
			if (t[i].sec == TW_IPC_SEC_AUTH)
				put_tlv(&m, TW_PKT_TLV_HMAC, TW_STLV_HMAC_LEN);
			break;
		case LONG: /* a well-formed area, one octet over the bound */
			put_tlv(&m, 1, TW_IPC_STLV_MAX - 4);
			m.tlv_len = TW_IPC_STLV_MAX + 1;
			break;
		case LIGHT:
			m.proto = TW_IPC_PROTO_LIGHT;
			put_tlv(&m, TW_PKT_TLV_DIRECT_MEASUREMENT, TW_STLV_DM_LEN);
			break;
		case PADDED:
			m.pad.padding_len = 8;
			put_tlv(&m, TW_PKT_TLV_DIRECT_MEASUREMENT, TW_STLV_DM_LEN);
			break;
		case DM_LEN:
			put_tlv(&m, TW_PKT_TLV_DIRECT_MEASUREMENT, 8);
			break;
		case OVERRUN: /* the TLV claims 4 octets more than the area has */
			put_tlv(&m, TW_PKT_TLV_DIRECT_MEASUREMENT, TW_STLV_DM_LEN);
			m.tlv_len -= 4;
			break;
		case HMAC_OPEN:
			put_tlv(&m, TW_PKT_TLV_HMAC, TW_STLV_HMAC_LEN);
			break;
		case AFTER_HMAC:
			put_tlv(&m, TW_PKT_TLV_HMAC, TW_STLV_HMAC_LEN);
			put_tlv(&m, TW_PKT_TLV_DIRECT_MEASUREMENT, TW_STLV_DM_LEN);
			break;
		case TWO_DM:
			put_tlv(&m, TW_PKT_TLV_DIRECT_MEASUREMENT, TW_STLV_DM_LEN);
			put_tlv(&m, TW_PKT_TLV_DIRECT_MEASUREMENT, TW_STLV_DM_LEN);
			break;
		case SHORT_HDR: /* 3 octets: not even a TLV header */
			m.tlv_len = 3;
			break;
		}
		struct tw_ipc_hdr h = {
		    .version = TW_IPC_VERSION, .type = TW_IPC_SENDER_ADD, .length = sizeof(m)};
		uint32_t off = 0xdead;
		enum tw_err e = tw_ipc_validate(&h, &m, TW_IPC_DIR_CMD, &off);
		if (e != t[i].want || (e != TW_OK && off != t[i].off))
			printf("\n  case %zu: %s at %u, want %s at %u\n", i, tw_errname(e), off,
			       tw_errname(t[i].want), t[i].off);
		CU_ASSERT_EQUAL(e, t[i].want);
		if (t[i].want != TW_OK)
			CU_ASSERT_EQUAL(off, t[i].off);
	}
	/* No template at all: any proto, any padding (as before version 9). */
	struct tw_ipc_sender_add m = stamp_sender(TW_IPC_SEC_OPEN);
	m.proto = TW_IPC_PROTO_LIGHT;
	m.pad.padding_len = 100;
	struct tw_ipc_hdr h = {
	    .version = TW_IPC_VERSION, .type = TW_IPC_SENDER_ADD, .length = sizeof(m)};
	CU_ASSERT_EQUAL(tw_ipc_validate(&h, &m, TW_IPC_DIR_CMD, NULL), TW_OK);
	/* The old 200-octet SENDER_ADD is a length error now. */
	h.length = 200;
	CU_ASSERT_EQUAL(tw_ipc_validate(&h, &m, TW_IPC_DIR_CMD, NULL), TW_E_LENGTH);
}

/* SENDER_STLV carries every field of struct tw_stlv_res, and back. */
static void test_sender_stlv_roundtrip(void)
{
	struct tw_stlv_res a, b;
	memset(&a, 0, sizeof(a));
#define SET(n, units, d)                                                                           \
	a.n = (__typeof__(a.n))(0x5a5a5a5a5a5a5a5aull + offsetof(struct tw_stlv_res, n));
	TW_IPC_STLV_U64_LIST(SET)
	TW_IPC_STLV_I64_LIST(SET)
	TW_IPC_STLV_U8_LIST(SET)
#undef SET
	a.fu_corr_min_ns = -12345;
	for (int k = 0; k < 3; k++) {
		a.dm_first[k] = 100u + (uint32_t)k;
		a.dm_last[k] = 200u + (uint32_t)k;
	}
	a.loc_src_port = 5000;
	a.loc_dst_port = 862;
	for (int k = 0; k < 16; k++) {
		a.loc_src[k] = (uint8_t)k;
		a.loc_dst[k] = (uint8_t)(0xf0 | k);
	}
	memcpy(a.tsi, "\x01\x02\x03\x04", 4);
	struct tw_ipc_sender_stlv m;
	memset(&m, 0xee, sizeof(m));
	tw_ipc_stlv_from_res(&m, 77, &a);
	CU_ASSERT_EQUAL(m.session, 77);
	CU_ASSERT_EQUAL(m.pad0, 0);
	CU_ASSERT_EQUAL(m.fu_corr_min_ns, -12345);
	CU_ASSERT_EQUAL(m.loc_dst[3], 0xf3);
	tw_ipc_stlv_to_res(&b, &m);
	/* every field through, none lost (padding of b is zero, as is a's) */
	CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);
	struct tw_ipc_hdr h = {
	    .version = TW_IPC_VERSION, .type = TW_IPC_SENDER_STLV, .length = sizeof(m)};
	CU_ASSERT_EQUAL(tw_ipc_check(&h, &m, TW_IPC_DIR_EVT), TW_OK);
	CU_ASSERT_EQUAL(tw_ipc_check(&h, &m, TW_IPC_DIR_CMD), TW_E_COMMAND);
}

/* REFLECTOR_ADD TW_IPC_SF_MICRO (RFC 9533): TWAMP only, and a Padding
 * Length with which both packets hold the IDs (tw_pkt_micro_min_pad). */
static void test_reflector_micro(void)
{
	static const struct {
		uint8_t proto, sec;
		uint16_t flags;
		uint32_t pad;
		enum tw_err want;
		uint32_t off;
	} t[] = {
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_OPEN, TW_IPC_SF_MICRO, 30, TW_OK, 0},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_OPEN, TW_IPC_SF_MICRO, 29, TW_E_LENGTH,
	     offsetof(struct tw_ipc_reflector_add, pad.padding_len)},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_OPEN, 0, 0, TW_OK, 0},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_MIXED, TW_IPC_SF_MICRO, 0, TW_E_LENGTH,
	     offsetof(struct tw_ipc_reflector_add, pad.padding_len)},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_AUTH, TW_IPC_SF_MICRO, 0, TW_OK, 0},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_ENC, TW_IPC_SF_MICRO, 0, TW_OK, 0},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_OPEN, TW_IPC_SF_MICRO | TW_IPC_SF_SYMMETRIC, 3, TW_OK,
	     0},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_OPEN, TW_IPC_SF_MICRO | TW_IPC_SF_SYMMETRIC, 2,
	     TW_E_LENGTH, offsetof(struct tw_ipc_reflector_add, pad.padding_len)},
	    {TW_IPC_PROTO_STAMP, TW_IPC_SEC_OPEN, TW_IPC_SF_MICRO, 64, TW_E_ARG,
	     offsetof(struct tw_ipc_reflector_add, flags)},
	    /* version 15: a reflector programmed again after a restart */
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_ENC, TW_IPC_SF_SEQ_RESYNC | TW_IPC_SF_START_NOW, 0,
	     TW_OK, 0},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_OPEN, TW_IPC_SF_SEQ_RESYNC | TW_IPC_SF_MICRO, 30, TW_OK,
	     0},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tw_ipc_reflector_add m;
		memset(&m, 0, sizeof(m));
		m.session = 1;
		m.proto = t[i].proto;
		m.sec = t[i].sec;
		m.flags = t[i].flags;
		m.pad.padding_len = t[i].pad;
		m.flow.local.family = m.flow.peer.family = 4;
		m.flow.local_port = 862;
		m.flow.peer_port = 9000;
		if (t[i].sec == TW_IPC_SEC_AUTH || t[i].sec == TW_IPC_SEC_ENC)
			m.keys.hmac_len = 32;
		struct tw_ipc_hdr h = {.version = TW_IPC_VERSION, .type = TW_IPC_REFLECTOR_ADD,
		                       .length = sizeof(m)};
		uint32_t off = 0;
		CU_ASSERT_EQUAL(tw_ipc_validate(&h, &m, TW_IPC_DIR_CMD, &off), t[i].want);
		if (t[i].want != TW_OK)
			CU_ASSERT_EQUAL(off, t[i].off);
	}
}

/* REFLECTOR_ADD with TW_IPC_SF_DSCP_ECN and an RFC 6038 Length of padding
 * to reflect: refused where both would start at octet 41 of the reflector
 * packet (open/mixed, Symmetrical Size or not; tw_pkt_dscp_ecn_in_padding),
 * twinhopd's REQ_DSCP_ECN_REFLECT; accepted in the authenticated and
 * encrypted layouts and with either alone. */
static void test_reflector_dscp_ecn_reflect(void)
{
	static const struct {
		uint8_t sec;
		uint16_t flags, reflect_pad;
		enum tw_err want;
	} t[] = {
	    {TW_IPC_SEC_OPEN, TW_IPC_SF_DSCP_ECN, 8, TW_E_ARG},
	    {TW_IPC_SEC_MIXED, TW_IPC_SF_DSCP_ECN, 1, TW_E_ARG},
	    {TW_IPC_SEC_OPEN, TW_IPC_SF_DSCP_ECN | TW_IPC_SF_SYMMETRIC, 8, TW_E_ARG},
	    {TW_IPC_SEC_OPEN, TW_IPC_SF_DSCP_ECN, 0, TW_OK},
	    {TW_IPC_SEC_OPEN, 0, 8, TW_OK},
	    {TW_IPC_SEC_AUTH, TW_IPC_SF_DSCP_ECN, 8, TW_OK},
	    {TW_IPC_SEC_ENC, TW_IPC_SF_DSCP_ECN | TW_IPC_SF_SYMMETRIC, 8, TW_OK},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tw_ipc_reflector_add m;
		memset(&m, 0, sizeof(m));
		m.session = 1;
		m.proto = TW_IPC_PROTO_TWAMP;
		m.sec = t[i].sec;
		m.flags = t[i].flags;
		m.pad.padding_len = 64;
		m.pad.reflect_pad_len = t[i].reflect_pad;
		m.flow.local.family = m.flow.peer.family = 4;
		m.flow.local_port = 862;
		m.flow.peer_port = 9000;
		if (t[i].sec == TW_IPC_SEC_AUTH || t[i].sec == TW_IPC_SEC_ENC)
			m.keys.hmac_len = 32;
		struct tw_ipc_hdr h = {.version = TW_IPC_VERSION, .type = TW_IPC_REFLECTOR_ADD,
		                       .length = sizeof(m)};
		uint32_t off = 0;
		CU_ASSERT_EQUAL(tw_ipc_validate(&h, &m, TW_IPC_DIR_CMD, &off), t[i].want);
		if (t[i].want != TW_OK)
			CU_ASSERT_EQUAL(off, offsetof(struct tw_ipc_reflector_add, pad.reflect_pad_len));
	}
}

/* SENDER_ADD TW_IPC_SF_MICRO (version 11, RFC 9533 §4.2): TWAMP, a Sender
 * Micro-session ID 1..65535, a Padding Length with which both packets hold
 * the IDs; RFC 9534 STAMP: a Micro-session ID TLV in the TLV area (tlv: 1
 * = "800b0004 00000000", 2 = an Extra Padding TLV only); without the flag
 * both IDs must be 0. */
static void test_sender_micro(void)
{
	typedef struct tw_ipc_sender_add T;
	static const struct {
		uint8_t proto, sec;
		uint16_t flags, sid, rid;
		uint32_t pad;
		enum tw_err want;
		uint32_t off;
		int tlv;
	} t[] = {
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_OPEN, TW_IPC_SF_MICRO, 1, 7, 30, TW_OK, 0},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_OPEN, TW_IPC_SF_MICRO, 65535, 0, 30, TW_OK, 0},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_OPEN, TW_IPC_SF_MICRO, 1, 7, 29, TW_E_LENGTH,
	     offsetof(T, pad.padding_len)},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_OPEN, TW_IPC_SF_MICRO, 0, 7, 30, TW_E_ARG,
	     offsetof(T, micro_sid)},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_AUTH, TW_IPC_SF_MICRO, 2, 8, 0, TW_OK, 0},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_ENC, TW_IPC_SF_MICRO, 2, 8, 0, TW_OK, 0},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_MIXED, TW_IPC_SF_MICRO, 2, 8, 0, TW_E_LENGTH,
	     offsetof(T, pad.padding_len)},
	    {TW_IPC_PROTO_LIGHT, TW_IPC_SEC_OPEN, TW_IPC_SF_MICRO, 1, 7, 30, TW_E_ARG,
	     offsetof(T, flags)},
	    {TW_IPC_PROTO_STAMP, TW_IPC_SEC_OPEN, TW_IPC_SF_MICRO, 1, 7, 0, TW_E_FIELD,
	     offsetof(T, tlv)},
	    {TW_IPC_PROTO_STAMP, TW_IPC_SEC_OPEN, TW_IPC_SF_MICRO, 1, 7, 0, TW_OK, 0, 1},
	    {TW_IPC_PROTO_STAMP, TW_IPC_SEC_AUTH, TW_IPC_SF_MICRO, 1, 0, 0, TW_OK, 0, 1},
	    {TW_IPC_PROTO_STAMP, TW_IPC_SEC_OPEN, TW_IPC_SF_MICRO, 1, 7, 0, TW_E_FIELD,
	     offsetof(T, tlv), 2},
	    {TW_IPC_PROTO_STAMP, TW_IPC_SEC_OPEN, TW_IPC_SF_MICRO, 0, 7, 0, TW_E_ARG,
	     offsetof(T, micro_sid), 1},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_OPEN, 0, 0, 0, 0, TW_OK, 0},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_OPEN, 0, 1, 0, 30, TW_E_ARG, offsetof(T, micro_sid)},
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_OPEN, 0, 0, 7, 30, TW_E_ARG, offsetof(T, micro_rid)},
	    /* a sender has no reflector numbering to resynchronise */
	    {TW_IPC_PROTO_TWAMP, TW_IPC_SEC_OPEN, TW_IPC_SF_SEQ_RESYNC, 0, 0, 0, TW_E_ARG,
	     offsetof(T, flags)},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		T m;
		memset(&m, 0, sizeof(m));
		m.session = 1;
		m.proto = t[i].proto;
		m.sec = t[i].sec;
		m.flags = t[i].flags;
		m.micro_sid = t[i].sid;
		m.micro_rid = t[i].rid;
		m.pad.padding_len = t[i].pad;
		if (t[i].tlv) {
			static const uint8_t micro[8] = {0x80, 11, 0, 4, 0, 0, 0, 0},
			                     xpad[8] = {0x80, 1, 0, 4, 0, 0, 0, 0};
			memcpy(m.tlv, t[i].tlv == 1 ? micro : xpad, 8);
			m.tlv_len = 8;
		}
		m.flow.local.family = m.flow.peer.family = 4;
		m.flow.local_port = 40000;
		m.flow.peer_port = 20000;
		m.sched = TW_IPC_SCHED_PERIODIC;
		m.interval_ns = 1000000;
		if (t[i].sec == TW_IPC_SEC_AUTH || t[i].sec == TW_IPC_SEC_ENC)
			m.keys.hmac_len = 32;
		struct tw_ipc_hdr h = {
		    .version = TW_IPC_VERSION, .type = TW_IPC_SENDER_ADD, .length = sizeof(m)};
		uint32_t off = 0;
		enum tw_err e = tw_ipc_validate(&h, &m, TW_IPC_DIR_CMD, &off);
		if (e != t[i].want)
			printf("\n  case %zu: %d at %u\n", i, (int)e, off);
		CU_ASSERT_EQUAL(e, t[i].want);
		if (t[i].want != TW_OK)
			CU_ASSERT_EQUAL(off, t[i].off);
	}
	/* the two IDs sit where the former MBZ pad1 was, before the TLV area */
	CU_ASSERT_EQUAL(offsetof(T, micro_sid), offsetof(T, tlv_len) + 2);
	CU_ASSERT_EQUAL(offsetof(T, micro_rid), offsetof(T, tlv_len) + 4);
	CU_ASSERT_EQUAL(offsetof(T, tlv), offsetof(T, tlv_len) + 8);
}

/* LIGHT_LISTEN with TW_IPC_SF_PTP_TS: a STAMP reflector may be configured
 * for PTP timestamps (RFC 8762 §4.2.1); TWAMP Light has no such setting. */
static void test_light_listen_ptp(void)
{
	static const struct {
		uint8_t proto;
		uint16_t flags;
		enum tw_err want;
	} t[] = {
	    {TW_IPC_PROTO_STAMP, TW_IPC_SF_PTP_TS, TW_OK},
	    {TW_IPC_PROTO_STAMP, TW_IPC_SF_PTP_TS | TW_IPC_SF_STATELESS, TW_OK},
	    {TW_IPC_PROTO_LIGHT, TW_IPC_SF_PTP_TS, TW_E_ARG},
	    {TW_IPC_PROTO_LIGHT, 0, TW_OK},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tw_ipc_light_listen m;
		memset(&m, 0, sizeof(m));
		m.session = 1;
		m.proto = t[i].proto;
		m.sec = TW_IPC_SEC_OPEN;
		m.flags = t[i].flags;
		m.flow.local_port = 862;
		struct tw_ipc_hdr h = {.version = TW_IPC_VERSION, .type = TW_IPC_LIGHT_LISTEN,
		                       .length = sizeof(m)};
		uint32_t off = 0;
		CU_ASSERT_EQUAL(tw_ipc_validate(&h, &m, TW_IPC_DIR_CMD, &off), t[i].want);
		if (t[i].want != TW_OK)
			CU_ASSERT_EQUAL(off, offsetof(struct tw_ipc_light_listen, flags));
	}
}

static void test_version_mismatch(void)
{
	struct tw_ring *r = mk(0, 0, 1, 1);
	struct tw_ring_super *sb = wsuper(r);
	struct tw_ring *a = NULL;
	char why[TW_RING_WHY_MAX];

	sb->ipc_version = TW_IPC_VERSION + 1;
	CU_ASSERT_EQUAL(tw_ring_attach(shm_name, 0, &a, why, sizeof(why)), TW_E_VERSION);
	CU_ASSERT_PTR_NULL(a);
	char want[32];
	snprintf(want, sizeof(want), "IPC version %d", TW_IPC_VERSION + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "rebuild"));
	sb->ipc_version = TW_IPC_VERSION;

	sb->layout_hash ^= 1;
	CU_ASSERT_EQUAL(tw_ring_attach(shm_name, TW_RING_ATTACH_RO, &a, why, sizeof(why)),
	                TW_E_VERSION);
	sb->layout_hash ^= 1;

	sb->magic = 0x1234;
	CU_ASSERT_EQUAL(tw_ring_attach(shm_name, 0, &a, why, sizeof(why)), TW_E_VERSION);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "not a twinhop"));
	sb->magic = TW_RING_MAGIC;

	/* Same version, corrupt geometry: refused as corrupt, not mapped blindly. */
	uint64_t off = sb->rings_off;
	sb->rings_off = sb->region_size;
	errno = 0;
	CU_ASSERT_EQUAL(tw_ring_attach(shm_name, 0, &a, why, sizeof(why)), TW_E_SYS);
	CU_ASSERT_EQUAL(errno, EINVAL);
	sb->rings_off = off;

	/* Port blocks (version 13): a count, stride or offset that would put
	 * them outside the region is corrupt too. */
	uint64_t poff = sb->ports_off;
	uint32_t np = sb->n_ports, ps = sb->port_stride;
	const struct {
		uint64_t off;
		uint32_t n, stride;
	} badp[] = {
	    {sb->region_size - 64, 1, ps},    /* a block past the end */
	    {UINT64_MAX - 63, 1, ps},         /* offset + size wraps */
	    {poff + 8, np, ps},               /* not cache-line aligned */
	    {poff, TW_IPC_PORTS_MAX + 1, ps}, /* too many */
	    {poff, np, ps + 64},              /* another layout */
	};
	for (size_t i = 0; i < sizeof(badp) / sizeof(badp[0]); i++) {
		sb->ports_off = badp[i].off;
		sb->n_ports = badp[i].n;
		sb->port_stride = badp[i].stride;
		errno = 0;
		CU_ASSERT_EQUAL(tw_ring_attach(shm_name, TW_RING_ATTACH_RO, &a, why, sizeof(why)),
		                TW_E_SYS);
		CU_ASSERT_EQUAL(errno, EINVAL);
		CU_ASSERT_PTR_NULL(a);
	}
	sb->ports_off = poff;
	sb->n_ports = np;
	sb->port_stride = ps;

	/* A refused attach leaves no claim behind. */
	CU_ASSERT_EQUAL(sb->ctl_pid, 0);
	a = att(shm_name);
	tw_ring_detach(a);
	tw_ring_destroy(r);
}

/* Trust boundary (issue 8 §6): a region created by another user, or one
 * that others may read or write, is refused, since whoever created it
 * would receive every session's test keys.  The creator sets the group
 * and the exact mode (no umask), so an unprivileged control plane of that
 * group can attach. */
static void test_attach_owner_mode(void)
{
	struct tw_ring *r = mk(0, 0, 1, 1);
	char path[128], why[TW_RING_WHY_MAX] = "";
	snprintf(path, sizeof(path), "/dev/shm%s", shm_name);
	struct tw_ring *a = NULL;
	/* world-readable: refused (the keys would be readable by anyone) */
	CU_ASSERT_EQUAL(chmod(path, 0604), 0);
	CU_ASSERT_EQUAL(tw_ring_attach(shm_name, 0, &a, why, sizeof(why)), TW_E_SYS);
	CU_ASSERT_EQUAL(errno, EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "refusing"));
	CU_ASSERT_EQUAL(chmod(path, 0602), 0);
	CU_ASSERT_EQUAL(tw_ring_attach(shm_name, TW_RING_ATTACH_RO, &a, NULL, 0), TW_E_SYS);
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	a = att(shm_name);
	tw_ring_detach(a);
	a = NULL;
	/* owned by another (non-root) user: refused; needs root to forge */
	if (geteuid() == 0) {
		CU_ASSERT_EQUAL(chown(path, 4242, (gid_t)-1), 0);
		CU_ASSERT_EQUAL(tw_ring_attach(shm_name, 0, &a, why, sizeof(why)), TW_E_SYS);
		CU_ASSERT_EQUAL(errno, EPERM);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, "uid 4242"));
		CU_ASSERT_PTR_NULL(a);
		/* root's 0600 region, opened by a dropped twinhopd (after a
		 * fast-path restart): the reason names the fix */
		CU_ASSERT_EQUAL(chown(path, 0, 0), 0);
		pid_t pid = fork();
		if (pid == 0) {
			char w[TW_RING_WHY_MAX] = "";
			struct tw_ring *c = NULL;
			if (setgid(65534) || setuid(65534))
				_exit(2);
			enum tw_err e = tw_ring_attach(shm_name, 0, &c, w, sizeof(w));
			_exit(e == TW_E_SYS && errno == EACCES && strstr(w, "Permission denied") &&
			              strstr(w, "gid 65534") && strstr(w, "--shm-group")
			          ? 0
			          : 1);
		}
		int wst = -1;
		CU_ASSERT_EQUAL(waitpid(pid, &wst, 0), pid);
		CU_ASSERT(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
	} else {
		printf("\n  (not root: the foreign-owner case needs chown)\n");
		CU_FAIL("test_attach_owner_mode needs root for the foreign-owner case");
	}
	tw_ring_destroy(r);

	/* group and mode set by the creator, whatever the umask */
	mode_t old = umask(077);
	struct tw_ring_cfg cfg = {.name = fresh_name(), .n_evt = 1, .n_lcores = 1,
	                          .mode = 0660, .set_gid = 1, .gid = 4243};
	CU_ASSERT_EQUAL(tw_ring_create(&cfg, &r, why, sizeof(why)), geteuid() == 0 ? TW_OK : TW_E_SYS);
	umask(old);
	snprintf(path, sizeof(path), "/dev/shm%s", shm_name);
	struct stat st;
	if (geteuid() == 0 && r) {
		CU_ASSERT_EQUAL(stat(path, &st), 0);
		CU_ASSERT_EQUAL(st.st_gid, 4243);
		CU_ASSERT_EQUAL(st.st_mode & 07777, 0660);
		tw_ring_destroy(r);
	}
	/* modes giving others access are refused at create */
	struct tw_ring_cfg bad = {.name = fresh_name(), .n_evt = 1, .n_lcores = 1, .mode = 0666};
	CU_ASSERT_EQUAL(tw_ring_create(&bad, &r, NULL, 0), TW_E_ARG);
}

static void test_attach_before_ready(void)
{
	/* The object exists but has no size yet (creator between shm_open and
	 * ftruncate): mapping it would SIGBUS, attach must say "retry". */
	const char *name = fresh_name();
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	struct tw_ring *a = NULL;
	char why[TW_RING_WHY_MAX];
	errno = 0;
	CU_ASSERT_EQUAL(tw_ring_attach(name, 0, &a, why, sizeof(why)), TW_E_SYS);
	CU_ASSERT_EQUAL(errno, EAGAIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "retry"));
	/* Sized but not initialised: ready is still 0. */
	CU_ASSERT_EQUAL(ftruncate(fd, 1 << 20), 0);
	errno = 0;
	CU_ASSERT_EQUAL(tw_ring_attach(name, 0, &a, why, sizeof(why)), TW_E_SYS);
	CU_ASSERT_EQUAL(errno, EAGAIN);
	close(fd);
	shm_unlink(name);

	/* A real region whose ready flag is withdrawn, then published. */
	struct tw_ring *r = mk(0, 0, 1, 1);
	atomic_store(&wsuper(r)->ready, 0);
	errno = 0;
	CU_ASSERT_EQUAL(tw_ring_attach(shm_name, 0, &a, why, sizeof(why)), TW_E_SYS);
	CU_ASSERT_EQUAL(errno, EAGAIN);
	CU_ASSERT_EQUAL(tw_ring_super(r)->ctl_pid, 0);
	atomic_store(&wsuper(r)->ready, TW_RING_READY);
	a = att(shm_name);
	tw_ring_detach(a);
	tw_ring_destroy(r);
}

/* Fill to TW_E_FULL: dropped == excess exactly, the rest arrives in order. */
static void test_full_ring(void)
{
	struct tw_ring *r = mk(TW_RING_MIN_SIZE, 0, 1, 1);
	struct tw_ring *a = att(shm_name);
	struct tw_ring_q *tx = tw_ring_cmd(a), *rx = tw_ring_cmd(r);
	const unsigned rec = 32, cap = TW_RING_MIN_SIZE / rec, tries = cap + 77;
	unsigned ok = 0, full = 0;
	for (unsigned i = 0; i < tries; i++) {
		enum tw_err e = send_del(tx, ok + 1, ok + 1);
		if (e == TW_OK)
			ok++;
		else if (e == TW_E_FULL)
			full++;
	}
	CU_ASSERT_EQUAL(ok, cap);
	CU_ASSERT_EQUAL(full, tries - cap);
	struct tw_ring_qstats st;
	tw_ring_qstats(rx, &st); /* the consumer reads the producer's counters */
	CU_ASSERT_EQUAL(st.full_msgs, tries - cap);
	CU_ASSERT_EQUAL(st.full_octets, (uint64_t)(tries - cap) * rec);
	CU_ASSERT_EQUAL(st.enq_msgs, cap);
	CU_ASSERT_EQUAL(st.used, TW_RING_MIN_SIZE);
	/* Nothing silently lost: exactly `ok` messages, ids 1..ok in order. */
	unsigned got = 0;
	struct tw_ipc_hdr h;
	struct tw_ipc_session_ctl c;
	while (tw_ring_dequeue(rx, &h, &c, sizeof(c)) == TW_OK) {
		CU_ASSERT_EQUAL(h.id, got + 1);
		CU_ASSERT_EQUAL(c.session, got + 1);
		got++;
	}
	CU_ASSERT_EQUAL(got, ok);
	CU_ASSERT_EQUAL(got + st.full_msgs, tries);
	/* Room again once drained. */
	CU_ASSERT_EQUAL(send_del(tx, 1, 1), TW_OK);
	/* Larger than any record: refused and counted separately. */
	static uint8_t big[TW_IPC_MSG_MAX + 16];
	struct tw_ipc_hdr bh = {.type = TW_IPC_LOG, .length = TW_IPC_PAYLOAD_MAX + 1};
	CU_ASSERT_EQUAL(tw_ring_enqueue(tw_ring_evt(r, 0), &bh, big), TW_E_NOSPACE);
	struct tw_ipc_hdr *rh;
	CU_ASSERT_EQUAL(tw_ring_reserve(tw_ring_evt(r, 0), 70000, &rh), TW_E_NOSPACE);
	tw_ring_qstats(tw_ring_evt(a, 0), &st);
	CU_ASSERT_EQUAL(st.oversize, 2);
	CU_ASSERT_EQUAL(st.full_msgs, 0);
	tw_ring_detach(a);
	tw_ring_destroy(r);
}

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

/* Variable lengths across many wraps: PAD records are invisible, content exact. */
static void test_wraparound(void)
{
	struct tw_ring *r = mk(0, TW_RING_MIN_SIZE, 1, 1);
	struct tw_ring *a = att(shm_name);
	struct tw_ring_q *tx = tw_ring_evt(r, 0), *rx = tw_ring_evt(a, 0);
	uint32_t seed = 1, sent = 0, recvd = 0, fulls = 0;
	uint8_t buf[TW_IPC_MSG_MAX], in[TW_IPC_MSG_MAX];
	for (int round = 0; round < 3000; round++) {
		unsigned burst = 1 + lcg(&seed) % 6;
		for (unsigned k = 0; k < burst; k++) {
			int results = lcg(&seed) % 3 == 0;
			uint32_t len;
			uint16_t type;
			if (results) {
				uint16_t n = (uint16_t)(1 + lcg(&seed) % TW_IPC_RESULTS_MAX);
				struct tw_ipc_result_batch b = {.count = n};
				len = sizeof(b) + n * (uint32_t)sizeof(struct tw_ipc_result);
				memcpy(buf, &b, sizeof(b));
				for (uint32_t i = sizeof(b); i < len; i++)
					buf[i] = (uint8_t)(sent + i);
				type = TW_IPC_SENDER_RESULT;
			} else {
				uint16_t n = (uint16_t)(lcg(&seed) % (TW_IPC_LOG_TEXT_MAX + 1));
				struct tw_ipc_log l = {.text_len = n};
				len = sizeof(l) + n;
				memcpy(buf, &l, sizeof(l));
				for (uint32_t i = sizeof(l); i < len; i++)
					buf[i] = (uint8_t)(sent + i);
				type = TW_IPC_LOG;
			}
			enum tw_err e = send(tx, type, sent + 1, buf, len);
			if (e == TW_E_FULL) {
				fulls++;
				break;
			}
			CU_ASSERT_EQUAL_FATAL(e, TW_OK);
			sent++;
		}
		unsigned drain = lcg(&seed) % 7;
		for (unsigned k = 0; k < drain; k++) {
			struct tw_ipc_hdr h;
			enum tw_err e = tw_ring_dequeue(rx, &h, in, sizeof(in));
			if (e == TW_E_EMPTY)
				break;
			CU_ASSERT_EQUAL_FATAL(e, TW_OK);
			CU_ASSERT_EQUAL_FATAL(h.id, recvd + 1);
			size_t skip = h.type == TW_IPC_LOG ? sizeof(struct tw_ipc_log)
			                                   : sizeof(struct tw_ipc_result_batch);
			int bad = 0;
			for (uint32_t i = (uint32_t)skip; i < h.length; i++)
				bad |= in[i] != (uint8_t)(recvd + i);
			CU_ASSERT_FALSE(bad);
			recvd++;
		}
	}
	struct tw_ipc_hdr h;
	while (tw_ring_dequeue(rx, &h, in, sizeof(in)) == TW_OK) {
		CU_ASSERT_EQUAL(h.id, recvd + 1);
		recvd++;
	}
	CU_ASSERT_EQUAL(recvd, sent);
	struct tw_ring_qstats st;
	tw_ring_qstats(rx, &st);
	CU_ASSERT_EQUAL(st.full_msgs, fulls);
	CU_ASSERT_EQUAL(st.malformed, 0);
	CU_ASSERT_EQUAL(st.used, 0);
	CU_ASSERT(atomic_load(&tx->sh->prod.head) > 50ull * TW_RING_MIN_SIZE); /* many wraps */
	tw_ring_detach(a);
	tw_ring_destroy(r);
}

/* Zero-copy: reserve a full batch, fill fewer records, commit the shorter length. */
static void test_reserve_commit(void)
{
	struct tw_ring *r = mk(0, TW_RING_MIN_SIZE, 1, 1);
	struct tw_ring *a = att(shm_name);
	struct tw_ring_q *tx = tw_ring_evt(r, 0), *rx = tw_ring_evt(a, 0);
	for (int round = 0; round < 40; round++) {
		struct tw_ipc_hdr *h;
		uint32_t max = sizeof(struct tw_ipc_result_batch) +
		               TW_IPC_RESULTS_MAX * (uint32_t)sizeof(struct tw_ipc_result);
		CU_ASSERT_EQUAL_FATAL(tw_ring_reserve(tx, max, &h), TW_OK);
		CU_ASSERT_EQUAL((uintptr_t)h % 16, 0);
		CU_ASSERT_EQUAL(h->version, TW_IPC_VERSION);
		CU_ASSERT_EQUAL(h->length, max);
		/* Nothing visible before commit; a second reservation is refused. */
		const struct tw_ipc_hdr *p;
		CU_ASSERT_EQUAL(tw_ring_peek(rx, &p), TW_E_EMPTY);
		struct tw_ipc_hdr *h2;
		CU_ASSERT_EQUAL(tw_ring_reserve(tx, 16, &h2), TW_E_ARG);
		uint16_t n = (uint16_t)(1 + round % 5);
		struct tw_ipc_result_batch *b = (void *)(h + 1);
		b->count = n;
		b->lcore = 0;
		struct tw_ipc_result *rec = (void *)(b + 1);
		for (uint16_t i = 0; i < n; i++)
			rec[i] = (struct tw_ipc_result){.session = 7, .sender_seq = i, .t1 = i};
		h->type = TW_IPC_SENDER_RESULT;
		h->id = 0;
		h->length = sizeof(*b) + n * (uint32_t)sizeof(*rec);
		tw_ring_commit(tx);
		CU_ASSERT_EQUAL_FATAL(tw_ring_peek(rx, &p), TW_OK);
		CU_ASSERT_EQUAL(p->length, sizeof(*b) + n * sizeof(*rec));
		const struct tw_ipc_result *got =
		    (const void *)((const uint8_t *)(p + 1) + sizeof(*b));
		CU_ASSERT_EQUAL(got[n - 1].sender_seq, n - 1);
		tw_ring_release(rx);
		struct tw_ring_qstats st;
		tw_ring_qstats(rx, &st);
		CU_ASSERT_EQUAL(st.used, 0);
	}
	tw_ring_detach(a);
	tw_ring_destroy(r);
}

/* Corrupt records are rejected by name and counted; the ring recovers. */
static void test_malformed(void)
{
	struct tw_ring *r = mk(TW_RING_MIN_SIZE, 0, 1, 1);
	struct tw_ring *a = att(shm_name);
	struct tw_ring_q *tx = tw_ring_cmd(a), *rx = tw_ring_cmd(r);
	struct {
		const char *what;
		uint16_t version, type;
		uint32_t reserve, length;
		enum tw_err want;
		int resync; /* bad length: the following good message is discarded too */
	} t[] = {
	    {"length beyond slot", TW_IPC_VERSION, TW_IPC_SESSION_DEL, 16, 60000, TW_E_LENGTH, 1},
	    {"length beyond end", TW_IPC_VERSION, TW_IPC_SESSION_DEL, 16, 0xfffffff0u, TW_E_LENGTH,
	     1},
	    {"other version", TW_IPC_VERSION + 1, TW_IPC_SESSION_DEL, 16, 16, TW_E_VERSION, 0},
	    {"short payload", TW_IPC_VERSION, TW_IPC_SESSION_DEL, 8, 8, TW_E_LENGTH, 0},
	    {"unknown type", TW_IPC_VERSION, 0x3e, 16, 16, TW_E_COMMAND, 0},
	    {"event on command ring", TW_IPC_VERSION, TW_IPC_ACK, 16, 16, TW_E_COMMAND, 0},
	};
	uint64_t malformed = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tw_ipc_hdr *h;
		CU_ASSERT_EQUAL_FATAL(tw_ring_reserve(tx, t[i].reserve, &h), TW_OK);
		memset(h + 1, 0, t[i].reserve);
		h->version = t[i].version;
		h->type = t[i].type;
		h->length = t[i].length;
		tw_ring_commit(tx);
		CU_ASSERT_EQUAL(send_del(tx, 500 + (uint32_t)i, 1), TW_OK);
		const struct tw_ipc_hdr *p;
		enum tw_err e = tw_ring_peek(rx, &p);
		if (e != t[i].want)
			printf("\n  %s: got %s want %s\n", t[i].what, tw_errname(e),
			       tw_errname(t[i].want));
		CU_ASSERT_EQUAL(e, t[i].want);
		malformed++;
		e = tw_ring_peek(rx, &p);
		if (t[i].resync) {
			CU_ASSERT_EQUAL(e, TW_E_EMPTY);
		} else {
			CU_ASSERT_EQUAL_FATAL(e, TW_OK);
			CU_ASSERT_EQUAL(p->id, 500 + i);
			tw_ring_release(rx);
		}
		struct tw_ring_qstats st;
		tw_ring_qstats(tx, &st); /* the producer reads the consumer's counters */
		CU_ASSERT_EQUAL(st.malformed, malformed);
		CU_ASSERT_EQUAL(st.used, 0);
	}
	struct tw_ring_qstats st;
	tw_ring_qstats(rx, &st);
	CU_ASSERT_EQUAL(st.discarded_octets, 2 * (32 + 32));
	/* Still a working ring. */
	struct tw_ipc_hdr h;
	struct tw_ipc_session_ctl c;
	CU_ASSERT_EQUAL(send_del(tx, 99, 3), TW_OK);
	CU_ASSERT_EQUAL(tw_ring_dequeue(rx, &h, &c, sizeof(c)), TW_OK);
	CU_ASSERT_EQUAL(h.id, 99);
	tw_ring_detach(a);
	tw_ring_destroy(r);
}

/* ---- two-thread SPSC stress ---- */

#define STRESS_N 1000000u

struct stress {
	struct tw_ring_q *tx;
	uint64_t fulls;
	uint64_t sum;
};

static void *producer(void *arg)
{
	struct stress *s = arg;
	for (uint32_t i = 0; i < STRESS_N;) {
		struct tw_ipc_ack ack = {
		    .req_type = TW_IPC_SESSION_DEL, .session = i, .detail = i * 2654435761u};
		enum tw_err e;
		if (i & 1) {
			e = send(s->tx, TW_IPC_ACK, i + 1, &ack, sizeof(ack));
		} else {
			struct tw_ipc_hdr *h;
			e = tw_ring_reserve(s->tx, sizeof(ack), &h);
			if (e == TW_OK) {
				h->type = TW_IPC_ACK;
				h->id = i + 1;
				memcpy(h + 1, &ack, sizeof(ack));
				tw_ring_commit(s->tx);
			}
		}
		if (e == TW_E_FULL) {
			s->fulls++;
			sched_yield(); /* two shared cores: let the consumer run */
			continue;
		}
		if (e != TW_OK)
			break;
		s->sum += (uint64_t)i * 2654435761u + i;
		i++;
	}
	return NULL;
}

static void test_spsc_threads(void)
{
	struct tw_ring *r = mk(0, 1u << 16, 1, 1);
	struct tw_ring *a = att(shm_name);
	struct stress s = {.tx = tw_ring_evt(r, 0)};
	struct tw_ring_q *rx = tw_ring_evt(a, 0);
	pthread_t th;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, producer, &s), 0);
	uint32_t expect = 0;
	uint64_t sum = 0, empties = 0;
	int order_ok = 1, content_ok = 1;
	while (expect < STRESS_N) {
		const struct tw_ipc_hdr *h;
		enum tw_err e = tw_ring_peek(rx, &h);
		if (e == TW_E_EMPTY) {
			if (++empties % 64 == 0)
				sched_yield();
			continue;
		}
		if (e != TW_OK) {
			printf("\n  peek: %s\n", tw_errname(e));
			break;
		}
		struct tw_ipc_ack ack;
		memcpy(&ack, h + 1, sizeof(ack));
		order_ok &= h->id == expect + 1 && ack.session == expect;
		content_ok &= ack.detail == (uint32_t)(expect * 2654435761u);
		sum += (uint64_t)ack.session * 2654435761u + ack.session;
		tw_ring_release(rx);
		expect++;
	}
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(expect, STRESS_N);
	CU_ASSERT(order_ok);
	CU_ASSERT(content_ok);
	CU_ASSERT_EQUAL(sum, s.sum);
	struct tw_ring_qstats st;
	tw_ring_qstats(rx, &st);
	CU_ASSERT_EQUAL(st.enq_msgs, STRESS_N);
	CU_ASSERT_EQUAL(st.deq_msgs, STRESS_N);
	CU_ASSERT_EQUAL(st.full_msgs, s.fulls);
	CU_ASSERT_EQUAL(st.malformed, 0);
	tw_ring_detach(a);
	tw_ring_destroy(r);
}

int main(void)
{
	static const struct tw_unit_case contract[] = {
	    {"type and counter tables", test_contract_tables},
	    {"tw_ipc_check length table", test_contract_check},
	    {"HELLO grace_ms range", test_hello_grace},
	    {"REFLECTOR_ADD micro-session flag (RFC 9533)", test_reflector_micro},
	    {"REFLECTOR_ADD RFC 7750 with RFC 6038 padding reflection", test_reflector_dscp_ecn_reflect},
	    {"LIGHT_LISTEN PTP timestamps, STAMP only", test_light_listen_ptp},
	    {"SENDER_ADD micro-session IDs (RFC 9533, version 11)", test_sender_micro},
	    {"SENDER_ADD STAMP TLV template validation", test_sender_tlv},
	    {"SENDER_STLV carries every tw_stlv_res field", test_sender_stlv_roundtrip},
	    {NULL, NULL},
	};
	static const struct tw_unit_case ring[] = {
	    {"create, attach, counters, roles, destroy", test_create_attach},
	    {"port statistics blocks (version 13)", test_port_blocks},
	    {"bad create configurations", test_bad_config},
	    {"round trip of every message type", test_roundtrip_all_types},
	    {"cross-process attach (fork)", test_cross_process},
	    {"single control process, stale claim", test_single_controller},
	    {"dead creator refused; claim released by the creator", test_restart_liveness},
	    {"a zombie creator looks live; a replaced region is seen", test_restart_replaced},
	    {"version / layout / magic mismatch refused", test_version_mismatch},
	    {"attach before ready refused (retry)", test_attach_before_ready},
	    {"foreign owner or open mode refused; creator sets group/mode", test_attach_owner_mode},
	    {"full ring: dropped == excess, no silent loss", test_full_ring},
	    {"wrap-around with variable lengths", test_wraparound},
	    {"zero-copy reserve/commit", test_reserve_commit},
	    {"malformed records rejected and counted", test_malformed},
	    {"two-thread SPSC stress, 1e6 messages", test_spsc_threads},
	    {NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (tw_unit_suite("ipc contract", contract) || tw_unit_suite("ring", ring))
		return 2;
	return tw_unit_run("ring");
}
