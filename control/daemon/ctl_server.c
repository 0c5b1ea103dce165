/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_server: TWAMP-Control Server FSM, sans-I/O (see ctl_server.h).
 *
 * Behaviour on bad input follows wire ref §2.13 where twampd is sensible and
 * improves on it where it is not (§2.7, §2.11, §11); docs/control.md has the
 * full table.  Every refusal increments one CTL_CNT_* counter.
 */
#include "ctl_server.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_conf.h"
#include "ctl_log.h"
#include "tw_crypto.h"
#include "tw_pkt.h"
#include "tw_time.h"

/* Input buffer: the largest message (Start-N with N = TW_CTL_N_MAX) plus
 * whatever a pipelining client sends behind it. */
#define SRV_IN_CAP (TW_CTL_N_MAX_LEN + 4096)
/* Output: above this we stop processing input until the peer reads. */
#define SRV_OUT_HIGH (256u * 1024u)
/* Extra time before SESSION_DEL after the drain (§2.14), covers the fast
 * path's own timer granularity. */
#define SRV_DEL_SLACK_MS 1000u
/* Largest UDP payload: IPv4 65535 - 20 - 8, IPv6 65535 - 8 (no jumbograms). */
#define SRV_UDP_MAX_V4 65507u
#define SRV_UDP_MAX_V6 65527u
/* Session-Sender base sizes (wire ref §4.1/§4.2). */
#define SRV_SENDER_BASE_OPEN 14u
#define SRV_SENDER_BASE_AUTH 48u

enum srv_pend {
	PEND_NONE,
	PEND_ADD,     /* one REFLECTOR_ADD -> Accept-Session */
	PEND_START,   /* REFLECTOR_START for every accepted session -> Start-Ack */
	PEND_START_N, /* REFLECTOR_START for the listed SIDs -> Start-N-Ack */
};

struct srv_outmsg {
	uint8_t *p;
	size_t len, off;
};

struct ctl_srv {
	const struct ctl_srv_env *env;
	struct ctl_peer peer;
	enum ctl_srv_state state;
	uint32_t offered;
	uint32_t mode; /* chosen mode incl. feature bits */
	bool set_up;   /* Server-Start with Accept 0 sent: its close is logged */
	const char *close_why; /* a string literal, once CLOSED */
	unsigned n_accepted;   /* sessions accepted on this connection */

	/* Set-up (§2.1, §3.2). */
	uint8_t challenge[TW_CTL_CHALLENGE_LEN];
	uint8_t salt[TW_CTL_SALT_LEN];
	uint8_t aes_key[TW_CRYPTO_AES_KEY_LEN];
	uint8_t hmac_key[TW_CRYPTO_HMAC_KEY_LEN];
	struct tw_ctl_crypto *cc; /* modes 2/4/8 */

	/* Input: raw octets in[in_off..in_len); dec octets of the current
	 * message already decrypted in place, cur its length once known. */
	uint8_t *in;
	size_t in_off, in_len, dec, cur;
	uint8_t cur_cmd;

	/* Output: a FIFO of whole messages. */
	struct srv_outmsg *out; /* out[out_head..n_out) are queued */
	size_t out_head, n_out, out_cap, out_bytes;

	/* Sessions. */
	struct ctl_srv_sess *sess;
	unsigned n_sess, max_sess;

	/* The one fast-path operation in flight. */
	enum srv_pend pend;
	unsigned pend_left;
	enum tw_err pend_err;
	uint64_t pend_deadline;
	uint8_t (*pend_sids)[TW_CTL_SID_LEN];
	uint32_t pend_n;

	uint64_t unk_log_ms;     /* next time an unknown command may be logged */
	uint32_t unk_quiet;      /* unknown commands not logged since */
	uint64_t cmd_ms;         /* arrival of the command being handled */
	uint64_t ref_log_ms;     /* next time a refused request may be logged */
	uint32_t ref_quiet;      /* refused requests not logged since */
	uint64_t idle_deadline;  /* SERVWAIT */
	uint64_t active_ms;      /* last time SERVWAIT was restarted */
	uint64_t setup_deadline; /* GREETING: setup-timeout after accept, never re-armed */
	uint64_t ended_deadline; /* TESTING with every session ended: ended-timeout */
};

static const char *const cnt_names[CTL_CNT__COUNT] = {
#define CTL_CNT_NAME(n, d) #n,
    CTL_CNT_LIST(CTL_CNT_NAME)
#undef CTL_CNT_NAME
};
static const char *const cnt_descr[CTL_CNT__COUNT] = {
#define CTL_CNT_DESCR(n, d) d,
    CTL_CNT_LIST(CTL_CNT_DESCR)
#undef CTL_CNT_DESCR
};

const char *ctl_cnt_name(unsigned i)
{
	return i < CTL_CNT__COUNT ? cnt_names[i] : "?";
}
const char *ctl_cnt_descr(unsigned i)
{
	return i < CTL_CNT__COUNT ? cnt_descr[i] : "?";
}

const char *ctl_srv_state_name(enum ctl_srv_state st)
{
	static const char *const n[] = {"greeting", "ready", "testing", "closed"};
	return (unsigned)st < 4 ? n[st] : "?";
}

const char *ctl_sess_state_name(enum ctl_sess_state st)
{
	static const char *const n[] = {"adding", "accepted", "starting", "started", "ended"};
	return (unsigned)st < 5 ? n[st] : "?";
}

/* ---- addresses --------------------------------------------------------------- */

void ctl_sa_unmap(struct sockaddr_storage *ss)
{
	if (ss->ss_family != AF_INET6)
		return;
	struct sockaddr_in6 s6;
	memcpy(&s6, ss, sizeof(s6));
	if (!IN6_IS_ADDR_V4MAPPED(&s6.sin6_addr))
		return;
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = s6.sin6_port};
	memcpy(&s4.sin_addr, &s6.sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &s4, sizeof(s4));
}

uint8_t ctl_sa_ipvn(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? 4 : ss->ss_family == AF_INET6 ? 6 : 0;
}

void ctl_sa_bytes(const struct sockaddr_storage *ss, uint8_t out[16])
{
	memset(out, 0, 16);
	if (ss->ss_family == AF_INET)
		memcpy(out, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

uint16_t ctl_sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

/* ---- small helpers ------------------------------------------------------------ */

static void srv_close(struct ctl_srv *s, enum ctl_cnt why_cnt, const char *why);

static void count(struct ctl_srv *s, enum ctl_cnt c)
{
	s->env->cnt->c[c]++;
}

/* Random octets for the protocol (challenge, salt, IV, SID).  A failure
 * is never ignored: predictable values would void the security of the
 * mode, so the caller closes this connection (counted). */
static bool srv_random(struct ctl_srv *s, void *buf, size_t len)
{
	const struct ctl_srv_ops *o = s->env->ops;
	enum tw_err rc = o->random ? o->random(s->env->ctx, buf, len) : tw_crypto_random(buf, len);
	if (rc == TW_OK)
		return true;
	log_err("control %u: random-number generator failed: closing",
	        ctl_sa_port(&s->peer.remote));
	srv_close(s, CTL_CNT_RANDOM_FAILED, "random failed");
	return false;
}

static bool ctl_encrypted(const struct ctl_srv *s)
{
	return s->cc != NULL;
}

static void srv_set_state(struct ctl_srv *s, enum ctl_srv_state st, const char *why)
{
	if (s->state == st)
		return;
	log_debug("control %u: %s -> %s (%s)", ctl_sa_port(&s->peer.remote),
	          ctl_srv_state_name(s->state), ctl_srv_state_name(st), why);
	s->state = st;
	if (st == CTL_SRV_CLOSED)
		s->close_why = why;
}

static void srv_close(struct ctl_srv *s, enum ctl_cnt why_cnt, const char *why)
{
	if (why_cnt < CTL_CNT__COUNT)
		count(s, why_cnt);
	srv_set_state(s, CTL_SRV_CLOSED, why);
}

/* Queue one message (copied); it goes out in its own send(). */
static void out_push(struct ctl_srv *s, const uint8_t *p, size_t len)
{
	if (s->n_out == s->out_cap && s->out_head >= s->n_out / 2 && s->out_head) {
		/* Reclaim the sent slots: at least half the array, so each
		 * message is moved O(1) times on average. */
		memmove(s->out, s->out + s->out_head, (s->n_out - s->out_head) * sizeof(*s->out));
		s->n_out -= s->out_head;
		s->out_head = 0;
	}
	if (s->n_out == s->out_cap) {
		size_t cap = s->out_cap ? 2 * s->out_cap : 8;
		struct srv_outmsg *o = realloc(s->out, cap * sizeof(*o));
		if (!o) {
			srv_close(s, CTL_CNT__COUNT, "out of memory");
			return;
		}
		s->out = o;
		s->out_cap = cap;
	}
	uint8_t *c = malloc(len);
	if (!c) {
		srv_close(s, CTL_CNT__COUNT, "out of memory");
		return;
	}
	memcpy(c, p, len);
	s->out[s->n_out++] = (struct srv_outmsg){c, len, 0};
	s->out_bytes += len;
}

/* Seal (modes 2/4/8: HMAC + encrypt, §3.3/§3.4) and queue a server message
 * whose last 16 octets are the HMAC slot. */
static void send_sealed(struct ctl_srv *s, uint8_t *msg, size_t len)
{
	if (ctl_encrypted(s) && tw_ctl_crypto_seal(s->cc, msg, len) != TW_OK) {
		srv_close(s, CTL_CNT_SETUP_CRYPTO, "seal failed");
		return;
	}
	out_push(s, msg, len);
}

static void send_accept_session(struct ctl_srv *s, uint8_t accept, uint16_t port,
                                const uint8_t *sid, uint16_t reflected)
{
	struct tw_ctl_accept_session m = {.accept = accept, .port = port};
	uint8_t buf[TW_CTL_ACCEPT_SESSION_LEN];

	if (sid)
		memcpy(m.sid, sid, TW_CTL_SID_LEN);
	m.reflected_octets = reflected;
	if (tw_ctl_accept_session_encode(&m, buf, sizeof(buf), NULL) == TW_OK)
		send_sealed(s, buf, sizeof(buf));
}

static void send_start_ack(struct ctl_srv *s, uint8_t accept)
{
	struct tw_ctl_start_ack m = {.accept = accept};
	uint8_t buf[TW_CTL_START_ACK_LEN];

	if (tw_ctl_start_ack_encode(&m, buf, sizeof(buf), NULL) == TW_OK)
		send_sealed(s, buf, sizeof(buf));
}

static void send_n_ack(struct ctl_srv *s, uint8_t cmd, uint8_t accept, uint32_t n,
                       const uint8_t (*sids)[TW_CTL_SID_LEN])
{
	struct tw_ctl_n_sessions m = {
	    .command = cmd, .accept = accept, .num_sessions = n, .sids = sids};
	size_t len = TW_CTL_N_LEN(n);
	uint8_t *buf = malloc(len);

	if (!buf) {
		srv_close(s, CTL_CNT__COUNT, "out of memory");
		return;
	}
	if (tw_ctl_n_sessions_encode(&m, buf, len, NULL) == TW_OK)
		send_sealed(s, buf, len);
	free(buf);
}

static void idle_arm(struct ctl_srv *s, uint64_t now_ms)
{
	s->active_ms = now_ms;
	s->idle_deadline = s->env->servwait_ms ? now_ms + s->env->servwait_ms : UINT64_MAX;
}

static bool any_running(const struct ctl_srv *s)
{
	for (unsigned i = 0; i < s->n_sess; i++)
		if (s->sess[i].state == CTL_SESS_STARTED || s->sess[i].state == CTL_SESS_STARTING)
			return true;
	return false;
}

static struct ctl_srv_sess *sess_by_sid(struct ctl_srv *s, const uint8_t *sid)
{
	for (unsigned i = 0; i < s->n_sess; i++)
		if (!memcmp(s->sess[i].ra.sid, sid, TW_CTL_SID_LEN))
			return &s->sess[i];
	return NULL;
}

/* Remove session i from the connection; the fast path deletes it at at_ms,
 * and only then are its flow (port) and quota released (sess_retire). */
static void sess_release(struct ctl_srv *s, unsigned i, uint64_t at_ms)
{
	struct ctl_srv_sess *ss = &s->sess[i];

	count(s, CTL_CNT_SESSIONS_RETIRED);
	s->env->ops->sess_retire(s->env->ctx, ss->id, &ss->ra.flow, &s->peer, at_ms);
	tw_crypto_cleanse(&ss->ra.keys, sizeof(ss->ra.keys));
	s->sess[i] = s->sess[--s->n_sess];
}

/* REFLECTOR_STOP (begins the fast path's Timeout drain, §2.14), then
 * SESSION_DEL once min(Timeout, REFWAIT) has passed. */
static void sess_stop(struct ctl_srv *s, unsigned i, uint64_t now_ms)
{
	struct ctl_srv_sess *ss = &s->sess[i];
	struct tw_ipc_session_ctl sc = {.session = ss->id};
	struct timespec ts;

	/* The drain runs from now, when Stop-Sessions arrived, however long
	 * the message takes to reach the fast path (tw_ipc.h REFLECTOR_STOP). */
	clock_gettime(CLOCK_REALTIME, &ts);
	sc.at_ntp = tw_ntp_from_timespec(&ts);
	if (ss->state == CTL_SESS_STARTED)
		(void)s->env->ops->fp_send(s->env->ctx, s, TW_IPC_REFLECTOR_STOP, &sc, sizeof(sc));
	count(s, CTL_CNT_SESSIONS_STOPPED);
	sess_release(s, i, now_ms + ss->drain_ms + SRV_DEL_SLACK_MS);
}

/* ---- set-up (§2.1 - §2.4, §3.1 - §3.2) ------------------------------------------ */

static void send_greeting(struct ctl_srv *s)
{
	struct tw_ctl_greeting g = {.modes = s->offered, .count = s->env->pbkdf2_count};
	uint8_t buf[TW_CTL_GREETING_LEN];

	if (!srv_random(s, s->challenge, sizeof(s->challenge)) ||
	    !srv_random(s, s->salt, sizeof(s->salt)))
		return; /* nothing is sent: a greeting must not be predictable */
	memcpy(g.challenge, s->challenge, sizeof(g.challenge));
	memcpy(g.salt, s->salt, sizeof(g.salt));
	if (tw_ctl_greeting_encode(&g, buf, sizeof(buf), NULL) == TW_OK)
		out_push(s, buf, sizeof(buf));
}

/* Server-Start with Accept != 0: in clear, octets 32..47 zero, then close
 * (§2.4, twampd _OWPWriteServerStart). */
static void refuse_setup(struct ctl_srv *s, uint8_t accept, enum ctl_cnt why, const char *what)
{
	struct tw_ctl_server_start m = {.accept = accept};
	uint8_t buf[TW_CTL_SERVER_START_LEN];

	if (tw_ctl_server_start_encode(&m, buf, sizeof(buf), NULL) == TW_OK)
		out_push(s, buf, sizeof(buf));
	log_info("control from port %u refused: %s (Accept=%u)", ctl_sa_port(&s->peer.remote), what,
	         accept);
	srv_close(s, why, what);
}

/* Octets up to the first NUL as text for a log line: printable ASCII as
 * is, anything else as \xNN (OpenSSH's strnvis idea). */
static void printable(const uint8_t *in, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && in[i] && o + 5 <= cap; i++) {
		if (in[i] >= 0x20 && in[i] < 0x7f && in[i] != '\\')
			out[o++] = (char)in[i];
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", in[i]);
	}
	out[o] = '\0';
}

static void handle_setup(struct ctl_srv *s, uint8_t *msg, uint64_t now_ms)
{
	struct tw_ctl_setup_response r;
	uint8_t base;

	(void)tw_ctl_setup_response_decode(msg, TW_CTL_SETUP_RESPONSE_LEN, &r);
	if (r.mode == 0) {
		/* RFC 4656 §3.1: Mode 0 means the client will not continue. */
		srv_close(s, CTL_CNT_SETUP_MODE_ZERO, "client sent Mode 0");
		return;
	}
	if (tw_ctl_mode_select(r.mode, s->offered) != TW_OK) {
		/* Unoffered or not exactly one base mode: "not supported" (§11.1). */
		refuse_setup(s, TW_CTL_ACCEPT_NOT_SUPPORTED, CTL_CNT_SETUP_MODE,
		             "mode not offered");
		return;
	}
	base = (uint8_t)(r.mode & TW_CTL_MODE_BASE_MASK);
	s->mode = r.mode;

	struct tw_ctl_server_start ss = {.accept = 0, .start_time = s->env->start_time_ntp};
	if (base != TW_CTL_MODE_OPEN) {
		const uint8_t *secret = NULL;
		size_t secret_len = 0;
		static const uint8_t dummy[16];
		uint8_t kek[TW_CRYPTO_KEK_LEN];
		bool known = s->env->ops->key_lookup(s->env->ctx, r.key_id, &secret, &secret_len);

		/* Derive and decrypt even for an unknown KeyID so the reply time
		 * does not tell which identities exist (twampd does the same, §3.2). */
		if (!known || !secret_len) {
			secret = dummy;
			secret_len = sizeof(dummy);
		}
		enum tw_err rc =
		    tw_kek_derive(secret, secret_len, s->salt, s->env->pbkdf2_count, kek);
		if (rc == TW_OK)
			rc = tw_token_decrypt(kek, r.token, s->challenge, s->aes_key, s->hmac_key);
		tw_crypto_cleanse(kek, sizeof(kek));
		if (rc != TW_OK && rc != TW_E_CHALLENGE) {
			refuse_setup(s, TW_CTL_ACCEPT_INTERNAL, CTL_CNT_SETUP_CRYPTO,
			             "crypto failure");
			return;
		}
		if (!known) {
			refuse_setup(s, TW_CTL_ACCEPT_FAILURE, CTL_CNT_SETUP_KEYID,
			             "unknown KeyID");
			return;
		}
		if (rc == TW_E_CHALLENGE) {
			refuse_setup(s, TW_CTL_ACCEPT_FAILURE, CTL_CNT_SETUP_CHALLENGE,
			             "token does not hold the challenge");
			return;
		}
		if (!srv_random(s, ss.server_iv, sizeof(ss.server_iv)))
			return;
		s->cc = tw_ctl_crypto_new(TW_CTL_CRYPTO_SERVER, s->aes_key, s->hmac_key,
		                          r.client_iv, ss.server_iv);
		if (!s->cc) {
			refuse_setup(s, TW_CTL_ACCEPT_INTERNAL, CTL_CNT_SETUP_CRYPTO,
			             "crypto failure");
			return;
		}
	}
	uint8_t buf[TW_CTL_SERVER_START_LEN];
	if (tw_ctl_server_start_encode(&ss, buf, sizeof(buf), NULL) != TW_OK ||
	    (s->cc && tw_ctl_crypto_server_start_seal(s->cc, buf, sizeof(buf)) != TW_OK)) {
		srv_close(s, CTL_CNT_SETUP_CRYPTO, "server-start failed");
		return;
	}
	out_push(s, buf, sizeof(buf));
	count(s, CTL_CNT_SETUP_OK);
	/* Who set up what, at info (the OpenSSH "Accepted ... for" line):
	 * an operator reading the log must tell an open connection from an
	 * encrypted one, and which key it used (docs/interop.md Q7).  The
	 * KeyID printed is one our keyfile holds; escaped all the same. */
	char mb[160], kid[4 * TW_CTL_KEYID_LEN + 1];
	tw_ctl_mode_format(s->mode, mb, sizeof(mb));
	if (base == TW_CTL_MODE_OPEN) {
		log_info("control %u: set up, mode %s", ctl_sa_port(&s->peer.remote), mb);
	} else {
		printable(r.key_id, TW_CTL_KEYID_LEN, kid, sizeof(kid));
		log_info("control %u: set up, mode %s, KeyID %s", ctl_sa_port(&s->peer.remote), mb,
		         kid);
	}
	s->set_up = true;
	idle_arm(s, now_ms);
	srv_set_state(s, CTL_SRV_READY, "server-start");
}

/* ---- Request-TW-Session (§2.7 - §2.9, §3.5) ------------------------------------- */

static void make_sid(const struct tw_ctl_addr *recv, const uint8_t rnd[4],
                     uint8_t sid[TW_CTL_SID_LEN])
{
	struct timespec ts;

	/* twampd's layout (§2.9): receiver address, NTP now, random.  Opaque to
	 * everyone, but it makes captures readable. */
	memcpy(sid, recv->ipvn == 6 ? &recv->addr[12] : recv->addr, 4);
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t now = tw_ntp_from_timespec(&ts);
	for (int i = 0; i < 8; i++)
		sid[4 + i] = (uint8_t)(now >> (56 - 8 * i));
	memcpy(sid + 12, rnd, 4);
}

static bool addr_zero(const struct tw_ctl_addr *a)
{
	static const uint8_t z[16];
	return !memcmp(a->addr, z, 16);
}

/* Is a (non-zero) Sender Address the control connection's peer? */
static bool sender_is_peer(const struct ctl_srv *s, const struct tw_ctl_addr *a)
{
	uint8_t peer[16];

	if (a->ipvn != ctl_sa_ipvn(&s->peer.remote))
		return false;
	ctl_sa_bytes(&s->peer.remote, peer);
	return !memcmp(a->addr, peer, a->ipvn == 4 ? 4 : 16);
}

static void req_refuse(struct ctl_srv *s, uint8_t accept, enum ctl_cnt why)
{
	count(s, why);
	/* At most one line a second per connection, like unknown commands:
	 * a client can send refused requests as fast as it likes. */
	if (s->cmd_ms >= s->ref_log_ms) {
		log_info("control %u: %s refused: %s (Accept=%u; %u more refused in the last "
		         "second, not logged)",
		         ctl_sa_port(&s->peer.remote), tw_ctl_cmd_name(s->cur_cmd),
		         ctl_cnt_name(why), accept, s->ref_quiet);
		s->ref_log_ms = s->cmd_ms + 1000;
		s->ref_quiet = 0;
	} else {
		s->ref_quiet++;
	}
	send_accept_session(s, accept, 0, NULL, 0);
}

static void handle_request(struct ctl_srv *s, const uint8_t *msg, uint64_t now_ms)
{
	struct tw_ctl_request_tw_session r;
	enum tw_err rc = tw_ctl_request_tw_session_decode(msg, TW_CTL_REQUEST_TW_SESSION_LEN, &r);
	uint8_t base = (uint8_t)(s->mode & TW_CTL_MODE_BASE_MASK);
	uint8_t ctl_ipvn = ctl_sa_ipvn(&s->peer.remote);

	/* twampd sends nothing at all here (§2.7 bug); we answer Accept=3. */
	switch (rc) {
	case TW_OK:
		break;
	case TW_E_IPVN:
		req_refuse(s, TW_CTL_ACCEPT_NOT_SUPPORTED, CTL_CNT_REQ_IPVN);
		return;
	case TW_E_TYPEP:
		req_refuse(s, TW_CTL_ACCEPT_NOT_SUPPORTED, CTL_CNT_REQ_TYPEP);
		return;
	default:
		req_refuse(s, TW_CTL_ACCEPT_NOT_SUPPORTED, CTL_CNT_REQ_FIELD);
		return;
	}
	uint32_t base_len = (base == TW_CTL_MODE_AUTH || base == TW_CTL_MODE_ENCRYPTED)
	                        ? SRV_SENDER_BASE_AUTH
	                        : SRV_SENDER_BASE_OPEN;
	if (r.micro) {
		/* RFC 9533 §4.1: one reflector session (one SID) for every
		 * micro-session of the client's LAG; the fast path tells them
		 * apart by the IDs in the packets (§4.2).  Without a member
		 * link we cannot take part: Accept=3, as a server without
		 * RFC 9533 answers, but the whole message was read. */
		count(s, CTL_CNT_REQ_MICRO);
		uint16_t link = s->env->ops->member_link ? s->env->ops->member_link(s->env->ctx) : 0;
		if (!link) {
			req_refuse(s, TW_CTL_ACCEPT_NOT_SUPPORTED, CTL_CNT_REQ_MICRO_UNSUPPORTED);
			return;
		}
		bool auth = base == TW_CTL_MODE_AUTH || base == TW_CTL_MODE_ENCRYPTED;
		bool sym = (s->mode & TW_CTL_MODE_SYMMETRICAL) != 0;
		enum tw_pkt_layout l = auth ? (sym ? TW_PKT_TWAMP_SYM_AUTH : TW_PKT_TWAMP_AUTH)
		                            : (sym ? TW_PKT_TWAMP_SYM_OPEN : TW_PKT_TWAMP_OPEN);
		/* Both packets must hold the IDs (RFC 9533 Figures 2-5,
		 * tw_pkt_micro_tab); RFC 6038 padding reflection would copy
		 * sender padding over them, so it is refused too. */
		if (r.padding_length < tw_pkt_micro_min_pad(l) ||
		    ((s->mode & TW_CTL_MODE_REFLECT_OCTETS) && r.padding_to_reflect)) {
			req_refuse(s, TW_CTL_ACCEPT_NOT_SUPPORTED, CTL_CNT_REQ_MICRO_PADDING);
			return;
		}
	}
	/* RFC 6038 §4.2 reflected octets and RFC 7750's Sender DSCP and ECN
	 * would share octet 41 of the open/mixed reflector packet: refused,
	 * not resolved one way or the other (tw_pkt_dscp_ecn_in_padding). */
	enum tw_pkt_layout lay = base_len == SRV_SENDER_BASE_AUTH ? TW_PKT_TWAMP_AUTH
	                                                          : TW_PKT_TWAMP_OPEN;
	if ((s->mode & TW_CTL_MODE_DSCP_ECN) && (s->mode & TW_CTL_MODE_REFLECT_OCTETS) &&
	    r.padding_to_reflect && tw_pkt_dscp_ecn_in_padding(lay)) {
		req_refuse(s, TW_CTL_ACCEPT_NOT_SUPPORTED, CTL_CNT_REQ_DSCP_ECN_REFLECT);
		return;
	}
	uint32_t udp_max = r.sender_addr.ipvn == 4 ? SRV_UDP_MAX_V4 : SRV_UDP_MAX_V6;
	if (r.padding_length > udp_max - base_len) { /* §11.2 */
		req_refuse(s, TW_CTL_ACCEPT_NOT_SUPPORTED, CTL_CNT_REQ_PADDING);
		return;
	}
	/* The fast path reflects no IP fragment (it hands them to the
	 * kernel, counter IP_FRAG): a session whose packets would need
	 * fragmenting would lose every one of them after Accept=0.  The
	 * longer of the two packets counts: the reflector packet is never
	 * shorter than its base (RFC 5357 §4.2.1, tw_pkt_reflect_len). */
	uint16_t mtu = s->env->ops->test_mtu ? s->env->ops->test_mtu(s->env->ctx) : 0;
	if (mtu) {
		bool sym = (s->mode & TW_CTL_MODE_SYMMETRICAL) != 0;
		enum tw_pkt_layout l = lay == TW_PKT_TWAMP_AUTH
		                           ? (sym ? TW_PKT_TWAMP_SYM_AUTH : TW_PKT_TWAMP_AUTH)
		                           : (sym ? TW_PKT_TWAMP_SYM_OPEN : TW_PKT_TWAMP_OPEN);
		size_t ip_len = tw_pkt_reflect_len(l, r.padding_length, 0) + 8u +
		                (r.sender_addr.ipvn == 4 ? 20u : 40u);
		if (ip_len > mtu) {
			log_info("control %u: Padding Length %u makes %zu-octet IP packets, "
			         "over the fast path's IP MTU of %u",
			         ctl_sa_port(&s->peer.remote), r.padding_length, ip_len, mtu);
			req_refuse(s, TW_CTL_ACCEPT_NOT_SUPPORTED, CTL_CNT_REQ_PADDING_MTU);
			return;
		}
	}
	/* Zero address = the control connection's (§2.7, _OWPSetSAddrIfUnspec). */
	if ((addr_zero(&r.sender_addr) || addr_zero(&r.receiver_addr)) &&
	    r.sender_addr.ipvn != ctl_ipvn) {
		req_refuse(s, TW_CTL_ACCEPT_NOT_SUPPORTED, CTL_CNT_REQ_ADDR);
		return;
	}
	/* A Sender Address other than the client's own makes us reflect at a
	 * third party: with the reply length set by the request, that is a
	 * traffic amplifier aimed at someone else.  RFC 5357 §3.5 allows it;
	 * we do only for clients an allow rule opts in (docs/control.md). */
	if (!addr_zero(&r.sender_addr) && !sender_is_peer(s, &r.sender_addr) &&
	    !(s->env->ops->third_party_ok && s->env->ops->third_party_ok(s->env->ctx, &s->peer))) {
		req_refuse(s, TW_CTL_ACCEPT_FAILURE, CTL_CNT_REQ_THIRD_PARTY);
		return;
	}
	if (addr_zero(&r.sender_addr))
		ctl_sa_bytes(&s->peer.remote, r.sender_addr.addr);
	if (addr_zero(&r.receiver_addr))
		ctl_sa_bytes(&s->peer.local, r.receiver_addr.addr);
	if (s->n_sess >= s->max_sess) {
		req_refuse(s, TW_CTL_ACCEPT_PERM_LIMIT, CTL_CNT_REQ_SESSION_LIMIT);
		return;
	}
	uint8_t rnd[4]; /* the SID's random part, drawn before anything is taken */
	if (!srv_random(s, rnd, sizeof(rnd)))
		return;
	/* RFC 4656 §3.5: Accept=5 is "temporary resource limitation"; the
	 * daemon-wide bound comes first, so a full daemon is not reported as
	 * this client's quota. */
	if (s->env->ops->server_full && s->env->ops->server_full(s->env->ctx)) {
		req_refuse(s, TW_CTL_ACCEPT_TEMP_LIMIT, CTL_CNT_REQ_SERVER_LIMIT);
		return;
	}
	if (!s->env->ops->client_take(s->env->ctx, &s->peer)) {
		req_refuse(s, TW_CTL_ACCEPT_TEMP_LIMIT, CTL_CNT_REQ_CLIENT_LIMIT);
		return;
	}
	/* The fast path tells sessions apart by the whole flow (ctl_flows.h). */
	struct tw_ipc_flow flow;
	memset(&flow, 0, sizeof(flow));
	flow.local.family = r.receiver_addr.ipvn;
	memcpy(flow.local.addr, r.receiver_addr.addr, 16);
	flow.peer.family = r.sender_addr.ipvn;
	memcpy(flow.peer.addr, r.sender_addr.addr, 16);
	flow.peer_port = r.sender_port;
	uint16_t port = s->env->ops->flow_reserve(s->env->ctx, &flow, r.receiver_port);
	if (!port) {
		s->env->ops->client_give(s->env->ctx, &s->peer);
		req_refuse(s, TW_CTL_ACCEPT_TEMP_LIMIT, CTL_CNT_REQ_NO_PORT);
		return;
	}

	struct ctl_srv_sess *ss = &s->sess[s->n_sess++];
	memset(ss, 0, sizeof(*ss));
	ss->id = s->env->ops->session_id(s->env->ctx);
	ss->state = CTL_SESS_ADDING;
	uint64_t timeout_ms = tw_ntp_dur_to_ns(r.timeout) / 1000000u;
	ss->drain_ms = timeout_ms < s->env->refwait_ms ? timeout_ms : s->env->refwait_ms;

	struct tw_ipc_reflector_add *ra = &ss->ra;
	ra->session = ss->id;
	ra->proto = TW_IPC_PROTO_TWAMP;
	ra->sec = base; /* enum tw_ipc_sec uses the mode bit values */
	make_sid(&r.receiver_addr, rnd, ra->sid);
	ra->flow = flow;
	ra->pad.padding_len = r.padding_length;
	if (s->mode & TW_CTL_MODE_REFLECT_OCTETS) {
		ra->pad.reflect_octets = r.octets_to_reflect;
		ra->pad.reflect_pad_len = r.padding_to_reflect;
	}
	if (s->mode & TW_CTL_MODE_SYMMETRICAL)
		ra->flags |= TW_IPC_SF_SYMMETRIC;
	/* RFC 7750 §3: DSCP and ECN Monitoring accepted in Set-Up-Response
	 * applies to every session of the connection. */
	if (s->mode & TW_CTL_MODE_DSCP_ECN)
		ra->flags |= TW_IPC_SF_DSCP_ECN;
	/* RFC 8186 §2: with PTPv2 Timestamp capability negotiated the
	 * Session-Reflector timestamps in the truncated PTP format (Z = 1);
	 * `features ptpv2` is the operator's statement that the fast path's
	 * clock is fit for it (docs/control.md, "PTPv2 timestamps"). */
	if (s->mode & TW_CTL_MODE_PTPV2)
		ra->flags |= TW_IPC_SF_PTP_TS;
	/* RFC 9533 §4.2: check and write the micro-session IDs */
	if (r.micro)
		ra->flags |= TW_IPC_SF_MICRO;
	if (base == TW_CTL_MODE_AUTH || base == TW_CTL_MODE_ENCRYPTED) {
		if (tw_crypto_test_keys(ra->sid, s->aes_key, s->hmac_key, ra->keys.aes,
		                        ra->keys.hmac) != TW_OK) {
			sess_release(s, s->n_sess - 1, 0);
			req_refuse(s, TW_CTL_ACCEPT_INTERNAL, CTL_CNT_SETUP_CRYPTO);
			return;
		}
		ra->keys.hmac_len = TW_CRYPTO_HMAC_KEY_LEN;
	}
	(void)tw_ctl_typep_to_dscp(r.type_p, &ra->dscp);
	ra->timeout_ns = ss->drain_ms * 1000000u;
	ra->refwait_ns = s->env->refwait_ms * 1000000u;

	ss->req = s->env->ops->fp_send(s->env->ctx, s, TW_IPC_REFLECTOR_ADD, ra, sizeof(*ra));
	if (!ss->req) {
		sess_release(s, s->n_sess - 1, 0);
		req_refuse(s, TW_CTL_ACCEPT_TEMP_LIMIT, CTL_CNT_FP_UNAVAILABLE);
		return;
	}
	s->pend = PEND_ADD;
	s->pend_left = 1;
	s->pend_err = TW_E_OK;
	s->pend_deadline = now_ms + s->env->fp_timeout_ms;
}

static void pend_finish(struct ctl_srv *s, uint64_t now_ms);

/* ---- Start / Stop (§2.10 - §2.12) ----------------------------------------------- */

static bool start_one(struct ctl_srv *s, struct ctl_srv_sess *ss)
{
	struct tw_ipc_session_ctl sc = {.session = ss->id};

	ss->req = s->env->ops->fp_send(s->env->ctx, s, TW_IPC_REFLECTOR_START, &sc, sizeof(sc));
	if (!ss->req)
		return false;
	ss->state = CTL_SESS_STARTING;
	s->pend_left++;
	return true;
}

static void handle_start(struct ctl_srv *s, uint64_t now_ms)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->n_sess; i++)
		n += s->sess[i].state == CTL_SESS_ACCEPTED;
	if (!n) {
		count(s, CTL_CNT_START_NO_SESSIONS);
		send_start_ack(s, TW_CTL_ACCEPT_NOT_SUPPORTED);
		return;
	}
	s->pend = PEND_START;
	s->pend_left = 0;
	s->pend_err = TW_E_OK;
	s->pend_deadline = now_ms + s->env->fp_timeout_ms;
	for (unsigned i = 0; i < s->n_sess; i++)
		if (s->sess[i].state == CTL_SESS_ACCEPTED && !start_one(s, &s->sess[i]))
			s->pend_err = TW_E_FULL;
	if (!s->pend_left) {
		count(s, CTL_CNT_FP_UNAVAILABLE);
		s->pend = PEND_NONE;
		send_start_ack(s, TW_CTL_ACCEPT_INTERNAL);
		srv_close(s, CTL_CNT__COUNT, "fast path unavailable at start");
	}
}

static void handle_stop(struct ctl_srv *s, const uint8_t *msg, uint64_t now_ms)
{
	struct tw_ctl_stop_sessions m;

	(void)tw_ctl_stop_sessions_decode(msg, TW_CTL_STOP_SESSIONS_LEN, &m);
	/* Any Number of Sessions is accepted (twampy sends 0, §2.11): stop all. */
	log_debug("control %u: Stop-Sessions accept=%u n=%u", ctl_sa_port(&s->peer.remote),
	          m.accept, m.num_sessions);
	while (s->n_sess)
		sess_stop(s, s->n_sess - 1, now_ms);
	idle_arm(s, now_ms);
	srv_set_state(s, CTL_SRV_READY, "stop-sessions");
}

static void handle_n(struct ctl_srv *s, const uint8_t *msg, size_t len, uint64_t now_ms)
{
	struct tw_ctl_n_sessions m;
	bool start = s->cur_cmd == TW_CTL_CMD_START_N_SESSIONS;
	uint8_t ack = start ? TW_CTL_CMD_START_N_ACK : TW_CTL_CMD_STOP_N_ACK;
	enum tw_err rc = tw_ctl_n_sessions_decode(msg, len, s->cur_cmd, &m);
	bool ok = rc == TW_OK && m.num_sessions > 0;

	/* Every SID must be ours and in the right state (RFC 5938 leaves the
	 * Accept value open; we use 3 and change nothing, §2.12). */
	for (uint32_t i = 0; ok && i < m.num_sessions; i++) {
		struct ctl_srv_sess *ss = sess_by_sid(s, m.sids[i]);
		ok = ss && ss->state == (start ? CTL_SESS_ACCEPTED : CTL_SESS_STARTED);
		for (uint32_t j = 0; ok && j < i; j++)
			ok = memcmp(m.sids[i], m.sids[j], TW_CTL_SID_LEN) != 0;
	}
	if (!ok) {
		count(s, CTL_CNT_N_BAD_SID);
		send_n_ack(s, ack, TW_CTL_ACCEPT_NOT_SUPPORTED, m.sids ? m.num_sessions : 0,
		           m.sids);
		return;
	}
	if (!start) {
		for (uint32_t i = 0; i < m.num_sessions; i++) {
			struct ctl_srv_sess *ss = sess_by_sid(s, m.sids[i]);
			sess_stop(s, (unsigned)(ss - s->sess), now_ms);
		}
		send_n_ack(s, ack, TW_CTL_ACCEPT_OK, m.num_sessions, m.sids);
		if (!any_running(s)) {
			idle_arm(s, now_ms);
			srv_set_state(s, CTL_SRV_READY, "stop-n");
		}
		return;
	}
	s->pend_sids = malloc((size_t)m.num_sessions * TW_CTL_SID_LEN);
	if (!s->pend_sids) {
		srv_close(s, CTL_CNT__COUNT, "out of memory");
		return;
	}
	memcpy(s->pend_sids, m.sids, (size_t)m.num_sessions * TW_CTL_SID_LEN);
	s->pend_n = m.num_sessions;
	s->pend = PEND_START_N;
	s->pend_left = 0;
	s->pend_err = TW_E_OK;
	s->pend_deadline = now_ms + s->env->fp_timeout_ms;
	for (uint32_t i = 0; i < m.num_sessions; i++)
		if (!start_one(s, sess_by_sid(s, m.sids[i])))
			s->pend_err = TW_E_FULL;
	if (!s->pend_left)
		pend_finish(s, now_ms); /* nothing in flight: conclude at once */
}

/* ---- completion of a fast-path operation ---------------------------------------- */

static void pend_finish(struct ctl_srv *s, uint64_t now_ms)
{
	enum srv_pend p = s->pend;
	enum tw_err err = s->pend_err;

	s->pend = PEND_NONE;
	if (p == PEND_ADD) {
		unsigned i = s->n_sess - 1; /* the add is always the last session */
		struct ctl_srv_sess *ss = &s->sess[i];
		if (err != TW_E_OK) {
			count(s, err == TW_E_EMPTY ? CTL_CNT_FP_TIMEOUT : CTL_CNT_FP_NACK);
			log_warnx("control %u: fast path %s REFLECTOR_ADD (%s): Accept=5",
			          ctl_sa_port(&s->peer.remote),
			          err == TW_E_EMPTY ? "did not answer" : "refused",
			          tw_errname(err));
			sess_release(s, i, 0);
			send_accept_session(s, TW_CTL_ACCEPT_TEMP_LIMIT, 0, NULL, 0);
			return;
		}
		ss->state = CTL_SESS_ACCEPTED;
		ss->req = 0;
		count(s, CTL_CNT_SESSIONS_ACCEPTED);
		s->n_accepted++;
		char snd[64], rfl[64];
		ctl_conf_flow_str(&ss->ra.flow.peer, ss->ra.flow.peer_port, snd, sizeof(snd));
		ctl_conf_flow_str(&ss->ra.flow.local, ss->ra.flow.local_port, rfl, sizeof(rfl));
		log_info("control %u: session %u accepted: sender %s, reflector %s, padding %u, "
		         "DSCP %u, timeout %llu ms",
		         ctl_sa_port(&s->peer.remote), ss->id, snd, rfl, ss->ra.pad.padding_len,
		         ss->ra.dscp, (unsigned long long)(ss->ra.timeout_ns / 1000000u));
		send_accept_session(
		    s, TW_CTL_ACCEPT_OK, ss->ra.flow.local_port, ss->ra.sid,
		    (s->mode & TW_CTL_MODE_REFLECT_OCTETS) ? ss->ra.pad.reflect_octets : 0);
		return;
	}
	/* PEND_START / PEND_START_N */
	unsigned started = 0;
	for (unsigned i = 0; i < s->n_sess; i++) {
		struct ctl_srv_sess *ss = &s->sess[i];
		if (ss->state != CTL_SESS_STARTING)
			continue;
		ss->state = (err == TW_E_OK) ? CTL_SESS_STARTED : CTL_SESS_ACCEPTED;
		ss->req = 0;
		started += err == TW_E_OK;
	}
	s->env->cnt->c[CTL_CNT_SESSIONS_STARTED] += started;
	if (err != TW_E_OK)
		count(s, err == TW_E_EMPTY  ? CTL_CNT_FP_TIMEOUT
		         : err == TW_E_FULL ? CTL_CNT_FP_UNAVAILABLE
		                            : CTL_CNT_FP_NACK);
	if (p == PEND_START) {
		if (err != TW_E_OK) {
			/* twampd: Start-Ack Accept=2 and close (§2.10). */
			send_start_ack(s, TW_CTL_ACCEPT_INTERNAL);
			srv_close(s, CTL_CNT__COUNT, "start failed");
			return;
		}
		send_start_ack(s, TW_CTL_ACCEPT_OK);
		srv_set_state(s, CTL_SRV_TESTING, "start-sessions");
	} else {
		send_n_ack(s, TW_CTL_CMD_START_N_ACK,
		           err == TW_E_OK ? TW_CTL_ACCEPT_OK : TW_CTL_ACCEPT_INTERNAL, s->pend_n,
		           (const uint8_t(*)[TW_CTL_SID_LEN])s->pend_sids);
		if (err == TW_E_OK)
			srv_set_state(s, CTL_SRV_TESTING, "start-n-sessions");
	}
	free(s->pend_sids);
	s->pend_sids = NULL;
	(void)now_ms;
}

/* The answer to a REFLECTOR_ADD sent again after a fast-path restart
 * (ctl_srv_fp_reattached).  A session the new fast path refuses is over:
 * it ends as a REFWAIT would, so the connection gets its ended-timeout. */
static bool reprog_reply(struct ctl_srv *s, uint32_t req, enum tw_err err, uint64_t now_ms)
{
	for (unsigned i = 0; i < s->n_sess; i++) {
		struct ctl_srv_sess *ss = &s->sess[i];
		if (ss->reprog_req != req)
			continue;
		ss->reprog_req = 0;
		if (err == TW_E_OK) {
			count(s, CTL_CNT_FP_REPROGRAMMED);
		} else if (err != TW_E_SYS) {
			/* TW_E_SYS: the fast path went away again; the next
			 * attach sends it once more. */
			count(s, CTL_CNT_FP_REPROGRAM_FAILED);
			log_warnx(
			    "control %u: session %u: the restarted fast path refused it (%s): "
			    "ended",
			    ctl_sa_port(&s->peer.remote), ss->id, tw_errname(err));
			ss->state = CTL_SESS_ENDED;
			if (!any_running(s) && s->env->ended_ms)
				s->ended_deadline = now_ms + s->env->ended_ms;
		}
		return true;
	}
	return false;
}

unsigned ctl_srv_fp_reattached(struct ctl_srv *s, uint64_t now_ms)
{
	unsigned sent = 0;

	for (unsigned i = 0; i < s->n_sess; i++) {
		struct ctl_srv_sess *ss = &s->sess[i];
		/* ADDING/STARTING: that operation's own request died with the
		 * old fast path (fp-timeout answers the client); ENDED: nothing
		 * left to reflect. */
		if (ss->state != CTL_SESS_ACCEPTED && ss->state != CTL_SESS_STARTED)
			continue;
		struct tw_ipc_reflector_add ra = ss->ra;
		/* A started session reflects again at once, with a new
		 * REFWAIT (§2.14).  The new fast path does not know how many
		 * packets the old one reflected, so it numbers its first reply
		 * from the Sender Sequence Number (TW_IPC_SF_SEQ_RESYNC): the
		 * Session-Sender sees the restart as a gap, never a reflector
		 * Sequence Number it has seen (RFC 5357 §4.2.1; twping drops
		 * the whole session's results on one). */
		ra.flags |= TW_IPC_SF_SEQ_RESYNC;
		if (ss->state == CTL_SESS_STARTED)
			ra.flags |= TW_IPC_SF_START_NOW;
		ss->reprog_req =
		    s->env->ops->fp_send(s->env->ctx, s, TW_IPC_REFLECTOR_ADD, &ra, sizeof(ra));
		if (ss->reprog_req) {
			sent++;
			continue;
		}
		count(s, CTL_CNT_FP_REPROGRAM_FAILED);
		log_warnx("control %u: session %u: cannot program it into the restarted fast path "
		          "(command ring full): ended",
		          ctl_sa_port(&s->peer.remote), ss->id);
		ss->state = CTL_SESS_ENDED;
		if (!any_running(s) && s->env->ended_ms)
			s->ended_deadline = now_ms + s->env->ended_ms;
	}
	return sent;
}

void ctl_srv_fp_reply(struct ctl_srv *s, uint32_t req, enum tw_err err, uint64_t now_ms)
{
	if (!req || reprog_reply(s, req, err, now_ms))
		return;
	if (s->pend == PEND_NONE)
		return;
	for (unsigned i = 0; i < s->n_sess; i++) {
		struct ctl_srv_sess *ss = &s->sess[i];
		if (ss->req != req)
			continue;
		ss->req = 0;
		if (err != TW_E_OK && s->pend_err == TW_E_OK)
			s->pend_err = err;
		if (--s->pend_left == 0) {
			pend_finish(s, now_ms);
			ctl_srv_input(s, NULL, 0, now_ms); /* resume buffered commands */
		}
		return;
	}
}

void ctl_srv_fp_event(struct ctl_srv *s, const struct tw_ipc_session_event *ev, uint64_t now_ms)
{
	for (unsigned i = 0; i < s->n_sess; i++) {
		struct ctl_srv_sess *ss = &s->sess[i];
		if (ss->id != ev->session)
			continue;
		ss->rx_pkts = ev->rx_pkts;
		ss->tx_pkts = ev->tx_pkts;
		if (ev->event == TW_IPC_EV_REFWAIT_EXPIRED || ev->event == TW_IPC_EV_ERROR ||
		    (ev->event == TW_IPC_EV_ENDED && ss->state == CTL_SESS_STARTED)) {
			/* REFWAIT (§2.14) or a fast-path failure: the session is over;
			 * the connection stays until Stop-Sessions or SERVWAIT. */
			ss->state = CTL_SESS_ENDED;
			count(s, CTL_CNT_FP_SESSION_ENDED);
			/* Nothing runs any more: without a deadline such a
			 * connection (and its client quota) would stay forever
			 * if the client never sends Stop-Sessions. */
			if (!any_running(s) && s->env->ended_ms)
				s->ended_deadline = now_ms + s->env->ended_ms;
		}
		return;
	}
}

/* ---- command dispatch (§2.0, §2.13) ---------------------------------------------- */

/* Commands of RFC 5357 §3.5-3.8, RFC 5938 and RFC 9533 §4.1; the rest get
 * one block read and Accept=3 (§2.13). */
static bool cmd_known(uint8_t cmd)
{
	return cmd == TW_CTL_CMD_REQUEST_TW_SESSION || cmd == TW_CTL_CMD_REQUEST_TW_MICRO ||
	       cmd == TW_CTL_CMD_START_SESSIONS || cmd == TW_CTL_CMD_STOP_SESSIONS ||
	       cmd == TW_CTL_CMD_START_N_SESSIONS || cmd == TW_CTL_CMD_STOP_N_SESSIONS;
}

static void handle_cmd(struct ctl_srv *s, uint8_t *msg, size_t len, uint64_t now_ms)
{
	uint8_t cmd = s->cur_cmd;
	bool indiv = (s->mode & TW_CTL_MODE_INDIV_SESSIONS) != 0;
	bool request = cmd == TW_CTL_CMD_REQUEST_TW_SESSION || cmd == TW_CTL_CMD_REQUEST_TW_MICRO;
	bool known = cmd_known(cmd);

	s->cmd_ms = now_ms;

	if (s->state == CTL_SRV_TESTING) {
		/* During a test only Stop-Sessions (and, with RFC 5938, the
		 * individual-session commands and new requests) make sense;
		 * twampd drops the connection for anything else (§2.13). */
		bool ok = cmd == TW_CTL_CMD_STOP_SESSIONS ||
		          (indiv && (request ||
		                     cmd == TW_CTL_CMD_START_N_SESSIONS ||
		                     cmd == TW_CTL_CMD_STOP_N_SESSIONS));
		if (!ok) {
			log_info("control %u: %s during a test: closing",
			         ctl_sa_port(&s->peer.remote), tw_ctl_cmd_name(cmd));
			srv_close(s, CTL_CNT_CMD_DURING_TEST, "command during test");
			return;
		}
	}
	if (!known) {
		/* One block consumed, Accept-Session Accept=3, stay up (§2.13). */
		count(s, CTL_CNT_CMD_UNKNOWN);
		/* A flood of them is logged at most once a second per
		 * connection, with the number left out (the counter has all). */
		if (now_ms >= s->unk_log_ms) {
			log_info("control %u: unknown command %u (%s): Accept=3 "
			         "(%u more in the last second, not logged)",
			         ctl_sa_port(&s->peer.remote), cmd, tw_ctl_cmd_name(cmd),
			         s->unk_quiet);
			s->unk_log_ms = now_ms + 1000;
			s->unk_quiet = 0;
		} else {
			s->unk_quiet++;
		}
		send_accept_session(s, TW_CTL_ACCEPT_NOT_SUPPORTED, 0, NULL, 0);
		return;
	}
	switch (cmd) {
	case TW_CTL_CMD_REQUEST_TW_SESSION:
	case TW_CTL_CMD_REQUEST_TW_MICRO: /* RFC 9533 §4.1: the same layout */
		handle_request(s, msg, now_ms);
		break;
	case TW_CTL_CMD_START_SESSIONS:
		handle_start(s, now_ms);
		break;
	case TW_CTL_CMD_STOP_SESSIONS:
		if (s->state != CTL_SRV_TESTING) {
			/* twampd answers Accept-Session Accept=3 (§2.11); we read the
			 * whole 32 octets first so the stream stays in step (§11.4). */
			count(s, CTL_CNT_STOP_NOT_RUNNING);
			send_accept_session(s, TW_CTL_ACCEPT_NOT_SUPPORTED, 0, NULL, 0);
			break;
		}
		handle_stop(s, msg, now_ms);
		break;
	default: /* Start-N / Stop-N */
		if (!indiv) {
			count(s, CTL_CNT_CMD_NOT_NEGOTIATED);
			send_accept_session(s, TW_CTL_ACCEPT_NOT_SUPPORTED, 0, NULL, 0);
			break;
		}
		handle_n(s, msg, len, now_ms);
		break;
	}
}

/* Process as many complete messages as the buffer holds. */
static void process(struct ctl_srv *s, uint64_t now_ms)
{
	while (s->state != CTL_SRV_CLOSED && s->pend == PEND_NONE && s->out_bytes < SRV_OUT_HIGH) {
		uint8_t *p = s->in + s->in_off;
		size_t avail = s->in_len - s->in_off;

		if (s->state == CTL_SRV_GREETING) {
			if (avail < TW_CTL_SETUP_RESPONSE_LEN)
				break;
			handle_setup(s, p, now_ms);
			s->in_off += TW_CTL_SETUP_RESPONSE_LEN;
			continue;
		}
		if (!s->cur) {
			if (avail < TW_CTL_BLOCK_LEN)
				break;
			if (s->cc && s->dec < TW_CTL_BLOCK_LEN) {
				if (tw_ctl_crypto_decrypt(s->cc, p, TW_CTL_BLOCK_LEN) != TW_OK) {
					srv_close(s, CTL_CNT_SETUP_CRYPTO, "decrypt failed");
					break;
				}
				s->dec = TW_CTL_BLOCK_LEN;
			}
			size_t msglen = 0;
			enum tw_err rc = tw_ctl_cmd_peek(p, TW_CTL_BLOCK_LEN, &s->cur_cmd, &msglen);
			if (rc == TW_E_LENGTH) {
				srv_close(s, CTL_CNT_N_LENGTH, "N too large");
				break;
			}
			s->cur = msglen; /* 16 for unknown commands (§2.13) */
		}
		if (avail < s->cur)
			break;
		if (s->cur > TW_CTL_BLOCK_LEN) {
			if (s->cc) {
				if (tw_ctl_crypto_decrypt(s->cc, p + s->dec, s->cur - s->dec) !=
				        TW_OK ||
				    tw_ctl_crypto_verify(s->cc, p, s->cur) != TW_OK) {
					log_info("control %u: %s with bad HMAC: closing",
					         ctl_sa_port(&s->peer.remote),
					         tw_ctl_cmd_name(s->cur_cmd));
					srv_close(s, CTL_CNT_HMAC, "bad HMAC");
					break;
				}
			}
		}
		size_t len = s->cur;
		s->cur = 0;
		s->dec = 0;
		/* SERVWAIT (RFC 4656 §3.1, RFC 5357 §3.1) closes a connection
		 * that does nothing useful.  Only a command the server knows
		 * restarts it: one unknown block every few seconds (answered
		 * Accept=3, CMD_UNKNOWN) would otherwise hold a control slot
		 * for ever. */
		if (!any_running(s) && cmd_known(s->cur_cmd))
			idle_arm(s, now_ms);
		handle_cmd(s, p, len, now_ms);
		s->in_off += len;
	}
	if (s->in_off == s->in_len) {
		s->in_off = s->in_len = 0;
	} else if (s->in_off) {
		/* Always compact: a largest message (Start-N with N = 4096)
		 * behind consumed octets must fit, or reading stalls for good.
		 * Only the unconsumed tail moves. */
		memmove(s->in, s->in + s->in_off, s->in_len - s->in_off);
		s->in_len -= s->in_off;
		s->in_off = 0;
	}
}

/* ---- public API -------------------------------------------------------------------- */

struct ctl_srv *ctl_srv_new(const struct ctl_srv_env *env, const struct ctl_peer *peer,
                            uint32_t offered, uint64_t now_ms)
{
	struct ctl_srv *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->env = env;
	s->peer = *peer;
	ctl_sa_unmap(&s->peer.local);
	ctl_sa_unmap(&s->peer.remote);
	s->offered = offered;
	s->max_sess = env->max_sessions ? env->max_sessions : 1;
	s->in = malloc(SRV_IN_CAP);
	s->sess = calloc(s->max_sess, sizeof(*s->sess));
	if (!s->in || !s->sess) {
		free(s->in);
		free(s->sess);
		free(s);
		return NULL;
	}
	s->state = CTL_SRV_GREETING;
	idle_arm(s, now_ms);
	/* Pre-authentication deadline, absolute from accept: a client that
	 * trickles its Set-Up-Response one octet at a time is closed as surely
	 * as an idle one (OpenSSH LoginGraceTime). */
	s->setup_deadline = env->setup_ms ? now_ms + env->setup_ms : UINT64_MAX;
	s->ended_deadline = UINT64_MAX;
	send_greeting(s);
	count(s, offered ? CTL_CNT_CONN_ACCEPTED : CTL_CNT_CONN_REFUSED);
	if (!offered) { /* Modes 0: "I will not talk to you" (§2.1) */
		/* Not through srv_set_state(): a refusal costs the peer one
		 * connect, and the daemon logs refusals at most once a second;
		 * a debug line each would flood the log all the same. */
		s->state = CTL_SRV_CLOSED;
		s->close_why = "no modes for this client";
	}
	return s;
}

void ctl_srv_free(struct ctl_srv *s, uint64_t now_ms)
{
	if (!s)
		return;
	count(s, CTL_CNT_CONN_CLOSED);
	if (s->set_up)
		log_info("control %u: closed (%s); %u session(s) accepted",
		         ctl_sa_port(&s->peer.remote),
		         s->close_why ? s->close_why : "connection closed", s->n_accepted);
	/* Closing the control connection ends its sessions (§2.14); a session
	 * already stopped kept its drain timer in fp_del_at. */
	while (s->n_sess) {
		struct ctl_srv_sess *ss = &s->sess[s->n_sess - 1];
		if (ss->state == CTL_SESS_STARTED)
			count(s, CTL_CNT_SESSIONS_STOPPED);
		sess_release(s, s->n_sess - 1, now_ms);
	}
	for (size_t i = s->out_head; i < s->n_out; i++)
		free(s->out[i].p);
	free(s->out);
	free(s->pend_sids);
	free(s->sess);
	free(s->in);
	tw_ctl_crypto_free(s->cc);
	tw_crypto_cleanse(s->aes_key, sizeof(s->aes_key));
	tw_crypto_cleanse(s->hmac_key, sizeof(s->hmac_key));
	free(s);
}

size_t ctl_srv_in_space(const struct ctl_srv *s)
{
	if (s->state == CTL_SRV_CLOSED)
		return 0;
	return SRV_IN_CAP - s->in_len;
}

void ctl_srv_input(struct ctl_srv *s, const uint8_t *buf, size_t len, uint64_t now_ms)
{
	if (s->state == CTL_SRV_CLOSED)
		return;
	if (len > SRV_IN_CAP - s->in_len)
		len = SRV_IN_CAP - s->in_len;
	if (len) {
		memcpy(s->in + s->in_len, buf, len);
		s->in_len += len;
	}
	process(s, now_ms);
}

void ctl_srv_eof(struct ctl_srv *s, uint64_t now_ms)
{
	(void)now_ms;
	if (s->state == CTL_SRV_GREETING)
		count(s, CTL_CNT_PEER_CLOSED_EARLY);
	srv_set_state(s, CTL_SRV_CLOSED, "peer closed");
}

bool ctl_srv_out(const struct ctl_srv *s, const uint8_t **p, size_t *len)
{
	if (s->out_head == s->n_out)
		return false;
	const struct srv_outmsg *o = &s->out[s->out_head];
	*p = o->p + o->off;
	*len = o->len - o->off;
	return true;
}

void ctl_srv_out_done(struct ctl_srv *s, size_t n)
{
	if (s->out_head == s->n_out)
		return;
	struct srv_outmsg *o = &s->out[s->out_head];
	if (n > o->len - o->off)
		n = o->len - o->off;
	o->off += n;
	s->out_bytes -= n;
	if (o->off < o->len)
		return;
	free(o->p);
	/* O(1): advance the head; an empty queue starts over at slot 0. */
	if (++s->out_head == s->n_out)
		s->out_head = s->n_out = 0;
}

uint64_t ctl_srv_deadline(const struct ctl_srv *s)
{
	uint64_t d = UINT64_MAX;

	if (s->state == CTL_SRV_CLOSED)
		return d;
	if (s->pend != PEND_NONE)
		d = s->pend_deadline;
	if (s->state != CTL_SRV_TESTING && !any_running(s) && s->idle_deadline < d)
		d = s->idle_deadline;
	if (s->state == CTL_SRV_GREETING && s->setup_deadline < d)
		d = s->setup_deadline;
	if (s->state == CTL_SRV_TESTING && s->pend == PEND_NONE && s->ended_deadline < d &&
	    !any_running(s))
		d = s->ended_deadline;
	return d;
}

void ctl_srv_tick(struct ctl_srv *s, uint64_t now_ms)
{
	if (s->state == CTL_SRV_CLOSED)
		return;
	if (s->pend != PEND_NONE && now_ms >= s->pend_deadline) {
		/* No answer in fp-timeout: never hang the client; forget the
		 * requests (late ACKs are ignored) and conclude as a failure. */
		if (s->pend_err == TW_E_OK)
			s->pend_err = TW_E_EMPTY;
		for (unsigned i = 0; i < s->n_sess; i++)
			s->sess[i].req = 0;
		s->pend_left = 0;
		pend_finish(s, now_ms);
		process(s, now_ms);
		return;
	}
	if (s->state == CTL_SRV_GREETING && now_ms >= s->setup_deadline) {
		log_info("control %u: no Set-Up-Response within setup-timeout: closing",
		         ctl_sa_port(&s->peer.remote));
		srv_close(s, CTL_CNT_SETUP_TIMEOUT, "setup-timeout");
		return;
	}
	if (s->state == CTL_SRV_TESTING && s->pend == PEND_NONE && !any_running(s) &&
	    now_ms >= s->ended_deadline) {
		log_info("control %u: every session ended %llu ms ago, no Stop-Sessions: closing",
		         ctl_sa_port(&s->peer.remote), (unsigned long long)s->env->ended_ms);
		srv_close(s, CTL_CNT_ENDED_TIMEOUT, "ended-timeout");
		return;
	}
	if (s->state != CTL_SRV_TESTING && !any_running(s) && s->pend == PEND_NONE &&
	    now_ms >= s->idle_deadline) {
		log_info("control %u: idle for SERVWAIT: closing", ctl_sa_port(&s->peer.remote));
		srv_close(s, CTL_CNT_SERVWAIT, "servwait");
	}
}

enum ctl_srv_state ctl_srv_state(const struct ctl_srv *s)
{
	return s->state;
}
bool ctl_srv_unauthenticated(const struct ctl_srv *s)
{
	return s->state == CTL_SRV_GREETING;
}
bool ctl_srv_idle_open(const struct ctl_srv *s, uint64_t *since_ms)
{
	/* Open mode proved nothing (RFC 4656 §3.1, no shared secret), and
	 * with no session nothing is lost but a set-up.  A pending fast-path
	 * request always belongs to a session, so n_sess covers it. */
	if (s->state != CTL_SRV_READY || (s->mode & TW_CTL_MODE_BASE_MASK) != TW_CTL_MODE_OPEN ||
	    s->n_sess)
		return false;
	*since_ms = s->active_ms;
	return true;
}
bool ctl_srv_done(const struct ctl_srv *s)
{
	return s->state == CTL_SRV_CLOSED && s->out_head == s->n_out;
}
uint32_t ctl_srv_mode(const struct ctl_srv *s)
{
	return s->mode;
}
const struct ctl_peer *ctl_srv_peer(const struct ctl_srv *s)
{
	return &s->peer;
}
unsigned ctl_srv_n_sessions(const struct ctl_srv *s)
{
	return s->n_sess;
}

const struct ctl_srv_sess *ctl_srv_session(const struct ctl_srv *s, unsigned i)
{
	return i < s->n_sess ? &s->sess[i] : NULL;
}
