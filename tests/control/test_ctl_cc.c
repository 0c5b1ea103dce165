/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_cc (twinhopd's own Control-Clients) over a socketpair: ops->connect
 * hands out one end, the test plays the TWAMP-Control Server on the other
 * with messages built from lib/tw_ctl + lib/tw_crypto (server role), and a
 * real ctl_loop dispatches.  Checks the whole flow in open and
 * authenticated mode (the senders get the SID, the Accept-Session Port and
 * the test keys of spec §3.5), Stop-Sessions on delete and when every
 * sender ended, and each failure: its counter, its message, the retry and
 * the doubling backoff; and the bounds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl_cc.h"
#include "ctl_loop.h"
#include "ctl_server.h"
#include "tw_crypto.h"
#include "tw_ctl.h"
#include "tw_unit.h"

#define SECRET "testsecret"

/* ---- fake daemon (ops) ------------------------------------------------------------------ */

struct fake {
	int srv_fd;        /* the server's end of the last connection */
	int connect_errno; /* != 0: connect fails with it */
	unsigned connects;
	unsigned adds, dels;
	bool add_fails;
	struct tw_ipc_sender_add sa[8];
	char name[8][CTL_CC_NAME_MAX], group[8][CTL_CC_NAME_MAX];
	uint32_t del[8];
	bool ended;
	uint32_t next_session;
};

static struct fake F;

static int op_connect(void *ctx, const struct sockaddr_storage *server)
{
	(void)ctx;
	(void)server;
	F.connects++;
	if (F.connect_errno) {
		errno = F.connect_errno;
		return -1;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		return -1;
	if (F.srv_fd >= 0)
		close(F.srv_fd);
	F.srv_fd = sv[1];
	return sv[0];
}

static bool op_key_lookup(void *ctx, const char *key_id, const uint8_t **secret, size_t *len)
{
	(void)ctx;
	if (strcmp(key_id, "alice"))
		return false;
	*secret = (const uint8_t *)SECRET;
	*len = strlen(SECRET);
	return true;
}

static bool op_sender_add(void *ctx, const char *name, const char *group,
                          struct tw_ipc_sender_add *sa)
{
	(void)ctx;
	if (F.add_fails)
		return false;
	sa->session = ++F.next_session;
	if (F.adds < 8) {
		F.sa[F.adds] = *sa;
		snprintf(F.name[F.adds], CTL_CC_NAME_MAX, "%s", name);
		snprintf(F.group[F.adds], CTL_CC_NAME_MAX, "%s", group);
	}
	F.adds++;
	return true;
}

static void op_sender_del(void *ctx, uint32_t session)
{
	(void)ctx;
	if (F.dels < 8)
		F.del[F.dels] = session;
	F.dels++;
}

static bool op_sender_ended(void *ctx, uint32_t session)
{
	(void)ctx;
	(void)session;
	return F.ended;
}

static const struct ctl_cc_ops ops = {
    .connect = op_connect,
    .key_lookup = op_key_lookup,
    .sender_add = op_sender_add,
    .sender_del = op_sender_del,
    .sender_ended = op_sender_ended,
};

static struct ctl_counters cnt;
static struct ctl_loop *loop;

static struct ctl_cc *cc_new(void)
{
	memset(&F, 0, sizeof(F));
	F.srv_fd = -1;
	memset(&cnt, 0, sizeof(cnt));
	loop = ctl_loop_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(loop);
	struct ctl_cc_env env = {.ops = &ops, .ctx = NULL, .loop = loop, .cnt = &cnt};
	struct ctl_cc *cc = ctl_cc_new(&env);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cc);
	return cc;
}

static void cc_done(struct ctl_cc *cc)
{
	ctl_cc_free(cc);
	ctl_loop_free(loop);
	if (F.srv_fd >= 0)
		close(F.srv_fd);
	F.srv_fd = -1;
}

/* Dispatch whatever is ready. */
static void spin(void)
{
	for (int i = 0; i < 4; i++)
		(void)ctl_loop_wait(loop, 20);
}

static enum ctl_cc_state state0(const struct ctl_cc *cc, struct ctl_cc_info *in)
{
	CU_ASSERT_FATAL(ctl_cc_info(cc, 0, in));
	return in->state;
}

static uint32_t add_conn(struct ctl_cc *cc, const char *name, uint32_t modes, unsigned nsess)
{
	struct ctl_cc_cfg cfg = {0};
	snprintf(cfg.name, sizeof(cfg.name), "%s", name);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&cfg.server;
	s4->sin_family = AF_INET;
	s4->sin_addr.s_addr = htonl(0x0a5c0001); /* 10.92.0.1 */
	s4->sin_port = htons(862);
	cfg.local.family = 4;
	memcpy(cfg.local.addr, "\x0a\x5c\x00\x02", 4);
	cfg.modes = modes;
	if (modes != TW_CTL_MODE_OPEN)
		snprintf(cfg.key_id, sizeof(cfg.key_id), "alice");
	uint32_t id = 0;
	char err[160];
	CU_ASSERT_EQUAL_FATAL(ctl_cc_add(cc, &cfg, &id, err, sizeof(err)), 0);
	for (unsigned i = 0; i < nsess; i++) {
		struct ctl_cc_sess_cfg s = {0};
		snprintf(s.name, sizeof(s.name), "%s-s%u", name, i);
		s.local_port = (uint16_t)(50001 + i);
		s.padding = 41;
		s.dscp = 46;
		s.interval_ns = 10000000;
		s.count = 100;
		s.loss_timeout_ns = 2000000000;
		CU_ASSERT_EQUAL_FATAL(ctl_cc_sess_add(cc, id, &s, err, sizeof(err)), 0);
	}
	return id;
}

/* ---- the fake server on the other end -------------------------------------------------- */

struct fsrv {
	uint32_t offered;
	uint8_t salt[16], challenge[16], aes[16], hmac[32], client_iv[16], server_iv[16];
	bool secure;
	struct tw_ctl_crypto *cr;
};

static void srv_send(struct fsrv *s, uint8_t *buf, size_t len, bool seal)
{
	if (seal && s->secure)
		CU_ASSERT_EQUAL_FATAL(tw_ctl_crypto_seal(s->cr, buf, len), TW_OK);
	CU_ASSERT_EQUAL_FATAL(write(F.srv_fd, buf, len), (ssize_t)len);
	spin();
}

/* Read exactly len octets the client sent (after spinning the loop). */
static bool srv_read(uint8_t *buf, size_t len)
{
	size_t got = 0;
	for (int i = 0; i < 50 && got < len; i++) {
		ssize_t n = read(F.srv_fd, buf + got, len - got);
		if (n > 0)
			got += (size_t)n;
		else
			spin();
	}
	return got == len;
}

static void srv_greet(struct fsrv *s, uint32_t offered)
{
	memset(s, 0, sizeof(*s));
	s->offered = offered;
	memset(s->salt, 0x5a, 16);
	memset(s->challenge, 0xc3, 16);
	memset(s->server_iv, 0x11, 16);
	struct tw_ctl_greeting g = {0};
	g.modes = offered;
	g.count = 1024;
	memcpy(g.salt, s->salt, 16);
	memcpy(g.challenge, s->challenge, 16);
	uint8_t buf[TW_CTL_GREETING_LEN];
	CU_ASSERT_EQUAL_FATAL(tw_ctl_greeting_encode(&g, buf, sizeof(buf), NULL), TW_OK);
	srv_send(s, buf, sizeof(buf), false);
}

/* Set-Up-Response in, Server-Start out. */
static uint32_t srv_setup(struct fsrv *s, uint8_t accept)
{
	uint8_t buf[TW_CTL_SETUP_RESPONSE_LEN];
	CU_ASSERT_FATAL(srv_read(buf, sizeof(buf)));
	struct tw_ctl_setup_response sr;
	CU_ASSERT_EQUAL_FATAL(tw_ctl_setup_response_decode(buf, sizeof(buf), &sr), TW_OK);
	s->secure = (sr.mode & TW_CTL_MODE_BASE_MASK) != TW_CTL_MODE_OPEN;
	if (s->secure) {
		uint8_t kek[16];
		CU_ASSERT_STRING_EQUAL((const char *)sr.key_id, "alice");
		CU_ASSERT_EQUAL_FATAL(tw_kek_derive(SECRET, strlen(SECRET), s->salt, 1024, kek),
		                      TW_OK);
		memcpy(s->client_iv, sr.client_iv, 16);
		CU_ASSERT_EQUAL_FATAL(
		    tw_token_decrypt(kek, sr.token, s->challenge, s->aes, s->hmac), TW_OK);
	}
	struct tw_ctl_server_start ss = {0};
	ss.accept = accept;
	ss.start_time = 0xeeb34ec3eca4a05dull;
	if (s->secure && !accept)
		memcpy(ss.server_iv, s->server_iv, 16);
	uint8_t out[TW_CTL_SERVER_START_LEN];
	CU_ASSERT_EQUAL_FATAL(tw_ctl_server_start_encode(&ss, out, sizeof(out), NULL), TW_OK);
	if (s->secure && !accept) {
		s->cr = tw_ctl_crypto_new(TW_CTL_CRYPTO_SERVER, s->aes, s->hmac, s->client_iv,
		                          s->server_iv);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s->cr);
		CU_ASSERT_EQUAL_FATAL(tw_ctl_crypto_server_start_seal(s->cr, out, sizeof(out)),
		                      TW_OK);
	}
	srv_send(s, out, sizeof(out), false);
	return sr.mode;
}

static void srv_cmd(struct fsrv *s, uint8_t *buf, size_t len)
{
	CU_ASSERT_FATAL(srv_read(buf, len));
	if (s->secure)
		CU_ASSERT_EQUAL_FATAL(tw_ctl_crypto_open(s->cr, buf, len), TW_OK);
}

/* One Request-TW-Session in, Accept-Session out. */
static void srv_accept(struct fsrv *s, uint8_t accept, uint16_t port, uint8_t sid_byte,
                       uint16_t want_sender_port)
{
	uint8_t buf[TW_CTL_REQUEST_TW_SESSION_LEN];
	srv_cmd(s, buf, sizeof(buf));
	struct tw_ctl_request_tw_session q;
	CU_ASSERT_EQUAL_FATAL(tw_ctl_request_tw_session_decode(buf, sizeof(buf), &q), TW_OK);
	CU_ASSERT_EQUAL(q.sender_port, want_sender_port);
	CU_ASSERT_EQUAL(q.padding_length, 41);
	CU_ASSERT_EQUAL(q.type_p, 46u << 24);
	CU_ASSERT_EQUAL(q.sender_addr.ipvn, 4);
	CU_ASSERT_EQUAL(memcmp(q.sender_addr.addr, "\x0a\x5c\x00\x02", 4), 0);
	CU_ASSERT_EQUAL(q.timeout, 2ull << 32);
	struct tw_ctl_accept_session as = {0};
	as.accept = accept;
	as.port = accept ? 0 : port;
	if (!accept)
		memset(as.sid, sid_byte, 16);
	uint8_t out[TW_CTL_ACCEPT_SESSION_LEN];
	CU_ASSERT_EQUAL_FATAL(tw_ctl_accept_session_encode(&as, out, sizeof(out), NULL), TW_OK);
	srv_send(s, out, sizeof(out), true);
}

static void srv_start(struct fsrv *s, uint8_t accept)
{
	uint8_t buf[TW_CTL_START_SESSIONS_LEN];
	srv_cmd(s, buf, sizeof(buf));
	CU_ASSERT_EQUAL(buf[0], TW_CTL_CMD_START_SESSIONS);
	struct tw_ctl_start_ack sa = {0};
	sa.accept = accept;
	uint8_t out[TW_CTL_START_ACK_LEN];
	CU_ASSERT_EQUAL_FATAL(tw_ctl_start_ack_encode(&sa, out, sizeof(out), NULL), TW_OK);
	srv_send(s, out, sizeof(out), true);
}

/* Stop-Sessions in; its Number of Sessions. */
static uint32_t srv_stop(struct fsrv *s)
{
	uint8_t buf[TW_CTL_STOP_SESSIONS_LEN];
	srv_cmd(s, buf, sizeof(buf));
	struct tw_ctl_stop_sessions st;
	CU_ASSERT_EQUAL_FATAL(tw_ctl_stop_sessions_decode(buf, sizeof(buf), &st), TW_OK);
	return st.num_sessions;
}

/* Up to RUNNING with two sessions. */
static void run_to_running(struct ctl_cc *cc, uint32_t id, struct fsrv *s, uint32_t mode)
{
	struct ctl_cc_info in;
	char err[160];
	CU_ASSERT_EQUAL_FATAL(ctl_cc_start(cc, id, ctl_now_ms(), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_CONNECTING);
	spin(); /* socketpair: connected at once */
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_NEGOTIATING);
	srv_greet(s, TW_CTL_MODE_BASE_MASK);
	CU_ASSERT_EQUAL(srv_setup(s, 0), mode);
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_NEGOTIATED);
	CU_ASSERT_EQUAL(in.mode & TW_CTL_MODE_BASE_MASK, mode);
	srv_accept(s, 0, 20001, 0xa1, 50001);
	srv_accept(s, 0, 20002, 0xa2, 50002);
	CU_ASSERT_EQUAL(F.adds, 0); /* nothing is sent before Start-Ack */
	srv_start(s, 0);
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_RUNNING);
}

/* ---- tests ---------------------------------------------------------------------------- */

static void flow(uint32_t mode)
{
	struct ctl_cc *cc = cc_new();
	struct fsrv s;
	uint32_t id = add_conn(cc, "r1", mode, 2);
	run_to_running(cc, id, &s, mode);
	CU_ASSERT_EQUAL_FATAL(F.adds, 2);
	for (unsigned i = 0; i < 2; i++) {
		const struct tw_ipc_sender_add *sa = &F.sa[i];
		CU_ASSERT_EQUAL(sa->proto, TW_IPC_PROTO_TWAMP);
		CU_ASSERT_EQUAL(sa->sec,
		                mode == TW_CTL_MODE_OPEN ? TW_IPC_SEC_OPEN : TW_IPC_SEC_AUTH);
		CU_ASSERT_EQUAL(sa->sid[0], 0xa1 + i);
		CU_ASSERT_EQUAL(sa->flow.peer_port, 20001 + i); /* Accept-Session Port */
		CU_ASSERT_EQUAL(sa->flow.local_port, 50001 + i);
		CU_ASSERT_EQUAL(memcmp(sa->flow.peer.addr, "\x0a\x5c\x00\x01", 4), 0);
		CU_ASSERT_EQUAL(sa->count, 100);
		CU_ASSERT_EQUAL(sa->pad.padding_len, 41);
		CU_ASSERT(sa->flags & TW_IPC_SF_START_NOW);
		CU_ASSERT_STRING_EQUAL(F.group[i], "r1");
		if (mode == TW_CTL_MODE_AUTH) {
			uint8_t ta[16], th[32];
			CU_ASSERT_EQUAL(tw_crypto_test_keys(sa->sid, s.aes, s.hmac, ta, th), TW_OK);
			CU_ASSERT_EQUAL(memcmp(ta, sa->keys.aes, 16), 0);
			CU_ASSERT_EQUAL(memcmp(th, sa->keys.hmac, 32), 0);
			CU_ASSERT_EQUAL(sa->keys.hmac_len, 32);
		} else {
			CU_ASSERT_EQUAL(sa->keys.hmac_len, 0);
		}
	}
	CU_ASSERT_STRING_EQUAL(F.name[1], "r1-s1");
	CU_ASSERT_EQUAL(ctl_cc_owner(cc, F.sa[1].session), id);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CC_STARTED], 0);
	ctl_cc_sender_reply(cc, F.sa[0].session, true, "", ctl_now_ms());
	ctl_cc_sender_reply(cc, F.sa[1].session, true, "", ctl_now_ms());
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CC_STARTED], 1);
	/* still sending: nothing changes */
	ctl_cc_tick(cc, ctl_now_ms());
	struct ctl_cc_info in;
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_RUNNING);
	/* every sender ended: Stop-Sessions for the 2 sessions, closed, senders kept */
	F.ended = true;
	ctl_cc_tick(cc, ctl_now_ms());
	CU_ASSERT_EQUAL(srv_stop(&s), 2);
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_ENDED);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CC_STOPPED], 1);
	CU_ASSERT_EQUAL(F.dels, 0);
	CU_ASSERT_EQUAL(ctl_cc_owner(cc, F.sa[0].session), id);
	/* deleting the ended connection removes its senders */
	CU_ASSERT(ctl_cc_del(cc, id, ctl_now_ms()));
	CU_ASSERT_EQUAL(F.dels, 2);
	CU_ASSERT_EQUAL(ctl_cc_count(cc), 0);
	tw_ctl_crypto_free(s.cr);
	cc_done(cc);
}

static void test_flow_open(void)
{
	flow(TW_CTL_MODE_OPEN);
}

static void test_flow_auth(void)
{
	flow(TW_CTL_MODE_AUTH);
}

/* Delete while running: Stop-Sessions on the wire, the senders removed. */
static void test_delete_running(void)
{
	struct ctl_cc *cc = cc_new();
	struct fsrv s;
	uint32_t id = add_conn(cc, "r1", TW_CTL_MODE_OPEN, 2);
	run_to_running(cc, id, &s, TW_CTL_MODE_OPEN);
	CU_ASSERT(ctl_cc_del(cc, id, ctl_now_ms()));
	CU_ASSERT_EQUAL(srv_stop(&s), 2);
	CU_ASSERT_EQUAL(F.dels, 2);
	CU_ASSERT_EQUAL(F.del[0], F.sa[0].session);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CC_STOPPED], 1);
	CU_ASSERT_FALSE(ctl_cc_del(cc, id, ctl_now_ms()));
	cc_done(cc);
}

/* The server closes once the senders are done: ended, not a retry. */
static void test_closed_after_end(void)
{
	struct ctl_cc *cc = cc_new();
	struct fsrv s;
	struct ctl_cc_info in;
	uint32_t id = add_conn(cc, "r1", TW_CTL_MODE_OPEN, 2);
	run_to_running(cc, id, &s, TW_CTL_MODE_OPEN);
	ctl_cc_sender_reply(cc, F.sa[0].session, true, "", ctl_now_ms());
	ctl_cc_sender_reply(cc, F.sa[1].session, true, "", ctl_now_ms());
	F.ended = true;
	close(F.srv_fd);
	F.srv_fd = -1;
	spin();
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_ENDED);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CC_LOST], 0);
	CU_ASSERT_EQUAL(F.dels, 0);
	/* while they still send, the same close is a loss and a retry */
	F.ended = false;
	CU_ASSERT(ctl_cc_del(cc, id, ctl_now_ms()));
	id = add_conn(cc, "r2", TW_CTL_MODE_OPEN, 2);
	F.adds = 0;
	run_to_running(cc, id, &s, TW_CTL_MODE_OPEN);
	ctl_cc_sender_reply(cc, F.sa[0].session, true, "", ctl_now_ms());
	close(F.srv_fd);
	F.srv_fd = -1;
	spin();
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_RETRYING);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CC_LOST], 1);
	CU_ASSERT_EQUAL(F.dels, 4); /* r1's two at delete, r2's two at the failure */
	cc_done(cc);
}

/* Refusal, loss, connect failure, timeout, fast-path NACK: each its
 * counter and message; retries with 1, 2, 4 s... */
static void test_failures_retry(void)
{
	struct ctl_cc *cc = cc_new();
	struct fsrv s;
	struct ctl_cc_info in;
	char err[160];
	uint32_t id = add_conn(cc, "r1", TW_CTL_MODE_AUTH, 1);
	CU_ASSERT_EQUAL(ctl_cc_start(cc, id, ctl_now_ms(), err, sizeof(err)), 0);
	spin();
	srv_greet(&s, TW_CTL_MODE_BASE_MASK);
	uint64_t t0 = ctl_now_ms();
	srv_setup(&s, 1); /* Server-Start Accept=1: KeyID/secret refused */
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_RETRYING);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CC_REFUSED], 1);
	CU_ASSERT(in.error[0] != '\0');
	CU_ASSERT(in.retry_at >= t0 + CTL_CC_BACKOFF_MIN_MS &&
	          in.retry_at <= ctl_now_ms() + CTL_CC_BACKOFF_MIN_MS);
	/* before the deadline nothing happens; at it, a new connect */
	ctl_cc_tick(cc, in.retry_at - 1);
	CU_ASSERT_EQUAL(F.connects, 1);
	ctl_cc_tick(cc, in.retry_at);
	CU_ASSERT_EQUAL(F.connects, 2);
	spin();
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_NEGOTIATING);
	/* the server closes: CC_LOST, backoff doubled */
	close(F.srv_fd);
	F.srv_fd = -1;
	t0 = ctl_now_ms();
	spin();
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_RETRYING);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CC_LOST], 1);
	CU_ASSERT(in.retry_at >= t0 + 2 * CTL_CC_BACKOFF_MIN_MS);
	/* connect() itself fails */
	F.connect_errno = ECONNREFUSED;
	ctl_cc_tick(cc, in.retry_at);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CC_CONNECT_FAILED], 1);
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_RETRYING);
	CU_ASSERT(strstr(in.error, "refused") != NULL);
	CU_ASSERT_EQUAL(in.attempts, 3);
	/* no greeting: the answer deadline */
	F.connect_errno = 0;
	ctl_cc_tick(cc, in.retry_at);
	spin();
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_NEGOTIATING);
	ctl_cc_tick(cc, ctl_now_ms() + CTL_CC_REPLY_MS + 1000);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CC_TIMEOUT], 1);
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_RETRYING);
	/* the backoff stops at its cap */
	for (int i = 0; i < 10; i++) {
		F.connect_errno = ECONNREFUSED;
		ctl_cc_tick(cc, in.retry_at);
		CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_RETRYING);
	}
	uint64_t prev = in.retry_at;
	F.connect_errno = ECONNREFUSED;
	ctl_cc_tick(cc, prev);
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_RETRYING);
	CU_ASSERT_EQUAL(in.retry_at - prev, CTL_CC_BACKOFF_MAX_MS);
	cc_done(cc);

	/* a refused test session and a fast-path NACK */
	cc = cc_new();
	id = add_conn(cc, "r2", TW_CTL_MODE_OPEN, 1);
	CU_ASSERT_EQUAL(ctl_cc_start(cc, id, ctl_now_ms(), err, sizeof(err)), 0);
	spin();
	srv_greet(&s, TW_CTL_MODE_OPEN);
	srv_setup(&s, 0);
	srv_accept(&s, 4, 0, 0, 50001); /* Accept=4: resource limit */
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CC_SESSION_REFUSED], 1);
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_RETRYING);
	CU_ASSERT_EQUAL(F.adds, 0);
	ctl_cc_tick(cc, in.retry_at);
	spin();
	srv_greet(&s, TW_CTL_MODE_OPEN);
	srv_setup(&s, 0);
	srv_accept(&s, 0, 20001, 0xb1, 50001);
	srv_start(&s, 0);
	CU_ASSERT_EQUAL_FATAL(F.adds, 1);
	ctl_cc_sender_reply(cc, F.sa[0].session, false, "NACK ARG", ctl_now_ms());
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CC_FP_FAILED], 1);
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_RETRYING);
	CU_ASSERT(strstr(in.error, "NACK ARG") != NULL);
	/* the fast path not attached at all */
	ctl_cc_tick(cc, in.retry_at);
	spin();
	srv_greet(&s, TW_CTL_MODE_OPEN);
	srv_setup(&s, 0);
	srv_accept(&s, 0, 20001, 0xb2, 50001);
	F.add_fails = true;
	srv_start(&s, 0);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CC_FP_FAILED], 2);
	CU_ASSERT_EQUAL(state0(cc, &in), CTL_CC_RETRYING);
	CU_ASSERT_EQUAL(cnt.c[CTL_CNT_CC_STARTED], 0);
	cc_done(cc);
}

static void test_bounds(void)
{
	struct ctl_cc *cc = cc_new();
	char err[160];
	uint32_t id;
	for (unsigned i = 0; i < CTL_CC_MAX_CONN; i++) {
		char n[16];
		snprintf(n, sizeof(n), "c%u", i);
		(void)add_conn(cc, n, TW_CTL_MODE_OPEN, i ? 0 : CTL_CC_MAX_SESS);
	}
	struct ctl_cc_cfg cfg = {0};
	snprintf(cfg.name, sizeof(cfg.name), "one-more");
	cfg.server.ss_family = AF_INET;
	CU_ASSERT_EQUAL(ctl_cc_add(cc, &cfg, &id, err, sizeof(err)), -1);
	CU_ASSERT(strstr(err, "at most") != NULL);
	uint32_t c0 = ctl_cc_find(cc, "c0"), c1 = ctl_cc_find(cc, "c1");
	CU_ASSERT(c0 && c1);
	struct ctl_cc_sess_cfg s = {0};
	snprintf(s.name, sizeof(s.name), "x");
	s.local_port = 1;
	s.interval_ns = 1000000;
	s.loss_timeout_ns = 1;
	CU_ASSERT_EQUAL(ctl_cc_sess_add(cc, c0, &s, err, sizeof(err)), -1); /* 17th */
	CU_ASSERT_EQUAL(ctl_cc_sess_add(cc, c1, &s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ctl_cc_sess_add(cc, c1, &s, err, sizeof(err)), -1); /* same name */
	s.local_port = 0;
	snprintf(s.name, sizeof(s.name), "y");
	CU_ASSERT_EQUAL(ctl_cc_sess_add(cc, c1, &s, err, sizeof(err)), -1); /* no port */
	CU_ASSERT_EQUAL(ctl_cc_start(cc, ctl_cc_find(cc, "c2"), ctl_now_ms(), err, sizeof(err)),
	                -1); /* no session */
	CU_ASSERT(ctl_cc_del(cc, ctl_cc_find(cc, "c3"), ctl_now_ms()));
	/* a name once, modes beyond open need a KeyID, IP versions agree */
	CU_ASSERT_EQUAL(ctl_cc_add(cc, &cfg, &id, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ctl_cc_add(cc, &cfg, &id, err, sizeof(err)), -1);
	CU_ASSERT(ctl_cc_del(cc, id, ctl_now_ms()));
	cfg.modes = TW_CTL_MODE_AUTH;
	CU_ASSERT_EQUAL(ctl_cc_add(cc, &cfg, &id, err, sizeof(err)), -1);
	cfg.modes = TW_CTL_MODE_OPEN;
	cfg.local.family = 6;
	CU_ASSERT_EQUAL(ctl_cc_add(cc, &cfg, &id, err, sizeof(err)), -1);
	/* started: no more sessions */
	CU_ASSERT_EQUAL(ctl_cc_start(cc, c1, ctl_now_ms(), err, sizeof(err)), 0);
	snprintf(s.name, sizeof(s.name), "z");
	s.local_port = 2;
	CU_ASSERT_EQUAL(ctl_cc_sess_add(cc, c1, &s, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(ctl_cc_state_name(CTL_CC_RETRYING), "retrying");
	cc_done(cc);
}

int main(void)
{
	static const struct tw_unit_case c[] = {
	    {"flow_open", test_flow_open},
	    {"flow_auth", test_flow_auth},
	    {"delete_running", test_delete_running},
	    {"closed_after_end", test_closed_after_end},
	    {"failures_retry", test_failures_retry},
	    {"bounds", test_bounds},
	    {NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	tw_unit_suite("ctl_cc", c);
	return tw_unit_run("ctl_cc");
}
