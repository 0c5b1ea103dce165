/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_ctl: TWAMP-Control message codecs (RFC 5357 §3 on top of RFC 4656 §3,
 * plus RFC 5618 mixed mode, RFC 5938 Individual Session Control and RFC 6038
 * Reflect Octets / Symmetrical Size).  Wire reference: twamp-wire.md §2.
 *
 * Pure codecs: no I/O, no allocation, no crypto.  Every function works on
 * PLAINTEXT; in modes 2/4/8 the crypto layer decrypts before decoding and
 * computes/encrypts after encoding (wire ref §3.3, §3.4).  The HMAC block of
 * each message is carried verbatim in the struct's hmac[] field.
 *
 * Conventions shared by every codec here:
 *  - encode(msg, buf, cap, &outlen) validates msg first (so we never emit what
 *    our own decoder would reject), then writes exactly the message length
 *    with every MBZ/unused octet zeroed.  Nothing is written on error.
 *    outlen may be NULL.  cap too small -> TW_E_NOSPACE.
 *  - decode(buf, len, &msg) requires the exact message length: shorter ->
 *    TW_E_TRUNCATED, longer -> TW_E_LENGTH.  MBZ octets are ignored on
 *    receipt (RFC 4656 §3.1 / CONTRIBUTING).  On a semantic error (command,
 *    IPVN, conf fields, Type-P, Accept, mode) the struct is still filled with
 *    everything parsed, so a server can log it and answer (e.g. Accept=3).
 *    On a length error the struct is zeroed except fields read before the
 *    length was known (N messages: command, accept, num_sessions).
 *  - Timestamps and durations are raw NTP 32.32 uint64_t (tw_time converts).
 */
#ifndef TW_CTL_H
#define TW_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_err.h"

/* ---- Sizes (wire ref §2.0) ------------------------------------------------ */

#define TW_CTL_BLOCK_LEN     16 /* AES block; every message after Set-Up-Response */
#define TW_CTL_HMAC_LEN      16 /* HMAC-SHA1 truncated to 16 octets (§3.4) */
#define TW_CTL_SID_LEN       16
#define TW_CTL_KEYID_LEN     80
#define TW_CTL_TOKEN_LEN     64
#define TW_CTL_IV_LEN        16
#define TW_CTL_CHALLENGE_LEN 16
#define TW_CTL_SALT_LEN      16

#define TW_CTL_GREETING_LEN           64
#define TW_CTL_SETUP_RESPONSE_LEN     164
#define TW_CTL_SERVER_START_LEN       48
#define TW_CTL_REQUEST_TW_SESSION_LEN 112
#define TW_CTL_ACCEPT_SESSION_LEN     48
#define TW_CTL_START_SESSIONS_LEN     32
#define TW_CTL_START_ACK_LEN          32
#define TW_CTL_STOP_SESSIONS_LEN      32
/* RFC 5938 Start-N/Stop-N-Sessions and their acks: 32 + 16*N octets. */
#define TW_CTL_N_BASE_LEN 32
#define TW_CTL_N_LEN(n)   ((size_t)TW_CTL_N_BASE_LEN + (size_t)TW_CTL_SID_LEN * (size_t)(n))
/*
 * Largest N we accept.  RFC 5938 sets no limit, but N comes off the wire
 * before the HMAC is checked, so an unbounded N would let a peer make us wait
 * for (or buffer) up to 64 GiB.  4096 sessions (65 568 octets) is far beyond
 * any real appliance and keeps the whole message under 64 KiB + 1 block.
 */
#define TW_CTL_N_MAX     4096u
#define TW_CTL_N_MAX_LEN TW_CTL_N_LEN(TW_CTL_N_MAX)

/* ---- Modes (wire ref §2.2; RFC 4656 §3.1, RFC 5618, 5938, 6038, 7717,
 * 7750, 8186; IANA TWAMP-Modes registry) ------------------------------------ */

#define TW_CTL_MODE_OPEN           0x001u /* unauthenticated, RFC 4656 */
#define TW_CTL_MODE_AUTH           0x002u /* authenticated, RFC 4656 */
#define TW_CTL_MODE_ENCRYPTED      0x004u /* encrypted, RFC 4656 */
#define TW_CTL_MODE_MIXED          0x008u /* encrypted control, open test, RFC 5618 */
#define TW_CTL_MODE_INDIV_SESSIONS 0x010u /* Individual Session Control, RFC 5938 */
#define TW_CTL_MODE_REFLECT_OCTETS 0x020u /* Reflect Octets, RFC 6038 */
#define TW_CTL_MODE_SYMMETRICAL    0x040u /* Symmetrical Size, RFC 6038 */
#define TW_CTL_MODE_IKEV2          0x080u /* IKEv2-derived shared secret, RFC 7717 */
#define TW_CTL_MODE_DSCP_ECN       0x100u /* DSCP and ECN Monitoring, RFC 7750 */
#define TW_CTL_MODE_PTPV2          0x200u /* PTPv2 timestamps, RFC 8186 */
#define TW_CTL_MODE_BASE_MASK      0x00Fu /* exactly one of these is chosen */
#define TW_CTL_MODE_FEATURE_MASK   0x3F0u /* OR-ed into the chosen mode if offered */
#define TW_CTL_MODE_KNOWN_MASK     0x3FFu

/* ---- Command numbers (wire ref §2.5; RFC 4656 §3.4, RFC 5357 §3.4,
 * RFC 5938; IANA TWAMP-Control Command Numbers) ---------------------------- */

#define TW_CTL_CMD_RESERVED           0
#define TW_CTL_CMD_REQUEST_SESSION    1 /* OWAMP only: forbidden in TWAMP */
#define TW_CTL_CMD_START_SESSIONS     2
#define TW_CTL_CMD_STOP_SESSIONS      3
#define TW_CTL_CMD_FETCH_SESSION      4 /* OWAMP only: reserved in TWAMP */
#define TW_CTL_CMD_REQUEST_TW_SESSION 5
#define TW_CTL_CMD_EXPERIMENTATION    6
#define TW_CTL_CMD_START_N_SESSIONS   7  /* RFC 5938 */
#define TW_CTL_CMD_START_N_ACK        8  /* RFC 5938, server -> client */
#define TW_CTL_CMD_STOP_N_SESSIONS    9  /* RFC 5938 */
#define TW_CTL_CMD_STOP_N_ACK         10 /* RFC 5938, server -> client */
#define TW_CTL_CMD_REQUEST_TW_MICRO   11 /* RFC 9533 §4.1 Request-TW-Micro-Sessions */

/* ---- Accept values (wire ref §2.6; RFC 4656 §3.3) ------------------------ */

#define TW_CTL_ACCEPT_OK            0
#define TW_CTL_ACCEPT_FAILURE       1 /* reason unspecified */
#define TW_CTL_ACCEPT_INTERNAL      2
#define TW_CTL_ACCEPT_NOT_SUPPORTED 3 /* what a server answers to malformed requests */
#define TW_CTL_ACCEPT_PERM_LIMIT    4 /* permanent resource limitation */
#define TW_CTL_ACCEPT_TEMP_LIMIT    5 /* temporary resource limitation */
#define TW_CTL_ACCEPT_MAX           5

/* ---- Type-P descriptor (wire ref §2.8) ------------------------------------ */

/* Only the DSCP form (top two bits 00, DSCP in the low 6 bits of the first
 * octet, rest zero) is supported, as in twampd. */
#define TW_CTL_TYPEP_DSCP_MASK  0x3F000000u
#define TW_CTL_TYPEP_DSCP_SHIFT 24

/* ---- Messages -------------------------------------------------------------- */

/* IPv4 lives in addr[0..3]; addr[4..15] are zero after decoding. */
struct tw_ctl_addr {
	uint8_t ipvn; /* 4 or 6 */
	uint8_t addr[16];
};

/* Server Greeting, 64 octets, never encrypted (wire ref §2.1). */
struct tw_ctl_greeting {
	uint32_t modes; /* offered mode mask; 0 = server refuses */
	uint8_t challenge[TW_CTL_CHALLENGE_LEN];
	uint8_t salt[TW_CTL_SALT_LEN];
	uint32_t count; /* PBKDF2 iterations; policy checks are the client's */
};

/* Set-Up-Response, 164 octets; only the Token is encrypted (wire ref §2.3). */
struct tw_ctl_setup_response {
	uint32_t mode; /* one of 1/2/4/8, optionally OR-ed with offered feature bits */
	uint8_t key_id[TW_CTL_KEYID_LEN];
	uint8_t token[TW_CTL_TOKEN_LEN];
	uint8_t client_iv[TW_CTL_IV_LEN];
};

/* Server-Start, 48 octets (wire ref §2.4). */
struct tw_ctl_server_start {
	uint8_t accept;
	uint8_t server_iv[TW_CTL_IV_LEN];
	uint64_t start_time; /* NTP 32.32 */
};

/* Request-TW-Session, 112 octets (wire ref §2.7, RFC 5357 §3.5).  RFC 9533
 * §4.1 Request-TW-Micro-Sessions has the same layout with Command 11: one
 * SID for every micro-session of a LAG (lib/tw_pkt.h tw_pkt_micro_tab). */
struct tw_ctl_request_tw_session {
	bool micro;            /* Command 11 (RFC 9533 §4.1) instead of 5 */
	uint8_t conf_sender;   /* must be 0 in TWAMP */
	uint8_t conf_receiver; /* must be 0 in TWAMP */
	uint32_t num_slots;    /* must be 0 in TWAMP */
	uint32_t num_packets;  /* must be 0 in TWAMP */
	uint16_t sender_port;
	uint16_t receiver_port;
	/* Both carry the message's single IPVN; the encoder requires them equal.
	 * An all-zero address means "the control connection's address". */
	struct tw_ctl_addr sender_addr;
	struct tw_ctl_addr receiver_addr;
	uint8_t sid[TW_CTL_SID_LEN]; /* zeros from the client */
	uint32_t padding_length;
	uint64_t start_time; /* NTP 32.32 */
	uint64_t timeout;    /* NTP 32.32 duration */
	uint32_t type_p;
	/* RFC 6038 (octets 88..91; MBZ unless Reflect Octets was negotiated) */
	uint16_t octets_to_reflect;
	uint16_t padding_to_reflect;
	uint8_t hmac[TW_CTL_HMAC_LEN];
};

/* Accept-Session, 48 octets (wire ref §2.9). */
struct tw_ctl_accept_session {
	uint8_t accept;
	uint16_t port; /* reflector UDP port actually used */
	uint8_t sid[TW_CTL_SID_LEN];
	/* RFC 6038 (octets 20..23; MBZ unless Reflect Octets was negotiated) */
	uint16_t reflected_octets;
	uint16_t server_octets;
	uint8_t hmac[TW_CTL_HMAC_LEN];
};

/* Start-Sessions, 32 octets (wire ref §2.10, RFC 5357 §3.7). */
struct tw_ctl_start_sessions {
	uint8_t hmac[TW_CTL_HMAC_LEN];
};

/* Start-Ack, 32 octets (wire ref §2.10). */
struct tw_ctl_start_ack {
	uint8_t accept;
	uint8_t hmac[TW_CTL_HMAC_LEN];
};

/* Stop-Sessions, 32 octets in TWAMP: no session records (wire ref §2.11,
 * RFC 5357 §3.8). */
struct tw_ctl_stop_sessions {
	uint8_t accept; /* 0 normal end, else sessions ended abnormally */
	uint32_t num_sessions;
	uint8_t hmac[TW_CTL_HMAC_LEN];
};

/*
 * RFC 5938 Start-N-Sessions (7), Start-N-Ack (8), Stop-N-Sessions (9),
 * Stop-N-Ack (10): one layout, 32 + 16*N octets (wire ref §2.12).
 * sids points at num_sessions SIDs: for encoding, the caller's array; after
 * decoding, straight into the caller's input buffer (no copy, no allocation),
 * so it is valid only as long as that buffer is.
 */
struct tw_ctl_n_sessions {
	uint8_t command; /* 7, 8, 9 or 10 */
	uint8_t accept;  /* acks (8, 10) only; octet 1 is MBZ in 7 and 9 */
	uint32_t num_sessions;
	const uint8_t (*sids)[TW_CTL_SID_LEN];
	uint8_t hmac[TW_CTL_HMAC_LEN];
};

/* ---- Codecs ---------------------------------------------------------------- */

enum tw_err tw_ctl_greeting_encode(const struct tw_ctl_greeting *m, uint8_t *buf, size_t cap,
                                   size_t *outlen);
enum tw_err tw_ctl_greeting_decode(const uint8_t *buf, size_t len, struct tw_ctl_greeting *m);

/* TW_E_MODE if m->mode fails tw_ctl_mode_valid(). */
enum tw_err tw_ctl_setup_response_encode(const struct tw_ctl_setup_response *m, uint8_t *buf,
                                         size_t cap, size_t *outlen);
enum tw_err tw_ctl_setup_response_decode(const uint8_t *buf, size_t len,
                                         struct tw_ctl_setup_response *m);

/* TW_E_ACCEPT if accept > 5. */
enum tw_err tw_ctl_server_start_encode(const struct tw_ctl_server_start *m, uint8_t *buf,
                                       size_t cap, size_t *outlen);
enum tw_err tw_ctl_server_start_decode(const uint8_t *buf, size_t len,
                                       struct tw_ctl_server_start *m);

/*
 * Errors in this order: TW_E_COMMAND (octet 0 neither 5 nor 11; 11 sets
 * m->micro), TW_E_IPVN (not 4/6, or
 * sender/receiver ipvn differ when encoding), TW_E_FIELD (Conf-Sender,
 * Conf-Receiver, Slots or Packets non-zero), TW_E_TYPEP (bits outside
 * 0x3F000000).  The server answers all of them with Accept=3 (§2.7, §2.8).
 */
enum tw_err tw_ctl_request_tw_session_encode(const struct tw_ctl_request_tw_session *m,
                                             uint8_t *buf, size_t cap, size_t *outlen);
enum tw_err tw_ctl_request_tw_session_decode(const uint8_t *buf, size_t len,
                                             struct tw_ctl_request_tw_session *m);

enum tw_err tw_ctl_accept_session_encode(const struct tw_ctl_accept_session *m, uint8_t *buf,
                                         size_t cap, size_t *outlen);
enum tw_err tw_ctl_accept_session_decode(const uint8_t *buf, size_t len,
                                         struct tw_ctl_accept_session *m);

enum tw_err tw_ctl_start_sessions_encode(const struct tw_ctl_start_sessions *m, uint8_t *buf,
                                         size_t cap, size_t *outlen);
enum tw_err tw_ctl_start_sessions_decode(const uint8_t *buf, size_t len,
                                         struct tw_ctl_start_sessions *m);

enum tw_err tw_ctl_start_ack_encode(const struct tw_ctl_start_ack *m, uint8_t *buf, size_t cap,
                                    size_t *outlen);
enum tw_err tw_ctl_start_ack_decode(const uint8_t *buf, size_t len, struct tw_ctl_start_ack *m);

enum tw_err tw_ctl_stop_sessions_encode(const struct tw_ctl_stop_sessions *m, uint8_t *buf,
                                        size_t cap, size_t *outlen);
enum tw_err tw_ctl_stop_sessions_decode(const uint8_t *buf, size_t len,
                                        struct tw_ctl_stop_sessions *m);

/*
 * RFC 5938 N messages.  Encode: m->command must be 7..10 (else TW_E_COMMAND),
 * num_sessions <= TW_CTL_N_MAX (else TW_E_LENGTH), sids non-NULL when
 * num_sessions > 0 (else TW_E_ARG); accept is written only for acks.
 * Decode: expect is the command the caller wants (7..10, else TW_E_ARG).
 * Length rules, in order: len < 32 -> TW_E_TRUNCATED; N > TW_CTL_N_MAX ->
 * TW_E_LENGTH; len < 32+16N -> TW_E_TRUNCATED; len > 32+16N -> TW_E_NOT_BLOCK
 * if len is not a whole number of blocks, else TW_E_LENGTH.  Then
 * TW_E_COMMAND if octet 0 != expect, TW_E_ACCEPT for an ack with Accept > 5.
 * m->sids is set only when the length checks pass (else NULL, with
 * num_sessions still showing the N that was read).  N == 0 is accepted by
 * the codec; whether it means anything is policy.
 */
enum tw_err tw_ctl_n_sessions_encode(const struct tw_ctl_n_sessions *m, uint8_t *buf, size_t cap,
                                     size_t *outlen);
enum tw_err tw_ctl_n_sessions_decode(const uint8_t *buf, size_t len, uint8_t expect,
                                     struct tw_ctl_n_sessions *m);

/* ---- Dispatch (wire ref §2.0, §2.13) ---------------------------------------- */

/*
 * Server side: given (at least) the first decrypted 16-octet block of a client
 * command, report the command number and the total message length, so the
 * server reads exactly the rest of the message and keeps the CBC stream in
 * step.  Request-TW-Session and RFC 9533 Request-TW-Micro-Sessions (11) ->
 * 112, Start/Stop-Sessions -> 32, Start-N/Stop-N
 * -> 32+16N with N from octets 12..15 (N > TW_CTL_N_MAX -> TW_E_LENGTH, *len
 * 0).  Any other number (0, 1, 4, 6, 8, 10, 12..255) -> TW_E_COMMAND with
 * *len = 16: like twampd (§2.13) the server consumes that one block and
 * answers Accept-Session with Accept=3.  len < 16 -> TW_E_TRUNCATED.
 */
enum tw_err tw_ctl_cmd_peek(const uint8_t *block, size_t len, uint8_t *cmd, size_t *msglen);

/*
 * Client side: length of the server's reply to a command we sent, given
 * (at least) the first decrypted 16-octet block of that reply.
 * sent Request-TW-Session or -Micro-Sessions -> 48 (Accept-Session, also
 * from a server without RFC 9533, §2.13); Start-Sessions -> 32
 * (Start-Ack); Start-N/Stop-N -> 32+16N if the block starts with the matching
 * ack number (8/10), or 48 if it starts with an Accept value (0..5): a server
 * without RFC 5938 answers Accept-Session/Accept=3 as for any unknown command
 * (§2.13); any other first octet -> TW_E_COMMAND.  Stop-Sessions has no reply
 * (TW_E_ARG, *msglen 0).  Any other command we might have sent -> 48
 * (Accept-Session, §2.13).  len < 16 -> TW_E_TRUNCATED.
 */
enum tw_err tw_ctl_reply_peek(uint8_t sent_cmd, const uint8_t *block, size_t len, size_t *msglen);

/* ---- Modes, names, Type-P ----------------------------------------------------- */

/* Structurally valid Set-Up-Response mode: with the known feature bits
 * stripped, exactly one of 1/2/4/8 remains (unassigned bits are invalid). */
bool tw_ctl_mode_valid(uint32_t mode);

/*
 * Server side: TW_OK if the client's chosen mode is valid, its base mode was
 * offered and every feature bit in it was offered; else TW_E_MODE.  (twampd
 * tests `mode | offered` and so accepts unoffered modes, wire ref §11.1; a
 * correct server refuses them.)
 */
enum tw_err tw_ctl_mode_select(uint32_t chosen, uint32_t offered);

/*
 * Client side: the strongest base mode in offered & acceptable, in twping's
 * order of preference (encrypted, authenticated, mixed, open; §2.2), or 0 if
 * there is none.  Feature bits are never added: OR them in explicitly, and
 * only when the server offered them (twampd never does).
 */
uint32_t tw_ctl_mode_pick(uint32_t offered, uint32_t acceptable);

/* Name of one mode bit ("open", "reflect-octets", ...); "unknown" otherwise. */
const char *tw_ctl_mode_name(uint32_t mode_bit);

/*
 * Format a mode mask as names joined by '|' ("encrypted|reflect-octets"),
 * unassigned bits as one hex value, 0 as "none".  Always NUL-terminates when
 * cap > 0; returns the length snprintf would have produced.
 */
size_t tw_ctl_mode_format(uint32_t modes, char *buf, size_t cap);

/* "ok", "failure", "internal-error", "not-supported", "permanent-limit",
 * "temporary-limit"; "invalid" for > 5. */
const char *tw_ctl_accept_name(uint8_t accept);

/* "request-tw-session", ...; "unassigned" for 12..255. */
const char *tw_ctl_cmd_name(uint8_t cmd);

/* Type-P for a DSCP (RFC 5357 §3.5 DSCP form: DSCP << 24); dscp > 63 is masked. */
static inline uint32_t tw_ctl_typep_from_dscp(uint8_t dscp)
{
	return (uint32_t)(dscp & 0x3Fu) << TW_CTL_TYPEP_DSCP_SHIFT;
}

static inline bool tw_ctl_typep_valid(uint32_t type_p)
{
	return (type_p & ~TW_CTL_TYPEP_DSCP_MASK) == 0;
}

/* DSCP of a Type-P; TW_E_TYPEP (and *dscp 0) for the PHB-ID and reserved forms. */
static inline enum tw_err tw_ctl_typep_to_dscp(uint32_t type_p, uint8_t *dscp)
{
	if (!tw_ctl_typep_valid(type_p)) {
		*dscp = 0;
		return TW_E_TYPEP;
	}
	*dscp = (uint8_t)(type_p >> TW_CTL_TYPEP_DSCP_SHIFT);
	return TW_OK;
}

#endif
