/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_engine: where the client's TWAMP-Test packets are sent from.
 *
 * One small interface, two back-ends:
 *   "socket"   kernel UDP sockets in this process (cli_engine_sock.c): a
 *              Session-Sender for every mode, good to ~10 kpps, no DPDK;
 *   "fastpath" the Session-Sender runs in twinhop-fp, programmed through
 *              twinhopd's admin socket (docs/admin-protocol.md), results
 *              streamed back (cli_engine_fp.c).
 * The caller adds sessions (the engine binds and reports the local port to
 * put in Request-TW-Session), sets each peer (Accept-Session.Port), then runs
 * them; per-packet results come back through callbacks and are fed to
 * lib/tw_stats by the caller.
 */
#ifndef CLI_ENGINE_H
#define CLI_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tw_pkt.h"
#include "tw_stats.h"
#include "tw_stlv.h"
#include "tw_time.h"

#define CLI_ENGINE_SESSIONS_MAX 64
#define CLI_ENGINE_TICK_NS      100000000 /* 100 ms: interval reports, control pumping */

struct cli_sess_cfg {
	struct sockaddr_storage local; /* port 0: ephemeral; filled in by add */
	socklen_t local_len;
	struct sockaddr_storage peer; /* reflector address and test port */
	socklen_t peer_len;
	enum tw_pkt_layout layout;
	enum tw_pkt_prot prot;    /* TWAMP modes 2/4, STAMP auth */
	uint8_t test_aes_key[16]; /* TWAMP modes 2/4 (wire ref §3.5) */
	uint8_t test_hmac_key[32];
	uint8_t stamp_key[64]; /* STAMP auth, out of band */
	size_t stamp_key_len;
	uint32_t padding;       /* octets after the sender base */
	uint16_t server_octets; /* RFC 6038: start of the padding */
	uint8_t dscp;
	uint8_t ecn;   /* RFC 3168 §5 codepoint sent, 0..3 */
	bool dscp_ecn; /* RFC 7750 negotiated: replies carry the Sender DSCP and ECN */
	bool ptp;      /* RFC 8186 negotiated: send T1 in the truncated PTP format */
	uint16_t ssid;        /* STAMP */
	/* STAMP TLVs (RFC 8972, RFC 9503) sent right after the sender base,
	 * in this order (socket engine; lib/tw_stlv builds them at add, for
	 * the session's family and mode); with them the padding is 0. */
	struct tw_stlv_spec tlv[TW_STLV_SPECS];
	unsigned ntlv;
	uint64_t count;       /* 0: until stopped */
	/* Sending ends this long after the session's first packet even if
	 * `count` was not reached (a bench step keeps its duration when the
	 * engine cannot reach the rate); 0 = count only. */
	int64_t duration_ns;
	uint64_t interval_ns; /* mean interval */
	bool poisson;
	int64_t loss_timeout_ns;
	int64_t start_offset_ns; /* first packet this long after run starts (--stagger) */
	/* TWAMP-Control sessions (fastpath engine, sender-add "proto":"twamp"):
	 * the negotiated base mode (TW_CTL_MODE_*; 0 for Light/STAMP) and SID. */
	uint32_t twamp_mode;
	uint8_t sid[16];
	/* RFC 9533 LAG micro-session (socket engine): every micro-session of
	 * one Request-TW-Micro-Sessions shares the UDP socket of the first
	 * (micro_lead, an earlier index or this one); its packets carry
	 * micro_sid and micro_rid (0 = the reflector's ID is not known), and
	 * replies are given to it by their Sender Micro-session ID. */
	bool micro;
	uint16_t micro_sid, micro_rid;
	unsigned micro_lead;
};

/* Per-session engine counters (beyond what tw_stats sees). */
struct cli_engine_counters {
	uint64_t tx, tx_err, rx, rx_short, rx_hmac, rx_errest, rx_foreign;
	/* RFC 9533 §4.2, replies discarded: a Sender Micro-session ID that is
	 * none of ours (counted on the socket's first micro-session), a
	 * Reflector Micro-session ID other than the one expected */
	uint64_t rx_micro_unknown, rx_micro_ref;
	/* Replies accepted although shorter than the reflector base: they end
	 * inside the Sender TTL tail (wire ref §11b.7, nokia/twampy), so the
	 * forward hop count is unknown.  no_ttl_len: the shortest seen. */
	uint64_t rx_no_ttl;
	size_t rx_no_ttl_len;
	/* Replies whose Z = 1 Timestamp and Receive Timestamp held seconds
	 * since 1900, not since 1970 (tw_time_ptp_to_ntp_near): read so */
	uint64_t rx_ptp_ntp_epoch;
	/* STAMP TLVs: what the replies carried (lib/tw_stlv), the TLVs sent
	 * ("cos,dm,hmac"), the ECN our packets carried (-1: none) and the
	 * address:port we sent from, for the report (cli_meas_set_stamp). */
	bool has_tlv;
	struct tw_stlv_res tlv;
	char tlv_sent[160];
	int8_t tlv_ecn;
	char tlv_local[80];
};

/* Count a reply of len octets accepted without its Sender TTL. */
static inline void cli_engine_count_no_ttl(struct cli_engine_counters *c, size_t len)
{
	if (!c->rx_no_ttl || len < c->rx_no_ttl_len)
		c->rx_no_ttl_len = len;
	c->rx_no_ttl++;
}

/* A reflector's Z = 1 T2 and T3 (RFC 8186 §2.3) to NTP next to our own T1
 * (NTP); a reply whose PTP seconds count from 1900 is read so and counted. */
static inline void cli_engine_peer_ptp(struct cli_engine_counters *c, uint64_t *t2, uint64_t *t3,
                                       uint64_t t1_ntp)
{
	bool e2, e3;
	*t2 = tw_time_ptp_to_ntp_near(*t2, t1_ntp, &e2);
	*t3 = tw_time_ptp_to_ntp_near(*t3, t1_ntp, &e3);
	if (e2 || e3)
		c->rx_ptp_ntp_epoch++;
}

struct cli_engine_cb {
	void *arg;
	void (*sent)(void *arg, unsigned sess, uint32_t seq, int64_t t1_ns);
	void (*reply)(void *arg, unsigned sess, const struct tw_stats_reply *r);
	void (*tick)(void *arg, int64_t now_ns); /* every CLI_ENGINE_TICK_NS or so */
	/* The real send time of a packet that `sent` reported earlier with a
	 * later one (cli_engine_fp.c: sends are reported in order); may be NULL. */
	void (*sent_t1)(void *arg, unsigned sess, uint32_t seq, int64_t t1_ns);
};

struct cli_engine;

/* name: "socket" or "fastpath"; admin: twinhopd admin socket path (fastpath). */
struct cli_engine *cli_engine_new(const char *name, const char *admin, char *err, size_t errlen);
void cli_engine_free(struct cli_engine *e);
const char *cli_engine_name(const struct cli_engine *e);
/* Add a session; binds (or reserves) the local port and writes it back into
 * cfg->local.  Returns the session index or -1 (err filled). */
int cli_engine_add(struct cli_engine *e, struct cli_sess_cfg *cfg, char *err, size_t errlen);
/* The reflector's address and port (Accept-Session.Port), before run. */
int cli_engine_set_peer(struct cli_engine *e, unsigned idx, const struct sockaddr *peer,
                        socklen_t len, char *err, size_t errlen);
/* Send every session's packets and collect replies until all were sent and
 * the loss timeout passed.  *stop == 1 (the first interrupt) ends sending and
 * still collects the replies in flight, until they are all in or the loss
 * timeout passed; *stop >= 2 ends the run at once.  0 or -1 (err filled). */
int cli_engine_run(struct cli_engine *e, const struct cli_engine_cb *cb,
                   volatile sig_atomic_t *stop, char *err, size_t errlen);
const struct cli_engine_counters *cli_engine_counters(const struct cli_engine *e, unsigned idx);

/* How long a session sends as planned: count x interval, capped by its
 * duration (ns). */
static inline int64_t cli_engine_send_ns(const struct cli_sess_cfg *c)
{
	int64_t d = (int64_t)(c->count * c->interval_ns);
	return c->duration_ns > 0 && (!c->count || c->duration_ns < d) ? c->duration_ns : d;
}

/*
 * STAMP TLVs of session idx, the same for both engines: checks the session
 * can carry them (STAMP, no padding), fixes the one ECN codepoint it sends
 * (cos=...,ecn=E, else --ecn; written back to cfg->ecn), lays the TLVs out
 * into *t (lib/tw_stlv tw_stlv_build) and fills the report fields of
 * e->cnt[idx] (has_tlv, tlv_ecn, tlv_sent).  Returns the ECN (-1 = none)
 * through *ecn; 0 or -1 (err filled).
 */
int cli_engine_tlv_prep(struct cli_engine *e, unsigned idx, struct cli_sess_cfg *cfg,
                        struct tw_stlv_tmpl *t, int8_t *ecn, char *err, size_t errlen);

/* Back-end constructors (private to the engine files). */
struct cli_engine_ops {
	const char *name;
	int (*add)(struct cli_engine *e, unsigned idx, struct cli_sess_cfg *cfg, char *err,
	           size_t errlen);
	int (*set_peer)(struct cli_engine *e, unsigned idx, char *err, size_t errlen);
	int (*run)(struct cli_engine *e, const struct cli_engine_cb *cb,
	           volatile sig_atomic_t *stop, char *err, size_t errlen);
	void (*free)(struct cli_engine *e);
};

/* Packets the engine's host side dropped over a run, all sessions (the
 * fastpath engine: the local fast path's drop counters, read before and
 * after; host-wide there, as the kernel's UDP counters are). */
#define CLI_ENGINE_DROP_REASONS 8
struct cli_engine_drops {
	bool known;
	uint64_t total; /* packets */
	unsigned n;     /* reasons in by[] (non-zero ones, at most 8) */
	struct {
		const char *name; /* fast-path counter name, static */
		uint64_t n;
	} by[CLI_ENGINE_DROP_REASONS];
};

/* Whether this client runs on a CPU where the local fast path's lcores
 * poll (fastpath engine; the CPUs both may use, "0,2"). */
struct cli_engine_cpus {
	bool known, shared;
	char list[64];
};

struct cli_engine {
	const struct cli_engine_ops *ops;
	char admin[108];
	unsigned n;
	struct cli_sess_cfg cfg[CLI_ENGINE_SESSIONS_MAX];
	struct cli_engine_counters cnt[CLI_ENGINE_SESSIONS_MAX];
	struct cli_engine_drops drops; /* set by run */
	struct cli_engine_cpus cpus;   /* set by run */
	void *priv;
};

extern const struct cli_engine_ops cli_engine_sock_ops;
extern const struct cli_engine_ops cli_engine_fp_ops;

/* Monotonic clock in ns. */
int64_t cli_mono_ns(void);
/* Wire NTP timestamp to Unix ns (era nearest to now, wire ref §5.1). */
int64_t cli_ntp_ns(uint64_t ntp);
#define CLI_ERREST_MAX_NS (INT64_C(1) << 40)
/* Error Estimate to ns (a bound, rounded up; CLI_ERREST_MAX_NS if huge or corrupt),
 * S bit into *sync when sync is not NULL (wire ref §5.2). */
int64_t cli_errest_ns(uint16_t e, bool *sync);
/* Next inter-send gap: the interval, or exponential with that mean. */
uint64_t cli_next_gap(uint64_t interval_ns, bool poisson);

#endif
