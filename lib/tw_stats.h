/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tw_stats: per-session TWAMP measurement accumulator (wire reference §7).
 *
 * Inputs.  Every timestamp is int64 nanoseconds on the clock that took it
 * (convert wire values with tw_ntp_to_unix_ns() and tw_errest_decode() from
 * tw_time.h).  T1/T4 come from the sender clock, T2/T3 from the reflector
 * clock.
 *
 * Feeding.  tw_stats_sent() for every test packet in sequence order (send
 * times must not decrease), tw_stats_reply() for every reflected packet,
 * tw_stats_expire(now) periodically (e.g. each interval tick) to declare loss:
 * a packet sent at T1 is lost when no reply arrived by T1 + loss_timeout
 * (RFC 7680 §2.4: a packet arriving after the threshold counts as lost; such
 * replies are counted as `late` and their delays are not used).
 * tw_stats_flush() settles everything at session end.
 *
 * Sequence window.  Sender and reflector sequence numbers are 32-bit serial
 * numbers (RFC 1982-style: a value is taken within +-2^31 of the highest seen)
 * extended to 64 bits internally, so wrap past 0xFFFFFFFF is seamless.
 * Per-seq state (sent, replied, send time; reflector seq seen) is kept in
 * sliding windows of TW_STATS_SEQ_WINDOW entries.  Beyond the window:
 *  - sending more than the window ahead of the oldest unsettled packet
 *    settles it early (counted in `forced`; lost if no reply yet);
 *  - a reply whose sender seq is older than the window is ignored
 *    (`too_old`);
 *  - a reflector seq older than the window cannot be checked for
 *    duplication and is taken as new (`refl_too_old`).
 *
 * Reflector restart.  A Session-Reflector numbers its replies from 0 per
 * session (RFC 5357 §4.2.1); one that restarts (a restarted fast path that
 * twinhopd programs again, a peer's daemon restarted) numbers from 0 again.
 * A reply to the newest test packet so far whose reflector seq lies
 * TW_STATS_REFL_RESTART_GAP or more below the highest seen is taken as
 * such a restart: later reflector seqs continue the numbering (so the
 * replies count as received, not as backward duplicates, and neither the
 * reordering nor the forward/backward loss split sees a jump back).
 *
 * Memory.  struct tw_stats has a fixed size (check sizeof: about 1.4 MiB with
 * the defaults) and holds two accumulators: session totals and the current
 * interval; every sample goes into both.  No function allocates.
 */
#ifndef TW_STATS_H
#define TW_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "tw_err.h"
#include "tw_hist.h"

#ifndef TW_STATS_SEQ_WINDOW
#define TW_STATS_SEQ_WINDOW 131072 /* power of two; >= rate x loss timeout (100 kpps x 1 s) */
#endif
/* How far back (reflector seqs) a reply to the newest test packet must
 * point to be a reflector restart rather than reordering both ways. */
#define TW_STATS_REFL_RESTART_GAP 16
#ifndef TW_STATS_HIST_SIG_BITS
#define TW_STATS_HIST_SIG_BITS 6 /* bucket width <= 1/64 of value */
#endif
#ifndef TW_STATS_HIST_MAX_BITS
#define TW_STATS_HIST_MAX_BITS 36 /* 68.7 s; larger values clamp */
#endif
#define TW_STATS_HIST_BUCKETS                                                                      \
	((TW_STATS_HIST_MAX_BITS - TW_STATS_HIST_SIG_BITS + 1) << TW_STATS_HIST_SIG_BITS)
#define TW_STATS_HISTORY    64 /* replies remembered for reordering extent and IPDV */
#define TW_STATS_EVENT_CAP  16
#define TW_STATS_INIT_TTL   255

/* ---- input ---- */

struct tw_stats_reply {
	uint32_t snd_seq;         /* sender Sequence Number copied back */
	uint32_t refl_seq;        /* reflector Sequence Number */
	int64_t t1, t2, t3, t4;   /* send, reflector receive, reflector send, receive */
	int64_t e1, e2, e3, e4;   /* error estimate of each timestamp, ns (>= 0) */
	bool snd_sync, refl_sync; /* S bits of the sender and reflector clocks */
	uint8_t snd_ttl;          /* Sender TTL field: TTL of the test packet at the reflector */
	uint8_t rx_ttl;           /* TTL of the reply as received here; 0 = unknown */
	uint8_t init_ttl;         /* TTL both sides send with; 0 means 255 */
	/* RFC 7750 DSCP and ECN monitoring: IPv4 TOS / IPv6 Traffic Class
	 * octets (DSCP << 2 | ECN) of the test packet as sent (tos_tx), as the
	 * Session-Reflector received it (tos_fwd, its Sender DSCP and ECN
	 * field) and of the reply as received here (tos_bwd).  tos_known says
	 * which are valid (TW_STATS_TOS_*; 0, the zero-initialised value,
	 * means none: nothing is counted). */
	uint8_t tos_known;
	uint8_t tos_tx, tos_fwd, tos_bwd;
};
#define TW_STATS_TOS_FWD 0x1u /* tos_tx and tos_fwd valid */
#define TW_STATS_TOS_BWD 0x2u /* tos_tx and tos_bwd valid */

/* ---- per-sample result ---- */

enum tw_stats_flag {
	TW_STATS_F_UNSYNC = 1u << 0,      /* one-way delays computed with an unsynced clock */
	TW_STATS_F_DUP_FWD = 1u << 1,     /* sender seq reflected again (new reflector seq) */
	TW_STATS_F_DUP_BWD = 1u << 2,     /* reflector seq received again */
	TW_STATS_F_REORDER_FWD = 1u << 3, /* RFC 4737 reordered on the forward path */
	TW_STATS_F_REORDER_BWD = 1u << 4, /* RFC 4737 reordered on the backward path */
	TW_STATS_F_LATE = 1u << 5,        /* arrived after the loss timeout: counted lost */
	TW_STATS_F_UNKNOWN = 1u << 6,     /* sender seq never sent */
	TW_STATS_F_TOO_OLD = 1u << 7,     /* sender seq outside the window */
	TW_STATS_F_IPDV = 1u << 8,        /* ipdv_* valid: seq-1 was received */
	TW_STATS_F_DELAY = 1u << 9,       /* rtt/fwd/bwd/dwell valid (on-time, not dup) */
};

struct tw_stats_sample {
	uint32_t flags;
	int64_t rtt, fwd, bwd, dwell;         /* ns */
	int64_t rtt_err, fwd_err, bwd_err;    /* ns, sum of the timestamps' errors */
	int64_t ipdv_rtt, ipdv_fwd, ipdv_bwd; /* D(i) - D(i-1), valid with F_IPDV */
};

/* ---- thresholds ---- */

enum tw_stats_thr_kind {
	TW_STATS_THR_RTT,  /* per sample, ns */
	TW_STATS_THR_FWD,  /* per sample forward one-way delay, ns; synced samples only */
	TW_STATS_THR_BWD,  /* per sample backward one-way delay, ns; synced samples only */
	TW_STATS_THR_IPDV, /* per sample |IPDV of RTT|, ns */
	TW_STATS_THR_LOSS, /* interval round-trip loss ratio, ppm, at tw_stats_expire() */
	TW_STATS_THR__COUNT
};

/* Raise when value >= raise, clear when value <= clear (clear <= raise gives
 * the hysteresis band).  raise <= 0 disables. */
struct tw_stats_thr {
	int64_t raise, clear;
};

struct tw_stats_event {
	enum tw_stats_thr_kind kind;
	bool raised; /* false: cleared */
	int64_t value;
	uint32_t seq; /* sender seq of the triggering sample (0 for loss) */
};

struct tw_stats_config {
	int64_t loss_timeout_ns; /* > 0 */
	uint32_t refl_seq_first; /* reflector's first Sequence Number; 0 per wire ref §4.7 */
	struct tw_stats_thr thr[TW_STATS_THR__COUNT];
};

/* ---- accumulator ---- */

struct tw_stats_mm {
	uint64_t n;
	int64_t min, max; /* valid when n > 0 */
	int64_t sum;
};

/* RFC 7750 DSCP and ECN per direction (tw_stats_reply.tos_*): replies that
 * carried the information, DSCP remarked on the way, ECT -> CE congestion
 * marks (RFC 3168 §5), other ECN rewrites; the last octets seen. */
struct tw_stats_tos {
	uint64_t fwd_n, fwd_dscp_changed, fwd_ce, fwd_ecn_other;
	uint64_t bwd_n, bwd_dscp_changed, bwd_ce;
	uint8_t tx, fwd_last, bwd_last; /* TOS octets: DSCP << 2 | ECN */
};

struct tw_stats_acc {
	struct tw_stats_tos tos; /* RFC 7750; zeroed by tw_stats_acc_reset */
	uint64_t sent;     /* tw_stats_sent() calls accepted */
	uint64_t settled;  /* sent packets whose loss timeout has passed */
	uint64_t received; /* distinct sender seqs answered in time */
	uint64_t lost;     /* settled without reply in time (round trip) */
	int64_t lost_fwd;  /* forward share of `lost` (estimate, see tw_stats_expire) */
	uint64_t late, forced, unknown, too_old, refl_too_old;
	uint64_t dup_fwd, dup_bwd;
	uint64_t evaluated; /* non-duplicate replies evaluated for reordering */
	uint64_t reord_fwd, reord_bwd;
	struct tw_stats_mm ext_fwd, ext_bwd; /* RFC 4737 §4.2 reordering extent */
	uint64_t unsync;                     /* samples whose one-way delays are unsynchronised */
	struct tw_stats_mm dwell, rtt_err, fwd_err, bwd_err;
	struct tw_stats_mm ipdv_fwd, ipdv_bwd;
	struct tw_stats_mm hops_fwd, hops_bwd;
	struct tw_hist rtt;
	struct tw_shist fwd, bwd, ipdv; /* ipdv: of RTT */
	uint64_t counts[7 * TW_STATS_HIST_BUCKETS];
};

/* ---- session ---- */

struct tw_stats_hent { /* one remembered reply */
	int64_t s, r;  /* extended sender / reflector seq */
	uint64_t arr;  /* arrival index at the sender */
	bool fwd_reord;
};

struct tw_stats_dent { /* delays of one sender seq, for IPDV */
	int64_t s;     /* tag; INT64_MIN empty */
	int64_t rtt, fwd, bwd;
};

struct tw_stats {
	struct tw_stats_config cfg;
	/* sender seq window: bit set = sent / replied; send time per seq */
	bool any_sent;
	int64_t sent_high;   /* highest sender seq sent (extended) */
	int64_t settle_next; /* every seq below is settled */
	uint64_t pending_rx; /* replied but not yet settled */
	uint64_t sent_bits[TW_STATS_SEQ_WINDOW / 64];
	uint64_t rx_bits[TW_STATS_SEQ_WINDOW / 64];
	int64_t send_t1[TW_STATS_SEQ_WINDOW];
	/* reflector seq window */
	bool any_refl;
	int64_t refl_high;
	int64_t refl_off; /* added to the reflector's seqs since its restarts */
	uint64_t refl_bits[TW_STATS_SEQ_WINDOW / 64];
	/* reordering */
	int64_t fwd_max_s; /* highest sender seq among evaluated replies */
	uint64_t arrivals; /* evaluated replies so far (arrival index) */
	struct tw_stats_hent hist[TW_STATS_HISTORY];
	/* IPDV / jitter (RFC 3550 §6.4.1, arrival order) */
	struct tw_stats_dent dly[TW_STATS_HISTORY];
	bool have_prev;
	int64_t prev_rtt, prev_fwd, prev_bwd;
	double jit_rtt, jit_fwd, jit_bwd;
	/* loss split bookkeeping */
	uint64_t dup_fwd_total;
	int64_t lost_fwd_est;
	/* thresholds */
	bool thr_up[TW_STATS_THR__COUNT];
	struct tw_stats_event ev[TW_STATS_EVENT_CAP];
	uint32_t ev_head, ev_len;
	uint64_t ev_dropped;
	/* accumulators */
	struct tw_stats_acc total, interval;
};

/* ---- summary ---- */

struct tw_stats_dist {
	uint64_t n;
	int64_t min, max, mean;
	int64_t p50, p90, p99, p999;       /* within 2^-(SIG_BITS+1) of exact */
	int64_t pdv_p50, pdv_p99, pdv_max; /* RFC 5481 PDV: percentile - min */
};

struct tw_stats_mmsum {
	uint64_t n;
	int64_t min, max, mean; /* 0 when n == 0 */
};

struct tw_stats_summary {
	uint64_t sent, settled, received;
	uint64_t lost, lost_fwd, lost_bwd; /* RFC 7680; split per wire ref §7 */
	uint32_t loss_ppm;                 /* lost / settled */
	uint64_t late, forced, unknown, too_old, refl_too_old;
	uint64_t dup_fwd, dup_bwd;
	uint64_t reord_fwd, reord_bwd;         /* RFC 4737 */
	uint32_t reord_fwd_ppm, reord_bwd_ppm; /* / non-duplicate replies */
	struct tw_stats_mmsum ext_fwd, ext_bwd;
	struct tw_stats_dist rtt, fwd, bwd; /* RFC 2681, RFC 7679 */
	struct tw_stats_dist ipdv;          /* IPDV of RTT, RFC 3393 / 5481 */
	struct tw_stats_mmsum ipdv_fwd, ipdv_bwd;
	struct tw_stats_mmsum dwell; /* T3 - T2 */
	struct tw_stats_mmsum rtt_err, fwd_err, bwd_err;
	int64_t jitter_rtt, jitter_fwd, jitter_bwd; /* RFC 3550 §6.4.1, session-wide */
	bool unsync; /* some one-way delay was from an unsynced clock */
	uint64_t unsync_n;
	struct tw_stats_mmsum hops_fwd, hops_bwd; /* initial TTL - received TTL */
	struct tw_stats_tos tos;                  /* RFC 7750 DSCP and ECN per direction */
};

enum tw_err tw_stats_init(struct tw_stats *st, const struct tw_stats_config *cfg);
enum tw_err tw_stats_sent(struct tw_stats *st, uint32_t seq, int64_t t1);
uint32_t tw_stats_reply(struct tw_stats *st, const struct tw_stats_reply *rp,
                        struct tw_stats_sample *out);
void tw_stats_expire(struct tw_stats *st, int64_t now);
void tw_stats_flush(struct tw_stats *st);
bool tw_stats_event_pop(struct tw_stats *st, struct tw_stats_event *ev);

void tw_stats_summary_fill(const struct tw_stats *st, const struct tw_stats_acc *acc,
                           struct tw_stats_summary *out);
/* Summarise the interval into *sum and/or copy it into *copy (either may be
 * NULL), then reset the interval; session totals are untouched. */
void tw_stats_interval_take(struct tw_stats *st, struct tw_stats_summary *sum,
                            struct tw_stats_acc *copy);

void tw_stats_acc_reset(struct tw_stats_acc *a);
/* dst = src, re-pointing dst's histograms at its own storage. */
void tw_stats_acc_copy(struct tw_stats_acc *dst, const struct tw_stats_acc *src);
/* dst += src: counters add, min/max combine, histograms add.  Meaningful for
 * aggregating distinct sessions or lcores; jitter is session state and is not
 * part of an accumulator. */
void tw_stats_acc_merge(struct tw_stats_acc *dst, const struct tw_stats_acc *src);

#endif
