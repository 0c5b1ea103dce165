/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "ctl": every TWAMP-Control decoder in lib/tw_ctl.h plus the
 * two dispatch peeks, on the same input (each decoder wants its own exact
 * length, so the fuzzer learns the lengths from the length checks).
 *
 * Invariants (abort() on violation):
 *  - the decoders follow the documented length rule (short -> TRUNCATED,
 *    long -> LENGTH; N messages: the RFC 5938 rule list in tw_ctl.h);
 *  - whenever a decoder says OK, encoding the struct succeeds with exactly
 *    the input length, the output equals the input except in MBZ octets
 *    (which it zeroes), and decoding that canonical message gives OK and the
 *    same struct (encode(decode(x)) is a fixed point);
 *  - tw_ctl_cmd_peek/tw_ctl_reply_peek return the documented (err, length)
 *    pairs, and a whole message whose length the peek announced is never
 *    rejected for its length by the matching decoder.
 */
#include "fuzz_common.h"

#include "tw_ctl.h"

/* Octets the encoder must zero (MBZ / unused) for each fixed message;
 * everything else must come back unchanged. */
struct mbz {
	size_t from, to; /* [from, to) */
};

static int in_mbz(const struct mbz *m, size_t n, size_t i)
{
	for (size_t k = 0; k < n; k++)
		if (i >= m[k].from && i < m[k].to)
			return 1;
	return 0;
}

static void check_canonical(const uint8_t *in, const uint8_t *out, size_t len,
                            const struct mbz *m, size_t nm)
{
	for (size_t i = 0; i < len; i++) {
		if (in_mbz(m, nm, i))
			FUZZ_ASSERT(out[i] == 0);
		else
			FUZZ_ASSERT(out[i] == in[i]);
	}
}

static void check_len_rule(enum tw_err e, size_t len, size_t need)
{
	if (len < need)
		FUZZ_ASSERT(e == TW_E_TRUNCATED);
	else if (len > need)
		FUZZ_ASSERT(e == TW_E_LENGTH);
	else
		FUZZ_ASSERT(e != TW_E_TRUNCATED && e != TW_E_LENGTH && e != TW_E_NOT_BLOCK &&
		            e != TW_E_ARG);
}

/* One fixed-size message type: decode, check, re-encode, re-decode. */
#define FIXED_CASE(NAME, TYPE, NEED, MBZ)                                                         \
	do {                                                                                       \
		struct TYPE m, m2;                                                                 \
		uint8_t out[NEED], out2[NEED];                                                    \
		size_t ol = 0;                                                                     \
		enum tw_err e = tw_ctl_##NAME##_decode(buf, len, &m);                              \
		check_len_rule(e, len, NEED);                                                      \
		if (e == TW_OK) {                                                                  \
			FUZZ_ASSERT(tw_ctl_##NAME##_encode(&m, out, sizeof out, &ol) == TW_OK);     \
			FUZZ_ASSERT(ol == NEED);                                                   \
			check_canonical(buf, out, NEED, MBZ, sizeof MBZ / sizeof MBZ[0]);          \
			FUZZ_ASSERT(tw_ctl_##NAME##_decode(out, ol, &m2) == TW_OK);                \
			FUZZ_ASSERT(memcmp(&m, &m2, sizeof m) == 0);                               \
			FUZZ_ASSERT(tw_ctl_##NAME##_encode(&m2, out2, sizeof out2, &ol) == TW_OK);  \
			FUZZ_ASSERT(memcmp(out, out2, NEED) == 0);                                 \
			/* One octet short of room: nothing written, NOSPACE. */                   \
			memset(out2, 0xA5, sizeof out2);                                           \
			FUZZ_ASSERT(tw_ctl_##NAME##_encode(&m, out2, NEED - 1, &ol) ==              \
			            TW_E_NOSPACE);                                                 \
			for (size_t i_ = 0; i_ < NEED; i_++)                                       \
				FUZZ_ASSERT(out2[i_] == 0xA5);                                     \
		}                                                                                  \
	} while (0)

static const struct mbz greeting_mbz[] = {{0, 12}, {52, 64}};
static const struct mbz setup_mbz[] = {{0, 0}};
static const struct mbz server_start_mbz[] = {{0, 15}, {40, 48}};
static const struct mbz accept_session_mbz[] = {{1, 2}, {24, 32}};
static const struct mbz start_sessions_mbz[] = {{1, 16}};
static const struct mbz start_ack_mbz[] = {{1, 16}};
static const struct mbz stop_sessions_mbz[] = {{2, 4}, {8, 16}};

static void fuzz_request(const uint8_t *buf, size_t len)
{
	struct tw_ctl_request_tw_session m, m2;
	uint8_t out[TW_CTL_REQUEST_TW_SESSION_LEN], out2[TW_CTL_REQUEST_TW_SESSION_LEN];
	size_t ol = 0;
	enum tw_err e = tw_ctl_request_tw_session_decode(buf, len, &m);
	check_len_rule(e, len, TW_CTL_REQUEST_TW_SESSION_LEN);
	if (e != TW_OK)
		return;
	FUZZ_ASSERT(m.sender_addr.ipvn == 4 || m.sender_addr.ipvn == 6);
	FUZZ_ASSERT(tw_ctl_typep_valid(m.type_p));
	/* RFC 9533 §4.1: command 11 is the same message, flagged */
	FUZZ_ASSERT(m.micro == (buf[0] == TW_CTL_CMD_REQUEST_TW_MICRO));
	FUZZ_ASSERT(tw_ctl_request_tw_session_encode(&m, out, sizeof out, &ol) == TW_OK);
	FUZZ_ASSERT(ol == TW_CTL_REQUEST_TW_SESSION_LEN);
	/* MBZ: high nibble of octet 1, octets 92..95 and, for IPv4, the 12
	 * octets after each 4-octet address (§2.7). */
	struct mbz v4[] = {{20, 32}, {36, 48}, {92, 96}};
	struct mbz v6[] = {{92, 96}};
	for (size_t i = 0; i < ol; i++) {
		int z = m.sender_addr.ipvn == 4 ? in_mbz(v4, 3, i) : in_mbz(v6, 1, i);
		if (i == 1)
			FUZZ_ASSERT(out[1] == (buf[1] & 0x0F));
		else if (z)
			FUZZ_ASSERT(out[i] == 0);
		else
			FUZZ_ASSERT(out[i] == buf[i]);
	}
	FUZZ_ASSERT(tw_ctl_request_tw_session_decode(out, ol, &m2) == TW_OK);
	FUZZ_ASSERT(memcmp(&m, &m2, sizeof m) == 0);
	FUZZ_ASSERT(tw_ctl_request_tw_session_encode(&m2, out2, sizeof out2, &ol) == TW_OK);
	FUZZ_ASSERT(memcmp(out, out2, sizeof out) == 0);
}

static void fuzz_n(const uint8_t *buf, size_t len, uint8_t expect)
{
	struct tw_ctl_n_sessions m, m2;
	enum tw_err e = tw_ctl_n_sessions_decode(buf, len, expect, &m);
	if (expect < TW_CTL_CMD_START_N_SESSIONS || expect > TW_CTL_CMD_STOP_N_ACK) {
		FUZZ_ASSERT(e == TW_E_ARG);
		return;
	}
	/* The documented order of the length rules. */
	if (len < TW_CTL_N_BASE_LEN) {
		FUZZ_ASSERT(e == TW_E_TRUNCATED && m.sids == NULL);
		return;
	}
	uint32_t n = (uint32_t)buf[12] << 24 | (uint32_t)buf[13] << 16 | (uint32_t)buf[14] << 8 |
	             buf[15];
	FUZZ_ASSERT(m.num_sessions == n);
	if (n > TW_CTL_N_MAX) {
		FUZZ_ASSERT(e == TW_E_LENGTH && m.sids == NULL);
		return;
	}
	size_t need = TW_CTL_N_LEN(n);
	if (len < need) {
		FUZZ_ASSERT(e == TW_E_TRUNCATED && m.sids == NULL);
		return;
	}
	if (len > need) {
		FUZZ_ASSERT(e == (len % TW_CTL_BLOCK_LEN ? TW_E_NOT_BLOCK : TW_E_LENGTH));
		FUZZ_ASSERT(m.sids == NULL);
		return;
	}
	FUZZ_ASSERT(n == 0 || m.sids == (const void *)(buf + 16));
	if (m.command != expect) {
		FUZZ_ASSERT(e == TW_E_COMMAND);
		return;
	}
	if (e != TW_OK) {
		FUZZ_ASSERT(e == TW_E_ACCEPT);
		return;
	}
	uint8_t *out = malloc(need), *out2 = malloc(need);
	size_t ol = 0;
	FUZZ_ASSERT(out && out2);
	FUZZ_ASSERT(tw_ctl_n_sessions_encode(&m, out, need, &ol) == TW_OK && ol == need);
	int ack = expect == TW_CTL_CMD_START_N_ACK || expect == TW_CTL_CMD_STOP_N_ACK;
	struct mbz mz[] = {{ack ? 2u : 1u, 12}};
	check_canonical(buf, out, need, mz, 1);
	FUZZ_ASSERT(tw_ctl_n_sessions_decode(out, ol, expect, &m2) == TW_OK);
	FUZZ_ASSERT(m2.command == m.command && m2.accept == m.accept &&
	            m2.num_sessions == m.num_sessions &&
	            memcmp(m2.hmac, m.hmac, sizeof m.hmac) == 0);
	FUZZ_ASSERT(n == 0 || memcmp(m2.sids, m.sids, (size_t)n * TW_CTL_SID_LEN) == 0);
	FUZZ_ASSERT(tw_ctl_n_sessions_encode(&m2, out2, need, &ol) == TW_OK);
	FUZZ_ASSERT(memcmp(out, out2, need) == 0);
	FUZZ_ASSERT(tw_ctl_n_sessions_encode(&m, out2, need - 1, &ol) == TW_E_NOSPACE);
	free(out);
	free(out2);
}

/* Does a decoder reject a message of exactly its announced length for its
 * length?  (It may reject it for its content.) */
static int len_error(enum tw_err e)
{
	return e == TW_E_TRUNCATED || e == TW_E_LENGTH || e == TW_E_NOT_BLOCK;
}

static void fuzz_cmd_peek(const uint8_t *buf, size_t len)
{
	uint8_t cmd = 0xAA;
	size_t ml = 12345;
	enum tw_err e = tw_ctl_cmd_peek(buf, len, &cmd, &ml);
	if (len < TW_CTL_BLOCK_LEN) {
		FUZZ_ASSERT(e == TW_E_TRUNCATED && ml == 0);
		return;
	}
	FUZZ_ASSERT(cmd == buf[0]);
	switch (e) {
	case TW_OK:
		FUZZ_ASSERT(ml >= 2 * TW_CTL_BLOCK_LEN && ml % TW_CTL_BLOCK_LEN == 0 &&
		            ml <= TW_CTL_N_MAX_LEN);
		break;
	case TW_E_COMMAND:
		FUZZ_ASSERT(ml == TW_CTL_BLOCK_LEN);
		return;
	case TW_E_LENGTH:
		FUZZ_ASSERT(ml == 0 && (cmd == TW_CTL_CMD_START_N_SESSIONS ||
		                        cmd == TW_CTL_CMD_STOP_N_SESSIONS));
		return;
	default:
		FUZZ_ASSERT(0);
	}
	if (ml != len)
		return;
	/* The server reads exactly ml octets and decodes them: the decoder must
	 * agree on the length. */
	union {
		struct tw_ctl_request_tw_session r;
		struct tw_ctl_start_sessions s;
		struct tw_ctl_stop_sessions p;
		struct tw_ctl_n_sessions n;
	} u;
	switch (cmd) {
	case TW_CTL_CMD_REQUEST_TW_SESSION:
	case TW_CTL_CMD_REQUEST_TW_MICRO: /* RFC 9533 §4.1: the same 112 octets */
		FUZZ_ASSERT(!len_error(tw_ctl_request_tw_session_decode(buf, len, &u.r)));
		FUZZ_ASSERT(u.r.micro == (cmd == TW_CTL_CMD_REQUEST_TW_MICRO));
		break;
	case TW_CTL_CMD_START_SESSIONS:
		FUZZ_ASSERT(!len_error(tw_ctl_start_sessions_decode(buf, len, &u.s)));
		break;
	case TW_CTL_CMD_STOP_SESSIONS:
		FUZZ_ASSERT(!len_error(tw_ctl_stop_sessions_decode(buf, len, &u.p)));
		break;
	default:
		FUZZ_ASSERT(!len_error(tw_ctl_n_sessions_decode(buf, len, cmd, &u.n)));
		break;
	}
}

static void fuzz_reply_peek(uint8_t sent, const uint8_t *buf, size_t len)
{
	size_t ml = 12345;
	enum tw_err e = tw_ctl_reply_peek(sent, buf, len, &ml);
	if (sent == TW_CTL_CMD_STOP_SESSIONS) {
		FUZZ_ASSERT(e == TW_E_ARG && ml == 0);
		return;
	}
	if (len < TW_CTL_BLOCK_LEN) {
		FUZZ_ASSERT(e == TW_E_TRUNCATED && ml == 0);
		return;
	}
	if (e != TW_OK) {
		FUZZ_ASSERT(ml == 0 && (e == TW_E_LENGTH || e == TW_E_COMMAND));
		FUZZ_ASSERT(sent == TW_CTL_CMD_START_N_SESSIONS || sent == TW_CTL_CMD_STOP_N_SESSIONS);
		return;
	}
	FUZZ_ASSERT(ml >= 2 * TW_CTL_BLOCK_LEN && ml % TW_CTL_BLOCK_LEN == 0 &&
	            ml <= TW_CTL_N_MAX_LEN);
	if (ml != len)
		return;
	union {
		struct tw_ctl_accept_session a;
		struct tw_ctl_start_ack s;
		struct tw_ctl_n_sessions n;
	} u;
	if (ml == TW_CTL_ACCEPT_SESSION_LEN && buf[0] <= TW_CTL_ACCEPT_MAX)
		FUZZ_ASSERT(!len_error(tw_ctl_accept_session_decode(buf, len, &u.a)));
	else if (sent == TW_CTL_CMD_START_SESSIONS)
		FUZZ_ASSERT(!len_error(tw_ctl_start_ack_decode(buf, len, &u.s)));
	else if (sent == TW_CTL_CMD_START_N_SESSIONS || sent == TW_CTL_CMD_STOP_N_SESSIONS)
		FUZZ_ASSERT(!len_error(tw_ctl_n_sessions_decode(buf, len, buf[0], &u.n)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A heap copy of exactly the message, so ASan sees any overread. */
	uint8_t *buf = fz_dup(data, size);
	size_t len = size;

	FIXED_CASE(greeting, tw_ctl_greeting, TW_CTL_GREETING_LEN, greeting_mbz);
	FIXED_CASE(setup_response, tw_ctl_setup_response, TW_CTL_SETUP_RESPONSE_LEN, setup_mbz);
	FIXED_CASE(server_start, tw_ctl_server_start, TW_CTL_SERVER_START_LEN, server_start_mbz);
	FIXED_CASE(accept_session, tw_ctl_accept_session, TW_CTL_ACCEPT_SESSION_LEN,
	           accept_session_mbz);
	FIXED_CASE(start_sessions, tw_ctl_start_sessions, TW_CTL_START_SESSIONS_LEN,
	           start_sessions_mbz);
	FIXED_CASE(start_ack, tw_ctl_start_ack, TW_CTL_START_ACK_LEN, start_ack_mbz);
	FIXED_CASE(stop_sessions, tw_ctl_stop_sessions, TW_CTL_STOP_SESSIONS_LEN,
	           stop_sessions_mbz);
	fuzz_request(buf, len);
	for (uint8_t x = 6; x <= 11; x++)
		fuzz_n(buf, len, x);
	if (len)
		fuzz_n(buf, len, buf[0]);
	fuzz_cmd_peek(buf, len);
	static const uint8_t sent[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255};
	for (size_t i = 0; i < sizeof sent; i++)
		fuzz_reply_peek(sent[i], buf, len);

	/* Pure functions of the decoded values: must not crash on any value. */
	if (len >= 4) {
		uint32_t v = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
		             (uint32_t)buf[2] << 8 | buf[3];
		char s[8];
		size_t need = tw_ctl_mode_format(v, NULL, 0);
		FUZZ_ASSERT(tw_ctl_mode_format(v, s, sizeof s) == need);
		FUZZ_ASSERT(strlen(s) < sizeof s);
		char big[256];
		FUZZ_ASSERT(tw_ctl_mode_format(v, big, sizeof big) == need && strlen(big) == need);
		(void)tw_ctl_mode_name(v);
		(void)tw_ctl_mode_select(v, ~v);
		(void)tw_ctl_mode_pick(v, ~0u);
		(void)tw_ctl_accept_name(buf[0]);
		(void)tw_ctl_cmd_name(buf[0]);
		uint8_t dscp;
		(void)tw_ctl_typep_to_dscp(v, &dscp);
	}
	free(buf);
	return 0;
}
