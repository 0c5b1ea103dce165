/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_stamp_tlv: what a STAMP Session-Reflector does with the RFC 8972 /
 * RFC 9503 TLVs of a test packet.  Pure C, no allocation, no I/O: the fast
 * path (app/fp_reflector.c) calls tw_stamp_tlv_reflect() once per reflected
 * packet.  The Session-Sender's side (building TLVs, reading the replies)
 * is lib/tw_stlv.h; the HMAC TLV's MAC itself is tw_stamp_tlv_hmac() in
 * lib/tw_crypto.h, which both sides use.
 *
 * TLV framing (RFC 8972 §4): Flags (U 0x80, M 0x40, I 0x20), Type, Length
 * (value octets), Value; the area runs from the end of the base packet (44
 * open, 112 authenticated) to the end of the UDP payload.  The TLV iterator
 * and the generic constants are tw_pkt's (lib/tw_pkt.h).  The reflected
 * packet keeps every TLV in place, with its length: the reflector only
 * rewrites values it answers for and flag octets (RFC 8972 §4, RFC 8762 §4:
 * both directions the same size).
 *
 * What the reflector does, type by type (the RFC section in brackets; the
 * wire facts the RFC text gave us are in docs/interop.md "STAMP TLVs"):
 *
 *   1  Extra Padding [8972 §4.1]       echoed, U cleared.
 *   2  Location [8972 §4.2]            Destination Port and Source Port of
 *        the received packet; sub-TLVs (4-octet STAMP TLV headers) answered
 *        in place without changing any length.  The request is the generic
 *        type with room for either family: Destination IP Address (4,
 *        Length 16) becomes Destination IPv4 (5: address + 12 zero octets)
 *        or Destination IPv6 (6); Source IP Address (7) becomes Source IPv4
 *        (8) or IPv6 (9); Source MAC Address (1, Length 8) becomes Source
 *        EUI-48 (2: MAC + 2 zero octets) when the frame's source MAC is
 *        known, else Source EUI-64 (3) all zero ("not reported").  Liberal
 *        in what we accept: a sender that asks with the specific types (5,
 *        6, 8, 9; 2, 3) gets the same answer when the Length holds it (16,
 *        or 4 for an IPv4 packet; 8); Length 4 in an IPv6 packet cannot
 *        hold the address: U.  Answered sub-TLVs get U cleared; other
 *        sub-TLV types get U; a known sub-TLV with a Length not valid for
 *        it gets M (and U cleared), one overrunning the value M; either
 *        ends the sub-TLV walk.  A Location value shorter than the two
 *        ports gets M.
 *   3  Timestamp Information [8972 §4.3]  the four code points the caller
 *        supplies (Sync Source In, Timestamp In, Sync Source Out,
 *        Timestamp Out); optional sub-TLVs after them are echoed.  M if
 *        shorter than 4.
 *   4  Class of Service [8972 §4.4]    DSCP2 and ECN received, RP 0, and
 *        out->dscp = DSCP1 for the reply (tw_pkt_cos_reflect).  M unless 4.
 *   5  Direct Measurement [8972 §4.5]  Session-Reflector Rx and Tx counters
 *        (in->dm_count for both: every received packet of the session is
 *        reflected); Sender Tx echoed.  M unless 12.
 *   6  Access Report [8972 §4.6]       Access ID (high 4 bits of octet 0)
 *        1 (3GPP) or 2 (non-3GPP): echoed unchanged with U cleared (the
 *        echo is the acknowledgement the sender's retransmit timer waits
 *        for).  Another Access ID must be discarded by the RFC: the TLV is
 *        echoed with U set (never acknowledged), TW_STAMP_TLV_EV_ACCESS_ID.
 *        M unless 4.
 *   7  Follow-Up Telemetry [8972 §4.7] Sequence Number and Follow-Up
 *        Timestamp of the previous reply of this session (its actual
 *        transmit time, in->fu_*), Timestamp Mode (the Timestamp
 *        Information method code), Reserved zero.  No previous reply known
 *        (first packet, stateless reflector): Sequence Number, Timestamp
 *        and Mode zero.  M unless 16.
 *   8  HMAC [8972 §4.8]                authenticated mode only (in->sa):
 *        HMAC-SHA-256 truncated to 16 octets, with the STAMP session key,
 *        over the packet's Sequence Number (4 octets) followed by every TLV
 *        before the HMAC TLV.  The sender's is checked (over the echoed
 *        Session-Sender Sequence Number and the TLVs as received); when it
 *        fails, or the HMAC TLV is followed by a TLV other than Extra
 *        Padding, or there is more than one, I is set on every TLV
 *        (TW_STAMP_TLV_EV_HMAC_FAIL).  Then the reflector's own HMAC is
 *        written over the reply's Sequence Number and its (final) TLVs.  M
 *        unless 16.  In open mode there is no key: U
 *        (TW_STAMP_TLV_EV_HMAC_OPEN).
 *   9  Destination Node Address [9503 §3]  Length 4 or 16 (else M).  One of
 *        in->local4 / in->local6: U cleared; any other address: U set
 *        (TW_STAMP_TLV_EV_DNA_MISMATCH).  The reply is sent either way.
 *  10  Return Path [9503 §4]           sub-TLVs: Control Code (1, Length 4):
 *        flag bit 0 (least significant) clear = no reply requested:
 *        out->no_reply, the caller sends nothing (TW_STAMP_TLV_EV_NO_REPLY);
 *        set = reply on the link the request came in on: an IP reflector on
 *        one port does exactly that.  Return Address (2), SR-MPLS Label
 *        Stack (3), SRv6 Segment List (4): an IP reflector does not send the
 *        reply elsewhere (that would make it a redirector for anybody who
 *        can send it a packet): the sub-TLV and the TLV get U and the reply
 *        goes back to the source (TW_STAMP_TLV_EV_RP_UNSUPPORTED).  Unknown
 *        sub-TLV: U on it and the TLV.  No sub-TLV: U.  Wrong Length: M.
 *  11 Micro-session ID [9534 §3]      a reflector on a LAG's member links
 *        (in->member_link, the link the packet came in on): a non-zero
 *        Reflector Micro-session ID that is not that link means the packet
 *        was meant for another member link: out->discard, the caller sends
 *        nothing (TW_STAMP_TLV_EV_MICRO_LINK); else the Reflector
 *        Micro-session ID becomes ours, the Sender's is echoed (§3.2: the
 *        check is stateless).  M unless 4.  in->member_link 0 (not on a
 *        LAG): U.  Not checked when the sender's HMAC failed (RFC 8972
 *        §4.8: no TLV data is used then): echoed as received.
 *  other: U (TW_STAMP_TLV_EV_UNKNOWN).
 *  A TLV whose Length overruns the packet, or a 1-3 octet tail: M on it,
 *  the walk ends there (TW_STAMP_TLV_EV_MALFORMED); the TLVs before it are
 *  answered.
 *
 * Every event above is reported in out->ev so the fast path counts each in
 * a named counter.
 */
#ifndef TW_STAMP_TLV_H
#define TW_STAMP_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_crypto.h"
#include "tw_err.h"
#include "tw_pkt.h"

/* RFC 8972 §4.2 / IANA "STAMP Sub-TLV Types" for the Location TLV. */
enum tw_stamp_loc_sub {
	TW_STAMP_LOC_SRC_MAC = 1,
	TW_STAMP_LOC_SRC_EUI48 = 2,
	TW_STAMP_LOC_SRC_EUI64 = 3,
	TW_STAMP_LOC_DST_IP = 4,
	TW_STAMP_LOC_DST_IPV4 = 5,
	TW_STAMP_LOC_DST_IPV6 = 6,
	TW_STAMP_LOC_SRC_IP = 7,
	TW_STAMP_LOC_SRC_IPV4 = 8,
	TW_STAMP_LOC_SRC_IPV6 = 9,
};
#define TW_STAMP_LOC_PORTS_LEN 4  /* Destination Port, Source Port */
#define TW_STAMP_LOC_MAC_LEN   8  /* MAC / EUI-48 (+2 zero) / EUI-64 value */
#define TW_STAMP_LOC_IP_LEN    16 /* every IP sub-TLV value (IPv4 + 12 zero) */

/* Fixed value lengths (RFC 8972 §4.3-§4.8, RFC 9503 §3-§4). */
#define TW_STAMP_TSINFO_LEN      4 /* minimum: optional sub-TLVs may follow */
#define TW_STAMP_DM_LEN          12
#define TW_STAMP_ACCESS_LEN      4
#define TW_STAMP_FU_LEN          16
#define TW_STAMP_HMAC_TLV_LEN    16
#define TW_STAMP_RP_CC_LEN       4
#define TW_STAMP_MICRO_LEN       4 /* RFC 9534 §3.1: Sender + Reflector Micro-session ID */

/* RFC 8972 §4.6 Access ID (high nibble of the first value octet) and
 * Return Code (second octet). */
#define TW_STAMP_ACCESS_3GPP        1
#define TW_STAMP_ACCESS_NON_3GPP    2
#define TW_STAMP_ACCESS_AVAILABLE   1
#define TW_STAMP_ACCESS_UNAVAILABLE 2

/* RFC 8972 §4.3 code points (IANA "STAMP Synchronization Sources" and
 * "Timestamping Methods"); also the Follow-Up Telemetry Timestamp Mode. */
#define TW_STAMP_SYNC_NTP         1
#define TW_STAMP_SYNC_PTP         2
#define TW_STAMP_SYNC_SSU_BITS    3
#define TW_STAMP_SYNC_GPS         4
#define TW_STAMP_SYNC_FREE        5
#define TW_STAMP_TSM_HW_ASSIST    1
#define TW_STAMP_TSM_SW_LOCAL     2
#define TW_STAMP_TSM_CTRL_PLANE   3

/* RFC 9503 §4 Return Path sub-TLVs and the Control Code's Reply Request
 * flag (bit 0 of the 32-bit Control Code Flags, least significant). */
enum tw_stamp_rp_sub {
	TW_STAMP_RP_CONTROL_CODE = 1,
	TW_STAMP_RP_RETURN_ADDR = 2,
	TW_STAMP_RP_SR_MPLS = 3,
	TW_STAMP_RP_SRV6 = 4,
};
#define TW_STAMP_RP_CC_REPLY 0x1u /* 0: no reply requested; 1: same link */

/* Events of one reflection (out->ev), each one a fast-path counter. */
enum tw_stamp_tlv_ev {
	TW_STAMP_TLV_EV_UNKNOWN = 1u << 0,	  /* a TLV or sub-TLV type left U */
	TW_STAMP_TLV_EV_MALFORMED = 1u << 1,	  /* M set on a TLV or sub-TLV */
	TW_STAMP_TLV_EV_HMAC_FAIL = 1u << 2,	  /* I set on all TLVs */
	TW_STAMP_TLV_EV_HMAC_OPEN = 1u << 3,	  /* HMAC TLV in open mode: U */
	TW_STAMP_TLV_EV_ACCESS_ID = 1u << 4,	  /* Access Report, bad Access ID */
	TW_STAMP_TLV_EV_DNA_MISMATCH = 1u << 5,	  /* Destination Node Address not ours */
	TW_STAMP_TLV_EV_NO_REPLY = 1u << 6,	  /* Return Path: no reply requested */
	TW_STAMP_TLV_EV_RP_UNSUPPORTED = 1u << 7, /* Return Path we do not follow */
	TW_STAMP_TLV_EV_MICRO_LINK = 1u << 8,	  /* Micro-session ID for another member link */
};

/* What the reflector knows about one received packet and its session. */
struct tw_stamp_tlv_in {
	uint8_t family;		     /* 4 or 6: the packet's IP version */
	const uint8_t *src_addr;     /* sender's address as received (4 or 16 octets) */
	const uint8_t *dst_addr;     /* the address the packet was sent to */
	uint16_t src_port, dst_port; /* UDP ports as received, host order */
	const uint8_t *src_mac;	     /* Ethernet source, 6 octets; NULL: not known */
	const uint8_t *local4;	     /* reflector's IPv4 address, NULL: none */
	const uint8_t *local6;	     /* reflector's IPv6 address, NULL: none */
	uint8_t tos;		     /* IPv4 TOS / IPv6 Traffic Class received */
	uint8_t ts_info[4];	     /* Timestamp Information code points */
	uint32_t dm_count;	     /* Direct Measurement Rx = Tx count (0: stateless) */
	bool fu_have;		     /* a previous reply's transmit time is known */
	uint8_t fu_mode;	     /* its Timestamp Mode (TW_STAMP_TSM_*) */
	uint32_t fu_seq;	     /* its reflector Sequence Number */
	uint64_t fu_ts;		     /* its transmit time, wire format (NTP or PTP) */
	struct tw_stamp_auth *sa;    /* authenticated mode: the session key; NULL open */
	uint16_t member_link;	     /* RFC 9534: the LAG member link it came in on, 0 none */
};

struct tw_stamp_tlv_out {
	uint32_t ev;	 /* enum tw_stamp_tlv_ev, OR-ed */
	unsigned n_tlv;	 /* TLVs visited (a malformed one included) */
	bool cos;	 /* a well-formed Class of Service TLV: dscp is valid */
	uint8_t dscp;	 /* its DSCP1: the DSCP the sender wants on the reply */
	bool no_reply;	 /* Return Path asked for no reply: send nothing */
	bool discard;	 /* RFC 9534 §3.2: meant for another member link: send nothing */
	bool hmac;	 /* the reflector's HMAC TLV was written */
	bool rewrote;	 /* octets other than TLV flag octets changed */
	/* Offset in pkt of the Follow-Up Timestamp written (8 octets, §4.7)
	 * by the first Follow-Up Telemetry TLV, 0 = none: a reflector whose
	 * previous reply's transmit time is read after this pass (the reply
	 * before, in the same burst) writes it there later. */
	uint16_t fu_ts_off;
};

/*
 * The reflector's TLV pass over a reflected STAMP packet, in place.  pkt is
 * the whole UDP payload of the reply, len its length, already made a
 * reflector packet of layout l (TW_PKT_STAMP_OPEN / _AUTH) by
 * tw_pkt_reflect_inplace(): base fields rewritten (the Session-Sender
 * Sequence Number echoed), TLVs as received.  Reads and writes nothing
 * outside pkt[0..len).  Returns TW_OK, TW_E_ARG (bad layout or arguments),
 * TW_E_TRUNCATED (len below the base), or TW_E_CRYPTO (the HMAC library
 * failed: the packet must not be sent).  *out is always filled.
 */
enum tw_err tw_stamp_tlv_reflect(uint8_t *pkt, size_t len, enum tw_pkt_layout l,
				 const struct tw_stamp_tlv_in *in, struct tw_stamp_tlv_out *out);

/*
 * HMAC TLV (RFC 8972 §4.8) of a finished authenticated packet: finds the
 * first HMAC TLV (Length 16) in the TLV area of pkt (layout l) and writes
 * tw_stamp_tlv_hmac() (lib/tw_crypto.h: HMAC-SHA-256/128 over pkt[0..3],
 * the packet's own Sequence Number, and the TLVs before it) into it.
 * TW_E_TLV_END when there is no such TLV (nothing written).  Call after
 * every other TLV octet (flags included) is final, before
 * tw_stamp_auth_sign() protects the base packet.
 */
enum tw_err tw_stamp_tlv_sign(struct tw_stamp_auth *sa, uint8_t *pkt, size_t len,
			      enum tw_pkt_layout l);

/* Follow-Up Telemetry value (RFC 8972 §4.7) as a sender reads it back. */
struct tw_stamp_fu {
	uint32_t seq;
	uint64_t ts;
	uint8_t mode;
};
static inline struct tw_stamp_fu tw_stamp_fu_get(const uint8_t *v)
{
	struct tw_stamp_fu f;
	f.seq = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
	f.ts = 0;
	for (int i = 0; i < 8; i++)
		f.ts = f.ts << 8 | v[4 + i];
	f.mode = v[12];
	return f;
}

#endif
