/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "srv": the TWAMP-Control server FSM (control/daemon/ctl_server.c,
 * sans-I/O), driven the way twinhopd drives it: octets in, whole messages
 * out, timers, and the fast path's answers, all chosen by the input.
 *
 * The harness plays a real Control-Client that knows the shared secret of
 * KeyID "alice", so the authenticated, encrypted and mixed modes get past
 * the set-up: it reads the greeting, builds a valid Set-Up-Response for the
 * mode the input chooses (token computed with the known key), opens the
 * Server-Start, and from then on seals every fuzzed command (HMAC + AES-CBC,
 * RFC 4656 §3.4) before feeding it.  Unsealed octets and a raw 164-octet
 * Set-Up-Response are input choices too, for the refusal paths.
 *
 * Input (big-endian, missing octets read as zero; docs/fuzzing.md):
 *   [offered:2][mode:2][setup:1][env:1][rndfail:1] then operations
 *   (rndfail bit 7: the fast path has RFC 9533 member link 7, so
 *   Request-TW-Micro-Sessions, command 11, can be accepted; setup bit 3,
 *   which is also the low bit of the Set-Up-Response split: its IP MTU is
 *   1500, so a longer Padding Length is refused)
 *   [op:1][arguments], see the OP_* list below.  Bit 7 of op: leave the
 *   server's output queued after this operation (default: read it all).
 *
 * Invariants (abort() on violation; ASan/UBSan/LeakSanitizer catch the rest):
 *  - every server message is one of the documented sizes (greeting 64,
 *    Server-Start 48, then Accept-Session 48, Start-Ack 32, Start-N/Stop-N-Ack
 *    32+16N), decodes, and in modes 2/4/8 carries a valid HMAC: the client's
 *    receive stream stays in step with the server's send stream;
 *  - an accepted session names a port of test-ports and the fast path was
 *    told a REFLECTOR_ADD with fields in range (padding, keys, DSCP, flow),
 *    TW_IPC_SF_MICRO only with a member link and a padding that holds the
 *    RFC 9533 IDs, and with an IP MTU only packets that fit it;
 *  - the state never goes back to GREETING, CLOSED is final, a closed
 *    connection reads nothing and has no deadline, the output of a finished
 *    connection (ctl_srv_done) never refills, sessions <= max-sessions;
 *  - every session id is retired exactly once; once the connection is freed
 *    and every retirement completed, the client quota and the flow table
 *    are back to empty.
 */
#include "fuzz_common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "ctl_log.h"
#include "ctl_server.h"
#include "tw_crypto.h"
#include "tw_ctl.h"
#include "tw_pkt.h"

#define PORT_LO      20000u
#define MAX_INFLIGHT 64
#define MAX_IDS      4096
#define MAX_SIDS     64
#define MAX_RETIRE   256
#define MAX_FLOWS    (MAX_RETIRE + 16)

static const char secret_alice[] = "fuzz-secret";

enum {
	OP_CMD,      /* [len:2][split:2][plaintext:len]: sealed in modes 2/4/8;
	              * split bit 15: flip a bit of the last octet after sealing */
	OP_RAW,      /* [len:2][octets:len]: fed as they are */
	OP_NCMD,     /* [kind:1][n:2][n x sid index:1]: Start-N (kind bit 0) / Stop-N */
	OP_REPLY,    /* [idx:1][err:1]: ACK (err 0) or NACK of an outstanding request */
	OP_EVENT,    /* [idx:1][event:1]: SESSION_EVENT for session idx */
	OP_TICK,     /* [delta:2]: time advances delta * 8 ms */
	OP_DEADLINE, /* time jumps to ctl_srv_deadline() */
	OP_EOF,      /* the peer closed */
	OP_RETIRE,   /* [idx:1]: the fast path deleted a retired session */
	OP_TOGGLE,   /* [what:1]: fast path attached / client quota exhausted */
	OP_DRAIN,    /* [n:2]: read n octets of output */
	OP_STALE,    /* [req:4][err:1]: an answer to an unknown request id */
	OP__COUNT,
};

struct inflight {
	uint32_t req;
	uint16_t type;
};

static struct harness {
	/* fake environment */
	struct ctl_counters cnt;
	struct ctl_srv_env env;
	struct tw_ipc_flow flows[MAX_FLOWS]; /* reserved flows (test-ports) */
	unsigned n_flows;
	uint16_t port_hi;
	bool attached, third_party, defer_retire;
	uint16_t member_link; /* RFC 9533, 0 = none */
	uint16_t mtu;         /* the fast path's IP MTU, 0 = unknown */
	unsigned client_sessions, client_max;
	uint32_t next_req, next_sess;
	uint8_t id_state[MAX_IDS + 1]; /* 0 unused, 1 live, 2 retired */
	struct inflight infl[MAX_INFLIGHT];
	unsigned n_infl;
	struct tw_ipc_flow retire[MAX_RETIRE];
	unsigned n_retire;
	unsigned rnd_calls, rnd_fail;
	uint64_t rnd_state, cli_rnd;
	bool blind; /* control encrypted with keys the client does not have */

	/* client side */
	struct ctl_srv *s;
	struct tw_ctl_crypto *cc;
	uint64_t now;
	uint8_t *msg; /* the server message being read */
	size_t msg_len, msg_got;
	unsigned n_msgs;
	uint8_t sids[MAX_SIDS][TW_CTL_SID_LEN];
	unsigned n_sids;
	bool left_greeting, closed, done;
} h;

/* ---- fake environment ------------------------------------------------------- */

static bool f_key(void *ctx, const uint8_t key_id[TW_CTL_KEYID_LEN], const uint8_t **secret,
                  size_t *len)
{
	(void)ctx;
	if (memcmp(key_id, "alice", 6))
		return false;
	*secret = (const uint8_t *)secret_alice;
	*len = sizeof(secret_alice) - 1;
	return true;
}

/* twinhopd's flow table in miniature (ctl_flows.h semantics: a port may
 * carry many flows, never the same one twice), deterministic and cheap; it
 * also lets the harness check that a retired flow is one that was reserved. */
static int flow_find(const struct tw_ipc_flow *fl)
{
	for (unsigned i = 0; i < h.n_flows; i++)
		if (!memcmp(&h.flows[i], fl, sizeof(*fl)))
			return (int)i;
	return -1;
}

static uint16_t f_flow(void *ctx, struct tw_ipc_flow *flow, uint16_t wanted)
{
	(void)ctx;
	FUZZ_ASSERT(h.n_flows < MAX_FLOWS);
	FUZZ_ASSERT(!flow->vlan && !flow->port_id);
	for (uint32_t k = 0; k <= (uint32_t)(h.port_hi - PORT_LO) + 1; k++) {
		uint16_t p = k == 0 ? wanted : (uint16_t)(PORT_LO + k - 1);
		if (p < PORT_LO || p > h.port_hi)
			continue;
		flow->local_port = p;
		if (flow_find(flow) < 0) {
			h.flows[h.n_flows++] = *flow;
			return p;
		}
	}
	return 0;
}

static bool f_third_party(void *ctx, const struct ctl_peer *p)
{
	(void)ctx;
	(void)p;
	return h.third_party;
}

static bool f_take(void *ctx, const struct ctl_peer *p)
{
	(void)ctx;
	(void)p;
	if (h.client_sessions >= h.client_max)
		return false;
	h.client_sessions++;
	return true;
}

static void f_give(void *ctx, const struct ctl_peer *p)
{
	(void)ctx;
	(void)p;
	FUZZ_ASSERT(h.client_sessions > 0); /* never given back twice */
	h.client_sessions--;
}

static uint32_t f_sid(void *ctx)
{
	(void)ctx;
	uint32_t id = ++h.next_sess;
	if (id <= MAX_IDS)
		h.id_state[id] = 1;
	return id;
}

static void check_reflector_add(const struct tw_ipc_reflector_add *ra)
{
	uint32_t base = ctl_srv_mode(h.s) & TW_CTL_MODE_BASE_MASK;
	bool keyed = base == TW_CTL_MODE_AUTH || base == TW_CTL_MODE_ENCRYPTED;

	FUZZ_ASSERT(ra->session != 0 && ra->session == h.next_sess);
	FUZZ_ASSERT(ra->proto == TW_IPC_PROTO_TWAMP);
	FUZZ_ASSERT(ra->sec == base);
	FUZZ_ASSERT(ra->pad.padding_len <= 65527u);
	FUZZ_ASSERT(ra->keys.hmac_len == (keyed ? TW_CRYPTO_HMAC_KEY_LEN : 0));
	FUZZ_ASSERT(ra->dscp <= 63);
	FUZZ_ASSERT(ra->flow.local_port >= PORT_LO && ra->flow.local_port <= h.port_hi);
	FUZZ_ASSERT(ra->flow.local.family == 4 || ra->flow.local.family == 6);
	FUZZ_ASSERT(ra->flow.peer.family == ra->flow.local.family);
	/* RFC 9533: micro-sessions only with a member link, and with packets
	 * that hold the IDs (what the fast path's tw_ipc_validate requires) */
	if (ra->flags & TW_IPC_SF_MICRO) {
		bool sym = (ra->flags & TW_IPC_SF_SYMMETRIC) != 0;
		enum tw_pkt_layout l = keyed ? (sym ? TW_PKT_TWAMP_SYM_AUTH : TW_PKT_TWAMP_AUTH)
		                             : (sym ? TW_PKT_TWAMP_SYM_OPEN : TW_PKT_TWAMP_OPEN);
		FUZZ_ASSERT(h.member_link && ra->pad.padding_len >= tw_pkt_micro_min_pad(l));
	}
	/* no session whose packets the fast path would get in fragments */
	if (h.mtu) {
		bool sym = (ra->flags & TW_IPC_SF_SYMMETRIC) != 0;
		enum tw_pkt_layout l = keyed ? (sym ? TW_PKT_TWAMP_SYM_AUTH : TW_PKT_TWAMP_AUTH)
		                             : (sym ? TW_PKT_TWAMP_SYM_OPEN : TW_PKT_TWAMP_OPEN);
		FUZZ_ASSERT(tw_pkt_reflect_len(l, ra->pad.padding_len, 0) + 8u +
		                (ra->flow.local.family == 4 ? 20u : 40u) <=
		            h.mtu);
	}
}

static uint16_t f_member_link(void *ctx)
{
	(void)ctx;
	return h.member_link;
}

static uint16_t f_test_mtu(void *ctx)
{
	(void)ctx;
	return h.mtu;
}

static uint32_t f_send(void *ctx, struct ctl_srv *s, uint16_t type, const void *payload,
                       uint32_t len)
{
	(void)ctx;
	FUZZ_ASSERT(s == h.s);
	if (type == TW_IPC_REFLECTOR_ADD) {
		FUZZ_ASSERT(len == sizeof(struct tw_ipc_reflector_add));
		struct tw_ipc_reflector_add ra;
		memcpy(&ra, payload, sizeof(ra));
		check_reflector_add(&ra);
	} else {
		FUZZ_ASSERT(type == TW_IPC_REFLECTOR_START || type == TW_IPC_REFLECTOR_STOP);
		FUZZ_ASSERT(len == sizeof(struct tw_ipc_session_ctl));
	}
	if (!h.attached || h.n_infl == MAX_INFLIGHT)
		return 0;
	uint32_t req = ++h.next_req;
	if (type != TW_IPC_REFLECTOR_STOP) /* STOP is fire and forget */
		h.infl[h.n_infl++] = (struct inflight){req, type};
	return req;
}

static void retire_done(unsigned i)
{
	int k = flow_find(&h.retire[i]);
	FUZZ_ASSERT(k >= 0); /* the flow the session reserved */
	h.flows[k] = h.flows[--h.n_flows];
	f_give(NULL, NULL);
	h.retire[i] = h.retire[--h.n_retire];
}

static void f_retire(void *ctx, uint32_t session, const struct tw_ipc_flow *flow,
                     const struct ctl_peer *client, uint64_t at_ms)
{
	(void)ctx;
	(void)client;
	(void)at_ms;
	FUZZ_ASSERT(session != 0 && session <= h.next_sess);
	if (session <= MAX_IDS) {
		FUZZ_ASSERT(h.id_state[session] == 1); /* retired exactly once */
		h.id_state[session] = 2;
	}
	FUZZ_ASSERT(h.n_retire < MAX_RETIRE);
	h.retire[h.n_retire++] = *flow;
	if (!h.defer_retire)
		retire_done(h.n_retire - 1);
}

/* Deterministic "random" octets (reproducible crashes); the k-th call fails
 * when the input asks for it, to reach the RANDOM_FAILED paths. */
static enum tw_err f_random(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	if (++h.rnd_calls == h.rnd_fail)
		return TW_E_CRYPTO;
	uint8_t *b = buf;
	for (size_t i = 0; i < len; i++) {
		h.rnd_state = h.rnd_state * 6364136223846793005ull + 1442695040888963407ull;
		b[i] = (uint8_t)(h.rnd_state >> 56);
	}
	return TW_OK;
}

/* The client's own random octets: apart from the server's count. */
static void client_random(uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h.cli_rnd = h.cli_rnd * 6364136223846793005ull + 1442695040888963407ull;
		b[i] = (uint8_t)(h.cli_rnd >> 56);
	}
}

static const struct ctl_srv_ops ops = {.key_lookup = f_key,
                                       .flow_reserve = f_flow,
                                       .third_party_ok = f_third_party,
                                       .client_take = f_take,
                                       .client_give = f_give,
                                       .session_id = f_sid,
                                       .fp_send = f_send,
                                       .sess_retire = f_retire,
                                       .member_link = f_member_link,
                                       .test_mtu = f_test_mtu,
                                       .random = f_random};

/* ---- the client's view of the server's output ------------------------------- */

/* A whole message after Server-Start: open it (modes 2/4/8) and check it. */
static void check_reply(uint8_t *m, size_t len)
{
	if (h.n_msgs == 2) {
		/* Server-Start of a set-up that the input completed itself
		 * (stalled or raw Set-Up-Response): the client holds no keys. */
		struct tw_ctl_server_start ss;
		FUZZ_ASSERT(len == TW_CTL_SERVER_START_LEN);
		FUZZ_ASSERT(tw_ctl_server_start_decode(m, len, &ss) == TW_OK);
		h.blind = ss.accept == TW_CTL_ACCEPT_OK &&
		          (ctl_srv_mode(h.s) & TW_CTL_MODE_BASE_MASK) != TW_CTL_MODE_OPEN;
		return;
	}
	FUZZ_ASSERT(len >= 32 && len % 16 == 0 && len <= TW_CTL_N_MAX_LEN);
	if (h.blind)
		return; /* sizes only */
	if (h.cc)
		FUZZ_ASSERT(tw_ctl_crypto_open(h.cc, m, len) == TW_OK);
	if (m[0] == TW_CTL_CMD_START_N_ACK || m[0] == TW_CTL_CMD_STOP_N_ACK) {
		struct tw_ctl_n_sessions n;
		FUZZ_ASSERT(ctl_srv_mode(h.s) & TW_CTL_MODE_INDIV_SESSIONS);
		FUZZ_ASSERT(tw_ctl_n_sessions_decode(m, len, m[0], &n) == TW_OK);
	} else if (len == TW_CTL_ACCEPT_SESSION_LEN) {
		struct tw_ctl_accept_session a;
		FUZZ_ASSERT(tw_ctl_accept_session_decode(m, len, &a) == TW_OK);
		FUZZ_ASSERT(a.accept <= TW_CTL_ACCEPT_MAX);
		if (a.accept == TW_CTL_ACCEPT_OK) {
			FUZZ_ASSERT(a.port >= PORT_LO && a.port <= h.port_hi);
			if (h.n_sids < MAX_SIDS)
				memcpy(h.sids[h.n_sids++], a.sid, TW_CTL_SID_LEN);
		} else {
			FUZZ_ASSERT(a.port == 0);
		}
	} else {
		struct tw_ctl_start_ack a;
		FUZZ_ASSERT(len == TW_CTL_START_ACK_LEN);
		FUZZ_ASSERT(tw_ctl_start_ack_decode(m, len, &a) == TW_OK);
	}
}

/* Read up to `limit` octets of output, one message at a time. */
static void drain(size_t limit)
{
	const uint8_t *p;
	size_t n;

	while (h.s && limit && ctl_srv_out(h.s, &p, &n)) {
		FUZZ_ASSERT(n > 0);
		if (!h.msg) {
			h.msg = fz_dup(p, n); /* the whole message: nothing of it read yet */
			h.msg_len = n;
			h.msg_got = 0;
		}
		FUZZ_ASSERT(h.msg_got + n == h.msg_len);
		size_t k = n < limit ? n : limit;
		FUZZ_ASSERT(!memcmp(h.msg + h.msg_got, p, k));
		ctl_srv_out_done(h.s, k);
		h.msg_got += k;
		limit -= k;
		if (h.msg_got < h.msg_len)
			continue;
		h.n_msgs++;
		check_reply(h.msg, h.msg_len);
		free(h.msg);
		h.msg = NULL;
	}
}

/* ---- set-up ------------------------------------------------------------------ */

static void peer_make(struct ctl_peer *p, bool v6)
{
	memset(p, 0, sizeof(*p));
	if (v6) {
		struct sockaddr_in6 *l = (struct sockaddr_in6 *)&p->local,
		                    *r = (struct sockaddr_in6 *)&p->remote;
		l->sin6_family = r->sin6_family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8::1", &l->sin6_addr);
		inet_pton(AF_INET6, "2001:db8::2", &r->sin6_addr);
		l->sin6_port = htons(862);
		r->sin6_port = htons(40000);
	} else {
		struct sockaddr_in *l = (struct sockaddr_in *)&p->local,
		                   *r = (struct sockaddr_in *)&p->remote;
		l->sin_family = r->sin_family = AF_INET;
		inet_pton(AF_INET, "127.0.0.1", &l->sin_addr);
		inet_pton(AF_INET, "127.0.0.2", &r->sin_addr);
		l->sin_port = htons(862);
		r->sin_port = htons(40000);
	}
}

/* Take the one whole message the server must have queued, of length len. */
static bool take(uint8_t *buf, size_t len)
{
	const uint8_t *p;
	size_t n;

	if (!ctl_srv_out(h.s, &p, &n))
		return false;
	FUZZ_ASSERT(n == len);
	memcpy(buf, p, n);
	ctl_srv_out_done(h.s, n);
	FUZZ_ASSERT(!ctl_srv_out(h.s, &p, &n)); /* one message at a time here */
	return true;
}

static void setup(struct fz *f, uint32_t offered, uint32_t mode, uint8_t flags)
{
	uint8_t g_buf[TW_CTL_GREETING_LEN], buf[TW_CTL_SETUP_RESPONSE_LEN];
	uint8_t ssb[TW_CTL_SERVER_START_LEN];
	struct tw_ctl_greeting g;
	struct tw_ctl_setup_response r = {.mode = mode};
	uint8_t aes[TW_CRYPTO_AES_KEY_LEN], hmac[TW_CRYPTO_HMAC_KEY_LEN];

	if (!take(g_buf, sizeof(g_buf))) {
		/* no greeting: only when the random numbers failed */
		FUZZ_ASSERT(h.cnt.c[CTL_CNT_RANDOM_FAILED] == 1);
		FUZZ_ASSERT(ctl_srv_state(h.s) == CTL_SRV_CLOSED);
		return;
	}
	h.n_msgs++;
	FUZZ_ASSERT(tw_ctl_greeting_decode(g_buf, sizeof(g_buf), &g) == TW_OK);
	FUZZ_ASSERT(g.modes == offered && g.count == h.env.pbkdf2_count);
	if (!offered) {
		FUZZ_ASSERT(ctl_srv_state(h.s) == CTL_SRV_CLOSED);
		return;
	}
	if (flags & 1) {
		fz_bytes(f, buf, sizeof(buf)); /* a raw, probably invalid, response */
	} else {
		/* What a real client does (RFC 4656 §3.1): keys, token, IV. */
		client_random(aes, sizeof(aes));
		client_random(hmac, sizeof(hmac));
		client_random(r.client_iv, sizeof(r.client_iv));
		if ((mode & TW_CTL_MODE_BASE_MASK) != TW_CTL_MODE_OPEN) {
			uint8_t kek[TW_CRYPTO_KEK_LEN];
			const char *sec = (flags & 4) ? "wrong" : secret_alice;
			memcpy(r.key_id, (flags & 2) ? "mallory" : "alice", (flags & 2) ? 7 : 5);
			FUZZ_ASSERT(tw_kek_derive(sec, strlen(sec), g.salt, g.count, kek) == TW_OK);
			FUZZ_ASSERT(tw_token_encrypt(kek, g.challenge, aes, hmac, r.token) ==
			            TW_OK);
		}
		if (tw_ctl_setup_response_encode(&r, buf, sizeof(buf), NULL) != TW_OK) {
			/* an invalid mode: encode refuses it, the wire carries it */
			struct tw_ctl_setup_response ok = r;
			ok.mode = TW_CTL_MODE_OPEN;
			FUZZ_ASSERT(tw_ctl_setup_response_encode(&ok, buf, sizeof(buf), NULL) ==
			            TW_OK);
			buf[0] = (uint8_t)(mode >> 24);
			buf[1] = (uint8_t)(mode >> 16);
			buf[2] = (uint8_t)(mode >> 8);
			buf[3] = (uint8_t)mode;
		}
	}
	/* In two pieces: the server must reassemble.  Split 155 stalls: the
	 * rest is up to the operations (set-up deadline, early EOF). */
	size_t split = (size_t)(flags >> 3) * 5;
	ctl_srv_input(h.s, buf, split, h.now);
	FUZZ_ASSERT(ctl_srv_state(h.s) == CTL_SRV_GREETING);
	if (split == 155)
		return;
	ctl_srv_input(h.s, buf + split, sizeof(buf) - split, h.now);
	FUZZ_ASSERT(ctl_srv_state(h.s) != CTL_SRV_GREETING);
	if (!take(ssb, sizeof(ssb))) {
		/* Mode 0 (the client gives up) or no random IV: closed silently. */
		FUZZ_ASSERT(ctl_srv_state(h.s) == CTL_SRV_CLOSED);
		return;
	}
	h.n_msgs++;
	struct tw_ctl_server_start ss;
	FUZZ_ASSERT(tw_ctl_server_start_decode(ssb, sizeof(ssb), &ss) == TW_OK);
	if (ss.accept != TW_CTL_ACCEPT_OK) {
		static const uint8_t z[16];
		FUZZ_ASSERT(ctl_srv_state(h.s) == CTL_SRV_CLOSED);
		FUZZ_ASSERT(!memcmp(ssb + 32, z, 16)); /* in clear, zero (§2.4) */
		return;
	}
	FUZZ_ASSERT(ctl_srv_state(h.s) == CTL_SRV_READY);
	uint32_t got = ctl_srv_mode(h.s);
	FUZZ_ASSERT(tw_ctl_mode_select(got, offered) == TW_OK);
	if (!(flags & 1))
		FUZZ_ASSERT(got == mode);
	if ((got & TW_CTL_MODE_BASE_MASK) != TW_CTL_MODE_OPEN) {
		/* Only the raw path can get here without the token we made, and
		 * then the keys are unknown: such input reaches no further. */
		FUZZ_ASSERT(!(flags & 6) || (flags & 1));
		if (flags & 1)
			return;
		h.cc =
		    tw_ctl_crypto_new(TW_CTL_CRYPTO_CLIENT, aes, hmac, r.client_iv, ss.server_iv);
		FUZZ_ASSERT(h.cc);
		FUZZ_ASSERT(tw_ctl_crypto_server_start_open(h.cc, ssb, sizeof(ssb)) == TW_OK);
		FUZZ_ASSERT(ssb[32] == (uint8_t)(h.env.start_time_ntp >> 56));
	}
}

/* ---- operations -------------------------------------------------------------- */

/* Feed a client message, sealed when the mode encrypts control and the
 * length is one a seal can take; `split` cuts it in two reads. */
static void feed(uint8_t *m, size_t len, size_t split, bool seal)
{
	if (seal && h.cc && len >= 32 && len % 16 == 0)
		FUZZ_ASSERT(tw_ctl_crypto_seal(h.cc, m, len) == TW_OK);
	if (split & 0x8000) { /* a bit flipped on the way: HMAC mismatch */
		split &= 0x7fff;
		if (len)
			m[len - 1] ^= 1;
	}
	if (split > len)
		split = len;
	size_t room = ctl_srv_in_space(h.s);
	ctl_srv_input(h.s, m, split < room ? split : room, h.now);
	room = ctl_srv_in_space(h.s);
	ctl_srv_input(h.s, m + split, len - split < room ? len - split : room, h.now);
}

static void op_ncmd(struct fz *f)
{
	uint8_t kind = fz_u8(f);
	uint32_t n = fz_u16(f) & 0x1fff;
	uint8_t cmd = (kind & 1) ? TW_CTL_CMD_START_N_SESSIONS : TW_CTL_CMD_STOP_N_SESSIONS;

	if (n > TW_CTL_N_MAX) {
		/* N beyond RFC 5938's bound: the server must close on the header. */
		uint8_t m[TW_CTL_N_BASE_LEN] = {cmd};
		m[12] = (uint8_t)(n >> 24);
		m[13] = (uint8_t)(n >> 16);
		m[14] = (uint8_t)(n >> 8);
		m[15] = (uint8_t)n;
		feed(m, sizeof(m), kind >> 1, true);
		return;
	}
	uint8_t(*sids)[TW_CTL_SID_LEN] = malloc((n ? n : 1) * TW_CTL_SID_LEN);
	FUZZ_ASSERT(sids);
	for (uint32_t i = 0; i < n; i++) {
		unsigned k = fz_u8(f) % (h.n_sids + 1);
		if (k < h.n_sids)
			memcpy(sids[i], h.sids[k], TW_CTL_SID_LEN);
		else
			memset(sids[i], (int)i, TW_CTL_SID_LEN); /* a SID nobody gave out */
	}
	struct tw_ctl_n_sessions m = {.command = cmd, .num_sessions = n, .sids = sids};
	size_t len = TW_CTL_N_LEN(n);
	uint8_t *buf = malloc(len);
	FUZZ_ASSERT(buf);
	FUZZ_ASSERT(tw_ctl_n_sessions_encode(&m, buf, len, NULL) == TW_OK);
	feed(buf, len, (size_t)(kind >> 1) * 16, true);
	free(buf);
	free(sids);
}

static void op_event(struct fz *f)
{
	unsigned n = ctl_srv_n_sessions(h.s);
	uint8_t idx = fz_u8(f), ev = fz_u8(f);
	struct tw_ipc_session_event e = {
	    .event = (uint16_t)(ev % 8), .rx_pkts = idx, .tx_pkts = ev};

	e.session = n ? ctl_srv_session(h.s, idx % n)->id : idx;
	if (e.event == TW_IPC_EV_ERROR)
		e.err = TW_E_FULL;
	ctl_srv_fp_event(h.s, &e, h.now);
}

static void check_state(enum ctl_srv_state before)
{
	enum ctl_srv_state st = ctl_srv_state(h.s);

	FUZZ_ASSERT(st <= CTL_SRV_CLOSED);
	if (before != CTL_SRV_GREETING)
		FUZZ_ASSERT(st != CTL_SRV_GREETING);
	if (before == CTL_SRV_CLOSED)
		FUZZ_ASSERT(st == CTL_SRV_CLOSED);
	FUZZ_ASSERT(ctl_srv_unauthenticated(h.s) == (st == CTL_SRV_GREETING));
	if (st == CTL_SRV_CLOSED) {
		FUZZ_ASSERT(ctl_srv_in_space(h.s) == 0);
		FUZZ_ASSERT(ctl_srv_deadline(h.s) == UINT64_MAX);
	}
	if (h.done)
		FUZZ_ASSERT(ctl_srv_done(h.s)); /* a finished connection stays quiet */
	h.done = ctl_srv_done(h.s);
	unsigned n = ctl_srv_n_sessions(h.s);
	FUZZ_ASSERT(n <= (h.env.max_sessions ? h.env.max_sessions : 1));
	FUZZ_ASSERT(ctl_srv_session(h.s, n) == NULL);
	for (unsigned i = 0; i < n; i++) {
		const struct ctl_srv_sess *ss = ctl_srv_session(h.s, i);
		FUZZ_ASSERT(ss && ss->state <= CTL_SESS_ENDED);
		FUZZ_ASSERT(ss->id && (ss->id > MAX_IDS || h.id_state[ss->id] == 1));
	}
}

static void run_op(struct fz *f)
{
	uint8_t op = fz_u8(f);
	enum ctl_srv_state before = ctl_srv_state(h.s);

	switch ((op & 0x7f) % OP__COUNT) {
	case OP_CMD:
	case OP_RAW: {
		size_t len = fz_u16(f) % 4096;
		size_t split = (op & 0x7f) % OP__COUNT == OP_CMD ? fz_u16(f) : len & 0x7fff;
		uint8_t *m = malloc(len ? len : 1);
		FUZZ_ASSERT(m);
		fz_bytes(f, m, len);
		feed(m, len, split, (op & 0x7f) % OP__COUNT == OP_CMD);
		free(m);
		break;
	}
	case OP_NCMD:
		op_ncmd(f);
		break;
	case OP_REPLY: {
		uint8_t idx = fz_u8(f), err = fz_u8(f);
		if (!h.n_infl)
			break;
		unsigned i = idx % h.n_infl;
		uint32_t req = h.infl[i].req;
		h.infl[i] = h.infl[--h.n_infl];
		ctl_srv_fp_reply(h.s, req, err ? (enum tw_err)(err % TW_E__COUNT) : TW_E_OK, h.now);
		break;
	}
	case OP_EVENT:
		op_event(f);
		break;
	case OP_TICK:
		h.now += (uint64_t)fz_u16(f) * 8;
		ctl_srv_tick(h.s, h.now);
		break;
	case OP_DEADLINE: {
		uint64_t d = ctl_srv_deadline(h.s);
		if (d != UINT64_MAX && d > h.now)
			h.now = d;
		ctl_srv_tick(h.s, h.now);
		break;
	}
	case OP_EOF:
		ctl_srv_eof(h.s, h.now);
		break;
	case OP_RETIRE: {
		uint8_t idx = fz_u8(f);
		if (h.n_retire)
			retire_done(idx % h.n_retire);
		break;
	}
	case OP_TOGGLE: {
		uint8_t w = fz_u8(f);
		if (w & 1)
			h.attached = !h.attached;
		if (w & 2)
			h.client_max = h.client_max ? 0 : 100;
		break;
	}
	case OP_DRAIN:
		drain(fz_u16(f));
		op |= 0x80; /* this operation is the partial read */
		break;
	case OP_STALE: {
		uint32_t req = fz_u32(f);
		uint8_t err = fz_u8(f);
		bool known = false;
		for (unsigned i = 0; i < h.n_infl; i++)
			known = known || h.infl[i].req == req; /* OP_REPLY's business */
		if (!known)
			ctl_srv_fp_reply(h.s, req, (enum tw_err)(err % TW_E__COUNT), h.now);
		break;
	}
	}
	if (!(op & 0x80))
		drain(SIZE_MAX);
	check_state(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};

	ctl_log_set_level(-1); /* silence: the counters say what happened */
	memset(&h, 0, sizeof(h));

	uint32_t offered = fz_u16(&f) & TW_CTL_MODE_KNOWN_MASK;
	uint32_t mode = fz_u16(&f);
	uint8_t setup_flags = fz_u8(&f), env_flags = fz_u8(&f);
	h.rnd_fail = fz_u8(&f);
	h.member_link = (h.rnd_fail & 0x80) ? 7 : 0;
	h.rnd_fail &= 0x7f;
	h.mtu = (setup_flags & 0x08) ? 1500 : 0;
	h.rnd_state = 0x7477696e686f70ull; /* fixed: every run is reproducible */
	h.cli_rnd = 0x636c69656e74ull;

	h.attached = !(env_flags & 1);
	h.client_max = (env_flags & 2) ? 1 : 100;
	h.third_party = (env_flags & 0x20) != 0;
	h.defer_retire = (env_flags & 0x40) != 0;
	h.port_hi = (env_flags & 0x80) ? PORT_LO + 1 : PORT_LO + 99;
	h.env = (struct ctl_srv_env){
	    .pbkdf2_count = 1, /* the set-up's cost is PBKDF2: keep it cheap */
	    .max_sessions = 1u << ((env_flags >> 2) & 3),
	    .servwait_ms = 60000,
	    .setup_ms = 10000,
	    .ended_ms = 30000,
	    .refwait_ms = 90000,
	    .fp_timeout_ms = 2000,
	    .start_time_ntp = 0xeeb34ec3eca4a05dull,
	    .cnt = &h.cnt,
	    .ops = &ops,
	};
	h.now = 1000;

	struct ctl_peer peer;
	peer_make(&peer, (env_flags & 0x10) != 0);
	h.s = ctl_srv_new(&h.env, &peer, offered, h.now);
	FUZZ_ASSERT(h.s);
	setup(&f, offered, mode, setup_flags);
	if (ctl_srv_state(h.s) != CTL_SRV_GREETING)
		check_state(CTL_SRV_READY);

	while (f.len && !h.done)
		run_op(&f);

	/* TW_FUZZ_SRV_TRACE=1: say where an input went (for writing seeds). */
	static int trace = -1;
	if (trace < 0)
		trace = getenv("TW_FUZZ_SRV_TRACE") != NULL;
	if (trace) {
		fprintf(stderr, "srv: state %s mode 0x%x, %u messages read:",
		        ctl_srv_state_name(ctl_srv_state(h.s)), ctl_srv_mode(h.s), h.n_msgs);
		for (unsigned i = 0; i < CTL_CNT__COUNT; i++)
			if (h.cnt.c[i])
				fprintf(stderr, " %s=%llu", ctl_cnt_name(i),
				        (unsigned long long)h.cnt.c[i]);
		fprintf(stderr, "\n");
	}

	/* Close as twinhopd does: every session handed to retirement. */
	ctl_srv_free(h.s, h.now);
	h.s = NULL;
	free(h.msg);
	tw_ctl_crypto_free(h.cc);
	while (h.n_retire)
		retire_done(h.n_retire - 1);
	for (uint32_t id = 1; id <= h.next_sess && id <= MAX_IDS; id++)
		FUZZ_ASSERT(h.id_state[id] == 2);
	FUZZ_ASSERT(h.client_sessions == 0);
	FUZZ_ASSERT(h.n_flows == 0);
	return 0;
}
