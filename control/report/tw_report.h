/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_report: measurement output for twinhopd and the twinhop CLI
 * (docs/output.md; JSON schema docs/schema/report.schema.json).
 *
 * One report object, one output driver chosen at creation (style anchor 15:
 * a function-pointer table per format, as bgpctl's struct output):
 *
 *   TEXT         human summary, per-interval progress lines, auto-scaled units
 *   JSON         one document {"start", "intervals": [...], "end"}, streamed
 *   CSV          raw per-packet records (header + one row per packet)
 *   OPENMETRICS  text exposition of the end summary, ending with "# EOF"
 *   HTML         one <section> per session with tables and inline SVG
 *                charts (tw_html.h), written at the end; the caller wraps
 *                the sections in tw_html_begin() / tw_html_end()
 *
 * Call order: tw_report_start(), then any mix of tw_report_interval(),
 * tw_report_packet() and tw_report_event(), then tw_report_end().  Each
 * driver ignores the calls it has no use for (CSV ignores intervals, TEXT
 * ignores packets, ...).  Out-of-order calls return TW_E_ARG; a failed write
 * returns TW_E_SYS and is sticky.
 *
 * Times.  Every time value is int64 nanoseconds.  Interval bounds and event
 * times are offsets from the start of the test (tw_report_params.start_ns).
 * Per-packet timestamps (struct tw_report_pkt) are ns since 1970 (convert
 * wire NTP values with tw_stats_ntp_to_ns()).
 *
 * The /metrics endpoint of the daemon uses the tw_report_om_*() functions
 * directly: one call per metric group over all sessions (an OpenMetrics
 * family must be contiguous), then tw_report_om_eof().
 *
 * The JSON writer (rep_json_*) is public too: streaming, allocation-free,
 * into a caller buffer or a FILE *.
 */
#ifndef TW_REPORT_H
#define TW_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tw_err.h"
#include "tw_stats.h"
#include "tw_stlv.h"

/* Bumped when a JSON key is removed, renamed or changes meaning or unit;
 * adding keys does not bump it (consumers must ignore unknown keys). */
#define TW_REPORT_SCHEMA_VERSION 1

/* ======================================================================== */
/* JSON writer                                                              */
/* ======================================================================== */

#define REP_JSON_DEPTH_MAX 32

#define REP_JSON_F_PRETTY 0x1u /* newline + tab indentation */

/* Fields are private; the struct is public only so it can live on the stack. */
struct rep_json {
	char *buf; /* buffer sink, or NULL */
	size_t cap, len;
	FILE *f; /* FILE sink, or NULL */
	unsigned flags;
	unsigned depth;
	bool done;                          /* the top-level value is complete */
	bool first[REP_JSON_DEPTH_MAX + 1]; /* no member written yet at this depth */
	char kind[REP_JSON_DEPTH_MAX + 1];  /* '{' or '[' */
	enum tw_err err;                    /* sticky */
};

/* Into buf[cap]: the output is always NUL-terminated (cap >= 1); overflow
 * gives TW_E_NOSPACE and keeps counting the length that would be needed. */
void rep_json_init_buf(struct rep_json *w, char *buf, size_t cap, unsigned flags);
void rep_json_init_file(struct rep_json *w, FILE *f, unsigned flags);

/* key: the member name inside an object (required there), NULL inside an
 * array or for the top-level value.  Every call returns the sticky error:
 * TW_E_ARG for a nesting mistake (missing/extra key, wrong close, depth,
 * a second top-level value), TW_E_NOSPACE, TW_E_SYS. */
enum tw_err rep_json_obj_begin(struct rep_json *w, const char *key);
enum tw_err rep_json_obj_end(struct rep_json *w);
enum tw_err rep_json_arr_begin(struct rep_json *w, const char *key);
enum tw_err rep_json_arr_end(struct rep_json *w);
/* s is UTF-8 (NULL writes null); invalid UTF-8 octets become U+FFFD. */
enum tw_err rep_json_str(struct rep_json *w, const char *key, const char *s);
enum tw_err rep_json_i64(struct rep_json *w, const char *key, int64_t v);
enum tw_err rep_json_u64(struct rep_json *w, const char *key, uint64_t v);
/* Fixed-point with `decimals` (0..17) digits, trailing zeros trimmed, never
 * an exponent; NaN and +-Inf are written as null. */
enum tw_err rep_json_double(struct rep_json *w, const char *key, double v, unsigned decimals);
enum tw_err rep_json_bool(struct rep_json *w, const char *key, bool v);
enum tw_err rep_json_null(struct rep_json *w, const char *key);
/* TW_OK only when exactly one complete top-level value was written. */
enum tw_err rep_json_finish(struct rep_json *w);
/* Octets written (buffer sink: needed, even after TW_E_NOSPACE). */
size_t rep_json_len(const struct rep_json *w);

/* ======================================================================== */
/* Report                                                                   */
/* ======================================================================== */

enum tw_report_format {
	TW_REPORT_TEXT,
	TW_REPORT_JSON,
	TW_REPORT_CSV,
	TW_REPORT_OPENMETRICS,
	TW_REPORT_HTML,
};

#define TW_REPORT_F_COMPACT 0x1u /* JSON: one line instead of indented */
#define TW_REPORT_F_ASCII   0x2u /* TEXT: "us" instead of "µs" */
#define TW_REPORT_F_NOINTV  0x4u /* TEXT: no per-interval lines */

/* Session parameters for the "start" section.  Strings may be NULL
 * (omitted / "-"); numbers 0 mean unknown unless noted. */
struct tw_report_params {
	const char *session;        /* session name or SID (hex) */
	const char *peer;           /* "address:port" of the reflector / sender */
	const char *local;          /* local "address:port" */
	const char *mode;           /* "unauthenticated", "authenticated", "encrypted", ... */
	uint32_t padding;           /* octets of padding in the test packet */
	uint8_t dscp;               /* 0..63 */
	uint64_t count;             /* packets to send */
	int64_t tx_interval_ns;     /* spacing between test packets */
	int64_t duration_ns;        /* planned length; 0 = count * tx_interval_ns */
	int64_t report_interval_ns; /* spacing of tw_report_interval() calls */
	int64_t loss_timeout_ns;    /* tw_stats_config.loss_timeout_ns */
	int64_t start_ns;           /* wall clock at start, ns since 1970; 0 = now */
};

/* One packet for CSV.  From a reply: tw_report_pkt_from_reply(). */
struct tw_report_pkt {
	uint32_t snd_seq, refl_seq;
	int64_t t1, t2, t3, t4; /* ns since 1970 (T2, T3: reflector clock) */
	int64_t e1, e2, e3, e4; /* error estimates, ns */
	bool snd_sync, refl_sync;
	uint8_t snd_ttl; /* Sender TTL field (TTL at the reflector) */
	uint8_t rx_ttl;  /* TTL of the reply here; 0 = unknown */
	uint32_t flags;  /* TW_STATS_F_* returned by tw_stats_reply() */
	bool lost;       /* no reply in time: only snd_seq and t1 are valid */
};

struct tw_report;

/* NULL on allocation failure or bad format.  out stays the caller's. */
struct tw_report *tw_report_new(enum tw_report_format fmt, FILE *out, unsigned flags);
void tw_report_free(struct tw_report *r);
enum tw_report_format tw_report_format(const struct tw_report *r);
/* "text", "json", "csv", "openmetrics", "html" <-> enum; parse: -1 if unknown. */
const char *tw_report_format_name(enum tw_report_format fmt);
int tw_report_format_parse(const char *name);

enum tw_err tw_report_start(struct tw_report *r, const struct tw_report_params *p);
/* One interval [t_start_ns, t_end_ns) (offsets from the start) with its
 * summary, e.g. from tw_stats_interval_take(). */
enum tw_err tw_report_interval(struct tw_report *r, int64_t t_start_ns, int64_t t_end_ns,
                               const struct tw_stats_summary *sum);
enum tw_err tw_report_packet(struct tw_report *r, const struct tw_report_pkt *pkt);
/* A threshold event (tw_stats_event_pop()) at offset t_ns; kept for "end". */
enum tw_err tw_report_event(struct tw_report *r, int64_t t_ns, const struct tw_stats_event *ev);
/* Session totals over [0, t_end_ns).  acc (may be NULL) supplies the
 * histograms for OPENMETRICS and HTML; pass &st->total. */
enum tw_err tw_report_end(struct tw_report *r, int64_t t_end_ns, const struct tw_stats_summary *sum,
                          const struct tw_stats_acc *acc);

/* How the measurement itself went, known at its end (docs/output.md "The
 * run"): the rate it reached against the one asked for, and the packets
 * that the sending host itself dropped.  Set before tw_report_end(). */
#define TW_REPORT_DROP_REASONS 8
struct tw_report_run {
	double rate_requested_pps; /* 0: unknown */
	double rate_achieved_pps;  /* first to last measured send; 0: unknown */
	bool rate_judged;          /* enough packets and time to call a shortfall */
	bool host_known;           /* host counters read before and after */
	/* UDP socket-buffer drops on this host during the run (/proc/net/snmp
	 * and snmp6 Udp RcvbufErrors, SndbufErrors; every socket of the host) */
	uint64_t host_rcvbuf_errors, host_sndbuf_errors;
	uint64_t engine_drops; /* packets the engine's host side dropped (fastpath: the
	                        * local fast path's drop counters, after minus before) */
	/* engine_drops by reason (e.g. "DROP_PORT_MISSED"; static strings) */
	unsigned n_engine_drop_by;
	struct tw_report_drop {
		const char *name;
		uint64_t n;
	} engine_drop_by[TW_REPORT_DROP_REASONS];
	/* The client on a CPU where the local fast path's lcores poll
	 * (fastpath engine): -1 unknown, 0 no, 1 yes; cpus_shared: "0,1" */
	int cpu_shared;
	char cpus_shared[64];
	const char *advice; /* one sentence, or NULL */
};
/* A shortfall is a rate more than this far below the requested one. */
#define TW_REPORT_RATE_SHORTFALL 0.05
void tw_report_set_run(struct tw_report *r, const struct tw_report_run *run);

/* What a STAMP session's TLVs (RFC 8972, RFC 9503) brought back
 * (docs/output.md "STAMP TLVs"): text, JSON end.stamp_tlvs, OpenMetrics
 * twinhop_stamp_* families. */
struct tw_report_stamp {
	struct tw_stlv_res res; /* lib/tw_stlv's per-session results */
	char sent[160];         /* the TLVs sent, in order: "cos,dm,hmac" */
	uint8_t dscp;           /* DSCP of our packets */
	int8_t ecn;             /* ECN of our packets; -1 = not set (0) */
	char local[80];         /* address:port we sent from */
};
void tw_report_set_stamp(struct tw_report *r, const struct tw_report_stamp *st);
/* Was TLV kind `name` ("cos", "dm", ...) among st->sent? */
bool tw_report_stamp_sent(const struct tw_report_stamp *st, const char *name);

void tw_report_pkt_from_reply(struct tw_report_pkt *pkt, const struct tw_stats_reply *rp,
                              uint32_t flags);

/* Format a duration with an auto-scaled unit (ns, µs, ms, s; 3 significant
 * digits): "1.23 ms".  Returns buf. */
const char *tw_report_fmt_ns(char *buf, size_t cap, int64_t ns, bool ascii);

/* ======================================================================== */
/* OpenMetrics (text exposition format 1.0.0)                               */
/* ======================================================================== */

struct tw_report_label {
	const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" */
	const char *value; /* any UTF-8; escaped on output */
};

/* One session for the metric families.  labels typically
 * {session, peer, mode}.  acc: histograms and counters (NULL: &st->total);
 * st (may be NULL): RFC 3550 jitter, which is session state. */
struct tw_report_om_session {
	const struct tw_report_label *labels;
	size_t nlabels;
	const struct tw_stats *st;
	const struct tw_stats_acc *acc;
};

/* All twinhop_* session families (docs/output.md) for n sessions, each
 * family contiguous.  TW_E_ARG on an invalid label name. */
enum tw_err tw_report_om_sessions(FILE *f, const struct tw_report_om_session *s, size_t n);

/* The twinhop_stamp_* families of the sessions that sent STAMP TLVs. */
struct tw_report_om_stamp {
	const struct tw_report_label *labels;
	size_t nlabels;
	const struct tw_report_stamp *st;
};
enum tw_err tw_report_om_stamp(FILE *f, const struct tw_report_om_stamp *s, size_t n);

/* Named counters, e.g. fast-path drop counters.  With label_name != NULL:
 * one counter family `family` with one sample per name
 *     family_total{labels..., label_name="names[i]"} values[i]
 * With label_name == NULL: one family per name, `family_<name>` (name
 * lower-cased, characters outside [a-z0-9_] become '_').  help may be NULL. */
enum tw_err tw_report_om_counters(FILE *f, const char *family, const char *help,
                                  const char *label_name, const char *const *names,
                                  const uint64_t *values, size_t n,
                                  const struct tw_report_label *labels, size_t nlabels);
/* The mandatory last line. */
enum tw_err tw_report_om_eof(FILE *f);

#endif
