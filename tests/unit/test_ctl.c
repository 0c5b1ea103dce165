/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/tw_ctl (TWAMP-Control codecs).  Known byte strings come
 * from the plaintexts of the worked example in twamp-wire.md §3.8 (a real
 * twping -> twampd mode-2 capture).
 */
#include <stdint.h>
#include <stdlib.h>

#include "tw_ctl.h"
#include "tw_cursor.h"
#include "tw_err.h"
#include "tw_unit.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Report the failing case by name, then assert. */
#define CHECK_ERR(what, got, want)                                                                 \
	do {                                                                                       \
		enum tw_err g__ = (got), w__ = (want);                                             \
		if (g__ != w__)                                                                    \
			printf("\n  %s: got %s want %s\n", (what), tw_errname(g__),                \
			       tw_errname(w__));                                                   \
		CU_ASSERT_EQUAL(g__, w__);                                                         \
	} while (0)

/* ---- Sample messages ---------------------------------------------------------- */

#define HEX16_A "da5c95567a7e514096ffd99c14521568"
#define HEX16_B "a6a4384dfbd9a6bfa1354749b2b5b40c"

static void hex_into(const char *hex, uint8_t *out, size_t n)
{
	size_t got = tw_unit_hex(hex, out, n);
	CU_ASSERT_EQUAL_FATAL(got, n);
}

static void fill_pattern(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + 7 * i);
}

/* §3.8 greeting fields; twampd offers 15 by default (§2.2). */
static struct tw_ctl_greeting greeting_v38(void)
{
	struct tw_ctl_greeting g;
	memset(&g, 0, sizeof g);
	g.modes = 15;
	hex_into(HEX16_A, g.challenge, 16);
	hex_into(HEX16_B, g.salt, 16);
	g.count = 2048;
	return g;
}

static const char greeting_v38_hex[] =
    "000000000000000000000000 0000000f" HEX16_A HEX16_B "00000800 000000000000000000000000";

static struct tw_ctl_setup_response setup_v38(void)
{
	struct tw_ctl_setup_response s;
	memset(&s, 0, sizeof s);
	s.mode = TW_CTL_MODE_AUTH;
	memcpy(s.key_id, "alice", 5);
	hex_into("16f684c1f11ec98a97981af7a4ca19fa 11b0120923f255920578586fb9a42320"
	         "9a2e9acff6aaf824568f52c55340548f 2d2a2e625ee5a16e8a3e40a1c78f6690",
	         s.token, 64);
	hex_into("8f859d156dd446c02d703b8bdea89211", s.client_iv, 16);
	return s;
}

static const char setup_v38_hex[] =
    "00000002 616c696365" /* "alice" */
    "000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000" /* 75 zeros */
    "16f684c1f11ec98a97981af7a4ca19fa 11b0120923f255920578586fb9a42320"
    "9a2e9acff6aaf824568f52c55340548f 2d2a2e625ee5a16e8a3e40a1c78f6690"
    "8f859d156dd446c02d703b8bdea89211";

static struct tw_ctl_server_start server_start_v38(void)
{
	struct tw_ctl_server_start s;
	memset(&s, 0, sizeof s);
	hex_into("ec85ea61a51015f7b609f5fcc0f47e5e", s.server_iv, 16);
	s.start_time = 0xeeb34ec3eca4a05dull;
	return s;
}

static const char server_start_v38_hex[] = "000000000000000000000000000000 00"
                                           "ec85ea61a51015f7b609f5fcc0f47e5e"
                                           "eeb34ec3eca4a05d 0000000000000000";

static struct tw_ctl_request_tw_session request_v38(void)
{
	struct tw_ctl_request_tw_session q;
	memset(&q, 0, sizeof q);
	q.sender_port = 0x24f6;
	q.receiver_port = 0x24f6;
	q.sender_addr.ipvn = 4;
	q.receiver_addr.ipvn = 4;
	static const uint8_t lo[4] = {127, 0, 0, 1};
	memcpy(q.sender_addr.addr, lo, 4);
	memcpy(q.receiver_addr.addr, lo, 4);
	q.padding_length = 64;
	q.start_time = 0xeeb34ecdde821f2aull;
	q.timeout = 0x0000000200000000ull; /* 2.0 s */
	q.type_p = 0x2e000000;             /* DSCP 46 */
	hex_into("5240b344b71d103c38ec5f937e706cb9", q.hmac, 16);
	return q;
}

static const char request_v38_hex[] = "05040000 00000000 00000000 24f624f6"
                                      "7f000001 000000000000000000000000"
                                      "7f000001 000000000000000000000000"
                                      "00000000000000000000000000000000"
                                      "00000040 eeb34ecdde821f2a 0000000200000000 2e000000"
                                      "0000000000000000"
                                      "5240b344b71d103c38ec5f937e706cb9";

static struct tw_ctl_accept_session accept_v38(void)
{
	struct tw_ctl_accept_session a;
	memset(&a, 0, sizeof a);
	a.port = 0x4a9c;
	hex_into("7f000001eeb34eccdbaa4766649584a3", a.sid, 16);
	hex_into("13a9ec647d84880ba5d09be2e22bf46e", a.hmac, 16);
	return a;
}

static const char accept_v38_hex[] = "00 00 4a9c 7f000001eeb34eccdbaa4766649584a3"
                                     "000000000000000000000000"
                                     "13a9ec647d84880ba5d09be2e22bf46e";

/* Every field set to something non-trivial, including RFC 6038 octets. */
static struct tw_ctl_request_tw_session request_v6_full(void)
{
	struct tw_ctl_request_tw_session q;
	memset(&q, 0, sizeof q);
	q.sender_port = 0xffff;
	q.receiver_port = 1;
	q.sender_addr.ipvn = 6;
	q.receiver_addr.ipvn = 6;
	fill_pattern(q.sender_addr.addr, 16, 0x20);
	fill_pattern(q.receiver_addr.addr, 16, 0x30);
	fill_pattern(q.sid, 16, 0x40);
	q.padding_length = 0xffffffffu;
	q.start_time = 0x0123456789abcdefull;
	q.timeout = 0xfedcba9876543210ull;
	q.type_p = 0x3f000000;
	q.octets_to_reflect = 0xa1b2;
	q.padding_to_reflect = 0xc3d4;
	fill_pattern(q.hmac, 16, 0x50);
	return q;
}

/* ---- Generic codec table ------------------------------------------------------ */

typedef enum tw_err (*enc_fn)(const void *m, uint8_t *buf, size_t cap, size_t *outlen);
typedef enum tw_err (*dec_fn)(const uint8_t *buf, size_t len, void *m);
typedef bool (*eq_fn)(const void *a, const void *b);

#define WRAP(x, T)                                                                                 \
	static enum tw_err enc_##x(const void *m, uint8_t *b, size_t c, size_t *o)                 \
	{                                                                                          \
		return tw_ctl_##x##_encode((const T *)m, b, c, o);                                 \
	}                                                                                          \
	static enum tw_err dec_##x(const uint8_t *b, size_t l, void *m)                            \
	{                                                                                          \
		return tw_ctl_##x##_decode(b, l, (T *)m);                                          \
	}

WRAP(greeting, struct tw_ctl_greeting)
WRAP(setup_response, struct tw_ctl_setup_response)
WRAP(server_start, struct tw_ctl_server_start)
WRAP(request_tw_session, struct tw_ctl_request_tw_session)
WRAP(accept_session, struct tw_ctl_accept_session)
WRAP(start_sessions, struct tw_ctl_start_sessions)
WRAP(start_ack, struct tw_ctl_start_ack)
WRAP(stop_sessions, struct tw_ctl_stop_sessions)

#define MEQ(f)  (a->f == b->f)
#define MEQB(f) (memcmp(a->f, b->f, sizeof a->f) == 0)

static bool eq_greeting(const void *pa, const void *pb)
{
	const struct tw_ctl_greeting *a = pa, *b = pb;
	return MEQ(modes) && MEQB(challenge) && MEQB(salt) && MEQ(count);
}

static bool eq_setup_response(const void *pa, const void *pb)
{
	const struct tw_ctl_setup_response *a = pa, *b = pb;
	return MEQ(mode) && MEQB(key_id) && MEQB(token) && MEQB(client_iv);
}

static bool eq_server_start(const void *pa, const void *pb)
{
	const struct tw_ctl_server_start *a = pa, *b = pb;
	return MEQ(accept) && MEQB(server_iv) && MEQ(start_time);
}

static bool eq_request_tw_session(const void *pa, const void *pb)
{
	const struct tw_ctl_request_tw_session *a = pa, *b = pb;
	return MEQ(conf_sender) && MEQ(conf_receiver) && MEQ(num_slots) && MEQ(num_packets) &&
	       MEQ(sender_port) && MEQ(receiver_port) && MEQ(sender_addr.ipvn) &&
	       MEQB(sender_addr.addr) && MEQ(receiver_addr.ipvn) && MEQB(receiver_addr.addr) &&
	       MEQB(sid) && MEQ(padding_length) && MEQ(start_time) && MEQ(timeout) && MEQ(type_p) &&
	       MEQ(octets_to_reflect) && MEQ(padding_to_reflect) && MEQB(hmac) && MEQ(micro);
}

static bool eq_accept_session(const void *pa, const void *pb)
{
	const struct tw_ctl_accept_session *a = pa, *b = pb;
	return MEQ(accept) && MEQ(port) && MEQB(sid) && MEQ(reflected_octets) &&
	       MEQ(server_octets) && MEQB(hmac);
}

static bool eq_start_sessions(const void *pa, const void *pb)
{
	const struct tw_ctl_start_sessions *a = pa, *b = pb;
	return MEQB(hmac);
}

static bool eq_start_ack(const void *pa, const void *pb)
{
	const struct tw_ctl_start_ack *a = pa, *b = pb;
	return MEQ(accept) && MEQB(hmac);
}

static bool eq_stop_sessions(const void *pa, const void *pb)
{
	const struct tw_ctl_stop_sessions *a = pa, *b = pb;
	return MEQ(accept) && MEQ(num_sessions) && MEQB(hmac);
}

struct codec {
	const char *name;
	size_t len;
	size_t size;
	enc_fn enc;
	dec_fn dec;
	eq_fn eq;
};

#define CODEC(x, L, T)                                                                             \
	{                                                                                          \
#x, L, sizeof(T), enc_##x, dec_##x, eq_##x                                         \
	}

enum {
	C_GREETING,
	C_SETUP,
	C_SERVER_START,
	C_REQUEST,
	C_ACCEPT,
	C_START,
	C_START_ACK,
	C_STOP,
	C__N
};

static const struct codec codecs[C__N] = {
    [C_GREETING] = CODEC(greeting, TW_CTL_GREETING_LEN, struct tw_ctl_greeting),
    [C_SETUP] = CODEC(setup_response, TW_CTL_SETUP_RESPONSE_LEN, struct tw_ctl_setup_response),
    [C_SERVER_START] = CODEC(server_start, TW_CTL_SERVER_START_LEN, struct tw_ctl_server_start),
    [C_REQUEST] =
        CODEC(request_tw_session, TW_CTL_REQUEST_TW_SESSION_LEN, struct tw_ctl_request_tw_session),
    [C_ACCEPT] = CODEC(accept_session, TW_CTL_ACCEPT_SESSION_LEN, struct tw_ctl_accept_session),
    [C_START] = CODEC(start_sessions, TW_CTL_START_SESSIONS_LEN, struct tw_ctl_start_sessions),
    [C_START_ACK] = CODEC(start_ack, TW_CTL_START_ACK_LEN, struct tw_ctl_start_ack),
    [C_STOP] = CODEC(stop_sessions, TW_CTL_STOP_SESSIONS_LEN, struct tw_ctl_stop_sessions),
};

/* One valid sample message per kind plus variants; built at run time because
 * some fields come from hex strings. */
union any_msg {
	struct tw_ctl_greeting g;
	struct tw_ctl_setup_response s;
	struct tw_ctl_server_start ss;
	struct tw_ctl_request_tw_session q;
	struct tw_ctl_accept_session a;
	struct tw_ctl_start_sessions st;
	struct tw_ctl_start_ack sa;
	struct tw_ctl_stop_sessions sp;
};

struct sample {
	int codec;
	const char *what;
	union any_msg m;
};

#define MAX_SAMPLES 32

static size_t make_samples(struct sample *s)
{
	size_t n = 0;
	memset(s, 0, sizeof(struct sample) * MAX_SAMPLES);

	s[n].codec = C_GREETING, s[n].what = "greeting §3.8", s[n].m.g = greeting_v38(), n++;
	s[n].codec = C_GREETING, s[n].what = "greeting refuse (modes 0)", n++;
	s[n].codec = C_GREETING, s[n].what = "greeting all features";
	s[n].m.g.modes = 0xffffffffu, s[n].m.g.count = 0xffffffffu;
	fill_pattern(s[n].m.g.challenge, 16, 1), fill_pattern(s[n].m.g.salt, 16, 2), n++;

	s[n].codec = C_SETUP, s[n].what = "setup §3.8", s[n].m.s = setup_v38(), n++;
	s[n].codec = C_SETUP, s[n].what = "setup open", s[n].m.s.mode = 1, n++;
	s[n].codec = C_SETUP, s[n].what = "setup encrypted+all features";
	s[n].m.s.mode = TW_CTL_MODE_ENCRYPTED | TW_CTL_MODE_FEATURE_MASK;
	fill_pattern(s[n].m.s.key_id, 80, 3), fill_pattern(s[n].m.s.token, 64, 4);
	fill_pattern(s[n].m.s.client_iv, 16, 5), n++;
	s[n].codec = C_SETUP, s[n].what = "setup mixed", s[n].m.s.mode = 8, n++;

	s[n].codec = C_SERVER_START, s[n].what = "server-start §3.8",
	s[n].m.ss = server_start_v38(), n++;
	s[n].codec = C_SERVER_START, s[n].what = "server-start reject 5";
	s[n].m.ss.accept = 5, s[n].m.ss.start_time = ~0ull, n++;

	s[n].codec = C_REQUEST, s[n].what = "request §3.8", s[n].m.q = request_v38(), n++;
	s[n].codec = C_REQUEST, s[n].what = "request v6 full", s[n].m.q = request_v6_full(), n++;
	s[n].codec = C_REQUEST, s[n].what = "request v4 zero addresses";
	s[n].m.q.sender_addr.ipvn = s[n].m.q.receiver_addr.ipvn = 4, n++;

	s[n].codec = C_ACCEPT, s[n].what = "accept §3.8", s[n].m.a = accept_v38(), n++;
	s[n].codec = C_ACCEPT, s[n].what = "accept rfc6038";
	s[n].m.a.accept = 3, s[n].m.a.port = 0xffff, s[n].m.a.reflected_octets = 0x1234;
	s[n].m.a.server_octets = 0xfedc, fill_pattern(s[n].m.a.sid, 16, 9);
	fill_pattern(s[n].m.a.hmac, 16, 10), n++;

	s[n].codec = C_START, s[n].what = "start zero hmac", n++;
	s[n].codec = C_START, s[n].what = "start hmac", fill_pattern(s[n].m.st.hmac, 16, 11), n++;

	s[n].codec = C_START_ACK, s[n].what = "start-ack ok", n++;
	s[n].codec = C_START_ACK, s[n].what = "start-ack 2", s[n].m.sa.accept = 2;
	fill_pattern(s[n].m.sa.hmac, 16, 12), n++;

	s[n].codec = C_STOP, s[n].what = "stop twampy (0 sessions)", n++;
	s[n].codec = C_STOP, s[n].what = "stop abnormal", s[n].m.sp.accept = 1;
	s[n].m.sp.num_sessions = 0xffffffffu, fill_pattern(s[n].m.sp.hmac, 16, 13), n++;

	CU_ASSERT_FATAL(n <= MAX_SAMPLES);
	return n;
}

/* First sample of a codec, for mutation tests. */
static const union any_msg *sample_of(const struct sample *s, size_t n, int codec)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].codec == codec)
			return &s[i].m;
	CU_FAIL_FATAL("no sample");
	return NULL;
}

/* ---- Round trips and known bytes -------------------------------------------------- */

static void test_roundtrip_all(void)
{
	struct sample s[MAX_SAMPLES];
	size_t n = make_samples(s);
	for (size_t i = 0; i < n; i++) {
		const struct codec *c = &codecs[s[i].codec];
		uint8_t buf[256];
		size_t outlen = 0;
		memset(buf, 0xa5, sizeof buf);
		CHECK_ERR(s[i].what, c->enc(&s[i].m, buf, sizeof buf, &outlen), TW_OK);
		CU_ASSERT_EQUAL(outlen, c->len);
		/* exact size: nothing written past the message */
		CU_ASSERT_EQUAL(buf[c->len], 0xa5);
		CU_ASSERT_EQUAL(c->len % 4, 0);
		union any_msg back;
		memset(&back, 0x5a, sizeof back);
		CHECK_ERR(s[i].what, c->dec(buf, c->len, &back), TW_OK);
		if (!c->eq(&s[i].m, &back))
			printf("\n  %s: decoded struct differs\n", s[i].what);
		CU_ASSERT_TRUE(c->eq(&s[i].m, &back));
		/* re-encoding the decoded struct gives the same octets */
		uint8_t again[256];
		CHECK_ERR(s[i].what, c->enc(&back, again, c->len, NULL), TW_OK);
		TW_ASSERT_BYTES(again, buf, c->len);
	}
}

static void test_known_bytes(void)
{
	static const struct {
		int codec;
		const char *hex;
	} v[] = {
	    {C_GREETING, greeting_v38_hex},
	    {C_SETUP, setup_v38_hex},
	    {C_SERVER_START, server_start_v38_hex},
	    {C_REQUEST, request_v38_hex},
	    {C_ACCEPT, accept_v38_hex},
	};
	union any_msg m[NELEM(v)];
	memset(m, 0, sizeof m);
	m[0].g = greeting_v38();
	m[1].s = setup_v38();
	m[2].ss = server_start_v38();
	m[3].q = request_v38();
	m[4].a = accept_v38();
	for (size_t i = 0; i < NELEM(v); i++) {
		const struct codec *c = &codecs[v[i].codec];
		uint8_t want[256], got[256];
		size_t wlen = tw_unit_hex(v[i].hex, want, sizeof want), glen = 0;
		CU_ASSERT_EQUAL(wlen, c->len);
		memset(got, 0xff, sizeof got); /* MBZ must be written, not left */
		CHECK_ERR(c->name, c->enc(&m[i], got, sizeof got, &glen), TW_OK);
		CU_ASSERT_EQUAL(glen, wlen);
		TW_ASSERT_BYTES(got, want, wlen);
		union any_msg back;
		CHECK_ERR(c->name, c->dec(want, wlen, &back), TW_OK);
		CU_ASSERT_TRUE(c->eq(&m[i], &back));
	}
}

static void test_start_stop_bytes(void)
{
	static const struct {
		int codec;
		const char *hex;
	} v[] = {
	    {C_START, "02000000000000000000000000000000 0102030405060708090a0b0c0d0e0f10"},
	    {C_START_ACK, "05000000000000000000000000000000 0102030405060708090a0b0c0d0e0f10"},
	    {C_STOP, "03010000 0000002a 0000000000000000 0102030405060708090a0b0c0d0e0f10"},
	};
	union any_msg m[NELEM(v)];
	memset(m, 0, sizeof m);
	for (size_t i = 0; i < 16; i++)
		m[0].st.hmac[i] = m[1].sa.hmac[i] = m[2].sp.hmac[i] = (uint8_t)(i + 1);
	m[1].sa.accept = 5;
	m[2].sp.accept = 1;
	m[2].sp.num_sessions = 42;
	for (size_t i = 0; i < NELEM(v); i++) {
		const struct codec *c = &codecs[v[i].codec];
		uint8_t want[64], got[64];
		size_t wlen = tw_unit_hex(v[i].hex, want, sizeof want);
		memset(got, 0xff, sizeof got);
		CHECK_ERR(c->name, c->enc(&m[i], got, sizeof got, NULL), TW_OK);
		CU_ASSERT_EQUAL(wlen, c->len);
		TW_ASSERT_BYTES(got, want, wlen);
	}
}

/* ---- Length handling ------------------------------------------------------------- */

static void test_truncation_every_length(void)
{
	struct sample s[MAX_SAMPLES];
	size_t n = make_samples(s);
	for (size_t i = 0; i < n; i++) {
		const struct codec *c = &codecs[s[i].codec];
		uint8_t buf[256];
		CHECK_ERR(s[i].what, c->enc(&s[i].m, buf, sizeof buf, NULL), TW_OK);
		for (size_t l = 0; l < c->len; l++) {
			/* decode from a copy of exactly l octets so ASan sees overreads */
			uint8_t *p = malloc(l ? l : 1);
			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			memcpy(p, buf, l);
			union any_msg back;
			enum tw_err e = c->dec(p, l, &back);
			if (e != TW_E_TRUNCATED)
				printf("\n  %s: length %zu gave %s\n", s[i].what, l, tw_errname(e));
			CU_ASSERT_EQUAL(e, TW_E_TRUNCATED);
			free(p);
		}
	}
}

static void test_too_long(void)
{
	static const size_t extra[] = {1, 15, 16, 100};
	struct sample s[MAX_SAMPLES];
	size_t n = make_samples(s);
	for (size_t i = 0; i < n; i++) {
		const struct codec *c = &codecs[s[i].codec];
		uint8_t buf[512] = {0};
		CHECK_ERR(s[i].what, c->enc(&s[i].m, buf, sizeof buf, NULL), TW_OK);
		for (size_t k = 0; k < NELEM(extra); k++) {
			union any_msg back;
			CHECK_ERR(s[i].what, c->dec(buf, c->len + extra[k], &back), TW_E_LENGTH);
		}
	}
}

static void test_encode_nospace(void)
{
	struct sample s[MAX_SAMPLES];
	size_t n = make_samples(s);
	for (size_t i = 0; i < n; i++) {
		const struct codec *c = &codecs[s[i].codec];
		uint8_t buf[256];
		size_t outlen = 777;
		memset(buf, 0xa5, sizeof buf);
		CHECK_ERR(s[i].what, c->enc(&s[i].m, buf, c->len - 1, &outlen), TW_E_NOSPACE);
		CU_ASSERT_EQUAL(outlen, 777);
		CU_ASSERT_EQUAL(buf[0], 0xa5); /* nothing written */
		CHECK_ERR(s[i].what, c->enc(&s[i].m, NULL, 0, NULL), TW_E_NOSPACE);
		CHECK_ERR(s[i].what, c->enc(NULL, buf, sizeof buf, NULL), TW_E_ARG);
		CHECK_ERR(s[i].what, c->dec(buf, c->len, NULL), TW_E_ARG);
		union any_msg back;
		CHECK_ERR(s[i].what, c->dec(NULL, c->len, &back), TW_E_ARG);
	}
}

/* ---- MBZ: written as zero, ignored on receipt ---------------------------------- */

struct mbz {
	int codec;
	size_t off, len;
	uint8_t mask; /* bits of each octet that are MBZ */
};

static const struct mbz mbz_table[] = {
    {C_GREETING, 0, 12, 0xff},     {C_GREETING, 52, 12, 0xff},
    {C_SERVER_START, 0, 15, 0xff}, {C_SERVER_START, 40, 8, 0xff},
    {C_REQUEST, 1, 1, 0xf0},       {C_REQUEST, 20, 12, 0xff}, /* IPv4 sender tail */
    {C_REQUEST, 36, 12, 0xff},                                /* IPv4 receiver tail */
    {C_REQUEST, 92, 4, 0xff},      {C_ACCEPT, 1, 1, 0xff},
    {C_ACCEPT, 24, 8, 0xff},       {C_START, 1, 15, 0xff},
    {C_START_ACK, 1, 15, 0xff},    {C_STOP, 2, 2, 0xff},
    {C_STOP, 8, 8, 0xff},
};

static void test_mbz(void)
{
	struct sample s[MAX_SAMPLES];
	size_t n = make_samples(s);
	for (size_t t = 0; t < NELEM(mbz_table); t++) {
		const struct mbz *z = &mbz_table[t];
		const struct codec *c = &codecs[z->codec];
		/* the first sample of each codec is the §3.8 / IPv4 one */
		const union any_msg *m = sample_of(s, n, z->codec);
		uint8_t buf[256];
		CHECK_ERR(c->name, c->enc(m, buf, sizeof buf, NULL), TW_OK);
		for (size_t i = 0; i < z->len; i++)
			CU_ASSERT_EQUAL(buf[z->off + i] & z->mask, 0);
		for (size_t i = 0; i < z->len; i++)
			buf[z->off + i] |= z->mask;
		union any_msg back;
		CHECK_ERR(c->name, c->dec(buf, c->len, &back), TW_OK);
		CU_ASSERT_TRUE(c->eq(m, &back));
	}
}

/* ---- Bad input ------------------------------------------------------------------ */

struct bad {
	const char *what;
	int codec;
	struct {
		size_t off;
		uint8_t val;
	} set[2];
	size_t nset;
	enum tw_err want;
};

static const struct bad bad_table[] = {
    {"request command 2", C_REQUEST, {{0, 2}}, 1, TW_E_COMMAND},
    {"request command 1 (OWAMP)", C_REQUEST, {{0, 1}}, 1, TW_E_COMMAND},
    {"request IPVN 5", C_REQUEST, {{1, 5}}, 1, TW_E_IPVN},
    {"request IPVN 0", C_REQUEST, {{1, 0}}, 1, TW_E_IPVN},
    {"request IPVN 0x0f", C_REQUEST, {{1, 0x0f}}, 1, TW_E_IPVN},
    {"request Conf-Sender 1", C_REQUEST, {{2, 1}}, 1, TW_E_FIELD},
    {"request Conf-Receiver 1", C_REQUEST, {{3, 1}}, 1, TW_E_FIELD},
    {"request Slots 1", C_REQUEST, {{7, 1}}, 1, TW_E_FIELD},
    {"request Slots 2^24", C_REQUEST, {{4, 1}}, 1, TW_E_FIELD},
    {"request Packets 1", C_REQUEST, {{11, 1}}, 1, TW_E_FIELD},
    {"request Type-P 0x40000000", C_REQUEST, {{84, 0x40}}, 1, TW_E_TYPEP},
    {"request Type-P 0x80000000", C_REQUEST, {{84, 0x80}}, 1, TW_E_TYPEP},
    {"request Type-P low octet", C_REQUEST, {{87, 1}}, 1, TW_E_TYPEP},
    {"request Type-P octet 85", C_REQUEST, {{85, 0x80}}, 1, TW_E_TYPEP},
    {"request IPVN beats Conf", C_REQUEST, {{1, 5}, {2, 1}}, 2, TW_E_IPVN},
    {"request Conf beats Type-P", C_REQUEST, {{2, 1}, {84, 0x40}}, 2, TW_E_FIELD},
    {"request command beats IPVN", C_REQUEST, {{0, 3}, {1, 5}}, 2, TW_E_COMMAND},
    {"accept-session Accept 6", C_ACCEPT, {{0, 6}}, 1, TW_E_ACCEPT},
    {"accept-session Accept 255", C_ACCEPT, {{0, 255}}, 1, TW_E_ACCEPT},
    {"server-start Accept 6", C_SERVER_START, {{15, 6}}, 1, TW_E_ACCEPT},
    {"server-start Accept 128", C_SERVER_START, {{15, 128}}, 1, TW_E_ACCEPT},
    {"start-ack Accept 6", C_START_ACK, {{0, 6}}, 1, TW_E_ACCEPT},
    {"start-sessions command 3", C_START, {{0, 3}}, 1, TW_E_COMMAND},
    {"start-sessions command 0", C_START, {{0, 0}}, 1, TW_E_COMMAND},
    {"stop-sessions command 2", C_STOP, {{0, 2}}, 1, TW_E_COMMAND},
    {"stop-sessions Accept 6", C_STOP, {{1, 6}}, 1, TW_E_ACCEPT},
    {"stop-sessions command beats Accept", C_STOP, {{0, 9}, {1, 6}}, 2, TW_E_COMMAND},
    {"setup mode 0", C_SETUP, {{3, 0}}, 1, TW_E_MODE},
    {"setup mode 3", C_SETUP, {{3, 3}}, 1, TW_E_MODE},
    {"setup mode 15", C_SETUP, {{3, 15}}, 1, TW_E_MODE},
    {"setup mode 16", C_SETUP, {{3, 16}}, 1, TW_E_MODE},
    {"setup mode 0x30 (features only)", C_SETUP, {{3, 0x30}}, 1, TW_E_MODE},
    {"setup mode 0x402 (unassigned bit)", C_SETUP, {{2, 0x04}}, 1, TW_E_MODE},
    {"setup mode 0x80000002", C_SETUP, {{0, 0x80}}, 1, TW_E_MODE},
};

static void test_bad_input(void)
{
	struct sample s[MAX_SAMPLES];
	size_t n = make_samples(s);
	for (size_t t = 0; t < NELEM(bad_table); t++) {
		const struct bad *b = &bad_table[t];
		const struct codec *c = &codecs[b->codec];
		uint8_t buf[256];
		CHECK_ERR(b->what, c->enc(sample_of(s, n, b->codec), buf, sizeof buf, NULL), TW_OK);
		for (size_t k = 0; k < b->nset; k++)
			buf[b->set[k].off] = b->set[k].val;
		union any_msg back;
		CHECK_ERR(b->what, c->dec(buf, c->len, &back), b->want);
	}
}

/* A malformed request still yields every field, so the server can log it and
 * answer Accept-Session with Accept=3 (§2.7). */
static void test_request_partial_fill(void)
{
	static const struct {
		const char *what;
		size_t off;
		uint8_t val;
		enum tw_err want;
	} t[] = {
	    {"conf-sender", 2, 1, TW_E_FIELD},
	    {"type-p", 84, 0x40, TW_E_TYPEP},
	    {"ipvn", 1, 5, TW_E_IPVN},
	    {"command", 0, 9, TW_E_COMMAND},
	};
	for (size_t i = 0; i < NELEM(t); i++) {
		struct tw_ctl_request_tw_session q = request_v6_full(), back;
		uint8_t buf[TW_CTL_REQUEST_TW_SESSION_LEN];
		CHECK_ERR(t[i].what, tw_ctl_request_tw_session_encode(&q, buf, sizeof buf, NULL),
		          TW_OK);
		buf[t[i].off] = t[i].val;
		CHECK_ERR(t[i].what, tw_ctl_request_tw_session_decode(buf, sizeof buf, &back),
		          t[i].want);
		if (t[i].off == 2)
			q.conf_sender = 1;
		if (t[i].off == 84)
			q.type_p = 0x40000000;
		if (t[i].off == 1) /* raw 16 octets kept, IPVN as received */
			q.sender_addr.ipvn = q.receiver_addr.ipvn = 5;
		CU_ASSERT_TRUE(eq_request_tw_session(&q, &back));
	}
}

/*
 * RFC 9533 §4.1 Request-TW-Micro-Sessions: the captured Request-TW-Session
 * above (request_v38_hex) with octet 0 = 0x0b and nothing else changed.
 * Hand-computed: the command octet is the only difference, and the HMAC
 * octets are carried verbatim by the codec (crypto computes them).
 */
static const char request_micro_hex[] = "0b040000 00000000 00000000 24f624f6"
                                        "7f000001 000000000000000000000000"
                                        "7f000001 000000000000000000000000"
                                        "00000000000000000000000000000000"
                                        "00000040 eeb34ecdde821f2a 0000000200000000 2e000000"
                                        "0000000000000000"
                                        "5240b344b71d103c38ec5f937e706cb9";

static void test_request_micro(void)
{
	struct tw_ctl_request_tw_session q = request_v38(), back;
	uint8_t got[TW_CTL_REQUEST_TW_SESSION_LEN], want[TW_CTL_REQUEST_TW_SESSION_LEN];
	q.micro = true;
	CU_ASSERT_EQUAL(tw_unit_hex(request_micro_hex, want, sizeof want), sizeof want);
	CHECK_ERR("micro enc", tw_ctl_request_tw_session_encode(&q, got, sizeof got, NULL), TW_OK);
	TW_ASSERT_BYTES(got, want, sizeof want);
	CHECK_ERR("micro dec", tw_ctl_request_tw_session_decode(want, sizeof want, &back), TW_OK);
	CU_ASSERT_TRUE(back.micro);
	CU_ASSERT_TRUE(eq_request_tw_session(&q, &back));
	/* the plain request decodes with micro false */
	CU_ASSERT_EQUAL(tw_unit_hex(request_v38_hex, want, sizeof want), sizeof want);
	CHECK_ERR("plain dec", tw_ctl_request_tw_session_decode(want, sizeof want, &back), TW_OK);
	CU_ASSERT_FALSE(back.micro);
	/* neither 5 nor 11: TW_E_COMMAND, micro false */
	want[0] = 12;
	CHECK_ERR("cmd 12", tw_ctl_request_tw_session_decode(want, sizeof want, &back),
	          TW_E_COMMAND);
	CU_ASSERT_FALSE(back.micro);
	/* a malformed micro request keeps its flag (the server logs it) */
	want[0] = 11;
	want[2] = 1; /* Conf-Sender */
	CHECK_ERR("micro conf", tw_ctl_request_tw_session_decode(want, sizeof want, &back),
	          TW_E_FIELD);
	CU_ASSERT_TRUE(back.micro);
	/* dispatch: the whole 112 octets on both sides */
	uint8_t cmd;
	size_t len;
	want[0] = 11;
	CHECK_ERR("peek", tw_ctl_cmd_peek(want, 16, &cmd, &len), TW_OK);
	CU_ASSERT_EQUAL(cmd, TW_CTL_CMD_REQUEST_TW_MICRO);
	CU_ASSERT_EQUAL(len, 112);
	uint8_t acc[16] = {3}; /* Accept=3 from a server without RFC 9533 */
	CHECK_ERR("reply", tw_ctl_reply_peek(11, acc, sizeof acc, &len), TW_OK);
	CU_ASSERT_EQUAL(len, TW_CTL_ACCEPT_SESSION_LEN);
	CU_ASSERT_STRING_EQUAL(tw_ctl_cmd_name(11), "request-tw-micro-sessions");
}

/* IPv4 uses addr[0..3]; whatever the caller left in addr[4..15] must not
 * leak onto the wire (those octets are MBZ, §2.7). */
static void test_request_ipv4_tail(void)
{
	struct tw_ctl_request_tw_session q = request_v38(), back;
	memset(q.sender_addr.addr + 4, 0xee, 12);
	memset(q.receiver_addr.addr + 4, 0xdd, 12);
	uint8_t got[TW_CTL_REQUEST_TW_SESSION_LEN], want[TW_CTL_REQUEST_TW_SESSION_LEN];
	CU_ASSERT_EQUAL(tw_unit_hex(request_v38_hex, want, sizeof want), sizeof want);
	CHECK_ERR("v4 tail", tw_ctl_request_tw_session_encode(&q, got, sizeof got, NULL), TW_OK);
	TW_ASSERT_BYTES(got, want, sizeof want);
	CHECK_ERR("v4 tail", tw_ctl_request_tw_session_decode(got, sizeof got, &back), TW_OK);
	struct tw_ctl_request_tw_session clean = request_v38();
	CU_ASSERT_TRUE(eq_request_tw_session(&clean, &back));
}

static void test_encode_rejects(void)
{
	struct tw_ctl_request_tw_session q;
	struct tw_ctl_accept_session a;
	struct tw_ctl_server_start ss;
	struct tw_ctl_start_ack sa;
	struct tw_ctl_stop_sessions sp;
	struct tw_ctl_setup_response su;
	uint8_t buf[256];
	static const uint32_t bad_modes[] = {0, 3, 15, 16, 0x30, 0x401, 0x80000004u};

	memset(buf, 0xa5, sizeof buf);
	q = request_v38(), q.sender_addr.ipvn = 5, q.receiver_addr.ipvn = 5;
	CHECK_ERR("ipvn 5", tw_ctl_request_tw_session_encode(&q, buf, sizeof buf, NULL), TW_E_IPVN);
	q = request_v38(), q.receiver_addr.ipvn = 6;
	CHECK_ERR("ipvn 4/6", tw_ctl_request_tw_session_encode(&q, buf, sizeof buf, NULL),
	          TW_E_IPVN);
	q = request_v38(), q.conf_receiver = 1;
	CHECK_ERR("conf", tw_ctl_request_tw_session_encode(&q, buf, sizeof buf, NULL), TW_E_FIELD);
	q = request_v38(), q.num_packets = 10;
	CHECK_ERR("packets", tw_ctl_request_tw_session_encode(&q, buf, sizeof buf, NULL),
	          TW_E_FIELD);
	q = request_v38(), q.type_p = 0x40000000;
	CHECK_ERR("type-p", tw_ctl_request_tw_session_encode(&q, buf, sizeof buf, NULL),
	          TW_E_TYPEP);
	memset(&a, 0, sizeof a), a.accept = 6;
	CHECK_ERR("accept 6", tw_ctl_accept_session_encode(&a, buf, sizeof buf, NULL), TW_E_ACCEPT);
	memset(&ss, 0, sizeof ss), ss.accept = 6;
	CHECK_ERR("ss 6", tw_ctl_server_start_encode(&ss, buf, sizeof buf, NULL), TW_E_ACCEPT);
	memset(&sa, 0, sizeof sa), sa.accept = 6;
	CHECK_ERR("sa 6", tw_ctl_start_ack_encode(&sa, buf, sizeof buf, NULL), TW_E_ACCEPT);
	memset(&sp, 0, sizeof sp), sp.accept = 6;
	CHECK_ERR("sp 6", tw_ctl_stop_sessions_encode(&sp, buf, sizeof buf, NULL), TW_E_ACCEPT);
	for (size_t i = 0; i < NELEM(bad_modes); i++) {
		memset(&su, 0, sizeof su), su.mode = bad_modes[i];
		CHECK_ERR("mode", tw_ctl_setup_response_encode(&su, buf, sizeof buf, NULL),
		          TW_E_MODE);
	}
	CU_ASSERT_EQUAL(buf[0], 0xa5); /* rejected encodes write nothing */
}

/* ---- RFC 5938 N messages ----------------------------------------------------------- */

static uint8_t big_buf[TW_CTL_N_MAX_LEN + 32];
static uint8_t big_sids[TW_CTL_N_MAX][TW_CTL_SID_LEN];

static void test_n_roundtrip(void)
{
	static const uint8_t cmds[] = {7, 8, 9, 10};
	static const uint32_t counts[] = {0, 1, 3, 255, TW_CTL_N_MAX};
	for (size_t i = 0; i < TW_CTL_N_MAX; i++)
		fill_pattern(big_sids[i], TW_CTL_SID_LEN, (uint8_t)(i * 13 + (i >> 8)));
	for (size_t ci = 0; ci < NELEM(cmds); ci++) {
		for (size_t ni = 0; ni < NELEM(counts); ni++) {
			struct tw_ctl_n_sessions m, back;
			memset(&m, 0, sizeof m);
			m.command = cmds[ci];
			m.accept = (cmds[ci] == 8 || cmds[ci] == 10) ? (uint8_t)(ni % 6) : 0;
			m.num_sessions = counts[ni];
			m.sids = (const uint8_t(*)[TW_CTL_SID_LEN])big_sids;
			fill_pattern(m.hmac, 16, (uint8_t)(ci + ni));
			size_t len = 0, want = 32 + 16 * (size_t)counts[ni];
			memset(big_buf, 0xa5, sizeof big_buf);
			CHECK_ERR("n encode",
			          tw_ctl_n_sessions_encode(&m, big_buf, sizeof big_buf, &len),
			          TW_OK);
			CU_ASSERT_EQUAL(len, want);
			CU_ASSERT_EQUAL(len, TW_CTL_N_LEN(counts[ni]));
			CU_ASSERT_EQUAL(big_buf[want], 0xa5);
			CU_ASSERT_EQUAL(tw_be32(big_buf + 12), counts[ni]);
			CHECK_ERR("n decode",
			          tw_ctl_n_sessions_decode(big_buf, len, cmds[ci], &back), TW_OK);
			CU_ASSERT_EQUAL(back.command, m.command);
			CU_ASSERT_EQUAL(back.accept, m.accept);
			CU_ASSERT_EQUAL(back.num_sessions, m.num_sessions);
			/* zero-copy: SIDs point into the input buffer */
			CU_ASSERT_PTR_EQUAL((const void *)back.sids, big_buf + 16);
			CU_ASSERT_EQUAL(memcmp(back.sids, big_sids, 16 * (size_t)counts[ni]), 0);
			CU_ASSERT_EQUAL(memcmp(back.hmac, m.hmac, 16), 0);
		}
	}
}

static void test_n_known_bytes(void)
{
	static const char *const hex[] = {
	    /* Start-N-Sessions, N=2 */
	    "07000000000000000000000000000002"
	    "00112233445566778899aabbccddeeff ffeeddccbbaa99887766554433221100"
	    "0102030405060708090a0b0c0d0e0f10",
	    /* Stop-N-Ack, Accept 4, N=2 */
	    "0a040000000000000000000000000002"
	    "00112233445566778899aabbccddeeff ffeeddccbbaa99887766554433221100"
	    "0102030405060708090a0b0c0d0e0f10",
	};
	static const uint8_t cmd[] = {7, 10}, acc[] = {0, 4};
	uint8_t sids[2][16];
	hex_into("00112233445566778899aabbccddeeff ffeeddccbbaa99887766554433221100", &sids[0][0],
	         32);
	for (size_t i = 0; i < NELEM(hex); i++) {
		struct tw_ctl_n_sessions m;
		memset(&m, 0, sizeof m);
		m.command = cmd[i];
		m.accept = acc[i];
		m.num_sessions = 2;
		m.sids = (const uint8_t(*)[16])sids;
		for (size_t k = 0; k < 16; k++)
			m.hmac[k] = (uint8_t)(k + 1);
		uint8_t want[80], got[80];
		size_t wlen = tw_unit_hex(hex[i], want, sizeof want), glen = 0;
		CU_ASSERT_EQUAL(wlen, TW_CTL_N_LEN(2));
		memset(got, 0xff, sizeof got);
		CHECK_ERR("n bytes", tw_ctl_n_sessions_encode(&m, got, sizeof got, &glen), TW_OK);
		CU_ASSERT_EQUAL(glen, wlen);
		TW_ASSERT_BYTES(got, want, wlen);
	}
	/* Octet 1 of Start-N/Stop-N is MBZ: the encoder zeroes a stray accept
	 * and the decoder ignores a set one. */
	struct tw_ctl_n_sessions m, back;
	memset(&m, 0, sizeof m);
	m.command = 9;
	m.accept = 3;
	uint8_t buf[32];
	CHECK_ERR("mbz", tw_ctl_n_sessions_encode(&m, buf, sizeof buf, NULL), TW_OK);
	CU_ASSERT_EQUAL(buf[1], 0);
	for (size_t k = 1; k < 12; k++)
		buf[k] = 0xff;
	CHECK_ERR("mbz", tw_ctl_n_sessions_decode(buf, sizeof buf, 9, &back), TW_OK);
	CU_ASSERT_EQUAL(back.accept, 0);
	CU_ASSERT_EQUAL(back.num_sessions, 0);
}

/* Build an N message with header count hdr_n, then decode len octets of it. */
static enum tw_err n_decode_case(uint8_t cmd, uint32_t hdr_n, size_t len, uint8_t expect,
                                 uint8_t accept, struct tw_ctl_n_sessions *back)
{
	memset(big_buf, 0, sizeof big_buf);
	big_buf[0] = cmd;
	big_buf[1] = accept;
	tw_put_be32(big_buf + 12, hdr_n);
	return tw_ctl_n_sessions_decode(big_buf, len, expect, back);
}

static void test_n_bad(void)
{
	static const struct {
		const char *what;
		uint8_t cmd;
		uint32_t n;
		size_t len;
		uint8_t expect, accept;
		enum tw_err want;
	} t[] = {
	    {"ok N=2", 7, 2, 64, 7, 0, TW_OK},
	    {"empty", 7, 0, 0, 7, 0, TW_E_TRUNCATED},
	    {"one block", 7, 0, 16, 7, 0, TW_E_TRUNCATED},
	    {"31 octets", 7, 0, 31, 7, 0, TW_E_TRUNCATED},
	    {"N=2 in 48 octets", 7, 2, 48, 7, 0, TW_E_TRUNCATED},
	    {"N=2 in 63 octets", 9, 2, 63, 9, 0, TW_E_TRUNCATED},
	    {"N=0 in 48 octets", 7, 0, 48, 7, 0, TW_E_LENGTH},
	    {"N=2 in 80 octets", 9, 2, 80, 9, 0, TW_E_LENGTH},
	    {"N=2 in 65 octets", 9, 2, 65, 9, 0, TW_E_NOT_BLOCK},
	    {"N=1 in 33+16 octets", 8, 1, 49, 8, 0, TW_E_NOT_BLOCK},
	    {"N=max ok", 10, TW_CTL_N_MAX, TW_CTL_N_MAX_LEN, 10, 0, TW_OK},
	    {"N=max+1", 7, TW_CTL_N_MAX + 1, TW_CTL_N_MAX_LEN + 16, 7, 0, TW_E_LENGTH},
	    {"N=2^32-1", 7, 0xffffffffu, 64, 7, 0, TW_E_LENGTH},
	    {"N=2^28 (wraps 32-bit)", 7, 0x10000000u, 32, 7, 0, TW_E_LENGTH},
	    {"wanted 7 got 9", 9, 1, 48, 7, 0, TW_E_COMMAND},
	    {"wanted 8 got 7", 7, 1, 48, 8, 0, TW_E_COMMAND},
	    {"wanted 10 got 5", 5, 1, 48, 10, 0, TW_E_COMMAND},
	    {"ack Accept 5", 8, 1, 48, 8, 5, TW_OK},
	    {"ack Accept 6", 8, 1, 48, 8, 6, TW_E_ACCEPT},
	    {"stop-ack Accept 200", 10, 0, 32, 10, 200, TW_E_ACCEPT},
	    {"expect 5", 5, 0, 32, 5, 0, TW_E_ARG},
	    {"expect 11", 11, 0, 32, 11, 0, TW_E_ARG},
	};
	for (size_t i = 0; i < NELEM(t); i++) {
		struct tw_ctl_n_sessions back;
		CHECK_ERR(
		    t[i].what,
		    n_decode_case(t[i].cmd, t[i].n, t[i].len, t[i].expect, t[i].accept, &back),
		    t[i].want);
		bool parsed =
		    t[i].want == TW_OK || t[i].want == TW_E_COMMAND || t[i].want == TW_E_ACCEPT;
		CU_ASSERT_EQUAL(back.sids != NULL, parsed);
	}

	/* Every truncation of a valid N=3 message, from a buffer of exactly
	 * that size so ASan catches any overread. */
	for (size_t l = 0; l < TW_CTL_N_LEN(3); l++) {
		uint8_t *p = malloc(l ? l : 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		memset(p, 0, l);
		if (l > 0)
			p[0] = 7;
		if (l >= 16)
			tw_put_be32(p + 12, 3);
		struct tw_ctl_n_sessions back;
		enum tw_err e = tw_ctl_n_sessions_decode(p, l, 7, &back);
		if (e != TW_E_TRUNCATED)
			printf("\n  N=3 length %zu gave %s\n", l, tw_errname(e));
		CU_ASSERT_EQUAL(e, TW_E_TRUNCATED);
		free(p);
	}

	/* encoder rejections */
	struct tw_ctl_n_sessions m;
	uint8_t buf[64];
	memset(buf, 0xa5, sizeof buf);
	memset(&m, 0, sizeof m);
	m.command = 6;
	CHECK_ERR("enc cmd 6", tw_ctl_n_sessions_encode(&m, buf, sizeof buf, NULL), TW_E_COMMAND);
	m.command = 11;
	CHECK_ERR("enc cmd 11", tw_ctl_n_sessions_encode(&m, buf, sizeof buf, NULL), TW_E_COMMAND);
	m.command = 7, m.num_sessions = TW_CTL_N_MAX + 1, m.sids = (const uint8_t(*)[16])big_sids;
	CHECK_ERR("enc N>max", tw_ctl_n_sessions_encode(&m, buf, sizeof buf, NULL), TW_E_LENGTH);
	m.num_sessions = 1, m.sids = NULL;
	CHECK_ERR("enc NULL sids", tw_ctl_n_sessions_encode(&m, buf, sizeof buf, NULL), TW_E_ARG);
	m.command = 8, m.num_sessions = 0, m.accept = 6;
	CHECK_ERR("enc accept 6", tw_ctl_n_sessions_encode(&m, buf, sizeof buf, NULL), TW_E_ACCEPT);
	m.accept = 0, m.num_sessions = 2, m.sids = (const uint8_t(*)[16])big_sids;
	CHECK_ERR("enc nospace", tw_ctl_n_sessions_encode(&m, buf, 63, NULL), TW_E_NOSPACE);
	CU_ASSERT_EQUAL(buf[0], 0xa5);
	CHECK_ERR("enc exact", tw_ctl_n_sessions_encode(&m, buf, 64, NULL), TW_OK);
}

/* ---- Dispatch ------------------------------------------------------------------------ */

static void test_cmd_peek_all(void)
{
	for (unsigned c = 0; c < 256; c++) {
		uint8_t block[16] = {0};
		block[0] = (uint8_t)c;
		tw_put_be32(block + 12, 3); /* N=3 for the RFC 5938 commands */
		enum tw_err want_e;
		size_t want_len;
		switch (c) {
		case 5:
		case 11: /* RFC 9533 §4.1 Request-TW-Micro-Sessions */
			want_e = TW_OK, want_len = 112;
			break;
		case 2:
		case 3:
			want_e = TW_OK, want_len = 32;
			break;
		case 7:
		case 9:
			want_e = TW_OK, want_len = 32 + 3 * 16;
			break;
		default: /* 0,1,4,6,8,10,12..255: one block, then Accept=3 (§2.13) */
			want_e = TW_E_COMMAND, want_len = 16;
			break;
		}
		uint8_t cmd = 0xee;
		size_t len = 9999;
		enum tw_err e = tw_ctl_cmd_peek(block, sizeof block, &cmd, &len);
		if (e != want_e || len != want_len)
			printf("\n  cmd %u: got %s/%zu\n", c, tw_errname(e), len);
		CU_ASSERT_EQUAL(e, want_e);
		CU_ASSERT_EQUAL(len, want_len);
		CU_ASSERT_EQUAL(cmd, c);
	}
}

static void test_cmd_peek_edges(void)
{
	static const struct {
		const char *what;
		uint8_t cmd;
		uint32_t n;
		size_t blen;
		enum tw_err want;
		size_t want_len;
	} t[] = {
	    {"start-n N=0", 7, 0, 16, TW_OK, 32},
	    {"stop-n N=max", 9, TW_CTL_N_MAX, 16, TW_OK, TW_CTL_N_MAX_LEN},
	    {"stop-n N=max+1", 9, TW_CTL_N_MAX + 1, 16, TW_E_LENGTH, 0},
	    {"start-n N=2^32-1", 7, 0xffffffffu, 16, TW_E_LENGTH, 0},
	    {"request, whole message given", 5, 0, 112, TW_OK, 112},
	    {"15 octets", 5, 0, 15, TW_E_TRUNCATED, 0},
	    {"empty", 5, 0, 0, TW_E_TRUNCATED, 0},
	};
	for (size_t i = 0; i < NELEM(t); i++) {
		uint8_t block[112] = {0};
		block[0] = t[i].cmd;
		tw_put_be32(block + 12, t[i].n);
		uint8_t cmd;
		size_t len;
		CHECK_ERR(t[i].what, tw_ctl_cmd_peek(block, t[i].blen, &cmd, &len), t[i].want);
		CU_ASSERT_EQUAL(len, t[i].want_len);
	}
	uint8_t cmd;
	size_t len;
	CHECK_ERR("NULL block", tw_ctl_cmd_peek(NULL, 16, &cmd, &len), TW_E_TRUNCATED);
	CHECK_ERR("NULL out", tw_ctl_cmd_peek((const uint8_t *)"0123456789abcdef", 16, NULL, &len),
	          TW_E_ARG);
}

/* Whatever a client encoder produces, the server's peek must announce exactly
 * its length: that is what keeps a block-by-block reader in step. */
static void test_peek_matches_encoders(void)
{
	struct sample s[MAX_SAMPLES];
	size_t n = make_samples(s);
	for (size_t i = 0; i < n; i++) {
		int k = s[i].codec;
		if (k != C_REQUEST && k != C_START && k != C_STOP)
			continue;
		uint8_t buf[256], cmd;
		size_t len = 0, plen = 0;
		CHECK_ERR(s[i].what, codecs[k].enc(&s[i].m, buf, sizeof buf, &len), TW_OK);
		CHECK_ERR(s[i].what, tw_ctl_cmd_peek(buf, 16, &cmd, &plen), TW_OK);
		CU_ASSERT_EQUAL(plen, len);
	}
	static const uint32_t counts[] = {0, 1, 17};
	for (uint8_t c = 7; c <= 9; c += 2) {
		for (size_t i = 0; i < NELEM(counts); i++) {
			struct tw_ctl_n_sessions m;
			memset(&m, 0, sizeof m);
			m.command = c, m.num_sessions = counts[i];
			m.sids = (const uint8_t(*)[16])big_sids;
			uint8_t cmd;
			size_t len = 0, plen = 0;
			CHECK_ERR("n", tw_ctl_n_sessions_encode(&m, big_buf, sizeof big_buf, &len),
			          TW_OK);
			CHECK_ERR("n", tw_ctl_cmd_peek(big_buf, 16, &cmd, &plen), TW_OK);
			CU_ASSERT_EQUAL(plen, len);
			/* and the ack the client then peeks */
			m.command = (uint8_t)(c + 1);
			CHECK_ERR("ack",
			          tw_ctl_n_sessions_encode(&m, big_buf, sizeof big_buf, &len),
			          TW_OK);
			CHECK_ERR("ack", tw_ctl_reply_peek(c, big_buf, 16, &plen), TW_OK);
			CU_ASSERT_EQUAL(plen, len);
		}
	}
}

static void test_reply_peek(void)
{
	static const struct {
		const char *what;
		uint8_t sent, first;
		uint32_t n;
		enum tw_err want;
		size_t want_len;
	} t[] = {
	    {"request -> accept-session", 5, 0, 0, TW_OK, 48},
	    {"request -> rejected accept-session", 5, 3, 0, TW_OK, 48},
	    {"start -> start-ack", 2, 0, 0, TW_OK, 32},
	    {"stop -> no reply", 3, 0, 0, TW_E_ARG, 0},
	    {"start-n -> start-n-ack N=2", 7, 8, 2, TW_OK, 64},
	    {"stop-n -> stop-n-ack N=0", 9, 10, 0, TW_OK, 32},
	    {"start-n -> accept-session 3", 7, 3, 0, TW_OK, 48},
	    {"stop-n -> accept-session 0", 9, 0, 0, TW_OK, 48},
	    {"start-n -> stop-n-ack", 7, 10, 0, TW_E_COMMAND, 0},
	    {"stop-n -> start-n-ack", 9, 8, 0, TW_E_COMMAND, 0},
	    {"start-n -> garbage 6", 7, 6, 0, TW_E_COMMAND, 0},
	    {"start-n -> ack N huge", 7, 8, TW_CTL_N_MAX + 1, TW_E_LENGTH, 0},
	    {"unknown 1 -> accept-session", 1, 3, 0, TW_OK, 48},
	    {"unknown 200 -> accept-session", 200, 3, 0, TW_OK, 48},
	};
	for (size_t i = 0; i < NELEM(t); i++) {
		uint8_t block[16] = {0};
		block[0] = t[i].first;
		tw_put_be32(block + 12, t[i].n);
		size_t len = 9999;
		CHECK_ERR(t[i].what, tw_ctl_reply_peek(t[i].sent, block, sizeof block, &len),
		          t[i].want);
		CU_ASSERT_EQUAL(len, t[i].want_len);
	}
	uint8_t block[16] = {0};
	size_t len;
	CHECK_ERR("short", tw_ctl_reply_peek(5, block, 15, &len), TW_E_TRUNCATED);
	CHECK_ERR("NULL len", tw_ctl_reply_peek(5, block, 16, NULL), TW_E_ARG);
}

/* ---- Modes, names, Type-P ---------------------------------------------------------- */

static void test_mode_valid(void)
{
	static const struct {
		uint32_t mode;
		bool ok;
	} t[] = {
	    {1, true},
	    {2, true},
	    {4, true},
	    {8, true},
	    {0x11, true},
	    {0x24, true},
	    {0x3F8, true},
	    {0x3F1, true},
	    {0, false},
	    {3, false},
	    {5, false},
	    {15, false},
	    {16, false},
	    {32, false},
	    {0x3F0, false},
	    {0x400, false},
	    {0x401, false},
	    {0x80000001u, false},
	    {0xffffffffu, false},
	    {0x13, false},
	};
	for (size_t i = 0; i < NELEM(t); i++) {
		if (tw_ctl_mode_valid(t[i].mode) != t[i].ok)
			printf("\n  mode 0x%x\n", (unsigned)t[i].mode);
		CU_ASSERT_EQUAL(tw_ctl_mode_valid(t[i].mode), t[i].ok);
	}
}

static void test_mode_select(void)
{
	static const struct {
		uint32_t chosen, offered;
		enum tw_err want;
	} t[] = {
	    {1, 15, TW_OK},
	    {4, 15, TW_OK},
	    {8, 8, TW_OK},
	    {1, 4, TW_E_MODE}, /* twampd's `mode | offered` bug (§11.1) */
	    {2, 0, TW_E_MODE},
	    {3, 15, TW_E_MODE},
	    {0, 15, TW_E_MODE},
	    {16, 31, TW_E_MODE},
	    {0x11, 0x1F, TW_OK},
	    {0x11, 0x0F, TW_E_MODE}, /* feature bit not offered */
	    {0x64, 0x74, TW_OK},
	    {0x64, 0x34, TW_E_MODE},
	    {0x401, 0xffffffffu, TW_E_MODE},
	    {0x3F2, 0x3FF, TW_OK},
	};
	for (size_t i = 0; i < NELEM(t); i++)
		CHECK_ERR("mode_select", tw_ctl_mode_select(t[i].chosen, t[i].offered), t[i].want);
}

static void test_mode_pick(void)
{
	static const struct {
		uint32_t offered, acceptable, want;
	} t[] = {
	    {15, 15, 4}, {3, 15, 2}, {9, 15, 8},        {1, 15, 1},      {0, 15, 0},
	    {15, 1, 1},  {15, 0, 0}, {0x3F0, 0x3FF, 0}, {0x1B, 0xff, 2},
	};
	for (size_t i = 0; i < NELEM(t); i++)
		CU_ASSERT_EQUAL(tw_ctl_mode_pick(t[i].offered, t[i].acceptable), t[i].want);
}

static void test_mode_names(void)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} t[] = {
	    {1, "open"},
	    {2, "authenticated"},
	    {4, "encrypted"},
	    {8, "mixed"},
	    {16, "individual-session-control"},
	    {32, "reflect-octets"},
	    {64, "symmetrical-size"},
	    {128, "ikev2"},
	    {256, "dscp-ecn"},
	    {512, "ptpv2"},
	    {0, "unknown"},
	    {3, "unknown"},
	    {1024, "unknown"},
	    {0x80000000u, "unknown"},
	};
	for (size_t i = 0; i < NELEM(t); i++)
		CU_ASSERT_STRING_EQUAL(tw_ctl_mode_name(t[i].bit), t[i].name);

	static const struct {
		uint32_t modes;
		size_t cap;
		const char *want;
	} f[] = {
	    {15, 64, "open|authenticated|encrypted|mixed"},
	    {0, 64, "none"},
	    {0x424, 64, "encrypted|reflect-octets|0x400"},
	    {0x80000000u, 64, "0x80000000"},
	    {15, 5, "open"},
	    {15, 7, "open|a"},
	    {0, 3, "no"},
	};
	for (size_t i = 0; i < NELEM(f); i++) {
		char buf[64];
		memset(buf, 'x', sizeof buf);
		char full[128];
		size_t n = tw_ctl_mode_format(f[i].modes, buf, f[i].cap);
		CU_ASSERT_STRING_EQUAL(buf, f[i].want);
		/* return value is the untruncated length */
		size_t n_full = tw_ctl_mode_format(f[i].modes, full, sizeof full);
		CU_ASSERT_EQUAL(n, n_full);
		CU_ASSERT_EQUAL(n_full, strlen(full));
	}
	CU_ASSERT_EQUAL(tw_ctl_mode_format(15, NULL, 0),
	                strlen("open|authenticated|encrypted|mixed"));
}

static void test_accept_and_cmd_names(void)
{
	static const char *const acc[] = {"ok",
	                                  "failure",
	                                  "internal-error",
	                                  "not-supported",
	                                  "permanent-limit",
	                                  "temporary-limit"};
	for (unsigned a = 0; a < 256; a++)
		CU_ASSERT_STRING_EQUAL(tw_ctl_accept_name((uint8_t)a), a < 6 ? acc[a] : "invalid");
	static const char *const cmd[] = {
	    "reserved",      "request-session",    "start-sessions",  "stop-sessions",
	    "fetch-session", "request-tw-session", "experimentation", "start-n-sessions",
	    "start-n-ack",   "stop-n-sessions",    "stop-n-ack",      "request-tw-micro-sessions"};
	for (unsigned c = 0; c < 256; c++)
		CU_ASSERT_STRING_EQUAL(tw_ctl_cmd_name((uint8_t)c),
		                       c < NELEM(cmd) ? cmd[c] : "unassigned");
	CU_ASSERT_EQUAL(TW_CTL_ACCEPT_NOT_SUPPORTED, 3);
	CU_ASSERT_EQUAL(TW_CTL_CMD_REQUEST_TW_SESSION, 5);
}

static void test_typep(void)
{
	static const struct {
		uint8_t dscp;
		uint32_t typep;
	} d[] = {{0, 0},  {46, 0x2E000000u}, {63, 0x3F000000u}, {10, 0x0A000000u},
	         {64, 0}, {255, 0x3F000000u}};
	for (size_t i = 0; i < NELEM(d); i++)
		CU_ASSERT_EQUAL(tw_ctl_typep_from_dscp(d[i].dscp), d[i].typep);

	static const struct {
		uint32_t typep;
		enum tw_err want;
		uint8_t dscp;
	} t[] = {
	    {0, TW_OK, 0},
	    {0x2E000000u, TW_OK, 46},
	    {0x3F000000u, TW_OK, 63},
	    {0x40000000u, TW_E_TYPEP, 0}, /* PHB-ID form */
	    {0x80000000u, TW_E_TYPEP, 0},
	    {0xC0000000u, TW_E_TYPEP, 0},
	    {0x2E000001u, TW_E_TYPEP, 0},
	    {0x00010000u, TW_E_TYPEP, 0},
	};
	for (size_t i = 0; i < NELEM(t); i++) {
		uint8_t dscp = 0xee;
		CHECK_ERR("typep", tw_ctl_typep_to_dscp(t[i].typep, &dscp), t[i].want);
		CU_ASSERT_EQUAL(dscp, t[i].dscp);
		CU_ASSERT_EQUAL(tw_ctl_typep_valid(t[i].typep), t[i].want == TW_OK);
	}
}

static void test_sizes(void)
{
	static const struct {
		size_t got, want;
	} t[] = {
	    {TW_CTL_GREETING_LEN, 64},
	    {TW_CTL_SETUP_RESPONSE_LEN, 164},
	    {TW_CTL_SERVER_START_LEN, 48},
	    {TW_CTL_REQUEST_TW_SESSION_LEN, 112},
	    {TW_CTL_ACCEPT_SESSION_LEN, 48},
	    {TW_CTL_START_SESSIONS_LEN, 32},
	    {TW_CTL_START_ACK_LEN, 32},
	    {TW_CTL_STOP_SESSIONS_LEN, 32},
	    {TW_CTL_N_LEN(0), 32},
	    {TW_CTL_N_LEN(5), 112},
	    {TW_CTL_N_MAX_LEN, 32 + 16 * 4096},
	    {TW_CTL_MODE_FEATURE_MASK, 0x3F0},
	};
	for (size_t i = 0; i < NELEM(t); i++)
		CU_ASSERT_EQUAL(t[i].got, t[i].want);
	/* every message after Set-Up-Response is whole blocks (§0) */
	for (size_t i = C_SERVER_START; i < C__N; i++)
		CU_ASSERT_EQUAL(codecs[i].len % TW_CTL_BLOCK_LEN, 0);
}

int main(void)
{
	static const struct tw_unit_case codec_cases[] = {
	    {"roundtrip_all", test_roundtrip_all},
	    {"known_bytes_v38", test_known_bytes},
	    {"start_stop_bytes", test_start_stop_bytes},
	    {"truncation_every_length", test_truncation_every_length},
	    {"too_long", test_too_long},
	    {"encode_nospace_and_args", test_encode_nospace},
	    {"mbz_zero_and_ignored", test_mbz},
	    {"bad_input_table", test_bad_input},
	    {"request_partial_fill", test_request_partial_fill},
	    {"request_ipv4_tail", test_request_ipv4_tail},
	    {"encode_rejects", test_encode_rejects},
	    {"sizes", test_sizes},
	    {NULL, NULL},
	};
	static const struct tw_unit_case n_cases[] = {
	    {"n_roundtrip", test_n_roundtrip},
	    {"n_known_bytes", test_n_known_bytes},
	    {"n_bad", test_n_bad},
	    {NULL, NULL},
	};
	static const struct tw_unit_case dispatch_cases[] = {
	    {"cmd_peek_all_256", test_cmd_peek_all},
	    {"request_micro_rfc9533", test_request_micro},
	    {"cmd_peek_edges", test_cmd_peek_edges},
	    {"peek_matches_encoders", test_peek_matches_encoders},
	    {"reply_peek", test_reply_peek},
	    {NULL, NULL},
	};
	static const struct tw_unit_case misc_cases[] = {
	    {"mode_valid", test_mode_valid},
	    {"mode_select", test_mode_select},
	    {"mode_pick", test_mode_pick},
	    {"mode_names_format", test_mode_names},
	    {"accept_cmd_names", test_accept_and_cmd_names},
	    {"typep", test_typep},
	    {NULL, NULL},
	};
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (tw_unit_suite("ctl_codec", codec_cases) || tw_unit_suite("ctl_n", n_cases) ||
	    tw_unit_suite("ctl_dispatch", dispatch_cases) ||
	    tw_unit_suite("ctl_misc", misc_cases)) {
		CU_cleanup_registry();
		return 2;
	}
	return tw_unit_run("ctl");
}
