/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_client: sans-I/O TWAMP-Control client FSM.  See ctl_client.h.
 * Wire reference sections are cited as §N.
 */
#include "ctl_client.h"
#include "ctl_keys.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tw_crypto.h"
#include "tw_pkt.h"

/* Largest reply we accept: an N-ack for every session we may hold. */
#define RX_CAP TW_CTL_N_LEN(CTL_CLIENT_SESSIONS_MAX)
#define TX_CAP 4096u

struct ctl_client {
	struct ctl_client_cfg cfg;
	enum ctl_client_state st;
	enum ctl_client_err err;
	char msg[CTL_CLIENT_ERRMSG_LEN];
	uint8_t accept;
	uint32_t offered, mode;
	uint64_t server_start_time;
	bool secure; /* modes 2/4/8: encrypted, HMAC'd control */
	uint8_t aes_key[TW_CRYPTO_AES_KEY_LEN];
	uint8_t hmac_key[TW_CRYPTO_HMAC_KEY_LEN];
	uint8_t client_iv[TW_CRYPTO_IV_LEN];
	struct tw_ctl_crypto *cc;
	uint8_t rx[RX_CAP];
	size_t rx_len;
	size_t rx_dec; /* octets at the front already decrypted */
	uint8_t tx[TX_CAP];
	size_t tx_len;
	uint8_t sent_cmd;
	struct ctl_client_req pending;
	struct ctl_client_sess sess[CTL_CLIENT_SESSIONS_MAX];
	unsigned nsess;
	bool stopped; /* Stop-Sessions sent: the next request starts a new set */
	unsigned n_idx[CTL_CLIENT_SESSIONS_MAX];
	unsigned n_cnt;
};

static const char *const err_names[] = {
#define X(n, s) #n,
    CTL_CLIENT_ERR_LIST(X)
#undef X
};
static const char *const err_descs[] = {
#define X(n, s) s,
    CTL_CLIENT_ERR_LIST(X)
#undef X
};

const char *ctl_client_err_name(enum ctl_client_err e)
{
	return (unsigned)e < CTL_CLIENT_E__COUNT ? err_names[e] : "UNKNOWN";
}

const char *ctl_client_err_desc(enum ctl_client_err e)
{
	return (unsigned)e < CTL_CLIENT_E__COUNT ? err_descs[e] : "unknown error";
}

const char *ctl_client_state_name(enum ctl_client_state s)
{
	static const char *const n[] = {"greeting",  "server-start", "ready",      "accept",
	                                "start-ack", "running",      "stop-n-ack", "failed"};
	return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "unknown";
}

__attribute__((format(printf, 3, 4))) static void fail(struct ctl_client *c, enum ctl_client_err e,
                                                       const char *fmt, ...)
{
	if (c->st == CTL_CLIENT_FAILED)
		return; /* keep the first, root-cause error */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	c->err = e;
	c->st = CTL_CLIENT_FAILED;
	c->tx_len = 0;
}

static const char *accept_hint(uint8_t a)
{
	switch (a) {
	case TW_CTL_ACCEPT_FAILURE:
		return "failure, reason unspecified";
	case TW_CTL_ACCEPT_INTERNAL:
		return "internal error on the server";
	case TW_CTL_ACCEPT_NOT_SUPPORTED:
		return "some aspect of the request is not supported (mode, DSCP, padding, port?)";
	case TW_CTL_ACCEPT_PERM_LIMIT:
		return "permanent resource limitation on the server";
	case TW_CTL_ACCEPT_TEMP_LIMIT:
		return "temporary resource limitation on the server, try again later";
	default:
		return "invalid Accept value";
	}
}

struct ctl_client *ctl_client_new(const struct ctl_client_cfg *cfg)
{
	struct ctl_client *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cfg = *cfg;
	c->cfg.key_id[TW_CTL_KEYID_LEN] = '\0';
	if (!c->cfg.modes)
		c->cfg.modes = TW_CTL_MODE_BASE_MASK;
	c->cfg.modes &= TW_CTL_MODE_BASE_MASK;
	c->cfg.features &= TW_CTL_MODE_INDIV_SESSIONS | TW_CTL_MODE_REFLECT_OCTETS |
	                   TW_CTL_MODE_SYMMETRICAL | TW_CTL_MODE_DSCP_ECN | TW_CTL_MODE_PTPV2;
	if (!c->cfg.pbkdf2_max)
		c->cfg.pbkdf2_max = CTL_CLIENT_PBKDF2_MAX_DEFAULT;
	if (c->cfg.secret_len > CTL_CLIENT_SECRET_MAX || !c->cfg.modes) {
		tw_crypto_cleanse(c, sizeof(*c));
		free(c);
		return NULL;
	}
	c->st = CTL_CLIENT_GREETING;
	return c;
}

void ctl_client_free(struct ctl_client *c)
{
	if (!c)
		return;
	tw_ctl_crypto_free(c->cc);
	tw_crypto_cleanse(c, sizeof(*c));
	free(c);
}

static void tx_push(struct ctl_client *c, const uint8_t *p, size_t n)
{
	if (c->tx_len + n > sizeof(c->tx)) {
		fail(c, CTL_CLIENT_E_IO, "internal: control send buffer full (%zu octets queued)",
		     c->tx_len);
		return;
	}
	memcpy(c->tx + c->tx_len, p, n);
	c->tx_len += n;
}

const uint8_t *ctl_client_tx(const struct ctl_client *c, size_t *len)
{
	*len = c->tx_len;
	return c->tx;
}

void ctl_client_tx_done(struct ctl_client *c, size_t n)
{
	if (n >= c->tx_len) {
		c->tx_len = 0;
		return;
	}
	memmove(c->tx, c->tx + n, c->tx_len - n);
	c->tx_len -= n;
}

/* Seal (modes 2/4/8: HMAC + encrypt, §3.4 step 5) and queue a command whose
 * plaintext is in buf. */
static enum ctl_client_err send_cmd(struct ctl_client *c, uint8_t *buf, size_t len)
{
	c->sent_cmd = buf[0]; /* before sealing encrypts it */
	if (c->secure) {
		enum tw_err e = tw_ctl_crypto_seal(c->cc, buf, len);
		if (e != TW_OK) {
			fail(c, CTL_CLIENT_E_CRYPTO, "sealing %s failed: %s",
			     tw_ctl_cmd_name(buf[0]), tw_strerror(e));
			return CTL_CLIENT_E_CRYPTO;
		}
	}
	tx_push(c, buf, len);
	return c->st == CTL_CLIENT_FAILED ? c->err : CTL_CLIENT_E_NONE;
}

static enum tw_err rnd(struct ctl_client *c, void *buf, size_t len)
{
	if (c->cfg.rand)
		return c->cfg.rand(c->cfg.rand_arg, buf, len) ? TW_E_CRYPTO : TW_OK;
	return tw_crypto_random(buf, len);
}

/* ---- receive side ---------------------------------------------------------- */

static void on_greeting(struct ctl_client *c)
{
	struct tw_ctl_greeting g;
	enum tw_err e = tw_ctl_greeting_decode(c->rx, TW_CTL_GREETING_LEN, &g);
	if (e != TW_OK) {
		fail(c, CTL_CLIENT_E_MALFORMED, "bad Server Greeting: %s", tw_strerror(e));
		return;
	}
	c->offered = g.modes;
	char off[128], allow[128];
	tw_ctl_mode_format(g.modes, off, sizeof(off));
	tw_ctl_mode_format(c->cfg.modes, allow, sizeof(allow));
	if (!(g.modes & TW_CTL_MODE_BASE_MASK)) {
		fail(c, CTL_CLIENT_E_SERVER_REFUSED,
		     "server greeting offers no usable mode (Modes = %s): the server refuses this "
		     "client (policy or overload)",
		     off);
		return;
	}
	uint32_t allowed = c->cfg.modes;
	if (!c->cfg.secret_len)
		allowed &= TW_CTL_MODE_OPEN;
	uint32_t pick = tw_ctl_mode_pick(g.modes, allowed);
	/* An explicit order (RFC 8913 mode-preference-chain): the first mode
	 * of it that the server offers, not the strongest. */
	if (c->cfg.prefer[0]) {
		pick = 0;
		for (unsigned i = 0; i < 4 && c->cfg.prefer[i] && !pick; i++) {
			uint32_t m = c->cfg.prefer[i] & TW_CTL_MODE_BASE_MASK;
			if (m && !(m & (m - 1)) && (m & g.modes & allowed))
				pick = m;
		}
	}
	if (!pick) {
		if (tw_ctl_mode_pick(g.modes, c->cfg.modes))
			fail(c, CTL_CLIENT_E_NO_SECRET,
			     "server offers %s; the allowed secure modes need --keyid with "
			     "--keyfile or --secret",
			     off);
		else
			fail(c, CTL_CLIENT_E_NO_COMMON_MODE,
			     "mode refused: server offers %s, but only %s allowed (--mode)", off,
			     allow);
		return;
	}
	c->mode = pick | (g.modes & c->cfg.features);
	c->secure = pick != TW_CTL_MODE_OPEN;

	struct tw_ctl_setup_response sr;
	memset(&sr, 0, sizeof(sr));
	sr.mode = c->mode;
	if (c->secure) {
		if (g.count == 0) {
			fail(c, CTL_CLIENT_E_MALFORMED, "Server Greeting has PBKDF2 Count 0");
			return;
		}
		if (g.count > c->cfg.pbkdf2_max) {
			fail(c, CTL_CLIENT_E_PBKDF2_COUNT,
			     "server asks for %u PBKDF2 iterations, above the cap of %u "
			     "(raise it with --pbkdf2-max)",
			     g.count, c->cfg.pbkdf2_max);
			return;
		}
		uint8_t kek[TW_CRYPTO_KEK_LEN];
		e = tw_kek_derive(c->cfg.secret, c->cfg.secret_len, g.salt, g.count, kek);
		if (e == TW_OK)
			e = rnd(c, c->aes_key, sizeof(c->aes_key));
		if (e == TW_OK)
			e = rnd(c, c->hmac_key, sizeof(c->hmac_key));
		if (e == TW_OK)
			e = rnd(c, c->client_iv, sizeof(c->client_iv));
		if (e == TW_OK)
			e = tw_token_encrypt(kek, g.challenge, c->aes_key, c->hmac_key, sr.token);
		tw_crypto_cleanse(kek, sizeof(kek));
		if (e != TW_OK) {
			fail(c, CTL_CLIENT_E_CRYPTO, "key derivation failed: %s", tw_strerror(e));
			return;
		}
		/* KeyID: UTF-8 identity, zero padded (§2.3). */
		memcpy(sr.key_id, c->cfg.key_id, strnlen(c->cfg.key_id, TW_CTL_KEYID_LEN));
		memcpy(sr.client_iv, c->client_iv, sizeof(sr.client_iv));
	}
	uint8_t buf[TW_CTL_SETUP_RESPONSE_LEN];
	e = tw_ctl_setup_response_encode(&sr, buf, sizeof(buf), NULL);
	tw_crypto_cleanse(&sr, sizeof(sr));
	if (e != TW_OK) {
		fail(c, CTL_CLIENT_E_CONFIG, "cannot encode Set-Up-Response: %s", tw_strerror(e));
		return;
	}
	tx_push(c, buf, sizeof(buf));
	c->st = CTL_CLIENT_SERVER_START;
}

static void on_server_start(struct ctl_client *c)
{
	uint8_t *m = c->rx;
	uint8_t accept = m[15]; /* clear in every mode (§2.4) */
	char modestr[64];
	tw_ctl_mode_format(c->mode, modestr, sizeof(modestr));
	if (accept > TW_CTL_ACCEPT_MAX) {
		fail(c, CTL_CLIENT_E_MALFORMED, "Server-Start carries invalid Accept value %u",
		     accept);
		return;
	}
	if (accept != TW_CTL_ACCEPT_OK) {
		/* twampd sends a refusal in clear and closes (§2.4). */
		c->accept = accept;
		if (accept == TW_CTL_ACCEPT_FAILURE && c->secure)
			fail(c, CTL_CLIENT_E_AUTH_REJECTED,
			     "server rejected KeyID '%s' with this shared secret (Server-Start "
			     "Accept=1): wrong key or unknown identity",
			     c->cfg.key_id);
		else
			fail(c, CTL_CLIENT_E_SERVER_START,
			     "server refused the control connection in mode %s: Server-Start "
			     "Accept=%u (%s)",
			     modestr, accept, accept_hint(accept));
		return;
	}
	if (c->secure) {
		c->cc = tw_ctl_crypto_new(TW_CTL_CRYPTO_CLIENT, c->aes_key, c->hmac_key,
		                          c->client_iv, m + 16);
		if (!c->cc) {
			fail(c, CTL_CLIENT_E_CRYPTO, "cannot create the control-channel cipher");
			return;
		}
		enum tw_err e = tw_ctl_crypto_server_start_open(c->cc, m, TW_CTL_SERVER_START_LEN);
		if (e != TW_OK) {
			fail(c, CTL_CLIENT_E_CRYPTO, "decrypting Server-Start: %s", tw_strerror(e));
			return;
		}
	}
	struct tw_ctl_server_start ss;
	enum tw_err e = tw_ctl_server_start_decode(m, TW_CTL_SERVER_START_LEN, &ss);
	if (e != TW_OK) {
		fail(c, CTL_CLIENT_E_MALFORMED, "bad Server-Start: %s", tw_strerror(e));
		return;
	}
	c->server_start_time = ss.start_time;
	c->st = CTL_CLIENT_READY;
}

static void on_accept_session(struct ctl_client *c, uint8_t *m, size_t len)
{
	struct tw_ctl_accept_session as;
	enum tw_err e = tw_ctl_accept_session_decode(m, len, &as);
	if (e != TW_OK) {
		fail(c, CTL_CLIENT_E_MALFORMED, "bad Accept-Session: %s", tw_strerror(e));
		return;
	}
	if (as.accept != TW_CTL_ACCEPT_OK) {
		c->accept = as.accept;
		fail(c, CTL_CLIENT_E_SESSION_REJECTED,
		     "server refused test session %u: Accept-Session Accept=%u (%s)", c->nsess + 1,
		     as.accept, accept_hint(as.accept));
		return;
	}
	if (as.port == 0) {
		fail(c, CTL_CLIENT_E_MALFORMED, "Accept-Session accepted with reflector port 0");
		return;
	}
	struct ctl_client_sess *s = &c->sess[c->nsess];
	memset(s, 0, sizeof(*s));
	s->req = c->pending;
	memcpy(s->sid, as.sid, sizeof(s->sid));
	s->port = as.port;
	if (c->mode & TW_CTL_MODE_REFLECT_OCTETS) {
		s->reflected_octets = as.reflected_octets;
		s->server_octets = as.server_octets;
	}
	uint32_t base = c->mode & TW_CTL_MODE_BASE_MASK;
	if (base == TW_CTL_MODE_AUTH || base == TW_CTL_MODE_ENCRYPTED) {
		e = tw_crypto_test_keys(s->sid, c->aes_key, c->hmac_key, s->test_aes_key,
		                        s->test_hmac_key);
		if (e != TW_OK) {
			fail(c, CTL_CLIENT_E_CRYPTO, "deriving test keys: %s", tw_strerror(e));
			return;
		}
	}
	c->nsess++;
	c->st = CTL_CLIENT_READY;
}

static void on_start_ack(struct ctl_client *c, uint8_t *m, size_t len)
{
	struct tw_ctl_start_ack sa;
	enum tw_err e = tw_ctl_start_ack_decode(m, len, &sa);
	if (e != TW_OK) {
		fail(c, CTL_CLIENT_E_MALFORMED, "bad Start-Ack: %s", tw_strerror(e));
		return;
	}
	if (sa.accept != TW_CTL_ACCEPT_OK) {
		c->accept = sa.accept;
		fail(c, CTL_CLIENT_E_START_REJECTED,
		     "server refused to start the sessions: Start-Ack Accept=%u (%s)", sa.accept,
		     accept_hint(sa.accept));
		return;
	}
	for (unsigned i = 0; i < c->nsess; i++)
		c->sess[i].running = true;
	c->st = CTL_CLIENT_RUNNING;
}

static void on_n_ack(struct ctl_client *c, uint8_t *m, size_t len)
{
	bool start = c->sent_cmd == TW_CTL_CMD_START_N_SESSIONS;
	const char *what = start ? "Start-N-Ack" : "Stop-N-Ack";
	enum ctl_client_err rej = start ? CTL_CLIENT_E_START_REJECTED : CTL_CLIENT_E_STOP_REJECTED;
	if (len == TW_CTL_ACCEPT_SESSION_LEN && m[0] <= TW_CTL_ACCEPT_MAX) {
		/* A server without RFC 5938 answers Accept-Session/Accept=3 (§2.13). */
		c->accept = m[0];
		fail(c, rej, "server does not support %s (answered Accept-Session Accept=%u)",
		     start ? "Start-N-Sessions" : "Stop-N-Sessions", m[0]);
		return;
	}
	struct tw_ctl_n_sessions n;
	enum tw_err e = tw_ctl_n_sessions_decode(
	    m, len, start ? TW_CTL_CMD_START_N_ACK : TW_CTL_CMD_STOP_N_ACK, &n);
	if (e != TW_OK) {
		fail(c, CTL_CLIENT_E_MALFORMED, "bad %s: %s", what, tw_strerror(e));
		return;
	}
	if (n.accept != TW_CTL_ACCEPT_OK) {
		c->accept = n.accept;
		fail(c, rej, "server refused: %s Accept=%u (%s)", what, n.accept,
		     accept_hint(n.accept));
		return;
	}
	if (n.num_sessions != c->n_cnt) {
		fail(c, CTL_CLIENT_E_MALFORMED, "%s lists %u sessions, we sent %u", what,
		     n.num_sessions, c->n_cnt);
		return;
	}
	for (unsigned i = 0; i < c->n_cnt; i++) {
		if (memcmp(n.sids[i], c->sess[c->n_idx[i]].sid, TW_CTL_SID_LEN)) {
			fail(c, CTL_CLIENT_E_MALFORMED, "%s SID %u does not match our request",
			     what, i);
			return;
		}
		c->sess[c->n_idx[i]].running = start;
	}
	bool any = false;
	for (unsigned i = 0; i < c->nsess; i++)
		any |= c->sess[i].running;
	c->st = any ? CTL_CLIENT_RUNNING : CTL_CLIENT_READY;
	if (!any)
		c->stopped = true;
}

/* One server reply to a command (§3.9 step 6).  Returns octets consumed, 0 if
 * more input is needed. */
static size_t process_reply(struct ctl_client *c)
{
	if (c->rx_len < TW_CTL_BLOCK_LEN)
		return 0;
	if (c->secure && c->rx_dec == 0) {
		enum tw_err e = tw_ctl_crypto_decrypt(c->cc, c->rx, TW_CTL_BLOCK_LEN);
		if (e != TW_OK) {
			fail(c, CTL_CLIENT_E_CRYPTO, "decrypt: %s", tw_strerror(e));
			return 0;
		}
		c->rx_dec = TW_CTL_BLOCK_LEN;
	}
	size_t msglen = 0;
	enum tw_err e = tw_ctl_reply_peek(c->sent_cmd, c->rx, c->rx_len, &msglen);
	if (e != TW_OK || msglen == 0) {
		fail(c, CTL_CLIENT_E_MALFORMED, "unexpected reply to %s (first octet %u): %s",
		     tw_ctl_cmd_name(c->sent_cmd), c->rx[0], tw_strerror(e));
		return 0;
	}
	if (msglen > sizeof(c->rx)) {
		fail(c, CTL_CLIENT_E_MALFORMED, "reply to %s announces %zu octets",
		     tw_ctl_cmd_name(c->sent_cmd), msglen);
		return 0;
	}
	if (c->rx_len < msglen)
		return 0;
	if (c->secure) {
		e = tw_ctl_crypto_decrypt(c->cc, c->rx + c->rx_dec, msglen - c->rx_dec);
		if (e == TW_OK)
			e = tw_ctl_crypto_verify(c->cc, c->rx, msglen);
		c->rx_dec = 0;
		if (e == TW_E_HMAC) {
			fail(c, CTL_CLIENT_E_HMAC,
			     "reply to %s failed HMAC verification (wrong key, tampering or a "
			     "desynchronised stream)",
			     tw_ctl_cmd_name(c->sent_cmd));
			return 0;
		}
		if (e != TW_OK) {
			fail(c, CTL_CLIENT_E_CRYPTO, "decrypt: %s", tw_strerror(e));
			return 0;
		}
	}
	switch (c->st) {
	case CTL_CLIENT_ACCEPT:
		on_accept_session(c, c->rx, msglen);
		break;
	case CTL_CLIENT_START_ACK:
		if (c->sent_cmd == TW_CTL_CMD_START_N_SESSIONS)
			on_n_ack(c, c->rx, msglen);
		else
			on_start_ack(c, c->rx, msglen);
		break;
	case CTL_CLIENT_STOP_N_ACK:
		on_n_ack(c, c->rx, msglen);
		break;
	default:
		break;
	}
	return msglen;
}

static void consume(struct ctl_client *c, size_t n)
{
	memmove(c->rx, c->rx + n, c->rx_len - n);
	c->rx_len -= n;
}

static void process(struct ctl_client *c)
{
	for (;;) {
		size_t used = 0;
		switch (c->st) {
		case CTL_CLIENT_GREETING:
			if (c->rx_len >= TW_CTL_GREETING_LEN) {
				on_greeting(c);
				used = TW_CTL_GREETING_LEN;
			}
			break;
		case CTL_CLIENT_SERVER_START:
			if (c->rx_len >= TW_CTL_SERVER_START_LEN) {
				on_server_start(c);
				used = TW_CTL_SERVER_START_LEN;
			}
			break;
		case CTL_CLIENT_ACCEPT:
		case CTL_CLIENT_START_ACK:
		case CTL_CLIENT_STOP_N_ACK:
			used = process_reply(c);
			break;
		case CTL_CLIENT_READY:
		case CTL_CLIENT_RUNNING:
			if (c->rx_len)
				fail(c, CTL_CLIENT_E_MALFORMED,
				     "%zu unexpected octets from the server in state %s "
				     "(first octet %u)",
				     c->rx_len, ctl_client_state_name(c->st), c->rx[0]);
			break;
		case CTL_CLIENT_FAILED:
			c->rx_len = 0;
			return;
		}
		if (c->st == CTL_CLIENT_FAILED) {
			c->rx_len = 0;
			return;
		}
		if (!used)
			return;
		consume(c, used);
	}
}

enum ctl_client_state ctl_client_feed(struct ctl_client *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len && c->st != CTL_CLIENT_FAILED) {
		size_t room = sizeof(c->rx) - c->rx_len;
		if (!room) {
			fail(c, CTL_CLIENT_E_MALFORMED, "server sent more than %zu octets unasked",
			     sizeof(c->rx));
			break;
		}
		size_t n = len < room ? len : room;
		memcpy(c->rx + c->rx_len, p, n);
		c->rx_len += n;
		p += n;
		len -= n;
		process(c);
	}
	return c->st;
}

void ctl_client_eof(struct ctl_client *c, bool reset)
{
	const char *how = reset ? "reset the connection" : "closed the connection";
	switch (c->st) {
	case CTL_CLIENT_GREETING:
		fail(c, CTL_CLIENT_E_CLOSED,
		     "server %s before its Server Greeting (%zu of 64 "
		     "octets received)",
		     how, c->rx_len);
		break;
	case CTL_CLIENT_SERVER_START: {
		char m[64];
		tw_ctl_mode_format(c->mode, m, sizeof(m));
		fail(c, CTL_CLIENT_E_CLOSED,
		     "server %s instead of sending Server-Start: it refused mode %s or the "
		     "Set-Up-Response",
		     how, m);
		break;
	}
	case CTL_CLIENT_ACCEPT:
	case CTL_CLIENT_START_ACK:
	case CTL_CLIENT_STOP_N_ACK:
		fail(c, CTL_CLIENT_E_CLOSED, "server %s instead of answering %s", how,
		     tw_ctl_cmd_name(c->sent_cmd));
		break;
	case CTL_CLIENT_READY:
	case CTL_CLIENT_RUNNING:
		fail(c, CTL_CLIENT_E_CLOSED, "server %s (state %s)", how,
		     ctl_client_state_name(c->st));
		break;
	case CTL_CLIENT_FAILED:
		break;
	}
}

void ctl_client_timeout(struct ctl_client *c)
{
	static const char *const waiting[] = {
	    [CTL_CLIENT_GREETING] = "the Server Greeting",
	    [CTL_CLIENT_SERVER_START] = "Server-Start",
	    [CTL_CLIENT_ACCEPT] = "Accept-Session",
	    [CTL_CLIENT_START_ACK] = "Start-Ack",
	    [CTL_CLIENT_STOP_N_ACK] = "Stop-N-Ack",
	};
	if (c->st == CTL_CLIENT_FAILED)
		return;
	const char *w = (unsigned)c->st < sizeof(waiting) / sizeof(waiting[0]) && waiting[c->st]
	                    ? waiting[c->st]
	                    : "the server";
	fail(c, CTL_CLIENT_E_TIMEOUT, "timed out waiting for %s (%zu octets of it received)", w,
	     c->rx_len);
}

void ctl_client_fail(struct ctl_client *c, enum ctl_client_err e, const char *msg)
{
	fail(c, e, "%s", msg);
}

/* ---- commands ---------------------------------------------------------------- */

enum ctl_client_err ctl_client_request(struct ctl_client *c, const struct ctl_client_req *r)
{
	if (c->st != CTL_CLIENT_READY)
		return CTL_CLIENT_E_STATE;
	if (c->stopped) {
		c->nsess = 0;
		c->stopped = false;
	}
	if (c->nsess >= CTL_CLIENT_SESSIONS_MAX || (r->ipvn != 4 && r->ipvn != 6) || r->dscp > 63)
		return CTL_CLIENT_E_CONFIG;
	/* Strict in what we send: RFC 6038 reflected padding and RFC 7750's
	 * Sender DSCP and ECN octet would share octet 41 of the open/mixed
	 * reflector packet, a request our server refuses (Accept=3,
	 * tw_pkt_dscp_ecn_in_padding); we never ask for it. */
	uint32_t base = c->mode & TW_CTL_MODE_BASE_MASK;
	enum tw_pkt_layout lay = base == TW_CTL_MODE_AUTH || base == TW_CTL_MODE_ENCRYPTED
	                             ? TW_PKT_TWAMP_AUTH
	                             : TW_PKT_TWAMP_OPEN;
	if ((c->mode & TW_CTL_MODE_REFLECT_OCTETS) && (c->mode & TW_CTL_MODE_DSCP_ECN) &&
	    r->padding_to_reflect && tw_pkt_dscp_ecn_in_padding(lay))
		return CTL_CLIENT_E_CONFIG;
	struct tw_ctl_request_tw_session q;
	memset(&q, 0, sizeof(q));
	q.sender_port = r->sender_port;
	q.receiver_port = r->receiver_port;
	q.sender_addr.ipvn = q.receiver_addr.ipvn = r->ipvn;
	memcpy(q.sender_addr.addr, r->sender_addr, r->ipvn == 4 ? 4 : 16);
	memcpy(q.receiver_addr.addr, r->receiver_addr, r->ipvn == 4 ? 4 : 16);
	q.padding_length = r->padding;
	q.start_time = r->start_time;
	q.timeout = r->timeout;
	q.type_p = tw_ctl_typep_from_dscp(r->dscp);
	q.micro = r->micro; /* RFC 9533 §4.1: the same message, command 11 */
	if (c->mode & TW_CTL_MODE_REFLECT_OCTETS) {
		q.octets_to_reflect = r->octets_to_reflect;
		q.padding_to_reflect = r->padding_to_reflect;
	}
	uint8_t buf[TW_CTL_REQUEST_TW_SESSION_LEN];
	enum tw_err e = tw_ctl_request_tw_session_encode(&q, buf, sizeof(buf), NULL);
	if (e != TW_OK)
		return CTL_CLIENT_E_CONFIG;
	c->pending = *r;
	if (!(c->mode & TW_CTL_MODE_REFLECT_OCTETS))
		c->pending.octets_to_reflect = c->pending.padding_to_reflect = 0;
	enum ctl_client_err ce = send_cmd(c, buf, sizeof(buf));
	if (ce == CTL_CLIENT_E_NONE)
		c->st = CTL_CLIENT_ACCEPT;
	return ce;
}

enum ctl_client_err ctl_client_start(struct ctl_client *c)
{
	if (c->st != CTL_CLIENT_READY || c->nsess == 0 || c->stopped)
		return CTL_CLIENT_E_STATE;
	struct tw_ctl_start_sessions m;
	memset(&m, 0, sizeof(m));
	uint8_t buf[TW_CTL_START_SESSIONS_LEN];
	if (tw_ctl_start_sessions_encode(&m, buf, sizeof(buf), NULL) != TW_OK)
		return CTL_CLIENT_E_CONFIG;
	enum ctl_client_err ce = send_cmd(c, buf, sizeof(buf));
	if (ce == CTL_CLIENT_E_NONE)
		c->st = CTL_CLIENT_START_ACK;
	return ce;
}

enum ctl_client_err ctl_client_stop(struct ctl_client *c, uint8_t accept)
{
	/* Only while a test runs: twampd answers a Stop-Sessions outside one
	 * with Accept-Session/Accept=3 (§2.11). */
	if (c->st != CTL_CLIENT_RUNNING)
		return CTL_CLIENT_E_STATE;
	struct tw_ctl_stop_sessions m;
	memset(&m, 0, sizeof(m));
	m.accept = accept;
	/* twampd drops the connection unless this is every accepted session. */
	m.num_sessions = c->nsess;
	uint8_t buf[TW_CTL_STOP_SESSIONS_LEN];
	if (tw_ctl_stop_sessions_encode(&m, buf, sizeof(buf), NULL) != TW_OK)
		return CTL_CLIENT_E_CONFIG;
	enum ctl_client_err ce = send_cmd(c, buf, sizeof(buf));
	if (ce == CTL_CLIENT_E_NONE) {
		for (unsigned i = 0; i < c->nsess; i++)
			c->sess[i].running = false;
		c->stopped = true;
		c->st = CTL_CLIENT_READY;
	}
	return ce;
}

static enum ctl_client_err send_n(struct ctl_client *c, uint8_t cmd, const unsigned *idx,
                                  unsigned n)
{
	if (!(c->mode & TW_CTL_MODE_INDIV_SESSIONS))
		return CTL_CLIENT_E_STATE;
	if (n == 0 || n > c->nsess)
		return CTL_CLIENT_E_CONFIG;
	uint8_t sids[CTL_CLIENT_SESSIONS_MAX][TW_CTL_SID_LEN];
	for (unsigned i = 0; i < n; i++) {
		if (idx[i] >= c->nsess)
			return CTL_CLIENT_E_CONFIG;
		memcpy(sids[i], c->sess[idx[i]].sid, TW_CTL_SID_LEN);
		c->n_idx[i] = idx[i];
	}
	c->n_cnt = n;
	struct tw_ctl_n_sessions m;
	memset(&m, 0, sizeof(m));
	m.command = cmd;
	m.num_sessions = n;
	m.sids = (const uint8_t(*)[TW_CTL_SID_LEN])sids;
	uint8_t buf[TW_CTL_N_LEN(CTL_CLIENT_SESSIONS_MAX)];
	size_t len = 0;
	if (tw_ctl_n_sessions_encode(&m, buf, sizeof(buf), &len) != TW_OK)
		return CTL_CLIENT_E_CONFIG;
	return send_cmd(c, buf, len);
}

enum ctl_client_err ctl_client_start_n(struct ctl_client *c, const unsigned *idx, unsigned n)
{
	if ((c->st != CTL_CLIENT_READY && c->st != CTL_CLIENT_RUNNING) || c->stopped)
		return CTL_CLIENT_E_STATE;
	enum ctl_client_err ce = send_n(c, TW_CTL_CMD_START_N_SESSIONS, idx, n);
	if (ce == CTL_CLIENT_E_NONE)
		c->st = CTL_CLIENT_START_ACK;
	return ce;
}

enum ctl_client_err ctl_client_stop_n(struct ctl_client *c, const unsigned *idx, unsigned n)
{
	if (c->st != CTL_CLIENT_RUNNING)
		return CTL_CLIENT_E_STATE;
	enum ctl_client_err ce = send_n(c, TW_CTL_CMD_STOP_N_SESSIONS, idx, n);
	if (ce == CTL_CLIENT_E_NONE)
		c->st = CTL_CLIENT_STOP_N_ACK;
	return ce;
}

/* ---- queries ------------------------------------------------------------------- */

enum ctl_client_state ctl_client_state(const struct ctl_client *c)
{
	return c->st;
}
enum ctl_client_err ctl_client_error(const struct ctl_client *c)
{
	return c->err;
}
const char *ctl_client_errmsg(const struct ctl_client *c)
{
	return c->msg;
}
uint8_t ctl_client_accept(const struct ctl_client *c)
{
	return c->accept;
}
uint32_t ctl_client_mode(const struct ctl_client *c)
{
	return c->mode;
}
uint32_t ctl_client_offered(const struct ctl_client *c)
{
	return c->offered;
}
uint64_t ctl_client_server_start_time(const struct ctl_client *c)
{
	return c->server_start_time;
}
unsigned ctl_client_nsessions(const struct ctl_client *c)
{
	return c->nsess;
}
const struct ctl_client_sess *ctl_client_session(const struct ctl_client *c, unsigned i)
{
	return i < c->nsess ? &c->sess[i] : NULL;
}
const uint8_t *ctl_client_aes_key(const struct ctl_client *c)
{
	return c->secure ? c->aes_key : NULL;
}
const uint8_t *ctl_client_hmac_key(const struct ctl_client *c)
{
	return c->secure ? c->hmac_key : NULL;
}

/* ---- configuration helpers ---------------------------------------------------- */

uint32_t ctl_client_parse_modes(const char *s)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} tab[] = {
	    {"open", TW_CTL_MODE_OPEN},     {"unauthenticated", TW_CTL_MODE_OPEN},
	    {"auth", TW_CTL_MODE_AUTH},     {"authenticated", TW_CTL_MODE_AUTH},
	    {"enc", TW_CTL_MODE_ENCRYPTED}, {"encrypted", TW_CTL_MODE_ENCRYPTED},
	    {"mixed", TW_CTL_MODE_MIXED},   {"all", TW_CTL_MODE_BASE_MASK},
	};
	uint32_t m = 0;
	while (s && *s) {
		size_t n = strcspn(s, ",");
		bool found = false;
		for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
			if (strlen(tab[i].name) == n && !strncasecmp(s, tab[i].name, n)) {
				m |= tab[i].bit;
				found = true;
			}
		}
		if (!found)
			return 0;
		s += n;
		if (*s == ',')
			s++;
	}
	return m;
}

int ctl_client_read_pfs(const char *path, char key_id[TW_CTL_KEYID_LEN + 1], uint8_t *secret,
                        size_t cap, size_t *secret_len, char *msg, size_t msgcap)
{
	/* The daemon's parser: the whole file must be well-formed, exactly as
	 * twinhopd will read it. */
	struct ctl_keys *ks = NULL;
	if (ctl_keys_load(path, &ks, msg, msgcap) < 0)
		return -1;
	const char *id;
	const uint8_t *sec;
	size_t len;
	int rc = -1;
	snprintf(msg, msgcap, "key file %s has no entry for identity '%s'", path, key_id);
	for (unsigned i = 0; ctl_keys_get(ks, i, &id, &sec, &len); i++) {
		if (key_id[0] && strcmp(id, key_id))
			continue;
		if (len > cap) {
			snprintf(msg, msgcap, "%s: pass-phrase for '%s' is longer than %zu octets",
			         path, id, cap);
			break;
		}
		if (!key_id[0])
			snprintf(key_id, TW_CTL_KEYID_LEN + 1, "%s", id);
		memcpy(secret, sec, len);
		*secret_len = len;
		msg[0] = '\0';
		rc = 0;
		break;
	}
	ctl_keys_free(ks);
	return rc;
}
