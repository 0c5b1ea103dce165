/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TWAMP-Control codecs.  Layouts: twamp-wire.md §2 (offsets in the comments
 * below are octet offsets in the message).  Every codec reads or writes the
 * whole fixed layout straight through a cursor and checks it once at the end.
 */
#include "tw_ctl.h"

#include <stdio.h>
#include <string.h>

#include "tw_cursor.h"

/* Common prologue of every encoder: validate arguments and room up front so
 * that nothing is written on error. */
static enum tw_err enc_begin(const void *m, uint8_t *buf, size_t cap, size_t need, struct tw_wr *w)
{
	if (!m || (!buf && cap))
		return TW_E_ARG;
	if (cap < need)
		return TW_E_NOSPACE;
	tw_wr_init(w, buf, need);
	return TW_OK;
}

static enum tw_err enc_end(const struct tw_wr *w, size_t need, size_t *outlen)
{
	/* Cannot fail once the room was checked; kept as a guard against a
	 * layout that writes more than its declared length. */
	if (!tw_wr_ok(w) || tw_wr_off(w) != need)
		return TW_E_NOSPACE;
	if (outlen)
		*outlen = need;
	return TW_OK;
}

/* Exact-length rule for fixed-size messages. */
static enum tw_err dec_len(const uint8_t *buf, size_t len, size_t need)
{
	if (!buf && len)
		return TW_E_ARG;
	if (len < need)
		return TW_E_TRUNCATED;
	if (len > need)
		return TW_E_LENGTH;
	return TW_OK;
}

static bool accept_ok(uint8_t a)
{
	return a <= TW_CTL_ACCEPT_MAX;
}

/* ---- Server Greeting (§2.1) ------------------------------------------------ */

enum tw_err tw_ctl_greeting_encode(const struct tw_ctl_greeting *m, uint8_t *buf, size_t cap,
                                   size_t *outlen)
{
	struct tw_wr w;
	enum tw_err e = enc_begin(m, buf, cap, TW_CTL_GREETING_LEN, &w);
	if (e)
		return e;
	tw_wr_zero(&w, 12); /* 0: Unused */
	tw_wr_u32(&w, m->modes);
	tw_wr_bytes(&w, m->challenge, sizeof m->challenge);
	tw_wr_bytes(&w, m->salt, sizeof m->salt);
	tw_wr_u32(&w, m->count);
	tw_wr_zero(&w, 12); /* 52: MBZ */
	return enc_end(&w, TW_CTL_GREETING_LEN, outlen);
}

enum tw_err tw_ctl_greeting_decode(const uint8_t *buf, size_t len, struct tw_ctl_greeting *m)
{
	if (!m)
		return TW_E_ARG;
	memset(m, 0, sizeof *m);
	enum tw_err e = dec_len(buf, len, TW_CTL_GREETING_LEN);
	if (e)
		return e;
	struct tw_rd r;
	tw_rd_init(&r, buf, len);
	tw_rd_skip(&r, 12);
	m->modes = tw_rd_u32(&r);
	tw_rd_bytes(&r, m->challenge, sizeof m->challenge);
	tw_rd_bytes(&r, m->salt, sizeof m->salt);
	m->count = tw_rd_u32(&r);
	tw_rd_skip(&r, 12);
	/* Modes == 0 is a valid greeting ("I will not talk to you"); Count
	 * limits are client policy (§2.1), not a codec matter. */
	return tw_rd_ok(&r) ? TW_OK : TW_E_TRUNCATED;
}

/* ---- Set-Up-Response (§2.3) ------------------------------------------------ */

enum tw_err tw_ctl_setup_response_encode(const struct tw_ctl_setup_response *m, uint8_t *buf,
                                         size_t cap, size_t *outlen)
{
	struct tw_wr w;
	enum tw_err e = enc_begin(m, buf, cap, TW_CTL_SETUP_RESPONSE_LEN, &w);
	if (e)
		return e;
	if (!tw_ctl_mode_valid(m->mode))
		return TW_E_MODE;
	tw_wr_u32(&w, m->mode);
	tw_wr_bytes(&w, m->key_id, sizeof m->key_id);
	tw_wr_bytes(&w, m->token, sizeof m->token);
	tw_wr_bytes(&w, m->client_iv, sizeof m->client_iv);
	return enc_end(&w, TW_CTL_SETUP_RESPONSE_LEN, outlen);
}

enum tw_err tw_ctl_setup_response_decode(const uint8_t *buf, size_t len,
                                         struct tw_ctl_setup_response *m)
{
	if (!m)
		return TW_E_ARG;
	memset(m, 0, sizeof *m);
	enum tw_err e = dec_len(buf, len, TW_CTL_SETUP_RESPONSE_LEN);
	if (e)
		return e;
	struct tw_rd r;
	tw_rd_init(&r, buf, len);
	m->mode = tw_rd_u32(&r);
	tw_rd_bytes(&r, m->key_id, sizeof m->key_id);
	tw_rd_bytes(&r, m->token, sizeof m->token);
	tw_rd_bytes(&r, m->client_iv, sizeof m->client_iv);
	if (!tw_rd_ok(&r))
		return TW_E_TRUNCATED;
	/* Whether the mode was offered is tw_ctl_mode_select()'s job; here only
	 * the shape: one base mode plus known feature bits (§2.2). */
	return tw_ctl_mode_valid(m->mode) ? TW_OK : TW_E_MODE;
}

/* ---- Server-Start (§2.4) --------------------------------------------------- */

enum tw_err tw_ctl_server_start_encode(const struct tw_ctl_server_start *m, uint8_t *buf,
                                       size_t cap, size_t *outlen)
{
	struct tw_wr w;
	enum tw_err e = enc_begin(m, buf, cap, TW_CTL_SERVER_START_LEN, &w);
	if (e)
		return e;
	if (!accept_ok(m->accept))
		return TW_E_ACCEPT;
	tw_wr_zero(&w, 15); /* 0: MBZ */
	tw_wr_u8(&w, m->accept);
	tw_wr_bytes(&w, m->server_iv, sizeof m->server_iv);
	tw_wr_u64(&w, m->start_time);
	tw_wr_zero(&w, 8); /* 40: MBZ */
	return enc_end(&w, TW_CTL_SERVER_START_LEN, outlen);
}

enum tw_err tw_ctl_server_start_decode(const uint8_t *buf, size_t len,
                                       struct tw_ctl_server_start *m)
{
	if (!m)
		return TW_E_ARG;
	memset(m, 0, sizeof *m);
	enum tw_err e = dec_len(buf, len, TW_CTL_SERVER_START_LEN);
	if (e)
		return e;
	struct tw_rd r;
	tw_rd_init(&r, buf, len);
	tw_rd_skip(&r, 15);
	m->accept = tw_rd_u8(&r);
	tw_rd_bytes(&r, m->server_iv, sizeof m->server_iv);
	m->start_time = tw_rd_u64(&r);
	tw_rd_skip(&r, 8);
	if (!tw_rd_ok(&r))
		return TW_E_TRUNCATED;
	/* twping treats an Accept outside 0..5 as a failed connection (§2.6). */
	return accept_ok(m->accept) ? TW_OK : TW_E_ACCEPT;
}

/* ---- Request-TW-Session (§2.7, RFC 5357 §3.5) ------------------------------- */

static bool ipvn_ok(uint8_t v)
{
	return v == 4 || v == 6;
}

/* IPv4 sends its 4 octets followed by 12 MBZ octets (§2.7). */
static void wr_addr(struct tw_wr *w, const struct tw_ctl_addr *a)
{
	if (a->ipvn == 4) {
		tw_wr_bytes(w, a->addr, 4);
		tw_wr_zero(w, 12);
	} else {
		tw_wr_bytes(w, a->addr, 16);
	}
}

/* With an unknown IPVN the raw 16 octets are kept, for the log. */
static void rd_addr(struct tw_rd *r, uint8_t ipvn, struct tw_ctl_addr *a)
{
	a->ipvn = ipvn;
	tw_rd_bytes(r, a->addr, sizeof a->addr);
	if (ipvn == 4)
		memset(a->addr + 4, 0, sizeof a->addr - 4); /* MBZ: ignore */
}

enum tw_err tw_ctl_request_tw_session_encode(const struct tw_ctl_request_tw_session *m,
                                             uint8_t *buf, size_t cap, size_t *outlen)
{
	struct tw_wr w;
	enum tw_err e = enc_begin(m, buf, cap, TW_CTL_REQUEST_TW_SESSION_LEN, &w);
	if (e)
		return e;
	/* The message has one IPVN for both addresses. */
	if (!ipvn_ok(m->sender_addr.ipvn) || m->sender_addr.ipvn != m->receiver_addr.ipvn)
		return TW_E_IPVN;
	/* twampd never answers a request with these set (§2.7, §8 client 2). */
	if (m->conf_sender || m->conf_receiver || m->num_slots || m->num_packets)
		return TW_E_FIELD;
	if (!tw_ctl_typep_valid(m->type_p))
		return TW_E_TYPEP;
	/* RFC 9533 §4.1: the same message, Command 11 */
	tw_wr_u8(&w, m->micro ? TW_CTL_CMD_REQUEST_TW_MICRO : TW_CTL_CMD_REQUEST_TW_SESSION);
	tw_wr_u8(&w, m->sender_addr.ipvn); /* high nibble MBZ */
	tw_wr_u8(&w, m->conf_sender);
	tw_wr_u8(&w, m->conf_receiver);
	tw_wr_u32(&w, m->num_slots);
	tw_wr_u32(&w, m->num_packets);
	tw_wr_u16(&w, m->sender_port);
	tw_wr_u16(&w, m->receiver_port);
	wr_addr(&w, &m->sender_addr);
	wr_addr(&w, &m->receiver_addr);
	tw_wr_bytes(&w, m->sid, sizeof m->sid);
	tw_wr_u32(&w, m->padding_length);
	tw_wr_u64(&w, m->start_time);
	tw_wr_u64(&w, m->timeout);
	tw_wr_u32(&w, m->type_p);
	/* 88: RFC 6038 octets; zero (= MBZ) unless Reflect Octets is in use */
	tw_wr_u16(&w, m->octets_to_reflect);
	tw_wr_u16(&w, m->padding_to_reflect);
	tw_wr_zero(&w, 4); /* 92: MBZ */
	tw_wr_bytes(&w, m->hmac, sizeof m->hmac);
	return enc_end(&w, TW_CTL_REQUEST_TW_SESSION_LEN, outlen);
}

enum tw_err tw_ctl_request_tw_session_decode(const uint8_t *buf, size_t len,
                                             struct tw_ctl_request_tw_session *m)
{
	if (!m)
		return TW_E_ARG;
	memset(m, 0, sizeof *m);
	enum tw_err e = dec_len(buf, len, TW_CTL_REQUEST_TW_SESSION_LEN);
	if (e)
		return e;
	struct tw_rd r;
	tw_rd_init(&r, buf, len);
	uint8_t cmd = tw_rd_u8(&r);
	/* High nibble is MBZ (ignored on receipt); IPVN is the low nibble. */
	uint8_t ipvn = tw_rd_u8(&r) & 0x0F;
	m->conf_sender = tw_rd_u8(&r);
	m->conf_receiver = tw_rd_u8(&r);
	m->num_slots = tw_rd_u32(&r);
	m->num_packets = tw_rd_u32(&r);
	m->sender_port = tw_rd_u16(&r);
	m->receiver_port = tw_rd_u16(&r);
	rd_addr(&r, ipvn, &m->sender_addr);
	rd_addr(&r, ipvn, &m->receiver_addr);
	tw_rd_bytes(&r, m->sid, sizeof m->sid);
	m->padding_length = tw_rd_u32(&r);
	m->start_time = tw_rd_u64(&r);
	m->timeout = tw_rd_u64(&r);
	m->type_p = tw_rd_u32(&r);
	m->octets_to_reflect = tw_rd_u16(&r);
	m->padding_to_reflect = tw_rd_u16(&r);
	tw_rd_skip(&r, 4);
	tw_rd_bytes(&r, m->hmac, sizeof m->hmac);
	if (!tw_rd_ok(&r))
		return TW_E_TRUNCATED;
	m->micro = cmd == TW_CTL_CMD_REQUEST_TW_MICRO;
	if (cmd != TW_CTL_CMD_REQUEST_TW_SESSION && !m->micro)
		return TW_E_COMMAND;
	/* Every check below maps to Accept-Session Accept=3 at the server
	 * (§2.7, §2.8, §8 server 6) — unlike twampd, which stays silent. */
	if (!ipvn_ok(ipvn))
		return TW_E_IPVN;
	if (m->conf_sender || m->conf_receiver || m->num_slots || m->num_packets)
		return TW_E_FIELD;
	if (!tw_ctl_typep_valid(m->type_p))
		return TW_E_TYPEP;
	return TW_OK;
}

/* ---- Accept-Session (§2.9) -------------------------------------------------- */

enum tw_err tw_ctl_accept_session_encode(const struct tw_ctl_accept_session *m, uint8_t *buf,
                                         size_t cap, size_t *outlen)
{
	struct tw_wr w;
	enum tw_err e = enc_begin(m, buf, cap, TW_CTL_ACCEPT_SESSION_LEN, &w);
	if (e)
		return e;
	if (!accept_ok(m->accept))
		return TW_E_ACCEPT;
	tw_wr_u8(&w, m->accept);
	tw_wr_zero(&w, 1); /* 1: MBZ */
	tw_wr_u16(&w, m->port);
	tw_wr_bytes(&w, m->sid, sizeof m->sid);
	/* 20: RFC 6038 octets; zero (= MBZ) unless Reflect Octets is in use */
	tw_wr_u16(&w, m->reflected_octets);
	tw_wr_u16(&w, m->server_octets);
	tw_wr_zero(&w, 8); /* 24: MBZ */
	tw_wr_bytes(&w, m->hmac, sizeof m->hmac);
	return enc_end(&w, TW_CTL_ACCEPT_SESSION_LEN, outlen);
}

enum tw_err tw_ctl_accept_session_decode(const uint8_t *buf, size_t len,
                                         struct tw_ctl_accept_session *m)
{
	if (!m)
		return TW_E_ARG;
	memset(m, 0, sizeof *m);
	enum tw_err e = dec_len(buf, len, TW_CTL_ACCEPT_SESSION_LEN);
	if (e)
		return e;
	struct tw_rd r;
	tw_rd_init(&r, buf, len);
	m->accept = tw_rd_u8(&r);
	tw_rd_skip(&r, 1);
	m->port = tw_rd_u16(&r);
	tw_rd_bytes(&r, m->sid, sizeof m->sid);
	m->reflected_octets = tw_rd_u16(&r);
	m->server_octets = tw_rd_u16(&r);
	tw_rd_skip(&r, 8);
	tw_rd_bytes(&r, m->hmac, sizeof m->hmac);
	if (!tw_rd_ok(&r))
		return TW_E_TRUNCATED;
	return accept_ok(m->accept) ? TW_OK : TW_E_ACCEPT;
}

/* ---- Start-Sessions / Start-Ack (§2.10, RFC 5357 §3.7) --------------------- */

enum tw_err tw_ctl_start_sessions_encode(const struct tw_ctl_start_sessions *m, uint8_t *buf,
                                         size_t cap, size_t *outlen)
{
	struct tw_wr w;
	enum tw_err e = enc_begin(m, buf, cap, TW_CTL_START_SESSIONS_LEN, &w);
	if (e)
		return e;
	tw_wr_u8(&w, TW_CTL_CMD_START_SESSIONS);
	tw_wr_zero(&w, 15); /* 1: MBZ */
	tw_wr_bytes(&w, m->hmac, sizeof m->hmac);
	return enc_end(&w, TW_CTL_START_SESSIONS_LEN, outlen);
}

enum tw_err tw_ctl_start_sessions_decode(const uint8_t *buf, size_t len,
                                         struct tw_ctl_start_sessions *m)
{
	if (!m)
		return TW_E_ARG;
	memset(m, 0, sizeof *m);
	enum tw_err e = dec_len(buf, len, TW_CTL_START_SESSIONS_LEN);
	if (e)
		return e;
	struct tw_rd r;
	tw_rd_init(&r, buf, len);
	uint8_t cmd = tw_rd_u8(&r);
	tw_rd_skip(&r, 15);
	tw_rd_bytes(&r, m->hmac, sizeof m->hmac);
	if (!tw_rd_ok(&r))
		return TW_E_TRUNCATED;
	return cmd == TW_CTL_CMD_START_SESSIONS ? TW_OK : TW_E_COMMAND;
}

enum tw_err tw_ctl_start_ack_encode(const struct tw_ctl_start_ack *m, uint8_t *buf, size_t cap,
                                    size_t *outlen)
{
	struct tw_wr w;
	enum tw_err e = enc_begin(m, buf, cap, TW_CTL_START_ACK_LEN, &w);
	if (e)
		return e;
	if (!accept_ok(m->accept))
		return TW_E_ACCEPT;
	tw_wr_u8(&w, m->accept);
	tw_wr_zero(&w, 15); /* 1: MBZ */
	tw_wr_bytes(&w, m->hmac, sizeof m->hmac);
	return enc_end(&w, TW_CTL_START_ACK_LEN, outlen);
}

enum tw_err tw_ctl_start_ack_decode(const uint8_t *buf, size_t len, struct tw_ctl_start_ack *m)
{
	if (!m)
		return TW_E_ARG;
	memset(m, 0, sizeof *m);
	enum tw_err e = dec_len(buf, len, TW_CTL_START_ACK_LEN);
	if (e)
		return e;
	struct tw_rd r;
	tw_rd_init(&r, buf, len);
	m->accept = tw_rd_u8(&r);
	tw_rd_skip(&r, 15);
	tw_rd_bytes(&r, m->hmac, sizeof m->hmac);
	if (!tw_rd_ok(&r))
		return TW_E_TRUNCATED;
	return accept_ok(m->accept) ? TW_OK : TW_E_ACCEPT;
}

/* ---- Stop-Sessions (§2.11, RFC 5357 §3.8) ----------------------------------- */

enum tw_err tw_ctl_stop_sessions_encode(const struct tw_ctl_stop_sessions *m, uint8_t *buf,
                                        size_t cap, size_t *outlen)
{
	struct tw_wr w;
	enum tw_err e = enc_begin(m, buf, cap, TW_CTL_STOP_SESSIONS_LEN, &w);
	if (e)
		return e;
	if (!accept_ok(m->accept))
		return TW_E_ACCEPT;
	tw_wr_u8(&w, TW_CTL_CMD_STOP_SESSIONS);
	tw_wr_u8(&w, m->accept);
	tw_wr_zero(&w, 2); /* 2: MBZ */
	tw_wr_u32(&w, m->num_sessions);
	tw_wr_zero(&w, 8); /* 8: MBZ; TWAMP sends no OWAMP session records */
	tw_wr_bytes(&w, m->hmac, sizeof m->hmac);
	return enc_end(&w, TW_CTL_STOP_SESSIONS_LEN, outlen);
}

enum tw_err tw_ctl_stop_sessions_decode(const uint8_t *buf, size_t len,
                                        struct tw_ctl_stop_sessions *m)
{
	if (!m)
		return TW_E_ARG;
	memset(m, 0, sizeof *m);
	enum tw_err e = dec_len(buf, len, TW_CTL_STOP_SESSIONS_LEN);
	if (e)
		return e;
	struct tw_rd r;
	tw_rd_init(&r, buf, len);
	uint8_t cmd = tw_rd_u8(&r);
	m->accept = tw_rd_u8(&r);
	tw_rd_skip(&r, 2);
	/* Any count is accepted here: twampy always sends 0 (§2.11, §8 server
	 * 7); matching it against the accepted sessions is server policy. */
	m->num_sessions = tw_rd_u32(&r);
	tw_rd_skip(&r, 8);
	tw_rd_bytes(&r, m->hmac, sizeof m->hmac);
	if (!tw_rd_ok(&r))
		return TW_E_TRUNCATED;
	if (cmd != TW_CTL_CMD_STOP_SESSIONS)
		return TW_E_COMMAND;
	return accept_ok(m->accept) ? TW_OK : TW_E_ACCEPT;
}

/* ---- RFC 5938 Start-N/Stop-N-Sessions and acks (§2.12) ---------------------- */

static bool n_cmd_ok(uint8_t c)
{
	return c >= TW_CTL_CMD_START_N_SESSIONS && c <= TW_CTL_CMD_STOP_N_ACK;
}
static bool n_is_ack(uint8_t c)
{
	return c == TW_CTL_CMD_START_N_ACK || c == TW_CTL_CMD_STOP_N_ACK;
}

enum tw_err tw_ctl_n_sessions_encode(const struct tw_ctl_n_sessions *m, uint8_t *buf, size_t cap,
                                     size_t *outlen)
{
	if (!m)
		return TW_E_ARG;
	if (!n_cmd_ok(m->command))
		return TW_E_COMMAND;
	if (m->num_sessions > TW_CTL_N_MAX)
		return TW_E_LENGTH;
	if (m->num_sessions && !m->sids)
		return TW_E_ARG;
	if (n_is_ack(m->command) && !accept_ok(m->accept))
		return TW_E_ACCEPT;
	size_t need = TW_CTL_N_LEN(m->num_sessions);
	struct tw_wr w;
	enum tw_err e = enc_begin(m, buf, cap, need, &w);
	if (e)
		return e;
	tw_wr_u8(&w, m->command);
	tw_wr_u8(&w, n_is_ack(m->command) ? m->accept : 0); /* MBZ in 7 and 9 */
	tw_wr_zero(&w, 10);                                 /* 2: MBZ */
	tw_wr_u32(&w, m->num_sessions);
	for (uint32_t i = 0; i < m->num_sessions; i++)
		tw_wr_bytes(&w, m->sids[i], TW_CTL_SID_LEN);
	tw_wr_bytes(&w, m->hmac, sizeof m->hmac);
	return enc_end(&w, need, outlen);
}

enum tw_err tw_ctl_n_sessions_decode(const uint8_t *buf, size_t len, uint8_t expect,
                                     struct tw_ctl_n_sessions *m)
{
	if (!m)
		return TW_E_ARG;
	memset(m, 0, sizeof *m);
	if (!n_cmd_ok(expect) || (!buf && len))
		return TW_E_ARG;
	if (len < TW_CTL_N_BASE_LEN)
		return TW_E_TRUNCATED;
	struct tw_rd r;
	tw_rd_init(&r, buf, len);
	m->command = tw_rd_u8(&r);
	uint8_t accept = tw_rd_u8(&r);
	m->accept = n_is_ack(m->command) ? accept : 0;
	tw_rd_skip(&r, 10);
	m->num_sessions = tw_rd_u32(&r);
	/* N is read before any HMAC can vouch for it: bound it first, then
	 * require the buffer to hold exactly the message it announces. */
	if (m->num_sessions > TW_CTL_N_MAX)
		return TW_E_LENGTH;
	size_t need = TW_CTL_N_LEN(m->num_sessions);
	if (len < need)
		return TW_E_TRUNCATED;
	if (len > need)
		return len % TW_CTL_BLOCK_LEN ? TW_E_NOT_BLOCK : TW_E_LENGTH;
	const uint8_t *sids = tw_rd_take(&r, (size_t)m->num_sessions * TW_CTL_SID_LEN);
	m->sids = (const uint8_t(*)[TW_CTL_SID_LEN])sids;
	tw_rd_bytes(&r, m->hmac, sizeof m->hmac);
	if (!tw_rd_ok(&r) || !sids) {
		m->sids = NULL;
		return TW_E_TRUNCATED;
	}
	if (m->command != expect)
		return TW_E_COMMAND;
	if (n_is_ack(m->command) && !accept_ok(m->accept))
		return TW_E_ACCEPT;
	return TW_OK;
}

/* ---- Dispatch (§2.0, §2.13) -------------------------------------------------- */

/* Length of an N message from its first block, or 0 if N is out of bounds. */
static size_t n_len_from_block(const uint8_t *block)
{
	uint32_t n = tw_be32(block + 12);
	return n > TW_CTL_N_MAX ? 0 : TW_CTL_N_LEN(n);
}

enum tw_err tw_ctl_cmd_peek(const uint8_t *block, size_t len, uint8_t *cmd, size_t *msglen)
{
	if (!cmd || !msglen)
		return TW_E_ARG;
	*cmd = 0;
	*msglen = 0;
	if (!block || len < TW_CTL_BLOCK_LEN)
		return TW_E_TRUNCATED;
	*cmd = block[0];
	switch (block[0]) {
	case TW_CTL_CMD_REQUEST_TW_SESSION:
	case TW_CTL_CMD_REQUEST_TW_MICRO: /* RFC 9533 §4.1: the same 112 octets */
		*msglen = TW_CTL_REQUEST_TW_SESSION_LEN;
		return TW_OK;
	case TW_CTL_CMD_START_SESSIONS:
		*msglen = TW_CTL_START_SESSIONS_LEN;
		return TW_OK;
	case TW_CTL_CMD_STOP_SESSIONS:
		*msglen = TW_CTL_STOP_SESSIONS_LEN;
		return TW_OK;
	case TW_CTL_CMD_START_N_SESSIONS:
	case TW_CTL_CMD_STOP_N_SESSIONS:
		/* Reported even if RFC 5938 was not negotiated: knowing the full
		 * length lets the server skip the whole message and stay in
		 * step instead of misparsing its SID blocks (§11.4). */
		*msglen = n_len_from_block(block);
		return *msglen ? TW_OK : TW_E_LENGTH;
	default:
		/* 0, 1 (OWAMP Request-Session), 4 (Fetch), 6, the server-only
		 * acks 8/10 and unassigned:
		 * the length is unknown, so consume one block and answer
		 * Accept-Session/Accept=3, as twampd does (§2.13). */
		*msglen = TW_CTL_BLOCK_LEN;
		return TW_E_COMMAND;
	}
}

enum tw_err tw_ctl_reply_peek(uint8_t sent_cmd, const uint8_t *block, size_t len, size_t *msglen)
{
	if (!msglen)
		return TW_E_ARG;
	*msglen = 0;
	if (sent_cmd == TW_CTL_CMD_STOP_SESSIONS)
		return TW_E_ARG; /* no reply exists (§2.11) */
	if (!block || len < TW_CTL_BLOCK_LEN)
		return TW_E_TRUNCATED;
	switch (sent_cmd) {
	case TW_CTL_CMD_START_SESSIONS:
		*msglen = TW_CTL_START_ACK_LEN;
		return TW_OK;
	case TW_CTL_CMD_START_N_SESSIONS:
	case TW_CTL_CMD_STOP_N_SESSIONS:
		/* The ack's command number (8/10) can never be an Accept value
		 * (0..5), so the first octet tells an ack from a rejection. */
		if (block[0] == sent_cmd + 1) {
			*msglen = n_len_from_block(block);
			return *msglen ? TW_OK : TW_E_LENGTH;
		}
		if (accept_ok(block[0])) {
			*msglen = TW_CTL_ACCEPT_SESSION_LEN;
			return TW_OK;
		}
		return TW_E_COMMAND;
	default:
		/* Request-TW-Session, and any command the server does not know,
		 * get an Accept-Session (§2.13). */
		*msglen = TW_CTL_ACCEPT_SESSION_LEN;
		return TW_OK;
	}
}

/* ---- Modes ------------------------------------------------------------------- */

bool tw_ctl_mode_valid(uint32_t mode)
{
	uint32_t base = mode & ~(uint32_t)TW_CTL_MODE_FEATURE_MASK;
	return base == TW_CTL_MODE_OPEN || base == TW_CTL_MODE_AUTH ||
	       base == TW_CTL_MODE_ENCRYPTED || base == TW_CTL_MODE_MIXED;
}

enum tw_err tw_ctl_mode_select(uint32_t chosen, uint32_t offered)
{
	if (!tw_ctl_mode_valid(chosen))
		return TW_E_MODE;
	/* The base bit and every feature bit must have been offered: feature
	 * bits are only legal as an answer to an offer (RFC 5938, RFC 6038). */
	if ((chosen & ~offered) != 0)
		return TW_E_MODE;
	return TW_OK;
}

uint32_t tw_ctl_mode_pick(uint32_t offered, uint32_t acceptable)
{
	static const uint32_t pref[] = {TW_CTL_MODE_ENCRYPTED, TW_CTL_MODE_AUTH, TW_CTL_MODE_MIXED,
	                                TW_CTL_MODE_OPEN};
	uint32_t common = offered & acceptable;
	for (size_t i = 0; i < sizeof pref / sizeof pref[0]; i++)
		if (common & pref[i])
			return pref[i];
	return 0;
}

static const char *const mode_names[] = {
    "open",           "authenticated",    "encrypted", "mixed",    "individual-session-control",
    "reflect-octets", "symmetrical-size", "ikev2",     "dscp-ecn", "ptpv2",
};

const char *tw_ctl_mode_name(uint32_t mode_bit)
{
	for (unsigned i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
		if (mode_bit == 1u << i)
			return mode_names[i];
	return "unknown";
}

size_t tw_ctl_mode_format(uint32_t modes, char *buf, size_t cap)
{
	size_t n = 0;
	if (buf && cap)
		buf[0] = '\0';
	if (!modes) {
		n = 4;
		if (buf && cap)
			snprintf(buf, cap, "none");
		return n;
	}
	for (unsigned i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++) {
		if (!(modes & (1u << i)))
			continue;
		int k = snprintf(buf && n < cap ? buf + n : NULL, buf && n < cap ? cap - n : 0,
		                 "%s%s", n ? "|" : "", mode_names[i]);
		n += (size_t)k;
	}
	uint32_t rest = modes & ~(uint32_t)TW_CTL_MODE_KNOWN_MASK;
	if (rest) {
		int k = snprintf(buf && n < cap ? buf + n : NULL, buf && n < cap ? cap - n : 0,
		                 "%s0x%x", n ? "|" : "", (unsigned)rest);
		n += (size_t)k;
	}
	return n;
}

/* ---- Names ------------------------------------------------------------------- */

const char *tw_ctl_accept_name(uint8_t accept)
{
	static const char *const names[] = {
	    "ok",
	    "failure",
	    "internal-error",
	    "not-supported",
	    "permanent-limit",
	    "temporary-limit",
	};
	return accept_ok(accept) ? names[accept] : "invalid";
}

const char *tw_ctl_cmd_name(uint8_t cmd)
{
	static const char *const names[] = {
	    "reserved",      "request-session",    "start-sessions",  "stop-sessions",
	    "fetch-session", "request-tw-session", "experimentation", "start-n-sessions",
	    "start-n-ack",   "stop-n-sessions",    "stop-n-ack",      "request-tw-micro-sessions",
	};
	return cmd < sizeof names / sizeof names[0] ? names[cmd] : "unassigned";
}
