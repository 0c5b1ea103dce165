/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_ipc: THE contract between the DPDK fast path (twinhop-fp) and the
 * control plane (twinhopd, twinhop, twinhop-ipc).
 *
 * Everything the two processes say to each other is declared here, once:
 * the message types, the fixed message header, every payload, the fast-path
 * counter list and the per-lcore counter block.  It is the FRR
 * bfddp_packet.h idea (docs/ipc.md): one header, one version, units on every
 * field, so that neither side has to read the other's code.
 *
 * Encoding.  Messages travel through shared memory on one host (lib/tw_ring.h),
 * so fields are in HOST byte order and structs are copied as they are.  The
 * only exceptions are IP addresses and MAC addresses, kept in network order
 * exactly as they appear in packets and in TWAMP-Control (spec §2.7).  Only
 * fixed-width types, no pointers, no bool, no implicit padding: every hole
 * is a named pad field that the writer zeroes (MBZ) and the reader ignores.
 * The static_asserts at the end pin every size; lib/ is built with -Wpadded
 * clean for this header.
 *
 * Framing.  A message is struct tw_ipc_hdr followed by hdr.length octets of
 * payload.  The payload of each type is exactly its struct (fixed types) or
 * its struct followed by N elements (variable types: SENDER_RESULT, LOG).
 * tw_ipc_check() validates version, type, direction and length before a
 * consumer acts on a message (style anchor 4: check sender and exact length).
 *
 * Requests and replies.  hdr.id is a request id chosen by control, never 0;
 * the fast path copies it into every reply (ACK, NACK, HELLO_REPLY, STATS,
 * COUNTERS).  id 0 marks an unsolicited message (SESSION_EVENT,
 * SENDER_RESULT, SENDER_SUMMARY, LOG, periodic COUNTERS).  A request answered
 * by several messages sets TW_IPC_F_MORE on all but the last.
 *
 * VERSIONING RULE.  TW_IPC_VERSION is bumped by any change that makes an old
 * binary misread a new one: a field added, removed, moved, resized or given a
 * new meaning or unit; an enum value renumbered; a counter added, removed or
 * reordered; any change to lib/tw_ring.h's shared layout.  There is no
 * compatibility window: twinhopd and twinhop-fp must be built from the same
 * tree, and tw_ring_attach() refuses a region whose version or layout hash
 * (tw_ipc_layout_hash(), which mixes every payload size, every type and every
 * counter name) differs.  The hash is a safety net that catches a forgotten
 * bump for size changes; it cannot see two same-sized fields swapped, which
 * is why the bump rule is the primary rule.
 */
#ifndef TW_IPC_H
#define TW_IPC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tw_err.h"

#define TW_IPC_VERSION 16

/* Largest message, header included, in octets.  Rings are sized so that a
 * message of this size always fits (lib/tw_ring.h). */
#define TW_IPC_MSG_MAX     4096u
#define TW_IPC_PAYLOAD_MAX (TW_IPC_MSG_MAX - (uint32_t)sizeof(struct tw_ipc_hdr))

/* ======================================================================== */
/* Message types                                                             */
/* ======================================================================== */

/* Direction of a message type: who writes it. */
enum tw_ipc_dir {
	TW_IPC_DIR_NONE = 0, /* ring-internal (PAD) */
	TW_IPC_DIR_CMD = 1,  /* control -> fast path (the command ring) */
	TW_IPC_DIR_EVT = 2,  /* fast path -> control (the event rings) */
};

/*
 * X(NAME, value, direction, payload struct, element size)
 * Payload length is sizeof(struct) for fixed types; for variable types
 * (element size != 0) it is sizeof(struct) + n * element size, n >= 0.
 * Commands are 0x01..0x3f, events 0x40..0x7f; values are never reused.
 */
#define TW_IPC_TYPE_LIST(X)                                                                        \
	X(PAD, 0x00, NONE, tw_ipc_empty, 0)                                                        \
	X(HELLO, 0x01, CMD, tw_ipc_hello, 0)                                                       \
	X(PORT_CONFIG, 0x02, CMD, tw_ipc_port_config, 0)                                           \
	X(REFLECTOR_ADD, 0x03, CMD, tw_ipc_reflector_add, 0)                                       \
	X(REFLECTOR_START, 0x04, CMD, tw_ipc_session_ctl, 0)                                       \
	X(REFLECTOR_STOP, 0x05, CMD, tw_ipc_session_ctl, 0)                                        \
	X(SENDER_ADD, 0x06, CMD, tw_ipc_sender_add, 0)                                             \
	X(SENDER_START, 0x07, CMD, tw_ipc_session_ctl, 0)                                          \
	X(SENDER_STOP, 0x08, CMD, tw_ipc_session_ctl, 0)                                           \
	X(SESSION_DEL, 0x09, CMD, tw_ipc_session_ctl, 0)                                           \
	X(LIGHT_LISTEN, 0x0a, CMD, tw_ipc_light_listen, 0)                                         \
	X(STATS_REQUEST, 0x0b, CMD, tw_ipc_stats_request, 0)                                       \
	X(COUNTERS_REQUEST, 0x0c, CMD, tw_ipc_counters_request, 0)                                 \
	X(HELLO_REPLY, 0x40, EVT, tw_ipc_hello_reply, 0)                                           \
	X(ACK, 0x41, EVT, tw_ipc_ack, 0)                                                           \
	X(NACK, 0x42, EVT, tw_ipc_ack, 0)                                                          \
	X(SESSION_EVENT, 0x43, EVT, tw_ipc_session_event, 0)                                       \
	X(SENDER_RESULT, 0x44, EVT, tw_ipc_result_batch, sizeof(struct tw_ipc_result))             \
	X(SENDER_SUMMARY, 0x45, EVT, tw_ipc_sender_summary, 0)                                     \
	X(STATS, 0x46, EVT, tw_ipc_stats, 0)                                                       \
	X(COUNTERS, 0x47, EVT, tw_ipc_counters_msg, 0)                                             \
	X(LOG, 0x48, EVT, tw_ipc_log, 1)                                                           \
	X(SENDER_STLV, 0x49, EVT, tw_ipc_sender_stlv, 0)

/* clang-format off */
enum tw_ipc_type {
#define TW_IPC_TYPE_ENUM(n, v, d, s, e) TW_IPC_##n = v,
	TW_IPC_TYPE_LIST(TW_IPC_TYPE_ENUM)
#undef TW_IPC_TYPE_ENUM
	TW_IPC_TYPE__END /* one past the largest value; not a type */
};
/* clang-format on */

/* Header flags (tw_ipc_hdr.flags). */
#define TW_IPC_F_MORE 0x0001u /* more replies to the same id follow */

/*
 * The fixed message header, 16 octets, 16-octet aligned in the ring.
 */
struct tw_ipc_hdr {
	uint16_t version; /* TW_IPC_VERSION of the writer */
	uint16_t type;    /* enum tw_ipc_type */
	uint16_t flags;   /* TW_IPC_F_*; unknown bits MBZ, ignored on receipt */
	uint16_t pad0;    /* MBZ */
	uint32_t id;      /* request id (!= 0) set by control, copied by replies; 0 = unsolicited */
	uint32_t length;  /* payload octets following this header (not counting it) */
};

/* ======================================================================== */
/* Shared vocabulary                                                         */
/* ======================================================================== */

/* Test protocol of a session (spec §1, §6). */
enum tw_ipc_proto {
	TW_IPC_PROTO_TWAMP = 1, /* RFC 5357 behind a TWAMP-Control session (twinhopd) */
	TW_IPC_PROTO_LIGHT = 2, /* RFC 5357 Appendix I TWAMP Light, no control session (§6.1) */
	TW_IPC_PROTO_STAMP = 3, /* RFC 8762/8972 STAMP (§6.2) */
};

/* Test-packet security (spec §2.2, §3.6).  MIXED sends open test packets
 * (RFC 5618); STAMP knows only OPEN and AUTH; ENC is TWAMP/Light only. */
enum tw_ipc_sec {
	TW_IPC_SEC_OPEN = 1,  /* mode 1 / STAMP unauthenticated */
	TW_IPC_SEC_AUTH = 2,  /* mode 2 (HMAC-SHA1, AES-ECB block 0) / STAMP HMAC-SHA256 */
	TW_IPC_SEC_ENC = 4,   /* mode 4 (AES-CBC + HMAC-SHA1) */
	TW_IPC_SEC_MIXED = 8, /* mode 8: encrypted control, open test packets */
};

/* Session flags (REFLECTOR_ADD, SENDER_ADD, LIGHT_LISTEN .flags). */
#define TW_IPC_SF_START_NOW  0x0001u /* start at once instead of waiting for *_START */
#define TW_IPC_SF_STATELESS  0x0002u /* Light/STAMP: copy the sender's sequence number (§6.1) */
#define TW_IPC_SF_SYMMETRIC  0x0004u /* RFC 6038 Symmetrical Size sender layout (§4.6) */
#define TW_IPC_SF_RESOLVE    0x0008u /* sender: resolve next_hop_mac by ARP/ND */
#define TW_IPC_SF_PTP_TS     0x0010u /* send PTP timestamps (Z bit, §5.2) instead of NTP */
#define TW_IPC_SF_COPY_DSCP  0x0020u /* reflector: reply with the received DSCP, not .dscp */
#define TW_IPC_SF_NO_RESULTS 0x0040u /* sender: only SENDER_SUMMARY, no per-packet records */
/* RFC 7750 DSCP and ECN Monitoring negotiated (Modes bit 256): a TWAMP
 * reflector writes the received TOS / Traffic Class octet into the Sender
 * DSCP and ECN field (lib/tw_pkt.h tw_pkt_dscp_ecn_off); a TWAMP sender
 * reads it back (tw_ipc_result.tos_fwd, TW_IPC_RES_TOS_FWD). */
#define TW_IPC_SF_DSCP_ECN   0x0080u
/* RFC 9533 LAG micro-sessions (Request-TW-Micro-Sessions, §4.1): a TWAMP
 * reflector discards (DROP_MICRO_LINK) a packet whose non-zero Reflector
 * Micro-session ID is not its port's member link (HELLO_REPLY.member_link),
 * and writes the Sender Micro-session ID back with its own member link
 * (lib/tw_pkt.h tw_pkt_micro_tab, RFC 9533 Figures 2-5).  Needs TWAMP, a
 * Padding Length of at least tw_pkt_micro_min_pad() and a fast path with a
 * member link (else NACK TW_E_ARG).  On SENDER_ADD (version 11): the
 * sender writes micro_sid/micro_rid into its packets and takes only the
 * replies that carry them back (DROP_MICRO_SENDER_ID, DROP_MICRO_REFLECTOR_ID);
 * a STAMP sender (RFC 9534) needs a Micro-session ID TLV in its TLV area
 * (else TW_E_FIELD at tlv): the IDs go there, and a reply's are read from
 * its TLV, which must not be flagged U, M or I (else DROP_MICRO_SENDER_ID). */
#define TW_IPC_SF_MICRO      0x0100u
/* Version 15: a reflector programmed again after a fast-path restart
 * (twinhopd, ctl_srv_fp_reattached).  Its own Sequence Number (RFC 5357
 * §4.2.1) would start again from 0, repeating numbers its Session-Sender
 * has already seen (perfSONAR twping then discards the whole session's
 * results).  With this flag the first packet it reflects carries the larger
 * of its counter and that packet's Sender Sequence Number (read after
 * verification, so decrypted), and the count goes on from there.  A
 * reflector cannot have reflected more packets than it was sent, so that
 * number is above every one it used before the restart, unless the
 * sender's packets were duplicated or reordered across it.  The price: the
 * packets lost while the fast path was down look lost on the way back to a
 * client that splits loss by reflector numbers (docs/ipc.md). */
#define TW_IPC_SF_SEQ_RESYNC 0x0200u

/* An IPv4 or IPv6 address. */
struct tw_ipc_addr {
	uint8_t family;     /* 4 or 6 (the TWAMP IPVN); 0 = unspecified / any */
	uint8_t prefix_len; /* bits; only PORT_CONFIG uses it, MBZ elsewhere */
	uint8_t pad0[2];    /* MBZ */
	uint8_t addr[16];   /* network order; IPv4 in addr[0..3], addr[4..15] MBZ */
};

/* The addressing of one test flow, seen from the fast path. */
struct tw_ipc_flow {
	struct tw_ipc_addr local; /* fast-path address (reflector: Receiver Address, §2.7) */
	struct tw_ipc_addr peer;  /* remote address; family 0 = any peer (listeners only) */
	uint16_t local_port;      /* UDP port, host order */
	uint16_t peer_port;       /* UDP port, host order; 0 = any (listeners only) */
	uint16_t vlan;            /* 802.1Q VLAN id 1..4094; 0 = untagged */
	uint16_t port_id;         /* fast-path port index (as in PORT_CONFIG) */
};

/* Test keys (spec §3.5): derived by control from the SID and the session
 * keys; STAMP: HMAC-SHA256 key provisioned out of band (§6.2). */
struct tw_ipc_keys {
	uint8_t aes[16];  /* TWAMP test AES key; MBZ for OPEN/MIXED and STAMP */
	uint8_t hmac[32]; /* TWAMP test HMAC key (32 octets) or STAMP HMAC key */
	uint8_t hmac_len; /* octets used in hmac[]: 32 for TWAMP, 1..32 STAMP; 0 = none */
	uint8_t pad0[7];  /* MBZ */
};

/* Padding and RFC 6038 options of a session (spec §2.7, §4.5, §4.6). */
struct tw_ipc_padding {
	uint32_t padding_len;     /* octets, the Request-TW-Session Padding Length */
	uint16_t reflect_octets;  /* RFC 6038 Octets to be reflected; 0 = none */
	uint16_t reflect_pad_len; /* RFC 6038 Length of padding to reflect, octets; 0 = none */
	uint16_t server_octets;   /* RFC 6038 Server octets (Accept-Session 22..23) */
	uint16_t pad0;            /* MBZ */
};

/* ======================================================================== */
/* control -> fast path                                                      */
/* ======================================================================== */

struct tw_ipc_empty {
	uint8_t unused[8]; /* never sent: PAD's length is its own */
};

/* HELLO: first message after attach; the fast path answers HELLO_REPLY. */
/* RESET: delete every session and listener first (control restarted). */
#define TW_IPC_HELLO_F_RESET 0x0001u
/*
 * Control liveness (issue 8 §6b, docs/ipc.md "Either process restarts").
 * A control process that sends HELLO with grace_ms != 0 promises to store
 * its monotonic time in the superblock's ctl_heartbeat_ns (tw_ring.h) at
 * least every TW_IPC_HEARTBEAT_MAX_MS while it lives.  When the fast path
 * sees that value unchanged for grace_ms, on its own TSC clock, it deems
 * the process dead: it deletes every session and listener that control
 * programmed (its command-line ones stay), counts them in SESS_CTL_LOST,
 * counts CTL_LOST once, and clears ctl_pid if it still names hello.ctl_pid.
 * A control process that finds ctl_pid no longer its own has lost its
 * sessions and must attach again (HELLO RESET, then re-program).
 * grace_ms 0 (tools that program sessions and exit, twinhop-ipc) turns the
 * watch off: such sessions live until SESSION_DEL or the next RESET.
 */
#define TW_IPC_GRACE_MIN_MS      1000u    /* ms, smallest grace_ms other than 0 */
#define TW_IPC_GRACE_MAX_MS      3600000u /* ms, largest grace_ms (1 h) */
#define TW_IPC_HEARTBEAT_MAX_MS  250u     /* ms, longest gap between control heartbeats */
_Static_assert(TW_IPC_GRACE_MIN_MS >= 4 * TW_IPC_HEARTBEAT_MAX_MS,
               "a grace period spans several heartbeats");
struct tw_ipc_hello {
	uint32_t ctl_pid;     /* process id of the control plane */
	uint32_t flags;       /* TW_IPC_HELLO_F_* */
	uint32_t ipc_version; /* TW_IPC_VERSION again, for transports without a superblock */
	uint32_t grace_ms;    /* ms; 0 = no liveness watch, else TW_IPC_GRACE_MIN_MS..MAX_MS */
	char name[32];        /* NUL-terminated client name, for logs ("twinhopd") */
};

/* PORT_CONFIG: addresses the fast path answers for on one port (ARP/ND,
 * "not for us" filtering).  Replaces the previous list of that port. */
#define TW_IPC_PORT_ADDRS 8
struct tw_ipc_port_config {
	uint16_t port_id; /* fast-path port index */
	uint16_t vlan;    /* 802.1Q VLAN id these addresses live on; 0 = untagged */
	uint16_t mtu;     /* octets of IP MTU; 0 = keep the port's */
	uint8_t n_addrs;  /* entries used in addrs[], 0..TW_IPC_PORT_ADDRS */
	uint8_t pad0;     /* MBZ */
	uint8_t mac[6];   /* MAC address to use; all zero = the NIC's own */
	uint8_t pad1[2];  /* MBZ */
	struct tw_ipc_addr addrs[TW_IPC_PORT_ADDRS]; /* with prefix_len */
};

/*
 * REFLECTOR_ADD: one TWAMP Session-Reflector, after Accept-Session (§2.9).
 * The reflector sends to the source of each datagram it accepts (§4.7).
 */
struct tw_ipc_reflector_add {
	uint32_t session; /* session id, chosen by control, != 0, unique among live sessions */
	uint8_t proto;    /* enum tw_ipc_proto (TWAMP here) */
	uint8_t sec;      /* enum tw_ipc_sec */
	uint16_t flags;   /* TW_IPC_SF_* */
	uint8_t sid[16];  /* SID from Accept-Session (§2.9), opaque */
	struct tw_ipc_flow flow;   /* local = Receiver Address/Port; peer = Sender Address/Port */
	struct tw_ipc_padding pad; /* Padding Length, RFC 6038 octets */
	struct tw_ipc_keys keys;   /* test keys (§3.5) */
	uint8_t dscp;              /* DSCP 0..63 for reflected packets (Type-P, §2.8) */
	uint8_t ttl;               /* IPv4 TTL / IPv6 Hop Limit sent; 0 = 255 (§4.7) */
	uint8_t min_ttl;     /* drop (DROP_TTL) packets received with a lower TTL; 0 = no check */
	uint8_t pad0;        /* MBZ */
	uint64_t timeout_ns; /* Request-TW-Session Timeout: reflect this long after STOP */
	uint64_t refwait_ns; /* REFWAIT: end the session after this much silence; 0 = 900 s */
};

/* REFLECTOR_START/STOP, SENDER_START/STOP, SESSION_DEL.
 * STOP on a reflector begins the Timeout drain (§4.7): the session keeps
 * reflecting for min(timeout, REFWAIT) and then reports SESSION_EVENT ENDED;
 * the fast path drops (DROP_AFTER_STOP) every packet received after that end,
 * whenever the SESSION_DEL comes.  A REFLECTOR_STOP whose at_ntp is in the
 * past (by at most 1 s) counts the drain from at_ntp: control stamps the
 * moment Stop-Sessions arrived, so the end is Stop + Timeout exactly. */
struct tw_ipc_session_ctl {
	uint32_t session; /* session id; SESSION_DEL also accepts listener ids */
	uint32_t pad0;    /* MBZ */
	uint64_t at_ntp;  /* NTP 32.32 time at which to act; 0 = now */
};

/* Schedules of a sender (RFC 4656 §3.5 slot types). */
enum tw_ipc_sched {
	TW_IPC_SCHED_PERIODIC = 1, /* one packet every interval_ns */
	TW_IPC_SCHED_POISSON = 2,  /* exponential gaps with mean interval_ns */
};

/* Shortest sender interval, ns (10 Mpps from one sender). */
#define TW_IPC_INTERVAL_MIN_NS 100u

/* Octets of STAMP TLVs a fast-path sender can carry (tw_ipc_sender_add.tlv). */
#define TW_IPC_STLV_MAX 512u

/* SENDER_ADD: one Session-Sender (TWAMP after Accept-Session, or Light/STAMP). */
struct tw_ipc_sender_add {
	uint32_t session;          /* session id, chosen by control, != 0 */
	uint8_t proto;             /* enum tw_ipc_proto */
	uint8_t sec;               /* enum tw_ipc_sec */
	uint16_t flags;            /* TW_IPC_SF_* */
	uint8_t sid[16];           /* TWAMP SID (§2.9); MBZ for Light/STAMP */
	struct tw_ipc_flow flow;   /* local = sender, peer = reflector (Accept-Session Port) */
	struct tw_ipc_padding pad; /* Padding Length; server_octets placed at padding start */
	struct tw_ipc_keys keys;   /* test keys (§3.5) */
	uint8_t next_hop_mac[6];   /* network order; ignored when TW_IPC_SF_RESOLVE */
	uint16_t ssid;        /* STAMP Session-Sender Identifier (RFC 8972); 0 for TWAMP/Light */
	uint8_t sched;        /* enum tw_ipc_sched */
	uint8_t dscp;         /* DSCP 0..63 of test packets (§2.8) */
	uint8_t ttl;          /* TTL / Hop Limit sent; 0 = 255 (hop counting, §7) */
	uint8_t ecn;          /* ECN codepoint of test packets 0..3 (RFC 3168 §5: 2 = ECT(0)) */
	uint64_t interval_ns; /* periodic interval, or Poisson mean, ns; >= TW_IPC_INTERVAL_MIN_NS */
	uint64_t count;       /* packets to send; 0 = bounded by duration_ns only */
	uint64_t duration_ns; /* ns of sending; 0 = count only; both 0 = until STOP */
	uint64_t start_ntp;   /* NTP 32.32 Start Time (§2.7); 0 = on SENDER_START */
	uint64_t loss_timeout_ns; /* ns without reply before LOST (twping -L) */
	uint64_t seed;            /* Poisson PRNG seed; 0 = fast path picks one */
	/* Version 9: STAMP TLVs (RFC 8972 §4, RFC 9503) sent after the STAMP
	 * base of every test packet, laid out once by control (lib/tw_stlv.h
	 * tw_stlv_build); the fast path writes only the per-packet values
	 * (tw_stlv_fill: Direct Measurement S_TxC §4.5, HMAC TLV §4.8).
	 * tlv_len > 0 needs proto STAMP and padding_len 0 (Extra Padding is a
	 * TLV then, §4.1); tw_ipc_validate() runs tw_stlv_scan() on tlv[]
	 * (well formed, one DM TLV of 12, one HMAC TLV of 16 last and only
	 * with sec AUTH).  A fixed area rather than a second message keyed by
	 * session: one command adds a whole sender (no ordering to get wrong
	 * or state between two commands), control's registry keeps the one
	 * struct to program again after a fast-path restart, and 512 octets
	 * hold every TLV at once over IPv6 with room for Extra Padding. */
	uint16_t tlv_len;             /* octets used in tlv[], 0..TW_IPC_STLV_MAX; 0 = none */
	/* Version 11: RFC 9533 §4.2 LAG micro-session (TW_IPC_SF_MICRO).  The
	 * IDs written into every test packet (lib/tw_pkt.h tw_pkt_micro_tab,
	 * RFC 9533 Figures 2-5).  Every micro-session of a LAG is its own
	 * SENDER_ADD (own session id, results, summary) with the same flow,
	 * SID, security and keys; the fast path tells their replies apart by
	 * micro_sid, so it is unique among them.  micro_sid must be the member
	 * link of the port the fast path sends from (HELLO_REPLY.member_links),
	 * else NACK TW_E_ARG.  Both 0 without TW_IPC_SF_MICRO. */
	uint16_t micro_sid;           /* Sender Micro-session ID, member link 1..65535 */
	uint16_t micro_rid;           /* Reflector Micro-session ID expected; 0 = any */
	uint16_t pad2;                /* MBZ */
	uint8_t tlv[TW_IPC_STLV_MAX]; /* TLV area as on the wire (network order) */
};

/* LIGHT_LISTEN: reflect TWAMP Light or STAMP on a port without a control
 * session (§6).  `session` names the listener for SESSION_DEL and STATS. */
struct tw_ipc_light_listen {
	uint32_t session;        /* listener id, chosen by control, != 0 */
	uint8_t proto;           /* TW_IPC_PROTO_LIGHT or TW_IPC_PROTO_STAMP */
	uint8_t sec;             /* OPEN or AUTH (Light may also use ENC) */
	uint16_t flags;          /* SF_STATELESS, _COPY_DSCP, _PTP_TS (STAMP); START_NOW implied */
	struct tw_ipc_flow flow; /* local family 0 = all port addresses; peer = allowed */
	struct tw_ipc_keys keys; /* HMAC key for AUTH; AES key for Light ENC */
	uint8_t dscp;            /* DSCP of replies unless COPY_DSCP */
	uint8_t ttl;             /* TTL / Hop Limit sent; 0 = 255 */
	uint8_t min_ttl;         /* 0 = no check; see DROP_TTL */
	uint8_t pad0;            /* MBZ */
	uint32_t max_peers;      /* stateful: most concurrent peers; excess -> DROP_SESSION_FULL */
	uint64_t idle_ns;        /* stateful: ns of silence before a peer is forgotten */
};

/* STATS_REQUEST: per-session statistics; answered by STATS messages
 * (TW_IPC_F_MORE on all but the last), by an ACK when session 0 is asked and
 * no session exists, or by a NACK (TW_E_ARG) for an unknown session. */
struct tw_ipc_stats_request {
	uint32_t session; /* session or listener id; 0 = every session (TW_IPC_F_MORE chain) */
	uint32_t pad0;    /* MBZ */
};

/* COUNTERS_REQUEST: answered by one COUNTERS message per lcore. */
#define TW_IPC_LCORE_ALL 0xffffu
struct tw_ipc_counters_request {
	uint16_t lcore; /* counter block index, or TW_IPC_LCORE_ALL */
	uint16_t pad0;  /* MBZ */
	uint32_t pad1;  /* MBZ */
};

/* ======================================================================== */
/* Fast-path counters: every event and drop reason, declared once            */
/* ======================================================================== */

enum tw_ipc_cnt_sev {
	TW_IPC_CNT_INFO = 0, /* normal traffic */
	TW_IPC_CNT_WARN = 1, /* degraded but delivered */
	TW_IPC_CNT_DROP = 2, /* something was discarded */
};

/* X(NAME, severity, units, description).  Appending, removing or reordering
 * changes the layout hash and requires a TW_IPC_VERSION bump. */
#define TW_IPC_COUNTER_LIST(X)                                                                     \
	X(RX_PKTS, INFO, "packets", "packets received on fast-path queues")                        \
	X(TX_PKTS, INFO, "packets", "packets handed to the NIC")                                   \
	X(RX_BURSTS, INFO, "bursts", "non-empty Rx bursts")                                        \
	X(BUSY_CYCLES, INFO, "cycles", "TSC cycles of loop iterations that carried packets")       \
	X(REFLECTED, INFO, "packets", "TWAMP-Test packets reflected")                              \
	X(LIGHT_REFLECTED, INFO, "packets", "TWAMP-Light/STAMP packets reflected")                 \
	X(SENT, INFO, "packets", "Session-Sender test packets sent")                               \
	X(REPLIES, INFO, "packets", "Session-Sender replies matched to a sent packet")             \
	X(EXC_TO_KERNEL, INFO, "packets", "packets passed to the kernel (exception path)")         \
	X(EXC_FROM_KERNEL, INFO, "packets", "packets from the kernel sent on the port")            \
	X(NEIGH_LEARNT, INFO, "entries", "neighbour entries learnt")                               \
	X(NEIGH_SOLICIT, INFO, "packets", "ARP requests / NS sent")                                \
	X(IPC_CMDS, INFO, "messages", "IPC commands processed")                                    \
	X(IPC_RESULTS, INFO, "records", "per-packet result records delivered to control")          \
	X(LATE_REPLIES, WARN, "packets", "replies after the loss timeout (reported LATE)")         \
	X(DUP_REPLIES, WARN, "packets", "duplicate replies (reported DUP)")                        \
	X(TX_TS_MISSED, WARN, "packets", "hardware Tx timestamp missing, software time used")      \
	X(SENDER_LATE, WARN, "packets", "sender packet sent more than one interval late")          \
	X(REPLY_NO_TTL, WARN, "packets",                                                           \
	  "reply without Sender TTL accepted, hops unknown (11b.7)")                               \
	X(LOG_SUPPRESSED, WARN, "messages", "log lines suppressed by rate limiting")               \
	X(DROP_BAD_LENGTH, DROP, "packets", "test packet shorter than its mode's base size (4.5)") \
	X(DROP_BAD_HMAC, DROP, "packets", "HMAC verification failed (3.6, 6.2)")                   \
	X(DROP_NOT_REGISTERED_SENDER, DROP, "packets",                                             \
	  "Light/STAMP listener kept for one peer: packet from another address")                   \
	X(DROP_NOT_STARTED, DROP, "packets", "session exists but is not started")                  \
	X(DROP_AFTER_STOP, DROP, "packets", "after Timeout/REFWAIT ended the session")             \
	X(DROP_TTL, DROP, "packets", "TTL / Hop Limit below the session's min_ttl")                \
	X(DROP_NOT_MINE, DROP, "packets", "unicast to another MAC or IP address")                  \
	X(DROP_L3_HDR, DROP, "packets", "IPv4/IPv6 header malformed or truncated")                 \
	X(IP_FRAG, WARN, "packets",                                                                \
	  "IP fragments, or datagrams over the IP MTU (reassembled by net_af_packet): never "      \
	  "reflected, given to the kernel")                                                        \
	X(DROP_UDP_HDR, DROP, "packets", "UDP header malformed or length inconsistent")            \
	X(DROP_CRYPTO, DROP, "packets", "crypto library error")                                    \
	X(DROP_NO_ROOM, DROP, "packets", "reply does not fit in the mbuf")                         \
	X(DROP_REPLY_UNKNOWN, DROP, "packets", "reply for no known sender session")                \
	X(DROP_REPLY_SHORT, DROP, "packets", "reply shorter than the reflector base size")         \
	X(DROP_REPLY_SEQ, DROP, "packets", "reply sequence number never sent / out of window")     \
	X(DROP_RING_FULL, DROP, "records", "result/event not delivered: event ring full")          \
	X(DROP_TX_FULL, DROP, "packets", "port Tx queue full")                                     \
	X(DROP_EXC_FULL, DROP, "packets", "kernel exception queue full")                           \
	X(DROP_EXC_TOO_LONG, DROP, "packets",                                                      \
	  "frame longer than the kernel interface's MTU: not given to the kernel")                 \
	X(DROP_MBUF_ALLOC, DROP, "packets", "mbuf pool empty")                                     \
	X(DROP_PORT_MISSED, DROP, "packets",                                                       \
	  "frames the port dropped before the fast path polled them (imissed + rx_nombuf)")        \
	X(DROP_NO_NEIGH, DROP, "packets", "sender next-hop MAC unresolved")                        \
	X(DROP_SESSION_FULL, DROP, "packets", "session or Light peer table full")                  \
	X(DROP_IPC_BAD, DROP, "messages", "malformed or unknown IPC command (NACKed)")             \
	X(DROP_SHORT_REQUEST, DROP, "packets",                                                     \
	  "TWAMP sender packet shorter than base + Padding Length: no amplifier")                  \
	X(SESS_ADDED, INFO, "sessions", "sessions and listeners added (command line or IPC)")      \
	X(SESS_DELETED, INFO, "sessions",                                                          \
	  "sessions and listeners deleted; in use = SESS_ADDED - SESS_DELETED")                    \
	X(SESS_RESET, INFO, "sessions", "of SESS_DELETED: by HELLO RESET (control restarted)")     \
	X(SESS_CTL_LOST, WARN, "sessions",                                                         \
	  "of SESS_DELETED: their control process fell silent for its grace period")               \
	X(CTL_LOST, WARN, "events",                                                                \
	  "control process silent for its grace period: its sessions removed")                     \
	X(STAMP_TLV_UNKNOWN, WARN, "packets",                                                      \
	  "STAMP packets with a TLV or sub-TLV type not processed: U (RFC 8972 §4)")               \
	X(STAMP_TLV_MALFORMED, WARN, "packets",                                                    \
	  "STAMP packets with a malformed TLV or sub-TLV: M (RFC 8972 §4)")                        \
	X(STAMP_TLV_HMAC_FAIL, WARN, "packets",                                                    \
	  "STAMP HMAC TLV check failed or misplaced: I on every TLV (RFC 8972 §4.8)")              \
	X(STAMP_TLV_HMAC_OPEN, WARN, "packets",                                                    \
	  "STAMP HMAC TLV in an unauthenticated session: U (RFC 8972 §4.8)")                       \
	X(STAMP_TLV_ACCESS_ID, WARN, "packets",                                                    \
	  "STAMP Access Report TLV with an Access ID other than 1 or 2: U (RFC 8972 §4.6)")        \
	X(STAMP_DNA_MISMATCH, WARN, "packets",                                                     \
	  "STAMP Destination Node Address TLV not ours: U (RFC 9503 §3)")                          \
	X(STAMP_RP_UNSUPPORTED, WARN, "packets",                                                   \
	  "STAMP Return Path TLV for another address or a segment list: U, reply to the source")   \
	X(STAMP_NO_REPLY, INFO, "packets",                                                         \
	  "of the reflected: no reply sent, the Return Path TLV asked for none (RFC 9503 §4)")     \
	X(STAMP_REPLY_TLV_FLAGGED, WARN, "packets",                                                \
	  "STAMP replies to our TLVs with one flagged U, M or I (RFC 8972 §4)")                    \
	X(STAMP_REPLY_TLV_SHORT, WARN, "packets",                                                  \
	  "STAMP replies whose TLV area is shorter than the one we sent (RFC 8972 §4)")            \
	X(STAMP_REPLY_TLV_HMAC_FAIL, WARN, "packets",                                              \
	  "STAMP replies whose HMAC TLV is missing or fails (RFC 8972 §4.8)")                      \
	X(DROP_MICRO_LINK, DROP, "packets",                                                        \
	  "packet for another member link: Reflector Micro-session ID (RFC 9533, RFC 9534)")       \
	X(DROP_MICRO_SENDER_ID, DROP, "packets",                                                   \
	  "micro-session reply, Sender Micro-session ID none of the LAG's (RFC 9533 4.2)")         \
	X(DROP_MICRO_REFLECTOR_ID, DROP, "packets",                                                \
	  "micro-session reply, Reflector Micro-session ID not the expected one (RFC 9533 4.2)")   \
	X(DROP_BAD_SOURCE, DROP, "packets",                                                        \
	  "source not one unicast host (group MAC, martian, broadcast) or our own address")        \
	X(LIGHT_PEER_EVICTED, WARN, "entries",                                                     \
	  "stateful Light/STAMP peers evicted while still sending (table full): numbered anew")

/* clang-format off */
enum tw_ipc_cnt {
#define TW_IPC_CNT_ENUM(n, sev, units, d) TW_IPC_CNT_##n,
	TW_IPC_COUNTER_LIST(TW_IPC_CNT_ENUM)
#undef TW_IPC_CNT_ENUM
	TW_IPC_CNT__COUNT
};
/* clang-format on */

/*
 * One lcore's counters, inside the shared region (tw_ring_counters()).
 * Writer: that lcore only.  Reader: control, any time.  Values only grow
 * (until the fast path restarts, which recreates the region).  Use
 * tw_ipc_cnt_add()/tw_ipc_cnt_get(): relaxed atomic load and store, which
 * compile to plain moves but make the cross-process read well defined.
 */
struct tw_ipc_counters {
	union {
		uint64_t c[TW_IPC_CNT__COUNT]; /* by enum tw_ipc_cnt; units per the list */
		uint8_t line[(TW_IPC_CNT__COUNT * 8 + 63) / 64 * 64]; /* whole cache lines */
	};
} __attribute__((aligned(64)));

static inline void tw_ipc_cnt_add(struct tw_ipc_counters *b, enum tw_ipc_cnt i, uint64_t n)
{
	uint64_t v = __atomic_load_n(&b->c[i], __ATOMIC_RELAXED);
	__atomic_store_n(&b->c[i], v + n, __ATOMIC_RELAXED);
}

static inline uint64_t tw_ipc_cnt_get(const struct tw_ipc_counters *b, enum tw_ipc_cnt i)
{
	return __atomic_load_n(&b->c[i], __ATOMIC_RELAXED);
}

/*
 * Version 13: one port's own statistics, inside the shared region
 * (tw_ring_port_stats(), one block per fast-path port in port order: port 0
 * is the profile's, then the RFC 9533 member-link ports).  What the port
 * (its driver) counted, beside what the lcores counted: an operator sees
 * how a LAG's traffic spreads over its links and which port lost frames
 * before the fast path polled them.  Writer: the fast path's control work,
 * on its publish deadline (at most every 100 ms, from rte_eth_stats and the
 * link status; no lcore touches it).  Reader: control, any time, field by
 * field with relaxed atomic loads (tw_ipc_port_get); a reader may see one
 * publish's fields mixed with the next one's, which only counters that grow
 * make harmless.  Zero until the first publish.
 */
#define TW_IPC_PORTS_MAX 8 /* ports one fast path drives (= its member links) */

struct tw_ipc_port_stats {
	uint16_t port;         /* fast-path port index (0 = the profile's port) */
	uint16_t member_link;  /* RFC 9533 member-link ID, 1..65535; 0 = none */
	uint16_t dpdk_port;    /* DPDK port id (informative) */
	uint8_t link_up;       /* 1 link up, 0 down (rte_eth_link, as last published) */
	uint8_t pad0;          /* MBZ */
	uint32_t speed_mbps;   /* link speed in Mb/s; 0 = unknown or none */
	uint32_t pad1;         /* MBZ */
	uint64_t rx_pkts;      /* packets the port received (ipackets) */
	uint64_t tx_pkts;      /* packets the port sent (opackets) */
	uint64_t rx_octets;    /* octets received (ibytes) */
	uint64_t tx_octets;    /* octets sent (obytes) */
	uint64_t rx_missed;    /* packets dropped by the port for lack of Rx
	                          descriptors (imissed), plus, on port 0 of
	                          net_af_packet, the kernel socket ring's drops */
	uint64_t rx_nombuf;    /* packets dropped for lack of an mbuf (rx_nombuf) */
	uint64_t rx_errors;    /* erroneous packets received (ierrors) */
	uint64_t tx_errors;    /* packets the port failed to send (oerrors) */
	uint64_t published_ns; /* fast-path monotonic ns of the last publish */
	uint64_t pad2[5];      /* MBZ: the block is two cache lines */
} __attribute__((aligned(64)));

static inline uint64_t tw_ipc_port_get(const uint64_t *field)
{
	return __atomic_load_n(field, __ATOMIC_RELAXED);
}

/* ======================================================================== */
/* fast path -> control                                                      */
/* ======================================================================== */

/* HELLO_REPLY capability bits. */
#define TW_IPC_CAP_HW_RX_TS 0x0001u /* NIC Rx timestamps (T2/T4) */
#define TW_IPC_CAP_HW_TX_TS 0x0002u /* NIC Tx timestamps (T1/T3 patched or reported) */
#define TW_IPC_CAP_IPV6     0x0004u
#define TW_IPC_CAP_CRYPTO   0x0008u /* AUTH/ENC test sessions supported */
#define TW_IPC_CAP_SENDER   0x0010u /* SENDER_ADD supported */
#define TW_IPC_CAP_MICRO    0x0020u /* RFC 9533 micro-sessions: member_link set */

/* Member links one fast path reports (HELLO_REPLY.member_links). */
#define TW_IPC_MEMBER_LINKS 8

struct tw_ipc_hello_reply {
	uint32_t fp_pid;       /* process id of the fast path */
	uint32_t caps;         /* TW_IPC_CAP_* */
	uint16_t n_lcores;     /* counter blocks in use (= lcores that forward) */
	uint16_t n_ports;      /* fast-path ports (RFC 9533: one per member link) */
	uint16_t n_evt_rings;  /* event rings in the region */
	uint16_t member_link;  /* RFC 9533 member-link ID of port 0 (1..65535); 0 = none */
	uint32_t max_sessions; /* session table size */
	/* Version 14: octets of the largest IP packet (IP header included)
	 * every fast-path port sends and receives whole: the smallest port
	 * MTU, and no more than one mbuf holds.  The fast path never
	 * reassembles (IP_FRAG), so a test session whose packets are longer
	 * is refused (REQ_PADDING_MTU); 0 = unknown. */
	uint16_t ip_mtu;
	uint16_t pad1;         /* MBZ */
	uint64_t tsc_hz;       /* TSC frequency, Hz (informative) */
	uint64_t clock_err_ns; /* current bound on timestamp error, ns */
	/* Version 12: the member link (1..65535) of each port in port order,
	 * member_links[0] == member_link; 0 past n_ports.  A micro-session
	 * sender's micro_sid must be one of them: it leaves on that port. */
	uint16_t member_links[TW_IPC_MEMBER_LINKS];
};

/*
 * ACK / NACK: the outcome of one command, id = the command's id.
 * Every command gets exactly one ACK or NACK, except HELLO (HELLO_REPLY),
 * STATS_REQUEST (STATS) and COUNTERS_REQUEST (COUNTERS), which NACK only on
 * error.
 */
struct tw_ipc_ack {
	uint16_t req_type; /* enum tw_ipc_type of the command */
	uint16_t err;      /* enum tw_err: TW_E_OK for ACK; the reason for NACK */
	uint32_t session;  /* session id the command named, 0 if none */
	uint32_t detail;   /* NACK: offset of the offending payload field, or errno; else 0 */
	uint32_t pad0;     /* MBZ */
};

enum tw_ipc_event {
	TW_IPC_EV_STARTED = 1,         /* reflection / sending began */
	TW_IPC_EV_STOPPING = 2,        /* STOP received, Timeout drain running (§4.7) */
	TW_IPC_EV_REFWAIT_EXPIRED = 3, /* no packet for REFWAIT: session ended */
	TW_IPC_EV_ENDED = 4,           /* drain over / sender finished; counters final */
	TW_IPC_EV_DELETED = 5,         /* SESSION_DEL done, id may be reused; rx/tx final */
	TW_IPC_EV_ERROR = 6,           /* fast path gave up on the session; err says why */
};

struct tw_ipc_session_event {
	uint32_t session; /* session or listener id */
	uint16_t event;   /* enum tw_ipc_event */
	uint16_t err;     /* enum tw_err for EV_ERROR, else 0 */
	uint64_t at_ntp;  /* NTP 32.32 time of the event */
	uint64_t rx_pkts; /* packets accepted by the session so far */
	uint64_t tx_pkts; /* packets sent by the session so far */
};

/*
 * SENDER_RESULT: per-packet results, batched.  Payload =
 * struct tw_ipc_result_batch + count * struct tw_ipc_result.
 *
 * One record per sent packet once its fate is known: received (flags 0),
 * LOST after loss_timeout_ns, then possibly LATE or DUP records.  Timestamps
 * are the raw 64-bit wire values: NTP 32.32 unless the Z bit (0x4000) of the
 * matching error estimate says PTP (32-bit seconds since 1970 + 32-bit ns,
 * RFC 8186).  T1/T4 use the sender's format (TW_IPC_SF_PTP_TS).  Error
 * estimates are the raw wire 16-bit values (S, Z, scale, multiplier, §5.2).
 * Delay arithmetic belongs to control (spec §7).
 *
 * No silent loss: when the event ring is full the lcore keeps the batch
 * and retries; a record it finally discards increments DROP_RING_FULL, the
 * ring's full counter counts the refused message, and SENDER_SUMMARY
 * carries results_dropped, so control knows its stream is incomplete.
 */
#define TW_IPC_RES_LOST     0x0001u /* no reply within loss_timeout_ns; T2..T4 zero */
#define TW_IPC_RES_LATE     0x0002u /* reply after a LOST record for the same sender_seq */
#define TW_IPC_RES_DUP      0x0004u /* second or later reply for this sender_seq */
#define TW_IPC_RES_HW_T1    0x0010u /* T1 from the NIC */
#define TW_IPC_RES_HW_T4    0x0020u /* T4 from the NIC */
#define TW_IPC_RES_TTL_NONE 0x0040u /* reflector wrote no Sender TTL (twampy, §6.1) */
#define TW_IPC_RES_TOS_FWD  0x0080u /* tos_fwd holds the reflector's RFC 7750 report */

struct tw_ipc_result {
	uint32_t session;       /* sender session id */
	uint32_t sender_seq;    /* Sequence Number we sent */
	uint32_t reflector_seq; /* Sequence Number in the reply (stateless: = sender_seq) */
	uint16_t flags;         /* TW_IPC_RES_* */
	uint8_t ttl_fwd;        /* Sender TTL reported by the reflector (§4.7) */
	uint8_t ttl_back;       /* TTL / Hop Limit of the reply at receipt */
	uint64_t t1;            /* wire 64-bit: sender transmit time */
	uint64_t t2;            /* wire 64-bit: reflector receive time */
	uint64_t t3;            /* wire 64-bit: reflector transmit time */
	uint64_t t4;            /* wire 64-bit: sender receive time */
	uint16_t err1;          /* wire Error Estimate of T1 */
	uint16_t err2;          /* Error Estimate of T2: the reflector's one estimate (§4.3) */
	uint16_t err3;          /* wire Error Estimate of T3 */
	uint16_t err4;          /* Error Estimate of T4, encoded as on the wire */
	uint8_t dscp_tx;        /* DSCP we sent, 0..63 */
	uint8_t dscp_rx;        /* DSCP of the reply as received, 0..63 */
	uint16_t ssid;          /* STAMP SSID in the reply; 0 for TWAMP */
	uint16_t rx_len;        /* octets of the reply's UDP payload */
	uint8_t tos_fwd; /* RFC 7750 Sender DSCP and ECN: TOS octet the reflector received
	                  * (DSCP << 2 | ECN), valid with TW_IPC_RES_TOS_FWD */
	uint8_t tos_rx;  /* TOS / Traffic Class octet of the reply as received (DSCP, ECN) */
};

#define TW_IPC_RESULTS_MAX                                                                         \
	((TW_IPC_PAYLOAD_MAX - (uint32_t)sizeof(struct tw_ipc_result_batch)) /                     \
	 (uint32_t)sizeof(struct tw_ipc_result))

struct tw_ipc_result_batch {
	uint16_t count; /* records that follow, 1..TW_IPC_RESULTS_MAX */
	uint16_t lcore; /* lcore (event ring) that produced them */
	uint32_t pad0;  /* MBZ */
	                /* struct tw_ipc_result rec[count]; */
};

enum tw_ipc_end {
	TW_IPC_END_COUNT = 1,    /* sent `count` packets */
	TW_IPC_END_DURATION = 2, /* duration_ns elapsed */
	TW_IPC_END_STOP = 3,     /* SENDER_STOP or SESSION_DEL */
	TW_IPC_END_ERROR = 4,    /* fast path gave up (see err) */
};

/* SENDER_SUMMARY: last message of a sender session, on the same event ring
 * as its results and after them, so ordering per session holds. */
struct tw_ipc_sender_summary {
	uint32_t session;         /* sender session id */
	uint16_t reason;          /* enum tw_ipc_end */
	uint16_t err;             /* enum tw_err when reason is ERROR */
	uint64_t sent;            /* packets, test packets sent */
	uint64_t replies;         /* packets, replies matched (excluding DUP) */
	uint64_t lost;            /* packets, LOST records issued */
	uint64_t late;            /* packets, LATE records issued */
	uint64_t dup;             /* packets, DUP records issued */
	uint64_t tx_drops;        /* packets not sent: Tx full or mbuf alloc failure */
	uint64_t results_sent;    /* records, result records enqueued */
	uint64_t results_dropped; /* records, result records lost to a full ring */
	uint64_t start_ntp;       /* NTP 32.32, first packet sent */
	uint64_t end_ntp;         /* NTP 32.32, session ended */
};

/*
 * SENDER_STLV: what the replies' STAMP TLVs said over a sender session that
 * sent TLVs (SENDER_ADD tlv_len > 0): the Session-Sender's reading of RFC
 * 8972 §4 / RFC 9503 by lib/tw_stlv.h tw_stlv_reply(), the same code the
 * socket engine runs, so both engines report the same.  Sent once, on the
 * session's event ring right before its SENDER_SUMMARY.  The fields are
 * struct tw_stlv_res's, under the same names (tw_ipc_stlv_from_res() /
 * tw_ipc_stlv_to_res() in lib/tw_ipc.c copy them); docs/admin-protocol.md
 * "stlv" names them for admin clients.
 *
 * X(name, units, description); counts are of replies unless units say so.
 */
#define TW_IPC_STLV_U64_LIST(X)                                                                    \
	X(replies, "replies", "replies whose TLV area was read")                                   \
	X(flag_u, "TLVs", "TLVs the reflector flagged U (not understood, §4)")                     \
	X(flag_m, "TLVs", "TLVs the reflector flagged M (malformed, §4)")                          \
	X(flag_i, "TLVs", "TLVs the reflector flagged I (integrity failed, §4.8)")                 \
	X(area_short, "replies", "replies whose TLV area was shorter than the one sent")           \
	X(cos_n, "replies", "Class of Service TLVs read (§4.4)")                                   \
	X(cos_fwd_remarked, "replies", "DSCP2 differs from the DSCP sent")                         \
	X(cos_fwd_ecn_changed, "replies", "ECN received differs from the ECN sent")                \
	X(cos_fwd_ce, "replies", "ECN received was CE")                                            \
	X(cos_rev_remarked, "replies", "reply DSCP differs from DSCP1 asked for")                  \
	X(cos_rev_known, "replies", "replies whose own DSCP was known")                            \
	X(cos_rp, "replies", "RP field non-zero")                                                  \
	X(fu_n, "replies", "Follow-Up Telemetry naming a reply we got (§4.7)")                     \
	X(fu_zero, "replies", "Follow-Up Telemetry empty (no previous reply)")                     \
	X(fu_unmatched, "replies", "Follow-Up naming no reply we remember, or T3 >= 1 s off")      \
	X(fu_repeated, "replies", "Follow-Up Telemetry naming a reply already reported")           \
	X(dm_n, "replies", "Direct Measurement TLVs read (§4.5)")                                  \
	X(dm_rx_at_first, "replies", "dm_n when dm_first was taken")                               \
	X(loc_n, "replies", "Location TLVs filled (§4.2)")                                         \
	X(loc_nat, "replies", "Location addresses or ports not the ones we used")                  \
	X(tsi_n, "replies", "Timestamp Information TLVs read (§4.3)")                              \
	X(access_echo, "replies", "Access Report echoed unchanged (§4.6)")                         \
	X(access_bad, "replies", "Access Report changed or flagged")                               \
	X(dna_ok, "replies", "Destination Node Address accepted (RFC 9503 §3)")                    \
	X(dna_u, "replies", "Destination Node Address flagged U")                                  \
	X(rp_ok, "replies", "Return Path accepted (RFC 9503 §4)")                                  \
	X(rp_u, "replies", "Return Path flagged U")                                                \
	X(hmac_ok, "replies", "reply HMAC TLV verified (§4.8)")                                    \
	X(hmac_bad, "replies", "reply HMAC TLV failed or missing")
#define TW_IPC_STLV_I64_LIST(X)                                                                    \
	X(fu_corr_sum_ns, "ns", "sum of real T3 - in-packet T3 over fu_n")                         \
	X(fu_corr_min_ns, "ns", "smallest real T3 - in-packet T3")                                 \
	X(fu_corr_max_ns, "ns", "largest real T3 - in-packet T3")                                  \
	X(fu_rtt_pkt_sum_ns, "ns", "sum of those replies' RTTs with the in-packet T3")             \
	X(fu_rtt_real_sum_ns, "ns", "sum of those replies' RTTs with the real T3")                 \
	X(fu_rtt_real_min_ns, "ns", "smallest RTT with the real T3")                               \
	X(fu_rtt_real_max_ns, "ns", "largest RTT with the real T3")                                \
	X(dm_fwd_lost, "packets", "forward loss between the first and last DM counters")           \
	X(dm_bwd_lost, "packets", "backward loss between the first and last DM counters")
#define TW_IPC_STLV_U8_LIST(X)                                                                     \
	X(cos_dscp1, "DSCP", "last CoS: DSCP1 asked for on the reply")                             \
	X(cos_dscp2, "DSCP", "last CoS: DSCP the reflector received")                              \
	X(cos_ecn2, "ECN", "last CoS: ECN the reflector received")                                 \
	X(cos_rx_dscp, "DSCP", "DSCP of the last reply as received")                               \
	X(cos_rx_ecn, "ECN", "ECN of the last reply as received")                                  \
	X(cos_rp_last, "code", "last CoS: RP field")                                               \
	X(fu_mode, "code", "last Follow-Up: Timestamp Mode")                                       \
	X(loc_family, "IPVN", "last Location: 4 or 6, 0 = none")                                   \
	X(loc_have_src, "bool", "last Location carried a source address")                          \
	X(loc_have_dst, "bool", "last Location carried a destination address")

struct tw_ipc_sender_stlv {
	uint32_t session; /* sender session id */
	uint32_t pad0;    /* MBZ */
	/* clang-format off */
#define TW_IPC_STLV_FIELD(n, units, d) uint64_t n;
	TW_IPC_STLV_U64_LIST(TW_IPC_STLV_FIELD)
#undef TW_IPC_STLV_FIELD
#define TW_IPC_STLV_FIELD(n, units, d) int64_t n;
	TW_IPC_STLV_I64_LIST(TW_IPC_STLV_FIELD)
#undef TW_IPC_STLV_FIELD
	/* clang-format on */
	uint32_t dm_first[3];             /* first DM counters seen: S_TxC, R_RxC, R_TxC */
	uint32_t dm_last[3];              /* last DM counters seen, same order (packets) */
	uint16_t loc_src_port;            /* last Location: source port the reflector saw */
	uint16_t loc_dst_port;            /* last Location: destination port (host order) */
	uint8_t loc_src[16], loc_dst[16]; /* last Location: addresses, network order */
	uint8_t tsi[4]; /* last Timestamp Information: Sync In, Method In, Sync Out, Method Out */
	/* clang-format off */
#define TW_IPC_STLV_FIELD(n, units, d) uint8_t n;
	TW_IPC_STLV_U8_LIST(TW_IPC_STLV_FIELD)
#undef TW_IPC_STLV_FIELD
	/* clang-format on */
	uint8_t pad1[6]; /* MBZ */
};

/* STATS: per-session statistics (reply to STATS_REQUEST), one message per
 * session and per Light/STAMP listener.  A listener (role 3) reports
 * rx_pkts = tx_pkts = requests it answered, drops = requests it discarded
 * (any DROP_* reason, after the packet was found to be its own), summed
 * over every lcore. */
struct tw_ipc_stats {
	uint32_t session;     /* session or listener id */
	uint8_t proto;        /* enum tw_ipc_proto */
	uint8_t state;        /* enum tw_ipc_event of the last transition (0 = added) */
	uint16_t role;        /* 1 = reflector, 2 = sender, 3 = listener */
	uint64_t rx_pkts;     /* packets accepted */
	uint64_t tx_pkts;     /* packets sent */
	uint64_t rx_octets;   /* octets of UDP payload accepted */
	uint64_t tx_octets;   /* octets of UDP payload sent */
	uint64_t drops;       /* packets dropped for this session (any DROP_* reason) */
	uint64_t last_rx_ntp; /* NTP 32.32 of the last accepted packet; 0 = none */
	uint32_t next_seq;    /* next Sequence Number we will send */
	uint32_t peers;       /* listeners: current stateful peers; else 0 */
};

/* COUNTERS: one lcore's counters (reply to COUNTERS_REQUEST).  The same
 * values are readable at any time in the region (tw_ring_counters()). */
struct tw_ipc_counters_msg {
	uint16_t lcore;                /* counter block index */
	uint16_t n_counters;           /* TW_IPC_CNT__COUNT */
	uint32_t pad0;                 /* MBZ */
	uint64_t at_ns;                /* fast-path monotonic ns when copied (heartbeat clock) */
	uint64_t c[TW_IPC_CNT__COUNT]; /* enum tw_ipc_cnt order; units per the list */
};

/* LOG: rate-limited text from the fast path; payload = struct tw_ipc_log +
 * text_len octets of text (no NUL). */
#define TW_IPC_LOG_TEXT_MAX 240u
struct tw_ipc_log {
	uint8_t level;       /* syslog priority 0..7 */
	uint8_t pad0;        /* MBZ */
	uint16_t lcore;      /* lcore that logged */
	uint16_t text_len;   /* octets of text after this struct, <= TW_IPC_LOG_TEXT_MAX */
	uint16_t pad1;       /* MBZ */
	uint32_t suppressed; /* messages, lines dropped by the rate limit since the last LOG */
	uint32_t pad2;       /* MBZ */
	uint64_t at_ns;      /* fast-path monotonic ns */
	                     /* char text[text_len]; */
};

/* ======================================================================== */
/* Sizes, names, checks                                                      */
/* ======================================================================== */

_Static_assert(sizeof(struct tw_ipc_hdr) == 16, "tw_ipc_hdr");
_Static_assert(sizeof(struct tw_ipc_addr) == 20, "tw_ipc_addr");
_Static_assert(sizeof(struct tw_ipc_flow) == 48, "tw_ipc_flow");
_Static_assert(sizeof(struct tw_ipc_keys) == 56, "tw_ipc_keys");
_Static_assert(sizeof(struct tw_ipc_padding) == 12, "tw_ipc_padding");
_Static_assert(sizeof(struct tw_ipc_hello) == 48, "tw_ipc_hello");
_Static_assert(sizeof(struct tw_ipc_port_config) == 176, "tw_ipc_port_config");
_Static_assert(sizeof(struct tw_ipc_reflector_add) == 160, "tw_ipc_reflector_add");
_Static_assert(sizeof(struct tw_ipc_session_ctl) == 16, "tw_ipc_session_ctl");
_Static_assert(sizeof(struct tw_ipc_sender_add) == 208 + TW_IPC_STLV_MAX, "tw_ipc_sender_add");
_Static_assert(sizeof(struct tw_ipc_sender_stlv) == 392, "tw_ipc_sender_stlv");
_Static_assert(sizeof(struct tw_ipc_light_listen) == 128, "tw_ipc_light_listen");
_Static_assert(sizeof(struct tw_ipc_stats_request) == 8, "tw_ipc_stats_request");
_Static_assert(sizeof(struct tw_ipc_counters_request) == 8, "tw_ipc_counters_request");
_Static_assert(sizeof(struct tw_ipc_hello_reply) == 56, "tw_ipc_hello_reply");
_Static_assert(sizeof(struct tw_ipc_ack) == 16, "tw_ipc_ack");
_Static_assert(sizeof(struct tw_ipc_session_event) == 32, "tw_ipc_session_event");
_Static_assert(sizeof(struct tw_ipc_result) == 64, "tw_ipc_result must stay <= 64 octets");
_Static_assert(sizeof(struct tw_ipc_result_batch) == 8, "tw_ipc_result_batch");
_Static_assert(sizeof(struct tw_ipc_sender_summary) == 88, "tw_ipc_sender_summary");
_Static_assert(sizeof(struct tw_ipc_stats) == 64, "tw_ipc_stats");
_Static_assert(sizeof(struct tw_ipc_counters) % 64 == 0, "tw_ipc_counters cache-aligned");
_Static_assert(sizeof(struct tw_ipc_port_stats) == 128, "tw_ipc_port_stats");
_Static_assert(TW_IPC_PORTS_MAX == TW_IPC_MEMBER_LINKS, "a port per member link");
_Static_assert(sizeof(struct tw_ipc_log) == 24, "tw_ipc_log");
_Static_assert(sizeof(struct tw_ipc_counters_msg) + sizeof(struct tw_ipc_hdr) <= TW_IPC_MSG_MAX,
               "COUNTERS must fit one message");
_Static_assert(TW_IPC_RESULTS_MAX >= 32, "a result batch holds at least one Rx burst");

/* Per-type facts, generated from TW_IPC_TYPE_LIST. */
struct tw_ipc_type_info {
	const char *name; /* "REFLECTOR_ADD"; NULL for a value that is no type */
	uint16_t size;    /* fixed payload octets */
	uint16_t elem;    /* octets per trailing element; 0 = fixed-size type */
	uint8_t dir;      /* enum tw_ipc_dir */
	uint8_t pad0[3];
};

static inline const struct tw_ipc_type_info *tw_ipc_type_info(unsigned type)
{
	/* clang-format off */
	static const struct tw_ipc_type_info tab[TW_IPC_TYPE__END] = {
#define TW_IPC_TYPE_INFO(n, v, d, s, e)                                                            \
	[v] = {#n, (uint16_t)sizeof(struct s), (uint16_t)(e), TW_IPC_DIR_##d, {0}},
		TW_IPC_TYPE_LIST(TW_IPC_TYPE_INFO)
#undef TW_IPC_TYPE_INFO
	};
	/* clang-format on */
	if (type >= TW_IPC_TYPE__END || !tab[type].name)
		return NULL;
	return &tab[type];
}

/* Name of a message type ("SENDER_RESULT"); "?" when unknown.  Never NULL. */
static inline const char *tw_ipc_type_name(unsigned type)
{
	const struct tw_ipc_type_info *ti = tw_ipc_type_info(type);
	return ti ? ti->name : "?";
}

/* Counter names ("DROP_BAD_HMAC"), descriptions, units and severities. */
static inline const char *tw_ipc_cnt_name(unsigned i)
{
	/* clang-format off */
	static const char *const names[TW_IPC_CNT__COUNT] = {
#define TW_IPC_CNT_NAME(n, sev, units, d) #n,
		TW_IPC_COUNTER_LIST(TW_IPC_CNT_NAME)
#undef TW_IPC_CNT_NAME
	};
	/* clang-format on */
	return i < TW_IPC_CNT__COUNT ? names[i] : "?";
}

static inline const char *tw_ipc_cnt_descr(unsigned i)
{
	/* clang-format off */
	static const char *const d[TW_IPC_CNT__COUNT] = {
#define TW_IPC_CNT_DESCR(n, sev, units, ds) ds,
		TW_IPC_COUNTER_LIST(TW_IPC_CNT_DESCR)
#undef TW_IPC_CNT_DESCR
	};
	/* clang-format on */
	return i < TW_IPC_CNT__COUNT ? d[i] : "?";
}

static inline const char *tw_ipc_cnt_units(unsigned i)
{
	/* clang-format off */
	static const char *const u[TW_IPC_CNT__COUNT] = {
#define TW_IPC_CNT_UNITS(n, sev, units, d) units,
		TW_IPC_COUNTER_LIST(TW_IPC_CNT_UNITS)
#undef TW_IPC_CNT_UNITS
	};
	/* clang-format on */
	return i < TW_IPC_CNT__COUNT ? u[i] : "?";
}

static inline enum tw_ipc_cnt_sev tw_ipc_cnt_sev(unsigned i)
{
	/* clang-format off */
	static const uint8_t s[TW_IPC_CNT__COUNT] = {
#define TW_IPC_CNT_SEV(n, sev, units, d) TW_IPC_CNT_##sev,
		TW_IPC_COUNTER_LIST(TW_IPC_CNT_SEV)
#undef TW_IPC_CNT_SEV
	};
	/* clang-format on */
	return i < TW_IPC_CNT__COUNT ? (enum tw_ipc_cnt_sev)s[i] : TW_IPC_CNT_DROP;
}

/*
 * Validate a received message before acting on it.  `dir` is the direction
 * of the ring it came from; `payload` holds h->length octets.  Returns
 * TW_E_VERSION (other version), TW_E_COMMAND (unknown type or wrong
 * direction), TW_E_LENGTH (payload size not the type's, or an element count
 * inconsistent with the length) or TW_OK.
 */
static inline enum tw_err tw_ipc_check(const struct tw_ipc_hdr *h, const void *payload,
                                       enum tw_ipc_dir dir)
{
	if (h->version != TW_IPC_VERSION)
		return TW_E_VERSION;
	const struct tw_ipc_type_info *ti = tw_ipc_type_info(h->type);
	/* PAD belongs to the ring (it fills the end of the data area and the
	 * consumer skips it): it is never a message, in any direction, so a
	 * producer can never send one (tests/fuzz/corpus/ring/crash-pad-dir0). */
	if (!ti || ti->dir != dir || ti->dir == TW_IPC_DIR_NONE)
		return TW_E_COMMAND;
	if (h->length < ti->size || h->length > TW_IPC_PAYLOAD_MAX)
		return TW_E_LENGTH;
	uint32_t extra = h->length - ti->size;
	if (ti->elem == 0)
		return extra == 0 ? TW_OK : TW_E_LENGTH;
	if (extra % ti->elem)
		return TW_E_LENGTH;
	if (h->type == TW_IPC_SENDER_RESULT) {
		struct tw_ipc_result_batch b;
		memcpy(&b, payload, sizeof(b));
		if (b.count == 0 || b.count != extra / ti->elem)
			return TW_E_LENGTH;
	} else if (h->type == TW_IPC_LOG) {
		struct tw_ipc_log l;
		memcpy(&l, payload, sizeof(l));
		if (l.text_len != extra || extra > TW_IPC_LOG_TEXT_MAX)
			return TW_E_LENGTH;
	}
	return TW_OK;
}

/*
 * The receiver's full check (lib/tw_ipc.c), run on a private copy of the
 * message, never on shared memory: tw_ipc_check() framing, then every
 * payload field the receiver acts on against the range documented above
 * (enums, addresses, ports, VLAN, padding_len <= TW_PKT_MAX_LEN, key sizes,
 * DSCP, intervals).  Returns TW_OK or the error to NACK with; *bad_off (may
 * be NULL) gets the payload offset of the offending field (ACK .detail).
 * State checks (does the session exist?) are the receiver's own.
 */
enum tw_err tw_ipc_validate(const struct tw_ipc_hdr *h, const void *payload, enum tw_ipc_dir dir,
                            uint32_t *bad_off);

/* SENDER_STLV <-> the Session-Sender's STAMP TLV results (lib/tw_stlv.h),
 * field by field under the same names; pads zeroed. */
struct tw_stlv_res;
void tw_ipc_stlv_from_res(struct tw_ipc_sender_stlv *m, uint32_t session,
                          const struct tw_stlv_res *r);
void tw_ipc_stlv_to_res(struct tw_stlv_res *r, const struct tw_ipc_sender_stlv *m);

/* Payload octets of a fixed-size type (0 for an unknown type). */
static inline uint32_t tw_ipc_payload_size(unsigned type)
{
	const struct tw_ipc_type_info *ti = tw_ipc_type_info(type);
	return ti ? ti->size : 0;
}

/*
 * FNV-1a over the contract's shape: version, every type's number, direction,
 * sizes, every counter name, and the sizes of the shared helper structs.
 * Stored in the region superblock; attach refuses a different value.
 */
static inline uint64_t tw_ipc_layout_hash(void)
{
	uint64_t h = 0xcbf29ce484222325ull;
#define TW_IPC_MIX(v)                                                                              \
	do {                                                                                       \
		uint64_t v_ = (uint64_t)(v);                                                       \
		for (int i_ = 0; i_ < 8; i_++) {                                                   \
			h ^= (uint8_t)(v_ >> (8 * i_));                                            \
			h *= 0x100000001b3ull;                                                     \
		}                                                                                  \
	} while (0)
	TW_IPC_MIX(TW_IPC_VERSION);
	TW_IPC_MIX(TW_IPC_MSG_MAX);
	TW_IPC_MIX(sizeof(struct tw_ipc_hdr));
	TW_IPC_MIX(sizeof(struct tw_ipc_addr));
	TW_IPC_MIX(sizeof(struct tw_ipc_flow));
	TW_IPC_MIX(sizeof(struct tw_ipc_keys));
	TW_IPC_MIX(sizeof(struct tw_ipc_padding));
	TW_IPC_MIX(sizeof(struct tw_ipc_result));
	TW_IPC_MIX(sizeof(struct tw_ipc_counters));
	TW_IPC_MIX(sizeof(struct tw_ipc_port_stats));
	TW_IPC_MIX(offsetof(struct tw_ipc_port_stats, rx_pkts));
	TW_IPC_MIX(offsetof(struct tw_ipc_port_stats, published_ns));
	TW_IPC_MIX(TW_IPC_PORTS_MAX);
	TW_IPC_MIX(offsetof(struct tw_ipc_hdr, length));
	TW_IPC_MIX(offsetof(struct tw_ipc_result, t1));
	TW_IPC_MIX(offsetof(struct tw_ipc_flow, local_port));
	for (unsigned t = 0; t < TW_IPC_TYPE__END; t++) {
		const struct tw_ipc_type_info *ti = tw_ipc_type_info(t);
		if (!ti)
			continue;
		TW_IPC_MIX(t);
		TW_IPC_MIX(ti->dir);
		TW_IPC_MIX(ti->size);
		TW_IPC_MIX(ti->elem);
	}
	for (unsigned c = 0; c < TW_IPC_CNT__COUNT; c++)
		for (const char *p = tw_ipc_cnt_name(c); *p; p++)
			TW_IPC_MIX(*p);
	TW_IPC_MIX(TW_IPC_CNT__COUNT);
#undef TW_IPC_MIX
	return h;
}

#endif
