/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_stlv: the Session-Sender side of STAMP TLVs (RFC 8972 §4, RFC 9503).
 *
 * Three steps, none of which allocates:
 *   1. tw_stlv_parse() turns one `--tlv` word into a struct tw_stlv_spec;
 *   2. tw_stlv_build() lays the TLVs out once per session, in the order
 *      given (the HMAC TLV forced last, §4.8), into a template that is
 *      copied after the STAMP base of every packet; tw_stlv_fill() then
 *      writes the per-packet values (Direct Measurement S_TxC, HMAC);
 *   3. tw_stlv_reply() reads the TLVs of every reply (through
 *      tw_pkt_tlv_next, i.e. lib/tw_cursor.h) into per-session results.
 * The reflector's side of the same TLVs is in lib/tw_pkt.h.
 *
 * Wire facts used here (RFC 8972 §4): every TLV is Flags(1) Type(1)
 * Length(2) Value; the Session-Sender sets U and clears M and I; the
 * reflector clears U on types it understands, sets M on malformed ones and
 * I on all of them when the HMAC TLV fails.
 */
#ifndef TW_STLV_H
#define TW_STLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tw_crypto.h"
#include "tw_err.h"
#include "tw_pkt.h"

/* Octets of TLVs one sender packet carries at most (a bound for the CLI,
 * the IPC template and the fuzzer; 1400 keeps a v6 packet under 1500). */
#define TW_STLV_MAX   1400u
#define TW_STLV_SPECS 32u     /* --tlv words per session */
#define TW_STLV_NONE  0xffffu /* "no such TLV" offset */

/* Value lengths (RFC 8972 §4.3, §4.5, §4.6, §4.7, §4.8). */
#define TW_STLV_TSINFO_LEN   4
#define TW_STLV_DM_LEN       12
#define TW_STLV_ACCESS_LEN   4
#define TW_STLV_FOLLOWUP_LEN 16
#define TW_STLV_HMAC_LEN     16
/* RFC 9503 §4 Return Path: one Control Code sub-TLV (header + 4). */
#define TW_STLV_RP_LEN 8

/* Follow-Up Telemetry (RFC 8972 §4.7): the largest |real T3 - in-packet T3|
 * taken as the same reply, ns.  A reflector's transmit latency is micro-
 * seconds; a second bounds the sums of tw_stlv_res far from overflow. */
#define TW_STLV_FU_MAX_CORR_NS 1000000000ll

/* RFC 8972 §4.2 Location sub-TLV types (IANA "STAMP Sub-TLV Types"). */
#define TW_STLV_LOC_DST_IP4 5
#define TW_STLV_LOC_DST_IP6 6
#define TW_STLV_LOC_SRC_IP4 8
#define TW_STLV_LOC_SRC_IP6 9
/* RFC 9503 §4 Return Path sub-TLV 1: Control Code. */
#define TW_STLV_RP_CONTROL_CODE 1
/* RFC 9503 §4.1 Control Code flags: bit 31 Reply Request. */
#define TW_STLV_RP_NO_REPLY  0u /* reply not requested */
#define TW_STLV_RP_SAME_LINK 1u /* reply requested on the same link */

enum tw_stlv_kind {
	TW_STLV_PAD = 1,     /* §4.1 Extra Padding: len octets */
	TW_STLV_LOCATION,    /* §4.2: ports + address sub-TLVs of the session's family */
	TW_STLV_TSINFO,      /* §4.3 Timestamp Information */
	TW_STLV_COS,         /* §4.4 Class of Service: dscp1 (+ ecn sent) */
	TW_STLV_DM,          /* §4.5 Direct Measurement */
	TW_STLV_ACCESS,      /* §4.6 Access Report */
	TW_STLV_FOLLOWUP,    /* §4.7 Follow-Up Telemetry */
	TW_STLV_HMAC,        /* §4.8 HMAC (authenticated mode only, last) */
	TW_STLV_DNA,         /* RFC 9503 §3 Destination Node Address */
	TW_STLV_RETURN_PATH, /* RFC 9503 §4 Return Path, Control Code sub-TLV */
	TW_STLV_RAW,         /* any type, len zero octets of value (testing) */
};

struct tw_stlv_spec {
	uint8_t kind;      /* enum tw_stlv_kind */
	uint8_t type;      /* RAW: the Type */
	uint16_t len;      /* PAD, RAW: value octets */
	uint8_t dscp1;     /* COS: DSCP asked for on the reply */
	int8_t ecn;        /* COS: ECN codepoint our packets carry, -1 = not set */
	uint8_t access_id; /* ACCESS: 1 3GPP, 2 non-3GPP */
	uint8_t access_rc; /* ACCESS: Return Code 1 available, 2 unavailable */
	uint8_t family;    /* DNA: 4 or 6 */
	uint8_t addr[16];  /* DNA, network order */
	uint32_t rp_code;  /* RETURN_PATH: Control Code flags */
};

/* Parse one --tlv word: pad=N, location, tsinfo, cos=DSCP[,ecn=E], dm,
 * access=ID,CODE, followup, hmac, dna=ADDR, return-path=CODE,
 * type=N[,len=L].  TW_E_FIELD with err filled when it is not one. */
enum tw_err tw_stlv_parse(const char *word, struct tw_stlv_spec *out, char *err, size_t errlen);

/* A session's TLV area, built once. */
struct tw_stlv_tmpl {
	uint16_t len;      /* octets used in b[] */
	uint16_t dm_off;   /* offset in b[] of the DM TLV header, or TW_STLV_NONE */
	uint16_t hmac_off; /* offset in b[] of the HMAC TLV header, or TW_STLV_NONE */
	uint16_t ntlv;     /* TLVs in b[] */
	uint8_t b[TW_STLV_MAX];
};

/*
 * Lay out n specs for a session of IP version family (4/6), authenticated
 * (auth) or not.  The HMAC TLV goes last whatever its place in sp[]; it
 * needs auth (TW_E_MODE otherwise); at most one HMAC, and PAD/RAW lengths
 * must keep the whole within TW_STLV_MAX (TW_E_NOSPACE).  Extra Padding
 * is pseudo-random (§4.1) when random_pad, zeros otherwise (tests).
 */
enum tw_err tw_stlv_build(const struct tw_stlv_spec *sp, unsigned n, unsigned family, bool auth,
                          bool random_pad, struct tw_stlv_tmpl *t, char *err, size_t errlen);

/*
 * Check a TLV area a sender is about to send (the fast path does this on
 * what control hands it): well formed to its last octet, at most one
 * Direct Measurement TLV of exactly 12 octets, at most one HMAC TLV of
 * exactly 16 which is the last TLV and only when auth.  Fills dm_off /
 * hmac_off / ntlv of t from the area (t->b and t->len are the input).
 */
enum tw_err tw_stlv_scan(struct tw_stlv_tmpl *t, bool auth);

/*
 * Per packet, after the template was copied to pkt + base and the base
 * packet (with its Sequence Number) encoded: Direct Measurement S_TxC
 * (§4.5: packets this sender has transmitted in the session, this one
 * included) and the HMAC TLV (sa: the session's key; NULL when none).
 */
enum tw_err tw_stlv_fill(const struct tw_stlv_tmpl *t, uint8_t *pkt, size_t base, uint32_t s_txc,
                         struct tw_stamp_auth *sa);

/* ---- what came back ----------------------------------------------------- */

/* What the sender sent, to compare the reflector's view with. */
struct tw_stlv_ctx {
	uint8_t dscp;        /* DSCP of our packets */
	int8_t ecn;          /* ECN of our packets, -1 = not set (0) */
	uint8_t family;      /* 4 or 6 */
	uint8_t local[16];   /* our address as bound/connected, network order */
	uint8_t peer[16];    /* the reflector's address */
	uint16_t local_port; /* host order */
	uint16_t peer_port;
	const struct tw_stlv_tmpl *sent;
	struct tw_stamp_auth *sa; /* HMAC TLV check; NULL = not authenticated */
};

/* One reply, already accepted by the base-packet checks. */
struct tw_stlv_reply_in {
	const uint8_t *pkt;
	size_t len;        /* UDP payload octets */
	size_t base;       /* reflector base (44 / 112) */
	uint32_t refl_seq; /* the reply's own Sequence Number */
	uint64_t t3;       /* the reply's T3 as on the wire */
	bool t3_ptp;       /* Z bit of the reply's Error Estimate (RFC 8186) */
	int64_t rtt_ns;    /* (T4 - T1) - (T3 - T2) with the in-packet T3 */
	int tos;           /* TOS / Traffic Class of the reply, -1 unknown */
};

#define TW_STLV_FU_RING 64 /* replies remembered for Follow-Up matching */

/* Per-session results (all counters in replies unless said otherwise). */
struct tw_stlv_res {
	uint64_t replies;                /* replies whose TLV area was read */
	uint64_t flag_u, flag_m, flag_i; /* TLVs the reflector flagged U / M / I */
	uint64_t area_short;             /* replies whose TLV area was shorter than sent */
	/* §4.4 Class of Service */
	uint64_t cos_n, cos_fwd_remarked, cos_fwd_ecn_changed, cos_fwd_ce, cos_rev_remarked,
	    cos_rev_known, cos_rp;
	uint8_t cos_dscp1, cos_dscp2, cos_ecn2, cos_rx_dscp, cos_rx_ecn, cos_rp_last;
	/* §4.7 Follow-Up Telemetry: matched with a remembered reply */
	/* repeated: names a reply already reported (a reflector that gets
	 * two requests in one burst may know the first reply's real T3 only
	 * after both are sent, so the second names the older one again;
	 * twinhop-fp does so in authenticated mode only) */
	/* unmatched: names no reply we remember, or a T3 TW_STLV_FU_MAX_CORR_NS
	 * or more away from that reply's in-packet T3 */
	uint64_t fu_n, fu_zero, fu_unmatched, fu_repeated;
	int64_t fu_corr_sum_ns, fu_corr_min_ns, fu_corr_max_ns; /* real T3 - in-packet T3 */
	int64_t fu_rtt_pkt_sum_ns, fu_rtt_real_sum_ns;          /* the same replies' RTTs */
	int64_t fu_rtt_real_min_ns, fu_rtt_real_max_ns;
	uint8_t fu_mode; /* Timestamp Mode of the last one */
	/* §4.5 Direct Measurement */
	uint64_t dm_n;
	uint32_t dm_first[3], dm_last[3]; /* S_TxC, R_RxC, R_TxC */
	uint64_t dm_rx_at_first;          /* dm_n when dm_first was taken (1) */
	int64_t dm_fwd_lost, dm_bwd_lost; /* between the first and the last counters */
	/* §4.2 Location: the last filled one */
	uint64_t loc_n, loc_nat;
	uint16_t loc_src_port, loc_dst_port; /* as the reflector saw them */
	uint8_t loc_family, loc_have_src, loc_have_dst;
	uint8_t loc_src[16], loc_dst[16];
	/* §4.3 Timestamp Information: the last one */
	uint64_t tsi_n;
	uint8_t tsi[4]; /* Sync Src In, Timestamp In, Sync Src Out, Timestamp Out */
	/* §4.6 Access Report: echoed unchanged vs. changed/flagged */
	uint64_t access_echo, access_bad;
	/* RFC 9503: understood (U clear) vs. not */
	uint64_t dna_ok, dna_u, rp_ok, rp_u;
	/* §4.8 HMAC TLV of the reply */
	uint64_t hmac_ok, hmac_bad;
};

/* A reply remembered until the Follow-Up Telemetry of a later one names it. */
struct tw_stlv_fu {
	uint32_t refl_seq;
	uint8_t valid, used, ptp; /* used: its follow-up came */
	uint64_t t3;    /* in-packet T3, wire format */
	int64_t rtt_ns; /* its RTT with that T3 */
};

struct tw_stlv_rx {
	struct tw_stlv_res res;
	struct tw_stlv_fu ring[TW_STLV_FU_RING];
};

void tw_stlv_rx_init(struct tw_stlv_rx *rx);
void tw_stlv_reply(struct tw_stlv_rx *rx, const struct tw_stlv_ctx *ctx,
                   const struct tw_stlv_reply_in *in);

/* Names for reports: TLV kind ("cos", ...) and Timestamp Information
 * codes (IANA "STAMP Synchronization Source" / "Timestamping Method"). */
const char *tw_stlv_kind_name(unsigned kind);
const char *tw_stlv_sync_name(uint8_t v);
const char *tw_stlv_tsmethod_name(uint8_t v);

#endif
