/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * twh-ipc-hostile: a hostile control plane for tests/system/ipc-hostile.sh.
 * It attaches to a running twinhop-fp's region like twinhopd and writes
 * crafted commands into the command ring (issue 8 §5, §6):
 *
 *   crafted   field values outside their documented ranges (lib/tw_ipc.h):
 *             SENDER_ADD padding_len near 2^32 (wrapped past the 1400-octet
 *             check and a memset of ~SIZE_MAX followed), hmac_len 255 (read
 *             past the 32-octet key), bad enums, DSCP, VLAN, address counts.
 *             Each must be NACKed with the documented error, and the fast
 *             path must still answer HELLO afterwards.
 *   cycles N  N LIGHT_LISTEN + SESSION_DEL cycles on one port: listener
 *             slots are reused after a delete.
 *   reset PORT ID...  HELLO with RESET, then: a LIGHT_LISTEN on PORT (the
 *             command line's --light-port) is refused because that listener
 *             still exists, STATS of each command-line session ID answers,
 *             and SESSION_DEL of each ID and of the listener is refused.
 *
 * Prints "ok - ..." / "FAIL - ..." per check; exit 0 when all passed,
 * 1 on a failed check, 2 on usage/attach errors.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tw_ipc.h"
#include "tw_ring.h"

static struct tw_ring *R;
static uint32_t next_id;
static unsigned n_fail;

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "FAIL", what);
	if (!cond)
		n_fail++;
}

static uint32_t send_cmd(uint16_t type, const void *pl, uint32_t len)
{
	struct tw_ipc_hdr h = {.version = TW_IPC_VERSION, .type = type, .id = ++next_id, .length = len};
	uint64_t t0 = mono_ms();
	for (;;) {
		enum tw_err e = tw_ring_enqueue(tw_ring_cmd(R), &h, pl);
		if (e == TW_OK)
			return h.id;
		if (e != TW_E_FULL || mono_ms() - t0 > 5000) {
			fprintf(stderr, "enqueue %s: %s\n", tw_ipc_type_name(type), tw_strerror(e));
			exit(2);
		}
		usleep(100);
	}
}

/* Wait for the reply to `id`: its type, and the ACK/NACK payload. */
static int wait_reply(uint32_t id, struct tw_ipc_ack *ack)
{
	static _Alignas(64) uint8_t buf[TW_IPC_MSG_MAX];
	uint64_t t0 = mono_ms();
	while (mono_ms() - t0 < 5000) {
		int idle = 1;
		for (unsigned i = 0; i < tw_ring_n_evt(R); i++) {
			struct tw_ipc_hdr h;
			enum tw_err e = tw_ring_dequeue(tw_ring_evt(R, i), &h, buf, sizeof(buf));
			if (e == TW_E_EMPTY)
				continue;
			idle = 0;
			if (e != TW_OK || h.id != id || (h.flags & TW_IPC_F_MORE))
				continue;
			if ((h.type == TW_IPC_ACK || h.type == TW_IPC_NACK) && ack)
				memcpy(ack, buf, sizeof(*ack));
			return h.type;
		}
		if (idle)
			usleep(200);
	}
	return -1;
}

static int alive(void)
{
	struct tw_ipc_hello m;
	memset(&m, 0, sizeof(m));
	m.ctl_pid = (uint32_t)getpid();
	m.ipc_version = TW_IPC_VERSION;
	snprintf(m.name, sizeof(m.name), "twh-ipc-hostile");
	return wait_reply(send_cmd(TW_IPC_HELLO, &m, sizeof(m)), NULL) == TW_IPC_HELLO_REPLY;
}

static void v4(struct tw_ipc_addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->addr[0] = 10;
	a->addr[1] = 99;
	a->addr[3] = last;
}

static void good_flow(struct tw_ipc_flow *f)
{
	memset(f, 0, sizeof(*f));
	v4(&f->local, 1);
	v4(&f->peer, 2);
	f->local_port = 40000;
	f->peer_port = 40001;
}

static struct tw_ipc_sender_add good_sender(void)
{
	struct tw_ipc_sender_add s;
	memset(&s, 0, sizeof(s));
	s.session = 0x7e000001u;
	s.proto = TW_IPC_PROTO_TWAMP;
	s.sec = TW_IPC_SEC_OPEN;
	good_flow(&s.flow);
	s.sched = TW_IPC_SCHED_PERIODIC;
	s.interval_ns = 1000000;
	s.count = 1;
	return s;
}

static struct tw_ipc_reflector_add good_reflector(void)
{
	struct tw_ipc_reflector_add r;
	memset(&r, 0, sizeof(r));
	r.session = 0x7e000002u;
	r.proto = TW_IPC_PROTO_TWAMP;
	r.sec = TW_IPC_SEC_OPEN;
	good_flow(&r.flow);
	return r;
}

static struct tw_ipc_light_listen good_light(uint16_t port, uint32_t id)
{
	struct tw_ipc_light_listen l;
	memset(&l, 0, sizeof(l));
	l.session = id;
	l.proto = TW_IPC_PROTO_STAMP;
	l.sec = TW_IPC_SEC_OPEN;
	l.flow.local_port = port;
	l.max_peers = 16;
	l.idle_ns = 1000000000ull;
	return l;
}

/* Send, expect a NACK with `err`, and the fast path still alive. */
static void expect_nack(const char *what, uint16_t type, const void *pl, uint32_t len,
                        enum tw_err err)
{
	struct tw_ipc_ack a;
	memset(&a, 0, sizeof(a));
	int t = wait_reply(send_cmd(type, pl, len), &a);
	char d[200];
	snprintf(d, sizeof(d), "%s: NACK %s (got %s %s)", what, tw_strerror(err),
	         t < 0 ? "nothing" : tw_ipc_type_name((unsigned)t), tw_strerror((enum tw_err)a.err));
	check(t == TW_IPC_NACK && a.err == err, d);
	snprintf(d, sizeof(d), "%s: fast path still answers HELLO", what);
	check(alive(), d);
}

static void crafted(void)
{
	struct tw_ipc_sender_add s = good_sender();
	s.pad.padding_len = 0xfffffff0u; /* base + this wraps to < 1400 */
	expect_nack("SENDER_ADD padding_len 2^32-16", TW_IPC_SENDER_ADD, &s, sizeof(s),
	            TW_E_LENGTH);
	s = good_sender();
	s.sec = TW_IPC_SEC_AUTH;
	s.keys.hmac_len = 255; /* hmac[] holds 32 */
	expect_nack("SENDER_ADD STAMP-style hmac_len 255", TW_IPC_SENDER_ADD, &s, sizeof(s),
	            TW_E_ARG);
	s.proto = TW_IPC_PROTO_STAMP;
	expect_nack("SENDER_ADD STAMP hmac_len 255", TW_IPC_SENDER_ADD, &s, sizeof(s), TW_E_ARG);
	s = good_sender();
	s.sched = 9;
	expect_nack("SENDER_ADD sched 9", TW_IPC_SENDER_ADD, &s, sizeof(s), TW_E_ARG);
	s = good_sender();
	s.proto = 77;
	expect_nack("SENDER_ADD proto 77", TW_IPC_SENDER_ADD, &s, sizeof(s), TW_E_ARG);
	s = good_sender();
	s.ecn = 4; /* RFC 3168 §5: a 2-bit field */
	expect_nack("SENDER_ADD ecn 4", TW_IPC_SENDER_ADD, &s, sizeof(s), TW_E_ARG);
	/* STAMP TLV templates (IPC version 9): too long, a TLV overrunning the
	 * area (tw_stlv_fill would write past the packet), a Direct
	 * Measurement TLV of 8 octets (RFC 8972 §4.5 says 12) */
	s = good_sender();
	s.proto = TW_IPC_PROTO_STAMP;
	s.tlv_len = TW_IPC_STLV_MAX + 1;
	expect_nack("SENDER_ADD tlv_len 513", TW_IPC_SENDER_ADD, &s, sizeof(s), TW_E_LENGTH);
	static const uint8_t overrun[8] = {0x80, 5, 0xff, 0xf0, 0, 0, 0, 0};
	memcpy(s.tlv, overrun, sizeof(overrun));
	s.tlv_len = sizeof(overrun);
	expect_nack("SENDER_ADD TLV Length 65520 in an 8-octet area", TW_IPC_SENDER_ADD, &s,
	            sizeof(s), TW_E_TLV_LENGTH);
	static const uint8_t dm8[12] = {0x80, 5, 0, 8};
	memcpy(s.tlv, dm8, sizeof(dm8));
	s.tlv_len = sizeof(dm8);
	expect_nack("SENDER_ADD Direct Measurement TLV of 8 octets", TW_IPC_SENDER_ADD, &s,
	            sizeof(s), TW_E_FIELD);

	/* RFC 9533 micro-session IDs (IPC version 11): a Sender ID 0, IDs
	 * without the flag, a padding too short to hold them (the sender
	 * would write them past its packet), the flag on STAMP without the
	 * RFC 9534 Micro-session ID TLV to hold them, and a
	 * well-formed micro-session whose Sender ID is not this fast path's
	 * member link (it has none here: refused by state, not by form) */
	s = good_sender();
	s.flags = TW_IPC_SF_MICRO;
	s.pad.padding_len = 34;
	s.micro_rid = 7;
	expect_nack("SENDER_ADD micro Sender ID 0", TW_IPC_SENDER_ADD, &s, sizeof(s), TW_E_ARG);
	s.flags = 0;
	s.micro_sid = 1;
	expect_nack("SENDER_ADD micro IDs without the flag", TW_IPC_SENDER_ADD, &s, sizeof(s),
	            TW_E_ARG);
	s.flags = TW_IPC_SF_MICRO;
	s.pad.padding_len = 29;
	expect_nack("SENDER_ADD micro padding 29 (IDs past the reply)", TW_IPC_SENDER_ADD, &s,
	            sizeof(s), TW_E_LENGTH);
	s.pad.padding_len = 30;
	s.proto = TW_IPC_PROTO_STAMP;
	expect_nack("SENDER_ADD micro on STAMP without a Micro-session ID TLV", TW_IPC_SENDER_ADD,
	            &s, sizeof(s), TW_E_FIELD);
	s.proto = TW_IPC_PROTO_TWAMP;
	expect_nack("SENDER_ADD micro Sender ID 1, fast path without a member link",
	            TW_IPC_SENDER_ADD, &s, sizeof(s), TW_E_ARG);

	struct tw_ipc_reflector_add r = good_reflector();
	r.pad.padding_len = 0xffffffffu;
	expect_nack("REFLECTOR_ADD padding_len 2^32-1", TW_IPC_REFLECTOR_ADD, &r, sizeof(r),
	            TW_E_LENGTH);
	r = good_reflector();
	r.sec = TW_IPC_SEC_AUTH;
	r.keys.hmac_len = 255;
	expect_nack("REFLECTOR_ADD hmac_len 255", TW_IPC_REFLECTOR_ADD, &r, sizeof(r), TW_E_ARG);
	r = good_reflector();
	r.sec = 3;
	expect_nack("REFLECTOR_ADD sec 3", TW_IPC_REFLECTOR_ADD, &r, sizeof(r), TW_E_MODE);
	r = good_reflector();
	r.flow.vlan = 5000;
	expect_nack("REFLECTOR_ADD vlan 5000", TW_IPC_REFLECTOR_ADD, &r, sizeof(r), TW_E_ARG);
	r = good_reflector();
	r.flow.local.family = 5;
	expect_nack("REFLECTOR_ADD family 5", TW_IPC_REFLECTOR_ADD, &r, sizeof(r), TW_E_ARG);

	struct tw_ipc_light_listen l = good_light(41000, 0x7e000003u);
	l.sec = TW_IPC_SEC_AUTH;
	l.keys.hmac_len = 200;
	expect_nack("LIGHT_LISTEN STAMP hmac_len 200", TW_IPC_LIGHT_LISTEN, &l, sizeof(l),
	            TW_E_ARG);
	l = good_light(41000, 0x7e000003u);
	l.dscp = 64;
	expect_nack("LIGHT_LISTEN dscp 64", TW_IPC_LIGHT_LISTEN, &l, sizeof(l), TW_E_ARG);

	struct tw_ipc_port_config pc;
	memset(&pc, 0, sizeof(pc));
	pc.n_addrs = 200;
	expect_nack("PORT_CONFIG n_addrs 200", TW_IPC_PORT_CONFIG, &pc, sizeof(pc), TW_E_ARG);
	pc.n_addrs = 1;
	v4(&pc.addrs[0], 1);
	pc.addrs[0].prefix_len = 33;
	expect_nack("PORT_CONFIG IPv4 prefix 33", TW_IPC_PORT_CONFIG, &pc, sizeof(pc), TW_E_ARG);

	struct tw_ipc_hello hl;
	memset(&hl, 0xff, sizeof(hl)); /* no NUL in name, ipc_version wrong */
	expect_nack("HELLO ipc_version 0xffffffff", TW_IPC_HELLO, &hl, sizeof(hl), TW_E_VERSION);
	hl.ipc_version = TW_IPC_VERSION;
	hl.flags = 0;
	expect_nack("HELLO name without NUL", TW_IPC_HELLO, &hl, sizeof(hl), TW_E_ARG);
	snprintf(hl.name, sizeof(hl.name), "twh-ipc-hostile");
	hl.grace_ms = TW_IPC_GRACE_MIN_MS - 1; /* 0 or 1 s .. 1 h (issue 8 §6b) */
	expect_nack("HELLO grace_ms below 1 s", TW_IPC_HELLO, &hl, sizeof(hl), TW_E_ARG);

	struct tw_ipc_session_ctl c = {.session = 0};
	expect_nack("SESSION_DEL session 0", TW_IPC_SESSION_DEL, &c, sizeof(c), TW_E_ARG);
}

static void cycles(unsigned n)
{
	unsigned ok = 0;
	for (unsigned i = 0; i < n; i++) {
		uint32_t id = 0x7d000000u + i + 1;
		struct tw_ipc_light_listen l = good_light(42000, id);
		int t = wait_reply(send_cmd(TW_IPC_LIGHT_LISTEN, &l, sizeof(l)), NULL);
		struct tw_ipc_session_ctl c = {.session = id};
		int d = wait_reply(send_cmd(TW_IPC_SESSION_DEL, &c, sizeof(c)), NULL);
		if (t != TW_IPC_ACK || d != TW_IPC_ACK) {
			printf("cycle %u: add %s, del %s\n", i, tw_ipc_type_name((unsigned)t),
			       tw_ipc_type_name((unsigned)d));
			break;
		}
		ok++;
	}
	char w[100];
	snprintf(w, sizeof(w), "%u of %u LIGHT_LISTEN + SESSION_DEL cycles acked", ok, n);
	check(ok == n, w);
}

static void reset(uint16_t port, char **ids, int n_ids)
{
	struct tw_ipc_hello m;
	memset(&m, 0, sizeof(m));
	m.ctl_pid = (uint32_t)getpid();
	m.flags = TW_IPC_HELLO_F_RESET;
	m.ipc_version = TW_IPC_VERSION;
	snprintf(m.name, sizeof(m.name), "twh-ipc-hostile");
	check(wait_reply(send_cmd(TW_IPC_HELLO, &m, sizeof(m)), NULL) == TW_IPC_HELLO_REPLY,
	      "HELLO RESET answered");
	struct tw_ipc_light_listen l = good_light(port, 0x7c000001u);
	check(wait_reply(send_cmd(TW_IPC_LIGHT_LISTEN, &l, sizeof(l)), NULL) == TW_IPC_NACK,
	      "after RESET the command line's Light listener still holds its port");
	for (int i = 0; i < n_ids; i++) {
		uint32_t id = (uint32_t)strtoul(ids[i], NULL, 0);
		char w[120];
		struct tw_ipc_stats_request sr = {.session = id};
		int t = wait_reply(send_cmd(TW_IPC_STATS_REQUEST, &sr, sizeof(sr)), NULL);
		snprintf(w, sizeof(w), "after RESET command-line session 0x%x still exists", id);
		/* a listener has no STATS: the port check above covers it */
		if (i > 0)
			check(t == TW_IPC_STATS, w);
		struct tw_ipc_session_ctl c = {.session = id};
		snprintf(w, sizeof(w), "SESSION_DEL of command-line id 0x%x refused", id);
		check(wait_reply(send_cmd(TW_IPC_SESSION_DEL, &c, sizeof(c)), NULL) == TW_IPC_NACK,
		      w);
	}
}

int main(int argc, char **argv)
{
	if (argc < 4 || strcmp(argv[1], "--shm")) {
		fprintf(stderr, "usage: twh-ipc-hostile --shm NAME crafted|cycles N|reset PORT "
		                "LISTENER-ID [SESSION-ID...]\n");
		return 2;
	}
	char why[TW_RING_WHY_MAX] = "";
	if (tw_ring_attach(argv[2], 0, &R, why, sizeof(why)) != TW_OK) {
		fprintf(stderr, "attach %s: %s\n", argv[2], why);
		return 2;
	}
	next_id = (uint32_t)getpid() << 8;
	if (!strcmp(argv[3], "crafted"))
		crafted();
	else if (!strcmp(argv[3], "cycles") && argc == 5)
		cycles((unsigned)atoi(argv[4]));
	else if (!strcmp(argv[3], "reset") && argc >= 6)
		reset((uint16_t)atoi(argv[4]), argv + 5, argc - 5);
	else
		return 2;
	tw_ring_detach(R);
	return n_fail ? 1 : 0;
}
