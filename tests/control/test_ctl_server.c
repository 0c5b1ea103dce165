/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the sans-I/O TWAMP-Control server (control/daemon/ctl_server.c).
 * lib/tw_crypto and lib/tw_ctl play the Control-Client; a fake fast path
 * records IPC commands and answers when the test says so.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_flows.h"
#include "ctl_log.h"
#include "ctl_server.h"
#include "tw_crypto.h"
#include "tw_ctl.h"
#include "tw_cursor.h"
#include "tw_time.h"
#include "tw_unit.h"

/* ---- fake environment -------------------------------------------------------------- */

#define MAX_REC 64
struct rec {
	uint16_t type;
	uint32_t req;
	uint8_t payload[256];
};

static struct fake {
	bool attached;
	uint32_t next_req, next_sess;
	struct rec rec[MAX_REC];
	unsigned n_rec;
	unsigned client_sessions, client_max;
	uint8_t ports_used[65536];
	struct ctl_flows *flows;
	uint16_t port_hi;  /* test-ports 20000..port_hi */
	bool third_party;  /* answer of third_party_ok */
	bool defer_retire; /* keep retired sessions (flow, quota) until retire_done() */
	uint16_t member_link; /* answer of member_link (RFC 9533), 0 = none */
	uint16_t mtu;         /* answer of test_mtu, 0 = unknown */
	struct {
		uint32_t session;
		uint16_t port;
		uint64_t at;
		struct tw_ipc_flow flow;
		bool done;
	} del[MAX_REC];
	unsigned n_del;
} fk;

static bool f_key(void *ctx, const uint8_t key_id[TW_CTL_KEYID_LEN], const uint8_t **secret,
                  size_t *len)
{
	(void)ctx;
	if (strcmp((const char *)key_id, "alice"))
		return false;
	*secret = (const uint8_t *)"testsecret";
	*len = 10;
	return true;
}

/* The daemon's own flow table (ctl_flows.h) over test-ports 20000..20099. */
static uint16_t f_flow(void *ctx, struct tw_ipc_flow *flow, uint16_t wanted)
{
	(void)ctx;
	return ctl_flows_reserve(fk.flows, flow, wanted, 20000, fk.port_hi);
}

static bool f_third_party(void *ctx, const struct ctl_peer *p)
{
	(void)ctx;
	(void)p;
	return fk.third_party;
}

static bool f_take(void *ctx, const struct ctl_peer *p)
{
	(void)ctx;
	(void)p;
	if (fk.client_sessions >= fk.client_max)
		return false;
	fk.client_sessions++;
	return true;
}

static void f_give(void *ctx, const struct ctl_peer *p)
{
	(void)ctx;
	(void)p;
	fk.client_sessions--;
}

static uint32_t f_sid(void *ctx)
{
	(void)ctx;
	return ++fk.next_sess;
}

static uint32_t f_send(void *ctx, struct ctl_srv *s, uint16_t type, const void *payload,
                       uint32_t len)
{
	(void)ctx;
	(void)s;
	if (!fk.attached || fk.n_rec == MAX_REC)
		return 0;
	struct rec *r = &fk.rec[fk.n_rec++];
	r->type = type;
	r->req = ++fk.next_req;
	memcpy(r->payload, payload, len < sizeof(r->payload) ? len : sizeof(r->payload));
	return r->req;
}

static void f_give(void *ctx, const struct ctl_peer *p);

/* The fast path deleted retired session i: flow and quota come back. */
static void retire_done(unsigned i)
{
	if (fk.del[i].done)
		return;
	fk.del[i].done = true;
	ctl_flows_release(fk.flows, &fk.del[i].flow);
	f_give(NULL, NULL);
}

static void f_retire(void *ctx, uint32_t session, const struct tw_ipc_flow *flow,
                     const struct ctl_peer *client, uint64_t at_ms)
{
	(void)ctx;
	(void)client;
	CU_ASSERT_FATAL(fk.n_del < MAX_REC);
	fk.del[fk.n_del].session = session;
	fk.del[fk.n_del].port = flow->local_port;
	fk.del[fk.n_del].at = at_ms;
	fk.del[fk.n_del].flow = *flow;
	fk.del[fk.n_del].done = false;
	fk.n_del++;
	if (!fk.defer_retire)
		retire_done(fk.n_del - 1);
}

static uint16_t f_member_link(void *ctx)
{
	(void)ctx;
	return fk.member_link;
}

static uint16_t f_test_mtu(void *ctx)
{
	(void)ctx;
	return fk.mtu;
}

static const struct ctl_srv_ops ops = {.member_link = f_member_link,
                                       .test_mtu = f_test_mtu,
                                       .key_lookup = f_key,
                                       .flow_reserve = f_flow,
                                       .third_party_ok = f_third_party,
                                       .client_take = f_take,
                                       .client_give = f_give,
                                       .session_id = f_sid,
                                       .fp_send = f_send,
                                       .sess_retire = f_retire};
static struct ctl_counters cnt;
static struct ctl_srv_env env;

static void env_reset(void)
{
	ctl_flows_free(fk.flows);
	memset(&fk, 0, sizeof(fk));
	fk.flows = ctl_flows_new(fk.ports_used);
	fk.port_hi = 20099;
	CU_ASSERT_PTR_NOT_NULL_FATAL(fk.flows);
	fk.attached = true;
	fk.client_max = 100;
	memset(&cnt, 0, sizeof(cnt));
	env = (struct ctl_srv_env){.pbkdf2_count = 1024,
	                           .max_sessions = 4,
	                           .servwait_ms = 900000,
	                           .refwait_ms = 900000,
	                           .fp_timeout_ms = 2000,
	                           .start_time_ntp = 0xeeb34ec3eca4a05dull,
	                           .cnt = &cnt,
	                           .ops = &ops};
}

/* ---- the client side ------------------------------------------------------------------- */

struct cli {
	struct ctl_srv *s;
	struct tw_ctl_crypto *cc;
	uint8_t greeting[TW_CTL_GREETING_LEN];
	uint8_t aes[16], hmac[32];
	uint64_t now;
};

static void peer_v4(struct ctl_peer *p)
{
	memset(p, 0, sizeof(*p));
	struct sockaddr_in *l = (struct sockaddr_in *)&p->local,
	                   *r = (struct sockaddr_in *)&p->remote;
	l->sin_family = r->sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &l->sin_addr);
	inet_pton(AF_INET, "127.0.0.2", &r->sin_addr);
	l->sin_port = htons(862);
	r->sin_port = htons(40000);
}

/* Take the next queued server message; it must be exactly len octets. */
static bool take(struct cli *c, uint8_t *buf, size_t len)
{
	const uint8_t *p;
	size_t n;

	if (!ctl_srv_out(c->s, &p, &n) || n != len)
		return false;
	memcpy(buf, p, len);
	ctl_srv_out_done(c->s, n);
	if (c->cc)
		return tw_ctl_crypto_open(c->cc, buf, len) == TW_OK;
	return true;
}

static bool no_output(struct cli *c)
{
	const uint8_t *p;
	size_t n;
	return !ctl_srv_out(c->s, &p, &n);
}

static void feed(struct cli *c, const uint8_t *buf, size_t len)
{
	ctl_srv_input(c->s, buf, len, c->now);
}

/* Seal (modes 2/4/8) and feed a client command. */
static void send_cmd(struct cli *c, uint8_t *msg, size_t len)
{
	if (c->cc)
		CU_ASSERT_EQUAL_FATAL(tw_ctl_crypto_seal(c->cc, msg, len), TW_OK);
	feed(c, msg, len);
}

/* Connect and run the set-up with `mode`; returns the Server-Start Accept
 * (or -1 when no Server-Start came). */
static int cli_open(struct cli *c, uint32_t offered, uint32_t mode, const char *keyid,
                    const char *secret)
{
	struct ctl_peer peer;
	struct tw_ctl_greeting g;
	struct tw_ctl_setup_response r = {.mode = mode};
	uint8_t buf[TW_CTL_SETUP_RESPONSE_LEN], ssb[TW_CTL_SERVER_START_LEN];
	const uint8_t *p;
	size_t n;

	memset(c, 0, sizeof(*c));
	c->now = 1000;
	peer_v4(&peer);
	c->s = ctl_srv_new(&env, &peer, offered, c->now);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c->s);
	CU_ASSERT_FATAL(ctl_srv_out(c->s, &p, &n) && n == TW_CTL_GREETING_LEN);
	memcpy(c->greeting, p, n);
	ctl_srv_out_done(c->s, n);
	CU_ASSERT_EQUAL_FATAL(tw_ctl_greeting_decode(c->greeting, n, &g), TW_OK);
	CU_ASSERT_EQUAL(g.modes, offered);
	CU_ASSERT_EQUAL(g.count, 1024);
	if (!offered)
		return -1;
	uint8_t civ[16];
	tw_crypto_random(civ, 16);
	tw_crypto_random(c->aes, 16);
	tw_crypto_random(c->hmac, 32);
	memcpy(r.client_iv, civ, 16);
	if ((mode & TW_CTL_MODE_BASE_MASK) != TW_CTL_MODE_OPEN) {
		uint8_t kek[16];
		memcpy(r.key_id, keyid, strlen(keyid));
		CU_ASSERT_EQUAL_FATAL(tw_kek_derive(secret, strlen(secret), g.salt, g.count, kek),
		                      TW_OK);
		CU_ASSERT_EQUAL_FATAL(tw_token_encrypt(kek, g.challenge, c->aes, c->hmac, r.token),
		                      TW_OK);
	}
	/* Bypass encode's mode validation: the test wants to send bad modes. */
	if (tw_ctl_setup_response_encode(&r, buf, sizeof(buf), NULL) != TW_OK) {
		struct tw_ctl_setup_response ok = r;
		ok.mode = TW_CTL_MODE_OPEN;
		tw_ctl_setup_response_encode(&ok, buf, sizeof(buf), NULL);
		buf[0] = (uint8_t)(mode >> 24);
		buf[1] = (uint8_t)(mode >> 16);
		buf[2] = (uint8_t)(mode >> 8);
		buf[3] = (uint8_t)mode;
	}
	/* Feed in two pieces: the server must reassemble. */
	feed(c, buf, 100);
	CU_ASSERT(no_output(c));
	feed(c, buf + 100, sizeof(buf) - 100);
	if (!ctl_srv_out(c->s, &p, &n))
		return -1;
	CU_ASSERT_EQUAL_FATAL(n, TW_CTL_SERVER_START_LEN);
	memcpy(ssb, p, n);
	ctl_srv_out_done(c->s, n);
	struct tw_ctl_server_start ss;
	CU_ASSERT_EQUAL_FATAL(tw_ctl_server_start_decode(ssb, n, &ss), TW_OK);
	if (ss.accept == 0 && (mode & TW_CTL_MODE_BASE_MASK) != TW_CTL_MODE_OPEN) {
		c->cc = tw_ctl_crypto_new(TW_CTL_CRYPTO_CLIENT, c->aes, c->hmac, civ, ss.server_iv);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c->cc);
		CU_ASSERT_EQUAL_FATAL(tw_ctl_crypto_server_start_open(c->cc, ssb, n), TW_OK);
		CU_ASSERT_EQUAL(tw_be64(ssb + 32), env.start_time_ntp);
	}
	if (ss.accept != 0) {
		static const uint8_t z[16];
		TW_ASSERT_BYTES(ssb + 32, z, 16); /* clear, zero (§2.4) */
	}
	return ss.accept;
}

static void cli_close(struct cli *c)
{
	ctl_srv_free(c->s, c->now);
	tw_ctl_crypto_free(c->cc);
}

static struct tw_ctl_request_tw_session good_req(void)
{
	struct tw_ctl_request_tw_session r = {0};
	r.sender_addr.ipvn = r.receiver_addr.ipvn = 4;
	r.sender_port = 9000;
	r.receiver_port = 20050;
	r.padding_length = 64;
	r.timeout = 3ull << 32 | 0x80000000u; /* 3.5 s */
	r.type_p = 0x2E000000u;               /* DSCP 46 */
	return r;
}

static void send_req(struct cli *c, const struct tw_ctl_request_tw_session *r)
{
	uint8_t buf[TW_CTL_REQUEST_TW_SESSION_LEN];
	if (tw_ctl_request_tw_session_encode(r, buf, sizeof(buf), NULL) != TW_OK) {
		/* encode refuses malformed requests: patch a good one instead */
		struct tw_ctl_request_tw_session g = good_req();
		tw_ctl_request_tw_session_encode(&g, buf, sizeof(buf), NULL);
		buf[1] = r->sender_addr.ipvn;
		buf[2] = r->conf_sender;
		buf[3] = r->conf_receiver;
		tw_put_be32(buf + 4, r->num_slots);
		tw_put_be32(buf + 8, r->num_packets);
		tw_put_be32(buf + 84, r->type_p);
	}
	send_cmd(c, buf, sizeof(buf));
}

/* Read an Accept-Session; returns Accept (or -1). */
static int recv_accept(struct cli *c, struct tw_ctl_accept_session *a)
{
	uint8_t buf[TW_CTL_ACCEPT_SESSION_LEN];
	struct tw_ctl_accept_session tmp;
	if (!a)
		a = &tmp;
	if (!take(c, buf, sizeof(buf)) ||
	    tw_ctl_accept_session_decode(buf, sizeof(buf), a) != TW_OK)
		return -1;
	return a->accept;
}

static void send_simple(struct cli *c, uint8_t cmd, uint32_t n)
{
	uint8_t buf[32] = {cmd};
	tw_put_be32(buf + 4, n);
	send_cmd(c, buf, sizeof(buf));
}

static int recv_start_ack(struct cli *c)
{
	uint8_t buf[TW_CTL_START_ACK_LEN];
	struct tw_ctl_start_ack a;
	if (!take(c, buf, sizeof(buf)) || tw_ctl_start_ack_decode(buf, sizeof(buf), &a) != TW_OK)
		return -1;
	return a.accept;
}

static struct rec *last_rec(void)
{
	return fk.n_rec ? &fk.rec[fk.n_rec - 1] : NULL;
}

/* Request one session and let the fake fast path ACK it; returns the Accept. */
static int accept_one(struct cli *c, const struct tw_ctl_request_tw_session *r,
                      struct tw_ctl_accept_session *a)
{
	unsigned before = fk.n_rec;
	send_req(c, r);
	if (fk.n_rec == before)
		return recv_accept(c, a); /* refused before the fast path */
	CU_ASSERT(no_output(c));          /* Accept-Session only after the ACK */
	ctl_srv_fp_reply(c->s, last_rec()->req, TW_E_OK, c->now);
	return recv_accept(c, a);
}

/* ---- full sessions in the four modes ------------------------------------------------ */

static void full_session(uint32_t mode)
{
	struct cli c;
	struct tw_ctl_accept_session a;
	struct tw_ctl_request_tw_session r = good_req();

	env_reset();
	CU_ASSERT_EQUAL_FATAL(cli_open(&c, 0x0f, mode, "alice", "testsecret"), 0);
	CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_READY);
	CU_ASSERT_EQUAL(ctl_srv_mode(c.s), mode);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_SETUP_OK], 1);

	CU_ASSERT_EQUAL_FATAL(accept_one(&c, &r, &a), 0);
	CU_ASSERT_EQUAL(a.port, 20050); /* requested port honoured */
	static const uint8_t lo[4] = {127, 0, 0, 1};
	TW_ASSERT_BYTES(a.sid, lo, 4); /* twampd-like SID (§2.9) */
	struct rec *add = &fk.rec[0];
	CU_ASSERT_EQUAL(add->type, TW_IPC_REFLECTOR_ADD);
	struct tw_ipc_reflector_add ra;
	memcpy(&ra, add->payload, sizeof(ra));
	CU_ASSERT_EQUAL(ra.sec, mode);
	CU_ASSERT_EQUAL(ra.proto, TW_IPC_PROTO_TWAMP);
	TW_ASSERT_BYTES(ra.sid, a.sid, 16);
	CU_ASSERT_EQUAL(ra.flow.local_port, 20050);
	CU_ASSERT_EQUAL(ra.flow.peer_port, 9000);
	static const uint8_t peer[4] = {127, 0, 0, 2};
	TW_ASSERT_BYTES(ra.flow.peer.addr, peer, 4); /* zero address -> control peer (§2.7) */
	TW_ASSERT_BYTES(ra.flow.local.addr, lo, 4);
	CU_ASSERT_EQUAL(ra.dscp, 46);
	CU_ASSERT_EQUAL(ra.pad.padding_len, 64);
	CU_ASSERT_EQUAL(ra.timeout_ns, 3500000000ull);
	CU_ASSERT_EQUAL(ra.refwait_ns, 900000000000ull);
	if (mode == TW_CTL_MODE_AUTH || mode == TW_CTL_MODE_ENCRYPTED) {
		uint8_t ta[16], th[32];
		tw_crypto_test_keys(a.sid, c.aes, c.hmac, ta, th);
		TW_ASSERT_BYTES(ra.keys.aes, ta, 16);
		TW_ASSERT_BYTES(ra.keys.hmac, th, 32);
		CU_ASSERT_EQUAL(ra.keys.hmac_len, 32);
	} else {
		static const uint8_t z[56];
		TW_ASSERT_BYTES(&ra.keys, z, sizeof(z));
	}

	send_simple(&c, TW_CTL_CMD_START_SESSIONS, 0);
	CU_ASSERT(no_output(&c));
	CU_ASSERT_EQUAL(last_rec()->type, TW_IPC_REFLECTOR_START);
	ctl_srv_fp_reply(c.s, last_rec()->req, TW_E_OK, c.now);
	CU_ASSERT_EQUAL(recv_start_ack(&c), 0);
	CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_TESTING);
	CU_ASSERT_EQUAL(ctl_srv_deadline(c.s), UINT64_MAX); /* SERVWAIT suspended */

	c.now += 10000;
	send_simple(&c, TW_CTL_CMD_STOP_SESSIONS, 1);
	CU_ASSERT(no_output(&c)); /* no reply to Stop-Sessions */
	CU_ASSERT_EQUAL(last_rec()->type, TW_IPC_REFLECTOR_STOP);
	CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_READY);
	CU_ASSERT_EQUAL_FATAL(fk.n_del, 1);
	CU_ASSERT_EQUAL(fk.del[0].at, c.now + 3500 + 1000); /* Timeout honoured */
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_SESSIONS_STOPPED], 1);

	/* A new round on the same connection (§1). */
	CU_ASSERT_EQUAL(accept_one(&c, &r, &a), 0);
	cli_close(&c);
	CU_ASSERT_EQUAL(fk.n_del, 2); /* closing releases the rest */
	CU_ASSERT_EQUAL(fk.client_sessions, 0);
}

static void test_full_open(void)
{
	full_session(TW_CTL_MODE_OPEN);
}
static void test_full_auth(void)
{
	full_session(TW_CTL_MODE_AUTH);
}
static void test_full_encrypted(void)
{
	full_session(TW_CTL_MODE_ENCRYPTED);
}
static void test_full_mixed(void)
{
	full_session(TW_CTL_MODE_MIXED);
}

/* ---- set-up refusals -------------------------------------------------------------------- */

static void test_setup_table(void)
{
	static const struct {
		const char *what;
		uint32_t offered, mode;
		const char *keyid, *secret;
		int accept; /* -1: no Server-Start */
		enum ctl_cnt cnt;
	} t[] = {
	    {"mode 0: client declines", 0x0f, 0, "", "", -1, CTL_CNT_SETUP_MODE_ZERO},
	    {"unoffered mode (twampd accepts, §11.1)", 0x04, 1, "", "", 3, CTL_CNT_SETUP_MODE},
	    {"two base modes", 0x0f, 3, "", "", 3, CTL_CNT_SETUP_MODE},
	    {"feature bit not offered", 0x01, 0x11, "", "", 3, CTL_CNT_SETUP_MODE},
	    {"unassigned bit", 0x0f, 0x401, "", "", 3, CTL_CNT_SETUP_MODE},
	    {"unknown KeyID", 0x0f, 2, "mallory", "testsecret", 1, CTL_CNT_SETUP_KEYID},
	    {"wrong secret", 0x0f, 4, "alice", "wrongsecret", 1, CTL_CNT_SETUP_CHALLENGE},
	    {"feature bit offered", 0x11, 0x11, "", "", 0, CTL_CNT_SETUP_OK},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cli c;
		env_reset();
		int acc = cli_open(&c, t[i].offered, t[i].mode, t[i].keyid, t[i].secret);
		if (acc != t[i].accept)
			printf("\n  %s: Accept %d, want %d\n", t[i].what, acc, t[i].accept);
		CU_ASSERT_EQUAL(acc, t[i].accept);
		CU_ASSERT_EQUAL(cnt.c[t[i].cnt], 1);
		CU_ASSERT_EQUAL(ctl_srv_state(c.s),
		                t[i].accept == 0 ? CTL_SRV_READY : CTL_SRV_CLOSED);
		CU_ASSERT(no_output(&c));
		if (t[i].accept != 0)
			CU_ASSERT(ctl_srv_done(c.s));
		cli_close(&c);
	}
}

/* RFC 7750 §3 (Modes bit 8 = 256) and RFC 8186 §2 (bit 9 = 512): the
 * greeting's Modes octets 12..15, and what each negotiated feature turns
 * into on the session's REFLECTOR_ADD. */
static void test_dscp_ecn_ptp_modes(void)
{
	static const struct {
		uint32_t offered, mode;
		uint8_t modes_wire[4];
		uint16_t flags;
	} t[] = {
	    {0x301, 0x001, {0x00, 0x00, 0x03, 0x01}, 0},
	    {0x301, 0x101, {0x00, 0x00, 0x03, 0x01}, TW_IPC_SF_DSCP_ECN},
	    {0x301, 0x201, {0x00, 0x00, 0x03, 0x01}, TW_IPC_SF_PTP_TS},
	    {0x301, 0x301, {0x00, 0x00, 0x03, 0x01}, TW_IPC_SF_DSCP_ECN | TW_IPC_SF_PTP_TS},
	    {0x10f, 0x104, {0x00, 0x00, 0x01, 0x0f}, TW_IPC_SF_DSCP_ECN},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct cli c;
		struct tw_ctl_accept_session a;
		struct tw_ctl_request_tw_session r = good_req();
		env_reset();
		CU_ASSERT_EQUAL_FATAL(cli_open(&c, t[i].offered, t[i].mode, "alice", "testsecret"),
		                      0);
		TW_ASSERT_BYTES(c.greeting + 12, t[i].modes_wire, 4);
		CU_ASSERT_EQUAL(ctl_srv_mode(c.s), t[i].mode);
		CU_ASSERT_EQUAL_FATAL(accept_one(&c, &r, &a), 0);
		struct tw_ipc_reflector_add ra;
		memcpy(&ra, fk.rec[0].payload, sizeof(ra));
		CU_ASSERT_EQUAL(fk.rec[0].type, TW_IPC_REFLECTOR_ADD);
		CU_ASSERT_EQUAL(ra.flags & (TW_IPC_SF_DSCP_ECN | TW_IPC_SF_PTP_TS), t[i].flags);
		cli_close(&c);
	}
	/* not offered: refused like any unoffered feature bit (§2.2) */
	struct cli c;
	env_reset();
	CU_ASSERT_EQUAL(cli_open(&c, 0x001, 0x101, "", ""), 3);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_SETUP_MODE], 1);
	cli_close(&c);
}

/*
 * RFC 9533 §4.1 Request-TW-Micro-Sessions (command 11): the 112 octets are
 * read whatever the answer, so the stream stays in step; without a member
 * link, or with a Padding Length whose packets cannot hold the IDs
 * (tw_pkt_micro_min_pad: 30 open, 0 authenticated, 3 open Symmetrical
 * Size), Accept=3 and a named counter; else REFLECTOR_ADD with
 * TW_IPC_SF_MICRO, and the next plain request is a plain session.
 */
static void test_micro_sessions(void)
{
	static const struct {
		const char *what;
		uint32_t offered, mode;
		uint16_t link;
		uint32_t padding;
		uint16_t reflect_pad;
		int accept;
		enum ctl_cnt cnt;
	} t[] = {
	    {"no member link", 0x1, 0x1, 0, 64, 0, 3, CTL_CNT_REQ_MICRO_UNSUPPORTED},
	    {"open, padding 29", 0x1, 0x1, 7, 29, 0, 3, CTL_CNT_REQ_MICRO_PADDING},
	    {"open, padding 30", 0x1, 0x1, 7, 30, 0, 0, CTL_CNT_SESSIONS_ACCEPTED},
	    {"mixed, padding 29", 0x8, 0x8, 7, 29, 0, 3, CTL_CNT_REQ_MICRO_PADDING},
	    {"auth, padding 0", 0x2, 0x2, 7, 0, 0, 0, CTL_CNT_SESSIONS_ACCEPTED},
	    {"encrypted, padding 0", 0x4, 0x4, 9, 0, 0, 0, CTL_CNT_SESSIONS_ACCEPTED},
	    {"symmetrical open, padding 2", 0x41, 0x41, 7, 2, 0, 3, CTL_CNT_REQ_MICRO_PADDING},
	    {"symmetrical open, padding 3", 0x41, 0x41, 7, 3, 0, 0, CTL_CNT_SESSIONS_ACCEPTED},
	    {"reflect octets asked", 0x21, 0x21, 7, 64, 1, 3, CTL_CNT_REQ_MICRO_PADDING},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct cli c;
		struct tw_ctl_accept_session a;
		struct tw_ctl_request_tw_session r = good_req();
		env_reset();
		fk.member_link = t[i].link;
		bool key = (t[i].mode & 0x6) != 0 || (t[i].mode & 0x8);
		CU_ASSERT_EQUAL_FATAL(cli_open(&c, t[i].offered, t[i].mode, key ? "alice" : "",
		                               key ? "testsecret" : ""),
		                      0);
		r.micro = true;
		r.padding_length = t[i].padding;
		r.padding_to_reflect = t[i].reflect_pad;
		r.octets_to_reflect = t[i].reflect_pad ? 2 : 0;
		int got = accept_one(&c, &r, &a);
		if (got != t[i].accept || cnt.c[t[i].cnt] != 1)
			printf("\n  %s: Accept %d, %s = %llu\n", t[i].what, got,
			       ctl_cnt_name(t[i].cnt), (unsigned long long)cnt.c[t[i].cnt]);
		CU_ASSERT_EQUAL(got, t[i].accept);
		CU_ASSERT_EQUAL(cnt.c[t[i].cnt], 1);
		CU_ASSERT_EQUAL(cnt.c[CTL_CNT_REQ_MICRO], 1);
		CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CMD_UNKNOWN], 0);
		if (t[i].accept == 0) {
			struct tw_ipc_reflector_add ra;
			CU_ASSERT_EQUAL_FATAL(fk.rec[0].type, TW_IPC_REFLECTOR_ADD);
			memcpy(&ra, fk.rec[0].payload, sizeof(ra));
			CU_ASSERT(ra.flags & TW_IPC_SF_MICRO);
			CU_ASSERT_EQUAL(ra.pad.padding_len, t[i].padding);
			CU_ASSERT_EQUAL(ra.proto, TW_IPC_PROTO_TWAMP);
		} else {
			CU_ASSERT_EQUAL(fk.n_rec, 0);
		}
		/* in step: a plain Request-TW-Session next is a plain session */
		fk.member_link = 7;
		struct tw_ctl_request_tw_session p = good_req();
		p.sender_port = 9001;
		unsigned before = fk.n_rec;
		CU_ASSERT_EQUAL(accept_one(&c, &p, NULL), 0);
		CU_ASSERT_EQUAL_FATAL(fk.n_rec, before + 1);
		struct tw_ipc_reflector_add rb;
		memcpy(&rb, fk.rec[before].payload, sizeof(rb));
		CU_ASSERT_EQUAL(rb.flags & TW_IPC_SF_MICRO, 0);
		CU_ASSERT(no_output(&c));
		cli_close(&c);
	}
}

/*
 * RFC 6038 padding reflection with RFC 7750 DSCP and ECN Monitoring: in the
 * open/mixed reflector packet both would start at octet 41
 * (tw_pkt_dscp_ecn_in_padding), so such a request gets Accept=3 and
 * REQ_DSCP_ECN_REFLECT; authenticated/encrypted (the octet at 81, the
 * padding at 112), Octets to be reflected alone, or either feature alone
 * are accepted.  Octets 88..91 of the request (Octets to be reflected,
 * Length of padding to reflect) are written by hand.
 */
static void test_dscp_ecn_reflect(void)
{
	static const struct {
		const char *what;
		uint32_t mode;
		uint8_t o88_91[4];
		int accept;
	} t[] = {
	    {"open, padding 8", 0x121, {0x12, 0x34, 0x00, 0x08}, 3},
	    {"open, padding 1", 0x121, {0x00, 0x00, 0x00, 0x01}, 3},
	    {"mixed, padding 8", 0x128, {0x12, 0x34, 0x00, 0x08}, 3},
	    {"open Symmetrical Size, padding 8", 0x161, {0x12, 0x34, 0x00, 0x08}, 3},
	    {"open, octets only", 0x121, {0x12, 0x34, 0x00, 0x00}, 0},
	    {"authenticated, padding 8", 0x122, {0x12, 0x34, 0x00, 0x08}, 0},
	    {"encrypted, padding 8", 0x124, {0x12, 0x34, 0x00, 0x08}, 0},
	    {"open, no DSCP and ECN", 0x021, {0x12, 0x34, 0x00, 0x08}, 0},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct cli c;
		struct tw_ctl_accept_session a;
		struct tw_ctl_request_tw_session r = good_req();
		env_reset();
		bool key = (t[i].mode & 0xe) != 0;
		CU_ASSERT_EQUAL_FATAL(cli_open(&c, 0x16f, t[i].mode, key ? "alice" : "",
		                               key ? "testsecret" : ""),
		                      0);
		uint8_t buf[TW_CTL_REQUEST_TW_SESSION_LEN];
		CU_ASSERT_EQUAL_FATAL(tw_ctl_request_tw_session_encode(&r, buf, sizeof buf, NULL),
		                      TW_OK);
		memcpy(buf + 88, t[i].o88_91, 4);
		CU_ASSERT_EQUAL_FATAL(tw_ctl_request_tw_session_decode(buf, sizeof buf, &r), TW_OK);
		CU_ASSERT_EQUAL(r.padding_to_reflect, t[i].o88_91[3]);
		int got = accept_one(&c, &r, &a);
		if (got != t[i].accept)
			printf("\n  %s: Accept %d\n", t[i].what, got);
		CU_ASSERT_EQUAL(got, t[i].accept);
		CU_ASSERT_EQUAL(cnt.c[CTL_CNT_REQ_DSCP_ECN_REFLECT], t[i].accept ? 1 : 0);
		if (t[i].accept == 0) {
			struct tw_ipc_reflector_add ra;
			CU_ASSERT_EQUAL_FATAL(fk.rec[0].type, TW_IPC_REFLECTOR_ADD);
			memcpy(&ra, fk.rec[0].payload, sizeof(ra));
			CU_ASSERT_EQUAL(ra.pad.reflect_pad_len,
			                (t[i].mode & 0x20) ? t[i].o88_91[3] : 0);
			CU_ASSERT_EQUAL(ra.pad.reflect_octets, 0x1234);
			CU_ASSERT_EQUAL(!!(ra.flags & TW_IPC_SF_DSCP_ECN), !!(t[i].mode & 0x100));
		} else {
			CU_ASSERT_EQUAL(fk.n_rec, 0);
		}
		cli_close(&c);
	}
}

static void test_greeting_modes_zero(void)
{
	struct cli c;
	env_reset();
	CU_ASSERT_EQUAL(cli_open(&c, 0, 1, "", ""), -1);
	CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_CLOSED);
	CU_ASSERT(ctl_srv_done(c.s));
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CONN_REFUSED], 1);
	cli_close(&c);
}

/* ---- §2.13 and the improved behaviours, mode 1 ------------------------------------------ */

enum reply { R_NONE, R_ACCEPT, R_START_ACK };

static void test_bad_commands(void)
{
	static const struct {
		const char *what;
		uint8_t bytes[32];
		size_t len;
		enum reply reply;
		int accept;
		bool closed;
		enum ctl_cnt cnt;
	} t[] = {
	    {"command 0", {0}, 16, R_ACCEPT, 3, false, CTL_CNT_CMD_UNKNOWN},
	    {"command 1 (OWAMP Request-Session)", {1}, 16, R_ACCEPT, 3, false, CTL_CNT_CMD_UNKNOWN},
	    {"command 4 (Fetch-Session)", {4}, 16, R_ACCEPT, 3, false, CTL_CNT_CMD_UNKNOWN},
	    {"command 6", {6}, 16, R_ACCEPT, 3, false, CTL_CNT_CMD_UNKNOWN},
	    {"command 8 (Start-N-Ack)", {8}, 16, R_ACCEPT, 3, false, CTL_CNT_CMD_UNKNOWN},
	    {"command 10 (Stop-N-Ack)", {10}, 16, R_ACCEPT, 3, false, CTL_CNT_CMD_UNKNOWN},
	    {"command 12 (unassigned)", {12}, 16, R_ACCEPT, 3, false, CTL_CNT_CMD_UNKNOWN},
	    {"command 255", {255}, 16, R_ACCEPT, 3, false, CTL_CNT_CMD_UNKNOWN},
	    {"Stop-Sessions before Start", {3}, 32, R_ACCEPT, 3, false, CTL_CNT_STOP_NOT_RUNNING},
	    {"Start-Sessions, no session",
	     {2},
	     32,
	     R_START_ACK,
	     3,
	     false,
	     CTL_CNT_START_NO_SESSIONS},
	    {"Start-N not negotiated",
	     {7, [15] = 0},
	     32,
	     R_ACCEPT,
	     3,
	     false,
	     CTL_CNT_CMD_NOT_NEGOTIATED},
	    {"Stop-N not negotiated", {9}, 32, R_ACCEPT, 3, false, CTL_CNT_CMD_NOT_NEGOTIATED},
	    {"Start-N N > 4096",
	     {7, [12] = 0, 0, 0x10, 0x01},
	     16,
	     R_NONE,
	     0,
	     true,
	     CTL_CNT_N_LENGTH},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cli c;
		env_reset();
		CU_ASSERT_EQUAL_FATAL(cli_open(&c, 1, 1, "", ""), 0);
		feed(&c, t[i].bytes, t[i].len);
		int got = -1;
		if (t[i].reply == R_ACCEPT)
			got = recv_accept(&c, NULL);
		else if (t[i].reply == R_START_ACK)
			got = recv_start_ack(&c);
		if (t[i].reply != R_NONE && got != t[i].accept)
			printf("\n  %s: Accept %d, want %d\n", t[i].what, got, t[i].accept);
		if (t[i].reply != R_NONE)
			CU_ASSERT_EQUAL(got, t[i].accept);
		CU_ASSERT(no_output(&c)); /* exactly one reply: the stream stays in step */
		CU_ASSERT_EQUAL(ctl_srv_state(c.s), t[i].closed ? CTL_SRV_CLOSED : CTL_SRV_READY);
		if (cnt.c[t[i].cnt] != 1)
			printf("\n  %s: counter %s = %llu\n", t[i].what, ctl_cnt_name(t[i].cnt),
			       (unsigned long long)cnt.c[t[i].cnt]);
		CU_ASSERT_EQUAL(cnt.c[t[i].cnt], 1);
		if (!t[i].closed) {
			/* The connection is still usable. */
			struct tw_ctl_request_tw_session r = good_req();
			CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 0);
		}
		cli_close(&c);
	}
}

static void test_bad_requests(void)
{
	static const struct {
		const char *what;
		uint8_t ipvn, conf_s, conf_r;
		uint32_t slots, packets, type_p, padding;
		int accept;
		enum ctl_cnt cnt;
	} t[] = {
	    {"IPVN 5", 5, 0, 0, 0, 0, 0, 0, 3, CTL_CNT_REQ_IPVN},
	    {"IPVN 0", 0, 0, 0, 0, 0, 0, 0, 3, CTL_CNT_REQ_IPVN},
	    {"Conf-Sender 1", 4, 1, 0, 0, 0, 0, 0, 3, CTL_CNT_REQ_FIELD},
	    {"Conf-Receiver 1", 4, 0, 1, 0, 0, 0, 0, 3, CTL_CNT_REQ_FIELD},
	    {"Slots 1", 4, 0, 0, 1, 0, 0, 0, 3, CTL_CNT_REQ_FIELD},
	    {"Packets 1", 4, 0, 0, 0, 1, 0, 0, 3, CTL_CNT_REQ_FIELD},
	    {"Type-P PHB form", 4, 0, 0, 0, 0, 0x40000000u, 0, 3, CTL_CNT_REQ_TYPEP},
	    {"Type-P low bits", 4, 0, 0, 0, 0, 0x2E000001u, 0, 3, CTL_CNT_REQ_TYPEP},
	    {"Padding 70000 (§11.2)", 4, 0, 0, 0, 0, 0, 70000, 3, CTL_CNT_REQ_PADDING},
	    {"Padding 65494 (largest + 1)", 4, 0, 0, 0, 0, 0, 65494, 3, CTL_CNT_REQ_PADDING},
	    {"IPv6 zero addresses on IPv4 control", 6, 0, 0, 0, 0, 0, 0, 3, CTL_CNT_REQ_ADDR},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cli c;
		struct tw_ctl_request_tw_session r = good_req();
		env_reset();
		CU_ASSERT_EQUAL_FATAL(cli_open(&c, 1, 1, "", ""), 0);
		r.sender_addr.ipvn = r.receiver_addr.ipvn = t[i].ipvn;
		r.conf_sender = t[i].conf_s;
		r.conf_receiver = t[i].conf_r;
		r.num_slots = t[i].slots;
		r.num_packets = t[i].packets;
		r.type_p = t[i].type_p;
		r.padding_length = t[i].padding;
		send_req(&c, &r);
		struct tw_ctl_accept_session a;
		int got = recv_accept(&c, &a);
		if (got != t[i].accept)
			printf("\n  %s: Accept %d, want %d\n", t[i].what, got, t[i].accept);
		CU_ASSERT_EQUAL(got, t[i].accept);
		CU_ASSERT_EQUAL(a.port, 0);
		CU_ASSERT_EQUAL(fk.n_rec, 0); /* nothing reached the fast path */
		CU_ASSERT_EQUAL(cnt.c[t[i].cnt], 1);
		CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_READY);
		CU_ASSERT(no_output(&c));
		cli_close(&c);
	}
	/* The largest padding that fits is accepted. */
	struct cli c;
	struct tw_ctl_request_tw_session r = good_req();
	env_reset();
	cli_open(&c, 1, 1, "", "");
	r.padding_length = 65507 - 14;
	CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 0);
	cli_close(&c);
}

/*
 * The fast path reflects no IP fragment: a Padding Length that makes the
 * sender's or the reflector's packet longer than its IP MTU gets Accept=3
 * and REQ_PADDING_MTU, the longest that fits is accepted, and an unknown
 * MTU (0) checks nothing.  IPv4 open: 20 + 8 + 14 + padding; authenticated:
 * 20 + 8 + 48 + padding, or the 112-octet reflector base if longer;
 * Symmetrical Size (RFC 6038): 41 + padding both ways.
 */
static void test_padding_mtu(void)
{
	static const struct {
		const char *what;
		uint32_t mode;
		uint16_t mtu;
		uint32_t padding;
		int accept;
	} t[] = {
	    {"open, 1500, padding 1458", 0x1, 1500, 1458, 0},
	    {"open, 1500, padding 1459", 0x1, 1500, 1459, 3},
	    {"open, unknown MTU, padding 1459", 0x1, 0, 1459, 0},
	    {"open, 9000, padding 8958", 0x1, 9000, 8958, 0},
	    {"open, 9000, padding 8959", 0x1, 9000, 8959, 3},
	    {"authenticated, 1500, padding 1424", 0x2, 1500, 1424, 0},
	    {"authenticated, 1500, padding 1425", 0x2, 1500, 1425, 3},
	    {"encrypted, 140 (the 112-octet reflector base), padding 0", 0x4, 140, 0, 0},
	    {"encrypted, 139 (the 112-octet reflector base), padding 0", 0x4, 139, 0, 3},
	    {"symmetrical open, 1500, padding 1431", 0x41, 1500, 1431, 0},
	    {"symmetrical open, 1500, padding 1432", 0x41, 1500, 1432, 3},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct cli c;
		struct tw_ctl_request_tw_session r = good_req();
		env_reset();
		fk.mtu = t[i].mtu;
		bool key = (t[i].mode & 0xe) != 0;
		CU_ASSERT_EQUAL_FATAL(
		    cli_open(&c, t[i].mode, t[i].mode, key ? "alice" : "", key ? "testsecret" : ""),
		    0);
		r.padding_length = t[i].padding;
		int got = accept_one(&c, &r, NULL);
		if (got != t[i].accept)
			printf("\n  %s: Accept %d, want %d\n", t[i].what, got, t[i].accept);
		CU_ASSERT_EQUAL(got, t[i].accept);
		CU_ASSERT_EQUAL(cnt.c[CTL_CNT_REQ_PADDING_MTU], t[i].accept ? 1 : 0);
		CU_ASSERT_EQUAL(fk.n_rec, t[i].accept ? 0 : 1);
		/* in step after a refusal: the next request is read whole */
		fk.mtu = 0;
		struct tw_ctl_request_tw_session p = good_req();
		p.sender_port = 9001;
		CU_ASSERT_EQUAL(accept_one(&c, &p, NULL), 0);
		CU_ASSERT(no_output(&c));
		cli_close(&c);
	}
}

static void test_bad_hmac(void)
{
	for (uint32_t mode = 2; mode <= 8; mode *= 2) {
		struct cli c;
		struct tw_ctl_request_tw_session r = good_req();
		uint8_t buf[TW_CTL_REQUEST_TW_SESSION_LEN];
		env_reset();
		CU_ASSERT_EQUAL_FATAL(cli_open(&c, 0x0f, mode, "alice", "testsecret"), 0);
		tw_ctl_request_tw_session_encode(&r, buf, sizeof(buf), NULL);
		tw_ctl_crypto_seal(c.cc, buf, sizeof(buf));
		buf[sizeof(buf) - 1] ^= 1; /* last ciphertext octet: the HMAC */
		feed(&c, buf, sizeof(buf));
		CU_ASSERT(no_output(&c));
		CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_CLOSED);
		CU_ASSERT_EQUAL(cnt.c[CTL_CNT_HMAC], 1);
		CU_ASSERT_EQUAL(fk.n_rec, 0);
		cli_close(&c);
	}
}

/* Encrypted modes: out-of-state known commands are consumed whole (§11.4). */
static void test_encrypted_stop_before_start(void)
{
	struct cli c;
	struct tw_ctl_request_tw_session r = good_req();
	env_reset();
	CU_ASSERT_EQUAL_FATAL(cli_open(&c, 0x0f, TW_CTL_MODE_ENCRYPTED, "alice", "testsecret"), 0);
	send_simple(&c, TW_CTL_CMD_STOP_SESSIONS, 0);
	CU_ASSERT_EQUAL(recv_accept(&c, NULL), 3); /* sealed, valid HMAC (§2.13) */
	CU_ASSERT(no_output(&c));
	CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 0);
	cli_close(&c);
}

static void test_stop_any_count(void)
{
	static const uint32_t counts[] = {0, 1, 2, 1000};
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		struct cli c;
		struct tw_ctl_request_tw_session r = good_req();
		env_reset();
		cli_open(&c, 1, 1, "", "");
		CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 0);
		send_simple(&c, TW_CTL_CMD_START_SESSIONS, 0);
		ctl_srv_fp_reply(c.s, last_rec()->req, TW_E_OK, c.now);
		CU_ASSERT_EQUAL(recv_start_ack(&c), 0);
		send_simple(&c, TW_CTL_CMD_STOP_SESSIONS, counts[i]);
		CU_ASSERT(no_output(&c));
		CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_READY);
		CU_ASSERT_EQUAL(fk.n_del, 1);
		cli_close(&c);
	}
}

static void test_timeout_capped_by_refwait(void)
{
	struct cli c;
	struct tw_ctl_request_tw_session r = good_req();
	env_reset();
	env.refwait_ms = 60000;
	cli_open(&c, 1, 1, "", "");
	r.timeout = 2000ull << 32; /* 2000 s > REFWAIT */
	CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 0);
	struct tw_ipc_reflector_add ra;
	memcpy(&ra, fk.rec[0].payload, sizeof(ra));
	CU_ASSERT_EQUAL(ra.timeout_ns, 60000000000ull);
	send_simple(&c, TW_CTL_CMD_START_SESSIONS, 0);
	ctl_srv_fp_reply(c.s, last_rec()->req, TW_E_OK, c.now);
	recv_start_ack(&c);
	send_simple(&c, TW_CTL_CMD_STOP_SESSIONS, 1);
	CU_ASSERT_EQUAL(fk.del[0].at, c.now + 60000 + 1000);
	cli_close(&c);
}

static void test_command_during_test(void)
{
	struct cli c;
	struct tw_ctl_request_tw_session r = good_req();
	env_reset();
	cli_open(&c, 1, 1, "", "");
	accept_one(&c, &r, NULL);
	send_simple(&c, TW_CTL_CMD_START_SESSIONS, 0);
	ctl_srv_fp_reply(c.s, last_rec()->req, TW_E_OK, c.now);
	recv_start_ack(&c);
	send_req(&c, &r);
	CU_ASSERT(no_output(&c));
	CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_CLOSED);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CMD_DURING_TEST], 1);
	cli_close(&c);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_SESSIONS_STOPPED], 1);
}

/* ---- the fast path ---------------------------------------------------------------------- */

static void test_fp_failures(void)
{
	struct cli c;
	struct tw_ctl_request_tw_session r = good_req();

	/* not attached */
	env_reset();
	fk.attached = false;
	cli_open(&c, 1, 1, "", "");
	send_req(&c, &r);
	CU_ASSERT_EQUAL(recv_accept(&c, NULL), 5);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_FP_UNAVAILABLE], 1);
	CU_ASSERT_EQUAL(fk.client_sessions, 0);
	cli_close(&c);

	/* NACK */
	env_reset();
	cli_open(&c, 1, 1, "", "");
	send_req(&c, &r);
	ctl_srv_fp_reply(c.s, last_rec()->req, TW_E_FIELD, c.now);
	CU_ASSERT_EQUAL(recv_accept(&c, NULL), 5);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_FP_NACK], 1);
	CU_ASSERT_EQUAL(ctl_srv_n_sessions(c.s), 0);
	cli_close(&c);

	/* no answer: Accept=5 at the deadline, never hang; late ACK ignored */
	env_reset();
	cli_open(&c, 1, 1, "", "");
	send_req(&c, &r);
	uint32_t req = last_rec()->req;
	CU_ASSERT_EQUAL(ctl_srv_deadline(c.s), c.now + 2000);
	ctl_srv_tick(c.s, c.now + 1999);
	CU_ASSERT(no_output(&c));
	ctl_srv_tick(c.s, c.now + 2000);
	CU_ASSERT_EQUAL(recv_accept(&c, NULL), 5);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_FP_TIMEOUT], 1);
	CU_ASSERT_EQUAL(fk.n_del, 1); /* in case the add lands later */
	ctl_srv_fp_reply(c.s, req, TW_E_OK, c.now);
	CU_ASSERT(no_output(&c));
	cli_close(&c);

	/* Start NACKed: Start-Ack 2 and close (§2.10) */
	env_reset();
	cli_open(&c, 1, 1, "", "");
	accept_one(&c, &r, NULL);
	send_simple(&c, TW_CTL_CMD_START_SESSIONS, 0);
	ctl_srv_fp_reply(c.s, last_rec()->req, TW_E_FULL, c.now);
	CU_ASSERT_EQUAL(recv_start_ack(&c), 2);
	CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_CLOSED);
	cli_close(&c);
}

/* §4 of issue 8: a Sender Address other than zero or the client's own is a
 * third party; refused (Accept=1) unless an allow rule opts the client in. */
static void test_third_party_sender(void)
{
	static const struct {
		const char *name;
		uint8_t addr[4];
		bool opted_in;
		int accept;
	} t[] = {
	    {"zero (= the control peer, §2.7)", {0, 0, 0, 0}, false, 0},
	    {"the control peer itself", {127, 0, 0, 2}, false, 0},
	    {"a third party", {198, 51, 100, 7}, false, 1},
	    {"a third party, another loopback", {127, 0, 0, 3}, false, 1},
	    {"a third party, client opted in", {198, 51, 100, 7}, true, 0},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cli c;
		struct tw_ctl_request_tw_session r = good_req();
		env_reset();
		fk.third_party = t[i].opted_in;
		cli_open(&c, 1, 1, "", "");
		memcpy(r.sender_addr.addr, t[i].addr, 4);
		int acc = accept_one(&c, &r, NULL);
		if (acc != t[i].accept)
			fprintf(stderr, "third party case '%s': Accept %d\n", t[i].name, acc);
		CU_ASSERT_EQUAL(acc, t[i].accept);
		CU_ASSERT_EQUAL(cnt.c[CTL_CNT_REQ_THIRD_PARTY], t[i].accept ? 1u : 0u);
		if (t[i].accept) {
			CU_ASSERT_EQUAL(fk.n_rec, 0); /* the fast path never heard of it */
			CU_ASSERT_EQUAL(fk.client_sessions, 0);
			CU_ASSERT_EQUAL(ctl_flows_count(fk.flows), 0);
		} else {
			struct tw_ipc_reflector_add ra;
			memcpy(&ra, fk.rec[0].payload, sizeof(ra));
			static const uint8_t peer[4] = {127, 0, 0, 2};
			TW_ASSERT_BYTES(ra.flow.peer.addr, t[i].addr[0] ? t[i].addr : peer, 4);
		}
		cli_close(&c);
	}
}

/* §2 of issue 8: sessions of different senders share a reflector port; the
 * requested port is honoured whenever the flow is unique. */
static void test_flows_share_ports(void)
{
	struct cli c;
	struct tw_ctl_request_tw_session r = good_req();
	struct tw_ctl_accept_session a;

	env_reset();
	env.max_sessions = 8;
	cli_open(&c, 1, 1, "", "");
	for (uint16_t sp = 9000; sp < 9004; sp++) {
		r.sender_port = sp;
		CU_ASSERT_EQUAL(accept_one(&c, &r, &a), 0);
		CU_ASSERT_EQUAL(a.port, 20050); /* every flow unique: as asked */
	}
	CU_ASSERT_EQUAL(ctl_flows_ports(fk.flows), 1);
	CU_ASSERT_EQUAL(ctl_flows_count(fk.flows), 4);
	/* The same flow again: a real clash, so another port. */
	r.sender_port = 9000;
	CU_ASSERT_EQUAL(accept_one(&c, &r, &a), 0);
	CU_ASSERT(a.port != 20050 && a.port >= 20000 && a.port <= 20099);
	CU_ASSERT_EQUAL(ctl_flows_ports(fk.flows), 2);
	cli_close(&c);
	CU_ASSERT_EQUAL(ctl_flows_count(fk.flows), 0);
	CU_ASSERT_EQUAL(ctl_flows_ports(fk.flows), 0);
	CU_ASSERT_EQUAL(fk.ports_used[20050], 0);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_REQ_NO_PORT], 0);

	/* Every port of the range carries the flow: Accept=5, REQ_NO_PORT. */
	env_reset();
	env.max_sessions = 20;
	fk.port_hi = 20009;
	r.receiver_port = 20005;
	cli_open(&c, 1, 1, "", "");
	for (unsigned i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 0);
	CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 5);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_REQ_NO_PORT], 1);
	r.sender_port = 9001; /* another sender port: plenty of room */
	CU_ASSERT_EQUAL(accept_one(&c, &r, &a), 0);
	CU_ASSERT_EQUAL(a.port, 20005);
	cli_close(&c);
	CU_ASSERT_EQUAL(ctl_flows_count(fk.flows), 0);
}

/* §2 of issue 8: a stopped session keeps its flow and counts against the
 * client's quota until the fast path has deleted it. */
static void test_quota_counts_pending_deletes(void)
{
	struct cli c;
	struct tw_ctl_request_tw_session r = good_req();
	struct tw_ctl_accept_session a;

	env_reset();
	fk.client_max = 2;
	fk.defer_retire = true;
	cli_open(&c, 1, 1, "", "");
	CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 0);
	r.sender_port = 9001;
	CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 0);
	send_simple(&c, TW_CTL_CMD_START_SESSIONS, 0);
	for (unsigned i = 0; i < fk.n_rec; i++)
		if (fk.rec[i].type == TW_IPC_REFLECTOR_START)
			ctl_srv_fp_reply(c.s, fk.rec[i].req, TW_E_OK, c.now);
	CU_ASSERT_EQUAL(recv_start_ack(&c), 0);
	send_simple(&c, TW_CTL_CMD_STOP_SESSIONS, 2); /* Timeout 3.5 s: drain */
	CU_ASSERT_EQUAL(ctl_srv_n_sessions(c.s), 0);
	CU_ASSERT_EQUAL(fk.n_del, 2);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_SESSIONS_RETIRED], 2);
	/* Both still in the fast path: the quota is still used. */
	CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 5);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_REQ_CLIENT_LIMIT], 1);
	CU_ASSERT_EQUAL(ctl_flows_count(fk.flows), 2);
	/* One deleted: its quota and flow (port 20050 from 9001) are back. */
	unsigned d9001 = fk.del[0].flow.peer_port == 9001 ? 0 : 1;
	retire_done(d9001);
	CU_ASSERT_EQUAL(accept_one(&c, &r, &a), 0);
	CU_ASSERT_EQUAL(a.port, 20050);
	/* The flow 9000 -> 20050 is still taken until its delete. */
	CU_ASSERT_EQUAL(ctl_flows_count(fk.flows), 2);
	retire_done(1 - d9001);
	r.sender_port = 9000;
	fk.client_max = 3;
	CU_ASSERT_EQUAL(accept_one(&c, &r, &a), 0);
	CU_ASSERT_EQUAL(a.port, 20050); /* deleted now: as asked again */
	cli_close(&c);
	for (unsigned i = 0; i < fk.n_del; i++)
		retire_done(i);
	CU_ASSERT_EQUAL(fk.client_sessions, 0);
	CU_ASSERT_EQUAL(ctl_flows_count(fk.flows), 0);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_SESSIONS_RETIRED], 4);
}

static void test_pipelined_and_ports(void)
{
	struct cli c;
	struct tw_ctl_request_tw_session r = good_req();
	uint8_t buf[TW_CTL_REQUEST_TW_SESSION_LEN + 32] = {0};
	struct tw_ctl_accept_session a;

	env_reset();
	cli_open(&c, 1, 1, "", "");
	/* Request + Start in one segment: Start waits for the ADD's ACK. */
	r.receiver_port = 862; /* outside the range: another port is chosen */
	tw_ctl_request_tw_session_encode(&r, buf, sizeof(buf), NULL);
	buf[TW_CTL_REQUEST_TW_SESSION_LEN] = TW_CTL_CMD_START_SESSIONS;
	feed(&c, buf, sizeof(buf));
	CU_ASSERT_EQUAL(fk.n_rec, 1);
	ctl_srv_fp_reply(c.s, fk.rec[0].req, TW_E_OK, c.now);
	CU_ASSERT_EQUAL(recv_accept(&c, &a), 0);
	CU_ASSERT_EQUAL(a.port, 20000);
	CU_ASSERT_EQUAL(fk.n_rec, 2);
	CU_ASSERT_EQUAL(fk.rec[1].type, TW_IPC_REFLECTOR_START);
	cli_close(&c);
}

static void test_limits(void)
{
	struct cli c;
	struct tw_ctl_request_tw_session r = good_req();

	env_reset();
	env.max_sessions = 2;
	cli_open(&c, 1, 1, "", "");
	CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 0);
	CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 0);
	CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 4);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_REQ_SESSION_LIMIT], 1);
	cli_close(&c);

	env_reset();
	fk.client_max = 1;
	cli_open(&c, 1, 1, "", "");
	CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 0);
	CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 5);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_REQ_CLIENT_LIMIT], 1);
	cli_close(&c);
}

static void test_servwait(void)
{
	struct cli c;
	struct tw_ctl_request_tw_session r = good_req();

	env_reset();
	env.servwait_ms = 5000;
	cli_open(&c, 1, 1, "", "");
	CU_ASSERT_EQUAL(ctl_srv_deadline(c.s), c.now + 5000);
	ctl_srv_tick(c.s, c.now + 4999);
	CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_READY);
	/* suspended while the test runs */
	accept_one(&c, &r, NULL);
	send_simple(&c, TW_CTL_CMD_START_SESSIONS, 0);
	ctl_srv_fp_reply(c.s, last_rec()->req, TW_E_OK, c.now);
	recv_start_ack(&c);
	ctl_srv_tick(c.s, c.now + 100000);
	CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_TESTING);
	c.now += 100000;
	send_simple(&c, TW_CTL_CMD_STOP_SESSIONS, 1);
	ctl_srv_tick(c.s, c.now + 5000);
	CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_CLOSED);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_SERVWAIT], 1);
	cli_close(&c);
}

/* An unknown command is answered (Accept=3) but does not restart SERVWAIT:
 * one every few seconds must not hold a control slot for ever. */
static void test_servwait_unknown_command(void)
{
	struct cli c;
	uint8_t unk[16] = {12};
	struct tw_ctl_request_tw_session r = good_req();

	env_reset();
	env.servwait_ms = 5000;
	cli_open(&c, 1, 1, "", "");
	uint64_t t0 = c.now;
	for (int i = 1; i <= 4; i++) {
		c.now = t0 + 1000u * (unsigned)i;
		send_cmd(&c, unk, sizeof(unk));
		CU_ASSERT_EQUAL(recv_accept(&c, NULL), 3);
		CU_ASSERT_EQUAL(ctl_srv_deadline(c.s), t0 + 5000);
	}
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CMD_UNKNOWN], 4);
	ctl_srv_tick(c.s, t0 + 5000);
	CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_CLOSED);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_SERVWAIT], 1);
	cli_close(&c);

	/* A known command does restart it. */
	env_reset();
	env.servwait_ms = 5000;
	cli_open(&c, 1, 1, "", "");
	t0 = c.now;
	c.now = t0 + 4000;
	CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 0);
	CU_ASSERT_EQUAL(ctl_srv_deadline(c.s), t0 + 9000);
	cli_close(&c);
}

/* ---- RFC 5938 ------------------------------------------------------------------------------ */

static int recv_n_ack(struct cli *c, uint8_t cmd, uint32_t n, const uint8_t *sids)
{
	size_t len = TW_CTL_N_LEN(n);
	uint8_t buf[TW_CTL_N_LEN(4)];
	struct tw_ctl_n_sessions m;
	if (len > sizeof(buf) || !take(c, buf, len) ||
	    tw_ctl_n_sessions_decode(buf, len, cmd, &m) != TW_OK || m.num_sessions != n)
		return -1;
	if (n && memcmp(m.sids, sids, 16 * n))
		return -2;
	return m.accept;
}

static void send_n(struct cli *c, uint8_t cmd, uint32_t n, const uint8_t *sids)
{
	uint8_t buf[TW_CTL_N_LEN(4)] = {0};
	struct tw_ctl_n_sessions m = {
	    .command = cmd, .num_sessions = n, .sids = (const uint8_t(*)[16])sids};
	size_t len = TW_CTL_N_LEN(n);
	tw_ctl_n_sessions_encode(&m, buf, sizeof(buf), NULL);
	send_cmd(c, buf, len);
}

static void test_individual_sessions(void)
{
	for (uint32_t base = 1; base <= 8; base *= 2) {
		struct cli c;
		struct tw_ctl_request_tw_session r = good_req();
		struct tw_ctl_accept_session a1, a2;
		uint32_t mode = base | TW_CTL_MODE_INDIV_SESSIONS;
		env_reset();
		CU_ASSERT_EQUAL_FATAL(cli_open(&c, 0x1f, mode, "alice", "testsecret"), 0);
		CU_ASSERT_EQUAL(accept_one(&c, &r, &a1), 0);
		CU_ASSERT_EQUAL(accept_one(&c, &r, &a2), 0);
		CU_ASSERT_NOT_EQUAL(a1.port, a2.port);

		send_n(&c, TW_CTL_CMD_START_N_SESSIONS, 1, a2.sid);
		CU_ASSERT(no_output(&c));
		ctl_srv_fp_reply(c.s, last_rec()->req, TW_E_OK, c.now);
		CU_ASSERT_EQUAL(recv_n_ack(&c, TW_CTL_CMD_START_N_ACK, 1, a2.sid), 0);
		CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_TESTING);

		/* a second start of the same SID, an unknown SID, N = 0: Accept=3 */
		send_n(&c, TW_CTL_CMD_START_N_SESSIONS, 1, a2.sid);
		CU_ASSERT_EQUAL(recv_n_ack(&c, TW_CTL_CMD_START_N_ACK, 1, a2.sid), 3);
		uint8_t bogus[16] = {1, 2, 3};
		send_n(&c, TW_CTL_CMD_STOP_N_SESSIONS, 1, bogus);
		CU_ASSERT_EQUAL(recv_n_ack(&c, TW_CTL_CMD_STOP_N_ACK, 1, bogus), 3);
		send_n(&c, TW_CTL_CMD_STOP_N_SESSIONS, 0, NULL);
		CU_ASSERT_EQUAL(recv_n_ack(&c, TW_CTL_CMD_STOP_N_ACK, 0, NULL), 3);
		CU_ASSERT_EQUAL(cnt.c[CTL_CNT_N_BAD_SID], 3);

		/* a new request is allowed while a session runs (RFC 5938) */
		struct tw_ctl_accept_session a3;
		CU_ASSERT_EQUAL(accept_one(&c, &r, &a3), 0);

		send_n(&c, TW_CTL_CMD_STOP_N_SESSIONS, 1, a2.sid);
		CU_ASSERT_EQUAL(recv_n_ack(&c, TW_CTL_CMD_STOP_N_ACK, 1, a2.sid), 0);
		CU_ASSERT_EQUAL(last_rec()->type, TW_IPC_REFLECTOR_STOP);
		CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_READY);
		CU_ASSERT_EQUAL(ctl_srv_n_sessions(c.s), 2);
		cli_close(&c);
	}
}

/* ---- connection limits and review items (issue 8 §1, §7) ------------------------------- */

/* A client that trickles its Set-Up-Response one octet a second is closed
 * at setup-timeout after accept, not SERVWAIT after its last octet. */
static void test_setup_timeout(void)
{
	struct ctl_peer peer;
	const uint8_t *p;
	size_t n;
	env_reset();
	env.setup_ms = 10000;
	peer_v4(&peer);
	struct ctl_srv *s = ctl_srv_new(&env, &peer, 1, 1000);
	CU_ASSERT_FATAL(ctl_srv_out(s, &p, &n));
	ctl_srv_out_done(s, n);
	CU_ASSERT_EQUAL(ctl_srv_deadline(s), 11000);
	uint8_t one = 0;
	for (uint64_t t = 2000; t < 11000; t += 1000) {
		ctl_srv_input(s, &one, 1, t);
		ctl_srv_tick(s, t);
		CU_ASSERT_EQUAL(ctl_srv_state(s), CTL_SRV_GREETING);
		CU_ASSERT_EQUAL(ctl_srv_deadline(s), 11000); /* never re-armed by input */
	}
	ctl_srv_tick(s, 11000);
	CU_ASSERT_EQUAL(ctl_srv_state(s), CTL_SRV_CLOSED);
	CU_ASSERT(ctl_srv_done(s));
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_SETUP_TIMEOUT], 1);
	ctl_srv_free(s, 11000);
	/* After a valid Set-Up-Response the pre-authentication deadline is gone. */
	struct cli c;
	env.servwait_ms = 900000;
	CU_ASSERT_EQUAL(cli_open(&c, 1, 1, "", ""), 0);
	CU_ASSERT(!ctl_srv_unauthenticated(c.s));
	ctl_srv_tick(c.s, c.now + 20000);
	CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_READY);
	cli_close(&c);
}

/* Every session ended (REFWAIT), the client never sends Stop-Sessions: the
 * connection is closed ended-timeout later (it had no deadline at all). */
static void test_ended_timeout(void)
{
	struct cli c;
	struct tw_ctl_request_tw_session r = good_req();
	env_reset();
	env.ended_ms = 60000;
	cli_open(&c, 1, 1, "", "");
	accept_one(&c, &r, NULL);
	accept_one(&c, &r, NULL);
	send_simple(&c, TW_CTL_CMD_START_SESSIONS, 0);
	ctl_srv_fp_reply(c.s, fk.rec[fk.n_rec - 2].req, TW_E_OK, c.now);
	ctl_srv_fp_reply(c.s, last_rec()->req, TW_E_OK, c.now);
	CU_ASSERT_EQUAL(recv_start_ack(&c), 0);
	CU_ASSERT_EQUAL(ctl_srv_deadline(c.s), UINT64_MAX);
	struct tw_ipc_session_event ev = {.session = ctl_srv_session(c.s, 0)->id,
	                                  .event = TW_IPC_EV_REFWAIT_EXPIRED};
	ctl_srv_fp_event(c.s, &ev, c.now + 1000);
	CU_ASSERT_EQUAL(ctl_srv_deadline(c.s), UINT64_MAX); /* one still runs */
	ev.session = ctl_srv_session(c.s, 1)->id;
	ctl_srv_fp_event(c.s, &ev, c.now + 2000);
	CU_ASSERT_EQUAL(ctl_srv_deadline(c.s), c.now + 62000);
	ctl_srv_tick(c.s, c.now + 61999);
	CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_TESTING);
	ctl_srv_tick(c.s, c.now + 62000);
	CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_CLOSED);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_ENDED_TIMEOUT], 1);
	cli_close(&c);
	CU_ASSERT_EQUAL(fk.client_sessions, 0);
}

/* A failing random-number generator fails that connection, never a
 * predictable challenge or SID. */
static unsigned rnd_calls, rnd_fail_at;
static enum tw_err f_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	if (++rnd_calls == rnd_fail_at)
		return TW_E_CRYPTO;
	return tw_crypto_random(buf, len);
}

static void test_random_failure(void)
{
	static struct ctl_srv_ops rops;
	struct ctl_peer peer;
	const uint8_t *p;
	size_t n;

	/* 1: the challenge of the greeting */
	env_reset();
	rops = ops;
	rops.random = f_random;
	env.ops = &rops;
	rnd_calls = 0;
	rnd_fail_at = 1;
	peer_v4(&peer);
	struct ctl_srv *s = ctl_srv_new(&env, &peer, 1, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT(!ctl_srv_out(s, &p, &n)); /* no greeting at all */
	CU_ASSERT(ctl_srv_done(s));
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_RANDOM_FAILED], 1);
	ctl_srv_free(s, 1000);

	/* 3: the SID of a Request-TW-Session (challenge, salt, SID) */
	struct cli c;
	struct tw_ctl_request_tw_session r = good_req();
	rnd_calls = 0;
	rnd_fail_at = 3;
	CU_ASSERT_EQUAL(cli_open(&c, 1, 1, "", ""), 0);
	send_req(&c, &r);
	CU_ASSERT_EQUAL(fk.n_rec, 0); /* nothing reached the fast path */
	CU_ASSERT(no_output(&c));
	CU_ASSERT_EQUAL(ctl_srv_state(c.s), CTL_SRV_CLOSED);
	CU_ASSERT_EQUAL(fk.client_sessions, 0);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_RANDOM_FAILED], 2);
	cli_close(&c);
}

/* Start-N with N = 4096 (the largest message) behind more than 4096 octets
 * already consumed: the input buffer is compacted and it is answered. */
static void test_start_n_after_consumed(void)
{
	struct cli c;
	env_reset();
	CU_ASSERT_EQUAL_FATAL(cli_open(&c, 0x11, 0x11, "", ""), 0);
	size_t big = TW_CTL_N_LEN(TW_CTL_N_MAX), pre = 260 * 16;
	uint8_t *buf = calloc(1, pre + big);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	for (size_t i = 0; i < pre; i += 16)
		buf[i] = 200; /* unknown command: one block, Accept=3 */
	uint8_t sids[16] = {9};
	struct tw_ctl_n_sessions m = {.command = TW_CTL_CMD_START_N_SESSIONS,
	                              .num_sessions = TW_CTL_N_MAX};
	uint8_t(*all)[16] = calloc(TW_CTL_N_MAX, 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(all);
	for (unsigned i = 0; i < TW_CTL_N_MAX; i++)
		memcpy(all[i], sids, 16);
	m.sids = (const uint8_t(*)[16])all;
	CU_ASSERT_EQUAL_FATAL(tw_ctl_n_sessions_encode(&m, buf + pre, big, NULL), TW_OK);
	size_t off = 0, total = pre + big;
	while (off < total) {
		size_t room = ctl_srv_in_space(c.s);
		if (!room)
			break; /* stalled: the bug */
		size_t k = total - off < room ? total - off : room;
		if (off < pre + 100 && off + k > pre + 100)
			k = pre + 100 - off; /* the Start-N arrives in pieces */
		feed(&c, buf + off, k);
		off += k;
		/* the Accept-Session replies are read as they come */
		const uint8_t *p;
		size_t n;
		while (ctl_srv_out(c.s, &p, &n) && n == TW_CTL_ACCEPT_SESSION_LEN)
			ctl_srv_out_done(c.s, n);
	}
	CU_ASSERT_EQUAL(off, total);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CMD_UNKNOWN], 260);
	const uint8_t *p;
	size_t n;
	CU_ASSERT(ctl_srv_out(c.s, &p, &n) && n == TW_CTL_N_LEN(TW_CTL_N_MAX) &&
	          p[0] == TW_CTL_CMD_START_N_ACK);
	free(all);
	free(buf);
	cli_close(&c);
}

/* The output FIFO keeps order while it is pushed and drained in turns
 * (sending is O(1): a head index, no memmove of the queue per message). */
static void test_out_queue_order(void)
{
	struct cli c;
	struct tw_ctl_request_tw_session r = good_req();
	env_reset();
	env.max_sessions = 1;
	cli_open(&c, 1, 1, "", "");
	/* Alternate a refused request (Accept=4, the limit) and an unknown
	 * command (Accept=3): their replies must come out in that order. */
	CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 0);
	unsigned got = 0, bad = 0;
	for (unsigned round = 0; round < 50; round++) {
		for (unsigned i = 0; i < 40; i++) {
			if (i % 2)
				send_req(&c, &r);
			else {
				uint8_t u[16] = {200};
				feed(&c, u, sizeof(u));
			}
		}
		/* drain only part of it, partly in two send()s */
		for (unsigned i = 0; i < 30; i++) {
			const uint8_t *p;
			size_t n;
			if (!ctl_srv_out(c.s, &p, &n) || n != 48) {
				bad++;
				break;
			}
			uint8_t want = got % 2 ? 4 : 3;
			if (p[0] != want)
				bad++;
			ctl_srv_out_done(c.s, 10);
			ctl_srv_out_done(c.s, 38);
			got++;
		}
	}
	const uint8_t *p;
	size_t n;
	while (ctl_srv_out(c.s, &p, &n)) {
		if (n != 48 || p[0] != (got % 2 ? 4 : 3))
			bad++;
		ctl_srv_out_done(c.s, n);
		got++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(got, 2000);
	cli_close(&c);
}

/* A flood of unknown commands: at most one log line per second. */
static void test_unknown_flood_log(void)
{
	struct cli c;
	char path[] = "/tmp/twh-ctlsrv-log.XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	int saved = dup(2);
	env_reset();
	ctl_log_init("test", LOG_INFO, false);
	dup2(fd, 2);
	cli_open(&c, 1, 1, "", "");
	uint8_t u[16] = {200};
	for (unsigned i = 0; i < 1000; i++) {
		c.now = 5000 + i; /* 1000 commands within one second */
		feed(&c, u, sizeof(u));
	}
	c.now = 6000;
	feed(&c, u, sizeof(u));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ctl_log_init("test", LOG_ERR, false);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CMD_UNKNOWN], 1001);
	FILE *f = fdopen(fd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	rewind(f);
	char line[512];
	unsigned lines = 0;
	bool counted = false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "unknown command")) {
			lines++;
			if (strstr(line, "(999 more in the last second"))
				counted = true;
		}
	fclose(f);
	unlink(path);
	CU_ASSERT_EQUAL(lines, 2);
	CU_ASSERT(counted);
	cli_close(&c);
}

static void test_refwait_event(void)
{
	struct cli c;
	struct tw_ctl_request_tw_session r = good_req();
	env_reset();
	cli_open(&c, 1, 1, "", "");
	accept_one(&c, &r, NULL);
	send_simple(&c, TW_CTL_CMD_START_SESSIONS, 0);
	ctl_srv_fp_reply(c.s, last_rec()->req, TW_E_OK, c.now);
	recv_start_ack(&c);
	struct tw_ipc_session_event ev = {.session = ctl_srv_session(c.s, 0)->id,
	                                  .event = TW_IPC_EV_REFWAIT_EXPIRED,
	                                  .rx_pkts = 7};
	ctl_srv_fp_event(c.s, &ev, c.now);
	CU_ASSERT_EQUAL(ctl_srv_session(c.s, 0)->state, CTL_SESS_ENDED);
	CU_ASSERT_EQUAL(ctl_srv_session(c.s, 0)->rx_pkts, 7);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_FP_SESSION_ENDED], 1);
	cli_close(&c);
}

/* Issue 8 §6b: after a fast-path restart the connection's sessions are
 * programmed again: a started one with START_NOW, an accepted one without,
 * both with SEQ_RESYNC;
 * a refusal ends the session (and arms the ended-timeout). */
static void test_fp_reattached(void)
{
	struct cli c;
	struct tw_ctl_request_tw_session r = good_req();
	env_reset();
	env.ended_ms = 60000;
	struct tw_ctl_accept_session a1;
	CU_ASSERT_EQUAL_FATAL(
	    cli_open(&c, 0x1f, TW_CTL_MODE_OPEN | TW_CTL_MODE_INDIV_SESSIONS, "", ""), 0);
	CU_ASSERT_EQUAL(accept_one(&c, &r, &a1), 0);
	CU_ASSERT_EQUAL(accept_one(&c, &r, NULL), 0); /* accepted, never started */
	send_n(&c, TW_CTL_CMD_START_N_SESSIONS, 1, a1.sid);
	ctl_srv_fp_reply(c.s, last_rec()->req, TW_E_OK, c.now);
	CU_ASSERT_EQUAL(recv_n_ack(&c, TW_CTL_CMD_START_N_ACK, 1, a1.sid), 0);
	uint32_t id0 = ctl_srv_session(c.s, 0)->id, id1 = ctl_srv_session(c.s, 1)->id;

	unsigned before = fk.n_rec;
	CU_ASSERT_EQUAL(ctl_srv_fp_reattached(c.s, c.now), 2);
	CU_ASSERT_EQUAL_FATAL(fk.n_rec, before + 2);
	struct tw_ipc_reflector_add ra0, ra1;
	memcpy(&ra0, fk.rec[before].payload, sizeof(ra0));
	memcpy(&ra1, fk.rec[before + 1].payload, sizeof(ra1));
	CU_ASSERT_EQUAL(fk.rec[before].type, TW_IPC_REFLECTOR_ADD);
	CU_ASSERT_EQUAL(ra0.session, id0);
	CU_ASSERT(ra0.flags & TW_IPC_SF_START_NOW);
	CU_ASSERT_EQUAL(ra1.session, id1);
	CU_ASSERT_FALSE(ra1.flags & TW_IPC_SF_START_NOW);
	/* both number their first reply from the sender's (version 15) */
	CU_ASSERT(ra0.flags & TW_IPC_SF_SEQ_RESYNC);
	CU_ASSERT(ra1.flags & TW_IPC_SF_SEQ_RESYNC);
	CU_ASSERT(no_output(&c)); /* nothing to tell the client */

	ctl_srv_fp_reply(c.s, fk.rec[before].req, TW_E_OK, c.now);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_FP_REPROGRAMMED], 1);
	CU_ASSERT_EQUAL(ctl_srv_session(c.s, 0)->state, CTL_SESS_STARTED);
	CU_ASSERT_EQUAL(ctl_srv_deadline(c.s), UINT64_MAX);
	/* The second is refused: ended; the first still runs. */
	ctl_srv_fp_reply(c.s, fk.rec[before + 1].req, TW_E_FULL, c.now);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_FP_REPROGRAM_FAILED], 1);
	CU_ASSERT_EQUAL(ctl_srv_session(c.s, 1)->state, CTL_SESS_ENDED);
	CU_ASSERT_EQUAL(ctl_srv_deadline(c.s), UINT64_MAX);
	CU_ASSERT(no_output(&c));

	/* Another restart, with the ring full: the started one ends too and
	 * the connection gets its ended-timeout. */
	fk.attached = false;
	CU_ASSERT_EQUAL(ctl_srv_fp_reattached(c.s, c.now + 5), 0);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_FP_REPROGRAM_FAILED], 2);
	CU_ASSERT_EQUAL(ctl_srv_session(c.s, 0)->state, CTL_SESS_ENDED);
	CU_ASSERT_EQUAL(ctl_srv_deadline(c.s), c.now + 5 + 60000);
	fk.attached = true;
	cli_close(&c);
	CU_ASSERT_EQUAL(fk.client_sessions, 0);
}

int main(void)
{
	static const struct tw_unit_case full[] = {
	    {"open", test_full_open},
	    {"authenticated", test_full_auth},
	    {"encrypted", test_full_encrypted},
	    {"mixed", test_full_mixed},
	    {NULL, NULL},
	};
	static const struct tw_unit_case bad[] = {
	    {"setup_table", test_setup_table},
	    {"greeting_modes_zero", test_greeting_modes_zero},
	    {"RFC 7750 / RFC 8186 mode bits to REFLECTOR_ADD flags", test_dscp_ecn_ptp_modes},
	    {"RFC 9533 Request-TW-Micro-Sessions (command 11)", test_micro_sessions},
	    {"RFC 6038 padding reflection with RFC 7750 (octet 41)", test_dscp_ecn_reflect},
	    {"bad_commands", test_bad_commands},
	    {"bad_requests", test_bad_requests},
	    {"padding beyond the fast path's IP MTU: Accept=3", test_padding_mtu},
	    {"bad_hmac", test_bad_hmac},
	    {"encrypted_stop_before_start", test_encrypted_stop_before_start},
	    {"stop_any_count", test_stop_any_count},
	    {"timeout_capped_by_refwait", test_timeout_capped_by_refwait},
	    {"command_during_test", test_command_during_test},
	    {NULL, NULL},
	};
	static const struct tw_unit_case more[] = {
	    {"fp_failures", test_fp_failures},
	    {"pipelined_and_ports", test_pipelined_and_ports},
	    {"third_party_sender", test_third_party_sender},
	    {"flows_share_ports", test_flows_share_ports},
	    {"quota_counts_pending_deletes", test_quota_counts_pending_deletes},
	    {"limits", test_limits},
	    {"servwait", test_servwait},
	    {"servwait: unknown commands do not restart it", test_servwait_unknown_command},
	    {"individual_sessions", test_individual_sessions},
	    {"refwait_event", test_refwait_event},
	    {"fp_reattached", test_fp_reattached},
	    {NULL, NULL},
	};
	static const struct tw_unit_case hostile[] = {
	    {"setup_timeout", test_setup_timeout},
	    {"ended_timeout", test_ended_timeout},
	    {"random_failure", test_random_failure},
	    {"start_n_after_consumed", test_start_n_after_consumed},
	    {"out_queue_order", test_out_queue_order},
	    {"unknown_flood_log", test_unknown_flood_log},
	    {NULL, NULL},
	};
	ctl_log_init("test", LOG_ERR, false);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	tw_unit_suite("full_session", full);
	tw_unit_suite("bad_input", bad);
	tw_unit_suite("fsm", more);
	tw_unit_suite("hostile", hostile);
	return tw_unit_run("ctl_server");
}
