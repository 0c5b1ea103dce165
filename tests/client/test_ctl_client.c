/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_client against crafted server bytes.  The server side is built here
 * from lib/tw_ctl + lib/tw_crypto (server role), so every mode runs the full
 * greeting -> Set-Up-Response -> Server-Start -> Request -> Accept -> Start
 * -> Stop exchange, and each failure path is driven by one altered message.
 * The mode-2 golden test replays the twping/twampd capture of wire reference
 * §3.8 byte for byte.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "tw_crypto.h"
#include "tw_ctl.h"
#include "tw_cursor.h"
#include "tw_unit.h"

#define SECRET "testsecret"

/* ---- a fake server ---------------------------------------------------------- */

struct fsrv {
	uint32_t offered;
	uint32_t count;
	uint8_t salt[16], challenge[16];
	uint8_t aes[16], hmac[32], client_iv[16], server_iv[16];
	uint32_t mode; /* what the client chose */
	uint8_t mode_wire[4]; /* Set-Up-Response octets 0..3 */
	const char *secret;
	struct tw_ctl_crypto *cc;
	bool secure;
};

static void fsrv_init(struct fsrv *s, uint32_t offered)
{
	memset(s, 0, sizeof(*s));
	s->offered = offered;
	s->count = 1024;
	s->secret = SECRET;
	memset(s->salt, 0x5a, 16);
	memset(s->challenge, 0xc3, 16);
	memset(s->server_iv, 0x11, 16);
}

static void fsrv_free(struct fsrv *s)
{
	tw_ctl_crypto_free(s->cc);
	s->cc = NULL;
}

static void default_cfg(struct ctl_client_cfg *cfg, uint32_t modes)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->modes = modes;
	snprintf(cfg->key_id, sizeof(cfg->key_id), "alice");
	memcpy(cfg->secret, SECRET, strlen(SECRET));
	cfg->secret_len = strlen(SECRET);
}

static void feed_greeting(struct fsrv *s, struct ctl_client *c)
{
	struct tw_ctl_greeting g;
	memset(&g, 0, sizeof(g));
	g.modes = s->offered;
	g.count = s->count;
	memcpy(g.salt, s->salt, 16);
	memcpy(g.challenge, s->challenge, 16);
	uint8_t buf[TW_CTL_GREETING_LEN];
	CU_ASSERT_EQUAL_FATAL(tw_ctl_greeting_encode(&g, buf, sizeof(buf), NULL), TW_OK);
	ctl_client_feed(c, buf, sizeof(buf));
}

/* Take the client's Set-Up-Response; returns true if the token checks out. */
static bool take_setup(struct fsrv *s, struct ctl_client *c)
{
	size_t n;
	const uint8_t *p = ctl_client_tx(c, &n);
	CU_ASSERT_EQUAL_FATAL(n, TW_CTL_SETUP_RESPONSE_LEN);
	struct tw_ctl_setup_response sr;
	CU_ASSERT_EQUAL_FATAL(tw_ctl_setup_response_decode(p, n, &sr), TW_OK);
	memcpy(s->mode_wire, p, 4);
	ctl_client_tx_done(c, n);
	s->mode = sr.mode;
	s->secure = (sr.mode & TW_CTL_MODE_BASE_MASK) != TW_CTL_MODE_OPEN;
	if (!s->secure)
		return true;
	CU_ASSERT_STRING_EQUAL((const char *)sr.key_id, "alice");
	uint8_t kek[16];
	CU_ASSERT_EQUAL_FATAL(tw_kek_derive(s->secret, strlen(s->secret), s->salt, s->count, kek),
	                      TW_OK);
	memcpy(s->client_iv, sr.client_iv, 16);
	return tw_token_decrypt(kek, sr.token, s->challenge, s->aes, s->hmac) == TW_OK;
}

static void feed_server_start(struct fsrv *s, struct ctl_client *c, uint8_t accept)
{
	struct tw_ctl_server_start ss;
	memset(&ss, 0, sizeof(ss));
	ss.accept = accept;
	ss.start_time = 0xeeb34ec3eca4a05dull;
	if (s->secure && accept == 0)
		memcpy(ss.server_iv, s->server_iv, 16);
	uint8_t buf[TW_CTL_SERVER_START_LEN];
	CU_ASSERT_EQUAL_FATAL(tw_ctl_server_start_encode(&ss, buf, sizeof(buf), NULL), TW_OK);
	if (accept)
		memset(buf + 32, 0, 16); /* refusals are sent in clear (§2.4) */
	if (s->secure && accept == 0) {
		s->cc = tw_ctl_crypto_new(TW_CTL_CRYPTO_SERVER, s->aes, s->hmac, s->client_iv,
		                          s->server_iv);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s->cc);
		CU_ASSERT_EQUAL_FATAL(tw_ctl_crypto_server_start_seal(s->cc, buf, sizeof(buf)),
		                      TW_OK);
	}
	ctl_client_feed(c, buf, sizeof(buf));
}

/* Take one client command of len octets, decrypt + verify it. */
static void take_cmd(struct fsrv *s, struct ctl_client *c, uint8_t *out, size_t len)
{
	size_t n;
	const uint8_t *p = ctl_client_tx(c, &n);
	CU_ASSERT_EQUAL_FATAL(n, len);
	memcpy(out, p, len);
	ctl_client_tx_done(c, n);
	if (s->secure)
		CU_ASSERT_EQUAL_FATAL(tw_ctl_crypto_open(s->cc, out, len), TW_OK);
}

static void seal_feed(struct fsrv *s, struct ctl_client *c, uint8_t *buf, size_t len)
{
	if (s->secure)
		CU_ASSERT_EQUAL_FATAL(tw_ctl_crypto_seal(s->cc, buf, len), TW_OK);
	ctl_client_feed(c, buf, len);
}

static void feed_accept(struct fsrv *s, struct ctl_client *c, uint8_t accept, uint16_t port,
                        uint8_t sid_byte)
{
	struct tw_ctl_accept_session as;
	memset(&as, 0, sizeof(as));
	as.accept = accept;
	as.port = accept ? 0 : port;
	if (!accept)
		memset(as.sid, sid_byte, 16);
	uint8_t buf[TW_CTL_ACCEPT_SESSION_LEN];
	CU_ASSERT_EQUAL_FATAL(tw_ctl_accept_session_encode(&as, buf, sizeof(buf), NULL), TW_OK);
	seal_feed(s, c, buf, sizeof(buf));
}

static void feed_start_ack(struct fsrv *s, struct ctl_client *c, uint8_t accept)
{
	struct tw_ctl_start_ack sa;
	memset(&sa, 0, sizeof(sa));
	sa.accept = accept;
	uint8_t buf[TW_CTL_START_ACK_LEN];
	CU_ASSERT_EQUAL_FATAL(tw_ctl_start_ack_encode(&sa, buf, sizeof(buf), NULL), TW_OK);
	seal_feed(s, c, buf, sizeof(buf));
}

static void default_req(struct ctl_client_req *r)
{
	memset(r, 0, sizeof(*r));
	r->ipvn = 4;
	r->sender_addr[0] = 127;
	r->sender_addr[3] = 1;
	r->receiver_addr[0] = 127;
	r->receiver_addr[3] = 1;
	r->sender_port = 40000;
	r->receiver_port = 40000;
	r->padding = 27;
	r->dscp = 46;
	r->start_time = 0xeeb34ecdde821f2aull;
	r->timeout = 2ull << 32;
}

/* Drive a client to READY against s. */
static struct ctl_client *connect_to(struct fsrv *s, const struct ctl_client_cfg *cfg)
{
	struct ctl_client *c = ctl_client_new(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	feed_greeting(s, c);
	CU_ASSERT_EQUAL_FATAL(ctl_client_state(c), CTL_CLIENT_SERVER_START);
	CU_ASSERT_FATAL(take_setup(s, c));
	feed_server_start(s, c, 0);
	CU_ASSERT_EQUAL_FATAL(ctl_client_state(c), CTL_CLIENT_READY);
	return c;
}

/* Request one session and get it accepted on port. */
static void one_session(struct fsrv *s, struct ctl_client *c, uint16_t port, uint8_t sid_byte)
{
	struct ctl_client_req r;
	default_req(&r);
	CU_ASSERT_EQUAL_FATAL(ctl_client_request(c, &r), CTL_CLIENT_E_NONE);
	uint8_t buf[TW_CTL_REQUEST_TW_SESSION_LEN];
	take_cmd(s, c, buf, sizeof(buf));
	struct tw_ctl_request_tw_session q;
	CU_ASSERT_EQUAL(tw_ctl_request_tw_session_decode(buf, sizeof(buf), &q), TW_OK);
	CU_ASSERT_EQUAL(q.sender_port, 40000);
	CU_ASSERT_EQUAL(q.padding_length, 27);
	CU_ASSERT_EQUAL(q.type_p, 0x2E000000u);
	CU_ASSERT_EQUAL(q.sender_addr.ipvn, 4);
	CU_ASSERT_EQUAL(q.timeout, 2ull << 32);
	feed_accept(s, c, 0, port, sid_byte);
}

/* ---- full flows, every mode ----------------------------------------------------- */

static void full_flow(uint32_t mode)
{
	struct fsrv s;
	struct ctl_client_cfg cfg;
	fsrv_init(&s, TW_CTL_MODE_BASE_MASK);
	default_cfg(&cfg, mode);
	struct ctl_client *c = connect_to(&s, &cfg);
	CU_ASSERT_EQUAL(s.mode, mode);
	CU_ASSERT_EQUAL(ctl_client_mode(c), mode);
	CU_ASSERT_EQUAL(ctl_client_server_start_time(c), 0xeeb34ec3eca4a05dull);
	if (mode != TW_CTL_MODE_OPEN) {
		CU_ASSERT_EQUAL(memcmp(ctl_client_aes_key(c), s.aes, 16), 0);
		CU_ASSERT_EQUAL(memcmp(ctl_client_hmac_key(c), s.hmac, 32), 0);
	}

	one_session(&s, c, 18760, 0xa1);
	one_session(&s, c, 18761, 0xa2);
	CU_ASSERT_EQUAL_FATAL(ctl_client_state(c), CTL_CLIENT_READY);
	CU_ASSERT_EQUAL_FATAL(ctl_client_nsessions(c), 2);
	const struct ctl_client_sess *cs = ctl_client_session(c, 1);
	CU_ASSERT_EQUAL(cs->port, 18761);
	CU_ASSERT_EQUAL(cs->sid[0], 0xa2);
	if (mode == TW_CTL_MODE_AUTH || mode == TW_CTL_MODE_ENCRYPTED) {
		uint8_t ta[16], th[32];
		CU_ASSERT_EQUAL(tw_crypto_test_keys(cs->sid, s.aes, s.hmac, ta, th), TW_OK);
		CU_ASSERT_EQUAL(memcmp(ta, cs->test_aes_key, 16), 0);
		CU_ASSERT_EQUAL(memcmp(th, cs->test_hmac_key, 32), 0);
	}

	CU_ASSERT_EQUAL(ctl_client_start(c), CTL_CLIENT_E_NONE);
	uint8_t buf[32];
	take_cmd(&s, c, buf, sizeof(buf));
	CU_ASSERT_EQUAL(buf[0], TW_CTL_CMD_START_SESSIONS);
	feed_start_ack(&s, c, 0);
	if (ctl_client_state(c) != CTL_CLIENT_RUNNING)
		printf("\n  %s [%s]\n", ctl_client_errmsg(c),
		       ctl_client_state_name(ctl_client_state(c)));
	CU_ASSERT_EQUAL(ctl_client_state(c), CTL_CLIENT_RUNNING);

	CU_ASSERT_EQUAL(ctl_client_stop(c, 0), CTL_CLIENT_E_NONE);
	take_cmd(&s, c, buf, sizeof(buf));
	struct tw_ctl_stop_sessions st;
	CU_ASSERT_EQUAL(tw_ctl_stop_sessions_decode(buf, sizeof(buf), &st), TW_OK);
	CU_ASSERT_EQUAL(st.num_sessions, 2); /* twampd: all accepted sessions (§2.11) */
	CU_ASSERT_EQUAL(ctl_client_state(c), CTL_CLIENT_READY);

	/* A second round on the same connection (§1). */
	one_session(&s, c, 18762, 0xa3);
	CU_ASSERT_EQUAL(ctl_client_nsessions(c), 1);
	CU_ASSERT_EQUAL(ctl_client_error(c), CTL_CLIENT_E_NONE);
	ctl_client_free(c);
	fsrv_free(&s);
}

static void test_flow_open(void)
{
	full_flow(TW_CTL_MODE_OPEN);
}
static void test_flow_auth(void)
{
	full_flow(TW_CTL_MODE_AUTH);
}
static void test_flow_enc(void)
{
	full_flow(TW_CTL_MODE_ENCRYPTED);
}
static void test_flow_mixed(void)
{
	full_flow(TW_CTL_MODE_MIXED);
}

/* twping's preference order (§2.2): strongest common mode wins. */
static void test_mode_pick(void)
{
	static const struct {
		uint32_t offered, allowed, want;
		uint32_t prefer[4]; /* RFC 8913 mode-preference-chain order */
	} tab[] = {
	    {15, 15, TW_CTL_MODE_ENCRYPTED, {0}},
	    {15, TW_CTL_MODE_OPEN | TW_CTL_MODE_AUTH, TW_CTL_MODE_AUTH, {0}},
	    {TW_CTL_MODE_OPEN | TW_CTL_MODE_MIXED, 15, TW_CTL_MODE_MIXED, {0}},
	    {TW_CTL_MODE_OPEN | TW_CTL_MODE_MIXED, TW_CTL_MODE_OPEN, TW_CTL_MODE_OPEN, {0}},
	    /* the first of the chain the server offers, not the strongest */
	    {15, 15, TW_CTL_MODE_OPEN, {TW_CTL_MODE_OPEN, TW_CTL_MODE_ENCRYPTED}},
	    {TW_CTL_MODE_AUTH | TW_CTL_MODE_MIXED, 15, TW_CTL_MODE_MIXED,
	     {TW_CTL_MODE_OPEN, TW_CTL_MODE_MIXED, TW_CTL_MODE_AUTH}},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		struct fsrv s;
		struct ctl_client_cfg cfg;
		fsrv_init(&s, tab[i].offered);
		default_cfg(&cfg, tab[i].allowed);
		memcpy(cfg.prefer, tab[i].prefer, sizeof(cfg.prefer));
		struct ctl_client *c = connect_to(&s, &cfg);
		CU_ASSERT_EQUAL(s.mode, tab[i].want);
		ctl_client_free(c);
		fsrv_free(&s);
	}
}

/* Byte-at-a-time delivery must give the same result. */
static void test_byte_by_byte(void)
{
	struct fsrv s;
	struct ctl_client_cfg cfg;
	fsrv_init(&s, TW_CTL_MODE_ENCRYPTED);
	default_cfg(&cfg, 0);
	struct ctl_client *c = ctl_client_new(&cfg);
	struct tw_ctl_greeting g;
	memset(&g, 0, sizeof(g));
	g.modes = s.offered;
	g.count = s.count;
	memcpy(g.salt, s.salt, 16);
	memcpy(g.challenge, s.challenge, 16);
	uint8_t buf[64];
	tw_ctl_greeting_encode(&g, buf, sizeof(buf), NULL);
	for (size_t i = 0; i < sizeof(buf); i++) {
		CU_ASSERT_EQUAL(ctl_client_state(c), CTL_CLIENT_GREETING);
		ctl_client_feed(c, buf + i, 1);
	}
	CU_ASSERT_EQUAL(ctl_client_state(c), CTL_CLIENT_SERVER_START);
	CU_ASSERT(take_setup(&s, c));
	feed_server_start(&s, c, 0);
	struct ctl_client_req r;
	default_req(&r);
	ctl_client_request(c, &r);
	uint8_t req[112];
	take_cmd(&s, c, req, sizeof(req));
	struct tw_ctl_accept_session as;
	memset(&as, 0, sizeof(as));
	as.port = 9999;
	uint8_t acc[48];
	tw_ctl_accept_session_encode(&as, acc, sizeof(acc), NULL);
	tw_ctl_crypto_seal(s.cc, acc, sizeof(acc));
	for (size_t i = 0; i < sizeof(acc); i++) {
		CU_ASSERT_EQUAL(ctl_client_state(c), CTL_CLIENT_ACCEPT);
		ctl_client_feed(c, acc + i, 1);
	}
	CU_ASSERT_EQUAL(ctl_client_state(c), CTL_CLIENT_READY);
	CU_ASSERT_EQUAL(ctl_client_session(c, 0)->port, 9999);
	ctl_client_free(c);
	fsrv_free(&s);
}

/* ---- wire reference §3.8: the real twping -> twampd capture, mode 2 ------------ */

struct seq_rand {
	const uint8_t *chunks[3];
	size_t lens[3];
	unsigned i;
};

static int seq_rand(void *arg, void *buf, size_t len)
{
	struct seq_rand *r = arg;
	if (r->i >= 3 || r->lens[r->i] != len)
		return -1;
	memcpy(buf, r->chunks[r->i++], len);
	return 0;
}

static void test_golden_38(void)
{
	uint8_t salt[16], chal[16], aes[16], hmac[32], civ[16], siv[16], tok[64], sswire[16];
	uint8_t req_wire32[32], acc_wire[48], tak[16], thk[32], sid[16];
	tw_unit_hex("a6a4384dfbd9a6bfa1354749b2b5b40c", salt, 16);
	tw_unit_hex("da5c95567a7e514096ffd99c14521568", chal, 16);
	tw_unit_hex("5299f308540180ad6e35e91e30362a26", aes, 16);
	tw_unit_hex("b78d4bdf27c6478dda843c1f04a5ab05ba5652ef47ca3b92f017814b71e6d673", hmac, 32);
	tw_unit_hex("8f859d156dd446c02d703b8bdea89211", civ, 16);
	tw_unit_hex("ec85ea61a51015f7b609f5fcc0f47e5e", siv, 16);
	tw_unit_hex("16f684c1f11ec98a97981af7a4ca19fa 11b0120923f255920578586fb9a42320"
	            "9a2e9acff6aaf824568f52c55340548f 2d2a2e625ee5a16e8a3e40a1c78f6690",
	            tok, 64);
	tw_unit_hex("b6e5d9ba8495d48bc9cb8d7a5212c1d9", sswire, 16);
	tw_unit_hex("2f373f4aaf3681c9eb8de4efcfa5b744 9b03e24f35dbff9403b95dbdb7462ebd", req_wire32,
	            32);
	tw_unit_hex("8ed18cf449554babab72ef5640f8876f cb8a8e66ce59ba58a853ef680efe550c "
	            "53c48df39029a0ac803c28b69d7c4526",
	            acc_wire, 48);
	tw_unit_hex("e3a095b127957df6582ae6f19bdf9eb0", tak, 16);
	tw_unit_hex("f21e2643845a451b656d6ee1ba02af59d77255ecc929fd8d738748d6c5da399e", thk, 32);
	tw_unit_hex("7f000001eeb34eccdbaa4766649584a3", sid, 16);

	struct seq_rand sr = {{aes, hmac, civ}, {16, 32, 16}, 0};
	struct ctl_client_cfg cfg;
	default_cfg(&cfg, TW_CTL_MODE_AUTH);
	cfg.rand = seq_rand;
	cfg.rand_arg = &sr;
	struct ctl_client *c = ctl_client_new(&cfg);

	struct tw_ctl_greeting g;
	memset(&g, 0, sizeof(g));
	g.modes = 15;
	g.count = 2048;
	memcpy(g.salt, salt, 16);
	memcpy(g.challenge, chal, 16);
	uint8_t buf[164];
	tw_ctl_greeting_encode(&g, buf, sizeof(buf), NULL);
	ctl_client_feed(c, buf, 64);
	size_t n;
	const uint8_t *p = ctl_client_tx(c, &n);
	CU_ASSERT_EQUAL_FATAL(n, 164);
	CU_ASSERT_EQUAL(tw_be32(p), TW_CTL_MODE_AUTH);
	CU_ASSERT_STRING_EQUAL((const char *)p + 4, "alice");
	TW_ASSERT_BYTES(p + 84, tok, 64);
	TW_ASSERT_BYTES(p + 148, civ, 16);
	ctl_client_tx_done(c, n);

	memset(buf, 0, 48);
	memcpy(buf + 16, siv, 16);
	memcpy(buf + 32, sswire, 16);
	ctl_client_feed(c, buf, 48);
	CU_ASSERT_EQUAL_FATAL(ctl_client_state(c), CTL_CLIENT_READY);
	CU_ASSERT_EQUAL(ctl_client_server_start_time(c), 0xeeb34ec3eca4a05dull);

	struct ctl_client_req r;
	default_req(&r);
	r.sender_port = r.receiver_port = 0x24f6;
	r.padding = 0x40;
	CU_ASSERT_EQUAL(ctl_client_request(c, &r), CTL_CLIENT_E_NONE);
	p = ctl_client_tx(c, &n);
	CU_ASSERT_EQUAL_FATAL(n, 112);
	TW_ASSERT_BYTES(p, req_wire32, 32);
	ctl_client_tx_done(c, n);

	ctl_client_feed(c, acc_wire, 48);
	CU_ASSERT_EQUAL_FATAL(ctl_client_state(c), CTL_CLIENT_READY);
	const struct ctl_client_sess *cs = ctl_client_session(c, 0);
	CU_ASSERT_EQUAL(cs->port, 0x4a9c);
	TW_ASSERT_BYTES(cs->sid, sid, 16);
	TW_ASSERT_BYTES(cs->test_aes_key, tak, 16);
	TW_ASSERT_BYTES(cs->test_hmac_key, thk, 32);
	ctl_client_free(c);
}

/* ---- RFC 5938 Start-N / Stop-N and feature bits ------------------------------------ */

static void feed_n_ack(struct fsrv *s, struct ctl_client *c, uint8_t cmd, uint8_t accept,
                       const uint8_t *req, size_t len)
{
	struct tw_ctl_n_sessions q;
	CU_ASSERT_EQUAL_FATAL(tw_ctl_n_sessions_decode(req, len, (uint8_t)(cmd - 1), &q), TW_OK);
	struct tw_ctl_n_sessions a = q;
	a.command = cmd;
	a.accept = accept;
	uint8_t buf[TW_CTL_N_LEN(4)];
	size_t out;
	CU_ASSERT_EQUAL_FATAL(tw_ctl_n_sessions_encode(&a, buf, sizeof(buf), &out), TW_OK);
	seal_feed(s, c, buf, out);
}

static void test_individual_sessions(void)
{
	struct fsrv s;
	struct ctl_client_cfg cfg;
	fsrv_init(&s, TW_CTL_MODE_BASE_MASK | TW_CTL_MODE_INDIV_SESSIONS);
	default_cfg(&cfg, TW_CTL_MODE_ENCRYPTED);
	cfg.features = TW_CTL_MODE_INDIV_SESSIONS | TW_CTL_MODE_REFLECT_OCTETS;
	struct ctl_client *c = connect_to(&s, &cfg);
	/* Only the offered feature bit is OR-ed in. */
	CU_ASSERT_EQUAL(s.mode, TW_CTL_MODE_ENCRYPTED | TW_CTL_MODE_INDIV_SESSIONS);
	one_session(&s, c, 2000, 1);
	one_session(&s, c, 2001, 2);
	unsigned idx[2] = {0, 1};
	CU_ASSERT_EQUAL(ctl_client_start_n(c, idx, 2), CTL_CLIENT_E_NONE);
	uint8_t buf[TW_CTL_N_LEN(2)];
	take_cmd(&s, c, buf, sizeof(buf));
	CU_ASSERT_EQUAL(buf[0], TW_CTL_CMD_START_N_SESSIONS);
	feed_n_ack(&s, c, TW_CTL_CMD_START_N_ACK, 0, buf, sizeof(buf));
	CU_ASSERT_EQUAL_FATAL(ctl_client_state(c), CTL_CLIENT_RUNNING);
	unsigned one = 1;
	CU_ASSERT_EQUAL(ctl_client_stop_n(c, &one, 1), CTL_CLIENT_E_NONE);
	uint8_t b1[TW_CTL_N_LEN(1)];
	take_cmd(&s, c, b1, sizeof(b1));
	CU_ASSERT_EQUAL(b1[0], TW_CTL_CMD_STOP_N_SESSIONS);
	feed_n_ack(&s, c, TW_CTL_CMD_STOP_N_ACK, 0, b1, sizeof(b1));
	CU_ASSERT_EQUAL(ctl_client_state(c), CTL_CLIENT_RUNNING); /* session 0 still runs */
	CU_ASSERT(ctl_client_session(c, 0)->running);
	CU_ASSERT(!ctl_client_session(c, 1)->running);
	ctl_client_free(c);
	fsrv_free(&s);

	/* Not negotiated: Start-N is refused locally, no feature bit is sent. */
	fsrv_init(&s, TW_CTL_MODE_BASE_MASK);
	c = connect_to(&s, &cfg);
	CU_ASSERT_EQUAL(s.mode, TW_CTL_MODE_ENCRYPTED);
	one_session(&s, c, 2000, 1);
	CU_ASSERT_EQUAL(ctl_client_start_n(c, idx, 1), CTL_CLIENT_E_STATE);
	ctl_client_free(c);
	fsrv_free(&s);
}

/* RFC 7750 §3 / RFC 8186 §2: the client sets bit 256 / 512 in
 * Set-Up-Response's Mode only when the greeting offered it and it was asked
 * for; perfSONAR twampd never offers them (wire ref §2.2), so it never sees
 * them.  Octets 0..3 of Set-Up-Response, by hand. */
static void test_dscp_ecn_ptp_request(void)
{
	static const struct {
		uint32_t offered, want, base;
		uint8_t wire[4];
	} t[] = {
	    {0x30f, TW_CTL_MODE_DSCP_ECN | TW_CTL_MODE_PTPV2, TW_CTL_MODE_OPEN, {0, 0, 0x03, 0x01}},
	    {0x10f, TW_CTL_MODE_DSCP_ECN | TW_CTL_MODE_PTPV2, TW_CTL_MODE_OPEN, {0, 0, 0x01, 0x01}},
	    {0x20f, TW_CTL_MODE_DSCP_ECN | TW_CTL_MODE_PTPV2, TW_CTL_MODE_ENCRYPTED, {0, 0, 0x02, 0x04}},
	    {0x30f, 0, TW_CTL_MODE_AUTH, {0, 0, 0x00, 0x02}},
	    {0x00f, TW_CTL_MODE_DSCP_ECN | TW_CTL_MODE_PTPV2, TW_CTL_MODE_MIXED, {0, 0, 0x00, 0x08}},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct fsrv s;
		struct ctl_client_cfg cfg;
		fsrv_init(&s, t[i].offered);
		default_cfg(&cfg, t[i].base);
		cfg.features = t[i].want;
		struct ctl_client *c = connect_to(&s, &cfg);
		TW_ASSERT_BYTES(s.mode_wire, t[i].wire, 4);
		CU_ASSERT_EQUAL(ctl_client_mode(c), tw_be32(t[i].wire));
		ctl_client_free(c);
		fsrv_free(&s);
	}
}

/* Strict in what we send: with Reflect Octets and DSCP and ECN Monitoring
 * both in the mode, a request for padding reflection in open/mixed mode
 * (both would start at octet 41 of the reflector packet) is refused before
 * anything is sent; Octets to be reflected alone, or the authenticated
 * mode, go out with octets 88..91 as asked. */
static void test_dscp_ecn_reflect_request(void)
{
	static const struct {
		uint32_t base;
		uint16_t octets, pad;
		enum ctl_client_err want;
		uint8_t o88_91[4];
	} t[] = {
	    {TW_CTL_MODE_OPEN, 0x1234, 8, CTL_CLIENT_E_CONFIG, {0}},
	    {TW_CTL_MODE_MIXED, 0, 1, CTL_CLIENT_E_CONFIG, {0}},
	    {TW_CTL_MODE_OPEN, 0x1234, 0, CTL_CLIENT_E_NONE, {0x12, 0x34, 0x00, 0x00}},
	    {TW_CTL_MODE_AUTH, 0x1234, 8, CTL_CLIENT_E_NONE, {0x12, 0x34, 0x00, 0x08}},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct fsrv s;
		struct ctl_client_cfg cfg;
		fsrv_init(&s, TW_CTL_MODE_BASE_MASK | TW_CTL_MODE_REFLECT_OCTETS |
		                  TW_CTL_MODE_DSCP_ECN);
		default_cfg(&cfg, t[i].base);
		cfg.features = TW_CTL_MODE_REFLECT_OCTETS | TW_CTL_MODE_DSCP_ECN;
		struct ctl_client *c = connect_to(&s, &cfg);
		CU_ASSERT_EQUAL(ctl_client_mode(c),
		                t[i].base | TW_CTL_MODE_REFLECT_OCTETS | TW_CTL_MODE_DSCP_ECN);
		struct ctl_client_req r;
		default_req(&r);
		r.octets_to_reflect = t[i].octets;
		r.padding_to_reflect = t[i].pad;
		CU_ASSERT_EQUAL(ctl_client_request(c, &r), t[i].want);
		if (t[i].want == CTL_CLIENT_E_NONE) {
			uint8_t buf[TW_CTL_REQUEST_TW_SESSION_LEN];
			take_cmd(&s, c, buf, sizeof(buf));
			CU_ASSERT_EQUAL(buf[0], TW_CTL_CMD_REQUEST_TW_SESSION);
			TW_ASSERT_BYTES(buf + 88, t[i].o88_91, 4);
		} else {
			size_t n = 1;
			ctl_client_tx(c, &n);
			CU_ASSERT_EQUAL(n, 0); /* nothing sent */
			CU_ASSERT_EQUAL(ctl_client_state(c), CTL_CLIENT_READY);
		}
		ctl_client_free(c);
		fsrv_free(&s);
	}
}

/* A server without RFC 5938 answers Start-N with Accept-Session/Accept=3. */
static void test_start_n_unsupported(void)
{
	struct fsrv s;
	struct ctl_client_cfg cfg;
	fsrv_init(&s, TW_CTL_MODE_OPEN | TW_CTL_MODE_INDIV_SESSIONS);
	default_cfg(&cfg, TW_CTL_MODE_OPEN);
	cfg.features = TW_CTL_MODE_INDIV_SESSIONS;
	struct ctl_client *c = connect_to(&s, &cfg);
	one_session(&s, c, 2000, 1);
	unsigned idx = 0;
	CU_ASSERT_EQUAL(ctl_client_start_n(c, &idx, 1), CTL_CLIENT_E_NONE);
	uint8_t buf[48];
	take_cmd(&s, c, buf, TW_CTL_N_LEN(1));
	feed_accept(&s, c, 3, 0, 0);
	CU_ASSERT_EQUAL(ctl_client_state(c), CTL_CLIENT_FAILED);
	CU_ASSERT_EQUAL(ctl_client_error(c), CTL_CLIENT_E_START_REJECTED);
	ctl_client_free(c);
	fsrv_free(&s);
}

/* ---- failure paths ---------------------------------------------------------------- */

static void test_server_start_reject(void)
{
	static const struct {
		uint32_t mode;
		uint8_t accept;
		enum ctl_client_err want;
	} tab[] = {
	    {TW_CTL_MODE_AUTH, 1, CTL_CLIENT_E_AUTH_REJECTED},
	    {TW_CTL_MODE_ENCRYPTED, 1, CTL_CLIENT_E_AUTH_REJECTED},
	    {TW_CTL_MODE_OPEN, 1, CTL_CLIENT_E_SERVER_START},
	    {TW_CTL_MODE_AUTH, 2, CTL_CLIENT_E_SERVER_START},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		struct fsrv s;
		struct ctl_client_cfg cfg;
		fsrv_init(&s, TW_CTL_MODE_BASE_MASK);
		default_cfg(&cfg, tab[i].mode);
		struct ctl_client *c = ctl_client_new(&cfg);
		feed_greeting(&s, c);
		take_setup(&s, c);
		feed_server_start(&s, c, tab[i].accept);
		CU_ASSERT_EQUAL(ctl_client_state(c), CTL_CLIENT_FAILED);
		CU_ASSERT_EQUAL(ctl_client_error(c), tab[i].want);
		CU_ASSERT_EQUAL(ctl_client_accept(c), tab[i].accept);
		CU_ASSERT(strstr(ctl_client_errmsg(c), "Accept=") != NULL);
		ctl_client_free(c);
		fsrv_free(&s);
	}
}

/* Wrong secret: the real server's token check fails; it answers Accept=1. */
static void test_wrong_key(void)
{
	struct fsrv s;
	struct ctl_client_cfg cfg;
	fsrv_init(&s, TW_CTL_MODE_AUTH);
	s.secret = "othersecret";
	default_cfg(&cfg, 0);
	struct ctl_client *c = ctl_client_new(&cfg);
	feed_greeting(&s, c);
	CU_ASSERT_FALSE(take_setup(&s, c));
	feed_server_start(&s, c, TW_CTL_ACCEPT_FAILURE);
	CU_ASSERT_EQUAL(ctl_client_error(c), CTL_CLIENT_E_AUTH_REJECTED);
	CU_ASSERT(strstr(ctl_client_errmsg(c), "alice") != NULL);
	ctl_client_free(c);
}

static void test_session_reject(void)
{
	static const uint32_t modes[] = {TW_CTL_MODE_OPEN, TW_CTL_MODE_ENCRYPTED};
	static const uint8_t accepts[] = {1, 2, 3, 4, 5};
	for (size_t m = 0; m < 2; m++) {
		for (size_t i = 0; i < sizeof(accepts); i++) {
			struct fsrv s;
			struct ctl_client_cfg cfg;
			fsrv_init(&s, TW_CTL_MODE_BASE_MASK);
			default_cfg(&cfg, modes[m]);
			struct ctl_client *c = connect_to(&s, &cfg);
			struct ctl_client_req r;
			default_req(&r);
			ctl_client_request(c, &r);
			uint8_t buf[112];
			take_cmd(&s, c, buf, sizeof(buf));
			feed_accept(&s, c, accepts[i], 0, 0);
			CU_ASSERT_EQUAL(ctl_client_error(c), CTL_CLIENT_E_SESSION_REJECTED);
			CU_ASSERT_EQUAL(ctl_client_accept(c), accepts[i]);
			ctl_client_free(c);
			fsrv_free(&s);
		}
	}
}

static void test_start_reject(void)
{
	struct fsrv s;
	struct ctl_client_cfg cfg;
	fsrv_init(&s, TW_CTL_MODE_BASE_MASK);
	default_cfg(&cfg, TW_CTL_MODE_AUTH);
	struct ctl_client *c = connect_to(&s, &cfg);
	one_session(&s, c, 5000, 7);
	ctl_client_start(c);
	uint8_t buf[32];
	take_cmd(&s, c, buf, sizeof(buf));
	feed_start_ack(&s, c, 2);
	CU_ASSERT_EQUAL(ctl_client_error(c), CTL_CLIENT_E_START_REJECTED);
	CU_ASSERT_EQUAL(ctl_client_accept(c), 2);
	ctl_client_free(c);
	fsrv_free(&s);
}

/* One flipped ciphertext bit in the HMAC block of each kind of reply. */
static void test_bad_hmac(void)
{
	for (int which = 0; which < 2; which++) {
		struct fsrv s;
		struct ctl_client_cfg cfg;
		fsrv_init(&s, TW_CTL_MODE_BASE_MASK);
		default_cfg(&cfg, which ? TW_CTL_MODE_MIXED : TW_CTL_MODE_ENCRYPTED);
		struct ctl_client *c = connect_to(&s, &cfg);
		struct ctl_client_req r;
		default_req(&r);
		ctl_client_request(c, &r);
		uint8_t buf[112];
		take_cmd(&s, c, buf, sizeof(buf));
		if (which) { /* accept OK, then a bad Start-Ack */
			feed_accept(&s, c, 0, 4000, 9);
			ctl_client_start(c);
			take_cmd(&s, c, buf, 32);
			struct tw_ctl_start_ack sa = {0};
			tw_ctl_start_ack_encode(&sa, buf, 32, NULL);
			tw_ctl_crypto_seal(s.cc, buf, 32);
			buf[20] ^= 0x01;
			ctl_client_feed(c, buf, 32);
		} else {
			struct tw_ctl_accept_session as = {0};
			as.port = 4000;
			tw_ctl_accept_session_encode(&as, buf, 48, NULL);
			tw_ctl_crypto_seal(s.cc, buf, 48);
			buf[47] ^= 0x80;
			ctl_client_feed(c, buf, 48);
		}
		CU_ASSERT_EQUAL(ctl_client_state(c), CTL_CLIENT_FAILED);
		CU_ASSERT_EQUAL(ctl_client_error(c), CTL_CLIENT_E_HMAC);
		ctl_client_free(c);
		fsrv_free(&s);
	}
}

/* Truncated replies: the driver reports EOF or its deadline. */
static void test_truncated(void)
{
	struct fsrv s;
	struct ctl_client_cfg cfg;
	uint8_t junk[64] = {0};

	/* greeting cut short, then EOF */
	fsrv_init(&s, TW_CTL_MODE_OPEN);
	default_cfg(&cfg, 0);
	struct ctl_client *c = ctl_client_new(&cfg);
	ctl_client_feed(c, junk, 40);
	ctl_client_eof(c, false);
	CU_ASSERT_EQUAL(ctl_client_error(c), CTL_CLIENT_E_CLOSED);
	CU_ASSERT(strstr(ctl_client_errmsg(c), "40 of 64") != NULL);
	ctl_client_free(c);

	/* Server-Start cut short, then the deadline */
	c = ctl_client_new(&cfg);
	feed_greeting(&s, c);
	take_setup(&s, c);
	ctl_client_feed(c, junk, 20);
	CU_ASSERT_EQUAL(ctl_client_state(c), CTL_CLIENT_SERVER_START);
	ctl_client_timeout(c);
	CU_ASSERT_EQUAL(ctl_client_error(c), CTL_CLIENT_E_TIMEOUT);
	CU_ASSERT(strstr(ctl_client_errmsg(c), "Server-Start") != NULL);
	ctl_client_free(c);

	/* Accept-Session cut to 47 octets (encrypted) then EOF */
	fsrv_init(&s, TW_CTL_MODE_ENCRYPTED);
	c = connect_to(&s, &cfg);
	struct ctl_client_req r;
	default_req(&r);
	ctl_client_request(c, &r);
	uint8_t buf[112];
	take_cmd(&s, c, buf, sizeof(buf));
	struct tw_ctl_accept_session as = {0};
	as.port = 4000;
	tw_ctl_accept_session_encode(&as, buf, 48, NULL);
	tw_ctl_crypto_seal(s.cc, buf, 48);
	ctl_client_feed(c, buf, 47);
	CU_ASSERT_EQUAL(ctl_client_state(c), CTL_CLIENT_ACCEPT);
	ctl_client_eof(c, true);
	CU_ASSERT_EQUAL(ctl_client_error(c), CTL_CLIENT_E_CLOSED);
	CU_ASSERT(strstr(ctl_client_errmsg(c), "request-tw-session") != NULL);
	ctl_client_free(c);
	fsrv_free(&s);

	/* twampd closes without Server-Start when it dislikes the mode (§2.2) */
	fsrv_init(&s, TW_CTL_MODE_OPEN);
	c = ctl_client_new(&cfg);
	feed_greeting(&s, c);
	take_setup(&s, c);
	ctl_client_eof(c, false);
	CU_ASSERT_EQUAL(ctl_client_error(c), CTL_CLIENT_E_CLOSED);
	CU_ASSERT(strstr(ctl_client_errmsg(c), "Server-Start") != NULL);
	ctl_client_free(c);
}

static void test_malformed(void)
{
	struct fsrv s;
	struct ctl_client_cfg cfg;
	default_cfg(&cfg, 0);

	/* Accept value out of range in Accept-Session (open) */
	fsrv_init(&s, TW_CTL_MODE_OPEN);
	struct ctl_client *c = connect_to(&s, &cfg);
	struct ctl_client_req r;
	default_req(&r);
	ctl_client_request(c, &r);
	uint8_t buf[112];
	take_cmd(&s, c, buf, sizeof(buf));
	memset(buf, 0, 48);
	buf[0] = 9;
	ctl_client_feed(c, buf, 48);
	CU_ASSERT_EQUAL(ctl_client_error(c), CTL_CLIENT_E_MALFORMED);
	ctl_client_free(c);

	/* Server-Start with Accept 7 */
	c = ctl_client_new(&cfg);
	feed_greeting(&s, c);
	take_setup(&s, c);
	memset(buf, 0, 48);
	buf[15] = 7;
	ctl_client_feed(c, buf, 48);
	CU_ASSERT_EQUAL(ctl_client_error(c), CTL_CLIENT_E_MALFORMED);
	ctl_client_free(c);

	/* Unsolicited octets while idle */
	c = connect_to(&s, &cfg);
	ctl_client_feed(c, buf, 16);
	CU_ASSERT_EQUAL(ctl_client_error(c), CTL_CLIENT_E_MALFORMED);
	ctl_client_free(c);

	/* Accept OK with port 0 */
	c = connect_to(&s, &cfg);
	ctl_client_request(c, &r);
	take_cmd(&s, c, buf, sizeof(buf));
	memset(buf, 0, 48);
	ctl_client_feed(c, buf, 48);
	CU_ASSERT_EQUAL(ctl_client_error(c), CTL_CLIENT_E_MALFORMED);
	ctl_client_free(c);
}

static void test_mode_refusals(void)
{
	static const struct {
		uint32_t offered, allowed;
		bool secret;
		uint32_t count;
		enum ctl_client_err want;
	} tab[] = {
	    {TW_CTL_MODE_ENCRYPTED, TW_CTL_MODE_OPEN, true, 1024, CTL_CLIENT_E_NO_COMMON_MODE},
	    {TW_CTL_MODE_OPEN, TW_CTL_MODE_AUTH | TW_CTL_MODE_ENCRYPTED, true, 1024,
	     CTL_CLIENT_E_NO_COMMON_MODE},
	    {0, 15, true, 1024, CTL_CLIENT_E_SERVER_REFUSED},
	    {TW_CTL_MODE_AUTH, 15, false, 1024, CTL_CLIENT_E_NO_SECRET},
	    {TW_CTL_MODE_AUTH, 15, true, 65536, CTL_CLIENT_E_PBKDF2_COUNT},
	    {TW_CTL_MODE_AUTH, 15, true, 0, CTL_CLIENT_E_MALFORMED},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		struct fsrv s;
		struct ctl_client_cfg cfg;
		fsrv_init(&s, tab[i].offered);
		s.count = tab[i].count;
		default_cfg(&cfg, tab[i].allowed);
		if (!tab[i].secret)
			cfg.secret_len = 0;
		struct ctl_client *c = ctl_client_new(&cfg);
		feed_greeting(&s, c);
		CU_ASSERT_EQUAL(ctl_client_state(c), CTL_CLIENT_FAILED);
		CU_ASSERT_EQUAL(ctl_client_error(c), tab[i].want);
		size_t n;
		ctl_client_tx(c, &n);
		CU_ASSERT_EQUAL(n, 0); /* nothing sent after a refusal */
		ctl_client_free(c);
	}
	/* A raised cap lets 65536 through (Cisco IOS, §2.1). */
	struct fsrv s;
	struct ctl_client_cfg cfg;
	fsrv_init(&s, TW_CTL_MODE_AUTH);
	s.count = 65536;
	default_cfg(&cfg, 0);
	cfg.pbkdf2_max = 65536;
	struct ctl_client *c = connect_to(&s, &cfg);
	ctl_client_free(c);
	fsrv_free(&s);
}

static void test_api_state(void)
{
	struct fsrv s;
	struct ctl_client_cfg cfg;
	default_cfg(&cfg, 0);
	fsrv_init(&s, TW_CTL_MODE_OPEN);
	struct ctl_client *c = ctl_client_new(&cfg);
	struct ctl_client_req r;
	default_req(&r);
	CU_ASSERT_EQUAL(ctl_client_request(c, &r), CTL_CLIENT_E_STATE);
	CU_ASSERT_EQUAL(ctl_client_start(c), CTL_CLIENT_E_STATE);
	CU_ASSERT_EQUAL(ctl_client_stop(c, 0), CTL_CLIENT_E_STATE);
	ctl_client_free(c);
	c = connect_to(&s, &cfg);
	CU_ASSERT_EQUAL(ctl_client_start(c), CTL_CLIENT_E_STATE);   /* no session yet */
	CU_ASSERT_EQUAL(ctl_client_stop(c, 0), CTL_CLIENT_E_STATE); /* §2.11 */
	r.ipvn = 5;
	CU_ASSERT_EQUAL(ctl_client_request(c, &r), CTL_CLIENT_E_CONFIG);
	CU_ASSERT_EQUAL(ctl_client_state(c), CTL_CLIENT_READY);
	ctl_client_free(c);
}

static void test_helpers(void)
{
	CU_ASSERT_EQUAL(ctl_client_parse_modes("open"), TW_CTL_MODE_OPEN);
	CU_ASSERT_EQUAL(ctl_client_parse_modes("auth,enc"),
	                TW_CTL_MODE_AUTH | TW_CTL_MODE_ENCRYPTED);
	CU_ASSERT_EQUAL(ctl_client_parse_modes("mixed,open"), TW_CTL_MODE_MIXED | TW_CTL_MODE_OPEN);
	CU_ASSERT_EQUAL(ctl_client_parse_modes("all"), 15);
	CU_ASSERT_EQUAL(ctl_client_parse_modes("bogus"), 0);
	CU_ASSERT_EQUAL(ctl_client_parse_modes("open,"), TW_CTL_MODE_OPEN);

	char path[] = "/tmp/twinhop-pfs-XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("# comment\nbob\t6f746865720a\nalice  74657374736563726574 # trailing\n", f);
	fclose(f);
	char id[81] = "alice", msg[200];
	uint8_t sec[64];
	size_t n = 0;
	CU_ASSERT_EQUAL(ctl_client_read_pfs(path, id, sec, sizeof(sec), &n, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(n, 10);
	CU_ASSERT_EQUAL(memcmp(sec, SECRET, 10), 0);
	id[0] = '\0';
	CU_ASSERT_EQUAL(ctl_client_read_pfs(path, id, sec, sizeof(sec), &n, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(id, "bob");
	snprintf(id, sizeof(id), "carol");
	CU_ASSERT_EQUAL(ctl_client_read_pfs(path, id, sec, sizeof(sec), &n, msg, sizeof(msg)), -1);
	CU_ASSERT(strstr(msg, "carol") != NULL);
	/* The whole file is checked with twinhopd's parser: a bad line anywhere
	 * fails, naming the line, even when the wanted identity is fine. */
	f = fopen(path, "a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("bad zz\n", f);
	fclose(f);
	snprintf(id, sizeof(id), "alice");
	CU_ASSERT_EQUAL(ctl_client_read_pfs(path, id, sec, sizeof(sec), &n, msg, sizeof(msg)), -1);
	CU_ASSERT(strstr(msg, ":4:") != NULL);
	unlink(path);
	for (int e = 0; e < CTL_CLIENT_E__COUNT; e++)
		CU_ASSERT(strlen(ctl_client_err_desc((enum ctl_client_err)e)) > 0);
}

int main(void)
{
	static const struct tw_unit_case cases[] = {
	    {"flow_open", test_flow_open},
	    {"flow_auth", test_flow_auth},
	    {"flow_enc", test_flow_enc},
	    {"flow_mixed", test_flow_mixed},
	    {"mode_pick", test_mode_pick},
	    {"byte_by_byte", test_byte_by_byte},
	    {"golden_spec_3_8", test_golden_38},
	    {"individual_sessions", test_individual_sessions},
	    {"RFC 7750 / RFC 8186 feature bits in Set-Up-Response", test_dscp_ecn_ptp_request},
	    {"RFC 6038 padding reflection with RFC 7750 refused", test_dscp_ecn_reflect_request},
	    {"start_n_unsupported", test_start_n_unsupported},
	    {"server_start_reject", test_server_start_reject},
	    {"wrong_key", test_wrong_key},
	    {"session_reject", test_session_reject},
	    {"start_reject", test_start_reject},
	    {"bad_hmac", test_bad_hmac},
	    {"truncated", test_truncated},
	    {"malformed", test_malformed},
	    {"mode_refusals", test_mode_refusals},
	    {"api_state", test_api_state},
	    {"helpers", test_helpers},
	    {NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS || tw_unit_suite("ctl_client", cases))
		return 2;
	return tw_unit_run("ctl_client");
}
