/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_client: the TWAMP-Control Control-Client (RFC 5357 §3 on RFC 4656 §3),
 * written sans-I/O.
 *
 * The owner of the TCP connection feeds whatever it received with
 * ctl_client_feed(), sends whatever ctl_client_tx() returns (and reports it
 * with ctl_client_tx_done()), and drives the protocol with the command calls
 * (request a session, start, stop).  No socket, clock or allocation happens
 * behind the caller's back except the handle and its buffers, so the same
 * code runs in the CLI (`twinhop measure`), in twinhopd's epoll loop (ctl_cc,
 * the RFC 8913 control-client sessions) and in unit tests against crafted
 * server bytes.
 *
 * Flow (wire reference §1, §3.9):
 *   GREETING -> (Set-Up-Response) -> SERVER_START -> READY
 *   READY --request--> ACCEPT -> READY        (one or more sessions)
 *   READY --start--> START_ACK -> RUNNING      (Start-Sessions or Start-N)
 *   RUNNING --stop--> READY                    (Stop-Sessions: no reply)
 *   RUNNING --stop_n--> STOP_N_ACK -> RUNNING/READY
 * Any failure moves to FAILED with a distinct enum ctl_client_err and a
 * message naming what went wrong; the caller then closes the connection.
 *
 * Timeouts are the driver's (it owns the clock): on expiry of its read
 * deadline it calls ctl_client_timeout(), which records which message was
 * being waited for.  Connection loss is reported with ctl_client_eof().
 */
#ifndef CTL_CLIENT_H
#define CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_ctl.h"
#include "tw_err.h"

/* Default cap on the greeting's PBKDF2 Count (wire reference §2.1). */
#define CTL_CLIENT_PBKDF2_MAX_DEFAULT 32768u
#define CTL_CLIENT_SECRET_MAX         1024u
#define CTL_CLIENT_SESSIONS_MAX       64u
#define CTL_CLIENT_ERRMSG_LEN         256u

enum ctl_client_state {
	CTL_CLIENT_GREETING,     /* waiting for the 64-octet Server Greeting */
	CTL_CLIENT_SERVER_START, /* Set-Up-Response sent, waiting for Server-Start */
	CTL_CLIENT_READY,        /* control connection up, no command outstanding */
	CTL_CLIENT_ACCEPT,       /* Request-TW-Session sent, waiting for Accept-Session */
	CTL_CLIENT_START_ACK,    /* Start-Sessions / Start-N sent, waiting for the ack */
	CTL_CLIENT_RUNNING,      /* sessions started: send test packets now */
	CTL_CLIENT_STOP_N_ACK,   /* Stop-N-Sessions sent, waiting for Stop-N-Ack */
	CTL_CLIENT_FAILED,       /* see ctl_client_error() */
};

#define CTL_CLIENT_ERR_LIST(X)                                                                     \
	X(NONE, "no error")                                                                        \
	X(CONFIG, "invalid client configuration")                                                  \
	X(STATE, "command not allowed in this state")                                              \
	X(SERVER_REFUSED, "server offers no mode (greeting Modes = 0)")                            \
	X(NO_COMMON_MODE, "no mode both allowed locally and offered by the server")                \
	X(NO_SECRET, "mode needs a KeyID and shared secret")                                       \
	X(PBKDF2_COUNT, "PBKDF2 iteration count above the configured cap")                         \
	X(AUTH_REJECTED, "server rejected the KeyID or shared secret")                             \
	X(SERVER_START, "server refused the control connection")                                   \
	X(SESSION_REJECTED, "server refused the test session")                                     \
	X(START_REJECTED, "server refused to start the sessions")                                  \
	X(STOP_REJECTED, "server refused to stop the sessions")                                    \
	X(HMAC, "control message from the server failed HMAC verification")                        \
	X(MALFORMED, "malformed or unexpected message from the server")                            \
	X(TIMEOUT, "timed out waiting for the server")                                             \
	X(CLOSED, "server closed the control connection")                                          \
	X(CRYPTO, "cryptographic library error")                                                   \
	X(CONNECT, "could not connect to the server")                                              \
	X(IO, "I/O error on the control connection")

enum ctl_client_err {
#define CTL_CLIENT_ERR_ENUM(n, s) CTL_CLIENT_E_##n,
	CTL_CLIENT_ERR_LIST(CTL_CLIENT_ERR_ENUM)
#undef CTL_CLIENT_ERR_ENUM
	    CTL_CLIENT_E__COUNT
};

struct ctl_client_cfg {
	uint32_t modes;    /* allowed base modes (TW_CTL_MODE_OPEN|AUTH|...); 0 = all */
	uint32_t features; /* wanted feature bits (INDIV_SESSIONS, REFLECT_OCTETS, SYMMETRICAL,
	                    * DSCP_ECN (RFC 7750), PTPV2 (RFC 8186)) */
	char key_id[TW_CTL_KEYID_LEN + 1];
	uint8_t secret[CTL_CLIENT_SECRET_MAX];
	size_t secret_len;
	uint32_t pbkdf2_max; /* 0 = CTL_CLIENT_PBKDF2_MAX_DEFAULT */
	/* Base modes in order of preference (RFC 8913 mode-preference-chain),
	 * 0-terminated, each within `modes`; all 0 = the strongest offered. */
	uint32_t prefer[4];
	/* Randomness for the session keys and Client-IV, in this order: AES
	 * Session-key (16), HMAC Session-key (32), Client-IV (16).  NULL =
	 * tw_crypto_random(); tests inject known values (wire reference §3.8). */
	int (*rand)(void *arg, void *buf, size_t len); /* 0 on success */
	void *rand_arg;
};

/* What the caller asks for in one Request-TW-Session (wire reference §2.7). */
struct ctl_client_req {
	uint8_t ipvn;                /* 4 or 6 */
	uint8_t sender_addr[16];     /* zeros: the control connection's address */
	uint8_t receiver_addr[16];   /* zeros: the server's control address */
	uint16_t sender_port;        /* our bound UDP port */
	uint16_t receiver_port;      /* wish; the server picks (Accept-Session.Port) */
	uint32_t padding;            /* Padding Length */
	uint8_t dscp;                /* Type-P DSCP form */
	uint64_t start_time;         /* NTP 32.32 */
	uint64_t timeout;            /* NTP 32.32 duration */
	uint16_t octets_to_reflect;  /* RFC 6038; sent only if negotiated */
	uint16_t padding_to_reflect; /* RFC 6038; sent only if negotiated */
	bool micro; /* RFC 9533 §4.1: send Request-TW-Micro-Sessions (command 11) */
};

/* One accepted session. */
struct ctl_client_sess {
	struct ctl_client_req req;
	uint8_t sid[TW_CTL_SID_LEN];
	uint16_t port; /* always send test packets here (§2.7) */
	uint16_t reflected_octets, server_octets;
	/* modes 2/4 only (§3.5) */
	uint8_t test_aes_key[16];
	uint8_t test_hmac_key[32];
	bool running; /* started and not stopped */
};

struct ctl_client;

/* NULL on allocation failure or if cfg is unusable (no allowed mode). */
struct ctl_client *ctl_client_new(const struct ctl_client_cfg *cfg);
/* Zeroises keys.  NULL is a no-op. */
void ctl_client_free(struct ctl_client *c);

/* Feed received octets (any split).  Returns the resulting state; on
 * CTL_CLIENT_FAILED see ctl_client_error(). */
enum ctl_client_state ctl_client_feed(struct ctl_client *c, const void *buf, size_t len);
/* Octets waiting to be sent; *len 0 when none. */
const uint8_t *ctl_client_tx(const struct ctl_client *c, size_t *len);
void ctl_client_tx_done(struct ctl_client *c, size_t n);

/* The connection ended (EOF or reset) / the driver's read deadline passed. */
void ctl_client_eof(struct ctl_client *c, bool reset);
void ctl_client_timeout(struct ctl_client *c);
/* The driver could not connect or hit an I/O error; records msg. */
void ctl_client_fail(struct ctl_client *c, enum ctl_client_err e, const char *msg);

/* Commands.  CTL_CLIENT_E_NONE when queued, else CTL_CLIENT_E_STATE (and the
 * FSM is unchanged) or CTL_CLIENT_E_CONFIG for a bad request. */
enum ctl_client_err ctl_client_request(struct ctl_client *c, const struct ctl_client_req *r);
/* Start-Sessions (RFC 5357 §3.7). */
enum ctl_client_err ctl_client_start(struct ctl_client *c);
/* Stop-Sessions with Number of Sessions = sessions accepted (§2.11); no reply,
 * back to READY; the session list is kept until the next request. */
enum ctl_client_err ctl_client_stop(struct ctl_client *c, uint8_t accept);
/* RFC 5938 Start-N / Stop-N-Sessions for sessions idx[0..n-1]; only when
 * Individual Session Control was negotiated. */
enum ctl_client_err ctl_client_start_n(struct ctl_client *c, const unsigned *idx, unsigned n);
enum ctl_client_err ctl_client_stop_n(struct ctl_client *c, const unsigned *idx, unsigned n);

/* Queries. */
enum ctl_client_state ctl_client_state(const struct ctl_client *c);
enum ctl_client_err ctl_client_error(const struct ctl_client *c);
/* Human-readable message for the failure (or ""); never NULL. */
const char *ctl_client_errmsg(const struct ctl_client *c);
/* Accept value that caused SESSION/START/STOP/SERVER_START/AUTH errors. */
uint8_t ctl_client_accept(const struct ctl_client *c);
uint32_t ctl_client_mode(const struct ctl_client *c);    /* chosen, incl. feature bits */
uint32_t ctl_client_offered(const struct ctl_client *c); /* greeting Modes */
uint64_t ctl_client_server_start_time(const struct ctl_client *c);
unsigned ctl_client_nsessions(const struct ctl_client *c);
const struct ctl_client_sess *ctl_client_session(const struct ctl_client *c, unsigned i);
/* The AES and HMAC Session-keys (for tests / embedding); NULL in mode 1. */
const uint8_t *ctl_client_aes_key(const struct ctl_client *c);
const uint8_t *ctl_client_hmac_key(const struct ctl_client *c);

const char *ctl_client_state_name(enum ctl_client_state s);
const char *ctl_client_err_name(enum ctl_client_err e);
const char *ctl_client_err_desc(enum ctl_client_err e);

/* Parse a mode list "open,auth,enc,mixed" (also "authenticated", "encrypted",
 * "unauthenticated", "all") into a mask; 0 on error. */
uint32_t ctl_client_parse_modes(const char *s);

/* Read a perfSONAR pass-phrase file ("identity<ws>hex-passphrase" per line,
 * '#' comments) and take the entry for key_id (the first entry when key_id is
 * empty, which is then filled in).  0 on success, else -1 with msg filled. */
int ctl_client_read_pfs(const char *path, char key_id[TW_CTL_KEYID_LEN + 1], uint8_t *secret,
                        size_t cap, size_t *secret_len, char *msg, size_t msgcap);

#endif
