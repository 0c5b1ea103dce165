/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_server: the TWAMP-Control Server side of one control connection
 * (RFC 5357 §3 on RFC 4656 §3; wire reference §2, §3), written sans-I/O.
 *
 * The caller feeds received octets with ctl_srv_input(), takes the messages
 * to send with ctl_srv_out()/ctl_srv_out_done() (one message per send(),
 * wire ref §8.1), drives time with ctl_srv_tick() and delivers fast-path
 * answers with ctl_srv_fp_reply()/ctl_srv_fp_event().  Everything the FSM
 * needs from the outside world (keys, ports, the IPC ring, per-client
 * accounting) goes through struct ctl_srv_ops, so the unit tests drive it
 * with crafted bytes and a fake fast path.
 *
 * States (one funnel, srv_set_state(), logs every transition but a refused
 * connection's, which the daemon logs at most once a second):
 *   GREETING  greeting queued, waiting for the 164-octet Set-Up-Response
 *   READY     Server-Start Accept=0 sent; commands accepted
 *   TESTING   Start-Ack 0 sent (or, with RFC 5938, some session started)
 *   CLOSED    nothing more is read; close once the output is flushed
 * A fast-path request in flight (REFLECTOR_ADD / REFLECTOR_START) blocks
 * command processing (input stays buffered) until its ACK, NACK or deadline.
 */
#ifndef CTL_SERVER_H
#define CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tw_ctl.h"
#include "tw_err.h"
#include "tw_ipc.h"

/*
 * Control-plane counters: every kind of bad input and every refusal, by name
 * (CONTRIBUTING "every malformed input increments a named counter").  Names
 * reuse enum tw_err names where one fits (REQ_IPVN, REQ_FIELD, REQ_TYPEP).
 * Shown by the admin command show-counters and documented in docs/control.md.
 */
#define CTL_CNT_LIST(X)                                                                            \
	X(CONN_ACCEPTED, "control connections accepted")                                           \
	X(CONN_REFUSED, "connections refused (limit or no allow rule): greeting with Modes 0")     \
	X(CONN_CLOSED, "control connections closed")                                               \
	X(SETUP_OK, "Set-Up-Response accepted: Server-Start Accept=0")                             \
	X(SETUP_MODE_ZERO, "Set-Up-Response Mode 0 (client declines): closed without reply")       \
	X(SETUP_MODE, "Mode not exactly one offered base mode + offered features: Accept=3")       \
	X(SETUP_KEYID, "unknown KeyID: Server-Start Accept=1")                                     \
	X(SETUP_CHALLENGE, "Token does not hold the challenge (wrong secret): Accept=1")           \
	X(SETUP_CRYPTO, "crypto library failure during set-up: Server-Start Accept=2")             \
	X(CMD_UNKNOWN, "command 0,1,4,6,8,10,12..255: one block read, Accept-Session Accept=3")    \
	X(CMD_NOT_NEGOTIATED, "Start-N/Stop-N without RFC 5938 negotiated: Accept-Session 3")      \
	X(STOP_NOT_RUNNING, "Stop-Sessions with no test running: Accept-Session Accept=3")         \
	X(START_NO_SESSIONS, "Start-Sessions with no accepted session: Start-Ack Accept=3")        \
	X(CMD_DURING_TEST, "command other than Stop-Sessions during a test: closed")               \
	X(HMAC, "control message HMAC mismatch: closed")                                           \
	X(N_LENGTH, "Start-N/Stop-N-Sessions N > 4096: closed")                                    \
	X(REQ_IPVN, "Request-TW-Session IPVN not 4 or 6: Accept=3")                                \
	X(REQ_FIELD,                                                                               \
	  "Request-TW-Session Conf-Sender/Receiver, Slots or Packets non-zero: Accept=3")          \
	X(REQ_TYPEP, "Request-TW-Session Type-P not the DSCP form: Accept=3")                      \
	X(REQ_PADDING, "Padding Length beyond the largest UDP datagram: Accept=3")                 \
	X(REQ_ADDR, "zero address but control connection of the other IP version: Accept=3")       \
	X(REQ_THIRD_PARTY,                                                                         \
	  "Sender Address neither zero nor the client's, no allow ... third-party: Accept=1")      \
	X(REQ_SESSION_LIMIT, "max-sessions-per-connection reached: Accept=4")                      \
	X(REQ_CLIENT_LIMIT, "max-sessions-per-client reached: Accept=5")                           \
	X(REQ_NO_PORT, "every test port already carries this flow: Accept=5")                      \
	X(FP_UNAVAILABLE, "fast path not attached or ring full: Accept=5 / Start-Ack 2")           \
	X(FP_NACK, "fast path NACKed: Accept=5 / Start-Ack 2")                                     \
	X(FP_TIMEOUT, "fast path did not answer in fp-timeout: Accept=5 / Start-Ack 2")            \
	X(N_BAD_SID, "Start-N/Stop-N: N 0, or an SID unknown or in the wrong state: Accept=3")     \
	X(SERVWAIT, "control connection idle for SERVWAIT: closed")                                \
	X(PEER_CLOSED_EARLY, "peer closed before Server-Start")                                    \
	X(SESSIONS_ACCEPTED, "Accept-Session Accept=0 sent")                                       \
	X(SESSIONS_STARTED, "reflector sessions started")                                          \
	X(SESSIONS_STOPPED, "reflector sessions stopped (Stop-Sessions, Stop-N, close)")           \
	X(SESSIONS_RETIRED, "sessions handed to deletion (stopped, closed or never accepted)")     \
	X(FP_DELETED,                                                                              \
	  "sessions deleted by the fast path (SESSION_DEL ACKed): flow and quota freed")           \
	X(FP_DELETED_UNKNOWN, "SESSION_DEL NACKed (the fast path had no such session): freed")     \
	X(FP_DELETED_GONE, "sessions freed because the fast path went away (or twinhopd stops)")   \
	X(FP_SESSION_ENDED, "sessions ended by the fast path (REFWAIT, error)")                    \
	X(FP_REPROGRAMMED, "sessions programmed again into a restarted fast path")                 \
	X(FP_REPROGRAM_FAILED, "sessions the restarted fast path refused (or ring full): ended")   \
	X(METRICS_OK, "metrics endpoint: GET/HEAD /metrics answered 200")                          \
	X(METRICS_BAD_REQUEST, "metrics endpoint: malformed or oversized HTTP request: 400")       \
	X(METRICS_NOT_FOUND, "metrics endpoint: path other than /metrics: 404")                    \
	X(METRICS_BAD_METHOD, "metrics endpoint: method other than GET/HEAD: 405")                 \
	X(METRICS_TIMEOUT, "metrics endpoint: no complete request in time: closed")                \
	X(METRICS_REFUSED, "metrics endpoint: too many clients (or from one address): closed")     \
	X(ADMIN_REFUSED, "admin socket: 33rd client of a socket, or 9th of a uid (read-only)")     \
	X(ADMIN_IDLE, "read-only admin client: no request, no subscription in admin-idle-timeout") \
	X(STATS_FAILED, "STATS_REQUEST poll not sent, NACKed or unanswered")                       \
	X(RELOAD_OK, "SIGHUP: configuration reloaded")                                             \
	X(RELOAD_FAILED, "SIGHUP: new configuration rejected, the running one kept")               \
	X(CONN_PER_ADDRESS, "max-connections-per-address reached: greeting with Modes 0")          \
	X(CONN_EVICTED, "table full: oldest unauthenticated connection closed for a new one")      \
	X(CONN_ACCEPT_FAILED, "accept() failed (out of descriptors or memory): retried later")     \
	X(SETUP_TIMEOUT, "no Set-Up-Response within setup-timeout: closed")                        \
	X(ENDED_TIMEOUT, "every session ended, no command for ended-timeout: closed")              \
	X(RANDOM_FAILED, "random-number generator failed: that connection closed")                 \
	X(CC_CONNECT_FAILED, "control-client: TCP connect to the server failed or timed out")      \
	X(CC_REFUSED, "control-client: server refused the connection, mode or KeyID")              \
	X(CC_SESSION_REFUSED, "control-client: server refused a test session or the start")        \
	X(CC_TIMEOUT, "control-client: no answer from the server in 30 s")                         \
	X(CC_LOST, "control-client: connection closed, reset or malformed message")                \
	X(CC_FP_FAILED, "control-client: the fast path refused a sender or is not attached")       \
	X(CC_STARTED, "control-client: sessions started and every sender programmed")              \
	X(CC_STOPPED, "control-client: Stop-Sessions sent (deleted, or every sender ended)")       \
	X(REQ_MICRO, "Request-TW-Micro-Sessions (RFC 9533) read: 112 octets, one SID per LAG")     \
	X(REQ_MICRO_UNSUPPORTED,                                                                   \
	  "Request-TW-Micro-Sessions but the fast path has no --member-link-id: Accept=3")         \
	X(REQ_MICRO_PADDING,                                                                       \
	  "Request-TW-Micro-Sessions whose packets cannot hold the IDs (padding): Accept=3")       \
	X(REQ_DSCP_ECN_REFLECT,                                                                    \
	  "RFC 6038 padding reflection with RFC 7750 in open/mixed mode (octet 41): Accept=3")     \
	X(REQ_PADDING_MTU,                                                                         \
	  "Padding Length makes a test packet longer than the fast path's IP MTU: Accept=3")       \
	X(CONN_NOT_ALLOWED, "no allow rule offers a mode to this address: greeting with Modes 0")  \
	X(CONN_FULL, "max-connections open, none evictable: greeting with Modes 0")                \
	X(ADMIN_BAD_LINE, "admin socket: line not a flat JSON object or over 4096 octets")         \
	X(REQ_SERVER_LIMIT, "max-sessions held daemon-wide (lingering ones too): Accept=5")        \
	X(CONN_IDLE_EVICTED,                                                                       \
	  "table full, all authenticated: longest-idle open one without sessions closed")          \
	X(METRICS_PER_ADDRESS, "metrics endpoint: 5th client of one address: closed at once")      \
	X(METRICS_EVICTED, "metrics endpoint: full: oldest client without a request closed")

enum ctl_cnt {
#define CTL_CNT_ENUM(n, d) CTL_CNT_##n,
	CTL_CNT_LIST(CTL_CNT_ENUM)
#undef CTL_CNT_ENUM
	    CTL_CNT__COUNT
};

struct ctl_counters {
	uint64_t c[CTL_CNT__COUNT];
};

const char *ctl_cnt_name(unsigned i);
const char *ctl_cnt_descr(unsigned i);

/* Addresses of the control connection (IPv4-mapped IPv6 is unmapped). */
struct ctl_peer {
	struct sockaddr_storage local;
	struct sockaddr_storage remote;
};

struct ctl_srv;

struct ctl_srv_ops {
	/* KeyID (80 octets, NUL padded) -> shared secret; false if unknown. */
	bool (*key_lookup)(void *ctx, const uint8_t key_id[TW_CTL_KEYID_LEN],
	                   const uint8_t **secret, size_t *secret_len);
	/* Reserve a flow (ctl_flows.h): sets flow->local_port to `wanted` if
	 * inside test-ports and that flow is free, else to another port of the
	 * range; returns it, or 0 if every port already carries this flow. */
	uint16_t (*flow_reserve)(void *ctx, struct tw_ipc_flow *flow, uint16_t wanted);
	/* May this client name a Sender Address other than its own (allow
	 * ... third-party)?  NULL = never. */
	bool (*third_party_ok)(void *ctx, const struct ctl_peer *p);
	/* Does the daemon hold max-sessions sessions (every connection's,
	 * stopped and deferred-delete ones included)?  Then the request gets
	 * Accept=5 (REQ_SERVER_LIMIT).  NULL = no daemon-wide bound. */
	bool (*server_full)(void *ctx);
	/* Per-client-address session accounting (max-sessions-per-client). */
	bool (*client_take)(void *ctx, const struct ctl_peer *p);
	void (*client_give)(void *ctx, const struct ctl_peer *p);
	/* A new fast-path session id (never 0). */
	uint32_t (*session_id)(void *ctx);
	/* Enqueue a command on the IPC ring on behalf of s; returns its request
	 * id (!= 0) or 0 when the fast path is not attached or the ring is full. */
	uint32_t (*fp_send)(void *ctx, struct ctl_srv *s, uint16_t type, const void *payload,
	                    uint32_t len);
	/* SESSION_DEL `session` at monotonic time at_ms (0 = now); once the
	 * fast path has deleted it (or is gone), release `flow` and one session
	 * of `client`'s quota (client_give).  Outlives the connection (drain
	 * after Stop-Sessions, §2.14): the quota counts sessions until then. */
	void (*sess_retire)(void *ctx, uint32_t session, const struct tw_ipc_flow *flow,
	                    const struct ctl_peer *client, uint64_t at_ms);
	/* RFC 9533: member-link ID of the fast path's port (1..65535), 0 when
	 * it has none; NULL = none.  Without one, Request-TW-Micro-Sessions is
	 * refused with Accept=3 (REQ_MICRO_UNSUPPORTED). */
	uint16_t (*member_link)(void *ctx);
	/* Octets of the largest IP packet (header included) the fast path
	 * sends and receives whole, 0 = unknown; NULL = no limit.  It never
	 * reassembles, so a session whose sender or reflector packet would
	 * be longer is refused with Accept=3 (REQ_PADDING_MTU). */
	uint16_t (*test_mtu)(void *ctx);
	/* Random octets (challenge, salt, IV, SID); NULL = tw_crypto_random.
	 * Tests inject a failing one: a failure closes that connection. */
	enum tw_err (*random)(void *ctx, void *buf, size_t len);
};

struct ctl_srv_env {
	uint32_t pbkdf2_count;    /* greeting Count (§2.1) */
	uint32_t max_sessions;    /* per connection */
	uint64_t servwait_ms;     /* §2.14; 0 = never */
	uint64_t setup_ms;        /* pre-authentication deadline; 0 = SERVWAIT only */
	uint64_t ended_ms;        /* after the last session ended (TESTING); 0 = never */
	uint64_t refwait_ms;      /* §2.14; also caps the Stop-Sessions Timeout */
	uint64_t fp_timeout_ms;   /* deadline for an ACK */
	uint64_t start_time_ntp;  /* Server-Start Start-Time: daemon start (§2.4) */
	struct ctl_counters *cnt; /* shared by all connections */
	const struct ctl_srv_ops *ops;
	void *ctx;
};

enum ctl_srv_state {
	CTL_SRV_GREETING,
	CTL_SRV_READY,
	CTL_SRV_TESTING,
	CTL_SRV_CLOSED,
};

enum ctl_sess_state {
	CTL_SESS_ADDING,   /* REFLECTOR_ADD sent, waiting for the ACK */
	CTL_SESS_ACCEPTED, /* Accept-Session 0 sent */
	CTL_SESS_STARTING, /* REFLECTOR_START sent */
	CTL_SESS_STARTED,
	CTL_SESS_ENDED, /* the fast path ended it (REFWAIT, error) */
};

/* One reflector session of a connection (read-only for callers). */
struct ctl_srv_sess {
	uint32_t id;   /* fast-path session id */
	uint32_t req;  /* request id in flight, 0 if none */
	uint32_t reprog_req; /* REFLECTOR_ADD re-sent to a restarted fast path, 0 if none */
	uint8_t state; /* enum ctl_sess_state */
	uint8_t pad0[3];
	uint64_t drain_ms;              /* min(Timeout, REFWAIT) */
	uint64_t rx_pkts, tx_pkts;      /* last values from a session event */
	struct tw_ipc_reflector_add ra; /* what the fast path was told */
};

/* New connection.  offered: modes for this client (0 = greeting with Modes 0,
 * then close, RFC 4656 §3.1).  The greeting is queued at once.  NULL on
 * allocation or crypto failure. */
struct ctl_srv *ctl_srv_new(const struct ctl_srv_env *env, const struct ctl_peer *peer,
                            uint32_t offered, uint64_t now_ms);
/* Releases every session through fp_del_at (connection closed, §2.14). */
void ctl_srv_free(struct ctl_srv *s, uint64_t now_ms);

/* Octets that ctl_srv_input() can take now (0: stop reading for a while). */
size_t ctl_srv_in_space(const struct ctl_srv *s);
/* Feed received octets (len <= ctl_srv_in_space()). */
void ctl_srv_input(struct ctl_srv *s, const uint8_t *buf, size_t len, uint64_t now_ms);
/* The peer closed its side (EOF). */
void ctl_srv_eof(struct ctl_srv *s, uint64_t now_ms);

/* The next message to send (remaining part of it); false if none. */
bool ctl_srv_out(const struct ctl_srv *s, const uint8_t **p, size_t *len);
/* n octets of that message were sent. */
void ctl_srv_out_done(struct ctl_srv *s, size_t n);

/* Timers: next deadline (monotonic ms, UINT64_MAX if none) and expiry. */
uint64_t ctl_srv_deadline(const struct ctl_srv *s);
void ctl_srv_tick(struct ctl_srv *s, uint64_t now_ms);

/* ACK (err TW_E_OK) or NACK of request id req. */
void ctl_srv_fp_reply(struct ctl_srv *s, uint32_t req, enum tw_err err, uint64_t now_ms);
/* A SESSION_EVENT for one of this connection's sessions (ignored otherwise). */
void ctl_srv_fp_event(struct ctl_srv *s, const struct tw_ipc_session_event *ev, uint64_t now_ms);
/* The fast path restarted and we attached to it again (issue 8 §6b): every
 * accepted or started session is sent its REFLECTOR_ADD again (started ones
 * with START_NOW), so a test in progress carries on after the restart.
 * Returns the number of sessions sent. */
unsigned ctl_srv_fp_reattached(struct ctl_srv *s, uint64_t now_ms);

enum ctl_srv_state ctl_srv_state(const struct ctl_srv *s);
/* Still waiting for a valid Set-Up-Response (may be evicted when full). */
bool ctl_srv_unauthenticated(const struct ctl_srv *s);
/* Open mode (no key), READY and holding no session: may be evicted for a
 * newcomer when the table is full of authenticated connections.  *since_ms:
 * its last Server-Start or known command (unknown ones do not count). */
bool ctl_srv_idle_open(const struct ctl_srv *s, uint64_t *since_ms);
/* Close now? (CLOSED and the output flushed.) */
bool ctl_srv_done(const struct ctl_srv *s);
uint32_t ctl_srv_mode(const struct ctl_srv *s); /* negotiated mode, 0 before Server-Start */
const struct ctl_peer *ctl_srv_peer(const struct ctl_srv *s);
unsigned ctl_srv_n_sessions(const struct ctl_srv *s);
const struct ctl_srv_sess *ctl_srv_session(const struct ctl_srv *s, unsigned i);
const char *ctl_srv_state_name(enum ctl_srv_state st);
const char *ctl_sess_state_name(enum ctl_sess_state st);

/* Address helpers shared with the daemon. */
uint8_t ctl_sa_ipvn(const struct sockaddr_storage *ss); /* 4, 6 or 0 */
void ctl_sa_bytes(const struct sockaddr_storage *ss, uint8_t out[16]);
uint16_t ctl_sa_port(const struct sockaddr_storage *ss);
/* Unmap ::ffff:a.b.c.d to AF_INET in place. */
void ctl_sa_unmap(struct sockaddr_storage *ss);

#endif
