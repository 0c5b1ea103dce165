/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli_run: one measurement run, shared by `measure`, `light-send` and each
 * step of `bench`.  TWAMP: connect, negotiate, Request-TW-Session per
 * session, Start (or RFC 5938 Start-N/Stop-N when Individual Session Control
 * was negotiated), run the engine, Stop.  Light/STAMP: no control.  Results
 * go to a cli_meas the caller set up with cli_meas_init().
 */
#ifndef CLI_RUN_H
#define CLI_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli_engine.h"
#include "cli_meas.h"
#include "ctl_client.h"

#define CLI_PAD_DEFAULT UINT32_MAX /* padding: same size both ways (§4.5) */

/* Where and how to connect (TWAMP-Control) or send (Light/STAMP). */
struct cli_conn {
	const char *target; /* HOST[:PORT] (TWAMP, default 862) or HOST:PORT (Light) */
	int family;         /* AF_UNSPEC, AF_INET, AF_INET6 */
	const char *local;  /* numeric local address or NULL */
	double timeout;     /* control reply deadline, s */
	struct ctl_client_cfg ctl;
	int64_t stagger_ns; /* session i starts i * stagger after the first */
	bool zero_addr;     /* Request-TW-Session with zero addresses (§2.7, twping -Z) */
	bool quiet;
	/* RFC 9533 LAG micro-sessions (--micro-sessions S:R,...): when n_micro
	 * is set, one Request-TW-Micro-Sessions replaces the per-session
	 * requests and session i of the run is micro-session i, sending
	 * Sender Micro-session ID micro_s[i] and Reflector ID micro_r[i]
	 * (0 = not known); the run's n is n_micro. */
	unsigned n_micro;
	uint16_t micro_s[CLI_ENGINE_SESSIONS_MAX], micro_r[CLI_ENGINE_SESSIONS_MAX];
};

/* "S:R,S:R,..." (S 1..65535 unique, R 0..65535) into c->micro_*; -1 with
 * err on a syntax error. */
int cli_parse_micro(const char *s, struct cli_conn *c, char *err, size_t errlen);

/* One session to run.  Layout and protection follow the negotiated mode
 * (TWAMP) or are the caller's (Light/STAMP: layout, prot, stamp key). */
struct cli_plan {
	uint32_t padding; /* or CLI_PAD_DEFAULT */
	uint8_t dscp;
	uint8_t ecn; /* RFC 3168 §5 codepoint, 0..3 */
	uint64_t count;
	int64_t duration_ns; /* stop sending this long after the first packet; 0 = count only */
	uint64_t interval_ns;
	bool poisson;
	uint16_t sender_port; /* 0: any free port */
	int64_t warmup_ns;    /* results of the first warmup_ns are discarded */
	/* Light/STAMP only */
	enum tw_pkt_layout layout;
	enum tw_pkt_prot prot;
	const uint8_t *stamp_key;
	size_t stamp_key_len;
	uint16_t ssid;
	const struct tw_stlv_spec *tlv; /* STAMP TLVs after the base, in order */
	unsigned ntlv;
};

struct cli_run_out {
	char mode[96];      /* negotiated mode / "light" / "stamp" */
	const char *engine; /* engine name */
	bool individual;    /* RFC 5938 Start-N/Stop-N were used */
};

/* Returns 0, or 1 on failure (message on stderr). */
int cli_run_twamp(const struct cli_conn *c, const struct cli_plan *plan, unsigned n,
                  struct cli_engine *e, struct cli_meas *m, volatile sig_atomic_t *stop,
                  struct cli_run_out *out);
int cli_run_light(const struct cli_conn *c, const struct cli_plan *plan, unsigned n,
                  struct cli_engine *e, struct cli_meas *m, volatile sig_atomic_t *stop,
                  struct cli_run_out *out);

/* HOST, HOST:PORT, [IPv6]:PORT; need_port: PORT required.  0 or -1. */
int cli_parse_target(const char *t, bool need_port, char *host, size_t hcap, char *port,
                     size_t pcap);

__attribute__((format(printf, 1, 2))) void cli_err(const char *fmt, ...);

#endif
