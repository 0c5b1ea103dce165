/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_profile: declarative traffic profiles for `twinhop bench` (docs/profiles.md).
 *
 * A profile is a small line-oriented text file (IMIX, frame-size sweeps, rate
 * steps, DSCP mixes, schedules).  This module parses and validates it into an
 * opaque handle, prints it back in one canonical form (print -> parse -> print
 * is the identity), and expands it into steps: one step is one Session-Sender
 * run, described with the units of struct tw_ipc_sender_add (lib/tw_ipc.h) so
 * the CLI can fill SENDER_ADD field by field.
 *
 * Sizes are Ethernet frame sizes (14 octets header + payload + 4 octets FCS,
 * untagged, preamble and IFG excluded: the RFC 2544 convention), converted to
 * the UDP payload and the TWAMP Padding Length of every packet layout
 * (lib/tw_pkt.h, spec §4.5).
 *
 * Per-packet sizes and DSCPs of a mix come from a deterministic picker
 * (smooth weighted round-robin, one period precomputed), so two runs of one
 * profile send the same sequence and the proportions over every whole period
 * equal the weights exactly.
 *
 * No I/O beyond tw_profile_parse_file(); no global state; not thread-safe per
 * handle, but handles are independent.
 */
#ifndef TW_PROFILE_H
#define TW_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tw_err.h"
#include "tw_ipc.h"
#include "tw_pkt.h"

/* Limits (validated by the parser). */
#define TW_PROFILE_FRAME_MIN     64u      /* octets, Ethernet minimum incl. FCS */
#define TW_PROFILE_FRAME_MAX     9216u    /* octets, common jumbo maximum incl. FCS */
#define TW_PROFILE_MIX_MAX       16u      /* entries in an imix / dscp-mix */
#define TW_PROFILE_WEIGHT_MAX    1000u    /* one weight */
#define TW_PROFILE_PERIOD_MAX    4096u    /* sum of the weights of one mix after gcd reduction */
#define TW_PROFILE_STEPS_MAX     256u     /* steps per profile */
#define TW_PROFILE_RATE_MAX_PPS  1000000u /* SENDER_ADD interval_ns >= 1000 (tw_ipc.h) */
#define TW_PROFILE_NAME_MAX      64u      /* profile name, NUL included */
#define TW_PROFILE_DESCR_MAX     256u     /* description, NUL included */
#define TW_PROFILE_STEP_NAME_MAX 80u      /* step name, NUL included */

/* Framing overhead (octets) used by every size conversion; see docs/profiles.md. */
#define TW_PROFILE_ETH_HDR  14u /* destination, source MAC, EtherType (untagged) */
#define TW_PROFILE_ETH_FCS  4u  /* frame check sequence, counted in the frame size */
#define TW_PROFILE_ETH_L1   20u /* preamble 7 + SFD 1 + inter-frame gap 12, not in the frame size */
#define TW_PROFILE_IPV4_HDR 20u /* no options */
#define TW_PROFILE_IPV6_HDR 40u /* no extension headers */
#define TW_PROFILE_UDP_HDR  8u

/* Parse error: "<file>:<line>:<col>: <message>" in text, the parts apart. */
#define TW_PROFILE_ERR_MAX 320u
struct tw_profile_error {
	char text[TW_PROFILE_ERR_MAX]; /* full formatted message, as printed by the tools */
	unsigned line;                 /* 1-based */
	unsigned col;                  /* 1-based, octets from the start of the line */
};

/* Test mode of a profile (`mode` directive). */
enum tw_profile_mode {
	TW_PROFILE_MODE_OPEN,       /* TWAMP mode 1 */
	TW_PROFILE_MODE_AUTH,       /* TWAMP mode 2 */
	TW_PROFILE_MODE_ENC,        /* TWAMP mode 4 */
	TW_PROFILE_MODE_MIXED,      /* TWAMP mode 8 (RFC 5618): open test packets */
	TW_PROFILE_MODE_LIGHT,      /* TWAMP Light, unauthenticated */
	TW_PROFILE_MODE_STAMP,      /* STAMP unauthenticated */
	TW_PROFILE_MODE_STAMP_AUTH, /* STAMP HMAC-SHA256 */
	TW_PROFILE_MODE__COUNT
};

/* One frame size of a step's size distribution. */
struct tw_profile_size {
	uint32_t frame_len; /* Ethernet frame octets incl. FCS, excl. preamble/IFG */
	uint32_t udp_len;   /* UDP payload octets for the profile's IP version */
	uint32_t
	    padding_len; /* TWAMP Padding Length for the step's layout (udp_len - sender base) */
	uint32_t weight; /* relative weight (1 for a single size) */
	/* Padding Length for every layout at this frame size and IP version;
	 * -1 where the layout's sender base does not fit. */
	int32_t pad_by_layout[TW_PKT_LAYOUT__COUNT];
};

/* One DSCP of a step's DSCP distribution. */
struct tw_profile_dscp {
	uint8_t dscp; /* 0..63 */
	uint8_t pad0[3];
	uint32_t weight; /* relative weight (1 for a single DSCP) */
};

/*
 * One expanded step: one Session-Sender run.  Pointers point into the
 * profile and stay valid until tw_profile_free().
 */
struct tw_profile_step {
	unsigned index;                      /* 0-based */
	char name[TW_PROFILE_STEP_NAME_MAX]; /* "size=64", "rate=10kpps", or the profile name */
	uint64_t duration_ns;                /* measured sending time; 0 = bounded by count only */
	uint64_t warmup_ns;   /* sent first at the same rate, excluded from results */
	double rate_pps;      /* packets per second (bit rates already converted) */
	uint64_t interval_ns; /* SENDER_ADD.interval_ns: round(1e9 / rate_pps), >= 1000 */
	uint64_t count;       /* SENDER_ADD.count: packets after warm-up; 0 = by duration */
	uint64_t seed;        /* SENDER_ADD.seed (Poisson); 0 = fast path picks */
	enum tw_profile_mode mode;
	const char *mode_name;     /* as written in profiles: "open", "stamp-auth", ... */
	uint8_t sched;             /* enum tw_ipc_sched */
	uint8_t proto;             /* enum tw_ipc_proto */
	uint8_t sec;               /* enum tw_ipc_sec */
	uint8_t ipver;             /* 4 or 6 */
	enum tw_pkt_layout layout; /* sender layout of the mode (padding_len is for it) */
	size_t n_sizes;
	const struct tw_profile_size *sizes; /* n_sizes >= 1 */
	size_t n_dscps;
	const struct tw_profile_dscp *dscps; /* n_dscps >= 1; dscps[0] when a single DSCP */
	double mean_frame_len;               /* weighted mean frame size, octets */
	double l1_bps; /* line rate incl. preamble/SFD/IFG: rate * (mean frame + 20) * 8 */
	/* Picker tables, one period each (see tw_profile_pick()). */
	size_t size_period;
	const uint8_t *size_seq; /* indices into sizes[] */
	size_t dscp_period;
	const uint8_t *dscp_seq; /* indices into dscps[] */
};

/* What the picker yields for one packet. */
struct tw_profile_pick {
	uint32_t frame_len;
	uint32_t udp_len;
	uint32_t padding_len; /* for the step's layout */
	uint8_t dscp;
	uint8_t size_idx; /* index into step->sizes */
	uint8_t dscp_idx; /* index into step->dscps */
	uint8_t pad0;
};

struct tw_profile;

/* Parse text (len octets, need not be NUL-terminated); `file` names it in
 * errors.  TW_OK and *out, or TW_E_FIELD (bad input; err filled) / TW_E_ARG /
 * TW_E_SYS (allocation).  err may be NULL. */
enum tw_err tw_profile_parse_string(const char *file, const char *text, size_t len,
                                    struct tw_profile **out, struct tw_profile_error *err);
/* Read and parse a file; TW_E_SYS (errno kept, err filled) if it cannot be read. */
enum tw_err tw_profile_parse_file(const char *path, struct tw_profile **out,
                                  struct tw_profile_error *err);
void tw_profile_free(struct tw_profile *p);

const char *tw_profile_name(const struct tw_profile *p);
const char *tw_profile_description(const struct tw_profile *p); /* "" when absent */
size_t tw_profile_step_count(const struct tw_profile *p);
/* Step i (0-based) into *s; TW_E_ARG if i is out of range. */
enum tw_err tw_profile_step(const struct tw_profile *p, size_t i, struct tw_profile_step *s);

/* Canonical text, snprintf-style: returns the length it needs (NUL excluded)
 * and writes at most cap octets, NUL-terminated when cap > 0. */
size_t tw_profile_print(const struct tw_profile *p, char *buf, size_t cap);
/* Canonical text to a stream; 0 or -1 on a write error. */
int tw_profile_fprint(const struct tw_profile *p, FILE *f);

/* Size and DSCP of packet i (0-based sequence number) of a step. */
void tw_profile_pick(const struct tw_profile_step *s, uint64_t i, struct tw_profile_pick *out);
/* Padding Lengths of one size period (pick(0..period-1)) into out[]; returns
 * the period, writing min(period, cap) entries: the table a sender indexes
 * with (seq % period). */
size_t tw_profile_pad_table(const struct tw_profile_step *s, uint32_t *out, size_t cap);

/* Frame size -> UDP payload and Padding Length for a layout and IP version
 * (4 or 6).  TW_E_LENGTH if the layout's sender base does not fit, TW_E_ARG
 * for a bad IP version or layout. */
enum tw_err tw_profile_frame_to_padding(uint32_t frame_len, unsigned ipver, enum tw_pkt_layout l,
                                        uint32_t *udp_len, uint32_t *padding_len);
/* Smallest frame that carries layout l over IP version ipver (0 if invalid). */
uint32_t tw_profile_min_frame(unsigned ipver, enum tw_pkt_layout l);

/* DSCP "EF", "AF41", "CS3", "BE" or "0".."63" (case-insensitive names). */
enum tw_err tw_profile_dscp_parse(const char *s, uint8_t *dscp);
/* Canonical DSCP text: its name where it has one ("BE" for 0), else decimal. */
const char *tw_profile_dscp_str(uint8_t dscp, char buf[8]);

/* Mode name <-> enum; tw_profile_mode_str() returns "?" for a bad value. */
const char *tw_profile_mode_str(enum tw_profile_mode m);
enum tw_pkt_layout tw_profile_mode_layout(enum tw_profile_mode m);

#endif
